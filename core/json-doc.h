/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A JSON document with positions. json-c builds the object tree but keeps no
 * offsets and silently keeps the last of duplicate keys, so after json-c has
 * accepted the text a small scanner walks the same text, checks for duplicate
 * keys and records where every key and value starts. Errors come back as
 * "file:line:column: message" strings; nothing here prints. Pure: no I/O.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef struct JsonNode JsonNode;

struct JsonNode {
        json_object *value;     /* borrowed from the document; NULL for JSON null */
        size_t offset;          /* first byte of the value in the text */
        size_t length;          /* bytes of the value's text */
        char *key;              /* member name; NULL for array elements and the root */
        size_t key_offset;      /* the opening quote of the key */
        JsonNode *children;     /* object members or array elements, in text order */
        size_t n_children;
};

typedef struct JsonDoc {
        char *filename;
        char *text;
        size_t length;
        json_object *root_value;
        JsonNode root;
        size_t *line_starts;    /* offset of each line's first byte, for line_column in O(log n) */
        size_t n_lines;
        struct JsonDocCursor *cursor; /* the last position asked for: callers go forward */
} JsonDoc;

/*
 * Parses text (length bytes, need not be NUL-terminated). On a syntax error,
 * a duplicate key or a NUL byte returns -EBADMSG and, if ret_error is not
 * NULL, "filename:line:column: message". -ENOMEM on allocation failure.
 */
int json_doc_parse(const char *filename, const char *text, size_t length,
                   JsonDoc **ret, char **ret_error);

/* Flags of json_doc_parse_flags(). */
enum {
        /* A key repeated in an object is not an error: the last one counts, as in serde_json (mdevctl). */
        JSON_DOC_LAST_DUPLICATE_WINS = 1 << 0,
};
int json_doc_parse_flags(const char *filename, const char *text, size_t length, unsigned flags,
                         JsonDoc **ret, char **ret_error);
JsonDoc *json_doc_free(JsonDoc *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(JsonDoc *, json_doc_free);

/* 1-based line and column (in UTF-8 characters) of a byte offset. */
void json_doc_line_column(const JsonDoc *d, size_t offset, unsigned *ret_line, unsigned *ret_column);

/* Formats "filename:line:column: message" into *ret_error (if not NULL); returns -EBADMSG. */
int json_doc_error(const JsonDoc *d, size_t offset, char **ret_error, const char *fmt, ...) _printf_(4, 5);

/* The same for text that is not (yet) a document, e.g. a syntax error. */
int json_text_error(const char *filename, const char *text, size_t length, size_t offset,
                    char **ret_error, const char *fmt, ...) _printf_(6, 7);

/* "an object", "a string", ... for messages. */
const char *json_node_type_name(const JsonNode *n);
bool json_node_is(const JsonNode *n, json_type type);
const JsonNode *json_node_member(const JsonNode *object, const char *key);

/*
 * Checks that node is an object whose keys are all in allowed (NULL-ended)
 * or "comment" (accepted everywhere, must be a string, ignored).
 * what names the object in messages, e.g. "pool".
 */
int json_doc_check_object(const JsonDoc *d, const JsonNode *node, const char *what,
                          const char *const *allowed, char **ret_error);

/*
 * Typed member getters. Each returns 0 when the key is absent (*ret is left
 * alone), 1 when it was read, -EBADMSG with a positioned message when the
 * value has the wrong type or is out of range.
 */
int json_doc_get_string(const JsonDoc *d, const JsonNode *object, const char *key,
                        const char **ret, char **ret_error);
int json_doc_get_bool(const JsonDoc *d, const JsonNode *object, const char *key,
                      bool *ret, char **ret_error);
int json_doc_get_int(const JsonDoc *d, const JsonNode *object, const char *key,
                     int64_t min, int64_t max, int64_t *ret, char **ret_error);
/* Like json_doc_get_string() but the key must be present. */
int json_doc_need_string(const JsonDoc *d, const JsonNode *object, const char *what, const char *key,
                         const char **ret, char **ret_error);
/* Checks that an array member, if present, is an array; returns it or NULL via ret. */
int json_doc_get_array(const JsonDoc *d, const JsonNode *object, const char *key,
                       const JsonNode **ret, char **ret_error);

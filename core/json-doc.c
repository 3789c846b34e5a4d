/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-doc.h"

#define streq(a, b) (strcmp((a), (b)) == 0)

/* json-c refuses deeper nesting itself; the scanner's recursion is bounded by it. */
#define JSON_DOC_MAX_DEPTH 32
/* How much of a bad literal a message quotes. */
#define LITERAL_QUOTE_MAX 40

static void line_column(const char *text, size_t length, size_t offset,
                        unsigned *ret_line, unsigned *ret_column) {
        unsigned line = 1, column = 1;

        if (offset > length)
                offset = length;
        for (size_t i = 0; i < offset; i++) {
                unsigned char c = (unsigned char) text[i];

                if (c == '\n') {
                        line++;
                        column = 1;
                } else if ((c & 0xc0) != 0x80) /* count characters, not UTF-8 continuation bytes */
                        column++;
        }
        *ret_line = line;
        *ret_column = column;
}

_printf_(6, 0)
static int verror(const char *filename, const char *text, size_t length, size_t offset,
                  char **ret_error, const char *fmt, va_list ap) {
        _cleanup_free_ char *msg = NULL;
        unsigned line, column;

        if (!ret_error)
                return -EBADMSG;
        if (vasprintf(&msg, fmt, ap) < 0)
                return -ENOMEM;
        line_column(text, length, offset, &line, &column);
        if (asprintf(ret_error, "%s:%u:%u: %s", filename, line, column, msg) < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return -EBADMSG;
}

int json_text_error(const char *filename, const char *text, size_t length, size_t offset,
                    char **ret_error, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = verror(filename, text, length, offset, ret_error, fmt, ap);
        va_end(ap);
        return r;
}

int json_doc_error(const JsonDoc *d, size_t offset, char **ret_error, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = verror(d->filename, d->text, d->length, offset, ret_error, fmt, ap);
        va_end(ap);
        return r;
}

/* Columns of a long line (minified JSON) would cost O(offset) each time; positions are mostly asked in order. */
struct JsonDocCursor {
        size_t offset;
        size_t line;            /* index into line_starts */
        unsigned column;
};

void json_doc_line_column(const JsonDoc *d, size_t offset, unsigned *ret_line, unsigned *ret_column) {
        size_t lo = 0, hi = d->n_lines;
        unsigned line, column;
        struct JsonDocCursor *c = d->cursor;

        if (!d->line_starts) {
                line_column(d->text, d->length, offset, ret_line, ret_column);
                return;
        }
        if (offset > d->length)
                offset = d->length;
        /* the last line starting at or before offset */
        while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;

                if (d->line_starts[mid] <= offset)
                        lo = mid;
                else
                        hi = mid;
        }
        if (c && c->line == lo && c->offset <= offset) {
                line_column(d->text + c->offset, d->length - c->offset, offset - c->offset, &line, &column);
                column += c->column - 1;
        } else
                line_column(d->text + d->line_starts[lo], d->length - d->line_starts[lo],
                            offset - d->line_starts[lo], &line, &column);
        if (c)
                *c = (struct JsonDocCursor) { .offset = offset, .line = lo, .column = column };
        *ret_line = (unsigned) lo + 1;
        *ret_column = column;
}

static int index_lines(JsonDoc *d) {
        size_t n = 1;

        for (size_t i = 0; i < d->length; i++)
                n += d->text[i] == '\n';
        d->line_starts = calloc(n, sizeof(size_t));
        d->cursor = calloc(1, sizeof(struct JsonDocCursor));
        if (!d->line_starts || !d->cursor)
                return -ENOMEM;
        *d->cursor = (struct JsonDocCursor) { .offset = 0, .line = 0, .column = 1 };
        d->n_lines = 1;
        for (size_t i = 0; i < d->length; i++)
                if (d->text[i] == '\n')
                        d->line_starts[d->n_lines++] = i + 1;
        return 0;
}

static void json_node_done(JsonNode *n) {
        for (size_t i = 0; i < n->n_children; i++)
                json_node_done(&n->children[i]);
        free(n->children);
        free(n->key);
        *n = (JsonNode) {};
}

JsonDoc *json_doc_free(JsonDoc *d) {
        if (!d)
                return NULL;
        json_node_done(&d->root);
        json_object_put(d->root_value);
        free(d->line_starts);
        free(d->cursor);
        free(d->filename);
        free(d->text);
        free(d);
        return NULL;
}

/* The scanner: runs only over text json-c has accepted, but checks bounds anyway. */
typedef struct Scanner {
        JsonDoc *doc;
        size_t pos;
        unsigned flags;         /* JSON_DOC_* */
        char **ret_error;
} Scanner;

static int scan_fail(Scanner *s, size_t offset, const char *what) {
        return json_doc_error(s->doc, offset, s->ret_error, "%s", what);
}

static void skip_space(Scanner *s) {
        while (s->pos < s->doc->length && strchr(" \t\r\n", s->doc->text[s->pos]) && s->doc->text[s->pos])
                s->pos++;
}

static bool peek(Scanner *s, char c) {
        return s->pos < s->doc->length && s->doc->text[s->pos] == c;
}

static int hex4(const char *p, unsigned *ret) {
        unsigned v = 0;

        for (int i = 0; i < 4; i++) {
                char c = p[i];

                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (unsigned) (c - 'A' + 10);
                else
                        return -EINVAL;
        }
        *ret = v;
        return 0;
}

static size_t put_utf8(char *out, unsigned cp) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xc0 | cp >> 6);
                out[1] = (char) (0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xe0 | cp >> 12);
                out[1] = (char) (0x80 | (cp >> 6 & 0x3f));
                out[2] = (char) (0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char) (0xf0 | cp >> 18);
        out[1] = (char) (0x80 | (cp >> 12 & 0x3f));
        out[2] = (char) (0x80 | (cp >> 6 & 0x3f));
        out[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
}

/* Decodes the string at s->pos (the opening quote); *ret is NUL-terminated, *ret_len its real length. */
static int scan_string(Scanner *s, char **ret, size_t *ret_len) {
        const char *t = s->doc->text;
        size_t start = s->pos, n = s->doc->length, len = 0, end;
        _cleanup_free_ char *out = NULL;

        if (!peek(s, '"'))
                return scan_fail(s, start, "expected a string");
        s->pos++;

        /* Decoding never grows the text: the raw length (plus the NUL) bounds the result. */
        for (end = s->pos; end < n && t[end] != '"'; end++)
                if (t[end] == '\\')
                        end++;
        if (end > n)
                end = n;
        out = malloc(end - s->pos + 1);
        if (!out)
                return -ENOMEM;

        while (s->pos < end) {
                unsigned cp, lo;

                if ((unsigned char) t[s->pos] < 0x20)
                        return scan_fail(s, s->pos, "invalid JSON: control character in string (write it as an escape)");
                if (t[s->pos] != '\\') {
                        out[len++] = t[s->pos++];
                        continue;
                }
                if (s->pos + 1 >= n)
                        return scan_fail(s, s->pos, "unterminated string");
                s->pos += 2;
                switch (t[s->pos - 1]) {
                case '"':  out[len++] = '"'; break;
                case '\\': out[len++] = '\\'; break;
                case '/':  out[len++] = '/'; break;
                case 'b':  out[len++] = '\b'; break;
                case 'f':  out[len++] = '\f'; break;
                case 'n':  out[len++] = '\n'; break;
                case 'r':  out[len++] = '\r'; break;
                case 't':  out[len++] = '\t'; break;
                case 'u':
                        if (s->pos + 4 > n || hex4(t + s->pos, &cp) < 0)
                                return scan_fail(s, s->pos - 2, "bad \\u escape");
                        s->pos += 4;
                        if (cp >= 0xd800 && cp < 0xdc00 && s->pos + 6 <= n &&
                            t[s->pos] == '\\' && t[s->pos + 1] == 'u' &&
                            hex4(t + s->pos + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                s->pos += 6;
                        } else if (cp >= 0xd800 && cp < 0xe000)
                                cp = 0xfffd; /* a lone surrogate, as json-c does */
                        /* A surrogate pair is 12 bytes of text and 4 of UTF-8: never grows. */
                        if (s->pos > end)
                                return scan_fail(s, start, "unterminated string");
                        len += put_utf8(out + len, cp);
                        break;
                default:
                        return scan_fail(s, s->pos - 2, "bad escape in string");
                }
        }
        if (!peek(s, '"'))
                return scan_fail(s, start, "unterminated string");
        s->pos++;
        out[len] = 0;
        *ret_len = len;
        *ret = TAKE_PTR(out);
        return 0;
}

static int scan_value(Scanner *s, JsonNode *node, json_object *value, unsigned depth);

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* true, false, null or an RFC 8259 number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool literal_valid(const char *t, size_t n) {
        size_t i = 0;

        if ((n == 4 && memcmp(t, "true", 4) == 0) || (n == 5 && memcmp(t, "false", 5) == 0) ||
            (n == 4 && memcmp(t, "null", 4) == 0))
                return true;
        if (i < n && t[i] == '-')
                i++;
        if (i < n && t[i] == '0')
                i++;
        else if (i < n && t[i] >= '1' && t[i] <= '9')
                while (i < n && is_digit(t[i]))
                        i++;
        else
                return false;
        if (i < n && t[i] == '.') {
                i++;
                if (i == n || !is_digit(t[i]))
                        return false;
                while (i < n && is_digit(t[i]))
                        i++;
        }
        if (i < n && (t[i] == 'e' || t[i] == 'E')) {
                i++;
                if (i < n && (t[i] == '+' || t[i] == '-'))
                        i++;
                if (i == n || !is_digit(t[i]))
                        return false;
                while (i < n && is_digit(t[i]))
                        i++;
        }
        return i == n;
}

static int add_child(JsonNode *parent, size_t *allocated, JsonNode **ret) {
        if (parent->n_children == *allocated) {
                size_t m = *allocated ? *allocated * 2 : 4;
                JsonNode *c = reallocarray(parent->children, m, sizeof(JsonNode));

                if (!c)
                        return -ENOMEM;
                parent->children = c;
                *allocated = m;
        }
        *ret = &parent->children[parent->n_children++];
        **ret = (JsonNode) {};
        return 0;
}

static int scan_object(Scanner *s, JsonNode *node, json_object *value, unsigned depth) {
        size_t allocated = 0;
        int r;

        s->pos++; /* '{' */
        skip_space(s);
        if (peek(s, '}')) {
                s->pos++;
                return 0;
        }
        for (;;) {
                _cleanup_free_ char *key = NULL;
                size_t key_offset, key_len;
                json_object *child_value = NULL;
                JsonNode *child;

                skip_space(s);
                key_offset = s->pos;
                if (!peek(s, '"'))
                        return scan_fail(s, s->pos, "invalid JSON: expected a double-quoted key");
                r = scan_string(s, &key, &key_len);
                if (r < 0)
                        return r;
                if (strlen(key) != key_len)
                        return scan_fail(s, key_offset, "key contains a NUL character");

                for (size_t i = 0; i < node->n_children; i++)
                        if (streq(node->children[i].key, key)) {
                                unsigned line, column;

                                if (s->flags & JSON_DOC_LAST_DUPLICATE_WINS) {
                                        /* json-c kept the last value: the earlier node goes. */
                                        json_node_done(&node->children[i]);
                                        memmove(&node->children[i], &node->children[i + 1],
                                                (node->n_children - i - 1) * sizeof(JsonNode));
                                        node->n_children--;
                                        break;
                                }
                                json_doc_line_column(s->doc, node->children[i].key_offset, &line, &column);
                                return json_doc_error(s->doc, key_offset, s->ret_error,
                                                      "duplicate key \"%s\" (first at %u:%u)", key, line, column);
                        }

                if (!json_object_object_get_ex(value, key, &child_value))
                        return scan_fail(s, key_offset, "internal error: key not in the object");

                skip_space(s);
                if (!peek(s, ':'))
                        return scan_fail(s, s->pos, "expected ':'");
                s->pos++;
                skip_space(s);

                r = add_child(node, &allocated, &child);
                if (r < 0)
                        return r;
                child->key = TAKE_PTR(key);
                child->key_offset = key_offset;
                r = scan_value(s, child, child_value, depth + 1);
                if (r < 0)
                        return r;

                skip_space(s);
                if (peek(s, ',')) {
                        s->pos++;
                        continue;
                }
                if (peek(s, '}')) {
                        s->pos++;
                        return 0;
                }
                return scan_fail(s, s->pos, "expected ',' or '}'");
        }
}

static int scan_array(Scanner *s, JsonNode *node, json_object *value, unsigned depth) {
        size_t allocated = 0;
        int r;

        s->pos++; /* '[' */
        skip_space(s);
        if (peek(s, ']')) {
                s->pos++;
                return 0;
        }
        for (;;) {
                JsonNode *child;
                size_t i = node->n_children;

                skip_space(s);
                if (i >= json_object_array_length(value))
                        return scan_fail(s, s->pos, "internal error: array length differs");
                r = add_child(node, &allocated, &child);
                if (r < 0)
                        return r;
                r = scan_value(s, child, json_object_array_get_idx(value, i), depth + 1);
                if (r < 0)
                        return r;
                skip_space(s);
                if (peek(s, ',')) {
                        s->pos++;
                        continue;
                }
                if (peek(s, ']')) {
                        s->pos++;
                        return 0;
                }
                return scan_fail(s, s->pos, "expected ',' or ']'");
        }
}

static int scan_value(Scanner *s, JsonNode *node, json_object *value, unsigned depth) {
        const char *t = s->doc->text;
        int r = 0;

        if (depth > JSON_DOC_MAX_DEPTH)
                return scan_fail(s, s->pos, "nesting too deep");
        if (s->pos >= s->doc->length)
                return scan_fail(s, s->pos, "unexpected end of file");

        node->value = value;
        node->offset = s->pos;

        switch (t[s->pos]) {
        case '{':
                if (!json_object_is_type(value, json_type_object))
                        return scan_fail(s, s->pos, "internal error: not an object");
                r = scan_object(s, node, value, depth);
                break;
        case '[':
                if (!json_object_is_type(value, json_type_array))
                        return scan_fail(s, s->pos, "internal error: not an array");
                r = scan_array(s, node, value, depth);
                break;
        case '"': {
                _cleanup_free_ char *str = NULL;
                size_t len;

                r = scan_string(s, &str, &len);
                /* json-c would keep it and every C string would stop there: "ab\u0000cd" read as "ab". */
                if (r >= 0 && strlen(str) != len)
                        r = scan_fail(s, node->offset, "string contains a NUL character (\\u0000)");
                break;
        }
        default:
                while (s->pos < s->doc->length && !strchr(" \t\r\n,]}", t[s->pos]))
                        s->pos++;
                /* json-c also takes NaN, Infinity and "1."; JSON does not. */
                if (!literal_valid(t + node->offset, s->pos - node->offset))
                        return json_doc_error(s->doc, node->offset, s->ret_error, "invalid JSON: not a JSON value: %.*s",
                                              (int) (s->pos - node->offset > LITERAL_QUOTE_MAX ? LITERAL_QUOTE_MAX :
                                                     s->pos - node->offset), t + node->offset);
        }
        if (r < 0)
                return r;
        node->length = s->pos - node->offset;
        return 0;
}

int json_doc_parse(const char *filename, const char *text, size_t length,
                   JsonDoc **ret, char **ret_error) {
        return json_doc_parse_flags(filename, text, length, 0, ret, ret_error);
}

int json_doc_parse_flags(const char *filename, const char *text, size_t length, unsigned flags,
                         JsonDoc **ret, char **ret_error) {
        _cleanup_(json_doc_freep) JsonDoc *d = NULL;
        struct json_tokener *tok;
        enum json_tokener_error jerr;
        const char *nul;
        size_t end;
        Scanner s;
        int r;

        if (!filename || (!text && length > 0) || !ret)
                return -EINVAL;

        nul = text ? memchr(text, 0, length) : NULL;
        if (nul)
                return json_text_error(filename, text, length, (size_t) (nul - text), ret_error,
                                       "NUL byte in file");

        if (length >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                return json_text_error(filename, text, length, 0, ret_error,
                                       "byte order mark at the start (save the file as UTF-8 without BOM)");

        end = 0;
        while (end < length && strchr(" \t\r\n", text[end]))
                end++;
        if (end == length)
                return json_text_error(filename, text, length, 0, ret_error, "empty file, expected a JSON object");

        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);

        d = calloc(1, sizeof(*d));
        if (!d) {
                json_tokener_free(tok);
                return -ENOMEM;
        }
        d->root_value = json_tokener_parse_ex(tok, text, (int) (length > INT32_MAX ? INT32_MAX : length));
        jerr = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);

        if (length > INT32_MAX)
                return json_text_error(filename, text, length, INT32_MAX, ret_error, "file too large");
        if (jerr == json_tokener_continue)
                return json_text_error(filename, text, length, length, ret_error,
                                       "unexpected end of file (truncated JSON)");
        if (jerr != json_tokener_success) {
                /* json-c stops at the offending byte. */
                return json_text_error(filename, text, length, end, ret_error,
                                       "invalid JSON: %s", json_tokener_error_desc(jerr));
        }

        d->filename = strdup(filename);
        d->text = malloc(length + 1);
        if (!d->filename || !d->text)
                return -ENOMEM;
        memcpy(d->text, text, length);
        d->text[length] = 0;
        d->length = length;
        r = index_lines(d);
        if (r < 0)
                return r;

        s = (Scanner) { .doc = d, .flags = flags, .ret_error = ret_error };
        skip_space(&s);
        r = scan_value(&s, &d->root, d->root_value, 0);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(d);
        return 0;
}

bool json_node_is(const JsonNode *n, json_type type) {
        return n && json_object_get_type(n->value) == type;
}

const char *json_node_type_name(const JsonNode *n) {
        switch (json_object_get_type(n->value)) {
        case json_type_null:    return "null";
        case json_type_boolean: return "a boolean";
        case json_type_double:  return "a number";
        case json_type_int:     return "an integer";
        case json_type_object:  return "an object";
        case json_type_array:   return "an array";
        case json_type_string:  return "a string";
        }
        return "a value";
}

const JsonNode *json_node_member(const JsonNode *object, const char *key) {
        if (!object || !json_node_is(object, json_type_object))
                return NULL;
        for (size_t i = 0; i < object->n_children; i++)
                if (streq(object->children[i].key, key))
                        return &object->children[i];
        return NULL;
}

static int expect_type(const JsonDoc *d, const JsonNode *n, const char *key, json_type type,
                       const char *type_name, char **ret_error) {
        if (json_node_is(n, type))
                return 0;
        return json_doc_error(d, n->offset, ret_error, "\"%s\" must be %s, not %s",
                              key, type_name, json_node_type_name(n));
}

int json_doc_check_object(const JsonDoc *d, const JsonNode *node, const char *what,
                          const char *const *allowed, char **ret_error) {
        int r;

        if (!json_node_is(node, json_type_object))
                return json_doc_error(d, node->offset, ret_error, "%s must be an object, not %s",
                                      what, json_node_type_name(node));

        for (size_t i = 0; i < node->n_children; i++) {
                const JsonNode *c = &node->children[i];
                bool known = false;

                if (streq(c->key, "comment")) {
                        r = expect_type(d, c, "comment", json_type_string, "a string", ret_error);
                        if (r < 0)
                                return r;
                        continue;
                }
                for (const char *const *a = allowed; a && *a; a++)
                        if (streq(*a, c->key)) {
                                known = true;
                                break;
                        }
                if (!known)
                        return json_doc_error(d, c->key_offset, ret_error, "unknown key \"%s\" in %s",
                                              c->key, what);
        }
        return 0;
}

int json_doc_get_string(const JsonDoc *d, const JsonNode *object, const char *key,
                        const char **ret, char **ret_error) {
        const JsonNode *n = json_node_member(object, key);
        const char *s;
        int r;

        if (!n)
                return 0;
        r = expect_type(d, n, key, json_type_string, "a string", ret_error);
        if (r < 0)
                return r;
        s = json_object_get_string(n->value);
        if (strlen(s) != (size_t) json_object_get_string_len(n->value))
                return json_doc_error(d, n->offset, ret_error, "\"%s\" must not contain a NUL character", key);
        *ret = s;
        return 1;
}

int json_doc_need_string(const JsonDoc *d, const JsonNode *object, const char *what, const char *key,
                         const char **ret, char **ret_error) {
        int r = json_doc_get_string(d, object, key, ret, ret_error);

        if (r == 0)
                return json_doc_error(d, object->offset, ret_error, "%s is missing required key \"%s\"", what, key);
        return r;
}

int json_doc_get_bool(const JsonDoc *d, const JsonNode *object, const char *key,
                      bool *ret, char **ret_error) {
        const JsonNode *n = json_node_member(object, key);
        int r;

        if (!n)
                return 0;
        r = expect_type(d, n, key, json_type_boolean, "true or false", ret_error);
        if (r < 0)
                return r;
        *ret = json_object_get_boolean(n->value);
        return 1;
}

int json_doc_get_int(const JsonDoc *d, const JsonNode *object, const char *key,
                     int64_t min, int64_t max, int64_t *ret, char **ret_error) {
        const JsonNode *n = json_node_member(object, key);
        const char *t;
        size_t i = 0, len;
        bool negative = false, overflow = false;
        uint64_t magnitude = 0;
        int64_t v;

        if (!n)
                return 0;
        t = d->text + n->offset;
        len = n->length;

        /* Judge the literal, not json-c's value: json-c clamps or converts huge numbers. */
        if (!json_node_is(n, json_type_int) && !json_node_is(n, json_type_double))
                return json_doc_error(d, n->offset, ret_error, "\"%s\" must be an integer, not %s",
                                      key, json_node_type_name(n));
        if (i < len && t[i] == '-') {
                negative = true;
                i++;
        }
        if (i == len)
                return json_doc_error(d, n->offset, ret_error, "\"%s\" must be an integer", key);
        for (; i < len; i++) {
                if (t[i] < '0' || t[i] > '9')
                        return json_doc_error(d, n->offset, ret_error, "\"%s\" must be an integer, not %.*s",
                                              key, (int) (len > LITERAL_QUOTE_MAX ? LITERAL_QUOTE_MAX : len), t);
                if (magnitude > (UINT64_MAX - 9) / 10)
                        overflow = true;
                else
                        magnitude = magnitude * 10 + (uint64_t) (t[i] - '0');
        }

        if (overflow || (negative && magnitude > (uint64_t) INT64_MAX + 1) || (!negative && magnitude > INT64_MAX))
                goto out_of_range;
        v = negative ? (int64_t) (0 - magnitude) : (int64_t) magnitude;
        if (v < min || v > max)
                goto out_of_range;
        *ret = v;
        return 1;

out_of_range:
        return json_doc_error(d, n->offset, ret_error, "\"%s\" must be between %" PRId64 " and %" PRId64 ", not %.*s%s",
                              key, min, max, (int) (len > LITERAL_QUOTE_MAX ? LITERAL_QUOTE_MAX : len), t,
                              len > LITERAL_QUOTE_MAX ? "..." : "");
}

int json_doc_get_array(const JsonDoc *d, const JsonNode *object, const char *key,
                       const JsonNode **ret, char **ret_error) {
        const JsonNode *n = json_node_member(object, key);
        int r;

        if (!n)
                return 0;
        r = expect_type(d, n, key, json_type_array, "an array", ret_error);
        if (r < 0)
                return r;
        *ret = n;
        return 1;
}

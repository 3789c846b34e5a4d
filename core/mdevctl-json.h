/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON in mdevctl 1.2's shapes, byte for byte as it prints them (serde_json,
 * keys in mdevctl's order, two-space indent): what `mdevctl list --dumpjson`
 * and `mdevctl types --dumpjson` print, and the compact device configuration
 * a callout reads on its standard input. Pure: no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* A small JSON writer: pretty (serde_json's PrettyFormatter) or compact. Errors stick until finish. */
typedef struct JsonWriter {
        char *text;
        size_t length;
        size_t allocated;
        bool pretty;
        unsigned depth;
        bool empty[32];         /* per depth: nothing written inside yet */
        bool after_key;         /* the next value follows a key */
        int error;
} JsonWriter;

void json_writer_init(JsonWriter *w, bool pretty);
/* bracket is '{' or '['; close with the matching one. */
void json_writer_open(JsonWriter *w, char bracket);
void json_writer_close(JsonWriter *w, char bracket);
void json_writer_key(JsonWriter *w, const char *key);
void json_writer_string(JsonWriter *w, const char *s);
void json_writer_int(JsonWriter *w, int64_t n);
/* The text (NUL-terminated, no final newline), or the first error. Frees the writer's buffer on error. */
int json_writer_finish(JsonWriter *w, char **ret);

/* {"mdev_type": ..., "start": "auto"|"manual", "attrs": [{name: value}, ...]} */
void mdevctl_json_config(JsonWriter *w, const IdxdDefinition *d);
/* [{"name":"value"},...], compact: the attributes column of ListMdevsByFileDescriptor. */
int mdevctl_json_attrs_text(const IdxdAttr *attrs, size_t n, char **ret);
/* One device's configuration alone: list --dumpjson -u, a callout's standard input (compact). */
int mdevctl_json_config_text(const IdxdDefinition *d, bool pretty, char **ret);

/* [{"<parent>": [{"<uuid>": config}, ...], ...}], or [] for none; sorted by parent, then UUID. */
int mdevctl_json_list(IdxdDefinition *const *devices, size_t n, char **ret);

typedef struct MdevctlType {
        const char *parent;
        const char *id;
        unsigned available_instances;
        const char *device_api;
        const char *name;               /* NULL or "": left out */
        const char *description;        /* NULL or "": left out; newlines become ", " */
} MdevctlType;

/* A type's description as mdevctl shows it: trimmed, ", " for each newline. NULL: out of memory. */
char *mdevctl_description_line(const char *s);

/* [{"<parent>": [{"<type>": {...}}, ...]}], or []: sorted by parent, then type. */
int mdevctl_json_types(const MdevctlType *types, size_t n, char **ret);

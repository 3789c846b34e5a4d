/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdevctl-json.h"

void json_writer_init(JsonWriter *w, bool pretty) {
        *w = (JsonWriter) { .pretty = pretty };
        w->empty[0] = true;
}

static void put(JsonWriter *w, const char *s, size_t n) {
        if (w->error)
                return;
        if (w->length + n + 1 > w->allocated) {
                size_t m = w->allocated ? w->allocated * 2 : 256;
                char *t;

                while (m < w->length + n + 1)
                        m *= 2;
                t = realloc(w->text, m);
                if (!t) {
                        w->error = -ENOMEM;
                        return;
                }
                w->text = t;
                w->allocated = m;
        }
        memcpy(w->text + w->length, s, n);
        w->length += n;
        w->text[w->length] = 0;
}

static void puts_(JsonWriter *w, const char *s) {
        put(w, s, strlen(s));
}

static void newline_indent(JsonWriter *w, unsigned depth) {
        if (!w->pretty)
                return;
        put(w, "\n", 1);
        for (unsigned i = 0; i < depth; i++)
                put(w, "  ", 2);
}

/* Before a key, or a value that is not after a key: the separator and the indent. */
static void begin_item(JsonWriter *w) {
        if (w->after_key) {
                w->after_key = false;
                return;
        }
        if (w->depth == 0)
                return;
        if (!w->empty[w->depth])
                put(w, ",", 1);
        w->empty[w->depth] = false;
        newline_indent(w, w->depth);
}

void json_writer_open(JsonWriter *w, char bracket) {
        begin_item(w);
        put(w, &bracket, 1);
        if (w->depth + 1 >= sizeof(w->empty) / sizeof(w->empty[0])) {
                w->error = -E2BIG;
                return;
        }
        w->empty[++w->depth] = true;
}

void json_writer_close(JsonWriter *w, char bracket) {
        if (w->depth == 0) {
                w->error = -EINVAL;
                return;
        }
        if (!w->empty[w->depth])
                newline_indent(w, w->depth - 1);
        w->depth--;
        put(w, &bracket, 1);
}

/* serde_json's escapes: the short ones, \u00xx for other control characters; '/' and UTF-8 as they are. */
static void put_string(JsonWriter *w, const char *s) {
        put(w, "\"", 1);
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                char esc[8];

                switch (*c) {
                case '"':  puts_(w, "\\\""); break;
                case '\\': puts_(w, "\\\\"); break;
                case '\b': puts_(w, "\\b"); break;
                case '\f': puts_(w, "\\f"); break;
                case '\n': puts_(w, "\\n"); break;
                case '\r': puts_(w, "\\r"); break;
                case '\t': puts_(w, "\\t"); break;
                default:
                        if (*c < 0x20) {
                                snprintf(esc, sizeof(esc), "\\u%04x", *c);
                                puts_(w, esc);
                        } else
                                put(w, (const char *) c, 1);
                }
        }
        put(w, "\"", 1);
}

void json_writer_key(JsonWriter *w, const char *key) {
        begin_item(w);
        put_string(w, key);
        puts_(w, w->pretty ? ": " : ":");
        w->after_key = true;
}

void json_writer_string(JsonWriter *w, const char *s) {
        begin_item(w);
        put_string(w, s ? s : "");
}

void json_writer_int(JsonWriter *w, int64_t n) {
        char buf[24];

        begin_item(w);
        snprintf(buf, sizeof(buf), "%" PRId64, n);
        puts_(w, buf);
}

int json_writer_finish(JsonWriter *w, char **ret) {
        if (!w->error && w->depth != 0)
                w->error = -EINVAL;
        if (!w->error && !w->text)
                w->error = -ENODATA;
        if (w->error) {
                int r = w->error;

                free(w->text);
                *w = (JsonWriter) {};
                return r;
        }
        *ret = w->text;
        w->text = NULL;
        return 0;
}

static void write_attrs(JsonWriter *w, const IdxdAttr *attrs, size_t n) {
        json_writer_open(w, '[');
        for (size_t i = 0; i < n; i++) {
                json_writer_open(w, '{');
                json_writer_key(w, attrs[i].name);
                json_writer_string(w, attrs[i].value);
                json_writer_close(w, '}');
        }
        json_writer_close(w, ']');
}

int mdevctl_json_attrs_text(const IdxdAttr *attrs, size_t n, char **ret) {
        JsonWriter w;

        json_writer_init(&w, false);
        write_attrs(&w, attrs, n);
        return json_writer_finish(&w, ret);
}

void mdevctl_json_config(JsonWriter *w, const IdxdDefinition *d) {
        json_writer_open(w, '{');
        json_writer_key(w, "mdev_type");
        json_writer_string(w, d->type);
        json_writer_key(w, "start");
        json_writer_string(w, d->autostart ? "auto" : "manual");
        json_writer_key(w, "attrs");
        write_attrs(w, d->attrs, d->n_attrs);
        json_writer_close(w, '}');
}

int mdevctl_json_config_text(const IdxdDefinition *d, bool pretty, char **ret) {
        JsonWriter w;

        json_writer_init(&w, pretty);
        mdevctl_json_config(&w, d);
        return json_writer_finish(&w, ret);
}

/*
 * mdevctl's map of parents: [{"<parent>": [item, ...], ...}] over items
 * sorted by parent; write_item writes {"<key>": ...} for item i.
 */
typedef const char *(*ItemParent)(const void *items, size_t i);
typedef void (*ItemWrite)(JsonWriter *w, const void *items, size_t i);

static int write_by_parent(const void *items, size_t n, ItemParent parent_of, ItemWrite write_item, char **ret) {
        JsonWriter w;

        if (n == 0)
                return (*ret = strdup("[]")) ? 0 : -ENOMEM;
        json_writer_init(&w, true);
        json_writer_open(&w, '[');
        json_writer_open(&w, '{');
        for (size_t i = 0; i < n; i++) {
                if (i == 0 || strcmp(parent_of(items, i - 1), parent_of(items, i)) != 0) {
                        if (i > 0)
                                json_writer_close(&w, ']');
                        json_writer_key(&w, parent_of(items, i));
                        json_writer_open(&w, '[');
                }
                json_writer_open(&w, '{');
                write_item(&w, items, i);
                json_writer_close(&w, '}');
        }
        json_writer_close(&w, ']');
        json_writer_close(&w, '}');
        json_writer_close(&w, ']');
        return json_writer_finish(&w, ret);
}

static int compare_by_parent(const void *a, const void *b) {
        const IdxdDefinition *x = *(IdxdDefinition *const *) a, *y = *(IdxdDefinition *const *) b;
        int c = strcmp(strempty(x->parent), strempty(y->parent));

        return c != 0 ? c : idxd_uuid_compare(&x->uuid, &y->uuid);
}

static const char *device_parent(const void *items, size_t i) {
        return strempty(((IdxdDefinition *const *) items)[i]->parent);
}

static void write_device(JsonWriter *w, const void *items, size_t i) {
        const IdxdDefinition *d = ((IdxdDefinition *const *) items)[i];

        json_writer_key(w, d->uuid_string);
        mdevctl_json_config(w, d);
}

int mdevctl_json_list(IdxdDefinition *const *devices, size_t n, char **ret) {
        _cleanup_free_ IdxdDefinition **sorted = calloc(n ? n : 1, sizeof(IdxdDefinition *));

        if (!sorted)
                return -ENOMEM;
        if (n > 0)
                memcpy(sorted, devices, n * sizeof(IdxdDefinition *));
        qsort(sorted, n, sizeof(IdxdDefinition *), compare_by_parent);
        return write_by_parent(sorted, n, device_parent, write_device, ret);
}

static int compare_types(const void *a, const void *b) {
        const MdevctlType *x = *(const MdevctlType *const *) a, *y = *(const MdevctlType *const *) b;
        int c = strcmp(strempty(x->parent), strempty(y->parent));

        return c != 0 ? c : strcmp(strempty(x->id), strempty(y->id));
}

char *mdevctl_description_line(const char *s) {
        size_t start = 0, end = strlen(s), o = 0;
        char *out;

        while (start < end && strchr(" \t\r\n", s[start]))
                start++;
        while (end > start && strchr(" \t\r\n", s[end - 1]))
                end--;
        out = malloc((end - start) * 2 + 1);
        if (!out)
                return NULL;
        for (size_t i = start; i < end; i++) {
                if (s[i] == '\n') {
                        out[o++] = ',';
                        out[o++] = ' ';
                } else
                        out[o++] = s[i];
        }
        out[o] = 0;
        return out;
}

static const char *type_parent(const void *items, size_t i) {
        return strempty(((const MdevctlType *const *) items)[i]->parent);
}

static void write_type(JsonWriter *w, const void *items, size_t i) {
        const MdevctlType *t = ((const MdevctlType *const *) items)[i];

        json_writer_key(w, strempty(t->id));
        json_writer_open(w, '{');
        json_writer_key(w, "available_instances");
        json_writer_int(w, t->available_instances);
        json_writer_key(w, "device_api");
        json_writer_string(w, strempty(t->device_api));
        if (t->name && *t->name) {
                json_writer_key(w, "name");
                json_writer_string(w, t->name);
        }
        if (t->description && *t->description) {
                _cleanup_free_ char *line = mdevctl_description_line(t->description);

                if (!line)
                        w->error = -ENOMEM;
                else if (*line) {
                        json_writer_key(w, "description");
                        json_writer_string(w, line);
                }
        }
        json_writer_close(w, '}');
}

int mdevctl_json_types(const MdevctlType *types, size_t n, char **ret) {
        _cleanup_free_ const MdevctlType **sorted = calloc(n ? n : 1, sizeof(MdevctlType *));

        if (!sorted)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                sorted[i] = &types[i];
        qsort(sorted, n, sizeof(MdevctlType *), compare_types);
        return write_by_parent(sorted, n, type_parent, write_type, ret);
}

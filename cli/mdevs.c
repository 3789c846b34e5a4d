/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mdevs of a ListMdevs or ListMdevsByFileDescriptor reply, read straight into records. */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-json.h"
#include "macro.h"
#include "mdev-table.h"
#include "mdevctl-json.h"
#include "mdevs.h"
#include "prefault.h"
#include "text-buffer.h"

/* Where each known key goes; the offset is into MdevRecord. */
static const struct {
        const char *key;
        char type;
        size_t offset;
} mdev_fields[] = {
        { "uuid",        's', offsetof(MdevRecord, uuid) },
        { "path",        'o', offsetof(MdevRecord, path) },
        { "parent",      's', offsetof(MdevRecord, parent) },
        { "type",        's', offsetof(MdevRecord, type) },
        { "state",       's', offsetof(MdevRecord, state) },
        { "domain",      's', offsetof(MdevRecord, domain) },
        { "registration", 's', offsetof(MdevRecord, registration) },
        { "wq",          's', offsetof(MdevRecord, wq) },
        { "reason",      's', offsetof(MdevRecord, reason) },
        { "attrs",       'A', offsetof(MdevRecord, attrs) },
        { "persistent",  'b', offsetof(MdevRecord, persistent) },
        { "autostart",   'b', offsetof(MdevRecord, autostart) },
        { "ims_vectors", 'u', offsetof(MdevRecord, ims_vectors) },
};

static int find_field(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(mdev_fields); i++)
                if (strcmp(mdev_fields[i].key, key) == 0)
                        return (int) i;
        return -ENOENT;
}

/* An a(ss) of attributes, kept as the JSON text the memfd's column carries. */
static int read_attrs(sd_bus_message *m, MdevRecord *rec) {
        _cleanup_free_ IdxdAttr *attrs = NULL;
        const char *name, *value;
        char *text = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a(ss)");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "(ss)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(ss)", &name, &value)) > 0) {
                IdxdAttr *a = reallocarray(attrs, n + 1, sizeof(IdxdAttr));

                if (!a)
                        return -ENOMEM;
                attrs = a;
                attrs[n++] = (IdxdAttr) { (char *) name, (char *) value };
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = mdevctl_json_attrs_text(attrs, n, &text);
        if (r < 0)
                return r;
        rec->attrs = text;
        rec->attrs_allocated = true;
        return 0;
}

static int read_value(sd_bus_message *m, MdevRecord *rec, const char *key) {
        const char *contents;
        void *field;
        int i, b, r;

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;

        i = find_field(key);
        if (i >= 0 && mdev_fields[i].type == 'A' && strcmp(contents, "a(ss)") == 0 && !rec->attrs)
                return read_attrs(m, rec);
        /* Unknown, or not of the documented type: as if not sent. */
        if (i < 0 || contents[0] != mdev_fields[i].type || contents[1] != '\0')
                return sd_bus_message_skip(m, "v");

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, contents);
        if (r < 0)
                return r;
        field = (char *) rec + mdev_fields[i].offset;
        switch (mdev_fields[i].type) {
        case 'b':
                r = sd_bus_message_read_basic(m, 'b', &b);
                *(bool *) field = b;
                break;
        case 'u':
                r = sd_bus_message_read_basic(m, 'u', field);
                rec->has_ims_vectors = true;
                break;
        default:
                r = sd_bus_message_read_basic(m, mdev_fields[i].type, field);
                break;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* Grows records by one; returns the new slot. */
static MdevRecord *records_push(MdevRecord **records, size_t *n, size_t *allocated) {
        if (*n == *allocated) {
                size_t k = *allocated ? *allocated * 2 : 256;
                MdevRecord *p = reallocarray(*records, k, sizeof(MdevRecord));

                if (!p)
                        return NULL;
                *records = p;
                *allocated = k;
        }
        return memset(&(*records)[(*n)++], 0, sizeof(MdevRecord));
}

static int read_record(sd_bus_message *m, MdevRecord *rec) {
        int r;

        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv")) > 0) {
                const char *key;

                r = sd_bus_message_read_basic(m, 's', &key);
                if (r < 0)
                        return r;
                r = read_value(m, rec, key);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        return r;
}

void mdev_records_free(MdevRecord *records, size_t n) {
        for (size_t i = 0; records && i < n; i++)
                if (records[i].attrs_allocated)
                        free((char *) records[i].attrs);
        free(records);
}

typedef struct RecordsFree {
        MdevRecord *records;
        size_t n;
} RecordsFree;

static void records_freep(RecordsFree *f) {
        mdev_records_free(f->records, f->n);
}

int mdev_records_read(sd_bus_message *reply, MdevRecord **ret, size_t *ret_n) {
        _cleanup_(records_freep) RecordsFree owned = {};
        MdevRecord *records = NULL;
        size_t n = 0, allocated = 0;
        int r;

        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "a{sv}");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "{sv}")) > 0) {
                MdevRecord *rec = records_push(&records, &n, &allocated);

                owned = (RecordsFree) { records, n };
                if (!rec)
                        return -ENOMEM;
                r = read_record(reply, rec);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;

        owned = (RecordsFree) {};
        *ret = records;
        *ret_n = n;
        return 0;
}

/* A column's text into its record field; a value of the wrong form is as if not sent. */
static void set_from_text(MdevRecord *rec, int field, const char *value) {
        void *p = (char *) rec + mdev_fields[field].offset;
        char *end;

        if (!value)
                return;
        switch (mdev_fields[field].type) {
        case 'b':
                if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)
                        *(bool *) p = value[0] == 't';
                break;
        case 'u': {
                unsigned long v;

                errno = 0;
                v = strtoul(value, &end, 10);
                if (errno == 0 && *value >= '0' && *value <= '9' && !*end && v <= UINT32_MAX) {
                        *(uint32_t *) p = (uint32_t) v;
                        rec->has_ims_vectors = true;
                }
                break;
        }
        default:
                *(const char **) p = value;
                break;
        }
}

int mdev_records_parse_table(char *text, size_t size, MdevRecord **ret, size_t *ret_n) {
        _cleanup_free_ MdevRecord *records = NULL;
        char *fields[MDEV_TABLE_MAX_COLUMNS], *cursor = text, *end = text + size;
        int columns[MDEV_TABLE_MAX_COLUMNS];
        size_t n = 0, allocated = 0;
        int n_columns, k;

        n_columns = mdev_table_next_line(&cursor, end, fields, ELEMENTSOF(fields));
        if (n_columns <= 0)
                return n_columns < 0 ? n_columns : -EBADMSG;       /* no header */

        /* One allocation: a record per line left. */
        for (const char *p = cursor; p < end && (p = memchr(p, '\n', end - p)); p++)
                allocated++;
        records = calloc(allocated ? allocated : 1, sizeof(MdevRecord));
        if (!records)
                return -ENOMEM;
        prefault(records, allocated * sizeof(MdevRecord));
        for (int c = 0; c < n_columns; c++)
                columns[c] = fields[c] ? find_field(fields[c]) : -ENOENT;

        while ((k = mdev_table_next_line(&cursor, end, fields, ELEMENTSOF(fields))) > 0) {
                MdevRecord *rec;

                if (k != n_columns)
                        return -EBADMSG;
                rec = records_push(&records, &n, &allocated);
                if (!rec)
                        return -ENOMEM;
                for (int c = 0; c < n_columns; c++)
                        if (columns[c] >= 0)
                                set_from_text(rec, columns[c], fields[c]);
        }
        if (k < 0)
                return k;

        *ret = TAKE_PTR(records);
        *ret_n = n;
        return 0;
}

/* A bound on what a daemon may hand over: far above 10,000 mdevs (about 2 MB). */
#define MDEV_TABLE_SIZE_MAX (256U * 1024 * 1024)

int mdev_records_read_fd(sd_bus_message *reply, char **ret_text, MdevRecord **ret, size_t *ret_n) {
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t size = 0;
        int fd, r;

        r = sd_bus_message_read_basic(reply, 'h', &fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_size < 0 || (uint64_t) st.st_size > MDEV_TABLE_SIZE_MAX)
                return -EBADMSG;

        text = malloc((size_t) st.st_size + 1);
        if (!text)
                return -ENOMEM;
        prefault(text, (size_t) st.st_size + 1);
        /* pread(): the daemon's write offset is shared with this descriptor. */
        while (size < (size_t) st.st_size) {
                ssize_t k = pread(fd, text + size, (size_t) st.st_size - size, (off_t) size);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -EBADMSG;
                size += (size_t) k;
        }
        text[size] = '\0';

        r = mdev_records_parse_table(text, size, ret, ret_n);
        if (r < 0)
                return r;
        *ret_text = TAKE_PTR(text);
        return 0;
}

int mdev_record_compare(const void *a, const void *b) {
        const MdevRecord *x = a, *y = b;
        int r;

        r = strcmp(strempty(x->parent), strempty(y->parent));
        if (r != 0)
                return r;
        return strcmp(strempty(x->uuid), strempty(y->uuid));
}

/* Parents that the linear sort tells apart; more and it leaves the work to qsort(). */
#define SORT_PARENTS_MAX 64

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * Stable, by parent, in linear time and in place (each record moved along
 * the cycles of the permutation, no second array of records): false, with
 * nothing moved, past SORT_PARENTS_MAX parents or without memory.
 */
static bool group_by_parent(MdevRecord *m, size_t n) {
        const char *parents[SORT_PARENTS_MAX], *sorted_parents[SORT_PARENTS_MAX];
        size_t start[SORT_PARENTS_MAX] = {}, n_parents = 0, last = 0;
        _cleanup_free_ uint32_t *dest = NULL;

        if (n > UINT32_MAX)
                return false;
        dest = malloc(n * sizeof(uint32_t));
        if (!dest)
                return false;
        for (size_t i = 0; i < n; i++) {
                const char *p = strempty(m[i].parent);
                size_t k = last;

                if (n_parents == 0 || strcmp(parents[k], p) != 0)
                        for (k = 0; k < n_parents && strcmp(parents[k], p) != 0; k++)
                                ;
                if (k == n_parents) {
                        if (n_parents == SORT_PARENTS_MAX)
                                return false;
                        parents[n_parents++] = p;
                }
                dest[i] = (uint32_t) k;
                start[k]++;
                last = k;
        }

        /* Each parent's first place: after the records of the parents whose names sort before it. */
        memcpy(sorted_parents, parents, n_parents * sizeof(char *));
        qsort(sorted_parents, n_parents, sizeof(char *), compare_strings);
        for (size_t s = 0, place = 0; s < n_parents; s++)
                for (size_t k = 0; k < n_parents; k++)
                        if (parents[k] == sorted_parents[s]) {
                                size_t count = start[k];

                                start[k] = place;
                                place += count;
                                break;
                        }
        for (size_t i = 0; i < n; i++)
                dest[i] = (uint32_t) start[dest[i]]++;

        /* Record i belongs at dest[i]: follow each cycle once, marking a placed record with dest[i] == i. */
        for (size_t i = 0; i < n; i++)
                while (dest[i] != i) {
                        size_t j = dest[i];
                        MdevRecord r = m[j];
                        uint32_t d = dest[j];

                        m[j] = m[i];
                        dest[j] = (uint32_t) j;
                        m[i] = r;
                        dest[i] = d;
                }
        return true;
}

void mdev_records_sort(MdevRecord *m, size_t n) {
        bool by_uuid = true;

        for (size_t i = 1; by_uuid && i < n; i++)
                by_uuid = strcmp(strempty(m[i - 1].uuid), strempty(m[i].uuid)) <= 0;
        if (by_uuid && group_by_parent(m, n))
                return;
        /* qsort() wants a base even for 0. */
        if (n > 0)
                qsort(m, n, sizeof(MdevRecord), mdev_record_compare);
}

/* A JSON string as json-c writes it: \" \\ \b \f \n \r \t, other controls as \u00xx, the rest as is. */
static void json_write_string(TextBuffer *t, const char *s) {
        static const char hex[] = "0123456789abcdef";

        text_add(t, "\"", 1);
        while (*s) {
                const char *run = s;
                char escaped[6];
                unsigned char c;

                while ((unsigned char) *s >= 0x20 && *s != '"' && *s != '\\')
                        s++;
                text_add(t, run, (size_t) (s - run));
                if (!*s)
                        break;
                c = (unsigned char) *s++;
                switch (c) {
                case '"':  text_puts(t, "\\\""); break;
                case '\\': text_puts(t, "\\\\"); break;
                case '\b': text_puts(t, "\\b"); break;
                case '\f': text_puts(t, "\\f"); break;
                case '\n': text_puts(t, "\\n"); break;
                case '\r': text_puts(t, "\\r"); break;
                case '\t': text_puts(t, "\\t"); break;
                default:
                        memcpy(escaped, "\\u00", 4);
                        escaped[4] = hex[c >> 4];
                        escaped[5] = hex[c & 0xf];
                        text_add(t, escaped, sizeof(escaped));
                }
        }
        text_add(t, "\"", 1);
}

/* One member of an mdev's object: the separator, the indentation, the key. */
static void json_write_key(TextBuffer *t, bool first, const char *key) {
        text_puts(t, first ? "\n      \"" : ",\n      \"");
        text_puts(t, key);
        text_add(t, "\": ", 3);
}

static void json_write_string_member(TextBuffer *t, bool first, const char *key, const char *value) {
        json_write_key(t, first, key);
        if (value)
                json_write_string(t, value);
        else
                text_add(t, "null", 4);
}

/* "attrs": [{"name": "value"}, ...] as json-c lays out the tree; attrs is the daemon's compact JSON text. */
static void json_write_attrs_member(TextBuffer *t, const char *attrs) {
        _cleanup_json_ struct json_object *a = attrs ? json_tokener_parse(attrs) : NULL;
        size_t n = json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;

        json_write_key(t, false, "attrs");
        text_add(t, "[", 1);
        for (size_t i = 0; i < n; i++) {
                struct json_object *attr = json_object_array_get_idx(a, i);

                text_puts(t, i > 0 ? ",\n        {" : "\n        {");
                json_object_object_foreach(attr, name, value) {
                        text_puts(t, "\n          ");
                        json_write_string(t, name);
                        text_add(t, ": ", 2);
                        json_write_string(t, strempty(json_object_get_string(value)));
                }
                text_puts(t, "\n        }");
        }
        text_puts(t, "\n      ]");
}

int mdev_records_print_json(FILE *f, const MdevRecord *records, size_t n) {
        _cleanup_free_ TextBuffer *t = NULL;

        t = malloc(sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->f = f;
        t->failed = false;
        t->n = 0;

        text_puts(t, "{\n  \"mdevs\": [");
        for (size_t i = 0; i < n; i++) {
                const MdevRecord *m = &records[i];
                char number[16];

                text_puts(t, i > 0 ? ",\n    {" : "\n    {");
                json_write_string_member(t, true, "uuid", m->uuid);
                json_write_string_member(t, false, "parent", m->parent);
                json_write_string_member(t, false, "type", m->type);
                json_write_string_member(t, false, "state", m->state);
                json_write_string_member(t, false, "domain", m->domain);
                json_write_string_member(t, false, "registration", m->registration);
                json_write_key(t, false, "persistent");
                text_puts(t, m->persistent ? "true" : "false");
                json_write_key(t, false, "autostart");
                text_puts(t, m->autostart ? "true" : "false");
                json_write_key(t, false, "ims_vectors");
                if (m->has_ims_vectors) {
                        /* digits from the right: snprintf() cost as much as the rest of the line */
                        char *w = number + sizeof(number);
                        uint32_t v = m->ims_vectors;

                        do
                                *--w = (char) ('0' + v % 10);
                        while ((v /= 10) > 0);
                        text_add(t, w, (size_t) (number + sizeof(number) - w));
                } else
                        text_add(t, "null", 4);
                json_write_string_member(t, false, "wq", m->wq);
                json_write_string_member(t, false, "reason", m->reason);
                json_write_attrs_member(t, m->attrs);
                json_write_string_member(t, false, "path", m->path);
                text_puts(t, "\n    }");
        }
        text_puts(t, "\n  ]\n}\n");
        text_flush(t);
        return !t->failed && fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* D-Bus values as json-c objects, and records with a fixed set of keys. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus-json.h"
#include "macro.h"

static int read_basic(sd_bus_message *m, char type, struct json_object **ret) {
        union {
                uint8_t y;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                int b;
                const char *s;
        } v;
        struct json_object *o;
        int r;

        if (!strchr("ynqiuxtdbsogh", type))
                return -EBADMSG;

        r = sd_bus_message_read_basic(m, type, &v);
        if (r < 0)
                return r;

        switch (type) {
        case 'y': o = json_object_new_int(v.y); break;
        case 'n': o = json_object_new_int(v.n); break;
        case 'q': o = json_object_new_int(v.q); break;
        case 'i':
        case 'h': o = json_object_new_int(v.i); break;
        case 'u': o = json_object_new_int64(v.u); break;
        case 'x': o = json_object_new_int64(v.x); break;
        case 't': o = json_object_new_uint64(v.t); break;
        case 'd': o = json_object_new_double(v.d); break;
        case 'b': o = json_object_new_boolean(v.b); break;
        default:  o = json_object_new_string(v.s); break;
        }
        if (!o)
                return -ENOMEM;
        *ret = o;
        return 0;
}

/* Reads values until the end of the container m is in, appending each to array. */
static int read_sequence(sd_bus_message *m, struct json_object *array) {
        int r;

        while ((r = sd_bus_message_at_end(m, false)) == 0) {
                struct json_object *v;

                r = bus_message_read_json(m, &v);
                if (r < 0)
                        return r;
                if (json_object_array_add(array, v) < 0) {
                        json_object_put(v);
                        return -ENOMEM;
                }
        }
        return r < 0 ? r : 0;
}

static int read_dict(sd_bus_message *m, const char *contents, struct json_object **ret) {
        _cleanup_json_ struct json_object *o = NULL;
        _cleanup_free_ char *entry = NULL;
        size_t n = strlen(contents);
        int r;

        /* contents is "{kv}"; a dict entry is entered with "kv". */
        if (n < 4 || contents[n - 1] != SD_BUS_TYPE_DICT_ENTRY_END)
                return -EBADMSG;
        entry = strndup(contents + 1, n - 2);
        o = json_object_new_object();
        if (!entry || !o)
                return -ENOMEM;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, contents);
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, entry)) > 0) {
                _cleanup_json_ struct json_object *key = NULL;
                struct json_object *value;

                r = read_basic(m, entry[0], &key);
                if (r < 0)
                        return r;
                r = bus_message_read_json(m, &value);
                if (r < 0)
                        return r;
                /* json_object_get_string() gives the text of any key type. */
                if (json_object_object_add(o, json_object_get_string(key), value) < 0) {
                        json_object_put(value);
                        return -ENOMEM;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(o);
        return 0;
}

static int read_container(sd_bus_message *m, char type, const char *contents, struct json_object **ret) {
        _cleanup_json_ struct json_object *o = NULL;
        int r;

        r = sd_bus_message_enter_container(m, type, contents);
        if (r < 0)
                return r;

        if (type == SD_BUS_TYPE_VARIANT)
                r = bus_message_read_json(m, &o);
        else {
                o = json_object_new_array();
                r = o ? read_sequence(m, o) : -ENOMEM;
        }
        if (r < 0)
                return r;

        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(o);
        return 0;
}

int bus_message_read_json(sd_bus_message *m, struct json_object **ret) {
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENXIO;  /* no value left */

        if (type == SD_BUS_TYPE_ARRAY && contents[0] == SD_BUS_TYPE_DICT_ENTRY_BEGIN)
                return read_dict(m, contents, ret);
        if (type == SD_BUS_TYPE_ARRAY || type == SD_BUS_TYPE_STRUCT || type == SD_BUS_TYPE_VARIANT)
                return read_container(m, type, contents, ret);
        return read_basic(m, type, ret);
}

struct json_object *json_record_new(struct json_object *src, const char *const *keys) {
        _cleanup_json_ struct json_object *o = json_object_new_object();

        if (!o)
                return NULL;

        for (const char *const *k = keys; *k; k++) {
                struct json_object *v = NULL;

                (void) json_object_object_get_ex(src, *k, &v);
                if (json_object_object_add(o, *k, json_object_get(v)) < 0) {
                        json_object_put(v);
                        return NULL;
                }
        }
        return TAKE_PTR(o);
}

struct json_object *json_records_new(struct json_object *src_array, const char *const *keys) {
        _cleanup_json_ struct json_object *a = json_object_new_array();
        size_t n;

        if (!a)
                return NULL;

        /* json_object_array_length() asserts on anything but an array. */
        n = json_object_is_type(src_array, json_type_array) ? json_object_array_length(src_array) : 0;

        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(src_array, i), *record;

                if (!json_object_is_type(e, json_type_object))
                        continue;
                record = json_record_new(e, keys);
                if (!record)
                        return NULL;
                if (json_object_array_add(a, record) < 0) {
                        json_object_put(record);
                        return NULL;
                }
        }
        return TAKE_PTR(a);
}

const char *json_record_string(struct json_object *o, const char *key) {
        struct json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

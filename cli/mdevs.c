/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mdevs of a ListMdevs reply, read straight into records (fast at 10,000). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "mdevs.h"

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
        { "persistent",  'b', offsetof(MdevRecord, persistent) },
        { "autostart",   'b', offsetof(MdevRecord, autostart) },
        { "ims_vectors", 'u', offsetof(MdevRecord, ims_vectors) },
};

static int read_value(sd_bus_message *m, MdevRecord *rec, const char *key) {
        const char *contents;
        int r;

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ELEMENTSOF(mdev_fields); i++) {
                void *field = (char *) rec + mdev_fields[i].offset;
                int b;

                if (strcmp(mdev_fields[i].key, key) != 0)
                        continue;
                if (contents[0] != mdev_fields[i].type || contents[1] != '\0')
                        break;  /* not the documented type: as if not sent */

                r = sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, contents);
                if (r < 0)
                        return r;
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

        return sd_bus_message_skip(m, "v");
}

static int read_record(sd_bus_message *m, MdevRecord *rec) {
        int r;

        *rec = (MdevRecord) {};

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

int mdev_records_read(sd_bus_message *reply, MdevRecord **ret, size_t *ret_n) {
        _cleanup_free_ MdevRecord *records = NULL;
        size_t n = 0, allocated = 0;
        int r;

        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "a{sv}");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "{sv}")) > 0) {
                if (n == allocated) {
                        size_t k = allocated ? allocated * 2 : 256;
                        MdevRecord *p = reallocarray(records, k, sizeof(MdevRecord));

                        if (!p)
                                return -ENOMEM;
                        records = p;
                        allocated = k;
                }
                r = read_record(reply, &records[n++]);
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

        *ret = TAKE_PTR(records);
        *ret_n = n;
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

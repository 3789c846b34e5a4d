/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The parents the daemon knows, as read by "idxdctl parents" and "idxdctl types". */
#include <string.h>

#include "bus.h"
#include "macro.h"
#include "bus-json.h"
#include "output.h"
#include "parents.h"

static const char *const parent_keys[] = {
        "parent", "syspath", "driver", "numa_node", "ims_size", "ims_available", "types",
        NULL
};

static const char *const type_keys[] = {
        "type", "name", "description", "device_api", "available_instances",
        NULL
};

static int compare_by(struct json_object *const *a, struct json_object *const *b, const char *key) {
        return strcmp(strempty(json_record_string(*a, key)), strempty(json_record_string(*b, key)));
}

static int compare_parents(const void *a, const void *b) {
        return compare_by(a, b, "parent");
}

static int compare_types(const void *a, const void *b) {
        return compare_by(a, b, "type");
}

int idxdctl_list_parents(Idxdctl *ctl, struct json_object **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_json_ struct json_object *reply = NULL, *parents = NULL;
        size_t n;
        int r;

        r = idxdctl_bus_new_call(ctl, "ListParents", &call);
        if (r > 0)
                return r;
        r = idxdctl_bus_call_json(ctl, call, &reply);
        if (r > 0)
                return r;

        parents = json_records_new(reply, parent_keys);
        if (!parents)
                return output_oom();

        n = json_object_array_length(parents);
        for (size_t i = 0; i < n; i++) {
                struct json_object *parent = json_object_array_get_idx(parents, i), *types = NULL, *records;

                (void) json_object_object_get_ex(parent, "types", &types);
                records = json_records_new(types, type_keys);
                if (!records)
                        return output_oom();
                json_object_array_sort(records, compare_types);
                /* Replaces (and releases) the daemon's own array. */
                if (json_object_object_add(parent, "types", records) < 0) {
                        json_object_put(records);
                        return output_oom();
                }
        }
        json_object_array_sort(parents, compare_parents);

        *ret = TAKE_PTR(parents);
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl parents: what can be carved into mdevs, IMS left, how many types. */
#include <stdio.h>

#include "bus-json.h"
#include "idxdctl.h"
#include "macro.h"
#include "output.h"
#include "parents.h"

static const char *const table_columns[] = {
        "PARENT", "DRIVER", "NUMA", "IMS_SIZE", "IMS_AVAILABLE", "TYPES", NULL
};
static const char *const table_keys[] = {
        "parent", "driver", "numa_node", "ims_size", "ims_available", NULL
};

static int print_table(struct json_object *parents) {
        _cleanup_table_ Table *t = table_new(table_columns);
        size_t n = json_object_array_length(parents);

        if (!t)
                return output_oom();
        for (size_t column = 2; column < 6; column++)
                table_set_right_aligned(t, column);

        for (size_t i = 0; i < n; i++) {
                struct json_object *parent = json_object_array_get_idx(parents, i), *types = NULL;
                char count[32];

                for (const char *const *k = table_keys; *k; k++)
                        if (table_add_json_cell(t, parent, *k) < 0)
                                return output_oom();
                (void) json_object_object_get_ex(parent, "types", &types);
                snprintf(count, sizeof(count), "%zu", json_object_array_length(types));
                if (table_add_cell_copy(t, count) < 0)
                        return output_oom();
        }

        table_print(t, stdout);
        return IDXDCTL_EXIT_OK;
}

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        _cleanup_json_ struct json_object *parents = NULL;
        int r;

        if (idxdctl_parse_global_only(ctl, verb, argc, argv, &r))
                return r;

        r = idxdctl_list_parents(ctl, &parents);
        if (r > 0)
                return r;

        if (!ctl->json)
                return print_table(parents);

        return output_json_member("parents", parents);
}

const IdxdctlVerb verb_parents = {
        .name = "parents",
        .summary = "List mdev parents with their IMS and types",
        .usage = "",
        .options = "",
        .run = run,
};

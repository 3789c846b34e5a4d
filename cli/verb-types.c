/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl types: the mdev types of each parent and how many more fit. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bus-json.h"
#include "idxdctl.h"
#include "macro.h"
#include "output.h"
#include "parents.h"

/* The keys of "idxdctl --json types", in order; docs/cli.md documents them. */
static const char *const type_keys[] = {
        "parent", "type", "name", "description", "device_api", "available_instances",
        NULL
};

static const char *const table_columns[] = {
        "PARENT", "TYPE", "AVAILABLE", "DEVICE_API", "NAME", NULL
};
static const char *const table_keys[] = {
        "parent", "type", "available_instances", "device_api", "name", NULL
};

/* One record per (parent, type), the parent's name added to the type's keys. */
static int flatten(struct json_object *parents, const char *only_parent, struct json_object **ret) {
        _cleanup_json_ struct json_object *out = json_object_new_array();
        size_t n = json_object_array_length(parents);

        if (!out)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                struct json_object *parent = json_object_array_get_idx(parents, i), *name = NULL, *types = NULL;
                size_t n_types;

                if (only_parent && strcmp(strempty(json_record_string(parent, "parent")), only_parent) != 0)
                        continue;
                (void) json_object_object_get_ex(parent, "parent", &name);
                (void) json_object_object_get_ex(parent, "types", &types);
                n_types = json_object_array_length(types);

                for (size_t j = 0; j < n_types; j++) {
                        struct json_object *type = json_object_array_get_idx(types, j), *record;

                        /* "parent" first, then the type's own keys. */
                        if (json_object_object_add(type, "parent", json_object_get(name)) < 0)
                                return -ENOMEM;
                        record = json_record_new(type, type_keys);
                        if (!record)
                                return -ENOMEM;
                        if (json_object_array_add(out, record) < 0) {
                                json_object_put(record);
                                return -ENOMEM;
                        }
                }
        }

        *ret = TAKE_PTR(out);
        return 0;
}

static bool has_parent(struct json_object *parents, const char *name) {
        size_t n = json_object_array_length(parents);

        for (size_t i = 0; i < n; i++)
                if (strcmp(strempty(json_record_string(json_object_array_get_idx(parents, i), "parent")), name) == 0)
                        return true;
        return false;
}

static int print_table(struct json_object *types) {
        _cleanup_table_ Table *t = table_new(table_columns);
        size_t n = json_object_array_length(types);

        if (!t)
                return output_oom();
        table_set_right_aligned(t, 2);

        for (size_t i = 0; i < n; i++)
                for (const char *const *k = table_keys; *k; k++)
                        if (table_add_json_cell(t, json_object_array_get_idx(types, i), *k) < 0)
                                return output_oom();

        table_print(t, stdout);
        return IDXDCTL_EXIT_OK;
}

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        static const struct option options[] = {
                { "parent", required_argument, NULL, 'p' },
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        _cleanup_json_ struct json_object *parents = NULL, *types = NULL;
        const char *parent = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, ":hp:", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        parent = optarg;
                        break;
                default:
                        r = idxdctl_global_option(ctl, verb, c, argv);
                        if (r > 0)
                                return r;
                }
        if (ctl->help)
                return idxdctl_verb_help(verb);
        r = idxdctl_check_no_operands(verb, argc, argv);
        if (r > 0)
                return r;

        r = idxdctl_list_parents(ctl, &parents);
        if (r > 0)
                return r;

        if (parent && !has_parent(parents, parent)) {
                fprintf(stderr, "idxdctl: parent '%s' not found: see 'idxdctl parents' for what exists\n", parent);
                return IDXDCTL_EXIT_FAILURE;
        }
        if (flatten(parents, parent, &types) < 0)
                return output_oom();

        if (!ctl->json)
                return print_table(types);

        return output_json_member("types", types);
}

const IdxdctlVerb verb_types = {
        .name = "types",
        .summary = "List mdev types per parent with the instances still available",
        .usage = "[--parent PARENT]",
        .options =
                "  -p --parent PARENT  Only the types of this parent\n",
        .run = run,
};

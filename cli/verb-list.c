/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl list: the mdevs the daemon knows, as a table or JSON. */
#include <string.h>

#include "bus.h"
#include "bus-json.h"
#include "idxdctl.h"
#include "macro.h"
#include "output.h"

/* The keys of "idxdctl --json list", in order; docs/cli.md documents them. */
static const char *const mdev_keys[] = {
        "uuid", "parent", "type", "state", "domain",
        "persistent", "autostart", "ims_vectors", "wq", "path",
        NULL
};

static const char *const table_columns[] = {
        "UUID", "PARENT", "TYPE", "STATE", "DOMAIN", "PERSISTENT", "AUTOSTART", "IMS", NULL
};
static const char *const table_keys[] = {
        "uuid", "parent", "type", "state", "domain", "persistent", "autostart", "ims_vectors", NULL
};

/* By parent, then UUID: stable output whatever order the daemon keeps. */
static int compare_mdevs(const void *a, const void *b) {
        struct json_object *x = *(struct json_object *const *) a, *y = *(struct json_object *const *) b;
        int r;

        r = strcmp(strempty(json_record_string(x, "parent")), strempty(json_record_string(y, "parent")));
        if (r != 0)
                return r;
        return strcmp(strempty(json_record_string(x, "uuid")), strempty(json_record_string(y, "uuid")));
}

/* Appends the filter as a{sv}; only the keys given on the command line go in. */
typedef struct FilterEntry {
        const char *key;
        const char *value;      /* NULL: not given */
} FilterEntry;

static int append_filter(sd_bus_message *m, const FilterEntry *filter, size_t n) {
        int r;

        r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
        for (size_t i = 0; r >= 0 && i < n; i++)
                if (filter[i].value)
                        r = sd_bus_message_append(m, "{sv}", filter[i].key, "s", filter[i].value);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int print_table(struct json_object *mdevs) {
        _cleanup_table_ Table *t = table_new(table_columns);
        size_t n = json_object_array_length(mdevs);

        if (!t)
                return output_oom();
        table_set_right_aligned(t, 7);

        for (size_t i = 0; i < n; i++)
                for (const char *const *k = table_keys; *k; k++)
                        if (table_add_json_cell(t, json_object_array_get_idx(mdevs, i), *k) < 0)
                                return output_oom();

        table_print(t, stdout);
        return IDXDCTL_EXIT_OK;
}

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        static const struct option options[] = {
                { "parent", required_argument, NULL, 'p' },
                { "type",   required_argument, NULL, 't' },
                { "domain", required_argument, NULL, 'd' },
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_json_ struct json_object *reply = NULL, *mdevs = NULL, *out = NULL;
        FilterEntry filter[] = { { "parent", NULL }, { "type", NULL }, { "domain", NULL } };
        int c, r;

        while ((c = getopt_long(argc, argv, ":hp:t:d:", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        filter[0].value = optarg;
                        break;
                case 't':
                        filter[1].value = optarg;
                        break;
                case 'd':
                        filter[2].value = optarg;
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

        r = idxdctl_bus_new_call(ctl, "ListMdevs", &call);
        if (r > 0)
                return r;
        r = append_filter(call, filter, sizeof(filter) / sizeof(filter[0]));
        if (r < 0)
                return output_oom();

        r = idxdctl_bus_call_json(ctl, call, &reply);
        if (r > 0)
                return r;

        mdevs = json_records_new(reply, mdev_keys);
        if (!mdevs)
                return output_oom();
        json_object_array_sort(mdevs, compare_mdevs);

        if (!ctl->json)
                return print_table(mdevs);

        out = json_object_new_object();
        if (!out || json_object_object_add(out, "mdevs", json_object_get(mdevs)) < 0)
                return output_oom();
        output_json(out);
        return IDXDCTL_EXIT_OK;
}

const IdxdctlVerb verb_list = {
        .name = "list",
        .summary = "List mdevs",
        .usage = "[--parent PARENT] [--type TYPE] [--domain DOMAIN]",
        .options =
                "  -p --parent PARENT  Only mdevs on this parent\n"
                "  -t --type TYPE      Only mdevs of this type (id or unambiguous suffix)\n"
                "  -d --domain DOMAIN  Only mdevs assigned to this domain\n",
        .run = run,
};

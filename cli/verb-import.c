/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * idxdctl import --mdevctl [DIR]: mdevctl's persistent mdevs
 * (DIR/<parent>/<uuid>, core/mdevctl-import.c) become idxdd definitions
 * through one CreateMdevs call: persistent, autostart when mdevctl's start
 * is "auto", attributes in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "idxdctl.h"
#include "macro.h"
#include "mdevctl-import.h"
#include "output.h"

enum {
        ARG_MDEVCTL = IDXDCTL_OPTION_VERB_FIRST,
};

/* One request of CreateMdevs, attributes as an ordered a(ss). */
static int append_request(sd_bus_message *call, const IdxdDefinition *def) {
        int r;

        r = sd_bus_message_open_container(call, SD_BUS_TYPE_ARRAY, "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(call, "{sv}{sv}{sv}{sv}{sv}",
                                          "parent", "s", def->parent,
                                          "type", "s", def->type,
                                          "uuid", "s", def->uuid_string,
                                          "persistent", "b", 1,
                                          "autostart", "b", (int) def->autostart);
        if (r >= 0 && def->n_attrs > 0) {
                r = sd_bus_message_open_container(call, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(call, "s", "attrs");
                if (r >= 0)
                        r = sd_bus_message_open_container(call, 'v', "a(ss)");
                if (r >= 0)
                        r = sd_bus_message_open_container(call, 'a', "(ss)");
                for (size_t i = 0; r >= 0 && i < def->n_attrs; i++)
                        r = sd_bus_message_append(call, "(ss)", def->attrs[i].name, def->attrs[i].value);
                for (int k = 0; r >= 0 && k < 3; k++)
                        r = sd_bus_message_close_container(call);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        return r;
}

static int import_definitions(Idxdctl *ctl, const IdxdStoreLoad *l) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        r = idxdctl_bus_new_call(ctl, "CreateMdevs", &call);
        if (r > 0)
                return r;
        r = sd_bus_message_open_container(call, SD_BUS_TYPE_ARRAY, "a{sv}");
        for (size_t i = 0; r >= 0 && i < l->n_definitions; i++)
                r = append_request(call, l->definitions[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r >= 0)
                r = sd_bus_message_append(call, "a{sv}", 0);
        if (r < 0)
                return output_oom();

        return idxdctl_bus_create_batch(ctl, call, l->n_definitions, " imported");
}

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        static const struct option options[] = {
                { "mdevctl", no_argument, NULL, ARG_MDEVCTL },
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        _cleanup_(idxd_store_load_done) IdxdStoreLoad l = {};
        const char *dir = IDXD_MDEVCTL_DIR;
        bool mdevctl = false;
        int c, r, status;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0)
                if (c == ARG_MDEVCTL)
                        mdevctl = true;
                else {
                        r = idxdctl_global_option(ctl, verb, c, argv);
                        if (r > 0)
                                return r;
                }
        if (ctl->help)
                return idxdctl_verb_help(verb);
        if (!mdevctl)
                return idxdctl_usage_error(verb, "say where from: --mdevctl");
        if (optind < argc)
                dir = argv[optind++];
        r = idxdctl_check_no_operands(verb, argc, argv);
        if (r > 0)
                return r;

        r = idxd_mdevctl_load_dir(dir, &l);
        if (r < 0) {
                fprintf(stderr, "idxdctl: cannot read %s: %s\n", dir, strerror(-r));
                return IDXDCTL_EXIT_FAILURE;
        }
        /* A bad file is skipped and said; the rest is imported. */
        for (size_t i = 0; i < l.n_errors; i++)
                fprintf(stderr, "idxdctl: %s\n", l.errors[i]);
        status = l.n_errors > 0 ? IDXDCTL_EXIT_FAILURE : IDXDCTL_EXIT_OK;
        if (l.n_definitions == 0) {
                if (!ctl->json)
                        printf("%s: no mdevctl definitions\n", dir);
                return status;
        }

        r = import_definitions(ctl, &l);
        return r > status ? r : status;
}

const IdxdctlVerb verb_import = {
        .name = "import",
        .summary = "Import mdevctl's persistent mdevs as idxdd definitions",
        .usage = "--mdevctl [DIR]",
        .options =
                "     --mdevctl        Read mdevctl's definitions: DIR/<parent>/<uuid>\n"
                "                      (default DIR " IDXD_MDEVCTL_DIR "); each becomes persistent,\n"
                "                      autostart when mdevctl's start is \"auto\", with its attrs\n",
        .run = run,
};

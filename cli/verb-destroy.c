/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl destroy: removes mdevs by UUID. */
#include <stdbool.h>

#include "bus.h"
#include "idxdctl.h"
#include "macro.h"
#include "output.h"

enum {
        ARG_KEEP_DEFINITION = IDXDCTL_OPTION_VERB_FIRST,
};

static int destroy_one(Idxdctl *ctl, const char *uuid, bool force, bool keep_definition) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        r = idxdctl_bus_new_call(ctl, "DestroyMdev", &call);
        if (r > 0)
                return r;
        r = sd_bus_message_append(call, "sa{sv}", uuid, 2,
                                  "force", "b", force,
                                  "keep_definition", "b", keep_definition);
        if (r < 0)
                return output_oom();
        return idxdctl_bus_call(ctl, call, NULL);
}

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        static const struct option options[] = {
                { "force",           no_argument, NULL, 'f' },
                { "keep-definition", no_argument, NULL, ARG_KEEP_DEFINITION },
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        bool force = false, keep_definition = false;
        int c, r, status = IDXDCTL_EXIT_OK;

        while ((c = getopt_long(argc, argv, ":hf", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        force = true;
                        break;
                case ARG_KEEP_DEFINITION:
                        keep_definition = true;
                        break;
                default:
                        r = idxdctl_global_option(ctl, verb, c, argv);
                        if (r > 0)
                                return r;
                }
        if (ctl->help)
                return idxdctl_verb_help(verb);
        if (optind >= argc)
                return idxdctl_usage_error(verb, "no UUID given");
        /* All UUIDs are checked before the first goes. */
        for (int i = optind; i < argc; i++) {
                r = idxdctl_check_uuid(verb, argv[i]);
                if (r > 0)
                        return r;
        }

        /* One bad UUID does not stop the others; the worst status wins. */
        for (int i = optind; i < argc; i++) {
                r = destroy_one(ctl, argv[i], force, keep_definition);
                if (r > status)
                        status = r;
        }
        return status;
}

const IdxdctlVerb verb_destroy = {
        .name = "destroy",
        .summary = "Destroy mdevs",
        .usage = "[--force] [--keep-definition] UUID...",
        .options =
                "  -f --force            Destroy even when the mdev is in use (e.g. by a guest)\n"
                "     --keep-definition  Remove the device but keep its persistent definition\n",
        .run = run,
};

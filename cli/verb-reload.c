/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl reload: the daemon re-reads its configuration and policy. */
#include "bus.h"
#include "idxdctl.h"
#include "macro.h"

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        static const struct option options[] = {
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                r = idxdctl_global_option(ctl, verb, c, argv);
                if (r > 0)
                        return r;
        }
        if (ctl->help)
                return idxdctl_verb_help(verb);
        r = idxdctl_check_no_operands(verb, argc, argv);
        if (r > 0)
                return r;

        r = idxdctl_bus_new_call(ctl, "Reload", &call);
        if (r > 0)
                return r;
        return idxdctl_bus_call(ctl, call, NULL);
}

const IdxdctlVerb verb_reload = {
        .name = "reload",
        .summary = "Make idxdd re-read its configuration and policy",
        .usage = "",
        .options = "",
        .run = run,
};

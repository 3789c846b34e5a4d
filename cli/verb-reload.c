/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl reload: the daemon re-reads its configuration and policy. */
#include "bus.h"
#include "idxdctl.h"
#include "macro.h"

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        if (idxdctl_parse_global_only(ctl, verb, argc, argv, &r))
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

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl stop: removes an mdev; its definitions stay. */
#include "definitions.h"

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        return idxdctl_run_uuid_verb(ctl, verb, argc, argv, "StopMdev");
}

const IdxdctlVerb verb_stop = {
        .name = "stop",
        .summary = "Remove an mdev and keep its definitions",
        .usage = "UUID [--force]",
        .options =
                "  -f --force  Remove it even when it is in use (e.g. by a guest)\n",
        .run = run,
};

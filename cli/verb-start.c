/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl start: creates the mdev of a definition. */
#include "definitions.h"

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        return idxdctl_run_uuid_verb(ctl, verb, argc, argv, "StartMdev");
}

const IdxdctlVerb verb_start = {
        .name = "start",
        .summary = "Create a defined mdev",
        .usage = "UUID [--parent PARENT]",
        .options =
                "  -p --parent PARENT  The definition under this parent, when the UUID has several\n",
        .run = run,
};

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl undefine: drops definitions; a running mdev stays. */
#include "definitions.h"

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        return idxdctl_run_uuid_verb(ctl, verb, argc, argv, "UndefineMdev");
}

const IdxdctlVerb verb_undefine = {
        .name = "undefine",
        .summary = "Drop an mdev's definitions; a running mdev stays",
        .usage = "UUID [--parent PARENT]",
        .options =
                "  -p --parent PARENT  Only the definition under this parent (default: all of them)\n",
        .run = run,
};

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl define: a persistent definition without creating the mdev; prints its UUID. */
#include <stdio.h>
#include <stdlib.h>

#include "definitions.h"
#include "idxd-bus.h"
#include "macro.h"
#include "output.h"

enum {
        ARG_AUTOSTART = IDXDCTL_OPTION_VERB_FIRST,
        ARG_ATTR,
        ARG_JSONFILE,
};

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        static const struct option options[] = {
                IDXDCTL_MDEV_SPEC_OPTIONS,
                { "autostart", no_argument,       NULL, ARG_AUTOSTART },
                { "attr",      required_argument, NULL, ARG_ATTR },
                { "jsonfile",  required_argument, NULL, ARG_JSONFILE },
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        _cleanup_(idxd_definition_freep) IdxdDefinition *file = NULL;
        _cleanup_free_ IdxdAttr *attrs = calloc(argc > 0 ? (size_t) argc : 1, sizeof(IdxdAttr));
        DefineArgs a = { .parent = "", .type = "", .uuid = "", .attrs = attrs };
        const char *jsonfile = NULL;
        char uuid[IDXD_UUID_STRING_MAX], normalized[IDXD_UUID_STRING_MAX];
        int c, r;

        if (!attrs)
                return output_oom();
        while ((c = idxdctl_next_option(ctl, verb, argc, argv, ":ht:p:u:d:", options, &r)) >= 0)
                switch (c) {
                case 't':
                        a.type = optarg;
                        break;
                case 'p':
                        a.parent = optarg;
                        break;
                case 'u':
                        r = idxdctl_check_uuid(verb, optarg);
                        if (r > 0)
                                return r;
                        (void) idxd_uuid_normalize(optarg, normalized);
                        a.uuid = normalized;
                        break;
                case 'd':
                        a.domain = optarg;
                        break;
                case ARG_AUTOSTART:
                        a.autostart = true;
                        break;
                case ARG_ATTR:
                        if (!idxdctl_parse_attr(optarg, &attrs[a.n_attrs]))
                                return idxdctl_usage_error(verb, "invalid --attr '%s', expected NAME=VALUE", optarg);
                        a.n_attrs++;
                        break;
                case ARG_JSONFILE:
                        jsonfile = optarg;
                        break;
                }
        if (c == -2)
                return r;
        if (idxdctl_end_options(ctl, verb, argc, argv, NULL, &r))
                return r;
        if (jsonfile) {
                if (a.type[0] || a.n_attrs > 0 || a.autostart)
                        return idxdctl_usage_error(verb, "--jsonfile gives the type, start mode and attributes: "
                                                   "not also --type, --autostart or --attr");
                r = idxdctl_read_jsonfile("idxdctl", jsonfile, &file);
                if (r > 0)
                        return r;
                idxdctl_define_args_from_config(&a, file);
        }
        if (!a.parent[0] && !a.uuid[0])
                return idxdctl_usage_error(verb, "--parent is required (or --uuid of an mdev that exists)");

        r = idxdctl_make(ctl, "DefineMdev", &a, uuid);
        if (r > 0)
                return r;
        puts(uuid);
        return IDXDCTL_EXIT_OK;
}

const IdxdctlVerb verb_define = {
        .name = "define",
        .summary = "Define a persistent mdev without creating it and print its UUID",
        .usage = "--parent PARENT --type TYPE [--uuid UUID] [--domain DOMAIN] [--autostart] [--attr NAME=VALUE]... | "
                 "--parent PARENT --jsonfile FILE [--uuid UUID] | --uuid UUID",
        .options =
                "  -p --parent PARENT  Parent sysfs name; it may be absent now\n"
                "  -t --type TYPE      Type: sysfs id, or unambiguous suffix when the parent is here\n"
                "  -u --uuid UUID      The mdev's UUID; default: a new one. Alone: define the mdev\n"
                "                      that exists with that UUID, as it is\n"
                "  -d --domain DOMAIN  Attach the mdev to this libvirt domain\n"
                "     --autostart      Create the mdev whenever its parent is present\n"
                "     --attr NAME=VALUE  A sysfs attribute written after each create, in the\n"
                "                      order given; a name may repeat\n"
                "     --jsonfile FILE  Type, start mode and attributes in mdevctl's JSON format\n"
                "                      (\"-\" reads standard input)\n",
        .run = run,
};

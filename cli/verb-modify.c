/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl modify: changes a definition; a running mdev keeps its settings until its next start (but its domain). */
#include <errno.h>
#include <stdlib.h>

#include "definitions.h"
#include "macro.h"

enum {
        ARG_AUTOSTART = IDXDCTL_OPTION_VERB_FIRST,
        ARG_MANUAL,
        ARG_NO_DOMAIN,
        ARG_ADD_ATTR,
        ARG_REMOVE_ATTR,
        ARG_INDEX,
};

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        static const struct option options[] = {
                { "parent",      required_argument, NULL, 'p' },
                { "type",        required_argument, NULL, 't' },
                { "autostart",   no_argument,       NULL, ARG_AUTOSTART },
                { "manual",      no_argument,       NULL, ARG_MANUAL },
                { "domain",      required_argument, NULL, 'd' },
                { "no-domain",   no_argument,       NULL, ARG_NO_DOMAIN },
                { "add-attr",    required_argument, NULL, ARG_ADD_ATTR },
                { "remove-attr", no_argument,       NULL, ARG_REMOVE_ATTR },
                { "index",       required_argument, NULL, ARG_INDEX },
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        ModifyArgs m = { .autostart = -1, .index = -1 };
        char normalized[IDXD_UUID_STRING_MAX];
        IdxdAttr attr;
        int c, r;

        while ((c = idxdctl_next_option(ctl, verb, argc, argv, ":hp:t:d:", options, &r)) >= 0)
                switch (c) {
                case 'p':
                        m.parent = optarg;
                        break;
                case 't':
                        m.type = optarg;
                        break;
                case ARG_AUTOSTART:
                case ARG_MANUAL:
                        if (m.autostart >= 0)
                                return idxdctl_usage_error(verb, "--autostart and --manual go one at a time");
                        m.autostart = c == ARG_AUTOSTART;
                        break;
                case 'd':
                case ARG_NO_DOMAIN:
                        if (m.domain)
                                return idxdctl_usage_error(verb, "--domain and --no-domain go one at a time");
                        m.domain = c == 'd' ? optarg : "";
                        break;
                case ARG_ADD_ATTR:
                        if (!idxdctl_parse_attr(optarg, &attr))
                                return idxdctl_usage_error(verb, "invalid --add-attr '%s', expected NAME=VALUE", optarg);
                        m.add_attr_name = attr.name;
                        m.add_attr_value = attr.value;
                        break;
                case ARG_REMOVE_ATTR:
                        m.remove_attr = true;
                        break;
                case ARG_INDEX: {
                        char *end;

                        errno = 0;
                        m.index = strtoll(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || m.index < 0 || m.index > UINT32_MAX)
                                return idxdctl_usage_error(verb, "invalid --index '%s', expected 0 or more", optarg);
                        break;
                }
                }
        if (c == -2)
                return r;
        if (idxdctl_end_options(ctl, verb, argc, argv, normalized, &r))
                return r;
        if (m.add_attr_name && m.remove_attr)
                return idxdctl_usage_error(verb, "--add-attr and --remove-attr go one at a time");
        if (m.index >= 0 && !m.add_attr_name && !m.remove_attr)
                return idxdctl_usage_error(verb, "--index goes with --add-attr or --remove-attr");
        return idxdctl_modify(ctl, normalized, &m);
}

const IdxdctlVerb verb_modify = {
        .name = "modify",
        .summary = "Change an mdev's definition; it applies at the next create",
        .usage = "UUID [--parent PARENT] [--type TYPE] [--autostart|--manual] [--domain DOMAIN|--no-domain] "
                 "[--add-attr NAME=VALUE [--index N] | --remove-attr [--index N]]",
        .options =
                "  -p --parent PARENT     The definition under this parent, when the UUID has several\n"
                "  -t --type TYPE         New type\n"
                "     --autostart         Create the mdev whenever its parent is present\n"
                "     --manual            Create it only when asked ('idxdctl start')\n"
                "  -d --domain DOMAIN     Attach the mdev to this libvirt domain (a running one too)\n"
                "     --no-domain         Attach it to no domain\n"
                "     --add-attr NAME=VALUE  Add an attribute at --index (default: at the end)\n"
                "     --remove-attr       Remove the attribute at --index (default: the last)\n"
                "     --index N           Position in the attribute list, from 0\n",
        .run = run,
};

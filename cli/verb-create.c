/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl create: one mdev; prints its UUID. */
#include <stdbool.h>
#include <stdio.h>

#include "bus.h"
#include "bus-json.h"
#include "idxdctl.h"
#include "macro.h"
#include "output.h"
#include "uuid.h"

enum {
        ARG_PERSISTENT = IDXDCTL_OPTION_VERB_FIRST,
        ARG_AUTOSTART,
};

static int append_options(sd_bus_message *m, const char *domain, bool persistent, bool autostart) {
        if (domain)
                return sd_bus_message_append(m, "a{sv}", 3,
                                             "domain", "s", domain,
                                             "persistent", "b", persistent,
                                             "autostart", "b", autostart);
        return sd_bus_message_append(m, "a{sv}", 2,
                                     "persistent", "b", persistent,
                                     "autostart", "b", autostart);
}

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        static const struct option options[] = {
                { "type",       required_argument, NULL, 't' },
                { "parent",     required_argument, NULL, 'p' },
                { "uuid",       required_argument, NULL, 'u' },
                { "domain",     required_argument, NULL, 'd' },
                { "persistent", no_argument,       NULL, ARG_PERSISTENT },
                { "autostart",  no_argument,       NULL, ARG_AUTOSTART },
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        const char *type = NULL, *parent = "", *uuid = NULL, *domain = NULL, *created, *path;
        char normalized[IDXD_UUID_STRING_MAX] = "";
        bool persistent = false, autostart = false;
        int c, r;

        while ((c = getopt_long(argc, argv, ":ht:p:u:d:", options, NULL)) >= 0)
                switch (c) {
                case 't':
                        type = optarg;
                        break;
                case 'p':
                        parent = optarg;
                        break;
                case 'u':
                        uuid = optarg;
                        break;
                case 'd':
                        domain = optarg;
                        break;
                case ARG_PERSISTENT:
                        persistent = true;
                        break;
                case ARG_AUTOSTART:
                        autostart = true;
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
        if (!type || !type[0])
                return idxdctl_usage_error(verb, "--type is required");
        if (uuid) {
                r = idxdctl_check_uuid(verb, uuid);
                if (r > 0)
                        return r;
                (void) idxd_uuid_normalize(uuid, normalized);
        }

        r = idxdctl_bus_new_call(ctl, "CreateMdev", &call);
        if (r > 0)
                return r;
        r = sd_bus_message_append(call, "sss", parent, type, normalized);
        if (r >= 0)
                r = append_options(call, domain, persistent, autostart);
        if (r < 0)
                return output_oom();

        r = idxdctl_bus_call(ctl, call, &reply);
        if (r > 0)
                return r;
        r = sd_bus_message_read(reply, "so", &created, &path);
        if (r < 0)
                return idxdctl_bus_bad_reply("CreateMdev", r);

        if (ctl->json) {
                _cleanup_json_ struct json_object *out = json_object_new_object();

                if (!out ||
                    json_object_object_add(out, "uuid", json_object_new_string(created)) < 0 ||
                    json_object_object_add(out, "path", json_object_new_string(path)) < 0)
                        return output_oom();
                output_json(out);
        } else
                puts(created);
        return IDXDCTL_EXIT_OK;
}

const IdxdctlVerb verb_create = {
        .name = "create",
        .summary = "Create an mdev and print its UUID",
        .usage = "--type TYPE [--parent PARENT] [--uuid UUID] [--domain DOMAIN] [--persistent] [--autostart]",
        .options =
                "  -t --type TYPE      Type: sysfs id (idxd_mdev-dsa-1swq-v1) or unambiguous\n"
                "                      suffix (dsa-1swq-v1); required\n"
                "  -p --parent PARENT  Parent sysfs name; default: the one with most room\n"
                "  -u --uuid UUID      The mdev's UUID; default: a new random one\n"
                "  -d --domain DOMAIN  Attach the mdev to this libvirt domain\n"
                "     --persistent     Keep the definition across daemon restarts and reboots\n"
                "     --autostart      Create the mdev at boot when its parent appears\n",
        .run = run,
};

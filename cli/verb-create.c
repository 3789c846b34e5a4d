/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl create: one mdev; prints its UUID. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "bus-json.h"
#include "idxd-bus.h"
#include "idxdctl.h"
#include "macro.h"
#include "output.h"
#include "progress.h"
#include "uuid.h"

/* One CreateMdevs call; more is a job for several. */
#define CREATE_COUNT_MAX 10000u

enum {
        ARG_PERSISTENT = IDXDCTL_OPTION_VERB_FIRST,
        ARG_AUTOSTART,
};

/* What one mdev is asked to be; --count asks for several alike. */
typedef struct CreateRequest {
        const char *parent;     /* "": the daemon chooses */
        const char *type;
        const char *uuid;       /* "": the daemon generates one */
        const char *domain;     /* NULL: none */
        bool persistent;
        bool autostart;
} CreateRequest;

/* The option entries of CreateMdev, inside an a{sv} the caller opened. */
static int append_option_entries(sd_bus_message *m, const CreateRequest *req) {
        int r = 0;

        if (req->domain)
                r = sd_bus_message_append(m, "{sv}", "domain", "s", req->domain);
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "persistent", "b", req->persistent);
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "autostart", "b", req->autostart);
        return r;
}

static int create_one(Idxdctl *ctl, const CreateRequest *req) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        const char *created, *path;
        int r;

        r = idxdctl_bus_new_call(ctl, "CreateMdev", &call);
        if (r > 0)
                return r;
        r = sd_bus_message_append(call, "sss", req->parent, req->type, req->uuid);
        if (r >= 0)
                r = sd_bus_message_open_container(call, SD_BUS_TYPE_ARRAY, "{sv}");
        if (r >= 0)
                r = append_option_entries(call, req);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r < 0)
                return output_oom();

        r = idxdctl_bus_call_uuid_path(ctl, call, &reply, &created, &path);
        if (r > 0)
                return r;

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

/* The mdevs of a batch that have appeared, from MdevAdded, for the progress line. */
typedef struct CreateProgress {
        Progress progress;
        char (*uuids)[IDXD_UUID_STRING_MAX];    /* sorted */
        size_t n;
        size_t seen;
} CreateProgress;

static int compare_uuid_strings(const void *a, const void *b) {
        return strcmp(a, b);
}

static int on_mdev_added(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        CreateProgress *p = userdata;
        const char *uuid, *path;

        if (sd_bus_message_read(m, "so", &uuid, &path) >= 0 &&
            bsearch(uuid, p->uuids, p->n, IDXD_UUID_STRING_MAX, compare_uuid_strings))
                progress_update(&p->progress, ++p->seen);
        return 0;
}

/*
 * On a terminal: UUIDs chosen here, so that the MdevAdded signals of this
 * batch can be told from others' and counted on a progress line.
 */
static int progress_setup(Idxdctl *ctl, unsigned count, CreateProgress *p, sd_bus_slot **ret_slot) {
        int r;

        progress_init(&p->progress, "created", count);
        if (!p->progress.on)
                return 0;
        p->uuids = calloc(count, IDXD_UUID_STRING_MAX);
        if (!p->uuids)
                return output_oom();
        for (unsigned i = 0; i < count; i++) {
                IdxdUuid u;

                if (idxd_uuid_generate(&u) < 0)
                        return output_oom();
                idxd_uuid_format(&u, p->uuids[i]);
        }
        p->n = count;
        r = idxdctl_bus_connect(ctl);
        if (r > 0)
                return r;
        r = sd_bus_match_signal(ctl->bus, ret_slot, IDXD_BUS_NAME, IDXD_MANAGER_PATH, IDXD_MANAGER_INTERFACE,
                                "MdevAdded", on_mdev_added, p);
        if (r < 0) {
                p->progress.on = false;         /* no progress line, the create goes on */
                return 0;
        }
        ctl->run_bus_while_waiting = true;
        return 0;
}

/* CreateMdevs with count requests alike; a failed request does not stop the others. */
static int create_many(Idxdctl *ctl, const CreateRequest *req, unsigned count) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        CreateProgress progress = {};
        int r;

        r = progress_setup(ctl, count, &progress, &slot);
        if (r > 0)
                return r;
        /* Sorted for the lookups; the order of UUIDs in a batch means nothing. */
        if (progress.uuids)
                qsort(progress.uuids, count, IDXD_UUID_STRING_MAX, compare_uuid_strings);

        r = idxdctl_bus_new_call(ctl, "CreateMdevs", &call);
        if (r > 0)
                return r;
        r = sd_bus_message_open_container(call, SD_BUS_TYPE_ARRAY, "a{sv}");
        for (unsigned i = 0; r >= 0 && i < count; i++) {
                r = sd_bus_message_open_container(call, SD_BUS_TYPE_ARRAY, "{sv}");
                if (r >= 0)
                        r = sd_bus_message_append(call, "{sv}{sv}{sv}",
                                                  "parent", "s", req->parent,
                                                  "type", "s", req->type,
                                                  "uuid", "s", progress.uuids ? progress.uuids[i] : req->uuid);
                if (r >= 0)
                        r = append_option_entries(call, req);
                if (r >= 0)
                        r = sd_bus_message_close_container(call);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r >= 0)
                r = sd_bus_message_append(call, "a{sv}", 0);
        if (r < 0)
                return output_oom();

        r = idxdctl_bus_create_batch(ctl, call, count, NULL);
        progress_end(&progress.progress);
        free(progress.uuids);
        return r;
}

static int parse_count(const IdxdctlVerb *verb, const char *s, unsigned *ret) {
        unsigned long n;
        char *end;

        errno = 0;
        n = strtoul(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || n < 1 || n > CREATE_COUNT_MAX)
                return idxdctl_usage_error(verb, "invalid count '%s', expected 1 to %u", s, CREATE_COUNT_MAX);
        *ret = (unsigned) n;
        return 0;
}

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        static const struct option options[] = {
                IDXDCTL_MDEV_SPEC_OPTIONS,
                { "persistent", no_argument,       NULL, ARG_PERSISTENT },
                { "autostart",  no_argument,       NULL, ARG_AUTOSTART },
                { "count",      required_argument, NULL, 'n' },
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        CreateRequest req = { .parent = "", .uuid = "" };
        const char *uuid = NULL;
        char normalized[IDXD_UUID_STRING_MAX];
        unsigned count = 1;
        int c, r;

        while ((c = getopt_long(argc, argv, ":ht:p:u:d:n:", options, NULL)) >= 0)
                switch (c) {
                case 't':
                        req.type = optarg;
                        break;
                case 'p':
                        req.parent = optarg;
                        break;
                case 'u':
                        uuid = optarg;
                        break;
                case 'd':
                        req.domain = optarg;
                        break;
                case ARG_PERSISTENT:
                        req.persistent = true;
                        break;
                case ARG_AUTOSTART:
                        req.autostart = true;
                        break;
                case 'n':
                        r = parse_count(verb, optarg, &count);
                        if (r > 0)
                                return r;
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
        if (!req.type || !req.type[0])
                return idxdctl_usage_error(verb, "--type is required");
        if (uuid) {
                if (count > 1)
                        return idxdctl_usage_error(verb, "--uuid names one mdev, --count asks for %u", count);
                r = idxdctl_check_uuid(verb, uuid);
                if (r > 0)
                        return r;
                (void) idxd_uuid_normalize(uuid, normalized);
                req.uuid = normalized;
        }

        return count > 1 ? create_many(ctl, &req, count) : create_one(ctl, &req);
}

const IdxdctlVerb verb_create = {
        .name = "create",
        .summary = "Create an mdev and print its UUID",
        .usage = "--type TYPE [--parent PARENT] [--uuid UUID | --count N] [--domain DOMAIN] [--persistent] [--autostart]",
        .options =
                "  -t --type TYPE      Type: sysfs id (idxd_mdev-dsa-1swq-v1) or unambiguous\n"
                "                      suffix (dsa-1swq-v1); required\n"
                "  -p --parent PARENT  Parent sysfs name; default: the one with most room\n"
                "  -u --uuid UUID      The mdev's UUID; default: a new random one\n"
                "  -d --domain DOMAIN  Attach the mdev to this libvirt domain\n"
                "     --persistent     Keep the definition across daemon restarts and reboots\n"
                "     --autostart      Create the mdev at boot when its parent appears\n"
                "  -n --count N        Create N mdevs alike in one call; prints one UUID per\n"
                "                      mdev made and one line per failure\n",
        .run = run,
};

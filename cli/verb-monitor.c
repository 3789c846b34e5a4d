/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * idxdctl monitor: idxdd's events as they happen, from its D-Bus signals
 * (MdevAdded, MdevRemoved, ParentAdded, ParentRemoved, DefinitionChanged,
 * an mdev's State, and the daemon coming and going): one line each, or one
 * JSON object per line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "bus-json.h"
#include "idxd-bus.h"
#include "idxdctl.h"
#include "macro.h"
#include "output.h"
#include "uuid.h"

typedef struct Monitor {
        Idxdctl *ctl;
        unsigned long count;            /* 0: until stopped */
        unsigned long seen;
} Monitor;

/* One event: a line "TIME EVENT key=value...", or a JSON object per line. */
static void emit(Monitor *m, const char *event, const char *const *fields) {
        char when[64];
        struct timespec ts;
        struct tm tm;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", localtime_r(&ts.tv_sec, &tm));
        if (m->ctl->json) {
                _cleanup_json_ struct json_object *o = json_object_new_object();
                char usec[32];

                snprintf(usec, sizeof(usec), "%lld", (long long) ts.tv_sec * 1000000LL + ts.tv_nsec / 1000);
                if (!o || json_object_object_add(o, "event", json_object_new_string(event)) < 0 ||
                    json_object_object_add(o, "time_usec", json_object_new_int64(strtoll(usec, NULL, 10))) < 0)
                        return;
                for (size_t i = 0; fields[i]; i += 2)
                        (void) json_object_object_add(o, fields[i], json_object_new_string(fields[i + 1]));
                puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        } else {
                printf("%s.%03ld %s", when, ts.tv_nsec / 1000000, event);
                for (size_t i = 0; fields[i]; i += 2)
                        printf(" %s=%s", fields[i], fields[i + 1]);
                putchar('\n');
        }
        fflush(stdout);
        m->seen++;
}

static int on_manager_signal(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Monitor *m = userdata;
        const char *member = sd_bus_message_get_member(msg), *a = NULL, *b = NULL, *c = NULL;
        int r;

        if (strcmp(member, "MdevAdded") == 0 || strcmp(member, "MdevRemoved") == 0) {
                r = sd_bus_message_read(msg, "so", &a, &b);
                if (r >= 0)
                        emit(m, member[4] == 'A' ? "mdev-added" : "mdev-removed",
                             (const char *[]) { "uuid", a, "path", b, NULL });
        } else if (strcmp(member, "ParentAdded") == 0 || strcmp(member, "ParentRemoved") == 0) {
                r = sd_bus_message_read(msg, "s", &a);
                if (r >= 0)
                        emit(m, member[6] == 'A' ? "parent-added" : "parent-removed",
                             (const char *[]) { "parent", a, NULL });
        } else if (strcmp(member, "DefinitionChanged") == 0) {
                char event[64];

                r = sd_bus_message_read(msg, "sss", &a, &b, &c);
                snprintf(event, sizeof(event), "mdev-%s", strempty(c));
                if (r >= 0)
                        emit(m, event, (const char *[]) { "uuid", a, "parent", b, NULL });
        }
        return 0;
}

/* org.freedesktop.DBus.Properties.PropertiesChanged of an mdev: its State. */
static int on_properties_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Monitor *m = userdata;
        const char *interface, *path = sd_bus_message_get_path(msg), *slash = path ? strrchr(path, '/') : NULL;
        char uuid[IDXD_UUID_STRING_MAX];
        IdxdUuid u;
        int r;

        r = sd_bus_message_read(msg, "s", &interface);
        if (r < 0 || strcmp(interface, IDXD_MDEV_INTERFACE) != 0 || !slash ||
            idxd_uuid_from_path_element(slash + 1, &u) < 0)
                return 0;
        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        while (r > 0 && (r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key, *value;

                r = sd_bus_message_read(msg, "s", &key);
                if (r >= 0 && strcmp(key, "State") == 0 && sd_bus_message_read(msg, "v", "s", &value) >= 0)
                        emit(m, "mdev-state", (const char *[]) { "uuid", idxd_uuid_format(&u, uuid), "state", value, NULL });
                else if (r >= 0)
                        r = sd_bus_message_skip(msg, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
        }
        return 0;
}

static int on_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0 || strcmp(name, IDXD_BUS_NAME) != 0)
                return 0;
        emit(userdata, new_owner[0] ? "daemon-started" : "daemon-stopped", (const char *[]) { NULL });
        return 0;
}

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        static const struct option options[] = {
                { "count", required_argument, NULL, 'n' },
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        Monitor m = { .ctl = ctl };
        int c, r;

        while ((c = idxdctl_next_option(ctl, verb, argc, argv, ":hn:", options, &r)) >= 0)
                switch (c) {
                case 'n': {
                        char *end;

                        errno = 0;
                        m.count = strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || optarg[0] == '-' || m.count == 0)
                                return idxdctl_usage_error(verb, "invalid --count '%s', expected 1 or more", optarg);
                        break;
                }
                }
        if (c == -2)
                return r;
        if (idxdctl_end_options(ctl, verb, argc, argv, NULL, &r))
                return r;

        r = idxdctl_bus_connect(ctl);
        if (r > 0)
                return r;
        r = sd_bus_match_signal(ctl->bus, NULL, NULL, IDXD_MANAGER_PATH, IDXD_MANAGER_INTERFACE, NULL,
                                on_manager_signal, &m);
        if (r >= 0)
                r = sd_bus_add_match(ctl->bus, NULL,
                                     "type='signal',interface='org.freedesktop.DBus.Properties',"
                                     "member='PropertiesChanged',path_namespace='" IDXD_MDEV_PATH_PREFIX "'",
                                     on_properties_changed, &m);
        if (r >= 0)
                r = sd_bus_add_match(ctl->bus, NULL,
                                     "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                                     "member='NameOwnerChanged',arg0='" IDXD_BUS_NAME "'", on_owner_changed, &m);
        if (r < 0) {
                fprintf(stderr, "idxdctl: cannot subscribe to idxdd's signals: %s: check that dbus runs\n", strerror(-r));
                return IDXDCTL_EXIT_FAILURE;
        }
        /* Subscribed: what happens from now on is seen (tests wait for this line). */
        fprintf(stderr, "idxdctl: monitoring idxdd's events (Ctrl-C stops)\n");

        while (!m.count || m.seen < m.count) {
                r = sd_bus_process(ctl->bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(ctl->bus, UINT64_MAX);
                if (r < 0) {
                        fprintf(stderr, "idxdctl: lost the connection to the bus: %s: check that dbus runs\n",
                                strerror(-r));
                        return IDXDCTL_EXIT_FAILURE;
                }
        }
        return IDXDCTL_EXIT_OK;
}

const IdxdctlVerb verb_monitor = {
        .name = "monitor",
        .summary = "Print idxdd's events as they happen",
        .usage = "[--count N]",
        .options =
                "  -n --count N  Stop after N events\n",
        .run = run,
};

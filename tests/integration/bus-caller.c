/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A hostile or odd caller for the rights tests (test-rights.c), with plain
 * sd-bus so it controls its IDs around connecting:
 *
 *   bus-caller egid-switch ADDRESS UID GID GROUP
 *       connects as UID/GID with no supplementary groups and GROUP as saved
 *       set-group-ID, then makes GROUP its effective group and calls
 *       CreateMdev (a setgid program or a recycled PID does the same)
 *   bus-caller groups ADDRESS UID GID GROUP
 *       the control: GROUP as a supplementary group before connecting
 *   bus-caller flood ADDRESS N
 *       CreateMdevs with N empty requests (run it through setpriv)
 *
 * Prints "ok" or the error name, a space and the message; exits 0 when the
 * call was made (whatever its answer), 1 when it could not be.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "idxd-bus.h"

static int connect_bus(const char *address, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r = sd_bus_new(&bus);

        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                fprintf(stderr, "bus-caller: connecting to %s: %s\n", address, strerror(-r));
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

static int report(int r, sd_bus_error *error) {
        if (r >= 0)
                printf("ok\n");
        else if (sd_bus_error_is_set(error))
                printf("%s %s\n", error->name, error->message ? error->message : "");
        else {
                fprintf(stderr, "bus-caller: call failed: %s\n", strerror(-r));
                return 1;
        }
        return 0;
}

static int create_mdev(sd_bus *bus) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, IDXD_BUS_NAME, IDXD_MANAGER_PATH, IDXD_MANAGER_INTERFACE, "CreateMdev",
                               &error, &reply, "sssa{sv}", "idxd_sim.0", "dsa-1swq-v1", "", 0);
        r = report(r, &error);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
        return r;
}

/* Drops root for uid/gid with no groups (or just `group`), keeping `saved` as saved set-group-ID. */
static int drop(uid_t uid, gid_t gid, gid_t saved, const gid_t *groups, size_t n_groups) {
        if (setgroups(n_groups, groups) < 0 || setresgid(gid, gid, saved) < 0 || setresuid(uid, uid, uid) < 0) {
                fprintf(stderr, "bus-caller: dropping to %u:%u: %m\n", (unsigned) uid, (unsigned) gid);
                return -errno;
        }
        return 0;
}

static int identity_call(const char *mode, const char *address, uid_t uid, gid_t gid, gid_t group) {
        sd_bus *bus = NULL;
        int r;

        if (strcmp(mode, "groups") == 0)
                r = drop(uid, gid, gid, &group, 1);
        else
                r = drop(uid, gid, group, NULL, 0);
        if (r < 0)
                return 1;
        if (connect_bus(address, &bus) < 0)
                return 1;
        /* After connecting: what the bus took down stays; /proc/PID/status now says `group`. */
        if (strcmp(mode, "egid-switch") == 0 && setegid(group) < 0) {
                fprintf(stderr, "bus-caller: setegid(%u): %m\n", (unsigned) group);
                return 1;
        }
        r = create_mdev(bus);
        sd_bus_flush_close_unref(bus);
        return r;
}

static int flood(const char *address, unsigned long n) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus *bus = NULL;
        int r;

        if (connect_bus(address, &bus) < 0)
                return 1;
        r = sd_bus_message_new_method_call(bus, &m, IDXD_BUS_NAME, IDXD_MANAGER_PATH, IDXD_MANAGER_INTERFACE,
                                           "CreateMdevs");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "a{sv}");
        for (unsigned long i = 0; r >= 0 && i < n; i++) {
                r = sd_bus_message_open_container(m, 'a', "{sv}");
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r < 0) {
                fprintf(stderr, "bus-caller: building %lu requests: %s\n", n, strerror(-r));
                return 1;
        }
        r = sd_bus_call(bus, m, 120ULL * 1000 * 1000, &error, &reply);
        r = report(r, &error);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        sd_bus_error_free(&error);
        sd_bus_flush_close_unref(bus);
        return r;
}

int main(int argc, char **argv) {
        if (argc == 6 && (strcmp(argv[1], "egid-switch") == 0 || strcmp(argv[1], "groups") == 0)) {
                int r = identity_call(argv[1], argv[2], (uid_t) strtoul(argv[3], NULL, 10),
                                      (gid_t) strtoul(argv[4], NULL, 10), (gid_t) strtoul(argv[5], NULL, 10));

                /* Mixed real and effective GIDs: LeakSanitizer (sanitized builds) could not ptrace us at exit. */
                fflush(stdout);
                _exit(r);
        }
        if (argc == 4 && strcmp(argv[1], "flood") == 0)
                return flood(argv[2], strtoul(argv[3], NULL, 10));
        fprintf(stderr, "usage: bus-caller egid-switch|groups ADDRESS UID GID GROUP | flood ADDRESS N\n");
        return 2;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdd: flags and environment, then the daemon. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "daemon.h"
#include "idxdd-config.h"
#include "log.h"
#include "macro.h"

static void help(void) {
        printf("Usage: idxdd [OPTION...]\n\n"
               "Manage VFIO mediated devices and serve org.idxd.Manager1 on D-Bus.\n\n"
               "  -h --help                 Show this help\n"
               "     --version              Show the version\n"
               "     --sysfs-root=PATH      sysfs root (env IDXDD_SYSFS_ROOT, default /sys)\n"
               "     --dev-root=PATH        /dev root for VFIO groups (env IDXDD_DEV_ROOT, default /dev)\n"
               "     --bus-address=ADDRESS  D-Bus address (env IDXDD_BUS_ADDRESS, default the system bus)\n"
               "     --group=NAME           group allowed to change mdevs (env IDXDD_GROUP, default %s)\n"
               "     --create-timeout=SEC   how long to wait for the kernel (env IDXDD_CREATE_TIMEOUT, default 5)\n"
               "     --creates-in-flight=N  creates written and not yet confirmed, per parent and type\n"
               "                            (env IDXDD_CREATES_IN_FLIGHT; default the config's, else %u)\n"
               "     --libvirt-uri=URI      libvirt to register mdevs with; none = off (env IDXDD_LIBVIRT_URI,\n"
               "                            default qemu:///system)\n"
               "     --state-dir=PATH       persistent definitions (env IDXDD_STATE_DIR; default the config's\n"
               "                            state_dir, else $STATE_DIRECTORY, else %s)\n"
               "     --config-dir=PATH      idxdd.json and policy.d/ (env IDXDD_CONFIG_DIR, default %s)\n"
               "     --policy-dir=PATH      policy files (env IDXDD_POLICY_DIR; default the config's\n"
               "                            policy_dir, else CONFIG_DIR/policy.d)\n"
               "     --callout-dir=PATH     mdevctl-style callout scripts, \"\" for none (env IDXDD_CALLOUT_DIR;\n"
               "                            default the config's callout_dir, else %s)\n"
               "     --callout-timeout=SEC  how long one callout script may run (env IDXDD_CALLOUT_TIMEOUT,\n"
               "                            default the config's callout_timeout, else %d)\n"
               "     --debug                log debug messages (env IDXDD_DEBUG=1)\n",
               IDXD_DEFAULT_GROUP, IDXD_DEFAULT_CREATES_IN_FLIGHT, IDXD_DEFAULT_STATE_DIR, IDXD_DEFAULT_CONFIG_DIR,
               IDXD_DEFAULT_CALLOUT_DIR, IDXD_DEFAULT_CALLOUT_TIMEOUT);
}

static int parse_seconds(const char *s, uint64_t *ret) {
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v <= 0 || v > 3600)
                return -EINVAL;
        *ret = (uint64_t) (v * 1e6);
        return 0;
}

static int parse_count(const char *s, unsigned *ret) {
        unsigned long v;
        char *end;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < 1 || v > IDXD_MAX_CREATES_IN_FLIGHT)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static int parse_argv(int argc, char *argv[], DaemonConfig *config) {
        enum {
                ARG_VERSION = 0x100,
                ARG_SYSFS_ROOT,
                ARG_DEV_ROOT,
                ARG_BUS_ADDRESS,
                ARG_GROUP,
                ARG_CREATE_TIMEOUT,
                ARG_CREATES_IN_FLIGHT,
                ARG_LIBVIRT_URI,
                ARG_STATE_DIR,
                ARG_CONFIG_DIR,
                ARG_POLICY_DIR,
                ARG_CALLOUT_DIR,
                ARG_CALLOUT_TIMEOUT,
                ARG_DEBUG,
        };
        static const struct option options[] = {
                { "help",           no_argument,       NULL, 'h' },
                { "version",        no_argument,       NULL, ARG_VERSION },
                { "sysfs-root",     required_argument, NULL, ARG_SYSFS_ROOT },
                { "dev-root",       required_argument, NULL, ARG_DEV_ROOT },
                { "bus-address",    required_argument, NULL, ARG_BUS_ADDRESS },
                { "group",          required_argument, NULL, ARG_GROUP },
                { "create-timeout", required_argument, NULL, ARG_CREATE_TIMEOUT },
                { "creates-in-flight", required_argument, NULL, ARG_CREATES_IN_FLIGHT },
                { "libvirt-uri",    required_argument, NULL, ARG_LIBVIRT_URI },
                { "state-dir",      required_argument, NULL, ARG_STATE_DIR },
                { "config-dir",     required_argument, NULL, ARG_CONFIG_DIR },
                { "policy-dir",     required_argument, NULL, ARG_POLICY_DIR },
                { "callout-dir",    required_argument, NULL, ARG_CALLOUT_DIR },
                { "callout-timeout", required_argument, NULL, ARG_CALLOUT_TIMEOUT },
                { "debug",          no_argument,       NULL, ARG_DEBUG },
                {}
        };
        const char *timeout = getenv("IDXDD_CREATE_TIMEOUT"), *callout_timeout = getenv("IDXDD_CALLOUT_TIMEOUT");
        const char *in_flight = getenv("IDXDD_CREATES_IN_FLIGHT");
        const char *debug = getenv("IDXDD_DEBUG");
        int c;

        config->sysfs_root = getenv("IDXDD_SYSFS_ROOT");
        config->dev_root = getenv("IDXDD_DEV_ROOT");
        config->bus_address = getenv("IDXDD_BUS_ADDRESS");
        config->group = getenv("IDXDD_GROUP");
        config->libvirt_uri = getenv("IDXDD_LIBVIRT_URI");
        config->state_dir = getenv("IDXDD_STATE_DIR");
        config->config_dir = getenv("IDXDD_CONFIG_DIR");
        config->policy_dir = getenv("IDXDD_POLICY_DIR");
        config->callout_dir = getenv("IDXDD_CALLOUT_DIR");
        log_debug_enabled = debug && *debug && *debug != '0';

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("idxdd %s\n", IDXD_VERSION);
                        return 0;
                case ARG_SYSFS_ROOT:
                        config->sysfs_root = optarg;
                        break;
                case ARG_DEV_ROOT:
                        config->dev_root = optarg;
                        break;
                case ARG_BUS_ADDRESS:
                        config->bus_address = optarg;
                        break;
                case ARG_GROUP:
                        config->group = optarg;
                        break;
                case ARG_CREATE_TIMEOUT:
                        timeout = optarg;
                        break;
                case ARG_CREATES_IN_FLIGHT:
                        in_flight = optarg;
                        break;
                case ARG_LIBVIRT_URI:
                        config->libvirt_uri = optarg;
                        break;
                case ARG_STATE_DIR:
                        config->state_dir = optarg;
                        break;
                case ARG_CONFIG_DIR:
                        config->config_dir = optarg;
                        break;
                case ARG_POLICY_DIR:
                        config->policy_dir = optarg;
                        break;
                case ARG_CALLOUT_DIR:
                        config->callout_dir = optarg;
                        break;
                case ARG_CALLOUT_TIMEOUT:
                        callout_timeout = optarg;
                        break;
                case ARG_DEBUG:
                        log_debug_enabled = 1;
                        break;
                default:
                        return -EINVAL;
                }

        if (optind < argc) {
                log_error("Unexpected argument '%s'; see --help", argv[optind]);
                return -EINVAL;
        }
        if (timeout && parse_seconds(timeout, &config->create_timeout_usec) < 0) {
                log_error("Invalid create timeout '%s': expected seconds, e.g. 5 or 0.5", timeout);
                return -EINVAL;
        }
        if (in_flight && *in_flight && parse_count(in_flight, &config->creates_in_flight) < 0) {
                log_error("Invalid creates in flight '%s': expected a number from 1 to %u", in_flight,
                          IDXD_MAX_CREATES_IN_FLIGHT);
                return -EINVAL;
        }
        if (callout_timeout && parse_seconds(callout_timeout, &config->callout_timeout_usec) < 0) {
                log_error("Invalid callout timeout '%s': expected seconds, e.g. 10 or 0.5", callout_timeout);
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        DaemonConfig config = {};
        Daemon *d = NULL;
        int r;

        r = parse_argv(argc, argv, &config);
        if (r <= 0)
                return r < 0 ? 2 : EXIT_SUCCESS;

        /*
         * Fixed thresholds: a reply of megabytes (ListMdevs or GetManagedObjects
         * at 10,000 mdevs) would raise glibc's dynamic ones, and every later
         * one would stay resident in the heap after it is freed.
         */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        (void) mallopt(M_TRIM_THRESHOLD, 256 * 1024);

        r = daemon_new(&config, &d);
        if (r < 0) {
                log_error_errno(r, "Cannot set up the daemon");
                return EXIT_FAILURE;
        }

        r = daemon_run(d);
        daemon_free(d);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

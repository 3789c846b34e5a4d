/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One test's world: a umockdev testbed with the fake kernel, a private
 * dbus-daemon, the real idxdd on it, and helpers to run the real idxdctl and
 * to make raw D-Bus calls. See docs/testing.md.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <umockdev.h>

#include "fake-kernel.h"

typedef struct Harness {
        char *dir;                      /* 0755 scratch dir: bus socket, state, logs */
        UMockdevTestbed *testbed;
        FakeKernel *kernel;
        char *sys_dir;                  /* real path of the testbed's /sys */
        char *dev_dir;                  /* real path of the testbed's /dev */
        char *state_dir;                /* <scratch>/state, for --state-dir */
        char *policy_dir;               /* <scratch>/policy.d, for --policy-dir */
        char *config_dir;               /* <scratch>/config, for --config-dir (idxdd.json) */
        char *libvirt_uri;              /* a socket nobody listens on, unless a test sets its own */

        GPid bus_pid;
        char *bus_address;
        GDBusConnection *bus;           /* the test's own connection, as root */

        GPid daemon_pid;
        char *daemon_log;               /* set before harness_start_daemon(): its stderr goes to this file */
        guint daemon_starts;
        gboolean daemon_sent_ready;
        char *group;                    /* --group for the daemon; NULL = its default */
        char *daemon_wrapper;           /* a program idxdd runs under (argv[1] on), e.g. tests' fail-fsync */

        GPid polkit_pid;                /* Debian's polkitd on the test bus, in its own mount namespace */
        char *polkit_dir;
} Harness;

/* Testbed, fake kernel and bus; no parents yet. */
Harness *harness_new(void);
/* Stops the daemon (asserting a clean exit) and the bus; removes the scratch dir. */
void harness_free(Harness *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Harness, harness_free)

/* Harness with parents idxd_sim.0 and idxd_sim.1 (`instances` per type) and a running daemon. */
Harness *harness_new_running(guint instances);

/* Starts idxdd and waits for READY=1 on NOTIFY_SOCKET; extra_args may be NULL. */
void harness_start_daemon(Harness *h, const char *const *extra_args);
/* SIGTERM, then waits; fails the test unless the daemon exits with 0 (catches sanitizer reports). */
void harness_stop_daemon(Harness *h);
gboolean harness_daemon_running(Harness *h);
/* What the daemon logged so far, when h->daemon_log is set. */
char *harness_daemon_log(Harness *h);
/* SIGKILL, as a crash or an OOM kill would; no exit status check. */
void harness_kill_daemon(Harness *h);

typedef struct CtlResult {
        int exit_code;                  /* -1 when killed by a signal */
        int signal;
        char *out;
        char *err;
} CtlResult;
void ctl_result_free(CtlResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CtlResult, ctl_result_free)

/* Runs idxdctl with the NULL-terminated arguments, as root. */
CtlResult *harness_ctl(Harness *h, ...) G_GNUC_NULL_TERMINATED;
/* Runs a command line as root, as harness_ctl() runs idxdctl ("idxdctl" as argv[0] means the built CLI). */
CtlResult *harness_run(Harness *h, const char *const *argv);
/* Runs a command line through setpriv as `user`/`group` with `groups` as the
 * supplementary groups ("" = none); argv[0] "idxdctl" means the built CLI. */
CtlResult *harness_run_as(Harness *h, const char *user, const char *group, const char *groups,
                          const char *const *argv);
/* Starts idxdctl without waiting; harness_ctl_wait() collects it. */
GPid harness_ctl_spawn(Harness *h, const char *out_path, const char *err_path, const char *const *args);
CtlResult *harness_ctl_wait(GPid pid, const char *out_path, const char *err_path);

/* Like harness_ctl_spawn() for any command line, as user/group/groups (user NULL: root). */
GPid harness_spawn_as(Harness *h, const char *user, const char *group, const char *groups,
                      const char *const *argv, const char *out_path, const char *err_path);

/*
 * Starts Debian's polkitd on the test bus, as root inside `unshare -m` with
 * our .policy and our rules file (for `group`) plus extra_rules (may be NULL;
 * file 10-test.rules, read first) bind-mounted over polkit's directories, so
 * nothing of the host's is read or touched. Waits until it owns its name.
 * Returns FALSE (after a g_test_message) when polkitd cannot run here.
 */
gboolean harness_start_polkit(Harness *h, const char *group, const char *extra_rules);

/* A method call on org.idxd.Manager1 from the test's own (root) connection. */
GVariant *harness_call(Harness *h, const char *method, GVariant *params, GError **error);

/* Writes `contents` to <scratch>/<name> (config, policy files for the daemon); returns the path. */
char *harness_write_file(Harness *h, const char *name, const char *contents);

/* Iterates the default main context until cond(data) or timeout; returns cond's last value. */
gboolean harness_wait_for(gboolean (*cond)(gpointer data), gpointer data, guint timeout_ms);

/* Asserts that the CLI exited with `code`, printing both streams when not. */
#define assert_ctl_exit(r, code)                                                          \
        G_STMT_START {                                                                    \
                if ((r)->exit_code != (code))                                             \
                        g_error("idxdctl exited %d (signal %d), expected %d\nstdout:\n%s\nstderr:\n%s", \
                                (r)->exit_code, (r)->signal, (code), (r)->out, (r)->err); \
        } G_STMT_END

/* The mdev UUIDs `idxdctl list --json` reports, sorted. */
GPtrArray *harness_list_uuids(Harness *h);

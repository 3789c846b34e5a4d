/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-c/json.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idxd-bus.h"

#define READY_TIMEOUT_MS 20000
#define STOP_TIMEOUT_MS 10000
/* Upper bound for one idxdctl run; coreutils timeout turns a hang into exit 124. */
#define CTL_TIMEOUT "120"

/* meson test sets these; a hand-run test program falls back to its own build tree. */
static const char *required_env(const char *name) {
        static const struct {
                const char *name, *fallback;
        } defaults[] = {
                { "IDXD_TEST_IDXDD", IDXD_TEST_DEFAULT_IDXDD },
                { "IDXD_TEST_IDXDCTL", IDXD_TEST_DEFAULT_IDXDCTL },
                { "IDXD_TEST_BUS_CONFIG", IDXD_TEST_DEFAULT_BUS_CONFIG },
                { "IDXD_TEST_POLKIT_POLICY", IDXD_TEST_DEFAULT_POLKIT_POLICY },
                { "IDXD_TEST_POLKIT_RULES_IN", IDXD_TEST_DEFAULT_POLKIT_RULES_IN },
        };
        const char *v = g_getenv(name);
        if (v && *v)
                return v;
        for (size_t i = 0; i < G_N_ELEMENTS(defaults); i++)
                if (g_str_equal(defaults[i].name, name))
                        return defaults[i].fallback;
        g_error("%s is not set; run the tests through meson test (see docs/testing.md)", name);
}

/*
 * Every child is started through posix_spawn (GLib takes that path without a
 * child_setup and with LEAVE_DESCRIPTORS_OPEN; our own fds are all O_CLOEXEC).
 * A plain fork() could copy a lock of libumockdev-preload held by the fake
 * kernel's thread (umockdev < 0.18 has no atfork handler) and hang the child
 * in its first open(). `setpriv --pdeathsig` makes the child die with the
 * test, even when an assertion aborts it.
 */
static GPid spawn_child(const char *const *argv_in, const char *const *env, int out_fd, int err_fd) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autoptr(GError) error = NULL;
        GPid pid;

        g_ptr_array_add(argv, (char *) "setpriv");
        g_ptr_array_add(argv, (char *) "--pdeathsig=KILL");
        for (; *argv_in; argv_in++)
                g_ptr_array_add(argv, (char *) *argv_in);
        g_ptr_array_add(argv, NULL);
        if (!g_spawn_async_with_pipes_and_fds(NULL, (const char *const *) argv->pdata, env,
                                              G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                              G_SPAWN_LEAVE_DESCRIPTORS_OPEN | G_SPAWN_STDIN_FROM_DEV_NULL,
                                              NULL, NULL, -1, out_fd, err_fd, NULL, NULL, 0,
                                              &pid, NULL, NULL, NULL, &error))
                g_error("starting %s: %s", (char *) argv->pdata[2], error->message);
        return pid;
}

/* Environment for processes that must not see the testbed: the bus, the CLI, setpriv. */
static char **plain_environ(Harness *h) {
        char **env = g_get_environ();
        env = g_environ_unsetenv(env, "LD_PRELOAD");
        env = g_environ_unsetenv(env, "UMOCKDEV_DIR");
        env = g_environ_unsetenv(env, "NOTIFY_SOCKET");
        if (h->bus_address)
                env = g_environ_setenv(env, "DBUS_SYSTEM_BUS_ADDRESS", h->bus_address, TRUE);
        /* idxdctl tells libvirt of definition changes in mdevctl's directory: the scratch one, never the host's. */
        g_autofree char *mdevctl_dir = g_build_filename(h->dir, "mdevctl-stamp", NULL);
        env = g_environ_setenv(env, "IDXDCTL_MDEVCTL_DIR", mdevctl_dir, TRUE);
        return env;
}

static void start_bus(Harness *h) {
        const char *config = required_env("IDXD_TEST_BUS_CONFIG");
        g_autofree char *config_arg = g_strdup_printf("--config-file=%s", config);
        g_autofree char *address_arg = g_strdup_printf("--address=unix:path=%s/bus", h->dir);
        const char *argv[] = { "dbus-daemon", config_arg, "--nofork", "--nopidfile", address_arg,
                               "--print-address=1", NULL };
        g_auto(GStrv) env = plain_environ(h);
        g_autoptr(GError) error = NULL;
        int out_fd;

        int pipe_fds[2];
        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                g_error("pipe: %s", g_strerror(errno));
        h->bus_pid = spawn_child(argv, (const char *const *) env, pipe_fds[1], -1);
        close(pipe_fds[1]);
        out_fd = pipe_fds[0];

        /* It prints the address once it listens. */
        GString *line = g_string_new(NULL);
        char c;
        while (read(out_fd, &c, 1) == 1 && c != '\n')
                g_string_append_c(line, c);
        close(out_fd);
        if (line->len == 0)
                g_error("dbus-daemon printed no address");
        h->bus_address = g_string_free(line, FALSE);

        h->bus = g_dbus_connection_new_for_address_sync(h->bus_address,
                                                        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                        NULL, NULL, &error);
        if (!h->bus)
                g_error("connecting to the test bus %s: %s", h->bus_address, error->message);
        g_dbus_connection_set_exit_on_close(h->bus, FALSE);
}

static void stop_child(GPid pid, int sig, int *ret_status) {
        int status = 0;
        (void) kill(pid, sig);
        gint64 deadline = g_get_monotonic_time() + STOP_TIMEOUT_MS * 1000;
        for (;;) {
                pid_t r = waitpid(pid, &status, WNOHANG);
                if (r == pid)
                        break;
                if (r < 0)
                        g_error("waitpid %d: %s", pid, g_strerror(errno));
                if (g_get_monotonic_time() > deadline) {
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, &status, 0);
                        g_error("process %d did not exit within %d ms of signal %d", pid, STOP_TIMEOUT_MS, sig);
                }
                g_usleep(2000);
        }
        if (ret_status)
                *ret_status = status;
}

Harness *harness_new(void) {
        Harness *h = g_new0(Harness, 1);
        g_autoptr(GError) error = NULL;

        /* Only the testbed makes the process a mock environment, so ask after it exists. */
        h->testbed = umockdev_testbed_new();
        if (!umockdev_in_mock_environment())
                g_error("not running under libumockdev-preload.so.0; run through meson test or umockdev-wrapper");

        h->dir = g_dir_make_tmp("idxdd-test-XXXXXX", &error);
        if (!h->dir)
                g_error("scratch dir: %s", error->message);
        /* The bus socket lives here and callers run as nobody must reach it. */
        (void) chmod(h->dir, 0755);
        h->state_dir = g_build_filename(h->dir, "state", NULL);
        h->policy_dir = g_build_filename(h->dir, "policy.d", NULL);
        h->config_dir = g_build_filename(h->dir, "config", NULL);
        /* No libvirtd listens there: never the host's. */
        h->libvirt_uri = g_strdup_printf("qemu:///system?socket=%s/no-libvirt-sock", h->dir);

        g_autofree char *root = umockdev_testbed_get_root_dir(h->testbed);
        h->sys_dir = umockdev_testbed_get_sys_dir(h->testbed);
        h->dev_dir = g_build_filename(root, "dev", NULL);
        g_autofree char *vfio = g_build_filename(h->dev_dir, "vfio", NULL);
        (void) g_mkdir_with_parents(vfio, 0755);

        h->kernel = fake_kernel_new(h->testbed);
        start_bus(h);
        return h;
}

Harness *harness_new_running(guint instances) {
        Harness *h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", instances);
        fake_kernel_add_parent(h->kernel, "idxd_sim.1", instances);
        harness_start_daemon(h, NULL);
        return h;
}

static void remove_tree(const char *path) {
        g_autoptr(GFile) f = g_file_new_for_path(path);
        g_autoptr(GFileEnumerator) e = g_file_enumerate_children(f, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                                                 G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
        if (e) {
                GFileInfo *info;
                while ((info = g_file_enumerator_next_file(e, NULL, NULL))) {
                        g_autofree char *child = g_build_filename(path, g_file_info_get_name(info), NULL);
                        if (g_file_info_get_file_type(info) == G_FILE_TYPE_DIRECTORY)
                                remove_tree(child);
                        else
                                (void) g_unlink(child);
                        g_object_unref(info);
                }
        }
        (void) g_rmdir(path);
}

void harness_free(Harness *h) {
        if (!h)
                return;
        if (h->daemon_pid > 0)
                harness_stop_daemon(h);
        if (h->bus) {
                (void) g_dbus_connection_close_sync(h->bus, NULL, NULL);
                g_object_unref(h->bus);
        }
        if (h->polkit_pid > 0)
                stop_child(h->polkit_pid, SIGTERM, NULL);
        if (h->bus_pid > 0)
                stop_child(h->bus_pid, SIGTERM, NULL);
        fake_kernel_free(h->kernel);
        g_object_unref(h->testbed);
        remove_tree(h->dir);
        g_free(h->dir);
        g_free(h->sys_dir);
        g_free(h->dev_dir);
        g_free(h->state_dir);
        g_free(h->policy_dir);
        g_free(h->config_dir);
        g_free(h->libvirt_uri);
        g_free(h->bus_address);
        g_free(h->daemon_log);
        g_free(h->group);
        g_free(h->daemon_wrapper);
        g_free(h->polkit_dir);
        g_free(h);
}

/* Creates in flight per queue for the daemon under test: umockdev's netlink
 * (ten datagrams per listener) overflowed with two queues of 4 on a loaded
 * host, and its sender then aborts the test (docs/daemon.md). */
#define HARNESS_CREATES_IN_FLIGHT "2"

static int notify_socket_open(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
        strcpy(sa.sun_path, path);
        (void) unlink(path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                g_error("binding %s: %s", path, g_strerror(errno));
        return fd;
}

static gboolean name_has_owner(Harness *h, const char *name) {
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(h->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                            "org.freedesktop.DBus", "NameHasOwner",
                                                            g_variant_new("(s)", name),
                                                            G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NONE,
                                                            5000, NULL, NULL);
        gboolean owned = FALSE;
        if (r)
                g_variant_get(r, "(b)", &owned);
        return owned;
}

static void daemon_assert_alive(Harness *h) {
        int status;
        if (waitpid(h->daemon_pid, &status, WNOHANG) == h->daemon_pid) {
                h->daemon_pid = 0;
                g_error("idxdd exited during start-up (%s %d); its output is above",
                        WIFEXITED(status) ? "exit code" : "signal",
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        }
}

/* Whether `idxdd --help` mentions the flag; flags arrive as the daemon grows. */
static gboolean daemon_knows_flag(const char *daemon, const char *flag) {
        static GHashTable *known;
        if (!known)
                known = g_hash_table_new(g_str_hash, g_str_equal);
        gpointer cached;
        if (g_hash_table_lookup_extended(known, flag, NULL, &cached))
                return GPOINTER_TO_INT(cached);

        g_autofree char *help_path = g_build_filename(g_get_tmp_dir(), "idxdd-help-XXXXXX", NULL);
        int fd = g_mkstemp_full(help_path, O_RDWR | O_CLOEXEC, 0600);
        g_assert_cmpint(fd, >=, 0);
        const char *argv[] = { daemon, "--help", NULL };
        GPid pid = spawn_child(argv, NULL, fd, -1);
        close(fd);
        (void) waitpid(pid, NULL, 0);
        g_autofree char *out = NULL;
        (void) g_file_get_contents(help_path, &out, NULL, NULL);
        (void) g_unlink(help_path);
        gboolean found = out && strstr(out, flag);
        g_hash_table_insert(known, (gpointer) g_intern_string(flag), GINT_TO_POINTER(found));
        return found;
}

static gboolean args_have_flag(const char *const *args, const char *flag) {
        for (; args && *args; args++)
                if (g_str_has_prefix(*args, flag))
                        return TRUE;
        return FALSE;
}

/*
 * Nothing of the host's: state, policy, config file and libvirt all point into
 * the scratch dir, through whichever of these flags the daemon has (the
 * environment says the same, should a flag be missing). A test's own
 * extra_args win.
 */
static void add_isolation_args(Harness *h, const char *daemon, const char *const *extra_args, GPtrArray *argv) {
        /* Callout scripts a test writes go to <scratch>/callouts (none of the host's run). */
        g_autofree char *callouts = g_build_filename(h->dir, "callouts", NULL);
        const struct {
                const char *flag;
                const char *value;
        } flags[] = {
                { "--state-dir=", h->state_dir },
                { "--policy-dir=", h->policy_dir },
                { "--config-dir=", h->config_dir },
                { "--libvirt-uri=", h->libvirt_uri },
                { "--callout-dir=", callouts },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(flags); i++)
                if (daemon_knows_flag(daemon, flags[i].flag) && !args_have_flag(extra_args, flags[i].flag))
                        g_ptr_array_add(argv, g_strconcat(flags[i].flag, flags[i].value, NULL));

        const char *config_flags[] = { "--config=", "--config-file=" };
        for (size_t i = 0; i < G_N_ELEMENTS(config_flags); i++) {
                if (!daemon_knows_flag(daemon, config_flags[i]) || args_have_flag(extra_args, config_flags[i]))
                        continue;
                g_autofree char *json = g_strdup_printf("{ \"state_dir\": \"%s\", \"policy_dir\": \"%s\", "
                                                        "\"libvirt_uri\": \"%s\" }\n",
                                                        h->state_dir, h->policy_dir, h->libvirt_uri);
                g_autofree char *path = harness_write_file(h, "idxdd.json", json);
                g_ptr_array_add(argv, g_strconcat(config_flags[i], path, NULL));
                break;
        }
}

void harness_start_daemon(Harness *h, const char *const *extra_args) {
        const char *daemon = required_env("IDXD_TEST_IDXDD");
        g_autofree char *notify_path = g_build_filename(h->dir, "notify", NULL);
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);

        g_assert_cmpint(h->daemon_pid, ==, 0);
        if (!g_file_test(daemon, G_FILE_TEST_IS_EXECUTABLE))
                g_error("idxdd is not built at %s", daemon);

        if (h->daemon_wrapper)
                g_ptr_array_add(argv, g_strdup(h->daemon_wrapper));
        g_ptr_array_add(argv, g_strdup(daemon));
        add_isolation_args(h, daemon, extra_args, argv);
        g_ptr_array_add(argv, g_strdup_printf("--dev-root=%s", h->dev_dir));
        if (h->group)
                g_ptr_array_add(argv, g_strdup_printf("--group=%s", h->group));
        /* Two cores, 200 sanitized clients: give the fake kernel room before the daemon gives up. */
        if (daemon_knows_flag(daemon, "--create-timeout"))
                g_ptr_array_add(argv, g_strdup("--create-timeout=20"));
        for (; extra_args && *extra_args; extra_args++)
                g_ptr_array_add(argv, g_strdup(*extra_args));
        g_ptr_array_add(argv, NULL);

        /* The daemon keeps LD_PRELOAD and UMOCKDEV_DIR: its libudev and its opens
         * of /sys go to the testbed, and it hears the testbed's uevents. */
        g_auto(GStrv) env = g_get_environ();
        env = g_environ_setenv(env, "DBUS_SYSTEM_BUS_ADDRESS", h->bus_address, TRUE);
        env = g_environ_setenv(env, "NOTIFY_SOCKET", notify_path, TRUE);
        env = g_environ_setenv(env, "IDXDD_STATE_DIR", h->state_dir, TRUE);
        env = g_environ_setenv(env, "IDXDD_POLICY_DIR", h->policy_dir, TRUE);
        env = g_environ_setenv(env, "IDXDD_LIBVIRT_URI", h->libvirt_uri, TRUE);
        /* umockdev's netlink holds ten datagrams per listener: a harness limit, not the product's. */
        env = g_environ_setenv(env, "IDXDD_CREATES_IN_FLIGHT", HARNESS_CREATES_IN_FLIGHT, FALSE);
        env = g_environ_unsetenv(env, "WATCHDOG_USEC");
        env = g_environ_unsetenv(env, "WATCHDOG_PID");

        int notify_fd = notify_socket_open(notify_path);
        g_autofree char *cmdline = g_strjoinv(" ", (char **) argv->pdata);
        g_test_message("starting %s", cmdline);
        /* Its log goes to the test's stderr, which meson shows for a failed test. */
        int log_fd = -1;
        if (h->daemon_log) {
                log_fd = open(h->daemon_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (log_fd < 0)
                        g_error("opening %s: %s", h->daemon_log, g_strerror(errno));
        }
        h->daemon_pid = spawn_child((const char *const *) argv->pdata, (const char *const *) env, -1, log_fd);
        if (log_fd >= 0)
                close(log_fd);
        h->daemon_starts++;

        gboolean ready = FALSE;
        gint64 deadline = g_get_monotonic_time() + READY_TIMEOUT_MS * 1000;
        while (!ready && g_get_monotonic_time() < deadline) {
                char buf[4096];
                ssize_t n = recv(notify_fd, buf, sizeof(buf) - 1, 0);
                if (n > 0) {
                        buf[n] = '\0';
                        g_auto(GStrv) lines = g_strsplit(buf, "\n", -1);
                        for (char **l = lines; *l; l++)
                                if (g_str_equal(*l, "READY=1"))
                                        ready = TRUE;
                        continue;
                }
                daemon_assert_alive(h);
                g_usleep(5000);
        }
        close(notify_fd);
        (void) unlink(notify_path);
        h->daemon_sent_ready = ready;

        if (!ready) {
                daemon_assert_alive(h);
                if (!name_has_owner(h, IDXD_BUS_NAME))
                        g_error("idxdd sent no READY=1 and does not own %s within %d ms",
                                IDXD_BUS_NAME, READY_TIMEOUT_MS);
                /* /daemon/sd-notify-ready fails on this; the other tests go on. */
                g_test_message("idxdd owns %s but sent no READY=1 within %d ms", IDXD_BUS_NAME, READY_TIMEOUT_MS);
        }
}

char *harness_daemon_log(Harness *h) {
        g_autoptr(GError) error = NULL;
        char *text = NULL;

        g_assert_nonnull(h->daemon_log);
        if (!g_file_get_contents(h->daemon_log, &text, NULL, &error))
                g_error("reading %s: %s", h->daemon_log, error->message);
        return text;
}

gboolean harness_daemon_running(Harness *h) {
        int status;
        return h->daemon_pid > 0 && waitpid(h->daemon_pid, &status, WNOHANG) == 0;
}

void harness_stop_daemon(Harness *h) {
        int status;
        g_assert_cmpint(h->daemon_pid, >, 0);
        stop_child(h->daemon_pid, SIGTERM, &status);
        h->daemon_pid = 0;
        /* Sanitizer reports (leaks, UB, overflows) end the daemon with a non-zero status. */
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                g_autofree char *log = h->daemon_log ? harness_daemon_log(h) : NULL;
                g_error("idxdd did not exit cleanly on SIGTERM (%s %d); its output is %s%s",
                        WIFEXITED(status) ? "exit code" : "signal",
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                        log ? "here:\n" : "above", log ? log : "");
        }
}

void harness_kill_daemon(Harness *h) {
        g_assert_cmpint(h->daemon_pid, >, 0);
        stop_child(h->daemon_pid, SIGKILL, NULL);
        h->daemon_pid = 0;
}

void ctl_result_free(CtlResult *r) {
        if (!r)
                return;
        g_free(r->out);
        g_free(r->err);
        g_free(r);
}

static CtlResult *result_from_status(int status, char *out, char *err) {
        CtlResult *r = g_new0(CtlResult, 1);
        r->out = out ? out : g_strdup("");
        r->err = err ? err : g_strdup("");
        if (WIFEXITED(status)) {
                r->exit_code = WEXITSTATUS(status);
        } else {
                r->exit_code = -1;
                r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        }
        return r;
}

/* "timeout …" then the optional setpriv prefix, then idxdctl with args. */
static GPtrArray *ctl_argv(const char *const *prefix, const char *const *args) {
        GPtrArray *argv = g_ptr_array_new();
        g_ptr_array_add(argv, (char *) "timeout");
        g_ptr_array_add(argv, (char *) "-k");
        g_ptr_array_add(argv, (char *) "5");
        g_ptr_array_add(argv, (char *) CTL_TIMEOUT);
        for (; prefix && *prefix; prefix++)
                g_ptr_array_add(argv, (char *) *prefix);
        for (const char *const *a = args; *a; a++)
                g_ptr_array_add(argv, (char *) (a == args && g_str_equal(*a, "idxdctl") ?
                                                required_env("IDXD_TEST_IDXDCTL") : *a));
        g_ptr_array_add(argv, NULL);
        return argv;
}

static CtlResult *run_sync(Harness *h, GPtrArray *argv) {
        static guint runs;
        g_auto(GStrv) env = plain_environ(h);
        g_autofree char *out_path = g_strdup_printf("%s/run-%u.out", h->dir, runs);
        g_autofree char *err_path = g_strdup_printf("%s/run-%u.err", h->dir, runs++);
        int out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int err_fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        g_assert_cmpint(out_fd, >=, 0);
        g_assert_cmpint(err_fd, >=, 0);

        GPid pid = spawn_child((const char *const *) argv->pdata, (const char *const *) env, out_fd, err_fd);
        close(out_fd);
        close(err_fd);
        CtlResult *r = harness_ctl_wait(pid, out_path, err_path);
        (void) g_unlink(out_path);
        (void) g_unlink(err_path);
        g_autofree char *cmdline = g_strjoinv(" ", (char **) argv->pdata + 4);
        g_test_message("%s → exit %d\n%s%s", cmdline, r->exit_code, r->out, r->err);
        return r;
}

CtlResult *harness_ctl(Harness *h, ...) {
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        va_list ap;
        g_ptr_array_add(args, (char *) "idxdctl");
        va_start(ap, h);
        for (const char *a; (a = va_arg(ap, const char *));)
                g_ptr_array_add(args, (char *) a);
        va_end(ap);
        g_ptr_array_add(args, NULL);

        g_autoptr(GPtrArray) argv = ctl_argv(NULL, (const char *const *) args->pdata);
        return run_sync(h, argv);
}

CtlResult *harness_run(Harness *h, const char *const *argv_in) {
        g_autoptr(GPtrArray) argv = ctl_argv(NULL, argv_in);
        return run_sync(h, argv);
}

CtlResult *harness_run_as(Harness *h, const char *user, const char *group, const char *groups,
                          const char *const *argv_in) {
        g_autofree char *reuid = g_strdup_printf("--reuid=%s", user);
        g_autofree char *regid = g_strdup_printf("--regid=%s", group);
        g_autofree char *groups_arg = groups && *groups ? g_strdup_printf("--groups=%s", groups) : NULL;
        const char *prefix[] = { "setpriv", reuid, regid, groups_arg ? groups_arg : "--clear-groups", NULL };
        g_autoptr(GPtrArray) argv = ctl_argv(prefix, argv_in);
        return run_sync(h, argv);
}

GPid harness_ctl_spawn(Harness *h, const char *out_path, const char *err_path, const char *const *args) {
        g_autoptr(GPtrArray) full = g_ptr_array_new();
        g_ptr_array_add(full, (char *) "idxdctl");
        for (; *args; args++)
                g_ptr_array_add(full, (char *) *args);
        g_ptr_array_add(full, NULL);
        return harness_spawn_as(h, NULL, NULL, NULL, (const char *const *) full->pdata, out_path, err_path);
}

CtlResult *harness_ctl_wait(GPid pid, const char *out_path, const char *err_path) {
        int status = 0;
        char *out = NULL, *err = NULL;
        if (waitpid(pid, &status, 0) != pid)
                g_error("waitpid %d: %s", pid, g_strerror(errno));
        (void) g_file_get_contents(out_path, &out, NULL, NULL);
        (void) g_file_get_contents(err_path, &err, NULL, NULL);
        return result_from_status(status, out, err);
}

GPid harness_spawn_as(Harness *h, const char *user, const char *group, const char *groups,
                      const char *const *argv_in, const char *out_path, const char *err_path) {
        g_autofree char *reuid = user ? g_strdup_printf("--reuid=%s", user) : NULL;
        g_autofree char *regid = user ? g_strdup_printf("--regid=%s", group) : NULL;
        g_autofree char *groups_arg = user && groups && *groups ? g_strdup_printf("--groups=%s", groups) : NULL;
        const char *prefix[] = { "setpriv", reuid, regid, groups_arg ? groups_arg : "--clear-groups", NULL };
        g_autoptr(GPtrArray) argv = ctl_argv(user ? prefix : NULL, argv_in);
        g_auto(GStrv) env = plain_environ(h);
        int out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int err_fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        g_assert_cmpint(out_fd, >=, 0);
        g_assert_cmpint(err_fd, >=, 0);
        GPid pid = spawn_child((const char *const *) argv->pdata, (const char *const *) env, out_fd, err_fd);
        close(out_fd);
        close(err_fd);
        return pid;
}

gboolean harness_start_polkit(Harness *h, const char *group, const char *extra_rules) {
        static const char polkitd[] = "/usr/lib/polkit-1/polkitd";
        g_autoptr(GError) error = NULL;
        g_autofree char *rules_in = NULL;

        if (!g_file_test(polkitd, G_FILE_TEST_IS_EXECUTABLE) || getuid() != 0) {
                g_test_message("%s is not installed or this is not root: no real polkit here", polkitd);
                return FALSE;
        }
        h->polkit_dir = g_build_filename(h->dir, "polkit", NULL);
        g_autofree char *actions = g_build_filename(h->polkit_dir, "actions", NULL);
        g_autofree char *rules = g_build_filename(h->polkit_dir, "rules.d", NULL);
        g_autofree char *etc_rules = g_build_filename(h->polkit_dir, "etc-rules.d", NULL);
        g_assert_cmpint(g_mkdir_with_parents(actions, 0755), ==, 0);
        g_assert_cmpint(g_mkdir_with_parents(rules, 0755), ==, 0);
        g_assert_cmpint(g_mkdir_with_parents(etc_rules, 0755), ==, 0);

        /* Our files as installed: the .policy as is, the rules with the test's group. */
        g_autofree char *policy = NULL;
        if (!g_file_get_contents(required_env("IDXD_TEST_POLKIT_POLICY"), &policy, NULL, &error) ||
            !g_file_get_contents(required_env("IDXD_TEST_POLKIT_RULES_IN"), &rules_in, NULL, &error))
                g_error("reading our polkit files: %s", error->message);
        g_autofree char *policy_path = g_build_filename(actions, "org.idxd.manager1.policy", NULL);
        g_autofree char *rules_path = g_build_filename(rules, "50-org.idxd.manager1.rules", NULL);
        g_auto(GStrv) parts = g_strsplit(rules_in, "@group@", -1);
        g_autofree char *our_rules = g_strjoinv(group, parts);
        g_assert_true(g_file_set_contents(policy_path, policy, -1, NULL));
        g_assert_true(g_file_set_contents(rules_path, our_rules, -1, NULL));
        if (extra_rules) {
                g_autofree char *extra_path = g_build_filename(rules, "10-test.rules", NULL);
                g_assert_true(g_file_set_contents(extra_path, extra_rules, -1, NULL));
        }

        /* Root in a mount namespace of its own: the host's polkit directories stay as they are. Its log (agents registered, rules loaded) goes to the test's stderr. */
        g_autofree char *script = g_strdup_printf(
                "mount --bind '%s' /usr/share/polkit-1/actions && "
                "mount --bind '%s' /usr/share/polkit-1/rules.d && "
                "mount --bind '%s' /etc/polkit-1/rules.d && exec %s",
                actions, rules, etc_rules, polkitd);
        const char *argv[] = { "unshare", "-m", "--propagation", "private", "sh", "-c", script, NULL };
        g_auto(GStrv) env = plain_environ(h);
        h->polkit_pid = spawn_child(argv, (const char *const *) env, -1, -1);

        gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
        while (!name_has_owner(h, "org.freedesktop.PolicyKit1")) {
                int status;
                if (waitpid(h->polkit_pid, &status, WNOHANG) == h->polkit_pid) {
                        h->polkit_pid = 0;
                        g_test_message("polkitd exited at start (status %d): no real polkit here", status);
                        return FALSE;
                }
                if (g_get_monotonic_time() > deadline)
                        g_error("polkitd did not take org.freedesktop.PolicyKit1 within 20 s");
                g_usleep(20000);
        }
        return TRUE;
}

GVariant *harness_call(Harness *h, const char *method, GVariant *params, GError **error) {
        return g_dbus_connection_call_sync(h->bus, IDXD_BUS_NAME, IDXD_MANAGER_PATH, IDXD_MANAGER_INTERFACE,
                                           method, params, NULL, G_DBUS_CALL_FLAGS_NONE, 60000, NULL, error);
}

char *harness_write_file(Harness *h, const char *name, const char *contents) {
        g_autoptr(GError) error = NULL;
        char *path = g_build_filename(h->dir, name, NULL);
        g_autofree char *dir = g_path_get_dirname(path);
        (void) g_mkdir_with_parents(dir, 0755);
        if (!g_file_set_contents(path, contents, -1, &error))
                g_error("writing %s: %s", path, error->message);
        return path;
}

gboolean harness_wait_for(gboolean (*cond)(gpointer data), gpointer data, guint timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
        for (;;) {
                while (g_main_context_iteration(NULL, FALSE))
                        ;
                if (cond(data))
                        return TRUE;
                if (g_get_monotonic_time() > deadline)
                        return FALSE;
                g_usleep(2000);
        }
}

static gint compare_strings(gconstpointer a, gconstpointer b) {
        return g_strcmp0(*(char *const *) a, *(char *const *) b);
}

GPtrArray *harness_list_uuids(Harness *h) {
        g_autoptr(CtlResult) r = harness_ctl(h, "list", "--json", NULL);
        assert_ctl_exit(r, 0);
        json_object *root = json_tokener_parse(r->out);
        if (!root)
                g_error("idxdctl list --json printed no JSON:\n%s", r->out);
        json_object *mdevs = root;
        if (!json_object_is_type(root, json_type_array) && !json_object_object_get_ex(root, "mdevs", &mdevs))
                g_error("idxdctl list --json: neither an array nor an object with \"mdevs\":\n%s", r->out);
        g_assert_true(json_object_is_type(mdevs, json_type_array));

        GPtrArray *uuids = g_ptr_array_new_with_free_func(g_free);
        for (size_t i = 0; i < json_object_array_length(mdevs); i++) {
                json_object *uuid;
                if (!json_object_object_get_ex(json_object_array_get_idx(mdevs, i), "uuid", &uuid))
                        g_error("idxdctl list --json: entry %zu has no \"uuid\":\n%s", i, r->out);
                g_ptr_array_add(uuids, g_strdup(json_object_get_string(uuid)));
        }
        json_object_put(root);
        g_ptr_array_sort(uuids, compare_strings);
        return uuids;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "mdevctl-json.h"
#include "ops.h"
#include "sysfs-path.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);

static int safe_close(int fd) {
        if (fd >= 0)
                (void) close(fd);
        return -EBADF;
}

/* "Not my device type": the next script is asked. */
#define CALLOUT_EXIT_NOT_MINE 2

struct CalloutRun {
        Ops *ops;
        CalloutRun *next;
        CalloutEvent event;
        char *action;
        char *type;
        char *uuid;
        char *parent;
        const char *state;              /* none, success, failure */
        char *config;                   /* the device's JSON, for standard input */
        char **scripts;                 /* to try, in order */
        size_t n_scripts;
        size_t current;
        pid_t pid;
        int pidfd;
        int stderr_fd;
        sd_event_source *exit_source;
        sd_event_source *stderr_source;
        sd_event_source *timer;
        char err[CALLOUT_STDERR_MAX + 1];
        size_t err_length;
        bool timed_out;
        CalloutDone done;
        void *userdata;
};

static const char *const event_names[] = {
        [CALLOUT_EVENT_PRE] = "pre",
        [CALLOUT_EVENT_POST] = "post",
};

static void run_stop_child(CalloutRun *run) {
        run->exit_source = sd_event_source_disable_unref(run->exit_source);
        run->stderr_source = sd_event_source_disable_unref(run->stderr_source);
        run->timer = sd_event_source_disable_unref(run->timer);
        run->pidfd = safe_close(run->pidfd);
        run->stderr_fd = safe_close(run->stderr_fd);
        run->pid = 0;
}

static void run_free(CalloutRun *run) {
        Callouts *c = &run->ops->callouts;

        for (CalloutRun **i = &c->runs; *i; i = &(*i)->next)
                if (*i == run) {
                        *i = run->next;
                        break;
                }
        run_stop_child(run);
        strv_free(run->scripts);
        free(run->action);
        free(run->type);
        free(run->uuid);
        free(run->parent);
        free(run->config);
        free(run);
}

/* Tells the caller and frees the run. */
static void run_finish(CalloutRun *run, int r, const char *message, const char *script) {
        _cleanup_free_ char *script_copy = script ? strdup(script) : NULL;
        CalloutDone done = run->done;
        void *userdata = run->userdata;
        Ops *o = run->ops;

        run_free(run);
        done(o, r, message, script_copy, userdata);
}

/* The executables of the directory in name order; none when it does not exist. */
static int list_scripts(const char *dir, char ***ret, size_t *ret_n) {
        struct dirent **entries = NULL;
        _cleanup_(strv_freep) char **l = NULL;
        size_t n = 0;
        int k;

        *ret = NULL;
        *ret_n = 0;
        if (!dir || !*dir)
                return 0;
        k = scandir(dir, &entries, NULL, alphasort);
        if (k < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        l = calloc((size_t) k + 1, sizeof(char *));
        for (int i = 0; l && i < k; i++) {
                char *path;
                struct stat st;

                if (entries[i]->d_name[0] == '.' ||
                    asprintf(&path, "%s/%s", dir, entries[i]->d_name) < 0)
                        continue;
                if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
                        free(path);
                        continue;
                }
                l[n++] = path;
        }
        for (int i = 0; i < k; i++)
                free(entries[i]);
        free(entries);
        if (!l)
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        *ret_n = n;
        return 0;
}

/* The first line of what the script said on standard error, for a message. */
static const char *first_stderr_line(CalloutRun *run) {
        char *nl;

        run->err[run->err_length] = 0;
        nl = strchr(run->err, '\n');
        if (nl)
                *nl = 0;
        return run->err;
}

static void drain_stderr(CalloutRun *run) {
        char buf[4096];
        ssize_t k;

        if (run->stderr_fd < 0)
                return;
        while ((k = read(run->stderr_fd, buf, sizeof(buf))) > 0) {
                size_t take = (size_t) k;

                /* The rest is read and dropped: a chatty script cannot hold memory. */
                if (take > CALLOUT_STDERR_MAX - run->err_length)
                        take = CALLOUT_STDERR_MAX - run->err_length;
                memcpy(run->err + run->err_length, buf, take);
                run->err_length += take;
        }
        if (k == 0)
                run->stderr_source = sd_event_source_disable_unref(run->stderr_source);
}

static int on_stderr(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        drain_stderr(userdata);
        return 0;
}

static void run_next(CalloutRun *run);

static int on_script_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        CalloutRun *run = userdata;
        const char *script = run->scripts[run->current];
        siginfo_t si = {};
        _cleanup_free_ char *message = NULL;
        int code;

        if (waitid(P_PIDFD, (id_t) run->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                return 0;       /* not yet */
        drain_stderr(run);
        run_stop_child(run);

        if (run->timed_out) {
                (void) asprintf(&message, "callout script %s did not finish its %s-%s call for mdev %s within %gs: killed",
                                script, event_names[run->event], run->action, run->uuid,
                                (double) run->ops->callouts.timeout_usec / 1e6);
                log_warning("%s", strempty(message));
                run_finish(run, run->event == CALLOUT_EVENT_PRE ? -ETIMEDOUT : 0, message, script);
                return 0;
        }
        if (si.si_code != CLD_EXITED) {
                /* As mdevctl: a script that died of a signal took nothing; the next one is asked. */
                log_warning("Callout script %s (%s-%s, mdev %s) was terminated by signal %d", script,
                            event_names[run->event], run->action, run->uuid, si.si_status);
                run->current++;
                run_next(run);
                return 0;
        }
        code = si.si_status;
        if (code == CALLOUT_EXIT_NOT_MINE) {
                run->current++;
                run_next(run);
                return 0;
        }
        if (code == 0) {
                log_debug("Callout script %s: %s-%s of mdev %s: ok", script, event_names[run->event], run->action,
                          run->uuid);
                run_finish(run, 0, NULL, script);
                return 0;
        }
        (void) asprintf(&message, "callout script %s refused %s of mdev %s (exit status %d)%s%s", script,
                        run->action, run->uuid, code, run->err_length ? ": " : "", first_stderr_line(run));
        if (run->event == CALLOUT_EVENT_PRE) {
                log_notice("%s", strempty(message));
                run_finish(run, -EPERM, message, script);
        } else {
                log_warning("Post-%s: %s", run->action, strempty(message));
                run_finish(run, 0, message, script);
        }
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        CalloutRun *run = userdata;

        run->timed_out = true;
        /* The script and whatever it started: its own process group. */
        (void) kill(-run->pid, SIGKILL);
        (void) pidfd_send_signal(run->pidfd, SIGKILL, NULL, 0);
        run->timer = sd_event_source_disable_unref(run->timer);
        return 0;
}

/* The device's JSON as standard input: a sealed memfd, so writing it can never block. */
static int config_fd(const char *config) {
        _cleanup_close_ int fd = memfd_create("idxdd-callout", MFD_CLOEXEC);
        size_t n = strlen(config), done = 0;

        if (fd < 0)
                return -errno;
        while (done < n) {
                ssize_t k = write(fd, config + done, n - done);

                if (k < 0)
                        return -errno;
                done += (size_t) k;
        }
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        return TAKE_FD(fd);
}

static int spawn_script(CalloutRun *run, const char *script) {
        static char *const envp[] = { (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
        char *const argv[] = {
                (char *) script,
                (char *) "-t", run->type,
                (char *) "-e", (char *) event_names[run->event],
                (char *) "-a", run->action,
                (char *) "-s", (char *) run->state,
                (char *) "-u", run->uuid,
                (char *) "-p", run->parent,
                NULL
        };
        _cleanup_close_ int in = -EBADF, null = -EBADF;
        int pipefd[2] = { -EBADF, -EBADF };
        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        sigset_t none, all;
        pid_t pid;
        int r;

        in = config_fd(run->config);
        if (in < 0)
                return in;
        null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null < 0)
                return -errno;
        if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;

        sigemptyset(&none);
        sigfillset(&all);
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&actions, null, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDERR_FILENO);
        posix_spawnattr_init(&attr);
        /* Its own process group, to be killed whole; the loop's blocked signals not inherited. */
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        r = posix_spawn(&pid, script, &actions, &attr, argv, envp);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        (void) close(pipefd[1]);
        if (r != 0) {
                (void) close(pipefd[0]);
                return -r;
        }

        run->pid = pid;
        run->stderr_fd = pipefd[0];
        run->err_length = 0;
        run->timed_out = false;
        run->pidfd = pidfd_open(pid, 0);
        if (run->pidfd < 0) {
                r = -errno;
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        r = sd_event_add_io(run->ops->event, &run->exit_source, run->pidfd, EPOLLIN, on_script_exit, run);
        if (r >= 0)
                r = sd_event_add_io(run->ops->event, &run->stderr_source, run->stderr_fd, EPOLLIN, on_stderr, run);
        if (r >= 0)
                r = sd_event_add_time_relative(run->ops->event, &run->timer, CLOCK_MONOTONIC,
                                               run->ops->callouts.timeout_usec, 0, on_timeout, run);
        if (r < 0) {
                (void) kill(-pid, SIGKILL);
                (void) waitid(P_PIDFD, (id_t) run->pidfd, &(siginfo_t) {}, WEXITED);
                run_stop_child(run);
                return r;
        }
        return 0;
}

/* Asks scripts from run->current on until one takes the device's type. */
static void run_next(CalloutRun *run) {
        int r;

        for (; run->current < run->n_scripts; run->current++) {
                r = spawn_script(run, run->scripts[run->current]);
                if (r >= 0)
                        return;
                /* As mdevctl: one that cannot be run is passed over. */
                log_warning_errno(r, "Cannot run callout script %s", run->scripts[run->current]);
        }
        run_finish(run, 0, NULL, NULL);
}

void callout_run(Ops *o, CalloutEvent event, const char *action, const IdxdDefinition *device,
                 bool success, const char *script, CalloutDone done, void *userdata) {
        _cleanup_(strv_freep) char **scripts = NULL;
        CalloutRun *run;
        size_t n = 0;
        int r;

        if (script) {
                scripts = calloc(2, sizeof(char *));
                if (scripts && (scripts[0] = strdup(script)))
                        n = 1;
        } else {
                r = list_scripts(o->callouts.dir, &scripts, &n);
                if (r < 0)
                        log_warning_errno(r, "Cannot read the callout directory %s", o->callouts.dir);
        }
        if (n == 0) {
                done(o, 0, NULL, NULL, userdata);
                return;
        }

        run = calloc(1, sizeof(*run));
        if (!run) {
                done(o, -ENOMEM, "Out of memory", NULL, userdata);
                return;
        }
        *run = (CalloutRun) {
                .ops = o,
                .event = event,
                .state = event == CALLOUT_EVENT_PRE ? "none" : success ? "success" : "failure",
                .scripts = TAKE_PTR(scripts),
                .n_scripts = n,
                .pidfd = -EBADF,
                .stderr_fd = -EBADF,
                .done = done,
                .userdata = userdata,
                .next = o->callouts.runs,
        };
        o->callouts.runs = run;
        run->action = strdup(action);
        run->type = strdup(strempty(device->type));
        run->uuid = strdup(device->uuid_string);
        run->parent = strdup(strempty(device->parent));
        r = run->action && run->type && run->uuid && run->parent ? mdevctl_json_config_text(device, false, &run->config) :
                -ENOMEM;
        if (r < 0) {
                run_finish(run, r, "Cannot prepare the callout call", NULL);
                return;
        }
        run_next(run);
}

bool callouts_present(Ops *o) {
        _cleanup_(strv_freep) char **scripts = NULL;
        struct stat st;
        size_t n = 0;

        /* The common case, no directory, costs one stat(). */
        if (!o->callouts.dir || !*o->callouts.dir || stat(o->callouts.dir, &st) < 0)
                return false;
        return list_scripts(o->callouts.dir, &scripts, &n) >= 0 && n > 0;
}

void callouts_cancel_all(Ops *o) {
        while (o->callouts.runs) {
                CalloutRun *run = o->callouts.runs;

                if (run->pid > 0) {
                        (void) kill(-run->pid, SIGKILL);
                        (void) waitid(P_PIDFD, (id_t) run->pidfd, &(siginfo_t) {}, WEXITED);
                }
                run_finish(run, -ECANCELED, "The daemon is shutting down", NULL);
        }
}

void callouts_done(Callouts *c) {
        c->dir = mfree(c->dir);
}

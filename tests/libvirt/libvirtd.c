/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "libvirtd.h"

#define START_TIMEOUT_MSEC 60000
#define STOP_TIMEOUT_MSEC 15000

static const char *const subdirs[] = { "run", "config", "config/libvirt", "cache", "home" };

/* Owned by the user libvirtd runs as, whatever the umask. */
static int write_file(const Libvirtd *d, const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        if (!f)
                return -errno;
        fputs(text, f);
        if (fclose(f) != 0)
                return -errno;
        if (chown(path, d->uid, d->gid) < 0 || chmod(path, 0600) < 0)
                return -errno;
        return 0;
}

static int add_env(Libvirtd *d, size_t i, const char *name, const char *value) {
        if (asprintf(&d->envp[i], "%s=%s", name, value) < 0)
                return -ENOMEM;
        return 0;
}

int libvirtd_setup(Libvirtd *d) {
        char path[256], conf[512];
        int r;

        *d = (Libvirtd) {};
        snprintf(d->dir, sizeof(d->dir), "/tmp/idxd-libvirt-XXXXXX");
        if (!mkdtemp(d->dir))
                return -errno;
        if (chmod(d->dir, 0755) < 0)
                return -errno;

        d->drop_privileges = geteuid() == 0;
        d->uid = geteuid();
        d->gid = getegid();
        if (d->drop_privileges) {
                const struct passwd *pw = getpwnam("nobody");

                if (!pw)
                        return -ESRCH;
                d->uid = pw->pw_uid;
                d->gid = pw->pw_gid;
        }

        for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", d->dir, subdirs[i]);
                if (mkdir(path, 0700) < 0 || chown(path, d->uid, d->gid) < 0)
                        return -errno;
        }

        snprintf(path, sizeof(path), "%s/config/libvirt/libvirtd.conf", d->dir);
        snprintf(conf, sizeof(conf), "unix_sock_dir = \"%s/run\"\n", d->dir);
        r = write_file(d, path, conf);
        if (r < 0)
                return r;
        /* Without virtlogd: qemu's output goes to a plain file. */
        snprintf(path, sizeof(path), "%s/config/libvirt/qemu.conf", d->dir);
        r = write_file(d, path, "stdio_handler = \"file\"\n");
        if (r < 0)
                return r;

        if (asprintf(&d->uri, "qemu+unix:///session?socket=%s/run/libvirt-sock", d->dir) < 0 ||
            asprintf(&d->log, "%s/libvirtd.log", d->dir) < 0)
                return -ENOMEM;

        d->envp = calloc(8, sizeof(char *));
        if (!d->envp)
                return -ENOMEM;
        snprintf(path, sizeof(path), "%s/home", d->dir);
        r = add_env(d, 0, "HOME", path);
        snprintf(path, sizeof(path), "%s/run", d->dir);
        if (r >= 0)
                r = add_env(d, 1, "XDG_RUNTIME_DIR", path);
        snprintf(path, sizeof(path), "%s/config", d->dir);
        if (r >= 0)
                r = add_env(d, 2, "XDG_CONFIG_HOME", path);
        snprintf(path, sizeof(path), "%s/cache", d->dir);
        if (r >= 0)
                r = add_env(d, 3, "XDG_CACHE_HOME", path);
        if (r >= 0)
                r = add_env(d, 4, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        return r;
}

static uint64_t now_msec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void silent(void *userdata, virErrorPtr error) {
}

int libvirtd_start(Libvirtd *d) {
        char config[256];
        const char *binary = getenv("IDXD_TEST_LIBVIRTD") ?: "/usr/sbin/libvirtd";
        uint64_t deadline;
        pid_t parent = getpid();
        int logfd;

        snprintf(config, sizeof(config), "%s/config/libvirt/libvirtd.conf", d->dir);
        logfd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (logfd < 0)
                return -errno;

        d->pid = fork();
        if (d->pid < 0) {
                d->pid = 0;
                close(logfd);
                return -errno;
        }
        if (d->pid == 0) {
                /* Only async-signal-safe calls here: the test has threads. */
                char *argv[] = { (char *) binary, (char *) "--config", config, NULL };
                sigset_t none;

                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                (void) dup2(logfd, STDOUT_FILENO);
                (void) dup2(logfd, STDERR_FILENO);
                if (chdir(d->dir) < 0)
                        _exit(127);
                if (d->drop_privileges &&
                    (setgroups(0, NULL) < 0 || setgid(d->gid) < 0 || setuid(d->uid) < 0))
                        _exit(127);
                /* After setuid(), which clears it: libvirtd dies with the test, even a crashed one. */
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(127);
                execve(binary, argv, d->envp);
                _exit(127);
        }
        close(logfd);

        /* Ready when a client gets through; the qemu driver probes qemu first. */
        deadline = now_msec() + START_TIMEOUT_MSEC;
        virSetErrorFunc(NULL, silent);
        while (now_msec() < deadline) {
                virConnectPtr c;
                int status;

                if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
                        d->pid = 0;
                        return -ECHILD;
                }
                c = virConnectOpen(d->uri);
                if (c) {
                        virConnectClose(c);
                        return 0;
                }
                usleep(100 * 1000);
        }
        return -ETIMEDOUT;
}

int libvirtd_stop(Libvirtd *d) {
        uint64_t deadline;
        int status;

        if (d->pid <= 0)
                return 0;
        (void) kill(d->pid, SIGTERM);
        deadline = now_msec() + STOP_TIMEOUT_MSEC;
        while (now_msec() < deadline) {
                if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
                        d->pid = 0;
                        return 0;
                }
                usleep(50 * 1000);
        }
        (void) kill(d->pid, SIGKILL);
        (void) waitpid(d->pid, &status, 0);
        d->pid = 0;
        return -ETIMEDOUT;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

void libvirtd_cleanup(Libvirtd *d) {
        (void) libvirtd_stop(d);
        if (d->dir[0] && !getenv("IDXD_TEST_KEEP"))
                (void) nftw(d->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        if (d->envp)
                for (size_t i = 0; d->envp[i]; i++)
                        free(d->envp[i]);
        free(d->envp);
        free(d->uri);
        free(d->log);
        *d = (Libvirtd) {};
}

void libvirtd_dump_log(const Libvirtd *d) {
        char line[1024];
        FILE *f;

        if (!d->log)
                return;
        f = fopen(d->log, "re");
        if (!f)
                return;
        fprintf(stderr, "--- %s ---\n", d->log);
        while (fgets(line, sizeof(line), f))
                fputs(line, stderr);
        fclose(f);
}

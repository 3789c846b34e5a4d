/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

int libvirtd_set_env(Libvirtd *d, const char *name, const char *value) {
        size_t n = strlen(name), i;
        char *entry, **envp;

        if (asprintf(&entry, "%s=%s", name, value) < 0)
                return -ENOMEM;
        for (i = 0; i < d->n_env; i++)
                if (strncmp(d->envp[i], name, n) == 0 && d->envp[i][n] == '=') {
                        free(d->envp[i]);
                        d->envp[i] = entry;
                        return 0;
                }
        envp = realloc(d->envp, (d->n_env + 2) * sizeof(char *));
        if (!envp) {
                free(entry);
                return -ENOMEM;
        }
        d->envp = envp;
        d->envp[d->n_env++] = entry;
        d->envp[d->n_env] = NULL;
        return 0;
}

static bool mount_namespace_works(void) {
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return false;
        if (pid == 0)
                _exit(unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 ? 0 : 1);
        return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int libvirtd_set_mdevctl_dir(Libvirtd *d, const char *dir) {
        static const char *const overlay_dirs[] = { "etc-upper", "etc-upper/mdevctl.d", "etc-work" };
        char path[512];

        if (!mount_namespace_works())
                return -EOPNOTSUPP;
        /* Without the host's /etc/mdevctl.d, an overlay of /etc has one to mount over. */
        for (size_t i = 0; access("/etc/mdevctl.d", F_OK) < 0 && i < 3; i++) {
                snprintf(path, sizeof(path), "%s/%s", d->dir, overlay_dirs[i]);
                if (mkdir(path, 0755) < 0)
                        return -errno;
        }
        d->mdevctl_dir = strdup(dir);
        return d->mdevctl_dir ? 0 : -ENOMEM;
}

/* In the child, before it drops privileges: /etc/mdevctl.d is d->mdevctl_dir. Async-signal-safe. */
static int private_mdevctl_dir(const Libvirtd *d, const char *overlay_options) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -1;
        if (overlay_options && mount("overlay", "/etc", "overlay", 0, overlay_options) < 0)
                return -1;
        return mount(d->mdevctl_dir, "/etc/mdevctl.d", NULL, MS_BIND, NULL);
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

        snprintf(path, sizeof(path), "%s/home", d->dir);
        r = libvirtd_set_env(d, "HOME", path);
        snprintf(path, sizeof(path), "%s/run", d->dir);
        if (r >= 0)
                r = libvirtd_set_env(d, "XDG_RUNTIME_DIR", path);
        snprintf(path, sizeof(path), "%s/config", d->dir);
        if (r >= 0)
                r = libvirtd_set_env(d, "XDG_CONFIG_HOME", path);
        snprintf(path, sizeof(path), "%s/cache", d->dir);
        if (r >= 0)
                r = libvirtd_set_env(d, "XDG_CACHE_HOME", path);
        if (r >= 0)
                r = libvirtd_set_env(d, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
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
        char config[256], overlay[1024];
        const char *binary = getenv("IDXD_TEST_LIBVIRTD") ?: "/usr/sbin/libvirtd";
        bool use_overlay = d->mdevctl_dir && access("/etc/mdevctl.d", F_OK) < 0;
        uint64_t deadline;
        pid_t parent = getpid();
        int logfd, devnull;

        snprintf(config, sizeof(config), "%s/config/libvirt/libvirtd.conf", d->dir);
        snprintf(overlay, sizeof(overlay), "lowerdir=/etc,upperdir=%s/etc-upper,workdir=%s/etc-work", d->dir, d->dir);
        logfd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (logfd < 0)
                return -errno;
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0) {
                close(logfd);
                return -errno;
        }

        d->pid = fork();
        if (d->pid < 0) {
                d->pid = 0;
                close(logfd);
                close(devnull);
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
                /*
                 * The system call itself: under umockdev's preload chdir()
                 * takes its path lock, which another thread of the test may
                 * have held at fork (it has no fork handlers).
                 */
                if (syscall(SYS_chdir, d->dir) < 0)
                        _exit(127);
                if (d->mdevctl_dir && private_mdevctl_dir(d, use_overlay ? overlay : NULL) < 0)
                        _exit(126);
                /*
                 * In a umockdev testbed a uevent socket is named after its fd
                 * (event<fd>): libvirtd's must not take the name of idxdd's.
                 */
                for (int fd = 3; fd <= d->taken_fds; fd++)
                        if (fcntl(fd, F_GETFD) < 0 && fd != logfd)
                                (void) dup2(devnull, fd);
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
        close(devnull);

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
        free(d->mdevctl_dir);
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

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "busy.h"
#include "macro.h"
#include "sysfs.h"

bool busy_fd_target_matches(const char *target, const char *group_path) {
        return target && group_path && strcmp(target, group_path) == 0;
}

static bool is_pid(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

/* 1 when one of pid's fds points at group_path; processes we cannot see count as not holding it. */
static int pid_holds(int proc_fd, const char *pid, const char *group_path) {
        char fd_dir[PATH_MAX];
        struct dirent *de;
        int dfd, r = 0;
        DIR *dir;

        if (snprintf(fd_dir, sizeof(fd_dir), "%s/fd", pid) >= (int) sizeof(fd_dir))
                return 0;
        dfd = openat(proc_fd, fd_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return 0;
        dir = fdopendir(dfd);
        if (!dir) {
                (void) close(dfd);
                return 0;
        }

        while ((de = readdir(dir))) {
                char target[PATH_MAX];
                ssize_t n;

                if (de->d_name[0] == '.')
                        continue;
                n = readlinkat(dirfd(dir), de->d_name, target, sizeof(target) - 1);
                if (n < 0)
                        continue;
                target[n] = '\0';
                if (busy_fd_target_matches(target, group_path)) {
                        r = 1;
                        break;
                }
        }
        (void) closedir(dir);
        return r;
}

int busy_find_vfio_group_holder(const char *proc_root, const char *dev_root, int group, int *ret_pid) {
        _cleanup_free_ char *group_path = NULL;
        _cleanup_close_ int proc_fd = -1;
        struct dirent *de;
        DIR *dir;
        int r;

        r = vfio_group_path(dev_root, group, &group_path);
        if (r < 0)
                return r;

        proc_fd = open(proc_root ? proc_root : "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return -errno;
        dir = fdopendir(dup(proc_fd));
        if (!dir)
                return -errno;

        r = 0;
        while ((de = readdir(dir))) {
                if (!is_pid(de->d_name))
                        continue;
                if (pid_holds(proc_fd, de->d_name, group_path) > 0) {
                        if (ret_pid)
                                *ret_pid = atoi(de->d_name);
                        r = 1;
                        break;
                }
        }
        (void) closedir(dir);
        return r;
}

/* QEMU's option value up to its first lone comma, ",," read as ",". */
static char *qemu_opt_value(const char *s) {
        char *out = malloc(strlen(s) + 1), *o = out;

        if (!out)
                return NULL;
        for (; *s; s++) {
                if (*s == ',') {
                        if (s[1] != ',')
                                break;
                        s++;
                }
                *o++ = *s;
        }
        *o = '\0';
        return out;
}

int busy_qemu_domain_name(const char *cmdline, size_t size, char **ret_name) {
        const char *arg = cmdline, *end = cmdline + size;

        if (!cmdline || !ret_name)
                return -EINVAL;
        while (arg < end) {
                size_t len = strnlen(arg, end - arg);
                const char *next = arg + len + 1;

                if (strcmp(arg, "-name") == 0 && next < end && memchr(next, '\0', end - next)) {
                        const char *value = next;
                        char *name;

                        if (strncmp(value, "guest=", 6) == 0)
                                value += 6;
                        name = qemu_opt_value(value);
                        if (!name)
                                return -ENOMEM;
                        if (!*name) {
                                free(name);
                                return 0;
                        }
                        *ret_name = name;
                        return 1;
                }
                arg = next;
        }
        return 0;
}

int busy_holder_domain(const char *proc_root, int pid, char **ret_name) {
        char path[PATH_MAX], buf[16384];
        _cleanup_close_ int fd = -1;
        size_t size = 0;
        ssize_t n;

        if (pid <= 0)
                return -EINVAL;
        if (snprintf(path, sizeof(path), "%s/%d/cmdline", proc_root ? proc_root : "/proc", pid) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        while (size < sizeof(buf) && (n = read(fd, buf + size, sizeof(buf) - size)) > 0)
                size += n;
        return busy_qemu_domain_name(buf, size, ret_name);
}

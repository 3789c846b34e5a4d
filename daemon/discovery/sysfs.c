/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "sysfs.h"

/* sysfs attributes are at most a page. */
#define SYSFS_ATTR_MAX 4096

int sysfs_read_string(const char *path, char **ret) {
        _cleanup_close_ int fd = -1;
        char buf[SYSFS_ATTR_MAX + 1];
        size_t n = 0;
        char *s;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        /* sysfs hands out an attribute in one read(): a short read is its end, no second read() for EOF. */
        while (n < SYSFS_ATTR_MAX) {
                ssize_t k = read(fd, buf + n, SYSFS_ATTR_MAX - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                n += (size_t) k;
                if (k == 0 || n < SYSFS_ATTR_MAX)
                        break;
        }
        if (n > 0 && buf[n - 1] == '\n')
                n--;

        s = strndup(buf, n);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int sysfs_read_file(const char *path, char **ret) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, allocated = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        for (;;) {
                ssize_t k;

                if (allocated - n < SYSFS_ATTR_MAX + 1) {
                        char *grown;

                        allocated = allocated ? allocated * 2 : 16 * SYSFS_ATTR_MAX;
                        grown = realloc(buf, allocated);
                        if (!grown)
                                return -ENOMEM;
                        buf = grown;
                }
                k = read(fd, buf + n, allocated - n - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

int sysfs_read_unsigned(const char *path, unsigned *ret) {
        _cleanup_free_ char *s = NULL;
        unsigned long v;
        char *end;
        int r;

        r = sysfs_read_string(path, &s);
        if (r < 0)
                return r;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > UINT_MAX)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

int sysfs_read_int(const char *path, int *ret) {
        _cleanup_free_ char *s = NULL;
        long v;
        char *end;
        int r;

        r = sysfs_read_string(path, &s);
        if (r < 0)
                return r;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || v < INT_MIN || v > INT_MAX)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

int sysfs_write_string(const char *path, const char *value) {
        _cleanup_close_ int fd = -1;
        size_t n = strlen(value);
        ssize_t k;

        /* O_NONBLOCK: a write-only file that is a FIFO in a testbed must never stall the loop. */
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;

        do
                k = write(fd, value, n);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        if ((size_t) k != n)
                return -EIO;
        return 0;
}

int sysfs_read_link(const char *path, char **ret) {
        char target[PATH_MAX];
        ssize_t n;
        char *s;

        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return -errno;
        target[n] = '\0';
        s = strdup(target);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int sysfs_read_link_name(const char *path, char **ret) {
        _cleanup_free_ char *target = NULL;
        const char *name;
        char *s;
        int r;

        r = sysfs_read_link(path, &target);
        if (r < 0)
                return r;
        name = strrchr(target, '/');
        name = name ? name + 1 : target;
        if (!*name)
                return -EINVAL;
        s = strdup(name);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool entry_matches(DIR *dir, const struct dirent *de, SysfsListFilter filter) {
        struct stat st;

        if (de->d_name[0] == '.')
                return false;
        if (filter == SYSFS_LIST_ALL || de->d_type == DT_DIR)
                return true;
        if (de->d_type != DT_UNKNOWN && (de->d_type != DT_LNK || filter == SYSFS_LIST_OWN_SUBDIRS))
                return false;
        return fstatat(dirfd(dir), de->d_name, &st, filter == SYSFS_LIST_OWN_SUBDIRS ? AT_SYMLINK_NOFOLLOW : 0) >= 0 &&
               S_ISDIR(st.st_mode);
}

int sysfs_list(const char *path, SysfsListFilter filter, char ***ret, size_t *ret_n) {
        DIR *dir;
        char **l = NULL;
        size_t n = 0;
        struct dirent *de;
        int r = 0;

        dir = opendir(path);
        if (!dir)
                return -errno;

        while ((errno = 0, de = readdir(dir))) {
                char **nl;

                if (!entry_matches(dir, de, filter))
                        continue;

                /* Room is n + 1 rounded up to a power of two (one realloc() per entry was most of a 10,000 listing). */
                if (((n + 1) & n) == 0) {
                        nl = reallocarray(l, 2 * (n + 1), sizeof(char *));
                        if (!nl) {
                                r = -ENOMEM;
                                break;
                        }
                        l = nl;
                }
                l[n] = strdup(de->d_name);
                if (!l[n]) {
                        r = -ENOMEM;
                        break;
                }
                l[++n] = NULL;
        }
        if (r == 0 && errno > 0)
                r = -errno;
        (void) closedir(dir);

        if (r < 0) {
                if (l)
                        l[n] = NULL;
                strv_free(l);
                return r;
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        qsort(l, n, sizeof(char *), compare_strings);
        *ret = l;
        if (ret_n)
                *ret_n = n;
        return 0;
}

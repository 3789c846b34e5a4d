/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "sysfs-path.h"

bool sysfs_name_is_valid(const char *name) {
        return name && *name && !strchr(name, '/') &&
               strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
               strlen(name) < NAME_MAX;
}

static bool attr_is_valid(const char *attr) {
        const char *p = attr;

        if (!attr || !*attr || *attr == '/')
                return false;
        while (*p) {
                size_t n = strcspn(p, "/");

                if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += n;
                if (*p == '/')
                        p++;
        }
        return p[-1] != '/';
}

/* The elements joined with '/' (NULLs skipped): startup builds tens of thousands, asprintf() was most of their cost. */
static char *path_join(const char *const *elements, size_t n) {
        size_t len[4], total = 0;
        char *s, *w;

        assert(n <= ELEMENTSOF(len));
        for (size_t i = 0; i < n; i++)
                total += (len[i] = elements[i] ? strlen(elements[i]) + 1 : 0);
        s = malloc(total ? total : 1);
        if (!s)
                return NULL;
        w = s;
        for (size_t i = 0; i < n; i++) {
                if (!elements[i])
                        continue;
                if (w > s)
                        *w++ = '/';
                memcpy(w, elements[i], len[i] - 1);
                w += len[i] - 1;
        }
        *w = '\0';
        return s;
}

int sysfs_attr_path(const char *syspath, const char *attr, char **ret) {
        if (!syspath || !*syspath || !attr_is_valid(attr))
                return -EINVAL;
        *ret = path_join((const char *const[]) { syspath, attr }, 2);
        return *ret ? 0 : -ENOMEM;
}

int sysfs_type_path(const char *parent_syspath, const char *type, const char *attr, char **ret) {
        if (!parent_syspath || !*parent_syspath || !sysfs_name_is_valid(type))
                return -EINVAL;
        if (attr && !attr_is_valid(attr))
                return -EINVAL;
        *ret = path_join((const char *const[]) { parent_syspath, "mdev_supported_types", type, attr }, 4);
        return *ret ? 0 : -ENOMEM;
}

int sysfs_mdev_remove_path(const char *root, const IdxdUuid *uuid, char **ret) {
        char s[IDXD_UUID_STRING_MAX];

        if (!root || !*root)
                return -EINVAL;
        return asprintf(ret, "%s/bus/mdev/devices/%s/remove", root, idxd_uuid_format(uuid, s)) < 0 ? -ENOMEM : 0;
}

int vfio_group_path(const char *dev_root, int group, char **ret) {
        if (!dev_root || !*dev_root || group < 0)
                return -EINVAL;
        return asprintf(ret, "%s/vfio/%d", dev_root, group) < 0 ? -ENOMEM : 0;
}

int sysfs_resolve_link(const char *dir, const char *target, char **ret) {
        _cleanup_free_ char *joined = NULL;
        char *out, *w;
        const char *p;

        if (!dir || dir[0] != '/' || !target || !*target)
                return -EINVAL;
        if (target[0] == '/')
                joined = strdup(target);
        else
                joined = path_join((const char *const[]) { dir, target }, 2);
        if (!joined)
                return -ENOMEM;

        /* Element by element into out; ".." takes the last one off, the root stays. */
        out = malloc(strlen(joined) + 2);
        if (!out)
                return -ENOMEM;
        w = out;
        for (p = joined; *p;) {
                size_t n;

                while (*p == '/')
                        p++;
                n = strcspn(p, "/");
                if (n == 0 || (n == 1 && p[0] == '.')) {
                        p += n;
                        continue;
                }
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        while (w > out && *--w != '/')
                                ;
                        p += n;
                        continue;
                }
                *w++ = '/';
                memcpy(w, p, n);
                w += n;
                p += n;
        }
        if (w == out)
                *w++ = '/';
        *w = '\0';
        *ret = out;
        return 0;
}

void strv_free(char **l) {
        if (!l)
                return;
        for (char **p = l; *p; p++)
                free(*p);
        free(l);
}

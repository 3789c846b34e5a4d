/* SPDX-License-Identifier: GPL-2.0-or-later */
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

int sysfs_attr_path(const char *syspath, const char *attr, char **ret) {
        if (!syspath || !*syspath || !attr_is_valid(attr))
                return -EINVAL;
        return asprintf(ret, "%s/%s", syspath, attr) < 0 ? -ENOMEM : 0;
}

int sysfs_type_path(const char *parent_syspath, const char *type, const char *attr, char **ret) {
        int r;

        if (!parent_syspath || !*parent_syspath || !sysfs_name_is_valid(type))
                return -EINVAL;
        if (attr) {
                if (!attr_is_valid(attr))
                        return -EINVAL;
                r = asprintf(ret, "%s/mdev_supported_types/%s/%s", parent_syspath, type, attr);
        } else
                r = asprintf(ret, "%s/mdev_supported_types/%s", parent_syspath, type);
        return r < 0 ? -ENOMEM : 0;
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
        else if (asprintf(&joined, "%s/%s", dir, target) < 0)
                joined = NULL;
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

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sysfs attribute reads and writes with plain open/read/write (paths: sysfs-path.h in core/). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sysfs-path.h"

/* Reads an attribute with read(), never cached; one trailing newline is dropped. */
int sysfs_read_string(const char *path, char **ret);
int sysfs_read_unsigned(const char *path, unsigned *ret);
/* A file of any length (a binary attribute, handed out a page per read()), NUL-terminated. */
int sysfs_read_file(const char *path, char **ret);
int sysfs_read_int(const char *path, int *ret);
/* Writes value in one write(); the kernel's errno (e.g. -ENOSPC) is returned. */
int sysfs_write_string(const char *path, const char *value);
/* A symlink's target as it is written; -EINVAL when path is not a link. */
int sysfs_read_link(const char *path, char **ret);
/* The last element of a symlink's target, e.g. "5" for iommu_group. */
int sysfs_read_link_name(const char *path, char **ret);
typedef enum SysfsListFilter {
        SYSFS_LIST_ALL,                 /* every entry but "." names */
        SYSFS_LIST_SUBDIRS,             /* directories, also behind links */
        SYSFS_LIST_OWN_SUBDIRS,         /* directories, no links: a device's children */
} SysfsListFilter;

/* Names in path (not those starting with '.') that pass filter, sorted, NULL-terminated. */
int sysfs_list(const char *path, SysfsListFilter filter, char ***ret, size_t *ret_n);
static inline int sysfs_list_subdirs(const char *path, char ***ret, size_t *ret_n) {
        return sysfs_list(path, SYSFS_LIST_SUBDIRS, ret, ret_n);
}

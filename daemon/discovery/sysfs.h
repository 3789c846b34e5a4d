/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sysfs path building (pure) and small attribute read/write helpers. */
#pragma once

#include <stdbool.h>

#include "uuid.h"

#define SYSFS_DEFAULT_ROOT "/sys"
#define DEV_DEFAULT_ROOT "/dev"

/* True for a name usable as one path element: non-empty, no '/', not "." or "..". */
bool sysfs_name_is_valid(const char *name);

/* <syspath>/<attr>; attr may hold '/' but no ".." element. */
int sysfs_attr_path(const char *syspath, const char *attr, char **ret);
/* <parent_syspath>/mdev_supported_types/<type>[/<attr>] (attr NULL for the directory). */
int sysfs_type_path(const char *parent_syspath, const char *type, const char *attr, char **ret);
/* <root>/bus/mdev/devices/<uuid>/remove */
int sysfs_mdev_remove_path(const char *root, const IdxdUuid *uuid, char **ret);
/* <dev_root>/vfio/<group> */
int vfio_group_path(const char *dev_root, int group, char **ret);

/* Reads an attribute with read(), never cached; one trailing newline is dropped. */
int sysfs_read_string(const char *path, char **ret);
int sysfs_read_unsigned(const char *path, unsigned *ret);
int sysfs_read_int(const char *path, int *ret);
/* Writes value in one write(); the kernel's errno (e.g. -ENOSPC) is returned. */
int sysfs_write_string(const char *path, const char *value);
/* The last element of a symlink's target, e.g. "5" for iommu_group. */
int sysfs_read_link_name(const char *path, char **ret);
/* Names of the subdirectories of path, sorted, NULL-terminated. */
int sysfs_list_subdirs(const char *path, char ***ret, size_t *ret_n);
void strv_free(char **l);

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sysfs and /dev path building: pure, and safe against names from clients. */
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

/*
 * Where a symlink in directory dir with this target points, resolved
 * lexically ("." and ".." folded, no file system access): what realpath()
 * gives for sysfs's links, whose directories are never links themselves,
 * without a readlink() per path element. -EINVAL for a relative dir.
 */
int sysfs_resolve_link(const char *dir, const char *target, char **ret);

/* Frees a NULL-terminated array of strings. */
void strv_free(char **l);

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mdevctl interop: mdevctl keeps one JSON file per persistent mdev at
 * /etc/mdevctl.d/<parent>/<uuid>: {"mdev_type": "<type id>", "start":
 * "auto"|"manual", "attrs": [{"<name>": "<value>"}, ...]}. These turn such
 * a file into an idxdd definition (origin mdevctl, persistent, autostart
 * when start is "auto", no domain).
 */
#pragma once

#include <stddef.h>

#include "store.h"

#define IDXD_MDEVCTL_DIR "/etc/mdevctl.d"

/* Pure. parent and uuid come from the file's path; filename is for messages. */
int idxd_mdevctl_parse(const char *filename, const char *parent, const char *uuid,
                       const char *text, size_t length, IdxdDefinition **ret, char **ret_error);

/* Reads <...>/<parent>/<uuid> and parses it; "path: reason" for unreadable files. */
int idxd_mdevctl_load_file(const char *path, IdxdDefinition **ret, char **ret_error);

/*
 * Imports every <root>/<parent>/<uuid> (root NULL = /etc/mdevctl.d). Like
 * idxd_store_load(): bad files are reported in ret->errors and skipped;
 * a UUID defined under two parents is reported and neither is imported.
 * A missing root gives an empty result.
 */
int idxd_mdevctl_load_dir(const char *root, IdxdStoreLoad *ret);

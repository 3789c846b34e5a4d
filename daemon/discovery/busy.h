/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whether an mdev is in use: some process holds its VFIO group open. */
#pragma once

#include <stdbool.h>

/* Whether a /proc/<pid>/fd/<n> link target is the VFIO group device at group_path. */
bool busy_fd_target_matches(const char *target, const char *group_path);

/*
 * Scans proc_root (NULL = /proc) for an fd open on <dev_root>/vfio/<group>.
 * Returns 1 and the holder's pid when found, 0 when not, negative errno on failure.
 */
int busy_find_vfio_group_holder(const char *proc_root, const char *dev_root, int group, int *ret_pid);

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whether an mdev is in use: some process holds its VFIO group open. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Whether a /proc/<pid>/fd/<n> link target is the VFIO group device at group_path. */
bool busy_fd_target_matches(const char *target, const char *group_path);

/*
 * Scans proc_root (NULL = /proc) for an fd open on <dev_root>/vfio/<group>.
 * Returns 1 and the holder's pid when found, 0 when not, negative errno on failure.
 */
int busy_find_vfio_group_holder(const char *proc_root, const char *dev_root, int group, int *ret_pid);

/*
 * The libvirt domain a QEMU command line (size bytes of NUL-separated
 * arguments, as /proc/<pid>/cmdline) belongs to: "-name guest=NAME,..." or
 * "-name NAME,...", with QEMU's ",," for a comma. Returns 1 and the name,
 * 0 when there is no -name, negative errno on failure.
 */
int busy_qemu_domain_name(const char *cmdline, size_t size, char **ret_name);

/* The same, for process pid under proc_root (NULL = /proc); 0 when it cannot be read. */
int busy_holder_domain(const char *proc_root, int pid, char **ret_name);

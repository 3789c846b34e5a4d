/* SPDX-License-Identifier: GPL-2.0-or-later */
/* errno <-> D-Bus error names of the contract (docs/dbus-api.md, "Errors"). */
#pragma once

#include <systemd/sd-bus.h>

/*
 * The D-Bus error name the daemon replies with for a failure; error may be
 * positive or negative. Unlisted errnos map to org.idxd.Error.Failed.
 *
 *   ENOENT, ENODEV, ENXIO  org.idxd.Error.NotFound
 *   ENOSPC                 org.idxd.Error.NoCapacity
 *   EBUSY                  org.idxd.Error.Busy
 *   EEXIST                 org.idxd.Error.Exists
 *   EBADMSG                org.idxd.Error.InvalidConfig
 *   EREMOTEIO              org.idxd.Error.Libvirt
 *   EINVAL                 org.freedesktop.DBus.Error.InvalidArgs
 *   EPERM, EACCES          org.freedesktop.DBus.Error.AccessDenied
 */
const char *idxd_error_name_from_errno(int error);

/* The positive errno for a D-Bus error name; unknown names give EIO. */
int idxd_errno_from_error_name(const char *name);

/* Exit status idxdctl uses for a failed call: 2 for bad arguments, 1 otherwise. */
int idxd_error_exit_status(const char *name);

/* The same table as an sd-bus error map, for sd_bus_error_add_map(). */
extern const sd_bus_error_map idxd_error_map[];

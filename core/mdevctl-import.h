/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mdevctl interop: mdevctl keeps one JSON file per persistent mdev at
 * /etc/mdevctl.d/<parent>/<uuid>: {"mdev_type": "<type id>", "start":
 * "auto"|"manual", "attrs": [{"<name>": "<value>"}, ...]}, and prints the
 * same under {"<parent>": [{"<uuid>": {...}}]} in `mdevctl list --dumpjson`.
 * These turn either into idxdd definitions (origin mdevctl, persistent,
 * autostart when start is "auto", no domain), accepting what mdevctl 1.2
 * accepts and refusing, with the file, the UUID and the reason, what it
 * refuses (docs/config.md, "mdevctl import").
 */
#pragma once

#include <stddef.h>

#include "store.h"

#define IDXD_MDEVCTL_DIR "/etc/mdevctl.d"
/*
 * What idxdd's mdevctl rewrites in IDXD_MDEVCTL_DIR after each change:
 * libvirt watches that directory to know when to list definitions again.
 */
#define IDXD_MDEVCTL_STAMP ".idxdd-changed"

/*
 * Pure. One definition file; parent and uuid (the file's name, in any form
 * mdevctl takes) come from its path, filename is for messages. Appends the
 * definition or one error, and any notes, to l. Returns 0 or -ENOMEM.
 */
int idxd_mdevctl_parse_file(const char *filename, const char *parent, const char *uuid,
                            const char *text, size_t length, IdxdStoreLoad *l);

/*
 * Pure. A device configuration alone, as `mdevctl define|start --jsonfile`
 * reads it: *ret has type, start mode and attributes (no UUID or parent);
 * -EBADMSG with "file:line:column: message" when mdevctl would refuse it.
 */
int idxd_mdevctl_parse_jsonfile(const char *filename, const char *text, size_t length,
                                IdxdDefinition **ret, char **ret_error);

/* Pure. The text of `mdevctl list --dumpjson` (an array of {parent: [{uuid: config}]}). */
int idxd_mdevctl_parse_dump(const char *filename, const char *text, size_t length, IdxdStoreLoad *l);

/* mdevctl's UUID forms (hyphenated in any case, 32 hex digits, "urn:uuid:..."). -EINVAL otherwise. */
int idxd_mdevctl_uuid_parse(const char *s, IdxdUuid *ret);

/*
 * Reads path (NULL = /etc/mdevctl.d): a directory laid out as mdevctl's
 * (<parent>/<uuid>), one definition file <parent>/<uuid>, or a file holding
 * `mdevctl list --dumpjson` output. Bad definitions go to ret->errors,
 * what is skipped on purpose (stray files, scripts.d) to ret->notes; the
 * rest is sorted by UUID, then parent. A path that cannot be read at all
 * is a negative errno.
 */
int idxd_mdevctl_load(const char *path, IdxdStoreLoad *ret);

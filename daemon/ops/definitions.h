/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's persistent definitions (store.h on disk, this table in
 * memory): which mdevs idxdd made and keeps, reconciling them with sysfs at
 * start, autostart when a parent appears, and retry with backoff.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "mdev-ops.h"
#include "model.h"
#include "store.h"

typedef struct Ops Ops;

/* Failed autostart creates are retried after 1 s, doubling up to 60 s. */
#define DEFINITION_RETRY_FIRST_USEC (1000000ULL)
#define DEFINITION_RETRY_MAX_USEC (60 * 1000000ULL)

typedef struct Definition {
        IdxdDefinition *def;
        Mdev shadow;            /* what ListMdevs and the Mdev1 object show while there is no device */
        char *reason;           /* why the last create failed; NULL = it did not */
        uint64_t retry_usec;    /* the next backoff */
        sd_event_source *retry;
        bool creating;          /* an autostart create is queued */
        bool announce;          /* its device went: announce the definition's object */
} Definition;

/* The table's state. */
typedef struct Definitions {
        char *state_dir;
        Definition **items;             /* sorted by UUID, then parent: a UUID may be defined under several parents */
        size_t n;
        sd_event_source *autostart_defer;
        sd_event_source *announce_defer;
        unsigned autostart_inflight;    /* autostart creates queued */
} Definitions;

/* The definition of uuid under parent. */
Definition *definitions_find(Ops *o, const IdxdUuid *uuid, const char *parent);
/*
 * The definition that speaks for uuid: while it has a device, the one under
 * the device's parent (NULL when that parent has none); without a device,
 * the first by parent name.
 */
Definition *definitions_find_any(Ops *o, const IdxdUuid *uuid);
/* The definitions of uuid: items[*ret_first] onwards; returns how many. */
size_t definitions_range(Ops *o, const IdxdUuid *uuid, size_t *ret_first);
/* The definition of a UUID that has no device: its shadow is what the bus shows. */
Definition *definitions_find_deviceless(Ops *o, const IdxdUuid *uuid);

/* Reads the state directory; bad files are logged and skipped. */
int definitions_load(Ops *o);
void definitions_done(Definitions *defs);

/*
 * Stores def (a copy) unless an identical one is stored already. On failure
 * *ret_message says which file and why; the table is unchanged. Returns 1
 * when the UUID had no definition under def's parent before.
 */
int definitions_save(Ops *o, const IdxdDefinition *def, char **ret_message);
/* Deletes the files of every definition of uuid, keeping the table entries (definitions_forget() drops them). */
int definitions_unlink(Ops *o, const IdxdUuid *uuid, char **ret_message);
void definitions_forget(Ops *o, const IdxdUuid *uuid);
/* The same for one definition; e is freed by definitions_forget_one(). */
int definitions_unlink_one(Ops *o, Definition *e, char **ret_message);
void definitions_forget_one(Ops *o, Definition *e);
/* Writes the table's entries back after a definitions_unlink() whose removal did not happen. */
void definitions_restore(Ops *o, const IdxdUuid *uuid);

/* From the model observer: a device with a definition is going; its object stays, as `defined`. */
void definitions_device_removed(Ops *o, const Mdev *mdev);
/* A device takes the options of its definition under its parent; without one it is not persistent. */
void definitions_apply(Ops *o, Mdev *mdev);

/* After the first enumeration: logs unknown mdevs, registers definitions with their domains, starts autostart creates. */
void definitions_reconcile(Ops *o);
/* Queues an autostart pass from the event loop (a parent appeared). */
void definitions_schedule_autostart(Ops *o);
/* The create that makes def's device (pointing into def). */
void definition_create_request(const IdxdDefinition *def, MdevCreateRequest *ret);
/* Whether uuid has a device, or a create of one from a definition is under way. */
bool definitions_uuid_busy(Ops *o, const IdxdUuid *uuid);

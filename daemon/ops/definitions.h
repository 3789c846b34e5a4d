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
        Definition **items;             /* sorted by UUID */
        size_t n;
        sd_event_source *autostart_defer;
        sd_event_source *announce_defer;
        unsigned autostart_inflight;    /* autostart creates queued */
} Definitions;

Definition *definitions_find(Ops *o, const IdxdUuid *uuid);
/* The definition of a UUID that has no device: its shadow is what the bus shows. */
Definition *definitions_find_deviceless(Ops *o, const IdxdUuid *uuid);

/* Reads the state directory; bad files are logged and skipped. */
int definitions_load(Ops *o);
void definitions_done(Definitions *defs);

/*
 * Stores def (a copy) unless an identical one is stored already. On failure
 * *ret_message says which file and why; the table is unchanged. Returns 1
 * when the UUID had no definition before.
 */
int definitions_save(Ops *o, const IdxdDefinition *def, char **ret_message);
/* Deletes the file, keeping the table entry (definitions_forget() drops it). */
int definitions_unlink(Ops *o, const IdxdUuid *uuid, char **ret_message);
void definitions_forget(Ops *o, const IdxdUuid *uuid);
/* Writes the table's entry back after a definitions_unlink() whose removal did not happen. */
void definitions_restore(Ops *o, const IdxdUuid *uuid);

/* From the model observer: a device with a definition is going; its object stays, as `defined`. */
void definitions_device_removed(Ops *o, const Mdev *mdev);
/* From the model observer: a new device takes its definition's options. */
void definitions_apply(Ops *o, Mdev *mdev);

/* After the first enumeration: logs unknown mdevs, registers definitions with their domains, starts autostart creates. */
void definitions_reconcile(Ops *o);
/* Queues an autostart pass from the event loop (a parent appeared). */
void definitions_schedule_autostart(Ops *o);

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's persistent definitions (store.h on disk, this table in
 * memory): which mdevs idxdd made and keeps, reconciling them with sysfs at
 * start, autostart when a parent appears, and retry with backoff.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"
#include "store.h"

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

Definition *definitions_find(Daemon *d, const IdxdUuid *uuid);
/* The definition of a UUID that has no device: its shadow is what the bus shows. */
Definition *definitions_find_deviceless(Daemon *d, const IdxdUuid *uuid);

/* Reads the state directory; bad files are logged and skipped. */
int definitions_load(Daemon *d);
void definitions_free_all(Daemon *d);

/*
 * Stores def (a copy) unless an identical one is stored already. On failure
 * *ret_message says which file and why; the table is unchanged. Returns 1
 * when the UUID had no definition before.
 */
int definitions_save(Daemon *d, const IdxdDefinition *def, char **ret_message);
/* Deletes the file, keeping the table entry (definitions_forget() drops it). */
int definitions_unlink(Daemon *d, const IdxdUuid *uuid, char **ret_message);
void definitions_forget(Daemon *d, const IdxdUuid *uuid);
/* Writes the table's entry back after a definitions_unlink() whose removal did not happen. */
void definitions_restore(Daemon *d, const IdxdUuid *uuid);

/* From the model observer: a device with a definition is going; its object stays, as `defined`. */
void definitions_device_removed(Daemon *d, const Mdev *mdev);
/* From the model observer: a new device takes its definition's options. */
void definitions_apply(Daemon *d, Mdev *mdev);

/* After the first enumeration: logs unknown mdevs, registers definitions with their domains, starts autostart creates. */
void definitions_reconcile(Daemon *d);
/* Queues an autostart pass from the event loop (a parent appeared). */
void definitions_schedule_autostart(Daemon *d);

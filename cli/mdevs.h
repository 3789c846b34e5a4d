/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mdevs of a ListMdevs reply, read straight into records (fast at 10,000). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

/* Strings point into the reply: it must outlive the records. NULL: not sent. */
typedef struct MdevRecord {
        const char *uuid;
        const char *path;
        const char *parent;
        const char *type;
        const char *state;
        const char *domain;
        const char *registration;       /* with libvirt: none, pending, registered, failed */
        const char *wq;
        const char *reason;             /* state failed: why */
        bool persistent;
        bool autostart;
        bool has_ims_vectors;
        uint32_t ims_vectors;
} MdevRecord;

/*
 * Reads the aa{sv} of a ListMdevs reply. Keys it does not know, and known keys
 * with another type than docs/dbus-api.md gives, are skipped. Returns 0 or a
 * negative errno.
 */
int mdev_records_read(sd_bus_message *reply, MdevRecord **ret, size_t *ret_n);

/* By parent, then UUID. */
int mdev_record_compare(const void *a, const void *b);

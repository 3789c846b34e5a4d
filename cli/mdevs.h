/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mdevs of a ListMdevs or ListMdevsByFileDescriptor reply, read straight into records. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
        const char *attrs;              /* its definition's attributes as JSON, [{"name":"value"},...] */
        bool attrs_allocated;           /* attrs is ours (read from a(ss)), not the reply's */
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

/*
 * Parses the text of ListMdevsByFileDescriptor (common/mdev-table.h) in
 * place: the records point into text. Columns it does not know are skipped.
 */
int mdev_records_parse_table(char *text, size_t size, MdevRecord **ret, size_t *ret_n);

/*
 * Reads the memfd of a ListMdevsByFileDescriptor reply whole into *ret_text,
 * which the records point into; the caller frees it after them.
 */
int mdev_records_read_fd(sd_bus_message *reply, char **ret_text, MdevRecord **ret, size_t *ret_n);

/*
 * Prints {"mdevs": [...]} for idxdctl --json list, record by record, byte for
 * byte as json-c prints the same tree (pretty, spaced, no slash escapes), in
 * the key order docs/cli.md gives. Returns 0 or -EIO when f failed.
 */
int mdev_records_print_json(FILE *f, const MdevRecord *records, size_t n);
/* Frees the records and what they own. */
void mdev_records_free(MdevRecord *records, size_t n);

/*
 * Lists mdevs over the bus (ListMdevsByFileDescriptor, or ListMdevs where fds
 * cannot pass), filters NULL for none, sorted by parent then UUID. The
 * records point into *ret_reply and *ret_text; free them with
 * mdev_records_free() first. Returns 0 or an exit status after one line.
 */
typedef struct Idxdctl Idxdctl;
int idxdctl_list_mdevs(Idxdctl *ctl, const char *parent, const char *type, const char *domain,
                       sd_bus_message **ret_reply, char **ret_text, MdevRecord **ret, size_t *ret_n);

/* By parent, then UUID. */
int mdev_record_compare(const void *a, const void *b);
/*
 * Sorts by parent, then UUID, as mdev_record_compare() orders. The daemon
 * lists in UUID order: then grouping by parent keeps that order and costs
 * one pass instead of qsort()'s n log n comparisons of two strings.
 */
void mdev_records_sort(MdevRecord *m, size_t n);

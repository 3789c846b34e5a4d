/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Readers of the manager's argument arrays (a{sv} options, aa{sv} requests)
 * and the checks of what they read, with the caps of docs/dbus-api.md.
 * No bus connection, no state: the fuzz target (tests/fuzz/fuzz-bus-args.c)
 * feeds them messages built from its input. Strings point into the message.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "store.h"

/* Every option any method takes; each method names the ones it accepts. */
typedef struct BusOptions {
        const char *parent;
        const char *type;
        const char *uuid;
        const char *domain;
        int persistent;
        int autostart;
        int force;
        int keep_definition;
        IdxdAttr *attrs;        /* strings point into the message; the array is ours */
        size_t n_attrs;
        bool attrs_given;       /* "attrs" was there, maybe empty */
        int exclusive;
        int remove_attr;
        IdxdAttr add_attr;      /* strings point into the message */
        int64_t index;          /* a uint32; set it to -1 before reading to tell "not given" */
} BusOptions;

typedef struct OptionSpec {
        const char *key;
        char type;              /* 's', 'b', 'u' (into an int64_t), 'A' for a(ss), 'P' for (ss) */
        size_t offset;
} OptionSpec;

extern const OptionSpec bus_create_options[];           /* CreateMdev, CreateMdevs' call-wide options */
extern const OptionSpec bus_create_request_options[];   /* one request of CreateMdevs */
extern const OptionSpec bus_destroy_options[];
extern const OptionSpec bus_list_filter[];
extern const OptionSpec bus_define_options[];
extern const OptionSpec bus_modify_options[];
extern const OptionSpec bus_parent_option[];           /* UndefineMdev, StartMdev */
extern const OptionSpec bus_stop_options[];

void bus_options_done(BusOptions *o);

/*
 * Reads an a{sv} into o. A bad key, type or an attrs list past its cap is
 * reported in error (the first one only) but the whole dict is still
 * consumed, so a batch can go on. Returns negative errno only when the
 * message itself cannot be read.
 */
int bus_read_options(sd_bus_message *m, const OptionSpec *specs, BusOptions *o, sd_bus_error *error);

/* CreateMdevs' requests: one BusOptions and, for a bad one, its own error. */
typedef struct BusRequests {
        BusOptions *items;
        sd_bus_error *errors;
        size_t n;
} BusRequests;

void bus_requests_done(BusRequests *r);

/*
 * Reads the aa{sv} of CreateMdevs. More than IDXD_CREATE_REQUESTS_MAX
 * requests: -EINVAL with InvalidArgs naming the cap in error, and nothing
 * past the cap is read.
 */
int bus_read_requests(sd_bus_message *m, BusRequests *ret, sd_bus_error *error);

/* Checks a create's strings against the caps: type, uuid, parent, domain, attrs; InvalidArgs names the one. */
int bus_validate_create(const BusOptions *o, sd_bus_error *error);

/*
 * The same checks for what a definition method read: type, parent and uuid
 * may be empty or absent; add_attr is checked as one more attribute (the
 * definition's count after the change is definition_modify's to check).
 */
int bus_validate_definition(const BusOptions *o, sd_bus_error *error);

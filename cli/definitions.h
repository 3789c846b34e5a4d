/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The definition calls (DefineMdev, UndefineMdev, ModifyMdev, StartMdev,
 * StopMdev) shared by idxdctl's verbs and its mdevctl personality. Each
 * returns 0, or an exit status after one line about the failure.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "idxdctl.h"
#include "store.h"
#include "uuid.h"

typedef struct DefineArgs {
        const char *parent;             /* "": the existing mdev's */
        const char *type;               /* "": the existing mdev's */
        const char *uuid;               /* "": a new one */
        const char *domain;             /* NULL: none */
        bool autostart;
        bool exclusive;                 /* an existing definition under that parent is an error */
        const IdxdAttr *attrs;
        size_t n_attrs;
} DefineArgs;

/* Type, start mode and attributes from a --jsonfile configuration (pointing into it). */
void idxdctl_define_args_from_config(DefineArgs *a, const IdxdDefinition *config);

/*
 * DefineMdev, or CreateMdev (a device without a definition: autostart and
 * exclusive do not apply); the UUID goes into ret_uuid.
 */
int idxdctl_make(Idxdctl *ctl, const char *method, const DefineArgs *a, char ret_uuid[static IDXD_UUID_STRING_MAX]);

typedef struct ModifyArgs {
        const char *parent;             /* NULL: the only definition */
        const char *type;               /* NULL: keep */
        int autostart;                  /* -1: keep */
        const char *domain;             /* NULL: keep; "": none */
        const char *add_attr_name;
        const char *add_attr_value;
        bool remove_attr;
        int64_t index;                  /* -1: none given */
} ModifyArgs;

int idxdctl_modify(Idxdctl *ctl, const char *uuid, const ModifyArgs *m);

/* UndefineMdev, StartMdev or StopMdev: a UUID and (for the first two) the parent that picks a definition. */
int idxdctl_uuid_call(Idxdctl *ctl, const char *method, const char *uuid, const char *parent, bool force);

/* A verb of the form "UUID [--parent PARENT]" (or "UUID [--force]" for StopMdev) that makes one such call. */
int idxdctl_run_uuid_verb(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[], const char *method);

/*
 * Reads a device configuration in mdevctl's JSON (--jsonfile; "-" or
 * /dev/stdin work, as libvirt passes them). Returns 0, or an exit status
 * after one line.
 */
int idxdctl_read_jsonfile(const char *program, const char *path, IdxdDefinition **ret);

/* An "attrs" entry, a(ss) in order, into the a{sv} of options m is in. */
int idxdctl_append_attrs_entry(sd_bus_message *m, const IdxdAttr *attrs, size_t n);

/* "NAME=VALUE" into an attribute (pointing into arg); false when there is no '='. */
bool idxdctl_parse_attr(char *arg, IdxdAttr *ret);

/* Tells libvirt's node-device driver that definitions changed (docs/libvirt.md). Best effort. */
void idxdctl_mdevctl_touch_stamp(void);

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mdevctl's verbs over idxdd's definitions: define (no device needed, the
 * parent may be absent), undefine, modify, start and stop by UUID. A
 * definition is one (UUID, parent): a UUID may be defined under several
 * parents, and then the parent chooses. Each verb runs the callouts (pre:
 * may veto; post), changes the store, tells the bus, and calls back once.
 * A refused define or modify changes nothing already defined.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "mdev-ops.h"
#include "store.h"

typedef struct Ops Ops;

/* What a modify changes; everything unset stays. */
typedef struct DefinitionChange {
        const char *type;               /* NULL: keep */
        int autostart;                  /* -1: keep */
        const char *domain;             /* NULL: keep; "": none */
        bool set_attrs;                 /* attrs/n_attrs replace the list */
        const IdxdAttr *attrs;
        size_t n_attrs;
        const char *add_attr_name;      /* inserted at index (the end without one) */
        const char *add_attr_value;
        bool remove_attr;               /* the one at index (the last without one) */
        bool has_index;
        uint32_t index;
} DefinitionChange;

/*
 * Defines def->uuid under def->parent. parent "": the parent of the existing
 * mdev (type "" its type too). With the parent present the type is resolved
 * on it (suffix allowed) and must exist there; an absent parent keeps the
 * type as given. The same definition again is no change; another one for
 * that UUID and parent is -EEXIST, and so is any with exclusive.
 */
void definition_define(Ops *o, const IdxdDefinition *def, bool exclusive, MdevOpCallback callback, void *userdata);
/* Every definition of uuid, or the one under parent; a device stays as it is. */
void definition_undefine(Ops *o, const IdxdUuid *uuid, const char *parent, MdevOpCallback callback, void *userdata);
/* parent may be NULL when the UUID has one definition. A running device is unchanged (but for its domain). */
void definition_modify(Ops *o, const IdxdUuid *uuid, const char *parent, const DefinitionChange *change,
                       MdevOpCallback callback, void *userdata);
/* Creates the device of a definition; the one that exists already is no change. */
void definition_start(Ops *o, const IdxdUuid *uuid, const char *parent, MdevOpCallback callback, void *userdata);
/* Removes the device; its definitions stay. */
void mdev_stop(Ops *o, const IdxdUuid *uuid, bool force, MdevOpCallback callback, void *userdata);

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The D-Bus objects: org.idxd.Manager1 (bus-manager.c) and one
 * org.idxd.Mdev1 per mdev (bus-mdev.c). Handlers go validate -> authorize ->
 * act (through the operations layer, ops.h) -> reply; the daemon calls the
 * emit functions for what the model and the operations layer tell it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "auth.h"
#include "discovery.h"
#include "model.h"
#include "ops.h"
#include "registrar.h"

typedef struct Bus {
        sd_bus *bus;
        sd_bus_slot *manager_slot;
        sd_bus_slot *mdev_slot;
        sd_bus_slot *mdev_enumerator_slot;
        sd_bus_slot *object_manager_slot;

        /* What the handlers act on and read; not owned. */
        Model *model;
        Ops *ops;
        Discovery *discovery;
        Registrar *registrar;

        Auth auth;                      /* who may change things; polkit checks in flight */
        char *sysfs_root;               /* for GetStatus */
        uint64_t start_usec;            /* CLOCK_MONOTONIC, for GetStatus */
} Bus;

int bus_new(Model *model, Ops *ops, Discovery *discovery, Registrar *registrar, const char *group,
            const char *sysfs_root, uint64_t start_usec, Bus **ret);
Bus *bus_free(Bus *b);

/* address NULL = the system bus. */
int bus_connect(Bus *b, const char *address);

/* bus-manager.c */
/* The attributes as a(ss), in order. */
int bus_append_attrs(sd_bus_message *m, const IdxdAttr *attrs, size_t n);
int bus_manager_register(Bus *b);
void bus_manager_emit_mdev(Bus *b, const Mdev *mdev, bool added);
void bus_manager_emit_parent(Bus *b, const Parent *p, bool added);
/* change: "defined", "modified", "undefined" (mdevctl's notifiers, as a signal). */
void bus_manager_emit_definition_changed(Bus *b, const IdxdDefinition *def, const char *change);

/* bus-mdev.c */
int bus_mdev_register(Bus *b);
void bus_mdev_emit_added(Bus *b, const Mdev *mdev);
void bus_mdev_emit_removed(Bus *b, const Mdev *mdev);
void bus_mdev_emit_state_changed(Bus *b, const Mdev *mdev);

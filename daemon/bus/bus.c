/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "macro.h"

int bus_new(Model *model, Ops *ops, Discovery *discovery, Registrar *registrar, const char *group,
            const char *sysfs_root, uint64_t start_usec, Bus **ret) {
        Bus *b;
        int r;

        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->model = model;
        b->ops = ops;
        b->discovery = discovery;
        b->registrar = registrar;
        b->start_usec = start_usec;
        b->sysfs_root = strdup(sysfs_root);
        r = b->sysfs_root ? auth_init(&b->auth, group) : -ENOMEM;
        if (r < 0) {
                bus_free(b);
                return r;
        }
        *ret = b;
        return 0;
}

Bus *bus_free(Bus *b) {
        if (!b)
                return NULL;
        sd_bus_slot_unref(b->manager_slot);
        sd_bus_slot_unref(b->mdev_slot);
        sd_bus_slot_unref(b->mdev_enumerator_slot);
        sd_bus_slot_unref(b->object_manager_slot);
        /* Its polkit calls hold slots on the bus. */
        auth_done(&b->auth);
        sd_bus_flush_close_unref(b->bus);
        free(b->sysfs_root);
        free(b);
        return NULL;
}

int bus_connect(Bus *b, const char *address) {
        int r;

        if (!address)
                return sd_bus_open_system(&b->bus);

        r = sd_bus_new(&b->bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(b->bus, address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(b->bus, true);
        if (r < 0)
                return r;
        return sd_bus_start(b->bus);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* org.idxd.Mdev1: one object per mdev, served by a fallback vtable. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "idxd-bus.h"
#include "log.h"
#include "macro.h"
#include "sysfs-path.h"

static int mdev_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                     void **found, sd_bus_error *error) {
        Bus *b = userdata;
        IdxdUuid uuid;
        Mdev *mdev;

        if (idxd_uuid_from_object_path(path, &uuid) < 0)
                return 0;
        mdev = model_find_mdev(b->model, &uuid);
        if (!mdev) {
                /* A UUID defined under several parents shows its first definition. */
                Definition *e = definitions_find_deviceless(b->ops, &uuid);

                if (!e)
                        return 0;
                mdev = &e->shadow;
        }
        *found = mdev;
        return 1;
}

static int mdev_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Bus *b = userdata;
        size_t n = 0;
        char **l;

        l = calloc(b->model->n_mdevs + b->ops->definitions.n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < b->model->n_mdevs + b->ops->definitions.n; i++) {
                const Mdev *mdev;
                char node[MDEV_OBJECT_PATH_MAX];

                if (i < b->model->n_mdevs)
                        mdev = b->model->mdevs[i];
                else {
                        const Definition *e = b->ops->definitions.items[i - b->model->n_mdevs];

                        /* One object per UUID: its first definition, when it has no device. */
                        if (definitions_find_deviceless(b->ops, &e->def->uuid) != e)
                                continue;
                        mdev = &e->shadow;
                }
                l[n] = strdup(mdev_object_path(mdev, node));
                if (!l[n]) {
                        strv_free(l);
                        return -ENOMEM;
                }
                n++;
        }
        *nodes = l;
        return 0;
}

static int property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Mdev *mdev = userdata;
        const char *value;

        if (strcmp(property, "Uuid") == 0)
                value = mdev->uuid_string;
        else if (strcmp(property, "Parent") == 0)
                value = mdev->parent;
        else if (strcmp(property, "Type") == 0)
                value = mdev->type;
        else if (strcmp(property, "State") == 0)
                value = mdev_state_to_string(mdev->state);
        else if (strcmp(property, "Domain") == 0)
                value = mdev->domain;
        else
                value = mdev->wq;

        return sd_bus_message_append(reply, "s", strempty(value));
}

static int property_get_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Mdev *mdev = userdata;
        int value = strcmp(property, "Persistent") == 0 ? mdev->persistent : mdev->autostart;

        return sd_bus_message_append(reply, "b", value);
}

static int property_get_ims_vectors(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Mdev *mdev = userdata;

        return sd_bus_message_append(reply, "u", mdev->has_ims_vectors ? mdev->ims_vectors : 0);
}

/* The attributes of the mdev's definition under its parent; none without one. */
static int property_get_attrs(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Mdev *mdev = userdata;
        Bus *b = sd_bus_slot_get_userdata(sd_bus_get_current_slot(bus));
        const Definition *e = mdev->parent ? definitions_find(b->ops, &mdev->uuid, mdev->parent) : NULL;

        return bus_append_attrs(reply, e ? e->def->attrs : NULL, e ? e->def->n_attrs : 0);
}

static const sd_bus_vtable mdev_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Uuid", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Parent", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Type", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Domain", "s", property_get_string, 0, 0),
        SD_BUS_PROPERTY("Persistent", "b", property_get_bool, 0, 0),
        SD_BUS_PROPERTY("Autostart", "b", property_get_bool, 0, 0),
        SD_BUS_PROPERTY("ImsVectors", "u", property_get_ims_vectors, 0, 0),
        SD_BUS_PROPERTY("Wq", "s", property_get_string, 0, 0),
        SD_BUS_PROPERTY("Attrs", "a(ss)", property_get_attrs, 0, 0),
        SD_BUS_VTABLE_END
};

int bus_mdev_register(Bus *b) {
        int r;

        r = sd_bus_add_fallback_vtable(b->bus, &b->mdev_slot, IDXD_MDEV_PATH_PREFIX, IDXD_MDEV_INTERFACE,
                                       mdev_vtable, mdev_find, b);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(b->bus, &b->mdev_enumerator_slot, IDXD_MDEV_PATH_PREFIX,
                                          mdev_enumerate, b);
}

void bus_mdev_emit_added(Bus *b, const Mdev *mdev) {
        char path[MDEV_OBJECT_PATH_MAX];
        int r;

        r = sd_bus_emit_object_added(b->bus, mdev_object_path(mdev, path));
        if (r < 0)
                log_warning_errno(r, "Failed to announce mdev %s", mdev->uuid_string);
}

void bus_mdev_emit_removed(Bus *b, const Mdev *mdev) {
        char path[MDEV_OBJECT_PATH_MAX];
        int r;

        r = sd_bus_emit_object_removed(b->bus, mdev_object_path(mdev, path));
        if (r < 0)
                log_warning_errno(r, "Failed to announce the removal of mdev %s", mdev->uuid_string);
}

void bus_mdev_emit_state_changed(Bus *b, const Mdev *mdev) {
        char path[MDEV_OBJECT_PATH_MAX];
        int r;

        r = sd_bus_emit_properties_changed(b->bus, mdev_object_path(mdev, path), IDXD_MDEV_INTERFACE, "State", NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to announce the state of mdev %s", mdev->uuid_string);
}

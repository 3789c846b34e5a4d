/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parents and mdevs from libudev and sysfs, fed to the model (model.h), whose
 * observer hears what changed. The monitor is enabled before the first
 * enumeration so nothing that happens in between is missed.
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "model.h"

struct udev;
struct udev_monitor;

typedef struct Discovery {
        sd_event *event;
        Model *model;                   /* not owned */
        struct udev *udev;
        struct udev_monitor *monitor;
        sd_event_source *monitor_source;
        bool enumerating;               /* an enumeration is in progress */
} Discovery;

int discovery_new(sd_event *event, Model *model, Discovery **ret);
Discovery *discovery_free(Discovery *d);

/* Enables the uevent monitor on the loop; call before the first discovery_enumerate(). */
int discovery_start_monitor(Discovery *d);
/* Reads every parent and mdev from sysfs, dropping what vanished without a uevent. */
int discovery_enumerate(Discovery *d);
/* Re-reads a parent's attributes and types from sysfs into the model. */
int discovery_refresh_parent(Discovery *d, const char *syspath);
/* Reads an mdev from sysfs into the model, as an add uevent would. */
int discovery_read_mdev(Discovery *d, const char *syspath, const char *type_property);
/* Drops an mdev from the model, as a remove uevent would. */
int discovery_mdev_gone(Discovery *d, const IdxdUuid *uuid);
/* Re-reads only the types' available_instances (cheap, for choosing a parent). */
int discovery_refresh_available(Parent *p);

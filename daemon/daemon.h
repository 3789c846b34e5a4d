/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon: the event loop, the startup order, and the wiring between the
 * subsystems, each with its own state: the model (core), discovery, the
 * libvirt registrar, the operations layer and the bus objects.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "bus.h"
#include "discovery.h"
#include "model.h"
#include "ops.h"
#include "registrar.h"

typedef struct DaemonConfig {
        const char *sysfs_root;         /* NULL = /sys */
        const char *dev_root;           /* NULL = /dev */
        const char *bus_address;        /* NULL = the system bus */
        const char *group;              /* NULL = IDXD_DEFAULT_GROUP */
        const char *libvirt_uri;        /* NULL = the config's, "none" = no libvirt */
        const char *state_dir;          /* NULL = the config's, else $STATE_DIRECTORY, else IDXD_DEFAULT_STATE_DIR */
        const char *config_dir;         /* NULL = IDXD_DEFAULT_CONFIG_DIR: idxdd.json and policy.d/ */
        const char *policy_dir;         /* NULL = the config's policy_dir, else <config_dir>/policy.d */
        uint64_t create_timeout_usec;   /* 0 = default */
        unsigned creates_in_flight;     /* 0 = the config's creates_in_flight */
        const char *callout_dir;        /* NULL = the config's; "" = no callouts */
        uint64_t callout_timeout_usec;  /* 0 = the config's */
} DaemonConfig;

typedef struct Daemon {
        sd_event *event;
        Model *model;
        Discovery *discovery;
        Registrar *registrar;           /* NULL when libvirt is off */
        Ops *ops;
        Bus *bus;
        sd_event_source *status_defer;  /* STATUS= after the model changed */

        OpsSettings settings;           /* strings owned below */
        char *sysfs_root;
        char *dev_root;
        char *bus_address;
        char *group_name;
        char *libvirt_uri;
        char *state_dir;
        char *config_dir;
        char *policy_dir;
        char *callout_dir;
        uint64_t start_usec;            /* CLOCK_MONOTONIC */
        bool ready;                     /* startup enumeration done: changes are announced on the bus */
} Daemon;

int daemon_new(const DaemonConfig *config, Daemon **ret);
Daemon *daemon_free(Daemon *d);
/* Sets everything up in order and runs the loop until SIGTERM/SIGINT. */
int daemon_run(Daemon *d);

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon context: event loop, bus, udev monitor, model, pending operations. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "idxdd-config.h"
#include "model.h"

struct udev;
struct udev_monitor;
struct IdxdLibvirt;
typedef struct MdevQueue MdevQueue;
typedef struct Definition Definition;
struct IdxdPolicy;

#define DAEMON_DEFAULT_CREATE_TIMEOUT_USEC (5 * 1000000ULL)

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
} DaemonConfig;

typedef struct Daemon {
        sd_event *event;
        sd_bus *bus;
        struct udev *udev;
        struct udev_monitor *monitor;
        sd_event_source *monitor_source;
        sd_bus_slot *manager_slot;
        sd_bus_slot *mdev_slot;
        sd_bus_slot *mdev_enumerator_slot;
        sd_bus_slot *object_manager_slot;

        Model *model;
        MdevQueue *queues;              /* pending creates/removes per parent+type */
        struct IdxdLibvirt *libvirt;    /* NULL when libvirt is off */
        char *libvirt_uri;
        char *libvirt_last_error;       /* logged once, not at every retry */

        Definition **definitions;       /* persistent definitions, sorted by UUID (definitions.h) */
        size_t n_definitions;
        sd_event_source *autostart_defer;
        sd_event_source *announce_defer;
        unsigned startup_pending;       /* creates of the initial reconcile and policy still running */
        unsigned autostart_inflight;    /* autostart creates queued */
        bool notified_ready;

        struct IdxdPolicy *policy;      /* NULL = none (policy-apply.h) */
        char **policy_shortfalls;       /* of the last solve */
        size_t n_policy_shortfalls;
        sd_event_source *policy_timer;  /* the debounce */
        unsigned policy_inflight;       /* creates and removes the last solve asked for */
        bool policy_dirty;              /* solve again once those are done */
        bool policy_dropped;            /* a reload removed the policy: release what it made */
        bool policy_started;            /* the startup solve has run */

        char *state_dir;
        char *config_dir;
        char *policy_dir;
        unsigned ims_reserve;
        IdxdOnUndefined on_domain_undefined;

        char *sysfs_root;
        char *dev_root;
        char *bus_address;
        char *group_name;
        bool has_group;
        gid_t group;
        uint64_t create_timeout_usec;
        uint64_t start_usec;            /* CLOCK_MONOTONIC */
        bool enumerating;               /* an enumeration is in progress */
        bool ready;                     /* startup done: changes are announced on the bus */
} Daemon;

int daemon_new(const DaemonConfig *config, Daemon **ret);
Daemon *daemon_free(Daemon *d);
/* Sets everything up in order and runs the loop until SIGTERM/SIGINT. */
int daemon_run(Daemon *d);
/* CLOCK_MONOTONIC in microseconds. */
uint64_t daemon_now_usec(void);
/* Startup work (autostart and policy creates) that READY=1 waits for. */
void daemon_startup_op_begin(Daemon *d);
void daemon_startup_op_end(Daemon *d);
/* Sends STATUS= with the current counts. */
void daemon_notify_status(Daemon *d);

/* discovery.c */
int discovery_start_monitor(Daemon *d);
int discovery_enumerate(Daemon *d);
/* Re-reads a parent's attributes and types from sysfs into the model. */
int discovery_refresh_parent(Daemon *d, const char *syspath);
/* Reads an mdev from sysfs into the model, as an add uevent would. */
int discovery_read_mdev(Daemon *d, const char *syspath, const char *type_property);
/* Drops an mdev from the model, as a remove uevent would. */
int discovery_mdev_gone(Daemon *d, const IdxdUuid *uuid);
/* Re-reads only the types' available_instances (cheap, for choosing a parent). */
int discovery_refresh_available(Daemon *d, Parent *p);

/* bus-manager.c */
int bus_manager_register(Daemon *d);
void bus_manager_emit_mdev(Daemon *d, const Mdev *mdev, bool added);
void bus_manager_emit_parent(Daemon *d, const Parent *p, bool added);

/* bus-mdev.c */
int bus_mdev_register(Daemon *d);
void bus_mdev_emit_added(Daemon *d, const Mdev *mdev);
void bus_mdev_emit_removed(Daemon *d, const Mdev *mdev);
void bus_mdev_emit_state_changed(Daemon *d, const Mdev *mdev);

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The operations layer: create and remove queues (mdev-ops.h), persistent
 * definitions (definitions.h) and the running policy (policy-apply.h) over
 * the model, sysfs (discovery.h) and the libvirt registrar (registrar.h).
 * It never calls the bus: what the bus must announce beyond the model's own
 * changes, and the end of startup, it tells through OpsEvents.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "callouts.h"
#include "definition-ops.h"
#include "definitions.h"
#include "discovery.h"
#include "idxdd-config.h"
#include "mdev-ops.h"
#include "model.h"
#include "policy-apply.h"
#include "registrar.h"

typedef struct OpsEvents {
        /* A definition without a device gained (added) or lost its object; shadow is what to show. */
        void (*definition_object)(const Mdev *shadow, bool added, void *userdata);
        /* The startup's autostart and policy creates have all finished (made or failed). */
        void (*startup_done)(void *userdata);
        /* A definition was defined, modified or undefined (change says which). */
        void (*definition_changed)(const IdxdDefinition *def, const char *change, void *userdata);
} OpsEvents;

typedef struct OpsSettings {
        const char *sysfs_root;
        const char *dev_root;
        const char *state_dir;
        const char *config_dir;         /* idxdd.json, re-read on reload */
        const char *policy_dir;
        uint64_t create_timeout_usec;
        unsigned creates_in_flight;     /* per parent and type */
        const char *callout_dir;        /* NULL: CALLOUT_DEFAULT_DIR; "": none */
        uint64_t callout_timeout_usec;  /* 0: CALLOUT_DEFAULT_TIMEOUT_USEC */
        unsigned ims_reserve;
        IdxdOnUndefined on_domain_undefined;
} OpsSettings;

typedef struct Ops {
        sd_event *event;
        Model *model;                   /* not owned */
        Discovery *discovery;           /* not owned */
        Registrar *registrar;           /* not owned; NULL = libvirt off */
        MdevQueues queues;
        Definitions definitions;
        Callouts callouts;
        PolicyRunner policy;
        IdxdOnUndefined on_domain_undefined;
        unsigned startup_pending;       /* creates of the initial reconcile and policy still running */
        bool running;                   /* the first enumeration is done: definition objects are announced */
        bool startup_finished;          /* startup_done was told */
        const OpsEvents *events;
        void *userdata;
} Ops;

int ops_new(sd_event *event, Model *model, Discovery *discovery, Registrar *registrar,
            const OpsSettings *settings, const OpsEvents *events, void *userdata, Ops **ret);
/* Fails every pending request first. */
Ops *ops_free(Ops *o);

/* Before the first enumeration: the definitions and the policy (a bad policy is logged). */
int ops_load(Ops *o);
/* After the first enumeration: reconcile and the startup creates; startup_done follows. */
void ops_start(Ops *o);

/* From the model's observer, in the order the daemon announces things. */
void ops_parent_added(Ops *o, const Parent *p);
void ops_parent_removed(Ops *o, const Parent *p);
/* A new mdev, before it is announced: the options its definition or creator asked for. */
void ops_mdev_appeared(Ops *o, const Mdev *mdev);
/* After it is announced: the request that made it finishes. */
void ops_mdev_added(Ops *o, const Mdev *mdev);
/* Before the mdev leaves the model. */
void ops_mdev_removed(Ops *o, const Mdev *mdev);

/* A libvirt domain was undefined: keep or release its mdevs per on_domain_undefined. */
void ops_domain_undefined(Ops *o, const char *domain);

/* Within the layer: a definition's object comes or goes (OpsEvents.definition_object). */
void ops_tell_definition_object(Ops *o, const Mdev *shadow, bool added);
/* Within the layer: a definition changed (OpsEvents.definition_changed); change is "defined", "modified" or "undefined". */
void ops_tell_definition_changed(Ops *o, const IdxdDefinition *def, const char *change);
/* Drops a definition whose file is gone: tells the bus, then frees e. */
void ops_forget_definition(Ops *o, Definition *e);

/* Work READY=1 waits for. */
void ops_startup_begin(Ops *o);
void ops_startup_end(Ops *o);

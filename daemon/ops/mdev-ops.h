/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Creating and removing mdevs. Each request is queued per parent+type: a
 * queue writes up to creates_in_flight UUIDs to sysfs and waits (without
 * blocking the loop) for the kernel's uevents, bounded by the create
 * timeout; a remove runs alone. Near the end of a type's capacity creates
 * wait for those in flight, so available_instances stays exact.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "store.h"
#include "uuid.h"

typedef struct Ops Ops;
typedef struct MdevQueue MdevQueue;

/* The queues' state. */
typedef struct MdevQueues {
        MdevQueue *first;               /* one per parent+type with work */
        char *sysfs_root;
        char *dev_root;
        uint64_t create_timeout_usec;
        unsigned creates_in_flight;     /* written and not yet confirmed, per queue */
} MdevQueues;

#define MDEV_OPS_DEFAULT_CREATE_TIMEOUT_USEC (5 * 1000000ULL)

/*
 * Called exactly once per request, possibly before mdev_create()/mdev_destroy()
 * return. r is 0 or a negative errno (see idxd_error_name_from_errno());
 * message describes a failure for people.
 */
typedef void (*MdevOpCallback)(Ops *o, const IdxdUuid *uuid, int r, const char *message, void *userdata);

typedef struct MdevCreateRequest {
        const char *parent;     /* NULL or "" = the daemon chooses */
        const char *type;       /* full id or a suffix */
        IdxdUuid uuid;
        const char *domain;     /* NULL = none */
        bool persistent;
        bool autostart;
        IdxdOrigin origin;      /* who asked; stored with a persistent definition */
        const char *pool;       /* policy-made: the pool */
        const IdxdAttr *attrs;  /* written to the new mdev's sysfs attributes in this order */
        size_t n_attrs;
} MdevCreateRequest;

/* With a domain and libvirt on, libvirt is first asked whether the domain exists (Libvirt error if not). */
void mdev_create(Ops *o, const MdevCreateRequest *req, MdevOpCallback callback, void *userdata);
/* keep_definition: the mdev goes, its libvirt registration stays. */
void mdev_destroy(Ops *o, const IdxdUuid *uuid, bool force, bool keep_definition,
                  MdevOpCallback callback, void *userdata);

/* From the model observer, before announcing a new mdev: the options its creator asked for. */
void mdev_ops_apply_options(Ops *o, Mdev *mdev);
/* From the model observer: an mdev appeared or is about to vanish. */
void mdev_ops_mdev_added(Ops *o, const Mdev *mdev);
void mdev_ops_mdev_removed(Ops *o, const Mdev *mdev);

/* From the model observer: a parent is about to vanish; its running create fails. */
void mdev_ops_parent_removed(Ops *o, const Parent *p);

/* Fails every pending request (shutdown). */
void mdev_ops_cancel_all(Ops *o);
void mdev_queues_done(MdevQueues *q);

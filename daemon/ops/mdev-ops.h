/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Creating and removing mdevs. Each request is queued per parent+type and
 * runs alone: write to sysfs, then wait (without blocking the loop) for the
 * kernel's uevent, bounded by the create timeout. One at a time keeps
 * available_instances exact for the next request.
 */
#pragma once

#include <stdbool.h>

#include "daemon.h"
#include "store.h"
#include "uuid.h"

/*
 * Called exactly once per request, possibly before mdev_create()/mdev_destroy()
 * return. r is 0 or a negative errno (see idxd_error_name_from_errno());
 * message describes a failure for people.
 */
typedef void (*MdevOpCallback)(Daemon *d, const IdxdUuid *uuid, int r, const char *message, void *userdata);

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
void mdev_create(Daemon *d, const MdevCreateRequest *req, MdevOpCallback callback, void *userdata);
/* keep_definition: the mdev goes, its libvirt registration stays. */
void mdev_destroy(Daemon *d, const IdxdUuid *uuid, bool force, bool keep_definition,
                  MdevOpCallback callback, void *userdata);

/* From the model observer, before announcing a new mdev: the options its creator asked for. */
void mdev_ops_apply_options(Daemon *d, Mdev *mdev);
/* From the model observer: an mdev appeared or is about to vanish. */
void mdev_ops_mdev_added(Daemon *d, const Mdev *mdev);
void mdev_ops_mdev_removed(Daemon *d, const Mdev *mdev);

/* From the model observer: a parent is about to vanish; its running create fails. */
void mdev_ops_parent_removed(Daemon *d, const Parent *p);

/* Fails every pending request (shutdown). */
void mdev_ops_cancel_all(Daemon *d);

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's side of the libvirt registrar (libvirt.h): started when a
 * libvirt URI is configured, logs its connection and registration changes,
 * and passes domain undefinitions on. Every function takes NULL (libvirt
 * off) and then does nothing.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "libvirt.h"
#include "uuid.h"

typedef struct Registrar Registrar;

typedef struct RegistrarEvents {
        /* A domain with registrations was undefined; runs on the loop. */
        void (*domain_undefined)(const char *domain, void *userdata);
} RegistrarEvents;

/*
 * The registrar module for uri, newly allocated: $IDXDD_LIBVIRT_REGISTRAR
 * when set, else in $IDXDD_REGISTRAR_DIR or the installed directory the one
 * over idxdd's own client for a daemon on a local socket
 * (idxd_libvirt_uri_local()), the one over libvirt's library otherwise.
 */
int registrar_module_path(const char *uri, char **ret);

/*
 * uri "none" = off: *ret = NULL. A registrar module that cannot be loaded,
 * or a registrar that cannot start, is logged and also leaves *ret NULL:
 * the daemon runs without libvirt. Fails only when out of memory.
 */
int registrar_new(sd_event *event, const char *uri, const RegistrarEvents *events, void *userdata,
                  Registrar **ret);
Registrar *registrar_free(Registrar *r);

/* Wants uuid in domain's config (and the running domain's, when live). */
void registrar_register(Registrar *r, const IdxdUuid *uuid, const char *domain, bool live);
/* Wants uuid out of every domain. */
void registrar_unregister(Registrar *r, const IdxdUuid *uuid);
/*
 * Asks whether a domain exists (idxd_libvirt_check_domain()); the callback
 * may run before this returns. With r NULL or on failure to ask: -ENOTCONN
 * reported through the callback, as when libvirt is away.
 */
void registrar_check_domain(Registrar *r, const char *domain, uint64_t timeout_usec,
                            IdxdLibvirtCheckCallback callback, void *userdata);

/* "URI state" for GetStatus; NULL when off. */
char *registrar_describe(Registrar *r);
unsigned registrar_pending(Registrar *r);
/* The registration of an mdev with a domain as listed ("pending", …); NULL when off. */
const char *registrar_registration(Registrar *r, const IdxdUuid *uuid, bool has_domain);

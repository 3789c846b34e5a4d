/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Registers mdevs with libvirt domains as <hostdev type='mdev'> elements.
 *
 * One worker thread owns the libvirt connection and runs libvirt's event
 * loop; every libvirt call happens there. The sd-event side only records
 * what it wants (a registrar keeps the desired uuid -> domain set) and gets
 * results back through an eventfd, so libvirt never stalls the D-Bus loop.
 * The connection is retried with backoff while libvirt is away; on every
 * (re)connect each registration is checked again. See docs/libvirt.md.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "uuid.h"

typedef struct IdxdLibvirt IdxdLibvirt;

typedef enum IdxdLibvirtState {
        IDXD_LIBVIRT_DISCONNECTED,      /* a retry is scheduled */
        IDXD_LIBVIRT_CONNECTING,
        IDXD_LIBVIRT_CONNECTED,
        _IDXD_LIBVIRT_STATE_MAX,
} IdxdLibvirtState;

typedef enum IdxdRegistration {
        IDXD_REGISTRATION_NONE,         /* no domain, or detached */
        IDXD_REGISTRATION_PENDING,      /* queued, or waiting for libvirt */
        IDXD_REGISTRATION_REGISTERED,   /* in the domain's config (and live when asked) */
        IDXD_REGISTRATION_FAILED,       /* libvirt refused; retried on reconnect or when the domain is defined */
        _IDXD_REGISTRATION_MAX,
} IdxdRegistration;

typedef enum IdxdDomainEvent {
        IDXD_DOMAIN_DEFINED,
        IDXD_DOMAIN_UNDEFINED,
        IDXD_DOMAIN_STARTED,
        IDXD_DOMAIN_STOPPED,
        _IDXD_DOMAIN_EVENT_MAX,
} IdxdDomainEvent;

/* All run on the sd-event loop; any of them may be NULL. */
typedef struct IdxdLibvirtCallbacks {
        /* A registration reached a new state; message explains a failure, else NULL. */
        void (*registration_changed)(IdxdLibvirt *l, const IdxdUuid *uuid, const char *domain,
                                     IdxdRegistration state, const char *message, void *userdata);
        void (*domain_event)(IdxdLibvirt *l, const char *domain, IdxdDomainEvent event, void *userdata);
        /* message says why a connection failed or was lost, else NULL. */
        void (*state_changed)(IdxdLibvirt *l, IdxdLibvirtState state, const char *message, void *userdata);
} IdxdLibvirtCallbacks;

/*
 * Result of idxd_libvirt_check_domain(), exactly once: 0 the domain exists;
 * -ENOENT it does not; -ENOTCONN libvirt is not connected; -ETIMEDOUT no
 * answer in time; -EREMOTEIO libvirt failed otherwise; -ECANCELED the
 * registrar is being freed. message (NULL on success) is for people and
 * names the domain.
 */
typedef void (*IdxdLibvirtCheckCallback)(IdxdLibvirt *l, const char *domain, int r, const char *message,
                                         void *userdata);

const char *idxd_libvirt_state_to_string(IdxdLibvirtState s);
const char *idxd_registration_to_string(IdxdRegistration r);
const char *idxd_domain_event_to_string(IdxdDomainEvent e);

/* uri NULL or "" = IDXD_DEFAULT_LIBVIRT_URI (idxdd-config.h). Starts the worker, which connects at once. */
int idxd_libvirt_new(sd_event *event, const char *uri, const IdxdLibvirtCallbacks *callbacks, void *userdata,
                     IdxdLibvirt **ret);
/*
 * Stops the worker and fails pending checks with -ECANCELED. Waits up to 10 s
 * for a libvirt call in flight; a worker stuck longer is left running.
 */
IdxdLibvirt *idxd_libvirt_free(IdxdLibvirt *l);

/*
 * Wants uuid registered with domain; live = the mdev exists, so a running
 * domain gets it too. Idempotent; registering with another domain detaches
 * it from the old one. Calling it again (e.g. live now true) re-checks.
 */
int idxd_libvirt_register(IdxdLibvirt *l, const IdxdUuid *uuid, const char *domain, bool live);
/* Wants uuid detached from every domain (config and live). Unknown uuid: nothing to do. */
int idxd_libvirt_unregister(IdxdLibvirt *l, const IdxdUuid *uuid);

/* Asks whether a domain exists, answering within timeout_usec; the callback may run before this returns. */
int idxd_libvirt_check_domain(IdxdLibvirt *l, const char *domain, uint64_t timeout_usec,
                              IdxdLibvirtCheckCallback callback, void *userdata);

const char *idxd_libvirt_get_uri(const IdxdLibvirt *l);
IdxdLibvirtState idxd_libvirt_get_state(IdxdLibvirt *l);
/* Attaches and detaches not yet done. */
unsigned idxd_libvirt_get_pending(IdxdLibvirt *l);
/* The state of uuid's registration; *ret_message (may be NULL) gets a copy of the last failure or NULL. */
IdxdRegistration idxd_libvirt_get_registration(IdxdLibvirt *l, const IdxdUuid *uuid, char **ret_message);

/*
 * Pure: how many <hostdev type='mdev'> elements under /domain/devices have a
 * source address with this uuid (any case); -EBADMSG for unparsable XML.
 */
int idxd_libvirt_xml_count_mdev(const char *xml, const IdxdUuid *uuid);
/* The <hostdev> element idxdd attaches and detaches, newly allocated. */
int idxd_libvirt_hostdev_xml(const IdxdUuid *uuid, char **ret);

/*
 * The registrar as a loadable module (docs/libvirt.md, "Loaded on demand"):
 * idxd-registrar-libvirt.so, linked with libvirt and libxml2, exports one
 * table of the calls above under IDXD_REGISTRAR_SYMBOL; idxdd dlopen()s it
 * only when a libvirt URI is configured, so idxdd itself links neither.
 */
#define IDXD_REGISTRAR_ABI 1
#define IDXD_REGISTRAR_SYMBOL "idxd_registrar_libvirt"

typedef struct IdxdRegistrarModule {
        unsigned abi;                   /* IDXD_REGISTRAR_ABI */
        size_t size;                    /* sizeof(IdxdRegistrarModule) */
        int (*new)(sd_event *event, const char *uri, const IdxdLibvirtCallbacks *callbacks, void *userdata,
                   IdxdLibvirt **ret);
        IdxdLibvirt *(*free)(IdxdLibvirt *l);
        int (*register_mdev)(IdxdLibvirt *l, const IdxdUuid *uuid, const char *domain, bool live);
        int (*unregister_mdev)(IdxdLibvirt *l, const IdxdUuid *uuid);
        int (*check_domain)(IdxdLibvirt *l, const char *domain, uint64_t timeout_usec,
                            IdxdLibvirtCheckCallback callback, void *userdata);
        const char *(*get_uri)(const IdxdLibvirt *l);
        IdxdLibvirtState (*get_state)(IdxdLibvirt *l);
        unsigned (*get_pending)(IdxdLibvirt *l);
        IdxdRegistration (*get_registration)(IdxdLibvirt *l, const IdxdUuid *uuid, char **ret_message);
} IdxdRegistrarModule;

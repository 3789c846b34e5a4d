/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "macro.h"
#include "libvirt-uri.h"
#include "registrar.h"

struct Registrar {
        const IdxdRegistrarModule *module;
        IdxdLibvirt *libvirt;
        char *uri;
        char *last_error;               /* logged once, not at every retry */
        const RegistrarEvents *events;
        void *userdata;
};

static void on_state_changed(IdxdLibvirt *l, IdxdLibvirtState state, const char *message, void *userdata) {
        Registrar *r = userdata;

        if (state == IDXD_LIBVIRT_CONNECTED) {
                log_info("Connected to libvirt at %s", r->uri);
                r->last_error = mfree(r->last_error);
                return;
        }
        /* Retries repeat the same failure: say it once. */
        if (!message || (r->last_error && strcmp(r->last_error, message) == 0))
                return;
        log_warning("libvirt at %s: %s", r->uri, message);
        free(r->last_error);
        r->last_error = strdup(message);
}

static void on_registration_changed(IdxdLibvirt *l, const IdxdUuid *uuid, const char *domain,
                                    IdxdRegistration state, const char *message, void *userdata) {
        char s[IDXD_UUID_STRING_MAX];

        if (state == IDXD_REGISTRATION_FAILED)
                log_warning("mdev %s not registered with domain %s: %s", idxd_uuid_format(uuid, s),
                            strempty(domain), strempty(message));
        else
                log_debug("mdev %s: registration with domain %s %s", idxd_uuid_format(uuid, s),
                          strempty(domain), idxd_registration_to_string(state));
}

static void on_domain_event(IdxdLibvirt *l, const char *domain, IdxdDomainEvent event, void *userdata) {
        Registrar *r = userdata;

        log_debug("Domain %s %s", domain, idxd_domain_event_to_string(event));
        if (event == IDXD_DOMAIN_UNDEFINED && r->events && r->events->domain_undefined)
                r->events->domain_undefined(domain, r->userdata);
}

static const IdxdLibvirtCallbacks registrar_callbacks = {
        .registration_changed = on_registration_changed,
        .domain_event = on_domain_event,
        .state_changed = on_state_changed,
};

int registrar_module_path(const char *uri, char **ret) {
        IdxdLibvirtLocal local;
        const char *e = getenv("IDXDD_LIBVIRT_REGISTRAR"), *dir;
        bool own;
        int r;

        if (e && *e) {
                *ret = strdup(e);
                return *ret ? 0 : -ENOMEM;
        }
        /* A daemon on a local socket is served by idxdd's own client; the rest needs libvirt's library. */
        r = idxd_libvirt_uri_local(uri, IDXD_LIBVIRT_RUN_DIR, &local);
        if (r == -ENOMEM)
                return r;
        own = r >= 0;
        idxd_libvirt_local_done(&local);
        dir = getenv("IDXDD_REGISTRAR_DIR");
        if (asprintf(ret, "%s/%s", dir && *dir ? dir : IDXD_REGISTRAR_DIR,
                     own ? IDXD_REGISTRAR_RPC_MODULE : IDXD_REGISTRAR_LIBVIRT_MODULE) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

/*
 * dlopen()s a registrar module; it stays loaded (a worker stuck in a libvirt
 * call may outlive the registrar). On failure *ret_error says why.
 */
static const IdxdRegistrarModule *module_load(const char *path, char **ret_error) {
        const IdxdRegistrarModule *m;
        void *handle;

        /* RTLD_LOCAL: libvirt's and libxml2's symbols stay inside the module. */
        handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
                *ret_error = strdup(dlerror());
                return NULL;
        }
        m = dlsym(handle, IDXD_REGISTRAR_SYMBOL);
        if (!m) {
                if (asprintf(ret_error, "%s has no symbol %s: not an idxdd registrar", path,
                             IDXD_REGISTRAR_SYMBOL) < 0)
                        *ret_error = NULL;
        } else if (m->abi != IDXD_REGISTRAR_ABI || m->size != sizeof(IdxdRegistrarModule)) {
                if (asprintf(ret_error, "%s is a registrar of another idxdd (ABI %u, this idxdd %u)", path,
                             m->abi, IDXD_REGISTRAR_ABI) < 0)
                        *ret_error = NULL;
        } else
                return m;
        (void) dlclose(handle);
        return NULL;
}

int registrar_new(sd_event *event, const char *uri, const RegistrarEvents *events, void *userdata,
                  Registrar **ret) {
        _cleanup_free_ char *error = NULL, *path = NULL;
        const IdxdRegistrarModule *m;
        Registrar *r;
        int k;

        *ret = NULL;
        if (strcmp(uri, "none") == 0)
                return 0;

        k = registrar_module_path(uri, &path);
        if (k < 0)
                return k;
        /* Without the registrar the daemon still manages mdevs; it only cannot register them. */
        m = module_load(path, &error);
        if (!m) {
                log_error("Cannot load the libvirt registrar: %s; running without libvirt: mdevs are not "
                          "registered with domains (libvirt_uri none turns this off)", error ?: "out of memory");
                return 0;
        }

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->module = m;
        r->events = events;
        r->userdata = userdata;
        r->uri = strdup(uri);
        if (!r->uri) {
                registrar_free(r);
                return -ENOMEM;
        }
        /* The registrar connects on its own thread; nothing here waits for libvirt. */
        k = m->new(event, uri, &registrar_callbacks, r, &r->libvirt);
        if (k < 0) {
                log_error_errno(k, "Cannot start the libvirt registrar for %s; running without libvirt", uri);
                registrar_free(r);
                return 0;
        }
        log_info("Registering mdevs with libvirt at %s through %s", uri, path);
        *ret = r;
        return 0;
}

Registrar *registrar_free(Registrar *r) {
        if (!r)
                return NULL;
        if (r->libvirt)
                r->module->free(r->libvirt);
        free(r->uri);
        free(r->last_error);
        free(r);
        return NULL;
}

void registrar_register(Registrar *r, const IdxdUuid *uuid, const char *domain, bool live) {
        char s[IDXD_UUID_STRING_MAX];
        int k;

        if (!r)
                return;
        k = r->module->register_mdev(r->libvirt, uuid, domain, live);
        if (k < 0)
                log_warning_errno(k, "Cannot register mdev %s with domain %s", idxd_uuid_format(uuid, s), domain);
}

void registrar_unregister(Registrar *r, const IdxdUuid *uuid) {
        char s[IDXD_UUID_STRING_MAX];
        int k;

        if (!r)
                return;
        k = r->module->unregister_mdev(r->libvirt, uuid);
        if (k < 0)
                log_warning_errno(k, "Cannot unregister mdev %s from libvirt", idxd_uuid_format(uuid, s));
}

void registrar_check_domain(Registrar *r, const char *domain, uint64_t timeout_usec,
                            IdxdLibvirtCheckCallback callback, void *userdata) {
        int k = r ? r->module->check_domain(r->libvirt, domain, timeout_usec, callback, userdata) : -ENOTCONN;

        if (k < 0) {
                /* Not asked: the caller goes ahead, as when libvirt is away. */
                if (r)
                        log_warning_errno(k, "Cannot ask libvirt about domain %s", domain);
                callback(NULL, domain, -ENOTCONN, NULL, userdata);
        }
}

char *registrar_describe(Registrar *r) {
        char *s;

        if (!r || asprintf(&s, "%s %s", r->module->get_uri(r->libvirt),
                           idxd_libvirt_state_to_string(r->module->get_state(r->libvirt))) < 0)
                return NULL;
        return s;
}

unsigned registrar_pending(Registrar *r) {
        return r ? r->module->get_pending(r->libvirt) : 0;
}

const char *registrar_registration(Registrar *r, const IdxdUuid *uuid, bool has_domain) {
        if (!r)
                return NULL;
        return idxd_registration_to_string(has_domain ? r->module->get_registration(r->libvirt, uuid, NULL) :
                                           IDXD_REGISTRATION_NONE);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "ops.h"

static int strdup_to(const char *value, char **ret) {
        *ret = value ? strdup(value) : NULL;
        return !value || *ret ? 0 : -ENOMEM;
}

int ops_new(sd_event *event, Model *model, Discovery *discovery, Registrar *registrar,
            const OpsSettings *settings, const OpsEvents *events, void *userdata, Ops **ret) {
        Ops *o;
        int r;

        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->event = sd_event_ref(event);
        o->model = model;
        o->discovery = discovery;
        o->registrar = registrar;
        o->events = events;
        o->userdata = userdata;
        o->on_domain_undefined = settings->on_domain_undefined;
        o->queues.create_timeout_usec = settings->create_timeout_usec ?: MDEV_OPS_DEFAULT_CREATE_TIMEOUT_USEC;
        o->queues.creates_in_flight = settings->creates_in_flight ?: 1;
        o->policy.ims_reserve = settings->ims_reserve;
        o->callouts.timeout_usec = settings->callout_timeout_usec ?: CALLOUT_DEFAULT_TIMEOUT_USEC;

        r = strdup_to(settings->sysfs_root, &o->queues.sysfs_root);
        if (r >= 0)
                r = strdup_to(settings->dev_root, &o->queues.dev_root);
        if (r >= 0)
                r = strdup_to(settings->state_dir, &o->definitions.state_dir);
        if (r >= 0)
                r = strdup_to(settings->config_dir, &o->policy.config_dir);
        if (r >= 0)
                r = strdup_to(settings->policy_dir, &o->policy.policy_dir);
        if (r >= 0)
                r = strdup_to(settings->callout_dir ?: CALLOUT_DEFAULT_DIR, &o->callouts.dir);
        if (r < 0) {
                ops_free(o);
                return r;
        }
        *ret = o;
        return 0;
}

Ops *ops_free(Ops *o) {
        if (!o)
                return NULL;
        callouts_cancel_all(o);
        mdev_ops_cancel_all(o);
        mdev_queues_done(&o->queues);
        callouts_done(&o->callouts);
        definitions_done(&o->definitions);
        policy_runner_done(&o->policy);
        sd_event_unref(o->event);
        free(o);
        return NULL;
}

int ops_load(Ops *o) {
        int r;

        /* Definitions before devices: an mdev found by the enumeration is adopted as it is read. */
        r = definitions_load(o);
        if (r < 0)
                return r;
        policy_apply_load_initial(o);
        return 0;
}

void ops_start(Ops *o) {
        o->running = true;
        /* startup_done once the autostart creates this starts have finished. */
        definitions_reconcile(o);
}

void ops_tell_definition_object(Ops *o, const Mdev *shadow, bool added) {
        if (o->events && o->events->definition_object)
                o->events->definition_object(shadow, added, o->userdata);
}

void ops_forget_definition(Ops *o, Definition *e) {
        IdxdUuid uuid = e->def->uuid;
        size_t first;

        /* The UUID's object goes with its last definition, unless it has a device. */
        if (!model_find_mdev(o->model, &uuid) && definitions_range(o, &uuid, &first) == 1)
                ops_tell_definition_object(o, &e->shadow, false);
        ops_tell_definition_changed(o, e->def, "undefined");
        definitions_forget_one(o, e);
}

void ops_tell_definition_changed(Ops *o, const IdxdDefinition *def, const char *change) {
        if (o->events && o->events->definition_changed)
                o->events->definition_changed(def, change, o->userdata);
}

void ops_startup_begin(Ops *o) {
        o->startup_pending++;
}

/* Autostart creates first, then the policy's, then startup_done. */
void ops_startup_end(Ops *o) {
        if (o->startup_pending == 0 || --o->startup_pending > 0)
                return;
        if (!o->policy.started) {
                o->policy.started = true;
                policy_apply_startup(o);
                return;
        }
        if (o->startup_finished)
                return;
        o->startup_finished = true;
        if (o->events && o->events->startup_done)
                o->events->startup_done(o->userdata);
}

void ops_parent_added(Ops *o, const Parent *p) {
        definitions_schedule_autostart(o);
        policy_apply_schedule(o);
}

void ops_parent_removed(Ops *o, const Parent *p) {
        mdev_ops_parent_removed(o, p);
        policy_apply_schedule(o);
}

void ops_mdev_appeared(Ops *o, const Mdev *mdev) {
        /* The model hands out const; the options belong to the daemon, not to the model's facts. */
        Mdev *m = model_find_mdev(o->model, &mdev->uuid);

        definitions_apply(o, m);
        mdev_ops_apply_options(o, m);
}

void ops_mdev_added(Ops *o, const Mdev *mdev) {
        mdev_ops_mdev_added(o, mdev);
        policy_apply_schedule(o);
}

void ops_mdev_removed(Ops *o, const Mdev *mdev) {
        mdev_ops_mdev_removed(o, mdev);
        definitions_device_removed(o, mdev);
        policy_apply_schedule(o);
}

/* userdata: the domain's name, owned by the callback. */
static void on_release_done(Ops *o, const IdxdUuid *uuid, int r, const char *message, void *userdata) {
        _cleanup_free_ char *domain = userdata;
        char s[IDXD_UUID_STRING_MAX];

        idxd_uuid_format(uuid, s);
        if (r >= 0)
                log_info("Released mdev %s of undefined domain %s", s, domain);
        else if (r == -EBUSY)
                log_notice("Keeping an mdev of undefined domain %s: %s", domain, strempty(message));
        else
                log_warning("Cannot release mdev %s of undefined domain %s: %s", s, domain,
                            message ? message : strerror(-r));
}

static void release_one(Ops *o, const IdxdUuid *uuid, const char *domain) {
        char *name = strdup(domain);

        if (!name) {
                log_error("Cannot release mdevs of domain %s: out of memory", domain);
                return;
        }
        /* Not forced: an mdev in use stays, and the callback says so. */
        mdev_destroy(o, uuid, false, false, on_release_done, name);
}

static bool domain_is(const char *a, const char *domain) {
        return a && strcmp(a, domain) == 0;
}

/* The domain's mdevs (devices and definitions) at this moment: destroys change both tables. */
static int domain_mdevs(Ops *o, const char *domain, IdxdUuid **ret, size_t *ret_n) {
        _cleanup_free_ IdxdUuid *uuids = NULL;
        size_t n = 0;

        uuids = calloc(o->definitions.n + o->model->n_mdevs + 1, sizeof(*uuids));
        if (!uuids)
                return -ENOMEM;
        for (size_t i = 0; i < o->definitions.n; i++)
                if (domain_is(o->definitions.items[i]->def->domain, domain))
                        uuids[n++] = o->definitions.items[i]->def->uuid;
        for (size_t i = 0; i < o->model->n_mdevs; i++) {
                const Mdev *mdev = o->model->mdevs[i];

                if (domain_is(mdev->domain, domain) && !definitions_find_any(o, &mdev->uuid))
                        uuids[n++] = mdev->uuid;
        }
        *ret = TAKE_PTR(uuids);
        *ret_n = n;
        return 0;
}

/* The registrar has marked its registrations failed; on_domain_undefined says what else. */
void ops_domain_undefined(Ops *o, const char *domain) {
        _cleanup_free_ IdxdUuid *uuids = NULL;
        size_t n;
        int r;

        r = domain_mdevs(o, domain, &uuids, &n);
        if (r < 0) {
                log_error_errno(r, "Cannot look up the mdevs of domain %s", domain);
                return;
        }
        if (n == 0)
                return;
        if (o->on_domain_undefined != IDXD_ON_UNDEFINED_RELEASE) {
                log_notice("Domain %s was undefined: keeping %zu mdev%s (on_domain_undefined: keep)", domain, n,
                           n == 1 ? "" : "s");
                return;
        }
        log_notice("Domain %s was undefined: releasing %zu mdev%s (on_domain_undefined: release)", domain, n,
                   n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++)
                release_one(o, &uuids[i], domain);
}

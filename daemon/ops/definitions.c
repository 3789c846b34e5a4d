/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "definitions.h"
#include "libvirt.h"
#include "log.h"
#include "macro.h"
#include "mdev-ops.h"
#include "policy-apply.h"

static Definition *definition_free(Definition *e) {
        if (!e)
                return NULL;
        sd_event_source_disable_unref(e->retry);
        idxd_definition_free(e->def);
        free(e->reason);
        free(e);
        return NULL;
}

static int definition_compare(const void *item, const void *key) {
        return idxd_uuid_compare(&((const Definition *) item)->def->uuid, key);
}

static size_t definitions_index(Daemon *d, const IdxdUuid *uuid, bool *found) {
        return sorted_array_search((void *const *) d->definitions, d->n_definitions, uuid, definition_compare, found);
}

Definition *definitions_find(Daemon *d, const IdxdUuid *uuid) {
        bool found;
        size_t i = definitions_index(d, uuid, &found);

        return found ? d->definitions[i] : NULL;
}

Definition *definitions_find_deviceless(Daemon *d, const IdxdUuid *uuid) {
        Definition *e = definitions_find(d, uuid);

        return e && !model_find_mdev(d->model, uuid) ? e : NULL;
}

static void shadow_update(Definition *e) {
        const IdxdDefinition *def = e->def;

        e->shadow = (Mdev) {
                .uuid = def->uuid,
                .parent = def->parent,
                .type = def->type,
                .iommu_group = -1,
                .state = e->reason ? MDEV_STATE_FAILED : MDEV_STATE_DEFINED,
                .domain = def->domain,
                .persistent = def->persistent,
                .autostart = def->autostart,
        };
        memcpy(e->shadow.uuid_string, def->uuid_string, sizeof(e->shadow.uuid_string));
}

/* Takes def, also on failure. */
static int definitions_insert(Daemon *d, IdxdDefinition *def) {
        Definition *e;
        bool found;
        size_t i = definitions_index(d, &def->uuid, &found);

        if (found) {
                e = d->definitions[i];
                idxd_definition_free(e->def);
                e->def = def;
                shadow_update(e);
                return 0;
        }

        e = calloc(1, sizeof(*e));
        if (!e) {
                idxd_definition_free(def);
                return -ENOMEM;
        }
        e->def = def;
        shadow_update(e);
        if (sorted_array_insert((void ***) &d->definitions, &d->n_definitions, i, e) < 0) {
                definition_free(e);
                return -ENOMEM;
        }
        return 1;
}

void definitions_forget(Daemon *d, const IdxdUuid *uuid) {
        bool found;
        size_t i = definitions_index(d, uuid, &found);

        if (!found)
                return;
        definition_free(d->definitions[i]);
        sorted_array_remove((void **) d->definitions, &d->n_definitions, i);
}

void definitions_free_all(Daemon *d) {
        for (size_t i = 0; i < d->n_definitions; i++)
                definition_free(d->definitions[i]);
        d->definitions = mfree(d->definitions);
        d->n_definitions = 0;
        d->autostart_defer = sd_event_source_disable_unref(d->autostart_defer);
        d->announce_defer = sd_event_source_disable_unref(d->announce_defer);
}

int definitions_load(Daemon *d) {
        _cleanup_(idxd_store_load_done) IdxdStoreLoad l = {};
        int r;

        r = idxd_store_load(d->state_dir, &l);
        if (r < 0)
                return log_error_errno(r, "Cannot read definitions from %s/" IDXD_STORE_SUBDIR, d->state_dir);
        for (size_t i = 0; i < l.n_errors; i++)
                log_warning("Skipping definition %s", l.errors[i]);

        for (size_t i = 0; i < l.n_definitions; i++) {
                r = definitions_insert(d, TAKE_PTR(l.definitions[i]));
                if (r < 0)
                        return log_error_errno(r, "Cannot load definitions");
        }
        log_info("Loaded %zu definitions from %s", d->n_definitions, d->state_dir);
        return 0;
}

static bool strings_equal(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool definitions_equal(const IdxdDefinition *a, const IdxdDefinition *b) {
        if (!strings_equal(a->parent, b->parent) || !strings_equal(a->type, b->type) ||
            !strings_equal(a->domain, b->domain) || !strings_equal(a->pool, b->pool) ||
            a->persistent != b->persistent || a->autostart != b->autostart || a->origin != b->origin ||
            a->n_attrs != b->n_attrs)
                return false;
        for (size_t i = 0; i < a->n_attrs; i++)
                if (!strings_equal(a->attrs[i].name, b->attrs[i].name) ||
                    !strings_equal(a->attrs[i].value, b->attrs[i].value))
                        return false;
        return true;
}

static int definition_copy(const IdxdDefinition *src, IdxdDefinition **ret) {
        _cleanup_(idxd_definition_freep) IdxdDefinition *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        c->uuid = src->uuid;
        idxd_uuid_format(&src->uuid, c->uuid_string);
        c->parent = src->parent ? strdup(src->parent) : NULL;
        c->type = src->type ? strdup(src->type) : NULL;
        c->domain = src->domain ? strdup(src->domain) : NULL;
        c->pool = src->pool ? strdup(src->pool) : NULL;
        if ((src->parent && !c->parent) || (src->type && !c->type) || (src->domain && !c->domain) ||
            (src->pool && !c->pool))
                return -ENOMEM;
        c->persistent = src->persistent;
        c->autostart = src->autostart;
        c->origin = src->origin;
        for (size_t i = 0; i < src->n_attrs; i++) {
                r = idxd_definition_add_attr(c, src->attrs[i].name, src->attrs[i].value);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

/* "Cannot <what> the definition of mdev U: <state_dir>/mdevs/U.json: <errno text> (errno N)" */
static int store_error(Daemon *d, const char *what, const IdxdUuid *uuid, int r, char **ret_message) {
        char s[IDXD_UUID_STRING_MAX];

        idxd_uuid_format(uuid, s);
        if (ret_message && asprintf(ret_message, "Cannot %s the definition of mdev %s: %s/" IDXD_STORE_SUBDIR "/%s.json: %s (errno %d)",
                                    what, s, d->state_dir, s, strerror(-r), -r) < 0)
                *ret_message = NULL;
        return r;
}

int definitions_save(Daemon *d, const IdxdDefinition *def, char **ret_message) {
        _cleanup_(idxd_definition_freep) IdxdDefinition *copy = NULL;
        Definition *e = definitions_find(d, &def->uuid);
        int r;

        if (e && definitions_equal(e->def, def))
                return 0;

        r = definition_copy(def, &copy);
        if (r < 0)
                return store_error(d, "copy", &def->uuid, r, ret_message);
        r = idxd_store_save(d->state_dir, copy);
        if (r < 0)
                return store_error(d, "save", &def->uuid, r, ret_message);
        r = definitions_insert(d, TAKE_PTR(copy));
        if (r < 0)
                return store_error(d, "keep", &def->uuid, r, ret_message);
        return r;
}

int definitions_unlink(Daemon *d, const IdxdUuid *uuid, char **ret_message) {
        int r;

        if (!definitions_find(d, uuid))
                return 0;
        r = idxd_store_remove(d->state_dir, uuid);
        if (r < 0 && r != -ENOENT)
                return store_error(d, "remove", uuid, r, ret_message);
        return 0;
}

void definitions_apply(Daemon *d, Mdev *mdev) {
        Definition *e = mdev ? definitions_find(d, &mdev->uuid) : NULL;
        char *domain;

        if (!e)
                return;
        e->reason = mfree(e->reason);
        e->retry_usec = 0;
        e->retry = sd_event_source_disable_unref(e->retry);
        shadow_update(e);

        mdev->persistent = e->def->persistent;
        mdev->autostart = e->def->autostart;
        if (e->def->domain && !strings_equal(mdev->domain, e->def->domain)) {
                domain = strdup(e->def->domain);
                if (!domain)
                        return;
                free(mdev->domain);
                mdev->domain = domain;
        }
}

/* After the model has dropped the devices: the definitions' objects are back, as `defined`. */
static int on_announce_defer(sd_event_source *s, void *userdata) {
        Daemon *d = userdata;

        for (size_t i = 0; i < d->n_definitions; i++) {
                Definition *e = d->definitions[i];

                if (!e->announce)
                        continue;
                e->announce = false;
                if (!model_find_mdev(d->model, &e->def->uuid))
                        bus_mdev_emit_added(d, &e->shadow);
        }
        return 0;
}

void definitions_device_removed(Daemon *d, const Mdev *mdev) {
        Definition *e = definitions_find(d, &mdev->uuid);
        int r;

        if (!e || !d->ready)
                return;
        e->announce = true;
        if (!d->announce_defer) {
                r = sd_event_add_defer(d->event, &d->announce_defer, on_announce_defer, d);
                if (r < 0) {
                        log_warning_errno(r, "Cannot announce definition %s", e->def->uuid_string);
                        return;
                }
        }
        (void) sd_event_source_set_enabled(d->announce_defer, SD_EVENT_ONESHOT);
}

static void definition_start(Daemon *d, Definition *e, bool startup);

typedef struct RetryTimer {
        Daemon *daemon;
        IdxdUuid uuid;
} RetryTimer;

static int on_retry_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        RetryTimer *t = userdata;
        Definition *e = definitions_find(t->daemon, &t->uuid);

        if (e) {
                e->retry = sd_event_source_disable_unref(e->retry);
                definition_start(t->daemon, e, false);
        }
        return 0;
}

static void schedule_retry(Daemon *d, Definition *e) {
        RetryTimer *t;
        int r;

        e->retry_usec = e->retry_usec ? (e->retry_usec * 2 < DEFINITION_RETRY_MAX_USEC ? e->retry_usec * 2 : DEFINITION_RETRY_MAX_USEC) : DEFINITION_RETRY_FIRST_USEC;
        e->retry = sd_event_source_disable_unref(e->retry);

        t = calloc(1, sizeof(*t));
        if (!t)
                return;
        t->daemon = d;
        t->uuid = e->def->uuid;
        r = sd_event_add_time_relative(d->event, &e->retry, CLOCK_MONOTONIC, e->retry_usec, 0, on_retry_timer, t);
        if (r >= 0)
                r = sd_event_source_set_destroy_callback(e->retry, free);
        if (r < 0) {
                e->retry = sd_event_source_disable_unref(e->retry);
                free(t);
                log_warning_errno(r, "Cannot schedule a retry for mdev %s", e->def->uuid_string);
        }
}

static void autostart_done(Daemon *d, const IdxdUuid *uuid, int r, const char *message, void *userdata) {
        Definition *e = definitions_find(d, uuid);
        bool startup = userdata != NULL;

        if (d->autostart_inflight > 0 && --d->autostart_inflight == 0 && d->policy_dirty)
                policy_apply_schedule(d);
        if (e) {
                e->creating = false;
                /* Shutting down: the definition stays as it is for the next start. */
                if (r < 0 && r != -ECANCELED && !model_find_mdev(d->model, uuid)) {
                        free(e->reason);
                        e->reason = strdup(message ? message : strerror(-r));
                        shadow_update(e);
                        /* A parent that went away brings its mdevs back when it returns, not before. */
                        if (model_find_parent(d->model, e->def->parent)) {
                                log_warning("Autostart of mdev %s failed, retrying: %s", e->def->uuid_string,
                                            strempty(e->reason));
                                schedule_retry(d, e);
                        } else
                                log_notice("Autostart of mdev %s waits for parent %s: %s", e->def->uuid_string,
                                           e->def->parent, strempty(e->reason));
                }
        }
        if (startup)
                daemon_startup_op_end(d);
}

static void definition_start(Daemon *d, Definition *e, bool startup) {
        MdevCreateRequest req = {
                .parent = e->def->parent,
                .type = e->def->type,
                .uuid = e->def->uuid,
                .domain = e->def->domain,
                .persistent = true,
                .autostart = e->def->autostart,
                .origin = e->def->origin,
                .pool = e->def->pool,
                .attrs = e->def->attrs,
                .n_attrs = e->def->n_attrs,
        };

        e->creating = true;
        d->autostart_inflight++;
        if (startup)
                daemon_startup_op_begin(d);
        mdev_create(d, &req, autostart_done, startup ? d : NULL);
}

/* Autostart definitions whose parent is here and whose device is not. */
static void autostart_pass(Daemon *d, bool startup) {
        /* mdev_create() may finish (and change the table's entries) right away: walk by UUID. */
        for (size_t i = 0; i < d->n_definitions; i++) {
                Definition *e = d->definitions[i];

                if (!e->def->autostart || e->creating || e->retry ||
                    model_find_mdev(d->model, &e->def->uuid) || !model_find_parent(d->model, e->def->parent))
                        continue;
                definition_start(d, e, startup);
        }
}

static int on_autostart_defer(sd_event_source *s, void *userdata) {
        autostart_pass(userdata, false);
        return 0;
}

void definitions_schedule_autostart(Daemon *d) {
        int r;

        if (!d->ready)
                return;
        if (!d->autostart_defer) {
                r = sd_event_add_defer(d->event, &d->autostart_defer, on_autostart_defer, d);
                if (r < 0) {
                        log_warning_errno(r, "Cannot schedule autostart");
                        return;
                }
        }
        (void) sd_event_source_set_enabled(d->autostart_defer, SD_EVENT_ONESHOT);
}

/*
 * After a restart the domains' configs get (or keep) their hostdevs, pending
 * until libvirt answers; live where the device exists. Creates register again
 * once their device is there (mdev-ops.c).
 */
static void definitions_register_all(Daemon *d) {
        int r;

        if (!d->libvirt)
                return;
        for (size_t i = 0; i < d->n_definitions; i++) {
                const IdxdDefinition *def = d->definitions[i]->def;

                if (!def->domain)
                        continue;
                r = idxd_libvirt_register(d->libvirt, &def->uuid, def->domain,
                                          model_find_mdev(d->model, &def->uuid) != NULL);
                if (r < 0)
                        log_warning_errno(r, "Cannot register mdev %s with domain %s", def->uuid_string,
                                          def->domain);
        }
}

void definitions_reconcile(Daemon *d) {
        size_t adopted = 0, unknown = 0;

        for (size_t i = 0; i < d->model->n_mdevs; i++) {
                const Mdev *mdev = d->model->mdevs[i];

                if (definitions_find(d, &mdev->uuid))
                        adopted++;
                else {
                        unknown++;
                        log_info("mdev %s on parent %s (type %s) has no definition: kept, not managed",
                                 mdev->uuid_string, strempty(mdev->parent), strempty(mdev->type));
                }
        }
        log_info("Reconciled: %zu definitions, %zu adopted mdevs, %zu unknown mdevs",
                 d->n_definitions, adopted, unknown);
        definitions_register_all(d);

        /* One extra count so creates finishing right away cannot signal READY early. */
        daemon_startup_op_begin(d);
        autostart_pass(d, true);
        daemon_startup_op_end(d);
}

void definitions_restore(Daemon *d, const IdxdUuid *uuid) {
        Definition *e = definitions_find(d, uuid);
        int r;

        if (!e)
                return;
        r = idxd_store_save(d->state_dir, e->def);
        if (r < 0)
                log_warning_errno(r, "Cannot restore the definition of mdev %s in %s", e->def->uuid_string, d->state_dir);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "ops.h"

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

static size_t definitions_index(Ops *o, const IdxdUuid *uuid, bool *found) {
        return sorted_array_search((void *const *) o->definitions.items, o->definitions.n, uuid, definition_compare, found);
}

Definition *definitions_find(Ops *o, const IdxdUuid *uuid) {
        bool found;
        size_t i = definitions_index(o, uuid, &found);

        return found ? o->definitions.items[i] : NULL;
}

Definition *definitions_find_deviceless(Ops *o, const IdxdUuid *uuid) {
        Definition *e = definitions_find(o, uuid);

        return e && !model_find_mdev(o->model, uuid) ? e : NULL;
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
static int definitions_insert(Ops *o, IdxdDefinition *def) {
        Definition *e;
        bool found;
        size_t i = definitions_index(o, &def->uuid, &found);

        if (found) {
                e = o->definitions.items[i];
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
        if (sorted_array_insert((void ***) &o->definitions.items, &o->definitions.n, i, e) < 0) {
                definition_free(e);
                return -ENOMEM;
        }
        return 1;
}

void definitions_forget(Ops *o, const IdxdUuid *uuid) {
        bool found;
        size_t i = definitions_index(o, uuid, &found);

        if (!found)
                return;
        definition_free(o->definitions.items[i]);
        sorted_array_remove((void **) o->definitions.items, &o->definitions.n, i);
}

void definitions_done(Definitions *defs) {
        for (size_t i = 0; i < defs->n; i++)
                definition_free(defs->items[i]);
        defs->items = mfree(defs->items);
        defs->n = 0;
        defs->autostart_defer = sd_event_source_disable_unref(defs->autostart_defer);
        defs->announce_defer = sd_event_source_disable_unref(defs->announce_defer);
        defs->state_dir = mfree(defs->state_dir);
}

int definitions_load(Ops *o) {
        _cleanup_(idxd_store_load_done) IdxdStoreLoad l = {};
        int r;

        r = idxd_store_load(o->definitions.state_dir, &l);
        if (r < 0)
                return log_error_errno(r, "Cannot read definitions from %s/" IDXD_STORE_SUBDIR, o->definitions.state_dir);
        /* Running goes on (mdevs and autostart still work), but every save would fail: say so now. */
        r = idxd_store_check_writable(o->definitions.state_dir);
        if (r < 0)
                (void) log_error_errno(r, "State directory %s/" IDXD_STORE_SUBDIR " is not writable (persistent "
                                       "creates, destroys and policy changes fail until it is)",
                                       o->definitions.state_dir);
        for (size_t i = 0; i < l.n_errors; i++)
                log_warning("Skipping definition %s", l.errors[i]);

        for (size_t i = 0; i < l.n_definitions; i++) {
                r = definitions_insert(o, TAKE_PTR(l.definitions[i]));
                if (r < 0)
                        return log_error_errno(r, "Cannot load definitions");
        }
        log_info("Loaded %zu definitions from %s", o->definitions.n, o->definitions.state_dir);
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
static int store_error(Ops *o, const char *what, const IdxdUuid *uuid, int r, char **ret_message) {
        char s[IDXD_UUID_STRING_MAX];

        idxd_uuid_format(uuid, s);
        if (ret_message && asprintf(ret_message, "Cannot %s the definition of mdev %s: %s/" IDXD_STORE_SUBDIR "/%s.json: %s (errno %d)",
                                    what, s, o->definitions.state_dir, s, strerror(-r), -r) < 0)
                *ret_message = NULL;
        return r;
}

int definitions_save(Ops *o, const IdxdDefinition *def, char **ret_message) {
        _cleanup_(idxd_definition_freep) IdxdDefinition *copy = NULL;
        Definition *e = definitions_find(o, &def->uuid);
        int r;

        if (e && definitions_equal(e->def, def))
                return 0;

        r = definition_copy(def, &copy);
        if (r < 0)
                return store_error(o, "copy", &def->uuid, r, ret_message);
        r = idxd_store_save(o->definitions.state_dir, copy);
        if (r < 0)
                return store_error(o, "save", &def->uuid, r, ret_message);
        r = definitions_insert(o, TAKE_PTR(copy));
        if (r < 0)
                return store_error(o, "keep", &def->uuid, r, ret_message);
        return r;
}

int definitions_unlink(Ops *o, const IdxdUuid *uuid, char **ret_message) {
        int r;

        if (!definitions_find(o, uuid))
                return 0;
        r = idxd_store_remove(o->definitions.state_dir, uuid);
        if (r < 0 && r != -ENOENT)
                return store_error(o, "remove", uuid, r, ret_message);
        return 0;
}

void definitions_apply(Ops *o, Mdev *mdev) {
        Definition *e = mdev ? definitions_find(o, &mdev->uuid) : NULL;
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
        Ops *o = userdata;

        for (size_t i = 0; i < o->definitions.n; i++) {
                Definition *e = o->definitions.items[i];

                if (!e->announce)
                        continue;
                e->announce = false;
                if (!model_find_mdev(o->model, &e->def->uuid))
                        ops_tell_definition_object(o, &e->shadow, true);
        }
        return 0;
}

void definitions_device_removed(Ops *o, const Mdev *mdev) {
        Definition *e = definitions_find(o, &mdev->uuid);
        int r;

        if (!e || !o->running)
                return;
        e->announce = true;
        if (!o->definitions.announce_defer) {
                r = sd_event_add_defer(o->event, &o->definitions.announce_defer, on_announce_defer, o);
                if (r < 0) {
                        log_warning_errno(r, "Cannot announce definition %s", e->def->uuid_string);
                        return;
                }
        }
        (void) sd_event_source_set_enabled(o->definitions.announce_defer, SD_EVENT_ONESHOT);
}

static void definition_start(Ops *o, Definition *e, bool startup);

typedef struct RetryTimer {
        Ops *ops;
        IdxdUuid uuid;
} RetryTimer;

static int on_retry_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        RetryTimer *t = userdata;
        Definition *e = definitions_find(t->ops, &t->uuid);

        if (e) {
                e->retry = sd_event_source_disable_unref(e->retry);
                definition_start(t->ops, e, false);
        }
        return 0;
}

static void schedule_retry(Ops *o, Definition *e) {
        RetryTimer *t;
        int r;

        e->retry_usec = e->retry_usec ? (e->retry_usec * 2 < DEFINITION_RETRY_MAX_USEC ? e->retry_usec * 2 : DEFINITION_RETRY_MAX_USEC) : DEFINITION_RETRY_FIRST_USEC;
        e->retry = sd_event_source_disable_unref(e->retry);

        t = calloc(1, sizeof(*t));
        if (!t)
                return;
        t->ops = o;
        t->uuid = e->def->uuid;
        r = sd_event_add_time_relative(o->event, &e->retry, CLOCK_MONOTONIC, e->retry_usec, 0, on_retry_timer, t);
        if (r >= 0)
                r = sd_event_source_set_destroy_callback(e->retry, free);
        if (r < 0) {
                e->retry = sd_event_source_disable_unref(e->retry);
                free(t);
                log_warning_errno(r, "Cannot schedule a retry for mdev %s", e->def->uuid_string);
        }
}

static void autostart_done(Ops *o, const IdxdUuid *uuid, int r, const char *message, void *userdata) {
        Definition *e = definitions_find(o, uuid);
        bool startup = userdata != NULL;

        if (o->definitions.autostart_inflight > 0 && --o->definitions.autostart_inflight == 0 && o->policy.dirty)
                policy_apply_schedule(o);
        if (e) {
                e->creating = false;
                /* Shutting down: the definition stays as it is for the next start. */
                if (r < 0 && r != -ECANCELED && !model_find_mdev(o->model, uuid)) {
                        free(e->reason);
                        e->reason = strdup(message ? message : strerror(-r));
                        shadow_update(e);
                        /* A parent that went away brings its mdevs back when it returns, not before. */
                        if (model_find_parent(o->model, e->def->parent)) {
                                log_warning("Autostart of mdev %s failed, retrying: %s", e->def->uuid_string,
                                            strempty(e->reason));
                                schedule_retry(o, e);
                        } else
                                log_notice("Autostart of mdev %s waits for parent %s: %s", e->def->uuid_string,
                                           e->def->parent, strempty(e->reason));
                }
        }
        if (startup)
                ops_startup_end(o);
}

static void definition_start(Ops *o, Definition *e, bool startup) {
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
        o->definitions.autostart_inflight++;
        if (startup)
                ops_startup_begin(o);
        mdev_create(o, &req, autostart_done, startup ? o : NULL);
}

/* Autostart definitions whose parent is here and whose device is not. */
static void autostart_pass(Ops *o, bool startup) {
        /* mdev_create() may finish (and change the table's entries) right away: walk by UUID. */
        for (size_t i = 0; i < o->definitions.n; i++) {
                Definition *e = o->definitions.items[i];

                if (!e->def->autostart || e->creating || e->retry ||
                    model_find_mdev(o->model, &e->def->uuid) || !model_find_parent(o->model, e->def->parent))
                        continue;
                definition_start(o, e, startup);
        }
}

static int on_autostart_defer(sd_event_source *s, void *userdata) {
        autostart_pass(userdata, false);
        return 0;
}

void definitions_schedule_autostart(Ops *o) {
        int r;

        if (!o->running)
                return;
        if (!o->definitions.autostart_defer) {
                r = sd_event_add_defer(o->event, &o->definitions.autostart_defer, on_autostart_defer, o);
                if (r < 0) {
                        log_warning_errno(r, "Cannot schedule autostart");
                        return;
                }
        }
        (void) sd_event_source_set_enabled(o->definitions.autostart_defer, SD_EVENT_ONESHOT);
}

/*
 * After a restart the domains' configs get (or keep) their hostdevs, pending
 * until libvirt answers; live where the device exists. Creates register again
 * once their device is there (mdev-ops.c).
 */
static void definitions_register_all(Ops *o) {
        for (size_t i = 0; i < o->definitions.n; i++) {
                const IdxdDefinition *def = o->definitions.items[i]->def;

                if (def->domain)
                        registrar_register(o->registrar, &def->uuid, def->domain,
                                           model_find_mdev(o->model, &def->uuid) != NULL);
        }
}

/* Unknown mdevs named one by one at start; the rest are counted (all of them with --debug). */
#define RECONCILE_UNKNOWN_NAMED 10

void definitions_reconcile(Ops *o) {
        size_t adopted = 0, unknown = 0;

        for (size_t i = 0; i < o->model->n_mdevs; i++) {
                const Mdev *mdev = o->model->mdevs[i];

                if (definitions_find(o, &mdev->uuid)) {
                        adopted++;
                        continue;
                }
                /* A host with thousands made by another tool gets a few names, not thousands of lines. */
                if (++unknown <= RECONCILE_UNKNOWN_NAMED)
                        log_info("mdev %s on parent %s (type %s) has no definition: kept, not managed",
                                 mdev->uuid_string, strempty(mdev->parent), strempty(mdev->type));
                else
                        log_debug("mdev %s on parent %s (type %s) has no definition: kept, not managed",
                                  mdev->uuid_string, strempty(mdev->parent), strempty(mdev->type));
        }
        if (unknown > RECONCILE_UNKNOWN_NAMED)
                log_info("%zu more mdevs have no definition: kept, not managed (idxdctl list shows them)",
                         unknown - RECONCILE_UNKNOWN_NAMED);
        log_info("Reconciled: %zu definitions, %zu adopted mdevs, %zu unknown mdevs",
                 o->definitions.n, adopted, unknown);
        definitions_register_all(o);

        /* One extra count so creates finishing right away cannot signal READY early. */
        ops_startup_begin(o);
        autostart_pass(o, true);
        ops_startup_end(o);
}

void definitions_restore(Ops *o, const IdxdUuid *uuid) {
        Definition *e = definitions_find(o, uuid);
        int r;

        if (!e)
                return;
        r = idxd_store_save(o->definitions.state_dir, e->def);
        if (r < 0)
                log_warning_errno(r, "Cannot restore the definition of mdev %s in %s", e->def->uuid_string, o->definitions.state_dir);
}

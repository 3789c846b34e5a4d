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

static bool strings_equal(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

typedef struct DefinitionKey {
        const IdxdUuid *uuid;
        const char *parent;     /* NULL: before every parent, to find a UUID's first definition */
} DefinitionKey;

static int definition_compare(const void *item, const void *key) {
        const IdxdDefinition *d = ((const Definition *) item)->def;
        const DefinitionKey *k = key;
        int c = idxd_uuid_compare(&d->uuid, k->uuid);

        if (c != 0 || !k->parent)
                return c != 0 ? c : 1;
        return strcmp(d->parent, k->parent);
}

static size_t definitions_index(Ops *o, const IdxdUuid *uuid, const char *parent, bool *found) {
        DefinitionKey key = { uuid, parent };

        return sorted_array_search((void *const *) o->definitions.items, o->definitions.n, &key,
                                   definition_compare, found);
}

Definition *definitions_find(Ops *o, const IdxdUuid *uuid, const char *parent) {
        bool found;
        size_t i = definitions_index(o, uuid, parent, &found);

        return found ? o->definitions.items[i] : NULL;
}

size_t definitions_range(Ops *o, const IdxdUuid *uuid, size_t *ret_first) {
        bool found;
        size_t first = definitions_index(o, uuid, NULL, &found), end = first;

        while (end < o->definitions.n && idxd_uuid_equal(&o->definitions.items[end]->def->uuid, uuid))
                end++;
        *ret_first = first;
        return end - first;
}

Definition *definitions_find_any(Ops *o, const IdxdUuid *uuid) {
        const Mdev *mdev = model_find_mdev(o->model, uuid);
        size_t first;

        if (mdev)
                return mdev->parent ? definitions_find(o, uuid, mdev->parent) : NULL;
        return definitions_range(o, uuid, &first) > 0 ? o->definitions.items[first] : NULL;
}

Definition *definitions_find_deviceless(Ops *o, const IdxdUuid *uuid) {
        size_t first;

        if (model_find_mdev(o->model, uuid) || definitions_range(o, uuid, &first) == 0)
                return NULL;
        return o->definitions.items[first];
}

bool definitions_uuid_busy(Ops *o, const IdxdUuid *uuid) {
        size_t first, n = definitions_range(o, uuid, &first);

        if (model_find_mdev(o->model, uuid))
                return true;
        for (size_t i = first; i < first + n; i++)
                if (o->definitions.items[i]->creating)
                        return true;
        return false;
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
        size_t i = definitions_index(o, &def->uuid, def->parent, &found);

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

void definitions_forget_one(Ops *o, Definition *e) {
        bool found;
        size_t i = definitions_index(o, &e->def->uuid, e->def->parent, &found);

        if (!found || o->definitions.items[i] != e)
                return;
        definition_free(e);
        sorted_array_remove((void **) o->definitions.items, &o->definitions.n, i);
}

void definitions_forget(Ops *o, const IdxdUuid *uuid) {
        size_t first, n = definitions_range(o, uuid, &first);

        for (size_t i = first; i < first + n; i++)
                definition_free(o->definitions.items[i]);
        for (; n > 0; n--)
                sorted_array_remove((void **) o->definitions.items, &o->definitions.n, first);
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

/* "Cannot <what> the definition of mdev U: <state_dir>/mdevs/<file>: <errno text> (errno N)" */
static int store_error(Ops *o, const char *what, const IdxdDefinition *def, int r, char **ret_message) {
        _cleanup_free_ char *name = NULL;

        if (idxd_store_file_name(def, &name) < 0)
                name = NULL;
        if (ret_message && asprintf(ret_message, "Cannot %s the definition of mdev %s: %s/" IDXD_STORE_SUBDIR "/%s: %s (errno %d)",
                                    what, def->uuid_string, o->definitions.state_dir, strempty(name), strerror(-r), -r) < 0)
                *ret_message = NULL;
        return r;
}

/* A second parent's definition of a UUID gets "<uuid>@<parent>.json" while "<uuid>.json" is taken. */
static bool plain_file_name_taken(Ops *o, const IdxdDefinition *def) {
        size_t first, n = definitions_range(o, &def->uuid, &first);

        for (size_t i = first; i < first + n; i++) {
                const IdxdDefinition *other = o->definitions.items[i]->def;

                if (strcmp(other->parent, def->parent) != 0 && !other->parent_in_file_name)
                        return true;
        }
        return false;
}

int definitions_save(Ops *o, const IdxdDefinition *def, char **ret_message) {
        _cleanup_(idxd_definition_freep) IdxdDefinition *copy = NULL;
        Definition *e = definitions_find(o, &def->uuid, def->parent);
        int r;

        if (e && idxd_definition_equal(e->def, def))
                return 0;

        r = idxd_definition_copy(def, &copy);
        if (r < 0)
                return store_error(o, "copy", def, r, ret_message);
        idxd_uuid_format(&def->uuid, copy->uuid_string);
        copy->parent_in_file_name = e ? e->def->parent_in_file_name : plain_file_name_taken(o, def);
        r = idxd_store_save(o->definitions.state_dir, copy);
        if (r < 0)
                return store_error(o, "save", copy, r, ret_message);
        r = definitions_insert(o, TAKE_PTR(copy));
        if (r < 0)
                return store_error(o, "keep", def, r, ret_message);
        return r;
}

int definitions_unlink_one(Ops *o, Definition *e, char **ret_message) {
        int r = idxd_store_remove(o->definitions.state_dir, e->def);

        if (r < 0 && r != -ENOENT)
                return store_error(o, "remove", e->def, r, ret_message);
        return 0;
}

int definitions_unlink(Ops *o, const IdxdUuid *uuid, char **ret_message) {
        size_t first, n = definitions_range(o, uuid, &first);
        int r;

        for (size_t i = first; i < first + n; i++) {
                r = definitions_unlink_one(o, o->definitions.items[i], ret_message);
                if (r < 0) {
                        /* All or none: the ones already removed come back. */
                        for (size_t j = first; j < i; j++)
                                (void) idxd_store_save(o->definitions.state_dir, o->definitions.items[j]->def);
                        return r;
                }
        }
        return 0;
}

void definitions_apply(Ops *o, Mdev *mdev) {
        Definition *e = mdev && mdev->parent ? definitions_find(o, &mdev->uuid, mdev->parent) : NULL;
        char *domain;

        if (!mdev)
                return;
        if (!e) {
                mdev->persistent = false;
                mdev->autostart = false;
                return;
        }
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
        size_t first;
        Definition *e;
        int r;

        /* The UUID's object stays while it has a definition, under any parent. */
        if (definitions_range(o, &mdev->uuid, &first) == 0 || !o->running)
                return;
        e = o->definitions.items[first];
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

static void autostart_one(Ops *o, Definition *e, bool startup);

typedef struct RetryTimer {
        Ops *ops;
        IdxdUuid uuid;
        char parent[];
} RetryTimer;

static int on_retry_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        RetryTimer *t = userdata;
        Definition *e = definitions_find(t->ops, &t->uuid, t->parent);

        if (e) {
                e->retry = sd_event_source_disable_unref(e->retry);
                /* Another parent's definition may have made it meanwhile. */
                if (!definitions_uuid_busy(t->ops, &t->uuid))
                        autostart_one(t->ops, e, false);
        }
        return 0;
}

static void schedule_retry(Ops *o, Definition *e) {
        RetryTimer *t;
        int r;

        e->retry_usec = e->retry_usec ? (e->retry_usec * 2 < DEFINITION_RETRY_MAX_USEC ? e->retry_usec * 2 : DEFINITION_RETRY_MAX_USEC) : DEFINITION_RETRY_FIRST_USEC;
        e->retry = sd_event_source_disable_unref(e->retry);

        t = calloc(1, sizeof(*t) + strlen(e->def->parent) + 1);
        if (!t)
                return;
        t->ops = o;
        t->uuid = e->def->uuid;
        strcpy(t->parent, e->def->parent);
        r = sd_event_add_time_relative(o->event, &e->retry, CLOCK_MONOTONIC, e->retry_usec, 0, on_retry_timer, t);
        if (r >= 0)
                r = sd_event_source_set_destroy_callback(e->retry, free);
        if (r < 0) {
                e->retry = sd_event_source_disable_unref(e->retry);
                free(t);
                log_warning_errno(r, "Cannot schedule a retry for mdev %s", e->def->uuid_string);
        }
}

/* The definition of uuid whose create is under way. */
static Definition *find_creating(Ops *o, const IdxdUuid *uuid) {
        size_t first, n = definitions_range(o, uuid, &first);

        for (size_t i = first; i < first + n; i++)
                if (o->definitions.items[i]->creating)
                        return o->definitions.items[i];
        return NULL;
}

static void autostart_done(Ops *o, const IdxdUuid *uuid, int r, const char *message, void *userdata) {
        Definition *e = find_creating(o, uuid);
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

void definition_create_request(const IdxdDefinition *def, MdevCreateRequest *ret) {
        *ret = (MdevCreateRequest) {
                .parent = def->parent,
                .type = def->type,
                .uuid = def->uuid,
                .domain = def->domain,
                .persistent = true,
                .autostart = def->autostart,
                .origin = def->origin,
                .pool = def->pool,
                .attrs = def->attrs,
                .n_attrs = def->n_attrs,
        };
}

static void autostart_one(Ops *o, Definition *e, bool startup) {
        MdevCreateRequest req;

        definition_create_request(e->def, &req);

        e->creating = true;
        o->definitions.autostart_inflight++;
        if (startup)
                ops_startup_begin(o);
        mdev_create(o, &req, autostart_done, startup ? o : NULL);
}

/* Autostart definitions whose parent is here and whose UUID has no device (nor one on the way). */
static void autostart_pass(Ops *o, bool startup) {
        /* mdev_create() may finish (and change the table's entries) right away: walk by index. */
        for (size_t i = 0; i < o->definitions.n; i++) {
                Definition *e = o->definitions.items[i];

                if (!e->def->autostart || e->retry || definitions_uuid_busy(o, &e->def->uuid) ||
                    !model_find_parent(o->model, e->def->parent))
                        continue;
                autostart_one(o, e, startup);
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

                /* One registration per UUID: the definition that speaks for it. */
                if (def->domain && definitions_find_any(o, &def->uuid) == o->definitions.items[i])
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

                if (mdev->parent && definitions_find(o, &mdev->uuid, mdev->parent)) {
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
        size_t first, n = definitions_range(o, uuid, &first);
        int r;

        for (size_t i = first; i < first + n; i++) {
                const IdxdDefinition *def = o->definitions.items[i]->def;

                r = idxd_store_save(o->definitions.state_dir, def);
                if (r < 0)
                        log_warning_errno(r, "Cannot restore the definition of mdev %s in %s", def->uuid_string,
                                          o->definitions.state_dir);
        }
}

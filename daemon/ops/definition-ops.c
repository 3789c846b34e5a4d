/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idxd-bus.h"
#include "log.h"
#include "macro.h"
#include "ops.h"

/* A define, modify or undefine: pre callout, the change, post callout, reply. */
typedef struct DefinitionJob {
        Ops *ops;
        const char *action;             /* "define", "modify", "undefine" */
        bool exclusive;                 /* define: any definition under that parent is in the way */
        IdxdDefinition **items;         /* what each step acts on: the new definition, or the ones going */
        size_t n_items;
        size_t current;
        char *script;                   /* the callout script of the current step */
        int r;                          /* the first failure */
        char *message;
        MdevOpCallback callback;
        void *userdata;
} DefinitionJob;

static void job_free(DefinitionJob *j) {
        for (size_t i = 0; i < j->n_items; i++)
                idxd_definition_free(j->items[i]);
        free(j->items);
        free(j->script);
        free(j->message);
        free(j);
}

static void job_fail(DefinitionJob *j, int r, const char *fmt, ...) _printf_(3, 4);
static void job_fail(DefinitionJob *j, int r, const char *fmt, ...) {
        va_list ap;

        if (j->r < 0)
                return;         /* the first failure is the one the caller hears */
        j->r = r;
        va_start(ap, fmt);
        if (vasprintf(&j->message, fmt, ap) < 0)
                j->message = NULL;
        va_end(ap);
}

static void job_reply(DefinitionJob *j) {
        const IdxdUuid uuid = j->n_items > 0 ? j->items[0]->uuid : (IdxdUuid) {};

        j->callback(j->ops, &uuid, j->r, j->message ? j->message : (j->r < 0 ? strerror(-j->r) : NULL), j->userdata);
        job_free(j);
}

static int job_new(Ops *o, const char *action, MdevOpCallback callback, void *userdata, DefinitionJob **ret) {
        DefinitionJob *j = calloc(1, sizeof(*j));

        if (!j)
                return -ENOMEM;
        *j = (DefinitionJob) { .ops = o, .action = action, .callback = callback, .userdata = userdata };
        *ret = j;
        return 0;
}

/* Takes d. */
static int job_add(DefinitionJob *j, IdxdDefinition *d) {
        IdxdDefinition **items = reallocarray(j->items, j->n_items + 1, sizeof(IdxdDefinition *));

        if (!items) {
                idxd_definition_free(d);
                return -ENOMEM;
        }
        j->items = items;
        j->items[j->n_items++] = d;
        return 0;
}

/* A device, if any, takes its definition's options; its domain follows the definition's. */
static void apply_to_device(Ops *o, const IdxdDefinition *def, const char *old_domain) {
        Mdev *mdev = model_find_mdev(o->model, &def->uuid);
        bool here = mdev && mdev->parent && strcmp(mdev->parent, def->parent) == 0;

        if (here)
                definitions_apply(o, mdev);
        if (def->domain && (!old_domain || strcmp(old_domain, def->domain) != 0))
                registrar_register(o->registrar, &def->uuid, def->domain, here);
        else if (!def->domain && old_domain && !(here && mdev->domain))
                registrar_unregister(o->registrar, &def->uuid);
}

/* The change itself, between the pre and the post call; failures go into j. */
static void job_act(DefinitionJob *j) {
        Ops *o = j->ops;
        IdxdDefinition *def = j->items[j->current];
        _cleanup_free_ char *message = NULL, *old_domain = NULL;
        Definition *e = definitions_find(o, &def->uuid, def->parent);
        size_t first;
        bool had_object = model_find_mdev(o->model, &def->uuid) || definitions_range(o, &def->uuid, &first) > 0;
        int r;

        if (strcmp(j->action, "undefine") == 0) {
                if (!e)
                        return;         /* gone meanwhile: nothing to do */
                r = definitions_unlink_one(o, e, &message);
                if (r < 0) {
                        job_fail(j, -EIO, "%s", strempty(message));
                        return;
                }
                ops_forget_definition(o, e);
                /* The device that stays is no longer persistent; a UUID left with nothing leaves its domain. */
                definitions_apply(o, model_find_mdev(o->model, &def->uuid));
                if (!model_find_mdev(o->model, &def->uuid) && definitions_range(o, &def->uuid, &first) == 0)
                        registrar_unregister(o->registrar, &def->uuid);
                return;
        }

        /* A define that found its place taken meanwhile changes nothing. */
        if (strcmp(j->action, "define") == 0 && e && (j->exclusive || !idxd_definition_equal(e->def, def))) {
                job_fail(j, -EEXIST, "mdev %s is already defined on parent %s", def->uuid_string, def->parent);
                return;
        }
        if (strcmp(j->action, "modify") == 0 && !e) {
                job_fail(j, -ENOENT, "mdev %s is no longer defined on parent %s", def->uuid_string, def->parent);
                return;
        }
        old_domain = e && e->def->domain ? strdup(e->def->domain) : NULL;
        r = definitions_save(o, def, &message);
        if (r < 0) {
                log_warning("%s", strempty(message));
                job_fail(j, -EIO, "%s", strempty(message));
                return;
        }
        e = definitions_find(o, &def->uuid, def->parent);
        if (!had_object)
                ops_tell_definition_object(o, &e->shadow, true);
        apply_to_device(o, e->def, old_domain);
        ops_tell_definition_changed(o, e->def, r > 0 ? "defined" : "modified");
}

static void job_step(DefinitionJob *j);

static void on_post(Ops *o, int r, const char *message, const char *script, void *userdata) {
        DefinitionJob *j = userdata;

        j->current++;
        job_step(j);
}

static void on_pre(Ops *o, int r, const char *message, const char *script, void *userdata) {
        DefinitionJob *j = userdata;
        int before = j->r;

        if (r < 0) {
                /* Vetoed: nothing changes, and no post call follows (mdevctl's order). */
                job_fail(j, r == -ECANCELED ? r : -EIO, "%s", strempty(message));
                j->current++;
                job_step(j);
                return;
        }
        free(j->script);
        j->script = script ? strdup(script) : NULL;
        job_act(j);
        callout_run(o, CALLOUT_EVENT_POST, j->action, j->items[j->current], j->r == before, j->script, on_post, j);
}

static void job_step(DefinitionJob *j) {
        if (j->current >= j->n_items || j->r == -ECANCELED) {
                job_reply(j);
                return;
        }
        callout_run(j->ops, CALLOUT_EVENT_PRE, j->action, j->items[j->current], false, NULL, on_pre, j);
}

/* A define or modify of def (taken), from its pre callout on. */
static void job_start(Ops *o, const char *action, IdxdDefinition *def, bool exclusive, MdevOpCallback callback,
                      void *userdata) {
        const IdxdUuid uuid = def->uuid;
        DefinitionJob *j = NULL;
        int r;

        r = job_new(o, action, callback, userdata, &j);
        if (r >= 0)
                r = job_add(j, def);
        else
                idxd_definition_free(def);
        if (r < 0) {
                if (j)
                        job_free(j);
                callback(o, &uuid, r, "Out of memory", userdata);
                return;
        }
        j->exclusive = exclusive;
        job_step(j);
}

#define RETURN_FAILED(callback, userdata, o, uuid, r, ...)                                      \
        do {                                                                                    \
                _cleanup_free_ char *_m = NULL;                                                 \
                if (asprintf(&_m, __VA_ARGS__) < 0)                                             \
                        _m = NULL;                                                              \
                (callback)((o), (uuid), (r), _m ? _m : strerror(-(r)), (userdata));             \
                return;                                                                         \
        } while (0)

/* The full type id on a present parent; an absent parent's is kept as given. */
static int resolve_type(Ops *o, IdxdDefinition *def, char **ret_message) {
        MdevType *type;
        Parent *parent;
        char *id;
        int r;

        if (!model_find_parent(o->model, def->parent))
                return 0;
        r = model_resolve_type(o->model, def->parent, def->type, NULL, NULL, &parent, &type);
        if (r < 0)
                return asprintf(ret_message, r == -ENOTUNIQ ? "Type %s is ambiguous on parent %s: name it in full" :
                                "Type %s not found on parent %s", def->type, def->parent) < 0 ? -ENOMEM : -ENOENT;
        if (strcmp(type->id, def->type) == 0)
                return 0;
        id = strdup(type->id);
        if (!id)
                return -ENOMEM;
        free(def->type);
        def->type = id;
        return 0;
}

void definition_define(Ops *o, const IdxdDefinition *input, bool exclusive, MdevOpCallback callback, void *userdata) {
        _cleanup_(idxd_definition_freep) IdxdDefinition *def = NULL;
        _cleanup_free_ char *message = NULL;
        const IdxdUuid *uuid = &input->uuid;
        char s[IDXD_UUID_STRING_MAX];
        const Mdev *mdev = model_find_mdev(o->model, uuid);
        Definition *e;
        int r;

        idxd_uuid_format(uuid, s);
        r = idxd_definition_copy(input, &def);
        if (r < 0)
                RETURN_FAILED(callback, userdata, o, uuid, r, "Out of memory");
        def->persistent = true;
        def->parent_in_file_name = false;
        /* "Promote" a device made without a definition: its parent and type are the ones it has. */
        if (!def->parent || !*def->parent) {
                if (!mdev || !mdev->parent)
                        RETURN_FAILED(callback, userdata, o, uuid, -EINVAL,
                                      "Invalid parent: mdev %s does not exist, so its definition needs a parent", s);
                free(def->parent);
                def->parent = strdup(mdev->parent);
        }
        if (!def->type || !*def->type) {
                if (!mdev || !mdev->type || strcmp(strempty(mdev->parent), def->parent) != 0)
                        RETURN_FAILED(callback, userdata, o, uuid, -EINVAL,
                                      "Invalid type: mdev %s does not exist on parent %s, so its definition needs a type",
                                      s, def->parent);
                free(def->type);
                def->type = strdup(mdev->type);
        }
        if (!def->parent || !def->type)
                RETURN_FAILED(callback, userdata, o, uuid, -ENOMEM, "Out of memory");
        r = resolve_type(o, def, &message);
        if (r < 0)
                RETURN_FAILED(callback, userdata, o, uuid, r, "%s", message ? message : strerror(-r));

        e = definitions_find(o, uuid, def->parent);
        if (e && !exclusive && idxd_definition_equal(e->def, def)) {
                callback(o, uuid, 0, NULL, userdata);   /* the same again: nothing to do */
                return;
        }
        if (e)
                RETURN_FAILED(callback, userdata, o, uuid, -EEXIST,
                              "mdev %s is already defined on parent %s (type %s): modify it, or undefine it first",
                              s, def->parent, e->def->type);

        job_start(o, "define", TAKE_PTR(def), exclusive, callback, userdata);
}

/*
 * The definition a verb names: under parent, or the UUID's only one. NULL
 * with -ENOENT or -EINVAL (several, and no parent) and a message.
 */
static Definition *pick_definition(Ops *o, const IdxdUuid *uuid, const char *parent, int *ret_r, char **ret_message) {
        char s[IDXD_UUID_STRING_MAX];
        size_t first, n;

        idxd_uuid_format(uuid, s);
        if (parent && *parent) {
                Definition *e = definitions_find(o, uuid, parent);

                if (!e) {
                        *ret_r = -ENOENT;
                        if (asprintf(ret_message, "mdev %s is not defined on parent %s", s, parent) < 0)
                                *ret_message = NULL;
                }
                return e;
        }
        n = definitions_range(o, uuid, &first);
        if (n == 1)
                return o->definitions.items[first];
        *ret_r = n == 0 ? -ENOENT : -EINVAL;
        if (n == 0 ? asprintf(ret_message, "mdev %s is not defined", s) < 0 :
            asprintf(ret_message, "Invalid parent: mdev %s is defined under %zu parents (%s, %s%s): name one", s, n,
                     o->definitions.items[first]->def->parent, o->definitions.items[first + 1]->def->parent,
                     n > 2 ? ", ..." : "") < 0)
                *ret_message = NULL;
        return NULL;
}

void definition_undefine(Ops *o, const IdxdUuid *uuid, const char *parent, MdevOpCallback callback, void *userdata) {
        char s[IDXD_UUID_STRING_MAX];
        size_t first, n = definitions_range(o, uuid, &first);
        DefinitionJob *j = NULL;
        int r;

        idxd_uuid_format(uuid, s);
        r = job_new(o, "undefine", callback, userdata, &j);
        for (size_t i = first; r >= 0 && i < first + n; i++) {
                IdxdDefinition *copy;

                if (parent && *parent && strcmp(o->definitions.items[i]->def->parent, parent) != 0)
                        continue;
                if (o->definitions.items[i]->creating) {
                        job_free(j);
                        RETURN_FAILED(callback, userdata, o, uuid, -EBUSY,
                                      "mdev %s is being created from its definition: try again when it is done", s);
                }
                r = idxd_definition_copy(o->definitions.items[i]->def, &copy);
                if (r >= 0)
                        r = job_add(j, copy);
        }
        if (r < 0) {
                if (j)
                        job_free(j);
                RETURN_FAILED(callback, userdata, o, uuid, r, "Out of memory");
        }
        if (j->n_items == 0) {
                job_free(j);
                if (parent && *parent)
                        RETURN_FAILED(callback, userdata, o, uuid, -ENOENT, "mdev %s is not defined on parent %s", s, parent);
                RETURN_FAILED(callback, userdata, o, uuid, -ENOENT, "mdev %s is not defined", s);
        }
        job_step(j);
}

/* Applies change to def; -EINVAL with a message for an attribute index that is not there. */
static int change_apply(IdxdDefinition *def, const DefinitionChange *c, char **ret_message) {
        int r = 0;

        if (c->type) {
                char *t = strdup(c->type);

                if (!t)
                        return -ENOMEM;
                free(def->type);
                def->type = t;
        }
        if (c->autostart >= 0)
                def->autostart = c->autostart;
        if (c->domain) {
                char *d = *c->domain ? strdup(c->domain) : NULL;

                if (*c->domain && !d)
                        return -ENOMEM;
                free(def->domain);
                def->domain = d;
        }
        if (c->set_attrs) {
                while (def->n_attrs > 0)
                        (void) idxd_definition_remove_attr(def, def->n_attrs - 1);
                for (size_t i = 0; r >= 0 && i < c->n_attrs; i++)
                        r = idxd_definition_add_attr(def, c->attrs[i].name, c->attrs[i].value);
        }
        if (r >= 0 && c->add_attr_name && def->n_attrs >= IDXD_ATTRS_MAX) {
                if (asprintf(ret_message, "Invalid attrs: the definition has %zu, at most %d per mdev",
                             def->n_attrs, IDXD_ATTRS_MAX) < 0)
                        *ret_message = NULL;
                return -EINVAL;
        }
        if (r >= 0 && c->add_attr_name)
                r = idxd_definition_insert_attr(def, c->has_index ? c->index : def->n_attrs, c->add_attr_name,
                                                c->add_attr_value);
        else if (r >= 0 && c->remove_attr && (c->has_index || def->n_attrs > 0))
                /* mdevctl: without an index the last goes, and none is no error. */
                r = idxd_definition_remove_attr(def, c->has_index ? c->index : def->n_attrs - 1);
        if (r == -ERANGE && asprintf(ret_message, "Invalid index: attribute index %u is invalid, the definition has "
                                     "%zu attribute%s", c->index, def->n_attrs, def->n_attrs == 1 ? "" : "s") < 0)
                *ret_message = NULL;
        return r == -ERANGE ? -EINVAL : r;
}

void definition_modify(Ops *o, const IdxdUuid *uuid, const char *parent, const DefinitionChange *change,
                       MdevOpCallback callback, void *userdata) {
        _cleanup_(idxd_definition_freep) IdxdDefinition *def = NULL;
        _cleanup_free_ char *message = NULL;
        Definition *e;
        int r = 0;

        e = pick_definition(o, uuid, parent, &r, &message);
        if (!e)
                RETURN_FAILED(callback, userdata, o, uuid, r, "%s", message ? message : strerror(-r));
        r = idxd_definition_copy(e->def, &def);
        if (r >= 0)
                r = change_apply(def, change, &message);
        if (r >= 0 && change->type)
                r = resolve_type(o, def, &message);
        if (r < 0)
                RETURN_FAILED(callback, userdata, o, uuid, r, "%s", message ? message : strerror(-r));

        job_start(o, "modify", TAKE_PTR(def), false, callback, userdata);
}

void definition_start(Ops *o, const IdxdUuid *uuid, const char *parent, MdevOpCallback callback, void *userdata) {
        _cleanup_free_ char *message = NULL;
        char s[IDXD_UUID_STRING_MAX];
        MdevCreateRequest req;
        const Mdev *mdev;
        Definition *e;
        int r = 0;

        idxd_uuid_format(uuid, s);
        e = pick_definition(o, uuid, parent, &r, &message);
        if (!e)
                RETURN_FAILED(callback, userdata, o, uuid, r, "%s", message ? message : strerror(-r));
        mdev = model_find_mdev(o->model, uuid);
        if (mdev && (strcmp(strempty(mdev->parent), e->def->parent) != 0 || !mdev_type_matches(mdev->type, e->def->type)))
                RETURN_FAILED(callback, userdata, o, uuid, -EEXIST, "mdev %s already exists on parent %s with type %s",
                              s, strempty(mdev->parent), strempty(mdev->type));
        if (!mdev && !model_find_parent(o->model, e->def->parent))
                RETURN_FAILED(callback, userdata, o, uuid, -ENOENT, "Parent %s of mdev %s not found", e->def->parent, s);
        if (e->creating)
                RETURN_FAILED(callback, userdata, o, uuid, -EBUSY,
                              "mdev %s is being created from its definition: try again when it is done", s);

        definition_create_request(e->def, &req);
        mdev_create(o, &req, callback, userdata);
}

void mdev_stop(Ops *o, const IdxdUuid *uuid, bool force, MdevOpCallback callback, void *userdata) {
        char s[IDXD_UUID_STRING_MAX];

        if (!model_find_mdev(o->model, uuid))
                RETURN_FAILED(callback, userdata, o, uuid, -ENOENT, "mdev %s is not running", idxd_uuid_format(uuid, s));
        /* Its definitions (and with them its libvirt registration) stay. */
        mdev_destroy(o, uuid, force, true, callback, userdata);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "busy.h"
#include "log.h"
#include "macro.h"
#include "ops.h"
#include "sysfs.h"

/* How long a create waits for libvirt to say whether its domain exists. */
#define DOMAIN_CHECK_TIMEOUT_USEC (5 * 1000000ULL)

typedef enum MdevOpKind {
        MDEV_OP_CREATE,
        MDEV_OP_REMOVE,
} MdevOpKind;

typedef struct MdevOp MdevOp;
struct MdevOp {
        MdevOpKind kind;
        IdxdUuid uuid;
        char *domain;
        bool persistent;
        bool autostart;
        bool force;
        bool keep_definition;
        char *new_definition;   /* this create stored the definition under this parent: a failure takes it back */
        IdxdOrigin origin;
        char *pool;
        IdxdAttr *attrs;
        size_t n_attrs;
        MdevOpCallback callback;
        void *userdata;
        uint64_t deadline;      /* CLOCK_MONOTONIC: when a written op is given up */
        IdxdDefinition *callout_device; /* the pre callout ran for this device: the post call follows */
        char *callout_script;   /* the script that took it, NULL for none */
        MdevOp *next;
};

struct MdevQueue {
        Ops *ops;
        char *parent;           /* parent name */
        char *type;             /* full type id */
        MdevOp *head, *tail;    /* waiting to run */
        MdevOp *running;        /* written to sysfs, waiting for the uevent; oldest first; a remove runs alone */
        size_t n_running;
        sd_event_source *timer;
        sd_event_source *defer;
        MdevQueue *next;
};

static void attrs_free(IdxdAttr *attrs, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(attrs[i].name);
                free(attrs[i].value);
        }
        free(attrs);
}

static int attrs_copy(const IdxdAttr *src, size_t n, IdxdAttr **ret) {
        IdxdAttr *a;

        *ret = NULL;
        if (n == 0)
                return 0;
        a = calloc(n, sizeof(IdxdAttr));
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                a[i].name = strdup(src[i].name);
                a[i].value = strdup(src[i].value);
                if (!a[i].name || !a[i].value) {
                        attrs_free(a, n);
                        return -ENOMEM;
                }
        }
        *ret = a;
        return 0;
}

static MdevOp *op_free(MdevOp *op) {
        if (!op)
                return NULL;
        free(op->domain);
        free(op->pool);
        free(op->new_definition);
        idxd_definition_free(op->callout_device);
        free(op->callout_script);
        attrs_free(op->attrs, op->n_attrs);
        free(op);
        return NULL;
}

/* fmt and its arguments as a new string; NULL for no fmt or no memory. */
static char *message_new(const char *fmt, va_list ap) _printf_(1, 0);
static char *message_new(const char *fmt, va_list ap) {
        char *message;

        if (!fmt || vasprintf(&message, fmt, ap) < 0)
                return NULL;
        return message;
}

/* An op whose post callout runs: the requester hears of it once the script is done, as from mdevctl. */
typedef struct OpOutcome {
        MdevOp *op;
        int r;
        char *message;
} OpOutcome;

static void op_reply(Ops *o, MdevOp *op, int r, const char *message) {
        if (op->callback)
                op->callback(o, &op->uuid, r, message ? message : (r < 0 ? strerror(-r) : NULL), op->userdata);
        op_free(op);
}

static void on_post_callout(Ops *o, int r, const char *message, const char *script, void *userdata) {
        OpOutcome *outcome = userdata;

        op_reply(o, outcome->op, outcome->r, outcome->message);
        free(outcome->message);
        free(outcome);
}

/* Reports the outcome to the requester and frees op. */
static void op_finish(Ops *o, MdevOp *op, int r, const char *fmt, ...) _printf_(4, 5);
static void op_finish(Ops *o, MdevOp *op, int r, const char *fmt, ...) {
        _cleanup_free_ char *message = NULL;
        OpOutcome *outcome;
        va_list ap;

        va_start(ap, fmt);
        message = message_new(fmt, ap);
        va_end(ap);
        if (op->kind == MDEV_OP_CREATE && r < 0 && op->new_definition) {
                _cleanup_free_ char *unlink_message = NULL;
                Definition *e = definitions_find(o, &op->uuid, op->new_definition);

                if (e && definitions_unlink_one(o, e, &unlink_message) < 0)
                        log_warning("%s", strempty(unlink_message));
                else if (e)
                        ops_forget_definition(o, e);
        }
        /* Shutting down starts no scripts. */
        if (!op->callout_device || r == -ECANCELED || !(outcome = calloc(1, sizeof(*outcome)))) {
                op_reply(o, op, r, message);
                return;
        }
        *outcome = (OpOutcome) { op, r, TAKE_PTR(message) };
        callout_run(o, CALLOUT_EVENT_POST, op->kind == MDEV_OP_CREATE ? "start" : "stop", op->callout_device,
                    r >= 0, op->callout_script, on_post_callout, outcome);
}

/* Fails a request that never made it into a queue. */
static void fail_request(Ops *o, const IdxdUuid *uuid, MdevOpCallback callback, void *userdata,
                         int r, const char *fmt, ...) _printf_(6, 7);
static void fail_request(Ops *o, const IdxdUuid *uuid, MdevOpCallback callback, void *userdata,
                         int r, const char *fmt, ...) {
        _cleanup_free_ char *message = NULL;
        va_list ap;

        va_start(ap, fmt);
        message = message_new(fmt, ap);
        va_end(ap);
        callback(o, uuid, r, message ? message : strerror(-r), userdata);
}

#define RETURN_FAILED_REQUEST(...) do { fail_request(__VA_ARGS__); return; } while (0)

static void queue_free(MdevQueue *q) {
        Ops *o = q->ops;

        for (MdevQueue **i = &o->queues.first; *i; i = &(*i)->next)
                if (*i == q) {
                        *i = q->next;
                        break;
                }
        sd_event_source_disable_unref(q->timer);
        sd_event_source_disable_unref(q->defer);
        free(q->parent);
        free(q->type);
        free(q);
}

static void queue_dispatch(MdevQueue *q);

static int on_queue_defer(sd_event_source *s, void *userdata) {
        queue_dispatch(userdata);
        return 0;
}

/* Runs the queue from the event loop, never from inside a model update. */
static int queue_schedule(MdevQueue *q) {
        int r;

        if (!q->defer) {
                r = sd_event_add_defer(q->ops->event, &q->defer, on_queue_defer, q);
                if (r < 0)
                        return r;
        }
        return sd_event_source_set_enabled(q->defer, SD_EVENT_ONESHOT);
}

static int queue_get(Ops *o, const char *parent, const char *type, MdevQueue **ret) {
        MdevQueue *q;

        for (q = o->queues.first; q; q = q->next)
                if (strcmp(q->parent, parent) == 0 && strcmp(q->type, type) == 0) {
                        *ret = q;
                        return 0;
                }

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->ops = o;
        q->parent = strdup(parent);
        q->type = strdup(type);
        if (!q->parent || !q->type) {
                free(q->parent);
                free(q->type);
                free(q);
                return -ENOMEM;
        }
        q->next = o->queues.first;
        o->queues.first = q;
        *ret = q;
        return 0;
}

static int queue_push(Ops *o, const char *parent, const char *type, MdevOp *op) {
        MdevQueue *q;
        int r;

        r = queue_get(o, parent, type, &q);
        if (r < 0)
                return r;
        /* Scheduled before op joins, so on failure the caller still owns op. */
        r = queue_schedule(q);
        if (r < 0)
                return r;
        if (q->tail)
                q->tail->next = op;
        else
                q->head = op;
        q->tail = op;
        return 0;
}

static void queue_arm_timer(MdevQueue *q);

/* Ends a written op; what waits behind it starts on the next loop iteration. */
static void queue_complete(MdevQueue *q, MdevOp *op, int r, const char *fmt, ...) _printf_(4, 5);
static void queue_complete(MdevQueue *q, MdevOp *op, int r, const char *fmt, ...) {
        _cleanup_free_ char *message = NULL;
        va_list ap;

        for (MdevOp **i = &q->running; *i; i = &(*i)->next)
                if (*i == op) {
                        *i = op->next;
                        op->next = NULL;
                        q->n_running--;
                        break;
                }
        queue_arm_timer(q);
        va_start(ap, fmt);
        message = message_new(fmt, ap);
        va_end(ap);
        if (message)
                op_finish(q->ops, op, r, "%s", message);
        else
                op_finish(q->ops, op, r, NULL);
        (void) queue_schedule(q);
}

static bool queue_is_running(const MdevQueue *q, const MdevOp *op) {
        for (const MdevOp *i = q->running; i; i = i->next)
                if (i == op)
                        return true;
        return false;
}

static const char *uuid_string(const IdxdUuid *uuid, char buf[static IDXD_UUID_STRING_MAX]) {
        return idxd_uuid_format(uuid, buf);
}

/* What the creator asked for beyond the device itself; a domain also gets the mdev in libvirt. */
static void mdev_apply_options(Ops *o, Mdev *mdev, const MdevOp *op) {
        if (op->domain && (!mdev->domain || strcmp(mdev->domain, op->domain) != 0)) {
                char *domain = strdup(op->domain);

                if (domain) {
                        free(mdev->domain);
                        mdev->domain = domain;
                }
        }
        mdev->persistent = mdev->persistent || op->persistent;
        mdev->autostart = mdev->autostart || op->autostart;

        if (op->domain)
                registrar_register(o->registrar, &mdev->uuid, op->domain, true);
}

/*
 * A policy mdev has one definition: made on another parent (the one it was
 * defined on no longer takes it), its definitions under other parents go,
 * where no device stands on them. Returns how many went.
 */
static unsigned supersede_policy_definitions(Ops *o, const IdxdUuid *uuid, const char *parent) {
        const Mdev *mdev = model_find_mdev(o->model, uuid);
        size_t first, n = definitions_range(o, uuid, &first);
        unsigned gone = 0;

        for (size_t i = first + n; i > first; i--) {
                Definition *e = o->definitions.items[i - 1];
                _cleanup_free_ char *message = NULL;

                if (strcmp(e->def->parent, parent) == 0 || e->def->origin != IDXD_ORIGIN_POLICY || e->creating ||
                    (mdev && mdev->parent && strcmp(mdev->parent, e->def->parent) == 0))
                        continue;
                if (definitions_unlink_one(o, e, &message) < 0) {
                        log_warning("%s", strempty(message));
                        continue;
                }
                log_info("Policy: mdev %s moves from parent %s to %s", e->def->uuid_string, e->def->parent, parent);
                ops_forget_definition(o, e);
                gone++;
        }
        return gone;
}

/* A persistent create stores its definition before anything is made; failing that, nothing is. */
static int create_save_definition(Ops *o, MdevOp *op, const char *parent, const char *type) {
        _cleanup_free_ char *message = NULL;
        IdxdDefinition def = {
                .uuid = op->uuid,
                .parent = (char *) parent,
                .type = (char *) type,
                .domain = op->domain,
                .persistent = true,
                .autostart = op->autostart,
                .origin = op->origin,
                .pool = op->pool,
        };
        Definition *old;
        int r;

        if (!op->persistent)
                return 0;
        /* Options only add: an existing definition keeps its autostart and domain. */
        old = definitions_find(o, &op->uuid, parent);
        if (old) {
                def.autostart = def.autostart || old->def->autostart;
                if (!def.domain)
                        def.domain = old->def->domain;
                if (op->origin == IDXD_ORIGIN_CLI && old->def->origin != IDXD_ORIGIN_CLI) {
                        def.origin = old->def->origin;
                        def.pool = old->def->pool;
                }
                if (op->n_attrs == 0) {
                        def.attrs = old->def->attrs;
                        def.n_attrs = old->def->n_attrs;
                }
        }
        if (op->n_attrs > 0) {
                def.attrs = op->attrs;
                def.n_attrs = op->n_attrs;
        }
        idxd_uuid_format(&op->uuid, def.uuid_string);
        r = definitions_save(o, &def, &message);
        if (r < 0) {
                log_warning("%s", strempty(message));
                op_finish(o, op, -EIO, "%s", message ? message : "Cannot save the definition");
                return r;
        }
        if (r == 0)
                return 0;
        ops_tell_definition_changed(o, definitions_find(o, &op->uuid, parent)->def, "defined");
        /* Moved, the definition stays where the plan put it even if this create fails. */
        if (op->origin == IDXD_ORIGIN_POLICY && supersede_policy_definitions(o, &op->uuid, parent) > 0)
                return 0;
        if (!(op->new_definition = strdup(parent))) {
                op_finish(o, op, -ENOMEM, "Out of memory");
                return -ENOMEM;
        }
        return 0;
}

/* > 0: written, waiting for the uevent; -EAGAIN: not now, op untouched; otherwise op has been finished. */
static int create_start(MdevQueue *q, MdevOp *op) {
        _cleanup_free_ char *avail_path = NULL, *create_path = NULL;
        char s[IDXD_UUID_STRING_MAX];
        Ops *o = q->ops;
        unsigned avail;
        Mdev *existing;
        Parent *p;
        int r;

        uuid_string(&op->uuid, s);

        /* The same UUID written and not yet confirmed: its uevent decides what this one finds. */
        for (MdevOp *i = q->running; i; i = i->next)
                if (idxd_uuid_equal(&i->uuid, &op->uuid))
                        return -EAGAIN;

        existing = model_find_mdev(o->model, &op->uuid);
        if (existing) {
                if (existing->parent && strcmp(existing->parent, q->parent) == 0 &&
                    existing->type && strcmp(existing->type, q->type) == 0) {
                        r = create_save_definition(o, op, q->parent, q->type);
                        if (r < 0)
                                return r;
                        mdev_apply_options(o, existing, op);
                        op_finish(o, op, 0, NULL);
                        return 0;
                }
                op_finish(o, op, -EEXIST, "mdev %s already exists on parent %s with type %s",
                          s, strempty(existing->parent), strempty(existing->type));
                return -EEXIST;
        }

        p = model_find_parent(o->model, q->parent);
        if (!p) {
                op_finish(o, op, -ENOENT, "Parent %s not found", q->parent);
                return -ENOENT;
        }

        r = sysfs_type_path(p->syspath, q->type, "available_instances", &avail_path);
        if (r >= 0)
                r = sysfs_type_path(p->syspath, q->type, "create", &create_path);
        if (r < 0) {
                op_finish(o, op, r, "Bad type %s on parent %s", q->type, q->parent);
                return r;
        }

        /* Fresh from the file: the kernel's count, not a cached one. */
        r = sysfs_read_unsigned(avail_path, &avail);
        if (r == -ENOENT) {
                op_finish(o, op, -ENOENT, "Type %s not found on parent %s", q->type, q->parent);
                return r;
        }
        if (r < 0) {
                op_finish(o, op, -EIO, "Cannot read %s: %s", avail_path, strerror(-r));
                return r;
        }
        /*
         * Whether the count already takes the unconfirmed creates into account
         * depends on the parent driver: near the end, wait for them.
         */
        if (q->n_running > 0 && avail <= q->n_running)
                return -EAGAIN;
        if (avail == 0) {
                op_finish(o, op, -ENOSPC, "No capacity: type %s on parent %s has no available instances",
                          q->type, q->parent);
                return -ENOSPC;
        }

        r = create_save_definition(o, op, q->parent, q->type);
        if (r < 0)
                return r;

        r = sysfs_write_string(create_path, s);
        if (r == -ENOSPC) {
                op_finish(o, op, r, "No capacity: the kernel refused another %s on parent %s", q->type, q->parent);
                return r;
        }
        if (r == -EEXIST) {
                op_finish(o, op, r, "mdev %s already exists", s);
                return r;
        }
        if (r < 0) {
                op_finish(o, op, -EIO, "Creating mdev %s: writing %s failed: %s", s, create_path, strerror(-r));
                return r;
        }

        log_debug("Wrote %s to %s, waiting for the kernel", s, create_path);
        return 1;
}

static void *remove_write_thread(void *path) {
        int r = sysfs_write_string(path, "1");

        if (r < 0)
                log_warning_errno(r, "Writing %s failed", (const char *) path);
        free(path);
        return NULL;
}

/* A forced remove of a held mdev blocks in the kernel until the holder lets go: keep it off the loop. */
static int remove_write_async(const char *path) {
        pthread_attr_t attr;
        pthread_t thread;
        char *copy;
        int r;

        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        r = pthread_attr_init(&attr);
        if (r == 0) {
                (void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                r = pthread_create(&thread, &attr, remove_write_thread, copy);
                (void) pthread_attr_destroy(&attr);
        }
        if (r != 0) {
                free(copy);
                return -r;
        }
        return 0;
}

static int remove_start(MdevQueue *q, MdevOp *op) {
        _cleanup_free_ char *path = NULL;
        char s[IDXD_UUID_STRING_MAX];
        Ops *o = q->ops;
        bool busy = false;
        Mdev *mdev;
        int r;

        uuid_string(&op->uuid, s);

        mdev = model_find_mdev(o->model, &op->uuid);
        if (!mdev) {
                op_finish(o, op, -ENOENT, "mdev %s not found", s);
                return -ENOENT;
        }

        if (mdev->iommu_group >= 0) {
                int pid = 0;

                r = busy_find_vfio_group_holder(NULL, o->queues.dev_root, mdev->iommu_group, &pid);
                if (r < 0)
                        log_warning_errno(r, "Cannot tell whether mdev %s is in use", s);
                busy = r > 0;
                if (busy && !op->force) {
                        _cleanup_free_ char *holder = NULL;

                        /* A VMM started by libvirt names its domain: say which guest holds it. */
                        (void) busy_holder_domain(NULL, pid, &holder);
                        op_finish(o, op, -EBUSY,
                                  "mdev %s is in use%s%s: process %d holds VFIO group %d open (use force to destroy it anyway)",
                                  s, holder ? " by domain " : "", strempty(holder), pid, mdev->iommu_group);
                        return -EBUSY;
                }
        }

        r = sysfs_mdev_remove_path(o->queues.sysfs_root, &op->uuid, &path);
        if (r < 0) {
                op_finish(o, op, r, "Cannot build the remove path for mdev %s", s);
                return r;
        }
        if (access(path, F_OK) < 0 && mdev->syspath) {
                /* Testbeds may lack the bus/mdev/devices links; the device's own attribute is the same file. */
                free(path);
                path = NULL;
                if (sysfs_attr_path(mdev->syspath, "remove", &path) < 0) {
                        op_finish(o, op, -ENOMEM, "Out of memory");
                        return -ENOMEM;
                }
        }

        /* The definition goes first: failing that, the mdev stays as it is. */
        if (!op->keep_definition) {
                _cleanup_free_ char *message = NULL;

                r = definitions_unlink(o, &op->uuid, &message);
                if (r < 0) {
                        op_finish(o, op, -EIO, "%s", strempty(message));
                        return r;
                }
        }

        model_mdev_set_state(o->model, mdev, MDEV_STATE_REMOVING);
        r = busy ? remove_write_async(path) : sysfs_write_string(path, "1");
        if (r < 0) {
                model_mdev_set_state(o->model, mdev, MDEV_STATE_ACTIVE);
                definitions_restore(o, &op->uuid);
                op_finish(o, op, r == -ENOENT ? -ENOENT : -EIO, "Removing mdev %s: writing %s failed: %s",
                          s, path, strerror(-r));
                return r;
        }

        log_debug("Wrote 1 to %s, waiting for the kernel", path);
        return 1;
}

/* Before giving up, look at sysfs: the uevent may have been lost. */
static bool confirmed_in_sysfs(MdevQueue *q, const MdevOp *op) {
        _cleanup_free_ char *path = NULL;
        Ops *o = q->ops;
        char u[IDXD_UUID_STRING_MAX];
        Parent *p;
        Mdev *mdev;

        if (op->kind == MDEV_OP_CREATE) {
                p = model_find_parent(o->model, q->parent);
                if (!p || sysfs_attr_path(p->syspath, uuid_string(&op->uuid, u), &path) < 0 ||
                    access(path, F_OK) < 0)
                        return false;
                log_warning("mdev %s exists but its add uevent did not arrive", u);
                (void) discovery_read_mdev(o->discovery, path, NULL);
        } else {
                mdev = model_find_mdev(o->model, &op->uuid);
                if (mdev && mdev->syspath && access(mdev->syspath, F_OK) >= 0)
                        return false;
                log_warning("mdev %s is gone but its remove uevent did not arrive", uuid_string(&op->uuid, u));
                (void) discovery_mdev_gone(o->discovery, &op->uuid);
        }
        /* The model update completed the op through the observer. */
        return !queue_is_running(q, op);
}

/* The oldest written op is the first to time out. */
static int on_op_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        MdevQueue *q = userdata;
        Ops *o = q->ops;
        MdevOp *op = q->running;
        char u[IDXD_UUID_STRING_MAX];
        double seconds = (double) o->queues.create_timeout_usec / 1e6;

        if (!op || confirmed_in_sysfs(q, op)) {
                queue_arm_timer(q);
                return 0;
        }
        uuid_string(&op->uuid, u);

        if (op->kind == MDEV_OP_CREATE) {
                log_warning("Kernel did not confirm mdev %s on parent %s within %gs", u, q->parent, seconds);
                queue_complete(q, op, -ETIMEDOUT, "The kernel did not confirm mdev %s within %gs", u, seconds);
        } else {
                Mdev *mdev = model_find_mdev(o->model, &op->uuid);

                if (mdev)
                        model_mdev_set_state(o->model, mdev, MDEV_STATE_ACTIVE);
                log_warning("Kernel did not remove mdev %s within %gs", u, seconds);
                queue_complete(q, op, -ETIMEDOUT, "The kernel did not remove mdev %s within %gs", u, seconds);
        }
        return 0;
}

static void queue_arm_timer(MdevQueue *q) {
        int r;

        if (!q->running) {
                if (q->timer)
                        (void) sd_event_source_set_enabled(q->timer, SD_EVENT_OFF);
                return;
        }
        if (q->timer) {
                r = sd_event_source_set_time(q->timer, q->running->deadline);
                if (r >= 0)
                        r = sd_event_source_set_enabled(q->timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(q->ops->event, &q->timer, CLOCK_MONOTONIC, q->running->deadline, 0,
                                      on_op_timeout, q);
        if (r < 0)
                /* Without a timer a lost uevent would hold the queue for good. */
                queue_complete(q, q->running, r, "Cannot arm the timeout: %s", strerror(-r));
}

/* Creates go several at a time; a remove waits until nothing is in flight and runs alone. */
static bool queue_can_start(const MdevQueue *q) {
        if (!q->running)
                return true;
        return q->head->kind == MDEV_OP_CREATE && q->running->kind == MDEV_OP_CREATE &&
                q->n_running < q->ops->queues.creates_in_flight;
}

static void queue_dispatch(MdevQueue *q) {
        Ops *o = q->ops;
        uint64_t now;
        Parent *p;
        int r;

        /* The previous op changed what the parent offers. */
        p = model_find_parent(o->model, q->parent);
        if (p)
                (void) discovery_refresh_parent(o->discovery, p->syspath);

        while (q->head && queue_can_start(q)) {
                MdevOp *op = q->head, **tail;

                /* Out of the waiting list first: a start that fails frees op. */
                q->head = op->next;
                if (!q->head)
                        q->tail = NULL;
                op->next = NULL;

                r = op->kind == MDEV_OP_CREATE ? create_start(q, op) : remove_start(q, op);
                if (r == -EAGAIN) {
                        /* Back at the head: it starts when one in flight is confirmed. */
                        op->next = q->head;
                        q->head = op;
                        if (!q->tail)
                                q->tail = op;
                        break;
                }
                if (r <= 0)
                        continue;

                (void) sd_event_now(o->event, CLOCK_MONOTONIC, &now);
                op->deadline = now + o->queues.create_timeout_usec;
                for (tail = &q->running; *tail; tail = &(*tail)->next)
                        ;
                *tail = op;
                q->n_running++;
        }
        queue_arm_timer(q);

        if (!q->running && !q->head)
                queue_free(q);
}

static unsigned queued_creates(const Parent *p, const MdevType *t, void *userdata) {
        Ops *o = userdata;
        unsigned n = 0;

        for (MdevQueue *q = o->queues.first; q; q = q->next) {
                if (strcmp(q->parent, p->name) != 0 || strcmp(q->type, t->id) != 0)
                        continue;
                for (MdevOp *op = q->running; op; op = op->next)
                        if (op->kind == MDEV_OP_CREATE)
                                n++;
                for (MdevOp *op = q->head; op; op = op->next)
                        if (op->kind == MDEV_OP_CREATE)
                                n++;
        }
        return n;
}

/* What a callout script is told about the mdev an op acts on. */
static int callout_device_new(const IdxdUuid *uuid, const char *parent, const char *type, bool autostart,
                              const IdxdAttr *attrs, size_t n_attrs, IdxdDefinition **ret) {
        IdxdDefinition d = {
                .uuid = *uuid,
                .parent = (char *) parent,
                .type = (char *) type,
                .autostart = autostart,
                .attrs = (IdxdAttr *) attrs,
                .n_attrs = n_attrs,
        };

        return idxd_definition_copy(&d, ret);
}

/* The pre call decided: the op joins its queue, or fails without a post call. */
static void on_pre_callout(Ops *o, int r, const char *message, const char *script, void *userdata) {
        MdevOp *op = userdata;

        if (r < 0) {
                op->callout_device = idxd_definition_free(op->callout_device);
                op_finish(o, op, r == -ECANCELED ? r : -EIO, "%s", strempty(message));
                return;
        }
        if (script && !(op->callout_script = strdup(script))) {
                op_finish(o, op, -ENOMEM, "Out of memory");
                return;
        }
        r = queue_push(o, op->callout_device->parent, op->callout_device->type, op);
        if (r < 0)
                op_finish(o, op, r, "Cannot queue the request: %s", strerror(-r));
}

/* Queues op, after the pre callout when there are callout scripts (docs/daemon.md, "Callouts"). */
static void op_enqueue(Ops *o, MdevOp *op, const char *parent, const char *type, bool autostart,
                       const IdxdAttr *attrs, size_t n_attrs) {
        int r;

        if (callouts_present(o)) {
                r = callout_device_new(&op->uuid, parent, type, autostart, attrs, n_attrs, &op->callout_device);
                if (r < 0) {
                        op_finish(o, op, r, "Out of memory");
                        return;
                }
                callout_run(o, CALLOUT_EVENT_PRE, op->kind == MDEV_OP_CREATE ? "start" : "stop", op->callout_device,
                            false, NULL, on_pre_callout, op);
                return;
        }
        r = queue_push(o, parent, type, op);
        if (r < 0)
                op_finish(o, op, r, "Cannot queue the request: %s", strerror(-r));
}

/* call_out: a new device is started (not the same definition again for one that exists). */
static void create_enqueue(Ops *o, const MdevCreateRequest *req, const char *parent, const char *type,
                           bool call_out, MdevOpCallback callback, void *userdata) {
        MdevOp *op;
        int r;

        op = calloc(1, sizeof(*op));
        if (!op)
                RETURN_FAILED_REQUEST(o, &req->uuid, callback, userdata, -ENOMEM, "Out of memory");
        op->kind = MDEV_OP_CREATE;
        op->uuid = req->uuid;
        op->persistent = req->persistent || req->autostart;
        op->autostart = req->autostart;
        op->origin = req->origin;
        op->callback = callback;
        op->userdata = userdata;
        op->n_attrs = req->n_attrs;
        if ((req->domain && *req->domain && !(op->domain = strdup(req->domain))) ||
            (req->pool && !(op->pool = strdup(req->pool))) || attrs_copy(req->attrs, req->n_attrs, &op->attrs) < 0) {
                op_free(op);
                RETURN_FAILED_REQUEST(o, &req->uuid, callback, userdata, -ENOMEM, "Out of memory");
        }

        if (call_out) {
                op_enqueue(o, op, parent, type, req->autostart, req->attrs, req->n_attrs);
                return;
        }
        r = queue_push(o, parent, type, op);
        if (r < 0)
                op_finish(o, op, r, "Cannot queue the request: %s", strerror(-r));
}

static void create_resolved(Ops *o, const MdevCreateRequest *req, MdevOpCallback callback, void *userdata) {
        const char *type_spec = strempty(req->type);
        MdevType *type;
        Parent *parent;
        Mdev *existing;
        int r;

        /* The same definition again with the parent left to us: the parent is the one it is on. */
        existing = model_find_mdev(o->model, &req->uuid);
        if (existing && existing->parent && existing->type && (!req->parent || !*req->parent) &&
            mdev_type_matches(existing->type, type_spec)) {
                create_enqueue(o, req, existing->parent, existing->type, false, callback, userdata);
                return;
        }

        /* Choosing a parent: on today's counts, less what queued creates will take. */
        if (!req->parent || !*req->parent)
                for (size_t i = 0; i < o->model->n_parents; i++)
                        (void) discovery_refresh_available(o->model->parents[i]);

        r = model_resolve_type(o->model, req->parent, type_spec, queued_creates, o, &parent, &type);
        if (r == -ENXIO)
                RETURN_FAILED_REQUEST(o, &req->uuid, callback, userdata, -ENOENT, "Parent %s not found", req->parent);
        if (r == -ENOTUNIQ)
                RETURN_FAILED_REQUEST(o, &req->uuid, callback, userdata, -ENOENT,
                                      "Type %s is ambiguous: name it in full", type_spec);
        if (r < 0) {
                if (req->parent && *req->parent)
                        RETURN_FAILED_REQUEST(o, &req->uuid, callback, userdata, -ENOENT,
                                              "Type %s not found on parent %s", type_spec, req->parent);
                RETURN_FAILED_REQUEST(o, &req->uuid, callback, userdata, -ENOENT,
                                      "Type %s not found on any parent", type_spec);
        }

        create_enqueue(o, req, parent->name, type->id, true, callback, userdata);
}

/* A create waiting for libvirt to say whether its domain exists; owns copies of the request's strings. */
typedef struct DomainCheck {
        Ops *ops;
        MdevCreateRequest req;
        char *parent;
        char *type;
        char *domain;
        char *pool;
        IdxdAttr *attrs;
        MdevOpCallback callback;
        void *userdata;
} DomainCheck;

static void domain_check_free(DomainCheck *c) {
        free(c->pool);
        attrs_free(c->attrs, c->req.n_attrs);
        free(c->parent);
        free(c->type);
        free(c->domain);
        free(c);
}

/*
 * A domain libvirt does not know fails the create before anything is made.
 * libvirt away or silent: idxdd cannot tell, so the mdev is made and its
 * registration waits (docs/libvirt.md).
 */
static void on_domain_checked(IdxdLibvirt *l, const char *domain, int r, const char *message, void *userdata) {
        DomainCheck *c = userdata;
        Ops *o = c->ops;

        if (r == -ENOENT)
                fail_request(o, &c->req.uuid, c->callback, c->userdata, -EREMOTEIO, "%s",
                             message ? message : "domain not found");
        else if (r == -ECANCELED)
                fail_request(o, &c->req.uuid, c->callback, c->userdata, -ECANCELED, "The daemon is shutting down");
        else
                create_resolved(o, &c->req, c->callback, c->userdata);
        domain_check_free(c);
}

void mdev_create(Ops *o, const MdevCreateRequest *req, MdevOpCallback callback, void *userdata) {
        DomainCheck *c;

        if (!o->registrar || !req->domain || !*req->domain) {
                create_resolved(o, req, callback, userdata);
                return;
        }

        c = calloc(1, sizeof(*c));
        if (!c)
                RETURN_FAILED_REQUEST(o, &req->uuid, callback, userdata, -ENOMEM, "Out of memory");
        c->ops = o;
        c->req = *req;
        c->parent = req->parent ? strdup(req->parent) : NULL;
        c->type = req->type ? strdup(req->type) : NULL;
        c->domain = strdup(req->domain);
        c->pool = req->pool ? strdup(req->pool) : NULL;
        if ((req->parent && !c->parent) || (req->type && !c->type) || !c->domain || (req->pool && !c->pool) ||
            attrs_copy(req->attrs, req->n_attrs, &c->attrs) < 0) {
                domain_check_free(c);
                RETURN_FAILED_REQUEST(o, &req->uuid, callback, userdata, -ENOMEM, "Out of memory");
        }
        c->req.parent = c->parent;
        c->req.type = c->type;
        c->req.domain = c->domain;
        c->req.pool = c->pool;
        c->req.attrs = c->attrs;
        c->callback = callback;
        c->userdata = userdata;

        registrar_check_domain(o->registrar, c->domain, DOMAIN_CHECK_TIMEOUT_USEC, on_domain_checked, c);
}

/* An mdev destroyed with its definition: forgotten, and out of its domain's libvirt config. */
static void forget_for_good(Ops *o, const IdxdUuid *uuid) {
        definitions_forget(o, uuid);
        registrar_unregister(o->registrar, uuid);
}

void mdev_destroy(Ops *o, const IdxdUuid *uuid, bool force, bool keep_definition,
                  MdevOpCallback callback, void *userdata) {
        char s[IDXD_UUID_STRING_MAX];
        Definition *e;
        Mdev *mdev;
        MdevOp *op;
        int r;

        mdev = model_find_mdev(o->model, uuid);
        if (!mdev && definitions_find_deviceless(o, uuid)) {
                _cleanup_free_ char *message = NULL;

                if (definitions_uuid_busy(o, uuid))
                        RETURN_FAILED_REQUEST(o, uuid, callback, userdata, -EBUSY,
                                              "mdev %s is being created from its definition: try again when it is done",
                                              uuid_string(uuid, s));
                /* Definitions without a device: destroying them is forgetting them. */
                if (!keep_definition) {
                        r = definitions_unlink(o, uuid, &message);
                        if (r < 0)
                                RETURN_FAILED_REQUEST(o, uuid, callback, userdata, -EIO, "%s", strempty(message));
                        ops_tell_definition_object(o, &definitions_find_deviceless(o, uuid)->shadow, false);
                        forget_for_good(o, uuid);
                }
                callback(o, uuid, 0, NULL, userdata);
                return;
        }
        if (!mdev)
                RETURN_FAILED_REQUEST(o, uuid, callback, userdata, -ENOENT, "mdev %s not found", uuid_string(uuid, s));

        op = calloc(1, sizeof(*op));
        if (!op)
                RETURN_FAILED_REQUEST(o, uuid, callback, userdata, -ENOMEM, "Out of memory");
        op->kind = MDEV_OP_REMOVE;
        op->uuid = *uuid;
        op->force = force;
        op->keep_definition = keep_definition;
        op->callback = callback;
        op->userdata = userdata;

        /* A callout script sees the device as its definition has it, if it has one. */
        e = mdev->parent ? definitions_find(o, uuid, mdev->parent) : NULL;
        op_enqueue(o, op, strempty(mdev->parent), strempty(mdev->type), e && e->def->autostart,
                   e ? e->def->attrs : NULL, e ? e->def->n_attrs : 0);
}

/* The written op of this kind for uuid, and its queue. */
static MdevOp *find_running(Ops *o, MdevOpKind kind, const IdxdUuid *uuid, MdevQueue **ret_queue) {
        for (MdevQueue *q = o->queues.first; q; q = q->next)
                for (MdevOp *op = q->running; op; op = op->next)
                        if (op->kind == kind && idxd_uuid_equal(&op->uuid, uuid)) {
                                *ret_queue = q;
                                return op;
                        }
        return NULL;
}

void mdev_ops_apply_options(Ops *o, Mdev *mdev) {
        MdevQueue *q;
        MdevOp *op = find_running(o, MDEV_OP_CREATE, &mdev->uuid, &q);

        if (op)
                mdev_apply_options(o, mdev, op);
}

/* mdevctl's order: the attributes after the create, each in turn; the first failure stops. */
static int write_attrs(const Mdev *mdev, const MdevOp *op, char **ret_message) {
        int r;

        for (size_t i = 0; i < op->n_attrs; i++) {
                _cleanup_free_ char *path = NULL;

                r = mdev->syspath ? sysfs_attr_path(mdev->syspath, op->attrs[i].name, &path) : -ENOENT;
                if (r >= 0)
                        r = sysfs_write_string(path, op->attrs[i].value);
                if (r < 0) {
                        if (asprintf(ret_message, "mdev %s was created, but writing its attribute %s failed: %s",
                                     mdev->uuid_string, op->attrs[i].name, strerror(-r)) < 0)
                                *ret_message = NULL;
                        return r;
                }
        }
        return 0;
}

void mdev_ops_mdev_added(Ops *o, const Mdev *mdev) {
        _cleanup_free_ char *message = NULL;
        MdevQueue *q;
        MdevOp *op = find_running(o, MDEV_OP_CREATE, &mdev->uuid, &q);
        int r;

        if (!op)
                return;
        r = write_attrs(mdev, op, &message);
        if (r < 0) {
                /* The mdev exists and its definition stays: fix the attribute, then create again. */
                op->new_definition = mfree(op->new_definition);
                queue_complete(q, op, -EIO, "%s", strempty(message));
                return;
        }
        queue_complete(q, op, 0, NULL);
}

void mdev_ops_mdev_removed(Ops *o, const Mdev *mdev) {
        MdevQueue *q;
        MdevOp *op = find_running(o, MDEV_OP_REMOVE, &mdev->uuid, &q);
        size_t first;

        if (!op)
                return;
        /* Destroyed for good, or stopped without a definition: out of its domain too. A kept definition keeps its registration. */
        if (!op->keep_definition || definitions_range(o, &mdev->uuid, &first) == 0)
                forget_for_good(o, &mdev->uuid);
        queue_complete(q, op, 0, NULL);
}

void mdev_ops_parent_removed(Ops *o, const Parent *p) {
        for (MdevQueue *q = o->queues.first; q; q = q->next)
                if (strcmp(q->parent, p->name) == 0)
                        while (q->running && q->running->kind == MDEV_OP_CREATE)
                                queue_complete(q, q->running, -ENOENT, "Parent %s was removed", p->name);
}

void mdev_ops_cancel_all(Ops *o) {
        while (o->queues.first) {
                MdevQueue *q = o->queues.first;

                while (q->running) {
                        MdevOp *op = q->running;

                        q->running = op->next;
                        op_finish(o, op, -ECANCELED, "The daemon is shutting down");
                }
                while (q->head) {
                        MdevOp *op = q->head;

                        q->head = op->next;
                        op_finish(o, op, -ECANCELED, "The daemon is shutting down");
                }
                q->tail = NULL;
                queue_free(q);
        }
}

void mdev_queues_done(MdevQueues *q) {
        q->sysfs_root = mfree(q->sysfs_root);
        q->dev_root = mfree(q->dev_root);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idxdd-config.h"
#include "log.h"
#include "macro.h"
#include "ops.h"
#include "solver-model.h"
#include "solver.h"
#include "sysfs-path.h"

static void shortfalls_clear(PolicyRunner *p) {
        strv_free(p->shortfalls);
        p->shortfalls = NULL;
        p->n_shortfalls = 0;
}

void policy_runner_done(PolicyRunner *p) {
        p->policy = idxd_policy_free(p->policy);
        shortfalls_clear(p);
        p->timer = sd_event_source_disable_unref(p->timer);
        p->config_dir = mfree(p->config_dir);
        p->policy_dir = mfree(p->policy_dir);
}

size_t policy_apply_shortfalls(Ops *o, const char *const **ret_messages) {
        *ret_messages = (const char *const *) o->policy.shortfalls;
        return o->policy.n_shortfalls;
}

/* Logs the shortfalls when they differ from the last solve's. */
static void shortfalls_update(Ops *o, const IdxdShortfalls *s) {
        bool same = s->n_items == o->policy.n_shortfalls;
        char **l;

        for (size_t i = 0; same && i < s->n_items; i++)
                same = strcmp(s->items[i].message, o->policy.shortfalls[i]) == 0;
        if (same)
                return;

        shortfalls_clear(&o->policy);
        l = calloc(s->n_items + 1, sizeof(char *));
        if (!l)
                return;
        for (size_t i = 0; i < s->n_items; i++) {
                log_warning("Policy shortfall: %s", s->items[i].message);
                l[i] = strdup(s->items[i].message);
                if (!l[i]) {
                        strv_free(l);
                        return;
                }
        }
        o->policy.shortfalls = l;
        o->policy.n_shortfalls = s->n_items;
}

static bool policy_made(const IdxdUuid *uuid, void *userdata) {
        Definition *e = definitions_find_any(userdata, uuid);

        return e && e->def->origin == IDXD_ORIGIN_POLICY;
}

static void policy_op_end(Ops *o, bool startup) {
        if (o->policy.inflight > 0 && --o->policy.inflight == 0 && o->policy.dirty)
                policy_apply_schedule(o);
        if (startup)
                ops_startup_end(o);
}

static void policy_op_done(Ops *o, const IdxdUuid *uuid, int r, const char *message, void *userdata) {
        char s[IDXD_UUID_STRING_MAX];

        if (r < 0)
                log_warning("Policy: mdev %s: %s", idxd_uuid_format(uuid, s), strempty(message));
        policy_op_end(o, userdata != NULL);
}

/* A plan entry that exists without a definition (e.g. the state directory was lost) gets one back. */
static void store_missing_definitions(Ops *o, const IdxdPlan *plan) {
        for (size_t i = 0; i < plan->n_entries; i++) {
                _cleanup_(idxd_definition_freep) IdxdDefinition *def = NULL;
                _cleanup_free_ char *message = NULL;
                const IdxdPlanEntry *e = &plan->entries[i];

                if (!e->exists || definitions_find(o, &e->uuid, e->parent))
                        continue;
                if (idxd_plan_entry_to_definition(e, &def) < 0)
                        continue;
                def->persistent = true;
                if (definitions_save(o, def, &message) < 0)
                        log_warning("%s", strempty(message));
                else
                        definitions_apply(o, model_find_mdev(o->model, &e->uuid));
        }
}

/* Policy-made definitions without a device that the plan no longer has. */
static void forget_dropped_definitions(Ops *o, const IdxdPlan *plan) {
        for (size_t i = o->definitions.n; i > 0; i--) {
                Definition *e = o->definitions.items[i - 1];
                _cleanup_free_ char *message = NULL;

                if (e->def->origin != IDXD_ORIGIN_POLICY || idxd_plan_find(plan, &e->def->uuid) ||
                    model_find_mdev(o->model, &e->def->uuid) || e->creating)
                        continue;
                if (definitions_unlink_one(o, e, &message) < 0) {
                        log_warning("%s", strempty(message));
                        continue;
                }
                log_info("Policy: definition %s released", e->def->uuid_string);
                ops_forget_definition(o, e);
        }
}

static void policy_act(Ops *o, const IdxdPlanAction *a, bool startup) {
        char s[IDXD_UUID_STRING_MAX];

        o->policy.inflight++;
        if (startup)
                ops_startup_begin(o);
        if (a->action == IDXD_PLAN_REMOVE) {
                log_info("Policy: releasing mdev %s", idxd_uuid_format(&a->uuid, s));
                mdev_destroy(o, &a->uuid, false, false, policy_op_done, startup ? o : NULL);
                return;
        }
        mdev_create(o, &(MdevCreateRequest) {
                        .parent = a->entry->parent,
                        .type = a->entry->type,
                        .uuid = a->entry->uuid,
                        .domain = a->entry->domain,
                        .persistent = true,
                        .autostart = a->entry->autostart,
                        .origin = IDXD_ORIGIN_POLICY,
                        .pool = a->entry->pool,
                    }, policy_op_done, startup ? o : NULL);
}

/* The policy's definitions without a device, for the solver to keep where they are (n + 1 slots). */
static IdxdSolverMdev *policy_defined(Ops *o, size_t *ret_n) {
        IdxdSolverMdev *defined = calloc(o->definitions.n + 1, sizeof(IdxdSolverMdev));
        size_t n = 0;

        if (!defined)
                return NULL;
        for (size_t i = 0; i < o->definitions.n; i++) {
                const IdxdDefinition *def = o->definitions.items[i]->def;

                if (def->origin != IDXD_ORIGIN_POLICY || model_find_mdev(o->model, &def->uuid))
                        continue;
                defined[n++] = (IdxdSolverMdev) { .uuid = def->uuid, .parent = def->parent, .type = def->type };
        }
        *ret_n = n;
        return defined;
}

static int policy_run(Ops *o, bool startup) {
        _cleanup_(idxd_policy_freep) IdxdPolicy *empty = NULL;
        _cleanup_(idxd_solver_snapshot_done) IdxdSolverSnapshot snap = {};
        _cleanup_(idxd_plan_freep) IdxdPlan *plan = NULL;
        _cleanup_(idxd_shortfalls_freep) IdxdShortfalls *shortfalls = NULL;
        _cleanup_free_ IdxdPlanAction *actions = NULL;
        _cleanup_free_ IdxdSolverMdev *defined = NULL;
        const IdxdPolicy *policy = o->policy.policy;
        size_t n_actions = 0;
        int r;

        /* In-flight creates are not in sysfs yet: the solver would count their room twice. */
        if (o->policy.inflight > 0 || (!startup && o->startup_pending > 0) || o->definitions.autostart_inflight > 0) {
                o->policy.dirty = true;
                return 0;
        }
        o->policy.dirty = false;
        if (!policy) {
                if (!o->policy.dropped)
                        return 0;
                /* The policy went away on a reload: what it made goes too. */
                r = idxd_policy_new(&empty);
                if (r < 0)
                        return log_warning_errno(r, "Cannot solve the policy");
                policy = empty;
                o->policy.dropped = false;
        }

        for (size_t i = 0; i < o->model->n_parents; i++)
                (void) discovery_refresh_available(o->model->parents[i]);
        r = idxd_solver_snapshot_from_model(o->model, o->policy.ims_reserve, &snap);
        if (r >= 0 && !(defined = policy_defined(o, &snap.input.n_defined)))
                r = -ENOMEM;
        snap.input.defined = defined;
        if (r >= 0)
                r = idxd_policy_solve(&snap.input, policy, &plan, &shortfalls);
        if (r >= 0)
                r = idxd_plan_actions(plan, snap.input.mdevs, snap.input.n_mdevs, policy_made, o, &actions, &n_actions);
        if (r < 0)
                return log_warning_errno(r, "Cannot solve the policy");

        shortfalls_update(o, shortfalls);
        forget_dropped_definitions(o, plan);
        store_missing_definitions(o, plan);
        log_debug("Policy: %zu plan entries, %zu actions", plan->n_entries, n_actions);

        /* One extra count so ops finishing right away cannot reschedule in the middle. */
        o->policy.inflight++;
        for (size_t i = 0; i < n_actions; i++)
                policy_act(o, &actions[i], startup);
        policy_op_end(o, false);
        return 0;
}

static int on_policy_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) policy_run(userdata, false);
        return 0;
}

void policy_apply_schedule(Ops *o) {
        int r;

        if ((!o->policy.policy && !o->policy.dropped) || !o->startup_finished)
                return;
        if (!o->policy.timer) {
                r = sd_event_add_time_relative(o->event, &o->policy.timer, CLOCK_MONOTONIC, POLICY_DEBOUNCE_USEC, 0,
                                               on_policy_timer, o);
                if (r < 0) {
                        log_warning_errno(r, "Cannot schedule the policy");
                        return;
                }
        } else
                (void) sd_event_source_set_time_relative(o->policy.timer, POLICY_DEBOUNCE_USEC);
        (void) sd_event_source_set_enabled(o->policy.timer, SD_EVENT_ONESHOT);
}

void policy_apply_startup(Ops *o) {
        ops_startup_begin(o);
        (void) policy_run(o, true);
        ops_startup_end(o);
}

/* Reads the policy directory: NULL policy when there are no files. */
static int policy_read(Ops *o, IdxdPolicy **ret, char **ret_message) {
        int r;

        r = idxd_policy_load_dir(o->policy.policy_dir, ret, ret_message);
        if (r == -ENOENT || r == -ENODATA) {
                *ret_message = mfree(*ret_message);
                *ret = NULL;
                return 0;
        }
        return r;
}

static void policy_log_loaded(Ops *o) {
        if (o->policy.policy)
                log_info("Policy: %zu files, %zu pools, %zu assignments from %s", o->policy.policy->n_files,
                         o->policy.policy->n_pools, o->policy.policy->n_assignments, o->policy.policy_dir);
        else
                log_info("No policy files in %s", o->policy.policy_dir);
}

void policy_apply_load_initial(Ops *o) {
        _cleanup_free_ char *message = NULL;
        int r;

        r = policy_read(o, &o->policy.policy, &message);
        if (r < 0) {
                log_error("%s; running without a policy", message ? message : strerror(-r));
                o->policy.policy = NULL;
                return;
        }
        policy_log_loaded(o);
}

int policy_apply_reload(Ops *o, char **ret_message) {
        _cleanup_(idxd_config_freep) IdxdConfig *config = NULL;
        _cleanup_(idxd_policy_freep) IdxdPolicy *policy = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        if (asprintf(&path, "%s/idxdd.json", o->policy.config_dir) < 0)
                return -ENOMEM;
        r = idxd_config_load(path, &config, ret_message);
        if (r >= 0)
                r = policy_read(o, &policy, ret_message);
        if (r < 0) {
                if (!*ret_message && asprintf(ret_message, "%s: %s", o->policy.policy_dir, strerror(-r)) < 0)
                        *ret_message = NULL;
                return r;
        }

        /* Only what takes effect without a restart: the rest needs one (docs/daemon.md). */
        o->policy.ims_reserve = config->ims_reserve;
        o->policy.dropped = o->policy.dropped || (o->policy.policy && !policy);
        idxd_policy_free(o->policy.policy);
        o->policy.policy = TAKE_PTR(policy);
        if (!o->policy.policy)
                shortfalls_clear(&o->policy);
        policy_log_loaded(o);
        policy_apply_schedule(o);
        return 0;
}

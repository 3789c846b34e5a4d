/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "definitions.h"
#include "idxdd-config.h"
#include "log.h"
#include "macro.h"
#include "mdev-ops.h"
#include "policy-apply.h"
#include "policy.h"
#include "solver-model.h"
#include "solver.h"
#include "sysfs.h"

static void shortfalls_clear(Daemon *d) {
        strv_free(d->policy_shortfalls);
        d->policy_shortfalls = NULL;
        d->n_policy_shortfalls = 0;
}

void policy_apply_free(Daemon *d) {
        idxd_policy_free(d->policy);
        d->policy = NULL;
        shortfalls_clear(d);
        d->policy_timer = sd_event_source_disable_unref(d->policy_timer);
}

size_t policy_apply_shortfalls(Daemon *d, const char *const **ret_messages) {
        *ret_messages = (const char *const *) d->policy_shortfalls;
        return d->n_policy_shortfalls;
}

/* Logs the shortfalls when they differ from the last solve's. */
static void shortfalls_update(Daemon *d, const IdxdShortfalls *s) {
        bool same = s->n_items == d->n_policy_shortfalls;
        char **l;

        for (size_t i = 0; same && i < s->n_items; i++)
                same = strcmp(s->items[i].message, d->policy_shortfalls[i]) == 0;
        if (same)
                return;

        shortfalls_clear(d);
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
        d->policy_shortfalls = l;
        d->n_policy_shortfalls = s->n_items;
}

static bool policy_made(const IdxdUuid *uuid, void *userdata) {
        Definition *e = definitions_find(userdata, uuid);

        return e && e->def->origin == IDXD_ORIGIN_POLICY;
}

static void policy_op_end(Daemon *d, bool startup) {
        if (d->policy_inflight > 0 && --d->policy_inflight == 0 && d->policy_dirty)
                policy_apply_schedule(d);
        if (startup)
                daemon_startup_op_end(d);
}

static void policy_op_done(Daemon *d, const IdxdUuid *uuid, int r, const char *message, void *userdata) {
        char s[IDXD_UUID_STRING_MAX];

        if (r < 0)
                log_warning("Policy: mdev %s: %s", idxd_uuid_format(uuid, s), strempty(message));
        policy_op_end(d, userdata != NULL);
}

/* A plan entry that exists without a definition (e.g. the state directory was lost) gets one back. */
static void store_missing_definitions(Daemon *d, const IdxdPlan *plan) {
        for (size_t i = 0; i < plan->n_entries; i++) {
                _cleanup_(idxd_definition_freep) IdxdDefinition *def = NULL;
                _cleanup_free_ char *message = NULL;
                const IdxdPlanEntry *e = &plan->entries[i];

                if (!e->exists || definitions_find(d, &e->uuid))
                        continue;
                if (idxd_plan_entry_to_definition(e, &def) < 0)
                        continue;
                def->persistent = true;
                if (definitions_save(d, def, &message) < 0)
                        log_warning("%s", strempty(message));
                else
                        definitions_apply(d, model_find_mdev(d->model, &e->uuid));
        }
}

/* Policy-made definitions without a device that the plan no longer has. */
static void forget_dropped_definitions(Daemon *d, const IdxdPlan *plan) {
        for (size_t i = d->n_definitions; i > 0; i--) {
                Definition *e = d->definitions[i - 1];
                _cleanup_free_ char *message = NULL;

                if (e->def->origin != IDXD_ORIGIN_POLICY || idxd_plan_find(plan, &e->def->uuid) ||
                    model_find_mdev(d->model, &e->def->uuid) || e->creating)
                        continue;
                if (definitions_unlink(d, &e->def->uuid, &message) < 0) {
                        log_warning("%s", strempty(message));
                        continue;
                }
                log_info("Policy: definition %s released", e->def->uuid_string);
                bus_mdev_emit_removed(d, &e->shadow);
                definitions_forget(d, &e->shadow.uuid);
        }
}

static void policy_act(Daemon *d, const IdxdPlanAction *a, bool startup) {
        char s[IDXD_UUID_STRING_MAX];

        d->policy_inflight++;
        if (startup)
                daemon_startup_op_begin(d);
        if (a->action == IDXD_PLAN_REMOVE) {
                log_info("Policy: releasing mdev %s", idxd_uuid_format(&a->uuid, s));
                mdev_destroy(d, &a->uuid, false, false, policy_op_done, startup ? d : NULL);
                return;
        }
        mdev_create(d, &(MdevCreateRequest) {
                        .parent = a->entry->parent,
                        .type = a->entry->type,
                        .uuid = a->entry->uuid,
                        .domain = a->entry->domain,
                        .persistent = true,
                        .autostart = a->entry->autostart,
                        .origin = IDXD_ORIGIN_POLICY,
                        .pool = a->entry->pool,
                    }, policy_op_done, startup ? d : NULL);
}

static int policy_run(Daemon *d, bool startup) {
        _cleanup_(idxd_policy_freep) IdxdPolicy *empty = NULL;
        _cleanup_(idxd_solver_snapshot_done) IdxdSolverSnapshot snap = {};
        _cleanup_(idxd_plan_freep) IdxdPlan *plan = NULL;
        _cleanup_(idxd_shortfalls_freep) IdxdShortfalls *shortfalls = NULL;
        _cleanup_free_ IdxdPlanAction *actions = NULL;
        const IdxdPolicy *policy = d->policy;
        size_t n_actions = 0;
        int r;

        /* In-flight creates are not in sysfs yet: the solver would count their room twice. */
        if (d->policy_inflight > 0 || (!startup && d->startup_pending > 0) || d->autostart_inflight > 0) {
                d->policy_dirty = true;
                return 0;
        }
        d->policy_dirty = false;
        if (!policy) {
                if (!d->policy_dropped)
                        return 0;
                /* The policy went away on a reload: what it made goes too. */
                r = idxd_policy_new(&empty);
                if (r < 0)
                        return log_warning_errno(r, "Cannot solve the policy");
                policy = empty;
                d->policy_dropped = false;
        }

        for (size_t i = 0; i < d->model->n_parents; i++)
                (void) discovery_refresh_available(d, d->model->parents[i]);
        r = idxd_solver_snapshot_from_model(d->model, d->ims_reserve, &snap);
        if (r >= 0)
                r = idxd_policy_solve(&snap.input, policy, &plan, &shortfalls);
        if (r >= 0)
                r = idxd_plan_actions(plan, snap.input.mdevs, snap.input.n_mdevs, policy_made, d, &actions, &n_actions);
        if (r < 0)
                return log_warning_errno(r, "Cannot solve the policy");

        shortfalls_update(d, shortfalls);
        forget_dropped_definitions(d, plan);
        store_missing_definitions(d, plan);
        log_debug("Policy: %zu plan entries, %zu actions", plan->n_entries, n_actions);

        /* One extra count so ops finishing right away cannot reschedule in the middle. */
        d->policy_inflight++;
        for (size_t i = 0; i < n_actions; i++)
                policy_act(d, &actions[i], startup);
        policy_op_end(d, false);
        return 0;
}

static int on_policy_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) policy_run(userdata, false);
        return 0;
}

void policy_apply_schedule(Daemon *d) {
        int r;

        if ((!d->policy && !d->policy_dropped) || !d->notified_ready)
                return;
        if (!d->policy_timer) {
                r = sd_event_add_time_relative(d->event, &d->policy_timer, CLOCK_MONOTONIC, POLICY_DEBOUNCE_USEC, 0,
                                               on_policy_timer, d);
                if (r < 0) {
                        log_warning_errno(r, "Cannot schedule the policy");
                        return;
                }
        } else
                (void) sd_event_source_set_time_relative(d->policy_timer, POLICY_DEBOUNCE_USEC);
        (void) sd_event_source_set_enabled(d->policy_timer, SD_EVENT_ONESHOT);
}

void policy_apply_startup(Daemon *d) {
        daemon_startup_op_begin(d);
        (void) policy_run(d, true);
        daemon_startup_op_end(d);
}

/* Reads the policy directory: NULL policy when there are no files. */
static int policy_read(Daemon *d, IdxdPolicy **ret, char **ret_message) {
        int r;

        r = idxd_policy_load_dir(d->policy_dir, ret, ret_message);
        if (r == -ENOENT || r == -ENODATA) {
                *ret_message = mfree(*ret_message);
                *ret = NULL;
                return 0;
        }
        return r;
}

static void policy_log_loaded(Daemon *d) {
        if (d->policy)
                log_info("Policy: %zu files, %zu pools, %zu assignments from %s", d->policy->n_files,
                         d->policy->n_pools, d->policy->n_assignments, d->policy_dir);
        else
                log_info("No policy files in %s", d->policy_dir);
}

void policy_apply_load_initial(Daemon *d) {
        _cleanup_free_ char *message = NULL;
        int r;

        r = policy_read(d, &d->policy, &message);
        if (r < 0) {
                log_error("%s; running without a policy", message ? message : strerror(-r));
                d->policy = NULL;
                return;
        }
        policy_log_loaded(d);
}

int policy_apply_reload(Daemon *d, char **ret_message) {
        _cleanup_(idxd_config_freep) IdxdConfig *config = NULL;
        _cleanup_(idxd_policy_freep) IdxdPolicy *policy = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        if (asprintf(&path, "%s/idxdd.json", d->config_dir) < 0)
                return -ENOMEM;
        r = idxd_config_load(path, &config, ret_message);
        if (r >= 0)
                r = policy_read(d, &policy, ret_message);
        if (r < 0) {
                if (!*ret_message)
                        (void) asprintf(ret_message, "%s: %s", d->policy_dir, strerror(-r));
                return r;
        }

        /* Only what takes effect without a restart: the rest needs one (docs/daemon.md). */
        d->ims_reserve = config->ims_reserve;
        d->policy_dropped = d->policy_dropped || (d->policy && !policy);
        idxd_policy_free(d->policy);
        d->policy = TAKE_PTR(policy);
        if (!d->policy)
                shortfalls_clear(d);
        policy_log_loaded(d);
        policy_apply_schedule(d);
        return 0;
}

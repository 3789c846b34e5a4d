/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The running policy: loaded at start, on Reload and SIGHUP; solved against
 * the model (solver.h) whenever parents or capacity change, debounced; the
 * plan's missing mdevs are created as persistent definitions of origin
 * "policy", policy-made mdevs the plan drops are released. CLI-made ones
 * are never touched.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "policy.h"

typedef struct Ops Ops;

/* The running policy's state. */
typedef struct PolicyRunner {
        IdxdPolicy *policy;             /* NULL = none */
        char *config_dir;               /* idxdd.json is re-read on reload */
        char *policy_dir;
        unsigned ims_reserve;
        char **shortfalls;              /* of the last solve */
        size_t n_shortfalls;
        sd_event_source *timer;         /* the debounce */
        unsigned inflight;              /* creates and removes the last solve asked for */
        bool dirty;                     /* solve again once those are done */
        bool dropped;                   /* a reload removed the policy: release what it made */
        bool started;                   /* the startup solve has run */
} PolicyRunner;

/* Solve again once things have been quiet this long. */
#define POLICY_DEBOUNCE_USEC (200 * 1000ULL)

/* At start: config already read; a bad policy is logged and the daemon runs without one. */
void policy_apply_load_initial(Ops *o);
/*
 * Re-reads idxdd.json and the policy directory. Any error rejects the whole
 * set: -EBADMSG (or -errno) with "file:line:column: message" in
 * *ret_message, and the running policy stays.
 */
int policy_apply_reload(Ops *o, char **ret_message);
/* Once the startup autostart creates are done: solve now, READY=1 waits for its creates. */
void policy_apply_startup(Ops *o);
/* Solves again after POLICY_DEBOUNCE_USEC (parents, capacity or the policy changed). */
void policy_apply_schedule(Ops *o);
/* The shortfalls of the last solve, for GetStatus. */
size_t policy_apply_shortfalls(Ops *o, const char *const **ret_messages);
void policy_runner_done(PolicyRunner *p);

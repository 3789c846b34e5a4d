/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The running policy: loaded at start, on Reload and SIGHUP; solved against
 * the model (solver.h) whenever parents or capacity change, debounced; the
 * plan's missing mdevs are created as persistent definitions of origin
 * "policy", policy-made mdevs the plan drops are released. CLI-made ones
 * are never touched.
 */
#pragma once

#include "daemon.h"

/* Solve again once things have been quiet this long. */
#define POLICY_DEBOUNCE_USEC (200 * 1000ULL)

/* At start: config already read; a bad policy is logged and the daemon runs without one. */
void policy_apply_load_initial(Daemon *d);
/*
 * Re-reads idxdd.json and the policy directory. Any error rejects the whole
 * set: -EBADMSG (or -errno) with "file:line:column: message" in
 * *ret_message, and the running policy stays.
 */
int policy_apply_reload(Daemon *d, char **ret_message);
/* Once the startup autostart creates are done: solve now, READY=1 waits for its creates. */
void policy_apply_startup(Daemon *d);
/* Solves again after POLICY_DEBOUNCE_USEC (parents, capacity or the policy changed). */
void policy_apply_schedule(Daemon *d);
/* The shortfalls of the last solve, for GetStatus. */
size_t policy_apply_shortfalls(Daemon *d, const char *const **ret_messages);
void policy_apply_free(Daemon *d);

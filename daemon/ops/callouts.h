/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mdevctl's callout protocol (mdevctl(8), "INVOKING EXTERNAL SCRIPTS"):
 * before and after an action on an mdev (start, stop, define, undefine,
 * modify) the executables of a callouts directory are called, in name
 * order, as `SCRIPT -t TYPE -e pre|post -a ACTION -s none|success|failure
 * -u UUID -p PARENT` with the device's JSON on standard input, until one
 * does not answer 2 ("not my type"). That one decides the pre call: a
 * non-zero exit vetoes the action; its post call is told how it went.
 * Scripts run as child processes watched from the event loop (a pidfd),
 * never blocking it, each bounded in time: one that does not finish is
 * killed with its process group and reported. D-Bus signals stand for
 * mdevctl's notifiers.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "store.h"

typedef struct Ops Ops;
typedef struct CalloutRun CalloutRun;

#define CALLOUT_DEFAULT_DIR "/etc/mdevctl.d/scripts.d/callouts"
#define CALLOUT_DEFAULT_TIMEOUT_USEC (10 * 1000000ULL)
/* What a failure message quotes of a script's standard error. */
#define CALLOUT_STDERR_MAX 512

typedef struct Callouts {
        char *dir;                      /* NULL or "": no callouts */
        uint64_t timeout_usec;          /* per script */
        CalloutRun *runs;               /* running, for shutdown */
} Callouts;

typedef enum CalloutEvent {
        CALLOUT_EVENT_PRE,
        CALLOUT_EVENT_POST,
} CalloutEvent;

/*
 * The outcome of a call. r is 0 to go on (no script took the type, or it
 * said 0; a post always goes on), -EPERM when the pre script said no,
 * -ETIMEDOUT when it was killed after the limit, -ECANCELED at shutdown;
 * message says so for people. script is the one that took the type (NULL
 * when none did): its post call goes to it.
 */
typedef void (*CalloutDone)(Ops *o, int r, const char *message, const char *script, void *userdata);

/*
 * Calls the scripts for event and action on device (uuid, parent, type,
 * start mode and attributes are what the script sees). For a post, success
 * is the action's outcome and script the one from the pre (NULL: look
 * again). done is called exactly once, possibly before this returns
 * (at once when there are no scripts).
 */
void callout_run(Ops *o, CalloutEvent event, const char *action, const IdxdDefinition *device,
                 bool success, const char *script, CalloutDone done, void *userdata);

/* Whether the callout directory has executables: without, actions need no callout step. */
bool callouts_present(Ops *o);

/* Kills what still runs (shutdown); each done is told -ECANCELED. */
void callouts_cancel_all(Ops *o);
void callouts_done(Callouts *c);

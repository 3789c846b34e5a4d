/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may change things (docs/daemon.md, "Rights"): root always; anyone else
 * as polkit decides for the method's action (the shipped rules allow the
 * configured group); without a running polkit, members of the configured
 * group. Credentials come from the bus connection only, never from /proc.
 *
 * The polkit check is asynchronous: auth_verify() sends CheckAuthorization
 * and returns 0; when polkit answers, the method call is dispatched again
 * and the second auth_verify() returns the answer. Handler shape
 * (notes/auth-contract.md):
 *
 *     r = auth_verify(&b->auth, m, AUTH_ACTION_CHANGE_MDEVS, error);
 *     if (r < 0)
 *             return r;
 *     if (r == 0)
 *             return 1;   // asked polkit; called again with the answer
 *     // allowed: only now read the argument arrays
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

typedef enum AuthAction {
        AUTH_ACTION_CHANGE_MDEVS,       /* CreateMdev(s), DestroyMdev, StartMdev, StopMdev */
        AUTH_ACTION_DEFINE,             /* DefineMdev, UndefineMdev, ModifyMdev, import */
        AUTH_ACTION_RELOAD,             /* Reload */
        _AUTH_ACTION_MAX,
} AuthAction;

/* polkit checks in flight for one UID; more fail with LimitsExceeded (each holds its message). */
#define AUTH_QUERIES_PER_UID_MAX 16
/* ... and for all callers together. */
#define AUTH_QUERIES_MAX 256

typedef struct AuthQuery AuthQuery;

typedef struct Auth {
        char *name;                     /* the configured group */
        bool exists;                    /* false: without polkit only root */
        gid_t gid;
        AuthQuery *queries;             /* asked or answered, not yet released */
        size_t n_queries;
        int polkit_seen;                /* -1 unknown, 0 absent, 1 answering: logged on change */
} Auth;

/* "org.idxd.manager1.change-mdevs", ... */
const char *auth_action_polkit_id(AuthAction action);

/* Resolves the group with getgrnam(); a missing group is logged and leaves only root (without polkit). */
int auth_init(Auth *a, const char *group);
/* Drops every query (their calls get no answer: the daemon is going away). */
void auth_done(Auth *a);

/* Pure rule without polkit: UID 0, or the group is the primary group or among gids (when has_group). */
bool auth_allowed(uid_t uid, gid_t primary_gid, const gid_t *gids, size_t n_gids, bool has_group, gid_t group);

/*
 * > 0: allowed; 0: polkit was asked, return 1 from the handler (it is called
 * again with the same message); < 0: not allowed or failed, error is set
 * (AccessDenied, InteractiveAuthorizationRequired, LimitsExceeded).
 */
int auth_verify(Auth *a, sd_bus_message *m, AuthAction action, sd_bus_error *error);

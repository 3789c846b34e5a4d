/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "auth.h"
#include "log.h"
#include "macro.h"

#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"
/* CheckAuthorization's flag; the only one polkit defines. */
#define POLKIT_ALLOW_USER_INTERACTION 1u
/* A person may take a while to type a password; a plain check answers at once. */
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (300ULL * 1000 * 1000)

static const struct {
        const char *polkit_id;
        const char *what;               /* "Permission denied: <what> needs ..." */
} actions[_AUTH_ACTION_MAX] = {
        [AUTH_ACTION_CHANGE_MDEVS] = { "org.idxd.manager1.change-mdevs", "changing mdevs" },
        [AUTH_ACTION_DEFINE] = { "org.idxd.manager1.define", "changing mdev definitions" },
        [AUTH_ACTION_RELOAD] = { "org.idxd.manager1.reload", "reloading the configuration" },
};

typedef enum AuthAnswer {
        AUTH_ANSWER_PENDING,
        AUTH_ANSWER_ALLOWED,
        AUTH_ANSWER_DENIED,
        AUTH_ANSWER_CHALLENGE,          /* polkit would ask the user, the caller did not allow it */
        AUTH_ANSWER_NO_POLKIT,          /* nobody owns or can activate the name: the group rule decides */
        AUTH_ANSWER_FAILED,             /* polkit answered with an error */
        AUTH_ANSWER_NO_CREDENTIALS,     /* the bus did not tell who the caller is */
        AUTH_ANSWER_LIMITED,            /* too many checks in flight for this UID */
} AuthAnswer;

struct AuthQuery {
        Auth *auth;
        AuthQuery *next;
        sd_bus_message *message;        /* the method call, dispatched again on the answer */
        AuthAction action;
        uid_t uid;                      /* the sender's, from the bus */
        gid_t *gids;                    /* from the bus; NULL when it reported none */
        size_t n_gids;
        bool has_gids;
        bool has_credentials;           /* step one done: GetConnectionCredentials answered */
        sd_bus_slot *slot;              /* GetConnectionCredentials, then CheckAuthorization */
        sd_event_source *release;       /* idle: frees the query after the second dispatch */
        AuthAnswer answer;
        sd_bus_error error;             /* with AUTH_ANSWER_FAILED */
};

const char *auth_action_polkit_id(AuthAction action) {
        if (action < 0 || action >= _AUTH_ACTION_MAX)
                return NULL;
        return actions[action].polkit_id;
}

int auth_init(Auth *a, const char *group) {
        struct group *gr;

        *a = (Auth) { .polkit_seen = -1 };
        a->name = strdup(group);
        if (!a->name)
                return -ENOMEM;
        errno = 0;
        gr = getgrnam(group);
        if (!gr) {
                log_warning("Group %s not found: without polkit only root may change mdevs", group);
                return 0;
        }
        a->gid = gr->gr_gid;
        a->exists = true;
        return 0;
}

static void auth_query_free(AuthQuery *q) {
        if (!q)
                return;
        sd_bus_slot_unref(q->slot);
        sd_event_source_disable_unref(q->release);
        sd_bus_message_unref(q->message);
        sd_bus_error_free(&q->error);
        free(q->gids);
        free(q);
}

static void auth_query_release(AuthQuery *q) {
        Auth *a = q->auth;

        for (AuthQuery **p = &a->queries; *p; p = &(*p)->next)
                if (*p == q) {
                        *p = q->next;
                        a->n_queries--;
                        break;
                }
        auth_query_free(q);
}

void auth_done(Auth *a) {
        while (a->queries)
                auth_query_release(a->queries);
        a->name = mfree(a->name);
}

bool auth_allowed(uid_t uid, gid_t primary_gid, const gid_t *gids, size_t n_gids, bool has_group, gid_t group) {
        if (uid == 0)
                return true;
        if (!has_group)
                return false;
        if (primary_gid == group)
                return true;
        for (size_t i = 0; i < n_gids; i++)
                if (gids[i] == group)
                        return true;
        return false;
}

/* One GetConnectionCredentials entry: UnixUserID u, UnixGroupIDs au; others skipped. */
static int read_credential(sd_bus_message *reply, AuthQuery *q, bool *ret_has_uid) {
        const char *key;
        int r;

        r = sd_bus_message_read(reply, "s", &key);
        if (r < 0)
                return r;
        if (strcmp(key, "UnixUserID") == 0) {
                uint32_t uid;

                r = sd_bus_message_read(reply, "v", "u", &uid);
                if (r >= 0) {
                        q->uid = (uid_t) uid;
                        *ret_has_uid = true;
                }
                return r;
        }
        if (strcmp(key, "UnixGroupIDs") == 0) {
                const uint32_t *gids;
                size_t size;

                r = sd_bus_message_enter_container(reply, 'v', "au");
                if (r >= 0)
                        r = sd_bus_message_read_array(reply, 'u', (const void **) &gids, &size);
                if (r < 0)
                        return r;
                free(q->gids);
                q->n_gids = size / sizeof(uint32_t);
                q->gids = calloc(q->n_gids ? q->n_gids : 1, sizeof(gid_t));
                if (!q->gids)
                        return -ENOMEM;
                for (size_t i = 0; i < q->n_gids; i++)
                        q->gids[i] = (gid_t) gids[i];
                q->has_gids = true;
                return sd_bus_message_exit_container(reply);
        }
        return sd_bus_message_skip(reply, "v");
}

/*
 * The sender's UID and groups as the bus reports them for its connection
 * (dbus-daemon's GetConnectionCredentials: UnixUserID and UnixGroupIDs, taken
 * when it connected). Never augmented from /proc/PID: what a process does to
 * its IDs after connecting, or a recycled PID, must not count. sd-bus (252)
 * does not pass UnixGroupIDs on, so the daemon asks the bus itself, without
 * waiting: a bus busy relaying a 32 MB message must not stall the loop.
 */
static int read_credentials(sd_bus_message *reply, AuthQuery *q) {
        bool has_uid = false;
        int r;

        if (sd_bus_message_is_method_error(reply, NULL))
                return -sd_bus_message_get_errno(reply) ?: -EIO;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = read_credential(reply, q, &has_uid);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return has_uid ? 0 : -ENODATA;
}

/* The primary group from NSS; without a group list from the bus, the user's groups from NSS too. */
static bool group_rule_allows(const Auth *a, const AuthQuery *q) {
        struct passwd *pw;
        gid_t nss_gids[256];
        int n = (int) ELEMENTSOF(nss_gids);

        if (q->uid == 0)
                return true;
        if (!a->exists)
                return false;
        pw = getpwuid(q->uid);
        if (!pw)
                return false;
        if (q->has_gids)
                return auth_allowed(q->uid, pw->pw_gid, q->gids, q->n_gids, true, a->gid);
        if (getgrouplist(pw->pw_name, pw->pw_gid, nss_gids, &n) < 0)
                return false;
        return auth_allowed(q->uid, pw->pw_gid, nss_gids, (size_t) n, true, a->gid);
}

static bool name_in(const char *name, const char *const *prefixes) {
        for (; *prefixes; prefixes++)
                if (strncmp(name, *prefixes, strlen(*prefixes)) == 0)
                        return true;
        return false;
}

/* The bus could not reach polkit: not installed, not running and not activatable, or failed to start. */
static bool polkit_absent(const sd_bus_error *e) {
        static const char *const absent[] = {
                SD_BUS_ERROR_SERVICE_UNKNOWN,
                SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                "org.freedesktop.DBus.Error.Spawn.",
                "org.freedesktop.systemd1.",
                NULL
        };

        return e && e->name && name_in(e->name, absent);
}

static void note_polkit(Auth *a, bool present) {
        if (a->polkit_seen == (int) present)
                return;
        a->polkit_seen = present;
        if (present)
                log_info("polkit answers authorization checks");
        else if (a->exists)
                log_info("polkit is not available: root and members of group %s may change mdevs", a->name);
        else
                log_info("polkit is not available: only root may change mdevs");
}

static int read_polkit_answer(AuthQuery *q, sd_bus_message *reply) {
        int authorized, challenge, r;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);

                note_polkit(q->auth, !polkit_absent(e));
                if (polkit_absent(e)) {
                        q->answer = AUTH_ANSWER_NO_POLKIT;
                        return 0;
                }
                q->answer = AUTH_ANSWER_FAILED;
                return sd_bus_error_copy(&q->error, e);
        }

        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0)
                return r;
        note_polkit(q->auth, true);
        q->answer = authorized ? AUTH_ANSWER_ALLOWED : challenge ? AUTH_ANSWER_CHALLENGE : AUTH_ANSWER_DENIED;
        return 0;
}

static int on_release(sd_event_source *s, void *userdata) {
        auth_query_release(userdata);
        return 0;
}

/* Answered: hand the method call to sd-bus again (systemd's bus-polkit.c does the same). */
static void dispatch_again(AuthQuery *q) {
        sd_bus *bus = sd_bus_message_get_bus(q->message);
        int r;

        /* Freed at idle priority: after the call has been dispatched again. */
        r = sd_event_add_defer(sd_bus_get_event(bus), &q->release, on_release, q);
        if (r >= 0)
                r = sd_event_source_set_priority(q->release, SD_EVENT_PRIORITY_IDLE);
        if (r >= 0)
                r = sd_bus_message_rewind(q->message, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(bus, q->message);
        if (r < 0) {
                log_warning_errno(r, "Cannot finish the authorization of a call from %s",
                                  strempty(sd_bus_message_get_sender(q->message)));
                (void) sd_bus_reply_method_errnof(q->message, r, "Authorization failed: %m");
                auth_query_release(q);
        }
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AuthQuery *q = userdata;
        int r;

        q->slot = sd_bus_slot_unref(q->slot);
        r = read_polkit_answer(q, reply);
        if (r < 0) {
                q->answer = AUTH_ANSWER_FAILED;
                (void) sd_bus_error_set_errno(&q->error, r);
        }
        dispatch_again(q);
        return 0;
}

static size_t queries_of_uid(const Auth *a, uid_t uid);
static int ask_polkit(AuthQuery *q);

/* Step one answered: root goes on at once, anyone else is polkit's (or the group rule's) to decide. */
static int on_credentials_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AuthQuery *q = userdata;
        int r;

        q->slot = sd_bus_slot_unref(q->slot);
        r = read_credentials(reply, q);
        if (r < 0) {
                log_warning_errno(r, "Cannot get the credentials of %s from the bus",
                                  strempty(sd_bus_message_get_sender(q->message)));
                q->answer = AUTH_ANSWER_NO_CREDENTIALS;
        } else if (q->uid == 0)
                q->answer = AUTH_ANSWER_ALLOWED;
        else if (queries_of_uid(q->auth, q->uid) > AUTH_QUERIES_PER_UID_MAX)
                /* Each check holds its call, arguments and all: bound what one user can make us hold. */
                q->answer = AUTH_ANSWER_LIMITED;
        else {
                q->has_credentials = true;
                r = ask_polkit(q);
                if (r >= 0)
                        return 0;
                q->answer = AUTH_ANSWER_FAILED;
                (void) sd_bus_error_set_errno(&q->error, r);
        }
        dispatch_again(q);
        return 0;
}

static AuthQuery *find_query(const Auth *a, const sd_bus_message *m) {
        for (AuthQuery *q = a->queries; q; q = q->next)
                if (q->message == m)
                        return q;
        return NULL;
}

static size_t queries_of_uid(const Auth *a, uid_t uid) {
        size_t n = 0;

        for (const AuthQuery *q = a->queries; q; q = q->next)
                n += q->has_credentials && q->uid == uid && q->answer == AUTH_ANSWER_PENDING;
        return n + 1;
}

static int deny(const Auth *a, AuthAction action, bool polkit, sd_bus_error *error) {
        const char *what = actions[action].what;

        if (polkit)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Permission denied: %s needs root or polkit authorization for %s%s%s%s",
                                         what, actions[action].polkit_id,
                                         a->exists ? " (the shipped rules grant it to group " : "",
                                         a->exists ? a->name : "", a->exists ? ")" : "");
        if (a->exists)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Permission denied: %s needs root or membership of group %s",
                                         what, a->name);
        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "Permission denied: %s needs root", what);
}

/* The second dispatch of a call: polkit's answer, or the group rule when there is no polkit. */
static int answered(AuthQuery *q, AuthAction action, sd_bus_error *error) {
        const Auth *a = q->auth;

        if (q->action != action)
                /* The same call asking for another action: the answer was for something else. */
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                        "Permission denied: the authorization was for another action");
        switch (q->answer) {
        case AUTH_ANSWER_ALLOWED:
                return 1;
        case AUTH_ANSWER_NO_POLKIT:
                return group_rule_allows(a, q) ? 1 : deny(a, action, false, error);
        case AUTH_ANSWER_CHALLENGE:
                return sd_bus_error_setf(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                         "Interactive authorization required for %s: call again allowing "
                                         "interactive authorization (idxdctl asks unless --no-ask-password)",
                                         actions[action].polkit_id);
        case AUTH_ANSWER_NO_CREDENTIALS:
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                        "Permission denied: the bus does not report the caller's credentials");
        case AUTH_ANSWER_LIMITED:
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "Too many authorization checks in flight for uid %u (at most %u per user, "
                                         "%u in all): try again", (unsigned) q->uid, AUTH_QUERIES_PER_UID_MAX,
                                         AUTH_QUERIES_MAX);
        case AUTH_ANSWER_FAILED:
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Permission denied: polkit could not check %s: %s",
                                         actions[action].polkit_id,
                                         q->error.message ?: strempty(q->error.name));
        case AUTH_ANSWER_DENIED:
        default:
                return deny(a, action, true, error);
        }
}

static int ask_polkit(AuthQuery *q) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        sd_bus_message *m = q->message;
        sd_bus *bus = sd_bus_message_get_bus(m);
        const char *sender = sd_bus_message_get_sender(m);
        bool interactive = sd_bus_message_get_allow_interactive_authorization(m) > 0;
        int r;

        if (!sender)
                return -EBADMSG;
        r = sd_bus_message_new_method_call(bus, &call, POLKIT_NAME, POLKIT_PATH, POLKIT_INTERFACE,
                                           "CheckAuthorization");
        if (r < 0)
                return r;
        /* The subject is the caller's connection: polkitd asks the bus who it is, as we did. */
        r = sd_bus_message_append(call, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender,
                                  actions[q->action].polkit_id, 0,
                                  interactive ? POLKIT_ALLOW_USER_INTERACTION : 0u, "");
        if (r < 0)
                return r;
        return sd_bus_call_async(bus, &q->slot, call, on_polkit_reply, q,
                                 interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : 0);
}

int auth_verify(Auth *a, sd_bus_message *m, AuthAction action, sd_bus_error *error) {
        AuthQuery *q;
        int r;

        if (action < 0 || action >= _AUTH_ACTION_MAX)
                return -EINVAL;

        q = find_query(a, m);
        if (q) {
                if (q->answer == AUTH_ANSWER_PENDING)
                        return 0;
                return answered(q, action, error);
        }

        if (a->n_queries >= AUTH_QUERIES_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "Too many authorization checks in flight (at most %u): try again",
                                         AUTH_QUERIES_MAX);
        if (!sd_bus_message_get_sender(m))
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                        "Permission denied: the call has no sender");

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        *q = (AuthQuery) { .auth = a, .action = action, .error = SD_BUS_ERROR_NULL };
        r = sd_bus_call_method_async(sd_bus_message_get_bus(m), &q->slot, "org.freedesktop.DBus",
                                     "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionCredentials",
                                     on_credentials_reply, q, "s", sd_bus_message_get_sender(m));
        if (r < 0) {
                auth_query_free(q);
                return sd_bus_error_set_errnof(error, r, "Cannot ask the bus who the caller is: %m");
        }
        q->message = sd_bus_message_ref(m);
        q->next = a->queries;
        a->queries = q;
        a->n_queries++;
        return 0;
}

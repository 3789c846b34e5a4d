/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl's side of the bus: connecting, calling the manager, explaining errors. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "bus.h"
#include "bus-json.h"
#include "idxd-bus.h"
#include "idxd-errors.h"
#include "macro.h"
#include "output.h"
#include "polkit-agent.h"
#include "progress.h"

/* A batch call's bound: sd-bus's default, plus a quarter second per mdev. */
#define BATCH_TIMEOUT_BASE_USEC         (25ULL * 1000 * 1000)
#define BATCH_TIMEOUT_PER_MDEV_USEC     (250ULL * 1000)

/* Someone may be typing a password: idxdd gives polkit 5 minutes. */
#define INTERACTIVE_TIMEOUT_USEC        (310ULL * 1000 * 1000)

#define HINT_NOT_RUNNING "start it with 'systemctl start idxdd'"

/*
 * What to tell the user for each error name: "what" replaces the message of
 * the reply when own_what is set (bus-made messages are long and name no
 * object) or when the reply has none; "todo" is the advice.
 */
static const struct {
        const char *name;
        const char *what;
        const char *todo;
        bool own_what;
} error_hints[] = {
        { IDXD_ERROR_NOT_FOUND, "not found",
          "see 'idxdctl list', 'idxdctl parents' or 'idxdctl types' for what exists", false },
        { IDXD_ERROR_NO_CAPACITY, "no capacity left",
          "see 'idxdctl types' for available instances, or destroy unused mdevs", false },
        { IDXD_ERROR_BUSY, "the mdev is in use",
          "stop the guest that uses it, or retry with --force", false },
        { IDXD_ERROR_EXISTS, "the UUID already exists",
          "pick another UUID, or the parent and type it has (see 'idxdctl list')", false },
        { IDXD_ERROR_INVALID_CONFIG, "the configuration is invalid",
          "fix the file and run 'idxdctl reload' again; the running configuration stays", false },
        { IDXD_ERROR_LIBVIRT, "a libvirt step failed",
          "check that libvirt runs and knows the domain ('virsh list --all')", false },
        { IDXD_ERROR_FAILED, "idxdd failed",
          "see the daemon's log ('journalctl -u idxdd')", false },
        /* The advice names the verb: see report_error(). */
        { SD_BUS_ERROR_INVALID_ARGS, "invalid argument",
          NULL, false },
        /* idxdd's message says who may (root, the group, the polkit action). */
        { SD_BUS_ERROR_ACCESS_DENIED, "permission denied",
          "see RIGHTS in idxdctl(1)", false },
        { SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED, "authorization needs a password",
          "run idxdctl on a terminal without --no-ask-password, or as root", true },
        { SD_BUS_ERROR_LIMITS_EXCEEDED, "too many calls waiting for authorization",
          "try again in a moment", false },
        { SD_BUS_ERROR_SERVICE_UNKNOWN, "idxdd is not running",
          HINT_NOT_RUNNING, true },
        { SD_BUS_ERROR_NAME_HAS_NO_OWNER, "idxdd is not running",
          HINT_NOT_RUNNING, true },
        { SD_BUS_ERROR_NO_REPLY, "idxdd did not answer",
          "check that it runs ('systemctl status idxdd')", true },
        { SD_BUS_ERROR_TIMEOUT, "idxdd did not answer",
          "check that it runs ('systemctl status idxdd')", true },
        { SD_BUS_ERROR_DISCONNECTED, "lost the connection to the bus",
          "check that dbus runs", true },
        { SD_BUS_ERROR_UNKNOWN_METHOD, "the running idxdd does not know this call",
          "restart idxdd after an upgrade ('systemctl restart idxdd')", true },
        { SD_BUS_ERROR_UNKNOWN_OBJECT, "the running idxdd does not know this call",
          "restart idxdd after an upgrade ('systemctl restart idxdd')", true },
        { SD_BUS_ERROR_UNKNOWN_INTERFACE, "the running idxdd does not know this call",
          "restart idxdd after an upgrade ('systemctl restart idxdd')", true },
};

static const char *bus_description(const Idxdctl *ctl) {
        const char *e;

        if (ctl->address)
                return ctl->address;
        e = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        return e && e[0] ? e : "the system bus";
}

int idxdctl_bus_connect(Idxdctl *ctl) {
        sd_bus *bus = NULL;
        int r;

        if (ctl->bus)
                return 0;

        if (ctl->address) {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, ctl->address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, 1);
                if (r >= 0)
                        r = sd_bus_start(bus);
        } else
                /* sd-bus honours $DBUS_SYSTEM_BUS_ADDRESS here. */
                r = sd_bus_open_system(&bus);
        if (r < 0) {
                sd_bus_unref(bus);
                if (ctl->mdevctl)
                        fprintf(stderr, "Error: cannot reach idxdd on %s: %s\n", bus_description(ctl), strerror(-r));
                else
                        fprintf(stderr, "idxdctl: cannot connect to %s: %s: check that dbus runs, or pass --address\n",
                                bus_description(ctl), strerror(-r));
                return IDXDCTL_EXIT_FAILURE;
        }

        ctl->bus = bus;
        return 0;
}

void idxdctl_bus_close(Idxdctl *ctl) {
        ctl->bus = sd_bus_flush_close_unref(ctl->bus);
}

int idxdctl_bus_new_call(Idxdctl *ctl, const char *method, sd_bus_message **ret) {
        int r;

        r = idxdctl_bus_connect(ctl);
        if (r > 0)
                return r;

        r = sd_bus_message_new_method_call(ctl->bus, ret, IDXD_BUS_NAME, IDXD_MANAGER_PATH,
                                           IDXD_MANAGER_INTERFACE, method);
        if (r < 0) {
                fprintf(stderr, "idxdctl: cannot build the %s call: %s: report this as a bug\n",
                        method, strerror(-r));
                return IDXDCTL_EXIT_FAILURE;
        }
        return 0;
}

static bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

int idxdctl_bus_report_error(const Idxdctl *ctl, const char *name, const char *message) {
        const char *what = message && message[0] ? message : NULL;
        const char *todo = NULL;

        /* mdevctl's way: "Error: <what the daemon said>". */
        if (ctl->mdevctl) {
                fprintf(stderr, "Error: %s\n", what ?: name);
                return IDXDCTL_EXIT_FAILURE;
        }

        for (size_t i = 0; i < ELEMENTSOF(error_hints); i++) {
                if (strcmp(error_hints[i].name, name) != 0)
                        continue;
                if (!what || error_hints[i].own_what)
                        what = error_hints[i].what;
                todo = error_hints[i].todo;
                break;
        }

        /* A failed bus activation: the bus or systemd could not start idxdd. */
        if (startswith(name, "org.freedesktop.DBus.Error.Spawn.") ||
            startswith(name, "org.freedesktop.systemd1.")) {
                fprintf(stderr, "idxdctl: idxdd could not be started (%s): see 'journalctl -u idxdd'\n",
                        what ?: name);
                return IDXDCTL_EXIT_FAILURE;
        }

        if (strcmp(name, SD_BUS_ERROR_INVALID_ARGS) == 0)
                fprintf(stderr, "idxdctl: %s: see 'idxdctl %s --help'\n",
                        what, ctl->verb ? ctl->verb->name : "");
        else if (todo)
                fprintf(stderr, "idxdctl: %s: %s\n", what, todo);
        else
                fprintf(stderr, "idxdctl: %s (%s): see the daemon's log ('journalctl -u idxdd')\n",
                        what ?: "the call failed", name);

        return idxd_error_exit_status(name);
}

/* Everything but the reads may need authorization; methods added later count as changes. */
static bool call_may_change(sd_bus_message *call) {
        static const char *const reads[] = { "ListMdevs", "ListMdevsByFileDescriptor", "ListParents", "GetStatus" };
        const char *member = sd_bus_message_get_member(call);

        for (size_t i = 0; i < ELEMENTSOF(reads); i++)
                if (member && strcmp(member, reads[i]) == 0)
                        return false;
        return true;
}

typedef struct PendingReply {
        sd_bus_message *reply;
} PendingReply;

static int on_pending_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ((PendingReply *) userdata)->reply = sd_bus_message_ref(m);
        return 0;
}

/* sd_bus_call() that runs the bus meanwhile, so that signal handlers (a progress line) see what comes. */
static int call_processing(Idxdctl *ctl, sd_bus_message *call, uint64_t timeout, sd_bus_error *error,
                           sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        PendingReply p = {};
        int r;

        r = sd_bus_call_async(ctl->bus, &slot, call, on_pending_reply, &p, timeout);
        while (r >= 0 && !p.reply) {
                r = sd_bus_process(ctl->bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(ctl->bus, UINT64_MAX);
        }
        if (r < 0)
                return r;
        if (sd_bus_message_is_method_error(p.reply, NULL)) {
                r = sd_bus_error_copy(error, sd_bus_message_get_error(p.reply));
                sd_bus_message_unref(p.reply);
                return r < 0 ? r : -EIO;
        }
        if (ret_reply)
                *ret_reply = p.reply;
        else
                sd_bus_message_unref(p.reply);
        return 0;
}

int idxdctl_bus_call(Idxdctl *ctl, sd_bus_message *call, sd_bus_message **ret_reply) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t timeout = ctl->call_timeout_usec;
        PolkitAgent agent = {};
        int r;

        /* As systemctl: polkit may ask for a password, on this terminal through pkttyagent. */
        if (!ctl->no_ask_password && call_may_change(call)) {
                (void) sd_bus_message_set_allow_interactive_authorization(call, true);
                polkit_agent_open(&agent);
                if (agent.pid > 0 && timeout < INTERACTIVE_TIMEOUT_USEC)
                        timeout = INTERACTIVE_TIMEOUT_USEC;
        }
        r = ctl->run_bus_while_waiting ? call_processing(ctl, call, timeout, &error, ret_reply) :
                sd_bus_call(ctl->bus, call, timeout, &error, ret_reply);
        polkit_agent_close(&agent);
        if (r >= 0)
                return 0;

        if (sd_bus_error_is_set(&error))
                r = idxdctl_bus_report_error(ctl, error.name, error.message);
        else {
                fprintf(stderr, "idxdctl: calling %s on %s failed: %s: check that dbus and idxdd run\n",
                        sd_bus_message_get_member(call), bus_description(ctl), strerror(-r));
                r = IDXDCTL_EXIT_FAILURE;
        }
        sd_bus_error_free(&error);
        return r;
}

int idxdctl_bus_call_uuid_path(Idxdctl *ctl, sd_bus_message *call, sd_bus_message **ret_reply,
                               const char **ret_uuid, const char **ret_path) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = idxdctl_bus_call(ctl, call, &reply);
        if (r > 0)
                return r;
        r = sd_bus_message_read(reply, "so", ret_uuid, ret_path);
        if (r < 0)
                return idxdctl_bus_bad_reply(sd_bus_message_get_member(call), r);
        *ret_reply = TAKE_PTR(reply);
        return 0;
}

int idxdctl_bus_call_json(Idxdctl *ctl, sd_bus_message *call, struct json_object **ret) {
        sd_bus_message *reply = NULL;
        int r;

        r = idxdctl_bus_call(ctl, call, &reply);
        if (r > 0)
                return r;

        r = bus_message_read_json(reply, ret);
        sd_bus_message_unref(reply);
        if (r < 0)
                return idxdctl_bus_bad_reply(sd_bus_message_get_member(call), r);
        return 0;
}

int idxdctl_bus_bad_reply(const char *method, int error) {
        fprintf(stderr, "idxdctl: the reply to %s has an unexpected shape: %s: check that idxdd and idxdctl are the same version\n",
                method, strerror(abs(error)));
        return IDXDCTL_EXIT_FAILURE;
}

int idxdctl_bus_create_batch(Idxdctl *ctl, sd_bus_message *call, size_t count, const char *suffix) {
        static const char *const result_keys[] = { "uuid", "path", "error", "message", NULL };
        _cleanup_json_ struct json_object *reply = NULL, *results = NULL;
        int r, status = IDXDCTL_EXIT_OK;

        /* The daemon answers when every create is done: give a large batch time to. */
        ctl->call_timeout_usec = BATCH_TIMEOUT_BASE_USEC + count * BATCH_TIMEOUT_PER_MDEV_USEC;

        r = idxdctl_bus_call_json(ctl, call, &reply);
        if (r > 0)
                return r;
        results = json_records_new(reply, result_keys);
        if (!results)
                return output_oom();

        for (size_t i = 0; i < json_object_array_length(results); i++) {
                struct json_object *result = json_object_array_get_idx(results, i);
                const char *uuid = json_record_string(result, "uuid");

                if (uuid) {
                        if (!ctl->json)
                                printf("%s%s\n", uuid, strempty(suffix));
                        continue;
                }
                r = idxdctl_bus_report_error(ctl, json_record_string(result, "error") ?: IDXD_ERROR_FAILED,
                                             json_record_string(result, "message"));
                if (r > status)
                        status = r;
        }

        if (ctl->json) {
                r = output_json_member("results", results);
                if (r > status)
                        status = r;
        }
        return status;
}

/* Replies dbus-daemon lets one connection wait for (max_replies_per_connection is 128 on the system bus). */
#define CALLS_IN_FLIGHT 32

typedef struct ManyCalls {
        Idxdctl *ctl;
        IdxdctlCallDone done;
        void *userdata;
        size_t answered;
} ManyCalls;

typedef struct OneCall {
        ManyCalls *many;
        size_t index;
} OneCall;

static int on_call_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        OneCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        c->many->done(c->index, e ? NULL : reply, e, c->many->userdata);
        c->many->answered++;
        return 0;
}

int idxdctl_bus_call_many(Idxdctl *ctl, size_t n, IdxdctlBuildCall build, IdxdctlCallDone done,
                          Progress *progress, void *userdata) {
        ManyCalls many = { .ctl = ctl, .done = done, .userdata = userdata };
        _cleanup_free_ OneCall *calls = calloc(n ? n : 1, sizeof(OneCall));
        _cleanup_free_ sd_bus_slot **slots = calloc(n ? n : 1, sizeof(sd_bus_slot *));
        size_t sent = 0;
        int r = 0;

        if (!calls || !slots)
                return output_oom();
        r = idxdctl_bus_connect(ctl);
        if (r > 0)
                return r;
        while (many.answered < n) {
                while (sent < n && sent - many.answered < CALLS_IN_FLIGHT) {
                        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;

                        r = build(ctl, sent, &call, userdata);
                        if (r > 0)
                                goto finish;
                        calls[sent] = (OneCall) { &many, sent };
                        r = sd_bus_call_async(ctl->bus, &slots[sent], call, on_call_reply, &calls[sent],
                                              ctl->call_timeout_usec);
                        if (r < 0)
                                goto bus_failed;
                        sent++;
                }
                r = sd_bus_process(ctl->bus, NULL);
                if (r < 0)
                        goto bus_failed;
                if (progress)
                        progress_update(progress, many.answered);
                if (r == 0 && many.answered < n) {
                        r = sd_bus_wait(ctl->bus, UINT64_MAX);
                        if (r < 0)
                                goto bus_failed;
                }
        }
        r = 0;
        goto finish;

bus_failed:
        fprintf(stderr, "idxdctl: talking to idxdd on %s failed: %s: check that dbus and idxdd run\n",
                bus_description(ctl), strerror(-r));
        r = IDXDCTL_EXIT_FAILURE;
finish:
        for (size_t i = 0; i < n; i++)
                sd_bus_slot_unref(slots[i]);
        if (progress)
                progress_end(progress);
        return r;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl status: the daemon's version, counts and uptime. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "bus-json.h"
#include "idxdctl.h"
#include "macro.h"
#include "output.h"

/* Keys always printed, in this order; newer keys the daemon sends follow them. */
static const char *const status_keys[] = {
        "version", "parents", "mdevs", "uptime_usec",
        NULL
};

static void format_usec(uint64_t usec, char *buf, size_t size) {
        uint64_t s = usec / 1000000;

        if (s >= 86400)
                snprintf(buf, size, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "min",
                         s / 86400, s % 86400 / 3600, s % 3600 / 60);
        else if (s >= 3600)
                snprintf(buf, size, "%" PRIu64 "h %" PRIu64 "min %" PRIu64 "s",
                         s / 3600, s % 3600 / 60, s % 60);
        else if (s >= 60)
                snprintf(buf, size, "%" PRIu64 "min %" PRIu64 "s", s / 60, s % 60);
        else
                snprintf(buf, size, "%" PRIu64 ".%03" PRIu64 "s", s, usec % 1000000 / 1000);
}

/* People read "uptime: 1h 2min", not microseconds. */
static const char *label(const char *key) {
        return strcmp(key, "uptime_usec") == 0 ? "uptime" : key;
}

static void print_text(struct json_object *status) {
        size_t width = 0;

        json_object_object_foreach(status, key, value) {
                (void) value;
                if (strlen(label(key)) > width)
                        width = strlen(label(key));
        }

        json_object_object_foreach(status, k, v) {
                char uptime[64];
                const char *text = v ? json_object_get_string(v) : "-";

                if (strcmp(k, "uptime_usec") == 0 && json_object_is_type(v, json_type_int)) {
                        format_usec(json_object_get_uint64(v), uptime, sizeof(uptime));
                        text = uptime;
                } else if (json_object_is_type(v, json_type_boolean))
                        text = json_object_get_boolean(v) ? "yes" : "no";
                printf("%s:%*s %s\n", label(k), (int) (width - strlen(label(k))), "", text[0] ? text : "-");
        }
}

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_json_ struct json_object *reply = NULL, *status = NULL;
        int r;

        if (idxdctl_parse_global_only(ctl, verb, argc, argv, &r))
                return r;

        r = idxdctl_bus_new_call(ctl, "GetStatus", &call);
        if (r > 0)
                return r;
        r = idxdctl_bus_call_json(ctl, call, &reply);
        if (r > 0)
                return r;
        if (!json_object_is_type(reply, json_type_object))
                return idxdctl_bus_bad_reply("GetStatus", EBADMSG);

        status = json_record_new(reply, status_keys);
        if (!status)
                return output_oom();
        json_object_object_foreach(reply, key, value) {
                struct json_object *existing;

                if (json_object_object_get_ex(status, key, &existing))
                        continue;
                if (json_object_object_add(status, key, json_object_get(value)) < 0)
                        return output_oom();
        }

        if (ctl->json)
                output_json(status);
        else
                print_text(status);
        return IDXDCTL_EXIT_OK;
}

const IdxdctlVerb verb_status = {
        .name = "status",
        .summary = "Show idxdd's version, counts and uptime",
        .usage = "",
        .options = "",
        .run = run,
};

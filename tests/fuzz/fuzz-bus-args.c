/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the readers of CreateMdevs' arguments (daemon/bus/bus-args.c),
 * fed a real sd-bus message built from the input: an aa{sv} of requests whose
 * keys, variant types and values come from the bytes (known keys, unknown
 * ones, wrong types, attrs lists, runs of empty requests past the cap), then
 * the call's a{sv}. Whatever they read must respect the caps, and every
 * refusal must be InvalidArgs with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "bus-args.h"
#include "idxd-bus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Input {
        const uint8_t *data;
        size_t size, pos;
} Input;

static unsigned next(Input *in) {
        return in->pos < in->size ? in->data[in->pos++] : 0;
}

static bool more(const Input *in) {
        return in->pos < in->size;
}

/* A string of up to 63 bytes from the input; bytes sd-bus would refuse (NUL, not UTF-8) become 'x'. */
static void next_string(Input *in, char buf[static 64]) {
        size_t n = next(in) % 64;

        for (size_t i = 0; i < n; i++) {
                unsigned c = next(in);
                buf[i] = c == 0 || c >= 0x80 ? 'x' : (char) c;
        }
        buf[n] = 0;
}

static const char *const keys[] = { "parent", "type", "uuid", "domain", "persistent", "autostart", "attrs",
                                    "force", "keep_definition", "" };

static int append_value(sd_bus_message *m, Input *in) {
        char s[64], t[64];
        unsigned kind = next(in) % 6;
        int r;

        switch (kind) {
        case 0:
                next_string(in, s);
                return sd_bus_message_append(m, "v", "s", s);
        case 1:
                return sd_bus_message_append(m, "v", "b", next(in) & 1);
        case 2:
                return sd_bus_message_append(m, "v", "u", (uint32_t) next(in));
        case 3: {
                /* attrs: sometimes past IDXD_ATTRS_MAX */
                unsigned n = next(in);

                r = sd_bus_message_open_container(m, 'v', "a(ss)");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "(ss)");
                for (unsigned i = 0; r >= 0 && i < n; i++) {
                        next_string(in, s);
                        next_string(in, t);
                        r = sd_bus_message_append(m, "(ss)", s, t);
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                return r;
        }
        case 4:
                next_string(in, s);
                return sd_bus_message_append(m, "v", "as", 2, s, "x");
        default:
                return sd_bus_message_append(m, "v", "(su)", "nested", (uint32_t) next(in));
        }
}

static int append_dict(sd_bus_message *m, Input *in, unsigned entries) {
        int r = sd_bus_message_open_container(m, 'a', "{sv}");

        for (unsigned i = 0; r >= 0 && i < entries && more(in); i++) {
                unsigned k = next(in);
                char key[64];

                if (k % ELEMENTSOF(keys) == ELEMENTSOF(keys) - 1)
                        next_string(in, key);
                else
                        strcpy(key, keys[k % ELEMENTSOF(keys)]);
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", key);
                if (r >= 0)
                        r = append_value(m, in);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int build(sd_bus *bus, Input *in, sd_bus_message **ret) {
        sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, IDXD_BUS_NAME, IDXD_MANAGER_PATH, IDXD_MANAGER_INTERFACE,
                                           "CreateMdevs");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "a{sv}");
        while (r >= 0 && more(in)) {
                unsigned op = next(in);

                if (op == 0xff) {
                        /* A run of empty requests: the cap per call must hold. */
                        unsigned n = next(in) * 64u;

                        for (unsigned i = 0; r >= 0 && i < n; i++)
                                r = sd_bus_message_append(m, "a{sv}", 0);
                } else if (op == 0xfe)
                        break;
                else
                        r = append_dict(m, in, op % 8);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = append_dict(m, in, next(in) % 4);
        if (r >= 0)
                r = sd_bus_message_seal(m, 1, 0);
        if (r >= 0)
                r = sd_bus_message_rewind(m, true);
        if (r < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        *ret = m;
        return 0;
}

static void check_refusal(const sd_bus_error *e) {
        if (!sd_bus_error_has_name(e, SD_BUS_ERROR_INVALID_ARGS) || !e->message || !*e->message)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static sd_bus *bus;
        sd_bus_error error = SD_BUS_ERROR_NULL, call_error = SD_BUS_ERROR_NULL;
        BusRequests requests = {};
        BusOptions defaults = {};
        sd_bus_message *m = NULL;
        Input in = { data, size, 0 };
        int r;

        if (!bus) {
                /* Messages need a bus; one end of a socket pair is enough, nothing is sent. */
                int fds[2];

                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 || sd_bus_new(&bus) < 0 ||
                    sd_bus_set_fd(bus, fds[0], fds[0]) < 0 || sd_bus_start(bus) < 0)
                        abort();
        }
        if (build(bus, &in, &m) < 0)
                return 0;

        r = bus_read_requests(m, &requests, &error);
        if (r >= 0 && requests.n > IDXD_CREATE_REQUESTS_MAX)
                abort();
        if (sd_bus_error_is_set(&error))
                check_refusal(&error);
        for (size_t i = 0; r >= 0 && i < requests.n; i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;

                if (requests.items[i].n_attrs > IDXD_ATTRS_MAX)
                        abort();
                if (sd_bus_error_is_set(&requests.errors[i]))
                        check_refusal(&requests.errors[i]);
                else if (bus_validate_create(&requests.items[i], &e) < 0)
                        check_refusal(&e);
                sd_bus_error_free(&e);
        }
        if (r >= 0 && bus_read_options(m, bus_create_options, &defaults, &call_error) >= 0 &&
            sd_bus_error_is_set(&call_error))
                check_refusal(&call_error);

        bus_options_done(&defaults);
        bus_requests_done(&requests);
        sd_bus_error_free(&error);
        sd_bus_error_free(&call_error);
        sd_bus_message_unref(m);
        return 0;
}

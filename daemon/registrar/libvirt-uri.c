/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt-uri.h"
#include "macro.h"

/* Each domain driver and the daemon of its own that libvirt's modular setup runs. */
static const struct {
        const char *driver;
        const char *daemon;
} drivers[] = {
        { "qemu", "virtqemud" },
        { "lxc", "virtlxcd" },
        { "libxl", "virtxend" },
        { "xen", "virtxend" },
        { "ch", "virtchd" },
        { "vbox", "virtvboxd" },
};

/* A query value with %XX escapes undone; NULL when malformed, empty or holding a NUL. */
static char *query_value_decode(const char *s) {
        size_t n = strlen(s);
        char *out = malloc(n + 1), *p = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                int hi, lo;

                if (s[i] != '%') {
                        *p++ = s[i];
                        continue;
                }
                hi = i + 2 < n ? hex_digit_value(s[i + 1]) : -1;
                lo = hi >= 0 ? hex_digit_value(s[i + 2]) : -1;
                if (lo < 0 || (hi | lo) == 0) {
                        free(out);
                        return NULL;
                }
                *p++ = (char) (hi << 4 | lo);
                i += 2;
        }
        *p = '\0';
        if (p == out) {
                free(out);
                return NULL;
        }
        return out;
}

int idxd_libvirt_uri_local(const char *uri, const char *run_dir, IdxdLibvirtLocal *ret) {
        _cleanup_free_ char *driver = NULL, *socket = NULL;
        const char *colon, *rest, *plus, *query, *daemon = NULL;
        size_t n_driver;
        bool unix_transport = false, system;

        *ret = (IdxdLibvirtLocal) {};
        colon = strchr(uri, ':');
        if (!colon || strncmp(colon, ":///", 4) != 0)
                return -EPROTONOSUPPORT;        /* no scheme, or a host */
        plus = memchr(uri, '+', colon - uri);
        n_driver = (plus ?: colon) - uri;
        if (plus) {
                if (colon - plus - 1 != 4 || strncmp(plus + 1, "unix", 4) != 0)
                        return -EPROTONOSUPPORT;
                unix_transport = true;
        }
        for (size_t i = 0; i < ELEMENTSOF(drivers); i++)
                if (strlen(drivers[i].driver) == n_driver && strncmp(uri, drivers[i].driver, n_driver) == 0)
                        daemon = drivers[i].daemon;
        if (!daemon)
                return -EPROTONOSUPPORT;

        rest = colon + 3;               /* the path */
        query = strchr(rest, '?');
        if (strncmp(rest, "/system", 7) == 0 && (rest[7] == '\0' || rest + 7 == query))
                system = true;
        else if (strncmp(rest, "/session", 8) == 0 && (rest[8] == '\0' || rest + 8 == query))
                system = false;
        else
                return -EPROTONOSUPPORT;

        if (query) {
                /* Only "socket": any other parameter means something only libvirt's library knows. */
                if (!unix_transport || strncmp(query, "?socket=", 8) != 0 || strchr(query + 8, '&') ||
                    strchr(query + 8, '#'))
                        return -EPROTONOSUPPORT;
                socket = query_value_decode(query + 8);
                if (!socket || socket[0] != '/')
                        return -EPROTONOSUPPORT;
        } else if (!system)
                return -EPROTONOSUPPORT;        /* libvirt's library would start a session daemon */

        driver = strndup(uri, n_driver);
        if (!driver || asprintf(&ret->name, "%s:///%s", driver, system ? "system" : "session") < 0) {
                ret->name = NULL;
                return -ENOMEM;
        }
        if (socket) {
                ret->sockets[0] = TAKE_PTR(socket);
                return 0;
        }
        if (asprintf(&ret->sockets[0], "%s/%s-sock", run_dir, daemon) < 0)
                ret->sockets[0] = NULL;
        else if (asprintf(&ret->sockets[1], "%s/libvirt-sock", run_dir) < 0)
                ret->sockets[1] = NULL;
        if (!ret->sockets[1]) {
                idxd_libvirt_local_done(ret);
                return -ENOMEM;
        }
        return 0;
}

void idxd_libvirt_local_done(IdxdLibvirtLocal *l) {
        free(l->name);
        free(l->sockets[0]);
        free(l->sockets[1]);
        *l = (IdxdLibvirtLocal) {};
}

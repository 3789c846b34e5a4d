/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "definitions.h"
#include "macro.h"
#include "mdevctl-import.h"
#include "output.h"

int idxdctl_append_attrs_entry(sd_bus_message *m, const IdxdAttr *attrs, size_t n) {
        int r;

        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "attrs");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a(ss)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(ss)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(m, "(ss)", attrs[i].name, attrs[i].value);
        for (int k = 0; r >= 0 && k < 3; k++)
                r = sd_bus_message_close_container(m);
        return r;
}

void idxdctl_define_args_from_config(DefineArgs *a, const IdxdDefinition *config) {
        a->type = config->type;
        a->autostart = config->autostart;
        a->attrs = config->attrs;
        a->n_attrs = config->n_attrs;
}

int idxdctl_make(Idxdctl *ctl, const char *method, const DefineArgs *a, char ret_uuid[static IDXD_UUID_STRING_MAX]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        bool define = strcmp(method, "DefineMdev") == 0;
        const char *uuid, *path;
        int r;

        r = idxdctl_bus_new_call(ctl, method, &call);
        if (r > 0)
                return r;
        r = sd_bus_message_append(call, "sss", strempty(a->parent), strempty(a->type), strempty(a->uuid));
        if (r >= 0)
                r = sd_bus_message_open_container(call, 'a', "{sv}");
        if (r >= 0 && define)
                r = sd_bus_message_append(call, "{sv}{sv}", "autostart", "b", (int) a->autostart,
                                          "exclusive", "b", (int) a->exclusive);
        if (r >= 0 && a->domain)
                r = sd_bus_message_append(call, "{sv}", "domain", "s", a->domain);
        if (r >= 0 && a->n_attrs > 0)
                r = idxdctl_append_attrs_entry(call, a->attrs, a->n_attrs);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r < 0)
                return output_oom();

        r = idxdctl_bus_call_uuid_path(ctl, call, &reply, &uuid, &path);
        if (r > 0)
                return r;
        snprintf(ret_uuid, IDXD_UUID_STRING_MAX, "%s", uuid);
        if (define)
                idxdctl_mdevctl_touch_stamp();
        return 0;
}

/* Closes the options of call (r: how building it went), sends it and, when it changed something, says so to libvirt. */
static int send_change(Idxdctl *ctl, sd_bus_message *call, int r) {
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r < 0)
                return output_oom();
        r = idxdctl_bus_call(ctl, call, NULL);
        if (r > 0)
                return r;
        idxdctl_mdevctl_touch_stamp();
        return 0;
}

/* A call of method with a UUID and, opened for the options, an a{sv}. */
static int new_uuid_call(Idxdctl *ctl, const char *method, const char *uuid, sd_bus_message **ret_call, int *ret_r) {
        int r;

        r = idxdctl_bus_new_call(ctl, method, ret_call);
        if (r > 0)
                return r;
        r = sd_bus_message_append(*ret_call, "s", uuid);
        if (r >= 0)
                r = sd_bus_message_open_container(*ret_call, 'a', "{sv}");
        *ret_r = r;
        return 0;
}

int idxdctl_modify(Idxdctl *ctl, const char *uuid, const ModifyArgs *m) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int k, r;

        k = new_uuid_call(ctl, "ModifyMdev", uuid, &call, &r);
        if (k > 0)
                return k;
        if (r >= 0 && m->parent)
                r = sd_bus_message_append(call, "{sv}", "parent", "s", m->parent);
        if (r >= 0 && m->type)
                r = sd_bus_message_append(call, "{sv}", "type", "s", m->type);
        if (r >= 0 && m->autostart >= 0)
                r = sd_bus_message_append(call, "{sv}", "autostart", "b", m->autostart);
        if (r >= 0 && m->domain)
                r = sd_bus_message_append(call, "{sv}", "domain", "s", m->domain);
        if (r >= 0 && m->add_attr_name)
                r = sd_bus_message_append(call, "{sv}", "add_attr", "(ss)", m->add_attr_name, m->add_attr_value);
        if (r >= 0 && m->remove_attr)
                r = sd_bus_message_append(call, "{sv}", "remove_attr", "b", 1);
        if (r >= 0 && m->index >= 0)
                r = sd_bus_message_append(call, "{sv}", "index", "u", (uint32_t) m->index);
        return send_change(ctl, call, r);
}

int idxdctl_uuid_call(Idxdctl *ctl, const char *method, const char *uuid, const char *parent, bool force) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int k, r;

        k = new_uuid_call(ctl, method, uuid, &call, &r);
        if (k > 0)
                return k;
        if (r >= 0 && parent)
                r = sd_bus_message_append(call, "{sv}", "parent", "s", parent);
        if (r >= 0 && force)
                r = sd_bus_message_append(call, "{sv}", "force", "b", 1);
        return send_change(ctl, call, r);
}

/* The whole of a file, a pipe or a terminal, as mdevctl reads --jsonfile. */
static int read_all(const char *path, char **ret, size_t *ret_length) {
        _cleanup_fclose_ FILE *f = strcmp(path, "-") == 0 ? fdopen(dup(STDIN_FILENO), "r") : fopen(path, "re");
        _cleanup_free_ char *text = NULL;
        size_t n = 0, allocated = 0;

        if (!f)
                return -errno;
        for (;;) {
                size_t k;

                if (allocated - n < 4096) {
                        char *t;

                        if (allocated > IDXD_READ_FILE_MAX)
                                return -EFBIG;
                        t = realloc(text, allocated = allocated ? allocated * 2 : 8192);
                        if (!t)
                                return -ENOMEM;
                        text = t;
                }
                k = fread(text + n, 1, allocated - n - 1, f);
                n += k;
                if (k == 0)
                        break;
        }
        if (ferror(f))
                return -EIO;
        text[n] = 0;
        *ret = TAKE_PTR(text);
        *ret_length = n;
        return 0;
}

int idxdctl_read_jsonfile(const char *program, const char *path, IdxdDefinition **ret) {
        _cleanup_free_ char *text = NULL, *error = NULL;
        size_t length = 0;
        int r;

        r = read_all(path, &text, &length);
        if (r < 0) {
                fprintf(stderr, "%s: cannot read %s: %s\n", program, path, strerror(-r));
                return IDXDCTL_EXIT_FAILURE;
        }
        r = idxd_mdevctl_parse_jsonfile(path, text, length, ret, &error);
        if (r == -ENOMEM)
                return output_oom();
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", program, error ? error : strerror(-r));
                return IDXDCTL_EXIT_FAILURE;
        }
        return 0;
}

bool idxdctl_parse_attr(char *arg, IdxdAttr *ret) {
        char *eq = strchr(arg, '=');

        if (!eq || eq == arg)
                return false;
        *eq = 0;
        *ret = (IdxdAttr) { arg, eq + 1 };
        return true;
}

void idxdctl_mdevctl_touch_stamp(void) {
        const char *dir = getenv("IDXDCTL_MDEVCTL_DIR") ?: IDXD_MDEVCTL_DIR;
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        char line[32];
        int n;

        /* Only where mdevctl's directory exists: libvirt watches it when it does. */
        if (access(dir, W_OK) < 0 || asprintf(&path, "%s/" IDXD_MDEVCTL_STAMP, dir) < 0)
                return;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return;
        n = snprintf(line, sizeof(line), "%llu\n", (unsigned long long) now_monotonic_usec());
        (void) !write(fd, line, (size_t) n);
}

int idxdctl_run_uuid_verb(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[], const char *method) {
        static const struct option options[] = {
                { "parent", required_argument, NULL, 'p' },
                { "force",  no_argument,       NULL, 'f' },
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        bool stop = strcmp(method, "StopMdev") == 0, force = false;
        char normalized[IDXD_UUID_STRING_MAX];
        const char *parent = NULL;
        int c, r;

        while ((c = idxdctl_next_option(ctl, verb, argc, argv, ":hp:f", options, &r)) >= 0)
                switch (c) {
                case 'p':
                        if (stop)
                                return idxdctl_usage_error(verb, "a running mdev has one parent: no --parent");
                        parent = optarg;
                        break;
                case 'f':
                        if (!stop)
                                return idxdctl_usage_error(verb, "unknown option '--force'");
                        force = true;
                        break;
                }
        if (c == -2)
                return r;
        if (idxdctl_end_options(ctl, verb, argc, argv, normalized, &r))
                return r;
        return idxdctl_uuid_call(ctl, method, normalized, parent, force);
}

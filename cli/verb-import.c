/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * idxdctl import --mdevctl [PATH] [--check]: mdevctl's persistent mdevs
 * (a directory laid out as /etc/mdevctl.d, one of its files, or the output
 * of `mdevctl list --dumpjson`; core/mdevctl-import.c) become idxdd
 * definitions, one DefineMdev each: persistent, autostart when mdevctl's
 * start is "auto", attributes in order, nothing started. --check only
 * reads and validates them, without a daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "bus-json.h"
#include "definitions.h"
#include "idxd-bus.h"
#include "idxdctl.h"
#include "macro.h"
#include "mdevctl-import.h"
#include "output.h"
#include "progress.h"

enum {
        ARG_MDEVCTL = IDXDCTL_OPTION_VERB_FIRST,
        ARG_CHECK,
};

/* The start mode as mdevctl writes it. */
static const char *start_name(const IdxdDefinition *d) {
        return d->autostart ? "auto" : "manual";
}

static struct json_object *attrs_json(const IdxdDefinition *d) {
        struct json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < d->n_attrs; i++) {
                struct json_object *o = json_object_new_object();

                if (!o || json_object_array_add(a, o) < 0 ||
                    json_object_object_add(o, d->attrs[i].name, json_object_new_string(d->attrs[i].value)) < 0) {
                        json_object_put(o);
                        json_object_put(a);
                        return NULL;
                }
        }
        return a;
}

static struct json_object *strings_json(char *const *l, size_t n) {
        struct json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < n; i++)
                if (json_object_array_add(a, json_object_new_string(l[i])) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

/* A definition's record in --json output; error NULL when it is fine. */
static struct json_object *definition_json(const IdxdDefinition *d, const char *error_name, const char *message) {
        _cleanup_json_ struct json_object *o = json_object_new_object();

        if (!o ||
            json_object_object_add(o, "uuid", json_object_new_string(d->uuid_string)) < 0 ||
            json_object_object_add(o, "parent", json_object_new_string(d->parent)) < 0 ||
            json_object_object_add(o, "type", json_object_new_string(d->type)) < 0 ||
            json_object_object_add(o, "start", json_object_new_string(start_name(d))) < 0 ||
            json_object_object_add(o, "attrs", attrs_json(d)) < 0 ||
            json_object_object_add(o, "file", d->source ? json_object_new_string(d->source) : NULL) < 0 ||
            json_object_object_add(o, "error", error_name ? json_object_new_string(error_name) : NULL) < 0 ||
            json_object_object_add(o, "message", message ? json_object_new_string(message) : NULL) < 0)
                return NULL;
        return TAKE_PTR(o);
}

/* {"path", "valid", "mdevs": [...], "errors": [...], "notes": [...]} */
static int print_json(const char *path, const IdxdStoreLoad *l, struct json_object *mdevs, bool valid) {
        _cleanup_json_ struct json_object *out = json_object_new_object();

        if (!out ||
            json_object_object_add(out, "path", json_object_new_string(path)) < 0 ||
            json_object_object_add(out, "valid", json_object_new_boolean(valid)) < 0 ||
            json_object_object_add(out, "mdevs", json_object_get(mdevs)) < 0 ||
            json_object_object_add(out, "errors", strings_json(l->errors, l->n_errors)) < 0 ||
            json_object_object_add(out, "notes", strings_json(l->notes, l->n_notes)) < 0)
                return output_oom();
        output_json(out);
        return IDXDCTL_EXIT_OK;
}

/* Validate only: one line per definition, the errors and notes as the import would say them. */
static int check(Idxdctl *ctl, const char *path, const IdxdStoreLoad *l) {
        _cleanup_json_ struct json_object *mdevs = json_object_new_array();
        bool valid = l->n_errors == 0;

        if (!mdevs)
                return output_oom();
        for (size_t i = 0; i < l->n_definitions; i++) {
                const IdxdDefinition *d = l->definitions[i];

                if (ctl->json) {
                        if (json_object_array_add(mdevs, definition_json(d, NULL, NULL)) < 0)
                                return output_oom();
                } else
                        printf("%s %s %s %s: valid (%zu attribute%s)\n", d->uuid_string, d->parent, d->type,
                               start_name(d), d->n_attrs, d->n_attrs == 1 ? "" : "s");
        }
        if (ctl->json) {
                int r = print_json(path, l, mdevs, valid);

                if (r > 0)
                        return r;
        } else
                printf("%s: %zu valid, %zu invalid\n", path, l->n_definitions, l->n_errors);
        return valid ? IDXDCTL_EXIT_OK : IDXDCTL_EXIT_FAILURE;
}

typedef struct Import {
        const IdxdStoreLoad *load;
        struct json_object *mdevs;      /* --json */
        size_t failed;
} Import;

/* One DefineMdev: persistent, autostart as mdevctl's start says, the attributes in order. */
static int build_define(Idxdctl *ctl, size_t index, sd_bus_message **ret_call, void *userdata) {
        Import *im = userdata;
        const IdxdDefinition *d = im->load->definitions[index];
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        r = idxdctl_bus_new_call(ctl, "DefineMdev", &call);
        if (r > 0)
                return r;
        r = sd_bus_message_append(call, "sss", d->parent, d->type, d->uuid_string);
        if (r >= 0)
                r = sd_bus_message_open_container(call, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(call, "{sv}", "autostart", "b", (int) d->autostart);
        if (r >= 0 && d->n_attrs > 0)
                r = idxdctl_append_attrs_entry(call, d->attrs, d->n_attrs);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r < 0)
                return output_oom();
        *ret_call = TAKE_PTR(call);
        return 0;
}

static void define_done(size_t index, sd_bus_message *reply, const sd_bus_error *error, void *userdata) {
        Import *im = userdata;
        const IdxdDefinition *d = im->load->definitions[index];

        if (error) {
                im->failed++;
                /* The file, the mdev and what the daemon said. */
                fprintf(stderr, "idxdctl: %s: mdev %s on parent %s: %s\n", strempty(d->source), d->uuid_string,
                        d->parent, error->message ? error->message : error->name);
        } else if (!im->mdevs)
                printf("%s imported (parent %s)\n", d->uuid_string, d->parent);
        if (im->mdevs)
                (void) json_object_array_add(im->mdevs, definition_json(d, error ? error->name : NULL,
                                                                        error ? error->message : NULL));
}

static int import_definitions(Idxdctl *ctl, const char *path, const IdxdStoreLoad *l) {
        _cleanup_json_ struct json_object *mdevs = ctl->json ? json_object_new_array() : NULL;
        Import im = { .load = l, .mdevs = mdevs };
        Progress progress;
        int r;

        if (ctl->json && !mdevs)
                return output_oom();
        progress_init(&progress, "imported", l->n_definitions);
        r = idxdctl_bus_call_many(ctl, l->n_definitions, build_define, define_done, &progress, &im);
        if (r > 0)
                return r;
        if (ctl->json) {
                r = print_json(path, l, mdevs, l->n_errors == 0 && im.failed == 0);
                if (r > 0)
                        return r;
        }
        idxdctl_mdevctl_touch_stamp();
        return l->n_errors == 0 && im.failed == 0 ? IDXDCTL_EXIT_OK : IDXDCTL_EXIT_FAILURE;
}

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        static const struct option options[] = {
                { "mdevctl", no_argument, NULL, ARG_MDEVCTL },
                { "check",   no_argument, NULL, ARG_CHECK },
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        _cleanup_(idxd_store_load_done) IdxdStoreLoad l = {};
        const char *path = IDXD_MDEVCTL_DIR;
        bool mdevctl = false, check_only = false;
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0)
                if (c == ARG_MDEVCTL)
                        mdevctl = true;
                else if (c == ARG_CHECK)
                        check_only = true;
                else {
                        r = idxdctl_global_option(ctl, verb, c, argv);
                        if (r > 0)
                                return r;
                }
        if (ctl->help)
                return idxdctl_verb_help(verb);
        if (!mdevctl)
                return idxdctl_usage_error(verb, "say where from: --mdevctl");
        if (optind < argc)
                path = argv[optind++];
        r = idxdctl_check_no_operands(verb, argc, argv);
        if (r > 0)
                return r;

        r = idxd_mdevctl_load(path, &l);
        if (r == -ENOMEM)
                return output_oom();
        if (r < 0) {
                fprintf(stderr, "idxdctl: cannot read %s: %s: give mdevctl's directory, one of its files, or "
                        "a file with 'mdevctl list --dumpjson' output\n", path, strerror(-r));
                return IDXDCTL_EXIT_FAILURE;
        }
        /* What was passed over on purpose, then what is wrong: file, UUID and reason in each line. */
        for (size_t i = 0; i < l.n_notes; i++)
                fprintf(stderr, "idxdctl: note: %s\n", l.notes[i]);
        for (size_t i = 0; i < l.n_errors; i++)
                fprintf(stderr, "idxdctl: %s\n", l.errors[i]);

        if (check_only)
                return check(ctl, path, &l);
        if (l.n_definitions == 0) {
                _cleanup_json_ struct json_object *none = json_object_new_array();

                if (ctl->json) {
                        r = none ? print_json(path, &l, none, l.n_errors == 0) : output_oom();
                        if (r > 0)
                                return r;
                } else
                        printf("%s: no mdevctl definitions\n", path);
                return l.n_errors > 0 ? IDXDCTL_EXIT_FAILURE : IDXDCTL_EXIT_OK;
        }
        return import_definitions(ctl, path, &l);
}

const IdxdctlVerb verb_import = {
        .name = "import",
        .summary = "Import mdevctl's persistent mdevs as idxdd definitions",
        .usage = "--mdevctl [PATH] [--check]",
        .options =
                "     --mdevctl        Read mdevctl's definitions from PATH: its directory\n"
                "                      (<parent>/<uuid>, default " IDXD_MDEVCTL_DIR "), one of its\n"
                "                      files, or saved 'mdevctl list --dumpjson' output; each\n"
                "                      becomes a definition (autostart when start is \"auto\",\n"
                "                      attributes in order); nothing is started\n"
                "     --check          Only read and validate them; no daemon needed\n",
        .run = run,
};

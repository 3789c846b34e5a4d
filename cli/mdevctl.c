/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * idxdctl run as `mdevctl` (or `lsmdev`): mdevctl 1.2's command line over
 * idxdd, so that libvirt's node-device driver (which runs the mdevctl it
 * finds on PATH) and mdevctl users work on idxdd's definitions. Commands,
 * options, output (text and JSON, byte for byte), messages and exit codes
 * are mdevctl's (mdevctl(8)); the work is idxdd's, over D-Bus.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "bus-json.h"
#include "config.h"
#include "definitions.h"
#include "idxdctl.h"
#include "macro.h"
#include "mdevctl-json.h"
#include "mdevs.h"
#include "output.h"
#include "parents.h"

/* The mdevctl release whose interface this is. */
#define MDEVCTL_INTERFACE_VERSION "1.2.0"

enum {
        OPT_DUMPJSON = 0x100,
        OPT_JSONFILE,
        OPT_ADDATTR,
        OPT_DELATTR,
        OPT_VALUE,
};

/* mdevctl's errors: "Error: ...", exit status 1. */
static int fail(const char *fmt, ...) _printf_(1, 2);
static int fail(const char *fmt, ...) {
        va_list ap;

        fputs("Error: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return IDXDCTL_EXIT_FAILURE;
}

/* Its usage errors: "error: ...", exit status 2. */
static int usage_error(const char *command, const char *fmt, ...) _printf_(2, 3);
static int usage_error(const char *command, const char *fmt, ...) {
        va_list ap;

        fputs("error: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\n\nFor more information try 'mdevctl %s --help'\n", command);
        return IDXDCTL_EXIT_USAGE;
}

static const char usage_text[] =
        "mdevctl " MDEVCTL_INTERFACE_VERSION " (idxdctl " IDXD_VERSION ", over idxdd)\n"
        "A mediated device management utility for Linux\n"
        "\n"
        "USAGE:\n"
        "    mdevctl <SUBCOMMAND>\n"
        "\n"
        "SUBCOMMANDS:\n"
        "    define      Define a persistent mediated device\n"
        "                [-u UUID] [-a] -p PARENT (-t TYPE | --jsonfile FILE)\n"
        "    undefine    Undefine a persistent mediated device   -u UUID [-p PARENT]\n"
        "    modify      Modify the definition of a mediated device\n"
        "                -u UUID [-p PARENT] [-t TYPE] [-a|-m]\n"
        "                [--addattr NAME --value VALUE [-i INDEX] | --delattr [-i INDEX]]\n"
        "    start       Start a mediated device\n"
        "                -u UUID [-p PARENT] | -p PARENT (-t TYPE | --jsonfile FILE) [-u UUID]\n"
        "    stop        Stop a mediated device                  -u UUID\n"
        "    list        List mediated devices                   [-d] [--dumpjson] [-v] [-u UUID] [-p PARENT]\n"
        "    types       List available mediated device types    [-p PARENT] [--dumpjson]\n"
        "    help        Print this message\n"
        "\n"
        "Definitions and devices are idxdd's: see idxdctl(1), \"mdevctl personality\".\n";

/* What every command's options share. */
#define COMMON_OPTIONS                                                  \
        { "help",    no_argument,       NULL, 'h' },                    \
        { "uuid",    required_argument, NULL, 'u' },                    \
        { "parent",  required_argument, NULL, 'p' }

typedef struct Args {
        const char *command;
        const char *uuid;               /* lower case, or NULL */
        char uuid_buf[IDXD_UUID_STRING_MAX];
        const char *parent;
        const char *type;
        const char *jsonfile;
        const char *addattr;
        const char *value;
        long long index;                /* -1: none */
        bool defined, dumpjson, verbose, autostart, manual, delattr, help;
} Args;

/* Parses a command's options; returns 0, or an exit status after one line. */
static int parse_args(int argc, char *argv[], const char *shortopts, const struct option *options, Args *a) {
        int c;

        opterr = 0;
        optind = 1;
        while ((c = getopt_long(argc, argv, shortopts, options, NULL)) >= 0)
                switch (c) {
                case 'h': a->help = true; break;
                case 'p': a->parent = optarg; break;
                case 't': a->type = optarg; break;
                case 'd': a->defined = true; break;
                case 'v': a->verbose = true; break;
                case 'a': a->autostart = true; break;
                case 'm': a->manual = true; break;
                case OPT_DUMPJSON: a->dumpjson = true; break;
                case OPT_JSONFILE: a->jsonfile = optarg; break;
                case OPT_ADDATTR: a->addattr = optarg; break;
                case OPT_DELATTR: a->delattr = true; break;
                case OPT_VALUE: a->value = optarg; break;
                case 'u': {
                        IdxdUuid u;

                        if (idxd_uuid_parse(optarg, &u) < 0)
                                return usage_error(a->command, "Invalid value \"%s\" for '--uuid <UUID>': invalid UUID",
                                                   optarg);
                        a->uuid = idxd_uuid_format(&u, a->uuid_buf);
                        break;
                }
                case 'i': {
                        char *end;

                        errno = 0;
                        a->index = strtoll(optarg, &end, 10);
                        if (errno || end == optarg || *end || a->index < 0 || a->index > UINT32_MAX)
                                return usage_error(a->command, "Invalid value \"%s\" for '--index <INDEX>'", optarg);
                        break;
                }
                case ':':
                        return usage_error(a->command, "The argument '%s' requires a value but none was supplied",
                                           argv[optind - 1]);
                default:
                        return usage_error(a->command, "Found argument '%s' which wasn't expected, or isn't valid "
                                           "in this context", argv[optind - 1]);
                }
        if (optind < argc)
                return usage_error(a->command, "Found argument '%s' which wasn't expected, or isn't valid in this context",
                                   argv[optind]);
        return 0;
}

/* The attributes of a record's JSON text into d. */
static int attrs_from_json(const char *text, IdxdDefinition *d) {
        _cleanup_json_ struct json_object *a = text ? json_tokener_parse(text) : NULL;
        int r = 0;

        if (!json_object_is_type(a, json_type_array))
                return 0;
        for (size_t i = 0; r >= 0 && i < json_object_array_length(a); i++) {
                struct json_object *attr = json_object_array_get_idx(a, i);

                json_object_object_foreach(attr, name, value)
                        if (r >= 0)
                                r = idxd_definition_add_attr(d, name, json_object_get_string(value));
        }
        return r;
}

static bool record_active(const MdevRecord *m) {
        return m->state && strcmp(m->state, "defined") != 0 && strcmp(m->state, "failed") != 0;
}

typedef struct Devices {
        IdxdDefinition **items;
        bool *active;
        bool *defined;
        size_t n;
} Devices;

static void devices_done(Devices *d) {
        for (size_t i = 0; i < d->n; i++)
                idxd_definition_free(d->items[i]);
        free(d->items);
        free(d->active);
        free(d->defined);
        *d = (Devices) {};
}

/*
 * What mdevctl's list sees: with defined, every definition (a device
 * stands for its own parent's); else every device. Sorted by parent, then
 * UUID, as mdevctl sorts them.
 */
static int collect(Idxdctl *ctl, const Args *a, bool defined, Devices *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *text = NULL;
        MdevRecord *mdevs = NULL;
        Devices d = {};
        size_t n = 0;
        int r;

        r = idxdctl_list_mdevs(ctl, a->parent, NULL, NULL, &reply, &text, &mdevs, &n);
        if (r > 0)
                return r;
        d.items = calloc(n ? n : 1, sizeof(IdxdDefinition *));
        d.active = calloc(n ? n : 1, sizeof(bool));
        d.defined = calloc(n ? n : 1, sizeof(bool));
        r = d.items && d.active && d.defined ? 0 : -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const MdevRecord *m = &mdevs[i];
                IdxdDefinition *x;

                if ((defined ? !m->persistent : !record_active(m)) || (a->uuid && strcmp(m->uuid, a->uuid) != 0))
                        continue;
                x = calloc(1, sizeof(*x));
                if (!x || idxd_uuid_parse(m->uuid, &x->uuid) < 0) {
                        free(x);
                        r = -ENOMEM;
                        break;
                }
                d.items[d.n] = x;
                d.active[d.n] = record_active(m);
                d.defined[d.n] = m->persistent;
                d.n++;
                idxd_uuid_format(&x->uuid, x->uuid_string);
                x->parent = strdup(strempty(m->parent));
                x->type = strdup(strempty(m->type));
                x->autostart = m->persistent && m->autostart;
                if (!x->parent || !x->type || attrs_from_json(m->attrs, x) < 0)
                        r = -ENOMEM;
        }
        mdev_records_free(mdevs, n);
        if (r < 0) {
                devices_done(&d);
                return output_oom();
        }
        *ret = d;
        return 0;
}

/* mdevctl list: "UUID PARENT TYPE auto|manual" and the other state in brackets; -v adds the attributes. */
static int list(Idxdctl *ctl, const Args *a) {
        _cleanup_(devices_done) Devices d = {};
        _cleanup_free_ char *json = NULL;
        int r;

        r = collect(ctl, a, a->defined, &d);
        if (r > 0)
                return r;
        if (a->dumpjson) {
                /* One device named by UUID: its configuration alone, ready for a file. */
                r = a->uuid && d.n == 1 ? mdevctl_json_config_text(d.items[0], true, &json) :
                        mdevctl_json_list(d.items, d.n, &json);
                if (r < 0)
                        return output_oom();
                printf("%s\n", json);
                return IDXDCTL_EXIT_OK;
        }
        for (size_t i = 0; i < d.n; i++) {
                const IdxdDefinition *x = d.items[i];
                bool other = a->defined ? d.active[i] : d.defined[i];

                printf("%s %s %s %s%s\n", x->uuid_string, x->parent, x->type, x->autostart ? "auto" : "manual",
                       other ? (a->defined ? " (active)" : " (defined)") : "");
                if (a->verbose && x->n_attrs > 0) {
                        printf("  Attrs:\n");
                        for (size_t k = 0; k < x->n_attrs; k++)
                                printf("    @{%zu}: {\"%s\":\"%s\"}\n", k, x->attrs[k].name, x->attrs[k].value);
                }
        }
        /* mdevctl prints its listing with a newline after it. */
        putchar('\n');
        return IDXDCTL_EXIT_OK;
}

static const char *json_string(struct json_object *o, const char *key) {
        return json_record_string(o, key);
}

/* mdevctl types, from the daemon's parents. */
static int types(Idxdctl *ctl, const Args *a) {
        _cleanup_json_ struct json_object *parents = NULL;
        _cleanup_free_ MdevctlType *list = NULL;
        _cleanup_free_ char *json = NULL;
        size_t n = 0, allocated = 0;
        int r;

        r = idxdctl_list_parents(ctl, &parents);
        if (r > 0)
                return r;
        for (size_t i = 0; i < json_object_array_length(parents); i++) {
                struct json_object *p = json_object_array_get_idx(parents, i), *ts = NULL;
                const char *name = json_string(p, "parent");

                if (a->parent && strcmp(strempty(name), a->parent) != 0)
                        continue;
                if (!a->dumpjson)
                        printf("%s\n", strempty(name));
                (void) json_object_object_get_ex(p, "types", &ts);
                for (size_t k = 0; k < json_object_array_length(ts); k++) {
                        struct json_object *t = json_object_array_get_idx(ts, k), *avail = NULL;
                        MdevctlType *slot;

                        (void) json_object_object_get_ex(t, "available_instances", &avail);
                        if (n == allocated) {
                                MdevctlType *grown = reallocarray(list, allocated = allocated ? 2 * allocated : 16,
                                                                  sizeof(MdevctlType));
                                if (!grown)
                                        return output_oom();
                                list = grown;
                        }
                        slot = &list[n++];
                        *slot = (MdevctlType) {
                                .parent = name,
                                .id = json_string(t, "type"),
                                .available_instances = (unsigned) json_object_get_int64(avail),
                                .device_api = json_string(t, "device_api"),
                                .name = json_string(t, "name"),
                                .description = json_string(t, "description"),
                        };
                        if (a->dumpjson)
                                continue;
                        printf("  %s\n    Available instances: %u\n    Device API: %s\n", strempty(slot->id),
                               slot->available_instances, strempty(slot->device_api));
                        if (slot->name && *slot->name)
                                printf("    Name: %s\n", slot->name);
                        if (slot->description && *slot->description) {
                                _cleanup_free_ char *line = mdevctl_description_line(slot->description);

                                if (!line)
                                        return output_oom();
                                if (*line)
                                        printf("    Description: %s\n", line);
                        }
                }
        }
        if (a->dumpjson) {
                r = mdevctl_json_types(list, n, &json);
                if (r < 0)
                        return output_oom();
                fputs(json, stdout);
        }
        putchar('\n');
        return IDXDCTL_EXIT_OK;
}

/* The definition of --jsonfile, for define and start. */
static int read_config(const Args *a, IdxdDefinition **ret) {
        return idxdctl_read_jsonfile("mdevctl", strcmp(a->jsonfile, "/dev/stdin") == 0 ? "-" : a->jsonfile, ret);
}

static int define(Idxdctl *ctl, const Args *a) {
        _cleanup_(idxd_definition_freep) IdxdDefinition *file = NULL;
        DefineArgs d = { .parent = a->parent ?: "", .type = a->type ?: "", .uuid = a->uuid ?: "",
                         .autostart = a->autostart, .exclusive = true };
        char uuid[IDXD_UUID_STRING_MAX];
        int r;

        if (!a->uuid && !a->parent)
                return usage_error(a->command, "The following required arguments were not provided:\n    --uuid <UUID>\n"
                                   "    --parent <PARENT>");
        if (a->jsonfile) {
                if (a->type || a->autostart)
                        return usage_error(a->command, "The argument '--jsonfile <JSONFILE>' cannot be used with '%s'",
                                           a->type ? "--type <TYPE>" : "--auto");
                if (!a->parent)
                        return fail("Parent device required to define device via \"%s\"", a->jsonfile);
                r = read_config(a, &file);
                if (r > 0)
                        return r;
                idxdctl_define_args_from_config(&d, file);
        } else if (!a->parent && a->type)
                return fail("No parent specified");

        r = idxdctl_make(ctl, "DefineMdev", &d, uuid);
        if (r > 0)
                return r;
        /* A new UUID is said; one given is not. */
        if (!a->uuid)
                puts(uuid);
        return IDXDCTL_EXIT_OK;
}

static int modify(Idxdctl *ctl, const Args *a) {
        ModifyArgs m = { .parent = a->parent, .type = a->type, .autostart = -1, .index = -1 };

        if (!a->uuid)
                return usage_error(a->command, "The following required arguments were not provided:\n    --uuid <UUID>");
        if (a->autostart && a->manual)
                return usage_error(a->command, "The argument '--manual' cannot be used with '--auto'");
        if (a->addattr && a->delattr)
                return usage_error(a->command, "The argument '--delattr' cannot be used with '--addattr <attr_name>'");
        if (a->addattr && !a->value)
                return usage_error(a->command, "The following required arguments were not provided:\n"
                                   "    --value <attr_value>");
        if (a->autostart || a->manual)
                m.autostart = a->autostart;
        if (a->addattr) {
                m.add_attr_name = a->addattr;
                m.add_attr_value = a->value;
        }
        m.remove_attr = a->delattr;
        /* mdevctl reads --index only with --addattr or --delattr. */
        if (a->addattr || a->delattr)
                m.index = a->index;
        return idxdctl_modify(ctl, a->uuid, &m);
}

/* mdevctl's refusal to start what runs: it names how the running one differs. */
static int check_not_running(const Devices *all, const char *uuid, const char *parent, const char *type) {
        for (size_t i = 0; i < all->n; i++) {
                const IdxdDefinition *x = all->items[i];

                if (!all->active[i] || strcmp(x->uuid_string, uuid) != 0)
                        continue;
                if (parent && strcmp(x->parent, parent) != 0)
                        return fail("Device exists under different parent");
                if (type && strcmp(x->type, type) != 0)
                        return fail("Device exists with different type");
                return fail("Device already exists");
        }
        return 0;
}

/* A device that is not defined: CreateMdev, nothing stored. */
static int start_transient(Idxdctl *ctl, const Args *a, const char *type, const IdxdDefinition *file) {
        DefineArgs d = { .parent = a->parent, .type = type, .uuid = a->uuid,
                         .attrs = file ? file->attrs : NULL, .n_attrs = file ? file->n_attrs : 0 };
        char uuid[IDXD_UUID_STRING_MAX];
        int r;

        r = idxdctl_make(ctl, "CreateMdev", &d, uuid);
        if (r > 0)
                return r;
        if (!a->uuid)
                puts(uuid);
        return IDXDCTL_EXIT_OK;
}

static int start(Idxdctl *ctl, const Args *a) {
        _cleanup_(idxd_definition_freep) IdxdDefinition *file = NULL;
        _cleanup_(devices_done) Devices all = {};
        const IdxdDefinition *def = NULL;
        Args everything = { .command = a->command };
        size_t n_defs = 0;
        int r;

        if (!a->uuid && !a->parent)
                return usage_error(a->command, "The following required arguments were not provided:\n    --uuid <UUID>\n"
                                   "    --parent <PARENT>");
        if (a->jsonfile) {
                if (a->type)
                        return usage_error(a->command, "The argument '--jsonfile <JSONFILE>' cannot be used with '--type <TYPE>'");
                if (!a->parent)
                        return fail("Parent device required to start device via json file");
                r = read_config(a, &file);
                if (r > 0)
                        return r;
        }

        /* Every device and definition: which one the UUID names, and whether it runs. */
        r = collect(ctl, &everything, false, &all);
        if (r > 0)
                return r;
        if (a->uuid && !a->jsonfile) {
                _cleanup_(devices_done) Devices defs = {};
                Args named = { .command = a->command, .uuid = a->uuid, .parent = a->parent };

                r = collect(ctl, &named, true, &defs);
                if (r > 0)
                        return r;
                n_defs = defs.n;
                if (n_defs > 1)
                        return fail("Multiple definitions found for device %s. Please specify a parent.", a->uuid);
                if (n_defs == 1) {
                        def = defs.items[0];
                        if (a->type && strcmp(a->type, def->type) != 0)
                                return fail("Device %s already exists on parent %s with type %s", a->uuid,
                                            def->parent, def->type);
                        r = check_not_running(&all, a->uuid, def->parent, def->type);
                        if (r > 0)
                                return r;
                        return idxdctl_uuid_call(ctl, "StartMdev", a->uuid, def->parent, false);
                }
        }
        if (!file) {
                if (a->type && !a->parent)
                        return fail("can't provide type without parent");
                if (!a->type || !a->parent)
                        return fail("Device is insufficiently specified");
        }
        if (a->uuid) {
                r = check_not_running(&all, a->uuid, a->parent, file ? file->type : a->type);
                if (r > 0)
                        return r;
        }
        return start_transient(ctl, a, file ? file->type : a->type, file);
}

typedef int (*CommandFunc)(Idxdctl *ctl, const Args *a);

static int run_command(Idxdctl *ctl, const char *command, int argc, char *argv[]) {
        static const struct option list_options[] = {
                COMMON_OPTIONS,
                { "defined",  no_argument, NULL, 'd' },
                { "dumpjson", no_argument, NULL, OPT_DUMPJSON },
                { "verbose",  no_argument, NULL, 'v' },
                {}
        };
        static const struct option types_options[] = {
                COMMON_OPTIONS,
                { "dumpjson", no_argument, NULL, OPT_DUMPJSON },
                {}
        };
        static const struct option define_options[] = {
                COMMON_OPTIONS,
                { "auto",     no_argument,       NULL, 'a' },
                { "type",     required_argument, NULL, 't' },
                { "jsonfile", required_argument, NULL, OPT_JSONFILE },
                {}
        };
        static const struct option modify_options[] = {
                COMMON_OPTIONS,
                { "type",     required_argument, NULL, 't' },
                { "addattr",  required_argument, NULL, OPT_ADDATTR },
                { "delattr",  no_argument,       NULL, OPT_DELATTR },
                { "index",    required_argument, NULL, 'i' },
                { "value",    required_argument, NULL, OPT_VALUE },
                { "auto",     no_argument,       NULL, 'a' },
                { "manual",   no_argument,       NULL, 'm' },
                {}
        };
        static const struct option uuid_options[] = {
                COMMON_OPTIONS,
                { "type",     required_argument, NULL, 't' },
                { "jsonfile", required_argument, NULL, OPT_JSONFILE },
                {}
        };
        static const struct {
                const char *name;
                const char *shortopts;
                const struct option *options;
                CommandFunc func;
                const char *method;     /* for the UUID-only commands */
        } commands[] = {
                { "list",     ":hu:p:dv",      list_options,   list },
                { "types",    ":hu:p:",        types_options,  types },
                { "define",   ":hu:p:at:",     define_options, define },
                { "modify",   ":hu:p:t:i:am",  modify_options, modify },
                { "start",    ":hu:p:t:",      uuid_options,   start },
                { "undefine", ":hu:p:",        uuid_options,   NULL, "UndefineMdev" },
                { "stop",     ":hu:",          uuid_options,   NULL, "StopMdev" },
        };
        Args a = { .command = command, .index = -1 };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                if (strcmp(commands[i].name, command) != 0)
                        continue;
                r = parse_args(argc, argv, commands[i].shortopts, commands[i].options, &a);
                if (r > 0)
                        return r;
                if (a.help) {
                        fputs(usage_text, stdout);
                        return IDXDCTL_EXIT_OK;
                }
                if (commands[i].func)
                        return commands[i].func(ctl, &a);
                if (!a.uuid)
                        return usage_error(command, "The following required arguments were not provided:\n"
                                           "    --uuid <UUID>");
                if ((a.type || a.jsonfile) && strcmp(command, "undefine") == 0)
                        return usage_error(command, "Found argument '--%s' which wasn't expected, or isn't valid in "
                                           "this context", a.type ? "type" : "jsonfile");
                return idxdctl_uuid_call(ctl, commands[i].method, a.uuid, a.parent, false);
        }
        /* The udev rule of mdevctl's package calls this when a parent appears: idxdd autostarts on its own. */
        if (strcmp(command, "start-parent-mdevs") == 0)
                return IDXDCTL_EXIT_OK;
        fprintf(stderr, "error: Found argument '%s' which wasn't expected, or isn't valid in this context\n\n%s",
                command, usage_text);
        return IDXDCTL_EXIT_USAGE;
}

int mdevctl_main(int argc, char *argv[]) {
        const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
        Idxdctl ctl = { .mdevctl = true };
        int r;

        /* lsmdev is "mdevctl list". */
        if (strcmp(name, "lsmdev") == 0)
                r = run_command(&ctl, "list", argc, argv);
        else if (argc < 2) {
                fputs(usage_text, stderr);
                r = IDXDCTL_EXIT_USAGE;
        } else if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
                printf("mdevctl %s (idxdctl %s, over idxdd)\n", MDEVCTL_INTERFACE_VERSION, IDXD_VERSION);
                r = IDXDCTL_EXIT_OK;
        } else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                fputs(usage_text, stdout);
                r = IDXDCTL_EXIT_OK;
        } else
                r = run_command(&ctl, argv[1], argc - 1, argv + 1);
        idxdctl_bus_close(&ctl);
        return r;
}

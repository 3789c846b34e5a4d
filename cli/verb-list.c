/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl list: the mdevs the daemon knows, as a table or JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "bus-json.h"
#include "idxdctl.h"
#include "macro.h"
#include "mdevs.h"
#include "output.h"

/*
 * The list comes as text in a memfd (ListMdevsByFileDescriptor) and is read
 * into MdevRecords rather than a JSON tree: at 10,000 mdevs an aa{sv} reply
 * and a generic JSON path cost several times more than the listing itself.
 */

typedef struct FilterEntry {
        const char *key;
        const char *value;      /* NULL: not given */
} FilterEntry;

/* Appends the filter as a{sv}; only the keys given on the command line go in. */
static int append_filter(sd_bus_message *m, const FilterEntry *filter, size_t n) {
        int r;

        r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
        for (size_t i = 0; r >= 0 && i < n; i++)
                if (filter[i].value)
                        r = sd_bus_message_append(m, "{sv}", filter[i].key, "s", filter[i].value);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static const char *yes_no(bool b) {
        return b ? "yes" : "no";
}

/* "idxd_mdev-" when every type id starts with it: the narrow table leaves the driver's name out. */
static size_t common_driver_prefix(const MdevRecord *mdevs, size_t n) {
        const char *first = n > 0 ? mdevs[0].type : NULL, *dash = first ? strchr(first, '-') : NULL;
        size_t k = dash ? (size_t) (dash - first) + 1 : 0;

        for (size_t i = 1; k > 0 && i < n; i++)
                if (!mdevs[i].type || strncmp(mdevs[i].type, first, k) != 0 || !mdevs[i].type[k])
                        k = 0;
        return k > 0 && first[k] ? k : 0;
}

/* A cell for the attributes: name=value pairs, as the JSON the daemon sends has them. */
static char *attrs_cell(const char *json) {
        _cleanup_json_ struct json_object *a = json ? json_tokener_parse(json) : NULL;
        char *out = NULL;
        size_t size = 0;
        FILE *f;

        if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) == 0)
                return strdup("");
        f = open_memstream(&out, &size);
        if (!f)
                return NULL;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                struct json_object *attr = json_object_array_get_idx(a, i);

                json_object_object_foreach(attr, name, value)
                        fprintf(f, "%s%s=%s", i ? "," : "", name, json_object_get_string(value));
        }
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

/*
 * Narrow (the default): uuid, parent, type, state and domain in the
 * terminal's width (80 columns when not a terminal), long cells cut. Wide:
 * every column in full.
 */
static int print_table(const MdevRecord *mdevs, size_t n, bool wide) {
        static const char *const wide_columns[] = {
                "UUID", "PARENT", "TYPE", "STATE", "DOMAIN", "LIBVIRT", "PERSISTENT", "AUTOSTART", "IMS", "ATTRS", NULL
        };
        static const char *const narrow_columns[] = { "UUID", "PARENT", "TYPE", "STATE", "DOMAIN", NULL };
        enum { IMS_TEXT_MAX = 11 };     /* "4294967295" */
        _cleanup_table_ Table *t = table_new(wide ? wide_columns : narrow_columns);
        /* One block for every IMS count's text, not a copy per row. */
        _cleanup_free_ char *ims = calloc(n ? n : 1, IMS_TEXT_MAX);
        size_t prefix = wide ? 0 : common_driver_prefix(mdevs, n);

        if (!t || !ims || table_reserve_rows(t, n) < 0)
                return output_oom();
        if (wide)
                table_set_right_aligned(t, 8);
        else {
                table_set_shrinkable(t, 4, 8);  /* DOMAIN first, then TYPE and PARENT */
                table_set_shrinkable(t, 2, 8);
                table_set_shrinkable(t, 1, 8);
        }

        for (size_t i = 0; i < n; i++) {
                const MdevRecord *m = &mdevs[i];
                char *ims_text = ims + i * IMS_TEXT_MAX;
                int r = 0;

                r |= table_add_cell(t, m->uuid);
                r |= table_add_cell(t, m->parent);
                r |= table_add_cell(t, m->type ? m->type + prefix : NULL);
                r |= table_add_cell(t, m->state);
                r |= table_add_cell(t, m->domain);
                if (wide) {
                        _cleanup_free_ char *attrs = attrs_cell(m->attrs);

                        if (m->has_ims_vectors)
                                snprintf(ims_text, IMS_TEXT_MAX, "%u", m->ims_vectors);
                        /* "none" for an mdev without a domain says nothing: "-". */
                        r |= table_add_cell(t, m->domain && m->domain[0] ? m->registration : NULL);
                        r |= table_add_cell(t, yes_no(m->persistent));
                        r |= table_add_cell(t, yes_no(m->autostart));
                        r |= table_add_cell(t, ims_text);
                        r |= attrs ? table_add_cell_copy(t, attrs) : -ENOMEM;
                }
                if (r < 0)
                        return output_oom();
        }

        if (wide)
                table_print(t, stdout);
        else
                table_print_fit(t, stdout, output_width());
        return IDXDCTL_EXIT_OK;
}

/* Written as it goes: a json-c tree of 120,000 objects at 10,000 mdevs cost four times the listing. */
static int print_json(const MdevRecord *mdevs, size_t n) {
        if (mdev_records_print_json(stdout, mdevs, n) < 0) {
                fputs("idxdctl: cannot write the list to standard output\n", stderr);
                return IDXDCTL_EXIT_FAILURE;
        }
        return IDXDCTL_EXIT_OK;
}

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        static const struct option options[] = {
                { "parent", required_argument, NULL, 'p' },
                { "type",   required_argument, NULL, 't' },
                { "domain", required_argument, NULL, 'd' },
                { "wide",   no_argument,       NULL, 'w' },
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *text = NULL;
        FilterEntry filter[] = { { "parent", NULL }, { "type", NULL }, { "domain", NULL } };
        MdevRecord *mdevs = NULL;
        bool wide = false;
        size_t n = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, ":hp:t:d:w", options, NULL)) >= 0)
                switch (c) {
                case 'w':
                        wide = true;
                        break;
                case 'p':
                        filter[0].value = optarg;
                        break;
                case 't':
                        filter[1].value = optarg;
                        break;
                case 'd':
                        filter[2].value = optarg;
                        break;
                default:
                        r = idxdctl_global_option(ctl, verb, c, argv);
                        if (r > 0)
                                return r;
                }
        if (ctl->help)
                return idxdctl_verb_help(verb);
        r = idxdctl_check_no_operands(verb, argc, argv);
        if (r > 0)
                return r;

        r = idxdctl_list_mdevs(ctl, filter[0].value, filter[1].value, filter[2].value, &reply, &text, &mdevs, &n);
        if (r > 0)
                return r;
        r = ctl->json ? print_json(mdevs, n) : print_table(mdevs, n, wide);
        mdev_records_free(mdevs, n);
        return r;
}

int idxdctl_list_mdevs(Idxdctl *ctl, const char *parent, const char *type, const char *domain,
                       sd_bus_message **ret_reply, char **ret_text, MdevRecord **ret, size_t *ret_n) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_free_ char *text = NULL;
        FilterEntry filter[] = { { "parent", parent }, { "type", type }, { "domain", domain } };
        MdevRecord *mdevs = NULL;
        const char *method;
        bool by_fd;
        size_t n = 0;
        int r;

        r = idxdctl_bus_connect(ctl);
        if (r > 0)
                return r;
        /* A bus that cannot pass file descriptors (e.g. over TCP) gets the plain call. */
        by_fd = sd_bus_can_send(ctl->bus, SD_BUS_TYPE_UNIX_FD) > 0;
        method = by_fd ? "ListMdevsByFileDescriptor" : "ListMdevs";

        r = idxdctl_bus_new_call(ctl, method, &call);
        if (r > 0)
                return r;
        r = append_filter(call, filter, ELEMENTSOF(filter));
        if (r < 0)
                return output_oom();

        r = idxdctl_bus_call(ctl, call, &reply);
        if (r > 0)
                return r;
        r = by_fd ? mdev_records_read_fd(reply, &text, &mdevs, &n) : mdev_records_read(reply, &mdevs, &n);
        if (r == -ENOMEM)
                return output_oom();
        if (r < 0)
                return idxdctl_bus_bad_reply(method, r);

        /* Stable output whatever order the daemon keeps. */
        mdev_records_sort(mdevs, n);
        *ret_reply = TAKE_PTR(reply);
        *ret_text = TAKE_PTR(text);
        *ret = mdevs;
        *ret_n = n;
        return 0;
}

const IdxdctlVerb verb_list = {
        .name = "list",
        .summary = "List mdevs",
        .usage = "[--parent PARENT] [--type TYPE] [--domain DOMAIN] [--wide]",
        .options =
                "  -p --parent PARENT  Only mdevs on this parent\n"
                "  -t --type TYPE      Only mdevs of this type (id or unambiguous suffix)\n"
                "  -d --domain DOMAIN  Only mdevs assigned to this domain\n"
                "  -w --wide           Every column, in full (libvirt registration, persistent,\n"
                "                      autostart, IMS vectors, attributes); the default table\n"
                "                      fits the terminal (80 columns when not one)\n",
        .run = run,
};

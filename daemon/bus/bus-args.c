/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus-args.h"
#include "idxd-bus.h"
#include "macro.h"
#include "uuid.h"

/* How much of a refused string a message quotes: a 1 MiB value must not make a 1 MiB error. */
#define QUOTE_MAX 64

#define OPTION(key, type, field) { key, type, offsetof(BusOptions, field) }

const OptionSpec bus_create_options[] = {
        OPTION("domain", 's', domain),
        OPTION("persistent", 'b', persistent),
        OPTION("autostart", 'b', autostart),
        OPTION("attrs", 'A', attrs),
        {}
};

const OptionSpec bus_create_request_options[] = {
        OPTION("parent", 's', parent),
        OPTION("type", 's', type),
        OPTION("uuid", 's', uuid),
        OPTION("domain", 's', domain),
        OPTION("persistent", 'b', persistent),
        OPTION("autostart", 'b', autostart),
        OPTION("attrs", 'A', attrs),
        {}
};

const OptionSpec bus_destroy_options[] = {
        OPTION("force", 'b', force),
        OPTION("keep_definition", 'b', keep_definition),
        {}
};

const OptionSpec bus_list_filter[] = {
        OPTION("parent", 's', parent),
        OPTION("type", 's', type),
        OPTION("domain", 's', domain),
        {}
};

const OptionSpec bus_define_options[] = {
        OPTION("domain", 's', domain),
        OPTION("autostart", 'b', autostart),
        OPTION("attrs", 'A', attrs),
        OPTION("exclusive", 'b', exclusive),
        {}
};

const OptionSpec bus_modify_options[] = {
        OPTION("parent", 's', parent),
        OPTION("type", 's', type),
        OPTION("autostart", 'b', autostart),
        OPTION("domain", 's', domain),
        OPTION("attrs", 'A', attrs),
        OPTION("add_attr", 'P', add_attr),
        OPTION("remove_attr", 'b', remove_attr),
        OPTION("index", 'u', index),
        {}
};

const OptionSpec bus_parent_option[] = {
        OPTION("parent", 's', parent),
        {}
};

const OptionSpec bus_stop_options[] = {
        OPTION("force", 'b', force),
        {}
};

void bus_options_done(BusOptions *o) {
        o->attrs = mfree(o->attrs);
        o->n_attrs = 0;
}

/* An "attrs" a(ss): sysfs attributes written in this order after the create; at most IDXD_ATTRS_MAX. */
static int read_attrs(sd_bus_message *m, BusOptions *o, sd_bus_error *error) {
        const char *name, *value;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a(ss)");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "(ss)");
        if (r < 0)
                return r;
        bus_options_done(o);
        o->attrs_given = true;
        while ((r = sd_bus_message_read(m, "(ss)", &name, &value)) > 0) {
                IdxdAttr *a;

                if (++n > IDXD_ATTRS_MAX) {
                        /* Counted, not kept: the list is refused whole. */
                        o->attrs = mfree(o->attrs);
                        o->n_attrs = 0;
                        continue;
                }
                a = reallocarray(o->attrs, o->n_attrs + 1, sizeof(IdxdAttr));
                if (!a)
                        return -ENOMEM;
                o->attrs = a;
                o->attrs[o->n_attrs++] = (IdxdAttr) { (char *) name, (char *) value };
        }
        if (r < 0)
                return r;
        if (n > IDXD_ATTRS_MAX && !sd_bus_error_is_set(error))
                (void) sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid attrs: %zu attributes, at most %d per mdev", n, IDXD_ATTRS_MAX);
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static const OptionSpec *find_spec(const OptionSpec *specs, const char *key) {
        for (const OptionSpec *s = specs; s->key; s++)
                if (strcmp(s->key, key) == 0)
                        return s;
        return NULL;
}

static const char *option_signature(const OptionSpec *spec) {
        switch (spec->type) {
        case 'A': return "a(ss)";
        case 'P': return "(ss)";
        case 'u': return "u";
        case 'b': return "b";
        default:  return "s";
        }
}

static bool spec_matches(const OptionSpec *spec, const char *contents) {
        return strcmp(contents, option_signature(spec)) == 0;
}

static void set_option_error(sd_bus_error *error, const OptionSpec *spec, const char *key, const char *contents) {
        if (sd_bus_error_is_set(error))
                return;
        if (!spec)
                (void) sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown option '%.*s'", QUOTE_MAX, key);
        else
                (void) sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Option '%s' must be of type '%s', not '%s'",
                                         key, option_signature(spec), contents);
}

int bus_read_options(sd_bus_message *m, const OptionSpec *specs, BusOptions *o, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const OptionSpec *spec;
                const char *key, *contents;
                char type;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                spec = find_spec(specs, key);
                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        return r;

                if (!spec || !spec_matches(spec, contents)) {
                        set_option_error(error, spec, key, contents);
                        r = sd_bus_message_skip(m, "v");
                } else if (spec->type == 'A')
                        r = read_attrs(m, o, error);
                else if (spec->type == 'P') {
                        IdxdAttr *a = (IdxdAttr *) ((uint8_t *) o + spec->offset);

                        r = sd_bus_message_read(m, "v", "(ss)", &a->name, &a->value);
                } else if (spec->type == 'u') {
                        uint32_t u = 0;

                        r = sd_bus_message_read(m, "v", "u", &u);
                        *(int64_t *) ((uint8_t *) o + spec->offset) = u;
                } else if (spec->type == 's')
                        r = sd_bus_message_read(m, "v", "s", (const char **) ((uint8_t *) o + spec->offset));
                else
                        r = sd_bus_message_read(m, "v", "b", (int *) ((uint8_t *) o + spec->offset));
                if (r < 0)
                        return r;

                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        return sd_bus_message_exit_container(m);
}

void bus_requests_done(BusRequests *r) {
        for (size_t i = 0; i < r->n; i++) {
                bus_options_done(&r->items[i]);
                sd_bus_error_free(&r->errors[i]);
        }
        r->items = mfree(r->items);
        r->errors = mfree(r->errors);
        r->n = 0;
}

int bus_read_requests(sd_bus_message *m, BusRequests *ret, sd_bus_error *error) {
        BusRequests reqs = {};
        size_t allocated = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "a{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_at_end(m, false)) == 0) {
                if (reqs.n == IDXD_CREATE_REQUESTS_MAX) {
                        bus_requests_done(&reqs);
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Invalid requests: more than %d in one call (the cap per call); "
                                                 "split them over several calls", IDXD_CREATE_REQUESTS_MAX);
                }
                if (reqs.n == allocated) {
                        size_t k = allocated ? allocated * 2 : 16;

                        if (k > IDXD_CREATE_REQUESTS_MAX)
                                k = IDXD_CREATE_REQUESTS_MAX;
                        void *p;

                        p = reallocarray(reqs.items, k, sizeof(BusOptions));
                        if (p)
                                reqs.items = p;
                        p = p ? reallocarray(reqs.errors, k, sizeof(sd_bus_error)) : NULL;
                        if (!p) {
                                bus_requests_done(&reqs);
                                return -ENOMEM;
                        }
                        reqs.errors = p;
                        allocated = k;
                }
                reqs.items[reqs.n] = (BusOptions) {};
                reqs.errors[reqs.n] = SD_BUS_ERROR_NULL;
                reqs.n++;
                r = bus_read_options(m, bus_create_request_options, &reqs.items[reqs.n - 1], &reqs.errors[reqs.n - 1]);
                if (r < 0)
                        break;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                bus_requests_done(&reqs);
                return r;
        }
        *ret = reqs;
        return 0;
}

static int invalid_string(sd_bus_error *error, const char *what, const char *value, const char *rule) {
        size_t n = strlen(value);

        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid %s '%.*s%s' (%zu bytes): %s",
                                 what, QUOTE_MAX, value, n > QUOTE_MAX ? "…" : "", n, rule);
}

static int validate_attr(const IdxdAttr *a, sd_bus_error *error) {
        if (!idxd_sysfs_name_valid(a->name))
                return invalid_string(error, "attrs name", a->name, "not a sysfs attribute name");
        if (strlen(a->value) > IDXD_ATTR_VALUE_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid attrs value of '%s': %zu bytes, at most %d",
                                         a->name, strlen(a->value), IDXD_ATTR_VALUE_MAX);
        return 0;
}

/* What a create and a definition method check alike: parent, domain and attrs, each optional. */
static int validate_common(const BusOptions *o, sd_bus_error *error) {
        int r;

        if (o->parent && *o->parent && !idxd_sysfs_name_valid(o->parent))
                return invalid_string(error, "parent", o->parent,
                                      "a parent is a sysfs name of at most 255 bytes, no '/' or control characters");
        if (o->domain && *o->domain && !idxd_domain_name_valid(o->domain))
                return invalid_string(error, "domain", o->domain,
                                      "a domain name is 1-255 bytes without '/' or control characters, as libvirt takes it");
        for (size_t i = 0; i < o->n_attrs; i++) {
                r = validate_attr(&o->attrs[i], error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int validate_type(const char *type, sd_bus_error *error) {
        if (!idxd_sysfs_name_valid(type))
                return invalid_string(error, "type", type,
                                      "a type id is a sysfs name of at most 255 bytes, no '/' or control characters");
        return 0;
}

int bus_validate_create(const BusOptions *o, sd_bus_error *error) {
        IdxdUuid uuid;
        int r;

        if (!o->type || !*o->type)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid type: must not be empty");
        r = validate_type(o->type, error);
        if (r < 0)
                return r;
        if (o->uuid && *o->uuid && idxd_uuid_parse(o->uuid, &uuid) < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid uuid '%.*s': expected the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                                         QUOTE_MAX, o->uuid);
        return validate_common(o, error);
}

int bus_validate_definition(const BusOptions *o, sd_bus_error *error) {
        int r;

        if (o->type && *o->type) {
                r = validate_type(o->type, error);
                if (r < 0)
                        return r;
        }
        r = validate_common(o, error);
        if (r < 0)
                return r;
        return o->add_attr.name ? validate_attr(&o->add_attr, error) : 0;
}

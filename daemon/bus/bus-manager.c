/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * org.idxd.Manager1. Handlers go validate -> authorize -> act -> reply;
 * creates and removes reply later, once the kernel has confirmed them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bus-args.h"
#include "bus.h"
#include "config.h"
#include "idxd-bus.h"
#include "idxd-errors.h"
#include "log.h"
#include "macro.h"
#include "mdev-table.h"
#include "mdevctl-json.h"



/* A create's request for the operations layer; "" uuid gets a fresh one. Validated before. */
static int create_request(const BusOptions *o, MdevCreateRequest *req, sd_bus_error *error) {
        int r;

        if (o->uuid && *o->uuid)
                r = idxd_uuid_parse(o->uuid, &req->uuid);
        else {
                r = idxd_uuid_generate(&req->uuid);
                if (r < 0)
                        return sd_bus_error_set_errnof(error, r, "Cannot generate a uuid: %m");
        }
        if (r < 0)
                return r;
        req->attrs = o->attrs;
        req->n_attrs = o->n_attrs;
        req->parent = o->parent;
        req->type = o->type;
        req->domain = o->domain && *o->domain ? o->domain : NULL;
        req->persistent = o->persistent;
        req->autostart = o->autostart;
        return 0;
}

static int reply_error(sd_bus_message *m, int r, const char *message) {
        return sd_bus_reply_method_errorf(m, idxd_error_name_from_errno(r), "%s", message);
}

static void create_done(Ops *o, const IdxdUuid *uuid, int r, const char *message, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
        _cleanup_free_ char *path = NULL;
        char s[IDXD_UUID_STRING_MAX];

        if (r < 0)
                r = reply_error(m, r, message);
        else {
                r = idxd_uuid_to_object_path(uuid, &path);
                if (r >= 0)
                        r = sd_bus_reply_method_return(m, "so", idxd_uuid_format(uuid, s), path);
        }
        if (r < 0)
                log_warning_errno(r, "Failed to reply to %s", strempty(sd_bus_message_get_sender(m)));
}

/* Reads options into o; a bad key or type is the call's InvalidArgs. */
static int read_call_options(sd_bus_message *m, const OptionSpec *specs, BusOptions *o, sd_bus_error *error) {
        int r;

        r = bus_read_options(m, specs, o, error);
        if (r < 0)
                return r;
        return sd_bus_error_is_set(error) ? -EINVAL : 0;
}

/* Every mutating handler: authorize first, before any argument is read (docs/daemon.md, "Rights"). */
static int method_create_mdev(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(bus_options_done) BusOptions o = {};
        Bus *b = userdata;
        MdevCreateRequest req = {};
        int r;

        r = auth_verify(&b->auth, m, AUTH_ACTION_CHANGE_MDEVS, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* polkit is asking; called again with its answer */

        r = sd_bus_message_read(m, "sss", &o.parent, &o.type, &o.uuid);
        if (r < 0)
                return r;
        r = read_call_options(m, bus_create_options, &o, error);
        if (r < 0)
                return r;
        r = bus_validate_create(&o, error);
        if (r < 0)
                return r;
        r = create_request(&o, &req, error);
        if (r < 0)
                return r;

        mdev_create(b->ops, &req, create_done, sd_bus_message_ref(m));
        return 1;
}

typedef struct BatchResult {
        struct Batch *batch;
        IdxdUuid uuid;
        int r;                  /* 1 while pending */
        char *error_name;
        char *message;
} BatchResult;

typedef struct Batch {
        sd_bus_message *message;
        size_t n;
        size_t pending;
        BatchResult *results;
} Batch;

static Batch *batch_free(Batch *b) {
        if (!b)
                return NULL;
        for (size_t i = 0; i < b->n; i++) {
                free(b->results[i].error_name);
                free(b->results[i].message);
        }
        free(b->results);
        sd_bus_message_unref(b->message);
        free(b);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Batch *, batch_free);

static int batch_reply(Batch *b) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(b->message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        if (r < 0)
                return r;

        for (size_t i = 0; i < b->n; i++) {
                const BatchResult *res = &b->results[i];

                if (res->r >= 0) {
                        _cleanup_free_ char *path = NULL;
                        char s[IDXD_UUID_STRING_MAX];

                        r = idxd_uuid_to_object_path(&res->uuid, &path);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_append(reply, "a{sv}", 2,
                                                  "uuid", "s", idxd_uuid_format(&res->uuid, s),
                                                  "path", "o", path);
                } else
                        r = sd_bus_message_append(reply, "a{sv}", 2,
                                                  "error", "s", res->error_name ?: IDXD_ERROR_FAILED,
                                                  "message", "s", strempty(res->message));
                if (r < 0)
                        return r;
        }

        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static void batch_set_result(BatchResult *res, int r, const char *error_name, const char *message) {
        res->r = r;
        if (r < 0) {
                res->error_name = strdup(error_name ? error_name : idxd_error_name_from_errno(r));
                res->message = message ? strdup(message) : NULL;
        }
}

static void batch_finish_one(Batch *b) {
        int r;

        if (--b->pending > 0)
                return;
        r = batch_reply(b);
        if (r < 0)
                log_warning_errno(r, "Failed to reply to %s", strempty(sd_bus_message_get_sender(b->message)));
        batch_free(b);
}

static void batch_request_done(Ops *o, const IdxdUuid *uuid, int r, const char *message, void *userdata) {
        BatchResult *res = userdata;

        batch_set_result(res, r, NULL, message);
        batch_finish_one(res->batch);
}

/* A request of a batch: the call's options fill in what it leaves out; a bad one gets its own error. */
static void batch_prepare_one(BatchResult *res, BusOptions *o, const sd_bus_error *read_error,
                              const BusOptions *defaults, MdevCreateRequest *req) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

        if (sd_bus_error_is_set(read_error)) {
                batch_set_result(res, -EINVAL, read_error->name, read_error->message);
                return;
        }
        if (!o->domain)
                o->domain = defaults->domain;
        o->persistent = o->persistent || defaults->persistent;
        o->autostart = o->autostart || defaults->autostart;
        if (bus_validate_create(o, &error) < 0 || create_request(o, req, &error) < 0)
                batch_set_result(res, -EINVAL, error.name, error.message);
        else
                res->uuid = req->uuid;
}

static int method_create_mdevs(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(batch_freep) Batch *b = NULL;
        _cleanup_(bus_requests_done) BusRequests requests = {};
        _cleanup_free_ MdevCreateRequest *reqs = NULL;
        _cleanup_(bus_options_done) BusOptions defaults = {};
        Bus *bus = userdata;
        Batch *batch;
        int r;

        /* Before a single request is read: an unprivileged call costs nothing but its message. */
        r = auth_verify(&bus->auth, m, AUTH_ACTION_CHANGE_MDEVS, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* polkit is asking; called again with its answer */

        r = bus_read_requests(m, &requests, error);
        if (r < 0)
                return r;
        /* Call-wide options are defaults for every request. */
        r = read_call_options(m, bus_create_options, &defaults, error);
        if (r < 0)
                return r;
        if (defaults.n_attrs > 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                        "Invalid options: attrs belongs to each request, not to the call");

        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->message = sd_bus_message_ref(m);
        b->n = requests.n;
        b->results = calloc(b->n ? b->n : 1, sizeof(BatchResult));
        reqs = calloc(b->n ? b->n : 1, sizeof(MdevCreateRequest));
        if (!b->results || !reqs)
                return -ENOMEM;
        for (size_t i = 0; i < b->n; i++) {
                b->results[i] = (BatchResult) { .batch = b, .r = 1 };
                batch_prepare_one(&b->results[i], &requests.items[i], &requests.errors[i], &defaults, &reqs[i]);
        }

        /* One extra count so that requests finishing right away cannot end the batch early. */
        batch = TAKE_PTR(b);
        batch->pending = batch->n + 1;
        for (size_t i = 0; i < batch->n; i++) {
                if (batch->results[i].r < 0)
                        batch->pending--;
                else
                        mdev_create(bus->ops, &reqs[i], batch_request_done, &batch->results[i]);
        }
        batch_finish_one(batch);
        return 1;
}

static void destroy_done(Ops *o, const IdxdUuid *uuid, int r, const char *message, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;

        r = r < 0 ? reply_error(m, r, message) : sd_bus_reply_method_return(m, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to reply to %s", strempty(sd_bus_message_get_sender(m)));
}

static int method_destroy_mdev(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        const char *uuid_string;
        BusOptions o = {};
        IdxdUuid uuid;
        int r;

        r = auth_verify(&b->auth, m, AUTH_ACTION_CHANGE_MDEVS, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* polkit is asking; called again with its answer */

        r = sd_bus_message_read(m, "s", &uuid_string);
        if (r < 0)
                return r;
        r = read_call_options(m, bus_destroy_options, &o, error);
        if (r < 0)
                return r;
        if (idxd_uuid_parse(uuid_string, &uuid) < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid uuid '%.64s': expected the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                                         uuid_string);

        mdev_destroy(b->ops, &uuid, o.force, o.keep_definition, destroy_done, sd_bus_message_ref(m));
        return 1;
}

static int read_uuid(sd_bus_message *m, IdxdUuid *ret, sd_bus_error *error) {
        const char *s;
        int r;

        r = sd_bus_message_read(m, "s", &s);
        if (r < 0)
                return r;
        if (idxd_uuid_parse(s, ret) < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid uuid '%.64s': expected the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", s);
        return 0;
}

/*
 * A method whose arguments are a UUID and options: authorized first, then
 * read and checked. Returns 0 when polkit is asking (the handler returns 1
 * and is called again with the answer), 1 when the call may go on.
 */
static int read_uuid_call(Bus *b, sd_bus_message *m, AuthAction action, const OptionSpec *specs,
                          IdxdUuid *ret_uuid, BusOptions *o, sd_bus_error *error) {
        int r;

        r = auth_verify(&b->auth, m, action, error);
        if (r <= 0)
                return r;
        r = read_uuid(m, ret_uuid, error);
        if (r < 0)
                return r;
        r = read_call_options(m, specs, o, error);
        if (r < 0)
                return r;
        r = bus_validate_definition(o, error);
        return r < 0 ? r : 1;
}

static int method_define_mdev(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(bus_options_done) BusOptions o = {};
        _cleanup_(idxd_definition_freep) IdxdDefinition *def = NULL;
        Bus *b = userdata;
        const char *uuid;
        int r;

        r = auth_verify(&b->auth, m, AUTH_ACTION_DEFINE, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* polkit is asking; called again with its answer */

        r = sd_bus_message_read(m, "sss", &o.parent, &o.type, &uuid);
        if (r < 0)
                return r;
        r = read_call_options(m, bus_define_options, &o, error);
        if (r < 0)
                return r;
        r = bus_validate_definition(&o, error);
        if (r < 0)
                return r;

        def = calloc(1, sizeof(*def));
        if (!def)
                return -ENOMEM;
        if (*uuid && idxd_uuid_parse(uuid, &def->uuid) < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid uuid '%.64s': expected the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                                         uuid);
        if (!*uuid && (r = idxd_uuid_generate(&def->uuid)) < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot generate a uuid: %m");
        idxd_uuid_format(&def->uuid, def->uuid_string);
        def->parent = strdup(o.parent);
        def->type = strdup(o.type);
        if (!def->parent || !def->type || (o.domain && *o.domain && !(def->domain = strdup(o.domain))))
                return -ENOMEM;
        def->autostart = o.autostart;
        def->persistent = true;
        def->origin = IDXD_ORIGIN_CLI;
        for (size_t i = 0; i < o.n_attrs; i++) {
                r = idxd_definition_add_attr(def, o.attrs[i].name, o.attrs[i].value);
                if (r < 0)
                        return r;
        }

        definition_define(b->ops, def, o.exclusive, create_done, sd_bus_message_ref(m));
        return 1;
}

static int method_undefine_mdev(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        BusOptions o = {};
        IdxdUuid uuid;
        int r;

        r = read_uuid_call(b, m, AUTH_ACTION_DEFINE, bus_parent_option, &uuid, &o, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        definition_undefine(b->ops, &uuid, o.parent, destroy_done, sd_bus_message_ref(m));
        return 1;
}

static int method_modify_mdev(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(bus_options_done) BusOptions o = { .autostart = -1, .index = -1 };
        Bus *b = userdata;
        DefinitionChange change;
        IdxdUuid uuid;
        int r;

        r = read_uuid_call(b, m, AUTH_ACTION_DEFINE, bus_modify_options, &uuid, &o, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if ((o.add_attr.name != NULL) + (o.remove_attr != 0) + o.attrs_given > 1)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                        "Invalid options: add_attr, remove_attr and attrs go one at a time");
        if (o.index >= 0 && !o.add_attr.name && !o.remove_attr)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                        "Invalid options: index goes with add_attr or remove_attr");

        change = (DefinitionChange) {
                .type = o.type && *o.type ? o.type : NULL,
                .autostart = o.autostart,
                .domain = o.domain,
                .set_attrs = o.attrs_given,
                .attrs = o.attrs,
                .n_attrs = o.n_attrs,
                .add_attr_name = o.add_attr.name,
                .add_attr_value = o.add_attr.value,
                .remove_attr = o.remove_attr,
                .has_index = o.index >= 0,
                .index = o.index >= 0 ? (uint32_t) o.index : 0,
        };
        definition_modify(b->ops, &uuid, o.parent, &change, destroy_done, sd_bus_message_ref(m));
        return 1;
}

static int method_start_mdev(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        BusOptions o = {};
        IdxdUuid uuid;
        int r;

        r = read_uuid_call(b, m, AUTH_ACTION_CHANGE_MDEVS, bus_parent_option, &uuid, &o, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        definition_start(b->ops, &uuid, o.parent, create_done, sd_bus_message_ref(m));
        return 1;
}

static int method_stop_mdev(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        BusOptions o = {};
        IdxdUuid uuid;
        int r;

        r = read_uuid_call(b, m, AUTH_ACTION_CHANGE_MDEVS, bus_stop_options, &uuid, &o, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        mdev_stop(b->ops, &uuid, o.force, destroy_done, sd_bus_message_ref(m));
        return 1;
}

static bool mdev_matches_filter(const Mdev *mdev, const BusOptions *f) {
        if (f->parent && *f->parent && (!mdev->parent || strcmp(mdev->parent, f->parent) != 0))
                return false;
        if (f->type && *f->type && !mdev_type_matches(mdev->type, f->type))
                return false;
        if (f->domain && *f->domain && (!mdev->domain || strcmp(mdev->domain, f->domain) != 0))
                return false;
        return true;
}

/* The fields of a listed mdev, in the order of ListMdevsByFileDescriptor's columns. */
typedef struct MdevField {
        const char *key;
        char type;              /* 's', 'o', 'b', 'u', 'i', or 'A' for the attributes, a(ss) */
        bool present;           /* optional keys are left out of ListMdevs' a{sv} */
        const char *s;
        int64_t n;
        const IdxdDefinition *def;      /* 'A': whose attributes */
} MdevField;

enum {
        MDEV_FIELD_UUID,
        MDEV_FIELD_PATH,
        MDEV_FIELD_PARENT,
        MDEV_FIELD_TYPE,
        MDEV_FIELD_STATE,
        MDEV_FIELD_DOMAIN,
        MDEV_FIELD_PERSISTENT,
        MDEV_FIELD_AUTOSTART,
        MDEV_FIELD_IMS_VECTORS,
        MDEV_FIELD_WQ,
        MDEV_FIELD_REASON,
        MDEV_FIELD_IOMMU_GROUP,
        MDEV_FIELD_REGISTRATION,
        MDEV_FIELD_ATTRS,
        _MDEV_FIELD_MAX,
};

/* reason: why the last create of a definition without a device failed, or NULL; def: the mdev's definition, or NULL. */
static void mdev_fields(Bus *b, const Mdev *mdev, const char *reason, const IdxdDefinition *def,
                        char path[static MDEV_OBJECT_PATH_MAX], MdevField ret[static _MDEV_FIELD_MAX]) {
        ret[MDEV_FIELD_UUID] = (MdevField) { "uuid", 's', true, mdev->uuid_string };
        ret[MDEV_FIELD_PATH] = (MdevField) { "path", 'o', true, mdev_object_path(mdev, path) };
        ret[MDEV_FIELD_PARENT] = (MdevField) { "parent", 's', true, strempty(mdev->parent) };
        ret[MDEV_FIELD_TYPE] = (MdevField) { "type", 's', true, strempty(mdev->type) };
        ret[MDEV_FIELD_STATE] = (MdevField) { "state", 's', true, mdev_state_to_string(mdev->state) };
        ret[MDEV_FIELD_DOMAIN] = (MdevField) { "domain", 's', true, strempty(mdev->domain) };
        ret[MDEV_FIELD_PERSISTENT] = (MdevField) { "persistent", 'b', true, .n = mdev->persistent };
        ret[MDEV_FIELD_AUTOSTART] = (MdevField) { "autostart", 'b', true, .n = mdev->autostart };
        ret[MDEV_FIELD_IMS_VECTORS] = (MdevField) { "ims_vectors", 'u', mdev->has_ims_vectors, .n = mdev->ims_vectors };
        ret[MDEV_FIELD_WQ] = (MdevField) { "wq", 's', mdev->wq, mdev->wq };
        ret[MDEV_FIELD_REASON] = (MdevField) { "reason", 's', reason, reason };
        ret[MDEV_FIELD_IOMMU_GROUP] = (MdevField) { "iommu_group", 'i', mdev->iommu_group >= 0, .n = mdev->iommu_group };
        ret[MDEV_FIELD_REGISTRATION] = (MdevField) { "registration", 's', b->registrar,
                registrar_registration(b->registrar, &mdev->uuid, mdev->domain) };
        ret[MDEV_FIELD_ATTRS] = (MdevField) { "attrs", 'A', def && def->n_attrs > 0, .def = def };
}

int bus_append_attrs(sd_bus_message *m, const IdxdAttr *attrs, size_t n) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "(ss)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(m, "(ss)", attrs[i].name, attrs[i].value);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int append_field(sd_bus_message *reply, const MdevField *f) {
        const char signature[2] = { f->type, '\0' };
        int32_t i = (int32_t) f->n;
        uint32_t u = (uint32_t) f->n;
        int b = f->n != 0;
        int r;

        r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', f->key);
        if (r >= 0 && f->type == 'A') {
                r = sd_bus_message_open_container(reply, 'v', "a(ss)");
                if (r >= 0)
                        r = bus_append_attrs(reply, f->def->attrs, f->def->n_attrs);
        } else if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', signature);
        if (r >= 0 && f->type != 'A')
                r = sd_bus_message_append_basic(reply, f->type,
                                                f->type == 'b' ? (const void *) &b :
                                                f->type == 'u' ? (const void *) &u :
                                                f->type == 'i' ? (const void *) &i : f->s);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int append_mdev(Bus *b, const Mdev *mdev, const char *reason, const IdxdDefinition *def, void *userdata) {
        sd_bus_message *reply = userdata;
        char path[MDEV_OBJECT_PATH_MAX];
        MdevField fields[_MDEV_FIELD_MAX];
        int r;

        mdev_fields(b, mdev, reason, def, path, fields);
        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        for (size_t k = 0; r >= 0 && k < _MDEV_FIELD_MAX; k++)
                if (fields[k].present)
                        r = append_field(reply, &fields[k]);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

/* Decimal text of n into buf, right to left; returns where it starts (snprintf() per field costs at 10,000). */
static const char *format_int64(int64_t n, char buf[static 24]) {
        uint64_t u = n < 0 ? -(uint64_t) n : (uint64_t) n;
        char *p = buf + 23;

        *p = '\0';
        do
                *--p = (char) ('0' + u % 10);
        while ((u /= 10) > 0);
        if (n < 0)
                *--p = '-';
        return p;
}

static int write_mdev_line(Bus *b, const Mdev *mdev, const char *reason, const IdxdDefinition *def, void *userdata) {
        MdevTableWriter *w = userdata;
        char path[MDEV_OBJECT_PATH_MAX];
        MdevField fields[_MDEV_FIELD_MAX];

        mdev_fields(b, mdev, reason, def, path, fields);
        for (size_t k = 0; k < _MDEV_FIELD_MAX; k++) {
                _cleanup_free_ char *attrs = NULL;
                char number[24];
                const char *value = fields[k].s;

                if (!fields[k].present)
                        value = NULL;
                else if (fields[k].type == 'A') {
                        /* The attributes as mdevctl writes them: [{"name":"value"},...] */
                        if (mdevctl_json_attrs_text(def->attrs, def->n_attrs, &attrs) < 0)
                                return -ENOMEM;
                        value = attrs;
                }
                else if (fields[k].type == 'b')
                        value = fields[k].n ? "true" : "false";
                else if (fields[k].type == 'u' || fields[k].type == 'i')
                        value = format_int64(fields[k].n, number);
                mdev_table_write_field(w, value, k + 1 < _MDEV_FIELD_MAX ? '\t' : '\n');
        }
        return w->error;
}

typedef int (*ListedMdevFunc)(Bus *b, const Mdev *mdev, const char *reason, const IdxdDefinition *def,
                              void *userdata);

/* Calls func for each mdev the filter lets through, then for each definition without a device. */
static int foreach_listed_mdev(Bus *b, const BusOptions *filter, ListedMdevFunc func, void *userdata) {
        int r;

        for (size_t i = 0; i < b->model->n_mdevs; i++) {
                const Mdev *mdev = b->model->mdevs[i];

                const Definition *e;

                if (!mdev_matches_filter(mdev, filter))
                        continue;
                e = mdev->parent ? definitions_find(b->ops, &mdev->uuid, mdev->parent) : NULL;
                r = func(b, mdev, NULL, e ? e->def : NULL, userdata);
                if (r < 0)
                        return r;
        }
        /* Definitions without a device: defined, or failed with the reason. */
        for (size_t i = 0; i < b->ops->definitions.n; i++) {
                const Definition *e = b->ops->definitions.items[i];
                const Mdev *mdev = model_find_mdev(b->model, &e->def->uuid);

                /* The device speaks for its own parent's definition; another parent's is listed apart. */
                if ((mdev && mdev->parent && strcmp(mdev->parent, e->def->parent) == 0) ||
                    !mdev_matches_filter(&e->shadow, filter))
                        continue;
                r = func(b, &e->shadow, e->reason, e->def, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int method_list_mdevs(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Bus *b = userdata;
        BusOptions filter = {};
        int r;

        r = read_call_options(m, bus_list_filter, &filter, error);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        if (r < 0)
                return r;
        r = foreach_listed_mdev(b, &filter, append_mdev, reply);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/*
 * The same list as text in a sealed memfd (docs/dbus-api.md): at 10,000 mdevs
 * an aa{sv} reply costs the daemon, the bus and the caller more than the
 * listing itself; a file descriptor crosses the bus at no cost per mdev.
 */
static int method_list_mdevs_by_fd(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ MdevTableWriter *w = NULL;
        Bus *b = userdata;
        BusOptions filter = {};
        char path[MDEV_OBJECT_PATH_MAX];
        MdevField columns[_MDEV_FIELD_MAX];
        int r;

        r = read_call_options(m, bus_list_filter, &filter, error);
        if (r < 0)
                return r;

        w = malloc(sizeof(*w));
        if (!w)
                return -ENOMEM;
        fd = memfd_create("idxdd-mdevs", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        mdev_table_writer_init(w, fd);

        /* The header names the columns: any mdev's keys, in order. */
        mdev_fields(b, &(Mdev) { .iommu_group = -1 }, NULL, NULL, path, columns);
        for (size_t k = 0; k < _MDEV_FIELD_MAX; k++)
                mdev_table_write_field(w, columns[k].key, k + 1 < _MDEV_FIELD_MAX ? '\t' : '\n');

        r = foreach_listed_mdev(b, &filter, write_mdev_line, w);
        if (r >= 0)
                r = mdev_table_writer_flush(w);
        if (r < 0)
                return r;

        /* Sealed: the caller reads exactly what was written, and nothing can change it. */
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return -errno;

        return sd_bus_reply_method_return(m, "h", fd);
}

static int append_parent(sd_bus_message *reply, const Parent *p) {
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}",
                                  "parent", "s", p->name,
                                  "syspath", "s", p->syspath,
                                  "driver", "s", strempty(p->driver),
                                  "numa_node", "i", p->numa_node);
        if (r >= 0 && p->has_ims)
                r = sd_bus_message_append(reply, "{sv}{sv}",
                                          "ims_size", "u", p->ims_size,
                                          "ims_available", "u", p->ims_available);
        if (r < 0)
                return r;

        r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", "types");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', "aa{sv}");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_types; i++) {
                const MdevType *t = &p->types[i];

                r = sd_bus_message_append(reply, "a{sv}", 5,
                                          "type", "s", t->id,
                                          "name", "s", strempty(t->name),
                                          "description", "s", strempty(t->description),
                                          "device_api", "s", strempty(t->device_api),
                                          "available_instances", "u", t->available_instances);
                if (r < 0)
                        return r;
        }
        for (int k = 0; k < 3; k++) {
                r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int method_list_parents(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Bus *b = userdata;
        int r;

        /* Counts change without uevents on the parent (e.g. IMS use): read them now. */
        for (size_t i = 0; i < b->model->n_parents; i++)
                (void) discovery_refresh_parent(b->discovery, b->model->parents[i]->syspath);

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        if (r < 0)
                return r;
        for (size_t i = 0; i < b->model->n_parents; i++) {
                r = append_parent(reply, b->model->parents[i]);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_status(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *libvirt = NULL, *policy = NULL;
        const char *const *shortfalls;
        Bus *b = userdata;
        const IdxdPolicy *p = b->ops->policy.policy;
        int r;

        libvirt = registrar_describe(b->registrar);
        if (b->registrar && !libvirt)
                return -ENOMEM;
        if (p && asprintf(&policy, "%zu files, %zu pools, %zu assignments", p->n_files, p->n_pools,
                          p->n_assignments) < 0)
                return -ENOMEM;
        (void) policy_apply_shortfalls(b->ops, &shortfalls);

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}",
                                          "version", "s", IDXD_VERSION,
                                          "parents", "u", (uint32_t) b->model->n_parents,
                                          "mdevs", "u", (uint32_t) b->model->n_mdevs,
                                          "uptime_usec", "t", now_monotonic_usec() - b->start_usec,
                                          "sysfs_root", "s", b->sysfs_root,
                                          "group", "s", b->auth.exists ? b->auth.name : "",
                                          "libvirt", "s", libvirt ? libvirt : "none",
                                          "libvirt_pending", "u", registrar_pending(b->registrar),
                                          "definitions", "u", (uint32_t) b->ops->definitions.n,
                                          "state_dir", "s", b->ops->definitions.state_dir,
                                          "policy_dir", "s", b->ops->policy.policy_dir,
                                          "policy", "s", policy ? policy : "none");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", "policy_shortfalls");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, (char **) shortfalls);
        for (int k = 0; r >= 0 && k < 3; k++)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_reload(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *message = NULL;
        Bus *b = userdata;
        int r;

        r = auth_verify(&b->auth, m, AUTH_ACTION_RELOAD, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* polkit is asking; called again with its answer */

        /* All or nothing: a bad file leaves the running configuration and policy as they are. */
        r = policy_apply_reload(b->ops, &message);
        if (r < 0)
                return sd_bus_error_setf(error, IDXD_ERROR_INVALID_CONFIG, "%s",
                                         message ? message : strerror(-r));

        /* Sysfs too: what a lost uevent hid. */
        r = discovery_enumerate(b->discovery);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Re-enumerating devices failed: %m");
        return sd_bus_reply_method_return(m, NULL);
}

/* Writable by nobody; rights are checked in each handler from the sender's credentials. */
static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("CreateMdev",
                                SD_BUS_ARGS("s", parent, "s", type, "s", uuid, "a{sv}", options),
                                SD_BUS_RESULT("s", uuid, "o", path),
                                method_create_mdev, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CreateMdevs",
                                SD_BUS_ARGS("aa{sv}", requests, "a{sv}", options),
                                SD_BUS_RESULT("aa{sv}", results),
                                method_create_mdevs, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DestroyMdev",
                                SD_BUS_ARGS("s", uuid, "a{sv}", options),
                                SD_BUS_NO_RESULT,
                                method_destroy_mdev, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DefineMdev",
                                SD_BUS_ARGS("s", parent, "s", type, "s", uuid, "a{sv}", options),
                                SD_BUS_RESULT("s", uuid, "o", path),
                                method_define_mdev, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("UndefineMdev",
                                SD_BUS_ARGS("s", uuid, "a{sv}", options),
                                SD_BUS_NO_RESULT,
                                method_undefine_mdev, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ModifyMdev",
                                SD_BUS_ARGS("s", uuid, "a{sv}", options),
                                SD_BUS_NO_RESULT,
                                method_modify_mdev, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("StartMdev",
                                SD_BUS_ARGS("s", uuid, "a{sv}", options),
                                SD_BUS_RESULT("s", uuid, "o", path),
                                method_start_mdev, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("StopMdev",
                                SD_BUS_ARGS("s", uuid, "a{sv}", options),
                                SD_BUS_NO_RESULT,
                                method_stop_mdev, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListMdevs",
                                SD_BUS_ARGS("a{sv}", filter),
                                SD_BUS_RESULT("aa{sv}", mdevs),
                                method_list_mdevs, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListMdevsByFileDescriptor",
                                SD_BUS_ARGS("a{sv}", filter),
                                SD_BUS_RESULT("h", mdevs),
                                method_list_mdevs_by_fd, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListParents",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("aa{sv}", parents),
                                method_list_parents, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetStatus",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a{sv}", status),
                                method_get_status, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reload",
                                SD_BUS_NO_ARGS,
                                SD_BUS_NO_RESULT,
                                method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("MdevAdded", SD_BUS_ARGS("s", uuid, "o", path), 0),
        SD_BUS_SIGNAL_WITH_ARGS("MdevRemoved", SD_BUS_ARGS("s", uuid, "o", path), 0),
        SD_BUS_SIGNAL_WITH_ARGS("ParentAdded", SD_BUS_ARGS("s", parent), 0),
        SD_BUS_SIGNAL_WITH_ARGS("ParentRemoved", SD_BUS_ARGS("s", parent), 0),
        SD_BUS_SIGNAL_WITH_ARGS("DefinitionChanged", SD_BUS_ARGS("s", uuid, "s", parent, "s", change), 0),
        SD_BUS_VTABLE_END
};

int bus_manager_register(Bus *b) {
        int r;

        r = sd_bus_add_object_vtable(b->bus, &b->manager_slot, IDXD_MANAGER_PATH, IDXD_MANAGER_INTERFACE,
                                     manager_vtable, b);
        if (r < 0)
                return r;
        return sd_bus_add_object_manager(b->bus, &b->object_manager_slot, IDXD_MANAGER_PATH);
}

void bus_manager_emit_mdev(Bus *b, const Mdev *mdev, bool added) {
        char path[MDEV_OBJECT_PATH_MAX];
        int r;

        r = sd_bus_emit_signal(b->bus, IDXD_MANAGER_PATH, IDXD_MANAGER_INTERFACE,
                               added ? "MdevAdded" : "MdevRemoved", "so", mdev->uuid_string,
                               mdev_object_path(mdev, path));
        if (r < 0)
                log_warning_errno(r, "Failed to emit a signal for mdev %s", mdev->uuid_string);
}

void bus_manager_emit_parent(Bus *b, const Parent *p, bool added) {
        int r;

        r = sd_bus_emit_signal(b->bus, IDXD_MANAGER_PATH, IDXD_MANAGER_INTERFACE,
                               added ? "ParentAdded" : "ParentRemoved", "s", p->name);
        if (r < 0)
                log_warning_errno(r, "Failed to emit a signal for parent %s", p->name);
}

void bus_manager_emit_definition_changed(Bus *b, const IdxdDefinition *def, const char *change) {
        int r;

        if (!b || !b->bus)
                return;
        r = sd_bus_emit_signal(b->bus, IDXD_MANAGER_PATH, IDXD_MANAGER_INTERFACE, "DefinitionChanged", "sss",
                               def->uuid_string, strempty(def->parent), change);
        if (r < 0)
                log_warning_errno(r, "Failed to emit a signal for the definition of mdev %s", def->uuid_string);
}

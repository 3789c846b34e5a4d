/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "idxdd-config.h"
#include "json-doc.h"
#include "policy.h"
#include "store.h"

#ifndef IDXD_DEFAULT_GROUP
#define IDXD_DEFAULT_GROUP "idxd"
#endif
#ifndef IDXD_DEFAULT_STATE_DIR
#define IDXD_DEFAULT_STATE_DIR "/var/lib/idxdd"
#endif
#ifndef IDXD_DEFAULT_CONFIG_DIR
#define IDXD_DEFAULT_CONFIG_DIR "/etc/idxdd"
#endif

static const char *const log_level_table[_IDXD_LOG_LEVEL_MAX] = {
        [IDXD_LOG_ERROR] = "error",
        [IDXD_LOG_WARNING] = "warning",
        [IDXD_LOG_NOTICE] = "notice",
        [IDXD_LOG_INFO] = "info",
        [IDXD_LOG_DEBUG] = "debug",
};

static const char *const on_undefined_table[_IDXD_ON_UNDEFINED_MAX] = {
        [IDXD_ON_UNDEFINED_KEEP] = "keep",
        [IDXD_ON_UNDEFINED_RELEASE] = "release",
};

static int table_lookup(const char *const *table, int n, const char *s) {
        for (int i = 0; i < n; i++)
                if (strcmp(table[i], s) == 0)
                        return i;
        return -EINVAL;
}

const char *idxd_log_level_to_string(IdxdLogLevel l) {
        if (l < 0 || l >= _IDXD_LOG_LEVEL_MAX)
                return NULL;
        return log_level_table[l];
}

int idxd_log_level_from_string(const char *s) {
        return table_lookup(log_level_table, _IDXD_LOG_LEVEL_MAX, s);
}

const char *idxd_on_undefined_to_string(IdxdOnUndefined a) {
        if (a < 0 || a >= _IDXD_ON_UNDEFINED_MAX)
                return NULL;
        return on_undefined_table[a];
}

int idxd_on_undefined_from_string(const char *s) {
        return table_lookup(on_undefined_table, _IDXD_ON_UNDEFINED_MAX, s);
}

IdxdConfig *idxd_config_free(IdxdConfig *c) {
        if (!c)
                return NULL;
        free(c->group);
        free(c->libvirt_uri);
        free(c->state_dir);
        free(c->policy_dir);
        free(c->callout_dir);
        free(c);
        return NULL;
}

int idxd_config_new(IdxdConfig **ret) {
        _cleanup_(idxd_config_freep) IdxdConfig *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        c->group = strdup(IDXD_DEFAULT_GROUP);
        c->libvirt_uri = strdup(IDXD_DEFAULT_LIBVIRT_URI);
        c->state_dir = strdup(IDXD_DEFAULT_STATE_DIR);
        c->policy_dir = strdup(IDXD_DEFAULT_CONFIG_DIR "/policy.d");
        c->log_level = IDXD_LOG_INFO;
        c->creates_in_flight = IDXD_DEFAULT_CREATES_IN_FLIGHT;
        c->callout_dir = strdup(IDXD_DEFAULT_CALLOUT_DIR);
        c->callout_timeout = IDXD_DEFAULT_CALLOUT_TIMEOUT;
        if (!c->group || !c->libvirt_uri || !c->state_dir || !c->policy_dir || !c->callout_dir)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}

/* What groupadd accepts: [a-z_][a-z0-9_-]*[$]?, at most 32 characters. */
static bool group_name_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 32 || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z')))
                return false;
        for (size_t i = 1; i < n; i++) {
                char c = s[i];

                if (c == '$' && i == n - 1)
                        continue;
                if (!(c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
                        return false;
        }
        return true;
}

static int replace_string(char **field, const char *value) {
        char *s = strdup(value);

        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static int get_path(const JsonDoc *d, const char *key, char **field, char **ret_error) {
        const char *s;
        int r = json_doc_get_string(d, &d->root, key, &s, ret_error);

        if (r <= 0)
                return r;
        if (s[0] != '/')
                return json_doc_error(d, json_node_member(&d->root, key)->offset, ret_error,
                                      "\"%s\" must be an absolute path, not \"%s\"", key, s);
        return replace_string(field, s);
}

/* A string out of table: 0 absent, 1 *ret set, else "\"K\" must be one of a, b, not \"x\"". */
static int get_choice(const JsonDoc *d, const char *key, const char *const *table, int n, int *ret,
                      char **ret_error) {
        _cleanup_free_ char *choices = NULL;
        const char *s;
        int i, r = json_doc_get_string(d, &d->root, key, &s, ret_error);

        if (r <= 0)
                return r;
        i = table_lookup(table, n, s);
        if (i >= 0) {
                *ret = i;
                return 1;
        }
        for (int j = 0; j < n; j++) {
                char *c;

                if (asprintf(&c, "%s%s%s", strempty(choices), j > 0 ? ", " : "", table[j]) < 0)
                        return -ENOMEM;
                free(choices);
                choices = c;
        }
        return json_doc_error(d, json_node_member(&d->root, key)->offset, ret_error,
                              "\"%s\" must be one of %s, not \"%s\"", key, choices, s);
}

int idxd_config_parse(const char *filename, const char *text, size_t length,
                      IdxdConfig **ret, char **ret_error) {
        static const char *const keys[] = { "group", "libvirt_uri", "state_dir", "policy_dir", "log_level",
                                            "ims_reserve", "on_domain_undefined", "creates_in_flight",
                                            "callout_dir", "callout_timeout", NULL };
        _cleanup_(json_doc_freep) JsonDoc *d = NULL;
        _cleanup_(idxd_config_freep) IdxdConfig *c = NULL;
        const char *s;
        int64_t v;
        int choice, r;

        if (ret_error)
                *ret_error = NULL;
        r = idxd_config_new(&c);
        if (r < 0)
                return r;
        r = json_doc_parse(filename, text, length, &d, ret_error);
        if (r < 0)
                return r;
        r = json_doc_check_object(d, &d->root, "config", keys, ret_error);
        if (r < 0)
                return r;

        r = json_doc_get_string(d, &d->root, "group", &s, ret_error);
        if (r < 0)
                return r;
        if (r > 0) {
                if (!group_name_valid(s))
                        return json_doc_error(d, json_node_member(&d->root, "group")->offset, ret_error,
                                              "\"group\" is not a valid group name: \"%s\"", s);
                if (replace_string(&c->group, s) < 0)
                        return -ENOMEM;
        }

        r = json_doc_get_string(d, &d->root, "libvirt_uri", &s, ret_error);
        if (r < 0)
                return r;
        if (r > 0) {
                if (!strstr(s, ":"))
                        return json_doc_error(d, json_node_member(&d->root, "libvirt_uri")->offset, ret_error,
                                              "\"libvirt_uri\" is not a URI: \"%s\"", s);
                if (replace_string(&c->libvirt_uri, s) < 0)
                        return -ENOMEM;
        }

        r = get_path(d, "state_dir", &c->state_dir, ret_error);
        if (r < 0)
                return r;
        r = get_path(d, "policy_dir", &c->policy_dir, ret_error);
        if (r < 0)
                return r;

        r = get_choice(d, "log_level", log_level_table, _IDXD_LOG_LEVEL_MAX, &choice, ret_error);
        if (r < 0)
                return r;
        if (r > 0)
                c->log_level = choice;

        r = get_choice(d, "on_domain_undefined", on_undefined_table, _IDXD_ON_UNDEFINED_MAX, &choice, ret_error);
        if (r < 0)
                return r;
        if (r > 0)
                c->on_domain_undefined = choice;

        r = json_doc_get_int(d, &d->root, "ims_reserve", 0, IDXD_POLICY_MAX_IMS, &v, ret_error);
        if (r < 0)
                return r;
        if (r > 0)
                c->ims_reserve = (unsigned) v;

        r = json_doc_get_int(d, &d->root, "creates_in_flight", 1, IDXD_MAX_CREATES_IN_FLIGHT, &v, ret_error);
        if (r < 0)
                return r;
        if (r > 0)
                c->creates_in_flight = (unsigned) v;
        /* An absolute path, or "" for no callouts. */
        r = json_doc_get_string(d, &d->root, "callout_dir", &s, ret_error);
        if (r < 0)
                return r;
        if (r > 0 && *s && s[0] != '/')
                return json_doc_error(d, json_node_member(&d->root, "callout_dir")->offset, ret_error,
                                      "\"callout_dir\" must be an absolute path or \"\", not \"%s\"", s);
        if (r > 0 && replace_string(&c->callout_dir, s) < 0)
                return -ENOMEM;
        r = json_doc_get_int(d, &d->root, "callout_timeout", 1, IDXD_MAX_CALLOUT_TIMEOUT, &v, ret_error);
        if (r < 0)
                return r;
        if (r > 0)
                c->callout_timeout = (unsigned) v;

        *ret = TAKE_PTR(c);
        return 0;
}

int idxd_config_load(const char *path, IdxdConfig **ret, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        size_t length;
        int r;

        if (ret_error)
                *ret_error = NULL;
        r = idxd_read_file(path, &text, &length, ret_error);
        if (r == -ENOENT) {
                if (ret_error)
                        *ret_error = mfree(*ret_error);
                return idxd_config_new(ret);
        }
        if (r < 0)
                return r;
        return idxd_config_parse(path, text, length, ret, ret_error);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * idxdctl policy check: offline, with the daemon's own parsers (core/policy.c,
 * core/idxdd-config.c), so the messages are the ones idxdd would log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-json.h"
#include "idxdctl.h"
#include "idxdd-config.h"
#include "macro.h"
#include "output.h"
#include "policy.h"

/* The daemon's own config file is checked as one; anything else as policy. */
static bool is_daemon_config(const char *path) {
        const char *slash = strrchr(path, '/');

        return strcmp(slash ? slash + 1 : path, "idxdd.json") == 0;
}

static int check_config(Idxdctl *ctl, const char *path) {
        _cleanup_(idxd_config_freep) IdxdConfig *c = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = idxd_config_load(path, &c, &error);
        if (r < 0) {
                fprintf(stderr, "idxdctl: %s\n", error ? error : path);
                return IDXDCTL_EXIT_FAILURE;
        }
        if (ctl->json) {
                _cleanup_json_ struct json_object *out = json_object_new_object();

                if (!out ||
                    json_object_object_add(out, "path", json_object_new_string(path)) < 0 ||
                    json_object_object_add(out, "valid", json_object_new_boolean(true)) < 0 ||
                    json_object_object_add(out, "kind", json_object_new_string("config")) < 0 ||
                    json_object_object_add(out, "state_dir", json_object_new_string(c->state_dir)) < 0 ||
                    json_object_object_add(out, "policy_dir", json_object_new_string(c->policy_dir)) < 0)
                        return output_oom();
                output_json(out);
                return IDXDCTL_EXIT_OK;
        }
        printf("%s: valid daemon configuration\n"
               "  group %s, state_dir %s, policy_dir %s, log_level %s, ims_reserve %u, on_domain_undefined %s\n",
               path, c->group, c->state_dir, c->policy_dir, idxd_log_level_to_string(c->log_level),
               c->ims_reserve, idxd_on_undefined_to_string(c->on_domain_undefined));
        return IDXDCTL_EXIT_OK;
}

static int print_policy_json(const char *path, const IdxdPolicy *p) {
        _cleanup_json_ struct json_object *out = json_object_new_object();
        struct json_object *pools = json_object_new_array(), *assignments = json_object_new_array();

        if (!out || json_object_object_add(out, "pools", pools) < 0) {
                json_object_put(pools);
                json_object_put(assignments);
                return output_oom();
        }
        if (json_object_object_add(out, "assignments", assignments) < 0) {
                json_object_put(assignments);
                return output_oom();
        }
        if (json_object_object_add(out, "path", json_object_new_string(path)) < 0 ||
            json_object_object_add(out, "valid", json_object_new_boolean(true)) < 0 ||
            json_object_object_add(out, "kind", json_object_new_string("policy")) < 0 ||
            json_object_object_add(out, "files", json_object_new_int64((int64_t) p->n_files)) < 0)
                return output_oom();
        for (size_t i = 0; i < p->n_pools; i++)
                if (json_object_array_add(pools, json_object_new_string(p->pools[i].name)) < 0)
                        return output_oom();
        for (size_t i = 0; i < p->n_assignments; i++) {
                const IdxdAssignment *a = &p->assignments[i];
                struct json_object *o = json_object_new_object();

                if (!o || json_object_array_add(assignments, o) < 0 ||
                    json_object_object_add(o, "domain", json_object_new_string(a->domain)) < 0 ||
                    json_object_object_add(o, "pool", json_object_new_string(a->pool)) < 0 ||
                    json_object_object_add(o, "count", json_object_new_int64(a->count)) < 0)
                        return output_oom();
        }
        output_json(out);
        return IDXDCTL_EXIT_OK;
}

static int check_policy(Idxdctl *ctl, const char *path) {
        _cleanup_(idxd_policy_freep) IdxdPolicy *p = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = idxd_policy_check_path(path, &p, &error);
        if (r < 0) {
                fprintf(stderr, "idxdctl: %s\n", error ? error : path);
                return IDXDCTL_EXIT_FAILURE;
        }
        if (ctl->json)
                return print_policy_json(path, p);

        printf("%s: valid policy: %zu file%s, %zu pool%s, %zu assignment%s\n", path,
               p->n_files, p->n_files == 1 ? "" : "s", p->n_pools, p->n_pools == 1 ? "" : "s",
               p->n_assignments, p->n_assignments == 1 ? "" : "s");
        for (size_t i = 0; i < p->n_pools; i++)
                printf("  pool %s: type %s, parent %s (%s)\n", p->pools[i].name, p->pools[i].type,
                       p->pools[i].match_parent ? p->pools[i].match_parent : "any", p->pools[i].source);
        for (size_t i = 0; i < p->n_assignments; i++)
                printf("  domain %s: %u mdev%s from pool %s (%s)\n", p->assignments[i].domain,
                       p->assignments[i].count, p->assignments[i].count == 1 ? "" : "s",
                       p->assignments[i].pool, p->assignments[i].source);
        return IDXDCTL_EXIT_OK;
}

static int run(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]) {
        static const struct option options[] = {
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        const char *path;
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                r = idxdctl_global_option(ctl, verb, c, argv);
                if (r > 0)
                        return r;
        }
        if (ctl->help)
                return idxdctl_verb_help(verb);
        if (optind >= argc || strcmp(argv[optind], "check") != 0)
                return idxdctl_usage_error(verb, optind < argc ? "unknown policy command '%s'" : "%s",
                                           optind < argc ? argv[optind] : "expected 'check FILE|DIR'");
        if (optind + 1 >= argc)
                return idxdctl_usage_error(verb, "'policy check' needs a FILE or DIR");
        if (optind + 2 < argc)
                return idxdctl_usage_error(verb, "unexpected argument '%s'", argv[optind + 2]);
        path = argv[optind + 1];

        return is_daemon_config(path) ? check_config(ctl, path) : check_policy(ctl, path);
}

const IdxdctlVerb verb_policy = {
        .name = "policy",
        .summary = "Check policy files (or idxdd.json) offline, as idxdd would read them",
        .usage = "check FILE|DIR",
        .options =
                "  FILE is a policy file, or idxdd.json for the daemon configuration; DIR is a\n"
                "  policy directory (its *.json files in name order, all or nothing).\n"
                "  Exit 0 valid, 1 invalid (file:line:column: message on stderr).\n",
        .run = run,
};

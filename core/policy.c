/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json-doc.h"
#include "policy.h"
#include "store.h"

static void pool_done(IdxdPool *p) {
        free(p->name);
        free(p->match_parent);
        free(p->match_driver);
        free(p->type);
        free(p->source);
}

static void assignment_done(IdxdAssignment *a) {
        free(a->domain);
        free(a->pool);
        free(a->source);
}

int idxd_policy_new(IdxdPolicy **ret) {
        IdxdPolicy *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

IdxdPolicy *idxd_policy_free(IdxdPolicy *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_pools; i++)
                pool_done(&p->pools[i]);
        for (size_t i = 0; i < p->n_assignments; i++)
                assignment_done(&p->assignments[i]);
        free(p->pools);
        free(p->assignments);
        free(p);
        return NULL;
}

const IdxdPool *idxd_policy_find_pool(const IdxdPolicy *p, const char *name) {
        for (size_t i = 0; i < p->n_pools; i++)
                if (strcmp(p->pools[i].name, name) == 0)
                        return &p->pools[i];
        return NULL;
}

/* Pool names go into UUID names "domain/pool/index" and messages: keep them plain. */
static bool pool_name_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > IDXD_POLICY_NAME_MAX)
                return false;
        for (const char *c = s; *c; c++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *c))
                        return false;
        return true;
}

static int source_of(const JsonDoc *d, const JsonNode *n, char **ret) {
        unsigned line, column;

        json_doc_line_column(d, n->offset, &line, &column);
        return asprintf(ret, "%s:%u:%u", d->filename, line, column) < 0 ? -ENOMEM : 0;
}

static int dup_string(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* Settings of a file's "defaults" object, applied to that file's pools and assignments. */
typedef struct FileDefaults {
        bool persistent;
        bool autostart;
        long ims_reserve;
} FileDefaults;

static int get_long(const JsonDoc *d, const JsonNode *object, const char *key, int64_t min, int64_t max,
                    long *ret, char **ret_error) {
        int64_t v;
        int r = json_doc_get_int(d, object, key, min, max, &v, ret_error);

        if (r > 0)
                *ret = (long) v;
        return r;
}

static int get_int(const JsonDoc *d, const JsonNode *object, const char *key, int64_t min, int64_t max,
                   int *ret, char **ret_error) {
        int64_t v;
        int r = json_doc_get_int(d, object, key, min, max, &v, ret_error);

        if (r > 0)
                *ret = (int) v;
        return r;
}

static int parse_defaults(const JsonDoc *d, const JsonNode *n, FileDefaults *ret, char **ret_error) {
        static const char *const keys[] = { "persistent", "autostart", "ims_reserve", NULL };
        int r;

        r = json_doc_check_object(d, n, "defaults", keys, ret_error);
        if (r < 0)
                return r;
        r = json_doc_get_bool(d, n, "persistent", &ret->persistent, ret_error);
        if (r < 0)
                return r;
        r = json_doc_get_bool(d, n, "autostart", &ret->autostart, ret_error);
        if (r < 0)
                return r;
        r = get_long(d, n, "ims_reserve", 0, IDXD_POLICY_MAX_IMS, &ret->ims_reserve, ret_error);
        return r < 0 ? r : 0;
}

static int parse_match(const JsonDoc *d, const JsonNode *n, IdxdPool *pool, char **ret_error) {
        static const char *const keys[] = { "parent", "driver", "numa_node", "type", NULL };
        const char *parent = NULL, *driver = NULL, *type = NULL;
        const JsonNode *t;
        int r;

        r = json_doc_check_object(d, n, "match", keys, ret_error);
        if (r < 0)
                return r;
        r = json_doc_get_string(d, n, "parent", &parent, ret_error);
        if (r < 0)
                return r;
        r = json_doc_get_string(d, n, "driver", &driver, ret_error);
        if (r < 0)
                return r;
        r = get_int(d, n, "numa_node", 0, IDXD_POLICY_MAX_NUMA, &pool->match_numa_node, ret_error);
        if (r < 0)
                return r;
        r = json_doc_need_string(d, n, "match", "type", &type, ret_error);
        if (r < 0)
                return r;
        t = json_node_member(n, "type");
        if (!*type || strchr(type, '/'))
                return json_doc_error(d, t->offset, ret_error, "\"type\" must be a type id or suffix, not \"%s\"", type);
        if (parent && !*parent)
                return json_doc_error(d, json_node_member(n, "parent")->offset, ret_error,
                                      "\"parent\" must not be empty (leave it out to match any parent)");

        if (dup_string(parent, &pool->match_parent) < 0 ||
            dup_string(driver, &pool->match_driver) < 0 ||
            dup_string(type, &pool->type) < 0)
                return -ENOMEM;
        return 0;
}

static int parse_limits(const JsonDoc *d, const JsonNode *n, IdxdPool *pool, char **ret_error) {
        static const char *const keys[] = { "max", "max_per_parent", NULL };
        int r;

        r = json_doc_check_object(d, n, "limits", keys, ret_error);
        if (r < 0)
                return r;
        r = get_long(d, n, "max", 0, IDXD_POLICY_MAX_COUNT, &pool->max, ret_error);
        if (r < 0)
                return r;
        r = get_long(d, n, "max_per_parent", 0, IDXD_POLICY_MAX_COUNT, &pool->max_per_parent, ret_error);
        return r < 0 ? r : 0;
}

static int parse_pool(const JsonDoc *d, const JsonNode *n, const FileDefaults *defaults,
                      const IdxdPolicy *policy, const IdxdPool *earlier, size_t n_earlier,
                      IdxdPool *pool, char **ret_error) {
        static const char *const keys[] = { "name", "match", "prefer_numa_node", "limits", "ims_reserve", NULL };
        const JsonNode *name_node, *match, *limits;
        const IdxdPool *dup = NULL;
        const char *name;
        int r;

        *pool = (IdxdPool) {
                .match_numa_node = IDXD_POLICY_NUMA_ANY,
                .prefer_numa_node = IDXD_POLICY_NUMA_ANY,
                .max = IDXD_POLICY_UNSET,
                .max_per_parent = IDXD_POLICY_UNSET,
                .ims_reserve = defaults->ims_reserve,
        };

        r = json_doc_check_object(d, n, "pool", keys, ret_error);
        if (r < 0)
                return r;
        r = json_doc_need_string(d, n, "pool", "name", &name, ret_error);
        if (r < 0)
                return r;
        name_node = json_node_member(n, "name");
        if (!pool_name_valid(name))
                return json_doc_error(d, name_node->offset, ret_error,
                                      "pool name \"%s\" is not valid (1-%d of A-Z a-z 0-9 _ . -)",
                                      name, IDXD_POLICY_NAME_MAX);

        dup = idxd_policy_find_pool(policy, name);
        for (size_t i = 0; !dup && i < n_earlier; i++)
                if (strcmp(earlier[i].name, name) == 0)
                        dup = &earlier[i];
        if (dup)
                return json_doc_error(d, name_node->offset, ret_error,
                                      "duplicate pool name \"%s\" (first defined at %s)", name, dup->source);

        pool->name = strdup(name);
        if (!pool->name)
                return -ENOMEM;
        r = source_of(d, n, &pool->source);
        if (r < 0)
                return r;

        match = json_node_member(n, "match");
        if (!match)
                return json_doc_error(d, n->offset, ret_error, "pool \"%s\" is missing required key \"match\"", name);
        r = parse_match(d, match, pool, ret_error);
        if (r < 0)
                return r;

        r = get_int(d, n, "prefer_numa_node", 0, IDXD_POLICY_MAX_NUMA, &pool->prefer_numa_node, ret_error);
        if (r < 0)
                return r;
        r = get_long(d, n, "ims_reserve", 0, IDXD_POLICY_MAX_IMS, &pool->ims_reserve, ret_error);
        if (r < 0)
                return r;

        limits = json_node_member(n, "limits");
        if (limits) {
                r = parse_limits(d, limits, pool, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_assignment(const JsonDoc *d, const JsonNode *n, const FileDefaults *defaults,
                            const IdxdPolicy *policy, const IdxdPool *pools, size_t n_pools,
                            const IdxdAssignment *earlier, size_t n_earlier,
                            IdxdAssignment *a, char **ret_error) {
        static const char *const keys[] = { "domain", "pool", "count", "persistent", "autostart",
                                            "prefer_numa_node", NULL };
        const char *domain, *pool;
        const IdxdAssignment *dup = NULL;
        bool found = false;
        int64_t count;
        int r;

        *a = (IdxdAssignment) {
                .persistent = defaults->persistent,
                .autostart = defaults->autostart,
                .prefer_numa_node = IDXD_POLICY_NUMA_ANY,
        };

        r = json_doc_check_object(d, n, "assignment", keys, ret_error);
        if (r < 0)
                return r;
        r = json_doc_need_string(d, n, "assignment", "domain", &domain, ret_error);
        if (r < 0)
                return r;
        if (!idxd_domain_name_valid(domain))
                return json_doc_error(d, json_node_member(n, "domain")->offset, ret_error,
                                      "domain name \"%s\" is not valid (1-%d characters, no '/' or control characters)",
                                      domain, IDXD_DOMAIN_NAME_MAX);
        r = json_doc_need_string(d, n, "assignment", "pool", &pool, ret_error);
        if (r < 0)
                return r;

        found = idxd_policy_find_pool(policy, pool);
        for (size_t i = 0; !found && i < n_pools; i++)
                found = strcmp(pools[i].name, pool) == 0;
        if (!found)
                return json_doc_error(d, json_node_member(n, "pool")->offset, ret_error,
                                      "assignment for domain \"%s\" names unknown pool \"%s\"", domain, pool);

        /* The same (domain, pool) twice would derive the same UUIDs twice. */
        for (size_t i = 0; i < policy->n_assignments && !dup; i++)
                if (strcmp(policy->assignments[i].domain, domain) == 0 && strcmp(policy->assignments[i].pool, pool) == 0)
                        dup = &policy->assignments[i];
        for (size_t i = 0; i < n_earlier && !dup; i++)
                if (strcmp(earlier[i].domain, domain) == 0 && strcmp(earlier[i].pool, pool) == 0)
                        dup = &earlier[i];
        if (dup)
                return json_doc_error(d, n->offset, ret_error,
                                      "duplicate assignment of pool \"%s\" to domain \"%s\" (first at %s)",
                                      pool, domain, dup->source);

        r = json_doc_get_int(d, n, "count", 1, IDXD_POLICY_MAX_COUNT, &count, ret_error);
        if (r < 0)
                return r;
        if (r == 0)
                return json_doc_error(d, n->offset, ret_error, "assignment is missing required key \"count\"");
        a->count = (unsigned) count;

        r = json_doc_get_bool(d, n, "persistent", &a->persistent, ret_error);
        if (r < 0)
                return r;
        r = json_doc_get_bool(d, n, "autostart", &a->autostart, ret_error);
        if (r < 0)
                return r;
        /* Only what is stored can start at boot; a defaulted autostart just follows. */
        if (!a->persistent) {
                if (r > 0 && a->autostart)
                        return json_doc_error(d, json_node_member(n, "autostart")->offset, ret_error,
                                              "\"autostart\" needs \"persistent\": true");
                a->autostart = false;
        }
        r = get_int(d, n, "prefer_numa_node", 0, IDXD_POLICY_MAX_NUMA, &a->prefer_numa_node, ret_error);
        if (r < 0)
                return r;

        a->domain = strdup(domain);
        a->pool = strdup(pool);
        if (!a->domain || !a->pool)
                return -ENOMEM;
        return source_of(d, n, &a->source);
}

int idxd_policy_parse(IdxdPolicy *policy, const char *filename, const char *text, size_t length,
                      char **ret_error) {
        static const char *const keys[] = { "defaults", "pools", "assignments", NULL };
        _cleanup_(json_doc_freep) JsonDoc *d = NULL;
        FileDefaults defaults = { .persistent = true, .autostart = true, .ims_reserve = IDXD_POLICY_UNSET };
        const JsonNode *n, *pools = NULL, *assignments = NULL;
        IdxdPool *new_pools = NULL;
        IdxdAssignment *new_assignments = NULL;
        size_t n_new_pools = 0, n_new_assignments = 0;
        int r;

        if (ret_error)
                *ret_error = NULL;

        r = json_doc_parse(filename, text, length, &d, ret_error);
        if (r < 0)
                return r;
        r = json_doc_check_object(d, &d->root, "policy", keys, ret_error);
        if (r < 0)
                return r;

        n = json_node_member(&d->root, "defaults");
        if (n) {
                r = parse_defaults(d, n, &defaults, ret_error);
                if (r < 0)
                        return r;
        }

        r = json_doc_get_array(d, &d->root, "pools", &pools, ret_error);
        if (r < 0)
                return r;
        r = json_doc_get_array(d, &d->root, "assignments", &assignments, ret_error);
        if (r < 0)
                return r;

        if (pools && pools->n_children > 0) {
                new_pools = calloc(pools->n_children, sizeof(IdxdPool));
                if (!new_pools)
                        return -ENOMEM;
                for (; n_new_pools < pools->n_children; n_new_pools++) {
                        r = parse_pool(d, &pools->children[n_new_pools], &defaults, policy,
                                       new_pools, n_new_pools, &new_pools[n_new_pools], ret_error);
                        if (r < 0) {
                                n_new_pools++; /* the half-made one is freed too */
                                goto fail;
                        }
                }
        }

        if (assignments && assignments->n_children > 0) {
                new_assignments = calloc(assignments->n_children, sizeof(IdxdAssignment));
                if (!new_assignments) {
                        r = -ENOMEM;
                        goto fail;
                }
                for (; n_new_assignments < assignments->n_children; n_new_assignments++) {
                        r = parse_assignment(d, &assignments->children[n_new_assignments], &defaults, policy,
                                             new_pools, n_new_pools, new_assignments, n_new_assignments,
                                             &new_assignments[n_new_assignments], ret_error);
                        if (r < 0) {
                                n_new_assignments++;
                                goto fail;
                        }
                }
        }

        /* Only now touch policy, so a bad file leaves it as it was. */
        if (n_new_pools > 0) {
                IdxdPool *m = reallocarray(policy->pools, policy->n_pools + n_new_pools, sizeof(IdxdPool));

                if (!m) {
                        r = -ENOMEM;
                        goto fail;
                }
                policy->pools = m;
        }
        if (n_new_assignments > 0) {
                IdxdAssignment *m = reallocarray(policy->assignments, policy->n_assignments + n_new_assignments,
                                                 sizeof(IdxdAssignment));

                if (!m) {
                        r = -ENOMEM;
                        goto fail;
                }
                policy->assignments = m;
        }
        if (n_new_pools > 0)
                memcpy(policy->pools + policy->n_pools, new_pools, n_new_pools * sizeof(IdxdPool));
        if (n_new_assignments > 0)
                memcpy(policy->assignments + policy->n_assignments, new_assignments,
                       n_new_assignments * sizeof(IdxdAssignment));
        policy->n_pools += n_new_pools;
        policy->n_assignments += n_new_assignments;
        policy->n_files++;
        free(new_pools);
        free(new_assignments);
        return 0;

fail:
        for (size_t i = 0; i < n_new_pools; i++)
                pool_done(&new_pools[i]);
        for (size_t i = 0; i < n_new_assignments; i++)
                assignment_done(&new_assignments[i]);
        free(new_pools);
        free(new_assignments);
        return r;
}

int idxd_policy_load_file(IdxdPolicy *policy, const char *path, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        size_t length;
        int r;

        r = idxd_read_file(path, &text, &length, ret_error);
        if (r < 0)
                return r;
        return idxd_policy_parse(policy, path, text, length, ret_error);
}

static bool is_policy_file_name(const char *name) {
        size_t n = strlen(name);

        return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void free_names(char **names, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

static int errorf(char **ret_error, int r, const char *path, const char *what) {
        if (ret_error && asprintf(ret_error, "%s: %s", path, what) < 0)
                *ret_error = NULL;
        return r;
}

int idxd_policy_load_dir(const char *dir, IdxdPolicy **ret, char **ret_error) {
        _cleanup_(idxd_policy_freep) IdxdPolicy *policy = NULL;
        char **names = NULL;
        size_t n_names = 0, allocated = 0;
        struct dirent *de;
        DIR *dh;
        int r = 0;

        if (ret_error)
                *ret_error = NULL;

        dh = opendir(dir);
        if (!dh) {
                r = negative_errno();
                return errorf(ret_error, r, dir, strerror(-r));
        }
        while ((errno = 0, de = readdir(dh))) {
                if (!is_policy_file_name(de->d_name))
                        continue;
                if (n_names == allocated) {
                        size_t m = allocated ? allocated * 2 : 8;
                        char **nn = reallocarray(names, m, sizeof(char *));

                        if (!nn) {
                                r = -ENOMEM;
                                break;
                        }
                        names = nn;
                        allocated = m;
                }
                if (asprintf(&names[n_names], "%s/%s", dir, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                n_names++;
        }
        if (r == 0 && errno != 0)
                r = negative_errno();
        closedir(dh);
        if (r < 0) {
                free_names(names, n_names);
                return errorf(ret_error, r, dir, strerror(-r));
        }
        if (n_names == 0) {
                free(names);
                return errorf(ret_error, -ENODATA, dir, "no policy files (*.json)");
        }
        if (n_names > 1)
                qsort(names, n_names, sizeof(char *), compare_names);

        r = idxd_policy_new(&policy);
        for (size_t i = 0; r >= 0 && i < n_names; i++)
                r = idxd_policy_load_file(policy, names[i], ret_error);
        free_names(names, n_names);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(policy);
        return 0;
}

int idxd_policy_check_path(const char *path, IdxdPolicy **ret, char **ret_error) {
        _cleanup_(idxd_policy_freep) IdxdPolicy *policy = NULL;
        struct stat st;
        int r;

        if (stat(path, &st) < 0) {
                r = negative_errno();
                return errorf(ret_error, r, path, strerror(-r));
        }
        if (S_ISDIR(st.st_mode))
                r = idxd_policy_load_dir(path, &policy, ret_error);
        else {
                r = idxd_policy_new(&policy);
                if (r >= 0)
                        r = idxd_policy_load_file(policy, path, ret_error);
        }
        if (r < 0)
                return r;
        if (ret)
                *ret = TAKE_PTR(policy);
        return 0;
}

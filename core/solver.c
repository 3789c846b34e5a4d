/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-uuid.h"
#include "solver.h"

static const char *const shortfall_reason_table[_IDXD_SHORTFALL_REASON_MAX] = {
        [IDXD_SHORTFALL_NO_MATCH] = "no-match",
        [IDXD_SHORTFALL_POOL_LIMIT] = "pool-limit",
        [IDXD_SHORTFALL_PARENT_LIMIT] = "parent-limit",
        [IDXD_SHORTFALL_CAPACITY] = "capacity",
        [IDXD_SHORTFALL_IMS_RESERVE] = "ims-reserve",
};

const char *idxd_shortfall_reason_to_string(IdxdShortfallReason r) {
        if (r < 0 || r >= _IDXD_SHORTFALL_REASON_MAX)
                return NULL;
        return shortfall_reason_table[r];
}

IdxdPlan *idxd_plan_free(IdxdPlan *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_entries; i++) {
                free(p->entries[i].parent);
                free(p->entries[i].type);
                free(p->entries[i].domain);
                free(p->entries[i].pool);
        }
        free(p->entries);
        free(p->by_uuid);
        free(p);
        return NULL;
}

IdxdShortfalls *idxd_shortfalls_free(IdxdShortfalls *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_items; i++) {
                free(s->items[i].domain);
                free(s->items[i].pool);
                free(s->items[i].message);
        }
        free(s->items);
        free(s);
        return NULL;
}

const IdxdPlanEntry *idxd_plan_find(const IdxdPlan *p, const IdxdUuid *uuid) {
        size_t lo = 0, hi = p->n_entries;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = idxd_uuid_compare(&p->by_uuid[mid]->uuid, uuid);

                if (c == 0)
                        return p->by_uuid[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

static int compare_entry_ptr(const void *a, const void *b) {
        const IdxdPlanEntry *x = *(IdxdPlanEntry *const *) a, *y = *(IdxdPlanEntry *const *) b;

        return idxd_uuid_compare(&x->uuid, &y->uuid);
}

/* Same rule as the D-Bus API: the full id, or a suffix after a '-'. */
static bool type_matches(const char *id, const char *spec) {
        size_t n = strlen(id), k = strlen(spec);

        if (strcmp(id, spec) == 0)
                return true;
        return n > k && id[n - k - 1] == '-' && strcmp(id + n - k, spec) == 0;
}

/* The parent's type the pool means, or -1: an exact id wins, an ambiguous suffix matches nothing. */
static long pool_type_on_parent(const IdxdPool *pool, const IdxdSolverParent *parent) {
        bool ambiguous = false;
        long found = -1;

        if (pool->match_parent && fnmatch(pool->match_parent, parent->name, 0) != 0)
                return -1;
        if (pool->match_driver && fnmatch(pool->match_driver, strempty(parent->driver), 0) != 0)
                return -1;
        if (pool->match_numa_node != IDXD_POLICY_NUMA_ANY && pool->match_numa_node != parent->numa_node)
                return -1;

        for (size_t t = 0; t < parent->n_types; t++) {
                if (!type_matches(parent->types[t].id, pool->type))
                        continue;
                if (strcmp(parent->types[t].id, pool->type) == 0)
                        return (long) t;
                ambiguous = found >= 0;
                found = (long) t;
        }
        return ambiguous ? -1 : found;
}

/* Working state of one solve. */
typedef struct Solve {
        const IdxdSolverInput *in;
        const IdxdPolicy *policy;
        size_t n_parents, n_pools;
        long *type_of;                  /* [pool * n_parents + parent]: type index or <0 */
        unsigned *pool_on_parent;       /* [pool * n_parents + parent]: plan mdevs */
        unsigned *pool_total;           /* [pool] */
        unsigned *parent_total;         /* [parent]: plan mdevs of any pool */
        size_t *type_base;              /* [parent]: first slot of its types in new_of_type */
        unsigned *new_of_type;          /* new instances planned per parent type */
        uint64_t *ims_used;             /* [parent]: IMS entries new instances take */
        const IdxdSolverMdev **mdevs_by_uuid;
        const IdxdSolverMdev **defined_by_uuid;
        long *slot_parent;              /* per slot: parent index, -1 unplaced */
        bool *slot_exists;
        size_t *slot_base;              /* [assignment]: its first slot */
        size_t n_slots;
} Solve;

static void solve_done(Solve *s) {
        free(s->type_of);
        free(s->pool_on_parent);
        free(s->pool_total);
        free(s->parent_total);
        free(s->type_base);
        free(s->new_of_type);
        free(s->ims_used);
        free(s->mdevs_by_uuid);
        free(s->defined_by_uuid);
        free(s->slot_parent);
        free(s->slot_exists);
        free(s->slot_base);
}

static int compare_mdev_ptr(const void *a, const void *b) {
        const IdxdSolverMdev *x = *(const IdxdSolverMdev *const *) a, *y = *(const IdxdSolverMdev *const *) b;

        return idxd_uuid_compare(&x->uuid, &y->uuid);
}

static const IdxdSolverMdev *find_sorted(const IdxdSolverMdev *const *by_uuid, size_t n, const IdxdUuid *uuid) {
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = idxd_uuid_compare(&by_uuid[mid]->uuid, uuid);

                if (c == 0)
                        return by_uuid[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

static const IdxdSolverMdev *find_mdev(const Solve *s, const IdxdUuid *uuid) {
        return find_sorted(s->mdevs_by_uuid, s->in->n_mdevs, uuid);
}

/* Sorted pointers to n mdevs (n + 1 slots), NULL on ENOMEM. */
static const IdxdSolverMdev **sort_by_uuid(const IdxdSolverMdev *mdevs, size_t n) {
        const IdxdSolverMdev **by_uuid = calloc(n + 1, sizeof(IdxdSolverMdev *));

        if (!by_uuid)
                return NULL;
        for (size_t i = 0; i < n; i++)
                by_uuid[i] = &mdevs[i];
        if (n > 1)
                qsort(by_uuid, n, sizeof(IdxdSolverMdev *), compare_mdev_ptr);
        return by_uuid;
}

static long find_parent(const Solve *s, const char *name) {
        for (size_t j = 0; j < s->n_parents; j++)
                if (strcmp(s->in->parents[j].name, name) == 0)
                        return (long) j;
        return -1;
}

static size_t pool_index(const Solve *s, const char *name) {
        for (size_t k = 0; k < s->n_pools; k++)
                if (strcmp(s->policy->pools[k].name, name) == 0)
                        return k;
        return SIZE_MAX;
}

static int solve_init(Solve *s, const IdxdSolverInput *in, const IdxdPolicy *policy) {
        size_t n_types = 0, P = in->n_parents, K = policy->n_pools;

        *s = (Solve) { .in = in, .policy = policy, .n_parents = P, .n_pools = K };

        s->type_base = calloc(P + 1, sizeof(size_t));
        if (!s->type_base)
                return -ENOMEM;
        for (size_t j = 0; j < P; j++) {
                s->type_base[j] = n_types;
                n_types += in->parents[j].n_types;
        }
        s->type_base[P] = n_types;

        for (size_t a = 0; a < policy->n_assignments; a++)
                s->n_slots += policy->assignments[a].count;

        s->type_of = calloc(K * P + 1, sizeof(long));
        s->pool_on_parent = calloc(K * P + 1, sizeof(unsigned));
        s->pool_total = calloc(K + 1, sizeof(unsigned));
        s->parent_total = calloc(P + 1, sizeof(unsigned));
        s->new_of_type = calloc(n_types + 1, sizeof(unsigned));
        s->ims_used = calloc(P + 1, sizeof(uint64_t));
        s->mdevs_by_uuid = sort_by_uuid(in->mdevs, in->n_mdevs);
        s->defined_by_uuid = sort_by_uuid(in->defined, in->n_defined);
        s->slot_parent = calloc(s->n_slots + 1, sizeof(long));
        s->slot_exists = calloc(s->n_slots + 1, sizeof(bool));
        s->slot_base = calloc(policy->n_assignments + 1, sizeof(size_t));
        if (!s->type_of || !s->pool_on_parent || !s->pool_total || !s->parent_total || !s->new_of_type ||
            !s->ims_used || !s->mdevs_by_uuid || !s->defined_by_uuid || !s->slot_parent || !s->slot_exists || !s->slot_base)
                return -ENOMEM;

        for (size_t k = 0; k < K; k++)
                for (size_t j = 0; j < P; j++)
                        s->type_of[k * P + j] = pool_type_on_parent(&policy->pools[k], &in->parents[j]);

        for (size_t a = 0, n = 0; a < policy->n_assignments; a++) {
                s->slot_base[a] = n;
                n += policy->assignments[a].count;
        }
        for (size_t i = 0; i < s->n_slots; i++)
                s->slot_parent[i] = -1;
        return 0;
}

static void place(Solve *s, size_t slot, size_t k, size_t j, bool exists) {
        size_t P = s->n_parents;

        s->slot_parent[slot] = (long) j;
        s->slot_exists[slot] = exists;
        s->pool_on_parent[k * P + j]++;
        s->pool_total[k]++;
        s->parent_total[j]++;
        if (!exists) {
                const IdxdSolverParent *p = &s->in->parents[j];
                const IdxdSolverType *t = &p->types[s->type_of[k * P + j]];

                s->new_of_type[s->type_base[j] + (size_t) s->type_of[k * P + j]]++;
                s->ims_used[j] += t->ims_per_instance ? t->ims_per_instance : 1;
        }
}

static bool under_limits(const Solve *s, size_t k, size_t j) {
        const IdxdPool *pool = &s->policy->pools[k];

        if (pool->max != IDXD_POLICY_UNSET && s->pool_total[k] >= (unsigned long) pool->max)
                return false;
        return pool->max_per_parent == IDXD_POLICY_UNSET ||
                s->pool_on_parent[k * s->n_parents + j] < (unsigned long) pool->max_per_parent;
}

/* Pass 1: an mdev that already exists where its pool allows it stays there. */
static void keep_existing(Solve *s) {
        for (size_t a = 0; a < s->policy->n_assignments; a++) {
                const IdxdAssignment *as = &s->policy->assignments[a];
                size_t k = pool_index(s, as->pool);

                if (k == SIZE_MAX)
                        continue;
                for (unsigned i = 0; i < as->count; i++) {
                        const IdxdSolverMdev *m;
                        IdxdUuid uuid;
                        long j, t;

                        if (idxd_policy_uuid(as->domain, as->pool, i, &uuid) < 0)
                                continue; /* build_plan() derives it again and reports ENOMEM */
                        m = find_mdev(s, &uuid);
                        if (!m || !m->parent || !m->type)
                                continue;
                        j = find_parent(s, m->parent);
                        if (j < 0)
                                continue;
                        t = s->type_of[k * s->n_parents + (size_t) j];
                        if (t < 0 || strcmp(s->in->parents[j].types[t].id, m->type) != 0)
                                continue;
                        if (!under_limits(s, k, (size_t) j))
                                continue;
                        place(s, s->slot_base[a] + i, k, (size_t) j, true);
                }
        }
}

/* How far a candidate got; the furthest stage over all candidates is the reason reported. */
typedef enum Stage {
        STAGE_PARENT_LIMIT,
        STAGE_CAPACITY,
        STAGE_IMS_RESERVE,
        STAGE_OK,
} Stage;

static Stage check_candidate(const Solve *s, size_t k, size_t j) {
        const IdxdPool *pool = &s->policy->pools[k];
        const IdxdSolverParent *p = &s->in->parents[j];
        size_t t = (size_t) s->type_of[k * s->n_parents + j];
        uint64_t need, reserve;

        if (!under_limits(s, k, j))
                return STAGE_PARENT_LIMIT;
        if (s->new_of_type[s->type_base[j] + t] >= p->types[t].available_instances)
                return STAGE_CAPACITY;
        if (p->has_ims) {
                need = p->types[t].ims_per_instance ? p->types[t].ims_per_instance : 1;
                reserve = pool->ims_reserve != IDXD_POLICY_UNSET ? (uint64_t) pool->ims_reserve : s->in->ims_reserve;
                if (s->ims_used[j] + need + reserve > p->ims_available)
                        return STAGE_IMS_RESERVE;
        }
        return STAGE_OK;
}

/* Candidate order: the preferred NUMA node first, then fewest of this pool, fewest overall, name. */
static bool better(const Solve *s, size_t k, int numa, size_t a, size_t b) {
        const IdxdSolverParent *pa = &s->in->parents[a], *pb = &s->in->parents[b];
        size_t P = s->n_parents;
        int c;

        if (numa != IDXD_POLICY_NUMA_ANY && (pa->numa_node == numa) != (pb->numa_node == numa))
                return pa->numa_node == numa;
        if (s->pool_on_parent[k * P + a] != s->pool_on_parent[k * P + b])
                return s->pool_on_parent[k * P + a] < s->pool_on_parent[k * P + b];
        if (s->parent_total[a] != s->parent_total[b])
                return s->parent_total[a] < s->parent_total[b];
        c = strcmp(pa->name, pb->name);
        return c != 0 ? c < 0 : a < b;
}

/*
 * The parent a policy mdev is defined on, while it takes the mdev, else -1:
 * a definition without a device (its create refused or not yet done) stays
 * where it is rather than moving with the candidate order.
 */
static long defined_parent(const Solve *s, size_t a, unsigned i, size_t k) {
        const IdxdAssignment *as = &s->policy->assignments[a];
        const IdxdSolverMdev *d;
        IdxdUuid uuid;
        long j, t;

        if (s->in->n_defined == 0 || idxd_policy_uuid(as->domain, as->pool, i, &uuid) < 0)
                return -1;
        d = find_sorted(s->defined_by_uuid, s->in->n_defined, &uuid);
        if (!d || !d->parent || !d->type || (j = find_parent(s, d->parent)) < 0)
                return -1;
        t = s->type_of[k * s->n_parents + (size_t) j];
        if (t < 0 || strcmp(s->in->parents[j].types[t].id, d->type) != 0)
                return -1;
        return check_candidate(s, k, (size_t) j) == STAGE_OK ? j : -1;
}

/* Places one new mdev of pool k; returns the parent or -1 with *ret_reason. */
static long choose_parent(const Solve *s, size_t k, int numa, IdxdShortfallReason *ret_reason) {
        const IdxdPool *pool = &s->policy->pools[k];
        Stage furthest = STAGE_PARENT_LIMIT;
        bool any = false;
        long best = -1;

        if (pool->max != IDXD_POLICY_UNSET && s->pool_total[k] >= (unsigned long) pool->max) {
                *ret_reason = IDXD_SHORTFALL_POOL_LIMIT;
                return -1;
        }
        for (size_t j = 0; j < s->n_parents; j++) {
                Stage st;

                if (s->type_of[k * s->n_parents + j] < 0)
                        continue;
                any = true;
                st = check_candidate(s, k, j);
                if (st != STAGE_OK) {
                        if (st > furthest)
                                furthest = st;
                        continue;
                }
                if (best < 0 || better(s, k, numa, j, (size_t) best))
                        best = (long) j;
        }
        if (best >= 0)
                return best;
        *ret_reason = !any ? IDXD_SHORTFALL_NO_MATCH :
                furthest == STAGE_IMS_RESERVE ? IDXD_SHORTFALL_IMS_RESERVE :
                furthest == STAGE_CAPACITY ? IDXD_SHORTFALL_CAPACITY : IDXD_SHORTFALL_PARENT_LIMIT;
        return -1;
}

static int shortfall_message(const IdxdPool *pool, const IdxdAssignment *as, unsigned unmet,
                             IdxdShortfallReason reason, unsigned ims_reserve, char **ret) {
        _cleanup_free_ char *why = NULL;
        int r;

        switch (reason) {
        case IDXD_SHORTFALL_NO_MATCH:
                r = asprintf(&why, "no parent matches the pool (type \"%s\"%s%s%s)", pool->type,
                             pool->match_parent ? ", parent \"" : "", strempty(pool->match_parent),
                             pool->match_parent ? "\"" : "");
                break;
        case IDXD_SHORTFALL_POOL_LIMIT:
                r = asprintf(&why, "the pool's limit \"max\" (%ld) is reached", pool->max);
                break;
        case IDXD_SHORTFALL_PARENT_LIMIT:
                r = asprintf(&why, "every matching parent holds \"max_per_parent\" (%ld) mdevs of the pool",
                             pool->max_per_parent);
                break;
        case IDXD_SHORTFALL_CAPACITY:
                r = asprintf(&why, "no matching parent has an available instance of type \"%s\" left", pool->type);
                break;
        case IDXD_SHORTFALL_IMS_RESERVE:
                r = asprintf(&why, "more would cut into the IMS reserve (%u entries per parent)",
                             pool->ims_reserve != IDXD_POLICY_UNSET ? (unsigned) pool->ims_reserve : ims_reserve);
                break;
        default:
                r = asprintf(&why, "unknown reason");
        }
        if (r < 0)
                return -ENOMEM;
        if (asprintf(ret, "domain \"%s\": %u of %u mdevs from pool \"%s\" unmet: %s",
                     as->domain, unmet, as->count, as->pool, why) < 0)
                return -ENOMEM;
        return 0;
}

static int add_shortfall(IdxdShortfalls *sf, const Solve *s, size_t a, unsigned unmet, IdxdShortfallReason reason) {
        const IdxdAssignment *as = &s->policy->assignments[a];
        const IdxdPool *pool = idxd_policy_find_pool(s->policy, as->pool);
        IdxdShortfall *items, *it;

        items = reallocarray(sf->items, sf->n_items + 1, sizeof(IdxdShortfall));
        if (!items)
                return -ENOMEM;
        sf->items = items;
        it = &sf->items[sf->n_items++];
        *it = (IdxdShortfall) {
                .assignment = a,
                .domain = strdup(as->domain),
                .pool = strdup(as->pool),
                .wanted = as->count,
                .unmet = unmet,
                .reason = reason,
        };
        if (!it->domain || !it->pool)
                return -ENOMEM;
        return shortfall_message(pool, as, unmet, reason, s->in->ims_reserve, &it->message);
}

/* Pass 2, in policy order: first come, first served. */
static int place_new(Solve *s, IdxdShortfalls *sf) {
        for (size_t a = 0; a < s->policy->n_assignments; a++) {
                const IdxdAssignment *as = &s->policy->assignments[a];
                size_t k = pool_index(s, as->pool);
                const IdxdPool *pool;
                IdxdShortfallReason reason = IDXD_SHORTFALL_NO_MATCH;
                unsigned unmet = 0;
                int numa;

                if (k == SIZE_MAX)
                        return -EINVAL; /* the parser never lets this through */
                pool = &s->policy->pools[k];
                numa = as->prefer_numa_node != IDXD_POLICY_NUMA_ANY ? as->prefer_numa_node : pool->prefer_numa_node;

                for (unsigned i = 0; i < as->count; i++) {
                        size_t slot = s->slot_base[a] + i;
                        long j;

                        if (s->slot_parent[slot] >= 0)
                                continue;
                        j = defined_parent(s, a, i, k);
                        /* Once one slot fails, the state that failed it holds for the rest. */
                        if (j < 0)
                                j = unmet > 0 ? -1 : choose_parent(s, k, numa, &reason);
                        if (j < 0) {
                                unmet++;
                                continue;
                        }
                        place(s, slot, k, (size_t) j, false);
                }
                if (unmet > 0) {
                        int r = add_shortfall(sf, s, a, unmet, reason);

                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int build_plan(const Solve *s, IdxdPlan *plan) {
        size_t n = 0;

        for (size_t i = 0; i < s->n_slots; i++)
                n += s->slot_parent[i] >= 0;
        plan->entries = calloc(n + 1, sizeof(IdxdPlanEntry));
        plan->by_uuid = calloc(n + 1, sizeof(IdxdPlanEntry *));
        if (!plan->entries || !plan->by_uuid)
                return -ENOMEM;

        for (size_t a = 0; a < s->policy->n_assignments; a++) {
                const IdxdAssignment *as = &s->policy->assignments[a];
                size_t k = pool_index(s, as->pool);

                for (unsigned i = 0; i < as->count; i++) {
                        size_t slot = s->slot_base[a] + i;
                        IdxdPlanEntry *e;
                        long j = s->slot_parent[slot];
                        const IdxdSolverParent *p;

                        if (j < 0)
                                continue;
                        p = &s->in->parents[j];
                        e = &plan->entries[plan->n_entries++];
                        *e = (IdxdPlanEntry) {
                                .index = i,
                                .assignment = a,
                                .persistent = as->persistent,
                                .autostart = as->autostart,
                                .exists = s->slot_exists[slot],
                        };
                        if (idxd_policy_uuid(as->domain, as->pool, i, &e->uuid) < 0)
                                return -ENOMEM;
                        idxd_uuid_format(&e->uuid, e->uuid_string);
                        e->parent = strdup(p->name);
                        e->type = strdup(p->types[s->type_of[k * s->n_parents + (size_t) j]].id);
                        e->domain = strdup(as->domain);
                        e->pool = strdup(as->pool);
                        if (!e->parent || !e->type || !e->domain || !e->pool)
                                return -ENOMEM;
                }
        }
        for (size_t i = 0; i < plan->n_entries; i++)
                plan->by_uuid[i] = &plan->entries[i];
        if (plan->n_entries > 1)
                qsort(plan->by_uuid, plan->n_entries, sizeof(IdxdPlanEntry *), compare_entry_ptr);
        return 0;
}

int idxd_policy_solve(const IdxdSolverInput *input, const IdxdPolicy *policy,
                      IdxdPlan **ret_plan, IdxdShortfalls **ret_shortfalls) {
        _cleanup_(idxd_plan_freep) IdxdPlan *plan = NULL;
        _cleanup_(idxd_shortfalls_freep) IdxdShortfalls *sf = NULL;
        Solve s;
        int r;

        if (!input || !policy || !ret_plan)
                return -EINVAL;

        plan = calloc(1, sizeof(*plan));
        sf = calloc(1, sizeof(*sf));
        if (!plan || !sf)
                return -ENOMEM;

        r = solve_init(&s, input, policy);
        if (r >= 0) {
                keep_existing(&s);
                r = place_new(&s, sf);
        }
        if (r >= 0)
                r = build_plan(&s, plan);
        solve_done(&s);
        if (r < 0)
                return r;

        *ret_plan = TAKE_PTR(plan);
        if (ret_shortfalls)
                *ret_shortfalls = TAKE_PTR(sf);
        return 0;
}

int idxd_plan_actions(const IdxdPlan *plan, const IdxdSolverMdev *mdevs, size_t n_mdevs,
                      bool (*policy_made)(const IdxdUuid *uuid, void *userdata), void *userdata,
                      IdxdPlanAction **ret, size_t *ret_n) {
        _cleanup_free_ IdxdPlanAction *actions = NULL;
        size_t n = 0;

        /* at most one removal per mdev and one creation per entry */
        actions = calloc(n_mdevs + plan->n_entries + 1, sizeof(IdxdPlanAction));
        if (!actions)
                return -ENOMEM;

        for (size_t i = 0; i < n_mdevs; i++) {
                const IdxdPlanEntry *e = idxd_plan_find(plan, &mdevs[i].uuid);
                bool misplaced = e && !e->exists;

                if ((!e && policy_made && policy_made(&mdevs[i].uuid, userdata)) || misplaced)
                        actions[n++] = (IdxdPlanAction) { .action = IDXD_PLAN_REMOVE, .uuid = mdevs[i].uuid };
        }
        for (size_t i = 0; i < plan->n_entries; i++)
                if (!plan->entries[i].exists)
                        actions[n++] = (IdxdPlanAction) {
                                .action = IDXD_PLAN_CREATE,
                                .uuid = plan->entries[i].uuid,
                                .entry = &plan->entries[i],
                        };

        *ret = TAKE_PTR(actions);
        *ret_n = n;
        return 0;
}

int idxd_plan_entry_to_definition(const IdxdPlanEntry *e, IdxdDefinition **ret) {
        _cleanup_(idxd_definition_freep) IdxdDefinition *d = calloc(1, sizeof(*d));

        if (!d)
                return -ENOMEM;
        d->uuid = e->uuid;
        memcpy(d->uuid_string, e->uuid_string, sizeof(d->uuid_string));
        d->persistent = e->persistent;
        d->autostart = e->autostart;
        d->origin = IDXD_ORIGIN_POLICY;
        d->parent = strdup(e->parent);
        d->type = strdup(e->type);
        d->domain = strdup(e->domain);
        d->pool = strdup(e->pool);
        if (!d->parent || !d->type || !d->domain || !d->pool)
                return -ENOMEM;
        *ret = TAKE_PTR(d);
        return 0;
}

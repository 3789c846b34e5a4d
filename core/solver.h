/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy solver: from a snapshot of parents and existing mdevs and a
 * policy, the exact set of policy-made mdevs that should exist. Pure and
 * deterministic: the same input gives the same plan, and UUIDs come from
 * (domain, pool, index) (policy-uuid.h). Rules in docs/config.md, "Solver".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "policy.h"
#include "store.h"
#include "uuid.h"

/* The solver's own view of the host, so it does not depend on the daemon's model. */
typedef struct IdxdSolverType {
        const char *id;                 /* full type id */
        unsigned available_instances;   /* free now (sysfs) */
        unsigned ims_per_instance;      /* IMS entries one new instance takes; 0 = unknown, counted as 1 */
} IdxdSolverType;

typedef struct IdxdSolverParent {
        const char *name;
        const char *driver;             /* NULL when unbound */
        int numa_node;                  /* -1 when unknown */
        bool has_ims;
        unsigned ims_available;
        const IdxdSolverType *types;
        size_t n_types;
} IdxdSolverParent;

typedef struct IdxdSolverMdev {
        IdxdUuid uuid;
        const char *parent;
        const char *type;
} IdxdSolverMdev;

typedef struct IdxdSolverInput {
        const IdxdSolverParent *parents;
        size_t n_parents;
        const IdxdSolverMdev *mdevs;    /* mdevs that exist now, any origin */
        size_t n_mdevs;
        /*
         * Policy mdevs defined and not made (no device now): one that its
         * definition's parent still takes stays there instead of moving.
         */
        const IdxdSolverMdev *defined;
        size_t n_defined;
        unsigned ims_reserve;           /* the daemon config's default per parent */
} IdxdSolverInput;

typedef struct IdxdPlanEntry {
        IdxdUuid uuid;
        char uuid_string[IDXD_UUID_STRING_MAX];
        char *parent;
        char *type;                     /* full type id */
        char *domain;
        char *pool;
        unsigned index;                 /* 0 .. count-1 within its assignment */
        size_t assignment;              /* index into policy->assignments */
        bool persistent;
        bool autostart;
        bool exists;                    /* already exists with this parent and type: nothing to do */
} IdxdPlanEntry;

typedef struct IdxdPlan {
        IdxdPlanEntry *entries;         /* in assignment order, then index order */
        size_t n_entries;
        IdxdPlanEntry **by_uuid;        /* the same, sorted by UUID, for idxd_plan_find() */
} IdxdPlan;

typedef enum IdxdShortfallReason {
        IDXD_SHORTFALL_NO_MATCH,        /* no parent matches the pool (name, driver, NUMA node, type) */
        IDXD_SHORTFALL_POOL_LIMIT,      /* the pool's "max" is reached */
        IDXD_SHORTFALL_PARENT_LIMIT,    /* every matching parent is at "max_per_parent" */
        IDXD_SHORTFALL_CAPACITY,        /* no matching parent has an available instance left */
        IDXD_SHORTFALL_IMS_RESERVE,     /* instances left, but taking one would cut into the IMS reserve */
        _IDXD_SHORTFALL_REASON_MAX,
} IdxdShortfallReason;

typedef struct IdxdShortfall {
        size_t assignment;              /* index into policy->assignments */
        char *domain;
        char *pool;
        unsigned wanted;
        unsigned unmet;
        IdxdShortfallReason reason;
        char *message;                  /* one line for logs and idxdctl */
} IdxdShortfall;

typedef struct IdxdShortfalls {
        IdxdShortfall *items;
        size_t n_items;
} IdxdShortfalls;

const char *idxd_shortfall_reason_to_string(IdxdShortfallReason r);

IdxdPlan *idxd_plan_free(IdxdPlan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(IdxdPlan *, idxd_plan_free);
IdxdShortfalls *idxd_shortfalls_free(IdxdShortfalls *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(IdxdShortfalls *, idxd_shortfalls_free);

/* O(log n). */
const IdxdPlanEntry *idxd_plan_find(const IdxdPlan *p, const IdxdUuid *uuid);

typedef enum IdxdPlanActionType {
        IDXD_PLAN_REMOVE,               /* remove the mdev (policy-made, not or no longer where the plan has it) */
        IDXD_PLAN_CREATE,               /* create entry's mdev */
} IdxdPlanActionType;

typedef struct IdxdPlanAction {
        IdxdPlanActionType action;
        IdxdUuid uuid;
        const IdxdPlanEntry *entry;     /* CREATE: what to make; REMOVE: NULL */
} IdxdPlanAction;

/*
 * Pure: what turns the host into the plan. Removals come first (they free
 * capacity and UUIDs), then creations in plan order. An existing mdev is
 * removed when policy_made(uuid) says the policy made it and the plan does
 * not have it, or when the plan wants its UUID on another parent or type.
 * Whether a busy mdev may go is the caller's call.
 */
int idxd_plan_actions(const IdxdPlan *plan, const IdxdSolverMdev *mdevs, size_t n_mdevs,
                      bool (*policy_made)(const IdxdUuid *uuid, void *userdata), void *userdata,
                      IdxdPlanAction **ret, size_t *ret_n);

/* The definition the daemon stores for a persistent plan entry (origin policy). */
int idxd_plan_entry_to_definition(const IdxdPlanEntry *e, IdxdDefinition **ret);

/* Pure. Returns 0 (also when some assignments are unmet: see *ret_shortfalls) or -ENOMEM/-EINVAL. */
int idxd_policy_solve(const IdxdSolverInput *input, const IdxdPolicy *policy,
                      IdxdPlan **ret_plan, IdxdShortfalls **ret_shortfalls);

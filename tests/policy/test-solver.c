/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy-uuid.h"
#include "policy.h"
#include "solver-model.h"
#include "solver.h"

#define SWQ "idxd_mdev-dsa-1swq-v1"
#define DWQ "idxd_mdev-dsa-1dwq-v1"

/* A host of up to four parents; each test tweaks what it needs. */
typedef struct Host {
        IdxdSolverType types[4][2];
        IdxdSolverParent parents[4];
        IdxdSolverMdev mdevs[16];
        IdxdSolverInput input;
} Host;

static void host_init(Host *h, size_t n_parents, unsigned swq_available) {
        static const char *const names[] = { "idxd_sim.0", "idxd_sim.1", "idxd_sim.2", "idxd_sim.3" };

        *h = (Host) {};
        for (size_t j = 0; j < n_parents; j++) {
                h->types[j][0] = (IdxdSolverType) { .id = DWQ, .available_instances = 1, .ims_per_instance = 1 };
                h->types[j][1] = (IdxdSolverType) { .id = SWQ, .available_instances = swq_available, .ims_per_instance = 1 };
                h->parents[j] = (IdxdSolverParent) {
                        .name = names[j], .driver = "idxd_mdev", .numa_node = (int) (j % 2),
                        .has_ims = true, .ims_available = 4096, .types = h->types[j], .n_types = 2,
                };
        }
        h->input = (IdxdSolverInput) { .parents = h->parents, .n_parents = n_parents, .mdevs = h->mdevs };
}

static IdxdPolicy *policy_from(const char *text) {
        IdxdPolicy *p = NULL;
        char *error = NULL;

        assert_int_equal(idxd_policy_new(&p), 0);
        if (idxd_policy_parse(p, "test.json", text, strlen(text), &error) < 0)
                fail_msg("%s", error);
        return p;
}

/* "parent parent ..." of the plan, in plan order. */
static char *placement(const IdxdPlan *plan) {
        static char buf[512];

        buf[0] = 0;
        for (size_t i = 0; i < plan->n_entries; i++) {
                if (i > 0)
                        strcat(buf, " ");
                strcat(buf, plan->entries[i].parent);
        }
        return buf;
}

static void solve(const Host *h, const IdxdPolicy *p, IdxdPlan **plan, IdxdShortfalls **sf) {
        assert_int_equal(idxd_policy_solve(&h->input, p, plan, sf), 0);
}

#define POOL(extra) "{\"name\": \"dsa\", \"match\": {\"type\": \"dsa-1swq-v1\"}" extra "}"
#define ASSIGN(domain, count, extra) \
        "{\"domain\": \"" domain "\", \"pool\": \"dsa\", \"count\": " #count extra "}"

static void test_sha1_and_uuid_v5(void **state) {
        static const uint8_t abc[20] = { 0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
                                         0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d };
        static const IdxdUuid dns = { { 0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                        0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 } };
        char s[IDXD_UUID_STRING_MAX];
        uint8_t digest[20];
        IdxdSha1 sha;
        IdxdUuid u;

        idxd_sha1_init(&sha);
        idxd_sha1_update(&sha, "abc", 3);
        idxd_sha1_final(&sha, digest);
        assert_memory_equal(digest, abc, 20);

        /* Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org") */
        idxd_uuid_v5(&dns, "python.org", 10, &u);
        assert_string_equal(idxd_uuid_format(&u, s), "886313e1-3b8a-5372-9b90-0c9aee199e5d");

        /* The documented derivation (docs/config.md): never change it. */
        assert_int_equal(idxd_policy_uuid("vm1", "dsa-local", 0, &u), 0);
        assert_string_equal(idxd_uuid_format(&u, s), "c010257f-57d9-5628-8a3f-3451dea404ed");
}

static void test_spread_and_numa(void **state) {
        IdxdPlan *plan = NULL;
        IdxdShortfalls *sf = NULL;
        IdxdPolicy *p;
        Host h;

        host_init(&h, 2, 8);

        /* No preference: least used first, ties by name. */
        p = policy_from("{\"pools\": [" POOL("") "], \"assignments\": [" ASSIGN("vm1", 4, "") "]}");
        solve(&h, p, &plan, &sf);
        assert_string_equal(placement(plan), "idxd_sim.0 idxd_sim.1 idxd_sim.0 idxd_sim.1");
        assert_int_equal(sf->n_items, 0);
        for (size_t i = 0; i < plan->n_entries; i++) {
                IdxdUuid u;

                assert_int_equal(plan->entries[i].index, i);
                assert_string_equal(plan->entries[i].type, SWQ);
                assert_string_equal(plan->entries[i].domain, "vm1");
                assert_string_equal(plan->entries[i].pool, "dsa");
                assert_true(plan->entries[i].persistent);
                assert_true(plan->entries[i].autostart);
                assert_false(plan->entries[i].exists);
                assert_int_equal(idxd_policy_uuid("vm1", "dsa", (unsigned) i, &u), 0);
                assert_true(idxd_uuid_equal(&u, &plan->entries[i].uuid));
        }
        idxd_plan_free(plan);
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);

        /* The preferred NUMA node wins over spreading ... */
        p = policy_from("{\"pools\": [" POOL(", \"prefer_numa_node\": 1") "], \"assignments\": [" ASSIGN("vm1", 3, "") "]}");
        solve(&h, p, &plan, &sf);
        assert_string_equal(placement(plan), "idxd_sim.1 idxd_sim.1 idxd_sim.1");
        idxd_plan_free(plan);
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);

        /* ... until it is full; the assignment's preference overrides the pool's. */
        h.types[0][1].available_instances = 2;
        p = policy_from("{\"pools\": [" POOL(", \"prefer_numa_node\": 1") "], \"assignments\": ["
                        ASSIGN("vm1", 3, ", \"prefer_numa_node\": 0") "]}");
        solve(&h, p, &plan, &sf);
        assert_string_equal(placement(plan), "idxd_sim.0 idxd_sim.0 idxd_sim.1");
        assert_int_equal(sf->n_items, 0);
        idxd_plan_free(plan);
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);
}

static void test_match(void **state) {
        IdxdPlan *plan = NULL;
        IdxdShortfalls *sf = NULL;
        IdxdPolicy *p;
        Host h;

        host_init(&h, 4, 8);
        h.parents[3].driver = "other";

        /* glob on the name, driver, hard NUMA filter */
        p = policy_from("{\"pools\": [{\"name\": \"dsa\", \"match\": {\"parent\": \"idxd_sim.[123]\", \"driver\": \"idxd_*\","
                        " \"numa_node\": 1, \"type\": \"" SWQ "\"}}], \"assignments\": [" ASSIGN("vm1", 3, "") "]}");
        solve(&h, p, &plan, &sf);
        assert_string_equal(placement(plan), "idxd_sim.1 idxd_sim.1 idxd_sim.1");
        idxd_plan_free(plan);
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);

        /* an ambiguous type suffix matches nothing */
        h.types[0][0].id = "a-x";
        h.types[0][1].id = "b-x";
        p = policy_from("{\"pools\": [{\"name\": \"dsa\", \"match\": {\"parent\": \"idxd_sim.0\", \"type\": \"x\"}}],"
                        " \"assignments\": [" ASSIGN("vm1", 1, "") "]}");
        solve(&h, p, &plan, &sf);
        assert_int_equal(plan->n_entries, 0);
        assert_int_equal(sf->n_items, 1);
        assert_int_equal(sf->items[0].reason, IDXD_SHORTFALL_NO_MATCH);
        assert_string_equal(sf->items[0].message,
                            "domain \"vm1\": 1 of 1 mdevs from pool \"dsa\" unmet: no parent matches the pool "
                            "(type \"x\", parent \"idxd_sim.0\")");
        idxd_plan_free(plan);
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);
}

static void test_limits(void **state) {
        IdxdPlan *plan = NULL;
        IdxdShortfalls *sf = NULL;
        IdxdPolicy *p;
        Host h;

        host_init(&h, 2, 8);

        p = policy_from("{\"pools\": [" POOL(", \"limits\": {\"max\": 3}") "], \"assignments\": ["
                        ASSIGN("vm1", 2, "") "," ASSIGN("vm2", 2, "") "]}");
        solve(&h, p, &plan, &sf);
        assert_int_equal(plan->n_entries, 3);
        assert_int_equal(sf->n_items, 1);
        assert_int_equal(sf->items[0].assignment, 1);
        assert_string_equal(sf->items[0].domain, "vm2");
        assert_int_equal(sf->items[0].wanted, 2);
        assert_int_equal(sf->items[0].unmet, 1);
        assert_int_equal(sf->items[0].reason, IDXD_SHORTFALL_POOL_LIMIT);
        assert_string_equal(sf->items[0].message,
                            "domain \"vm2\": 1 of 2 mdevs from pool \"dsa\" unmet: the pool's limit \"max\" (3) is reached");
        idxd_plan_free(plan);
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);

        p = policy_from("{\"pools\": [" POOL(", \"limits\": {\"max_per_parent\": 1}") "], \"assignments\": ["
                        ASSIGN("vm1", 3, "") "]}");
        solve(&h, p, &plan, &sf);
        assert_string_equal(placement(plan), "idxd_sim.0 idxd_sim.1");
        assert_int_equal(sf->n_items, 1);
        assert_int_equal(sf->items[0].reason, IDXD_SHORTFALL_PARENT_LIMIT);
        assert_string_equal(sf->items[0].message,
                            "domain \"vm1\": 1 of 3 mdevs from pool \"dsa\" unmet: every matching parent holds "
                            "\"max_per_parent\" (1) mdevs of the pool");
        idxd_plan_free(plan);
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);
}

static void test_capacity_first_come(void **state) {
        IdxdPlan *plan = NULL;
        IdxdShortfalls *sf = NULL;
        IdxdPolicy *p;
        Host h;

        host_init(&h, 2, 1);
        p = policy_from("{\"pools\": [" POOL("") "], \"assignments\": [" ASSIGN("vm1", 1, "") "," ASSIGN("vm2", 2, "") "]}");
        solve(&h, p, &plan, &sf);
        assert_int_equal(plan->n_entries, 2);
        assert_string_equal(plan->entries[0].domain, "vm1");
        assert_string_equal(plan->entries[1].domain, "vm2");
        assert_int_equal(sf->n_items, 1);
        assert_int_equal(sf->items[0].unmet, 1);
        assert_int_equal(sf->items[0].reason, IDXD_SHORTFALL_CAPACITY);
        assert_string_equal(sf->items[0].message,
                            "domain \"vm2\": 1 of 2 mdevs from pool \"dsa\" unmet: no matching parent has an available "
                            "instance of type \"dsa-1swq-v1\" left");
        assert_string_equal(idxd_shortfall_reason_to_string(sf->items[0].reason), "capacity");
        idxd_plan_free(plan);
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);
}

static void test_ims_reserve(void **state) {
        IdxdPlan *plan = NULL;
        IdxdShortfalls *sf = NULL;
        IdxdPolicy *p;
        Host h;

        host_init(&h, 2, 8);
        h.parents[0].ims_available = 10;
        h.parents[1].ims_available = 5;
        h.types[0][1].ims_per_instance = 2;
        h.types[1][1].ims_per_instance = 0; /* unknown: counted as 1 */
        h.input.ims_reserve = 4;        /* the config's default */

        /* sim.0: 10 - 4 reserved = 6 = 3 of 2 entries; sim.1: 5 - 4 = 1 of 1 */
        p = policy_from("{\"pools\": [" POOL("") "], \"assignments\": [" ASSIGN("vm1", 6, "") "]}");
        solve(&h, p, &plan, &sf);
        assert_string_equal(placement(plan), "idxd_sim.0 idxd_sim.1 idxd_sim.0 idxd_sim.0");
        assert_int_equal(sf->n_items, 1);
        assert_int_equal(sf->items[0].unmet, 2);
        assert_int_equal(sf->items[0].reason, IDXD_SHORTFALL_IMS_RESERVE);
        assert_string_equal(sf->items[0].message,
                            "domain \"vm1\": 2 of 6 mdevs from pool \"dsa\" unmet: more would cut into the IMS reserve "
                            "(4 entries per parent)");
        idxd_plan_free(plan);
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);

        /* the pool's own reserve overrides the default */
        p = policy_from("{\"pools\": [" POOL(", \"ims_reserve\": 0") "], \"assignments\": [" ASSIGN("vm1", 6, "") "]}");
        solve(&h, p, &plan, &sf);
        assert_int_equal(plan->n_entries, 6);
        assert_int_equal(sf->n_items, 0);
        idxd_plan_free(plan);
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);

        /* a parent without IMS accounting is not limited by it */
        h.parents[0].has_ims = false;
        h.parents[1].has_ims = false;
        p = policy_from("{\"pools\": [" POOL(", \"ims_reserve\": 1000") "], \"assignments\": [" ASSIGN("vm1", 6, "") "]}");
        solve(&h, p, &plan, &sf);
        assert_int_equal(plan->n_entries, 6);
        idxd_plan_free(plan);
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);
}

static void assert_plans_equal(const IdxdPlan *a, const IdxdPlan *b) {
        assert_int_equal(a->n_entries, b->n_entries);
        for (size_t i = 0; i < a->n_entries; i++) {
                assert_true(idxd_uuid_equal(&a->entries[i].uuid, &b->entries[i].uuid));
                assert_string_equal(a->entries[i].uuid_string, b->entries[i].uuid_string);
                assert_string_equal(a->entries[i].parent, b->entries[i].parent);
                assert_string_equal(a->entries[i].type, b->entries[i].type);
                assert_string_equal(a->entries[i].domain, b->entries[i].domain);
                assert_int_equal(a->entries[i].index, b->entries[i].index);
        }
}

static void test_determinism(void **state) {
        static const char text[] = "{\"pools\": [" POOL(", \"limits\": {\"max_per_parent\": 3}") ","
                                   "{\"name\": \"ded\", \"match\": {\"type\": \"dsa-1dwq-v1\"}}],"
                                   " \"assignments\": [" ASSIGN("vm1", 4, "") "," ASSIGN("vm2", 4, "") ","
                                   "{\"domain\": \"vm3\", \"pool\": \"ded\", \"count\": 3}]}";
        IdxdPlan *a = NULL, *b = NULL, *c = NULL;
        IdxdShortfalls *sa = NULL, *sb = NULL, *sc = NULL;
        IdxdSolverParent swapped[4];
        IdxdPolicy *p = policy_from(text);
        Host h;

        host_init(&h, 4, 2);
        solve(&h, p, &a, &sa);
        solve(&h, p, &b, &sb);
        assert_plans_equal(a, b);
        assert_int_equal(sa->n_items, sb->n_items);

        /* The order parents are listed in does not matter. */
        for (size_t j = 0; j < 4; j++)
                swapped[j] = h.parents[3 - j];
        memcpy(h.parents, swapped, sizeof(swapped));
        solve(&h, p, &c, &sc);
        assert_plans_equal(a, c);
        assert_int_equal(sa->n_items, sc->n_items);
        for (size_t i = 0; i < sa->n_items; i++)
                assert_string_equal(sa->items[i].message, sc->items[i].message);

        idxd_plan_free(a);
        idxd_plan_free(b);
        idxd_plan_free(c);
        idxd_shortfalls_free(sa);
        idxd_shortfalls_free(sb);
        idxd_shortfalls_free(sc);
        idxd_policy_free(p);
}

static void test_stable_after_capacity_change(void **state) {
        IdxdPlan *first = NULL, *second = NULL;
        IdxdShortfalls *sf = NULL;
        IdxdPolicy *p;
        Host h;

        host_init(&h, 2, 8);
        p = policy_from("{\"pools\": [" POOL("") "], \"assignments\": [" ASSIGN("vm1", 3, "") "]}");
        solve(&h, p, &first, &sf);
        assert_string_equal(placement(first), "idxd_sim.0 idxd_sim.1 idxd_sim.0");
        idxd_shortfalls_free(sf);

        /* The daemon created them; sim.0 is now full and sim.1 has room: nothing moves. */
        for (size_t i = 0; i < first->n_entries; i++)
                h.mdevs[i] = (IdxdSolverMdev) { .uuid = first->entries[i].uuid, .parent = first->entries[i].parent,
                                                .type = first->entries[i].type };
        h.input.n_mdevs = first->n_entries;
        h.types[0][1].available_instances = 0;
        h.types[1][1].available_instances = 20;
        solve(&h, p, &second, &sf);
        assert_plans_equal(first, second);
        for (size_t i = 0; i < second->n_entries; i++)
                assert_true(second->entries[i].exists);
        assert_int_equal(sf->n_items, 0);
        idxd_plan_free(second);
        idxd_shortfalls_free(sf);

        /* One more: the new index goes where there is room; the first three stay. */
        idxd_policy_free(p);
        p = policy_from("{\"pools\": [" POOL("") "], \"assignments\": [" ASSIGN("vm1", 4, "") "]}");
        solve(&h, p, &second, &sf);
        assert_string_equal(placement(second), "idxd_sim.0 idxd_sim.1 idxd_sim.0 idxd_sim.1");
        assert_false(second->entries[3].exists);
        for (size_t i = 0; i < 3; i++)
                assert_true(idxd_uuid_equal(&first->entries[i].uuid, &second->entries[i].uuid));
        idxd_plan_free(second);
        idxd_shortfalls_free(sf);

        /* An mdev with the UUID on a parent the pool no longer matches is placed anew. */
        idxd_policy_free(p);
        p = policy_from("{\"pools\": [{\"name\": \"dsa\", \"match\": {\"parent\": \"idxd_sim.1\", \"type\": \"dsa-1swq-v1\"}}],"
                        " \"assignments\": [" ASSIGN("vm1", 3, "") "]}");
        solve(&h, p, &second, &sf);
        assert_string_equal(placement(second), "idxd_sim.1 idxd_sim.1 idxd_sim.1");
        assert_false(second->entries[0].exists);
        assert_true(second->entries[1].exists);
        assert_false(second->entries[2].exists);
        assert_non_null(idxd_plan_find(second, &first->entries[0].uuid));
        idxd_plan_free(second);
        idxd_shortfalls_free(sf);

        idxd_plan_free(first);
        idxd_policy_free(p);
}

/*
 * A policy mdev defined and not made (its create was refused) stays on its
 * definition's parent while that one takes it, wherever the candidate order
 * would put it now; it moves only when that parent can't take it.
 */
static void test_defined_stays(void **state) {
        IdxdSolverMdev defined[1];
        IdxdPlan *first = NULL, *second = NULL;
        IdxdShortfalls *sf = NULL;
        IdxdPolicy *p;
        Host h;

        host_init(&h, 2, 8);
        p = policy_from("{\"pools\": [" POOL("") "], \"assignments\": [" ASSIGN("vm1", 1, "") "]}");
        solve(&h, p, &first, &sf);
        assert_string_equal(placement(first), "idxd_sim.0");
        idxd_shortfalls_free(sf);

        /* Defined on sim.1 (placed there before): it stays, though sim.0 comes first now. */
        defined[0] = (IdxdSolverMdev) { .uuid = first->entries[0].uuid, .parent = "idxd_sim.1", .type = SWQ };
        h.input.defined = defined;
        h.input.n_defined = 1;
        solve(&h, p, &second, &sf);
        assert_string_equal(placement(second), "idxd_sim.1");
        assert_false(second->entries[0].exists);
        idxd_plan_free(second);
        idxd_shortfalls_free(sf);

        /* sim.1 has no room left: it moves. */
        h.types[1][1].available_instances = 0;
        solve(&h, p, &second, &sf);
        assert_string_equal(placement(second), "idxd_sim.0");
        idxd_plan_free(second);
        idxd_shortfalls_free(sf);

        /* A definition of another type, or on a parent that is gone, does not pin it. */
        h.types[1][1].available_instances = 8;
        defined[0].type = DWQ;
        solve(&h, p, &second, &sf);
        assert_string_equal(placement(second), "idxd_sim.0");
        idxd_plan_free(second);
        idxd_shortfalls_free(sf);
        defined[0] = (IdxdSolverMdev) { .uuid = first->entries[0].uuid, .parent = "idxd_sim.3", .type = SWQ };
        solve(&h, p, &second, &sf);
        assert_string_equal(placement(second), "idxd_sim.0");
        idxd_plan_free(second);
        idxd_shortfalls_free(sf);

        idxd_plan_free(first);
        idxd_policy_free(p);
}

static void test_existing_over_lowered_limit(void **state) {
        IdxdPlan *first = NULL, *second = NULL;
        IdxdShortfalls *sf = NULL;
        IdxdPolicy *p;
        Host h;

        host_init(&h, 2, 8);
        p = policy_from("{\"pools\": [" POOL("") "], \"assignments\": [" ASSIGN("vm1", 3, "") "]}");
        solve(&h, p, &first, &sf);
        assert_string_equal(placement(first), "idxd_sim.0 idxd_sim.1 idxd_sim.0");
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);
        for (size_t i = 0; i < first->n_entries; i++)
                h.mdevs[i] = (IdxdSolverMdev) { .uuid = first->entries[i].uuid, .parent = first->entries[i].parent,
                                                .type = first->entries[i].type };
        h.input.n_mdevs = first->n_entries;

        /* The limit drops to one per parent: index 2 on sim.0 is over it and not kept. */
        p = policy_from("{\"pools\": [" POOL(", \"limits\": {\"max_per_parent\": 1}") "], \"assignments\": ["
                        ASSIGN("vm1", 3, "") "]}");
        solve(&h, p, &second, &sf);
        assert_string_equal(placement(second), "idxd_sim.0 idxd_sim.1");
        assert_true(second->entries[0].exists);
        assert_true(second->entries[1].exists);
        assert_null(idxd_plan_find(second, &first->entries[2].uuid));
        assert_int_equal(sf->n_items, 1);
        assert_int_equal(sf->items[0].reason, IDXD_SHORTFALL_PARENT_LIMIT);
        idxd_plan_free(first);
        idxd_plan_free(second);
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);
}

static bool made_by_policy(const IdxdUuid *uuid, void *userdata) {
        const IdxdUuid *dropped = userdata;

        return idxd_uuid_equal(uuid, dropped);
}

static void test_actions(void **state) {
        IdxdPlan *plan = NULL;
        IdxdShortfalls *sf = NULL;
        IdxdPlanAction *actions = NULL;
        IdxdUuid u0, u1, dropped, foreign;
        IdxdPolicy *p;
        size_t n;
        Host h;

        host_init(&h, 2, 8);
        assert_int_equal(idxd_policy_uuid("vm1", "dsa", 0, &u0), 0);
        assert_int_equal(idxd_policy_uuid("vm1", "dsa", 1, &u1), 0);
        assert_int_equal(idxd_policy_uuid("vm1", "dsa", 2, &dropped), 0);
        assert_int_equal(idxd_uuid_parse("00000000-0000-4000-8000-00000000000f", &foreign), 0);
        /* index 0 in place, index 1 on a parent the pool no longer matches, index 2 dropped, one not ours */
        h.mdevs[0] = (IdxdSolverMdev) { .uuid = u0, .parent = "idxd_sim.1", .type = SWQ };
        h.mdevs[1] = (IdxdSolverMdev) { .uuid = u1, .parent = "idxd_sim.0", .type = SWQ };
        h.mdevs[2] = (IdxdSolverMdev) { .uuid = dropped, .parent = "idxd_sim.1", .type = SWQ };
        h.mdevs[3] = (IdxdSolverMdev) { .uuid = foreign, .parent = "idxd_sim.1", .type = SWQ };
        h.input.n_mdevs = 4;

        p = policy_from("{\"pools\": [{\"name\": \"dsa\", \"match\": {\"parent\": \"idxd_sim.1\", \"type\": \"dsa-1swq-v1\"}}],"
                        " \"assignments\": [" ASSIGN("vm1", 2, "") "]}");
        solve(&h, p, &plan, &sf);
        assert_int_equal(plan->n_entries, 2);
        assert_true(plan->entries[0].exists);
        assert_false(plan->entries[1].exists);

        assert_int_equal(idxd_plan_actions(plan, h.mdevs, h.input.n_mdevs, made_by_policy, &dropped, &actions, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(actions[0].action, IDXD_PLAN_REMOVE);
        assert_true(idxd_uuid_equal(&actions[0].uuid, &u1));
        assert_int_equal(actions[1].action, IDXD_PLAN_REMOVE);
        assert_true(idxd_uuid_equal(&actions[1].uuid, &dropped));
        assert_int_equal(actions[2].action, IDXD_PLAN_CREATE);
        assert_true(idxd_uuid_equal(&actions[2].uuid, &u1));
        assert_string_equal(actions[2].entry->parent, "idxd_sim.1");

        {
                IdxdDefinition *def = NULL;

                assert_int_equal(idxd_plan_entry_to_definition(actions[2].entry, &def), 0);
                assert_true(idxd_uuid_equal(&def->uuid, &u1));
                assert_string_equal(def->uuid_string, actions[2].entry->uuid_string);
                assert_string_equal(def->parent, "idxd_sim.1");
                assert_string_equal(def->type, SWQ);
                assert_string_equal(def->domain, "vm1");
                assert_string_equal(def->pool, "dsa");
                assert_int_equal(def->origin, IDXD_ORIGIN_POLICY);
                assert_true(def->persistent);
                assert_true(def->autostart);
                idxd_definition_free(def);
        }
        free(actions);

        /* without knowing what the policy made, nothing unplanned is removed */
        assert_int_equal(idxd_plan_actions(plan, h.mdevs, h.input.n_mdevs, NULL, NULL, &actions, &n), 0);
        assert_int_equal(n, 2);
        free(actions);

        idxd_plan_free(plan);
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);
}

static void test_empty(void **state) {
        IdxdPlan *plan = NULL;
        IdxdShortfalls *sf = NULL;
        IdxdPolicy *p = policy_from("{}");
        Host h;

        host_init(&h, 0, 0);
        solve(&h, p, &plan, &sf);
        assert_int_equal(plan->n_entries, 0);
        assert_int_equal(sf->n_items, 0);
        idxd_plan_free(plan);
        idxd_shortfalls_free(sf);
        idxd_policy_free(p);

        /* a pool with no parent at all */
        p = policy_from("{\"pools\": [" POOL("") "], \"assignments\": [" ASSIGN("vm1", 2, "") "]}");
        assert_int_equal(idxd_policy_solve(&h.input, p, &plan, NULL), 0);
        assert_int_equal(plan->n_entries, 0);
        idxd_plan_free(plan);
        idxd_policy_free(p);
}

static void test_snapshot_from_model(void **state) {
        static const MdevTypeInfo types[] = {
                { .id = DWQ, .available_instances = 1 },
                { .id = SWQ, .available_instances = 7 },
        };
        ParentInfo parent = {
                .name = "idxd_sim.0", .syspath = "/sys/devices/idxd_sim.0", .driver = "idxd_mdev", .numa_node = 1,
                .has_ims = true, .ims_size = 64, .ims_available = 60, .types = types, .n_types = 2,
        };
        MdevInfo mdev = { .parent = "idxd_sim.0", .type = SWQ, .syspath = "/sys/devices/idxd_sim.0/x",
                          .iommu_group = -1, .has_ims_vectors = true, .ims_vectors = 3 };
        IdxdSolverSnapshot s;
        Model *m = NULL;

        assert_int_equal(idxd_uuid_parse("00000000-0000-4000-8000-00000000000a", &mdev.uuid), 0);
        assert_int_equal(model_new(NULL, NULL, &m), 0);
        assert_int_equal(model_parent_update(m, &parent), 1);
        assert_int_equal(model_mdev_update(m, &mdev), 1);

        assert_int_equal(idxd_solver_snapshot_from_model(m, 8, &s), 0);
        assert_int_equal(s.input.n_parents, 1);
        assert_string_equal(s.input.parents[0].name, "idxd_sim.0");
        assert_string_equal(s.input.parents[0].driver, "idxd_mdev");
        assert_int_equal(s.input.parents[0].numa_node, 1);
        assert_true(s.input.parents[0].has_ims);
        assert_int_equal(s.input.parents[0].ims_available, 60);
        assert_int_equal(s.input.parents[0].n_types, 2);
        assert_int_equal(s.input.parents[0].types[1].available_instances, 7);
        assert_int_equal(s.input.parents[0].types[1].ims_per_instance, 3);
        assert_int_equal(s.input.parents[0].types[0].ims_per_instance, 0);
        assert_int_equal(s.input.n_mdevs, 1);
        assert_true(idxd_uuid_equal(&s.input.mdevs[0].uuid, &mdev.uuid));
        assert_int_equal(s.input.ims_reserve, 8);
        idxd_solver_snapshot_done(&s);
        model_free(m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sha1_and_uuid_v5),
                cmocka_unit_test(test_spread_and_numa),
                cmocka_unit_test(test_match),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_capacity_first_come),
                cmocka_unit_test(test_ims_reserve),
                cmocka_unit_test(test_determinism),
                cmocka_unit_test(test_stable_after_capacity_change),
                cmocka_unit_test(test_defined_stays),
                cmocka_unit_test(test_existing_over_lowered_limit),
                cmocka_unit_test(test_actions),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_snapshot_from_model),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

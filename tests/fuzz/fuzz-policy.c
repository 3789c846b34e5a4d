/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the JSON readers of the daemon's own files. Every input
 * goes to the config parser, the policy parser (and, when it parses, the
 * solver over a fixed host) and the definition parser (and, when it parses,
 * through a save/load round trip that must give the same text).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idxdd-config.h"
#include "policy.h"
#include "solver.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const IdxdSolverType sim_types[] = {
        { .id = "idxd_mdev-dsa-1dwq-v1", .available_instances = 4, .ims_per_instance = 2 },
        { .id = "idxd_mdev-dsa-1swq-v1", .available_instances = 16, .ims_per_instance = 1 },
};

static const IdxdSolverType other_types[] = {
        { .id = "mtty-1", .available_instances = 3 },
};

static const IdxdSolverParent parents[] = {
        { .name = "idxd_sim.0", .driver = "idxd_mdev", .numa_node = 0, .has_ims = true, .ims_available = 40,
          .types = sim_types, .n_types = 2 },
        { .name = "idxd_sim.1", .driver = "idxd_mdev", .numa_node = 1, .has_ims = true, .ims_available = 8,
          .types = sim_types, .n_types = 2 },
        { .name = "mtty", .driver = NULL, .numa_node = -1, .types = other_types, .n_types = 1 },
};

static bool always(const IdxdUuid *uuid, void *userdata) {
        return true;
}

static void fuzz_policy(const char *text, size_t size) {
        IdxdPlanAction *actions = NULL;
        size_t n_actions;
        IdxdPolicy *policy = NULL;
        IdxdPlan *plan = NULL;
        IdxdShortfalls *sf = NULL;
        IdxdSolverMdev existing = { .parent = "idxd_sim.1", .type = "idxd_mdev-dsa-1swq-v1" };
        IdxdSolverInput in = {
                .parents = parents, .n_parents = 3,
                .mdevs = &existing, .n_mdevs = 1,
                .ims_reserve = 4,
        };
        char *error = NULL;

        if (idxd_policy_new(&policy) < 0)
                abort();
        if (idxd_policy_parse(policy, "fuzz.json", text, size, &error) == 0) {
                if (error)
                        abort(); /* success never leaves a message */
                if (idxd_policy_solve(&in, policy, &plan, &sf) < 0)
                        abort();
                for (size_t i = 1; i < plan->n_entries; i++)
                        if (idxd_uuid_equal(&plan->by_uuid[i - 1]->uuid, &plan->by_uuid[i]->uuid))
                                abort(); /* a plan never holds a UUID twice */
                for (size_t i = 0; i < plan->n_entries; i++)
                        if (idxd_plan_find(plan, &plan->entries[i].uuid) != &plan->entries[i])
                                abort();
                if (idxd_plan_actions(plan, &existing, 1, always, NULL, &actions, &n_actions) < 0)
                        abort();
                free(actions);
        } else if (!error)
                abort(); /* every failure says why */
        free(error);
        idxd_plan_free(plan);
        idxd_shortfalls_free(sf);
        idxd_policy_free(policy);
}

static void fuzz_config(const char *text, size_t size) {
        IdxdConfig *c = NULL;
        char *error = NULL;

        if (idxd_config_parse("idxdd.json", text, size, &c, &error) < 0 && !error)
                abort();
        free(error);
        idxd_config_free(c);
}

static void fuzz_definition(const char *text, size_t size) {
        IdxdDefinition *d = NULL, *again = NULL;
        char *error = NULL, *json = NULL, *json2 = NULL;

        if (idxd_definition_from_json("d.json", text, size, &d, &error) < 0) {
                if (!error)
                        abort();
                free(error);
                return;
        }
        /* What we write we must read back, unchanged. */
        if (idxd_definition_to_json(d, &json) < 0 ||
            idxd_definition_from_json("d.json", json, strlen(json), &again, &error) < 0 ||
            idxd_definition_to_json(again, &json2) < 0 || strcmp(json, json2) != 0)
                abort();
        free(json);
        free(json2);
        idxd_definition_free(d);
        idxd_definition_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data;

        fuzz_config(text, size);
        fuzz_policy(text, size);
        fuzz_definition(text, size);
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy.h"
#include "store.h"

#define POOL_P "{\"name\": \"p\", \"match\": {\"type\": \"dsa-1swq-v1\"}}"

static void expect_error(const char *text, const char *expected) {
        IdxdPolicy *p = NULL;
        char *error = NULL;

        assert_int_equal(idxd_policy_new(&p), 0);
        assert_int_equal(idxd_policy_parse(p, "p.json", text, strlen(text), &error), -EBADMSG);
        assert_non_null(error);
        assert_string_equal(error, expected);
        /* a rejected file leaves the policy as it was */
        assert_int_equal(p->n_pools, 0);
        assert_int_equal(p->n_assignments, 0);
        assert_int_equal(p->n_files, 0);
        free(error);
        idxd_policy_free(p);
}

static void test_full_file(void **state) {
        static const char text[] =
                "{\n"
                "  \"comment\": \"two pools\",\n"
                "  \"defaults\": {\"persistent\": true, \"autostart\": false, \"ims_reserve\": 16},\n"
                "  \"pools\": [\n"
                "    {\"name\": \"local\", \"match\": {\"parent\": \"idxd_sim.*\", \"driver\": \"idxd*\", \"numa_node\": 1,\n"
                "     \"type\": \"dsa-1swq-v1\"}, \"prefer_numa_node\": 1, \"limits\": {\"max\": 8, \"max_per_parent\": 2}},\n"
                "    {\"name\": \"any\", \"match\": {\"type\": \"idxd_mdev-dsa-1dwq-v1\"}, \"ims_reserve\": 0}\n"
                "  ],\n"
                "  \"assignments\": [\n"
                "    {\"domain\": \"vm1\", \"pool\": \"local\", \"count\": 2},\n"
                "    {\"domain\": \"vm1\", \"pool\": \"any\", \"count\": 1, \"autostart\": true, \"prefer_numa_node\": 0},\n"
                "    {\"domain\": \"vm2\", \"pool\": \"any\", \"count\": 3, \"persistent\": false}\n"
                "  ]\n"
                "}\n";
        IdxdPolicy *p = NULL;
        char *error = NULL;

        assert_int_equal(idxd_policy_new(&p), 0);
        assert_int_equal(idxd_policy_parse(p, "p.json", text, strlen(text), &error), 0);
        assert_null(error);
        assert_int_equal(p->n_pools, 2);
        assert_string_equal(p->pools[0].name, "local");
        assert_string_equal(p->pools[0].match_parent, "idxd_sim.*");
        assert_string_equal(p->pools[0].match_driver, "idxd*");
        assert_int_equal(p->pools[0].match_numa_node, 1);
        assert_int_equal(p->pools[0].prefer_numa_node, 1);
        assert_int_equal(p->pools[0].max, 8);
        assert_int_equal(p->pools[0].max_per_parent, 2);
        assert_int_equal(p->pools[0].ims_reserve, 16);
        assert_string_equal(p->pools[0].source, "p.json:5:5");
        assert_null(p->pools[1].match_parent);
        assert_int_equal(p->pools[1].match_numa_node, IDXD_POLICY_NUMA_ANY);
        assert_int_equal(p->pools[1].max, IDXD_POLICY_UNSET);
        assert_int_equal(p->pools[1].ims_reserve, 0);

        assert_int_equal(p->n_assignments, 3);
        assert_string_equal(p->assignments[0].domain, "vm1");
        assert_int_equal(p->assignments[0].count, 2);
        assert_true(p->assignments[0].persistent);
        assert_false(p->assignments[0].autostart);
        assert_true(p->assignments[1].autostart);
        assert_int_equal(p->assignments[1].prefer_numa_node, 0);
        assert_false(p->assignments[2].persistent);
        assert_false(p->assignments[2].autostart);
        assert_int_equal(p->n_files, 1);
        idxd_policy_free(p);
}

static void test_defaults(void **state) {
        static const char not_kept[] = "{\"pools\": [" POOL_P "], \"assignments\": [{\"domain\": \"d\","
                                       " \"pool\": \"p\", \"count\": 1, \"persistent\": false}]}";
        static const char text[] = "{\"pools\": [" POOL_P "], \"assignments\": [{\"domain\": \"d\", \"pool\": \"p\", \"count\": 1}]}";
        IdxdPolicy *p = NULL;

        assert_int_equal(idxd_policy_new(&p), 0);
        assert_int_equal(idxd_policy_parse(p, "p.json", text, strlen(text), NULL), 0);
        assert_true(p->assignments[0].persistent);
        assert_true(p->assignments[0].autostart);
        assert_int_equal(p->pools[0].ims_reserve, IDXD_POLICY_UNSET);
        assert_int_equal(p->pools[0].max_per_parent, IDXD_POLICY_UNSET);
        idxd_policy_free(p);

        /* not persistent: the defaulted autostart follows */
        assert_int_equal(idxd_policy_new(&p), 0);
        assert_int_equal(idxd_policy_parse(p, "p.json", not_kept, strlen(not_kept), NULL), 0);
        assert_false(p->assignments[0].persistent);
        assert_false(p->assignments[0].autostart);
        idxd_policy_free(p);

        /* an empty policy is a policy */
        assert_int_equal(idxd_policy_new(&p), 0);
        assert_int_equal(idxd_policy_parse(p, "p.json", "{}", 2, NULL), 0);
        assert_int_equal(p->n_files, 1);
        idxd_policy_free(p);
}

static void test_bad_json(void **state) {
        expect_error("{\"pools\": [" POOL_P, "p.json:1:59: unexpected end of file (truncated JSON)");
        expect_error("", "p.json:1:1: empty file, expected a JSON object");
        expect_error("[]", "p.json:1:1: policy must be an object, not an array");
        expect_error("{\"pools\": [],\n \"pools\": []}", "p.json:2:2: duplicate key \"pools\" (first at 1:2)");
}

static void test_unknown_keys(void **state) {
        expect_error("{\"pool\": []}", "p.json:1:2: unknown key \"pool\" in policy");
        expect_error("{\"pools\": [{\"name\": \"p\", \"match\": {\"type\": \"t\"},\n  \"colour\": \"red\"}]}",
                     "p.json:2:3: unknown key \"colour\" in pool");
        expect_error("{\"pools\": [{\"name\": \"p\", \"match\": {\"type\": \"t\", \"numa\": 0}}]}",
                     "p.json:1:49: unknown key \"numa\" in match");
        expect_error("{\"pools\": [{\"name\": \"p\", \"match\": {\"type\": \"t\"}, \"limits\": {\"maximum\": 1}}]}",
                     "p.json:1:61: unknown key \"maximum\" in limits");
        expect_error("{\"pools\": [" POOL_P "], \"assignments\": [{\"domain\": \"d\", \"pool\": \"p\", \"count\": 1, \"start\": 1}]}",
                     "p.json:1:119: unknown key \"start\" in assignment");
        expect_error("{\"defaults\": {\"count\": 1}}", "p.json:1:15: unknown key \"count\" in defaults");
}

static void test_wrong_types(void **state) {
        expect_error("{\"pools\": {}}", "p.json:1:11: \"pools\" must be an array, not an object");
        expect_error("{\"pools\": [5]}", "p.json:1:12: pool must be an object, not an integer");
        expect_error("{\"pools\": [{\"name\": 5, \"match\": {\"type\": \"t\"}}]}",
                     "p.json:1:21: \"name\" must be a string, not an integer");
        expect_error("{\"pools\": [{\"name\": \"p\", \"match\": \"dsa\"}]}",
                     "p.json:1:35: match must be an object, not a string");
        expect_error("{\"pools\": [" POOL_P "], \"assignments\": [{\"domain\": \"d\", \"pool\": \"p\", \"count\": \"2\"}]}",
                     "p.json:1:116: \"count\" must be an integer, not a string");
        expect_error("{\"pools\": [" POOL_P "], \"assignments\": [{\"domain\": \"d\", \"pool\": \"p\", \"count\": 1, \"persistent\": \"yes\"}]}",
                     "p.json:1:133: \"persistent\" must be true or false, not a string");
        expect_error("{\"defaults\": {\"autostart\": 1}}", "p.json:1:28: \"autostart\" must be true or false, not an integer");
}

static void test_bad_numbers(void **state) {
        expect_error("{\"pools\": [" POOL_P "], \"assignments\": [{\"domain\": \"d\", \"pool\": \"p\", \"count\": -1}]}",
                     "p.json:1:116: \"count\" must be between 1 and 4096, not -1");
        expect_error("{\"pools\": [" POOL_P "], \"assignments\": [{\"domain\": \"d\", \"pool\": \"p\", \"count\": 0}]}",
                     "p.json:1:116: \"count\" must be between 1 and 4096, not 0");
        expect_error("{\"pools\": [" POOL_P "], \"assignments\": [{\"domain\": \"d\", \"pool\": \"p\", \"count\": 18446744073709551617}]}",
                     "p.json:1:116: \"count\" must be between 1 and 4096, not 18446744073709551617");
        expect_error("{\"pools\": [" POOL_P "], \"assignments\": [{\"domain\": \"d\", \"pool\": \"p\", \"count\": 2.5}]}",
                     "p.json:1:116: \"count\" must be an integer, not 2.5");
        expect_error("{\"pools\": [{\"name\": \"p\", \"match\": {\"type\": \"t\"}, \"limits\": {\"max\": 99999}}]}",
                     "p.json:1:68: \"max\" must be between 0 and 4096, not 99999");
        expect_error("{\"pools\": [{\"name\": \"p\", \"match\": {\"type\": \"t\", \"numa_node\": -1}}]}",
                     "p.json:1:62: \"numa_node\" must be between 0 and 1023, not -1");
        expect_error("{\"pools\": [{\"name\": \"p\", \"match\": {\"type\": \"t\"}, \"ims_reserve\": -5}]}",
                     "p.json:1:65: \"ims_reserve\" must be between 0 and 1048576, not -5");
}

static void test_semantic_errors(void **state) {
        expect_error("{\"pools\": [" POOL_P ",\n  {\"name\": \"p\", \"match\": {\"type\": \"x\"}}]}",
                     "p.json:2:12: duplicate pool name \"p\" (first defined at p.json:1:12)");
        expect_error("{\"pools\": [{\"name\": \"a b\", \"match\": {\"type\": \"t\"}}]}",
                     "p.json:1:21: pool name \"a b\" is not valid (1-64 of A-Z a-z 0-9 _ . -)");
        expect_error("{\"pools\": [{\"name\": \"p\"}]}", "p.json:1:12: pool \"p\" is missing required key \"match\"");
        expect_error("{\"pools\": [{\"match\": {\"type\": \"t\"}}]}", "p.json:1:12: pool is missing required key \"name\"");
        expect_error("{\"pools\": [{\"name\": \"p\", \"match\": {\"parent\": \"x\"}}]}",
                     "p.json:1:35: match is missing required key \"type\"");
        expect_error("{\"assignments\": [{\"domain\": \"vm1\", \"pool\": \"nope\", \"count\": 1}]}",
                     "p.json:1:44: assignment for domain \"vm1\" names unknown pool \"nope\"");
        expect_error("{\"pools\": [" POOL_P "], \"assignments\": [{\"domain\": \"d\", \"pool\": \"p\", \"count\": 1},\n"
                     " {\"domain\": \"d\", \"pool\": \"p\", \"count\": 2}]}",
                     "p.json:2:2: duplicate assignment of pool \"p\" to domain \"d\" (first at p.json:1:78)");
        expect_error("{\"pools\": [" POOL_P "], \"assignments\": [{\"domain\": \"a/b\", \"pool\": \"p\", \"count\": 1}]}",
                     "p.json:1:89: domain name \"a/b\" is not valid (1-255 characters, no '/' or control characters)");
        expect_error("{\"pools\": [" POOL_P "], \"assignments\": [{\"domain\": \"d\", \"pool\": \"p\"}]}",
                     "p.json:1:78: assignment is missing required key \"count\"");
        expect_error("{\"pools\": [" POOL_P "], \"assignments\": [{\"domain\": \"d\", \"pool\": \"p\", \"count\": 1, \"persistent\": false,"
                     " \"autostart\": true}]}",
                     "p.json:1:153: \"autostart\" needs \"persistent\": true");
}

/* A scratch directory with files; removed by the test. */
static char *make_dir(void) {
        char *dir = strdup("/tmp/test-policy-XXXXXX");

        assert_non_null(dir);
        assert_non_null(mkdtemp(dir));
        return dir;
}

static void write_file(const char *dir, const char *name, const char *text) {
        char *path = NULL;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        assert_int_equal(idxd_write_file_atomic(path, text, strlen(text), 0644), 0);
        free(path);
}

static void remove_dir(char *dir) {
        char *cmd = NULL;

        assert_true(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        free(dir);
}

static void test_load_dir(void **state) {
        char *dir = make_dir(), *error = NULL;
        IdxdPolicy *p = NULL;

        /* empty: its own errno, so the daemon can run without policy */
        assert_int_equal(idxd_policy_load_dir(dir, &p, &error), -ENODATA);
        assert_non_null(strstr(error, ": no policy files (*.json)"));
        free(error);

        /* 20- may use the pool of 10-, in name order; other names are ignored */
        write_file(dir, "20-use.json", "{\"assignments\": [{\"domain\": \"vm1\", \"pool\": \"p\", \"count\": 1}]}");
        write_file(dir, "10-pools.json", "{\"pools\": [" POOL_P "]}");
        write_file(dir, "README", "not json");
        write_file(dir, ".hidden.json", "not json");
        assert_int_equal(idxd_policy_load_dir(dir, &p, &error), 0);
        assert_null(error);
        assert_int_equal(p->n_files, 2);
        assert_int_equal(p->n_pools, 1);
        assert_int_equal(p->n_assignments, 1);
        idxd_policy_free(p);
        p = NULL;

        /* the other way round the assignment comes first and fails: the whole set is rejected */
        write_file(dir, "05-early.json", "{\"assignments\": [{\"domain\": \"vm0\", \"pool\": \"p\", \"count\": 1}]}");
        assert_int_equal(idxd_policy_load_dir(dir, &p, &error), -EBADMSG);
        assert_null(p);
        assert_non_null(strstr(error, "05-early.json:1:44: assignment for domain \"vm0\" names unknown pool \"p\""));
        free(error);
        remove_dir(dir);
}

static void test_load_unreadable(void **state) {
        char *dir = make_dir(), *error = NULL, *path = NULL, *expected = NULL;
        IdxdPolicy *p = NULL;

        write_file(dir, "10-pools.json", "{\"pools\": [" POOL_P "]}");
        /* a directory where a file should be: unreadable as a file, whoever we are */
        assert_true(asprintf(&path, "%s/20-dir.json", dir) > 0);
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(idxd_policy_load_dir(dir, &p, &error), -EISDIR);
        assert_true(asprintf(&expected, "%s: Is a directory", path) > 0);
        assert_string_equal(error, expected);
        assert_null(p);
        free(error);
        free(expected);
        free(path);

        assert_int_equal(idxd_policy_load_dir("/nonexistent/policy.d", &p, &error), -ENOENT);
        assert_string_equal(error, "/nonexistent/policy.d: No such file or directory");
        free(error);
        remove_dir(dir);
}

static void test_check_path(void **state) {
        IdxdPolicy *p = NULL;
        char *error = NULL;

        /* the shipped example must stay valid */
        assert_int_equal(idxd_policy_check_path(TEST_SOURCE_ROOT "/conf/policy.d/10-example.json", &p, &error), 0);
        assert_null(error);
        assert_int_equal(p->n_pools, 2);
        assert_int_equal(p->n_assignments, 2);
        idxd_policy_free(p);
        p = NULL;
        assert_int_equal(idxd_policy_check_path(TEST_SOURCE_ROOT "/conf/policy.d", &p, &error), 0);
        idxd_policy_free(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_file),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_bad_json),
                cmocka_unit_test(test_unknown_keys),
                cmocka_unit_test(test_wrong_types),
                cmocka_unit_test(test_bad_numbers),
                cmocka_unit_test(test_semantic_errors),
                cmocka_unit_test(test_load_dir),
                cmocka_unit_test(test_load_unreadable),
                cmocka_unit_test(test_check_path),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

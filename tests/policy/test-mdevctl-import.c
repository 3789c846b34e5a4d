/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "mdevctl-import.h"

#define UUID_A "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"
#define UUID_B "00000000-0000-4000-8000-00000000000b"

static void expect_error(const char *text, const char *expected) {
        IdxdDefinition *d = NULL;
        char *error = NULL;

        assert_int_equal(idxd_mdevctl_parse("m", "0000:6a:01.0", UUID_A, text, strlen(text), &d, &error), -EBADMSG);
        assert_null(d);
        assert_string_equal(error, expected);
        free(error);
}

static void test_parse(void **state) {
        static const char text[] =
                "{\n  \"mdev_type\": \"idxd_mdev-dsa-1swq-v1\",\n  \"start\": \"auto\",\n"
                "  \"attrs\": [{\"assign_adapter\": \"5\"}, {\"assign_domain\": \"0x47\"}]\n}\n";
        IdxdDefinition *d = NULL;
        char *error = NULL;

        assert_int_equal(idxd_mdevctl_parse("m", "0000:6a:01.0", "83B8F4F2-509F-382F-3C1E-E6BFE0FA1001",
                                            text, strlen(text), &d, &error), 0);
        assert_null(error);
        assert_string_equal(d->uuid_string, UUID_A);
        assert_string_equal(d->parent, "0000:6a:01.0");
        assert_string_equal(d->type, "idxd_mdev-dsa-1swq-v1");
        assert_true(d->persistent);
        assert_true(d->autostart);
        assert_null(d->domain);
        assert_int_equal(d->origin, IDXD_ORIGIN_MDEVCTL);
        assert_int_equal(d->n_attrs, 2);
        assert_string_equal(d->attrs[0].name, "assign_adapter");
        assert_string_equal(d->attrs[0].value, "5");
        assert_string_equal(d->attrs[1].name, "assign_domain");
        idxd_definition_free(d);

        assert_int_equal(idxd_mdevctl_parse("m", "p", UUID_A, "{\"mdev_type\": \"t\", \"start\": \"manual\"}", 37,
                                            &d, NULL), 0);
        assert_false(d->autostart);
        assert_int_equal(d->n_attrs, 0);
        idxd_definition_free(d);
}

static void test_errors(void **state) {
        IdxdDefinition *d = NULL;
        char *error = NULL;

        expect_error("{\"mdev_type\": \"t\", \"start\": \"later\"}",
                     "m:1:29: \"start\" must be \"auto\" or \"manual\", not \"later\"");
        expect_error("{\"mdev_type\": \"t\"}", "m:1:1: mdevctl definition is missing required key \"start\"");
        expect_error("{\"mdev_type\": 1, \"start\": \"auto\"}", "m:1:15: \"mdev_type\" must be a string, not an integer");
        expect_error("{\"mdev_type\": \"t\", \"start\": \"auto\", \"attr\": []}",
                     "m:1:37: unknown key \"attr\" in mdevctl definition");
        expect_error("{\"mdev_type\": \"t\", \"start\": \"auto\", \"attrs\": {}}",
                     "m:1:46: \"attrs\" must be an array, not an object");
        expect_error("{\"mdev_type\": \"t\", \"start\": \"auto\", \"attrs\": [{\"a\": \"1\", \"b\": \"2\"}]}",
                     "m:1:47: each entry of \"attrs\" must be an object with one key, not an object with more or fewer");
        expect_error("{\"mdev_type\": \"t\", \"start\": \"auto\", \"attrs\": [\"a\"]}",
                     "m:1:47: each entry of \"attrs\" must be an object with one key, not a string");
        expect_error("{\"mdev_type\": \"t\", \"start\": \"auto\", \"attrs\": [{\"../a\": \"1\"}]}",
                     "m:1:48: attribute name \"../a\" is not a file name");
        expect_error("{\"mdev_type\": \"t\", \"start\": \"auto\"", "m:1:35: unexpected end of file (truncated JSON)");

        assert_int_equal(idxd_mdevctl_parse("m", "p", "not-a-uuid", "{}", 2, &d, &error), -EBADMSG);
        assert_string_equal(error, "m: the file name is not a UUID");
        free(error);
}

static void write_file(const char *root, const char *parent, const char *uuid, const char *text) {
        char *path = NULL;
        FILE *f;

        assert_true(asprintf(&path, "%s/%s", root, parent) > 0);
        (void) mkdir(path, 0755);
        free(path);
        assert_true(asprintf(&path, "%s/%s/%s", root, parent, uuid) > 0);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        free(path);
}

static void test_load_dir(void **state) {
        char root[] = "/tmp/test-mdevctl-XXXXXX", *cmd = NULL;
        IdxdStoreLoad l = {};

        assert_non_null(mkdtemp(root));
        write_file(root, "0000:6a:01.0", UUID_A, "{\"mdev_type\": \"t\", \"start\": \"auto\", \"attrs\": []}");
        write_file(root, "0000:6a:01.0", "00000000-0000-4000-8000-00000000000c", "{\"mdev_type\": ");
        /* the same UUID under two parents: ambiguous, neither is imported */
        write_file(root, "0000:6a:01.0", UUID_B, "{\"mdev_type\": \"t\", \"start\": \"auto\"}");
        write_file(root, "0000:6b:01.0", UUID_B, "{\"mdev_type\": \"t\", \"start\": \"manual\"}");

        assert_int_equal(idxd_mdevctl_load_dir(root, &l), 0);
        assert_int_equal(l.n_definitions, 1);
        assert_string_equal(l.definitions[0]->uuid_string, UUID_A);
        assert_int_equal(l.n_errors, 2);
        for (size_t i = 0; i < l.n_errors; i++)
                assert_true(strstr(l.errors[i], "00000000-0000-4000-8000-00000000000c:1:15: unexpected end of file") ||
                            strcmp(l.errors[i], UUID_B ": duplicate UUID, defined under parents 0000:6a:01.0 and "
                                   "0000:6b:01.0; not imported") == 0);
        idxd_store_load_done(&l);

        assert_int_equal(idxd_mdevctl_load_dir("/nonexistent", &l), 0);
        assert_int_equal(l.n_definitions, 0);

        assert_true(asprintf(&cmd, "rm -rf '%s'", root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_load_dir),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

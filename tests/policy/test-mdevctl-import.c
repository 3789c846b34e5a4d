/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mdevctl import (core/mdevctl-import.c) and mdevctl's JSON shapes
 * (core/mdevctl-json.c). The fixtures are written here from mdevctl(8)'s
 * documented formats: what mdevctl 1.2 accepts is accepted, what it
 * refuses is refused with the file, the UUID and the reason.
 */
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
#include "mdevctl-json.h"
#include "tmpdir.h"

#define UUID_A "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"
#define UUID_B "00000000-0000-4000-8000-00000000000b"
#define UUID_C "00000000-0000-4000-8000-00000000000c"
#define PARENT "0000:6a:01.0"

/* Parses one file's text as <PARENT>/<UUID_A>; exactly one definition or one error comes out. */
static void parse(const char *text, IdxdStoreLoad *l) {
        *l = (IdxdStoreLoad) {};
        assert_int_equal(idxd_mdevctl_parse_file("m", PARENT, UUID_A, text, strlen(text), l), 0);
        assert_int_equal(l->n_definitions + l->n_errors, 1);
}

static void expect_error(const char *text, const char *expected) {
        IdxdStoreLoad l;

        parse(text, &l);
        assert_int_equal(l.n_errors, 1);
        assert_string_equal(l.errors[0], expected);
        idxd_store_load_done(&l);
}

/* Accepted, with n notes, the first one this. */
static void expect_note(const char *text, size_t n, const char *first) {
        IdxdStoreLoad l;

        parse(text, &l);
        assert_int_equal(l.n_definitions, 1);
        assert_false(l.definitions[0]->autostart && strstr(text, "Auto"));
        assert_int_equal(l.n_notes, n);
        assert_string_equal(l.notes[0], first);
        idxd_store_load_done(&l);
}

static void test_parse(void **state) {
        static const char text[] =
                "{\n  \"mdev_type\": \"idxd_mdev-dsa-1swq-v1\",\n  \"start\": \"auto\",\n"
                "  \"attrs\": [{\"assign_adapter\": \"5\"}, {\"assign_domain\": \"0x47\"}]\n}\n";
        IdxdStoreLoad l = {};
        IdxdDefinition *d;

        /* the file name in upper case is the same UUID */
        assert_int_equal(idxd_mdevctl_parse_file("m", PARENT, "83B8F4F2-509F-382F-3C1E-E6BFE0FA1001",
                                                 text, strlen(text), &l), 0);
        assert_int_equal(l.n_errors, 0);
        assert_int_equal(l.n_notes, 0);
        d = l.definitions[0];
        assert_string_equal(d->uuid_string, UUID_A);
        assert_string_equal(d->parent, PARENT);
        assert_string_equal(d->type, "idxd_mdev-dsa-1swq-v1");
        assert_string_equal(d->source, "m");
        assert_true(d->persistent);
        assert_true(d->autostart);
        assert_null(d->domain);
        assert_int_equal(d->origin, IDXD_ORIGIN_MDEVCTL);
        assert_int_equal(d->n_attrs, 2);
        assert_string_equal(d->attrs[0].name, "assign_adapter");
        assert_string_equal(d->attrs[0].value, "5");
        assert_string_equal(d->attrs[1].name, "assign_domain");
        idxd_store_load_done(&l);

        parse("{\"mdev_type\": \"t\", \"start\": \"manual\"}", &l);
        assert_false(l.definitions[0]->autostart);
        assert_int_equal(l.definitions[0]->n_attrs, 0);
        idxd_store_load_done(&l);
}

/* What mdevctl takes and idxdctl import once refused. */
static void test_accepts_what_mdevctl_accepts(void **state) {
        IdxdStoreLoad l;
        IdxdUuid u;

        /* a name repeats (vfio-ap), in order */
        parse("{\"mdev_type\": \"vfio_ap-passthrough\", \"start\": \"manual\", \"attrs\": ["
              "{\"assign_adapter\": \"5\"}, {\"assign_adapter\": \"6\"}, {\"assign_domain\": \"0xab\"},"
              "{\"assign_control_domain\": \"0xab\"}, {\"assign_domain\": \"4\"}]}", &l);
        assert_int_equal(l.definitions[0]->n_attrs, 5);
        assert_string_equal(l.definitions[0]->attrs[1].name, "assign_adapter");
        assert_string_equal(l.definitions[0]->attrs[1].value, "6");
        assert_string_equal(l.definitions[0]->attrs[4].value, "4");
        idxd_store_load_done(&l);

        /* "attrs": null is no attributes */
        parse("{\"mdev_type\": \"t\", \"start\": \"auto\", \"attrs\": null}", &l);
        assert_int_equal(l.definitions[0]->n_attrs, 0);
        assert_int_equal(l.n_notes, 0);
        idxd_store_load_done(&l);

        /* unknown keys are ignored, and said */
        expect_note("{\"mdev_type\": \"t\", \"start\": \"auto\", \"comment\": \"gpu for vm1\", \"x\": [1]}", 2,
                    "m:1:37: mdev " UUID_A " on parent " PARENT ": unknown key \"comment\" ignored, as mdevctl does");

        /* mdevctl starts only "auto" by itself: "Auto" is manual there, and here */
        expect_note("{\"mdev_type\": \"t\", \"start\": \"Auto\"}", 1,
                    "m:1:29: mdev " UUID_A " on parent " PARENT
                    ": \"start\" is \"Auto\", which mdevctl starts manually: imported as manual");
        parse("{\"mdev_type\": \"t\", \"start\": 1}", &l);
        assert_false(l.definitions[0]->autostart);
        idxd_store_load_done(&l);

        /* a repeated key: the last one counts, as in serde_json */
        parse("{\"mdev_type\": \"a\", \"start\": \"manual\", \"mdev_type\": \"b\"}", &l);
        assert_string_equal(l.definitions[0]->type, "b");
        idxd_store_load_done(&l);

        /* the UUID forms mdevctl's parser takes */
        assert_int_equal(idxd_mdevctl_uuid_parse("83b8f4f2509f382f3c1ee6bfe0fa1001", &u), 0);
        assert_int_equal(idxd_mdevctl_uuid_parse("urn:uuid:" UUID_A, &u), 0);
        assert_int_equal(idxd_mdevctl_uuid_parse(UUID_A "~", &u), -EINVAL);
        assert_int_equal(idxd_mdevctl_uuid_parse("README", &u), -EINVAL);
}

/* What mdevctl refuses (or stops on): refused, naming the file, the UUID and the reason. */
static void test_refuses_what_mdevctl_refuses(void **state) {
        IdxdStoreLoad l = {};

        expect_error("{\"mdev_type\": \"t\"}",
                     "m:1:1: mdev " UUID_A " on parent " PARENT ": \"start\" is missing");
        expect_error("{\"mdev_type\": \"t\", \"start\": null}",
                     "m:1:1: mdev " UUID_A " on parent " PARENT ": \"start\" is missing");
        expect_error("{\"start\": \"auto\"}",
                     "m:1:1: mdev " UUID_A " on parent " PARENT ": \"mdev_type\" is missing");
        expect_error("{\"mdev_type\": 1, \"start\": \"auto\"}",
                     "m:1:15: mdev " UUID_A " on parent " PARENT ": \"mdev_type\" must be a string, not an integer");
        expect_error("{\"mdev_type\": \"t\", \"start\": \"auto\", \"attrs\": {}}",
                     "m:1:46: mdev " UUID_A " on parent " PARENT ": \"attrs\" must be an array, not an object");
        expect_error("{\"mdev_type\": \"t\", \"start\": \"auto\", \"attrs\": [{\"a\": \"1\", \"b\": \"2\"}]}",
                     "m:1:47: mdev " UUID_A " on parent " PARENT
                     ": each entry of \"attrs\" must be an object with one key, not an object with more or fewer");
        expect_error("{\"mdev_type\": \"t\", \"start\": \"auto\", \"attrs\": [\"a\"]}",
                     "m:1:47: mdev " UUID_A " on parent " PARENT
                     ": each entry of \"attrs\" must be an object with one key, not a string");
        expect_error("{\"mdev_type\": \"t\", \"start\": \"auto\", \"attrs\": [{\"a\": 5}]}",
                     "m:1:53: mdev " UUID_A " on parent " PARENT ": \"a\" must be a string, not an integer");
        /* mdevctl would write it outside the device's directory: never */
        expect_error("{\"mdev_type\": \"t\", \"start\": \"auto\", \"attrs\": [{\"../a\": \"1\"}]}",
                     "m:1:48: mdev " UUID_A " on parent " PARENT ": attribute name \"../a\" is not a file name");
        expect_error("[]", "m:1:1: mdev " UUID_A " on parent " PARENT ": a definition must be an object, not an array");
        expect_error("{\"mdev_type\": \"t\", \"start\": \"auto\"",
                     "m:1:35: mdev " UUID_A " on parent " PARENT ": unexpected end of file (truncated JSON)");
        expect_error("", "m:1:1: mdev " UUID_A " on parent " PARENT ": empty file, expected a JSON object");

        assert_int_equal(idxd_mdevctl_parse_file("m", "p", "not-a-uuid", "{}", 2, &l), 0);
        assert_string_equal(l.errors[0], "m: the file name is not a UUID");
        idxd_store_load_done(&l);
}

static void write_file(const char *root, const char *dir, const char *name, const char *text) {
        char *path = NULL;
        FILE *f;

        if (dir) {
                assert_true(asprintf(&path, "%s/%s", root, dir) > 0);
                (void) mkdir(path, 0755);
                free(path);
        }
        assert_true(asprintf(&path, "%s/%s%s%s", root, dir ? dir : "", dir ? "/" : "", name) > 0);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        free(path);
}

static bool has_line(char **lines, size_t n, const char *part) {
        for (size_t i = 0; i < n; i++)
                if (strstr(lines[i], part))
                        return true;
        return false;
}

/* A directory as mdevctl leaves it: definitions, its scripts.d, and what people drop in it. */
static void test_load_dir(void **state) {
        char *root = tmp_dir_new("test-mdevctl"), *path = NULL;
        IdxdStoreLoad l = {};

        write_file(root, PARENT, UUID_A, "{\"mdev_type\": \"t\", \"start\": \"auto\", \"attrs\": []}");
        write_file(root, PARENT, UUID_C, "{\"mdev_type\": ");
        /* the same UUID under two parents: two definitions, as in mdevctl */
        write_file(root, PARENT, UUID_B, "{\"mdev_type\": \"t\", \"start\": \"auto\"}");
        write_file(root, "0000:6b:01.0", UUID_B, "{\"mdev_type\": \"t\", \"start\": \"manual\"}");
        write_file(root, "0000:6b:01.0", UUID_B "~", "{\"mdev_type\": \"t\", \"start\": \"manual\"}");
        write_file(root, "0000:6b:01.0", "README", "notes");
        write_file(root, NULL, "README", "notes");
        write_file(root, "scripts.d", "x", "");
        assert_true(asprintf(&path, "%s/scripts.d/callouts", root) > 0);
        assert_int_equal(mkdir(path, 0755), 0);
        free(path);

        assert_int_equal(idxd_mdevctl_load(root, &l), 0);
        assert_int_equal(l.n_definitions, 3);
        assert_string_equal(l.definitions[0]->uuid_string, UUID_B);
        assert_string_equal(l.definitions[0]->parent, PARENT);
        assert_true(l.definitions[0]->autostart);
        assert_string_equal(l.definitions[1]->uuid_string, UUID_B);
        assert_string_equal(l.definitions[1]->parent, "0000:6b:01.0");
        assert_false(l.definitions[1]->autostart);
        assert_string_equal(l.definitions[2]->uuid_string, UUID_A);
        assert_int_equal(l.n_errors, 1);
        assert_non_null(strstr(l.errors[0], "/" PARENT "/" UUID_C ":1:15: mdev " UUID_C " on parent " PARENT
                               ": unexpected end of file"));
        assert_int_equal(l.n_notes, 4);
        assert_true(has_line(l.notes, l.n_notes, "/0000:6b:01.0/" UUID_B "~: the name is not a UUID, skipped"));
        assert_true(has_line(l.notes, l.n_notes, "/0000:6b:01.0/README: the name is not a UUID, skipped"));
        assert_true(has_line(l.notes, l.n_notes, "/README: not a parent directory, skipped"));
        assert_true(has_line(l.notes, l.n_notes, "/scripts.d: callout and notifier scripts are not imported"));
        idxd_store_load_done(&l);

        /* one file of it */
        assert_true(asprintf(&path, "%s/0000:6b:01.0/" UUID_B, root) > 0);
        assert_int_equal(idxd_mdevctl_load(path, &l), 0);
        assert_int_equal(l.n_definitions, 1);
        assert_string_equal(l.definitions[0]->parent, "0000:6b:01.0");
        idxd_store_load_done(&l);
        free(path);

        /* a path that is not there is an error, not an empty import */
        assert_int_equal(idxd_mdevctl_load("/nonexistent/mdevctl.d", &l), -ENOENT);
        tmp_dir_remove(root);
}

/* `mdevctl list --dumpjson` output saved to a file. */
static void test_load_dump(void **state) {
        char *root = tmp_dir_new("test-mdevctl"), *path = NULL;
        IdxdStoreLoad l = {};

        write_file(root, NULL, "dump.json",
                   "[\n  {\n    \"" PARENT "\": [\n      {\n        \"" UUID_A "\": {\n"
                   "          \"mdev_type\": \"idxd_mdev-dsa-1swq-v1\",\n          \"start\": \"auto\",\n"
                   "          \"attrs\": [{\"a\": \"1\"}, {\"a\": \"2\"}]\n        }\n      },\n"
                   "      { \"" UUID_B "\": { \"mdev_type\": \"t\" } },\n"
                   "      { \"nope\": {} }\n    ],\n"
                   "    \"matrix\": [ { \"" UUID_B "\": { \"mdev_type\": \"vfio_ap-passthrough\", \"start\": \"manual\" } } ]\n"
                   "  }\n]\n");
        assert_true(asprintf(&path, "%s/dump.json", root) > 0);
        assert_int_equal(idxd_mdevctl_load(path, &l), 0);
        assert_int_equal(l.n_definitions, 2);
        assert_string_equal(l.definitions[0]->uuid_string, UUID_B);
        assert_string_equal(l.definitions[0]->parent, "matrix");
        assert_string_equal(l.definitions[1]->uuid_string, UUID_A);
        assert_int_equal(l.definitions[1]->n_attrs, 2);
        assert_true(l.definitions[1]->autostart);
        assert_int_equal(l.n_errors, 2);
        assert_true(has_line(l.errors, l.n_errors, "dump.json:11:49: mdev " UUID_B " on parent " PARENT
                             ": \"start\" is missing"));
        assert_true(has_line(l.errors, l.n_errors, "dump.json:12:7: parent " PARENT
                             ": each mdev must be an object with one key, its UUID"));
        idxd_store_load_done(&l);
        free(path);

        /* no devices at all is an empty list */
        write_file(root, NULL, "empty.json", "[]\n");
        assert_true(asprintf(&path, "%s/empty.json", root) > 0);
        assert_int_equal(idxd_mdevctl_load(path, &l), 0);
        assert_int_equal(l.n_definitions + l.n_errors, 0);
        idxd_store_load_done(&l);
        free(path);
        tmp_dir_remove(root);
}

static void test_jsonfile(void **state) {
        static const char text[] = "{\"mdev_type\": \"idxd_mdev-dsa-1dwq-v1\", \"start\": \"auto\", \"attrs\": [{\"x\": \"1\"}]}";
        IdxdDefinition *d = NULL;
        char *error = NULL;

        assert_int_equal(idxd_mdevctl_parse_jsonfile("/dev/stdin", text, strlen(text), &d, &error), 0);
        assert_string_equal(d->type, "idxd_mdev-dsa-1dwq-v1");
        assert_true(d->autostart);
        assert_int_equal(d->n_attrs, 1);
        idxd_definition_free(d);
        d = NULL;
        assert_int_equal(idxd_mdevctl_parse_jsonfile("f", "{\"start\": \"auto\"}", 17, &d, &error), -EBADMSG);
        assert_string_equal(error, "f:1:1: \"mdev_type\" is missing");
        free(error);
}

static IdxdDefinition *device(const char *uuid, const char *parent, const char *type, bool autostart) {
        IdxdDefinition *d = calloc(1, sizeof(*d));

        assert_non_null(d);
        assert_int_equal(idxd_uuid_parse(uuid, &d->uuid), 0);
        idxd_uuid_format(&d->uuid, d->uuid_string);
        d->parent = strdup(parent);
        d->type = strdup(type);
        d->autostart = autostart;
        return d;
}

/* The shapes libvirt parses, as mdevctl 1.2 prints them (serde_json, two-space indent). */
static void test_json_shapes(void **state) {
        IdxdDefinition *a = device(UUID_A, PARENT, "idxd_mdev-dsa-1swq-v1", true);
        IdxdDefinition *b = device(UUID_B, PARENT, "idxd_mdev-dsa-1dwq-v1", false);
        IdxdDefinition *c = device(UUID_C, "idxd_sim.0", "idxd_mdev-dsa-1swq-v1", false);
        IdxdDefinition *list[] = { a, c, b };
        MdevctlType types[] = {
                { "idxd_sim.0", "idxd_mdev-dsa-1swq-v1", 7, "vfio-pci", "dsa-1swq-v1", "a slice\nof a shared WQ\n" },
                { "idxd_sim.0", "idxd_mdev-dsa-1dwq-v1", 0, "vfio-pci", NULL, NULL },
        };
        char *text = NULL;

        assert_int_equal(idxd_definition_add_attr(b, "assign_adapter", "5"), 0);
        assert_int_equal(idxd_definition_add_attr(b, "quote", "say \"hi\"\n"), 0);

        assert_int_equal(mdevctl_json_list(list, 0, &text), 0);
        assert_string_equal(text, "[]");
        free(text);

        assert_int_equal(mdevctl_json_list(list, 3, &text), 0);
        assert_string_equal(text,
                "[\n"
                "  {\n"
                "    \"" PARENT "\": [\n"
                "      {\n"
                "        \"" UUID_B "\": {\n"
                "          \"mdev_type\": \"idxd_mdev-dsa-1dwq-v1\",\n"
                "          \"start\": \"manual\",\n"
                "          \"attrs\": [\n"
                "            {\n"
                "              \"assign_adapter\": \"5\"\n"
                "            },\n"
                "            {\n"
                "              \"quote\": \"say \\\"hi\\\"\\n\"\n"
                "            }\n"
                "          ]\n"
                "        }\n"
                "      },\n"
                "      {\n"
                "        \"" UUID_A "\": {\n"
                "          \"mdev_type\": \"idxd_mdev-dsa-1swq-v1\",\n"
                "          \"start\": \"auto\",\n"
                "          \"attrs\": []\n"
                "        }\n"
                "      }\n"
                "    ],\n"
                "    \"idxd_sim.0\": [\n"
                "      {\n"
                "        \"" UUID_C "\": {\n"
                "          \"mdev_type\": \"idxd_mdev-dsa-1swq-v1\",\n"
                "          \"start\": \"manual\",\n"
                "          \"attrs\": []\n"
                "        }\n"
                "      }\n"
                "    ]\n"
                "  }\n"
                "]");
        free(text);

        /* a callout's standard input: compact */
        assert_int_equal(mdevctl_json_config_text(b, false, &text), 0);
        assert_string_equal(text, "{\"mdev_type\":\"idxd_mdev-dsa-1dwq-v1\",\"start\":\"manual\","
                            "\"attrs\":[{\"assign_adapter\":\"5\"},{\"quote\":\"say \\\"hi\\\"\\n\"}]}");
        free(text);

        assert_int_equal(mdevctl_json_types(types, 2, &text), 0);
        assert_string_equal(text,
                "[\n"
                "  {\n"
                "    \"idxd_sim.0\": [\n"
                "      {\n"
                "        \"idxd_mdev-dsa-1dwq-v1\": {\n"
                "          \"available_instances\": 0,\n"
                "          \"device_api\": \"vfio-pci\"\n"
                "        }\n"
                "      },\n"
                "      {\n"
                "        \"idxd_mdev-dsa-1swq-v1\": {\n"
                "          \"available_instances\": 7,\n"
                "          \"device_api\": \"vfio-pci\",\n"
                "          \"name\": \"dsa-1swq-v1\",\n"
                "          \"description\": \"a slice, of a shared WQ\"\n"
                "        }\n"
                "      }\n"
                "    ]\n"
                "  }\n"
                "]");
        free(text);

        /* control characters as \u00xx, lower-case hex; '/' as it is */
        idxd_definition_free(c);
        c = device(UUID_C, "p", "a/b\x01", false);
        assert_int_equal(mdevctl_json_config_text(c, false, &text), 0);
        assert_string_equal(text, "{\"mdev_type\":\"a/b\\u0001\",\"start\":\"manual\",\"attrs\":[]}");
        free(text);

        idxd_definition_free(a);
        idxd_definition_free(b);
        idxd_definition_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_accepts_what_mdevctl_accepts),
                cmocka_unit_test(test_refuses_what_mdevctl_refuses),
                cmocka_unit_test(test_load_dir),
                cmocka_unit_test(test_load_dump),
                cmocka_unit_test(test_jsonfile),
                cmocka_unit_test(test_json_shapes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

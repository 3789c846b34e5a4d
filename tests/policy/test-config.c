/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "idxdd-config.h"

static void expect_error(const char *text, const char *expected) {
        IdxdConfig *c = NULL;
        char *error = NULL;

        assert_int_equal(idxd_config_parse("idxdd.json", text, strlen(text), &c, &error), -EBADMSG);
        assert_null(c);
        assert_string_equal(error, expected);
        free(error);
}

static void test_defaults(void **state) {
        IdxdConfig *c = NULL;
        char *error = NULL;

        assert_int_equal(idxd_config_parse("idxdd.json", "{}", 2, &c, &error), 0);
        assert_string_equal(c->group, IDXD_DEFAULT_GROUP);
        assert_string_equal(c->libvirt_uri, "qemu:///system");
        assert_string_equal(c->state_dir, IDXD_DEFAULT_STATE_DIR);
        assert_string_equal(c->policy_dir, IDXD_DEFAULT_CONFIG_DIR "/policy.d");
        assert_int_equal(c->log_level, IDXD_LOG_INFO);
        assert_int_equal(c->ims_reserve, 0);
        assert_int_equal(c->creates_in_flight, IDXD_DEFAULT_CREATES_IN_FLIGHT);
        assert_int_equal(c->on_domain_undefined, IDXD_ON_UNDEFINED_KEEP);
        idxd_config_free(c);

        /* no file: defaults */
        assert_int_equal(idxd_config_load("/nonexistent/idxdd.json", &c, &error), 0);
        assert_null(error);
        assert_string_equal(c->libvirt_uri, "qemu:///system");
        idxd_config_free(c);

        /* the shipped example parses */
        assert_int_equal(idxd_config_load(TEST_SOURCE_ROOT "/conf/idxdd.json", &c, &error), 0);
        assert_null(error);
        idxd_config_free(c);
}

static void test_values(void **state) {
        static const char text[] = "{\"comment\": \"x\", \"group\": \"kvm-ops\", \"libvirt_uri\": \"qemu:///embed\","
                                   " \"state_dir\": \"/run/x\", \"policy_dir\": \"/etc/x/p\", \"log_level\": \"debug\","
                                   " \"ims_reserve\": 128, \"on_domain_undefined\": \"release\", \"creates_in_flight\": 8}";
        IdxdConfig *c = NULL;

        assert_int_equal(idxd_config_parse("idxdd.json", text, strlen(text), &c, NULL), 0);
        assert_string_equal(c->group, "kvm-ops");
        assert_string_equal(c->libvirt_uri, "qemu:///embed");
        assert_string_equal(c->state_dir, "/run/x");
        assert_string_equal(c->policy_dir, "/etc/x/p");
        assert_int_equal(c->log_level, IDXD_LOG_DEBUG);
        assert_string_equal(idxd_log_level_to_string(c->log_level), "debug");
        assert_int_equal(c->ims_reserve, 128);
        assert_int_equal(c->creates_in_flight, 8);
        assert_int_equal(c->on_domain_undefined, IDXD_ON_UNDEFINED_RELEASE);
        assert_string_equal(idxd_on_undefined_to_string(c->on_domain_undefined), "release");
        idxd_config_free(c);

        assert_int_equal(idxd_config_parse("idxdd.json", "{\"on_domain_undefined\": \"keep\"}",
                                           strlen("{\"on_domain_undefined\": \"keep\"}"), &c, NULL), 0);
        assert_int_equal(c->on_domain_undefined, IDXD_ON_UNDEFINED_KEEP);
        idxd_config_free(c);
}

static void test_errors(void **state) {
        expect_error("{\"grup\": \"x\"}", "idxdd.json:1:2: unknown key \"grup\" in config");
        expect_error("{\"group\": \"Bad Group\"}", "idxdd.json:1:11: \"group\" is not a valid group name: \"Bad Group\"");
        expect_error("{\"group\": 0}", "idxdd.json:1:11: \"group\" must be a string, not an integer");
        expect_error("{\"state_dir\": \"var/lib\"}", "idxdd.json:1:15: \"state_dir\" must be an absolute path, not \"var/lib\"");
        expect_error("{\"libvirt_uri\": \"system\"}", "idxdd.json:1:17: \"libvirt_uri\" is not a URI: \"system\"");
        expect_error("{\"log_level\": \"loud\"}",
                     "idxdd.json:1:15: \"log_level\" must be one of error, warning, notice, info, debug, not \"loud\"");
        expect_error("{\n  \"on_domain_undefined\": \"destroy\"}",
                     "idxdd.json:2:26: \"on_domain_undefined\" must be one of keep, release, not \"destroy\"");
        expect_error("{\"on_domain_undefined\": \"Release\"}",
                     "idxdd.json:1:25: \"on_domain_undefined\" must be one of keep, release, not \"Release\"");
        expect_error("{\"on_domain_undefined\": true}",
                     "idxdd.json:1:25: \"on_domain_undefined\" must be a string, not a boolean");
        expect_error("{\"creates_in_flight\": 0}", "idxdd.json:1:23: \"creates_in_flight\" must be between 1 and 1024, not 0");
        expect_error("{\"creates_in_flight\": \"many\"}", "idxdd.json:1:23: \"creates_in_flight\" must be an integer, not a string");
        expect_error("{\"ims_reserve\": -1}", "idxdd.json:1:17: \"ims_reserve\" must be between 0 and 1048576, not -1");
        expect_error("{\"ims_reserve\": 4096,\n \"ims_reserve\": 0}", "idxdd.json:2:2: duplicate key \"ims_reserve\" (first at 1:2)");
        expect_error("{\"log_level\": \"info\"", "idxdd.json:1:21: unexpected end of file (truncated JSON)");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "idxd-bus.h"
#include "uuid.h"

#define TEXT "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"

static void test_parse_format_round_trip(void **state) {
        char s[IDXD_UUID_STRING_MAX];
        IdxdUuid u;

        assert_int_equal(idxd_uuid_parse(TEXT, &u), 0);
        assert_int_equal(u.bytes[0], 0x83);
        assert_int_equal(u.bytes[15], 0x01);
        assert_string_equal(idxd_uuid_format(&u, s), TEXT);
}

static void test_parse_any_case(void **state) {
        char s[IDXD_UUID_STRING_MAX];
        IdxdUuid upper, lower;

        assert_int_equal(idxd_uuid_parse("83B8F4F2-509F-382F-3C1E-E6BFE0FA1001", &upper), 0);
        assert_int_equal(idxd_uuid_parse(TEXT, &lower), 0);
        assert_true(idxd_uuid_equal(&upper, &lower));
        assert_int_equal(idxd_uuid_normalize("83B8f4F2-509f-382F-3c1E-E6BFE0FA1001", s), 0);
        assert_string_equal(s, TEXT);
}

static void test_parse_rejects_malformed(void **state) {
        static const char *const bad[] = {
                "",
                "bad",
                "83b8f4f2-509f-382f-3c1e-e6bfe0fa100",          /* short */
                "83b8f4f2-509f-382f-3c1e-e6bfe0fa10011",        /* long */
                "83b8f4f2_509f_382f_3c1e_e6bfe0fa1001",         /* path element, not text */
                "83b8f4f2-509f-382f-3c1e-e6bfe0fa100g",         /* not hex */
                "83b8f4f2509f-382f-3c1e-e6bfe0fa1001-",         /* dash misplaced */
                "{83b8f4f2-509f-382f-3c1e-e6bfe0fa1001}",
                " 83b8f4f2-509f-382f-3c1e-e6bfe0fa1001",
                "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001\n",
        };
        IdxdUuid u;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(idxd_uuid_parse(bad[i], &u), -EINVAL);
        assert_int_equal(idxd_uuid_parse(NULL, &u), -EINVAL);
}

static void test_path_element(void **state) {
        char element[IDXD_UUID_STRING_MAX];
        char *path = NULL;
        IdxdUuid u, back;

        assert_int_equal(idxd_uuid_parse(TEXT, &u), 0);
        assert_string_equal(idxd_uuid_to_path_element(&u, element), "83b8f4f2_509f_382f_3c1e_e6bfe0fa1001");
        assert_int_equal(idxd_uuid_from_path_element(element, &back), 0);
        assert_true(idxd_uuid_equal(&u, &back));
        assert_int_equal(idxd_uuid_from_path_element(TEXT, &back), -EINVAL);

        assert_int_equal(idxd_uuid_to_object_path(&u, &path), 0);
        assert_string_equal(path, IDXD_MDEV_PATH_PREFIX "/83b8f4f2_509f_382f_3c1e_e6bfe0fa1001");
        assert_int_equal(idxd_uuid_from_object_path(path, &back), 0);
        assert_true(idxd_uuid_equal(&u, &back));
        free(path);

        assert_int_equal(idxd_uuid_from_object_path(IDXD_MDEV_PATH_PREFIX, &back), -EINVAL);
        assert_int_equal(idxd_uuid_from_object_path("/org/idxd/Manager1/mdevX/83b8f4f2_509f_382f_3c1e_e6bfe0fa1001", &back), -EINVAL);
        assert_int_equal(idxd_uuid_from_object_path("/other/83b8f4f2_509f_382f_3c1e_e6bfe0fa1001", &back), -EINVAL);
}

static void test_generate_v4(void **state) {
        char s[IDXD_UUID_STRING_MAX];
        IdxdUuid a, b, parsed;

        assert_int_equal(idxd_uuid_generate(&a), 0);
        assert_int_equal(idxd_uuid_generate(&b), 0);
        assert_false(idxd_uuid_equal(&a, &b));
        assert_int_equal(a.bytes[6] >> 4, 4);
        assert_int_equal(a.bytes[8] & 0xc0, 0x80);
        idxd_uuid_format(&a, s);
        assert_int_equal(s[14], '4');
        assert_int_equal(idxd_uuid_parse(s, &parsed), 0);
        assert_true(idxd_uuid_equal(&a, &parsed));
        assert_false(idxd_uuid_is_null(&a));
}

static void test_compare(void **state) {
        IdxdUuid a, b, null = {};

        assert_int_equal(idxd_uuid_parse("00000000-0000-0000-0000-000000000001", &a), 0);
        assert_int_equal(idxd_uuid_parse("00000000-0000-0000-0000-000000000002", &b), 0);
        assert_true(idxd_uuid_compare(&a, &b) < 0);
        assert_true(idxd_uuid_compare(&b, &a) > 0);
        assert_int_equal(idxd_uuid_compare(&a, &a), 0);
        assert_true(idxd_uuid_is_null(&null));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_format_round_trip),
                cmocka_unit_test(test_parse_any_case),
                cmocka_unit_test(test_parse_rejects_malformed),
                cmocka_unit_test(test_path_element),
                cmocka_unit_test(test_generate_v4),
                cmocka_unit_test(test_compare),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

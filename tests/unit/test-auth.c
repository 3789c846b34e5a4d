/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth.h"

#define GROUP 990

static void test_root_always(void **state) {
        assert_true(auth_allowed(0, 0, NULL, 0, false, 0));
        assert_true(auth_allowed(0, 1000, NULL, 0, true, GROUP));
}

static void test_group_member(void **state) {
        const gid_t others[] = { 100, 27 };
        const gid_t with_group[] = { 100, GROUP };

        /* Primary (effective) group or a supplementary one. */
        assert_true(auth_allowed(1000, GROUP, NULL, 0, true, GROUP));
        assert_true(auth_allowed(1000, 1000, with_group, 2, true, GROUP));
        assert_false(auth_allowed(1000, 1000, others, 2, true, GROUP));
        assert_false(auth_allowed(1000, 1000, NULL, 0, true, GROUP));
}

static void test_no_group_only_root(void **state) {
        const gid_t gids[] = { GROUP };

        /* When the configured group does not exist, GID values mean nothing. */
        assert_false(auth_allowed(1000, GROUP, gids, 1, false, GROUP));
        assert_false(auth_allowed(65534, 65534, NULL, 0, false, 0));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_root_always),
                cmocka_unit_test(test_group_member),
                cmocka_unit_test(test_no_group_only_root),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

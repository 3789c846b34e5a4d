/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "idxd-bus.h"
#include "idxd-errors.h"

static void test_errno_to_name(void **state) {
        assert_string_equal(idxd_error_name_from_errno(-ENOENT), IDXD_ERROR_NOT_FOUND);
        assert_string_equal(idxd_error_name_from_errno(ENOENT), IDXD_ERROR_NOT_FOUND);
        assert_string_equal(idxd_error_name_from_errno(-ENODEV), IDXD_ERROR_NOT_FOUND);
        assert_string_equal(idxd_error_name_from_errno(-ENOSPC), IDXD_ERROR_NO_CAPACITY);
        assert_string_equal(idxd_error_name_from_errno(-EBUSY), IDXD_ERROR_BUSY);
        assert_string_equal(idxd_error_name_from_errno(-EEXIST), IDXD_ERROR_EXISTS);
        assert_string_equal(idxd_error_name_from_errno(-EBADMSG), IDXD_ERROR_INVALID_CONFIG);
        assert_string_equal(idxd_error_name_from_errno(-EREMOTEIO), IDXD_ERROR_LIBVIRT);
        assert_string_equal(idxd_error_name_from_errno(-EINVAL), SD_BUS_ERROR_INVALID_ARGS);
        assert_string_equal(idxd_error_name_from_errno(-EACCES), SD_BUS_ERROR_ACCESS_DENIED);
        assert_string_equal(idxd_error_name_from_errno(-EPERM), SD_BUS_ERROR_ACCESS_DENIED);
        /* Anything else is a plain failure. */
        assert_string_equal(idxd_error_name_from_errno(-ETIMEDOUT), IDXD_ERROR_FAILED);
        assert_string_equal(idxd_error_name_from_errno(-EIO), IDXD_ERROR_FAILED);
        assert_string_equal(idxd_error_name_from_errno(0), IDXD_ERROR_FAILED);
}

static void test_name_to_errno(void **state) {
        assert_int_equal(idxd_errno_from_error_name(IDXD_ERROR_NOT_FOUND), ENOENT);
        assert_int_equal(idxd_errno_from_error_name(IDXD_ERROR_NO_CAPACITY), ENOSPC);
        assert_int_equal(idxd_errno_from_error_name(IDXD_ERROR_BUSY), EBUSY);
        assert_int_equal(idxd_errno_from_error_name(IDXD_ERROR_EXISTS), EEXIST);
        assert_int_equal(idxd_errno_from_error_name(IDXD_ERROR_INVALID_CONFIG), EBADMSG);
        assert_int_equal(idxd_errno_from_error_name(IDXD_ERROR_LIBVIRT), EREMOTEIO);
        assert_int_equal(idxd_errno_from_error_name(IDXD_ERROR_FAILED), EIO);
        assert_int_equal(idxd_errno_from_error_name(SD_BUS_ERROR_INVALID_ARGS), EINVAL);
        assert_int_equal(idxd_errno_from_error_name(SD_BUS_ERROR_ACCESS_DENIED), EACCES);
        assert_int_equal(idxd_errno_from_error_name("org.example.Unknown"), EIO);
        assert_int_equal(idxd_errno_from_error_name(NULL), EIO);
}

static void test_round_trip(void **state) {
        static const int errors[] = { ENOENT, ENOSPC, EBUSY, EEXIST, EBADMSG, EREMOTEIO, EIO, EINVAL, EACCES };

        for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
                assert_int_equal(idxd_errno_from_error_name(idxd_error_name_from_errno(-errors[i])), errors[i]);
}

static void test_exit_status(void **state) {
        assert_int_equal(idxd_error_exit_status(SD_BUS_ERROR_INVALID_ARGS), 2);
        assert_int_equal(idxd_error_exit_status(IDXD_ERROR_NOT_FOUND), 1);
        assert_int_equal(idxd_error_exit_status(SD_BUS_ERROR_ACCESS_DENIED), 1);
        assert_int_equal(idxd_error_exit_status(NULL), 1);
}

static void test_sd_bus_map(void **state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;

        assert_true(sd_bus_error_add_map(idxd_error_map) >= 0);
        assert_int_equal(sd_bus_error_set(&error, IDXD_ERROR_NO_CAPACITY, "full"), -ENOSPC);
        assert_int_equal(sd_bus_error_get_errno(&error), ENOSPC);
        sd_bus_error_free(&error);
        assert_int_equal(sd_bus_error_set(&error, IDXD_ERROR_BUSY, "held"), -EBUSY);
        sd_bus_error_free(&error);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_errno_to_name),
                cmocka_unit_test(test_name_to_errno),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_exit_status),
                cmocka_unit_test(test_sd_bus_map),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

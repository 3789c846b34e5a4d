/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "busy.h"

/* This process holds <tmp>/vfio/7 open, as a VMM holds its VFIO group. */
static void test_holder_found(void **state) {
        char dir[] = "/tmp/test-busy-XXXXXX";
        char vfio[64], node[80];
        int fd, pid = 0;

        assert_non_null(mkdtemp(dir));
        snprintf(vfio, sizeof(vfio), "%s/vfio", dir);
        snprintf(node, sizeof(node), "%s/7", vfio);
        assert_int_equal(mkdir(vfio, 0755), 0);
        fd = open(node, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);

        assert_int_equal(busy_find_vfio_group_holder(NULL, dir, 7, &pid), 1);
        assert_int_equal(pid, getpid());
        assert_int_equal(busy_find_vfio_group_holder(NULL, dir, 8, &pid), 0);
        assert_int_equal(busy_find_vfio_group_holder(NULL, "/nonexistent-dev", 7, &pid), 0);

        close(fd);
        assert_int_equal(busy_find_vfio_group_holder(NULL, dir, 7, &pid), 0);

        unlink(node);
        rmdir(vfio);
        rmdir(dir);
}

static void test_target_matches(void **state) {
        assert_true(busy_fd_target_matches("/dev/vfio/7", "/dev/vfio/7"));
        assert_false(busy_fd_target_matches("/dev/vfio/70", "/dev/vfio/7"));
        assert_false(busy_fd_target_matches("/dev/vfio/vfio", "/dev/vfio/7"));
        assert_false(busy_fd_target_matches(NULL, "/dev/vfio/7"));
}

static void test_bad_arguments(void **state) {
        int pid;

        assert_int_equal(busy_find_vfio_group_holder(NULL, "/dev", -1, &pid), -EINVAL);
        assert_int_equal(busy_find_vfio_group_holder("/nonexistent-proc", "/dev", 1, &pid), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_holder_found),
                cmocka_unit_test(test_target_matches),
                cmocka_unit_test(test_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

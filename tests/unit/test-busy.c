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

/* cmdline: NUL-separated words, like /proc/<pid>/cmdline. */
static int domain_of(const char *cmdline, size_t size, char **ret) {
        *ret = NULL;
        return busy_qemu_domain_name(cmdline, size, ret);
}

#define CMDLINE(s) s, sizeof(s)

static void test_qemu_domain_name(void **state) {
        char *name;

        /* How libvirt starts QEMU. */
        assert_int_equal(domain_of(CMDLINE("/usr/bin/qemu-system-x86_64\0-name\0guest=vm1,debug-threads=on\0-S"), &name), 1);
        assert_string_equal(name, "vm1");
        free(name);
        assert_int_equal(domain_of(CMDLINE("qemu\0-name\0plain"), &name), 1);
        assert_string_equal(name, "plain");
        free(name);
        /* QEMU's escaped comma. */
        assert_int_equal(domain_of(CMDLINE("qemu\0-name\0guest=a,,b,debug-threads=on"), &name), 1);
        assert_string_equal(name, "a,b");
        free(name);

        assert_int_equal(domain_of(CMDLINE("vfio-client\0uuid\0hold\0" "60"), &name), 0);
        assert_null(name);
        assert_int_equal(domain_of(CMDLINE("qemu\0-name\0guest=,debug-threads=on"), &name), 0);
        assert_null(name);
        /* -name last, or its value cut off without a NUL. */
        assert_int_equal(domain_of(CMDLINE("qemu\0-name"), &name), 0);
        assert_int_equal(domain_of("qemu\0-name\0vm1", 14, &name), 0);
        assert_null(name);
        assert_int_equal(busy_qemu_domain_name(NULL, 0, &name), -EINVAL);
}

/* This process is no QEMU: no domain; a pid that does not exist: none either. */
static void test_holder_domain(void **state) {
        char *name = NULL;

        assert_int_equal(busy_holder_domain(NULL, getpid(), &name), 0);
        assert_null(name);
        assert_int_equal(busy_holder_domain("/nonexistent-proc", 1, &name), 0);
        assert_int_equal(busy_holder_domain(NULL, 0, &name), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_holder_found),
                cmocka_unit_test(test_target_matches),
                cmocka_unit_test(test_bad_arguments),
                cmocka_unit_test(test_qemu_domain_name),
                cmocka_unit_test(test_holder_domain),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

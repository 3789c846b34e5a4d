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
#include <unistd.h>
#include <cmocka.h>

#include "sysfs.h"

#define PARENT "/sys/devices/platform/idxd_sim.0"

static void test_type_path(void **state) {
        char *p = NULL;

        assert_int_equal(sysfs_type_path(PARENT, "idxd_mdev-dsa-1swq-v1", "create", &p), 0);
        assert_string_equal(p, PARENT "/mdev_supported_types/idxd_mdev-dsa-1swq-v1/create");
        free(p);
        assert_int_equal(sysfs_type_path(PARENT, "idxd_mdev-dsa-1swq-v1", NULL, &p), 0);
        assert_string_equal(p, PARENT "/mdev_supported_types/idxd_mdev-dsa-1swq-v1");
        free(p);

        /* A type from a client must never climb out of the parent. */
        assert_int_equal(sysfs_type_path(PARENT, "../../../../etc", "create", &p), -EINVAL);
        assert_int_equal(sysfs_type_path(PARENT, "..", "create", &p), -EINVAL);
        assert_int_equal(sysfs_type_path(PARENT, "", "create", &p), -EINVAL);
        assert_int_equal(sysfs_type_path(PARENT, NULL, "create", &p), -EINVAL);
        assert_int_equal(sysfs_type_path(PARENT, "a/b", "create", &p), -EINVAL);
        assert_int_equal(sysfs_type_path(PARENT, "t", "../create", &p), -EINVAL);
        assert_int_equal(sysfs_type_path("", "t", "create", &p), -EINVAL);
}

static void test_attr_path(void **state) {
        char *p = NULL;

        assert_int_equal(sysfs_attr_path(PARENT, "ims_size", &p), 0);
        assert_string_equal(p, PARENT "/ims_size");
        free(p);
        assert_int_equal(sysfs_attr_path(PARENT, "mdev_supported_types/t/name", &p), 0);
        assert_string_equal(p, PARENT "/mdev_supported_types/t/name");
        free(p);

        assert_int_equal(sysfs_attr_path(PARENT, "/etc/passwd", &p), -EINVAL);
        assert_int_equal(sysfs_attr_path(PARENT, "a/../b", &p), -EINVAL);
        assert_int_equal(sysfs_attr_path(PARENT, "a//b", &p), -EINVAL);
        assert_int_equal(sysfs_attr_path(PARENT, "a/", &p), -EINVAL);
        assert_int_equal(sysfs_attr_path(PARENT, "", &p), -EINVAL);
}

static void test_remove_path(void **state) {
        IdxdUuid u;
        char *p = NULL;

        assert_int_equal(idxd_uuid_parse("83B8F4F2-509F-382F-3C1E-E6BFE0FA1001", &u), 0);
        assert_int_equal(sysfs_mdev_remove_path("/sys", &u, &p), 0);
        assert_string_equal(p, "/sys/bus/mdev/devices/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001/remove");
        free(p);
        assert_int_equal(sysfs_mdev_remove_path("/tmp/testbed/sys", &u, &p), 0);
        assert_string_equal(p, "/tmp/testbed/sys/bus/mdev/devices/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001/remove");
        free(p);
        assert_int_equal(sysfs_mdev_remove_path("", &u, &p), -EINVAL);
}

static void test_vfio_group_path(void **state) {
        char *p = NULL;

        assert_int_equal(vfio_group_path("/dev", 12, &p), 0);
        assert_string_equal(p, "/dev/vfio/12");
        free(p);
        assert_int_equal(vfio_group_path("/dev", -1, &p), -EINVAL);
}

static void assert_resolves(const char *dir, const char *target, const char *want) {
        char *p = NULL;

        assert_int_equal(sysfs_resolve_link(dir, target, &p), 0);
        assert_string_equal(p, want);
        free(p);
}

static void test_resolve_link(void **state) {
        char *p = NULL;

        /* What /sys/bus/mdev/devices/<uuid> and /sys/class/mdev_bus/<parent> hold. */
        assert_resolves("/sys/bus/mdev/devices", "../../../devices/platform/idxd_sim.0/c010257f-57d9-5628-8a3f-3451dea404ed",
                        "/sys/devices/platform/idxd_sim.0/c010257f-57d9-5628-8a3f-3451dea404ed");
        assert_resolves("/sys/class/mdev_bus", "../../devices/pci0000:00/0000:00:02.0", "/sys/devices/pci0000:00/0000:00:02.0");
        assert_resolves("/sys/class/mdev_bus/", "./.././/../devices//x/./", "/sys/devices/x");
        assert_resolves("/sys/bus", "/sys/devices/../devices/y", "/sys/devices/y");
        /* Never above the root. */
        assert_resolves("/sys", "../../../../x", "/x");
        assert_resolves("/", "..", "/");
        assert_int_equal(sysfs_resolve_link("sys/bus", "x", &p), -EINVAL);
        assert_int_equal(sysfs_resolve_link("/sys", "", &p), -EINVAL);
}

static void test_name_is_valid(void **state) {
        assert_true(sysfs_name_is_valid("idxd_sim.0"));
        assert_true(sysfs_name_is_valid("0000:6a:01.0"));
        assert_false(sysfs_name_is_valid("."));
        assert_false(sysfs_name_is_valid(".."));
        assert_false(sysfs_name_is_valid("a/b"));
        assert_false(sysfs_name_is_valid(""));
        assert_false(sysfs_name_is_valid(NULL));
}

/* The read/write helpers on a plain directory standing in for sysfs. */
static void test_read_write(void **state) {
        char dir[] = "/tmp/test-sysfs-XXXXXX";
        char *path = NULL, *s = NULL;
        unsigned u = 0;
        int i = 0;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(asprintf(&path, "%s/available_instances", dir) > 0, 1);

        assert_int_equal(sysfs_read_unsigned(path, &u), -ENOENT);
        assert_int_equal(sysfs_write_string(path, "42\n"), -ENOENT); /* never creates files */

        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("42\n", f);
        fclose(f);
        assert_int_equal(sysfs_read_unsigned(path, &u), 0);
        assert_int_equal(u, 42);
        assert_int_equal(sysfs_read_string(path, &s), 0);
        assert_string_equal(s, "42");
        free(s);

        assert_int_equal(sysfs_write_string(path, "7"), 0);
        assert_int_equal(sysfs_read_unsigned(path, &u), 0);
        assert_int_equal(u, 7);

        assert_int_equal(sysfs_write_string(path, "-1"), 0);
        assert_int_equal(sysfs_read_unsigned(path, &u), -EINVAL);
        assert_int_equal(sysfs_read_int(path, &i), 0);
        assert_int_equal(i, -1);
        assert_int_equal(sysfs_write_string(path, "x"), 0);
        assert_int_equal(sysfs_read_int(path, &i), -EINVAL);

        unlink(path);
        rmdir(dir);
        free(path);
}

/* A file longer than the read buffer's first size comes back whole, NUL-terminated. */
static void test_read_file(void **state) {
        char dir[] = "/tmp/test-sysfs-XXXXXX";
        char *path = NULL, *s = NULL;
        size_t n = 200000;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(asprintf(&path, "%s/mdevs", dir) > 0, 1);
        assert_int_equal(sysfs_read_file(path, &s), -ENOENT);

        FILE *f = fopen(path, "w");
        assert_non_null(f);
        for (size_t i = 0; i < n; i++)
                fputc('a' + (int) (i % 26), f);
        fclose(f);
        assert_int_equal(sysfs_read_file(path, &s), 0);
        assert_int_equal(strlen(s), n);
        assert_int_equal(s[n - 1], 'a' + (int) ((n - 1) % 26));
        free(s);

        f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
        assert_int_equal(sysfs_read_file(path, &s), 0);
        assert_string_equal(s, "");
        free(s);

        unlink(path);
        rmdir(dir);
        free(path);
}

/* Types are the subdirectories of mdev_supported_types, in name order; files do not count. */
static void test_list_subdirs(void **state) {
        char dir[] = "/tmp/test-sysfs-XXXXXX";
        char path[128], link[128];
        char **names = NULL;
        size_t n = 0;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/idxd_mdev-dsa-1swq-v1", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/idxd_mdev-dsa-1dwq-v1", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/uevent", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);

        assert_int_equal(sysfs_list_subdirs(dir, &names, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(names[0], "idxd_mdev-dsa-1dwq-v1");
        assert_string_equal(names[1], "idxd_mdev-dsa-1swq-v1");
        assert_null(names[2]);
        strv_free(names);

        assert_int_equal(sysfs_list_subdirs("/nonexistent-sysfs", &names, &n), -ENOENT);

        /* A link to a directory is a subdirectory, not a device's own child; every entry for SYSFS_LIST_ALL. */
        snprintf(link, sizeof(link), "%s/driver", dir);
        assert_int_equal(symlink("idxd_mdev-dsa-1swq-v1", link), 0);
        assert_int_equal(sysfs_list_subdirs(dir, &names, &n), 0);
        assert_int_equal(n, 3);
        assert_string_equal(names[0], "driver");
        strv_free(names);
        assert_int_equal(sysfs_list(dir, SYSFS_LIST_OWN_SUBDIRS, &names, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(names[0], "idxd_mdev-dsa-1dwq-v1");
        assert_string_equal(names[1], "idxd_mdev-dsa-1swq-v1");
        strv_free(names);
        assert_int_equal(sysfs_list(dir, SYSFS_LIST_ALL, &names, &n), 0);
        assert_int_equal(n, 4);
        assert_string_equal(names[0], "driver");
        assert_string_equal(names[3], "uevent");
        strv_free(names);
        unlink(link);

        unlink(path);
        snprintf(path, sizeof(path), "%s/idxd_mdev-dsa-1swq-v1", dir);
        rmdir(path);
        snprintf(path, sizeof(path), "%s/idxd_mdev-dsa-1dwq-v1", dir);
        rmdir(path);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_type_path),
                cmocka_unit_test(test_attr_path),
                cmocka_unit_test(test_remove_path),
                cmocka_unit_test(test_vfio_group_path),
                cmocka_unit_test(test_name_is_valid),
                cmocka_unit_test(test_resolve_link),
                cmocka_unit_test(test_read_write),
                cmocka_unit_test(test_read_file),
                cmocka_unit_test(test_list_subdirs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

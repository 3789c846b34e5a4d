/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "parent-mdevs.h"

#define U1 "00000000-0000-4000-8000-000000000001"
#define U2 "00000000-0000-4000-8000-000000000002"
#define U3 "00000000-0000-4000-8000-000000000003"

/* A line as idxd_mdev.ko writes it: padded with spaces to 128 bytes with the newline. */
static void append_line(char *text, size_t size, const char *fields) {
        size_t len = strlen(text);

        snprintf(text + len, size - len, "%-127s\n", fields);
}

static void test_parse(void **state) {
        char text[1024] = "";
        ParentMdevLine *lines = NULL;
        size_t n = 0;

        /* In probe order, not UUID order. */
        append_line(text, sizeof(text), U2 " idxd_mdev-dsa-1dwq-v1 3 3 17");
        append_line(text, sizeof(text), U1 " idxd_mdev-dsa-1swq-v1 6 2 -1");
        assert_int_equal(strlen(text), 256);
        assert_int_equal(parent_mdevs_parse(text, &lines, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(lines[0].uuid, U1);
        assert_string_equal(lines[0].type, "idxd_mdev-dsa-1swq-v1");
        assert_string_equal(lines[0].wq, "6");
        assert_string_equal(lines[0].ims_vectors, "2");
        assert_string_equal(lines[0].iommu_group, "-1");
        assert_string_equal(lines[1].uuid, U2);
        assert_string_equal(lines[1].iommu_group, "17");

        assert_ptr_equal(parent_mdevs_find(lines, n, U2), &lines[1]);
        assert_null(parent_mdevs_find(lines, n, U3));
        free(lines);
}

/* What cannot be read is left out, so that its mdev is read from its own files. */
static void test_bad_lines(void **state) {
        char text[2048] = "";
        ParentMdevLine *lines = NULL;
        size_t n = 0;

        append_line(text, sizeof(text), U1 " idxd_mdev-dsa-1swq-v1 6 2");         /* four fields */
        append_line(text, sizeof(text), "not-a-uuid idxd_mdev-dsa-1swq-v1 6 2 5");
        append_line(text, sizeof(text), "");
        append_line(text, sizeof(text), U2 " idxd_mdev-dsa-1swq-v1 7 2 5 later fields");
        strcat(text, U3 " idxd_mdev-dsa-1swq-v1 8 2 6");                           /* no newline at the end */
        assert_int_equal(parent_mdevs_parse(text, &lines, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(lines[0].uuid, U2);
        assert_string_equal(lines[0].iommu_group, "5");
        assert_string_equal(lines[1].uuid, U3);
        assert_string_equal(lines[1].iommu_group, "6");
        free(lines);

        text[0] = '\0';
        assert_int_equal(parent_mdevs_parse(text, &lines, &n), 0);
        assert_int_equal(n, 0);
        assert_null(parent_mdevs_find(lines, n, U1));
        free(lines);
}

/* 10,000 lines: found by binary search after one sort. */
static void test_many(void **state) {
        size_t count = 10000, size = count * 128 + 1;
        char *text = calloc(1, size);
        ParentMdevLine *lines = NULL;
        char uuid[40], fields[128];
        size_t n = 0;

        assert_non_null(text);
        for (size_t i = count; i > 0; i--) {
                snprintf(fields, sizeof(fields), "%08zx-0000-4000-8000-000000000000 t %zu 2 %zu", i, i, i);
                append_line(text, size, fields);
        }
        assert_int_equal(parent_mdevs_parse(text, &lines, &n), 0);
        assert_int_equal(n, count);
        snprintf(uuid, sizeof(uuid), "%08x-0000-4000-8000-000000000000", 4711);
        assert_non_null(parent_mdevs_find(lines, n, uuid));
        assert_string_equal(parent_mdevs_find(lines, n, uuid)->wq, "4711");
        free(lines);
        free(text);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_bad_lines),
                cmocka_unit_test(test_many),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

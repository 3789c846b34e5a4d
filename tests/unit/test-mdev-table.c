/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The memfd text of ListMdevsByFileDescriptor: what the daemon writes, what idxdctl reads back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "mdev-table.h"
#include "macro.h"
#include "mdevs.h"

/* Writes fields (NULL allowed) as one line through a memfd; returns its text. */
static char *write_line(const char *const *values, size_t n) {
        MdevTableWriter *w = malloc(sizeof(*w));
        int fd = memfd_create("test", MFD_CLOEXEC);
        char *text = calloc(1, 4096);
        ssize_t k;

        assert_non_null(w);
        assert_true(fd >= 0);
        mdev_table_writer_init(w, fd);
        for (size_t i = 0; i < n; i++)
                mdev_table_write_field(w, values[i], i + 1 < n ? '\t' : '\n');
        assert_int_equal(mdev_table_writer_flush(w), 0);
        k = pread(fd, text, 4095, 0);
        assert_true(k > 0);
        close(fd);
        free(w);
        return text;
}

/* More than the writer's buffer goes out whole. */
static void test_long_output(void **state) {
        MdevTableWriter *w = malloc(sizeof(*w));
        int fd = memfd_create("test", MFD_CLOEXEC);
        char value[1000], *text;
        struct stat st;

        assert_true(fd >= 0);
        memset(value, 'x', sizeof(value) - 1);
        value[sizeof(value) - 1] = '\0';
        value[500] = '\t';
        mdev_table_writer_init(w, fd);
        for (size_t i = 0; i < 200; i++)
                mdev_table_write_field(w, value, '\n');
        assert_int_equal(mdev_table_writer_flush(w), 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, 200 * (999 + 1 + 1));     /* the tab escaped, a newline */

        text = malloc(st.st_size);
        assert_int_equal(pread(fd, text, st.st_size, 0), st.st_size);
        char *cursor = text, *fields[2];
        size_t lines = 0;
        int k;
        while ((k = mdev_table_next_line(&cursor, text + st.st_size, fields, 2)) > 0) {
                assert_int_equal(k, 1);
                assert_string_equal(fields[0], value);
                lines++;
        }
        assert_int_equal(k, 0);
        assert_int_equal(lines, 200);
        free(text);
        free(w);
        close(fd);
}

/* A write error is kept and reported by the flush. */
static void test_write_error(void **state) {
        MdevTableWriter *w = malloc(sizeof(*w));

        mdev_table_writer_init(w, -1);
        mdev_table_write_field(w, "x", '\n');
        assert_int_equal(mdev_table_writer_flush(w), -EBADF);
        free(w);
}

static void test_escape_round_trip(void **state) {
        const char *const values[] = { "plain", "tab\there", "new\nline", "back\\slash", "", NULL, "\\N", "\\" };
        char *text = write_line(values, 8), *cursor = text, *fields[MDEV_TABLE_MAX_COLUMNS];

        /* A literal "\N" is escaped, so it never reads back as NULL. */
        assert_string_equal(text, "plain\ttab\\there\tnew\\nline\tback\\\\slash\t\t\\N\t\\\\N\t\\\\\n");
        assert_int_equal(mdev_table_next_line(&cursor, text + strlen(text), fields, MDEV_TABLE_MAX_COLUMNS), 8);
        for (size_t i = 0; i < 8; i++)
                if (values[i])
                        assert_string_equal(fields[i], values[i]);
                else
                        assert_null(fields[i]);
        assert_int_equal(mdev_table_next_line(&cursor, text + strlen(text), fields, MDEV_TABLE_MAX_COLUMNS), 0);
        free(text);
}

static void test_bad_lines(void **state) {
        static const struct {
                const char *text;
                int error;
        } bad[] = {
                { "a\tb", -EBADMSG },           /* no newline: cut short */
                { "a\\x\n", -EBADMSG },         /* unknown escape */
                { "a\\\n", -EBADMSG },          /* escape at the end */
                { "a\tb\tc\n", -E2BIG },        /* more fields than room */
        };
        char *fields[2];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *text = strdup(bad[i].text), *cursor = text;

                assert_int_equal(mdev_table_next_line(&cursor, text + strlen(text), fields, 2), bad[i].error);
                free(text);
        }
}

static void test_records_by_column_name(void **state) {
        /* Columns in another order, one unknown, optional values missing. */
        char text[] =
                "parent\tfuture_key\tuuid\tims_vectors\tpersistent\twq\tdomain\n"
                "idxd_sim.0\tx\t00000000-0000-4000-8000-000000000001\t2\ttrue\t3\tvm\\t1\n"
                "idxd_sim.1\tx\t00000000-0000-4000-8000-000000000002\t\\N\tfalse\t\\N\t\n";
        MdevRecord *records = NULL;
        size_t n = 0;

        assert_int_equal(mdev_records_parse_table(text, strlen(text), &records, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(records[0].uuid, "00000000-0000-4000-8000-000000000001");
        assert_string_equal(records[0].parent, "idxd_sim.0");
        assert_true(records[0].has_ims_vectors);
        assert_int_equal(records[0].ims_vectors, 2);
        assert_true(records[0].persistent);
        assert_string_equal(records[0].wq, "3");
        assert_string_equal(records[0].domain, "vm\t1");
        assert_null(records[0].type);           /* no such column: not sent */
        assert_false(records[1].has_ims_vectors);
        assert_false(records[1].persistent);
        assert_null(records[1].wq);
        assert_string_equal(records[1].domain, "");
        free(records);
}

static void test_records_reject_bad_tables(void **state) {
        static const char *const bad[] = {
                "",                                     /* no header */
                "uuid\tparent\nonly-one-field\n",       /* a line short of the header */
                "uuid\n\"a\"\nb",                       /* cut short */
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *text = strdup(bad[i]);
                MdevRecord *records = NULL;
                size_t n = 0;

                assert_int_equal(mdev_records_parse_table(text, strlen(text), &records, &n), -EBADMSG);
                assert_null(records);
                free(text);
        }
}

static void test_numbers_of_wrong_form(void **state) {
        char text[] = "ims_vectors\tautostart\n-1\tyes\n4294967296\ttrue\n";
        MdevRecord *records = NULL;
        size_t n = 0;

        assert_int_equal(mdev_records_parse_table(text, strlen(text), &records, &n), 0);
        assert_int_equal(n, 2);
        assert_false(records[0].has_ims_vectors);
        assert_false(records[0].autostart);     /* "yes" is not a boolean here */
        assert_false(records[1].has_ims_vectors);
        assert_true(records[1].autostart);
        free(records);
}

/* The reference: the json-c tree idxdctl --json list used to build, printed as it printed it. */
static char *json_c_list(const MdevRecord *m, size_t n) {
        struct json_object *out = json_object_new_object(), *array = json_object_new_array();
        char *text;

        for (size_t i = 0; i < n; i++) {
                struct json_object *o = json_object_new_object();
#define STR(k, v) json_object_object_add(o, k, (v) ? json_object_new_string(v) : NULL)
                STR("uuid", m[i].uuid);
                STR("parent", m[i].parent);
                STR("type", m[i].type);
                STR("state", m[i].state);
                STR("domain", m[i].domain);
                STR("registration", m[i].registration);
                json_object_object_add(o, "persistent", json_object_new_boolean(m[i].persistent));
                json_object_object_add(o, "autostart", json_object_new_boolean(m[i].autostart));
                json_object_object_add(o, "ims_vectors", m[i].has_ims_vectors ? json_object_new_int64(m[i].ims_vectors) : NULL);
                STR("wq", m[i].wq);
                STR("reason", m[i].reason);
                json_object_object_add(o, "attrs", m[i].attrs ? json_tokener_parse(m[i].attrs) : json_object_new_array());
                STR("path", m[i].path);
#undef STR
                json_object_array_add(array, o);
        }
        json_object_object_add(out, "mdevs", array);
        assert_true(asprintf(&text, "%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
                                                                             JSON_C_TO_STRING_SPACED |
                                                                             JSON_C_TO_STRING_NOSLASHESCAPE)) > 0);
        json_object_put(out);
        return text;
}

static char *streamed_list(const MdevRecord *m, size_t n) {
        char *text = NULL;
        size_t size;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(f);
        assert_int_equal(mdev_records_print_json(f, m, n), 0);
        fclose(f);
        return text;
}

/* idxdctl --json list is written record by record, and must read exactly as json-c's tree did. */
static void test_json_as_json_c(void **state) {
        static const MdevRecord records[] = {
                { .uuid = "c010257f-57d9-5628-8a3f-3451dea404ed", .path = "/org/idxd/Manager1/mdev/c010257f_2d57d9",
                  .parent = "idxd_sim.0", .type = "idxd_mdev-dsa-1swq-v1", .state = "active", .domain = "vm1",
                  .registration = "registered", .wq = "wq0.1", .persistent = true, .has_ims_vectors = true,
                  .ims_vectors = 4294967295u,
                  .attrs = "[{\"assign_adapter\":\"5\"},{\"assign_adapter\":\"6\"},{\"x/\\\"y\":\"\\n\"}]" },
                { .uuid = "00000000-0000-4000-8000-000000000000", .state = "failed", .autostart = true,
                  .reason = "No capacity: \"quoted\" back\\slash /slash\ttab\nnewline\x01\x1f\x7f \xc3\xa9 \b\f\r",
                  .domain = "" },
                { .uuid = "", .has_ims_vectors = true, .ims_vectors = 0 },
        };

        for (size_t n = 0; n <= ELEMENTSOF(records); n++) {
                char *want = json_c_list(records, n), *got = streamed_list(records, n);

                assert_string_equal(got, want);
                free(want);
                free(got);
        }
}

/* n records over n_parents parents; in UUID order, or shuffled. */
static MdevRecord *make_records(char (*uuids)[37], char (*parents)[16], size_t n, size_t n_parents, bool shuffle) {
        MdevRecord *m = calloc(n, sizeof(MdevRecord));

        assert_non_null(m);
        for (size_t p = 0; p < n_parents; p++)
                snprintf(parents[p], 16, "idxd_sim.%u", (unsigned) ((p * 7919) % n_parents));
        for (size_t i = 0; i < n; i++) {
                snprintf(uuids[i], 37, "%08x-0000-4000-8000-000000000000", (unsigned) i);
                m[i].uuid = uuids[i];
                m[i].parent = i % 13 == 5 ? NULL : parents[(i * 31) % n_parents];
        }
        for (size_t i = n - 1; shuffle && i > 0; i--) {
                size_t j = (size_t) rand() % (i + 1);
                MdevRecord tmp = m[i];

                m[i] = m[j];
                m[j] = tmp;
        }
        return m;
}

/* mdev_records_sort() orders as qsort() with mdev_record_compare() does, on every path. */
static void test_records_sort(void **state) {
        static const struct { size_t n, n_parents; bool shuffle; } cases[] = {
                { 10000, 2, false }, { 1000, 5, false }, { 1000, 5, true }, { 1000, 70, false }, { 1, 1, false },
        };
        static char uuids[10000][37], parents[70][16];

        srand(4711);
        for (size_t c = 0; c < ELEMENTSOF(cases); c++) {
                MdevRecord *got = make_records(uuids, parents, cases[c].n, cases[c].n_parents, cases[c].shuffle);
                MdevRecord *want = malloc(cases[c].n * sizeof(MdevRecord));

                assert_non_null(want);
                memcpy(want, got, cases[c].n * sizeof(MdevRecord));
                qsort(want, cases[c].n, sizeof(MdevRecord), mdev_record_compare);
                mdev_records_sort(got, cases[c].n);
                for (size_t i = 0; i < cases[c].n; i++) {
                        assert_ptr_equal(got[i].uuid, want[i].uuid);
                        assert_ptr_equal(got[i].parent, want[i].parent);
                }
                free(got);
                free(want);
        }
        mdev_records_sort(NULL, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escape_round_trip),
                cmocka_unit_test(test_json_as_json_c),
                cmocka_unit_test(test_long_output),
                cmocka_unit_test(test_write_error),
                cmocka_unit_test(test_bad_lines),
                cmocka_unit_test(test_records_by_column_name),
                cmocka_unit_test(test_records_reject_bad_tables),
                cmocka_unit_test(test_numbers_of_wrong_form),
                cmocka_unit_test(test_records_sort),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json-doc.h"

/* Parses text and returns the error message, or NULL when it parsed. */
static char *parse_error(const char *text, JsonDoc **ret) {
        JsonDoc *d = NULL;
        char *error = NULL;
        int r = json_doc_parse("f.json", text, strlen(text), &d, &error);

        if (r == 0) {
                assert_null(error);
                if (ret)
                        *ret = d;
                else
                        json_doc_free(d);
                return NULL;
        }
        assert_int_equal(r, -EBADMSG);
        assert_non_null(error);
        return error;
}

static void expect_error(const char *text, const char *expected) {
        char *error = parse_error(text, NULL);

        assert_non_null(error);
        assert_string_equal(error, expected);
        free(error);
}

static void test_syntax_errors(void **state) {
        expect_error("", "f.json:1:1: empty file, expected a JSON object");
        expect_error(" \n\t ", "f.json:1:1: empty file, expected a JSON object");
        expect_error("{\"a\": 1,", "f.json:1:9: unexpected end of file (truncated JSON)");
        expect_error("{\n  \"a\": 1\n  \"b\": 2\n}", "f.json:3:3: invalid JSON: object value separator ',' expected");
        expect_error("{\n  \"a\": tru\n}", "f.json:2:11: invalid JSON: boolean expected");
        expect_error("{} x", "f.json:1:4: invalid JSON: unexpected character");
        /* json-c notices the bad number at the byte after it. */
        expect_error("{\"a\": 01}", "f.json:1:9: invalid JSON: number expected");
        /* json-c takes these; JSON does not, and neither do we */
        expect_error("{'a': 1}", "f.json:1:2: invalid JSON: expected a double-quoted key");
        expect_error("{\"a\": NaN}", "f.json:1:7: invalid JSON: not a JSON value: NaN");
        expect_error("{\"a\": [-Infinity]}", "f.json:1:8: invalid JSON: not a JSON value: -Infinity");
        expect_error("{\"a\": 1.}", "f.json:1:7: invalid JSON: not a JSON value: 1.");
        expect_error("{\"a\": \"\xff\"}", "f.json:1:8: invalid JSON: invalid utf-8 string");
        expect_error("\xef\xbb\xbf{}", "f.json:1:1: byte order mark at the start (save the file as UTF-8 without BOM)");
        expect_error("{\"a\": \"x\ty\"}", "f.json:1:9: invalid JSON: control character in string (write it as an escape)");
        assert_null(parse_error("{\"a\": [1, -0.5e+3, 0, true, false, null, 10E2, \"\\t\"]}", NULL));
}

static void test_nul_byte(void **state) {
        const char text[] = "{\"a\":\n \0}";
        char *error = NULL;
        JsonDoc *d = NULL;

        assert_int_equal(json_doc_parse("f.json", text, sizeof(text) - 1, &d, &error), -EBADMSG);
        assert_string_equal(error, "f.json:2:2: NUL byte in file");
        free(error);
        /* Escaped, anywhere (a comment, an array): C strings would end there. */
        error = parse_error("{\"comment\": [\"ok\", \"a\\u0000b\"]}", NULL);
        assert_string_equal(error, "f.json:1:20: string contains a NUL character (\\u0000)");
        free(error);
}

static void test_duplicate_keys(void **state) {
        expect_error("{\"a\": 1,\n \"a\": 2}", "f.json:2:2: duplicate key \"a\" (first at 1:2)");
        /* An escape spells the same key. */
        expect_error("{\"x\": {\"ab\": 1, \"a\\u0062\": 2}}", "f.json:1:17: duplicate key \"ab\" (first at 1:8)");
        /* The same key in different objects is fine. */
        assert_null(parse_error("{\"a\": {\"a\": 1}, \"b\": [{\"a\": 1}, {\"a\": 2}]}", NULL));
}

static void test_positions(void **state) {
        JsonDoc *d = NULL;
        const JsonNode *b, *e;
        unsigned line, column;

        /* Columns count characters: "é" is two bytes, one column. */
        assert_null(parse_error("{\n  \"é\": 1,\n  \"b\": [10, {\"c\": true}]\n}", &d));
        assert_int_equal(d->root.n_children, 2);
        b = json_node_member(&d->root, "b");
        assert_non_null(b);
        json_doc_line_column(d, b->key_offset, &line, &column);
        assert_int_equal(line, 3);
        assert_int_equal(column, 3);
        json_doc_line_column(d, b->offset, &line, &column);
        assert_int_equal(column, 8);
        assert_int_equal(b->n_children, 2);
        e = &b->children[1];
        assert_true(json_node_is(e, json_type_object));
        json_doc_line_column(d, json_node_member(e, "c")->offset, &line, &column);
        assert_int_equal(line, 3);
        assert_int_equal(column, 19);
        json_doc_line_column(d, json_node_member(&d->root, "é")->offset, &line, &column);
        assert_int_equal(line, 2);
        assert_int_equal(column, 8);
        json_doc_free(d);
}

/* The index and the cursor must agree with counting from the start, in any order of asking. */
static void test_positions_any_order(void **state) {
        static const char text[] = "{\"a\": [1, 2, 3], \"é\": {\"b\": \"ü\"},\n\n  \"c\": [\n true, false], \"d\": null}";
        size_t n = strlen(text);
        JsonDoc *d = NULL;

        assert_null(parse_error(text, &d));
        for (size_t k = 0; k < 3 * n; k++) {
                size_t offset = (k * 7919) % (n + 1);
                unsigned line, column, want_line = 1, want_column = 1;

                for (size_t i = 0; i < offset; i++) {
                        if (text[i] == '\n') {
                                want_line++;
                                want_column = 1;
                        } else if (((unsigned char) text[i] & 0xc0) != 0x80)
                                want_column++;
                }
                json_doc_line_column(d, offset, &line, &column);
                assert_int_equal(line, want_line);
                assert_int_equal(column, want_column);
        }
        json_doc_free(d);
}

static void test_typed_getters(void **state) {
        JsonDoc *d = NULL;
        char *error = NULL;
        const char *s;
        int64_t v;
        bool bv;

        assert_null(parse_error("{\"n\": -1, \"big\": 99999999999999999999999, \"f\": 1.5, \"s\": \"x\", "
                                "\"z\": \"a\\u0001b\", \"b\": true, \"e\": 1e2}", &d));
        assert_int_equal(json_doc_get_int(d, &d->root, "n", -5, 5, &v, &error), 1);
        assert_int_equal(v, -1);
        assert_int_equal(json_doc_get_int(d, &d->root, "n", 0, 5, &v, &error), -EBADMSG);
        assert_string_equal(error, "f.json:1:7: \"n\" must be between 0 and 5, not -1");
        free(error);
        assert_int_equal(json_doc_get_int(d, &d->root, "big", 0, 5, &v, &error), -EBADMSG);
        assert_string_equal(error, "f.json:1:18: \"big\" must be between 0 and 5, not 99999999999999999999999");
        free(error);
        assert_int_equal(json_doc_get_int(d, &d->root, "f", 0, 5, &v, &error), -EBADMSG);
        assert_string_equal(error, "f.json:1:48: \"f\" must be an integer, not 1.5");
        free(error);
        assert_int_equal(json_doc_get_int(d, &d->root, "e", 0, 500, &v, &error), -EBADMSG);
        assert_string_equal(error, "f.json:1:96: \"e\" must be an integer, not 1e2");
        free(error);
        assert_int_equal(json_doc_get_int(d, &d->root, "s", 0, 5, &v, &error), -EBADMSG);
        assert_string_equal(error, "f.json:1:58: \"s\" must be an integer, not a string");
        free(error);
        assert_int_equal(json_doc_get_int(d, &d->root, "missing", 0, 5, &v, &error), 0);
        assert_int_equal(json_doc_get_string(d, &d->root, "s", &s, &error), 1);
        assert_string_equal(s, "x");
        assert_int_equal(json_doc_get_string(d, &d->root, "z", &s, &error), 1);
        assert_string_equal(s, "a\001b");
        assert_int_equal(json_doc_get_bool(d, &d->root, "n", &bv, &error), -EBADMSG);
        assert_string_equal(error, "f.json:1:7: \"n\" must be true or false, not an integer");
        free(error);
        json_doc_free(d);
}

static void test_check_object(void **state) {
        static const char *const keys[] = { "name", NULL };
        JsonDoc *d = NULL;
        char *error = NULL;

        assert_null(parse_error("{\"comment\": \"hello\", \"name\": \"x\",\n \"colour\": 1}", &d));
        assert_int_equal(json_doc_check_object(d, &d->root, "pool", keys, &error), -EBADMSG);
        assert_string_equal(error, "f.json:2:2: unknown key \"colour\" in pool");
        free(error);
        json_doc_free(d);

        assert_null(parse_error("{\"comment\": 5}", &d));
        assert_int_equal(json_doc_check_object(d, &d->root, "pool", keys, &error), -EBADMSG);
        assert_string_equal(error, "f.json:1:13: \"comment\" must be a string, not an integer");
        free(error);
        json_doc_free(d);

        assert_null(parse_error("[1]", &d));
        assert_int_equal(json_doc_check_object(d, &d->root, "policy", keys, &error), -EBADMSG);
        assert_string_equal(error, "f.json:1:1: policy must be an object, not an array");
        free(error);
        json_doc_free(d);
}

static void test_deep_nesting(void **state) {
        char text[400];
        char *error;

        memset(text, '[', 200);
        memset(text + 200, ']', 200);
        text[399] = 0;
        text[199] = '1'; /* unbalanced on purpose: json-c must refuse before the scanner recurses */
        error = parse_error(text, NULL);
        assert_non_null(error);
        free(error);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_syntax_errors),
                cmocka_unit_test(test_nul_byte),
                cmocka_unit_test(test_duplicate_keys),
                cmocka_unit_test(test_positions),
                cmocka_unit_test(test_positions_any_order),
                cmocka_unit_test(test_typed_getters),
                cmocka_unit_test(test_check_object),
                cmocka_unit_test(test_deep_nesting),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What idxdctl prints: aligned tables for people, JSON for programs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-json.h"
#include "idxdctl.h"
#include "macro.h"
#include "output.h"

struct Table {
        size_t n_columns;
        const char **cells;     /* row-major; the header is row 0 */
        size_t n_cells;
        size_t n_allocated;
        char **copies;          /* cells the table owns */
        size_t n_copies;
        size_t n_copies_allocated;
        bool *right_aligned;
};

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_copies; i++)
                free(t->copies[i]);
        free(t->copies);
        free(t->cells);
        free(t->right_aligned);
        free(t);
        return NULL;
}

Table *table_new(const char *const *headers) {
        Table *t = calloc(1, sizeof(*t));

        if (!t)
                return NULL;
        while (headers[t->n_columns])
                t->n_columns++;
        t->right_aligned = calloc(t->n_columns, sizeof(bool));
        if (!t->right_aligned)
                return table_free(t);

        for (size_t i = 0; i < t->n_columns; i++)
                if (table_add_cell_copy(t, headers[i]) < 0)
                        return table_free(t);
        return t;
}

int table_reserve_rows(Table *t, size_t rows) {
        size_t n = t->n_cells + rows * t->n_columns;
        const char **cells;

        if (n <= t->n_allocated)
                return 0;
        cells = reallocarray(t->cells, n, sizeof(char *));
        if (!cells)
                return -ENOMEM;
        t->cells = cells;
        t->n_allocated = n;
        return 0;
}

void table_set_right_aligned(Table *t, size_t column) {
        if (column < t->n_columns)
                t->right_aligned[column] = true;
}

int table_add_cell(Table *t, const char *text) {
        if (t->n_cells == t->n_allocated) {
                size_t n = t->n_allocated ? t->n_allocated * 2 : 64;
                const char **cells = reallocarray(t->cells, n, sizeof(char *));

                if (!cells)
                        return -ENOMEM;
                t->cells = cells;
                t->n_allocated = n;
        }

        t->cells[t->n_cells++] = text && text[0] ? text : "-";
        return 0;
}

int table_add_cell_copy(Table *t, const char *text) {
        char *copy;

        if (t->n_copies == t->n_copies_allocated) {
                size_t n = t->n_copies_allocated ? t->n_copies_allocated * 2 : 16;
                char **copies = reallocarray(t->copies, n, sizeof(char *));

                if (!copies)
                        return -ENOMEM;
                t->copies = copies;
                t->n_copies_allocated = n;
        }

        copy = strdup(strempty(text));
        if (!copy)
                return -ENOMEM;
        t->copies[t->n_copies++] = copy;
        return table_add_cell(t, copy);
}

int table_add_json_cell(Table *t, struct json_object *record, const char *key) {
        struct json_object *v = NULL;

        (void) json_object_object_get_ex(record, key, &v);
        if (json_object_is_type(v, json_type_boolean))
                return table_add_cell(t, json_object_get_boolean(v) ? "yes" : "no");
        /* NULL for a null value, the decimal text for numbers. */
        return table_add_cell(t, v ? json_object_get_string(v) : NULL);
}

/*
 * n spaces. A table of 10,000 rows has 90,000 cells: no printf per cell, and
 * stdio's unlocked calls (idxdctl has one thread).
 */
static void pad(FILE *f, size_t n) {
        static const char spaces[] = "                                ";

        for (; n > sizeof(spaces) - 1; n -= sizeof(spaces) - 1)
                fwrite_unlocked(spaces, 1, sizeof(spaces) - 1, f);
        fwrite_unlocked(spaces, 1, n, f);
}

void table_print(const Table *t, FILE *f) {
        size_t *width = calloc(t->n_columns, sizeof(size_t));

        if (!width) {
                /* Unaligned is better than nothing. */
                for (size_t i = 0; i < t->n_cells; i++)
                        fprintf(f, "%s%s", t->cells[i], (i + 1) % t->n_columns ? "  " : "\n");
                return;
        }

        for (size_t i = 0; i < t->n_cells; i++) {
                size_t n = strlen(t->cells[i]);

                if (n > width[i % t->n_columns])
                        width[i % t->n_columns] = n;
        }

        for (size_t i = 0; i < t->n_cells; i++) {
                size_t column = i % t->n_columns, n = strlen(t->cells[i]);
                bool last = column + 1 == t->n_columns;

                if (t->right_aligned[column])
                        pad(f, width[column] - n);
                fwrite_unlocked(t->cells[i], 1, n, f);
                if (last)
                        fputc_unlocked('\n', f);
                else {
                        if (!t->right_aligned[column])
                                pad(f, width[column] - n);
                        fwrite_unlocked("  ", 1, 2, f);
                }
        }
        free(width);
}

void output_json(struct json_object *o) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                               JSON_C_TO_STRING_SPACED |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
}

int output_json_member(const char *key, struct json_object *value) {
        _cleanup_json_ struct json_object *out = json_object_new_object();

        if (!out || json_object_object_add(out, key, json_object_get(value)) < 0)
                return output_oom();
        output_json(out);
        return IDXDCTL_EXIT_OK;
}

int output_oom(void) {
        fputs("idxdctl: out of memory: free some memory and retry\n", stderr);
        return IDXDCTL_EXIT_FAILURE;
}

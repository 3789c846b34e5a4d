/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What idxdctl prints: aligned tables for people, JSON for programs. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bus-json.h"
#include "idxdctl.h"
#include "macro.h"
#include "output.h"
#include "prefault.h"
#include "text-buffer.h"

struct Table {
        size_t n_columns;
        const char **cells;     /* row-major; the header is row 0 */
        uint32_t *widths;       /* each cell's terminal columns, measured when it is added */
        size_t n_cells;
        size_t n_allocated;
        char **copies;          /* cells the table owns */
        size_t n_copies;
        size_t n_copies_allocated;
        bool *right_aligned;
        size_t *min_width;      /* 0: not shrinkable */
        size_t *shrink_order;   /* columns to cut, first first */
        size_t n_shrinkable;
};

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_copies; i++)
                free(t->copies[i]);
        free(t->copies);
        free(t->cells);
        free(t->widths);
        free(t->right_aligned);
        free(t->min_width);
        free(t->shrink_order);
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
        t->min_width = calloc(t->n_columns, sizeof(size_t));
        t->shrink_order = calloc(t->n_columns, sizeof(size_t));
        if (!t->right_aligned || !t->min_width || !t->shrink_order)
                return table_free(t);

        for (size_t i = 0; i < t->n_columns; i++)
                if (table_add_cell_copy(t, headers[i]) < 0)
                        return table_free(t);
        return t;
}

int table_reserve_rows(Table *t, size_t rows) {
        size_t n = t->n_cells + rows * t->n_columns;
        const char **cells;
        uint32_t *widths;

        if (n <= t->n_allocated)
                return 0;
        cells = reallocarray(t->cells, n, sizeof(char *));
        if (!cells)
                return -ENOMEM;
        t->cells = cells;
        widths = reallocarray(t->widths, n, sizeof(uint32_t));
        if (!widths)
                return -ENOMEM;
        t->widths = widths;
        prefault(t->cells + t->n_allocated, (n - t->n_allocated) * sizeof(char *));
        prefault(t->widths + t->n_allocated, (n - t->n_allocated) * sizeof(uint32_t));
        t->n_allocated = n;
        return 0;
}

void table_set_right_aligned(Table *t, size_t column) {
        if (column < t->n_columns)
                t->right_aligned[column] = true;
}

void table_set_shrinkable(Table *t, size_t column, size_t min_width) {
        if (column >= t->n_columns || t->min_width[column] > 0)
                return;
        t->min_width[column] = min_width > 4 ? min_width : 4;
        t->shrink_order[t->n_shrinkable++] = column;
}

static bool has_control(const char *s) {
        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                if (*c < 0x20 || *c == 0x7f)
                        return true;
        return false;
}

/* Control characters as C escapes: a domain name must not move the cursor or ring the bell. */
static char *escape_control(const char *s) {
        char *out = malloc(strlen(s) * 4 + 1), *o = out;

        if (!out)
                return NULL;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                const char *e = NULL;

                switch (*c) {
                case '\a': e = "\\a"; break;
                case '\b': e = "\\b"; break;
                case '\t': e = "\\t"; break;
                case '\n': e = "\\n"; break;
                case '\v': e = "\\v"; break;
                case '\f': e = "\\f"; break;
                case '\r': e = "\\r"; break;
                }
                if (e)
                        o += sprintf(o, "%s", e);
                else if (*c < 0x20 || *c == 0x7f)
                        o += sprintf(o, "\\x%02x", *c);
                else
                        *o++ = (char) *c;
        }
        *o = 0;
        return out;
}

/* Room for one more pointer in an array holding n, doubling from first. */
static int grow_pointers(void ***array, size_t n, size_t *allocated, size_t first) {
        size_t m;
        void **a;

        if (n < *allocated)
                return 0;
        m = *allocated ? *allocated * 2 : first;
        a = reallocarray(*array, m, sizeof(void *));
        if (!a)
                return -ENOMEM;
        *array = a;
        *allocated = m;
        return 0;
}

/*
 * Bytes and terminal columns of UTF-8 text, one column per character
 * (continuation bytes take none); false if it holds a control character.
 */
static bool measure(const char *s, uint32_t *ret_width) {
        const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
        size_t n = strlen(s), w = 0, i = 0;

        /* Eight bytes at a time while they are printable ASCII (no byte below 0x20, 0x7f or above). */
        for (; i + 8 <= n; i += 8) {
                uint64_t x;

                memcpy(&x, s + i, 8);
                if (((x - ones * 0x20) | (x + ones)) & highs)
                        break;
                w += 8;
        }
        for (; i < n; i++) {
                unsigned char b = (unsigned char) s[i];

                if (b < 0x20 || b == 0x7f)
                        return false;
                if ((b & 0xc0) != 0x80)
                        w++;
        }
        *ret_width = w > UINT32_MAX ? UINT32_MAX : (uint32_t) w;
        return true;
}

/* 1 without adding it when text holds a control character. */
static int table_push(Table *t, const char *text) {
        if (t->n_cells == t->n_allocated && table_reserve_rows(t, t->n_allocated ? t->n_allocated / t->n_columns : 16) < 0)
                return -ENOMEM;
        text = text && text[0] ? text : "-";
        if (!measure(text, &t->widths[t->n_cells]))
                return 1;
        t->cells[t->n_cells++] = text;
        return 0;
}

/* The table owns copy from now on, also on failure. */
static int table_keep_copy(Table *t, char *copy) {
        if (grow_pointers((void ***) &t->copies, t->n_copies, &t->n_copies_allocated, 16) < 0) {
                free(copy);
                return -ENOMEM;
        }
        t->copies[t->n_copies++] = copy;
        return 0;
}

/* A cell of text the table owns (taken; NULL: out of memory), with no control character. */
static int table_add_owned_cell(Table *t, char *copy) {
        if (!copy || table_keep_copy(t, copy) < 0)
                return -ENOMEM;
        return table_push(t, copy);
}

int table_add_cell(Table *t, const char *text) {
        int r = table_push(t, text);

        if (r <= 0)
                return r;
        return table_add_owned_cell(t, escape_control(text));
}

int table_add_cell_copy(Table *t, const char *text) {
        if (text && has_control(text))
                return table_add_owned_cell(t, escape_control(text));
        return table_add_owned_cell(t, strdup(strempty(text)));
}

int table_add_json_cell(Table *t, struct json_object *record, const char *key) {
        struct json_object *v = NULL;

        (void) json_object_object_get_ex(record, key, &v);
        if (json_object_is_type(v, json_type_boolean))
                return table_add_cell(t, json_object_get_boolean(v) ? "yes" : "no");
        /* NULL for a null value, the decimal text for numbers. */
        return table_add_cell(t, v ? json_object_get_string(v) : NULL);
}

/* The bytes of s that fill at most width columns. */
static size_t bytes_for_width(const char *s, size_t width) {
        size_t n = 0, w = 0;

        for (; s[n]; n++) {
                if (((unsigned char) s[n] & 0xc0) != 0x80 && w++ == width)
                        break;
        }
        return n;
}

static void table_print_widths(const Table *t, TextBuffer *out, const size_t *width) {
        for (size_t i = 0; i < t->n_cells; i++) {
                const char *text = t->cells[i];
                size_t column = i % t->n_columns, n = strlen(text), w = t->widths[i];
                bool last = column + 1 == t->n_columns, cut = w > width[column];

                if (cut) {
                        /* Cut to fit, and say so. */
                        n = bytes_for_width(text, width[column] - 3);
                        w = width[column];
                }
                if (t->right_aligned[column])
                        text_pad(out, width[column] - w);
                text_add(out, text, n);
                if (cut)
                        text_add(out, "...", 3);
                if (last)
                        text_add(out, "\n", 1);
                else {
                        if (!t->right_aligned[column])
                                text_pad(out, width[column] - w);
                        text_add(out, "  ", 2);
                }
        }
}

/* Through a buffer of its own: a table of 10,000 rows has 90,000 cells. */
void table_print_fit(const Table *t, FILE *f, size_t max_width) {
        _cleanup_free_ size_t *width = calloc(t->n_columns, sizeof(size_t));
        _cleanup_free_ TextBuffer *out = calloc(1, sizeof(TextBuffer));
        size_t total;

        if (!width || !out) {
                /* Unaligned is better than nothing. */
                for (size_t i = 0; i < t->n_cells; i++)
                        fprintf(f, "%s%s", t->cells[i], (i + 1) % t->n_columns ? "  " : "\n");
                return;
        }

        for (size_t i = 0; i < t->n_cells; i++)
                if (t->widths[i] > width[i % t->n_columns])
                        width[i % t->n_columns] = t->widths[i];
        total = 2 * (t->n_columns - 1);
        for (size_t c = 0; c < t->n_columns; c++)
                total += width[c];
        for (size_t k = 0; max_width && k < t->n_shrinkable && total > max_width; k++) {
                size_t c = t->shrink_order[k], cut;

                if (width[c] <= t->min_width[c])
                        continue;
                cut = total - max_width < width[c] - t->min_width[c] ? total - max_width : width[c] - t->min_width[c];
                width[c] -= cut;
                total -= cut;
        }
        out->f = f;
        table_print_widths(t, out, width);
        text_flush(out);
}

void table_print(const Table *t, FILE *f) {
        table_print_fit(t, f, 0);
}

size_t output_width(void) {
        struct winsize ws;

        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col;
        return 80;
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

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What idxdctl prints: aligned tables for people, JSON for programs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

typedef struct Table Table;

/* A table with the given column headers (a NULL-terminated list). NULL when out of memory. */
Table *table_new(const char *const *headers);
/* Room for rows more rows, so that adding them does not grow the table step by step. */
int table_reserve_rows(Table *t, size_t rows);
Table *table_free(Table *t);

static inline void table_freep(Table **t) {
        table_free(*t);
}
#define _cleanup_table_ __attribute__((cleanup(table_freep)))

/* Numbers read better right-aligned. */
void table_set_right_aligned(Table *t, size_t column);

/*
 * A column that may be cut (its cells end in "...") when the table is wider
 * than table_print_fit() allows, down to min_width; columns marked earlier
 * are cut first.
 */
void table_set_shrinkable(Table *t, size_t column, size_t min_width);

/*
 * Appends a cell; rows fill left to right. NULL and "" show as "-". The table
 * keeps the pointer: text must live until the table is printed (a copy is
 * kept instead when text has control characters, which show escaped: \n,
 * \t, \x1b). Returns 0 or -ENOMEM.
 */
int table_add_cell(Table *t, const char *text);

/* The same with a copy of text, for text that does not live long enough. */
int table_add_cell_copy(Table *t, const char *text);

/*
 * Appends the value of key in record as a cell: strings as they are, true and
 * false as "yes" and "no", numbers in decimal, null or a missing key as "-".
 * The record must live until the table is printed.
 */
int table_add_json_cell(Table *t, struct json_object *record, const char *key);

/* Prints the header and the rows with columns two spaces apart. */
void table_print(const Table *t, FILE *f);
/* The same, cutting shrinkable columns so that a line fits in width columns (as far as their minimums allow). */
void table_print_fit(const Table *t, FILE *f, size_t width);

/* The width a table should fit: the terminal's when stdout is one, else 80. */
size_t output_width(void);

/* Prints o to stdout, pretty, with a final newline. */
void output_json(struct json_object *o);

/* Prints {"key": value} as output_json() does (value is borrowed); returns an IDXDCTL_EXIT_* status. */
int output_json_member(const char *key, struct json_object *value);

/* Prints the one line that says idxdctl ran out of memory; returns IDXDCTL_EXIT_FAILURE. */
int output_oom(void);

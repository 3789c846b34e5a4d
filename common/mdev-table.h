/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The text form of a list of mdevs that ListMdevsByFileDescriptor hands over
 * in a sealed memfd (docs/dbus-api.md): a header line naming the columns,
 * then one line per mdev; fields separated by tabs. Values escape '\\' as
 * "\\\\", tab as "\\t", newline as "\\n"; a field without a value is "\\N"
 * (as in PostgreSQL's COPY text format).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define MDEV_TABLE_MAX_COLUMNS 32

/*
 * Buffered writes to a file descriptor. Not stdio: at 10,000 mdevs the
 * locking of 130,000 fwrite()/fputc() calls costs more than the text.
 */
typedef struct MdevTableWriter {
        int fd;
        int error;              /* the first write error, as a negative errno */
        size_t n;
        char buf[64 * 1024];
} MdevTableWriter;

void mdev_table_writer_init(MdevTableWriter *w, int fd);
/* One field: the value escaped, or "\N" for NULL; sep ('\t' or '\n') after it. */
void mdev_table_write_field(MdevTableWriter *w, const char *value, char sep);
/* Writes out what is buffered; returns 0 or the first error. */
int mdev_table_writer_flush(MdevTableWriter *w);

/*
 * Splits the next line at *cursor (up to end) into at most max fields, in
 * place, and unescapes each; a "\N" field becomes NULL. Moves *cursor past the
 * line. Returns the number of fields, 0 at the end, -EBADMSG for a bad escape
 * or a line without its newline, -E2BIG for more than max fields.
 */
int mdev_table_next_line(char **cursor, char *end, char **fields, size_t max);

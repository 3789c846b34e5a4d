/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "mdev-table.h"

void mdev_table_writer_init(MdevTableWriter *w, int fd) {
        w->fd = fd;
        w->error = 0;
        w->n = 0;
}

int mdev_table_writer_flush(MdevTableWriter *w) {
        for (size_t done = 0; done < w->n && w->error == 0; ) {
                ssize_t k = write(w->fd, w->buf + done, w->n - done);

                if (k < 0 && errno != EINTR)
                        w->error = -errno;
                else if (k == 0)
                        w->error = -EIO;
                else if (k > 0)
                        done += (size_t) k;
        }
        w->n = 0;
        return w->error;
}

static void put(MdevTableWriter *w, const char *s, size_t n) {
        while (n > 0) {
                size_t k;

                if (w->n == sizeof(w->buf))
                        (void) mdev_table_writer_flush(w);
                k = sizeof(w->buf) - w->n;
                if (k > n)
                        k = n;
                memcpy(w->buf + w->n, s, k);
                w->n += k;
                s += k;
                n -= k;
        }
}

void mdev_table_write_field(MdevTableWriter *w, const char *value, char sep) {
        if (!value)
                put(w, "\\N", 2);
        else
                /* Runs without a character to escape go out whole: most values have none. */
                for (;;) {
                        size_t n = strcspn(value, "\\\t\n");

                        put(w, value, n);
                        value += n;
                        if (!*value)
                                break;
                        put(w, *value == '\t' ? "\\t" : *value == '\n' ? "\\n" : "\\\\", 2);
                        value++;
                }
        put(w, &sep, 1);
}

/* In place; returns -EBADMSG for an escape other than \\, \t, \n (\N is handled by the caller). */
static int unescape(char *s) {
        char *out = strchr(s, '\\');

        if (!out)
                return 0;
        for (char *in = out; *in; in++) {
                if (*in != '\\') {
                        *out++ = *in;
                        continue;
                }
                switch (*++in) {
                case '\\':
                        *out++ = '\\';
                        break;
                case 't':
                        *out++ = '\t';
                        break;
                case 'n':
                        *out++ = '\n';
                        break;
                default:
                        return -EBADMSG;
                }
        }
        *out = '\0';
        return 0;
}

int mdev_table_next_line(char **cursor, char *end, char **fields, size_t max) {
        char *line = *cursor, *eol;
        size_t n = 0;

        if (line >= end)
                return 0;
        eol = memchr(line, '\n', end - line);
        if (!eol)
                return -EBADMSG;
        *eol = '\0';
        *cursor = eol + 1;

        for (char *field = line;; ) {
                /* One scan a field: most have neither an escape nor anything after the tab to look at twice. */
                char *stop = field + strcspn(field, "\t\\"), *tab = *stop == '\t' ? stop : strchr(stop, '\t');

                if (n == max)
                        return -E2BIG;
                if (tab)
                        *tab = '\0';
                if (*stop != '\\')
                        fields[n++] = field;
                else if (strcmp(field, "\\N") == 0)
                        fields[n++] = NULL;
                else {
                        if (unescape(field) < 0)
                                return -EBADMSG;
                        fields[n++] = field;
                }
                if (!tab)
                        break;
                field = tab + 1;
        }
        return (int) n;
}

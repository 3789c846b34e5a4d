/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text going out through a buffer of its own, written with fwrite() when
 * full: at 10,000 mdevs a stdio call per token or per table cell was most of
 * idxdctl's instructions. Allocate it (64 KiB), set f, add, flush once at the
 * end; failed says whether a write failed.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct TextBuffer {
        FILE *f;
        bool failed;
        size_t n;
        char buf[64 * 1024];
} TextBuffer;

static inline void text_flush(TextBuffer *t) {
        if (t->n > 0 && fwrite(t->buf, 1, t->n, t->f) != t->n)
                t->failed = true;
        t->n = 0;
}

static inline void text_add(TextBuffer *t, const char *s, size_t n) {
        if (sizeof(t->buf) - t->n < n) {
                text_flush(t);
                if (n > sizeof(t->buf)) {
                        if (fwrite(s, 1, n, t->f) != n)
                                t->failed = true;
                        return;
                }
        }
        memcpy(t->buf + t->n, s, n);
        t->n += n;
}

static inline void text_puts(TextBuffer *t, const char *s) {
        text_add(t, s, strlen(s));
}

/* n spaces. */
static inline void text_pad(TextBuffer *t, size_t n) {
        while (n > 0) {
                size_t k;

                if (t->n == sizeof(t->buf))
                        text_flush(t);
                k = sizeof(t->buf) - t->n < n ? sizeof(t->buf) - t->n : n;
                memset(t->buf + t->n, ' ', k);
                t->n += k;
                n -= k;
        }
}

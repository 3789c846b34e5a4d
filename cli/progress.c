/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <unistd.h>

#include "macro.h"
#include "progress.h"

#define PROGRESS_REDRAW_USEC (100 * 1000ULL)

void progress_init(Progress *p, const char *what, size_t total) {
        *p = (Progress) { .on = isatty(STDERR_FILENO) == 1, .what = what, .total = total };
}

void progress_update(Progress *p, size_t done) {
        uint64_t now;

        p->done = done;
        if (!p->on)
                return;
        now = now_monotonic_usec();
        if (p->drawn && done < p->total && now - p->last_usec < PROGRESS_REDRAW_USEC)
                return;
        p->last_usec = now;
        p->drawn = true;
        fprintf(stderr, "\r%s %zu/%zu\033[K", p->what, done, p->total);
        fflush(stderr);
}

void progress_end(Progress *p) {
        if (p->on && p->drawn) {
                fputs("\r\033[K", stderr);
                fflush(stderr);
        }
        p->drawn = false;
}

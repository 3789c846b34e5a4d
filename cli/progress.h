/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One progress line on standard error while a long call runs; nothing when that is not a terminal. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Progress {
        bool on;                /* standard error is a terminal */
        bool drawn;
        const char *what;       /* "created", "imported" */
        size_t total;
        size_t done;
        uint64_t last_usec;
} Progress;

void progress_init(Progress *p, const char *what, size_t total);
/* Redraws "<what> N/M" at most ten times a second (and at the end). */
void progress_update(Progress *p, size_t done);
/* Clears the line, so that what follows starts clean. */
void progress_end(Progress *p);

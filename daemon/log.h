/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging to stderr with sd-daemon level prefixes, which journald understands. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#define log_full(level, fmt, ...) \
        (void) fprintf(stderr, level "idxdd: " fmt "\n", ##__VA_ARGS__)

#define log_debug(fmt, ...) do { if (log_debug_enabled) log_full(SD_DEBUG, fmt, ##__VA_ARGS__); } while (0)
#define log_info(fmt, ...) log_full(SD_INFO, fmt, ##__VA_ARGS__)
#define log_notice(fmt, ...) log_full(SD_NOTICE, fmt, ##__VA_ARGS__)
#define log_warning(fmt, ...) log_full(SD_WARNING, fmt, ##__VA_ARGS__)
#define log_error(fmt, ...) log_full(SD_ERR, fmt, ##__VA_ARGS__)

/* Logs and returns r (a negative errno), for "return log_error_errno(r, ...)". */
#define log_error_errno(r, fmt, ...) \
        ({ int _r_ = (r); log_full(SD_ERR, fmt ": %s", ##__VA_ARGS__, strerror(-_r_)); _r_; })
#define log_warning_errno(r, fmt, ...) \
        ({ int _r_ = (r); log_full(SD_WARNING, fmt ": %s", ##__VA_ARGS__, strerror(-_r_)); _r_; })

extern int log_debug_enabled;

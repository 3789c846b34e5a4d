/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's own configuration, /etc/idxdd/idxdd.json (docs/config.md).
 * Every key is optional; a missing file means all defaults. (Not named
 * config.h: that is the build's generated header, which daemon sources include.)
 */
#pragma once

#include <stddef.h>

#include "macro.h"

typedef enum IdxdLogLevel {
        IDXD_LOG_ERROR,
        IDXD_LOG_WARNING,
        IDXD_LOG_NOTICE,
        IDXD_LOG_INFO,
        IDXD_LOG_DEBUG,
        _IDXD_LOG_LEVEL_MAX,
} IdxdLogLevel;

/* What a libvirt domain's undefinition does to its mdevs. */
typedef enum IdxdOnUndefined {
        IDXD_ON_UNDEFINED_KEEP,         /* mdevs and definitions stay; the registration shows failed */
        IDXD_ON_UNDEFINED_RELEASE,      /* mdevs not in use are destroyed, their definitions dropped */
        _IDXD_ON_UNDEFINED_MAX,
} IdxdOnUndefined;

typedef struct IdxdConfig {
        char *group;            /* may change mdevs besides root */
        char *libvirt_uri;
        char *state_dir;
        char *policy_dir;
        IdxdLogLevel log_level;
        unsigned ims_reserve;   /* IMS entries kept free per parent unless a pool says otherwise */
        IdxdOnUndefined on_domain_undefined;
        unsigned creates_in_flight;     /* per parent and type: written, uevent not yet seen */
        char *callout_dir;              /* mdevctl-style callout scripts; "" = none */
        unsigned callout_timeout;       /* seconds one callout script may take */
} IdxdConfig;

#define IDXD_DEFAULT_LIBVIRT_URI "qemu:///system"
/* Chosen by bench/create.sh (docs/benchmarks.md); the tests run with 2 (docs/testing.md). */
#define IDXD_DEFAULT_CREATES_IN_FLIGHT 32
#define IDXD_MAX_CREATES_IN_FLIGHT 1024
/* Where mdevctl keeps callouts: existing hooks keep working (docs/daemon.md, "Callouts"). */
#define IDXD_DEFAULT_CALLOUT_DIR "/etc/mdevctl.d/scripts.d/callouts"
#define IDXD_DEFAULT_CALLOUT_TIMEOUT 10
#define IDXD_MAX_CALLOUT_TIMEOUT 3600

const char *idxd_log_level_to_string(IdxdLogLevel l);
int idxd_log_level_from_string(const char *s);
const char *idxd_on_undefined_to_string(IdxdOnUndefined a);
int idxd_on_undefined_from_string(const char *s);

/* A config with every default (config.h's build-time directories and group). */
int idxd_config_new(IdxdConfig **ret);
IdxdConfig *idxd_config_free(IdxdConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(IdxdConfig *, idxd_config_free);

/* Pure: defaults overridden by the file's keys. -EBADMSG with "file:line:column: message". */
int idxd_config_parse(const char *filename, const char *text, size_t length,
                      IdxdConfig **ret, char **ret_error);

/* Reads path; a missing file gives the defaults (and returns 0). */
int idxd_config_load(const char *path, IdxdConfig **ret, char **ret_error);

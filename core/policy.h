/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Policy: pools (which parents and which type) and assignments (a domain
 * gets N mdevs of a pool). Read from *.json files of a directory in name
 * order; files are merged in that order, and order matters: assignments are
 * served first come, first served (docs/config.md). A file with any error
 * rejects the whole set. Parsing is pure; only idxd_policy_load_dir() and
 * idxd_policy_load_file() read files.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

#define IDXD_POLICY_NUMA_ANY (-1)
#define IDXD_POLICY_UNSET (-1)
/* Sanity bounds: larger values are typos, not configurations. */
#define IDXD_POLICY_MAX_COUNT 4096
#define IDXD_POLICY_MAX_IMS 1048576
#define IDXD_POLICY_MAX_NUMA 1023
#define IDXD_POLICY_NAME_MAX 64

typedef struct IdxdPool {
        char *name;
        /* match: all given conditions must hold */
        char *match_parent;     /* fnmatch() glob over the parent's sysfs name; NULL = any */
        char *match_driver;     /* fnmatch() glob over the bound driver; NULL = any */
        int match_numa_node;    /* IDXD_POLICY_NUMA_ANY = any */
        char *type;             /* type id or "-"-suffix of one, required */
        int prefer_numa_node;   /* soft preference; IDXD_POLICY_NUMA_ANY = none */
        long max;               /* mdevs of this pool in total; IDXD_POLICY_UNSET = no limit */
        long max_per_parent;    /* mdevs of this pool on one parent; IDXD_POLICY_UNSET = no limit */
        long ims_reserve;       /* IMS entries kept free per parent; IDXD_POLICY_UNSET = config default */
        char *source;           /* "file:line:column" of its definition */
} IdxdPool;

typedef struct IdxdAssignment {
        char *domain;
        char *pool;
        unsigned count;
        bool persistent;
        bool autostart;
        int prefer_numa_node;   /* overrides the pool's; IDXD_POLICY_NUMA_ANY = the pool's */
        char *source;
} IdxdAssignment;

typedef struct IdxdPolicy {
        IdxdPool *pools;
        size_t n_pools;
        IdxdAssignment *assignments;
        size_t n_assignments;
        size_t n_files;         /* files merged into it */
} IdxdPolicy;

int idxd_policy_new(IdxdPolicy **ret);
IdxdPolicy *idxd_policy_free(IdxdPolicy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(IdxdPolicy *, idxd_policy_free);

/*
 * Parses one policy file's text and merges it into policy. Names of pools
 * must be unique across all files merged; an assignment may name a pool of
 * this or an earlier file. On error returns -EBADMSG with
 * "file:line:column: message" in *ret_error, and policy is unchanged.
 */
int idxd_policy_parse(IdxdPolicy *policy, const char *filename, const char *text, size_t length,
                      char **ret_error);

const IdxdPool *idxd_policy_find_pool(const IdxdPolicy *p, const char *name);

/* Reads and merges one file. -errno with "file: reason" for unreadable files. */
int idxd_policy_load_file(IdxdPolicy *policy, const char *path, char **ret_error);

/*
 * Reads every "*.json" file of dir in strcmp() order into a new policy.
 * Any error rejects the whole set (*ret is untouched). A directory with no
 * policy files gives -ENODATA ("dir: no policy files (*.json)"), a missing
 * one -ENOENT; the daemon may run without policy in both cases.
 */
int idxd_policy_load_dir(const char *dir, IdxdPolicy **ret, char **ret_error);

/* Checks a file or a directory as the daemon would load it (idxdctl policy check). */
int idxd_policy_check_path(const char *path, IdxdPolicy **ret, char **ret_error);

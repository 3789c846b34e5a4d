/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who may change mdevs: root, or a member of the configured group. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

typedef struct AuthGroup {
        char *name;
        bool exists;                    /* false: only root */
        gid_t gid;
} AuthGroup;

/* Resolves name with getgrnam(); a missing group is logged and leaves only root. */
int auth_group_init(AuthGroup *g, const char *name);
void auth_group_done(AuthGroup *g);

/* Pure rule: effective UID 0, or egid/supplementary GIDs include group (when has_group). */
bool auth_allowed(uid_t euid, gid_t egid, const gid_t *gids, size_t n_gids, bool has_group, gid_t group);

/* Checks the sender of m; -EACCES with an AccessDenied error set when not allowed. */
int auth_check_change(const AuthGroup *g, sd_bus_message *m, sd_bus_error *error);

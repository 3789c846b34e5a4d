/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "macro.h"

int auth_group_init(AuthGroup *g, const char *name) {
        struct group *gr;

        g->name = strdup(name);
        if (!g->name)
                return -ENOMEM;
        errno = 0;
        gr = getgrnam(name);
        if (!gr) {
                log_warning("Group %s not found: only root may change mdevs", name);
                g->exists = false;
                return 0;
        }
        g->gid = gr->gr_gid;
        g->exists = true;
        return 0;
}

void auth_group_done(AuthGroup *g) {
        g->name = mfree(g->name);
}

bool auth_allowed(uid_t euid, gid_t egid, const gid_t *gids, size_t n_gids, bool has_group, gid_t group) {
        if (euid == 0)
                return true;
        if (!has_group)
                return false;
        if (egid == group)
                return true;
        for (size_t i = 0; i < n_gids; i++)
                if (gids[i] == group)
                        return true;
        return false;
}

/* When the bus did not report supplementary groups: the user's groups from NSS. */
static bool user_in_group(uid_t uid, gid_t group) {
        struct passwd *pw = getpwuid(uid);
        gid_t gids[256];
        int n = (int) ELEMENTSOF(gids);

        if (!pw || getgrouplist(pw->pw_name, pw->pw_gid, gids, &n) < 0)
                return false;
        return auth_allowed(uid, pw->pw_gid, gids, (size_t) n, true, group);
}

int auth_check_change(const AuthGroup *g, sd_bus_message *m, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        const gid_t *gids = NULL;
        uid_t uid = (uid_t) -1;
        gid_t gid = (gid_t) -1;
        int n_gids, r;

        r = sd_bus_query_sender_creds(m,
                                      SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID | SD_BUS_CREDS_EGID |
                                      SD_BUS_CREDS_GID | SD_BUS_CREDS_SUPPLEMENTARY_GIDS |
                                      SD_BUS_CREDS_AUGMENT,
                                      &creds);
        if (r < 0) {
                log_warning_errno(r, "Failed to get the credentials of %s", strempty(sd_bus_message_get_sender(m)));
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                        "Permission denied: cannot determine the caller's credentials");
        }

        if (sd_bus_creds_get_euid(creds, &uid) < 0)
                (void) sd_bus_creds_get_uid(creds, &uid);
        if (sd_bus_creds_get_egid(creds, &gid) < 0)
                (void) sd_bus_creds_get_gid(creds, &gid);
        n_gids = sd_bus_creds_get_supplementary_gids(creds, &gids);

        if (uid != (uid_t) -1) {
                if (auth_allowed(uid, gid, gids, n_gids > 0 ? (size_t) n_gids : 0, g->exists, g->gid))
                        return 0;
                if (n_gids < 0 && g->exists && user_in_group(uid, g->gid))
                        return 0;
        }

        if (g->exists)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Permission denied: changing mdevs needs root or membership of group %s",
                                         g->name);
        return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                "Permission denied: changing mdevs needs root");
}

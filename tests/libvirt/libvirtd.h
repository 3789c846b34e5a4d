/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A private, real libvirtd for tests: session mode (qemu:///session) in a
 * temporary directory, listening on its own unix socket, nothing shared with
 * the host's libvirt. As root it runs as the unprivileged user "nobody",
 * because a root libvirtd always uses the system's directories.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

typedef struct Libvirtd {
        char dir[64];           /* the temporary root */
        char *uri;              /* qemu+unix:///session?socket=... */
        char *log;              /* libvirtd's stdout and stderr */
        pid_t pid;              /* 0 when not running */
        bool drop_privileges;
        uid_t uid;
        gid_t gid;
        char **envp;
        size_t n_env;
        char *mdevctl_dir;      /* NULL, or /etc/mdevctl.d for libvirtd: a private mount namespace */
        int taken_fds;          /* fds 3 to this are held on /dev/null in libvirtd (0: none) */
} Libvirtd;

/* Makes the directories and configuration. */
int libvirtd_setup(Libvirtd *d);
/* Sets (or replaces) one variable of libvirtd's environment; before libvirtd_start(). */
int libvirtd_set_env(Libvirtd *d, const char *name, const char *value);
/*
 * libvirtd sees dir as /etc/mdevctl.d, in a mount namespace of its own (a
 * bind mount, over an overlay of /etc when the host has no such directory):
 * its node-device driver watches that directory, nothing of the host's is
 * touched. -EOPNOTSUPP when mount namespaces cannot be made here.
 */
int libvirtd_set_mdevctl_dir(Libvirtd *d, const char *dir);
/* Starts libvirtd and waits until it answers (bounded). */
int libvirtd_start(Libvirtd *d);
/* SIGTERM, then SIGKILL after a while; waits for the process. */
int libvirtd_stop(Libvirtd *d);
/* Stops it and removes the directory. */
void libvirtd_cleanup(Libvirtd *d);
/* Prints the tail of libvirtd's log to stderr (for a failing test). */
void libvirtd_dump_log(const Libvirtd *d);

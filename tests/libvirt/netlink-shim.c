/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test-only preload beside umockdev's, for a libvirtd inside a umockdev
 * testbed. umockdev turns a NETLINK_KOBJECT_UEVENT socket into a Unix
 * socket bound at $UMOCKDEV_DIR/event<fd>, which libudev takes. libnl, with
 * which libvirtd listens for uevents itself (and does not start without),
 * checks with getsockname() that it got a netlink address and joins the
 * multicast group with a netlink socket option: for such a socket these
 * answer as netlink would.
 *
 * umockdev 0.17's preload has no fork handlers: libvirtd forks (to run
 * mdevctl) while another of its threads may hold the preload's path lock,
 * and the child then hangs in its first opendir() before exec (seen: about
 * 1 run in 20, libvirtd's node-device driver never done initializing). The
 * preload exports its two locks (trap_path_lock, ioctl_lock); the handlers
 * here take them, in the preload's own order, around fork(). Nothing else
 * is touched.
 */
#include <dlfcn.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

typedef int (*GetsocknameFunc)(int, struct sockaddr *, socklen_t *);
typedef int (*SetsockoptFunc)(int, int, int, const void *, socklen_t);

static GetsocknameFunc real_getsockname(void) {
        static GetsocknameFunc f;

        if (!f)
                f = (GetsocknameFunc) dlsym(RTLD_NEXT, "getsockname");
        return f;
}

/* A socket umockdev made of a uevent netlink socket: bound at $UMOCKDEV_DIR/event<fd>. */
static bool testbed_uevent_socket(int fd) {
        const char *dir = getenv("UMOCKDEV_DIR");
        struct sockaddr_un un = {};
        socklen_t len = sizeof(un);
        char prefix[sizeof(un.sun_path)];

        return dir && real_getsockname()(fd, (struct sockaddr *) &un, &len) == 0 && un.sun_family == AF_UNIX &&
                snprintf(prefix, sizeof(prefix), "%s/event", dir) < (int) sizeof(prefix) &&
                strncmp(un.sun_path, prefix, strlen(prefix)) == 0;
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len) {
        struct sockaddr_nl nl = { .nl_family = AF_NETLINK, .nl_pid = (unsigned) getpid(), .nl_groups = 1 };

        if (*len < sizeof(nl) || !testbed_uevent_socket(fd))
                return real_getsockname()(fd, addr, len);
        memcpy(addr, &nl, sizeof(nl));
        *len = sizeof(nl);
        return 0;
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t len) {
        static SetsockoptFunc real;

        if (!real)
                real = (SetsockoptFunc) dlsym(RTLD_NEXT, "setsockopt");
        /* Group membership and the like: umockdev sends every uevent to every such socket anyway. */
        if (level == SOL_NETLINK && testbed_uevent_socket(fd))
                return 0;
        return real(fd, level, name, value, len);
}

/* umockdev's locks, in the order its wrappers nest them (path lock, then ioctl lock); NULL without umockdev. */
static pthread_mutex_t *umockdev_locks[2];

static void fork_prepare(void) {
        for (size_t i = 0; i < 2; i++)
                if (umockdev_locks[i])
                        pthread_mutex_lock(umockdev_locks[i]);
}

static void fork_done(void) {
        for (size_t i = 2; i-- > 0;)
                if (umockdev_locks[i])
                        pthread_mutex_unlock(umockdev_locks[i]);
}

__attribute__((constructor)) static void hold_umockdev_locks_across_fork(void) {
        umockdev_locks[0] = dlsym(RTLD_DEFAULT, "trap_path_lock");
        umockdev_locks[1] = dlsym(RTLD_DEFAULT, "ioctl_lock");
        if (umockdev_locks[0] || umockdev_locks[1])
                (void) pthread_atfork(fork_prepare, fork_done, fork_done);
}

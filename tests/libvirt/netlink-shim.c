/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test-only preload beside umockdev's, for a libvirtd inside a umockdev
 * testbed. umockdev turns a NETLINK_KOBJECT_UEVENT socket into a Unix
 * socket bound at $UMOCKDEV_DIR/event<fd>, which libudev takes. libnl, with
 * which libvirtd listens for uevents itself (and does not start without),
 * checks with getsockname() that it got a netlink address and joins the
 * multicast group with a netlink socket option: for such a socket these
 * answer as netlink would. Nothing else is touched.
 */
#include <dlfcn.h>
#include <linux/netlink.h>
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

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which libvirt URIs idxdd's own client serves, and where it connects (registrar/libvirt-uri.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "libvirt-uri.h"

static void assert_local(const char *uri, const char *name, const char *socket0, const char *socket1) {
        IdxdLibvirtLocal l;

        assert_int_equal(idxd_libvirt_uri_local(uri, "/run/libvirt", &l), 0);
        assert_string_equal(l.name, name);
        assert_string_equal(l.sockets[0], socket0);
        if (socket1)
                assert_string_equal(l.sockets[1], socket1);
        else
                assert_null(l.sockets[1]);
        idxd_libvirt_local_done(&l);
        assert_null(l.name);
}

static void assert_not_local(const char *uri) {
        IdxdLibvirtLocal l;

        assert_int_equal(idxd_libvirt_uri_local(uri, "/run/libvirt", &l), -EPROTONOSUPPORT);
        assert_null(l.name);
        assert_null(l.sockets[0]);
}

static void test_system(void **state) {
        /* The driver's own daemon first (modular libvirt), then libvirtd. */
        assert_local("qemu:///system", "qemu:///system", "/run/libvirt/virtqemud-sock", "/run/libvirt/libvirt-sock");
        assert_local("qemu+unix:///system", "qemu:///system", "/run/libvirt/virtqemud-sock",
                     "/run/libvirt/libvirt-sock");
        assert_local("lxc:///system", "lxc:///system", "/run/libvirt/virtlxcd-sock", "/run/libvirt/libvirt-sock");
        assert_local("xen:///system", "xen:///system", "/run/libvirt/virtxend-sock", "/run/libvirt/libvirt-sock");
        assert_local("ch:///system", "ch:///system", "/run/libvirt/virtchd-sock", "/run/libvirt/libvirt-sock");
}

static void test_socket(void **state) {
        assert_local("qemu+unix:///session?socket=/tmp/x/libvirt-sock", "qemu:///session", "/tmp/x/libvirt-sock",
                     NULL);
        assert_local("qemu+unix:///system?socket=/srv/virt%20d/sock", "qemu:///system", "/srv/virt d/sock", NULL);
        assert_local("qemu+unix:///system?socket=%2Frun%2Fsock", "qemu:///system", "/run/sock", NULL);
}

static void test_not_local(void **state) {
        static const char *const uris[] = {
                "",
                "qemu",
                "qemu:",
                "qemu://host/system",                   /* another host */
                "qemu+ssh://root@host/system",
                "qemu+tcp://127.0.0.1:1/system",
                "qemu+tls:///system",
                "qemu+ext:///system?command=/bin/x",
                "qemu+unixx:///system",
                "qemu:///embed?root=/tmp/x",            /* in-process: libvirt's library */
                "test:///default",
                "nosuchdriver:///default",
                "network:///system",
                "qemu:///session",                      /* libvirt would start a session daemon */
                "qemu:///system?socket=/x",             /* socket= is for the unix transport */
                "qemu+unix:///system?no_verify=1",      /* parameters only libvirt knows */
                "qemu+unix:///system?socket=/x&mode=direct",
                "qemu+unix:///system?socket=relative/sock",
                "qemu+unix:///system?socket=",
                "qemu+unix:///system?socket=/x%00y",
                "qemu+unix:///system?socket=/x%4",
                "qemu+unix:///system?socket=/x%zz",
                "qemu:///systemd",
                "qemu:///system/",
                "QEMU:///system",
        };

        for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
                print_message("%s\n", uris[i]);
                assert_not_local(uris[i]);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_system),
                cmocka_unit_test(test_socket),
                cmocka_unit_test(test_not_local),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * idxdd's own libvirt client (registrar/libvirt-rpc.c) against a scripted
 * daemon on a unix socket: what a real libvirtd does not do on demand
 * (pings in the middle of a reply, SASL, garbage, a silent daemon).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "libvirt-rpc.h"

#define REMOTE_PROGRAM 0x20008086U
#define KEEPALIVE_PROGRAM 0x6b656570U

typedef struct Msg {
        uint32_t program, proc, type, serial, status;
        uint8_t payload[4096];
        size_t size;
} Msg;

typedef struct Fake {
        char dir[32];
        char path[64];
        char uri[128];
        int listen_fd;
        pthread_t thread;
        void (*script)(int fd);
} Fake;

static uint32_t get32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v) {
        p[0] = v >> 24;
        p[1] = v >> 16;
        p[2] = v >> 8;
        p[3] = v;
}

static bool read_all(int fd, void *buf, size_t n) {
        for (size_t done = 0; done < n;) {
                ssize_t k = read(fd, (uint8_t *) buf + done, n - done);

                if (k <= 0)
                        return false;
                done += (size_t) k;
        }
        return true;
}

/* The next message from the client; false at EOF. */
static bool recv_msg(int fd, Msg *m) {
        uint8_t head[28];
        uint32_t length;

        if (!read_all(fd, head, sizeof(head)))
                return false;
        length = get32(head);
        if (length < 28 || length - 28 > sizeof(m->payload))
                return false;
        m->program = get32(head + 4);
        m->proc = get32(head + 12);
        m->type = get32(head + 16);
        m->serial = get32(head + 20);
        m->status = get32(head + 24);
        m->size = length - 28;
        return read_all(fd, m->payload, m->size);
}

static void send_msg(int fd, uint32_t program, uint32_t proc, uint32_t type, uint32_t serial, uint32_t status,
                     const void *payload, size_t n) {
        uint8_t buf[4096];

        assert_true(n + 28 <= sizeof(buf));
        put32(buf, (uint32_t) (n + 28));
        put32(buf + 4, program);
        put32(buf + 8, 1);
        put32(buf + 12, proc);
        put32(buf + 16, type);
        put32(buf + 20, serial);
        put32(buf + 24, status);
        if (n > 0)
                memcpy(buf + 28, payload, n);
        assert_int_equal(write(fd, buf, n + 28), (ssize_t) (n + 28));
}

static void reply_int(int fd, const Msg *call, uint32_t v) {
        uint8_t p[4];

        put32(p, v);
        send_msg(fd, REMOTE_PROGRAM, call->proc, 1, call->serial, 0, p, 4);
}

/* XDR string: length, bytes, padding to 4. Returns the bytes written at p. */
static size_t put_string(uint8_t *p, const char *s) {
        size_t n = strlen(s), padded = (n + 3) & ~(size_t) 3;

        put32(p, (uint32_t) n);
        memset(p + 4, 0, padded);
        memcpy(p + 4, s, n);
        return 4 + padded;
}

/* remote_nonnull_domain: name, 16-byte UUID, id. */
static size_t put_domain(uint8_t *p, const char *name, int id) {
        size_t n = put_string(p, name);

        memset(p + n, 0xab, 16);
        put32(p + n + 16, (uint32_t) id);
        return n + 20;
}

/* Expects a call of proc. */
static void expect_call(int fd, uint32_t proc, Msg *m) {
        assert_true(recv_msg(fd, m));
        assert_int_equal(m->program, REMOTE_PROGRAM);
        assert_int_equal(m->type, 0);
        assert_int_equal(m->proc, proc);
}

/* What the client says at open: auth list (answered with no types), keepalive?, open, event callbacks? */
static void serve_open(int fd) {
        Msg m;

        expect_call(fd, 66, &m);                        /* AUTH_LIST */
        reply_int(fd, &m, 0);                           /* no types: none needed */
        expect_call(fd, 60, &m);                        /* SUPPORTS_FEATURE */
        assert_int_equal(get32(m.payload), 10);         /* keepalive */
        reply_int(fd, &m, 1);
        expect_call(fd, 1, &m);                         /* CONNECT_OPEN */
        assert_int_equal(get32(m.payload), 1);          /* a name */
        assert_int_equal(get32(m.payload + 4), strlen("qemu:///system"));
        assert_memory_equal(m.payload + 8, "qemu:///system", strlen("qemu:///system"));
        send_msg(fd, REMOTE_PROGRAM, m.proc, 1, m.serial, 0, NULL, 0);
        expect_call(fd, 60, &m);
        assert_int_equal(get32(m.payload), 14);         /* event callbacks */
        reply_int(fd, &m, 1);
}

static void *fake_main(void *userdata) {
        Fake *f = userdata;
        int fd = accept(f->listen_fd, NULL, NULL);

        assert_true(fd >= 0);
        f->script(fd);
        close(fd);
        return NULL;
}

static void fake_start(Fake *f, void (*script)(int fd)) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        snprintf(f->dir, sizeof(f->dir), "/tmp/idxd-rpc-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/sock", f->dir);
        snprintf(f->uri, sizeof(f->uri), "qemu+unix:///system?socket=%s", f->path);
        strcpy(sa.sun_path, f->path);
        f->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_true(f->listen_fd >= 0);
        assert_int_equal(bind(f->listen_fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(f->listen_fd, 1), 0);
        f->script = script;
        assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(Fake *f) {
        assert_int_equal(pthread_join(f->thread, NULL), 0);
        close(f->listen_fd);
        unlink(f->path);
        rmdir(f->dir);
}

typedef struct Seen {
        int lifecycle;          /* events */
        int last_event;
        char name[32];
        int closed;
        int reason;
} Seen;

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
        Seen *s = opaque;

        s->lifecycle++;
        s->last_event = event;
        snprintf(s->name, sizeof(s->name), "%s", virDomainGetName(dom));
        return 0;
}

static void on_close(virConnectPtr conn, int reason, void *opaque) {
        Seen *s = opaque;

        s->closed++;
        s->reason = reason;
}

/* A connection to a fake daemon running script, its close callback counting in seen. */
static virConnectPtr open_watched(Fake *f, void (*script)(int fd), Seen *seen) {
        virConnectPtr c;

        fake_start(f, script);
        c = virConnectOpen(f->uri);
        assert_non_null(c);
        assert_int_equal(virConnectRegisterCloseCallback(c, on_close, seen, NULL), 0);
        return c;
}

static void nothing(int timer, void *opaque) {
}

/* Runs the thread's loop until cond or about 5 s. */
static void run_loop_until(bool (*cond)(const Seen *s), const Seen *s) {
        int timer = virEventAddTimeout(50, nothing, NULL, NULL);

        for (int i = 0; i < 100 && !cond(s); i++)
                assert_int_equal(virEventRunDefaultImpl(), 0);
        assert_int_equal(virEventRemoveTimeout(timer), 0);
}

static bool got_event(const Seen *s) {
        return s->lifecycle > 0;
}

static bool got_close(const Seen *s) {
        return s->closed > 0;
}

/* A lookup whose reply comes after a ping and an event; the event reaches the loop later. */
static void script_lookup(int fd) {
        uint8_t p[256];
        size_t n;
        Msg m;

        serve_open(fd);
        expect_call(fd, 316, &m);                       /* CALLBACK_REGISTER_ANY */
        assert_int_equal(get32(m.payload), 0);          /* lifecycle */
        assert_int_equal(get32(m.payload + 4), 0);      /* all domains */
        reply_int(fd, &m, 7);

        expect_call(fd, 23, &m);                        /* LOOKUP_BY_NAME */
        send_msg(fd, KEEPALIVE_PROGRAM, 1, 2, 0, 0, NULL, 0);      /* PING */
        put32(p, 7);                                    /* callbackID */
        n = 4 + put_domain(p + 4, "vm1", 3);
        put32(p + n, 2);                                /* started */
        put32(p + n + 4, 0);
        send_msg(fd, REMOTE_PROGRAM, 318, 2, 0, 0, p, n + 8);
        {
                Msg pong;

                assert_true(recv_msg(fd, &pong));       /* answered before the reply came */
                assert_int_equal(pong.program, KEEPALIVE_PROGRAM);
                assert_int_equal(pong.proc, 2);
                assert_int_equal(pong.type, 2);
        }
        n = put_domain(p, "vm1", 3);
        send_msg(fd, REMOTE_PROGRAM, m.proc, 1, m.serial, 0, p, n);

        /* not found: libvirt's remote_error */
        expect_call(fd, 23, &m);
        put32(p, 42);                                   /* VIR_ERR_NO_DOMAIN */
        put32(p + 4, 10);                               /* VIR_FROM_QEMU */
        put32(p + 8, 1);
        n = 12 + put_string(p + 12, "Domain not found: no domain with matching name 'vm2'");
        put32(p + n, 2);                                /* level */
        memset(p + n + 4, 0, 4 * 4 + 4 * 2 + 4);        /* dom, str1-3 absent; int1, int2; net absent */
        send_msg(fd, REMOTE_PROGRAM, m.proc, 1, m.serial, 1, p, n + 4 + 28);

        expect_call(fd, 2, &m);                         /* CONNECT_CLOSE */
        send_msg(fd, REMOTE_PROGRAM, m.proc, 1, m.serial, 0, NULL, 0);
}

static void test_lookup_event_ping(void **state) {
        Seen seen = {};
        virConnectPtr c;
        virDomainPtr d;
        Fake f;

        c = open_watched(&f, script_lookup, &seen);
        assert_int_equal(virConnectDomainEventRegisterAny(c, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                           VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), &seen, NULL),
                         7);
        d = virDomainLookupByName(c, "vm1");
        assert_non_null(d);
        assert_string_equal(virDomainGetName(d), "vm1");
        virDomainFree(d);
        assert_int_equal(seen.lifecycle, 0);            /* not from inside the call */
        run_loop_until(got_event, &seen);
        assert_int_equal(seen.lifecycle, 1);
        assert_int_equal(seen.last_event, VIR_DOMAIN_EVENT_STARTED);
        assert_string_equal(seen.name, "vm1");

        assert_null(virDomainLookupByName(c, "vm2"));
        assert_non_null(virGetLastError());
        assert_int_equal(virGetLastError()->code, VIR_ERR_NO_DOMAIN);
        assert_string_equal(virGetLastErrorMessage(), "Domain not found: no domain with matching name 'vm2'");
        assert_int_equal(virConnectIsAlive(c), 1);

        assert_int_equal(virConnectUnregisterCloseCallback(c, on_close), 0);
        assert_int_equal(virConnectClose(c), 0);
        assert_int_equal(seen.closed, 0);
        fake_stop(&f);
}

static void script_sasl(int fd) {
        uint8_t p[8];
        Msg m;

        expect_call(fd, 66, &m);
        put32(p, 1);
        put32(p + 4, 1);                                /* SASL */
        send_msg(fd, REMOTE_PROGRAM, m.proc, 1, m.serial, 0, p, 8);
        assert_false(recv_msg(fd, &m));                 /* the client hangs up */
}

static void test_sasl_refused(void **state) {
        Fake f;

        fake_start(&f, script_sasl);
        assert_null(virConnectOpen(f.uri));
        assert_int_equal(virGetLastError()->code, VIR_ERR_AUTH_UNAVAILABLE);
        assert_non_null(strstr(virGetLastErrorMessage(), "SASL"));
        assert_non_null(strstr(virGetLastErrorMessage(), f.uri));
        fake_stop(&f);
}

static void script_garbage(int fd) {
        uint8_t bad[8] = { 0, 0, 0, 8, 1, 2, 3, 4 };   /* shorter than a header */
        Msg m;

        serve_open(fd);
        expect_call(fd, 23, &m);
        assert_int_equal(write(fd, bad, sizeof(bad)), (ssize_t) sizeof(bad));
        assert_false(recv_msg(fd, &m));
}

static void test_garbage(void **state) {
        Seen seen = {};
        virConnectPtr c;
        Fake f;

        c = open_watched(&f, script_garbage, &seen);
        assert_null(virDomainLookupByName(c, "vm1"));
        assert_non_null(strstr(virGetLastErrorMessage(), "bad length (8 bytes)"));
        assert_int_equal(virConnectIsAlive(c), 0);
        run_loop_until(got_close, &seen);
        assert_int_equal(seen.closed, 1);
        assert_int_equal(seen.reason, VIR_CONNECT_CLOSE_REASON_ERROR);
        assert_int_equal(virConnectUnregisterCloseCallback(c, on_close), 0);
        assert_int_equal(virConnectClose(c), 0);
        fake_stop(&f);
}

static void script_hang_up(int fd) {
        uint8_t half[12] = { 0, 0, 0, 60 };
        uint8_t p[64];
        Msg m;

        serve_open(fd);
        expect_call(fd, 23, &m);
        send_msg(fd, REMOTE_PROGRAM, m.proc, 1, m.serial, 0, p, put_domain(p, "vm1", -1));
        expect_call(fd, 14, &m);                        /* GET_XML_DESC */
        assert_int_equal(write(fd, half, sizeof(half)), (ssize_t) sizeof(half));
}

static void test_hang_up_mid_reply(void **state) {
        Seen seen = {};
        virConnectPtr c;
        virDomainPtr d;
        Fake f;

        c = open_watched(&f, script_hang_up, &seen);
        d = virDomainLookupByName(c, "vm1");
        assert_non_null(d);
        assert_null(virDomainGetXMLDesc(d, 0));
        assert_string_equal(virGetLastErrorMessage(), "libvirt closed the connection");
        assert_int_equal(virConnectIsAlive(c), 0);
        assert_int_equal(seen.closed, 0);               /* told on the loop, not inside the call */
        run_loop_until(got_close, &seen);
        assert_int_equal(seen.closed, 1);
        assert_int_equal(seen.reason, VIR_CONNECT_CLOSE_REASON_EOF);
        virDomainFree(d);
        assert_int_equal(virConnectClose(c), 0);
        fake_stop(&f);
}

static void script_silent(int fd) {
        Msg m;

        serve_open(fd);
        /* Pings are read and never answered, until the client gives up. */
        while (recv_msg(fd, &m))
                assert_int_equal(m.program, KEEPALIVE_PROGRAM);
}

static void test_keepalive_dead(void **state) {
        Seen seen = {};
        virConnectPtr c;
        Fake f;
        time_t t0;

        c = open_watched(&f, script_silent, &seen);
        assert_int_equal(virConnectSetKeepAlive(c, 1, 1), 0);
        t0 = time(NULL);
        while (!seen.closed && time(NULL) - t0 < 10)
                assert_int_equal(virEventRunDefaultImpl(), 0);
        assert_int_equal(seen.closed, 1);
        assert_int_equal(seen.reason, VIR_CONNECT_CLOSE_REASON_KEEPALIVE);
        assert_true(time(NULL) - t0 >= 1);
        assert_int_equal(virConnectIsAlive(c), 0);
        assert_int_equal(virConnectClose(c), 0);
        fake_stop(&f);
}

static void test_not_local(void **state) {
        assert_null(virConnectOpen("qemu+ssh://host/system"));
        assert_int_equal(virGetLastError()->code, VIR_ERR_NO_CONNECT);
        assert_non_null(strstr(virGetLastErrorMessage(), "qemu+ssh://host/system"));
        assert_null(virConnectOpen("qemu+unix:///system?socket=/nonexistent/sock"));
        assert_int_equal(virGetLastError()->code, VIR_ERR_SYSTEM_ERROR);
        assert_string_equal(virGetLastErrorMessage(),
                            "Failed to connect socket to '/nonexistent/sock': No such file or directory");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lookup_event_ping),
                cmocka_unit_test(test_sasl_refused),
                cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_hang_up_mid_reply),
                cmocka_unit_test(test_keepalive_dead),
                cmocka_unit_test(test_not_local),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

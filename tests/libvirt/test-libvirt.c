/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libvirt registrar (daemon/libvirt.c) against a real, private libvirtd
 * (libvirtd.c). The test defines its own domains over a second connection
 * and reads their XML to see what the registrar did.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <systemd/sd-event.h>

#include "libvirt.h"
#include "libvirtd.h"
#include "macro.h"

#define WAIT_USEC (30 * 1000000ULL)
#define N_RESTART 20

static Libvirtd daemon_under_test;
static virConnectPtr conn;

/* What the registrar's callbacks told, per test. */
typedef struct Recorder {
        char events[64][80];            /* "<event> <domain>" */
        size_t n_events;
        unsigned state_changes;
        IdxdLibvirtState last_state;
        unsigned registrations[_IDXD_REGISTRATION_MAX];
} Recorder;

typedef struct Fixture {
        sd_event *event;
        IdxdLibvirt *libvirt;
        Recorder rec;
} Fixture;

static void on_registration(IdxdLibvirt *l, const IdxdUuid *uuid, const char *domain, IdxdRegistration state,
                            const char *message, void *userdata) {
        Recorder *rec = userdata;

        rec->registrations[state]++;
        if (getenv("IDXD_TEST_VERBOSE")) {
                char s[IDXD_UUID_STRING_MAX];

                fprintf(stderr, "# %s in %s: %s%s%s\n", idxd_uuid_format(uuid, s), domain,
                        idxd_registration_to_string(state), message ? ": " : "", message ?: "");
        }
}

static void on_domain_event(IdxdLibvirt *l, const char *domain, IdxdDomainEvent event, void *userdata) {
        Recorder *rec = userdata;

        if (getenv("IDXD_TEST_VERBOSE"))
                fprintf(stderr, "# domain %s %s\n", domain, idxd_domain_event_to_string(event));
        if (rec->n_events < sizeof(rec->events) / sizeof(rec->events[0]))
                snprintf(rec->events[rec->n_events++], sizeof(rec->events[0]), "%s %s",
                         idxd_domain_event_to_string(event), domain);
}

static void on_state(IdxdLibvirt *l, IdxdLibvirtState state, const char *message, void *userdata) {
        Recorder *rec = userdata;

        rec->state_changes++;
        rec->last_state = state;
        if (getenv("IDXD_TEST_VERBOSE"))
                fprintf(stderr, "# libvirt %s%s%s\n", idxd_libvirt_state_to_string(state),
                        message ? ": " : "", message ?: "");
}

static const IdxdLibvirtCallbacks callbacks = {
        .registration_changed = on_registration,
        .domain_event = on_domain_event,
        .state_changed = on_state,
};

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

typedef bool (*Condition)(Fixture *f, const void *arg);

/* Runs the test's sd-event loop until cond holds; false on timeout. */
static bool run_until(Fixture *f, Condition cond, const void *arg, uint64_t timeout_usec) {
        uint64_t deadline = now_usec() + timeout_usec;

        while (!cond(f, arg)) {
                if (now_usec() >= deadline)
                        return false;
                assert_true(sd_event_run(f->event, 100 * 1000) >= 0);
        }
        return true;
}

static void run_for(Fixture *f, uint64_t usec) {
        for (uint64_t end = now_usec() + usec; now_usec() < end;)
                assert_true(sd_event_run(f->event, 100 * 1000) >= 0);
}

static bool is_connected(Fixture *f, const void *arg) {
        return idxd_libvirt_get_state(f->libvirt) == IDXD_LIBVIRT_CONNECTED;
}

static bool is_disconnected(Fixture *f, const void *arg) {
        return idxd_libvirt_get_state(f->libvirt) == IDXD_LIBVIRT_DISCONNECTED;
}

static bool nothing_pending(Fixture *f, const void *arg) {
        return idxd_libvirt_get_pending(f->libvirt) == 0;
}

typedef struct Expect {
        const IdxdUuid *uuid;
        IdxdRegistration state;
} Expect;

static bool registration_is(Fixture *f, const void *arg) {
        const Expect *e = arg;

        return idxd_libvirt_get_registration(f->libvirt, e->uuid, NULL) == e->state &&
               idxd_libvirt_get_pending(f->libvirt) == 0;
}

static bool event_seen(Fixture *f, const void *arg) {
        for (size_t i = 0; i < f->rec.n_events; i++)
                if (strcmp(f->rec.events[i], arg) == 0)
                        return true;
        return false;
}

static void wait_registration(Fixture *f, const IdxdUuid *uuid, IdxdRegistration state) {
        Expect e = { uuid, state };

        if (!run_until(f, registration_is, &e, WAIT_USEC)) {
                _cleanup_free_ char *message = NULL;
                IdxdRegistration now = idxd_libvirt_get_registration(f->libvirt, uuid, &message);

                fail_msg("registration is %s (%s), expected %s; %u pending", idxd_registration_to_string(now),
                         message ?: "no message", idxd_registration_to_string(state),
                         idxd_libvirt_get_pending(f->libvirt));
        }
}

static void uuid_n(unsigned n, IdxdUuid *ret) {
        char s[IDXD_UUID_STRING_MAX];

        snprintf(s, sizeof(s), "5a0d1d7e-1000-4000-8000-%012x", n);
        assert_int_equal(idxd_uuid_parse(s, ret), 0);
}

/* A test that failed half-way may have left libvirtd stopped. */
static void ensure_libvirtd(void) {
        if (daemon_under_test.pid <= 0)
                assert_int_equal(libvirtd_start(&daemon_under_test), 0);
        if (!conn)
                conn = virConnectOpen(daemon_under_test.uri);
        assert_non_null(conn);
}

static virDomainPtr define_domain(const char *name) {
        char xml[1024];
        virDomainPtr dom;

        ensure_libvirtd();

        snprintf(xml, sizeof(xml),
                 "<domain type='qemu'><name>%s</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>"
                 "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
                 "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>", name);
        dom = virDomainDefineXML(conn, xml);
        if (!dom)
                fail_msg("Cannot define domain %s: %s", name, virGetLastErrorMessage());
        return dom;
}

static char *config_xml(virDomainPtr dom) {
        char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);

        assert_non_null(xml);
        return xml;
}

static int config_count(virDomainPtr dom, const IdxdUuid *uuid) {
        _cleanup_free_ char *xml = config_xml(dom);

        return idxd_libvirt_xml_count_mdev(xml, uuid);
}

static int live_count(virDomainPtr dom, const IdxdUuid *uuid) {
        _cleanup_free_ char *xml = virDomainGetXMLDesc(dom, 0);

        assert_non_null(xml);
        return idxd_libvirt_xml_count_mdev(xml, uuid);
}

static void undefine(virDomainPtr dom) {
        if (virDomainIsActive(dom) == 1)
                (void) virDomainDestroy(dom);
        (void) virDomainUndefine(dom);
        virDomainFree(dom);
}

static void fixture_start(Fixture *f) {
        memset(f, 0, sizeof(*f));
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(idxd_libvirt_new(f->event, daemon_under_test.uri, &callbacks, &f->rec, &f->libvirt), 0);
        assert_string_equal(idxd_libvirt_get_uri(f->libvirt), daemon_under_test.uri);
        assert_true(run_until(f, is_connected, NULL, WAIT_USEC));
}

static void fixture_stop(Fixture *f) {
        f->libvirt = idxd_libvirt_free(f->libvirt);
        f->event = sd_event_unref(f->event);
}

/* Attach on register, detach on unregister, and the config is as it was before. */
static void test_attach_detach_round_trip(void **state) {
        _cleanup_free_ char *before = NULL, *after = NULL;
        virDomainPtr dom = define_domain("t-round-trip");
        IdxdUuid u;
        Fixture f;

        uuid_n(1, &u);
        before = config_xml(dom);
        fixture_start(&f);

        assert_int_equal(idxd_libvirt_register(f.libvirt, &u, "t-round-trip", false), 0);
        assert_int_equal(idxd_libvirt_get_registration(f.libvirt, &u, NULL), IDXD_REGISTRATION_PENDING);
        wait_registration(&f, &u, IDXD_REGISTRATION_REGISTERED);
        assert_int_equal(config_count(dom, &u), 1);
        assert_int_equal(f.rec.registrations[IDXD_REGISTRATION_REGISTERED], 1);

        assert_int_equal(idxd_libvirt_unregister(f.libvirt, &u), 0);
        wait_registration(&f, &u, IDXD_REGISTRATION_NONE);
        assert_int_equal(f.rec.registrations[IDXD_REGISTRATION_NONE], 1);
        after = config_xml(dom);
        assert_string_equal(before, after);

        fixture_stop(&f);
        undefine(dom);
}

/* Registered with another domain: out of the old one, into the new one. */
static void test_move(void **state) {
        _cleanup_free_ char *before_a = NULL, *before_b = NULL, *after_a = NULL, *after_b = NULL;
        virDomainPtr a = define_domain("t-move-a"), b = define_domain("t-move-b");
        IdxdUuid u;
        Fixture f;

        uuid_n(9, &u);
        before_a = config_xml(a);
        before_b = config_xml(b);
        fixture_start(&f);

        assert_int_equal(idxd_libvirt_register(f.libvirt, &u, "t-move-a", false), 0);
        wait_registration(&f, &u, IDXD_REGISTRATION_REGISTERED);
        assert_int_equal(idxd_libvirt_register(f.libvirt, &u, "t-move-b", false), 0);
        wait_registration(&f, &u, IDXD_REGISTRATION_REGISTERED);
        assert_int_equal(config_count(a, &u), 0);
        assert_int_equal(config_count(b, &u), 1);
        after_a = config_xml(a);
        assert_string_equal(before_a, after_a);

        assert_int_equal(idxd_libvirt_unregister(f.libvirt, &u), 0);
        wait_registration(&f, &u, IDXD_REGISTRATION_NONE);
        after_b = config_xml(b);
        assert_string_equal(before_b, after_b);

        fixture_stop(&f);
        undefine(a);
        undefine(b);
}

/* A hostdev already there (a hand edit, an earlier run) is recognised, never added twice. */
static void test_duplicate(void **state) {
        _cleanup_free_ char *before = NULL, *after = NULL, *hostdev = NULL;
        virDomainPtr dom = define_domain("t-duplicate");
        IdxdUuid u;
        Fixture f;

        uuid_n(2, &u);
        before = config_xml(dom);
        assert_int_equal(idxd_libvirt_hostdev_xml(&u, &hostdev), 0);
        assert_int_equal(virDomainAttachDeviceFlags(dom, hostdev, VIR_DOMAIN_AFFECT_CONFIG), 0);
        assert_int_equal(config_count(dom, &u), 1);

        fixture_start(&f);
        assert_int_equal(idxd_libvirt_register(f.libvirt, &u, "t-duplicate", false), 0);
        wait_registration(&f, &u, IDXD_REGISTRATION_REGISTERED);
        assert_int_equal(config_count(dom, &u), 1);

        /* Again, and from a second registrar (a daemon restart). */
        assert_int_equal(idxd_libvirt_register(f.libvirt, &u, "t-duplicate", false), 0);
        assert_true(run_until(&f, nothing_pending, NULL, WAIT_USEC));
        fixture_stop(&f);
        fixture_start(&f);
        assert_int_equal(idxd_libvirt_register(f.libvirt, &u, "t-duplicate", false), 0);
        wait_registration(&f, &u, IDXD_REGISTRATION_REGISTERED);
        assert_int_equal(config_count(dom, &u), 1);

        assert_int_equal(idxd_libvirt_unregister(f.libvirt, &u), 0);
        wait_registration(&f, &u, IDXD_REGISTRATION_NONE);
        after = config_xml(dom);
        assert_string_equal(before, after);

        fixture_stop(&f);
        undefine(dom);
}

typedef struct CheckResult {
        bool done;
        int r;
        char message[256];
} CheckResult;

static void on_check(IdxdLibvirt *l, const char *domain, int r, const char *message, void *userdata) {
        CheckResult *c = userdata;

        c->done = true;
        c->r = r;
        snprintf(c->message, sizeof(c->message), "%s", message ?: "");
}

static bool check_done(Fixture *f, const void *arg) {
        return ((const CheckResult *) arg)->done;
}

static CheckResult check_domain(Fixture *f, const char *domain, uint64_t timeout_usec) {
        CheckResult c = {};

        assert_int_equal(idxd_libvirt_check_domain(f->libvirt, domain, timeout_usec, on_check, &c), 0);
        assert_true(run_until(f, check_done, &c, timeout_usec + 5000000));
        return c;
}

/* An unknown domain: the check says so by name; a registration fails and defines nothing. */
static void test_unknown_domain(void **state) {
        virDomainPtr dom = define_domain("t-known");
        virDomainPtr none;
        CheckResult c;
        IdxdUuid u;
        Fixture f;
        _cleanup_free_ char *message = NULL;

        uuid_n(3, &u);
        fixture_start(&f);

        c = check_domain(&f, "t-known", 5000000);
        assert_int_equal(c.r, 0);
        c = check_domain(&f, "t-nowhere", 5000000);
        assert_int_equal(c.r, -ENOENT);
        assert_non_null(strstr(c.message, "'t-nowhere'"));

        assert_int_equal(idxd_libvirt_register(f.libvirt, &u, "t-nowhere", false), 0);
        wait_registration(&f, &u, IDXD_REGISTRATION_FAILED);
        assert_int_equal(idxd_libvirt_get_registration(f.libvirt, &u, &message), IDXD_REGISTRATION_FAILED);
        assert_non_null(message);
        assert_non_null(strstr(message, "'t-nowhere'"));
        none = virDomainLookupByName(conn, "t-nowhere");
        assert_null(none);

        assert_int_equal(idxd_libvirt_register(f.libvirt, &u, "", false), -EINVAL);
        assert_int_equal(idxd_libvirt_unregister(f.libvirt, &u), 0);
        wait_registration(&f, &u, IDXD_REGISTRATION_NONE);

        fixture_stop(&f);
        undefine(dom);
}

/*
 * Undefine: the event arrives and the registration fails. Keep policy (the
 * registration stays): redefining the domain attaches it again. Release
 * policy: unregistering afterwards has nothing left to detach.
 */
static void test_domain_undefined(void **state) {
        _cleanup_free_ char *before = NULL, *after = NULL, *message = NULL;
        virDomainPtr dom = define_domain("t-undefine");
        IdxdUuid u;
        Fixture f;

        uuid_n(4, &u);
        before = config_xml(dom);
        fixture_start(&f);
        assert_int_equal(idxd_libvirt_register(f.libvirt, &u, "t-undefine", false), 0);
        wait_registration(&f, &u, IDXD_REGISTRATION_REGISTERED);

        assert_int_equal(virDomainUndefine(dom), 0);
        virDomainFree(dom);
        assert_true(run_until(&f, event_seen, "undefined t-undefine", WAIT_USEC));
        assert_int_equal(idxd_libvirt_get_registration(f.libvirt, &u, &message), IDXD_REGISTRATION_FAILED);
        assert_non_null(strstr(message, "'t-undefine'"));

        /* Defined again, as it was: the kept registration comes back. */
        dom = virDomainDefineXML(conn, before);
        assert_non_null(dom);
        assert_true(run_until(&f, event_seen, "defined t-undefine", WAIT_USEC));
        wait_registration(&f, &u, IDXD_REGISTRATION_REGISTERED);
        assert_int_equal(config_count(dom, &u), 1);

        /* Released: undefined, then unregistered. */
        assert_int_equal(virDomainUndefine(dom), 0);
        virDomainFree(dom);
        assert_int_equal(idxd_libvirt_unregister(f.libvirt, &u), 0);
        wait_registration(&f, &u, IDXD_REGISTRATION_NONE);

        /* Nothing of it in a redefinition made from the original XML. */
        dom = virDomainDefineXML(conn, before);
        assert_non_null(dom);
        after = config_xml(dom);
        assert_string_equal(before, after);

        fixture_stop(&f);
        undefine(dom);
}

/* A running domain: config always, live only when the mdev exists (here it cannot: no VFIO). */
static void test_running_domain(void **state) {
        _cleanup_free_ char *before = NULL, *after = NULL, *message = NULL;
        virDomainPtr dom = define_domain("t-running");
        IdxdUuid u1, u2;
        Fixture f;

        uuid_n(5, &u1);
        uuid_n(6, &u2);
        before = config_xml(dom);
        fixture_start(&f);
        if (virDomainCreate(dom) < 0) {
                fprintf(stderr, "# cannot start a qemu domain here (%s): skipped\n", virGetLastErrorMessage());
                fixture_stop(&f);
                undefine(dom);
                skip();
        }
        assert_true(run_until(&f, event_seen, "started t-running", WAIT_USEC));

        assert_int_equal(idxd_libvirt_register(f.libvirt, &u1, "t-running", false), 0);
        wait_registration(&f, &u1, IDXD_REGISTRATION_REGISTERED);
        assert_int_equal(config_count(dom, &u1), 1);
        assert_int_equal(live_count(dom, &u1), 0);
        assert_int_equal(virDomainIsActive(dom), 1);

        /* live: libvirt is asked, and says no (this host has no such mdev): the failure names the domain. */
        assert_int_equal(idxd_libvirt_register(f.libvirt, &u2, "t-running", true), 0);
        wait_registration(&f, &u2, IDXD_REGISTRATION_FAILED);
        assert_int_equal(idxd_libvirt_get_registration(f.libvirt, &u2, &message), IDXD_REGISTRATION_FAILED);
        assert_non_null(strstr(message, "running domain 't-running'"));
        assert_int_equal(config_count(dom, &u2), 1);
        assert_int_equal(live_count(dom, &u2), 0);

        assert_int_equal(idxd_libvirt_unregister(f.libvirt, &u1), 0);
        assert_int_equal(idxd_libvirt_unregister(f.libvirt, &u2), 0);
        assert_true(run_until(&f, nothing_pending, NULL, WAIT_USEC));
        assert_int_equal(idxd_libvirt_get_registration(f.libvirt, &u1, NULL), IDXD_REGISTRATION_NONE);
        assert_int_equal(idxd_libvirt_get_registration(f.libvirt, &u2, NULL), IDXD_REGISTRATION_NONE);
        assert_int_equal(virDomainDestroy(dom), 0);
        assert_true(run_until(&f, event_seen, "stopped t-running", WAIT_USEC));
        after = config_xml(dom);
        assert_string_equal(before, after);

        fixture_stop(&f);
        undefine(dom);
}

/* A libvirtd that does not answer: the check gives up in time and the loop keeps running. */
static void test_check_timeout(void **state) {
        CheckResult c;
        uint64_t t0;
        Fixture f;

        fixture_start(&f);
        assert_int_equal(kill(daemon_under_test.pid, SIGSTOP), 0);
        t0 = now_usec();
        c = check_domain(&f, "t-anything", 1000000);
        assert_int_equal(kill(daemon_under_test.pid, SIGCONT), 0);
        assert_int_equal(c.r, -ETIMEDOUT);
        assert_true(now_usec() - t0 < 3000000);
        assert_non_null(strstr(c.message, "'t-anything'"));

        /* The late answer is dropped; the next check works. */
        c = check_domain(&f, "t-anything", 10000000);
        assert_int_equal(c.r, -ENOENT);
        fixture_stop(&f);
}

/*
 * Shutdown while the worker is stuck in a call to a libvirtd that does not
 * answer: free returns after its bound, and the worker cleans up once the
 * call returns (ASan/LSan see the rest).
 */
static void test_free_while_stuck(void **state) {
        uint64_t t0, elapsed;
        CheckResult c;
        IdxdUuid u;
        Fixture f;

        uuid_n(8, &u);
        fixture_start(&f);
        assert_int_equal(kill(daemon_under_test.pid, SIGSTOP), 0);
        assert_int_equal(idxd_libvirt_register(f.libvirt, &u, "t-stuck", false), 0);
        /* A check that times out shows the worker is inside a call that does not return. */
        c = check_domain(&f, "t-stuck", 1000000);
        assert_int_equal(c.r, -ETIMEDOUT);
        run_for(&f, 200000);
        assert_int_equal(idxd_libvirt_get_pending(f.libvirt), 1);

        t0 = now_usec();
        fixture_stop(&f);
        elapsed = now_usec() - t0;
        assert_int_equal(kill(daemon_under_test.pid, SIGCONT), 0);
        assert_true(elapsed >= 9000000 && elapsed < 15000000);
        /* Time for the worker to finish its call and free what it was left. */
        usleep(1000000);
}

static bool all_registered(Fixture *f, const void *arg) {
        const IdxdUuid *uuids = arg;

        for (unsigned i = 0; i < N_RESTART; i++)
                if (idxd_libvirt_get_registration(f->libvirt, &uuids[i], NULL) != IDXD_REGISTRATION_REGISTERED)
                        return false;
        return idxd_libvirt_get_pending(f->libvirt) == 0;
}

/*
 * libvirtd goes away: 20 registrations wait, checks say "not connected" at
 * once; a hand edit while it is down drops an earlier registration. When
 * libvirtd is back, all 21 are in the config, then all go, leaving the
 * config as it was.
 */
static void test_libvirt_restart(void **state) {
        _cleanup_free_ char *before = NULL, *after = NULL, *path = NULL;
        IdxdUuid uuids[N_RESTART], early;
        virDomainPtr dom = define_domain("t-restart");
        CheckResult c;
        unsigned changes;
        Fixture f;
        FILE *file;

        before = config_xml(dom);
        uuid_n(100, &early);
        for (unsigned i = 0; i < N_RESTART; i++)
                uuid_n(200 + i, &uuids[i]);

        fixture_start(&f);
        assert_int_equal(idxd_libvirt_register(f.libvirt, &early, "t-restart", false), 0);
        wait_registration(&f, &early, IDXD_REGISTRATION_REGISTERED);
        virDomainFree(dom);
        virConnectClose(conn);
        conn = NULL;

        assert_int_equal(libvirtd_stop(&daemon_under_test), 0);
        assert_true(run_until(&f, is_disconnected, NULL, WAIT_USEC));

        for (unsigned i = 0; i < N_RESTART; i++)
                assert_int_equal(idxd_libvirt_register(f.libvirt, &uuids[i], "t-restart", false), 0);
        assert_int_equal(idxd_libvirt_get_pending(f.libvirt), N_RESTART);
        assert_int_equal(idxd_libvirt_get_registration(f.libvirt, &uuids[7], NULL), IDXD_REGISTRATION_PENDING);
        c = check_domain(&f, "t-restart", 5000000);
        assert_int_equal(c.r, -ENOTCONN);

        /* After the loss and the first failed retry, further retries are not news. */
        run_for(&f, 1000000);
        changes = f.rec.state_changes;
        run_for(&f, 2500000);
        assert_int_equal(f.rec.state_changes, changes);

        /* Someone rewrites the definition without our hostdev while libvirtd is down. */
        assert_true(asprintf(&path, "%s/config/libvirt/qemu/t-restart.xml", daemon_under_test.dir) > 0);
        file = fopen(path, "we");
        assert_non_null(file);
        fputs(before, file);
        assert_int_equal(fclose(file), 0);

        assert_int_equal(libvirtd_start(&daemon_under_test), 0);
        conn = virConnectOpen(daemon_under_test.uri);
        assert_non_null(conn);
        assert_true(run_until(&f, is_connected, NULL, WAIT_USEC));
        if (!run_until(&f, all_registered, uuids, WAIT_USEC))
                fail_msg("not all registered: %u pending", idxd_libvirt_get_pending(f.libvirt));
        wait_registration(&f, &early, IDXD_REGISTRATION_REGISTERED);

        dom = virDomainLookupByName(conn, "t-restart");
        assert_non_null(dom);
        assert_int_equal(config_count(dom, &early), 1);
        for (unsigned i = 0; i < N_RESTART; i++)
                assert_int_equal(config_count(dom, &uuids[i]), 1);

        assert_int_equal(idxd_libvirt_unregister(f.libvirt, &early), 0);
        for (unsigned i = 0; i < N_RESTART; i++)
                assert_int_equal(idxd_libvirt_unregister(f.libvirt, &uuids[i]), 0);
        assert_true(run_until(&f, nothing_pending, NULL, WAIT_USEC));
        after = config_xml(dom);
        assert_string_equal(before, after);

        fixture_stop(&f);
        undefine(dom);
}

/* The registrar starts while libvirtd is down, and gets there when it comes. */
static void test_start_while_down(void **state) {
        virDomainPtr dom = define_domain("t-late");
        IdxdUuid u;
        Fixture f = {};

        uuid_n(7, &u);
        virDomainFree(dom);
        virConnectClose(conn);
        conn = NULL;
        assert_int_equal(libvirtd_stop(&daemon_under_test), 0);

        assert_int_equal(sd_event_new(&f.event), 0);
        assert_int_equal(idxd_libvirt_new(f.event, daemon_under_test.uri, &callbacks, &f.rec, &f.libvirt), 0);
        assert_int_equal(idxd_libvirt_register(f.libvirt, &u, "t-late", false), 0);
        assert_true(run_until(&f, is_disconnected, NULL, WAIT_USEC));
        assert_int_equal(idxd_libvirt_get_pending(f.libvirt), 1);

        assert_int_equal(libvirtd_start(&daemon_under_test), 0);
        conn = virConnectOpen(daemon_under_test.uri);
        assert_non_null(conn);
        wait_registration(&f, &u, IDXD_REGISTRATION_REGISTERED);
        dom = virDomainLookupByName(conn, "t-late");
        assert_int_equal(config_count(dom, &u), 1);

        assert_int_equal(idxd_libvirt_unregister(f.libvirt, &u), 0);
        wait_registration(&f, &u, IDXD_REGISTRATION_NONE);
        fixture_stop(&f);
        undefine(dom);
}

static int group_setup(void **state) {
        int r;

        r = libvirtd_setup(&daemon_under_test);
        if (r < 0) {
                fprintf(stderr, "# cannot prepare a private libvirtd: %s\n", strerror(-r));
                return -1;
        }
        r = libvirtd_start(&daemon_under_test);
        if (r < 0) {
                fprintf(stderr, "# cannot start a private libvirtd (%s): %s\n", daemon_under_test.uri, strerror(-r));
                libvirtd_dump_log(&daemon_under_test);
                return -1;
        }
        conn = virConnectOpen(daemon_under_test.uri);
        return conn ? 0 : -1;
}

static int group_teardown(void **state) {
        if (conn)
                virConnectClose(conn);
        conn = NULL;
        if (getenv("IDXD_TEST_VERBOSE"))
                libvirtd_dump_log(&daemon_under_test);
        libvirtd_cleanup(&daemon_under_test);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_attach_detach_round_trip),
                cmocka_unit_test(test_duplicate),
                cmocka_unit_test(test_move),
                cmocka_unit_test(test_unknown_domain),
                cmocka_unit_test(test_domain_undefined),
                cmocka_unit_test(test_running_domain),
                cmocka_unit_test(test_check_timeout),
                cmocka_unit_test(test_free_while_stuck),
                cmocka_unit_test(test_libvirt_restart),
                cmocka_unit_test(test_start_while_down),
        };

        if (access("/usr/sbin/libvirtd", X_OK) < 0 && !getenv("IDXD_TEST_LIBVIRTD")) {
                fprintf(stderr, "# libvirtd is not installed (apt-get install libvirt-daemon-driver-qemu): skipped\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

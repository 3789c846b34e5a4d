/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * idxdd and idxdctl with a real libvirt: the integration harness (private
 * bus, umockdev fake kernel, the real daemon and CLI) plus the private
 * libvirtd of libvirtd.c. Skipped while the daemon does not report libvirt in
 * GetStatus (the D-Bus hook is not wired yet).
 */
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "idxd-bus.h"
#include "libvirt.h"
#include "libvirtd.h"

#define WAIT_MS 30000
#define N_DOWN 20

static Libvirtd lvd;
static virConnectPtr conn;

static void libvirt_silent(void *userdata, virErrorPtr error) {
}

static void libvirtd_up(void) {
        int r;

        if (!lvd.dir[0]) {
                r = libvirtd_setup(&lvd);
                if (r < 0)
                        g_error("private libvirtd: %s", g_strerror(-r));
        }
        if (lvd.pid <= 0) {
                r = libvirtd_start(&lvd);
                if (r < 0) {
                        libvirtd_dump_log(&lvd);
                        g_error("private libvirtd did not start: %s", g_strerror(-r));
                }
        }
        if (!conn)
                conn = virConnectOpen(lvd.uri);
        g_assert_nonnull(conn);
}

static void libvirtd_down(void) {
        if (conn)
                virConnectClose(conn);
        conn = NULL;
        g_assert_cmpint(libvirtd_stop(&lvd), ==, 0);
}

static virDomainPtr define_domain(const char *name) {
        g_autofree char *xml = g_strdup_printf(
                "<domain type='qemu'><name>%s</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>"
                "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
                "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>", name);
        virDomainPtr dom;

        libvirtd_up();
        dom = virDomainDefineXML(conn, xml);
        if (!dom)
                g_error("defining %s: %s", name, virGetLastErrorMessage());
        return dom;
}

static char *config_xml(const char *name) {
        virDomainPtr dom = virDomainLookupByName(conn, name);
        char *xml;

        g_assert_nonnull(dom);
        xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
        virDomainFree(dom);
        g_assert_nonnull(xml);
        return xml;
}

static int config_count(const char *name, const char *uuid) {
        g_autofree char *xml = config_xml(name);
        IdxdUuid u;

        g_assert_cmpint(idxd_uuid_parse(uuid, &u), ==, 0);
        return idxd_libvirt_xml_count_mdev(xml, &u);
}

static GVariant *get_status(Harness *h) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "GetStatus", NULL, &error);

        g_assert_no_error(error);
        return g_variant_get_child_value(reply, 0);
}

/* "URI state" from GetStatus, or NULL when the daemon does not say. */
static char *status_libvirt(Harness *h) {
        g_autoptr(GVariant) status = get_status(h);
        const char *s = NULL;

        return g_variant_lookup(status, "libvirt", "&s", &s) ? g_strdup(s) : NULL;
}

static guint status_pending(Harness *h) {
        g_autoptr(GVariant) status = get_status(h);
        guint32 n = G_MAXUINT32;

        g_assert_true(g_variant_lookup(status, "libvirt_pending", "u", &n));
        return n;
}

/* The registration key of uuid in ListMdevs; NULL when the mdev is not listed. */
static char *mdev_registration(Harness *h, const char *uuid) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "ListMdevs", g_variant_new_parsed("(@a{sv} {},)"), &error);
        g_autoptr(GVariant) list = NULL;
        GVariantIter iter;
        GVariant *dict;

        g_assert_no_error(error);
        list = g_variant_get_child_value(reply, 0);
        g_variant_iter_init(&iter, list);
        while ((dict = g_variant_iter_next_value(&iter))) {
                const char *u = NULL, *reg = NULL;
                char *found = NULL;

                if (g_variant_lookup(dict, "uuid", "&s", &u) && g_str_equal(u, uuid))
                        found = g_strdup(g_variant_lookup(dict, "registration", "&s", &reg) ? reg : "(none given)");
                g_variant_unref(dict);
                if (found)
                        return found;
        }
        return NULL;
}

typedef struct Wait {
        Harness *h;
        const char *domain;
        const char *uuid;
        const char *want;
        int count;
        char **uuids;
} Wait;

static gboolean registration_is(gpointer data) {
        Wait *w = data;
        g_autofree char *reg = mdev_registration(w->h, w->uuid);

        return g_strcmp0(reg, w->want) == 0;
}

static gboolean libvirt_state_is(gpointer data) {
        Wait *w = data;
        g_autofree char *s = status_libvirt(w->h);

        return s && g_str_has_suffix(s, w->want);
}

static gboolean config_count_is(gpointer data) {
        Wait *w = data;

        return config_count(w->domain, w->uuid) == w->count;
}

static gboolean all_registered(gpointer data) {
        Wait *w = data;

        for (char **u = w->uuids; *u; u++) {
                g_autofree char *reg = mdev_registration(w->h, *u);

                if (g_strcmp0(reg, "registered") != 0)
                        return FALSE;
        }
        return status_pending(w->h) == 0;
}

/*
 * A harness whose daemon talks to the private libvirtd, with config_json (may
 * be NULL) as its idxdd.json; NULL (test skipped) without the hook.
 */
static Harness *harness_with_libvirt(const char *config_json) {
        Harness *h = harness_new();
        g_autofree char *state = NULL;

        if (config_json)
                g_free(harness_write_file(h, "config/idxdd.json", config_json));
        libvirtd_up();
        g_free(h->libvirt_uri);
        h->libvirt_uri = g_strdup(lvd.uri);
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 32);
        harness_start_daemon(h, NULL);

        state = status_libvirt(h);
        if (!state) {
                g_test_skip("the daemon does not report libvirt in GetStatus yet (hook not wired)");
                harness_free(h);
                return NULL;
        }
        Wait w = { .h = h, .want = "connected" };
        if (!harness_wait_for(libvirt_state_is, &w, WAIT_MS))
                g_error("the daemon did not connect to %s", lvd.uri);
        return h;
}

/* Takes the mdev's hostdev out of the domain's config, as someone with virsh might. */
static void detach_from_config(const char *name, const char *uuid) {
        virDomainPtr dom = virDomainLookupByName(conn, name);
        g_autofree char *xml = NULL;
        IdxdUuid u;

        g_assert_nonnull(dom);
        g_assert_cmpint(idxd_uuid_parse(uuid, &u), ==, 0);
        g_assert_cmpint(idxd_libvirt_hostdev_xml(&u, &xml), ==, 0);
        if (virDomainDetachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_CONFIG) < 0)
                g_error("detaching %s from %s: %s", uuid, name, virGetLastErrorMessage());
        virDomainFree(dom);
        g_assert_cmpint(config_count(name, uuid), ==, 0);
}

static void undefine_domain(const char *name) {
        virDomainPtr dom = virDomainLookupByName(conn, name);

        g_assert_nonnull(dom);
        g_assert_cmpint(virDomainUndefine(dom), ==, 0);
        virDomainFree(dom);
}

static gboolean definition_exists(Harness *h, const char *uuid) {
        g_autofree char *name = g_strdup_printf("%s.json", uuid);
        g_autofree char *path = g_build_filename(h->state_dir, "mdevs", name, NULL);

        return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* create --domain --persistent; the new mdevs' UUIDs, each registered. */
static GPtrArray *create_registered(Harness *h, const char *domain, const char *count) {
        g_autoptr(GPtrArray) before = harness_list_uuids(h);
        g_autoptr(CtlResult) r = harness_ctl(h, "create", "--type", "dsa-1swq-v1", "--parent", "idxd_sim.0",
                                             "--domain", domain, "--persistent", "--count", count, NULL);
        g_autoptr(GPtrArray) after = NULL;
        GPtrArray *made = g_ptr_array_new_with_free_func(g_free);

        assert_ctl_exit(r, 0);
        after = harness_list_uuids(h);
        for (guint i = 0; i < after->len; i++) {
                gboolean old = FALSE;

                for (guint j = 0; j < before->len && !old; j++)
                        old = g_str_equal(after->pdata[i], before->pdata[j]);
                if (!old)
                        g_ptr_array_add(made, g_strdup(after->pdata[i]));
        }
        g_assert_cmpuint(made->len, ==, (guint) atoi(count));
        for (guint i = 0; i < made->len; i++) {
                Wait reg = { .h = h, .uuid = made->pdata[i], .want = "registered" };

                if (!harness_wait_for(registration_is, &reg, WAIT_MS))
                        g_error("mdev %s not registered with %s", (char *) made->pdata[i], domain);
                g_assert_cmpint(config_count(domain, made->pdata[i]), ==, 1);
        }
        return made;
}

static gboolean listed(Harness *h, const char *uuid) {
        g_autoptr(GPtrArray) uuids = harness_list_uuids(h);

        for (guint i = 0; i < uuids->len; i++)
                if (g_str_equal(uuids->pdata[i], uuid))
                        return TRUE;
        return FALSE;
}

typedef struct Released {
        Harness *h;
        GPtrArray *gone;        /* must leave sysfs, the list and the state directory */
} Released;

static gboolean all_released(gpointer data) {
        Released *w = data;

        for (guint i = 0; i < w->gone->len; i++) {
                const char *u = w->gone->pdata[i];

                if (fake_kernel_has_mdev(w->h->kernel, u) || listed(w->h, u) || definition_exists(w->h, u))
                        return FALSE;
        }
        return TRUE;
}

static gboolean mdev_gone(gpointer data) {
        Wait *w = data;

        return !fake_kernel_has_mdev(w->h->kernel, w->uuid) || !listed(w->h, w->uuid);
}

/* create --domain attaches, destroy detaches, and the domain's XML is as before. */
static void test_create_destroy(void) {
        virDomainPtr dom = define_domain("d-create");
        g_autofree char *before = config_xml("d-create");
        g_autoptr(Harness) h = harness_with_libvirt(NULL);

        if (!h) {
                virDomainUndefine(dom);
                virDomainFree(dom);
                return;
        }
        g_autoptr(CtlResult) r = harness_ctl(h, "create", "--type", "dsa-1swq-v1", "--parent", "idxd_sim.0",
                                             "--domain", "d-create", NULL);
        assert_ctl_exit(r, 0);
        g_autoptr(GPtrArray) uuids = harness_list_uuids(h);
        g_assert_cmpuint(uuids->len, ==, 1);
        const char *uuid = uuids->pdata[0];

        Wait reg = { .h = h, .uuid = uuid, .want = "registered" };
        if (!harness_wait_for(registration_is, &reg, WAIT_MS))
                g_error("mdev %s not registered", uuid);
        g_assert_cmpint(config_count("d-create", uuid), ==, 1);

        /* What people see: the connection in status, the registration in list. */
        g_autoptr(CtlResult) st = harness_ctl(h, "status", NULL);
        assert_ctl_exit(st, 0);
        if (!strstr(st->out, lvd.uri) || !strstr(st->out, "connected"))
                g_error("idxdctl status does not show the libvirt connection:\n%s", st->out);
        g_autoptr(CtlResult) list = harness_ctl(h, "list", "--json", NULL);
        assert_ctl_exit(list, 0);
        if (!strstr(list->out, "\"registration\": \"registered\""))
                g_error("idxdctl list does not show the mdev registered:\n%s", list->out);

        g_autoptr(CtlResult) d = harness_ctl(h, "destroy", uuid, NULL);
        assert_ctl_exit(d, 0);
        Wait gone = { .h = h, .domain = "d-create", .uuid = uuid, .count = 0 };
        if (!harness_wait_for(config_count_is, &gone, WAIT_MS))
                g_error("mdev %s still in domain d-create", uuid);
        g_autofree char *after = config_xml("d-create");
        g_assert_cmpstr(before, ==, after);

        virDomainUndefine(dom);
        virDomainFree(dom);
}

/* An unknown domain: org.idxd.Error.Libvirt naming it, and no mdev made. */
static void test_unknown_domain(void) {
        g_autoptr(Harness) h = harness_with_libvirt(NULL);

        if (!h)
                return;
        g_autoptr(CtlResult) r = harness_ctl(h, "create", "--type", "dsa-1swq-v1", "--parent", "idxd_sim.0",
                                             "--domain", "d-nowhere", NULL);
        assert_ctl_exit(r, 1);
        if (!strstr(r->err, "d-nowhere"))
                g_error("the error does not name the domain:\n%s", r->err);

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "CreateMdev",
                                                 g_variant_new_parsed("('idxd_sim.0', 'dsa-1swq-v1', '', "
                                                                      "{'domain': <'d-nowhere'>})"),
                                                 &error);
        g_assert_null(reply);
        g_autofree char *name = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(name, ==, IDXD_ERROR_LIBVIRT);
        g_assert_nonnull(strstr(error->message, "'d-nowhere'"));

        g_assert_cmpuint(fake_kernel_count_mdevs(h->kernel, NULL), ==, 0);
        g_autoptr(GPtrArray) uuids = harness_list_uuids(h);
        g_assert_cmpuint(uuids->len, ==, 0);
}

/* libvirtd stopped: 20 creates succeed, registrations wait, and all land when it is back. */
static void test_libvirt_down(void) {
        virDomainPtr dom = define_domain("d-down");
        g_autofree char *before = config_xml("d-down");
        virDomainFree(dom);
        g_autoptr(Harness) h = harness_with_libvirt(NULL);

        if (!h)
                return;
        libvirtd_down();
        Wait down = { .h = h, .want = "disconnected" };
        if (!harness_wait_for(libvirt_state_is, &down, WAIT_MS))
                g_error("the daemon did not notice libvirtd going away");

        g_autofree char *count = g_strdup_printf("%d", N_DOWN);
        g_autoptr(CtlResult) r = harness_ctl(h, "create", "--type", "dsa-1swq-v1", "--parent", "idxd_sim.0",
                                             "--domain", "d-down", "--count", count, NULL);
        assert_ctl_exit(r, 0);
        g_autoptr(GPtrArray) uuids = harness_list_uuids(h);
        g_assert_cmpuint(uuids->len, ==, N_DOWN);
        g_assert_cmpuint(status_pending(h), ==, N_DOWN);
        g_autofree char *reg = mdev_registration(h, uuids->pdata[0]);
        g_assert_cmpstr(reg, ==, "pending");

        /* The daemon still serves while libvirt is away. */
        g_autoptr(CtlResult) st = harness_ctl(h, "status", NULL);
        assert_ctl_exit(st, 0);

        libvirtd_up();
        g_ptr_array_add(uuids, NULL);
        Wait all = { .h = h, .uuids = (char **) uuids->pdata };
        if (!harness_wait_for(all_registered, &all, WAIT_MS))
                g_error("not all %d mdevs registered after libvirtd came back", N_DOWN);
        for (int i = 0; i < N_DOWN; i++)
                g_assert_cmpint(config_count("d-down", uuids->pdata[i]), ==, 1);

        for (int i = 0; i < N_DOWN; i++) {
                g_autoptr(CtlResult) d = harness_ctl(h, "destroy", uuids->pdata[i], NULL);
                assert_ctl_exit(d, 0);
        }
        for (int i = 0; i < N_DOWN; i++) {
                Wait gone = { .h = h, .domain = "d-down", .uuid = uuids->pdata[i], .count = 0 };
                if (!harness_wait_for(config_count_is, &gone, WAIT_MS))
                        g_error("mdev %s still in domain d-down", (char *) uuids->pdata[i]);
        }
        g_autofree char *after = config_xml("d-down");
        g_assert_cmpstr(before, ==, after);

        dom = virDomainLookupByName(conn, "d-down");
        virDomainUndefine(dom);
        virDomainFree(dom);
}

/*
 * A persistent mdev whose hostdev was removed from the domain's config while
 * the daemon was down gets it back (once) when the daemon starts, and again
 * when libvirtd is down at that start and comes back later.
 */
static void test_restart_registers(void) {
        virDomainPtr dom = define_domain("d-restart");
        g_autoptr(Harness) h = harness_with_libvirt(NULL);

        virDomainFree(dom);
        if (!h)
                return;
        g_autoptr(GPtrArray) made = create_registered(h, "d-restart", "1");
        const char *uuid = made->pdata[0];
        Wait back = { .h = h, .domain = "d-restart", .uuid = uuid, .count = 1 };
        Wait reg = { .h = h, .uuid = uuid, .want = "registered" };

        harness_stop_daemon(h);
        detach_from_config("d-restart", uuid);
        harness_start_daemon(h, NULL);
        if (!harness_wait_for(config_count_is, &back, WAIT_MS))
                g_error("mdev %s not back in domain d-restart after a restart", uuid);
        if (!harness_wait_for(registration_is, &reg, WAIT_MS))
                g_error("mdev %s not registered after a restart", uuid);
        g_assert_cmpint(config_count("d-restart", uuid), ==, 1);

        harness_stop_daemon(h);
        detach_from_config("d-restart", uuid);
        libvirtd_down();
        harness_start_daemon(h, NULL);
        g_autofree char *pending = mdev_registration(h, uuid);
        g_assert_cmpstr(pending, ==, "pending");
        libvirtd_up();
        if (!harness_wait_for(registration_is, &reg, WAIT_MS))
                g_error("mdev %s not registered once libvirtd was back", uuid);
        g_assert_cmpint(config_count("d-restart", uuid), ==, 1);

        g_autoptr(CtlResult) d = harness_ctl(h, "destroy", uuid, NULL);
        assert_ctl_exit(d, 0);
        Wait gone = { .h = h, .domain = "d-restart", .uuid = uuid, .count = 0 };
        if (!harness_wait_for(config_count_is, &gone, WAIT_MS))
                g_error("mdev %s still in domain d-restart", uuid);
        undefine_domain("d-restart");
}

/*
 * on_domain_undefined: release. Undefining the domain destroys its mdevs and
 * drops their definitions (a definition without a device too); one in use
 * stays, as does another domain's.
 */
static void test_undefined_release(void) {
        virDomainFree(define_domain("d-release"));
        virDomainFree(define_domain("d-other"));
        g_autoptr(Harness) h = harness_with_libvirt("{ \"on_domain_undefined\": \"release\" }\n");

        if (!h)
                return;
        g_autoptr(GPtrArray) made = create_registered(h, "d-release", "4");
        g_autoptr(GPtrArray) other = create_registered(h, "d-other", "1");
        const char *busy = made->pdata[0], *deviceless = made->pdata[1];

        g_autofree char *node = fake_kernel_vfio_group_node(h->kernel, busy);
        g_assert_nonnull(node);
        int fd = open(node, O_RDWR | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        g_autoptr(CtlResult) k = harness_ctl(h, "destroy", "--keep-definition", deviceless, NULL);
        assert_ctl_exit(k, 0);
        g_assert_true(definition_exists(h, deviceless));
        g_assert_true(listed(h, deviceless));

        undefine_domain("d-release");
        g_autoptr(GPtrArray) gone = g_ptr_array_new();
        for (guint i = 1; i < made->len; i++)
                g_ptr_array_add(gone, made->pdata[i]);
        Released w = { .h = h, .gone = gone };
        if (!harness_wait_for(all_released, &w, WAIT_MS))
                g_error("the mdevs of undefined domain d-release were not released");

        /* In use: kept, with its definition, and its registration failed. */
        g_assert_true(fake_kernel_has_mdev(h->kernel, busy));
        g_assert_true(listed(h, busy));
        g_assert_true(definition_exists(h, busy));
        Wait failed = { .h = h, .uuid = busy, .want = "failed" };
        g_assert_true(harness_wait_for(registration_is, &failed, WAIT_MS));
        g_assert_true(fake_kernel_has_mdev(h->kernel, other->pdata[0]));
        g_assert_true(definition_exists(h, other->pdata[0]));
        g_autofree char *reg = mdev_registration(h, other->pdata[0]);
        g_assert_cmpstr(reg, ==, "registered");
        g_assert_cmpuint(fake_kernel_count_mdevs(h->kernel, NULL), ==, 2);
        close(fd);

        g_autoptr(CtlResult) d = harness_ctl(h, "destroy", busy, other->pdata[0], NULL);
        assert_ctl_exit(d, 0);
        Wait out = { .h = h, .domain = "d-other", .uuid = other->pdata[0], .count = 0 };
        if (!harness_wait_for(config_count_is, &out, WAIT_MS))
                g_error("mdev %s still in domain d-other", (char *) other->pdata[0]);
        undefine_domain("d-other");
}

/*
 * The default, keep: the mdev and its definition stay, the registration is
 * failed, and it is registered again when the domain is defined again.
 */
static void test_undefined_keep(void) {
        virDomainFree(define_domain("d-keep"));
        g_autoptr(Harness) h = harness_with_libvirt(NULL);

        if (!h)
                return;
        g_autoptr(GPtrArray) made = create_registered(h, "d-keep", "1");
        const char *uuid = made->pdata[0];

        undefine_domain("d-keep");
        Wait failed = { .h = h, .uuid = uuid, .want = "failed" };
        if (!harness_wait_for(registration_is, &failed, WAIT_MS))
                g_error("the registration of mdev %s did not fail when d-keep was undefined", uuid);
        /* A release would be under way by now: give it time to show. */
        Wait w = { .h = h, .uuid = uuid };
        g_assert_false(harness_wait_for(mdev_gone, &w, 2000));
        g_assert_true(definition_exists(h, uuid));

        virDomainFree(define_domain("d-keep"));
        Wait reg = { .h = h, .uuid = uuid, .want = "registered" };
        if (!harness_wait_for(registration_is, &reg, WAIT_MS))
                g_error("mdev %s not registered when d-keep was defined again", uuid);
        g_assert_cmpint(config_count("d-keep", uuid), ==, 1);

        g_autoptr(CtlResult) d = harness_ctl(h, "destroy", uuid, NULL);
        assert_ctl_exit(d, 0);
        Wait gone = { .h = h, .domain = "d-keep", .uuid = uuid, .count = 0 };
        if (!harness_wait_for(config_count_is, &gone, WAIT_MS))
                g_error("mdev %s still in domain d-keep", uuid);
        undefine_domain("d-keep");
}

int main(int argc, char **argv) {
        int r;

        g_test_init(&argc, &argv, NULL);
        if (access(getenv("IDXD_TEST_LIBVIRTD") ?: "/usr/sbin/libvirtd", X_OK) < 0) {
                g_print("1..0 # SKIP libvirtd is not installed\n");
                return 77;
        }
        virSetErrorFunc(NULL, libvirt_silent);
        g_test_add_func("/daemon-libvirt/create-destroy", test_create_destroy);
        g_test_add_func("/daemon-libvirt/unknown-domain", test_unknown_domain);
        g_test_add_func("/daemon-libvirt/libvirt-down-20", test_libvirt_down);
        g_test_add_func("/daemon-libvirt/restart-registers", test_restart_registers);
        g_test_add_func("/daemon-libvirt/undefined-release", test_undefined_release);
        g_test_add_func("/daemon-libvirt/undefined-keep", test_undefined_keep);
        r = g_test_run();

        if (conn)
                virConnectClose(conn);
        libvirtd_cleanup(&lvd);
        return r;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt's node-device API over idxdd: a private libvirtd (libvirtd.c)
 * whose PATH finds idxdctl under the name mdevctl, which it runs for
 * nodedev-define, -start, -autostart, -destroy and -undefine and to list
 * definitions; the real idxdd and idxdctl on the integration harness
 * (private bus, umockdev fake kernel with a PCI parent). libvirtd runs in
 * the umockdev testbed too (its udev backend sees the fake devices) and in
 * a mount namespace of its own where /etc/mdevctl.d, which its driver
 * watches, is a scratch directory (docs/libvirt.md, "libvirt's node-device
 * API over idxdd").
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-c/json.h>

#include "harness.h"
#include "libvirtd.h"

#define PARENT "0000:00:03.0"
#define PARENT_NODE "pci_0000_00_03_0"
#define UUID_U "7e000000-0000-4000-8000-000000000001"
#define UUID_V "7e000000-0000-4000-8000-000000000002"
#define NODE_U "mdev_7e000000_0000_4000_8000_000000000001_0000_00_03_0"
#define NODE_V "mdev_7e000000_0000_4000_8000_000000000002_0000_00_03_0"
#define WAIT_MS 30000

static Libvirtd lvd;

static CtlResult *virsh(Harness *h, const char *const *args) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();

        g_ptr_array_add(argv, (char *) "virsh");
        g_ptr_array_add(argv, (char *) "-c");
        g_ptr_array_add(argv, lvd.uri);
        for (; *args; args++)
                g_ptr_array_add(argv, (char *) *args);
        g_ptr_array_add(argv, NULL);
        return harness_run(h, (const char *const *) argv->pdata);
}

#define VIRSH(h, code, ...)                                                               \
        ({                                                                                \
                CtlResult *_r = virsh((h), (const char *const[]) { __VA_ARGS__, NULL });  \
                if (_r->exit_code != (code))                                              \
                        libvirtd_dump_log(&lvd);                                          \
                assert_ctl_exit(_r, (code));                                              \
                _r;                                                                       \
        })

/* A virsh command run for its effect: its exit status checked, its output dropped. */
#define VIRSH_RUN(h, code, ...) ctl_result_free(VIRSH((h), (code), __VA_ARGS__))

typedef struct Listing {
        Harness *h;
        const char *const *args;
        const char *name;
        gboolean present;
} Listing;

static gboolean listing_is(gpointer data) {
        Listing *l = data;
        g_autoptr(CtlResult) r = virsh(l->h, l->args);

        return r->exit_code == 0 && (strstr(r->out, l->name) != NULL) == l->present;
}

/* Waits until a virsh listing has (or has not) name: libvirt learns of changes a moment later. */
static void wait_listing(Harness *h, const char *const *args, const char *name, gboolean present) {
        Listing l = { h, args, name, present };

        if (!harness_wait_for(listing_is, &l, WAIT_MS)) {
                libvirtd_dump_log(&lvd);
                g_error("'virsh %s' %s %s", args[0], present ? "does not list" : "still lists", name);
        }
}

static const char *const list_all_mdevs[] = { "nodedev-list", "--cap", "mdev", "--all", NULL };
static const char *const list_active_mdevs[] = { "nodedev-list", "--cap", "mdev", NULL };
static const char *const list_devices[] = { "nodedev-list", NULL };

/* The mdev's row of "idxdctl --json list" (its own reference), or NULL. */
static json_object *idxdd_mdev(Harness *h, const char *uuid) {
        g_autoptr(CtlResult) r = harness_ctl(h, "--json", "list", NULL);
        json_object *root, *mdevs, *found = NULL;

        assert_ctl_exit(r, 0);
        root = json_tokener_parse(r->out);
        g_assert_true(json_object_object_get_ex(root, "mdevs", &mdevs));
        for (size_t i = 0; i < json_object_array_length(mdevs); i++) {
                json_object *m = json_object_array_get_idx(mdevs, i);

                if (g_str_equal(json_object_get_string(json_object_object_get(m, "uuid")), uuid))
                        found = json_object_get(m);
        }
        json_object_put(root);
        return found;
}

static const char *member(json_object *o, const char *key) {
        g_assert_nonnull(o);
        return json_object_to_json_string_ext(json_object_object_get(o, key), JSON_C_TO_STRING_PLAIN);
}

/* nobody (libvirtd's user here) reaches the testbed, the bus and the directories it works in. */
static void open_up(Harness *h, const char *mdevctl_dir) {
        g_autofree char *root = g_path_get_dirname(h->sys_dir);
        const struct passwd *pw = getpwnam("nobody");

        g_assert_nonnull(pw);
        /* umockdev's uevent sockets of libvirtd go into the testbed's root */
        g_assert_cmpint(chmod(root, 01777), ==, 0);
        g_assert_cmpint(g_mkdir_with_parents(mdevctl_dir, 0755), ==, 0);
        g_assert_cmpint(chown(mdevctl_dir, pw->pw_uid, pw->pw_gid), ==, 0);
}

static void test_nodedev(void) {
        g_autoptr(Harness) h = harness_new();
        g_autofree char *bin = g_build_filename(h->dir, "bin", NULL);
        g_autofree char *link = g_build_filename(bin, "mdevctl", NULL);
        g_autofree char *path = g_strdup_printf("%s:/usr/sbin:/usr/bin:/sbin:/bin", bin);
        /* What idxdctl (harness_run) takes for mdevctl's directory, and libvirtd sees as /etc/mdevctl.d. */
        g_autofree char *mdevctl_dir = g_build_filename(h->dir, "mdevctl-stamp", NULL);
        g_autofree char *testbed = g_path_get_dirname(h->sys_dir);
        const char *daemon_args[] = { "--group=nogroup", "--libvirt-uri=none", NULL };
        g_autofree char *virsh_path = g_find_program_in_path("virsh");
        int r;

        if (!g_file_test("/usr/sbin/libvirtd", G_FILE_TEST_IS_EXECUTABLE) || !virsh_path) {
                g_test_skip("libvirtd or virsh not installed");
                return;
        }
        fake_kernel_add_pci_parent(h->kernel, PARENT, 4);
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        /* libvirtd runs as nobody: its mdevctl's changes need the group the daemon allows */
        harness_start_daemon(h, daemon_args);
        open_up(h, mdevctl_dir);
        g_assert_cmpint(g_mkdir_with_parents(bin, 0755), ==, 0);
        g_assert_cmpint(symlink(g_getenv("IDXD_TEST_IDXDCTL"), link), ==, 0);

        g_assert_cmpint(libvirtd_setup(&lvd), ==, 0);
        r = libvirtd_set_mdevctl_dir(&lvd, mdevctl_dir);
        if (r == -EOPNOTSUPP) {
                g_test_skip("no mount namespaces here: libvirtd would watch the host's /etc/mdevctl.d");
                libvirtd_cleanup(&lvd);
                return;
        }
        g_assert_cmpint(r, ==, 0);
        g_assert_cmpint(libvirtd_set_env(&lvd, "PATH", path), ==, 0);
        g_assert_cmpint(libvirtd_set_env(&lvd, "DBUS_SYSTEM_BUS_ADDRESS", h->bus_address), ==, 0);
        g_autofree char *preload = g_strdup_printf("libumockdev-preload.so.0:%s", g_getenv("IDXD_TEST_NETLINK_SHIM"));
        g_assert_cmpint(libvirtd_set_env(&lvd, "LD_PRELOAD", preload), ==, 0);
        lvd.taken_fds = 99;
        /* A sanitized idxdctl under libvirtd: the same sanitizer settings as here (umockdev's preload comes first). */
        for (const char *const *v = (const char *const[]) { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL }; *v; v++)
                if (g_getenv(*v))
                        g_assert_cmpint(libvirtd_set_env(&lvd, *v, g_getenv(*v)), ==, 0);
        g_assert_cmpint(libvirtd_set_env(&lvd, "UMOCKDEV_DIR", testbed), ==, 0);
        r = libvirtd_start(&lvd);
        if (r < 0) {
                libvirtd_dump_log(&lvd);
                g_error("private libvirtd did not start: %s", g_strerror(-r));
        }

        /* libvirt's udev backend found the fake DSA (a PCI device with mdev types) */
        wait_listing(h, list_devices, PARENT_NODE, TRUE);

        /* nodedev-define: libvirt runs "mdevctl define --parent=... --jsonfile=/dev/stdin --uuid=..." */
        g_autofree char *xml = harness_write_file(h, "mdev.xml",
                "<device>\n  <parent>" PARENT_NODE "</parent>\n"
                "  <capability type='mdev'>\n    <type id='idxd_mdev-dsa-1swq-v1'/>\n"
                "    <uuid>" UUID_U "</uuid>\n"
                "    <attr name='wq' value='wq0.4'/>\n  </capability>\n</device>\n");
        g_autoptr(CtlResult) defined = VIRSH(h, 0, "nodedev-define", xml);
        g_assert_nonnull(strstr(defined->out, NODE_U));
        json_object *m = idxdd_mdev(h, UUID_U);
        g_assert_cmpstr(member(m, "parent"), ==, "\"" PARENT "\"");
        g_assert_cmpstr(member(m, "type"), ==, "\"idxd_mdev-dsa-1swq-v1\"");
        g_assert_cmpstr(member(m, "state"), ==, "\"defined\"");
        g_assert_cmpstr(member(m, "autostart"), ==, "false");
        g_assert_cmpstr(member(m, "attrs"), ==, "[{\"wq\":\"wq0.4\"}]");
        json_object_put(m);

        g_autoptr(CtlResult) all = VIRSH(h, 0, "nodedev-list", "--cap", "mdev", "--all");
        g_assert_nonnull(strstr(all->out, NODE_U));
        g_autoptr(CtlResult) dump = VIRSH(h, 0, "nodedev-dumpxml", NODE_U);
        g_assert_nonnull(strstr(dump->out, "<type id='idxd_mdev-dsa-1swq-v1'/>"));
        g_assert_nonnull(strstr(dump->out, "<uuid>" UUID_U "</uuid>"));
        g_assert_nonnull(strstr(dump->out, "<parent_addr>" PARENT "</parent_addr>"));
        g_assert_nonnull(strstr(dump->out, "<attr name='wq' value='wq0.4'/>"));

        /* nodedev-autostart: "mdevctl modify --uuid=... --auto" */
        VIRSH_RUN(h, 0, "nodedev-autostart", NODE_U);
        m = idxdd_mdev(h, UUID_U);
        g_assert_cmpstr(member(m, "autostart"), ==, "true");
        json_object_put(m);

        /* nodedev-start: "mdevctl start --uuid=..."; libvirt sees the device come through udev */
        VIRSH_RUN(h, 0, "nodedev-start", NODE_U);
        g_assert_true(fake_kernel_has_mdev(h->kernel, UUID_U));
        wait_listing(h, list_active_mdevs, NODE_U, TRUE);
        g_autoptr(CtlResult) info = VIRSH(h, 0, "nodedev-info", NODE_U);
        g_assert_nonnull(strstr(info->out, "Active:         yes"));
        g_assert_nonnull(strstr(info->out, "Persistent:     yes"));
        g_assert_nonnull(strstr(info->out, "Autostart:      yes"));

        /*
         * Stopped on idxdd's side (libvirt's nodedev-destroy opens the VFIO
         * group first, which a umockdev testbed cannot give it: docs/libvirt.md):
         * libvirt sees the device go, the definition stays.
         */
        g_autoptr(CtlResult) stopped = harness_ctl(h, "stop", UUID_U, NULL);
        assert_ctl_exit(stopped, 0);
        g_assert_false(fake_kernel_has_mdev(h->kernel, UUID_U));
        wait_listing(h, list_active_mdevs, NODE_U, FALSE);
        g_autoptr(CtlResult) still = VIRSH(h, 0, "nodedev-list", "--cap", "mdev", "--all");
        g_assert_nonnull(strstr(still->out, NODE_U));
        m = idxdd_mdev(h, UUID_U);
        g_assert_cmpstr(member(m, "state"), ==, "\"defined\"");
        json_object_put(m);

        /* made on idxdd's side: libvirt lists it once idxdctl has said so in /etc/mdevctl.d */
        g_autoptr(CtlResult) v = harness_ctl(h, "define", "-p", PARENT, "-t", "dsa-1dwq-v1", "-u", UUID_V, NULL);
        assert_ctl_exit(v, 0);
        wait_listing(h, list_all_mdevs, NODE_V, TRUE);

        /* nodedev-undefine: "mdevctl undefine --uuid=..."; gone from idxdd, and from libvirt's list */
        VIRSH_RUN(h, 0, "nodedev-undefine", NODE_U);
        g_assert_null(idxdd_mdev(h, UUID_U));
        wait_listing(h, list_all_mdevs, NODE_U, FALSE);

        /* an active mdev on a parent that is no PCI device: libvirt lists it with its parent's name and type */
        g_autoptr(CtlResult) made = harness_ctl(h, "create", "-p", "idxd_sim.0", "-t", "dsa-1dwq-v1", NULL);
        assert_ctl_exit(made, 0);
        g_autofree char *w = g_strstrip(g_strdup(made->out));
        g_autofree char *node_w = g_strdup_printf("mdev_%s_idxd_sim_0", w);
        for (char *c = node_w; *c; c++)
                if (*c == '-')
                        *c = '_';
        wait_listing(h, list_active_mdevs, node_w, TRUE);
        g_autoptr(CtlResult) dump_w = VIRSH(h, 0, "nodedev-dumpxml", node_w);
        g_assert_nonnull(strstr(dump_w->out, "<type id='idxd_mdev-dsa-1dwq-v1'/>"));
        g_assert_nonnull(strstr(dump_w->out, "<parent_addr>idxd_sim.0</parent_addr>"));

        libvirtd_cleanup(&lvd);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/libvirt/nodedev-mdevctl", test_nodedev);
        return g_test_run();
}

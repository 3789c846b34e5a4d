/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Definitions as mdevctl knows them (define without a device, start, stop,
 * undefine, modify; attrs in order with repeated names; one UUID under two
 * parents), idxdctl's mdevctl personality, import, callouts, monitor and
 * the operator's table: the real idxdd and idxdctl on the harness
 * (docs/testing.md, "Definitions and mdevctl").
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "harness.h"
#include "idxd-bus.h"

#define UUID_A "6d000000-0000-4000-8000-00000000000a"
#define UUID_B "6d000000-0000-4000-8000-00000000000b"
#define UUID_C "6d000000-0000-4000-8000-00000000000c"
#define WAIT_MS 20000

/* ---- helpers ---------------------------------------------------------- */

#define CTL(h, code, ...)                                                                 \
        ({                                                                                \
                CtlResult *_r = harness_ctl((h), __VA_ARGS__, NULL);                      \
                assert_ctl_exit(_r, (code));                                              \
                _r;                                                                       \
        })

/* A command run for its effect: its exit status checked, its output dropped. */
#define CTL_RUN(h, code, ...) ctl_result_free(CTL((h), (code), __VA_ARGS__))

/* idxdctl under the name mdevctl: a link in the scratch dir. */
static CtlResult *mdevctl(Harness *h, const char *const *args) {
        g_autofree char *bin = g_build_filename(h->dir, "bin", NULL);
        g_autofree char *link = g_build_filename(bin, "mdevctl", NULL);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();

        if (!g_file_test(link, G_FILE_TEST_EXISTS)) {
                g_assert_cmpint(g_mkdir_with_parents(bin, 0755), ==, 0);
                g_assert_cmpint(symlink(g_getenv("IDXD_TEST_IDXDCTL"), link), ==, 0);
        }
        g_ptr_array_add(argv, link);
        for (; *args; args++)
                g_ptr_array_add(argv, (char *) *args);
        g_ptr_array_add(argv, NULL);
        return harness_run(h, (const char *const *) argv->pdata);
}

#define MDEVCTL(h, code, ...)                                                             \
        ({                                                                                \
                CtlResult *_r = mdevctl((h), (const char *const[]) { __VA_ARGS__, NULL }); \
                assert_ctl_exit(_r, (code));                                              \
                _r;                                                                       \
        })

#define MDEVCTL_RUN(h, code, ...) ctl_result_free(MDEVCTL((h), (code), __VA_ARGS__))

/* The row of `idxdctl --json list` for uuid under parent (NULL: any), or NULL. */
static json_object *find_row(json_object *list, const char *uuid, const char *parent) {
        json_object *mdevs;

        g_assert_true(json_object_object_get_ex(list, "mdevs", &mdevs));
        for (size_t i = 0; i < json_object_array_length(mdevs); i++) {
                json_object *m = json_object_array_get_idx(mdevs, i), *u, *p;

                g_assert_true(json_object_object_get_ex(m, "uuid", &u));
                g_assert_true(json_object_object_get_ex(m, "parent", &p));
                if (g_str_equal(json_object_get_string(u), uuid) &&
                    (!parent || g_str_equal(json_object_get_string(p), parent)))
                        return m;
        }
        return NULL;
}

static json_object *list_json(Harness *h) {
        g_autoptr(CtlResult) r = CTL(h, 0, "--json", "list");
        json_object *root = json_tokener_parse(r->out);

        g_assert_nonnull(root);
        return root;
}

static const char *field(json_object *row, const char *key) {
        json_object *v;

        g_assert_nonnull(row);
        g_assert_true(json_object_object_get_ex(row, key, &v));
        return json_object_get_string(v);
}

static char *state_file(Harness *h, const char *name) {
        g_autofree char *path = g_build_filename(h->state_dir, "mdevs", name, NULL);
        char *text = NULL;

        return g_file_get_contents(path, &text, NULL, NULL) ? text : NULL;
}

static char *sysfs_attr(const char *uuid, const char *name) {
        g_autofree char *path = g_strdup_printf("/sys/bus/mdev/devices/%s/%s", uuid, name);
        char *text = NULL;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return NULL;
        return g_strstrip(text);
}

typedef struct WaitMdev {
        FakeKernel *kernel;
        const char *uuid;
        gboolean present;
} WaitMdev;

static gboolean mdev_is(gpointer data) {
        WaitMdev *w = data;

        return fake_kernel_has_mdev(w->kernel, w->uuid) == w->present;
}

static void wait_mdev(Harness *h, const char *uuid, gboolean present) {
        WaitMdev w = { h->kernel, uuid, present };

        if (!harness_wait_for(mdev_is, &w, WAIT_MS))
                g_error("mdev %s did not %s", uuid, present ? "appear" : "go");
}

/* ---- definitions ------------------------------------------------------ */

/* Define with no device (the parent may be absent), start and stop by UUID, undefine without destroy. */
static void test_define_start_stop(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        g_autoptr(CtlResult) d1 = CTL(h, 0, "define", "--parent", "idxd_sim.0", "--type", "dsa-1swq-v1", "--uuid", UUID_A,
                                      "--attr", "wq=wq0.1", "--attr", "ims_vectors=3", "--attr", "wq=wq0.2");
        g_assert_cmpstr(g_strstrip(d1->out), ==, UUID_A);
        /* nothing was made */
        g_assert_cmpuint(fake_kernel_create_writes(h->kernel, UUID_A), ==, 0);

        /* a parent that is not here is fine: the type stays as given */
        CTL_RUN(h, 0, "define", "--parent", "0000:6a:01.0", "--type", "idxd_mdev-dsa-1dwq-v1",
                "--uuid", UUID_B, "--autostart");
        json_object *list = list_json(h);
        json_object *a = find_row(list, UUID_A, NULL), *b = find_row(list, UUID_B, NULL), *attrs;
        g_assert_cmpstr(field(a, "state"), ==, "defined");
        /* the suffix became the full type id on the parent that is here */
        g_assert_cmpstr(field(a, "type"), ==, FAKE_TYPE_SWQ);
        g_assert_true(json_object_object_get_ex(a, "attrs", &attrs));
        g_assert_cmpstr(json_object_to_json_string_ext(attrs, JSON_C_TO_STRING_PLAIN), ==,
                        "[{\"wq\":\"wq0.1\"},{\"ims_vectors\":\"3\"},{\"wq\":\"wq0.2\"}]");
        g_assert_cmpstr(field(b, "state"), ==, "defined");
        g_assert_cmpstr(field(b, "parent"), ==, "0000:6a:01.0");
        g_assert_true(json_object_get_boolean(json_object_object_get(b, "autostart")));
        json_object_put(list);

        /* the D-Bus object of a definition has its attributes too */
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) prop = g_dbus_connection_call_sync(
                h->bus, IDXD_BUS_NAME, "/org/idxd/Manager1/mdev/6d000000_0000_4000_8000_00000000000a",
                "org.freedesktop.DBus.Properties", "Get", g_variant_new("(ss)", IDXD_MDEV_INTERFACE, "Attrs"),
                G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
        g_assert_no_error(error);
        g_autofree char *printed = g_variant_print(prop, FALSE);
        g_assert_cmpstr(printed, ==, "(<[('wq', 'wq0.1'), ('ims_vectors', '3'), ('wq', 'wq0.2')]>,)");

        /* start: made, attributes written in order (the second wq wins) */
        CTL_RUN(h, 0, "start", UUID_A);
        wait_mdev(h, UUID_A, TRUE);
        g_autofree char *wq = sysfs_attr(UUID_A, "wq");
        g_autofree char *ims = sysfs_attr(UUID_A, "ims_vectors");
        g_assert_cmpstr(wq, ==, "wq0.2");
        g_assert_cmpstr(ims, ==, "3");
        /* started again: no change, one write to create */
        CTL_RUN(h, 0, "start", UUID_A);
        g_assert_cmpuint(fake_kernel_create_writes(h->kernel, UUID_A), ==, 1);

        /* a parent that is not here cannot be started on */
        g_autoptr(CtlResult) nb = CTL(h, 1, "start", UUID_B);
        g_assert_nonnull(strstr(nb->err, "Parent 0000:6a:01.0 of mdev " UUID_B " not found"));

        /* stop: the device goes, the definition stays */
        CTL_RUN(h, 0, "stop", UUID_A);
        wait_mdev(h, UUID_A, FALSE);
        list = list_json(h);
        g_assert_cmpstr(field(find_row(list, UUID_A, NULL), "state"), ==, "defined");
        json_object_put(list);
        g_autoptr(CtlResult) st2 = CTL(h, 1, "stop", UUID_A);
        g_assert_nonnull(strstr(st2->err, "is not running"));

        /* undefine without destroy: the device that runs stays, no longer persistent */
        CTL_RUN(h, 0, "start", UUID_A);
        wait_mdev(h, UUID_A, TRUE);
        CTL_RUN(h, 0, "undefine", UUID_A);
        g_assert_true(fake_kernel_has_mdev(h->kernel, UUID_A));
        g_autofree char *gone = state_file(h, UUID_A ".json");
        g_assert_null(gone);
        list = list_json(h);
        a = find_row(list, UUID_A, NULL);
        g_assert_cmpstr(field(a, "state"), ==, "active");
        g_assert_false(json_object_get_boolean(json_object_object_get(a, "persistent")));
        json_object_put(list);
        g_autoptr(CtlResult) u2 = CTL(h, 1, "undefine", UUID_A);
        g_assert_nonnull(strstr(u2->err, "not defined"));

        /* define the running device as it is: parent and type from sysfs */
        CTL_RUN(h, 0, "define", "--uuid", UUID_A);
        g_autofree char *text = state_file(h, UUID_A ".json");
        g_assert_nonnull(text);
        g_assert_nonnull(strstr(text, "\"parent\": \"idxd_sim.0\""));
        CTL_RUN(h, 0, "undefine", UUID_B);
}

/* The same UUID under two parents, as mdevctl allows: the parent chooses. */
static void test_two_parents(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        CTL_RUN(h, 0, "define", "-p", "idxd_sim.0", "-t", FAKE_TYPE_SWQ, "-u", UUID_A);
        CTL_RUN(h, 0, "define", "-p", "idxd_sim.1", "-t", FAKE_TYPE_DWQ, "-u", UUID_A);
        g_autofree char *plain = state_file(h, UUID_A ".json");
        g_autofree char *second = state_file(h, UUID_A "@idxd_sim.1.json");
        g_assert_nonnull(plain);
        g_assert_nonnull(second);

        g_autoptr(CtlResult) which = CTL(h, 2, "start", UUID_A);
        g_assert_nonnull(strstr(which->err, "defined under 2 parents (idxd_sim.0, idxd_sim.1)"));
        CTL_RUN(h, 0, "start", UUID_A, "--parent", "idxd_sim.1");
        wait_mdev(h, UUID_A, TRUE);
        json_object *list = list_json(h);
        g_assert_cmpstr(field(find_row(list, UUID_A, "idxd_sim.1"), "state"), ==, "active");
        g_assert_cmpstr(field(find_row(list, UUID_A, "idxd_sim.1"), "type"), ==, FAKE_TYPE_DWQ);
        g_assert_cmpstr(field(find_row(list, UUID_A, "idxd_sim.0"), "state"), ==, "defined");
        json_object_put(list);
        /* the other parent's definition cannot start while this one runs */
        g_autoptr(CtlResult) clash = CTL(h, 1, "start", UUID_A, "--parent", "idxd_sim.0");
        g_assert_nonnull(strstr(clash->err, "already exists on parent idxd_sim.1"));

        /* both come back after a restart */
        harness_stop_daemon(h);
        harness_start_daemon(h, NULL);
        list = list_json(h);
        g_assert_nonnull(find_row(list, UUID_A, "idxd_sim.0"));
        g_assert_true(json_object_get_boolean(json_object_object_get(find_row(list, UUID_A, "idxd_sim.1"), "persistent")));
        json_object_put(list);

        /* undefine one parent's; then all */
        CTL_RUN(h, 0, "undefine", UUID_A, "--parent", "idxd_sim.0");
        g_autofree char *plain_gone = state_file(h, UUID_A ".json");
        g_assert_null(plain_gone);
        list = list_json(h);
        g_assert_null(find_row(list, UUID_A, "idxd_sim.0"));
        json_object_put(list);
        CTL_RUN(h, 0, "undefine", UUID_A);
        g_autofree char *second_gone = state_file(h, UUID_A "@idxd_sim.1.json");
        g_assert_null(second_gone);
        g_assert_true(fake_kernel_has_mdev(h->kernel, UUID_A));
}

static char *definition_text(Harness *h) {
        char *text = state_file(h, UUID_A ".json");

        g_assert_nonnull(text);
        return text;
}

/* modify: type, autostart, domain, attributes by position; a refused modify changes nothing. */
static void test_modify(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        CTL_RUN(h, 0, "define", "-p", "idxd_sim.0", "-t", FAKE_TYPE_SWQ, "-u", UUID_A,
                "--attr", "a=1", "--attr", "b=2");

        CTL_RUN(h, 0, "modify", UUID_A, "--add-attr", "a=0", "--index", "0");
        CTL_RUN(h, 0, "modify", UUID_A, "--add-attr", "c=3");
        CTL_RUN(h, 0, "modify", UUID_A, "--remove-attr", "--index", "1");
        CTL_RUN(h, 0, "modify", UUID_A, "--autostart", "--type", "dsa-1dwq-v1", "--domain", "vm7");
        json_object *list = list_json(h), *attrs;
        json_object *a = find_row(list, UUID_A, NULL);
        g_assert_true(json_object_object_get_ex(a, "attrs", &attrs));
        g_assert_cmpstr(json_object_to_json_string_ext(attrs, JSON_C_TO_STRING_PLAIN), ==,
                        "[{\"a\":\"0\"},{\"b\":\"2\"},{\"c\":\"3\"}]");
        g_assert_cmpstr(field(a, "type"), ==, FAKE_TYPE_DWQ);
        g_assert_cmpstr(field(a, "domain"), ==, "vm7");
        g_assert_true(json_object_get_boolean(json_object_object_get(a, "autostart")));
        json_object_put(list);

        /* refused: an index past the end, a type the parent does not have; the file is as it was */
        g_autofree char *before = definition_text(h);
        g_autoptr(CtlResult) bad1 = CTL(h, 2, "modify", UUID_A, "--remove-attr", "--index", "3");
        g_assert_nonnull(strstr(bad1->err, "attribute index 3 is invalid, the definition has 3 attributes"));
        g_autoptr(CtlResult) bad2 = CTL(h, 1, "modify", UUID_A, "--type", "nope");
        g_assert_nonnull(strstr(bad2->err, "Type nope not found on parent idxd_sim.0"));
        g_autoptr(CtlResult) bad3 = CTL(h, 1, "modify", UUID_B, "--manual");
        g_assert_nonnull(strstr(bad3->err, "not defined"));
        g_autofree char *after = definition_text(h);
        g_assert_cmpstr(before, ==, after);

        /* the last one goes without an index; --no-domain clears it */
        CTL_RUN(h, 0, "modify", UUID_A, "--remove-attr", "--manual", "--no-domain");
        list = list_json(h);
        a = find_row(list, UUID_A, NULL);
        g_assert_true(json_object_object_get_ex(a, "attrs", &attrs));
        g_assert_cmpuint(json_object_array_length(attrs), ==, 2);
        g_assert_cmpstr(field(a, "domain"), ==, "");
        g_assert_false(json_object_get_boolean(json_object_object_get(a, "autostart")));
        json_object_put(list);
}

/* Defines that find something there: the same again is no change, anything else is refused and changes nothing. */
static void test_refused_define(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        CTL_RUN(h, 0, "define", "-p", "idxd_sim.0", "-t", FAKE_TYPE_SWQ, "-u", UUID_A, "--attr", "x=1");
        g_autofree char *before = definition_text(h);

        CTL_RUN(h, 0, "define", "-p", "idxd_sim.0", "-t", "dsa-1swq-v1", "-u", UUID_A, "--attr", "x=1");
        g_autoptr(CtlResult) other = CTL(h, 1, "define", "-p", "idxd_sim.0", "-t", FAKE_TYPE_DWQ, "-u", UUID_A);
        g_assert_nonnull(strstr(other->err, "already defined on parent idxd_sim.0"));
        g_autoptr(CtlResult) notype = CTL(h, 1, "define", "-p", "idxd_sim.0", "-t", "nope", "-u", UUID_B);
        g_assert_nonnull(strstr(notype->err, "Type nope not found on parent idxd_sim.0"));
        g_autoptr(CtlResult) noparent = CTL(h, 2, "define", "-u", UUID_B);
        g_assert_nonnull(strstr(noparent->err, "needs a parent"));
        g_autofree char *after = definition_text(h);
        g_assert_cmpstr(before, ==, after);
        g_autofree char *none = state_file(h, UUID_B ".json");
        g_assert_null(none);
}

/* An autostart definition whose parent is away is made when the parent comes. */
static void test_autostart_hotplug(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        CTL_RUN(h, 0, "define", "-p", "idxd_sim.7", "-t", FAKE_TYPE_SWQ, "-u", UUID_C,
                "--autostart", "--attr", "wq=wq7.0");
        g_assert_false(fake_kernel_has_mdev(h->kernel, UUID_C));
        fake_kernel_add_parent(h->kernel, "idxd_sim.7", 2);
        wait_mdev(h, UUID_C, TRUE);
        fake_kernel_sync(h->kernel);
        /* The daemon writes it right after the add uevent: give it the moment it takes. */
        g_autofree char *wq = NULL;
        for (int i = 0; i < 500; i++) {
                g_free(wq);
                wq = sysfs_attr(UUID_C, "wq");
                if (g_strcmp0(wq, "wq7.0") == 0)
                        break;
                g_usleep(10000);
        }
        g_assert_cmpstr(wq, ==, "wq7.0");
}

/* ---- the mdevctl personality ------------------------------------------ */

/* What mdevctl prints, byte for byte, for idxdd's definitions and devices. */
static void test_mdevctl_list(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        CTL_RUN(h, 0, "define", "-p", "idxd_sim.1", "-t", FAKE_TYPE_DWQ, "-u", UUID_B,
                "--autostart", "--attr", "wq=wq1.0", "--attr", "wq=wq1.1");
        CTL_RUN(h, 0, "start", UUID_B);
        CTL_RUN(h, 0, "create", "-p", "idxd_sim.0", "-t", FAKE_TYPE_SWQ, "-u", UUID_A);
        CTL_RUN(h, 0, "define", "-p", "idxd_sim.0", "-t", FAKE_TYPE_SWQ, "-u", UUID_C);
        wait_mdev(h, UUID_B, TRUE);

        g_autoptr(CtlResult) active = MDEVCTL(h, 0, "list");
        g_assert_cmpstr(active->out, ==,
                        UUID_A " idxd_sim.0 " FAKE_TYPE_SWQ " manual\n"
                        UUID_B " idxd_sim.1 " FAKE_TYPE_DWQ " auto (defined)\n\n");
        g_autoptr(CtlResult) defined = MDEVCTL(h, 0, "list", "--defined", "-v");
        g_assert_cmpstr(defined->out, ==,
                        UUID_C " idxd_sim.0 " FAKE_TYPE_SWQ " manual\n"
                        UUID_B " idxd_sim.1 " FAKE_TYPE_DWQ " auto (active)\n"
                        "  Attrs:\n"
                        "    @{0}: {\"wq\":\"wq1.0\"}\n"
                        "    @{1}: {\"wq\":\"wq1.1\"}\n\n");
        g_autoptr(CtlResult) dump = MDEVCTL(h, 0, "list", "--dumpjson", "--defined");
        g_assert_cmpstr(dump->out, ==,
                        "[\n  {\n    \"idxd_sim.0\": [\n      {\n        \"" UUID_C "\": {\n"
                        "          \"mdev_type\": \"" FAKE_TYPE_SWQ "\",\n          \"start\": \"manual\",\n"
                        "          \"attrs\": []\n        }\n      }\n    ],\n"
                        "    \"idxd_sim.1\": [\n      {\n        \"" UUID_B "\": {\n"
                        "          \"mdev_type\": \"" FAKE_TYPE_DWQ "\",\n          \"start\": \"auto\",\n"
                        "          \"attrs\": [\n            {\n              \"wq\": \"wq1.0\"\n            },\n"
                        "            {\n              \"wq\": \"wq1.1\"\n            }\n          ]\n"
                        "        }\n      }\n    ]\n  }\n]\n");
        g_autoptr(CtlResult) one = MDEVCTL(h, 0, "list", "--dumpjson", "--uuid=" UUID_A);
        g_assert_cmpstr(one->out, ==, "{\n  \"mdev_type\": \"" FAKE_TYPE_SWQ "\",\n  \"start\": \"manual\",\n"
                        "  \"attrs\": []\n}\n");
        g_autoptr(CtlResult) parent = MDEVCTL(h, 0, "list", "-d", "-p", "idxd_sim.0");
        g_assert_cmpstr(parent->out, ==, UUID_C " idxd_sim.0 " FAKE_TYPE_SWQ " manual\n\n");
        g_autoptr(CtlResult) none = MDEVCTL(h, 0, "list", "--dumpjson", "-p", "idxd_sim.9");
        g_assert_cmpstr(none->out, ==, "[]\n");

        /* lsmdev is list */
        g_autofree char *lsmdev = g_build_filename(h->dir, "bin", "lsmdev", NULL);
        g_assert_cmpint(symlink(g_getenv("IDXD_TEST_IDXDCTL"), lsmdev), ==, 0);
        g_autoptr(CtlResult) ls = harness_run(h, (const char *const[]) { lsmdev, "-d", NULL });
        assert_ctl_exit(ls, 0);
        g_assert_cmpstr(ls->out, ==, UUID_C " idxd_sim.0 " FAKE_TYPE_SWQ " manual\n"
                        UUID_B " idxd_sim.1 " FAKE_TYPE_DWQ " auto (active)\n\n");
}

/* mdevctl's verbs, as libvirt's node-device driver runs them, and their refusals. */
static void test_mdevctl_verbs(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        g_autofree char *json = harness_write_file(h, "dev.json",
                "{ \"mdev_type\": \"" FAKE_TYPE_SWQ "\", \"start\": \"manual\", \"attrs\": [ { \"wq\": \"wq0.5\" } ] }\n");
        g_autofree char *parent_arg = g_strdup("--parent=idxd_sim.0");
        g_autofree char *json_arg = g_strdup_printf("--jsonfile=%s", json);

        /* libvirt: define --parent=P --jsonfile=FILE --uuid=U */
        g_autoptr(CtlResult) d = MDEVCTL(h, 0, "define", parent_arg, json_arg, "--uuid=" UUID_A);
        g_assert_cmpstr(d->out, ==, "");
        g_autoptr(CtlResult) again = MDEVCTL(h, 1, "define", parent_arg, json_arg, "--uuid=" UUID_A);
        g_assert_true(g_str_has_prefix(again->err, "Error: "));
        g_assert_nonnull(strstr(again->err, "already defined"));
        /* without a UUID a new one is printed */
        g_autoptr(CtlResult) fresh = MDEVCTL(h, 0, "define", "-p", "idxd_sim.1", "-t", FAKE_TYPE_DWQ);
        g_assert_cmpuint(strlen(g_strstrip(fresh->out)), ==, 36);

        MDEVCTL_RUN(h, 0, "modify", "--uuid=" UUID_A, "--auto");
        MDEVCTL_RUN(h, 0, "modify", "-u", UUID_A, "--addattr", "ims_vectors", "--value", "2",
                    "-i", "0");
        MDEVCTL_RUN(h, 0, "start", "--uuid=" UUID_A);
        wait_mdev(h, UUID_A, TRUE);
        g_autofree char *wq = sysfs_attr(UUID_A, "wq");
        g_assert_cmpstr(wq, ==, "wq0.5");
        g_autoptr(CtlResult) twice = MDEVCTL(h, 1, "start", "-u", UUID_A);
        g_assert_cmpstr(twice->err, ==, "Error: Device already exists\n");
        g_autoptr(CtlResult) dumped = MDEVCTL(h, 0, "list", "--dumpjson", "-u", UUID_A);
        g_assert_nonnull(strstr(dumped->out, "\"start\": \"auto\""));
        g_assert_nonnull(strstr(dumped->out, "\"ims_vectors\": \"2\""));
        MDEVCTL_RUN(h, 0, "stop", "--uuid=" UUID_A);
        wait_mdev(h, UUID_A, FALSE);
        MDEVCTL_RUN(h, 0, "undefine", "--uuid=" UUID_A);
        MDEVCTL_RUN(h, 1, "undefine", "-u", UUID_A);

        /* transient: start -p P -t T prints the new UUID; stop removes it */
        g_autoptr(CtlResult) t = MDEVCTL(h, 0, "start", "-p", "idxd_sim.0", "-t", FAKE_TYPE_SWQ);
        g_autofree char *made = g_strdup(g_strstrip(t->out));
        wait_mdev(h, made, TRUE);
        MDEVCTL_RUN(h, 0, "stop", "-u", made);

        /* refusals with mdevctl's words and exit codes */
        g_autoptr(CtlResult) under = MDEVCTL(h, 1, "start", "-u", UUID_C);
        g_assert_cmpstr(under->err, ==, "Error: Device is insufficiently specified\n");
        g_autoptr(CtlResult) notype = MDEVCTL(h, 1, "start", "-u", UUID_C, "-t", FAKE_TYPE_SWQ);
        g_assert_cmpstr(notype->err, ==, "Error: can't provide type without parent\n");
        g_autoptr(CtlResult) jsonnoparent = MDEVCTL(h, 1, "define", "-u", UUID_C, json_arg);
        g_assert_true(g_str_has_prefix(jsonnoparent->err, "Error: Parent device required to define device via"));
        MDEVCTL_RUN(h, 2, "modify", "-u", UUID_C, "--auto", "--manual");
        MDEVCTL_RUN(h, 2, "stop");
        MDEVCTL_RUN(h, 2, "frobnicate");
        /* libvirt probes for a newer mdevctl's modify this way: not supported here, as in mdevctl 1.2 */
        MDEVCTL_RUN(h, 2, "modify", "--defined", "--live", "--jsonfile", "b", "--help");
        /* mdevctl's udev rule calls this; idxdd starts what is autostart by itself */
        MDEVCTL_RUN(h, 0, "start-parent-mdevs", "idxd_sim.0");
        g_autoptr(CtlResult) version = MDEVCTL(h, 0, "--version");
        g_assert_true(g_str_has_prefix(version->out, "mdevctl 1.2.0"));
}

static void test_mdevctl_types(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 3);
        harness_start_daemon(h, NULL);
        CTL_RUN(h, 0, "create", "-p", "idxd_sim.0", "-t", FAKE_TYPE_DWQ);
        g_autoptr(CtlResult) text = MDEVCTL(h, 0, "types");
        g_autoptr(CtlResult) json = MDEVCTL(h, 0, "types", "--dumpjson", "-p", "idxd_sim.0");
        json_object *root = json_tokener_parse(json->out), *types, *dwq;

        g_assert_true(g_str_has_prefix(text->out, "idxd_sim.0\n  " FAKE_TYPE_DWQ "\n    Available instances: 2\n"
                                       "    Device API: vfio-pci\n"));
        g_assert_true(g_str_has_suffix(text->out, "\n\n"));
        g_assert_true(json_object_is_type(root, json_type_array));
        g_assert_true(json_object_object_get_ex(json_object_array_get_idx(root, 0), "idxd_sim.0", &types));
        g_assert_cmpuint(json_object_array_length(types), ==, 2);
        g_assert_true(json_object_object_get_ex(json_object_array_get_idx(types, 0), FAKE_TYPE_DWQ, &dwq));
        g_assert_cmpint(json_object_get_int(json_object_object_get(dwq, "available_instances")), ==, 2);
        g_assert_cmpstr(json_object_get_string(json_object_object_get(dwq, "device_api")), ==, "vfio-pci");
        json_object_put(root);
}

/* ---- import ----------------------------------------------------------- */

/* What mdevctl prints can be imported: a dump round trip, --check without a daemon, a path that is not there. */
static void test_import_dump(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        CTL_RUN(h, 0, "define", "-p", "idxd_sim.0", "-t", FAKE_TYPE_SWQ, "-u", UUID_A,
                "--attr", "assign=1", "--attr", "assign=2");
        CTL_RUN(h, 0, "define", "-p", "idxd_sim.1", "-t", FAKE_TYPE_SWQ, "-u", UUID_A);
        CTL_RUN(h, 0, "define", "-p", "0000:6a:01.0", "-t", FAKE_TYPE_DWQ, "-u", UUID_B,
                "--autostart");
        g_autoptr(CtlResult) dump = MDEVCTL(h, 0, "list", "--dumpjson", "--defined");
        g_autofree char *path = harness_write_file(h, "dump.json", dump->out);

        g_autoptr(CtlResult) check = CTL(h, 0, "import", "--mdevctl", path, "--check");
        g_assert_nonnull(strstr(check->out, UUID_A " idxd_sim.0 " FAKE_TYPE_SWQ " manual: valid (2 attributes)"));
        g_assert_nonnull(strstr(check->out, ": 3 valid, 0 invalid"));

        CTL_RUN(h, 0, "undefine", UUID_A);
        CTL_RUN(h, 0, "undefine", UUID_B);
        CTL_RUN(h, 0, "import", "--mdevctl", path);
        g_autoptr(CtlResult) again = MDEVCTL(h, 0, "list", "--dumpjson", "--defined");
        g_assert_cmpstr(again->out, ==, dump->out);
        /* nothing was started */
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 0);

        /* a refused one: the file, the UUID and the reason; the rest still in --json */
        g_free(harness_write_file(h, "bad/idxd_sim.0/" UUID_C, "{ \"mdev_type\": \"t\" }\n"));
        g_autofree char *root = g_build_filename(h->dir, "bad", NULL);
        g_autoptr(CtlResult) refused = CTL(h, 1, "import", "--mdevctl", root, "--check", "--json");
        json_object *out = json_tokener_parse(refused->out), *errors;
        g_assert_nonnull(out);
        g_assert_false(json_object_get_boolean(json_object_object_get(out, "valid")));
        g_assert_true(json_object_object_get_ex(out, "errors", &errors));
        g_assert_nonnull(strstr(json_object_get_string(json_object_array_get_idx(errors, 0)),
                                UUID_C ":1:1: mdev " UUID_C " on parent idxd_sim.0: \"start\" is missing"));
        json_object_put(out);

        g_autoptr(CtlResult) typo = CTL(h, 1, "import", "--mdevctl", "/typo");
        g_assert_nonnull(strstr(typo->err, "cannot read /typo: No such file or directory"));
}

/* ---- callouts --------------------------------------------------------- */

/* A callout script that logs each call and refuses to start the dedicated-WQ type. */
static void write_callout(Harness *h, const char *name, const char *body) {
        g_autofree char *path = harness_write_file(h, name, body);
        g_assert_cmpint(chmod(path, 0755), ==, 0);
}

static char *callout_log(Harness *h) {
        g_autofree char *path = g_build_filename(h->dir, "callout.log", NULL);
        char *text = NULL;

        return g_file_get_contents(path, &text, NULL, NULL) ? text : g_strdup("");
}

static void test_callouts(void) {
        g_autoptr(Harness) h = harness_new();
        g_autofree char *log = g_build_filename(h->dir, "callout.log", NULL);
        g_autofree char *script = g_strdup_printf(
                "#!/bin/sh\n"
                "# -t TYPE -e EVENT -a ACTION -s STATE -u UUID -p PARENT, the device on stdin\n"
                "echo \"$2 $4 $6 $8 ${10} ${12} $(cat)\" >> '%s'\n"
                "[ \"$2\" = \"" FAKE_TYPE_DWQ "\" ] && [ \"$4\" = pre ] && [ \"$6\" = start ] && "
                "{ echo 'no dedicated WQs today' >&2; exit 1; }\n"
                "exit 0\n", log);

        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        /* "not my type" passes to the next script, in name order */
        write_callout(h, "callouts/10-other", "#!/bin/sh\nexit 2\n");
        write_callout(h, "callouts/20-log", script);
        harness_start_daemon(h, NULL);

        CTL_RUN(h, 0, "define", "-p", "idxd_sim.0", "-t", FAKE_TYPE_SWQ, "-u", UUID_A,
                "--attr", "wq=wq0.3");
        CTL_RUN(h, 0, "start", UUID_A);
        wait_mdev(h, UUID_A, TRUE);
        g_autofree char *text = callout_log(h);
        g_assert_nonnull(strstr(text, FAKE_TYPE_SWQ " pre define none " UUID_A " idxd_sim.0 "
                                "{\"mdev_type\":\"" FAKE_TYPE_SWQ "\",\"start\":\"manual\",\"attrs\":[{\"wq\":\"wq0.3\"}]}"));
        g_assert_nonnull(strstr(text, " post define success " UUID_A));
        g_assert_nonnull(strstr(text, " pre start none " UUID_A));
        g_assert_nonnull(strstr(text, " post start success " UUID_A));

        /* the pre call says no: refused with its words, nothing written to create, no post call */
        g_autoptr(CtlResult) no = CTL(h, 1, "create", "-p", "idxd_sim.0", "-t", FAKE_TYPE_DWQ, "-u", UUID_B);
        g_assert_nonnull(strstr(no->err, "refused start of mdev " UUID_B " (exit status 1): no dedicated WQs today"));
        g_assert_cmpuint(fake_kernel_create_writes(h->kernel, UUID_B), ==, 0);
        g_free(text);
        text = callout_log(h);
        g_assert_null(strstr(text, " post start failure " UUID_B));

        CTL_RUN(h, 0, "stop", UUID_A);
        wait_mdev(h, UUID_A, FALSE);
        g_free(text);
        text = callout_log(h);
        g_assert_nonnull(strstr(text, " post stop success " UUID_A));
}

static gboolean file_has_pid(gpointer data) {
        g_autofree char *text = NULL;

        return g_file_get_contents(data, &text, NULL, NULL) && atoi(text) > 0;
}

/* A script that hangs is killed after its limit, with what it started, and the loop answers meanwhile. */
static void test_callout_hung(void) {
        g_autoptr(Harness) h = harness_new();
        g_autofree char *pidfile = g_build_filename(h->dir, "sleep.pid", NULL);
        g_autofree char *script = g_strdup_printf("#!/bin/sh\nsleep 1000 & echo $! > '%s'\nwait\n", pidfile);
        g_autofree char *out = g_build_filename(h->dir, "c.out", NULL), *err = g_build_filename(h->dir, "c.err", NULL);
        const char *args[] = { "--callout-timeout=2", NULL };

        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        write_callout(h, "callouts/hang", script);
        harness_start_daemon(h, args);

        GPid pid = harness_ctl_spawn(h, out, err, (const char *const[]) { "create", "-p", "idxd_sim.0", "-t",
                                                                          FAKE_TYPE_SWQ, "-u", UUID_A, NULL });
        g_assert_true(harness_wait_for(file_has_pid, pidfile, WAIT_MS));
        /* while the script hangs, the daemon answers at once */
        gint64 before = g_get_monotonic_time();
        CTL_RUN(h, 0, "status");
        g_assert_cmpint(g_get_monotonic_time() - before, <, 1500000);

        g_autoptr(CtlResult) r = harness_ctl_wait(pid, out, err);
        assert_ctl_exit(r, 1);
        g_assert_nonnull(strstr(r->err, "did not finish its pre-start call for mdev " UUID_A " within 2s: killed"));
        g_assert_false(fake_kernel_has_mdev(h->kernel, UUID_A));
        /* what the script started went with it */
        g_autofree char *text = NULL;
        g_assert_true(g_file_get_contents(pidfile, &text, NULL, NULL));
        pid_t sleeper = atoi(text);
        for (int i = 0; i < 100 && kill(sleeper, 0) == 0; i++)
                g_usleep(20000);
        g_assert_cmpint(kill(sleeper, 0), <, 0);
}

/* ---- monitor ---------------------------------------------------------- */

static gboolean file_has(gpointer data) {
        const char *const *w = data;
        g_autofree char *text = NULL;

        return g_file_get_contents(w[0], &text, NULL, NULL) && strstr(text, w[1]);
}

static void test_monitor(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        g_autofree char *out = g_build_filename(h->dir, "m.out", NULL), *err = g_build_filename(h->dir, "m.err", NULL);
        GPid pid = harness_ctl_spawn(h, out, err, (const char *const[]) { "--json", "monitor", "--count", "4", NULL });
        const char *ready[] = { err, "monitoring", NULL };

        g_assert_true(harness_wait_for(file_has, ready, WAIT_MS));
        CTL_RUN(h, 0, "define", "-p", "idxd_sim.0", "-t", FAKE_TYPE_SWQ, "-u", UUID_A);
        CTL_RUN(h, 0, "start", UUID_A);
        wait_mdev(h, UUID_A, TRUE);
        CTL_RUN(h, 0, "stop", UUID_A);
        g_autoptr(CtlResult) r = harness_ctl_wait(pid, out, err);
        assert_ctl_exit(r, 0);

        g_auto(GStrv) lines = g_strsplit(g_strstrip(r->out), "\n", -1);
        g_test_message("monitor printed:\n%s", r->out);
        g_assert_cmpuint(g_strv_length(lines), ==, 4);
        for (guint i = 0; i < 4; i++) {
                json_object *o = json_tokener_parse(lines[i]);

                g_assert_nonnull(o);
                g_assert_nonnull(json_object_object_get(o, "time_usec"));
                json_object_put(o);
        }
        /* in the order they happened */
        g_assert_true(strstr(lines[0], "\"event\":\"mdev-defined\",") && strstr(lines[0], UUID_A));
        g_assert_true(strstr(lines[1], "\"event\":\"mdev-added\",") && strstr(lines[1], UUID_A));
        g_assert_true(strstr(lines[2], "\"event\":\"mdev-state\",") && strstr(lines[2], "\"state\":\"removing\""));
        g_assert_true(strstr(lines[3], "\"event\":\"mdev-removed\",") && strstr(lines[3], UUID_A));
}

/* ---- the operator's table --------------------------------------------- */

static void test_list_table(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        /* A domain with a control character is refused (docs/dbus-api.md, "Caps"); a value may hold one. */
        CTL_RUN(h, 2, "define", "-p", "idxd_sim.0", "-t", FAKE_TYPE_SWQ, "-u", UUID_A,
                "--domain", "billing\x1b[31m");
        CTL_RUN(h, 0, "define", "-p", "idxd_sim.0", "-t", FAKE_TYPE_SWQ, "-u", UUID_A,
                "--domain", "a-very-long-domain-name-for-the-database-of-the-billing-team",
                "--attr", "wq=wq0.1", "--attr", "note=red\x1b[31m");
        g_autoptr(CtlResult) narrow = CTL(h, 0, "list");
        g_auto(GStrv) lines = g_strsplit(narrow->out, "\n", -1);

        for (char **l = lines; *l; l++)
                g_assert_cmpuint(g_utf8_strlen(*l, -1), <=, 80);
        g_assert_true(g_str_has_prefix(narrow->out, "UUID "));
        /* the table names the type without its driver's name, cuts what does not fit, escapes control characters */
        g_assert_nonnull(strstr(narrow->out, " dsa-1swq-v1 "));
        g_assert_nonnull(strstr(narrow->out, "..."));
        g_assert_null(strchr(narrow->out, '\x1b'));

        g_autoptr(CtlResult) wide = CTL(h, 0, "list", "--wide");
        g_assert_nonnull(strstr(wide->out, "billing-team"));
        g_assert_nonnull(strstr(wide->out, "note=red\\x1b[31m"));
        g_assert_nonnull(strstr(wide->out, " wq=wq0.1"));
        g_assert_nonnull(strstr(wide->out, "PERSISTENT"));
        g_assert_nonnull(strstr(wide->out, FAKE_TYPE_SWQ));
        g_assert_null(strchr(wide->out, '\x1b'));
}

/* A progress line on a terminal (script(1) gives one), nothing when not. */
static void test_progress(void) {
        g_autoptr(Harness) h = harness_new_running(8);
        g_autofree char *ctl = g_strdup_printf("%s create -t " FAKE_TYPE_SWQ " -p idxd_sim.0 --count 5",
                                               g_getenv("IDXD_TEST_IDXDCTL"));
        g_autoptr(CtlResult) tty = harness_run(h, (const char *const[]) { "script", "-qec", ctl, "/dev/null", NULL });
        assert_ctl_exit(tty, 0);
        g_assert_nonnull(strstr(tty->out, "created 5/5"));

        g_autoptr(CtlResult) plain = CTL(h, 0, "create", "-t", FAKE_TYPE_SWQ, "-p", "idxd_sim.1", "--count", "3");
        g_assert_null(strstr(plain->err, "created"));
        g_assert_null(strchr(plain->out, '\r'));
}

/* The refusal names the group the daemon is configured with, and where rights are explained. */
static void test_access_hint(void) {
        g_autoptr(Harness) h = harness_new();
        const char *args[] = { "--group=adm", NULL };

        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 2);
        harness_start_daemon(h, args);
        g_autoptr(CtlResult) r = harness_run_as(h, "nobody", "nogroup", "",
                                                (const char *const[]) { "idxdctl", "define", "-p", "idxd_sim.0", "-t",
                                                                        FAKE_TYPE_SWQ, NULL });
        assert_ctl_exit(r, 1);
        g_assert_nonnull(strstr(r->err, "needs root or membership of group adm"));
        g_assert_nonnull(strstr(r->err, "see RIGHTS in idxdctl(1)"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/definitions/define-start-stop", test_define_start_stop);
        g_test_add_func("/definitions/two-parents", test_two_parents);
        g_test_add_func("/definitions/modify", test_modify);
        g_test_add_func("/definitions/refused-define", test_refused_define);
        g_test_add_func("/definitions/autostart-hotplug", test_autostart_hotplug);
        g_test_add_func("/mdevctl/list", test_mdevctl_list);
        g_test_add_func("/mdevctl/verbs", test_mdevctl_verbs);
        g_test_add_func("/mdevctl/types", test_mdevctl_types);
        g_test_add_func("/import/dump", test_import_dump);
        g_test_add_func("/callouts/pre-post-veto", test_callouts);
        g_test_add_func("/callouts/hung", test_callout_hung);
        g_test_add_func("/cli/monitor", test_monitor);
        g_test_add_func("/cli/list-table", test_list_table);
        g_test_add_func("/cli/progress", test_progress);
        g_test_add_func("/cli/access-hint", test_access_hint);
        return g_test_run();
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Integration tests: the real idxdd and idxdctl on a private bus against the
 * fake kernel in a umockdev testbed. One GLib test case per behaviour; meson
 * runs each as its own test (tests/integration/meson.build).
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <libudev.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "idxd-bus.h"

#define UUID_A "8f1c3b2a-6d4e-4f10-9a7b-000000000001"
#define UUID_B "8f1c3b2a-6d4e-4f10-9a7b-000000000002"
#define UUID_C "8f1c3b2a-6d4e-4f10-9a7b-000000000003"
#define SIGNAL_TIMEOUT_MS 10000

/* ---- helpers ---------------------------------------------------------- */

static gboolean text_contains(const char *haystack, const char *needle) {
        g_autofree char *h = g_ascii_strdown(haystack, -1);
        g_autofree char *n = g_ascii_strdown(needle, -1);
        return strstr(h, n) != NULL;
}

#define assert_text_contains(text, needle)                                              \
        G_STMT_START {                                                                  \
                if (!text_contains((text), (needle)))                                   \
                        g_error("expected \"%s\" in:\n%s", (needle), (text));           \
        } G_STMT_END

/* The first UUID in text, lower case; fails the test when there is none. */
static char *find_uuid(const char *text) {
        g_autoptr(GRegex) re = g_regex_new("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                                           0, 0, NULL);
        g_autoptr(GMatchInfo) m = NULL;
        if (!g_regex_match(re, text, 0, &m))
                g_error("no UUID in idxdctl output:\n%s", text);
        g_autofree char *u = g_match_info_fetch(m, 0);
        return g_ascii_strdown(u, -1);
}

static char *ctl_create(Harness *h, const char *parent, const char *type) {
        g_autoptr(CtlResult) r = harness_ctl(h, "create", "--type", type, "--parent", parent, NULL);
        assert_ctl_exit(r, 0);
        return find_uuid(r->out);
}

static gboolean uuids_contain(GPtrArray *uuids, const char *uuid) {
        for (guint i = 0; i < uuids->len; i++)
                if (g_str_equal(uuids->pdata[i], uuid))
                        return TRUE;
        return FALSE;
}

/* Parses stdout of a --json verb; returns the array under `key` (or the top-level array). */
static json_object *parse_json_list(const char *text, const char *key, json_object **ret_root) {
        json_object *root = json_tokener_parse(text);
        if (!root)
                g_error("not JSON:\n%s", text);
        json_object *list = root;
        if (!json_object_is_type(root, json_type_array) && !json_object_object_get_ex(root, key, &list))
                g_error("JSON has no \"%s\" array:\n%s", key, text);
        g_assert_true(json_object_is_type(list, json_type_array));
        *ret_root = root;
        return list;
}

static json_object *json_get(json_object *o, const char *key) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v))
                g_error("JSON object lacks \"%s\": %s", key, json_object_to_json_string(o));
        return v;
}

static const char *json_get_string(json_object *o, const char *key) {
        return json_object_get_string(json_get(o, key));
}

static json_object *json_find(json_object *list, const char *key, const char *value) {
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *e = json_object_array_get_idx(list, i);
                json_object *v;
                if (json_object_object_get_ex(e, key, &v) && g_strcmp0(json_object_get_string(v), value) == 0)
                        return e;
        }
        return NULL;
}

/* The D-Bus error name of a failed raw call; fails the test when the call succeeded. */
static char *call_error_name(Harness *h, const char *method, GVariant *params, char **ret_message) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, method, params, &error);
        if (reply)
                g_error("%s succeeded, expected an error: %s", method, g_variant_print(reply, TRUE));
        char *name = g_dbus_error_get_remote_error(error);
        if (!name)
                g_error("%s failed without a D-Bus error name: %s", method, error->message);
        if (ret_message) {
                g_dbus_error_strip_remote_error(error);
                *ret_message = g_strdup(error->message);
        }
        return name;
}

static GVariant *create_params(const char *parent, const char *type, const char *uuid) {
        return g_variant_new("(sss@a{sv})", parent, type, uuid, g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
}

static GVariant *destroy_params(const char *uuid, gboolean force) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        if (force)
                g_variant_builder_add(&b, "{sv}", "force", g_variant_new_boolean(TRUE));
        return g_variant_new("(sa{sv})", uuid, &b);
}

/* Records manager signals as "Member arg0". */
typedef struct SignalLog {
        GPtrArray *seen;
        guint id;
} SignalLog;

static void on_signal(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                      const char *member, GVariant *params, gpointer user_data) {
        SignalLog *log = user_data;
        g_autoptr(GVariant) arg0 = g_variant_n_children(params) > 0 ? g_variant_get_child_value(params, 0) : NULL;
        const char *text = arg0 && (g_variant_is_of_type(arg0, G_VARIANT_TYPE_STRING) ||
                                    g_variant_is_of_type(arg0, G_VARIANT_TYPE_OBJECT_PATH)) ?
                g_variant_get_string(arg0, NULL) : "";
        g_ptr_array_add(log->seen, g_strdup_printf("%s %s", member, text));
}

static SignalLog *signal_log_new(Harness *h) {
        SignalLog *log = g_new0(SignalLog, 1);
        log->seen = g_ptr_array_new_with_free_func(g_free);
        /* The manager's own signals and the ObjectManager's, both on the manager object. */
        log->id = g_dbus_connection_signal_subscribe(h->bus, NULL, NULL, NULL, IDXD_MANAGER_PATH,
                                                     NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_signal, log, NULL);
        /* The match rule must reach the bus before anything we want to hear happens. */
        g_autoptr(GVariant) ping = g_dbus_connection_call_sync(h->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                               "org.freedesktop.DBus", "GetId", NULL, NULL,
                                                               G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
        (void) ping;
        return log;
}

static void signal_log_free(Harness *h, SignalLog *log) {
        g_dbus_connection_signal_unsubscribe(h->bus, log->id);
        g_ptr_array_unref(log->seen);
        g_free(log);
}

static int signal_index(SignalLog *log, const char *entry) {
        for (guint i = 0; i < log->seen->len; i++)
                if (g_str_equal(log->seen->pdata[i], entry))
                        return (int) i;
        return -1;
}

static guint signal_count(SignalLog *log, const char *entry) {
        guint n = 0;
        for (guint i = 0; i < log->seen->len; i++)
                n += g_str_equal(log->seen->pdata[i], entry);
        return n;
}

typedef struct {
        SignalLog *log;
        const char *const *wanted;
} SignalWait;

static gboolean all_signals_seen(gpointer data) {
        SignalWait *w = data;
        for (const char *const *e = w->wanted; *e; e++)
                if (signal_index(w->log, *e) < 0)
                        return FALSE;
        return TRUE;
}

static void wait_signals(SignalLog *log, const char *const *wanted) {
        SignalWait w = { log, wanted };
        if (!harness_wait_for(all_signals_seen, &w, SIGNAL_TIMEOUT_MS)) {
                GString *seen = g_string_new(NULL);
                for (guint i = 0; i < log->seen->len; i++)
                        g_string_append_printf(seen, "%s%s", i ? ", " : "", (char *) log->seen->pdata[i]);
                g_autofree char *want = g_strjoinv(", ", (char **) wanted);
                g_error("signals not seen within %d ms; wanted: %s; seen: %s", SIGNAL_TIMEOUT_MS, want, seen->str);
        }
}

/* Lets in-flight uevents and signals settle: no new signal for `quiet_ms`. */
static void settle(Harness *h, guint quiet_ms) {
        fake_kernel_sync(h->kernel);
        g_autoptr(GVariant) ping = harness_call(h, "GetStatus", NULL, NULL);
        (void) ping;
        gint64 end = g_get_monotonic_time() + (gint64) quiet_ms * 1000;
        while (g_get_monotonic_time() < end) {
                while (g_main_context_iteration(NULL, FALSE))
                        ;
                g_usleep(2000);
        }
}

/* ---- the fake kernel itself (no daemon) -------------------------------- */

static struct udev_device *receive_uevent(struct udev_monitor *mon) {
        struct pollfd p = { .fd = udev_monitor_get_fd(mon), .events = POLLIN };
        for (int i = 0; i < 50; i++) {
                if (poll(&p, 1, 100) > 0) {
                        struct udev_device *d = udev_monitor_receive_device(mon);
                        if (d)
                                return d;
                }
        }
        g_error("no uevent within 5 s");
}

static void write_sysfs(const char *path, const char *text) {
        /* A /sys path: the preload library sends it to the testbed, as for the daemon. */
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                g_error("open %s: %m", path);
        g_assert_cmpint(write(fd, text, strlen(text)), ==, (gssize) strlen(text));
        close(fd);
}

static char *read_sysfs(const char *path) {
        char *text = NULL;
        g_autoptr(GError) error = NULL;
        if (!g_file_get_contents(path, &text, NULL, &error))
                g_error("%s", error->message);
        return g_strchomp(text);
}

static void test_fake_kernel_uevents(void) {
        g_autoptr(Harness) h = harness_new();
        struct udev *udev = udev_new();
        struct udev_monitor *mon = udev_monitor_new_from_netlink(udev, "udev");
        g_assert_nonnull(mon);
        g_assert_cmpint(udev_monitor_enable_receiving(mon), ==, 0);

        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 2);
        struct udev_device *d = receive_uevent(mon);
        g_assert_cmpstr(udev_device_get_action(d), ==, "add");
        g_assert_cmpstr(udev_device_get_syspath(d), ==, "/sys/devices/platform/idxd_sim.0");
        g_assert_cmpstr(udev_device_get_subsystem(d), ==, "platform");
        udev_device_unref(d);

        const char *type_dir = "/sys/devices/platform/idxd_sim.0/mdev_supported_types/" FAKE_TYPE_SWQ;
        g_autofree char *avail_path = g_build_filename(type_dir, "available_instances", NULL);
        g_autofree char *api_path = g_build_filename(type_dir, "device_api", NULL);
        g_autofree char *create_path = g_build_filename(type_dir, "create", NULL);
        g_autofree char *api = read_sysfs(api_path);
        g_assert_cmpstr(api, ==, "vfio-pci");

        /* Two writes back to back: both must be answered. */
        write_sysfs(create_path, UUID_A "\n");
        write_sysfs(create_path, UUID_B);
        for (int i = 0; i < 2; i++) {
                d = receive_uevent(mon);
                g_assert_cmpstr(udev_device_get_action(d), ==, "add");
                g_assert_cmpstr(udev_device_get_subsystem(d), ==, "mdev");
                g_assert_cmpstr(udev_device_get_sysname(d), ==, i == 0 ? UUID_A : UUID_B);
                g_assert_cmpstr(udev_device_get_property_value(d, "MDEV_TYPE"), ==, FAKE_TYPE_SWQ);
                struct udev_device *parent = udev_device_get_parent(d);
                g_assert_cmpstr(udev_device_get_sysname(parent), ==, "idxd_sim.0");
                udev_device_unref(d);
        }
        g_autofree char *avail = read_sysfs(avail_path);
        g_assert_cmpstr(avail, ==, "0");
        g_autofree char *type_link = g_file_read_link("/sys/bus/mdev/devices/" UUID_A "/mdev_type", NULL);
        g_assert_cmpstr(type_link, ==, "../mdev_supported_types/" FAKE_TYPE_SWQ);
        g_autofree char *group_link = g_file_read_link("/sys/bus/mdev/devices/" UUID_A "/iommu_group", NULL);
        g_assert_nonnull(group_link);
        g_autofree char *group_dir = g_build_filename("/sys/devices/platform/idxd_sim.0/" UUID_A, group_link, NULL);
        g_assert_true(g_file_test(group_dir, G_FILE_TEST_IS_DIR));
        g_autofree char *node = fake_kernel_vfio_group_node(h->kernel, UUID_A);
        g_assert_true(g_file_test(node, G_FILE_TEST_EXISTS));

        /* Past capacity the write is swallowed and nothing appears. */
        write_sysfs(create_path, UUID_C);
        fake_kernel_sync(h->kernel);
        g_assert_false(fake_kernel_has_mdev(h->kernel, UUID_C));
        g_assert_cmpuint(fake_kernel_refused_creates(h->kernel), ==, 1);

        write_sysfs("/sys/bus/mdev/devices/" UUID_A "/remove", "1");
        d = receive_uevent(mon);
        g_assert_cmpstr(udev_device_get_action(d), ==, "remove");
        g_assert_cmpstr(udev_device_get_sysname(d), ==, UUID_A);
        udev_device_unref(d);
        g_assert_false(fake_kernel_has_mdev(h->kernel, UUID_A));
        g_free(avail);
        avail = read_sysfs(avail_path);
        g_assert_cmpstr(avail, ==, "1");
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 1);

        /* Hot removal: the mdev first, then the parent. */
        fake_kernel_remove_parent(h->kernel, "idxd_sim.0");
        d = receive_uevent(mon);
        g_assert_cmpstr(udev_device_get_action(d), ==, "remove");
        g_assert_cmpstr(udev_device_get_sysname(d), ==, UUID_B);
        udev_device_unref(d);
        d = receive_uevent(mon);
        g_assert_cmpstr(udev_device_get_action(d), ==, "remove");
        g_assert_cmpstr(udev_device_get_sysname(d), ==, "idxd_sim.0");
        udev_device_unref(d);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 0);

        udev_monitor_unref(mon);
        udev_unref(udev);
}

/* ---- daemon start-up --------------------------------------------------- */

static void test_daemon_ready(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        harness_start_daemon(h, NULL);
        g_assert_true(h->daemon_sent_ready);
        /* Ready means serving: the first call right after READY=1 works. */
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) parents = harness_call(h, "ListParents", NULL, &error);
        g_assert_no_error(error);
        g_assert_nonnull(parents);
        harness_stop_daemon(h);
}

/* ---- listing ----------------------------------------------------------- */

static void test_list_parents(void) {
        g_autoptr(Harness) h = harness_new_running(8);
        fake_kernel_set_available(h->kernel, "idxd_sim.1", FAKE_TYPE_DWQ, 3);

        g_autoptr(CtlResult) table = harness_ctl(h, "parents", NULL);
        assert_ctl_exit(table, 0);
        assert_text_contains(table->out, "idxd_sim.0");
        assert_text_contains(table->out, "idxd_sim.1");

        g_autoptr(CtlResult) r = harness_ctl(h, "parents", "--json", NULL);
        assert_ctl_exit(r, 0);
        json_object *root;
        json_object *parents = parse_json_list(r->out, "parents", &root);
        g_assert_cmpuint(json_object_array_length(parents), ==, 2);
        for (int i = 0; i < 2; i++) {
                const char *name = i == 0 ? "idxd_sim.0" : "idxd_sim.1";
                json_object *p = json_find(parents, "parent", name);
                if (!p)
                        g_error("parent %s missing from:\n%s", name, r->out);
                g_assert_cmpint(json_object_get_int(json_get(p, "ims_size")), ==, 4096);
                g_assert_cmpint(json_object_get_int(json_get(p, "ims_available")), ==, 4096);
                g_assert_cmpstr(json_get_string(p, "driver"), ==, "idxd_mdev");
                json_object *types = json_get(p, "types");
                g_assert_cmpuint(json_object_array_length(types), ==, 2);
                json_object *dwq = json_find(types, "type", FAKE_TYPE_DWQ);
                json_object *swq = json_find(types, "type", FAKE_TYPE_SWQ);
                g_assert_nonnull(dwq);
                g_assert_nonnull(swq);
                g_assert_cmpstr(json_get_string(swq, "device_api"), ==, "vfio-pci");
                g_assert_cmpstr(json_get_string(swq, "name"), ==, "dsa-1swq-v1");
                g_assert_cmpstr(json_get_string(dwq, "description"), ==, "one dedicated work queue");
                g_assert_cmpint(json_object_get_int(json_get(swq, "available_instances")), ==, 8);
                g_assert_cmpint(json_object_get_int(json_get(dwq, "available_instances")), ==, i == 0 ? 8 : 3);
        }
        json_object_put(root);

        /* The raw call agrees. */
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "ListParents", NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) list = g_variant_get_child_value(reply, 0);
        g_assert_cmpuint(g_variant_n_children(list), ==, 2);
}

static void test_list_types(void) {
        g_autoptr(Harness) h = harness_new_running(5);
        fake_kernel_set_available(h->kernel, "idxd_sim.0", FAKE_TYPE_SWQ, 2);

        g_autoptr(CtlResult) table = harness_ctl(h, "types", NULL);
        assert_ctl_exit(table, 0);
        assert_text_contains(table->out, FAKE_TYPE_DWQ);
        assert_text_contains(table->out, FAKE_TYPE_SWQ);

        g_autoptr(CtlResult) r = harness_ctl(h, "types", "--json", NULL);
        assert_ctl_exit(r, 0);
        json_object *root;
        json_object *types = parse_json_list(r->out, "types", &root);
        /* One entry per parent and type. */
        g_assert_cmpuint(json_object_array_length(types), ==, 4);
        guint total = 0;
        for (size_t i = 0; i < json_object_array_length(types); i++) {
                json_object *t = json_object_array_get_idx(types, i);
                const char *id = json_get_string(t, "type");
                const char *parent = json_get_string(t, "parent");
                g_assert_true(g_str_equal(id, FAKE_TYPE_DWQ) || g_str_equal(id, FAKE_TYPE_SWQ));
                g_assert_true(g_str_equal(parent, "idxd_sim.0") || g_str_equal(parent, "idxd_sim.1"));
                guint n = json_object_get_int(json_get(t, "available_instances"));
                if (g_str_equal(parent, "idxd_sim.0") && g_str_equal(id, FAKE_TYPE_SWQ))
                        g_assert_cmpuint(n, ==, 2);
                else
                        g_assert_cmpuint(n, ==, 5);
                total += n;
        }
        g_assert_cmpuint(total, ==, 17);
        json_object_put(root);

        g_autoptr(CtlResult) one = harness_ctl(h, "types", "--json", "--parent", "idxd_sim.1", NULL);
        assert_ctl_exit(one, 0);
        types = parse_json_list(one->out, "types", &root);
        g_assert_cmpuint(json_object_array_length(types), ==, 2);
        json_object_put(root);
}

static void test_list_filters(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        g_autofree char *a = ctl_create(h, "idxd_sim.0", "dsa-1swq-v1");
        g_autofree char *b = ctl_create(h, "idxd_sim.0", "dsa-1dwq-v1");
        g_autofree char *c = ctl_create(h, "idxd_sim.1", "dsa-1swq-v1");
        const struct {
                const char *option, *value;
                const char *expect[3];
        } cases[] = {
                { "--parent", "idxd_sim.0", { a, b, NULL } },
                { "--parent", "idxd_sim.1", { c, NULL } },
                { "--type", "dsa-1swq-v1", { a, c, NULL } },
                { "--type", FAKE_TYPE_DWQ, { b, NULL } },
                { "--domain", "nosuchvm", { NULL } },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(CtlResult) r = harness_ctl(h, "list", "--json", cases[i].option, cases[i].value, NULL);
                assert_ctl_exit(r, 0);
                json_object *root;
                json_object *mdevs = parse_json_list(r->out, "mdevs", &root);
                guint n = 0;
                for (; cases[i].expect[n]; n++)
                        if (!json_find(mdevs, "uuid", cases[i].expect[n]))
                                g_error("list %s %s lacks %s:\n%s", cases[i].option, cases[i].value,
                                        cases[i].expect[n], r->out);
                g_assert_cmpuint(json_object_array_length(mdevs), ==, n);
                json_object_put(root);
        }

        /* Both filters at once are ANDed, over the raw call too. */
        GVariantBuilder f;
        g_variant_builder_init(&f, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&f, "{sv}", "parent", g_variant_new_string("idxd_sim.0"));
        g_variant_builder_add(&f, "{sv}", "type", g_variant_new_string("dsa-1swq-v1"));
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "ListMdevs", g_variant_new("(a{sv})", &f), &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) list = g_variant_get_child_value(reply, 0);
        g_assert_cmpuint(g_variant_n_children(list), ==, 1);
        g_autoptr(GVariant) only = g_variant_get_child_value(list, 0);
        const char *uuid = NULL;
        g_assert_true(g_variant_lookup(only, "uuid", "&s", &uuid));
        g_assert_cmpstr(uuid, ==, a);
}

/* ---- create / list / destroy ------------------------------------------- */

static guint status_mdevs(Harness *h) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "GetStatus", NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) status = g_variant_get_child_value(reply, 0);
        guint32 n = G_MAXUINT32;
        g_assert_true(g_variant_lookup(status, "mdevs", "u", &n));
        return n;
}

static gint compare_strings(gconstpointer a, gconstpointer b) {
        return g_strcmp0(*(const char *const *) a, *(const char *const *) b);
}

/* The names of the parents `idxdctl parents --json` shows, sorted, comma-separated. */
static char *parent_names(Harness *h) {
        g_autoptr(CtlResult) r = harness_ctl(h, "parents", "--json", NULL);
        assert_ctl_exit(r, 0);
        json_object *root;
        json_object *parents = parse_json_list(r->out, "parents", &root);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        for (size_t i = 0; i < json_object_array_length(parents); i++)
                g_ptr_array_add(names, g_strdup(json_get_string(json_object_array_get_idx(parents, i), "parent")));
        json_object_put(root);
        g_ptr_array_sort(names, compare_strings);
        g_ptr_array_add(names, NULL);
        return g_strjoinv(",", (char **) names->pdata);
}

/*
 * At start the parents come from /sys/class/mdev_bus, where the mdev core
 * links each one (a scan of every device would build a udev_device per VFIO
 * group). A device the class does not list is not read then; its uevents
 * still are.
 */
static void test_parents_from_mdev_bus_class(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        fake_kernel_set_mdev_bus_class(h->kernel, FALSE);
        fake_kernel_add_parent(h->kernel, "idxd_sim.1", 4);
        fake_kernel_add_mdev(h->kernel, "idxd_sim.0", FAKE_TYPE_SWQ, UUID_A);
        harness_start_daemon(h, NULL);

        g_autofree char *names = parent_names(h);
        g_assert_cmpstr(names, ==, "idxd_sim.0");
        g_assert_cmpuint(status_mdevs(h), ==, 1);
}

/* Without the class (an older kernel), every device is scanned for mdev_supported_types. */
static void test_parents_without_mdev_bus_class(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_set_mdev_bus_class(h->kernel, FALSE);
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        fake_kernel_add_parent(h->kernel, "idxd_sim.1", 4);
        fake_kernel_add_mdev(h->kernel, "idxd_sim.1", FAKE_TYPE_DWQ, UUID_A);
        harness_start_daemon(h, NULL);

        g_autofree char *names = parent_names(h);
        g_assert_cmpstr(names, ==, "idxd_sim.0,idxd_sim.1");
        g_assert_cmpuint(status_mdevs(h), ==, 1);
}

static gboolean managed_object_has_mdev(Harness *h, const char *path) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_sync(h->bus, IDXD_BUS_NAME, IDXD_MANAGER_PATH,
                                                                "org.freedesktop.DBus.ObjectManager",
                                                                "GetManagedObjects", NULL,
                                                                G_VARIANT_TYPE("(a{oa{sa{sv}}})"),
                                                                G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) objects = g_variant_get_child_value(reply, 0);
        g_autoptr(GVariant) ifaces = g_variant_lookup_value(objects, path, G_VARIANT_TYPE("a{sa{sv}}"));
        if (!ifaces)
                return FALSE;
        g_autoptr(GVariant) props = g_variant_lookup_value(ifaces, IDXD_MDEV_INTERFACE, G_VARIANT_TYPE("a{sv}"));
        return props != NULL;
}

static void test_create_round_trip(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        SignalLog *log = signal_log_new(h);
        g_assert_cmpuint(status_mdevs(h), ==, 0);

        g_autofree char *uuid = ctl_create(h, "idxd_sim.1", "dsa-1swq-v1");
        g_assert_true(fake_kernel_has_mdev(h->kernel, uuid));
        g_assert_cmpuint(fake_kernel_create_writes(h->kernel, uuid), ==, 1);
        g_assert_cmpuint(fake_kernel_get_available(h->kernel, "idxd_sim.1", FAKE_TYPE_SWQ), ==, 3);

        g_autoptr(CtlResult) r = harness_ctl(h, "list", "--json", NULL);
        assert_ctl_exit(r, 0);
        json_object *root;
        json_object *mdevs = parse_json_list(r->out, "mdevs", &root);
        g_assert_cmpuint(json_object_array_length(mdevs), ==, 1);
        json_object *m = json_find(mdevs, "uuid", uuid);
        g_assert_nonnull(m);
        g_assert_cmpstr(json_get_string(m, "parent"), ==, "idxd_sim.1");
        g_assert_cmpstr(json_get_string(m, "type"), ==, FAKE_TYPE_SWQ);
        g_assert_cmpstr(json_get_string(m, "state"), ==, "active");
        g_assert_cmpint(json_object_get_int(json_get(m, "ims_vectors")), ==, 1);
        g_assert_cmpstr(json_get_string(m, "wq"), ==, "wq1.0");
        json_object_put(root);

        g_autoptr(CtlResult) table = harness_ctl(h, "list", NULL);
        assert_ctl_exit(table, 0);
        assert_text_contains(table->out, uuid);

        /* The per-mdev object carries the same. */
        g_autoptr(GError) error = NULL;
        g_autofree char *element = g_strdelimit(g_strdup(uuid), "-", '_');
        g_autofree char *path = g_strdup_printf("%s/%s", IDXD_MDEV_PATH_PREFIX, element);
        g_autoptr(GVariant) prop = g_dbus_connection_call_sync(h->bus, IDXD_BUS_NAME, path,
                                                               "org.freedesktop.DBus.Properties", "Get",
                                                               g_variant_new("(ss)", IDXD_MDEV_INTERFACE, "Parent"),
                                                               G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, 10000,
                                                               NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) value = NULL;
        g_variant_get(prop, "(v)", &value);
        g_assert_cmpstr(g_variant_get_string(value, NULL), ==, "idxd_sim.1");
        g_assert_true(managed_object_has_mdev(h, path));
        g_assert_cmpuint(status_mdevs(h), ==, 1);
        g_autofree char *added = g_strdup_printf("MdevAdded %s", uuid);
        g_autofree char *ifaces_added = g_strdup_printf("InterfacesAdded %s", path);
        const char *wanted_add[] = { added, ifaces_added, NULL };
        wait_signals(log, wanted_add);

        g_autoptr(CtlResult) d = harness_ctl(h, "destroy", uuid, NULL);
        assert_ctl_exit(d, 0);
        g_assert_false(fake_kernel_has_mdev(h->kernel, uuid));
        g_assert_cmpuint(fake_kernel_get_available(h->kernel, "idxd_sim.1", FAKE_TYPE_SWQ), ==, 4);
        g_autoptr(GPtrArray) after = harness_list_uuids(h);
        g_assert_cmpuint(after->len, ==, 0);
        g_autofree char *removed = g_strdup_printf("MdevRemoved %s", uuid);
        g_autofree char *ifaces_removed = g_strdup_printf("InterfacesRemoved %s", path);
        const char *wanted_remove[] = { removed, ifaces_removed, NULL };
        wait_signals(log, wanted_remove);
        g_assert_false(managed_object_has_mdev(h, path));
        g_assert_cmpuint(status_mdevs(h), ==, 0);

        /* Gone is gone: a second destroy names it. */
        g_autofree char *name = call_error_name(h, "DestroyMdev", destroy_params(uuid, FALSE), NULL);
        g_assert_cmpstr(name, ==, IDXD_ERROR_NOT_FOUND);
        signal_log_free(h, log);
}

static void test_create_auto_parent(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 2);
        fake_kernel_add_parent(h->kernel, "idxd_sim.1", 2);
        fake_kernel_set_available(h->kernel, "idxd_sim.1", FAKE_TYPE_DWQ, 6);
        harness_start_daemon(h, NULL);

        /* No parent: the one with the most available_instances; an upper-case UUID is stored lower. */
        g_autofree char *upper = g_ascii_strup(UUID_A, -1);
        g_autoptr(CtlResult) r = harness_ctl(h, "create", "--type", FAKE_TYPE_DWQ, "--uuid", upper, NULL);
        assert_ctl_exit(r, 0);
        g_autofree char *uuid = find_uuid(r->out);
        g_assert_cmpstr(uuid, ==, UUID_A);
        g_assert_true(fake_kernel_has_mdev(h->kernel, UUID_A));
        g_assert_cmpuint(fake_kernel_count_mdevs(h->kernel, "idxd_sim.1"), ==, 1);

        /* available_instances changes without a uevent (other users, WQ reconfiguration):
         * the choice follows sysfs as it is now. */
        fake_kernel_set_available(h->kernel, "idxd_sim.0", FAKE_TYPE_DWQ, 9);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "CreateMdev", create_params("", "dsa-1dwq-v1", ""), &error);
        g_assert_no_error(error);
        const char *made;
        g_variant_get(reply, "(&s&o)", &made, NULL);
        g_assert_true(fake_kernel_has_mdev(h->kernel, made));
        if (fake_kernel_count_mdevs(h->kernel, "idxd_sim.0") != 1)
                g_error("parent \"\" chose idxd_sim.1 (5 available) over idxd_sim.0 (9 available, changed "
                        "after start): the daemon decides on a stale available_instances");
}

/* ---- errors ------------------------------------------------------------ */

static void test_no_capacity(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        fake_kernel_set_available(h->kernel, "idxd_sim.0", FAKE_TYPE_DWQ, 0);

        g_autoptr(CtlResult) r = harness_ctl(h, "create", "--type", "dsa-1dwq-v1", "--parent", "idxd_sim.0", NULL);
        assert_ctl_exit(r, 1);
        assert_text_contains(r->err, "capacity");
        g_autofree char *message = NULL;
        g_autofree char *name = call_error_name(h, "CreateMdev", create_params("idxd_sim.0", "dsa-1dwq-v1", UUID_A),
                                                &message);
        g_assert_cmpstr(name, ==, IDXD_ERROR_NO_CAPACITY);
        g_assert_cmpstr(message, !=, "");

        /* The daemon checked before writing: the kernel saw no create and nothing exists. */
        fake_kernel_sync(h->kernel);
        g_assert_cmpuint(fake_kernel_create_writes(h->kernel, UUID_A), ==, 0);
        g_assert_cmpuint(fake_kernel_refused_creates(h->kernel), ==, 0);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 0);
        g_autoptr(GPtrArray) listed = harness_list_uuids(h);
        g_assert_cmpuint(listed->len, ==, 0);

        /* The other type on the same parent still works. */
        g_autofree char *ok = ctl_create(h, "idxd_sim.0", "dsa-1swq-v1");
        g_assert_true(fake_kernel_has_mdev(h->kernel, ok));
}

static void test_not_found(void) {
        g_autoptr(Harness) h = harness_new_running(4);

        g_autoptr(CtlResult) p = harness_ctl(h, "create", "--type", "dsa-1swq-v1", "--parent", "idxd_sim.9", NULL);
        assert_ctl_exit(p, 1);
        assert_text_contains(p->err, "idxd_sim.9");
        g_autofree char *pmsg = NULL;
        g_autofree char *pname = call_error_name(h, "CreateMdev", create_params("idxd_sim.9", "dsa-1swq-v1", ""),
                                                 &pmsg);
        g_assert_cmpstr(pname, ==, IDXD_ERROR_NOT_FOUND);
        assert_text_contains(pmsg, "idxd_sim.9");

        g_autoptr(CtlResult) t = harness_ctl(h, "create", "--type", "dsa-7zz-v9", "--parent", "idxd_sim.0", NULL);
        assert_ctl_exit(t, 1);
        assert_text_contains(t->err, "dsa-7zz-v9");
        g_autofree char *tmsg = NULL;
        g_autofree char *tname = call_error_name(h, "CreateMdev", create_params("", "dsa-7zz-v9", ""), &tmsg);
        g_assert_cmpstr(tname, ==, IDXD_ERROR_NOT_FOUND);
        assert_text_contains(tmsg, "dsa-7zz-v9");

        /* "v1" ends both types: ambiguous is not found, and named. */
        g_autofree char *amsg = NULL;
        g_autofree char *aname = call_error_name(h, "CreateMdev", create_params("idxd_sim.0", "v1", ""), &amsg);
        g_assert_cmpstr(aname, ==, IDXD_ERROR_NOT_FOUND);
        assert_text_contains(amsg, "v1");

        g_autoptr(CtlResult) d = harness_ctl(h, "destroy", UUID_C, NULL);
        assert_ctl_exit(d, 1);
        assert_text_contains(d->err, "not found");
        g_autofree char *dname = call_error_name(h, "DestroyMdev", destroy_params(UUID_C, FALSE), NULL);
        g_assert_cmpstr(dname, ==, IDXD_ERROR_NOT_FOUND);

        fake_kernel_sync(h->kernel);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 0);
}

static void test_invalid_uuid(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        const char *bad[] = { "not-a-uuid", "8f1c3b2a-6d4e-4f10-9a7b-00000000000", "8f1c3b2a6d4e4f109a7b000000000001x",
                              "8f1c3b2a-6d4e-4f10-9a7b-00000000000g", NULL };

        for (const char **b = bad; *b; b++) {
                g_autofree char *message = NULL;
                g_autofree char *name = call_error_name(h, "CreateMdev", create_params("idxd_sim.0", "dsa-1swq-v1", *b),
                                                        &message);
                g_assert_cmpstr(name, ==, "org.freedesktop.DBus.Error.InvalidArgs");
                assert_text_contains(message, "uuid");

                g_autofree char *dmessage = NULL;
                g_autofree char *dname = call_error_name(h, "DestroyMdev", destroy_params(*b, FALSE), &dmessage);
                g_assert_cmpstr(dname, ==, "org.freedesktop.DBus.Error.InvalidArgs");
                assert_text_contains(dmessage, "uuid");
        }

        g_autoptr(CtlResult) c = harness_ctl(h, "create", "--type", "dsa-1swq-v1", "--uuid", "not-a-uuid", NULL);
        assert_ctl_exit(c, 2);
        assert_text_contains(c->err, "uuid");
        g_autoptr(CtlResult) d = harness_ctl(h, "destroy", "not-a-uuid", NULL);
        assert_ctl_exit(d, 2);
        assert_text_contains(d->err, "uuid");

        fake_kernel_sync(h->kernel);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 0);
}

static void test_invalid_options(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "colour", g_variant_new_string("blue"));
        g_autofree char *m1 = NULL;
        g_autofree char *n1 = call_error_name(h, "CreateMdev",
                                              g_variant_new("(sssa{sv})", "idxd_sim.0", "dsa-1swq-v1", "", &b), &m1);
        g_assert_cmpstr(n1, ==, "org.freedesktop.DBus.Error.InvalidArgs");
        assert_text_contains(m1, "colour");

        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "persistent", g_variant_new_string("yes"));
        g_autofree char *m2 = NULL;
        g_autofree char *n2 = call_error_name(h, "CreateMdev",
                                              g_variant_new("(sssa{sv})", "idxd_sim.0", "dsa-1swq-v1", "", &b), &m2);
        g_assert_cmpstr(n2, ==, "org.freedesktop.DBus.Error.InvalidArgs");
        assert_text_contains(m2, "persistent");

        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "force", g_variant_new_uint32(1));
        g_autofree char *m3 = NULL;
        g_autofree char *n3 = call_error_name(h, "DestroyMdev", g_variant_new("(sa{sv})", UUID_A, &b), &m3);
        g_assert_cmpstr(n3, ==, "org.freedesktop.DBus.Error.InvalidArgs");
        assert_text_contains(m3, "force");

        fake_kernel_sync(h->kernel);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 0);
}

/* CreateMdevs: one result per request, in order; a bad request does not sink the others. */
static void test_create_batch(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        fake_kernel_set_available(h->kernel, "idxd_sim.1", FAKE_TYPE_DWQ, 0);
        GVariantBuilder reqs;
        g_variant_builder_init(&reqs, G_VARIANT_TYPE("aa{sv}"));
        const struct {
                const char *parent, *type, *uuid;
        } in[] = {
                { "idxd_sim.0", "dsa-1swq-v1", UUID_A },
                { "idxd_sim.1", "dsa-1dwq-v1", "" },            /* no capacity */
                { "idxd_sim.0", "dsa-1dwq-v1", "bogus" },       /* bad UUID */
                { "idxd_sim.9", "dsa-1dwq-v1", "" },            /* no such parent */
                { "idxd_sim.1", "dsa-1swq-v1", UUID_B },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(in); i++) {
                GVariantBuilder r;
                g_variant_builder_init(&r, G_VARIANT_TYPE("a{sv}"));
                g_variant_builder_add(&r, "{sv}", "parent", g_variant_new_string(in[i].parent));
                g_variant_builder_add(&r, "{sv}", "type", g_variant_new_string(in[i].type));
                g_variant_builder_add(&r, "{sv}", "uuid", g_variant_new_string(in[i].uuid));
                g_variant_builder_add_value(&reqs, g_variant_builder_end(&r));
        }
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "CreateMdevs",
                                                 g_variant_new("(aa{sv}a{sv})", &reqs, NULL), &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) results = g_variant_get_child_value(reply, 0);
        g_assert_cmpuint(g_variant_n_children(results), ==, G_N_ELEMENTS(in));

        const char *want_error[] = { NULL, IDXD_ERROR_NO_CAPACITY, "org.freedesktop.DBus.Error.InvalidArgs",
                                     IDXD_ERROR_NOT_FOUND, NULL };
        for (size_t i = 0; i < G_N_ELEMENTS(in); i++) {
                g_autoptr(GVariant) r = g_variant_get_child_value(results, i);
                GVariantDict d;
                g_variant_dict_init(&d, r);
                const char *uuid = NULL, *err = NULL;
                g_variant_dict_lookup(&d, "uuid", "&s", &uuid);
                g_variant_dict_lookup(&d, "error", "&s", &err);
                if (want_error[i]) {
                        g_assert_cmpstr(err, ==, want_error[i]);
                        g_assert_true(g_variant_dict_contains(&d, "message"));
                } else {
                        g_assert_null(err);
                        g_assert_cmpstr(uuid, ==, in[i].uuid);
                        g_assert_true(fake_kernel_has_mdev(h->kernel, uuid));
                }
                g_variant_dict_clear(&d);
        }
        fake_kernel_sync(h->kernel);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 2);
        g_autoptr(GPtrArray) listed = harness_list_uuids(h);
        g_assert_cmpuint(listed->len, ==, 2);
}

static void test_cli_usage(void) {
        g_autoptr(Harness) h = harness_new_running(4);

        g_autoptr(CtlResult) help = harness_ctl(h, "--help", NULL);
        assert_ctl_exit(help, 0);
        assert_text_contains(help->out, "create");
        g_autoptr(CtlResult) create_help = harness_ctl(h, "create", "--help", NULL);
        assert_ctl_exit(create_help, 0);
        assert_text_contains(create_help->out, "--type");

        g_autoptr(CtlResult) no_type = harness_ctl(h, "create", "--parent", "idxd_sim.0", NULL);
        assert_ctl_exit(no_type, 2);
        assert_text_contains(no_type->err, "--type");
        g_autoptr(CtlResult) verb = harness_ctl(h, "frobnicate", NULL);
        assert_ctl_exit(verb, 2);
        assert_text_contains(verb->err, "frobnicate");
        g_autoptr(CtlResult) option = harness_ctl(h, "list", "--colour", NULL);
        assert_ctl_exit(option, 2);
        g_autoptr(CtlResult) destroy = harness_ctl(h, "destroy", NULL);
        assert_ctl_exit(destroy, 2);

        fake_kernel_sync(h->kernel);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 0);
}

/* ---- rights ------------------------------------------------------------ */

static CtlResult *gdbus_as(Harness *h, const char *groups, const char *method, const char *const *args) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autofree char *full = g_strdup_printf("%s.%s", IDXD_MANAGER_INTERFACE, method);
        const char *head[] = { "gdbus", "call", "--address", h->bus_address, "--dest", IDXD_BUS_NAME,
                               "--object-path", IDXD_MANAGER_PATH, "--method", full, NULL };
        for (const char **a = head; *a; a++)
                g_ptr_array_add(argv, (char *) *a);
        for (; args && *args; args++)
                g_ptr_array_add(argv, (char *) *args);
        g_ptr_array_add(argv, NULL);
        return harness_run_as(h, "nobody", "nogroup", groups, (const char *const *) argv->pdata);
}

static void test_access_denied(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        /* A group that exists and that nobody is not in. */
        h->group = g_strdup("adm");
        harness_start_daemon(h, NULL);
        g_autofree char *mine = ctl_create(h, "idxd_sim.0", "dsa-1swq-v1");

        const char *create[] = { "idxdctl", "create", "--type", "dsa-1swq-v1", "--parent", "idxd_sim.0", NULL };
        g_autoptr(CtlResult) c = harness_run_as(h, "nobody", "nogroup", "", create);
        assert_ctl_exit(c, 1);
        assert_text_contains(c->err, "Permission denied");

        const char *destroy[] = { "idxdctl", "destroy", mine, NULL };
        g_autoptr(CtlResult) d = harness_run_as(h, "nobody", "nogroup", "", destroy);
        assert_ctl_exit(d, 1);
        assert_text_contains(d->err, "Permission denied");
        g_assert_true(fake_kernel_has_mdev(h->kernel, mine));

        /* The error name itself, from a raw call as nobody. */
        const char *cargs[] = { "idxd_sim.0", "dsa-1swq-v1", "", "{}", NULL };
        g_autoptr(CtlResult) rc = gdbus_as(h, "", "CreateMdev", cargs);
        g_assert_cmpint(rc->exit_code, !=, 0);
        assert_text_contains(rc->err, "org.freedesktop.DBus.Error.AccessDenied");
        g_autofree char *quoted = g_strdup_printf("'%s'", mine);
        const char *dargs[] = { quoted, "{}", NULL };
        g_autoptr(CtlResult) rd = gdbus_as(h, "", "DestroyMdev", dargs);
        g_assert_cmpint(rd->exit_code, !=, 0);
        assert_text_contains(rd->err, "org.freedesktop.DBus.Error.AccessDenied");

        /* Reads stay open. */
        const char *list[] = { "idxdctl", "list", NULL };
        g_autoptr(CtlResult) l = harness_run_as(h, "nobody", "nogroup", "", list);
        assert_ctl_exit(l, 0);
        assert_text_contains(l->out, mine);
        const char *parents[] = { "idxdctl", "parents", "--json", NULL };
        g_autoptr(CtlResult) p = harness_run_as(h, "nobody", "nogroup", "", parents);
        assert_ctl_exit(p, 0);

        fake_kernel_sync(h->kernel);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 1);
        g_assert_true(fake_kernel_has_mdev(h->kernel, mine));
}

static void member_can_change(Harness *h, const char *groups) {
        const char *create[] = { "idxdctl", "create", "--type", "dsa-1swq-v1", "--parent", "idxd_sim.0", NULL };
        g_autoptr(CtlResult) c = harness_run_as(h, "nobody", "nogroup", groups, create);
        assert_ctl_exit(c, 0);
        g_autofree char *uuid = find_uuid(c->out);
        g_assert_true(fake_kernel_has_mdev(h->kernel, uuid));

        const char *destroy[] = { "idxdctl", "destroy", uuid, NULL };
        g_autoptr(CtlResult) d = harness_run_as(h, "nobody", "nogroup", groups, destroy);
        assert_ctl_exit(d, 0);
        g_assert_false(fake_kernel_has_mdev(h->kernel, uuid));
}

static void test_group_member_primary(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        h->group = g_strdup("nogroup");
        harness_start_daemon(h, NULL);
        member_can_change(h, "");
}

static void test_group_member_supplementary(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        h->group = g_strdup("adm");
        harness_start_daemon(h, NULL);
        member_can_change(h, "adm");
}

/* ---- hotplug ----------------------------------------------------------- */

static void test_parent_removed(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        g_autofree char *keep = ctl_create(h, "idxd_sim.0", "dsa-1swq-v1");
        g_autofree char *gone1 = ctl_create(h, "idxd_sim.1", "dsa-1swq-v1");
        g_autofree char *gone2 = ctl_create(h, "idxd_sim.1", "dsa-1dwq-v1");
        settle(h, 200);

        SignalLog *log = signal_log_new(h);
        fake_kernel_remove_parent(h->kernel, "idxd_sim.1");
        g_autofree char *r1 = g_strdup_printf("MdevRemoved %s", gone1);
        g_autofree char *r2 = g_strdup_printf("MdevRemoved %s", gone2);
        const char *wanted[] = { r1, r2, "ParentRemoved idxd_sim.1", NULL };
        wait_signals(log, wanted);
        /* Every mdev on the parent is reported before the parent. */
        int parent_at = signal_index(log, "ParentRemoved idxd_sim.1");
        g_assert_cmpint(signal_index(log, r1), <, parent_at);
        g_assert_cmpint(signal_index(log, r2), <, parent_at);
        g_autofree char *kept = g_strdup_printf("MdevRemoved %s", keep);
        g_assert_cmpint(signal_index(log, kept), <, 0);

        g_autoptr(GPtrArray) listed = harness_list_uuids(h);
        g_assert_cmpuint(listed->len, ==, 1);
        g_assert_cmpstr(listed->pdata[0], ==, keep);
        g_autoptr(CtlResult) p = harness_ctl(h, "parents", "--json", NULL);
        assert_ctl_exit(p, 0);
        json_object *root;
        json_object *parents = parse_json_list(p->out, "parents", &root);
        g_assert_cmpuint(json_object_array_length(parents), ==, 1);
        g_assert_nonnull(json_find(parents, "parent", "idxd_sim.0"));
        json_object_put(root);

        /* Creating on the vanished parent is a clean NotFound. */
        g_autofree char *name = call_error_name(h, "CreateMdev", create_params("idxd_sim.1", "dsa-1swq-v1", ""), NULL);
        g_assert_cmpstr(name, ==, IDXD_ERROR_NOT_FOUND);
        signal_log_free(h, log);
}

/* Someone else (mdevctl stop, an operator) writes `remove`: the daemon follows. */
static void test_mdev_removed_outside(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        g_autofree char *uuid = ctl_create(h, "idxd_sim.0", "dsa-1swq-v1");
        settle(h, 100);
        SignalLog *log = signal_log_new(h);

        g_autofree char *remove = g_strdup_printf("/sys/bus/mdev/devices/%s/remove", uuid);
        write_sysfs(remove, "1\n");
        g_autofree char *removed = g_strdup_printf("MdevRemoved %s", uuid);
        const char *wanted[] = { removed, NULL };
        wait_signals(log, wanted);
        g_assert_false(fake_kernel_has_mdev(h->kernel, uuid));
        g_autoptr(GPtrArray) listed = harness_list_uuids(h);
        g_assert_cmpuint(listed->len, ==, 0);
        g_autofree char *name = call_error_name(h, "DestroyMdev", destroy_params(uuid, FALSE), NULL);
        g_assert_cmpstr(name, ==, IDXD_ERROR_NOT_FOUND);
        signal_log_free(h, log);
}

static void test_parent_added(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        SignalLog *log = signal_log_new(h);
        fake_kernel_add_parent(h->kernel, "idxd_sim.2", 3);
        const char *wanted[] = { "ParentAdded idxd_sim.2", NULL };
        wait_signals(log, wanted);

        g_autofree char *uuid = ctl_create(h, "idxd_sim.2", "dsa-1dwq-v1");
        g_assert_true(fake_kernel_has_mdev(h->kernel, uuid));
        g_autofree char *added = g_strdup_printf("MdevAdded %s", uuid);
        const char *wanted_mdev[] = { added, NULL };
        wait_signals(log, wanted_mdev);
        signal_log_free(h, log);
}

/* ---- restart ----------------------------------------------------------- */

static void test_restart_keeps_mdevs(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        g_autofree char *a = ctl_create(h, "idxd_sim.0", "dsa-1swq-v1");
        g_autofree char *b = ctl_create(h, "idxd_sim.1", "dsa-1dwq-v1");

        harness_stop_daemon(h);
        /* Stopping the daemon leaves the devices alone. */
        fake_kernel_sync(h->kernel);
        g_assert_true(fake_kernel_has_mdev(h->kernel, a));
        g_assert_true(fake_kernel_has_mdev(h->kernel, b));

        harness_start_daemon(h, NULL);
        g_autoptr(GPtrArray) listed = harness_list_uuids(h);
        g_assert_cmpuint(listed->len, ==, 2);
        g_assert_true(uuids_contain(listed, a));
        g_assert_true(uuids_contain(listed, b));
        settle(h, 300);
        g_assert_true(fake_kernel_has_mdev(h->kernel, a));
        g_assert_true(fake_kernel_has_mdev(h->kernel, b));
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 2);

        /* The adopted mdev is fully managed again. */
        g_autoptr(CtlResult) d = harness_ctl(h, "destroy", a, NULL);
        assert_ctl_exit(d, 0);
        g_assert_false(fake_kernel_has_mdev(h->kernel, a));
}

static void test_restart_after_kill(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        g_autofree char *a = ctl_create(h, "idxd_sim.0", "dsa-1swq-v1");
        g_autofree char *b = ctl_create(h, "idxd_sim.0", "dsa-1dwq-v1");
        g_autofree char *c = ctl_create(h, "idxd_sim.1", "dsa-1swq-v1");

        harness_kill_daemon(h);
        harness_start_daemon(h, NULL);
        g_autoptr(GPtrArray) listed = harness_list_uuids(h);
        g_assert_cmpuint(listed->len, ==, 3);
        g_assert_true(uuids_contain(listed, a) && uuids_contain(listed, b) && uuids_contain(listed, c));
        settle(h, 300);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 3);

        /* Capacity is still counted right after the crash. */
        fake_kernel_set_available(h->kernel, "idxd_sim.1", FAKE_TYPE_SWQ, 0);
        g_autofree char *name = call_error_name(h, "CreateMdev", create_params("idxd_sim.1", "dsa-1swq-v1", ""), NULL);
        g_assert_cmpstr(name, ==, IDXD_ERROR_NO_CAPACITY);
        g_autoptr(CtlResult) d = harness_ctl(h, "destroy", c, NULL);
        assert_ctl_exit(d, 0);
        g_assert_false(fake_kernel_has_mdev(h->kernel, c));
}

static void test_restart_foreign_mdev(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        /* Made by someone else (mdevctl, an operator) before the daemon ever ran. */
        fake_kernel_add_mdev(h->kernel, "idxd_sim.0", FAKE_TYPE_SWQ, UUID_B);
        harness_start_daemon(h, NULL);

        g_autoptr(GPtrArray) listed = harness_list_uuids(h);
        g_assert_true(uuids_contain(listed, UUID_B));
        harness_stop_daemon(h);
        harness_start_daemon(h, NULL);
        settle(h, 300);
        g_assert_true(fake_kernel_has_mdev(h->kernel, UUID_B));
        harness_stop_daemon(h);
        fake_kernel_sync(h->kernel);
        g_assert_true(fake_kernel_has_mdev(h->kernel, UUID_B));
}

/* One line of a parent's "mdevs", padded as idxd_mdev.ko pads it. */
static void append_mdevs_line(GString *text, const char *fields) {
        g_string_append_printf(text, "%-127s\n", fields);
}

/*
 * At start-up a parent's "mdevs" stands for the files of the mdevs it lists;
 * an mdev without a line is read from its files, and a line without an mdev
 * or one that cannot be read is ignored.
 */
static void test_restart_mdevs_attr(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        fake_kernel_add_mdev(h->kernel, "idxd_sim.0", FAKE_TYPE_SWQ, UUID_A);
        fake_kernel_add_mdev(h->kernel, "idxd_sim.0", FAKE_TYPE_DWQ, UUID_B);

        /* The kernel's own table first: what the files say. */
        harness_start_daemon(h, NULL);
        g_autoptr(CtlResult) r = harness_ctl(h, "list", "--json", NULL);
        assert_ctl_exit(r, 0);
        json_object *root;
        json_object *mdevs = parse_json_list(r->out, "mdevs", &root);
        g_assert_cmpuint(json_object_array_length(mdevs), ==, 2);
        g_assert_cmpstr(json_get_string(json_find(mdevs, "uuid", UUID_A), "wq"), ==, "wq0.0");
        g_assert_cmpstr(json_get_string(json_find(mdevs, "uuid", UUID_B), "wq"), ==, "wq0.1");
        g_assert_cmpstr(json_get_string(json_find(mdevs, "uuid", UUID_B), "type"), ==, FAKE_TYPE_DWQ);
        g_assert_cmpint(json_object_get_int(json_get(json_find(mdevs, "uuid", UUID_B), "ims_vectors")), ==, 2);
        json_object_put(root);
        harness_stop_daemon(h);

        /* A's line says other than its files (so the line is what was read), B has none, C is gone. */
        g_autoptr(GString) text = g_string_new(NULL);
        append_mdevs_line(text, UUID_A " " FAKE_TYPE_SWQ " wq-of-the-line 5 7");
        append_mdevs_line(text, UUID_C " " FAKE_TYPE_SWQ " wq0.0 1 8");
        append_mdevs_line(text, "garbage");
        fake_kernel_write_parent_attr(h->kernel, "idxd_sim.0", "mdevs", text->str);
        harness_start_daemon(h, NULL);
        g_autoptr(CtlResult) r2 = harness_ctl(h, "list", "--json", NULL);
        assert_ctl_exit(r2, 0);
        mdevs = parse_json_list(r2->out, "mdevs", &root);
        g_assert_cmpuint(json_object_array_length(mdevs), ==, 2);
        g_assert_cmpstr(json_get_string(json_find(mdevs, "uuid", UUID_A), "wq"), ==, "wq-of-the-line");
        g_assert_cmpint(json_object_get_int(json_get(json_find(mdevs, "uuid", UUID_A), "ims_vectors")), ==, 5);
        g_assert_cmpstr(json_get_string(json_find(mdevs, "uuid", UUID_B), "wq"), ==, "wq0.1");
        g_assert_cmpstr(json_get_string(json_find(mdevs, "uuid", UUID_B), "type"), ==, FAKE_TYPE_DWQ);
        g_assert_null(json_find(mdevs, "uuid", UUID_C));
        json_object_put(root);

        /* After start-up an mdev is read from its files, as its uevent arrives. */
        fake_kernel_resend_uevent(h->kernel, UUID_A, "change");
        settle(h, 300);
        g_autoptr(CtlResult) r3 = harness_ctl(h, "list", "--json", NULL);
        mdevs = parse_json_list(r3->out, "mdevs", &root);
        g_assert_cmpstr(json_get_string(json_find(mdevs, "uuid", UUID_A), "wq"), ==, "wq0.0");
        json_object_put(root);
}

/* ---- concurrency ------------------------------------------------------- */

#define CONCURRENT_CLIENTS 200
#define CONCURRENT_CAPACITY 50

static void test_concurrent_creates(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", CONCURRENT_CAPACITY);
        harness_start_daemon(h, NULL);

        const char *args[] = { "create", "--type", "dsa-1swq-v1", "--parent", "idxd_sim.0", NULL };
        GPid pids[CONCURRENT_CLIENTS];
        char *outs[CONCURRENT_CLIENTS], *errs[CONCURRENT_CLIENTS];
        for (int i = 0; i < CONCURRENT_CLIENTS; i++) {
                outs[i] = g_strdup_printf("%s/ctl-%d.out", h->dir, i);
                errs[i] = g_strdup_printf("%s/ctl-%d.err", h->dir, i);
                pids[i] = harness_ctl_spawn(h, outs[i], errs[i], args);
        }

        g_autoptr(GHashTable) made = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        guint ok = 0, no_capacity = 0;
        for (int i = 0; i < CONCURRENT_CLIENTS; i++) {
                g_autoptr(CtlResult) r = harness_ctl_wait(pids[i], outs[i], errs[i]);
                if (r->exit_code == 0) {
                        ok++;
                        g_hash_table_add(made, find_uuid(r->out));
                } else if (r->exit_code == 1 && text_contains(r->err, "capacity")) {
                        no_capacity++;
                } else
                        g_error("client %d: exit %d (signal %d), expected 0 or a NoCapacity exit 1\nstdout:\n%s\n"
                                "stderr:\n%s", i, r->exit_code, r->signal, r->out, r->err);
                g_free(outs[i]);
                g_free(errs[i]);
        }
        g_assert_cmpuint(ok, ==, CONCURRENT_CAPACITY);
        g_assert_cmpuint(no_capacity, ==, CONCURRENT_CLIENTS - CONCURRENT_CAPACITY);
        g_assert_cmpuint(g_hash_table_size(made), ==, CONCURRENT_CAPACITY);

        fake_kernel_sync(h->kernel);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, CONCURRENT_CAPACITY);
        g_assert_cmpuint(fake_kernel_get_available(h->kernel, "idxd_sim.0", FAKE_TYPE_SWQ), ==, 0);
        /* The daemon never wrote past capacity (the real kernel would have said ENOSPC). */
        g_assert_cmpuint(fake_kernel_refused_creates(h->kernel), ==, 0);
        g_autoptr(GPtrArray) listed = harness_list_uuids(h);
        g_assert_cmpuint(listed->len, ==, CONCURRENT_CAPACITY);
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, made);
        while (g_hash_table_iter_next(&it, &key, NULL)) {
                g_assert_true(uuids_contain(listed, key));
                g_assert_true(fake_kernel_has_mdev(h->kernel, key));
        }
}

/* ---- idempotence -------------------------------------------------------- */

static void test_duplicate_create(void) {
        g_autoptr(Harness) h = harness_new_running(4);

        for (int i = 0; i < 2; i++) {
                g_autoptr(CtlResult) r = harness_ctl(h, "create", "--type", "dsa-1swq-v1", "--parent", "idxd_sim.0",
                                                     "--uuid", UUID_A, NULL);
                assert_ctl_exit(r, 0);
                g_autofree char *uuid = find_uuid(r->out);
                g_assert_cmpstr(uuid, ==, UUID_A);
        }
        /* Also over the raw API, in upper case. */
        g_autofree char *upper = g_ascii_strup(UUID_A, -1);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "CreateMdev", create_params("idxd_sim.0", FAKE_TYPE_SWQ, upper),
                                                 &error);
        g_assert_no_error(error);
        const char *made;
        g_variant_get(reply, "(&s&o)", &made, NULL);
        g_assert_cmpstr(made, ==, UUID_A);

        fake_kernel_sync(h->kernel);
        g_assert_cmpuint(fake_kernel_create_writes(h->kernel, UUID_A), ==, 1);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 1);
        g_assert_cmpuint(fake_kernel_get_available(h->kernel, "idxd_sim.0", FAKE_TYPE_SWQ), ==, 3);
        g_autoptr(GPtrArray) listed = harness_list_uuids(h);
        g_assert_cmpuint(listed->len, ==, 1);

        /* The same UUID with another type is a conflict, not a second device. */
        g_autofree char *name = call_error_name(h, "CreateMdev", create_params("idxd_sim.0", FAKE_TYPE_DWQ, UUID_A),
                                                NULL);
        g_assert_cmpstr(name, ==, IDXD_ERROR_EXISTS);
        fake_kernel_sync(h->kernel);
        g_assert_cmpuint(fake_kernel_create_writes(h->kernel, UUID_A), ==, 1);
}

/* ---- busy --------------------------------------------------------------- */

static void test_busy(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        g_autofree char *uuid = ctl_create(h, "idxd_sim.0", "dsa-1dwq-v1");
        g_autofree char *node = fake_kernel_vfio_group_node(h->kernel, uuid);
        g_assert_nonnull(node);

        /* Like a running guest: the VFIO group is held open. */
        int fd = open(node, O_RDWR | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);

        g_autoptr(CtlResult) busy = harness_ctl(h, "destroy", uuid, NULL);
        assert_ctl_exit(busy, 1);
        assert_text_contains(busy->err, "in use");
        g_autofree char *name = call_error_name(h, "DestroyMdev", destroy_params(uuid, FALSE), NULL);
        g_assert_cmpstr(name, ==, IDXD_ERROR_BUSY);
        fake_kernel_sync(h->kernel);
        g_assert_true(fake_kernel_has_mdev(h->kernel, uuid));
        g_autoptr(GPtrArray) still = harness_list_uuids(h);
        g_assert_true(uuids_contain(still, uuid));

        g_autoptr(CtlResult) forced = harness_ctl(h, "destroy", "--force", uuid, NULL);
        assert_ctl_exit(forced, 0);
        g_assert_false(fake_kernel_has_mdev(h->kernel, uuid));
        close(fd);

        /* Once closed, a plain destroy works. */
        g_autofree char *second = ctl_create(h, "idxd_sim.0", "dsa-1dwq-v1");
        g_autofree char *node2 = fake_kernel_vfio_group_node(h->kernel, second);
        fd = open(node2, O_RDONLY | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        close(fd);
        g_autoptr(CtlResult) plain = harness_ctl(h, "destroy", second, NULL);
        assert_ctl_exit(plain, 0);
        g_assert_false(fake_kernel_has_mdev(h->kernel, second));
}

/* ---- duplicate uevents -------------------------------------------------- */

static void test_duplicate_uevent(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        SignalLog *log = signal_log_new(h);

        /* An mdev the kernel announces twice, created behind the daemon's back. */
        fake_kernel_add_mdev(h->kernel, "idxd_sim.0", FAKE_TYPE_SWQ, UUID_A);
        fake_kernel_resend_uevent(h->kernel, UUID_A, "add");
        /* And one made through the daemon, then announced again. */
        g_autofree char *mine = ctl_create(h, "idxd_sim.1", "dsa-1dwq-v1");
        fake_kernel_resend_uevent(h->kernel, mine, "add");
        fake_kernel_resend_uevent(h->kernel, mine, "add");

        g_autofree char *added_a = g_strdup_printf("MdevAdded %s", UUID_A);
        g_autofree char *added_mine = g_strdup_printf("MdevAdded %s", mine);
        const char *wanted[] = { added_a, added_mine, NULL };
        wait_signals(log, wanted);
        settle(h, 500);
        g_assert_cmpuint(signal_count(log, added_a), ==, 1);
        g_assert_cmpuint(signal_count(log, added_mine), ==, 1);

        g_autoptr(GPtrArray) listed = harness_list_uuids(h);
        g_assert_cmpuint(listed->len, ==, 2);
        g_assert_true(uuids_contain(listed, UUID_A));
        g_assert_true(uuids_contain(listed, mine));
        g_assert_cmpuint(fake_kernel_create_writes(h->kernel, mine), ==, 1);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 2);

        /* A duplicate remove is harmless too. */
        g_autoptr(CtlResult) d = harness_ctl(h, "destroy", mine, NULL);
        assert_ctl_exit(d, 0);
        g_autoptr(GPtrArray) after = harness_list_uuids(h);
        g_assert_cmpuint(after->len, ==, 1);
        signal_log_free(h, log);
}

/* Run by hand without the preload library: start again with it (meson sets it already). */
static void reexec_under_umockdev(char **argv) {
        const char *preload = g_getenv("LD_PRELOAD");
        if (preload && strstr(preload, "libumockdev-preload"))
                return;
        g_autofree char *new_preload = preload && *preload ?
                g_strdup_printf("libumockdev-preload.so.0:%s", preload) : g_strdup("libumockdev-preload.so.0");
        const char *asan = g_getenv("ASAN_OPTIONS");
        g_autofree char *new_asan = asan && *asan ? g_strdup_printf("%s:verify_asan_link_order=0", asan) :
                                                    g_strdup("verify_asan_link_order=0");
        g_setenv("LD_PRELOAD", new_preload, TRUE);
        g_setenv("ASAN_OPTIONS", new_asan, TRUE);
        execv("/proc/self/exe", argv);
        g_error("re-executing under libumockdev-preload.so.0: %m");
}

/* ---- the libvirt registrar, loaded on demand (docs/libvirt.md) ------- */

static char *status_string(Harness *h, const char *key) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "GetStatus", NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) status = g_variant_get_child_value(reply, 0);
        char *value = NULL;
        g_assert_true(g_variant_lookup(status, key, "s", &value));
        return value;
}

/* Starts the daemon with its log in the scratch dir and the registrar module at `registrar`. */
static void start_with_registrar(Harness *h, const char *registrar, const char *const *args) {
        g_setenv("IDXDD_LIBVIRT_REGISTRAR", registrar, TRUE);
        g_free(h->daemon_log);
        h->daemon_log = g_build_filename(h->dir, "idxdd.log", NULL);
        harness_start_daemon(h, args);
}

/* Without libvirt the daemon still does its job: a create with a domain, the list, a destroy. */
static void assert_manages_mdevs(Harness *h) {
        g_autoptr(CtlResult) c = harness_ctl(h, "create", "--type", "dsa-1swq-v1", "--domain", "vm1", NULL);
        assert_ctl_exit(c, 0);
        g_autofree char *uuid = find_uuid(c->out);
        g_assert_true(fake_kernel_has_mdev(h->kernel, uuid));
        g_autoptr(CtlResult) l = harness_ctl(h, "list", NULL);
        assert_ctl_exit(l, 0);
        assert_text_contains(l->out, uuid);
        assert_text_contains(l->out, "vm1");
        g_autoptr(CtlResult) d = harness_ctl(h, "destroy", uuid, NULL);
        assert_ctl_exit(d, 0);
        fake_kernel_sync(h->kernel);
        g_assert_false(fake_kernel_has_mdev(h->kernel, uuid));
}

static void test_registrar_missing(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        g_autofree char *missing = g_build_filename(h->dir, "lib", "idxdd-registrar-libvirt.so", NULL);

        start_with_registrar(h, missing, NULL);
        g_autofree char *log = harness_daemon_log(h);
        assert_text_contains(log, "Cannot load the libvirt registrar");
        assert_text_contains(log, missing);
        assert_text_contains(log, "running without libvirt");
        g_autofree char *libvirt = status_string(h, "libvirt");
        g_assert_cmpstr(libvirt, ==, "none");
        assert_manages_mdevs(h);
}

static void test_registrar_broken(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        g_autofree char *garbage = harness_write_file(h, "idxdd-registrar-libvirt.so", "not a shared object\n");

        /* Not an ELF file at all. */
        start_with_registrar(h, garbage, NULL);
        g_autofree char *log = harness_daemon_log(h);
        assert_text_contains(log, "Cannot load the libvirt registrar");
        assert_text_contains(log, garbage);
        assert_manages_mdevs(h);
        harness_stop_daemon(h);

        /* A shared object, but not a registrar: no table to call. */
        start_with_registrar(h, "libudev.so.1", NULL);
        g_free(log);
        log = harness_daemon_log(h);
        assert_text_contains(log, "libudev.so.1 has no symbol idxd_registrar_libvirt: not an idxdd registrar");
        g_autofree char *libvirt = status_string(h, "libvirt");
        g_assert_cmpstr(libvirt, ==, "none");
        assert_manages_mdevs(h);
}

static gboolean libvirt_disconnected(gpointer data) {
        g_autofree char *libvirt = status_string(data, "libvirt");
        return g_str_has_suffix(libvirt, " disconnected");
}

/*
 * Without a module named, the URI chooses: a daemon on a local socket is
 * reached by idxdd's own client, anything else through libvirt's library.
 */
static void test_registrar_choice(void) {
        const char *dir = g_getenv("IDXDD_REGISTRAR_DIR");
        if (!dir || !g_file_test(dir, G_FILE_TEST_IS_DIR)) {
                g_test_skip("the libvirt registrar modules are not built (meson -Dlibvirt=disabled)");
                return;
        }
        static const struct {
                gboolean local;             /* the URI names a socket in the scratch dir */
                const char *module;
        } cases[] = {
                { TRUE, "idxdd-registrar-rpc.so" },
                { FALSE, "idxdd-registrar-libvirt.so" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(Harness) h = harness_new();
                fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
                g_autofree char *uri = cases[i].local ?
                        g_strdup_printf("qemu+unix:///system?socket=%s/no-libvirt-sock", h->dir) :
                        g_strdup("qemu+tcp://127.0.0.1:1/system");
                g_autofree char *arg = g_strconcat("--libvirt-uri=", uri, NULL);
                const char *args[] = { arg, NULL };

                g_unsetenv("IDXDD_LIBVIRT_REGISTRAR");
                g_free(h->daemon_log);
                h->daemon_log = g_build_filename(h->dir, "idxdd.log", NULL);
                harness_start_daemon(h, args);
                g_assert_true(harness_wait_for(libvirt_disconnected, h, 10000));
                g_autofree char *log = harness_daemon_log(h);
                g_autofree char *through = g_strdup_printf("through %s/%s", dir, cases[i].module);
                assert_text_contains(log, through);
                g_autofree char *cannot = g_strdup_printf("Cannot connect to libvirt at %s", uri);
                assert_text_contains(log, cannot);
                assert_manages_mdevs(h);
        }
}

static void test_registrar_uri_fails(void) {
        const char *dir = g_getenv("IDXDD_REGISTRAR_DIR");
        g_autofree char *module = dir ? g_build_filename(dir, "idxdd-registrar-libvirt.so", NULL) : NULL;
        if (!module || !g_file_test(module, G_FILE_TEST_EXISTS)) {
                g_test_skip("the libvirt registrar module is not built (meson -Dlibvirt=disabled)");
                return;
        }
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        const char *args[] = { "--libvirt-uri=nosuchdriver:///default", NULL };

        start_with_registrar(h, module, args);
        /* Loaded, and its connection fails: said once, retried in the background. */
        g_assert_true(harness_wait_for(libvirt_disconnected, h, 10000));
        g_autofree char *libvirt = status_string(h, "libvirt");
        g_assert_cmpstr(libvirt, ==, "nosuchdriver:///default disconnected");
        assert_manages_mdevs(h);
        g_usleep(1500 * 1000);  /* past the first retries (0.5 s, then 1 s) */
        g_autofree char *log = harness_daemon_log(h);
        g_assert_null(strstr(log, "Cannot load the libvirt registrar"));
        assert_text_contains(log, "through");
        assert_text_contains(log, "idxdd-registrar-libvirt.so");
        const char *first = strstr(log, "Cannot connect to libvirt at nosuchdriver:///default");
        g_assert_nonnull(first);
        g_assert_null(strstr(first + 1, "Cannot connect to libvirt at nosuchdriver:///default"));
        g_assert_true(harness_daemon_running(h));
}

int main(int argc, char **argv) {
        reexec_under_umockdev(argv);
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/fake-kernel/uevents", test_fake_kernel_uevents);
        g_test_add_func("/daemon/sd-notify-ready", test_daemon_ready);
        g_test_add_func("/list/parents", test_list_parents);
        g_test_add_func("/list/types", test_list_types);
        g_test_add_func("/create/round-trip", test_create_round_trip);
        g_test_add_func("/create/auto-parent", test_create_auto_parent);
        g_test_add_func("/create/duplicate-uuid", test_duplicate_create);
        g_test_add_func("/create/concurrent-200-vs-capacity-50", test_concurrent_creates);
        g_test_add_func("/errors/no-capacity", test_no_capacity);
        g_test_add_func("/errors/not-found", test_not_found);
        g_test_add_func("/errors/invalid-uuid", test_invalid_uuid);
        g_test_add_func("/errors/invalid-options", test_invalid_options);
        g_test_add_func("/create/batch", test_create_batch);
        g_test_add_func("/rights/access-denied", test_access_denied);
        g_test_add_func("/rights/group-primary", test_group_member_primary);
        g_test_add_func("/rights/group-supplementary", test_group_member_supplementary);
        g_test_add_func("/hotplug/parent-removed", test_parent_removed);
        g_test_add_func("/hotplug/parent-added", test_parent_added);
        g_test_add_func("/hotplug/mdev-removed-outside", test_mdev_removed_outside);
        g_test_add_func("/list/filters", test_list_filters);
        g_test_add_func("/list/parents-from-mdev-bus-class", test_parents_from_mdev_bus_class);
        g_test_add_func("/list/parents-without-mdev-bus-class", test_parents_without_mdev_bus_class);
        g_test_add_func("/restart/keeps-mdevs", test_restart_keeps_mdevs);
        g_test_add_func("/registrar/missing", test_registrar_missing);
        g_test_add_func("/registrar/broken", test_registrar_broken);
        g_test_add_func("/registrar/uri-fails", test_registrar_uri_fails);
        g_test_add_func("/registrar/choice", test_registrar_choice);
        g_test_add_func("/restart/foreign-mdev", test_restart_foreign_mdev);
        g_test_add_func("/restart/mdevs-attr", test_restart_mdevs_attr);
        g_test_add_func("/restart/after-sigkill", test_restart_after_kill);
        g_test_add_func("/cli/usage-errors", test_cli_usage);
        g_test_add_func("/destroy/busy", test_busy);
        g_test_add_func("/uevent/duplicate-add", test_duplicate_uevent);

        return g_test_run();
}

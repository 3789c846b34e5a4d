/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Persistence, autostart, reconcile and policy: the real idxdd and idxdctl
 * with a state directory and a policy directory in the scratch dir
 * (docs/daemon.md, "Definitions"). One GLib test case per behaviour.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/fs.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>

#include "harness.h"
#include "idxd-bus.h"

#define UUID_A "5a1c3b2a-6d4e-4f10-9a7b-00000000000a"
#define UUID_B "5a1c3b2a-6d4e-4f10-9a7b-00000000000b"
#define WAIT_MS 20000

/* ---- helpers ---------------------------------------------------------- */

static GVariant *options_new(const char *domain, gboolean persistent, gboolean autostart) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        if (domain)
                g_variant_builder_add(&b, "{sv}", "domain", g_variant_new_string(domain));
        if (persistent)
                g_variant_builder_add(&b, "{sv}", "persistent", g_variant_new_boolean(TRUE));
        if (autostart)
                g_variant_builder_add(&b, "{sv}", "autostart", g_variant_new_boolean(TRUE));
        return g_variant_builder_end(&b);
}

static void create_persistent(Harness *h, const char *parent, const char *type, const char *uuid, gboolean autostart) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "CreateMdev",
                                                 g_variant_new("(sss@a{sv})", parent, type, uuid,
                                                               options_new(NULL, TRUE, autostart)),
                                                 &error);
        if (!reply)
                g_error("CreateMdev %s: %s", uuid, error->message);
}

/* The error of a failed call: its D-Bus name, and its message in *ret_message. */
static char *call_error(Harness *h, const char *method, GVariant *params, char **ret_message) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, method, params, &error);
        if (reply)
                g_error("%s succeeded, expected an error: %s", method, g_variant_print(reply, TRUE));
        char *name = g_dbus_error_get_remote_error(error);
        g_assert_nonnull(name);
        g_dbus_error_strip_remote_error(error);
        *ret_message = g_strdup(error->message);
        return name;
}

typedef struct MdevRow {
        char *state;
        char *parent;
        char *domain;
        char *reason;
        gboolean persistent;
        gboolean autostart;
} MdevRow;

static void mdev_row_free(MdevRow *r) {
        if (!r)
                return;
        g_free(r->state);
        g_free(r->parent);
        g_free(r->domain);
        g_free(r->reason);
        g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MdevRow, mdev_row_free)

/* ListMdevs, keyed by UUID. */
static GHashTable *list_mdevs(Harness *h) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "ListMdevs",
                                                 g_variant_new("(@a{sv})", g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0)),
                                                 &error);
        if (!reply)
                g_error("ListMdevs: %s", error->message);
        GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) mdev_row_free);
        g_autoptr(GVariant) list = g_variant_get_child_value(reply, 0);
        for (gsize i = 0; i < g_variant_n_children(list); i++) {
                g_autoptr(GVariant) entry = g_variant_get_child_value(list, i);
                g_autoptr(GVariantDict) dict = g_variant_dict_new(entry);
                MdevRow *row = g_new0(MdevRow, 1);
                char *uuid = NULL;
                g_assert_true(g_variant_dict_lookup(dict, "uuid", "s", &uuid));
                g_assert_true(g_variant_dict_lookup(dict, "state", "s", &row->state));
                (void) g_variant_dict_lookup(dict, "parent", "s", &row->parent);
                (void) g_variant_dict_lookup(dict, "domain", "s", &row->domain);
                (void) g_variant_dict_lookup(dict, "reason", "s", &row->reason);
                (void) g_variant_dict_lookup(dict, "persistent", "b", &row->persistent);
                (void) g_variant_dict_lookup(dict, "autostart", "b", &row->autostart);
                if (g_hash_table_contains(t, uuid))
                        g_error("ListMdevs lists %s twice", uuid);
                g_hash_table_insert(t, uuid, row);
        }
        return t;
}

/* The state ListMdevs gives uuid; "" when it is not listed. */
static char *mdev_state(Harness *h, const char *uuid) {
        g_autoptr(GHashTable) t = list_mdevs(h);
        MdevRow *row = g_hash_table_lookup(t, uuid);
        return g_strdup(row ? row->state : "");
}

typedef struct StateWait {
        Harness *h;
        const char *uuid;
        const char *state;
} StateWait;

static gboolean state_is(gpointer data) {
        StateWait *w = data;
        g_autofree char *s = mdev_state(w->h, w->uuid);
        return g_str_equal(s, w->state);
}

static void wait_state(Harness *h, const char *uuid, const char *state) {
        StateWait w = { h, uuid, state };
        if (!harness_wait_for(state_is, &w, WAIT_MS)) {
                g_autofree char *s = mdev_state(h, uuid);
                g_error("mdev %s is \"%s\", expected \"%s\"", uuid, s, state);
        }
}

static char *definition_path(Harness *h, const char *uuid) {
        g_autofree char *name = g_strdup_printf("%s.json", uuid);
        return g_build_filename(h->state_dir, "mdevs", name, NULL);
}

/* A definition file as the daemon writes it (docs/config.md, "State directory"). */
static void write_definition(Harness *h, const char *uuid, const char *parent, const char *type, gboolean autostart) {
        g_autofree char *dir = g_build_filename(h->state_dir, "mdevs", NULL);
        g_autofree char *path = definition_path(h, uuid);
        g_autofree char *text = g_strdup_printf("{ \"version\": 1, \"uuid\": \"%s\", \"parent\": \"%s\", \"type\": \"%s\", "
                                                "\"persistent\": true, \"autostart\": %s, \"origin\": \"cli\", \"attrs\": [] }\n",
                                                uuid, parent, type, autostart ? "true" : "false");
        g_autoptr(GError) error = NULL;
        (void) g_mkdir_with_parents(dir, 0755);
        if (!g_file_set_contents(path, text, -1, &error))
                g_error("%s: %s", path, error->message);
}

/* ---- persistence ------------------------------------------------------ */

static void test_persistent_restart(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        create_persistent(h, "idxd_sim.0", "dsa-1swq-v1", UUID_A, FALSE);
        g_autofree char *path = definition_path(h, UUID_A);
        g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));

        harness_stop_daemon(h);
        harness_start_daemon(h, NULL);
        g_autoptr(GHashTable) t = list_mdevs(h);
        MdevRow *row = g_hash_table_lookup(t, UUID_A);
        g_assert_nonnull(row);
        g_assert_cmpstr(row->state, ==, "active");
        g_assert_true(row->persistent);
        g_assert_false(row->autostart);

        /* Destroyed for good: the definition goes too, and stays gone after a restart. */
        g_autoptr(GVariant) reply = harness_call(h, "DestroyMdev",
                                                 g_variant_new("(s@a{sv})", UUID_A, options_new(NULL, FALSE, FALSE)), NULL);
        g_assert_nonnull(reply);
        g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
        harness_stop_daemon(h);
        harness_start_daemon(h, NULL);
        g_autofree char *s = mdev_state(h, UUID_A);
        g_assert_cmpstr(s, ==, "");
}

static void test_defined_then_autostart(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        write_definition(h, UUID_A, "idxd_sim.1", FAKE_TYPE_SWQ, TRUE);
        write_definition(h, UUID_B, "idxd_sim.1", FAKE_TYPE_DWQ, FALSE);
        harness_start_daemon(h, NULL);

        /* No parent yet: both are definitions only, and have their objects. */
        g_autofree char *a = mdev_state(h, UUID_A);
        g_autofree char *b = mdev_state(h, UUID_B);
        g_assert_cmpstr(a, ==, "defined");
        g_assert_cmpstr(b, ==, "defined");
        g_autoptr(GError) error = NULL;
        g_autofree char *object = g_strdup_printf("%s/%s", IDXD_MDEV_PATH_PREFIX, "5a1c3b2a_6d4e_4f10_9a7b_00000000000a");
        g_autoptr(GVariant) prop = g_dbus_connection_call_sync(h->bus, IDXD_BUS_NAME, object, "org.freedesktop.DBus.Properties",
                                                               "Get", g_variant_new("(ss)", IDXD_MDEV_INTERFACE, "State"),
                                                               NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
        if (!prop)
                g_error("Mdev1 object of a definition: %s", error->message);

        /* The parent appears: the autostart one is made, once. */
        fake_kernel_add_parent(h->kernel, "idxd_sim.1", 4);
        wait_state(h, UUID_A, "active");
        g_assert_true(fake_kernel_has_mdev(h->kernel, UUID_A));
        g_assert_cmpuint(fake_kernel_create_writes(h->kernel, UUID_A), ==, 1);
        /* Not autostart: stays a definition. */
        g_autofree char *b2 = mdev_state(h, UUID_B);
        g_assert_cmpstr(b2, ==, "defined");
        g_assert_false(fake_kernel_has_mdev(h->kernel, UUID_B));
}

/* Boot: autostart definitions on two parents are made before READY; a third
 * parent hotplugged later gets its own, each with one write to create. */
static void test_boot_two_parents_hotplug_third(void) {
        static const struct {
                const char *uuid, *parent, *type;
        } defs[] = {
                { "b0000000-0000-4000-8000-000000000001", "idxd_sim.0", FAKE_TYPE_SWQ },
                { "b0000000-0000-4000-8000-000000000002", "idxd_sim.0", FAKE_TYPE_DWQ },
                { "b0000000-0000-4000-8000-000000000003", "idxd_sim.1", FAKE_TYPE_SWQ },
                { "b0000000-0000-4000-8000-000000000004", "idxd_sim.1", FAKE_TYPE_DWQ },
                { "b0000000-0000-4000-8000-000000000005", "idxd_sim.2", FAKE_TYPE_SWQ },
                { "b0000000-0000-4000-8000-000000000006", "idxd_sim.2", FAKE_TYPE_DWQ },
        };
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        fake_kernel_add_parent(h->kernel, "idxd_sim.1", 4);
        for (size_t i = 0; i < G_N_ELEMENTS(defs); i++)
                write_definition(h, defs[i].uuid, defs[i].parent, defs[i].type, TRUE);
        harness_start_daemon(h, NULL);

        /* READY comes after the boot bring-up: no waiting needed here. */
        for (size_t i = 0; i < 4; i++) {
                g_autofree char *state = mdev_state(h, defs[i].uuid);
                g_assert_cmpstr(state, ==, "active");
                g_assert_true(fake_kernel_has_mdev(h->kernel, defs[i].uuid));
        }
        for (size_t i = 4; i < G_N_ELEMENTS(defs); i++) {
                g_autofree char *state = mdev_state(h, defs[i].uuid);
                g_assert_cmpstr(state, ==, "defined");
        }

        fake_kernel_add_parent(h->kernel, "idxd_sim.2", 4);
        for (size_t i = 4; i < G_N_ELEMENTS(defs); i++)
                wait_state(h, defs[i].uuid, "active");
        for (size_t i = 0; i < G_N_ELEMENTS(defs); i++)
                g_assert_cmpuint(fake_kernel_create_writes(h->kernel, defs[i].uuid), ==, 1);
}

static void on_interfaces_added(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                                const char *member, GVariant *params, gpointer data) {
        const char *object;
        g_variant_get_child(params, 0, "&o", &object);
        g_ptr_array_add(data, g_strdup(object));
}

static gboolean seen_object(gpointer data) {
        GPtrArray *seen = data;
        for (guint i = 0; i < seen->len; i++)
                if (g_str_has_suffix(seen->pdata[i], "5a1c3b2a_6d4e_4f10_9a7b_00000000000a"))
                        return TRUE;
        return FALSE;
}

static void test_parent_readded(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        create_persistent(h, "idxd_sim.1", "dsa-1swq-v1", UUID_A, TRUE);
        create_persistent(h, "idxd_sim.1", "dsa-1dwq-v1", UUID_B, TRUE);
        g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func(g_free);
        guint id = g_dbus_connection_signal_subscribe(h->bus, IDXD_BUS_NAME, "org.freedesktop.DBus.ObjectManager",
                                                      "InterfacesAdded", IDXD_MANAGER_PATH, NULL,
                                                      G_DBUS_SIGNAL_FLAGS_NONE, on_interfaces_added, added, NULL);

        fake_kernel_remove_parent(h->kernel, "idxd_sim.1");
        wait_state(h, UUID_A, "defined");
        wait_state(h, UUID_B, "defined");
        /* The device's object went; the definition's is announced in its place. */
        g_assert_true(harness_wait_for(seen_object, added, WAIT_MS));
        g_dbus_connection_signal_unsubscribe(h->bus, id);

        fake_kernel_add_parent(h->kernel, "idxd_sim.1", 4);
        wait_state(h, UUID_A, "active");
        wait_state(h, UUID_B, "active");
        g_assert_true(fake_kernel_has_mdev(h->kernel, UUID_A));
        g_assert_true(fake_kernel_has_mdev(h->kernel, UUID_B));
        g_assert_cmpuint(fake_kernel_count_mdevs(h->kernel, "idxd_sim.1"), ==, 2);
}

/* A failed autostart shows `failed` with the reason, and is retried until it works. */
static void test_autostart_retry(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        fake_kernel_set_available(h->kernel, "idxd_sim.0", FAKE_TYPE_SWQ, 0);
        write_definition(h, UUID_A, "idxd_sim.0", FAKE_TYPE_SWQ, TRUE);
        harness_start_daemon(h, NULL);

        g_autoptr(GHashTable) t = list_mdevs(h);
        MdevRow *row = g_hash_table_lookup(t, UUID_A);
        g_assert_nonnull(row);
        g_assert_cmpstr(row->state, ==, "failed");
        g_assert_nonnull(row->reason);
        g_assert_true(strstr(row->reason, "capacity") != NULL);
        g_autoptr(CtlResult) list = harness_ctl(h, "list", "--json", NULL);
        assert_ctl_exit(list, 0);
        g_assert_true(strstr(list->out, "\"failed\"") != NULL);
        g_assert_true(strstr(list->out, "\"reason\": \"No capacity") != NULL);

        fake_kernel_set_available(h->kernel, "idxd_sim.0", FAKE_TYPE_SWQ, 4);
        wait_state(h, UUID_A, "active");
        g_assert_true(fake_kernel_has_mdev(h->kernel, UUID_A));
}

/* Makes dir immutable (root ignores modes, not this); FALSE when the file system cannot. */
static gboolean set_immutable(const char *dir, gboolean on) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        int flags = 0;
        gboolean ok = ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
        if (ok) {
                flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
                ok = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
        }
        close(fd);
        return ok;
}

static void test_state_dir_read_only(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        create_persistent(h, "idxd_sim.0", "dsa-1swq-v1", UUID_A, TRUE);
        g_autofree char *dir = g_build_filename(h->state_dir, "mdevs", NULL);
        if (!set_immutable(dir, TRUE)) {
                g_test_skip("the scratch file system has no immutable flag");
                return;
        }

        /* A new persistent mdev: a clear error, nothing made. */
        g_autofree char *message = NULL;
        g_autofree char *name = call_error(h, "CreateMdev",
                                           g_variant_new("(sss@a{sv})", "idxd_sim.0", "dsa-1swq-v1", UUID_B,
                                                         options_new(NULL, TRUE, FALSE)), &message);
        g_assert_cmpstr(name, ==, IDXD_ERROR_FAILED);
        g_assert_true(strstr(message, dir) != NULL);
        g_assert_true(strstr(message, "errno") != NULL);
        g_assert_false(fake_kernel_has_mdev(h->kernel, UUID_B));

        /* Destroying the persistent one cannot drop its definition: it stays, running. */
        g_autofree char *message2 = NULL;
        g_autofree char *name2 = call_error(h, "DestroyMdev",
                                            g_variant_new("(s@a{sv})", UUID_A, options_new(NULL, FALSE, FALSE)), &message2);
        g_assert_cmpstr(name2, ==, IDXD_ERROR_FAILED);
        g_assert_true(strstr(message2, dir) != NULL);
        g_assert_true(fake_kernel_has_mdev(h->kernel, UUID_A));
        g_autofree char *s = mdev_state(h, UUID_A);
        g_assert_cmpstr(s, ==, "active");

        g_assert_true(set_immutable(dir, FALSE));
        g_autoptr(GVariant) reply = harness_call(h, "DestroyMdev",
                                                 g_variant_new("(s@a{sv})", UUID_A, options_new(NULL, FALSE, FALSE)), NULL);
        g_assert_nonnull(reply);
        g_assert_false(fake_kernel_has_mdev(h->kernel, UUID_A));
}

/* ---- crashes ---------------------------------------------------------- */

#define KILL_MDEVS 500
#define KILL_ROUNDS 10
#define KILL_PER_TYPE (KILL_MDEVS / 4)

static char *kill_uuid(guint i) {
        return g_strdup_printf("6b000000-0000-4000-8000-%012x", i);
}

static GVariant *kill_batch(void) {
        static const char *const parents[] = { "idxd_sim.0", "idxd_sim.1" };
        static const char *const types[] = { FAKE_TYPE_SWQ, FAKE_TYPE_DWQ };
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("aa{sv}"));
        for (guint i = 0; i < KILL_MDEVS; i++) {
                g_autofree char *uuid = kill_uuid(i);
                GVariantBuilder r;
                g_variant_builder_init(&r, G_VARIANT_TYPE("a{sv}"));
                g_variant_builder_add(&r, "{sv}", "parent", g_variant_new_string(parents[i % 2]));
                g_variant_builder_add(&r, "{sv}", "type", g_variant_new_string(types[(i / 2) % 2]));
                g_variant_builder_add(&r, "{sv}", "uuid", g_variant_new_string(uuid));
                g_variant_builder_add_value(&b, g_variant_builder_end(&r));
        }
        return g_variant_new("(@aa{sv}@a{sv})", g_variant_builder_end(&b), options_new(NULL, TRUE, TRUE));
}

/* Every file in the state dir parses as a definition of one of ours; returns how many. */
static guint check_state_files(Harness *h, GHashTable *expected) {
        g_autofree char *dir = g_build_filename(h->state_dir, "mdevs", NULL);
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        guint n = 0;
        const char *name;
        if (!d)
                return 0;
        while ((name = g_dir_read_name(d))) {
                if (name[0] == '.')
                        continue;       /* a temp file of a write cut short; never read */
                g_autofree char *path = g_build_filename(dir, name, NULL);
                json_object *o = json_object_from_file(path);
                if (!o)
                        g_error("%s does not parse", path);
                json_object *uuid;
                g_assert_true(json_object_object_get_ex(o, "uuid", &uuid));
                if (!g_hash_table_contains(expected, json_object_get_string(uuid)))
                        g_error("%s: unexpected definition", path);
                json_object_put(o);
                n++;
        }
        return n;
}

static void test_kill_during_bringup(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", KILL_PER_TYPE + 8);
        fake_kernel_add_parent(h->kernel, "idxd_sim.1", KILL_PER_TYPE + 8);
        harness_start_daemon(h, NULL);
        g_autoptr(GHashTable) expected = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        for (guint i = 0; i < KILL_MDEVS; i++)
                g_hash_table_add(expected, kill_uuid(i));
        GRand *rand = g_rand_new_with_seed(g_test_rand_int());
        gint64 start = g_get_monotonic_time();

        for (guint round = 0; round < KILL_ROUNDS; round++) {
                /* The batch goes out; the daemon dies somewhere in it. */
                g_dbus_connection_call(h->bus, IDXD_BUS_NAME, IDXD_MANAGER_PATH, IDXD_MANAGER_INTERFACE, "CreateMdevs",
                                       kill_batch(), NULL, G_DBUS_CALL_FLAGS_NONE, 60000, NULL, NULL, NULL);
                g_dbus_connection_flush_sync(h->bus, NULL, NULL);
                g_usleep(g_rand_int_range(rand, 0, 1200) * 1000);
                harness_kill_daemon(h);
                fake_kernel_sync(h->kernel);
                guint files = check_state_files(h, expected);
                g_test_message("round %u: killed with %u definitions, %u mdevs", round, files,
                               fake_kernel_count_sysfs_mdevs(h->kernel));
                /* Restarted, it makes every autostart definition it has before READY=1. */
                harness_start_daemon(h, NULL);
                g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), >=, files);
        }
        g_rand_free(rand);

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "CreateMdevs", kill_batch(), &error);
        if (!reply)
                g_error("CreateMdevs: %s", error->message);
        g_autoptr(GVariant) results = g_variant_get_child_value(reply, 0);
        for (gsize i = 0; i < g_variant_n_children(results); i++) {
                g_autoptr(GVariant) res = g_variant_get_child_value(results, i);
                g_autoptr(GVariantDict) dict = g_variant_dict_new(res);
                const char *message = NULL;
                if (g_variant_dict_lookup(dict, "message", "&s", &message))
                        g_error("request %zu failed: %s", i, message);
        }
        fake_kernel_sync(h->kernel);

        g_assert_cmpuint(check_state_files(h, expected), ==, KILL_MDEVS);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, KILL_MDEVS);
        g_autoptr(GHashTable) t = list_mdevs(h);
        g_assert_cmpuint(g_hash_table_size(t), ==, KILL_MDEVS);
        GHashTableIter it;
        gpointer key, value;
        g_hash_table_iter_init(&it, t);
        while (g_hash_table_iter_next(&it, &key, &value)) {
                g_assert_true(g_hash_table_contains(expected, key));
                g_assert_cmpstr(((MdevRow *) value)->state, ==, "active");
                g_assert_true(fake_kernel_has_mdev(h->kernel, key));
        }
        g_test_message("%d rounds of %d mdevs in %.1f s", KILL_ROUNDS, KILL_MDEVS,
                       (double) (g_get_monotonic_time() - start) / 1e6);
}


/* ---- policy ----------------------------------------------------------- */

/* UUIDv5 of "DOMAIN/POOL/i" (docs/config.md, "Solver"). */
#define VM1_SWQ_0 "5798ea8f-8760-5b5d-bcda-297cd1d0223d"
#define VM1_SWQ_1 "88f66a74-0363-5ccc-8fb9-4872fd01b2f7"
#define VM1_SWQ_2 "bb880937-d1e0-5bce-a7f7-d8de42a294af"
#define VM2_DWQ_0 "a477d769-83d0-5410-981a-952816a4f3ef"
#define VM2_DWQ_1 "b5e00d02-25aa-5934-99af-61affeddc573"

#define POLICY_POOLS                                                                                    \
        "\"pools\": [ { \"name\": \"swq\", \"match\": { \"type\": \"dsa-1swq-v1\" },\n"                 \
        "               \"limits\": { \"max_per_parent\": 2 } },\n"                                      \
        "             { \"name\": \"dwq\", \"match\": { \"type\": \"dsa-1dwq-v1\" } } ],\n"

static void write_policy(Harness *h, const char *name, const char *text) {
        g_autofree char *path = g_build_filename(h->policy_dir, name, NULL);
        g_autoptr(GError) error = NULL;
        (void) g_mkdir_with_parents(h->policy_dir, 0755);
        if (!g_file_set_contents(path, text, -1, &error))
                g_error("%s: %s", path, error->message);
}

typedef struct SetWait {
        Harness *h;
        const char *const *uuids;       /* the active mdevs with a domain, exactly */
} SetWait;

static gboolean policy_set_is(gpointer data) {
        SetWait *w = data;
        g_autoptr(GHashTable) t = list_mdevs(w->h);
        guint with_domain = 0, wanted = 0;
        GHashTableIter it;
        gpointer key, value;

        g_hash_table_iter_init(&it, t);
        while (g_hash_table_iter_next(&it, &key, &value))
                if (((MdevRow *) value)->domain && *((MdevRow *) value)->domain)
                        with_domain++;
        for (; w->uuids[wanted]; wanted++) {
                MdevRow *row = g_hash_table_lookup(t, w->uuids[wanted]);
                if (!row || !g_str_equal(row->state, "active") || !row->persistent)
                        return FALSE;
        }
        return with_domain == wanted;
}

static void wait_policy_set(Harness *h, const char *const *uuids) {
        SetWait w = { h, uuids };
        if (!harness_wait_for(policy_set_is, &w, WAIT_MS)) {
                g_autoptr(GHashTable) t = list_mdevs(h);
                GHashTableIter it;
                gpointer key, value;
                g_hash_table_iter_init(&it, t);
                while (g_hash_table_iter_next(&it, &key, &value))
                        g_test_message("listed %s %s domain %s on %s", (char *) key, ((MdevRow *) value)->state,
                                       ((MdevRow *) value)->domain, ((MdevRow *) value)->parent);
                g_error("the policy's set was not reached");
        }
}

static void test_policy_start_and_reload(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        fake_kernel_add_parent(h->kernel, "idxd_sim.1", 4);
        write_policy(h, "10-test.json",
                     "{ " POLICY_POOLS
                     "  \"assignments\": [ { \"domain\": \"vm1\", \"pool\": \"swq\", \"count\": 3 } ] }\n");
        harness_start_daemon(h, NULL);

        const char *first[] = { VM1_SWQ_0, VM1_SWQ_1, VM1_SWQ_2, NULL };
        wait_policy_set(h, first);
        /* Spread over both parents, at most 2 on one. */
        g_assert_cmpuint(fake_kernel_count_mdevs(h->kernel, "idxd_sim.0"), <=, 2);
        g_assert_cmpuint(fake_kernel_count_mdevs(h->kernel, "idxd_sim.1"), <=, 2);
        g_autofree char *def = definition_path(h, VM1_SWQ_0);
        g_assert_true(g_file_test(def, G_FILE_TEST_IS_REGULAR));

        /* A CLI-made mdev is never the policy's to release. */
        create_persistent(h, "idxd_sim.0", "dsa-1dwq-v1", UUID_A, FALSE);

        write_policy(h, "10-test.json",
                     "{ " POLICY_POOLS
                     "  \"assignments\": [ { \"domain\": \"vm1\", \"pool\": \"swq\", \"count\": 1 },\n"
                     "                     { \"domain\": \"vm2\", \"pool\": \"dwq\", \"count\": 2 } ] }\n");
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "Reload", NULL, &error);
        if (!reply)
                g_error("Reload: %s", error->message);
        const char *second[] = { VM1_SWQ_0, VM2_DWQ_0, VM2_DWQ_1, NULL };
        wait_policy_set(h, second);
        g_assert_false(fake_kernel_has_mdev(h->kernel, VM1_SWQ_1));
        g_assert_false(fake_kernel_has_mdev(h->kernel, VM1_SWQ_2));
        g_autofree char *gone = definition_path(h, VM1_SWQ_2);
        g_assert_false(g_file_test(gone, G_FILE_TEST_EXISTS));
        g_assert_true(fake_kernel_has_mdev(h->kernel, UUID_A));

        /* Restarted, the same set, the same UUIDs; a lost definition file is written again. */
        harness_stop_daemon(h);
        g_autofree char *lost = definition_path(h, VM2_DWQ_0);
        g_assert_cmpint(g_unlink(lost), ==, 0);
        harness_start_daemon(h, NULL);
        wait_policy_set(h, second);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 4);
        g_assert_true(g_file_test(lost, G_FILE_TEST_IS_REGULAR));
}

/*
 * A policy mdev whose parent is gone is made on another one, and its
 * definition moves with it: one definition per policy UUID, never a second
 * one beside the old (which would bring the UUID back twice).
 */
static void test_policy_moves_definition(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        fake_kernel_add_parent(h->kernel, "idxd_sim.1", 4);
        write_policy(h, "10-test.json",
                     "{ " POLICY_POOLS
                     "  \"assignments\": [ { \"domain\": \"vm2\", \"pool\": \"dwq\", \"count\": 1 } ] }\n");
        harness_start_daemon(h, NULL);
        const char *set[] = { VM2_DWQ_0, NULL };
        wait_policy_set(h, set);
        const char *from = fake_kernel_count_mdevs(h->kernel, "idxd_sim.0") == 1 ? "idxd_sim.0" : "idxd_sim.1";
        const char *to = g_str_equal(from, "idxd_sim.0") ? "idxd_sim.1" : "idxd_sim.0";
        g_autofree char *plain = definition_path(h, VM2_DWQ_0);
        g_assert_true(g_file_test(plain, G_FILE_TEST_IS_REGULAR));

        harness_stop_daemon(h);
        fake_kernel_remove_parent(h->kernel, from);
        harness_start_daemon(h, NULL);
        wait_policy_set(h, set);
        g_assert_cmpuint(fake_kernel_count_mdevs(h->kernel, to), ==, 1);
        g_autofree char *name = g_strdup_printf("%s@%s.json", VM2_DWQ_0, to);
        g_autofree char *moved = g_build_filename(h->state_dir, "mdevs", name, NULL);
        g_assert_true(g_file_test(moved, G_FILE_TEST_IS_REGULAR));
        g_assert_false(g_file_test(plain, G_FILE_TEST_EXISTS));
}

static void test_policy_bad_reload(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        fake_kernel_add_parent(h->kernel, "idxd_sim.1", 4);
        write_policy(h, "10-test.json",
                     "{ " POLICY_POOLS
                     "  \"assignments\": [ { \"domain\": \"vm2\", \"pool\": \"dwq\", \"count\": 2 } ] }\n");
        harness_start_daemon(h, NULL);
        const char *set[] = { VM2_DWQ_0, VM2_DWQ_1, NULL };
        wait_policy_set(h, set);

        /* One good file and one bad: the whole set is rejected. */
        write_policy(h, "10-test.json",
                     "{ " POLICY_POOLS
                     "  \"assignments\": [ { \"domain\": \"vm1\", \"pool\": \"swq\", \"count\": 1 } ] }\n");
        write_policy(h, "20-bad.json", "{ \"pools\": [\n  { \"name\": 5 } ] }\n");
        g_autofree char *message = NULL;
        g_autofree char *name = call_error(h, "Reload", NULL, &message);
        g_assert_cmpstr(name, ==, IDXD_ERROR_INVALID_CONFIG);
        g_autoptr(GRegex) re = g_regex_new("20-bad\\.json:[0-9]+:[0-9]+: ", 0, 0, NULL);
        if (!g_regex_match(re, message, 0, NULL))
                g_error("no file:line:column in \"%s\"", message);

        /* The old policy still holds, and keeps holding. */
        g_usleep(500 * 1000);
        wait_policy_set(h, set);
        g_assert_false(fake_kernel_has_mdev(h->kernel, VM1_SWQ_0));
        g_autoptr(GVariant) status = harness_call(h, "GetStatus", NULL, NULL);
        g_autoptr(GVariant) dict = g_variant_get_child_value(status, 0);
        g_autoptr(GVariantDict) d = g_variant_dict_new(dict);
        const char *policy = NULL;
        g_assert_true(g_variant_dict_lookup(d, "policy", "&s", &policy));
        g_assert_cmpstr(policy, ==, "1 files, 2 pools, 1 assignments");
}

/* A shortfall is reported in GetStatus, and the met part is still made. */
static void test_policy_shortfall(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        fake_kernel_add_parent(h->kernel, "idxd_sim.1", 4);
        write_policy(h, "10-test.json",
                     "{ " POLICY_POOLS
                     "  \"assignments\": [ { \"domain\": \"vm1\", \"pool\": \"swq\", \"count\": 5 } ] }\n");
        harness_start_daemon(h, NULL);
        g_autoptr(GVariant) status = harness_call(h, "GetStatus", NULL, NULL);
        g_autoptr(GVariant) dict = g_variant_get_child_value(status, 0);
        g_autoptr(GVariantDict) d = g_variant_dict_new(dict);
        g_autofree const char **shortfalls = NULL;
        g_assert_true(g_variant_dict_lookup(d, "policy_shortfalls", "^a&s", &shortfalls));
        g_assert_cmpuint(g_strv_length((char **) shortfalls), ==, 1);
        g_assert_true(strstr(shortfalls[0], "vm1") != NULL);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 4);
}

/* SIGHUP reloads like Reload; a policy that disappears releases what it made, and only that. */
static void test_policy_sighup(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        create_persistent(h, "idxd_sim.1", "dsa-1swq-v1", UUID_A, TRUE);
        write_policy(h, "10-test.json",
                     "{ " POLICY_POOLS
                     "  \"assignments\": [ { \"domain\": \"vm2\", \"pool\": \"dwq\", \"count\": 2 } ] }\n");
        g_assert_cmpint(kill(h->daemon_pid, SIGHUP), ==, 0);
        const char *set[] = { VM2_DWQ_0, VM2_DWQ_1, NULL };
        wait_policy_set(h, set);

        g_autofree char *path = g_build_filename(h->policy_dir, "10-test.json", NULL);
        g_assert_cmpint(g_unlink(path), ==, 0);
        g_assert_cmpint(kill(h->daemon_pid, SIGHUP), ==, 0);
        const char *none[] = { NULL };
        wait_policy_set(h, none);
        g_assert_false(fake_kernel_has_mdev(h->kernel, VM2_DWQ_0));
        g_assert_true(fake_kernel_has_mdev(h->kernel, UUID_A));
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 1);
}

/* ---- idxdctl policy check, idxdctl import ------------------------------ */

static void test_cli_policy_check(void) {
        g_autoptr(Harness) h = harness_new();
        g_autofree char *good = harness_write_file(h, "check/10-good.json",
                                                   "{ " POLICY_POOLS
                                                   "  \"assignments\": [ { \"domain\": \"vm1\", \"pool\": \"swq\", \"count\": 3 } ] }\n");
        g_autoptr(CtlResult) ok = harness_ctl(h, "policy", "check", good, NULL);
        assert_ctl_exit(ok, 0);
        g_assert_true(strstr(ok->out, "2 pools, 1 assignment") != NULL);
        g_assert_true(strstr(ok->out, "domain vm1: 3 mdevs from pool swq") != NULL);

        /* A directory is all or nothing, like the daemon reads it. */
        g_autofree char *bad = harness_write_file(h, "check/20-bad.json", "{ \"pools\": [\n  { \"name\": 5 } ] }\n");
        g_autoptr(CtlResult) no = harness_ctl(h, "policy", "check", bad, NULL);
        assert_ctl_exit(no, 1);
        g_autoptr(GRegex) re = g_regex_new("20-bad\\.json:2:[0-9]+: ", 0, 0, NULL);
        if (!g_regex_match(re, no->err, 0, NULL))
                g_error("no file:line:column in \"%s\"", no->err);
        g_autofree char *dir = g_path_get_dirname(bad);
        g_autoptr(CtlResult) no_dir = harness_ctl(h, "policy", "check", dir, NULL);
        assert_ctl_exit(no_dir, 1);
        g_assert_true(g_regex_match(re, no_dir->err, 0, NULL));

        /* The daemon's own file, by its name. */
        g_autofree char *config = harness_write_file(h, "check/idxdd.json", "{ \"ims_reserve\": \"many\" }\n");
        g_autoptr(CtlResult) no_config = harness_ctl(h, "policy", "check", config, NULL);
        assert_ctl_exit(no_config, 1);
        g_assert_true(strstr(no_config->err, "idxdd.json:1:") != NULL);
}

#define MDEVCTL_AUTO "7c000000-0000-4000-8000-000000000001"
#define MDEVCTL_MANUAL "7c000000-0000-4000-8000-000000000002"
#define MDEVCTL_BAD "7c000000-0000-4000-8000-000000000003"

static void test_cli_import_mdevctl(void) {
        g_autoptr(Harness) h = harness_new_running(4);
        g_free(harness_write_file(h, "mdevctl.d/idxd_sim.0/" MDEVCTL_AUTO,
                                  "{ \"mdev_type\": \"" FAKE_TYPE_SWQ "\", \"start\": \"auto\",\n"
                                  "  \"attrs\": [ { \"wq\": \"wq7.3\" } ] }\n"));
        g_free(harness_write_file(h, "mdevctl.d/idxd_sim.1/" MDEVCTL_MANUAL,
                                  "{ \"mdev_type\": \"" FAKE_TYPE_DWQ "\", \"start\": \"manual\", \"attrs\": [] }\n"));
        g_free(harness_write_file(h, "mdevctl.d/idxd_sim.1/" MDEVCTL_BAD, "{ \"mdev_type\": 7 }\n"));
        g_autofree char *root = g_build_filename(h->dir, "mdevctl.d", NULL);

        g_autoptr(CtlResult) r = harness_ctl(h, "import", "--mdevctl", root, NULL);
        /* The bad file is named and skipped; the others are defined, nothing is created. */
        assert_ctl_exit(r, 1);
        g_assert_true(strstr(r->err, MDEVCTL_BAD) != NULL);
        g_assert_true(strstr(r->out, MDEVCTL_AUTO " imported") != NULL);
        g_assert_true(strstr(r->out, MDEVCTL_MANUAL " imported") != NULL);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 0);

        g_autoptr(GHashTable) t = list_mdevs(h);
        MdevRow *a = g_hash_table_lookup(t, MDEVCTL_AUTO);
        MdevRow *m = g_hash_table_lookup(t, MDEVCTL_MANUAL);
        g_assert_nonnull(a);
        g_assert_nonnull(m);
        g_assert_true(a->persistent && a->autostart);
        g_assert_true(m->persistent && !m->autostart);
        g_assert_cmpstr(a->state, ==, "defined");
        g_assert_false(g_hash_table_contains(t, MDEVCTL_BAD));
        g_autofree char *def = definition_path(h, MDEVCTL_AUTO);
        g_autofree char *text = NULL;
        g_assert_true(g_file_get_contents(def, &text, NULL, NULL));
        g_assert_true(strstr(text, "wq7.3") != NULL);

        /* Started from its definition, the attribute is written to the new mdev. */
        g_autoptr(CtlResult) start = harness_ctl(h, "start", MDEVCTL_AUTO, NULL);
        assert_ctl_exit(start, 0);
        g_autofree char *attr = NULL;
        g_assert_true(g_file_get_contents("/sys/bus/mdev/devices/" MDEVCTL_AUTO "/wq", &attr, NULL, NULL));
        g_assert_cmpstr(g_strstrip(attr), ==, "wq7.3");

        /* Again: idempotent (the same definitions), the bad file still named. */
        g_autoptr(CtlResult) again = harness_ctl(h, "import", "--mdevctl", root, NULL);
        assert_ctl_exit(again, 1);
        g_assert_true(strstr(again->out, MDEVCTL_AUTO " imported") != NULL);
        g_assert_cmpuint(fake_kernel_count_sysfs_mdevs(h->kernel), ==, 1);
}

/* ---- ListMdevsByFileDescriptor ---------------------------------------- */

/* A value of ListMdevs in the memfd's text form (docs/dbus-api.md). */
static char *variant_as_text(GVariant *v) {
        if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) || g_variant_is_of_type(v, G_VARIANT_TYPE_OBJECT_PATH))
                return g_strdup(g_variant_get_string(v, NULL));
        if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
                return g_strdup(g_variant_get_boolean(v) ? "true" : "false");
        if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
                return g_strdup_printf("%" G_GUINT32_FORMAT, g_variant_get_uint32(v));
        if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT32))
                return g_strdup_printf("%" G_GINT32_FORMAT, g_variant_get_int32(v));
        if (g_variant_is_of_type(v, G_VARIANT_TYPE("a(ss)"))) {
                /* The attributes column: mdevctl's JSON, [{"name":"value"},...]. */
                json_object *a = json_object_new_array();
                GVariantIter it;
                const char *name, *value;

                g_variant_iter_init(&it, v);
                while (g_variant_iter_next(&it, "(&s&s)", &name, &value)) {
                        json_object *o = json_object_new_object();

                        json_object_object_add(o, name, json_object_new_string(value));
                        json_object_array_add(a, o);
                }
                char *text = g_strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
                                                                        JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(a);
                return text;
        }
        g_error("ListMdevs sent a value of type %s", g_variant_get_type_string(v));
}

/* The text of ListMdevsByFileDescriptor with filter; checks the memfd is sealed. */
static char *list_by_fd(Harness *h, GVariant *filter) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GUnixFDList) fds = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_with_unix_fd_list_sync(
                h->bus, IDXD_BUS_NAME, IDXD_MANAGER_PATH, IDXD_MANAGER_INTERFACE, "ListMdevsByFileDescriptor",
                g_variant_new("(@a{sv})", filter), G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NONE, 60000,
                NULL, &fds, NULL, &error);
        g_assert_no_error(error);
        gint32 index = -1;
        g_variant_get(reply, "(h)", &index);
        int fd = g_unix_fd_list_get(fds, index, &error);
        g_assert_no_error(error);

        int seals = fcntl(fd, F_GET_SEALS);
        g_assert_cmpint(seals & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), ==,
                        F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
        struct stat st;
        g_assert_cmpint(fstat(fd, &st), ==, 0);
        char *text = g_malloc0(st.st_size + 1);
        g_assert_cmpint(pread(fd, text, st.st_size, 0), ==, st.st_size);
        close(fd);
        return text;
}

/* Unescapes one field as the format says; NULL for \N. */
static char *field_value(const char *field) {
        if (g_str_equal(field, "\\N"))
                return NULL;
        GString *s = g_string_new(NULL);
        for (const char *p = field; *p; p++) {
                if (*p != '\\') {
                        g_string_append_c(s, *p);
                        continue;
                }
                p++;
                g_assert_true(*p == '\\' || *p == 't' || *p == 'n');
                g_string_append_c(s, *p == 't' ? '\t' : *p == 'n' ? '\n' : '\\');
        }
        return g_string_free(s, FALSE);
}

/* Every mdev of ListMdevs is a line of the memfd with the same values; absent keys are \N. */
static guint assert_same_lists(Harness *h, GVariant *filter) {
        g_autofree char *text = list_by_fd(h, g_variant_ref_sink(filter));
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        guint n_lines = g_strv_length(lines);
        g_assert_cmpuint(n_lines, >=, 2);
        g_assert_cmpstr(lines[n_lines - 1], ==, "");    /* every line ends in a newline */
        g_auto(GStrv) header = g_strsplit(lines[0], "\t", -1);
        guint n_columns = g_strv_length(header);

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, "ListMdevs", g_variant_new("(@a{sv})", filter), &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) list = g_variant_get_child_value(reply, 0);
        g_assert_cmpuint(g_variant_n_children(list), ==, n_lines - 2);

        for (gsize i = 0; i < g_variant_n_children(list); i++) {
                g_autoptr(GVariant) entry = g_variant_get_child_value(list, i);
                g_autoptr(GVariantDict) dict = g_variant_dict_new(entry);
                const char *uuid = NULL;
                g_assert_true(g_variant_dict_lookup(dict, "uuid", "&s", &uuid));
                g_auto(GStrv) fields = NULL;
                for (guint l = 1; l < n_lines - 1 && !fields; l++)
                        if (strstr(lines[l], uuid))
                                fields = g_strsplit(lines[l], "\t", -1);
                if (!fields)
                        g_error("%s is not in the memfd:\n%s", uuid, text);
                g_assert_cmpuint(g_strv_length(fields), ==, n_columns);

                guint n_keys = 0;
                for (guint c = 0; c < n_columns; c++) {
                        g_autofree char *have = field_value(fields[c]);
                        g_autoptr(GVariant) v = g_variant_dict_lookup_value(dict, header[c], NULL);
                        g_autofree char *want = v ? variant_as_text(v) : NULL;
                        n_keys += v != NULL;
                        if (g_strcmp0(have, want) != 0)
                                g_error("%s: %s is '%s' in the memfd, '%s' in ListMdevs", uuid, header[c],
                                        have ? have : "\\N", want ? want : "(absent)");
                }
                g_assert_cmpuint(n_keys, ==, g_variant_n_children(entry));      /* no key without a column */
        }
        return n_lines - 2;
}

static GVariant *filter_new(const char *key, const char *value) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        if (key)
                g_variant_builder_add(&b, "{sv}", key, g_variant_new_string(value));
        return g_variant_builder_end(&b);
}

/* The memfd lists what ListMdevs does, value for value, for active, defined and failed mdevs. */
static void test_list_by_fd(void) {
        g_autoptr(Harness) h = harness_new();
        fake_kernel_add_parent(h->kernel, "idxd_sim.0", 4);
        fake_kernel_add_parent(h->kernel, "idxd_sim.1", 4);
        fake_kernel_set_available(h->kernel, "idxd_sim.1", FAKE_TYPE_SWQ, 0);
        write_definition(h, UUID_B, "idxd_sim.1", FAKE_TYPE_SWQ, TRUE);     /* fails: no capacity */
        harness_start_daemon(h, NULL);

        /* A backslash in the domain takes the escape path. */
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) made = harness_call(h, "CreateMdev",
                                                g_variant_new("(sss@a{sv})", "idxd_sim.0", "dsa-1swq-v1", UUID_A,
                                                              options_new("vm\\one", TRUE, FALSE)),
                                                &error);
        g_assert_no_error(error);
        g_assert_nonnull(made);
        g_autoptr(GVariant) plain_reply = harness_call(h, "CreateMdev",
                                                      g_variant_new("(sss@a{sv})", "idxd_sim.0", "dsa-1swq-v1", "",
                                                                    options_new(NULL, FALSE, FALSE)),
                                                      &error);
        g_assert_no_error(error);
        const char *plain = NULL;
        g_variant_get(plain_reply, "(&so)", &plain, NULL);
        g_autoptr(CtlResult) defined = harness_ctl(h, "destroy", "--keep-definition", UUID_A, NULL);
        assert_ctl_exit(defined, 0);
        wait_state(h, UUID_A, "defined");
        g_autoptr(CtlResult) again = harness_ctl(h, "create", "--parent", "idxd_sim.0", "--type", "dsa-1dwq-v1",
                                                 "--domain", "vm\\one", NULL);
        assert_ctl_exit(again, 0);
        /* Attributes, a name twice, a tab and a backslash in values: the memfd's JSON column. */
        g_autoptr(CtlResult) with_attrs = harness_ctl(h, "define", "--parent", "idxd_sim.9", "--type", "t",
                                                      "--attr", "a=x\ty", "--attr", "a=back\\slash", NULL);
        assert_ctl_exit(with_attrs, 0);

        g_assert_cmpuint(assert_same_lists(h, filter_new(NULL, NULL)), ==, 5);
        g_assert_cmpuint(assert_same_lists(h, filter_new("parent", "idxd_sim.1")), ==, 1);
        g_assert_cmpuint(assert_same_lists(h, filter_new("domain", "vm\\one")), ==, 2);
        g_assert_cmpuint(assert_same_lists(h, filter_new("domain", "nosuchvm")), ==, 0);

        /* idxdctl reads the memfd: the failed definition's reason and the domain come through whole. */
        g_autoptr(CtlResult) list = harness_ctl(h, "list", "--json", NULL);
        assert_ctl_exit(list, 0);
        g_assert_true(strstr(list->out, "\"reason\": \"No capacity") != NULL);
        g_assert_true(strstr(list->out, "\"domain\": \"vm\\\\one\"") != NULL);
        g_assert_true(strstr(list->out, plain) != NULL);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/persist/restart", test_persistent_restart);
        g_test_add_func("/persist/defined-then-autostart", test_defined_then_autostart);
        g_test_add_func("/persist/parent-readded", test_parent_readded);
        g_test_add_func("/persist/boot-two-parents-hotplug-third", test_boot_two_parents_hotplug_third);
        g_test_add_func("/persist/autostart-retry", test_autostart_retry);
        g_test_add_func("/persist/state-dir-read-only", test_state_dir_read_only);
        g_test_add_func("/persist/kill-during-bringup", test_kill_during_bringup);
        g_test_add_func("/policy/start-and-reload", test_policy_start_and_reload);
        g_test_add_func("/policy/bad-reload", test_policy_bad_reload);
        g_test_add_func("/policy/moves-definition", test_policy_moves_definition);
        g_test_add_func("/policy/shortfall", test_policy_shortfall);
        g_test_add_func("/policy/sighup", test_policy_sighup);
        g_test_add_func("/list/by-fd", test_list_by_fd);
        g_test_add_func("/cli/policy-check", test_cli_policy_check);
        g_test_add_func("/cli/import-mdevctl", test_cli_import_mdevctl);
        return g_test_run();
}

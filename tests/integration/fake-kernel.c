/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fake kernel. `create` and `remove` are FIFOs (mode 0200, like the
 * write-only sysfs files) rather than regular files watched with inotify:
 * the daemon may write several UUIDs to one `create` before we look, and
 * inotify merges identical IN_CLOSE_WRITE events while a regular file keeps
 * only the last write. A FIFO delivers every write, in order, and a write of
 * one UUID is atomic (< PIPE_BUF). A worker thread reads them and changes the
 * testbed; every change happens under one lock.
 */
#include "fake-kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define UUID_LEN 36
#define FIRST_IOMMU_GROUP 100

typedef struct FakeParent FakeParent;
typedef struct FakeMdev FakeMdev;

typedef enum { FIFO_CREATE, FIFO_REMOVE } FifoKind;

typedef struct FakeFifo {
        FakeKernel *fk;
        FifoKind kind;
        void *owner;            /* FakeType for create, FakeMdev for remove */
        char *path;
        int read_fd;
        int keep_fd;            /* our own writer, so the reader never sees EOF */
        GSource *source;
        GString *pending;
} FakeFifo;

typedef struct FakeType {
        FakeParent *parent;
        const char *id;
        char *dir;              /* real path of mdev_supported_types/<id> */
        guint available;
        guint vectors;          /* IMS entries one mdev of this type holds */
        FakeFifo *create;
} FakeType;

struct FakeParent {
        FakeKernel *fk;
        char *name;
        char *syspath;
        guint index;
        guint ims_size;
        guint ims_available;
        guint next_wq;
        FakeType types[2];
};

struct FakeMdev {
        char *uuid;
        char *syspath;
        FakeType *type;
        int group;
        char *wq;
        FakeFifo *remove;
};

struct FakeKernel {
        UMockdevTestbed *testbed;
        char *root;
        GMutex lock;
        GMainContext *context;
        GMainLoop *loop;
        GThread *thread;
        GHashTable *parents;            /* name → FakeParent */
        GHashTable *mdevs;              /* uuid → FakeMdev */
        GHashTable *create_writes;      /* uuid → count */
        guint refused;
        int next_group;
        gboolean ignore_creates;
        /* Deliberate breakage from IDXD_TEST_BREAK, to prove the tests notice (docs/testing.md). */
        gboolean ignore_removes;
        gboolean silent_removes;
        gboolean overstate_available;   /* sysfs shows 100 more than the kernel grants */
        gboolean double_adds;           /* every add uevent twice: must change nothing */
        gboolean no_mdev_bus_class;     /* as a kernel without /sys/class/mdev_bus */
};

static const struct {
        const char *id, *name, *description;
        guint vectors;
} type_table[2] = {
        { FAKE_TYPE_DWQ, "dsa-1dwq-v1", "one dedicated work queue", 2 },
        { FAKE_TYPE_SWQ, "dsa-1swq-v1", "a slice of a shared work queue", 1 },
};

static char *real_path(FakeKernel *fk, const char *syspath) {
        return g_build_filename(fk->root, syspath, NULL);
}

static void write_file(const char *path, const char *text) {
        g_autoptr(GError) error = NULL;
        /* Atomic replace: a reader sees the old or the new value, never half. */
        if (!g_file_set_contents(path, text, -1, &error))
                g_error("fake kernel: writing %s: %s", path, error->message);
}

static void write_uint(const char *dir, const char *name, guint value) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree char *text = g_strdup_printf("%u\n", value);
        write_file(path, text);
}

static void make_dir(const char *path) {
        if (g_mkdir_with_parents(path, 0755) < 0)
                g_error("fake kernel: mkdir %s: %s", path, g_strerror(errno));
}

static void make_link(const char *target, const char *linkpath) {
        if (symlink(target, linkpath) < 0)
                g_error("fake kernel: symlink %s → %s: %s", linkpath, target, g_strerror(errno));
}

/* "../" once per path element of the directory holding `from` below /sys, then `to` (relative to /sys). */
static char *sys_relative(const char *from_syspath_dir, const char *to_below_sys) {
        GString *s = g_string_new(NULL);
        const char *p = from_syspath_dir + strlen("/sys");
        for (; *p; p++)
                if (*p == '/')
                        g_string_append(s, "../");
        g_string_append(s, to_below_sys);
        return g_string_free(s, FALSE);
}

/* <testbed>/sys/class/mdev_bus/<parent> */
static char *class_link_path(FakeKernel *fk, const char *parent) {
        return g_build_filename(fk->root, "sys", "class", "mdev_bus", parent, NULL);
}

static gboolean uuid_valid(const char *s) {
        for (int i = 0; i < UUID_LEN; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return FALSE;
                } else if (!g_ascii_isxdigit(s[i]))
                        return FALSE;
        }
        return TRUE;
}

static gboolean fifo_readable(int fd, GIOCondition condition, gpointer user_data);

/* umockdev before 0.18.4 removes a device silently; the kernel always says "remove". */
static void testbed_remove_device(FakeKernel *fk, const char *syspath) {
#if FAKE_KERNEL_SEND_REMOVE_UEVENT
        if (!fk->silent_removes)
                umockdev_testbed_uevent(fk->testbed, syspath, "remove");
#endif
        umockdev_testbed_remove_device(fk->testbed, syspath);
}

static FakeFifo *fifo_new(FakeKernel *fk, const char *path, FifoKind kind, void *owner) {
        FakeFifo *f = g_new0(FakeFifo, 1);
        f->fk = fk;
        f->kind = kind;
        f->owner = owner;
        f->path = g_strdup(path);
        f->pending = g_string_new(NULL);
        if (mkfifo(path, 0200) < 0)
                g_error("fake kernel: mkfifo %s: %s", path, g_strerror(errno));
        /* mkfifo obeys the umask; the mode must be exactly that of sysfs. */
        (void) chmod(path, 0200);
        f->read_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        f->keep_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (f->read_fd < 0 || f->keep_fd < 0)
                g_error("fake kernel: opening %s: %s", path, g_strerror(errno));
        f->source = g_unix_fd_source_new(f->read_fd, G_IO_IN);
        g_source_set_callback(f->source, G_SOURCE_FUNC(fifo_readable), f, NULL);
        g_source_attach(f->source, fk->context);
        return f;
}

static void fifo_free(FakeFifo *f) {
        if (!f)
                return;
        g_source_destroy(f->source);
        g_source_unref(f->source);
        close(f->read_fd);
        close(f->keep_fd);
        g_string_free(f->pending, TRUE);
        g_free(f->path);
        g_free(f);
}

static void type_write_available(FakeType *t) {
        write_uint(t->dir, "available_instances", t->available + (t->parent->fk->overstate_available ? 100 : 0));
}

static void parent_write_ims(FakeKernel *fk, FakeParent *p) {
        g_autofree char *dir = real_path(fk, p->syspath);
        write_uint(dir, "ims_available", p->ims_available);
}

static gint compare_mdevs_by_uuid(gconstpointer a, gconstpointer b) {
        return strcmp((*(FakeMdev *const *) a)->uuid, (*(FakeMdev *const *) b)->uuid);
}

/* The parent's mdevs, in no order. */
static GPtrArray *parent_mdevs_locked(FakeKernel *fk, FakeParent *p) {
        GPtrArray *mine = g_ptr_array_new();
        GHashTableIter it;
        gpointer value;
        g_hash_table_iter_init(&it, fk->mdevs);
        while (g_hash_table_iter_next(&it, NULL, &value))
                if (((FakeMdev *) value)->type->parent == p)
                        g_ptr_array_add(mine, value);
        return mine;
}

/* The parent's "mdevs" as idxd_mdev.ko writes it: a 128-byte line per mdev (here in UUID order). */
static void parent_write_mdevs(FakeKernel *fk, FakeParent *p) {
        g_autoptr(GPtrArray) mine = parent_mdevs_locked(fk, p);
        g_ptr_array_sort(mine, compare_mdevs_by_uuid);

        g_autoptr(GString) text = g_string_new(NULL);
        for (guint i = 0; i < mine->len; i++) {
                FakeMdev *m = mine->pdata[i];
                g_autofree char *fields = g_strdup_printf("%s %s %s %u %d", m->uuid, m->type->id, m->wq,
                                                          m->type->vectors, m->group);
                g_string_append_printf(text, "%-127s\n", fields);
        }
        g_autofree char *dir = real_path(fk, p->syspath);
        g_autofree char *path = g_build_filename(dir, "mdevs", NULL);
        write_file(path, text->str);
}

static FakeType *parent_type(FakeParent *p, const char *id) {
        for (size_t i = 0; i < G_N_ELEMENTS(p->types); i++)
                if (g_str_equal(p->types[i].id, id))
                        return &p->types[i];
        return NULL;
}

/* Makes the mdev's sysfs directory, links and VFIO group node, then adds it (add uevent). */
static void mdev_add_locked(FakeKernel *fk, FakeType *t, const char *uuid) {
        FakeParent *p = t->parent;
        FakeMdev *m = g_new0(FakeMdev, 1);
        m->uuid = g_ascii_strdown(uuid, -1);
        m->syspath = g_build_filename(p->syspath, m->uuid, NULL);
        m->type = t;
        m->group = fk->next_group++;

        g_autofree char *dir = real_path(fk, m->syspath);
        g_autofree char *group_name = g_strdup_printf("%d", m->group);
        g_autofree char *group_dir = g_build_filename(fk->root, "sys/kernel/iommu_groups", group_name, "devices", NULL);
        g_autofree char *vfio_dir = g_build_filename(fk->root, "dev/vfio", NULL);
        g_autofree char *vfio_node = g_build_filename(vfio_dir, group_name, NULL);
        make_dir(group_dir);
        make_dir(vfio_dir);
        write_file(vfio_node, "");

        /* Children before the uevent: the daemon reads them when the add arrives. */
        make_dir(dir);
        g_autofree char *type_link_target = g_build_filename("..", "mdev_supported_types", t->id, NULL);
        g_autofree char *type_link = g_build_filename(dir, "mdev_type", NULL);
        make_link(type_link_target, type_link);
        g_autofree char *group_below_sys = g_build_filename("kernel/iommu_groups", group_name, NULL);
        g_autofree char *group_target = sys_relative(m->syspath, group_below_sys);
        g_autofree char *group_link = g_build_filename(dir, "iommu_group", NULL);
        make_link(group_target, group_link);
        g_autofree char *dev_in_group = g_build_filename(group_dir, m->uuid, NULL);
        g_autofree char *group_dev_target = g_build_filename("../../../..", m->syspath + strlen("/sys/"), NULL);
        make_link(group_dev_target, dev_in_group);
        g_autofree char *listed = g_build_filename(t->dir, "devices", m->uuid, NULL);
        g_autofree char *listed_target = g_build_filename("../../..", m->uuid, NULL);
        make_link(listed_target, listed);
        g_autofree char *remove_path = g_build_filename(dir, "remove", NULL);
        m->remove = fifo_new(fk, remove_path, FIFO_REMOVE, m);

        g_autofree char *vectors = g_strdup_printf("%u", t->vectors);
        m->wq = t == &p->types[0] ?
                g_strdup_printf("wq%u.%u", p->index, ++p->next_wq) :
                g_strdup_printf("wq%u.0", p->index);
        g_hash_table_insert(fk->mdevs, m->uuid, m);
        g_autofree char *added = umockdev_testbed_add_device(fk->testbed, "mdev", m->uuid, p->syspath,
                                                              "ims_vectors", vectors, "wq", m->wq, NULL,
                                                              "MDEV_TYPE", t->id, NULL);
        if (!added)
                g_error("fake kernel: umockdev could not add mdev %s", m->uuid);
        parent_write_mdevs(fk, p);
        if (fk->double_adds)
                umockdev_testbed_uevent(fk->testbed, m->syspath, "add");
}

/* Tears the mdev down (remove uevent); gives its capacity back unless the parent goes too. */
static void mdev_remove_locked(FakeKernel *fk, FakeMdev *m, gboolean give_back) {
        FakeType *t = m->type;
        FakeParent *p = t->parent;

        g_hash_table_steal(fk->mdevs, m->uuid);
        fifo_free(m->remove);
        g_autofree char *listed = g_build_filename(t->dir, "devices", m->uuid, NULL);
        (void) g_unlink(listed);
        g_autofree char *group_name = g_strdup_printf("%d", m->group);
        g_autofree char *group_devs = g_build_filename(fk->root, "sys/kernel/iommu_groups", group_name, "devices", NULL);
        g_autofree char *dev_in_group = g_build_filename(group_devs, m->uuid, NULL);
        (void) g_unlink(dev_in_group);
        (void) g_rmdir(group_devs);
        g_autofree char *group_dir = g_path_get_dirname(group_devs);
        (void) g_rmdir(group_dir);
        g_autofree char *vfio_node = g_build_filename(fk->root, "dev/vfio", group_name, NULL);
        (void) g_unlink(vfio_node);

        /* Resources are free before the remove uevent, as after the driver's remove callback. */
        if (give_back) {
                t->available++;
                p->ims_available += t->vectors;
                type_write_available(t);
                parent_write_ims(fk, p);
        }
        parent_write_mdevs(fk, p);
        testbed_remove_device(fk, m->syspath);

        g_free(m->uuid);
        g_free(m->syspath);
        g_free(m->wq);
        g_free(m);
}

static void handle_create_locked(FakeKernel *fk, FakeType *t, const char *uuid_any_case) {
        g_autofree char *uuid = g_ascii_strdown(uuid_any_case, -1);
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(fk->create_writes, uuid));
        g_hash_table_insert(fk->create_writes, g_strdup(uuid), GUINT_TO_POINTER(n + 1));

        if (fk->ignore_creates)
                return;
        if (g_hash_table_contains(fk->mdevs, uuid)) {
                g_message("fake kernel: create %s on %s: exists (EEXIST)", uuid, t->parent->name);
                return;
        }
        /* The real write fails with ENOSPC here; the daemon is expected to check first. */
        if (t->available == 0 || t->parent->ims_available < t->vectors) {
                fk->refused++;
                g_message("fake kernel: create %s on %s/%s: no capacity (ENOSPC)", uuid, t->parent->name, t->id);
                return;
        }
        t->available--;
        t->parent->ims_available -= t->vectors;
        type_write_available(t);
        parent_write_ims(fk, t->parent);
        mdev_add_locked(fk, t, uuid);
}

/* Handles the complete UUIDs in a create FIFO's buffer; a partial one waits for more bytes. */
static void create_consume_locked(FakeFifo *f) {
        FakeType *t = f->owner;
        GString *b = f->pending;
        gsize i = 0;

        for (;;) {
                while (i < b->len && (g_ascii_isspace(b->str[i]) || b->str[i] == '\0'))
                        i++;
                if (b->len - i < UUID_LEN)
                        break;
                char token[UUID_LEN + 1];
                memcpy(token, b->str + i, UUID_LEN);
                token[UUID_LEN] = '\0';
                if (uuid_valid(token)) {
                        handle_create_locked(f->fk, t, token);
                        i += UUID_LEN;
                } else {
                        /* The kernel answers EINVAL; drop up to the next separator. */
                        g_message("fake kernel: create on %s/%s: malformed UUID write", t->parent->name, t->id);
                        while (i < b->len && !g_ascii_isspace(b->str[i]))
                                i++;
                }
        }
        g_string_erase(b, 0, i);
}

static gboolean fifo_readable(int fd, GIOCondition condition, gpointer user_data) {
        FakeFifo *f = user_data;
        FakeKernel *fk = f->fk;
        char buf[4096];

        g_mutex_lock(&fk->lock);
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n <= 0)
                        break;
                g_string_append_len(f->pending, buf, n);
        }
        if (f->kind == FIFO_CREATE)
                create_consume_locked(f);
        else {
                /* kstrtobool: "1", "y", "Y" remove; anything else is ignored. */
                const char *s = f->pending->str;
                while (g_ascii_isspace(*s))
                        s++;
                gboolean remove = *s == '1' || *s == 'y' || *s == 'Y';
                g_string_truncate(f->pending, 0);
                if (remove && !fk->ignore_removes)
                        mdev_remove_locked(fk, f->owner, TRUE);       /* frees f */
        }
        g_mutex_unlock(&fk->lock);
        return G_SOURCE_CONTINUE;
}

static gpointer kernel_thread(gpointer user_data) {
        FakeKernel *fk = user_data;
        g_main_context_push_thread_default(fk->context);
        g_main_loop_run(fk->loop);
        g_main_context_pop_thread_default(fk->context);
        return NULL;
}

FakeKernel *fake_kernel_new(UMockdevTestbed *testbed) {
        FakeKernel *fk = g_new0(FakeKernel, 1);
        fk->testbed = g_object_ref(testbed);
        fk->root = umockdev_testbed_get_root_dir(testbed);
        g_mutex_init(&fk->lock);
        fk->context = g_main_context_new();
        fk->loop = g_main_loop_new(fk->context, FALSE);
        fk->parents = g_hash_table_new(g_str_hash, g_str_equal);
        fk->mdevs = g_hash_table_new(g_str_hash, g_str_equal);
        fk->create_writes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        fk->next_group = FIRST_IOMMU_GROUP;

        g_auto(GStrv) breaks = g_strsplit(g_getenv("IDXD_TEST_BREAK") ?: "", ",", -1);
        fk->ignore_creates = g_strv_contains((const char *const *) breaks, "ignore-creates");
        fk->ignore_removes = g_strv_contains((const char *const *) breaks, "ignore-removes");
        fk->silent_removes = g_strv_contains((const char *const *) breaks, "silent-removes");
        fk->overstate_available = g_strv_contains((const char *const *) breaks, "overstate-available");
        fk->double_adds = g_strv_contains((const char *const *) breaks, "double-adds");

        g_autofree char *drivers = g_build_filename(fk->root, "sys/bus/platform/drivers/idxd_mdev", NULL);
        make_dir(drivers);
        fk->thread = g_thread_new("fake-kernel", kernel_thread, fk);
        return fk;
}

static void parent_free_locked(FakeKernel *fk, FakeParent *p) {
        for (size_t i = 0; i < G_N_ELEMENTS(p->types); i++) {
                fifo_free(p->types[i].create);
                g_free(p->types[i].dir);
        }
        g_free(p->name);
        g_free(p->syspath);
        g_free(p);
}

void fake_kernel_free(FakeKernel *fk) {
        if (!fk)
                return;
        g_main_loop_quit(fk->loop);
        g_thread_join(fk->thread);

        /* Leaves the testbed as it is; only our own fds and memory go. */
        GHashTableIter it;
        gpointer value;
        g_hash_table_iter_init(&it, fk->mdevs);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                FakeMdev *m = value;
                fifo_free(m->remove);
                g_free(m->uuid);
                g_free(m->syspath);
                g_free(m->wq);
                g_free(m);
        }
        g_hash_table_iter_init(&it, fk->parents);
        while (g_hash_table_iter_next(&it, NULL, &value))
                parent_free_locked(fk, value);
        g_hash_table_unref(fk->mdevs);
        g_hash_table_unref(fk->parents);
        g_hash_table_unref(fk->create_writes);
        g_main_loop_unref(fk->loop);
        g_main_context_unref(fk->context);
        g_mutex_clear(&fk->lock);
        g_free(fk->root);
        g_object_unref(fk->testbed);
        g_free(fk);
}

/* A parent on bus "platform" (the software DSA) or "pci" (a DSA device, PCI address as its name). */
static void add_parent(FakeKernel *fk, const char *bus, const char *name, guint instances) {
        gboolean pci = g_str_equal(bus, "pci");
        g_autofree char *below_devices = pci ? g_build_filename("pci0000:00", name, NULL) :
                g_build_filename("platform", name, NULL);

        g_mutex_lock(&fk->lock);
        g_assert_false(g_hash_table_contains(fk->parents, name));

        FakeParent *p = g_new0(FakeParent, 1);
        p->fk = fk;
        p->name = g_strdup(name);
        p->syspath = g_build_filename("/sys/devices", below_devices, NULL);
        const char *dot = strrchr(name, '.');
        p->index = dot ? (guint) g_ascii_strtoull(dot + 1, NULL, 10) : 0;
        p->ims_size = 4096;
        p->ims_available = 4096;

        g_autofree char *dir = real_path(fk, p->syspath);
        for (size_t i = 0; i < G_N_ELEMENTS(p->types); i++) {
                FakeType *t = &p->types[i];
                t->parent = p;
                t->id = type_table[i].id;
                t->vectors = type_table[i].vectors;
                t->available = instances;
                t->dir = g_build_filename(dir, "mdev_supported_types", t->id, NULL);
                g_autofree char *devices = g_build_filename(t->dir, "devices", NULL);
                make_dir(devices);
                g_autofree char *name_path = g_build_filename(t->dir, "name", NULL);
                g_autofree char *name_text = g_strdup_printf("%s\n", type_table[i].name);
                write_file(name_path, name_text);
                g_autofree char *desc_path = g_build_filename(t->dir, "description", NULL);
                g_autofree char *desc_text = g_strdup_printf("%s\n", type_table[i].description);
                write_file(desc_path, desc_text);
                g_autofree char *api_path = g_build_filename(t->dir, "device_api", NULL);
                write_file(api_path, "vfio-pci\n");
                type_write_available(t);
                g_autofree char *create_path = g_build_filename(t->dir, "create", NULL);
                t->create = fifo_new(fk, create_path, FIFO_CREATE, t);
        }
        g_autofree char *driver_link = g_build_filename(dir, "driver", NULL);
        g_autofree char *driver_dir = g_strdup_printf("bus/%s/drivers/idxd_mdev", bus);
        g_autofree char *driver_real = g_build_filename(fk->root, "sys", driver_dir, NULL);
        g_autofree char *driver_target = sys_relative(p->syspath, driver_dir);
        make_dir(driver_real);
        make_link(driver_target, driver_link);
        /* The mdev core links each parent it registers into its class. */
        g_autofree char *class_link = class_link_path(fk, name);
        if (!fk->no_mdev_bus_class) {
                g_autofree char *class_dir = g_path_get_dirname(class_link);
                g_autofree char *below_sys = g_build_filename("devices", below_devices, NULL);
                g_autofree char *target = sys_relative("/sys/class/mdev_bus", below_sys);
                make_dir(class_dir);
                make_link(target, class_link);
        }

        g_autofree char *ims_size = g_strdup_printf("%u", p->ims_size);
        g_autofree char *ims_available = g_strdup_printf("%u", p->ims_available);
        g_hash_table_insert(fk->parents, p->name, p);
        g_autofree char *added = pci ?
                /* What libvirt's node-device driver reads of a PCI device: class, IDs, NUMA node. */
                umockdev_testbed_add_device(fk->testbed, "pci", below_devices, NULL,
                                            "vendor", "0x8086", "device", "0x0b25", "class", "0x088000",
                                            "subsystem_vendor", "0x8086", "subsystem_device", "0x0000",
                                            "ims_size", ims_size, "ims_available", ims_available,
                                            "numa_node", "0", NULL,
                                            "DRIVER", "idxd_mdev", "PCI_CLASS", "88000", "PCI_ID", "8086:0B25",
                                            "PCI_SUBSYS_ID", "8086:0000", "PCI_SLOT_NAME", name,
                                            "MODALIAS", "pci:v00008086d00000B25sv00008086sd00000000bc08sc80i00",
                                            NULL) :
                umockdev_testbed_add_device(fk->testbed, "platform", below_devices, NULL,
                                            "ims_size", ims_size,
                                            "ims_available", ims_available,
                                            "numa_node", "0", NULL,
                                            "DRIVER", "idxd_mdev",
                                            "MODALIAS", "platform:idxd_sim", NULL);
        if (!added)
                g_error("fake kernel: umockdev could not add parent %s", name);
        parent_write_mdevs(fk, p);
        if (pci) {
                /* The start of a type-0 config space: vendor 8086, device 0b25 (DSA), class 088000. */
                static const guint8 config[64] = { 0x86, 0x80, 0x25, 0x0b, [0x09] = 0x00, 0x80, 0x08 };

                umockdev_testbed_set_attribute_binary(fk->testbed, added, "config", (guint8 *) config, sizeof(config));
        }
        g_mutex_unlock(&fk->lock);
}

void fake_kernel_add_parent(FakeKernel *fk, const char *name, guint instances) {
        add_parent(fk, "platform", name, instances);
}

void fake_kernel_add_pci_parent(FakeKernel *fk, const char *address, guint instances) {
        add_parent(fk, "pci", address, instances);
}

void fake_kernel_remove_parent(FakeKernel *fk, const char *name) {
        g_mutex_lock(&fk->lock);
        FakeParent *p = g_hash_table_lookup(fk->parents, name);
        g_assert_nonnull(p);

        GPtrArray *doomed = parent_mdevs_locked(fk, p);
        for (guint i = 0; i < doomed->len; i++)
                mdev_remove_locked(fk, doomed->pdata[i], FALSE);
        g_ptr_array_free(doomed, TRUE);

        for (size_t i = 0; i < G_N_ELEMENTS(p->types); i++) {
                fifo_free(p->types[i].create);
                p->types[i].create = NULL;
        }
        g_hash_table_remove(fk->parents, name);
        g_autofree char *class_link = class_link_path(fk, name);
        (void) unlink(class_link);
        testbed_remove_device(fk, p->syspath);
        parent_free_locked(fk, p);
        g_mutex_unlock(&fk->lock);
}

void fake_kernel_set_mdev_bus_class(FakeKernel *fk, gboolean on) {
        g_mutex_lock(&fk->lock);
        fk->no_mdev_bus_class = !on;
        g_mutex_unlock(&fk->lock);
}

void fake_kernel_write_parent_attr(FakeKernel *fk, const char *parent, const char *attr, const char *text) {
        g_mutex_lock(&fk->lock);
        FakeParent *p = g_hash_table_lookup(fk->parents, parent);
        g_assert_nonnull(p);
        g_autofree char *dir = real_path(fk, p->syspath);
        g_autofree char *path = g_build_filename(dir, attr, NULL);
        write_file(path, text);
        g_mutex_unlock(&fk->lock);
}

void fake_kernel_set_available(FakeKernel *fk, const char *parent, const char *type, guint n) {
        g_mutex_lock(&fk->lock);
        FakeParent *p = g_hash_table_lookup(fk->parents, parent);
        g_assert_nonnull(p);
        FakeType *t = parent_type(p, type);
        g_assert_nonnull(t);
        t->available = n;
        type_write_available(t);
        g_mutex_unlock(&fk->lock);
}

guint fake_kernel_get_available(FakeKernel *fk, const char *parent, const char *type) {
        g_mutex_lock(&fk->lock);
        FakeParent *p = g_hash_table_lookup(fk->parents, parent);
        g_assert_nonnull(p);
        FakeType *t = parent_type(p, type);
        g_assert_nonnull(t);
        guint n = t->available;
        g_mutex_unlock(&fk->lock);
        return n;
}

void fake_kernel_add_mdev(FakeKernel *fk, const char *parent, const char *type, const char *uuid) {
        g_mutex_lock(&fk->lock);
        FakeParent *p = g_hash_table_lookup(fk->parents, parent);
        g_assert_nonnull(p);
        FakeType *t = parent_type(p, type);
        g_assert_nonnull(t);
        g_assert_cmpuint(t->available, >, 0);
        t->available--;
        p->ims_available -= t->vectors;
        type_write_available(t);
        parent_write_ims(fk, p);
        mdev_add_locked(fk, t, uuid);
        g_mutex_unlock(&fk->lock);
}

void fake_kernel_resend_uevent(FakeKernel *fk, const char *uuid, const char *action) {
        g_mutex_lock(&fk->lock);
        FakeMdev *m = g_hash_table_lookup(fk->mdevs, uuid);
        g_assert_nonnull(m);
        umockdev_testbed_uevent(fk->testbed, m->syspath, action);
        g_mutex_unlock(&fk->lock);
}

gboolean fake_kernel_has_mdev(FakeKernel *fk, const char *uuid) {
        g_autofree char *lower = g_ascii_strdown(uuid, -1);
        g_autofree char *link = g_build_filename(fk->root, "sys/bus/mdev/devices", lower, NULL);
        g_mutex_lock(&fk->lock);
        gboolean known = g_hash_table_contains(fk->mdevs, lower);
        gboolean in_sysfs = g_file_test(link, G_FILE_TEST_IS_DIR);
        g_mutex_unlock(&fk->lock);
        g_assert_true(known == in_sysfs);
        return in_sysfs;
}

guint fake_kernel_count_mdevs(FakeKernel *fk, const char *parent) {
        guint n = 0;
        GHashTableIter it;
        gpointer value;
        g_mutex_lock(&fk->lock);
        g_hash_table_iter_init(&it, fk->mdevs);
        while (g_hash_table_iter_next(&it, NULL, &value))
                if (!parent || g_str_equal(((FakeMdev *) value)->type->parent->name, parent))
                        n++;
        g_mutex_unlock(&fk->lock);
        return n;
}

guint fake_kernel_count_sysfs_mdevs(FakeKernel *fk) {
        g_autofree char *path = g_build_filename(fk->root, "sys/bus/mdev/devices", NULL);
        guint n = 0;
        g_mutex_lock(&fk->lock);
        GDir *dir = g_dir_open(path, 0, NULL);
        if (dir) {
                while (g_dir_read_name(dir))
                        n++;
                g_dir_close(dir);
        }
        g_mutex_unlock(&fk->lock);
        return n;
}

guint fake_kernel_create_writes(FakeKernel *fk, const char *uuid) {
        g_autofree char *lower = g_ascii_strdown(uuid, -1);
        g_mutex_lock(&fk->lock);
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(fk->create_writes, lower));
        g_mutex_unlock(&fk->lock);
        return n;
}

guint fake_kernel_refused_creates(FakeKernel *fk) {
        g_mutex_lock(&fk->lock);
        guint n = fk->refused;
        g_mutex_unlock(&fk->lock);
        return n;
}

char *fake_kernel_vfio_group_node(FakeKernel *fk, const char *uuid) {
        g_autofree char *lower = g_ascii_strdown(uuid, -1);
        char *path = NULL;
        g_mutex_lock(&fk->lock);
        FakeMdev *m = g_hash_table_lookup(fk->mdevs, lower);
        if (m) {
                g_autofree char *group_name = g_strdup_printf("%d", m->group);
                path = g_build_filename(fk->root, "dev/vfio", group_name, NULL);
        }
        g_mutex_unlock(&fk->lock);
        return path;
}

static gboolean fifo_drained(FakeFifo *f) {
        int n = 0;
        return !f || (ioctl(f->read_fd, FIONREAD, &n) == 0 && n == 0);
}

void fake_kernel_sync(FakeKernel *fk) {
        gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
        for (;;) {
                gboolean drained = TRUE;
                GHashTableIter it;
                gpointer value;
                /* The worker reads and acts under the lock: empty FIFOs here mean all is done. */
                g_mutex_lock(&fk->lock);
                g_hash_table_iter_init(&it, fk->parents);
                while (drained && g_hash_table_iter_next(&it, NULL, &value)) {
                        FakeParent *p = value;
                        for (size_t i = 0; i < G_N_ELEMENTS(p->types); i++)
                                drained = drained && fifo_drained(p->types[i].create);
                }
                g_hash_table_iter_init(&it, fk->mdevs);
                while (drained && g_hash_table_iter_next(&it, NULL, &value))
                        drained = fifo_drained(((FakeMdev *) value)->remove);
                g_mutex_unlock(&fk->lock);
                if (drained)
                        return;
                if (g_get_monotonic_time() > deadline)
                        g_error("fake kernel: writes to create/remove not handled within 10 s");
                g_usleep(1000);
        }
}

void fake_kernel_set_ignore_creates(FakeKernel *fk, gboolean ignore) {
        g_mutex_lock(&fk->lock);
        fk->ignore_creates = ignore;
        g_mutex_unlock(&fk->lock);
}

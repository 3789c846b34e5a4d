/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parents and mdevs from libudev, except that the enumeration reads parents
 * from the mdev_bus class and mdevs from the mdev bus directory. The monitor
 * is enabled before the first enumeration so nothing that happens in between
 * is missed; a uevent for a device already seen is a harmless refresh.
 */
#include <errno.h>
#include <libudev.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "discovery.h"
#include "log.h"
#include "macro.h"
#include "parent-mdevs.h"
#include "sysfs.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);

/* Room for a storm of uevents while the loop is busy. */
#define MONITOR_RECEIVE_BUFFER (128 * 1024 * 1024)

static bool has_mdev_supported_types(const char *syspath) {
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (sysfs_attr_path(syspath, "mdev_supported_types", &path) < 0)
                return false;
        return stat(path, &st) >= 0 && S_ISDIR(st.st_mode);
}

/* Optional attribute: absent or unreadable leaves *ret unset and returns false. */
static bool read_optional_unsigned(const char *syspath, const char *attr, unsigned *ret) {
        _cleanup_free_ char *path = NULL;

        return sysfs_attr_path(syspath, attr, &path) >= 0 && sysfs_read_unsigned(path, ret) >= 0;
}

/* <syspath>/<attr> read with reader (an attribute's text, a link's last element), or NULL. */
static char *read_optional(const char *syspath, const char *attr, int (*reader)(const char *path, char **ret)) {
        _cleanup_free_ char *path = NULL;
        char *s = NULL;

        if (sysfs_attr_path(syspath, attr, &path) < 0 || reader(path, &s) < 0)
                return NULL;
        return s;
}

typedef struct TypeBuffer {
        MdevTypeInfo *infos;
        char **ids;
        char **strings;         /* name, description, device_api per type */
        size_t n;
} TypeBuffer;

static void type_buffer_done(TypeBuffer *b) {
        for (size_t i = 0; i < b->n * 3; i++)
                free(b->strings[i]);
        free(b->strings);
        free(b->infos);
        strv_free(b->ids);
}

static int read_types(const char *parent_syspath, TypeBuffer *b) {
        _cleanup_free_ char *dir = NULL;
        size_t n;
        int r;

        r = sysfs_attr_path(parent_syspath, "mdev_supported_types", &dir);
        if (r < 0)
                return r;
        r = sysfs_list_subdirs(dir, &b->ids, &n);
        if (r < 0)
                return r;

        b->infos = calloc(n ? n : 1, sizeof(MdevTypeInfo));
        b->strings = calloc(n ? n * 3 : 1, sizeof(char *));
        if (!b->infos || !b->strings)
                return -ENOMEM;
        b->n = n;

        for (size_t i = 0; i < n; i++) {
                static const char *const attrs[3] = { "name", "description", "device_api" };
                MdevTypeInfo *t = &b->infos[i];
                _cleanup_free_ char *path = NULL;

                t->id = b->ids[i];
                for (size_t k = 0; k < 3; k++) {
                        _cleanup_free_ char *attr_path = NULL;

                        if (sysfs_type_path(parent_syspath, t->id, attrs[k], &attr_path) >= 0)
                                (void) sysfs_read_string(attr_path, &b->strings[i * 3 + k]);
                }
                t->name = b->strings[i * 3];
                t->description = b->strings[i * 3 + 1];
                t->device_api = b->strings[i * 3 + 2];

                if (sysfs_type_path(parent_syspath, t->id, "available_instances", &path) >= 0)
                        (void) sysfs_read_unsigned(path, &t->available_instances);
        }
        return 0;
}

static const char *syspath_name(const char *syspath) {
        const char *slash = strrchr(syspath, '/');
        return slash ? slash + 1 : syspath;
}

int discovery_refresh_parent(Discovery *d, const char *syspath) {
        _cleanup_(type_buffer_done) TypeBuffer types = {};
        _cleanup_free_ char *driver = NULL, *driver_link = NULL, *numa_path = NULL;
        ParentInfo info = {
                .name = syspath_name(syspath),
                .syspath = syspath,
                .numa_node = -1,
        };
        int r;

        r = read_types(syspath, &types);
        if (r < 0)
                return r;
        info.types = types.infos;
        info.n_types = types.n;

        if (sysfs_attr_path(syspath, "driver", &driver_link) >= 0)
                (void) sysfs_read_link_name(driver_link, &driver);
        info.driver = driver;
        if (sysfs_attr_path(syspath, "numa_node", &numa_path) >= 0)
                (void) sysfs_read_int(numa_path, &info.numa_node);
        info.has_ims = read_optional_unsigned(syspath, "ims_size", &info.ims_size);
        (void) read_optional_unsigned(syspath, "ims_available", &info.ims_available);

        return model_parent_update(d->model, &info);
}

int discovery_refresh_available(Parent *p) {
        int r = 0;

        for (size_t i = 0; i < p->n_types; i++) {
                _cleanup_free_ char *path = NULL;
                unsigned n;

                r = sysfs_type_path(p->syspath, p->types[i].id, "available_instances", &path);
                if (r >= 0)
                        r = sysfs_read_unsigned(path, &n);
                if (r >= 0)
                        p->types[i].available_instances = n;
        }
        return r;
}

/* Creating or removing an mdev changes its parent's available instances. */
static void refresh_parent_of(Discovery *d, const char *parent) {
        Parent *p;

        if (d->enumerating || !parent)
                return;
        p = model_find_parent(d->model, parent);
        if (p)
                (void) discovery_refresh_parent(d, p->syspath);
}

static int put_mdev(Discovery *d, const MdevUevent *u) {
        _cleanup_free_ char *parent = NULL;
        MdevInfo info;
        int r;

        r = mdev_info_from_uevent(u, &info, &parent);
        if (r < 0)
                return r;
        r = model_mdev_update(d->model, &info);
        if (r > 0)
                refresh_parent_of(d, parent);
        return r;
}

/*
 * Reads an mdev into the model. Its type is the mdev_type link, else
 * type_property, else (ask_udev) the MDEV_TYPE udev keeps: a udev_device is
 * built only for an mdev without the link, never for each of 10,000.
 */
static int read_mdev(Discovery *d, const char *syspath, const char *type_property, bool ask_udev) {
        _cleanup_(udev_device_unrefp) struct udev_device *dev = NULL;
        _cleanup_free_ char *type_link = NULL, *group_link = NULL, *ims = NULL, *wq = NULL;
        MdevUevent u = { .syspath = syspath, .mdev_type_property = type_property };

        type_link = read_optional(syspath, "mdev_type", sysfs_read_link_name);
        if (!type_link && !type_property && ask_udev) {
                dev = udev_device_new_from_syspath(d->udev, syspath);
                if (dev)
                        u.mdev_type_property = udev_device_get_property_value(dev, "MDEV_TYPE");
        }
        group_link = read_optional(syspath, "iommu_group", sysfs_read_link_name);
        ims = read_optional(syspath, "ims_vectors", sysfs_read_string);
        wq = read_optional(syspath, "wq", sysfs_read_string);

        u.mdev_type_link = type_link;
        u.iommu_group_link = group_link;
        u.ims_vectors = ims;
        u.wq = wq;
        return put_mdev(d, &u);
}

int discovery_read_mdev(Discovery *d, const char *syspath, const char *type_property) {
        return read_mdev(d, syspath, type_property, false);
}

int discovery_mdev_gone(Discovery *d, const IdxdUuid *uuid) {
        _cleanup_free_ char *parent = NULL;
        Mdev *mdev;
        int r;

        mdev = model_find_mdev(d->model, uuid);
        if (!mdev)
                return 0;
        if (mdev->parent) {
                parent = strdup(mdev->parent);
                if (!parent)
                        return -ENOMEM;
        }
        r = model_mdev_remove(d->model, uuid);
        if (r > 0)
                refresh_parent_of(d, parent);
        return r;
}

static int handle_mdev(Discovery *d, struct udev_device *dev, const char *action) {
        const char *syspath = udev_device_get_syspath(dev);
        IdxdUuid uuid;

        if (!syspath)
                return -EINVAL;

        if (action && strcmp(action, "remove") == 0) {
                if (idxd_uuid_parse(syspath_name(syspath), &uuid) < 0)
                        return -EINVAL;
                return discovery_mdev_gone(d, &uuid);
        }
        return discovery_read_mdev(d, syspath, udev_device_get_property_value(dev, "MDEV_TYPE"));
}

static int handle_other(Discovery *d, struct udev_device *dev, const char *action) {
        const char *syspath = udev_device_get_syspath(dev);

        if (!syspath)
                return -EINVAL;

        /* remove, or unbind/change after which the parent no longer offers types. */
        if ((action && strcmp(action, "remove") == 0) || !has_mdev_supported_types(syspath))
                return model_parent_remove(d->model, syspath);

        return discovery_refresh_parent(d, syspath);
}

static int handle_device(Discovery *d, struct udev_device *dev, const char *action) {
        const char *subsystem = udev_device_get_subsystem(dev);
        int r;

        if (subsystem && strcmp(subsystem, "mdev") == 0)
                r = handle_mdev(d, dev, action);
        else
                r = handle_other(d, dev, action);
        if (r < 0)
                log_warning_errno(r, "Failed to process %s event for %s", strempty(action),
                                  strempty(udev_device_get_syspath(dev)));
        return r;
}

static int on_monitor_event(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Discovery *d = userdata;
        bool overflow = false;

        for (;;) {
                _cleanup_(udev_device_unrefp) struct udev_device *dev = NULL;

                errno = 0;
                dev = udev_monitor_receive_device(d->monitor);
                if (!dev) {
                        if (errno == ENOBUFS) {
                                overflow = true;
                                continue;
                        }
                        break;
                }
                (void) handle_device(d, dev, udev_device_get_action(dev));
        }

        /* The socket overflowed and uevents were dropped: sysfs itself is the truth. */
        if (overflow) {
                log_warning("uevents were lost (receive buffer overflow); re-reading sysfs");
                (void) discovery_enumerate(d);
        }
        return 0;
}

int discovery_new(sd_event *event, Model *model, Discovery **ret) {
        Discovery *d;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->event = sd_event_ref(event);
        d->model = model;
        d->udev = udev_new();
        if (!d->udev) {
                int r = negative_errno();

                discovery_free(d);
                return r;
        }
        *ret = d;
        return 0;
}

Discovery *discovery_free(Discovery *d) {
        if (!d)
                return NULL;
        sd_event_source_disable_unref(d->monitor_source);
        udev_monitor_unref(d->monitor);
        udev_unref(d->udev);
        sd_event_unref(d->event);
        free(d);
        return NULL;
}

int discovery_start_monitor(Discovery *d) {
        int r;

        d->monitor = udev_monitor_new_from_netlink(d->udev, "udev");
        if (!d->monitor)
                return negative_errno();

        /* Beyond net.core.rmem_max this needs CAP_NET_ADMIN; without it an overflow costs a re-enumeration. */
        r = udev_monitor_set_receive_buffer_size(d->monitor, MONITOR_RECEIVE_BUFFER);
        if (r < 0)
                log_notice("Cannot enlarge the uevent receive buffer (%s); a uevent storm may cost a re-enumeration",
                           strerror(-r));

        r = udev_monitor_enable_receiving(d->monitor);
        if (r < 0)
                return r;

        return sd_event_add_io(d->event, &d->monitor_source, udev_monitor_get_fd(d->monitor),
                               EPOLLIN, on_monitor_event, d);
}

/* line: what the parent's "mdevs" attribute says of the device, or NULL (read its files). */
typedef int (*LinkedDeviceFunc)(Discovery *d, const char *syspath, const ParentMdevLine *line);

/*
 * The device directories under the model's parents, by name: an mdev's bus
 * link need not be read; and, for a parent with an "mdevs" attribute
 * (idxd_mdev.ko), its line of each: the mdev's own files need not be read.
 */
typedef struct ChildDirs {
        struct ParentListing {
                char **names;           /* sysfs_list() of the parent */
                char *table;            /* its "mdevs", split in place */
                ParentMdevLine *lines;
                size_t n_lines;
        } *listings;
        size_t n_listings;
        struct ChildDir {
                const char *name;
                const char *parent_syspath;
                const ParentMdevLine *line;
        } *items;               /* sorted by name */
        size_t n;
} ChildDirs;

static void child_dirs_done(ChildDirs *c) {
        for (size_t i = 0; i < c->n_listings; i++) {
                strv_free(c->listings[i].names);
                free(c->listings[i].table);
                free(c->listings[i].lines);
        }
        free(c->listings);
        free(c->items);
}

/* A parent without the attribute, or with one that cannot be read, has its mdevs' files read instead. */
static void read_parent_mdevs(const char *parent_syspath, struct ParentListing *l) {
        _cleanup_free_ char *path = NULL;

        if (sysfs_attr_path(parent_syspath, "mdevs", &path) < 0 || sysfs_read_file(path, &l->table) < 0)
                return;
        if (parent_mdevs_parse(l->table, &l->lines, &l->n_lines) < 0)
                l->n_lines = 0;
}

static int compare_child_dirs(const void *a, const void *b) {
        return strcmp(((const struct ChildDir *) a)->name, ((const struct ChildDir *) b)->name);
}

/*
 * A parent that cannot be listed costs its mdevs a readlink() each, nothing
 * else. The attribute is read before the directory: an mdev made in between
 * has no line and is read from its files; a line of an mdev removed since
 * has no directory and is not used.
 */
static int child_dirs_read(const Model *m, ChildDirs *c) {
        c->listings = calloc(m->n_parents ? m->n_parents : 1, sizeof(*c->listings));
        if (!c->listings)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_parents; i++) {
                const char *parent_syspath = m->parents[i]->syspath;
                struct ParentListing *l = &c->listings[c->n_listings];
                struct ChildDir *items;
                size_t n;

                read_parent_mdevs(parent_syspath, l);
                if (sysfs_list(parent_syspath, SYSFS_LIST_OWN_SUBDIRS, &l->names, &n) < 0) {
                        free(TAKE_PTR(l->table));
                        free(TAKE_PTR(l->lines));
                        continue;
                }
                c->n_listings++;
                items = reallocarray(c->items, c->n + n + 1, sizeof(*items));
                if (!items)
                        return -ENOMEM;
                c->items = items;
                for (size_t k = 0; k < n; k++)
                        c->items[c->n++] = (struct ChildDir) {
                                .name = l->names[k],
                                .parent_syspath = parent_syspath,
                                .line = parent_mdevs_find(l->lines, l->n_lines, l->names[k]),
                        };
        }
        if (c->n > 0)
                qsort(c->items, c->n, sizeof(*c->items), compare_child_dirs);
        return 0;
}

static const struct ChildDir *child_dirs_find(const ChildDirs *c, const char *name) {
        const struct ChildDir key = { .name = name };

        if (!c || c->n == 0)
                return NULL;
        return bsearch(&key, c->items, c->n, sizeof(*c->items), compare_child_dirs);
}

/*
 * Calls func with the syspath behind each link in a sysfs directory, in the
 * order of the names (UUID order for mdevs: the model appends). A link named
 * like a directory under a parent in children is that directory: mdev names
 * are unique on the bus, and sysfs puts an mdev under its parent. -ENOENT when
 * the directory does not exist.
 */
static int for_each_linked_device(Discovery *d, const char *path, const ChildDirs *children, LinkedDeviceFunc func) {
        _cleanup_(strv_freep) char **names = NULL;
        int r;

        r = sysfs_list(path, SYSFS_LIST_ALL, &names, NULL);
        if (r < 0)
                return r;

        for (char **name = names; *name; name++) {
                _cleanup_free_ char *link = NULL, *target = NULL, *syspath = NULL;
                const struct ChildDir *child = child_dirs_find(children, *name);

                if (child) {
                        if (sysfs_attr_path(child->parent_syspath, *name, &syspath) < 0)
                                return -ENOMEM;
                        (void) func(d, syspath, child->line);
                        continue;
                }
                if (sysfs_attr_path(path, *name, &link) < 0)
                        return -ENOMEM;
                /* One readlink(); realpath() would make one per path element (nine here). */
                r = sysfs_read_link(link, &target);
                if (r == -EINVAL)       /* a directory, not a link */
                        syspath = TAKE_PTR(link);
                else if (r < 0)
                        continue;       /* gone since the listing */
                else if (sysfs_resolve_link(path, target, &syspath) < 0)
                        return -ENOMEM;
                (void) func(d, syspath, NULL);
        }
        return 0;
}

static int read_listed_parent(Discovery *d, const char *syspath, const ParentMdevLine *line) {
        _cleanup_(udev_device_unrefp) struct udev_device *dev = NULL;

        if (!has_mdev_supported_types(syspath))
                return 0;
        dev = udev_device_new_from_syspath(d->udev, syspath);
        if (!dev)
                return negative_errno();
        return handle_device(d, dev, NULL);
}

/* Without the mdev_bus class: every device, less the mdev bus (no mdev is built to be dropped). */
static int enumerate_all_parents(Discovery *d) {
        _cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
        struct udev_list_entry *entry;
        int r;

        e = udev_enumerate_new(d->udev);
        if (!e)
                return negative_errno();
        r = udev_enumerate_add_nomatch_subsystem(e, "mdev");
        if (r < 0)
                return r;
        r = udev_enumerate_scan_devices(e);
        if (r < 0)
                return r;

        udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e))
                (void) read_listed_parent(d, udev_list_entry_get_name(entry), NULL);
        return 0;
}

/*
 * The mdev core links every parent it registers into the mdev_bus class. A
 * scan of all devices would also build one udev_device per VFIO group (one
 * per mdev: 10,000 at 10,000 mdevs) only to drop it.
 */
static int enumerate_parents(Discovery *d) {
        int r;

        r = for_each_linked_device(d, SYSFS_DEFAULT_ROOT "/class/mdev_bus", NULL, read_listed_parent);
        if (r != -ENOENT)
                return r;
        /* No such class (mdev not loaded yet, or a kernel without it): any device may be one. */
        return enumerate_all_parents(d);
}

static int read_listed_mdev(Discovery *d, const char *syspath, const ParentMdevLine *line) {
        if (!line)
                return read_mdev(d, syspath, NULL, true);
        return put_mdev(d, &(MdevUevent) {
                .syspath = syspath,
                .mdev_type_link = line->type,
                .iommu_group_link = line->iommu_group,
                .ims_vectors = line->ims_vectors,
                .wq = line->wq,
        });
}

/* The directories are libudev's, not --sysfs-root, so syspaths are the ones uevents carry. */
static int enumerate_mdevs(Discovery *d) {
        _cleanup_(child_dirs_done) ChildDirs children = {};
        int r;

        r = child_dirs_read(d->model, &children);
        if (r < 0)
                return r;
        r = for_each_linked_device(d, SYSFS_DEFAULT_ROOT "/bus/mdev/devices", &children, read_listed_mdev);
        /* No mdev bus until a parent driver loads mdev. */
        return r == -ENOENT ? 0 : r;
}

/* What vanished without a uevent reaching us (a lost or overflowed remove) goes on a re-enumeration. */
static void prune_vanished(Discovery *d) {
        for (size_t i = d->model->n_mdevs; i > 0; i--) {
                Mdev *mdev = d->model->mdevs[i - 1];

                if (mdev->syspath && access(mdev->syspath, F_OK) < 0 && errno == ENOENT)
                        (void) discovery_mdev_gone(d, &mdev->uuid);
        }
        for (size_t i = d->model->n_parents; i > 0; i--) {
                Parent *p = d->model->parents[i - 1];

                if (!has_mdev_supported_types(p->syspath))
                        (void) model_parent_remove(d->model, p->syspath);
        }
}

int discovery_enumerate(Discovery *d) {
        int r;

        prune_vanished(d);

        d->enumerating = true;
        r = enumerate_parents(d);
        if (r >= 0)
                r = enumerate_mdevs(d);
        d->enumerating = false;
        if (r < 0)
                return r;

        /* Parents were read before their mdevs: read their counts once more. */
        for (size_t i = 0; i < d->model->n_parents; i++)
                (void) discovery_refresh_parent(d, d->model->parents[i]->syspath);

        /* glibc would keep the scan's freed peak resident for the daemon's lifetime. */
        (void) malloc_trim(0);
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model.h"

#define UUID_A "00000000-0000-4000-8000-00000000000a"
#define UUID_B "00000000-0000-4000-8000-00000000000b"
#define UUID_C "00000000-0000-4000-8000-00000000000c"
#define SWQ "idxd_mdev-dsa-1swq-v1"
#define DWQ "idxd_mdev-dsa-1dwq-v1"

/* What the observer saw, one line per event. */
typedef struct Events {
        char log[4096];
} Events;

static void record(Events *e, const char *what, const char *name) {
        size_t n = strlen(e->log);

        snprintf(e->log + n, sizeof(e->log) - n, "%s %s\n", what, name);
}

static void on_parent_added(Model *m, const Parent *p, void *userdata) {
        record(userdata, "parent+", p->name);
}

static void on_parent_removed(Model *m, const Parent *p, void *userdata) {
        /* The parent is still findable while its removal is announced. */
        assert_ptr_equal(model_find_parent(m, p->name), p);
        record(userdata, "parent-", p->name);
}

static void on_mdev_added(Model *m, const Mdev *d, void *userdata) {
        record(userdata, "mdev+", d->uuid_string);
}

static void on_mdev_state_changed(Model *m, const Mdev *d, void *userdata) {
        record(userdata, mdev_state_to_string(d->state), d->uuid_string);
}

static void on_mdev_removed(Model *m, const Mdev *d, void *userdata) {
        /* Still findable, so the bus can still describe it. */
        assert_ptr_equal(model_find_mdev(m, &d->uuid), d);
        record(userdata, "mdev-", d->uuid_string);
}

static const ModelObserver observer = {
        .parent_added = on_parent_added,
        .parent_removed = on_parent_removed,
        .mdev_added = on_mdev_added,
        .mdev_state_changed = on_mdev_state_changed,
        .mdev_removed = on_mdev_removed,
};

typedef struct Fixture {
        Events events;
        Model *model;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        assert_int_equal(model_new(&observer, &f->events, &f->model), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        model_free(f->model);
        free(f);
        return 0;
}

static void add_parent(Model *m, const char *name, unsigned swq, unsigned dwq, int expect) {
        char syspath[256];
        MdevTypeInfo types[] = {
                { .id = DWQ, .name = "dsa-1dwq-v1", .device_api = "vfio-pci", .available_instances = dwq },
                { .id = SWQ, .name = "dsa-1swq-v1", .device_api = "vfio-pci", .available_instances = swq },
        };
        ParentInfo info = {
                .name = name,
                .syspath = syspath,
                .driver = "idxd_mdev",
                .numa_node = 0,
                .has_ims = true,
                .ims_size = 4096,
                .ims_available = 4000,
                .types = types,
                .n_types = 2,
        };

        snprintf(syspath, sizeof(syspath), "/sys/devices/platform/%s", name);
        assert_int_equal(model_parent_update(m, &info), expect);
}

/* Feeds an mdev uevent as discovery would. */
static int add_mdev(Model *m, const char *parent, const char *uuid, const char *type) {
        char syspath[256], link[256];
        char *parent_name = NULL;
        MdevInfo info;
        MdevUevent u = {
                .syspath = syspath,
                .mdev_type_link = link,
                .iommu_group_link = "../../../../kernel/iommu_groups/100",
                .ims_vectors = "1",
                .wq = "wq0.0",
        };
        int r;

        snprintf(syspath, sizeof(syspath), "/sys/devices/platform/%s/%s", parent, uuid);
        snprintf(link, sizeof(link), "../mdev_supported_types/%s", type);
        assert_int_equal(mdev_info_from_uevent(&u, &info, &parent_name), 0);
        r = model_mdev_update(m, &info);
        free(parent_name);
        return r;
}

static IdxdUuid uuid_of(const char *s) {
        IdxdUuid u;

        assert_int_equal(idxd_uuid_parse(s, &u), 0);
        return u;
}

static void test_parent_add_refresh(void **state) {
        Fixture *f = *state;
        Parent *p;

        add_parent(f->model, "idxd_sim.0", 50, 8, 1);
        add_parent(f->model, "idxd_sim.0", 49, 8, 0);    /* a change uevent refreshes */
        assert_string_equal(f->events.log, "parent+ idxd_sim.0\n");

        p = model_find_parent(f->model, "idxd_sim.0");
        assert_non_null(p);
        assert_ptr_equal(model_find_parent_by_syspath(f->model, "/sys/devices/platform/idxd_sim.0"), p);
        assert_int_equal(p->n_types, 2);
        assert_int_equal(parent_find_type(p, SWQ)->available_instances, 49);
        assert_string_equal(p->driver, "idxd_mdev");
        assert_true(p->has_ims);
        assert_int_equal(p->ims_size, 4096);
        assert_null(model_find_parent(f->model, "idxd_sim.1"));
}

static void test_parents_sorted(void **state) {
        Fixture *f = *state;

        add_parent(f->model, "idxd_sim.2", 1, 1, 1);
        add_parent(f->model, "idxd_sim.0", 1, 1, 1);
        add_parent(f->model, "idxd_sim.1", 1, 1, 1);
        assert_int_equal(f->model->n_parents, 3);
        assert_string_equal(f->model->parents[0]->name, "idxd_sim.0");
        assert_string_equal(f->model->parents[1]->name, "idxd_sim.1");
        assert_string_equal(f->model->parents[2]->name, "idxd_sim.2");
}

static void test_mdev_add_duplicate_remove(void **state) {
        char path[MDEV_OBJECT_PATH_MAX];
        Fixture *f = *state;
        IdxdUuid a = uuid_of(UUID_A);
        Mdev *d;

        add_parent(f->model, "idxd_sim.0", 50, 8, 1);
        assert_int_equal(add_mdev(f->model, "idxd_sim.0", UUID_A, SWQ), 1);
        /* Duplicate add and a change uevent do nothing visible. */
        assert_int_equal(add_mdev(f->model, "idxd_sim.0", UUID_A, SWQ), 0);
        assert_int_equal(f->model->n_mdevs, 1);

        d = model_find_mdev(f->model, &a);
        assert_non_null(d);
        assert_string_equal(d->uuid_string, UUID_A);
        assert_string_equal(d->parent, "idxd_sim.0");
        assert_string_equal(d->type, SWQ);
        assert_string_equal(mdev_object_path(d, path), "/org/idxd/Manager1/mdev/00000000_0000_4000_8000_00000000000a");
        assert_int_equal(d->state, MDEV_STATE_ACTIVE);
        assert_int_equal(d->iommu_group, 100);
        assert_true(d->has_ims_vectors);
        assert_int_equal(d->ims_vectors, 1);
        assert_string_equal(d->wq, "wq0.0");
        assert_int_equal(model_count_mdevs_of(f->model, "idxd_sim.0", SWQ), 1);
        assert_int_equal(model_count_mdevs_of(f->model, "idxd_sim.0", DWQ), 0);

        assert_int_equal(model_mdev_remove(f->model, &a), 1);
        assert_int_equal(model_mdev_remove(f->model, &a), 0);       /* duplicate remove */
        assert_null(model_find_mdev(f->model, &a));
        assert_int_equal(f->model->n_mdevs, 0);

        assert_string_equal(f->events.log,
                            "parent+ idxd_sim.0\n"
                            "mdev+ " UUID_A "\n"
                            "mdev- " UUID_A "\n");
}

static void test_mdevs_sorted_by_uuid(void **state) {
        Fixture *f = *state;

        assert_int_equal(add_mdev(f->model, "idxd_sim.0", UUID_C, SWQ), 1);
        assert_int_equal(add_mdev(f->model, "idxd_sim.0", UUID_A, SWQ), 1);
        assert_int_equal(add_mdev(f->model, "idxd_sim.0", UUID_B, DWQ), 1);
        assert_int_equal(f->model->n_mdevs, 3);
        /* Names shared by mdevs are stored once. */
        assert_ptr_equal(f->model->mdevs[0]->parent, f->model->mdevs[2]->parent);
        assert_ptr_equal(f->model->mdevs[0]->type, f->model->mdevs[2]->type);
        assert_ptr_not_equal(f->model->mdevs[0]->type, f->model->mdevs[1]->type);
        assert_string_equal(f->model->mdevs[0]->uuid_string, UUID_A);
        assert_string_equal(f->model->mdevs[1]->uuid_string, UUID_B);
        assert_string_equal(f->model->mdevs[2]->uuid_string, UUID_C);
}

static void test_state_changes(void **state) {
        Fixture *f = *state;
        IdxdUuid a = uuid_of(UUID_A);
        Mdev *d;

        assert_int_equal(add_mdev(f->model, "idxd_sim.0", UUID_A, SWQ), 1);
        d = model_find_mdev(f->model, &a);
        model_mdev_set_state(f->model, d, MDEV_STATE_REMOVING);
        model_mdev_set_state(f->model, d, MDEV_STATE_REMOVING);     /* no change, no event */
        model_mdev_set_state(f->model, d, MDEV_STATE_CREATING);
        /* An add uevent confirms a creating mdev. */
        assert_int_equal(add_mdev(f->model, "idxd_sim.0", UUID_A, SWQ), 0);
        assert_int_equal(d->state, MDEV_STATE_ACTIVE);
        assert_string_equal(f->events.log,
                            "mdev+ " UUID_A "\n"
                            "removing " UUID_A "\n"
                            "creating " UUID_A "\n"
                            "active " UUID_A "\n");
        assert_null(mdev_state_to_string(_MDEV_STATE_MAX));
}

static void test_parent_removal_cascade(void **state) {
        Fixture *f = *state;
        IdxdUuid c = uuid_of(UUID_C);

        add_parent(f->model, "idxd_sim.0", 50, 8, 1);
        add_parent(f->model, "idxd_sim.1", 50, 8, 1);
        assert_int_equal(add_mdev(f->model, "idxd_sim.0", UUID_A, SWQ), 1);
        assert_int_equal(add_mdev(f->model, "idxd_sim.0", UUID_B, DWQ), 1);
        assert_int_equal(add_mdev(f->model, "idxd_sim.1", UUID_C, SWQ), 1);
        f->events.log[0] = '\0';

        assert_int_equal(model_parent_remove(f->model, "/sys/devices/platform/idxd_sim.0"), 1);
        /* mdevs first, then the parent; the other parent's mdev stays. */
        assert_string_equal(f->events.log,
                            "mdev- " UUID_B "\n"
                            "mdev- " UUID_A "\n"
                            "parent- idxd_sim.0\n");
        assert_int_equal(f->model->n_mdevs, 1);
        assert_non_null(model_find_mdev(f->model, &c));
        assert_null(model_find_parent(f->model, "idxd_sim.0"));
        assert_non_null(model_find_parent(f->model, "idxd_sim.1"));

        /* A late duplicate remove uevent for the parent or its mdevs is harmless. */
        assert_int_equal(model_parent_remove(f->model, "/sys/devices/platform/idxd_sim.0"), 0);
        assert_int_equal(model_parent_remove(f->model, "/sys/devices/pci0000:00/0000:00:01.0"), 0);
}

static void test_info_from_uevent(void **state) {
        char *parent = NULL;
        MdevInfo info;
        MdevUevent u = {
                .syspath = "/sys/devices/pci0000:00/0000:6a:01.0/83B8F4F2-509F-382F-3C1E-E6BFE0FA1001",
                .mdev_type_property = "idxd_mdev-dsa-1dwq-v1",
        };

        assert_int_equal(mdev_info_from_uevent(&u, &info, &parent), 0);
        assert_string_equal(info.parent, "0000:6a:01.0");
        assert_ptr_equal(info.parent, parent);
        assert_string_equal(info.type, DWQ);     /* no link: the property */
        assert_int_equal(info.iommu_group, -1);
        assert_false(info.has_ims_vectors);
        assert_null(info.wq);
        assert_int_equal(info.uuid.bytes[0], 0x83);
        free(parent);

        /* The link wins over the property. */
        u.mdev_type_link = "../mdev_supported_types/" SWQ;
        u.iommu_group_link = "12";
        u.ims_vectors = "bogus";
        assert_int_equal(mdev_info_from_uevent(&u, &info, &parent), 0);
        assert_string_equal(info.type, SWQ);
        assert_int_equal(info.iommu_group, 12);
        assert_false(info.has_ims_vectors);
        free(parent);

        u.syspath = "/sys/devices/platform/idxd_sim.0/not-a-uuid";
        assert_int_equal(mdev_info_from_uevent(&u, &info, &parent), -EINVAL);
        u.syspath = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
        assert_int_equal(mdev_info_from_uevent(&u, &info, &parent), -EINVAL);
        u.syspath = NULL;
        assert_int_equal(mdev_info_from_uevent(&u, &info, &parent), -EINVAL);
}

static void test_type_matches(void **state) {
        assert_true(mdev_type_matches(SWQ, SWQ));
        assert_true(mdev_type_matches(SWQ, "dsa-1swq-v1"));
        assert_true(mdev_type_matches(SWQ, "1swq-v1"));
        assert_false(mdev_type_matches(SWQ, "swq-v1"));     /* not after a '-' */
        assert_false(mdev_type_matches(SWQ, "dsa-1dwq-v1"));
        assert_false(mdev_type_matches(SWQ, ""));
        assert_false(mdev_type_matches(NULL, "x"));
}

/* idxd_sim.1 has 20 swq instances; pretend 15 are taken by queued creates. */
static unsigned reserve_on_sim1(const Parent *p, const MdevType *t, void *userdata) {
        return strcmp(p->name, "idxd_sim.1") == 0 ? 15 : 0;
}

static void test_resolve_type(void **state) {
        Fixture *f = *state;
        MdevType *t;
        Parent *p;

        add_parent(f->model, "idxd_sim.0", 10, 1, 1);
        add_parent(f->model, "idxd_sim.1", 20, 1, 1);

        assert_int_equal(model_resolve_type(f->model, "idxd_sim.0", "dsa-1swq-v1", NULL, NULL, &p, &t), 0);
        assert_string_equal(p->name, "idxd_sim.0");
        assert_string_equal(t->id, SWQ);

        /* No parent: the most available instances wins, ties go to name order. */
        assert_int_equal(model_resolve_type(f->model, "", "dsa-1swq-v1", NULL, NULL, &p, &t), 0);
        assert_string_equal(p->name, "idxd_sim.1");
        assert_int_equal(model_resolve_type(f->model, NULL, DWQ, NULL, NULL, &p, &t), 0);
        assert_string_equal(p->name, "idxd_sim.0");

        /* Instances already promised to queued requests do not count. */
        assert_int_equal(model_resolve_type(f->model, "", "dsa-1swq-v1", reserve_on_sim1, NULL, &p, &t), 0);
        assert_string_equal(p->name, "idxd_sim.0");

        assert_int_equal(model_resolve_type(f->model, "idxd_sim.9", SWQ, NULL, NULL, &p, &t), -ENXIO);
        assert_int_equal(model_resolve_type(f->model, "idxd_sim.0", "dsa-9xwq-v1", NULL, NULL, &p, &t), -ENOENT);
        assert_int_equal(model_resolve_type(f->model, "", "dsa-9xwq-v1", NULL, NULL, &p, &t), -ENOENT);
        assert_int_equal(model_resolve_type(f->model, "", "", NULL, NULL, &p, &t), -ENOENT);
        /* "v1" ends both type ids. */
        assert_int_equal(model_resolve_type(f->model, "idxd_sim.0", "v1", NULL, NULL, &p, &t), -ENOTUNIQ);
        assert_int_equal(model_resolve_type(f->model, "", "v1", NULL, NULL, &p, &t), -ENOTUNIQ);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_parent_add_refresh, setup, teardown),
                cmocka_unit_test_setup_teardown(test_parents_sorted, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mdev_add_duplicate_remove, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mdevs_sorted_by_uuid, setup, teardown),
                cmocka_unit_test_setup_teardown(test_state_changes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_parent_removal_cascade, setup, teardown),
                cmocka_unit_test(test_info_from_uevent),
                cmocka_unit_test(test_type_matches),
                cmocka_unit_test_setup_teardown(test_resolve_type, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * In-memory picture of mdev parents, their types and mdevs. Pure: it is fed
 * facts read from uevents and sysfs by discovery.c and tells an observer
 * what changed; it does no I/O itself.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "uuid.h"

typedef enum MdevState {
        MDEV_STATE_ACTIVE,
        MDEV_STATE_CREATING,
        MDEV_STATE_REMOVING,
        MDEV_STATE_DEFINED,     /* a stored definition without a device */
        MDEV_STATE_FAILED,      /* a stored definition whose last create failed */
        _MDEV_STATE_MAX,
} MdevState;

typedef struct MdevType {
        char *id;               /* full sysfs id, e.g. idxd_mdev-dsa-1swq-v1 */
        char *name;
        char *description;
        char *device_api;
        unsigned available_instances;
} MdevType;

typedef struct Parent {
        char *name;             /* sysfs name, e.g. idxd_sim.0 */
        char *syspath;
        char *driver;
        int numa_node;          /* -1 when unknown */
        bool has_ims;
        unsigned ims_size;
        unsigned ims_available;
        MdevType *types;
        size_t n_types;
} Parent;

/* Room for IDXD_MDEV_PATH_PREFIX "/" and a UUID path element. */
#define MDEV_OBJECT_PATH_MAX 64

/* parent, type and wq repeat across thousands of mdevs: they point into the model's string pool. */
typedef struct Mdev {
        IdxdUuid uuid;
        char uuid_string[IDXD_UUID_STRING_MAX];
        const char *parent;     /* parent sysfs name */
        const char *type;       /* full type id */
        char *syspath;
        int iommu_group;        /* -1 when unknown */
        MdevState state;
        char *domain;
        bool persistent;
        bool autostart;
        bool has_ims_vectors;
        unsigned ims_vectors;
        const char *wq;         /* NULL when the parent does not say */
} Mdev;

/* Facts about one type, as read from <parent>/mdev_supported_types/<id>/. */
typedef struct MdevTypeInfo {
        const char *id;
        const char *name;
        const char *description;
        const char *device_api;
        unsigned available_instances;
} MdevTypeInfo;

typedef struct ParentInfo {
        const char *name;
        const char *syspath;
        const char *driver;
        int numa_node;
        bool has_ims;
        unsigned ims_size;
        unsigned ims_available;
        const MdevTypeInfo *types;
        size_t n_types;
} ParentInfo;

typedef struct MdevInfo {
        IdxdUuid uuid;
        const char *parent;
        const char *type;
        const char *syspath;
        int iommu_group;
        bool has_ims_vectors;
        unsigned ims_vectors;
        const char *wq;
} MdevInfo;

/* What a uevent and the device's links say about an mdev, unparsed. */
typedef struct MdevUevent {
        const char *syspath;            /* .../<parent>/<uuid> */
        const char *mdev_type_link;     /* target of the mdev_type symlink, or NULL */
        const char *mdev_type_property; /* MDEV_TYPE property, or NULL */
        const char *iommu_group_link;   /* target of the iommu_group symlink, or NULL */
        const char *ims_vectors;        /* attribute text, or NULL */
        const char *wq;                 /* attribute text, or NULL */
} MdevUevent;

typedef struct Model Model;

/* Called after an object is added or changed, before one is removed. */
typedef struct ModelObserver {
        void (*parent_added)(Model *m, const Parent *p, void *userdata);
        void (*parent_removed)(Model *m, const Parent *p, void *userdata);
        void (*mdev_added)(Model *m, const Mdev *mdev, void *userdata);
        void (*mdev_state_changed)(Model *m, const Mdev *mdev, void *userdata);
        void (*mdev_removed)(Model *m, const Mdev *mdev, void *userdata);
} ModelObserver;

struct Model {
        Parent **parents;       /* sorted by name */
        size_t n_parents;
        Mdev **mdevs;           /* sorted by UUID */
        size_t n_mdevs;
        char **strings;         /* pool of parent names, type ids, WQ names; sorted, never shrinks */
        size_t n_strings;
        const ModelObserver *observer;
        void *userdata;
};

const char *mdev_state_to_string(MdevState s);

/* Sorted pointer arrays (the model's, the daemon's definitions). compare(item, key) is like strcmp(). */
typedef int (*SortedCompare)(const void *item, const void *key);
/* Binary search; returns the index of the match, or where it would go with *ret_found false. */
size_t sorted_array_search(void *const *array, size_t n, const void *key, SortedCompare compare, bool *ret_found);
/* Grows the array by one slot at index, keeping order. */
int sorted_array_insert(void ***array, size_t *n, size_t index, void *item);
void sorted_array_remove(void **array, size_t *n, size_t index);

/* "/org/idxd/Manager1/mdev/<uuid element>" into buf; returns buf. */
const char *mdev_object_path(const Mdev *mdev, char buf[static MDEV_OBJECT_PATH_MAX]);

int model_new(const ModelObserver *observer, void *userdata, Model **ret);
Model *model_free(Model *m);

/* Adds or refreshes a parent. Returns 1 when added, 0 when refreshed. */
int model_parent_update(Model *m, const ParentInfo *info);
/* Removes a parent (by syspath) and every mdev on it, mdevs first. Returns 1 when removed, 0 if unknown. */
int model_parent_remove(Model *m, const char *syspath);
Parent *model_find_parent(const Model *m, const char *name);
Parent *model_find_parent_by_syspath(const Model *m, const char *syspath);
MdevType *parent_find_type(const Parent *p, const char *id);

/* Adds or refreshes an mdev; a new one is active. Returns 1 when added, 0 when refreshed. */
int model_mdev_update(Model *m, const MdevInfo *info);
/* Returns 1 when removed, 0 if unknown. */
int model_mdev_remove(Model *m, const IdxdUuid *uuid);
Mdev *model_find_mdev(const Model *m, const IdxdUuid *uuid);
void model_mdev_set_state(Model *m, Mdev *mdev, MdevState state);
size_t model_count_mdevs_of(const Model *m, const char *parent, const char *type);

/* Whether a type id matches a user's spec: the full id, or a suffix after a '-'. */
bool mdev_type_matches(const char *id, const char *spec);

/* How many of a type's available instances are already spoken for (e.g. queued creates). */
typedef unsigned (*MdevTypeReserved)(const Parent *p, const MdevType *t, void *userdata);

/*
 * Picks parent and type for a create. parent NULL or "" = the parent whose
 * matching type has the most available instances less those reserved
 * (reserved may be NULL; ties: name order). -ENXIO unknown parent, -ENOENT
 * no matching type, -ENOTUNIQ the spec matches more than one type id.
 */
int model_resolve_type(const Model *m, const char *parent, const char *type_spec,
                       MdevTypeReserved reserved, void *userdata,
                       Parent **ret_parent, MdevType **ret_type);

/*
 * Parses an mdev uevent into facts: UUID and parent from the syspath, type
 * from the link (else the property), IOMMU group from its link. ret->parent
 * points into *ret_parent, which the caller frees. -EINVAL when the syspath
 * does not end in <parent>/<uuid>.
 */
int mdev_info_from_uevent(const MdevUevent *u, MdevInfo *ret, char **ret_parent);

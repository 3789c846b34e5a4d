/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "idxd-bus.h"
#include "macro.h"
#include "model.h"

static const char *const mdev_state_table[_MDEV_STATE_MAX] = {
        [MDEV_STATE_ACTIVE] = "active",
        [MDEV_STATE_CREATING] = "creating",
        [MDEV_STATE_REMOVING] = "removing",
        [MDEV_STATE_DEFINED] = "defined",
        [MDEV_STATE_FAILED] = "failed",
};

const char *mdev_state_to_string(MdevState s) {
        if (s < 0 || s >= _MDEV_STATE_MAX)
                return NULL;
        return mdev_state_table[s];
}

/* Replaces *dst with a copy of src (NULL allowed); -ENOMEM leaves *dst alone. */
static int strdup_replace(char **dst, const char *src) {
        char *copy = NULL;

        if (src) {
                if (*dst && strcmp(*dst, src) == 0)
                        return 0;
                copy = strdup(src);
                if (!copy)
                        return -ENOMEM;
        }
        free(*dst);
        *dst = copy;
        return 0;
}

static void mdev_type_done(MdevType *t) {
        free(t->id);
        free(t->name);
        free(t->description);
        free(t->device_api);
}

static Parent *parent_free(Parent *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_types; i++)
                mdev_type_done(&p->types[i]);
        free(p->types);
        free(p->name);
        free(p->syspath);
        free(p->driver);
        free(p);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Parent *, parent_free);

static Mdev *mdev_free(Mdev *d) {
        if (!d)
                return NULL;
        free(d->syspath);
        free(d->domain);
        free(d);
        return NULL;
}

const char *mdev_object_path(const Mdev *mdev, char buf[static MDEV_OBJECT_PATH_MAX]) {
        static const char prefix[] = IDXD_MDEV_PATH_PREFIX "/";

        /* Built once per mdev in every list: no snprintf(). */
        static_assert(sizeof(prefix) - 1 + IDXD_UUID_STRING_MAX <= MDEV_OBJECT_PATH_MAX, "object path room");
        memcpy(buf, prefix, sizeof(prefix) - 1);
        idxd_uuid_to_path_element(&mdev->uuid, buf + sizeof(prefix) - 1);
        return buf;
}

/* The pooled copy of s in *ret (NULL for NULL). */
static int model_intern(Model *m, const char *s, const char **ret) {
        size_t lo = 0, hi = m->n_strings;
        char **a, *copy;

        if (!s) {
                *ret = NULL;
                return 0;
        }
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(m->strings[mid], s);

                if (c == 0) {
                        *ret = m->strings[mid];
                        return 0;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }

        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        a = reallocarray(m->strings, m->n_strings + 1, sizeof(char *));
        if (!a) {
                free(copy);
                return -ENOMEM;
        }
        memmove(a + lo + 1, a + lo, (m->n_strings - lo) * sizeof(char *));
        a[lo] = copy;
        m->strings = a;
        m->n_strings++;
        *ret = copy;
        return 0;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Mdev *, mdev_free);

int model_new(const ModelObserver *observer, void *userdata, Model **ret) {
        Model *m;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->observer = observer;
        m->userdata = userdata;
        *ret = m;
        return 0;
}

Model *model_free(Model *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_mdevs; i++)
                mdev_free(m->mdevs[i]);
        for (size_t i = 0; i < m->n_parents; i++)
                parent_free(m->parents[i]);
        for (size_t i = 0; i < m->n_strings; i++)
                free(m->strings[i]);
        free(m->strings);
        free(m->mdevs);
        free(m->parents);
        free(m);
        return NULL;
}

int sorted_array_insert(void ***array, size_t *n, size_t index, void *item) {
        void **a = *array;

        /* Room is n rounded up to a power of two: a realloc() per insert copied 10,000 pointers again and again. */
        if ((*n & (*n - 1)) == 0) {
                a = reallocarray(*array, *n ? *n * 2 : 1, sizeof(void *));
                if (!a)
                        return -ENOMEM;
        }
        memmove(a + index + 1, a + index, (*n - index) * sizeof(void *));
        a[index] = item;
        *array = a;
        (*n)++;
        return 0;
}

void sorted_array_remove(void **array, size_t *n, size_t index) {
        memmove(array + index, array + index + 1, (*n - index - 1) * sizeof(void *));
        (*n)--;
}

size_t sorted_array_search(void *const *array, size_t n, const void *key, SortedCompare compare, bool *ret_found) {
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = compare(array[mid], key);

                if (c == 0) {
                        *ret_found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *ret_found = false;
        return lo;
}

static int parent_compare(const void *item, const void *key) {
        return strcmp(((const Parent *) item)->name, key);
}

static int mdev_compare(const void *item, const void *key) {
        return idxd_uuid_compare(&((const Mdev *) item)->uuid, key);
}

static size_t parent_bsearch(const Model *m, const char *name, bool *ret_found) {
        return sorted_array_search((void *const *) m->parents, m->n_parents, name, parent_compare, ret_found);
}

static size_t mdev_bsearch(const Model *m, const IdxdUuid *uuid, bool *ret_found) {
        return sorted_array_search((void *const *) m->mdevs, m->n_mdevs, uuid, mdev_compare, ret_found);
}

Parent *model_find_parent(const Model *m, const char *name) {
        bool found;
        size_t i;

        if (!name)
                return NULL;
        i = parent_bsearch(m, name, &found);
        return found ? m->parents[i] : NULL;
}

Parent *model_find_parent_by_syspath(const Model *m, const char *syspath) {
        for (size_t i = 0; i < m->n_parents; i++)
                if (strcmp(m->parents[i]->syspath, syspath) == 0)
                        return m->parents[i];
        return NULL;
}

MdevType *parent_find_type(const Parent *p, const char *id) {
        for (size_t i = 0; i < p->n_types; i++)
                if (strcmp(p->types[i].id, id) == 0)
                        return &p->types[i];
        return NULL;
}

static int mdev_types_from_info(const ParentInfo *info, MdevType **ret, size_t *ret_n) {
        MdevType *types;
        size_t n = 0;

        types = calloc(info->n_types ? info->n_types : 1, sizeof(MdevType));
        if (!types)
                return -ENOMEM;

        for (; n < info->n_types; n++) {
                const MdevTypeInfo *ti = &info->types[n];
                MdevType *t = &types[n];

                if (!ti->id ||
                    strdup_replace(&t->id, ti->id) < 0 ||
                    strdup_replace(&t->name, ti->name) < 0 ||
                    strdup_replace(&t->description, ti->description) < 0 ||
                    strdup_replace(&t->device_api, ti->device_api) < 0) {
                        for (size_t i = 0; i <= n; i++)
                                mdev_type_done(&types[i]);
                        free(types);
                        return ti->id ? -ENOMEM : -EINVAL;
                }
                t->available_instances = ti->available_instances;
        }

        *ret = types;
        *ret_n = n;
        return 0;
}

/* Fills p from info; on failure p keeps a consistent (possibly partly updated) state. */
static int parent_apply(Parent *p, const ParentInfo *info) {
        MdevType *types;
        size_t n_types;
        int r;

        r = mdev_types_from_info(info, &types, &n_types);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_types; i++)
                mdev_type_done(&p->types[i]);
        free(p->types);
        p->types = types;
        p->n_types = n_types;

        if (strdup_replace(&p->syspath, info->syspath) < 0 ||
            strdup_replace(&p->driver, info->driver) < 0)
                return -ENOMEM;
        p->numa_node = info->numa_node;
        p->has_ims = info->has_ims;
        p->ims_size = info->ims_size;
        p->ims_available = info->ims_available;
        return 0;
}

int model_parent_update(Model *m, const ParentInfo *info) {
        _cleanup_(parent_freep) Parent *p = NULL;
        bool found;
        size_t i;
        int r;

        if (!info->name || !info->syspath)
                return -EINVAL;

        i = parent_bsearch(m, info->name, &found);
        if (found)
                return parent_apply(m->parents[i], info);

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->name = strdup(info->name);
        if (!p->name)
                return -ENOMEM;
        r = parent_apply(p, info);
        if (r < 0)
                return r;

        r = sorted_array_insert((void ***) &m->parents, &m->n_parents, i, p);
        if (r < 0)
                return r;
        p = NULL;

        if (m->observer && m->observer->parent_added)
                m->observer->parent_added(m, m->parents[i], m->userdata);
        return 1;
}

int model_parent_remove(Model *m, const char *syspath) {
        Parent *p;
        bool found;
        size_t i;

        p = model_find_parent_by_syspath(m, syspath);
        if (!p)
                return 0;

        /* Its mdevs go first, so clients see MdevRemoved before ParentRemoved. */
        for (size_t k = m->n_mdevs; k > 0; k--) {
                Mdev *d = m->mdevs[k - 1];

                if (d->parent && strcmp(d->parent, p->name) == 0)
                        (void) model_mdev_remove(m, &d->uuid);
        }

        if (m->observer && m->observer->parent_removed)
                m->observer->parent_removed(m, p, m->userdata);

        i = parent_bsearch(m, p->name, &found);
        sorted_array_remove((void **) m->parents, &m->n_parents, i);
        parent_free(p);
        return 1;
}

static int mdev_apply(Model *m, Mdev *d, const MdevInfo *info) {
        if (model_intern(m, info->parent, &d->parent) < 0 ||
            model_intern(m, info->type, &d->type) < 0 ||
            model_intern(m, info->wq, &d->wq) < 0 ||
            strdup_replace(&d->syspath, info->syspath) < 0)
                return -ENOMEM;
        d->iommu_group = info->iommu_group;
        d->has_ims_vectors = info->has_ims_vectors;
        d->ims_vectors = info->ims_vectors;
        return 0;
}

int model_mdev_update(Model *m, const MdevInfo *info) {
        _cleanup_(mdev_freep) Mdev *d = NULL;
        bool found;
        size_t i;
        int r;

        if (!info->parent)
                return -EINVAL;

        i = mdev_bsearch(m, &info->uuid, &found);
        if (found) {
                Mdev *existing = m->mdevs[i];

                r = mdev_apply(m, existing, info);
                if (r < 0)
                        return r;
                /* A fresh add uevent for an mdev we were creating confirms it. */
                if (existing->state == MDEV_STATE_CREATING)
                        model_mdev_set_state(m, existing, MDEV_STATE_ACTIVE);
                return 0;
        }

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->uuid = info->uuid;
        idxd_uuid_format(&d->uuid, d->uuid_string);
        d->state = MDEV_STATE_ACTIVE;
        r = mdev_apply(m, d, info);
        if (r < 0)
                return r;

        r = sorted_array_insert((void ***) &m->mdevs, &m->n_mdevs, i, d);
        if (r < 0)
                return r;
        d = NULL;

        if (m->observer && m->observer->mdev_added)
                m->observer->mdev_added(m, m->mdevs[i], m->userdata);
        return 1;
}

int model_mdev_remove(Model *m, const IdxdUuid *uuid) {
        bool found;
        size_t i;
        Mdev *d;

        i = mdev_bsearch(m, uuid, &found);
        if (!found)
                return 0;
        d = m->mdevs[i];

        if (m->observer && m->observer->mdev_removed)
                m->observer->mdev_removed(m, d, m->userdata);

        /* The observer may have changed the array; look again. */
        i = mdev_bsearch(m, uuid, &found);
        if (found)
                sorted_array_remove((void **) m->mdevs, &m->n_mdevs, i);
        mdev_free(d);
        return 1;
}

Mdev *model_find_mdev(const Model *m, const IdxdUuid *uuid) {
        bool found;
        size_t i;

        i = mdev_bsearch(m, uuid, &found);
        return found ? m->mdevs[i] : NULL;
}

void model_mdev_set_state(Model *m, Mdev *mdev, MdevState state) {
        if (mdev->state == state)
                return;
        mdev->state = state;
        if (m->observer && m->observer->mdev_state_changed)
                m->observer->mdev_state_changed(m, mdev, m->userdata);
}

size_t model_count_mdevs_of(const Model *m, const char *parent, const char *type) {
        size_t n = 0;

        for (size_t i = 0; i < m->n_mdevs; i++) {
                const Mdev *d = m->mdevs[i];

                if (parent && (!d->parent || strcmp(d->parent, parent) != 0))
                        continue;
                if (type && (!d->type || strcmp(d->type, type) != 0))
                        continue;
                n++;
        }
        return n;
}

bool mdev_type_matches(const char *id, const char *spec) {
        size_t n, k;

        if (!id || !spec || !*spec)
                return false;
        if (strcmp(id, spec) == 0)
                return true;

        n = strlen(id);
        k = strlen(spec);
        return n > k && id[n - k - 1] == '-' && strcmp(id + n - k, spec) == 0;
}

/* The type on p matching spec; -ENOENT none, -ENOTUNIQ several. */
static int parent_match_type(const Parent *p, const char *spec, MdevType **ret) {
        MdevType *match = NULL;

        for (size_t i = 0; i < p->n_types; i++) {
                if (!mdev_type_matches(p->types[i].id, spec))
                        continue;
                /* An exact id wins over suffix matches. */
                if (strcmp(p->types[i].id, spec) == 0) {
                        *ret = &p->types[i];
                        return 0;
                }
                if (match)
                        return -ENOTUNIQ;
                match = &p->types[i];
        }
        if (!match)
                return -ENOENT;
        *ret = match;
        return 0;
}

static unsigned type_free_instances(const Parent *p, const MdevType *t, MdevTypeReserved reserved, void *userdata) {
        unsigned taken = reserved ? reserved(p, t, userdata) : 0;

        return t->available_instances > taken ? t->available_instances - taken : 0;
}

int model_resolve_type(const Model *m, const char *parent, const char *type_spec,
                       MdevTypeReserved reserved, void *userdata,
                       Parent **ret_parent, MdevType **ret_type) {
        Parent *best_parent = NULL;
        MdevType *best_type = NULL;
        unsigned best_free = 0;
        int r;

        if (!type_spec || !*type_spec)
                return -ENOENT;

        if (parent && *parent) {
                Parent *p = model_find_parent(m, parent);
                if (!p)
                        return -ENXIO;
                r = parent_match_type(p, type_spec, &best_type);
                if (r < 0)
                        return r;
                best_parent = p;
        } else {
                /* Parents are in name order, so a strict '>' keeps the first on ties. */
                for (size_t i = 0; i < m->n_parents; i++) {
                        MdevType *t;

                        r = parent_match_type(m->parents[i], type_spec, &t);
                        if (r == -ENOENT)
                                continue;
                        if (r < 0)
                                return r;
                        if (best_type && strcmp(best_type->id, t->id) != 0)
                                return -ENOTUNIQ;
                        unsigned n = type_free_instances(m->parents[i], t, reserved, userdata);
                        if (!best_type || n > best_free) {
                                best_parent = m->parents[i];
                                best_type = t;
                                best_free = n;
                        }
                }
                if (!best_type)
                        return -ENOENT;
        }

        if (ret_parent)
                *ret_parent = best_parent;
        if (ret_type)
                *ret_type = best_type;
        return 0;
}

static const char *last_element(const char *path) {
        const char *slash;

        if (!path)
                return NULL;
        slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
}

static bool parse_unsigned(const char *s, unsigned *ret) {
        char *end;
        unsigned long v;

        if (!s || !*s)
                return false;
        errno = 0;
        v = strtoul(s, &end, 10);
        while (*end == '\n' || *end == ' ')
                end++;
        if (errno != 0 || *end != '\0' || v > UINT_MAX || *s == '-')
                return false;
        *ret = (unsigned) v;
        return true;
}

int mdev_info_from_uevent(const MdevUevent *u, MdevInfo *ret, char **ret_parent) {
        MdevInfo info = { .iommu_group = -1 };
        const char *uuid_element, *parent_end, *parent_start;
        const char *type;
        unsigned group;
        char *parent;

        if (!u->syspath)
                return -EINVAL;

        uuid_element = last_element(u->syspath);
        if (idxd_uuid_parse(uuid_element, &info.uuid) < 0)
                return -EINVAL;

        parent_end = uuid_element - 1;
        if (parent_end <= u->syspath)
                return -EINVAL;
        parent_start = parent_end;
        while (parent_start > u->syspath && parent_start[-1] != '/')
                parent_start--;
        if (parent_start == parent_end)
                return -EINVAL;
        parent = strndup(parent_start, (size_t) (parent_end - parent_start));
        if (!parent)
                return -ENOMEM;
        info.parent = parent;

        type = u->mdev_type_link ? last_element(u->mdev_type_link) : u->mdev_type_property;
        info.type = type && *type ? type : NULL;
        info.syspath = u->syspath;

        if (parse_unsigned(last_element(u->iommu_group_link), &group) && group <= INT_MAX)
                info.iommu_group = (int) group;
        info.has_ims_vectors = parse_unsigned(u->ims_vectors, &info.ims_vectors);
        info.wq = u->wq;

        *ret = info;
        *ret_parent = parent;
        return 0;
}

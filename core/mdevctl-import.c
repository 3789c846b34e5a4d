/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-doc.h"
#include "mdevctl-import.h"

static int path_error(char **ret_error, int r, const char *path, const char *what) {
        if (ret_error && asprintf(ret_error, "%s: %s", path, what) < 0)
                *ret_error = NULL;
        return r;
}

int idxd_mdevctl_parse(const char *filename, const char *parent, const char *uuid,
                       const char *text, size_t length, IdxdDefinition **ret, char **ret_error) {
        static const char *const keys[] = { "mdev_type", "start", "attrs", NULL };
        _cleanup_(json_doc_freep) JsonDoc *doc = NULL;
        _cleanup_(idxd_definition_freep) IdxdDefinition *d = NULL;
        const char *type, *start;
        const JsonNode *attrs = NULL;
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (!parent || !idxd_sysfs_name_valid(parent))
                return path_error(ret_error, -EBADMSG, filename, "no parent name in the path (<parent>/<uuid>)");

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        if (idxd_uuid_parse(uuid, &d->uuid) < 0)
                return path_error(ret_error, -EBADMSG, filename, "the file name is not a UUID");
        idxd_uuid_format(&d->uuid, d->uuid_string);

        r = json_doc_parse(filename, text, length, &doc, ret_error);
        if (r < 0)
                return r;
        r = json_doc_check_object(doc, &doc->root, "mdevctl definition", keys, ret_error);
        if (r < 0)
                return r;
        r = json_doc_need_string(doc, &doc->root, "mdevctl definition", "mdev_type", &type, ret_error);
        if (r < 0)
                return r;
        if (!idxd_sysfs_name_valid(type))
                return json_doc_error(doc, json_node_member(&doc->root, "mdev_type")->offset, ret_error,
                                      "\"mdev_type\" is not a type id: \"%s\"", type);
        r = json_doc_need_string(doc, &doc->root, "mdevctl definition", "start", &start, ret_error);
        if (r < 0)
                return r;
        if (strcmp(start, "auto") == 0)
                d->autostart = true;
        else if (strcmp(start, "manual") != 0)
                return json_doc_error(doc, json_node_member(&doc->root, "start")->offset, ret_error,
                                      "\"start\" must be \"auto\" or \"manual\", not \"%s\"", start);
        r = json_doc_get_array(doc, &doc->root, "attrs", &attrs, ret_error);
        if (r < 0)
                return r;
        if (attrs) {
                r = idxd_parse_attrs(doc, attrs, d, ret_error);
                if (r < 0)
                        return r;
        }

        d->persistent = true;
        d->origin = IDXD_ORIGIN_MDEVCTL;
        d->parent = strdup(parent);
        d->type = strdup(type);
        if (!d->parent || !d->type)
                return -ENOMEM;
        *ret = TAKE_PTR(d);
        return 0;
}

int idxd_mdevctl_load_file(const char *path, IdxdDefinition **ret, char **ret_error) {
        _cleanup_free_ char *text = NULL, *copy = NULL;
        const char *uuid, *parent;
        char *slash;
        size_t length;
        int r;

        if (ret_error)
                *ret_error = NULL;
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        slash = strrchr(copy, '/');
        if (!slash)
                return path_error(ret_error, -EBADMSG, path, "expected a path ending in <parent>/<uuid>");
        *slash = 0;
        uuid = slash + 1;
        slash = strrchr(copy, '/');
        parent = slash ? slash + 1 : copy;

        r = idxd_read_file(path, &text, &length, ret_error);
        if (r < 0)
                return r;
        return idxd_mdevctl_parse(path, parent, uuid, text, length, ret, ret_error);
}

static int load_parent_dir(IdxdStoreLoad *l, const char *dir) {
        struct dirent *de;
        DIR *dh;
        int r = 0;

        dh = opendir(dir);
        if (!dh) {
                char *msg;

                r = negative_errno();
                if (r == -ENOTDIR)
                        return 0;
                if (asprintf(&msg, "%s: %s", dir, strerror(-r)) < 0)
                        return -ENOMEM;
                return idxd_store_load_add_error(l, msg);
        }
        while ((errno = 0, de = readdir(dh))) {
                _cleanup_free_ char *path = NULL;
                IdxdDefinition *d = NULL;
                char *error = NULL;

                if (de->d_name[0] == '.')
                        continue;
                if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = idxd_mdevctl_load_file(path, &d, &error);
                if (r == -ENOMEM)
                        break;
                r = r < 0 ? idxd_store_load_add_error(l, error ? error : strdup(path)) : idxd_store_load_add_definition(l, d);
                if (r < 0) {
                        idxd_definition_free(d);
                        break;
                }
        }
        closedir(dh);
        return r;
}

static int compare_definitions(const void *a, const void *b) {
        const IdxdDefinition *x = *(IdxdDefinition *const *) a, *y = *(IdxdDefinition *const *) b;
        int c = idxd_uuid_compare(&x->uuid, &y->uuid);

        return c != 0 ? c : strcmp(x->parent, y->parent);
}

/* mdevctl keys files by parent/uuid; idxdd by uuid alone: a UUID under two parents is ambiguous. */
static int drop_duplicates(IdxdStoreLoad *l) {
        size_t out = 0;

        for (size_t i = 0; i < l->n_definitions;) {
                size_t j = i + 1;

                while (j < l->n_definitions && idxd_uuid_equal(&l->definitions[i]->uuid, &l->definitions[j]->uuid))
                        j++;
                if (j - i == 1) {
                        l->definitions[out++] = l->definitions[i];
                } else {
                        char *msg;

                        if (asprintf(&msg, "%s: duplicate UUID, defined under parents %s and %s; not imported",
                                     l->definitions[i]->uuid_string, l->definitions[i]->parent,
                                     l->definitions[i + 1]->parent) < 0)
                                msg = NULL;
                        for (size_t k = i; k < j; k++)
                                idxd_definition_free(l->definitions[k]);
                        if (idxd_store_load_add_error(l, msg) < 0) {
                                /* keep the array consistent for the caller's cleanup */
                                memmove(l->definitions + out, l->definitions + j,
                                        (l->n_definitions - j) * sizeof(IdxdDefinition *));
                                l->n_definitions = out + l->n_definitions - j;
                                return -ENOMEM;
                        }
                }
                i = j;
        }
        l->n_definitions = out;
        return 0;
}

int idxd_mdevctl_load_dir(const char *root, IdxdStoreLoad *ret) {
        IdxdStoreLoad l = {};
        struct dirent *de;
        DIR *dh;
        int r = 0;

        if (!root)
                root = IDXD_MDEVCTL_DIR;
        dh = opendir(root);
        if (!dh) {
                if (errno == ENOENT) {
                        *ret = l;
                        return 0;
                }
                return negative_errno();
        }
        while ((errno = 0, de = readdir(dh))) {
                _cleanup_free_ char *dir = NULL;

                if (de->d_name[0] == '.')
                        continue;
                if (asprintf(&dir, "%s/%s", root, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = load_parent_dir(&l, dir);
                if (r < 0)
                        break;
        }
        closedir(dh);
        if (r >= 0 && l.n_definitions > 1) {
                qsort(l.definitions, l.n_definitions, sizeof(IdxdDefinition *), compare_definitions);
                r = drop_duplicates(&l);
        }
        if (r < 0) {
                idxd_store_load_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

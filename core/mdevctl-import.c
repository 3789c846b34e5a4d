/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "json-doc.h"
#include "mdevctl-import.h"

#define URN_PREFIX "urn:uuid:"

int idxd_mdevctl_uuid_parse(const char *s, IdxdUuid *ret) {
        char hyphenated[IDXD_UUID_STRING_MAX];
        size_t n;

        if (strncasecmp(s, URN_PREFIX, strlen(URN_PREFIX)) == 0)
                s += strlen(URN_PREFIX);
        n = strlen(s);
        if (n != 32)
                return idxd_uuid_parse(s, ret);
        /* 32 hex digits: the hyphens go at 8, 12, 16 and 20. */
        for (size_t i = 0, o = 0; i < n; i++) {
                if (!isxdigit((unsigned char) s[i]))
                        return -EINVAL;
                if (i == 8 || i == 12 || i == 16 || i == 20)
                        hyphenated[o++] = '-';
                hyphenated[o++] = s[i];
                hyphenated[o] = 0;
        }
        return idxd_uuid_parse(hyphenated, ret);
}

/* "FILE:L:C: MSG" or "FILE: MSG" becomes "FILE:L:C: mdev U on parent P: MSG": each failure names the mdev. */
static char *name_mdev(const char *filename, char *error, const char *uuid, const char *parent) {
        size_t skip = strlen(filename);
        char *named;

        if (!error)
                return NULL;
        if (strncmp(error, filename, skip) != 0)
                skip = 0;
        while (error[skip] == ':' || isdigit((unsigned char) error[skip]))
                skip++;
        while (error[skip] == ' ')
                skip++;
        if (asprintf(&named, "%.*smdev %s on parent %s: %s", (int) skip, error, uuid, parent, error + skip) < 0)
                named = NULL;
        free(error);
        return named;
}

static int add_note(IdxdStoreLoad *l, const char *fmt, ...) _printf_(2, 3);
static int add_note(IdxdStoreLoad *l, const char *fmt, ...) {
        va_list ap;
        char *msg;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        return idxd_store_load_add_note(l, r < 0 ? NULL : msg);
}

static const char *const config_keys[] = { "mdev_type", "start", "attrs", NULL };

static bool is_config_key(const char *key) {
        for (const char *const *k = config_keys; *k; k++)
                if (strcmp(*k, key) == 0)
                        return true;
        return false;
}

/* A member that is absent or JSON null: mdevctl reads both as "not there". */
static const JsonNode *member_not_null(const JsonNode *object, const char *key) {
        const JsonNode *n = json_node_member(object, key);

        return n && !json_node_is(n, json_type_null) ? n : NULL;
}

/*
 * One device's configuration object, as mdevctl's MDev::load_from_json()
 * reads it. What mdevctl refuses (or stops on) is an error; what it takes
 * but reads otherwise than a person might think is a note.
 */
static int parse_config(const JsonDoc *doc, const JsonNode *config, const char *where,
                        IdxdDefinition *d, IdxdStoreLoad *l, char **ret_error) {
        const JsonNode *type, *start, *attrs;
        int r;

        if (!json_node_is(config, json_type_object))
                return json_doc_error(doc, config->offset, ret_error,
                                      "a definition must be an object, not %s", json_node_type_name(config));
        type = member_not_null(config, "mdev_type");
        if (!type)
                return json_doc_error(doc, config->offset, ret_error, "\"mdev_type\" is missing");
        if (!json_node_is(type, json_type_string))
                return json_doc_error(doc, type->offset, ret_error, "\"mdev_type\" must be a string, not %s",
                                      json_node_type_name(type));
        if (!idxd_sysfs_name_valid(json_object_get_string(type->value)))
                return json_doc_error(doc, type->offset, ret_error, "\"mdev_type\" is not a type id: \"%s\"",
                                      json_object_get_string(type->value));
        start = member_not_null(config, "start");
        if (!start)
                return json_doc_error(doc, config->offset, ret_error, "\"start\" is missing");
        /* mdevctl starts "auto" automatically, and nothing else: "Auto" or 1 are manual there. */
        d->autostart = json_node_is(start, json_type_string) &&
                strcmp(json_object_get_string(start->value), "auto") == 0;
        if (!d->autostart && !(json_node_is(start, json_type_string) &&
                               strcmp(json_object_get_string(start->value), "manual") == 0)) {
                unsigned line, column;

                json_doc_line_column(doc, start->offset, &line, &column);
                r = add_note(l, "%s:%u:%u: %s: \"start\" is %.*s, which mdevctl starts manually: imported as manual",
                             doc->filename, line, column, where, (int) (start->length > 40 ? 40 : start->length),
                             doc->text + start->offset);
                if (r < 0)
                        return r;
        }
        attrs = member_not_null(config, "attrs");
        if (attrs && !json_node_is(attrs, json_type_array))
                return json_doc_error(doc, attrs->offset, ret_error, "\"attrs\" must be an array, not %s",
                                      json_node_type_name(attrs));
        if (attrs) {
                r = idxd_parse_attrs(doc, attrs, d, ret_error);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < config->n_children; i++) {
                unsigned line, column;

                if (is_config_key(config->children[i].key))
                        continue;
                json_doc_line_column(doc, config->children[i].key_offset, &line, &column);
                r = add_note(l, "%s:%u:%u: %s: unknown key \"%s\" ignored, as mdevctl does",
                             doc->filename, line, column, where, config->children[i].key);
                if (r < 0)
                        return r;
        }
        d->type = strdup(json_object_get_string(type->value));
        return d->type ? 0 : -ENOMEM;
}

/* A new definition of uuid under parent, origin mdevctl. */
static int definition_new(const IdxdUuid *uuid, const char *parent, IdxdDefinition **ret) {
        IdxdDefinition *d = calloc(1, sizeof(*d));

        if (!d || !(d->parent = strdup(parent))) {
                free(d);
                return -ENOMEM;
        }
        d->uuid = *uuid;
        idxd_uuid_format(uuid, d->uuid_string);
        d->persistent = true;
        d->origin = IDXD_ORIGIN_MDEVCTL;
        *ret = d;
        return 0;
}

/* Parses config into a definition and hands it (or the error naming the mdev) to l. */
static int take_config(const JsonDoc *doc, const JsonNode *config, const IdxdUuid *uuid, const char *parent,
                       IdxdStoreLoad *l) {
        _cleanup_(idxd_definition_freep) IdxdDefinition *d = NULL;
        _cleanup_free_ char *where = NULL;
        char *error = NULL;
        int r;

        r = definition_new(uuid, parent, &d);
        if (r < 0)
                return r;
        d->source = strdup(doc->filename);
        if (!d->source)
                return -ENOMEM;
        if (asprintf(&where, "mdev %s on parent %s", d->uuid_string, parent) < 0)
                return -ENOMEM;
        r = parse_config(doc, config, where, d, l, &error);
        if (r == -ENOMEM) {
                free(error);
                return r;
        }
        if (r < 0)
                return idxd_store_load_add_error(l, name_mdev(doc->filename, error, d->uuid_string, parent));
        r = idxd_store_load_add_definition(l, d);
        if (r < 0)
                return r;
        d = NULL;
        return 0;
}

static int path_error(IdxdStoreLoad *l, const char *path, const char *what) {
        char *msg;

        if (asprintf(&msg, "%s: %s", path, what) < 0)
                return -ENOMEM;
        return idxd_store_load_add_error(l, msg);
}

/* Reads a file to import; a refusal (not a regular file, unsafe owner or mode) is one error naming it. */
static int read_import_file(IdxdStoreLoad *l, const char *path, char **ret, size_t *ret_length) {
        char *why = NULL;
        int r;

        r = idxd_read_file(path, ret, ret_length, &why);
        if (r >= 0)
                return 0;
        if (why)
                return idxd_store_load_add_error(l, why);
        return path_error(l, path, strerror(-r));
}

int idxd_mdevctl_parse_file(const char *filename, const char *parent, const char *uuid_name,
                            const char *text, size_t length, IdxdStoreLoad *l) {
        _cleanup_(json_doc_freep) JsonDoc *doc = NULL;
        char u[IDXD_UUID_STRING_MAX], *error = NULL;
        IdxdUuid uuid;
        int r;

        if (!parent || !idxd_sysfs_name_valid(parent))
                return path_error(l, filename, "no parent name in the path (<parent>/<uuid>)");
        if (idxd_mdevctl_uuid_parse(uuid_name, &uuid) < 0)
                return path_error(l, filename, "the file name is not a UUID");
        idxd_uuid_format(&uuid, u);

        r = json_doc_parse_flags(filename, text, length, JSON_DOC_LAST_DUPLICATE_WINS, &doc, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return idxd_store_load_add_error(l, name_mdev(filename, error, u, parent));
        return take_config(doc, &doc->root, &uuid, parent, l);
}

int idxd_mdevctl_parse_jsonfile(const char *filename, const char *text, size_t length,
                                IdxdDefinition **ret, char **ret_error) {
        _cleanup_(idxd_store_load_done) IdxdStoreLoad notes = {};
        _cleanup_(json_doc_freep) JsonDoc *doc = NULL;
        _cleanup_(idxd_definition_freep) IdxdDefinition *d = calloc(1, sizeof(*d));
        int r;

        if (!d)
                return -ENOMEM;
        r = json_doc_parse_flags(filename, text, length, JSON_DOC_LAST_DUPLICATE_WINS, &doc, ret_error);
        if (r < 0)
                return r;
        /* Notes (a start mode mdevctl reads as manual, unknown keys) change nothing here. */
        r = parse_config(doc, &doc->root, "the configuration", d, &notes, ret_error);
        if (r < 0)
                return r;
        d->persistent = true;
        *ret = TAKE_PTR(d);
        return 0;
}

/* One {"<parent>": [{"<uuid>": config}, ...]} of a dump. */
static int parse_dump_parents(const JsonDoc *doc, const JsonNode *parents, IdxdStoreLoad *l) {
        char *error = NULL;
        int r;

        if (!json_node_is(parents, json_type_object)) {
                r = json_doc_error(doc, parents->offset, &error, "each element must be an object of parents, not %s",
                                   json_node_type_name(parents));
                return idxd_store_load_add_error(l, error);
        }
        for (size_t i = 0; i < parents->n_children; i++) {
                const JsonNode *children = &parents->children[i];
                const char *parent = children->key;

                if (!idxd_sysfs_name_valid(parent) || !json_node_is(children, json_type_array)) {
                        r = json_doc_error(doc, children->key_offset, &error,
                                           idxd_sysfs_name_valid(parent) ? "parent %s: its mdevs must be an array" :
                                           "\"%s\" is not a parent name", parent);
                        r = idxd_store_load_add_error(l, error);
                        if (r < 0)
                                return r;
                        continue;
                }
                for (size_t j = 0; j < children->n_children; j++) {
                        const JsonNode *child = &children->children[j];
                        IdxdUuid uuid;

                        if (!json_node_is(child, json_type_object) || child->n_children != 1 ||
                            idxd_mdevctl_uuid_parse(child->children[0].key, &uuid) < 0) {
                                r = json_doc_error(doc, child->offset, &error,
                                                   "parent %s: each mdev must be an object with one key, its UUID", parent);
                                r = idxd_store_load_add_error(l, error);
                        } else
                                r = take_config(doc, &child->children[0], &uuid, parent, l);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int idxd_mdevctl_parse_dump(const char *filename, const char *text, size_t length, IdxdStoreLoad *l) {
        _cleanup_(json_doc_freep) JsonDoc *doc = NULL;
        char *error = NULL;
        int r;

        r = json_doc_parse_flags(filename, text, length, JSON_DOC_LAST_DUPLICATE_WINS, &doc, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return idxd_store_load_add_error(l, error);
        if (!json_node_is(&doc->root, json_type_array)) {
                r = json_doc_error(doc, doc->root.offset, &error,
                                   "expected the output of 'mdevctl list --dumpjson' (an array), not %s",
                                   json_node_type_name(&doc->root));
                return idxd_store_load_add_error(l, error);
        }
        for (size_t i = 0; i < doc->root.n_children; i++) {
                r = parse_dump_parents(doc, &doc->root.children[i], l);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The last two elements of a path: .../<parent>/<uuid>. */
static int split_parent_uuid(const char *path, char **ret_parent, const char **ret_name) {
        const char *slash = strrchr(path, '/'), *start;

        if (!slash) {
                *ret_parent = NULL;
                *ret_name = path;
                return 0;
        }
        *ret_name = slash + 1;
        for (start = slash; start > path && start[-1] != '/'; start--)
                ;
        *ret_parent = strndup(start, (size_t) (slash - start));
        return *ret_parent ? 0 : -ENOMEM;
}

/* A file: a dump (its text is an array) or one definition named <parent>/<uuid>. */
static int load_file(const char *path, IdxdStoreLoad *l) {
        _cleanup_free_ char *text = NULL, *parent = NULL;
        const char *name;
        size_t length, i;
        int r;

        r = read_import_file(l, path, &text, &length);
        if (r != 0)
                return r;
        for (i = 0; i < length && strchr(" \t\r\n", text[i]); i++)
                ;
        if (i < length && text[i] == '[')
                return idxd_mdevctl_parse_dump(path, text, length, l);
        r = split_parent_uuid(path, &parent, &name);
        if (r < 0)
                return r;
        return idxd_mdevctl_parse_file(path, parent, name, text, length, l);
}

static int scan_sorted(const char *dir, struct dirent ***ret) {
        int n = scandir(dir, ret, NULL, alphasort);

        return n < 0 ? negative_errno() : n;
}

static void dirents_free(struct dirent **entries, int n) {
        for (int i = 0; i < n; i++)
                free(entries[i]);
        free(entries);
}

/* What mdevctl takes for a definition: a regular file (not a link), named by a UUID. */
static int load_parent_dir(const char *dir, const char *parent, IdxdStoreLoad *l) {
        struct dirent **entries = NULL;
        int n, r = 0;

        n = scan_sorted(dir, &entries);
        if (n < 0)
                return path_error(l, dir, strerror(-n));
        for (int i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *path = NULL;
                const char *name = entries[i]->d_name;
                struct stat st;
                IdxdUuid uuid;

                if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                        continue;
                if (asprintf(&path, "%s/%s", dir, name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (lstat(path, &st) < 0)
                        r = path_error(l, path, strerror(errno));
                else if (!S_ISREG(st.st_mode))
                        r = add_note(l, "%s: not a regular file, skipped (as mdevctl does)", path);
                else if (idxd_mdevctl_uuid_parse(name, &uuid) < 0)
                        r = add_note(l, "%s: the name is not a UUID, skipped (as mdevctl does)", path);
                else {
                        _cleanup_free_ char *text = NULL;
                        size_t length;

                        r = read_import_file(l, path, &text, &length);
                        if (r == 0)
                                r = idxd_mdevctl_parse_file(path, parent, name, text, length, l);
                }
        }
        dirents_free(entries, n);
        return r;
}

static int load_dir(const char *root, IdxdStoreLoad *l) {
        struct dirent **entries = NULL;
        int n, r = 0;

        n = scan_sorted(root, &entries);
        if (n < 0)
                return n;
        for (int i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *path = NULL;
                const char *name = entries[i]->d_name;
                struct stat st;

                if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                        continue;
                if (asprintf(&path, "%s/%s", root, name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (strcmp(name, IDXD_MDEVCTL_STAMP) == 0)
                        continue;       /* idxdd's own change marker for libvirt (docs/libvirt.md) */
                if (strcmp(name, "scripts.d") == 0)
                        r = add_note(l, "%s: callout and notifier scripts are not imported: idxdd runs the callouts "
                                     "of its callout_dir (idxdd.json(5)); D-Bus signals stand for notifiers", path);
                else if (lstat(path, &st) < 0)
                        r = path_error(l, path, strerror(errno));
                else if (!S_ISDIR(st.st_mode))
                        r = add_note(l, "%s: not a parent directory, skipped (as mdevctl does)", path);
                else if (!idxd_sysfs_name_valid(name))
                        r = path_error(l, path, "not a parent name");
                else
                        r = load_parent_dir(path, name, l);
        }
        dirents_free(entries, n);
        return r;
}

typedef struct Ordered {
        IdxdDefinition *d;
        size_t index;           /* where it was read: of two equal ones, the first wins */
} Ordered;

static int compare_ordered(const void *a, const void *b) {
        const Ordered *x = a, *y = b;
        int c = idxd_definition_compare(x->d, y->d);

        return c != 0 ? c : (x->index > y->index) - (x->index < y->index);
}

static int sort_definitions(IdxdStoreLoad *l) {
        _cleanup_free_ Ordered *o = calloc(l->n_definitions, sizeof(Ordered));

        if (!o)
                return -ENOMEM;
        for (size_t i = 0; i < l->n_definitions; i++)
                o[i] = (Ordered) { l->definitions[i], i };
        qsort(o, l->n_definitions, sizeof(Ordered), compare_ordered);
        for (size_t i = 0; i < l->n_definitions; i++)
                l->definitions[i] = o[i].d;
        return 0;
}

/* A dump can name one mdev twice under a parent; mdevctl's directory cannot. */
static int drop_repeats(IdxdStoreLoad *l, const char *path) {
        size_t out = 0;
        int r = 0;

        for (size_t i = 0; i < l->n_definitions; i++) {
                IdxdDefinition *d = l->definitions[i];
                char *msg;

                if (out == 0 || idxd_definition_compare(l->definitions[out - 1], d) != 0) {
                        l->definitions[out++] = d;
                        continue;
                }
                if (r >= 0) {
                        r = asprintf(&msg, "%s: mdev %s on parent %s: defined twice; the first is imported",
                                     path, d->uuid_string, d->parent) < 0 ? -ENOMEM :
                                idxd_store_load_add_error(l, msg);
                }
                idxd_definition_free(d);
        }
        l->n_definitions = out;
        return r;
}

int idxd_mdevctl_load(const char *path, IdxdStoreLoad *ret) {
        IdxdStoreLoad l = {};
        struct stat st;
        int r;

        if (!path)
                path = IDXD_MDEVCTL_DIR;
        if (stat(path, &st) < 0)
                return negative_errno();
        r = S_ISDIR(st.st_mode) ? load_dir(path, &l) : load_file(path, &l);
        if (r >= 0 && l.n_definitions > 1)
                r = sort_definitions(&l);
        if (r >= 0 && l.n_definitions > 1)
                r = drop_repeats(&l, path);
        if (r < 0) {
                idxd_store_load_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

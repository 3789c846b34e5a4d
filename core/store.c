/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json-doc.h"
#include "store.h"

#define STORE_FORMAT_VERSION 1

static const char *const origin_table[_IDXD_ORIGIN_MAX] = {
        [IDXD_ORIGIN_CLI] = "cli",
        [IDXD_ORIGIN_POLICY] = "policy",
        [IDXD_ORIGIN_MDEVCTL] = "mdevctl",
};

const char *idxd_origin_to_string(IdxdOrigin o) {
        if (o < 0 || o >= _IDXD_ORIGIN_MAX)
                return NULL;
        return origin_table[o];
}

int idxd_origin_from_string(const char *s) {
        for (int i = 0; i < _IDXD_ORIGIN_MAX; i++)
                if (strcmp(origin_table[i], s) == 0)
                        return i;
        return -EINVAL;
}

IdxdDefinition *idxd_definition_free(IdxdDefinition *d) {
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n_attrs; i++) {
                free(d->attrs[i].name);
                free(d->attrs[i].value);
        }
        free(d->attrs);
        free(d->parent);
        free(d->type);
        free(d->domain);
        free(d->pool);
        free(d->source);
        free(d);
        return NULL;
}

int idxd_definition_add_attr(IdxdDefinition *d, const char *name, const char *value) {
        return idxd_definition_insert_attr(d, d->n_attrs, name, value);
}

int idxd_definition_insert_attr(IdxdDefinition *d, size_t index, const char *name, const char *value) {
        IdxdAttr *a;
        char *n, *v;

        if (index > d->n_attrs)
                return -ERANGE;
        a = reallocarray(d->attrs, d->n_attrs + 1, sizeof(IdxdAttr));
        if (!a)
                return -ENOMEM;
        d->attrs = a;
        n = strdup(name);
        v = strdup(value);
        if (!n || !v) {
                free(n);
                free(v);
                return -ENOMEM;
        }
        memmove(&d->attrs[index + 1], &d->attrs[index], (d->n_attrs - index) * sizeof(IdxdAttr));
        d->attrs[index] = (IdxdAttr) { .name = n, .value = v };
        d->n_attrs++;
        return 0;
}

int idxd_definition_remove_attr(IdxdDefinition *d, size_t index) {
        if (index >= d->n_attrs)
                return -ERANGE;
        free(d->attrs[index].name);
        free(d->attrs[index].value);
        memmove(&d->attrs[index], &d->attrs[index + 1], (d->n_attrs - index - 1) * sizeof(IdxdAttr));
        d->n_attrs--;
        return 0;
}

static int strdup_maybe(const char *s, char **ret) {
        *ret = s ? strdup(s) : NULL;
        return s && !*ret ? -ENOMEM : 0;
}

int idxd_definition_copy(const IdxdDefinition *src, IdxdDefinition **ret) {
        _cleanup_(idxd_definition_freep) IdxdDefinition *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        c->uuid = src->uuid;
        idxd_uuid_format(&src->uuid, c->uuid_string);
        if (strdup_maybe(src->parent, &c->parent) < 0 || strdup_maybe(src->type, &c->type) < 0 ||
            strdup_maybe(src->domain, &c->domain) < 0 || strdup_maybe(src->pool, &c->pool) < 0 ||
            strdup_maybe(src->source, &c->source) < 0)
                return -ENOMEM;
        c->persistent = src->persistent;
        c->autostart = src->autostart;
        c->origin = src->origin;
        c->parent_in_file_name = src->parent_in_file_name;
        for (size_t i = 0; i < src->n_attrs; i++) {
                r = idxd_definition_add_attr(c, src->attrs[i].name, src->attrs[i].value);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

static bool strings_equal(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool idxd_definition_equal(const IdxdDefinition *a, const IdxdDefinition *b) {
        if (!strings_equal(a->parent, b->parent) || !strings_equal(a->type, b->type) ||
            !strings_equal(a->domain, b->domain) || !strings_equal(a->pool, b->pool) ||
            a->persistent != b->persistent || a->autostart != b->autostart || a->origin != b->origin ||
            a->n_attrs != b->n_attrs)
                return false;
        for (size_t i = 0; i < a->n_attrs; i++)
                if (!strings_equal(a->attrs[i].name, b->attrs[i].name) ||
                    !strings_equal(a->attrs[i].value, b->attrs[i].value))
                        return false;
        return true;
}

static int add_string(json_object *o, const char *key, const char *value) {
        json_object *v;

        if (!value)
                return 0;
        v = json_object_new_string(value);
        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_value(json_object *o, const char *key, json_object *v) {
        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

int idxd_definition_to_json(const IdxdDefinition *d, char **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *attrs;
        char uuid[IDXD_UUID_STRING_MAX];
        const char *s;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if (add_value(o, "version", json_object_new_int(STORE_FORMAT_VERSION)) < 0 ||
            add_string(o, "uuid", idxd_uuid_format(&d->uuid, uuid)) < 0 ||
            add_string(o, "parent", d->parent) < 0 ||
            add_string(o, "type", d->type) < 0 ||
            add_string(o, "domain", d->domain) < 0 ||
            add_value(o, "persistent", json_object_new_boolean(d->persistent)) < 0 ||
            add_value(o, "autostart", json_object_new_boolean(d->autostart)) < 0 ||
            add_string(o, "origin", idxd_origin_to_string(d->origin)) < 0 ||
            add_string(o, "pool", d->pool) < 0)
                return -ENOMEM;

        attrs = json_object_new_array();
        if (add_value(o, "attrs", attrs) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_attrs; i++) {
                json_object *a = json_object_new_object();

                if (!a || json_object_array_add(attrs, a) < 0) {
                        json_object_put(a);
                        return -ENOMEM;
                }
                if (add_string(a, d->attrs[i].name, d->attrs[i].value) < 0)
                        return -ENOMEM;
        }

        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s || asprintf(ret, "%s\n", s) < 0)
                return -ENOMEM;
        return 0;
}

bool idxd_sysfs_name_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 255 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                if (*c == '/' || *c < 0x20 || *c == 0x7f)
                        return false;
        return true;
}

bool idxd_domain_name_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > IDXD_DOMAIN_NAME_MAX)
                return false;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                if (*c < 0x20 || *c == 0x7f || *c == '/')
                        return false;
        return true;
}

int idxd_parse_attrs(const JsonDoc *doc, const JsonNode *attrs, IdxdDefinition *d, char **ret_error) {
        for (size_t i = 0; i < attrs->n_children; i++) {
                const JsonNode *a = &attrs->children[i];
                const char *value;
                int r;

                if (!json_node_is(a, json_type_object) || a->n_children != 1)
                        return json_doc_error(doc, a->offset, ret_error,
                                              "each entry of \"attrs\" must be an object with one key, not %s",
                                              json_node_is(a, json_type_object) ? "an object with more or fewer" :
                                              json_node_type_name(a));
                if (!idxd_sysfs_name_valid(a->children[0].key))
                        return json_doc_error(doc, a->children[0].key_offset, ret_error,
                                              "attribute name \"%s\" is not a file name", a->children[0].key);
                r = json_doc_get_string(doc, a, a->children[0].key, &value, ret_error);
                if (r < 0)
                        return r;
                /* A name may repeat: each write is a command to the driver (vfio-ap's assign_adapter). */
                r = idxd_definition_add_attr(d, a->children[0].key, value);
                if (r < 0)
                        return r;
        }
        return 0;
}

int idxd_definition_from_json(const char *filename, const char *text, size_t length,
                              IdxdDefinition **ret, char **ret_error) {
        static const char *const keys[] = { "version", "uuid", "parent", "type", "domain", "persistent",
                                            "autostart", "origin", "pool", "attrs", NULL };
        _cleanup_(json_doc_freep) JsonDoc *doc = NULL;
        _cleanup_(idxd_definition_freep) IdxdDefinition *d = NULL;
        const char *uuid, *parent, *type, *domain = NULL, *origin = "cli", *pool = NULL;
        const JsonNode *attrs = NULL;
        int64_t version = STORE_FORMAT_VERSION;
        int r;

        if (ret_error)
                *ret_error = NULL;
        r = json_doc_parse(filename, text, length, &doc, ret_error);
        if (r < 0)
                return r;
        r = json_doc_check_object(doc, &doc->root, "definition", keys, ret_error);
        if (r < 0)
                return r;

        r = json_doc_get_int(doc, &doc->root, "version", 1, STORE_FORMAT_VERSION, &version, ret_error);
        if (r < 0)
                return r;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->persistent = true;

        r = json_doc_need_string(doc, &doc->root, "definition", "uuid", &uuid, ret_error);
        if (r < 0)
                return r;
        if (idxd_uuid_parse(uuid, &d->uuid) < 0)
                return json_doc_error(doc, json_node_member(&doc->root, "uuid")->offset, ret_error,
                                      "\"uuid\" is not a valid UUID: \"%s\"", uuid);
        idxd_uuid_format(&d->uuid, d->uuid_string);

        r = json_doc_need_string(doc, &doc->root, "definition", "parent", &parent, ret_error);
        if (r < 0)
                return r;
        if (!idxd_sysfs_name_valid(parent))
                return json_doc_error(doc, json_node_member(&doc->root, "parent")->offset, ret_error,
                                      "\"parent\" is not a parent name: \"%s\"", parent);
        r = json_doc_need_string(doc, &doc->root, "definition", "type", &type, ret_error);
        if (r < 0)
                return r;
        if (!idxd_sysfs_name_valid(type))
                return json_doc_error(doc, json_node_member(&doc->root, "type")->offset, ret_error,
                                      "\"type\" is not a type id: \"%s\"", type);
        r = json_doc_get_string(doc, &doc->root, "domain", &domain, ret_error);
        if (r < 0)
                return r;
        if (domain && !*domain)
                domain = NULL;
        if (domain && !idxd_domain_name_valid(domain))
                return json_doc_error(doc, json_node_member(&doc->root, "domain")->offset, ret_error,
                                      "\"domain\" is not a domain name (1-%d bytes, no '/' or control characters)",
                                      IDXD_DOMAIN_NAME_MAX);
        r = json_doc_get_bool(doc, &doc->root, "persistent", &d->persistent, ret_error);
        if (r < 0)
                return r;
        r = json_doc_get_bool(doc, &doc->root, "autostart", &d->autostart, ret_error);
        if (r < 0)
                return r;
        r = json_doc_get_string(doc, &doc->root, "origin", &origin, ret_error);
        if (r < 0)
                return r;
        r = idxd_origin_from_string(origin);
        if (r < 0)
                return json_doc_error(doc, json_node_member(&doc->root, "origin")->offset, ret_error,
                                      "\"origin\" must be \"cli\", \"policy\" or \"mdevctl\", not \"%s\"", origin);
        d->origin = r;
        r = json_doc_get_string(doc, &doc->root, "pool", &pool, ret_error);
        if (r < 0)
                return r;

        r = json_doc_get_array(doc, &doc->root, "attrs", &attrs, ret_error);
        if (r < 0)
                return r;
        if (attrs) {
                r = idxd_parse_attrs(doc, attrs, d, ret_error);
                if (r < 0)
                        return r;
        }

        d->parent = strdup(parent);
        d->type = strdup(type);
        if (!d->parent || !d->type)
                return -ENOMEM;
        if (domain && !(d->domain = strdup(domain)))
                return -ENOMEM;
        if (pool && !(d->pool = strdup(pool)))
                return -ENOMEM;

        *ret = TAKE_PTR(d);
        return 0;
}

static int read_file_error(char **ret_error, int r, const char *path, const char *fmt, ...) _printf_(4, 5);
static int read_file_error(char **ret_error, int r, const char *path, const char *fmt, ...) {
        _cleanup_free_ char *what = NULL;
        va_list ap;
        int k;

        if (!ret_error)
                return r;
        va_start(ap, fmt);
        k = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (k < 0 || asprintf(ret_error, "%s: %s", path, what) < 0)
                *ret_error = NULL;
        return r;
}

int idxd_file_trusted(const struct stat *st, char **ret_why) {
        uid_t euid = geteuid();

        *ret_why = NULL;
        if (st->st_uid != 0 && st->st_uid != euid) {
                if (asprintf(ret_why, "owned by uid %u, not by root%s: refused (a file idxdd acts on must be "
                             "root's)", (unsigned) st->st_uid, euid != 0 ? " or this user" : "") < 0)
                        return -ENOMEM;
                return -EPERM;
        }
        if (st->st_mode & (S_IWGRP | S_IWOTH)) {
                if (asprintf(ret_why, "writable by %s (mode %04o): refused (chmod go-w)",
                             (st->st_mode & S_IWGRP) && (st->st_mode & S_IWOTH) ? "group and others" :
                             st->st_mode & S_IWGRP ? "its group" : "others",
                             (unsigned) (st->st_mode & 07777)) < 0)
                        return -ENOMEM;
                return -EPERM;
        }
        return 0;
}

int idxd_read_file(const char *path, char **ret, size_t *ret_length, char **ret_error) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL, *why = NULL;
        size_t n = 0, allocated = 0;
        struct stat st;
        int r;

        if (ret_error)
                *ret_error = NULL;
        /* Never block on a FIFO or a device, never follow a link someone put there. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
        if (fd < 0) {
                r = negative_errno();
                if (r == -ELOOP)
                        return read_file_error(ret_error, r, path, "a symbolic link: refused (idxdd follows no links here)");
                return read_file_error(ret_error, r, path, "%s", strerror(-r));
        }
        if (fstat(fd, &st) < 0) {
                r = negative_errno();
                return read_file_error(ret_error, r, path, "%s", strerror(-r));
        }
        if (S_ISDIR(st.st_mode))
                return read_file_error(ret_error, -EISDIR, path, "%s", strerror(EISDIR));
        if (!S_ISREG(st.st_mode))
                return read_file_error(ret_error, -EBADFD, path, "not a regular file (%s): refused",
                                       S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISSOCK(st.st_mode) ? "a socket" :
                                       S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "a special file");
        r = idxd_file_trusted(&st, &why);
        if (r < 0)
                return why ? read_file_error(ret_error, r, path, "%s", why) : r;

        for (;;) {
                ssize_t k;

                if (allocated - n < 4096) {
                        size_t m = allocated ? allocated * 2 : 4096;
                        char *b;

                        if (m > IDXD_READ_FILE_MAX + 1)
                                m = IDXD_READ_FILE_MAX + 1;
                        if (m <= n)
                                return read_file_error(ret_error, -EFBIG, path, "larger than %u bytes: refused",
                                                       IDXD_READ_FILE_MAX);
                        b = realloc(buf, m + 1);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        allocated = m;
                }
                k = read(fd, buf + n, allocated - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = negative_errno();
                        return read_file_error(ret_error, r, path, "%s", strerror(-r));
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > IDXD_READ_FILE_MAX)
                        return read_file_error(ret_error, -EFBIG, path, "larger than %u bytes: refused",
                                               IDXD_READ_FILE_MAX);
        }
        if (!buf && !(buf = malloc(1)))
                return -ENOMEM;
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        *ret_length = n;
        return 0;
}

static int fsync_directory_of(const char *path) {
        _cleanup_free_ char *copy = strdup(path);
        _cleanup_close_ int fd = -1;

        if (!copy)
                return -ENOMEM;
        fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fsync(fd) < 0)
                return negative_errno();
        return 0;
}

static int write_all(int fd, const char *text, size_t length) {
        while (length > 0) {
                ssize_t k = write(fd, text, length);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                text += k;
                length -= (size_t) k;
        }
        return 0;
}

int idxd_write_file_atomic(const char *path, const char *text, size_t length, unsigned mode) {
        _cleanup_free_ char *copy = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -1;
        char *slash;
        int r;

        /* ".<name>.XXXXXX" next to the target: the rename stays in one file system. */
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        slash = strrchr(copy, '/');
        if (slash) {
                *slash = 0;
                r = asprintf(&tmp, "%s/.%s.XXXXXX", copy, slash + 1);
        } else
                r = asprintf(&tmp, ".%s.XXXXXX", copy);
        if (r < 0)
                return -ENOMEM;

        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();

        r = write_all(fd, text, length);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = negative_errno();
        if (r >= 0 && fsync(fd) < 0)
                r = negative_errno();
        if (r >= 0 && close(TAKE_FD(fd)) < 0)
                r = negative_errno();
        if (r >= 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }
        return fsync_directory_of(path);
}

static int store_dir(const char *state_dir, char **ret) {
        return asprintf(ret, "%s/" IDXD_STORE_SUBDIR, state_dir) < 0 ? -ENOMEM : 0;
}

int idxd_store_file_name(const IdxdDefinition *d, char **ret) {
        char s[IDXD_UUID_STRING_MAX];
        int r;

        idxd_uuid_format(&d->uuid, s);
        if (d->parent_in_file_name)
                r = asprintf(ret, "%s@%s.json", s, strempty(d->parent));
        else
                r = asprintf(ret, "%s.json", s);
        return r < 0 ? -ENOMEM : 0;
}

static int store_path(const char *state_dir, const IdxdDefinition *d, char **ret) {
        _cleanup_free_ char *name = NULL;
        int r;

        r = idxd_store_file_name(d, &name);
        if (r < 0)
                return r;
        return asprintf(ret, "%s/" IDXD_STORE_SUBDIR "/%s", state_dir, name) < 0 ? -ENOMEM : 0;
}

static int mkdir_exists_ok(const char *path) {
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

int idxd_store_save(const char *state_dir, const IdxdDefinition *d) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
        int r;

        r = store_dir(state_dir, &dir);
        if (r < 0)
                return r;
        r = mkdir_exists_ok(state_dir);
        if (r < 0)
                return r;
        r = mkdir_exists_ok(dir);
        if (r < 0)
                return r;
        r = store_path(state_dir, d, &path);
        if (r < 0)
                return r;
        r = idxd_definition_to_json(d, &text);
        if (r < 0)
                return r;
        return idxd_write_file_atomic(path, text, strlen(text), 0644);
}

int idxd_store_check_writable(const char *state_dir) {
        _cleanup_free_ char *dir = NULL, *probe = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        r = store_dir(state_dir, &dir);
        if (r < 0)
                return r;
        r = mkdir_exists_ok(state_dir);
        if (r >= 0)
                r = mkdir_exists_ok(dir);
        if (r < 0)
                return r;
        /* A temp file as a save makes one; readers skip names that start with '.'. */
        if (asprintf(&probe, "%s/.probe.XXXXXX", dir) < 0)
                return -ENOMEM;
        fd = mkostemp(probe, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        (void) unlink(probe);
        return 0;
}

int idxd_store_remove(const char *state_dir, const IdxdDefinition *d) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = store_path(state_dir, d, &path);
        if (r < 0)
                return r;
        if (unlink(path) < 0)
                return negative_errno();
        return fsync_directory_of(path);
}

void idxd_store_load_done(IdxdStoreLoad *l) {
        for (size_t i = 0; i < l->n_definitions; i++)
                idxd_definition_free(l->definitions[i]);
        for (size_t i = 0; i < l->n_errors; i++)
                free(l->errors[i]);
        for (size_t i = 0; i < l->n_notes; i++)
                free(l->notes[i]);
        free(l->definitions);
        free(l->errors);
        free(l->notes);
        *l = (IdxdStoreLoad) {};
}

static int push_message(char ***messages, size_t *n, char *msg) {
        char **m;

        if (!msg)
                return -ENOMEM;
        m = reallocarray(*messages, *n + 1, sizeof(char *));
        if (!m) {
                free(msg);
                return -ENOMEM;
        }
        *messages = m;
        m[(*n)++] = msg;
        return 0;
}

int idxd_store_load_add_error(IdxdStoreLoad *l, char *msg) {
        return push_message(&l->errors, &l->n_errors, msg);
}

int idxd_store_load_add_note(IdxdStoreLoad *l, char *msg) {
        return push_message(&l->notes, &l->n_notes, msg);
}

int idxd_store_load_add_definition(IdxdStoreLoad *l, IdxdDefinition *d) {
        IdxdDefinition **defs = reallocarray(l->definitions, l->n_definitions + 1, sizeof(IdxdDefinition *));

        if (!defs)
                return -ENOMEM;
        l->definitions = defs;
        l->definitions[l->n_definitions++] = d;
        return 0;
}

static int push_errorf(IdxdStoreLoad *l, const char *path, const char *what) {
        char *msg;

        if (asprintf(&msg, "%s: %s", path, what) < 0)
                return -ENOMEM;
        return idxd_store_load_add_error(l, msg);
}

int idxd_definition_compare(const IdxdDefinition *x, const IdxdDefinition *y) {
        int c = idxd_uuid_compare(&x->uuid, &y->uuid);

        return c != 0 ? c : strcmp(strempty(x->parent), strempty(y->parent));
}

static int compare_definitions(const void *a, const void *b) {
        return idxd_definition_compare(*(IdxdDefinition *const *) a, *(IdxdDefinition *const *) b);
}

/*
 * "<lower-case uuid>.json" or "<lower-case uuid>@<parent>.json"; anything
 * else in the directory is not ours (temp files start with '.'). *ret_parent
 * points into name, or is NULL for the first form.
 */
static bool definition_file_name(const char *name, char ret_uuid[static IDXD_UUID_STRING_MAX],
                                 char **ret_parent) {
        char canonical[IDXD_UUID_STRING_MAX];
        size_t n = strlen(name), u = IDXD_UUID_STRING_MAX - 1;

        if (n < u + 5 || strcmp(name + n - 5, ".json") != 0)
                return false;
        memcpy(ret_uuid, name, u);
        ret_uuid[u] = 0;
        /* Only the canonical lower-case UUID, so one definition cannot have two files. */
        if (idxd_uuid_normalize(ret_uuid, canonical) != 0 || strcmp(canonical, ret_uuid) != 0)
                return false;
        if (n == u + 5) {
                *ret_parent = NULL;
                return true;
        }
        if (name[u] != '@' || n == u + 6)
                return false;
        *ret_parent = strndup(name + u + 1, n - u - 6);
        return *ret_parent && idxd_sysfs_name_valid(*ret_parent);
}

static int load_one(IdxdStoreLoad *l, const char *dir, const char *name, const char *uuid, const char *parent) {
        _cleanup_(idxd_definition_freep) IdxdDefinition *d = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        char *error = NULL;
        size_t length;
        int r;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        r = idxd_read_file(path, &text, &length, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return idxd_store_load_add_error(l, error ? error : strdup(path));
        r = idxd_definition_from_json(path, text, length, &d, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return idxd_store_load_add_error(l, error ? error : strdup(path));
        if (strcmp(d->uuid_string, uuid) != 0)
                return push_errorf(l, path, "\"uuid\" does not match the file name");
        if (parent && strcmp(d->parent, parent) != 0)
                return push_errorf(l, path, "\"parent\" does not match the file name");
        d->parent_in_file_name = parent != NULL;

        r = idxd_store_load_add_definition(l, d);
        if (r < 0)
                return r;
        d = NULL;
        return 0;
}

/* Two files for one UUID and parent ("<uuid>.json" and "<uuid>@<parent>.json"): one is reported. */
static int drop_second_files(IdxdStoreLoad *l, const char *dir) {
        size_t out = 1;
        int r = 0;

        for (size_t i = 1; i < l->n_definitions; i++) {
                IdxdDefinition *d = l->definitions[i], *kept = l->definitions[out - 1], *dropped = d;
                _cleanup_free_ char *name = NULL, *path = NULL;

                if (idxd_definition_compare(kept, d) != 0) {
                        l->definitions[out++] = d;
                        continue;
                }
                /* Keep "<uuid>.json", the name a single definition has. */
                if (kept->parent_in_file_name && !d->parent_in_file_name) {
                        l->definitions[out - 1] = d;
                        dropped = kept;
                }
                if (r >= 0)
                        r = idxd_store_file_name(dropped, &name);
                if (r >= 0 && asprintf(&path, "%s/%s", dir, name) < 0)
                        r = -ENOMEM;
                if (r >= 0)
                        r = push_errorf(l, path, "a second file for this UUID and parent, ignored");
                idxd_definition_free(dropped);
        }
        l->n_definitions = out;
        return r;
}

int idxd_store_load(const char *state_dir, IdxdStoreLoad *ret) {
        _cleanup_free_ char *dir = NULL;
        IdxdStoreLoad l = {};
        struct dirent *de;
        DIR *dh;
        int r = 0;

        r = store_dir(state_dir, &dir);
        if (r < 0)
                return r;
        dh = opendir(dir);
        if (!dh) {
                if (errno == ENOENT) {
                        *ret = l;
                        return 0;
                }
                return negative_errno();
        }
        while ((errno = 0, de = readdir(dh))) {
                _cleanup_free_ char *parent = NULL;
                char uuid[IDXD_UUID_STRING_MAX];

                if (de->d_name[0] == '.')
                        continue;
                if (!definition_file_name(de->d_name, uuid, &parent)) {
                        _cleanup_free_ char *path = NULL;

                        r = asprintf(&path, "%s/%s", dir, de->d_name) < 0 ? -ENOMEM :
                                push_errorf(&l, path, "not a definition file name (<uuid>.json or "
                                            "<uuid>@<parent>.json), ignored");
                        if (r < 0)
                                break;
                        continue;
                }
                r = load_one(&l, dir, de->d_name, uuid, parent);
                if (r < 0)
                        break;
        }
        if (r == 0 && errno != 0)
                r = negative_errno();
        closedir(dh);
        if (r >= 0 && l.n_definitions > 1) {
                qsort(l.definitions, l.n_definitions, sizeof(IdxdDefinition *), compare_definitions);
                r = drop_second_files(&l, dir);
        }
        if (r < 0) {
                idxd_store_load_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

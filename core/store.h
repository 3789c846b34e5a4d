/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Persistent mdev definitions: one JSON file per definition,
 * <state_dir>/mdevs/<uuid>.json (docs/config.md, "State directory").
 * Encoding and decoding are pure; idxd_store_*() do the file I/O, writes are
 * atomic (temp file, fsync, rename, fsync of the directory).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "uuid.h"

#define IDXD_STORE_SUBDIR "mdevs"
/* Larger files are not ours: refuse rather than read them into memory. */
#define IDXD_READ_FILE_MAX (16u * 1024 * 1024)

typedef enum IdxdOrigin {
        IDXD_ORIGIN_CLI,        /* made through CreateMdev(s) */
        IDXD_ORIGIN_POLICY,     /* made by the policy solver */
        IDXD_ORIGIN_MDEVCTL,    /* imported from /etc/mdevctl.d */
        _IDXD_ORIGIN_MAX,
} IdxdOrigin;

typedef struct IdxdAttr {
        char *name;
        char *value;
} IdxdAttr;

typedef struct IdxdDefinition {
        IdxdUuid uuid;
        char uuid_string[IDXD_UUID_STRING_MAX];
        char *parent;
        char *type;             /* full type id */
        char *domain;           /* NULL when none */
        bool persistent;
        bool autostart;
        IdxdOrigin origin;
        char *pool;             /* policy-made only: the pool it came from */
        IdxdAttr *attrs;        /* written to the mdev's sysfs attributes in this order; a name may repeat */
        size_t n_attrs;
        bool parent_in_file_name; /* stored as <uuid>@<parent>.json: the UUID has a definition under another parent */
        char *source;           /* the file it was read from, for messages (imports); not stored */
} IdxdDefinition;

const char *idxd_origin_to_string(IdxdOrigin o);
int idxd_origin_from_string(const char *s);

IdxdDefinition *idxd_definition_free(IdxdDefinition *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(IdxdDefinition *, idxd_definition_free);
int idxd_definition_add_attr(IdxdDefinition *d, const char *name, const char *value);
/* Inserts an attribute before index (n_attrs = at the end); -ERANGE past the end. */
int idxd_definition_insert_attr(IdxdDefinition *d, size_t index, const char *name, const char *value);
/* Removes the attribute at index; -ERANGE when there is none. */
int idxd_definition_remove_attr(IdxdDefinition *d, size_t index);
int idxd_definition_copy(const IdxdDefinition *src, IdxdDefinition **ret);
/* Same parent, type, domain, options and attributes (in order); the UUID is not compared. */
bool idxd_definition_equal(const IdxdDefinition *a, const IdxdDefinition *b);
/* By UUID, then parent name. */
int idxd_definition_compare(const IdxdDefinition *a, const IdxdDefinition *b);

/* Pure: the file's JSON text (pretty, ends in a newline). */
int idxd_definition_to_json(const IdxdDefinition *d, char **ret);
/* Pure: -EBADMSG with "file:line:column: message" for any error. */
int idxd_definition_from_json(const char *filename, const char *text, size_t length,
                              IdxdDefinition **ret, char **ret_error);

/* A file name sysfs could hold: 1-255 bytes, no '/', no control characters, not "." or "..". */
bool idxd_sysfs_name_valid(const char *s);

/* libvirt refuses '/' (QEMU) and newlines in domain names; control characters would garble lists and logs. */
#define IDXD_DOMAIN_NAME_MAX 255
/* 1-IDXD_DOMAIN_NAME_MAX bytes, no '/', no control characters: for the policy, definitions and D-Bus alike. */
bool idxd_domain_name_valid(const char *s);

/* Reads an "attrs" array (ordered single-key objects, mdevctl's format; names may repeat) into d. */
struct JsonDoc;
struct JsonNode;
int idxd_parse_attrs(const struct JsonDoc *doc, const struct JsonNode *attrs, IdxdDefinition *d, char **ret_error);

/*
 * Reads a whole file idxdd acts on (configuration, policy, definitions, mdevctl
 * files): opened with O_NONBLOCK|O_NOFOLLOW, so a FIFO cannot hang the reader
 * and a symbolic link is refused (-ELOOP); then it must be a regular file
 * (-EBADFD), trusted (idxd_file_trusted(), -EPERM) and at most
 * IDXD_READ_FILE_MAX bytes (-EFBIG). *ret is NUL-terminated. On failure
 * *ret_error (if not NULL) is "path: why".
 */
int idxd_read_file(const char *path, char **ret, size_t *ret_length, char **ret_error);

/*
 * sshd's StrictModes for one file: owned by root (or by the reader's own
 * effective UID, for tools run by a user on their own files) and not
 * writable by group or others. -EPERM with *ret_why set when not.
 */
struct stat;
int idxd_file_trusted(const struct stat *st, char **ret_why);
/* Writes a file atomically: temp file in the same directory, fsync, rename, fsync the directory. */
int idxd_write_file_atomic(const char *path, const char *text, size_t length, unsigned mode);

/*
 * The file of a definition under <state_dir>/mdevs: "<uuid>.json", or
 * "<uuid>@<parent>.json" when d->parent_in_file_name (one UUID defined
 * under several parents, as mdevctl allows).
 */
int idxd_store_file_name(const IdxdDefinition *d, char **ret);
/* Saves (creates or replaces) a definition under state_dir; creates the mdevs/ directory. */
int idxd_store_save(const char *state_dir, const IdxdDefinition *d);
/* Whether definitions can be saved: makes the mdevs/ directory and a temp file in it (removed). */
int idxd_store_check_writable(const char *state_dir);
/* Removes a definition's file; -ENOENT if there is none. */
int idxd_store_remove(const char *state_dir, const IdxdDefinition *d);

typedef struct IdxdStoreLoad {
        IdxdDefinition **definitions;   /* sorted by UUID, then parent */
        size_t n_definitions;
        char **errors;                  /* one message per file that could not be used */
        size_t n_errors;
        char **notes;                   /* what was passed over on purpose, and why */
        size_t n_notes;
} IdxdStoreLoad;

void idxd_store_load_done(IdxdStoreLoad *l);

/* Appends an error message, taking it (NULL: -ENOMEM, from a failed strdup()). */
int idxd_store_load_add_error(IdxdStoreLoad *l, char *msg);

/* Appends a note, taking it (NULL: -ENOMEM). */
int idxd_store_load_add_note(IdxdStoreLoad *l, char *msg);

/* Appends a definition, taking it on success; -ENOMEM leaves it the caller's. */
int idxd_store_load_add_definition(IdxdStoreLoad *l, IdxdDefinition *d);

/*
 * Loads every definition. A corrupt or unreadable file is reported in
 * l->errors, left in place and skipped; the others load. Returns 0 (also when
 * the directory does not exist yet), or -errno when the directory itself
 * cannot be read.
 */
int idxd_store_load(const char *state_dir, IdxdStoreLoad *ret);

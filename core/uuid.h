/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RFC 4122 UUIDs as mdevs use them: text, bytes, D-Bus object path element. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define IDXD_UUID_SIZE 16
/* 36 characters plus the terminating NUL. */
#define IDXD_UUID_STRING_MAX 37

typedef struct IdxdUuid {
        uint8_t bytes[IDXD_UUID_SIZE];
} IdxdUuid;

/* Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", any case. -EINVAL if malformed. */
int idxd_uuid_parse(const char *s, IdxdUuid *ret);

/* Writes the lower-case text form into ret (IDXD_UUID_STRING_MAX bytes); returns ret. */
char *idxd_uuid_format(const IdxdUuid *u, char ret[static IDXD_UUID_STRING_MAX]);

/* A random version 4 UUID from getrandom(). */
int idxd_uuid_generate(IdxdUuid *ret);

bool idxd_uuid_equal(const IdxdUuid *a, const IdxdUuid *b);
bool idxd_uuid_is_null(const IdxdUuid *u);
int idxd_uuid_compare(const IdxdUuid *a, const IdxdUuid *b);

/* Parses any-case text and writes the canonical lower-case form. -EINVAL if malformed. */
int idxd_uuid_normalize(const char *s, char ret[static IDXD_UUID_STRING_MAX]);

/* Object path element: lower case with '-' replaced by '_'. */
char *idxd_uuid_to_path_element(const IdxdUuid *u, char ret[static IDXD_UUID_STRING_MAX]);
int idxd_uuid_from_path_element(const char *element, IdxdUuid *ret);

/* "/org/idxd/Manager1/mdev/<element>" into a newly allocated string. */
int idxd_uuid_to_object_path(const IdxdUuid *u, char **ret);
/* Inverse of idxd_uuid_to_object_path(); -EINVAL for any other path. */
int idxd_uuid_from_object_path(const char *path, IdxdUuid *ret);

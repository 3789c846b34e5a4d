/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "idxd-bus.h"
#include "macro.h"
#include "uuid.h"

/* Where the four dashes go in the 36-character text form. */
static bool dash_position(size_t i) {
        return i == 8 || i == 13 || i == 18 || i == 23;
}

/* Shared by text and path-element parsing, which differ only in the separator. */
static int uuid_parse_with(const char *s, char separator, IdxdUuid *ret) {
        IdxdUuid u = {};
        size_t n = 0;

        if (!s || strlen(s) != IDXD_UUID_STRING_MAX - 1)
                return -EINVAL;

        for (size_t i = 0; i < IDXD_UUID_STRING_MAX - 1; i++) {
                int hi, lo;

                if (dash_position(i)) {
                        if (s[i] != separator)
                                return -EINVAL;
                        continue;
                }

                hi = hex_digit_value(s[i]);
                lo = hex_digit_value(s[i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                u.bytes[n++] = (uint8_t) (hi << 4 | lo);
                i++;
        }

        if (ret)
                *ret = u;
        return 0;
}

static char *uuid_format_with(const IdxdUuid *u, char separator, char *ret) {
        static const char hex[] = "0123456789abcdef";
        char *w = ret;

        for (size_t n = 0; n < IDXD_UUID_SIZE; n++) {
                /* a separator before bytes 4, 6, 8 and 10: 8-4-4-4-12 digits */
                if (n == 4 || n == 6 || n == 8 || n == 10)
                        *w++ = separator;
                *w++ = hex[u->bytes[n] >> 4];
                *w++ = hex[u->bytes[n] & 0xf];
        }
        *w = '\0';
        return ret;
}

int idxd_uuid_parse(const char *s, IdxdUuid *ret) {
        return uuid_parse_with(s, '-', ret);
}

char *idxd_uuid_format(const IdxdUuid *u, char ret[static IDXD_UUID_STRING_MAX]) {
        return uuid_format_with(u, '-', ret);
}

int idxd_uuid_generate(IdxdUuid *ret) {
        IdxdUuid u;
        size_t done = 0;

        while (done < sizeof(u.bytes)) {
                ssize_t n = getrandom(u.bytes + done, sizeof(u.bytes) - done, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                done += (size_t) n;
        }

        u.bytes[6] = (u.bytes[6] & 0x0f) | 0x40;        /* version 4 */
        u.bytes[8] = (u.bytes[8] & 0x3f) | 0x80;        /* RFC 4122 variant */
        *ret = u;
        return 0;
}

bool idxd_uuid_equal(const IdxdUuid *a, const IdxdUuid *b) {
        return memcmp(a->bytes, b->bytes, IDXD_UUID_SIZE) == 0;
}

bool idxd_uuid_is_null(const IdxdUuid *u) {
        static const IdxdUuid null;
        return idxd_uuid_equal(u, &null);
}

int idxd_uuid_compare(const IdxdUuid *a, const IdxdUuid *b) {
        return memcmp(a->bytes, b->bytes, IDXD_UUID_SIZE);
}

int idxd_uuid_normalize(const char *s, char ret[static IDXD_UUID_STRING_MAX]) {
        IdxdUuid u;
        int r;

        r = idxd_uuid_parse(s, &u);
        if (r < 0)
                return r;
        idxd_uuid_format(&u, ret);
        return 0;
}

char *idxd_uuid_to_path_element(const IdxdUuid *u, char ret[static IDXD_UUID_STRING_MAX]) {
        return uuid_format_with(u, '_', ret);
}

int idxd_uuid_from_path_element(const char *element, IdxdUuid *ret) {
        return uuid_parse_with(element, '_', ret);
}

int idxd_uuid_to_object_path(const IdxdUuid *u, char **ret) {
        char element[IDXD_UUID_STRING_MAX];
        char *path;

        if (asprintf(&path, "%s/%s", IDXD_MDEV_PATH_PREFIX, idxd_uuid_to_path_element(u, element)) < 0)
                return -ENOMEM;
        *ret = path;
        return 0;
}

int idxd_uuid_from_object_path(const char *path, IdxdUuid *ret) {
        size_t n = strlen(IDXD_MDEV_PATH_PREFIX);

        if (!path || strncmp(path, IDXD_MDEV_PATH_PREFIX, n) != 0 || path[n] != '/')
                return -EINVAL;
        return idxd_uuid_from_path_element(path + n + 1, ret);
}

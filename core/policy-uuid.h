/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stable UUIDs for policy-made mdevs: RFC 4122 version 5 (SHA-1, name-based)
 * over a fixed idxdd namespace and the name "<domain>/<pool>/<index>", so a
 * domain's XML keeps pointing at the same mdev across reboots and re-solves.
 * Pure.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "uuid.h"

/* 02152658-b922-4d1a-9846-3d81cb86af62; never change it, stored configs depend on it. */
extern const IdxdUuid idxd_policy_uuid_namespace;

typedef struct IdxdSha1 {
        uint32_t h[5];
        uint64_t length;
        uint8_t block[64];
        size_t used;
} IdxdSha1;

void idxd_sha1_init(IdxdSha1 *s);
void idxd_sha1_update(IdxdSha1 *s, const void *data, size_t n);
void idxd_sha1_final(IdxdSha1 *s, uint8_t ret[static 20]);

/* RFC 4122 section 4.3. */
void idxd_uuid_v5(const IdxdUuid *namespace, const void *name, size_t n, IdxdUuid *ret);

/* The UUID of mdev number index (from 0) that pool gives domain. */
int idxd_policy_uuid(const char *domain, const char *pool, unsigned index, IdxdUuid *ret);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "policy-uuid.h"

const IdxdUuid idxd_policy_uuid_namespace = { {
        0x02, 0x15, 0x26, 0x58, 0xb9, 0x22, 0x4d, 0x1a,
        0x98, 0x46, 0x3d, 0x81, 0xcb, 0x86, 0xaf, 0x62,
} };

static uint32_t rol(uint32_t x, unsigned n) {
        return x << n | x >> (32 - n);
}

static void sha1_block(IdxdSha1 *s, const uint8_t *p) {
        uint32_t w[80], a, b, c, d, e;

        for (int i = 0; i < 16; i++)
                w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 |
                       (uint32_t) p[4 * i + 2] << 8 | (uint32_t) p[4 * i + 3];
        for (int i = 16; i < 80; i++)
                w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);

        a = s->h[0];
        b = s->h[1];
        c = s->h[2];
        d = s->h[3];
        e = s->h[4];
        for (int i = 0; i < 80; i++) {
                uint32_t f, k, t;

                if (i < 20) {
                        f = (b & c) | (~b & d);
                        k = 0x5a827999;
                } else if (i < 40) {
                        f = b ^ c ^ d;
                        k = 0x6ed9eba1;
                } else if (i < 60) {
                        f = (b & c) | (b & d) | (c & d);
                        k = 0x8f1bbcdc;
                } else {
                        f = b ^ c ^ d;
                        k = 0xca62c1d6;
                }
                t = rol(a, 5) + f + e + k + w[i];
                e = d;
                d = c;
                c = rol(b, 30);
                b = a;
                a = t;
        }
        s->h[0] += a;
        s->h[1] += b;
        s->h[2] += c;
        s->h[3] += d;
        s->h[4] += e;
}

void idxd_sha1_init(IdxdSha1 *s) {
        *s = (IdxdSha1) { .h = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 } };
}

void idxd_sha1_update(IdxdSha1 *s, const void *data, size_t n) {
        const uint8_t *p = data;

        s->length += n;
        while (n > 0) {
                size_t k = 64 - s->used;

                if (k > n)
                        k = n;
                memcpy(s->block + s->used, p, k);
                s->used += k;
                p += k;
                n -= k;
                if (s->used == 64) {
                        sha1_block(s, s->block);
                        s->used = 0;
                }
        }
}

void idxd_sha1_final(IdxdSha1 *s, uint8_t ret[static 20]) {
        uint64_t bits = s->length * 8;
        uint8_t pad = 0x80, zero = 0, len[8];

        idxd_sha1_update(s, &pad, 1);
        while (s->used != 56)
                idxd_sha1_update(s, &zero, 1);
        for (int i = 0; i < 8; i++)
                len[i] = (uint8_t) (bits >> (56 - 8 * i));
        idxd_sha1_update(s, len, 8);
        for (int i = 0; i < 20; i++)
                ret[i] = (uint8_t) (s->h[i / 4] >> (24 - 8 * (i % 4)));
}

void idxd_uuid_v5(const IdxdUuid *namespace, const void *name, size_t n, IdxdUuid *ret) {
        uint8_t digest[20];
        IdxdSha1 s;

        idxd_sha1_init(&s);
        idxd_sha1_update(&s, namespace->bytes, IDXD_UUID_SIZE);
        idxd_sha1_update(&s, name, n);
        idxd_sha1_final(&s, digest);

        memcpy(ret->bytes, digest, IDXD_UUID_SIZE);
        ret->bytes[6] = (uint8_t) ((ret->bytes[6] & 0x0f) | 0x50);     /* version 5 */
        ret->bytes[8] = (uint8_t) ((ret->bytes[8] & 0x3f) | 0x80);     /* RFC 4122 variant */
}

int idxd_policy_uuid(const char *domain, const char *pool, unsigned index, IdxdUuid *ret) {
        _cleanup_free_ char *name = NULL;
        int n;

        n = asprintf(&name, "%s/%s/%u", domain, pool, index);
        if (n < 0)
                return -ENOMEM;
        idxd_uuid_v5(&idxd_policy_uuid_namespace, name, (size_t) n, ret);
        return 0;
}

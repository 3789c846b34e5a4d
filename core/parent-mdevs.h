/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A parent's "mdevs" attribute, as idxd_mdev.ko writes it: one line per mdev,
 * "UUID TYPE WQ IMS_VECTORS IOMMU_GROUP" (group -1: none), padded with
 * spaces. What the mdev's own files say (the mdev_type and iommu_group
 * links, ims_vectors, wq), for all of a parent's mdevs in one file.
 */
#pragma once

#include <stddef.h>

typedef struct ParentMdevLine {
        const char *uuid;               /* as the kernel writes it: lower case */
        const char *type;               /* type id, e.g. idxd_mdev-dsa-1swq-v1 */
        const char *wq;
        const char *ims_vectors;
        const char *iommu_group;
} ParentMdevLine;

/*
 * Splits text, in place, into its lines, sorted by UUID. A line without the
 * five fields or without a valid UUID is left out (its mdev is then read
 * from its own files); fields after the fifth are ignored.
 */
int parent_mdevs_parse(char *text, ParentMdevLine **ret, size_t *ret_n);

/* The line of uuid (lower case) in sorted lines, or NULL. */
const ParentMdevLine *parent_mdevs_find(const ParentMdevLine *lines, size_t n, const char *uuid);

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interrupt Message Store (IMS) for a parent device.
 *
 * Linux 6.1 has no IMS API, so each parent carries a table of this shape:
 * entries are allocated and released one by one, hold an MSI message
 * (address/data), a mask bit and a pending bit. An interrupt raised on a
 * masked entry is remembered and delivered on unmask. Delivery of an entry
 * is the eventfd that userspace bound to the guest MSI-X vector it backs.
 *
 * With 6.2+ a hardware backend maps this onto the IMS domain made by
 * pci_create_ims_domain(): ims_alloc()/ims_free() -> pci_ims_alloc_irq()/
 * pci_ims_free_irq(), ims_write_msg() -> the template chip's
 * irq_write_msi_msg(), ims_mask()/ims_unmask() -> its irq_mask()/
 * irq_unmask(), ims_fire() -> the device itself, delivered to the eventfd
 * by the host's handler of that interrupt (docs/kernel.md).
 */
#ifndef IDXD_MDEV_IMS_H
#define IDXD_MDEV_IMS_H

#include <linux/types.h>

struct eventfd_ctx;
struct ims_table;

/* Hard limit of a table; a 16-bit interrupt handle addresses it. */
#define IMS_SIZE_MAX	65536

struct ims_table *ims_table_create(unsigned int size);
void ims_table_destroy(struct ims_table *table);

unsigned int ims_size(const struct ims_table *table);
unsigned int ims_available(struct ims_table *table);

int ims_alloc(struct ims_table *table, unsigned int *index);
int ims_alloc_many(struct ims_table *table, unsigned int nr,
		   unsigned int *index);
void ims_free(struct ims_table *table, unsigned int index);

void ims_write_msg(struct ims_table *table, unsigned int index,
		   u64 addr, u32 data);
void ims_read_msg(struct ims_table *table, unsigned int index,
		  u64 *addr, u32 *data);
void ims_mask(struct ims_table *table, unsigned int index);
void ims_unmask(struct ims_table *table, unsigned int index);
bool ims_is_masked(struct ims_table *table, unsigned int index);
bool ims_is_pending(struct ims_table *table, unsigned int index);

void ims_set_trigger(struct ims_table *table, unsigned int index,
		     struct eventfd_ctx *trigger);
void ims_fire(struct ims_table *table, unsigned int index);

#endif /* IDXD_MDEV_IMS_H */

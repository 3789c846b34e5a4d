/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest-visible virtual DSA device of one mdev: PCI config space,
 * BAR0 registers with the MSI-X table backed by IMS entries, the BAR2 WQ
 * portal, and VFIO interrupt binding.
 */
#ifndef IDXD_MDEV_VDEV_H
#define IDXD_MDEV_VDEV_H

#include <linux/mutex.h>
#include <linux/vfio.h>

#include "engine.h"
#include "parent.h"
#include "queue.h"
#include "regs.h"

/* VFIO region offsets, the same scheme vfio-pci uses */
#define VDEV_REGION_SHIFT	40
#define VDEV_REGION_OFFSET(i)	((u64)(i) << VDEV_REGION_SHIFT)
#define VDEV_REGION_INDEX(off)	((off) >> VDEV_REGION_SHIFT)
#define VDEV_REGION_MASK	(VDEV_REGION_OFFSET(1) - 1)

/* Submission slots of the portal BAR: one per 64-byte aligned offset. */
#define VDEV_PORTAL_SLOTS	(VDEV_BAR2_SIZE / VDEV_PORTAL_STRIDE)

/**
 * struct vdev_portal_slot - a descriptor arriving in pieces
 * @bytes: the descriptor as written so far
 * @present: bit i set when byte i has been written
 */
struct vdev_portal_slot {
	u8 bytes[VDEV_PORTAL_STRIDE];
	u64 present;
};

/* Largest single read or write the device accepts. */
#define VDEV_ACCESS_MAX		VDEV_CFG_SIZE

/**
 * struct idxd_vdev - state of one mdev
 * @vfio: VFIO core object
 * @parent: the parent device
 * @type: the mdev type it was created as
 * @res: WQ and IMS entries held; back to the parent on release
 * @lock: guards everything below but @regs_lock's registers; commands,
 *	  portal writes and resets run under it
 * @regs_lock: guards INTCAUSE and SWERR, which the queue worker sets
 * @cfg: PCI config space image
 * @cfg_wmask: writable bits of @cfg
 * @regs: BAR0 register image below DSA_REG_FILE_SIZE
 * @dev_enabled: device enabled by the ENABLE_DEVICE command
 * @wq_enabled: WQ 0 enabled by the ENABLE_WQ command
 * @engine: descriptor engine
 * @queue: accepted descriptors, run by the engine on a worker
 * @stage: partial descriptors per portal slot, allocated on the first piece
 * @req_trigger: eventfd bound to VFIO_PCI_REQ_IRQ_INDEX
 */
struct idxd_vdev {
	struct vfio_device vfio;
	struct idxd_parent *parent;
	const struct idxd_mdev_type *type;
	struct idxd_reservation res;
	struct mutex lock;	/* registers, config space, portal, req_trigger */
	spinlock_t regs_lock;	/* INTCAUSE, SWERR */
	u8 cfg[VDEV_CFG_SIZE];
	u8 cfg_wmask[VDEV_CFG_SIZE];
	u8 regs[DSA_REG_FILE_SIZE];
	unsigned int dev_enabled:1;
	unsigned int wq_enabled:1;
	struct dsa_engine engine;
	struct idxd_queue queue;
	struct vdev_portal_slot *stage;
	struct eventfd_ctx *req_trigger;
	struct list_head parent_node;	/* in parent->mdevs, under parent->lock */
	int iommu_group;		/* its id, or -1 */
};

int idxd_vdev_init(struct idxd_vdev *vdev, struct idxd_parent *parent,
		   const struct idxd_mdev_type *type);
void idxd_vdev_destroy(struct idxd_vdev *vdev);
void idxd_vdev_reset(struct idxd_vdev *vdev);
void idxd_vdev_close(struct idxd_vdev *vdev);
ssize_t idxd_vdev_access(struct idxd_vdev *vdev, u8 *buf, size_t count,
			 u64 pos, bool write);
unsigned int idxd_vdev_irq_count(struct idxd_vdev *vdev, unsigned int index);
int idxd_vdev_set_irqs(struct idxd_vdev *vdev, const struct vfio_irq_set *hdr,
		       const void *data);
void idxd_vdev_request(struct idxd_vdev *vdev, unsigned int count);

#endif /* IDXD_MDEV_VDEV_H */

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The internal parent interface: what the mdev layer needs from a DSA
 * device, software or hardware. A backend fills struct idxd_parent_ops,
 * embeds struct idxd_parent and calls idxd_parent_register() from its
 * probe. The software backend is sim_parent.c.
 */
#ifndef IDXD_MDEV_PARENT_H
#define IDXD_MDEV_PARENT_H

#include <linux/device.h>
#include <linux/mdev.h>
#include <linux/mutex.h>

struct dsa_desc;
struct ims_table;
struct idxd_vdev;

enum idxd_wq_kind {
	IDXD_WQ_DEDICATED,
	IDXD_WQ_SHARED,
	IDXD_WQ_KINDS,
};

/* An mdev type of one parent; the mdev core needs one instance per parent. */
struct idxd_mdev_type {
	struct mdev_type type;
	enum idxd_wq_kind kind;
	unsigned int nr_vectors;	/* guest MSI-X vectors == IMS entries */
	const char *description;
};

/* The WQ an mdev was given. */
struct idxd_wq_claim {
	unsigned int wq;
	enum idxd_wq_kind kind;
};

struct idxd_parent;

/**
 * struct idxd_parent_ops - a DSA backend
 * @wq_free: how many more mdevs of @kind the WQs can take
 * @wq_claim: take a WQ (dedicated) or a slot of one (shared)
 * @wq_release: give back what wq_claim() took
 * @wq_size: WQ size the guest sees for @kind
 * @submit: accept one descriptor for @vdev without waiting for it to run;
 *	    0, or -EAGAIN when the WQ is full and the descriptor is dropped
 *
 * wq_free(), wq_claim() and wq_release() are called with the parent lock
 * held. submit() runs in the context of the user's portal write, with the
 * device lock held.
 */
struct idxd_parent_ops {
	unsigned int (*wq_free)(struct idxd_parent *parent,
				enum idxd_wq_kind kind);
	int (*wq_claim)(struct idxd_parent *parent, enum idxd_wq_kind kind,
			struct idxd_wq_claim *claim);
	void (*wq_release)(struct idxd_parent *parent,
			   const struct idxd_wq_claim *claim);
	unsigned int (*wq_size)(struct idxd_parent *parent,
				enum idxd_wq_kind kind);
	int (*submit)(struct idxd_parent *parent, struct idxd_vdev *vdev,
		      const struct dsa_desc *desc);
};

/**
 * struct idxd_parent - one DSA device that mdevs are carved from
 * @dev: the device the mdev types hang off; its drvdata is this struct
 * @ops: backend operations
 * @ims: interrupt message store of the device
 * @lock: serialises resource claims so available_instances is exact
 * @mdevs: the parent's mdevs in the order they were probed (struct
 *	   idxd_vdev.parent_node), under @lock; what the "mdevs" attribute lists
 * @mdev_parent: mdev core state
 * @types: the mdev types of this parent
 * @type_ptrs: @types as the mdev core wants them
 */
struct idxd_parent {
	struct device *dev;
	const struct idxd_parent_ops *ops;
	struct ims_table *ims;
	struct mutex lock;	/* WQ claims, IMS allocation, @mdevs */
	struct list_head mdevs;
	struct mdev_parent mdev_parent;
	struct idxd_mdev_type types[IDXD_WQ_KINDS];
	struct mdev_type *type_ptrs[IDXD_WQ_KINDS];
};

/* Upper bound of guest MSI-X vectors per mdev. */
#define IDXD_MAX_VECTORS	8

/* What an mdev holds of its parent; given back by idxd_parent_unreserve(). */
struct idxd_reservation {
	struct idxd_wq_claim wq;
	unsigned int nr_vectors;
	unsigned int ims_index[IDXD_MAX_VECTORS];
};

int idxd_parent_register(struct idxd_parent *parent, struct device *dev,
			 const struct idxd_parent_ops *ops,
			 unsigned int ims_size);
void idxd_parent_unregister(struct idxd_parent *parent);
int idxd_parent_reserve(struct idxd_parent *parent,
			const struct idxd_mdev_type *type,
			struct idxd_reservation *res);
void idxd_parent_unreserve(struct idxd_parent *parent,
			   struct idxd_reservation *res);

extern const struct attribute_group *idxd_parent_groups[];

int idxd_mdev_driver_register(void);
void idxd_mdev_driver_unregister(void);

#endif /* IDXD_MDEV_PARENT_H */

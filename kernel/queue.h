/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The queue of one mdev's WQ: descriptors accepted at the portal wait here
 * and run, in order, on a kernel worker, so a portal write returns at once.
 */
#ifndef IDXD_MDEV_QUEUE_H
#define IDXD_MDEV_QUEUE_H

#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "engine.h"

/**
 * struct idxd_queue - descriptors waiting for the engine
 * @engine: runs them
 * @lock: guards @ring, @head, @count and @running
 * @ring: @size descriptors
 * @size: WQ size: accepted but unfinished descriptors, the running one too
 * @head: index of the oldest waiting descriptor
 * @count: waiting descriptors
 * @running: 1 while the worker runs one, else 0
 * @work: the worker
 */
struct idxd_queue {
	struct dsa_engine *engine;
	spinlock_t lock;	/* ring, head, count, running */
	struct dsa_desc *ring;
	unsigned int size;
	unsigned int head;
	unsigned int count;
	unsigned int running;
	struct work_struct work;
};

int idxd_queue_init(struct idxd_queue *queue, struct dsa_engine *engine,
		    unsigned int size);
void idxd_queue_fini(struct idxd_queue *queue);
int idxd_queue_submit(struct idxd_queue *queue, const struct dsa_desc *desc);
void idxd_queue_drain(struct idxd_queue *queue);
void idxd_queue_abort(struct idxd_queue *queue);

int idxd_queue_module_init(void);
void idxd_queue_module_exit(void);

#endif /* IDXD_MDEV_QUEUE_H */

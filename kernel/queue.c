// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-mdev descriptor queues. Each mdev has its own work item on one
 * unbound workqueue: mdevs run in parallel, an mdev's descriptors in
 * order. The worker never takes the device lock, so the portal, the
 * registers and the commands (which drain or abort under that lock) stay
 * responsive while a descriptor runs.
 */
#include <linux/slab.h>

#include "queue.h"

static struct workqueue_struct *idxd_queue_wq;

static void idxd_queue_work(struct work_struct *work)
{
	struct idxd_queue *queue = container_of(work, struct idxd_queue, work);
	struct dsa_desc desc;

	spin_lock(&queue->lock);
	while (queue->count) {
		desc = queue->ring[queue->head];
		queue->head = (queue->head + 1) % queue->size;
		queue->count--;
		queue->running = 1;
		spin_unlock(&queue->lock);

		dsa_engine_run(queue->engine, &desc);

		spin_lock(&queue->lock);
		queue->running = 0;
	}
	spin_unlock(&queue->lock);
}

/**
 * idxd_queue_init() - set up an empty queue
 * @queue: the queue
 * @engine: engine that runs its descriptors
 * @size: descriptors it holds (the WQ size)
 *
 * Return: 0 or -ENOMEM.
 */
int idxd_queue_init(struct idxd_queue *queue, struct dsa_engine *engine,
		    unsigned int size)
{
	queue->ring = kcalloc(size, sizeof(*queue->ring), GFP_KERNEL);
	if (!queue->ring)
		return -ENOMEM;
	queue->engine = engine;
	queue->size = size;
	queue->head = 0;
	queue->count = 0;
	queue->running = 0;
	spin_lock_init(&queue->lock);
	INIT_WORK(&queue->work, idxd_queue_work);
	return 0;
}

/**
 * idxd_queue_fini() - release a queue
 * @queue: an idle queue (idxd_queue_abort() first)
 */
void idxd_queue_fini(struct idxd_queue *queue)
{
	cancel_work_sync(&queue->work);
	kfree(queue->ring);
	queue->ring = NULL;
}

/**
 * idxd_queue_submit() - accept a descriptor and wake the worker
 * @queue: the queue
 * @desc: the descriptor; copied
 *
 * Return: 0, or -EAGAIN when the WQ is full (the descriptor is dropped).
 */
int idxd_queue_submit(struct idxd_queue *queue, const struct dsa_desc *desc)
{
	spin_lock(&queue->lock);
	if (queue->count + queue->running >= queue->size) {
		spin_unlock(&queue->lock);
		return -EAGAIN;
	}
	queue->ring[(queue->head + queue->count) % queue->size] = *desc;
	queue->count++;
	spin_unlock(&queue->lock);
	queue_work(idxd_queue_wq, &queue->work);
	return 0;
}

/**
 * idxd_queue_drain() - wait until every accepted descriptor has completed
 * @queue: the queue; the caller keeps new submissions out
 */
void idxd_queue_drain(struct idxd_queue *queue)
{
	flush_work(&queue->work);
}

/**
 * idxd_queue_abort() - drop waiting descriptors, stop the running one
 * @queue: the queue; the caller keeps new submissions out
 *
 * Dropped and stopped descriptors write no completion record and raise no
 * interrupt. On return the worker no longer touches guest memory.
 */
void idxd_queue_abort(struct idxd_queue *queue)
{
	spin_lock(&queue->lock);
	queue->count = 0;
	WRITE_ONCE(queue->engine->abort, 1);
	spin_unlock(&queue->lock);
	flush_work(&queue->work);
	WRITE_ONCE(queue->engine->abort, 0);
}

/**
 * idxd_queue_module_init() - create the workqueue all queues run on
 *
 * Return: 0 or -ENOMEM.
 */
int idxd_queue_module_init(void)
{
	idxd_queue_wq = alloc_workqueue("idxd_mdev", WQ_UNBOUND, 0);
	return idxd_queue_wq ? 0 : -ENOMEM;
}

/**
 * idxd_queue_module_exit() - destroy it; every queue is gone by now
 */
void idxd_queue_module_exit(void)
{
	destroy_workqueue(idxd_queue_wq);
}

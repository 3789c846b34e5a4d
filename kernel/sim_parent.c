// SPDX-License-Identifier: GPL-2.0-only
/*
 * Software DSA parent. Each device is a platform device idxd_sim.N
 * (/sys/devices/platform/idxd_sim.N) bound to the platform driver
 * "idxd_mdev". WQs 0..nr_wqs-nr_swqs-1 are dedicated (one mdev each), the
 * last nr_swqs are shared (swq_slots mdevs each, spread evenly).
 */
#include <linux/bitmap.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "queue.h"
#include "sim_parent.h"
#include "vdev.h"

#define IDXD_SIM_NAME		"idxd_sim"
#define IDXD_SIM_WQ_SIZE	32

struct idxd_sim {
	struct idxd_parent parent;
	struct idxd_sim_config cfg;
	unsigned int nr_dwqs;
	unsigned long *dwq_used;
	unsigned int *swq_users;
	unsigned int free[IDXD_WQ_KINDS];
};

static struct platform_device **idxd_sim_devices;
static unsigned int idxd_sim_count;

static struct idxd_sim *to_sim(struct idxd_parent *parent)
{
	return container_of(parent, struct idxd_sim, parent);
}

static unsigned int idxd_sim_wq_free(struct idxd_parent *parent,
				     enum idxd_wq_kind kind)
{
	return to_sim(parent)->free[kind];
}

static int idxd_sim_wq_claim(struct idxd_parent *parent,
			     enum idxd_wq_kind kind,
			     struct idxd_wq_claim *claim)
{
	struct idxd_sim *sim = to_sim(parent);
	unsigned int i, best = 0;

	if (!sim->free[kind])
		return -ENOSPC;
	if (kind == IDXD_WQ_DEDICATED) {
		best = find_first_zero_bit(sim->dwq_used, sim->nr_dwqs);
		if (best >= sim->nr_dwqs)
			return -ENOSPC;
		__set_bit(best, sim->dwq_used);
		claim->wq = best;
	} else {
		for (i = 1; i < sim->cfg.nr_swqs; i++)
			if (sim->swq_users[i] < sim->swq_users[best])
				best = i;
		if (sim->swq_users[best] >= sim->cfg.swq_slots)
			return -ENOSPC;
		sim->swq_users[best]++;
		claim->wq = sim->nr_dwqs + best;
	}
	claim->kind = kind;
	sim->free[kind]--;
	return 0;
}

static void idxd_sim_wq_release(struct idxd_parent *parent,
				const struct idxd_wq_claim *claim)
{
	struct idxd_sim *sim = to_sim(parent);

	if (claim->kind == IDXD_WQ_DEDICATED) {
		if (claim->wq >= sim->nr_dwqs ||
		    !__test_and_clear_bit(claim->wq, sim->dwq_used))
			return;
	} else {
		unsigned int i = claim->wq - sim->nr_dwqs;

		if (claim->wq < sim->nr_dwqs || i >= sim->cfg.nr_swqs ||
		    !sim->swq_users[i])
			return;
		sim->swq_users[i]--;
	}
	sim->free[claim->kind]++;
}

static unsigned int idxd_sim_wq_size(struct idxd_parent *parent,
				     enum idxd_wq_kind kind)
{
	return IDXD_SIM_WQ_SIZE;
}

/* The software engine runs it on the mdev's queue worker. */
static int idxd_sim_submit(struct idxd_parent *parent, struct idxd_vdev *vdev,
			   const struct dsa_desc *desc)
{
	return idxd_queue_submit(&vdev->queue, desc);
}

static const struct idxd_parent_ops idxd_sim_ops = {
	.wq_free = idxd_sim_wq_free,
	.wq_claim = idxd_sim_wq_claim,
	.wq_release = idxd_sim_wq_release,
	.wq_size = idxd_sim_wq_size,
	.submit = idxd_sim_submit,
};

static void idxd_sim_free(struct idxd_sim *sim)
{
	bitmap_free(sim->dwq_used);
	kfree(sim->swq_users);
	kfree(sim);
}

static int idxd_sim_probe(struct platform_device *pdev)
{
	const struct idxd_sim_config *cfg = dev_get_platdata(&pdev->dev);
	struct idxd_sim *sim;
	int ret;

	if (!cfg || !cfg->nr_wqs || cfg->nr_swqs > cfg->nr_wqs)
		return -EINVAL;
	sim = kzalloc(sizeof(*sim), GFP_KERNEL);
	if (!sim)
		return -ENOMEM;
	sim->cfg = *cfg;
	sim->nr_dwqs = cfg->nr_wqs - cfg->nr_swqs;
	sim->dwq_used = bitmap_zalloc(max(sim->nr_dwqs, 1U), GFP_KERNEL);
	sim->swq_users = kcalloc(max(cfg->nr_swqs, 1U),
				 sizeof(*sim->swq_users), GFP_KERNEL);
	if (!sim->dwq_used || !sim->swq_users) {
		idxd_sim_free(sim);
		return -ENOMEM;
	}
	sim->free[IDXD_WQ_DEDICATED] = sim->nr_dwqs;
	sim->free[IDXD_WQ_SHARED] = cfg->nr_swqs * cfg->swq_slots;

	ret = idxd_parent_register(&sim->parent, &pdev->dev, &idxd_sim_ops,
				   cfg->ims_size);
	if (ret) {
		idxd_sim_free(sim);
		return ret;
	}
	dev_info(&pdev->dev, "software DSA: %u WQs (%u shared x %u), %u IMS entries\n",
		 cfg->nr_wqs, cfg->nr_swqs, cfg->swq_slots, cfg->ims_size);
	return 0;
}

static int idxd_sim_remove(struct platform_device *pdev)
{
	struct idxd_parent *parent = platform_get_drvdata(pdev);

	idxd_parent_unregister(parent);
	idxd_sim_free(to_sim(parent));
	return 0;
}

static const struct platform_device_id idxd_sim_ids[] = {
	{ .name = IDXD_SIM_NAME },
	{ }
};

/* Named "idxd_mdev": the mdev core names types after the parent's driver. */
static struct platform_driver idxd_sim_driver = {
	.driver = {
		.name = "idxd_mdev",
		.dev_groups = idxd_parent_groups,
	},
	.id_table = idxd_sim_ids,
	.probe = idxd_sim_probe,
	.remove = idxd_sim_remove,
};

/**
 * idxd_sim_init() - create the software DSA devices
 * @nr_devices: how many (idxd_sim.0 .. idxd_sim.N-1)
 * @cfg: shape of each device
 *
 * Return: 0 or a negative errno, with nothing left registered.
 */
int idxd_sim_init(unsigned int nr_devices, const struct idxd_sim_config *cfg)
{
	struct platform_device *pdev;
	unsigned int i;
	int ret;

	ret = platform_driver_register(&idxd_sim_driver);
	if (ret || !nr_devices)
		return ret;
	idxd_sim_devices = kcalloc(nr_devices, sizeof(*idxd_sim_devices),
				   GFP_KERNEL);
	if (!idxd_sim_devices) {
		ret = -ENOMEM;
		goto err_driver;
	}
	for (i = 0; i < nr_devices; i++) {
		pdev = platform_device_register_data(NULL, IDXD_SIM_NAME, i,
						     cfg, sizeof(*cfg));
		if (IS_ERR(pdev)) {
			ret = PTR_ERR(pdev);
			goto err_devices;
		}
		idxd_sim_devices[idxd_sim_count++] = pdev;
		if (!platform_get_drvdata(pdev)) {
			/* probe failed: report it instead of a dead parent */
			ret = -ENODEV;
			goto err_devices;
		}
	}
	return 0;

err_devices:
	idxd_sim_exit();
	return ret;
err_driver:
	platform_driver_unregister(&idxd_sim_driver);
	return ret;
}

/**
 * idxd_sim_exit() - remove the software DSA devices and their mdevs
 */
void idxd_sim_exit(void)
{
	while (idxd_sim_count)
		platform_device_unregister(idxd_sim_devices[--idxd_sim_count]);
	kfree(idxd_sim_devices);
	idxd_sim_devices = NULL;
	platform_driver_unregister(&idxd_sim_driver);
}

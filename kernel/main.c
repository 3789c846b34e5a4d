// SPDX-License-Identifier: GPL-2.0-only
/*
 * idxd_mdev: VFIO mediated devices carved from Intel DSA devices, with
 * guest interrupts backed by an Interrupt Message Store.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "engine.h"
#include "ims.h"
#include "parent.h"
#include "queue.h"
#include "sim_parent.h"

static unsigned int sim_devices;
module_param(sim_devices, uint, 0444);
MODULE_PARM_DESC(sim_devices, "Software DSA parents to create (default 0)");

static unsigned int sim_wqs = 8;
module_param(sim_wqs, uint, 0444);
MODULE_PARM_DESC(sim_wqs, "WQs per software DSA parent, 1-64 (default 8)");

static unsigned int sim_swqs = 2;
module_param(sim_swqs, uint, 0444);
MODULE_PARM_DESC(sim_swqs, "How many of those WQs are shared, the last ones (default 2)");

static unsigned int swq_slots = 8;
module_param(swq_slots, uint, 0444);
MODULE_PARM_DESC(swq_slots, "mdevs per shared WQ, 1-1024 (default 8)");

static unsigned int param_ims_size = 4096;
module_param_named(ims_size, param_ims_size, uint, 0444);
MODULE_PARM_DESC(ims_size, "IMS entries per parent, 1-65536 (default 4096)");

static int __init idxd_mdev_init(void)
{
	struct idxd_sim_config cfg = {
		.nr_wqs = sim_wqs,
		.nr_swqs = sim_swqs,
		.swq_slots = swq_slots,
		.ims_size = param_ims_size,
	};
	int ret;

	if (!sim_wqs || sim_wqs > 64 || sim_swqs > sim_wqs ||
	    !swq_slots || swq_slots > 1024 ||
	    !param_ims_size || param_ims_size > IMS_SIZE_MAX) {
		pr_err("idxd_mdev: invalid module parameters\n");
		return -EINVAL;
	}
	dsa_crc32c_init();

	ret = idxd_queue_module_init();
	if (ret)
		return ret;
	ret = idxd_mdev_driver_register();
	if (ret)
		goto err_queue;
	ret = idxd_sim_init(sim_devices, &cfg);
	if (ret)
		goto err_driver;
	return 0;

err_driver:
	idxd_mdev_driver_unregister();
err_queue:
	idxd_queue_module_exit();
	return ret;
}

static void __exit idxd_mdev_exit(void)
{
	idxd_sim_exit();
	idxd_mdev_driver_unregister();
	idxd_queue_module_exit();
}

module_init(idxd_mdev_init);
module_exit(idxd_mdev_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO mdev parent for Intel DSA with IMS-backed interrupts");
MODULE_SOFTDEP("pre: vfio_iommu_type1");

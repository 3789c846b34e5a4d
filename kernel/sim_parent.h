/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Software DSA parent: platform devices idxd_sim.N whose descriptors run
 * on the software engine.
 */
#ifndef IDXD_MDEV_SIM_PARENT_H
#define IDXD_MDEV_SIM_PARENT_H

/**
 * struct idxd_sim_config - shape of one software DSA device
 * @nr_wqs: work queues
 * @nr_swqs: how many of them (the last ones) are shared
 * @swq_slots: mdevs one shared WQ can serve
 * @ims_size: IMS entries
 */
struct idxd_sim_config {
	unsigned int nr_wqs;
	unsigned int nr_swqs;
	unsigned int swq_slots;
	unsigned int ims_size;
};

int idxd_sim_init(unsigned int nr_devices, const struct idxd_sim_config *cfg);
void idxd_sim_exit(void);

#endif /* IDXD_MDEV_SIM_PARENT_H */

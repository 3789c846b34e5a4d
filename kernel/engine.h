/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Software DSA descriptor engine: executes one work descriptor against
 * guest memory reached through vfio_dma_rw().
 */
#ifndef IDXD_MDEV_ENGINE_H
#define IDXD_MDEV_ENGINE_H

#include <linux/types.h>

#include "regs.h"

struct vfio_device;

#define DSA_MAX_XFER_SHIFT	21	/* 2 MiB per descriptor */
#define DSA_MAX_XFER		BIT(DSA_MAX_XFER_SHIFT)

struct dsa_engine;

/**
 * struct dsa_outcome - what the device must signal after one descriptor
 * @status: DSA completion status
 * @irq: raise interrupt @vector
 * @vector: guest MSI-X vector (the descriptor's interrupt handle)
 * @swerr: nonzero: an error that no completion record could carry,
 *	   to be reported in SWERR with this code
 * @swerr_bits: for SWERR: DSA_SWERR_BATCH (a batch member),
 *		DSA_SWERR_FAULT_WRITE (the page fault was on a write)
 * @batch_idx: for SWERR: the member's index in its batch
 * @opcode: operation of the descriptor, for SWERR
 * @invalid_flags: for SWERR with an invalid-flags error
 * @fault_addr: for SWERR with a page fault or an untranslatable record
 */
struct dsa_outcome {
	u8 status;
	unsigned int irq:1;
	u16 vector;
	u8 swerr;
	u8 swerr_bits;
	u16 batch_idx;
	u8 opcode;
	u32 invalid_flags;
	u64 fault_addr;
};

/**
 * struct dsa_engine - per-mdev engine state
 * @vfio: device whose IOVA space descriptors address
 * @buf: two bounce chunks
 * @nr_vectors: valid interrupt handles are 0..nr_vectors-1
 * @dedicated: the WQ is dedicated: PASID and privilege fields are ignored
 * @abort: nonzero (WRITE_ONCE) stops the running descriptor at its next
 *	   chunk; it then completes with nothing written or signalled
 * @complete: called once per descriptor (batch members too) that ran
 */
struct dsa_engine {
	struct vfio_device *vfio;
	u8 *buf;
	unsigned int nr_vectors;
	unsigned int dedicated:1;
	int abort;
	void (*complete)(struct dsa_engine *engine,
			 const struct dsa_outcome *out);
};

int dsa_engine_init(struct dsa_engine *engine, struct vfio_device *vfio,
		    unsigned int nr_vectors, bool dedicated,
		    void (*complete)(struct dsa_engine *engine,
				     const struct dsa_outcome *out));
void dsa_engine_fini(struct dsa_engine *engine);
void dsa_engine_run(struct dsa_engine *engine, const struct dsa_desc *desc);

void dsa_crc32c_init(void);
u32 dsa_crc32c_update(u32 crc, const u8 *data, size_t len);

#endif /* IDXD_MDEV_ENGINE_H */

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Software DSA engine. A descriptor is validated the way the DSA spec
 * orders its checks (reserved fields, flags, interrupt handle, opcode,
 * size), then run chunk by chunk through a bounce buffer with
 * vfio_dma_rw(); a failed access ends it with a page-fault status that
 * says how far it got.
 */
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vfio.h>

#include "engine.h"

#define DSA_CHUNK	PAGE_SIZE
#define DSA_FLAGS_MASK	GENMASK(23, 0)
#define DSA_CRC32C_POLY	0x82f63b78	/* Castagnoli, bit-reflected */

static u32 dsa_crc32c_table[256];

/**
 * dsa_crc32c_init() - build the CRC32C lookup table; call once at load
 */
void dsa_crc32c_init(void)
{
	unsigned int i, bit;
	u32 crc;

	for (i = 0; i < 256; i++) {
		crc = i;
		for (bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ ((crc & 1) ? DSA_CRC32C_POLY : 0);
		dsa_crc32c_table[i] = crc;
	}
}

/**
 * dsa_crc32c_update() - run raw reflected CRC32C over a buffer
 * @crc: running register value (no inversion applied here)
 * @data: bytes
 * @len: number of bytes
 *
 * Return: the new register value.
 */
u32 dsa_crc32c_update(u32 crc, const u8 *data, size_t len)
{
	while (len--)
		crc = (crc >> 8) ^ dsa_crc32c_table[(crc ^ *data++) & 0xff];
	return crc;
}

/**
 * dsa_engine_init() - set up an engine for one mdev
 * @engine: engine to initialise
 * @vfio: the mdev's VFIO device
 * @nr_vectors: number of guest MSI-X vectors
 *
 * Return: 0 or -ENOMEM.
 */
int dsa_engine_init(struct dsa_engine *engine, struct vfio_device *vfio,
		    unsigned int nr_vectors)
{
	engine->buf = kmalloc(2 * DSA_CHUNK, GFP_KERNEL);
	if (!engine->buf)
		return -ENOMEM;
	engine->vfio = vfio;
	engine->nr_vectors = nr_vectors;
	return 0;
}

/**
 * dsa_engine_fini() - release an engine
 * @engine: engine set up by dsa_engine_init()
 */
void dsa_engine_fini(struct dsa_engine *engine)
{
	kfree(engine->buf);
	engine->buf = NULL;
}

static bool dsa_range_ok(u64 iova, u32 len)
{
	return iova + len >= iova;
}

static int dsa_dma(struct dsa_engine *engine, u64 iova, void *buf,
		   size_t len, bool write)
{
	if (!dsa_range_ok(iova, len))
		return -EFAULT;
	return vfio_dma_rw(engine->vfio, iova, buf, len, write);
}

static u8 dsa_fault(struct dsa_completion *cr, u64 addr, u32 done)
{
	cr->fault_addr = cpu_to_le64(addr);
	cr->bytes_completed = cpu_to_le32(done);
	return DSA_STATUS_PAGE_FAULT;
}

static u8 dsa_op_memmove(struct dsa_engine *engine, u64 src, u64 dst,
			 u32 size, struct dsa_completion *cr)
{
	/* Overlap with dst above src: copy from the end, as memmove() does. */
	bool backward = dst > src && dst - src < size;
	u32 done = 0, n, off;

	while (done < size) {
		n = min_t(u32, size - done, DSA_CHUNK);
		off = backward ? size - done - n : done;
		if (dsa_dma(engine, src + off, engine->buf, n, false))
			return dsa_fault(cr, src + off, done);
		if (dsa_dma(engine, dst + off, engine->buf, n, true))
			return dsa_fault(cr, dst + off, done);
		done += n;
		cond_resched();
	}
	cr->result = backward;
	return DSA_STATUS_SUCCESS;
}

static u8 dsa_op_memfill(struct dsa_engine *engine, u64 pattern, u64 dst,
			 u32 size, struct dsa_completion *cr)
{
	__le64 pat = cpu_to_le64(pattern);
	u32 done = 0, n, i;

	for (i = 0; i < DSA_CHUNK; i += sizeof(pat))
		memcpy(engine->buf + i, &pat, sizeof(pat));
	while (done < size) {
		n = min_t(u32, size - done, DSA_CHUNK);
		if (dsa_dma(engine, dst + done, engine->buf, n, true))
			return dsa_fault(cr, dst + done, done);
		done += n;
		cond_resched();
	}
	return DSA_STATUS_SUCCESS;
}

static u8 dsa_op_compare(struct dsa_engine *engine,
			 const struct dsa_desc *desc, u32 flags, u32 size,
			 struct dsa_completion *cr)
{
	u64 src1 = le64_to_cpu(desc->src), src2 = le64_to_cpu(desc->dst);
	u8 *a = engine->buf, *b = engine->buf + DSA_CHUNK;
	u32 done = 0, n, i;

	while (done < size) {
		n = min_t(u32, size - done, DSA_CHUNK);
		if (dsa_dma(engine, src1 + done, a, n, false))
			return dsa_fault(cr, src1 + done, done);
		if (dsa_dma(engine, src2 + done, b, n, false))
			return dsa_fault(cr, src2 + done, done);
		if (memcmp(a, b, n)) {
			for (i = 0; a[i] == b[i]; i++)
				;
			cr->result = 1;
			cr->bytes_completed = cpu_to_le32(done + i);
			break;
		}
		done += n;
		cond_resched();
	}
	if ((flags & DSA_FLAG_CR) && cr->result != desc->expected_res)
		return DSA_STATUS_SUCCESS_PRED;
	return DSA_STATUS_SUCCESS;
}

/*
 * CRCGEN: CRC32C (polynomial 0x1edc6f41, reflected), register preset to
 * the bitwise NOT of the descriptor's seed, result inverted. A seed of 0
 * gives the standard CRC32C; passing a result back as the seed continues
 * the CRC over the next buffer.
 */
static u8 dsa_op_crcgen(struct dsa_engine *engine, const struct dsa_desc *desc,
			u32 size, struct dsa_completion *cr)
{
	u64 src = le64_to_cpu(desc->src);
	u32 crc = ~le32_to_cpu(desc->crc_seed);
	u32 done = 0, n;

	while (done < size) {
		n = min_t(u32, size - done, DSA_CHUNK);
		if (dsa_dma(engine, src + done, engine->buf, n, false))
			return dsa_fault(cr, src + done, done);
		crc = dsa_crc32c_update(crc, engine->buf, n);
		done += n;
		cond_resched();
	}
	cr->crc_val = cpu_to_le64(~crc);
	return DSA_STATUS_SUCCESS;
}

static u8 dsa_check(const struct dsa_engine *engine,
		    const struct dsa_desc *desc, u8 opcode, u32 flags,
		    struct dsa_completion *cr)
{
	u32 bad = flags & ~DSA_FLAGS_SUPPORTED;

	if (le32_to_cpu(desc->pasid_priv) & DSA_DESC_RSVD_MASK ||
	    desc->rsvd1)
		return DSA_STATUS_NOZERO_RESERVE;
	/* No PASID capability: PASID and privilege must be zero. */
	if (le32_to_cpu(desc->pasid_priv) & DSA_DESC_PASID_PRIV)
		return DSA_STATUS_PRIV_BAD;
	if ((flags & DSA_FLAG_RCR) && !(flags & DSA_FLAG_CRAV))
		bad |= DSA_FLAG_RCR;
	if (opcode != DSA_OP_COMPARE && (flags & DSA_FLAG_CR))
		bad |= DSA_FLAG_CR;
	if (bad) {
		cr->invalid_flags = cpu_to_le32(bad);
		return DSA_STATUS_INVALID_FLAGS;
	}
	if ((flags & DSA_FLAG_RCI) &&
	    le16_to_cpu(desc->int_handle) >= engine->nr_vectors)
		return DSA_STATUS_INT_HANDLE_INVAL;
	switch (opcode) {
	case DSA_OP_NOOP:
	case DSA_OP_MEMMOVE:
	case DSA_OP_MEMFILL:
	case DSA_OP_COMPARE:
	case DSA_OP_CRCGEN:
		break;
	default:
		return DSA_STATUS_BAD_OPCODE;
	}
	if (le32_to_cpu(desc->xfer_size) > DSA_MAX_XFER)
		return DSA_STATUS_XFER_ERANGE;
	return DSA_STATUS_SUCCESS;
}

static u8 dsa_exec(struct dsa_engine *engine, const struct dsa_desc *desc,
		   u8 opcode, u32 flags, struct dsa_completion *cr)
{
	u32 size = le32_to_cpu(desc->xfer_size);
	u8 status;

	status = dsa_check(engine, desc, opcode, flags, cr);
	if (status != DSA_STATUS_SUCCESS)
		return status;

	switch (opcode) {
	case DSA_OP_MEMMOVE:
		return dsa_op_memmove(engine, le64_to_cpu(desc->src),
				      le64_to_cpu(desc->dst), size, cr);
	case DSA_OP_MEMFILL:
		return dsa_op_memfill(engine, le64_to_cpu(desc->src),
				      le64_to_cpu(desc->dst), size, cr);
	case DSA_OP_COMPARE:
		return dsa_op_compare(engine, desc, flags, size, cr);
	case DSA_OP_CRCGEN:
		return dsa_op_crcgen(engine, desc, size, cr);
	default:
		return DSA_STATUS_SUCCESS;	/* NOOP */
	}
}

static bool dsa_status_is_error(u8 status)
{
	return status != DSA_STATUS_SUCCESS &&
	       status != DSA_STATUS_SUCCESS_PRED;
}

/**
 * dsa_engine_run() - execute one descriptor
 * @engine: the mdev's engine
 * @desc: descriptor as written to the portal
 * @out: filled with the status and what the device must signal
 *
 * Writes the completion record when the descriptor asks for one (RCR), or
 * on error when it has a valid completion address (CRAV). An error with no
 * record to carry it, or a record that cannot be written, becomes @out->swerr.
 */
void dsa_engine_run(struct dsa_engine *engine, const struct dsa_desc *desc,
		    struct dsa_outcome *out)
{
	u32 flags = le32_to_cpu(desc->flags_opcode) & DSA_FLAGS_MASK;
	u8 opcode = le32_to_cpu(desc->flags_opcode) >> 24;
	u64 cr_addr = le64_to_cpu(desc->completion_addr);
	struct dsa_completion cr = {};
	bool error;

	memset(out, 0, sizeof(*out));
	cr.status = dsa_exec(engine, desc, opcode, flags, &cr);
	out->status = cr.status;
	error = dsa_status_is_error(cr.status);

	out->opcode = opcode;
	if ((flags & DSA_FLAG_CRAV) && ((flags & DSA_FLAG_RCR) || error)) {
		out->fault_addr = cr_addr;
		if (!IS_ALIGNED(cr_addr, DSA_COMPLETION_ALIGN))
			out->swerr = DSA_STATUS_CRA_ALIGN;
		else if (dsa_dma(engine, cr_addr, &cr, sizeof(cr), true))
			out->swerr = DSA_STATUS_CRA_XLAT;
	} else if (error) {
		out->swerr = cr.status;
		out->fault_addr = le64_to_cpu(cr.fault_addr);
		if (cr.status == DSA_STATUS_INVALID_FLAGS)
			out->invalid_flags = le32_to_cpu(cr.invalid_flags);
	}

	if ((flags & DSA_FLAG_RCI) &&
	    le16_to_cpu(desc->int_handle) < engine->nr_vectors) {
		out->irq = true;
		out->vector = le16_to_cpu(desc->int_handle);
	}
}

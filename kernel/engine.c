// SPDX-License-Identifier: GPL-2.0-only
/*
 * Software DSA engine. A descriptor is validated the way the DSA spec
 * orders its checks (reserved fields, flags, interrupt handle, opcode,
 * operation fields), then run chunk by chunk through a bounce buffer with
 * vfio_dma_rw(); a failed access ends it with a page-fault status that
 * says how far it got. It runs on the mdev's queue worker, never in the
 * portal write, and stops between chunks when asked to abort.
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
 * @dedicated: the mdev's WQ is dedicated
 * @complete: where each descriptor's outcome goes
 *
 * Return: 0 or -ENOMEM.
 */
int dsa_engine_init(struct dsa_engine *engine, struct vfio_device *vfio,
		    unsigned int nr_vectors, bool dedicated,
		    void (*complete)(struct dsa_engine *engine,
				     const struct dsa_outcome *out))
{
	engine->buf = kmalloc(2 * DSA_CHUNK, GFP_KERNEL);
	if (!engine->buf)
		return -ENOMEM;
	engine->vfio = vfio;
	engine->nr_vectors = nr_vectors;
	engine->dedicated = dedicated;
	engine->abort = 0;
	engine->complete = complete;
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

static bool dsa_aborted(struct dsa_engine *engine)
{
	return READ_ONCE(engine->abort) != 0;
}

static u8 dsa_fault(struct dsa_completion *cr, u64 addr, u32 done, bool write)
{
	cr->fault_addr = cpu_to_le64(addr);
	cr->bytes_completed = cpu_to_le32(done);
	return DSA_STATUS_PAGE_FAULT | (write ? DSA_STATUS_FAULT_WRITE : 0);
}

static bool dsa_status_is_error(u8 status)
{
	status &= ~DSA_STATUS_FAULT_WRITE;
	return status != DSA_STATUS_SUCCESS &&
	       status != DSA_STATUS_SUCCESS_PRED;
}

/*
 * One pass over a transfer: read @src (or, for a fill, the pattern
 * already in the buffer), feed the CRC, write @dst and @dst2.
 */
struct dsa_xfer {
	u64 src, dst, dst2;
	u32 size;
	bool read, write, write2, backward;
	u32 *crc;
};

static u8 dsa_stream(struct dsa_engine *engine, const struct dsa_xfer *x,
		     struct dsa_completion *cr)
{
	u32 done = 0, n, off;

	while (done < x->size) {
		if (dsa_aborted(engine))
			return DSA_STATUS_NONE;
		n = min_t(u32, x->size - done, DSA_CHUNK);
		off = x->backward ? x->size - done - n : done;
		if (x->read && dsa_dma(engine, x->src + off, engine->buf, n, false))
			return dsa_fault(cr, x->src + off, done, false);
		if (x->crc)
			*x->crc = dsa_crc32c_update(*x->crc, engine->buf, n);
		if (x->write && dsa_dma(engine, x->dst + off, engine->buf, n, true))
			return dsa_fault(cr, x->dst + off, done, true);
		if (x->write2 &&
		    dsa_dma(engine, x->dst2 + off, engine->buf, n, true))
			return dsa_fault(cr, x->dst2 + off, done, true);
		done += n;
		cond_resched();
	}
	return DSA_STATUS_SUCCESS;
}

/* COMPARE (@pattern false: @src2 is an address) or COMPVAL (@src2 is it). */
static u8 dsa_op_compare(struct dsa_engine *engine, u64 src1, u64 src2,
			 bool pattern, u32 size, struct dsa_completion *cr)
{
	u8 *a = engine->buf, *b = engine->buf + DSA_CHUNK;
	__le64 pat = cpu_to_le64(src2);
	u32 done = 0, n, i;

	if (pattern)
		for (i = 0; i < DSA_CHUNK; i += sizeof(pat))
			memcpy(b + i, &pat, sizeof(pat));
	while (done < size) {
		if (dsa_aborted(engine))
			return DSA_STATUS_NONE;
		n = min_t(u32, size - done, DSA_CHUNK);
		if (dsa_dma(engine, src1 + done, a, n, false))
			return dsa_fault(cr, src1 + done, done, false);
		if (!pattern && dsa_dma(engine, src2 + done, b, n, false))
			return dsa_fault(cr, src2 + done, done, false);
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
	return DSA_STATUS_SUCCESS;
}

static bool dsa_overlap(u64 a, u64 b, u32 size)
{
	return (a >= b ? a - b : b - a) < size;
}

static bool dsa_is_xfer_op(u8 opcode)
{
	switch (opcode) {
	case DSA_OP_MEMMOVE:
	case DSA_OP_MEMFILL:
	case DSA_OP_COMPARE:
	case DSA_OP_COMPVAL:
	case DSA_OP_DUALCAST:
	case DSA_OP_CRCGEN:
	case DSA_OP_COPY_CRC:
		return true;
	default:
		return false;
	}
}

/* Operation-specific fields, after the opcode is known to be supported. */
static u8 dsa_check_fields(const struct dsa_desc *desc, u8 opcode)
{
	u64 src = le64_to_cpu(desc->src), dst = le64_to_cpu(desc->dst);
	u64 dest2 = le64_to_cpu(desc->dest2);
	u32 size = le32_to_cpu(desc->xfer_size);

	if (opcode == DSA_OP_BATCH) {
		if (size < DSA_MIN_BATCH || size > DSA_MAX_BATCH)
			return DSA_STATUS_DESC_CNT_ERANGE;
		if (!IS_ALIGNED(src, sizeof(struct dsa_desc)))
			return DSA_STATUS_DESCLIST_ALIGN;
		return DSA_STATUS_SUCCESS;
	}
	if (!dsa_is_xfer_op(opcode))
		return DSA_STATUS_SUCCESS;
	if (size > DSA_MAX_XFER)
		return DSA_STATUS_XFER_ERANGE;
	if (opcode == DSA_OP_DUALCAST &&
	    ((dst ^ dest2) & DSA_DUALCAST_MASK))
		return DSA_STATUS_DCAST_ERR;
	if ((opcode == DSA_OP_COPY_CRC || opcode == DSA_OP_DUALCAST) &&
	    (dsa_overlap(src, dst, size) ||
	     (opcode == DSA_OP_DUALCAST && (dsa_overlap(src, dest2, size) ||
					    dsa_overlap(dst, dest2, size)))))
		return DSA_STATUS_OVERLAP_BUFFERS;
	return DSA_STATUS_SUCCESS;
}

static u8 dsa_check(const struct dsa_engine *engine,
		    const struct dsa_desc *desc, u8 opcode, u32 flags,
		    bool in_batch, struct dsa_completion *cr)
{
	u32 bad = flags & ~DSA_FLAGS_SUPPORTED;

	if (le32_to_cpu(desc->pasid_priv) & DSA_DESC_RSVD_MASK ||
	    desc->rsvd1)
		return DSA_STATUS_NOZERO_RESERVE;
	/*
	 * A dedicated WQ takes PASID and privilege from its configuration
	 * and ignores the descriptor's (DSA 1.0); this shared WQ has no
	 * PASID support, so it cannot honour them.
	 */
	if (!engine->dedicated &&
	    le32_to_cpu(desc->pasid_priv) & DSA_DESC_PASID_PRIV)
		return DSA_STATUS_PRIV_BAD;
	if ((flags & DSA_FLAG_RCR) && !(flags & DSA_FLAG_CRAV))
		bad |= DSA_FLAG_RCR;
	if (opcode != DSA_OP_COMPARE && opcode != DSA_OP_COMPVAL &&
	    (flags & DSA_FLAG_CR))
		bad |= DSA_FLAG_CR;
	if (bad) {
		cr->invalid_flags = cpu_to_le32(bad);
		return DSA_STATUS_INVALID_FLAGS;
	}
	if ((flags & DSA_FLAG_RCI) &&
	    le16_to_cpu(desc->int_handle) >= engine->nr_vectors)
		return DSA_STATUS_INT_HANDLE_INVAL;
	switch (opcode) {
	case DSA_OP_BATCH:
		if (in_batch)
			return DSA_STATUS_BAD_OPCODE;
		break;
	case DSA_OP_NOOP:
	case DSA_OP_DRAIN:
		break;
	default:
		if (!dsa_is_xfer_op(opcode))
			return DSA_STATUS_BAD_OPCODE;
		break;
	}
	return dsa_check_fields(desc, opcode);
}

static u8 dsa_run_one(struct dsa_engine *engine, const struct dsa_desc *desc,
		      bool in_batch, u16 batch_idx);

/*
 * BATCH: members are read from guest memory one at a time and run in
 * order. A member with the fence flag after a failed one abandons the
 * rest. Descriptors completed counts the members that succeeded.
 */
static u8 dsa_op_batch(struct dsa_engine *engine, const struct dsa_desc *desc,
		       struct dsa_completion *cr)
{
	u64 list = le64_to_cpu(desc->src);
	u32 count = le32_to_cpu(desc->xfer_size), i, ok = 0;
	struct dsa_desc member;
	bool failed = false;
	u8 status;

	for (i = 0; i < count; i++) {
		u64 at = list + (u64)i * sizeof(member);

		if (dsa_aborted(engine))
			return DSA_STATUS_NONE;
		if (dsa_dma(engine, at, &member, sizeof(member), false)) {
			cr->fault_addr = cpu_to_le64(at);
			cr->bytes_completed = cpu_to_le32(ok);
			return DSA_STATUS_BATCH_PAGE_FAULT;
		}
		if (failed && (le32_to_cpu(member.flags_opcode) & DSA_FLAG_FENCE))
			break;
		status = dsa_run_one(engine, &member, true, i);
		if (status == DSA_STATUS_NONE)
			return DSA_STATUS_NONE;
		if (dsa_status_is_error(status))
			failed = true;
		else
			ok++;
	}
	cr->bytes_completed = cpu_to_le32(ok);
	return failed ? DSA_STATUS_BATCH_FAIL : DSA_STATUS_SUCCESS;
}

static u8 dsa_exec(struct dsa_engine *engine, const struct dsa_desc *desc,
		   u8 opcode, u32 flags, struct dsa_completion *cr)
{
	u64 src = le64_to_cpu(desc->src), dst = le64_to_cpu(desc->dst);
	u32 size = le32_to_cpu(desc->xfer_size);
	__le64 pat = cpu_to_le64(src);
	struct dsa_xfer x = {
		.src = src, .dst = dst, .dst2 = le64_to_cpu(desc->dest2),
		.size = size, .read = true,
	};
	u32 crc = ~le32_to_cpu(desc->crc_seed);
	u8 status;
	u32 i;

	switch (opcode) {
	case DSA_OP_MEMMOVE:
		/* overlap with dst above src: copy from the end, as memmove() */
		x.backward = dst > src && dst - src < size;
		x.write = true;
		status = dsa_stream(engine, &x, cr);
		cr->result = x.backward;
		return status;
	case DSA_OP_MEMFILL:
		for (i = 0; i < DSA_CHUNK; i += sizeof(pat))
			memcpy(engine->buf + i, &pat, sizeof(pat));
		x.read = false;
		x.write = true;
		return dsa_stream(engine, &x, cr);
	case DSA_OP_COMPARE:
	case DSA_OP_COMPVAL:
		status = dsa_op_compare(engine, src, dst, opcode == DSA_OP_COMPVAL,
					size, cr);
		if (status == DSA_STATUS_SUCCESS && (flags & DSA_FLAG_CR) &&
		    cr->result != desc->expected_res)
			return DSA_STATUS_SUCCESS_PRED;
		return status;
	case DSA_OP_DUALCAST:
		x.write = true;
		x.write2 = true;
		return dsa_stream(engine, &x, cr);
	case DSA_OP_CRCGEN:
	case DSA_OP_COPY_CRC:
		/* CRC32C, seed inverted in and out (docs/kernel.md) */
		x.write = opcode == DSA_OP_COPY_CRC;
		x.crc = &crc;
		status = dsa_stream(engine, &x, cr);
		cr->crc_val = cpu_to_le64(~crc);
		return status;
	case DSA_OP_BATCH:
		return dsa_op_batch(engine, desc, cr);
	default:
		/* NOOP; DRAIN: this mdev's descriptors already run in order */
		return DSA_STATUS_SUCCESS;
	}
}

/*
 * Validates and runs one descriptor, writes its completion record when it
 * asks for one (RCR), or on error when it has a valid address (CRAV), and
 * hands the outcome to engine->complete(). An error with no record to carry
 * it, or a record that cannot be written, becomes a software error.
 */
static u8 dsa_run_one(struct dsa_engine *engine, const struct dsa_desc *desc,
		      bool in_batch, u16 batch_idx)
{
	u32 flags = le32_to_cpu(desc->flags_opcode) & DSA_FLAGS_MASK;
	u8 opcode = le32_to_cpu(desc->flags_opcode) >> 24;
	u64 cr_addr = le64_to_cpu(desc->completion_addr);
	struct dsa_completion cr = {};
	struct dsa_outcome out = {
		.opcode = opcode,
		.swerr_bits = in_batch ? DSA_SWERR_BATCH : 0,
		.batch_idx = in_batch ? batch_idx : 0,
	};
	bool error;

	cr.status = dsa_check(engine, desc, opcode, flags, in_batch, &cr);
	if (cr.status == DSA_STATUS_SUCCESS)
		cr.status = dsa_exec(engine, desc, opcode, flags, &cr);
	if (cr.status == DSA_STATUS_NONE)
		return DSA_STATUS_NONE;	/* aborted: nothing is written */
	out.status = cr.status;
	error = dsa_status_is_error(cr.status);

	if ((flags & DSA_FLAG_CRAV) && ((flags & DSA_FLAG_RCR) || error)) {
		out.fault_addr = cr_addr;
		if (!IS_ALIGNED(cr_addr, DSA_COMPLETION_ALIGN))
			out.swerr = DSA_STATUS_CRA_ALIGN;
		else if (dsa_dma(engine, cr_addr, &cr, sizeof(cr), true))
			out.swerr = DSA_STATUS_CRA_XLAT;
	} else if (error) {
		out.swerr = cr.status & ~DSA_STATUS_FAULT_WRITE;
		if (cr.status & DSA_STATUS_FAULT_WRITE)
			out.swerr_bits |= DSA_SWERR_FAULT_WRITE;
		out.fault_addr = le64_to_cpu(cr.fault_addr);
		if (cr.status == DSA_STATUS_INVALID_FLAGS)
			out.invalid_flags = le32_to_cpu(cr.invalid_flags);
	}

	if ((flags & DSA_FLAG_RCI) &&
	    le16_to_cpu(desc->int_handle) < engine->nr_vectors) {
		out.irq = true;
		out.vector = le16_to_cpu(desc->int_handle);
	}
	engine->complete(engine, &out);
	return cr.status;
}

/**
 * dsa_engine_run() - execute one descriptor from the portal
 * @engine: the mdev's engine
 * @desc: descriptor as written to the portal
 *
 * Calls engine->complete() for it, and for each member of a batch, unless
 * aborted (engine->abort) before it finished.
 */
void dsa_engine_run(struct dsa_engine *engine, const struct dsa_desc *desc)
{
	dsa_run_one(engine, desc, false, 0);
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Virtual DSA device: config space, BAR0 registers, MSI-X over IMS, WQ
 * portal and VFIO interrupt binding of one mdev.
 */
#include <linux/eventfd.h>
#include <linux/log2.h>
#include <linux/pci_regs.h>
#include <linux/slab.h>

#include "ims.h"
#include "vdev.h"

#define VDEV_OPCAP_BITS	(BIT_ULL(DSA_OP_NOOP) | BIT_ULL(DSA_OP_BATCH) | \
			 BIT_ULL(DSA_OP_DRAIN) | BIT_ULL(DSA_OP_MEMMOVE) | \
			 BIT_ULL(DSA_OP_MEMFILL) | BIT_ULL(DSA_OP_COMPARE) | \
			 BIT_ULL(DSA_OP_COMPVAL) | BIT_ULL(DSA_OP_DUALCAST) | \
			 BIT_ULL(DSA_OP_CRCGEN) | BIT_ULL(DSA_OP_COPY_CRC))

static void put_le16_at(u8 *p, unsigned int off, u16 val)
{
	__le16 v = cpu_to_le16(val);

	memcpy(p + off, &v, sizeof(v));
}

static void put_le32_at(u8 *p, unsigned int off, u32 val)
{
	__le32 v = cpu_to_le32(val);

	memcpy(p + off, &v, sizeof(v));
}

static void put_le64_at(u8 *p, unsigned int off, u64 val)
{
	__le64 v = cpu_to_le64(val);

	memcpy(p + off, &v, sizeof(v));
}

static u32 get_le32_at(const u8 *p, unsigned int off)
{
	__le32 v;

	memcpy(&v, p + off, sizeof(v));
	return le32_to_cpu(v);
}

/* A 64-bit memory BAR: flags in the low bits, address bits writable. */
static void vdev_cfg_bar64(struct idxd_vdev *vdev, unsigned int off, u32 size)
{
	put_le32_at(vdev->cfg, off, PCI_BASE_ADDRESS_MEM_TYPE_64);
	put_le32_at(vdev->cfg_wmask, off, ~(size - 1) & PCI_BASE_ADDRESS_MEM_MASK);
	put_le32_at(vdev->cfg_wmask, off + 4, 0xffffffff);
}

static void vdev_cfg_init(struct idxd_vdev *vdev)
{
	u8 *cfg = vdev->cfg;
	unsigned int cap = VDEV_MSIX_CAP;

	memset(vdev->cfg, 0, sizeof(vdev->cfg));
	memset(vdev->cfg_wmask, 0, sizeof(vdev->cfg_wmask));

	put_le16_at(cfg, PCI_VENDOR_ID, DSA_PCI_VENDOR_ID);
	put_le16_at(cfg, PCI_DEVICE_ID, DSA_PCI_DEVICE_ID);
	put_le16_at(cfg, PCI_STATUS, PCI_STATUS_CAP_LIST);
	put_le32_at(cfg, PCI_CLASS_REVISION,
		    DSA_PCI_CLASS << 8 | DSA_PCI_REVISION);
	cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	put_le16_at(cfg, PCI_SUBSYSTEM_VENDOR_ID, DSA_PCI_VENDOR_ID);
	put_le16_at(cfg, PCI_SUBSYSTEM_ID, DSA_PCI_DEVICE_ID);
	cfg[PCI_CAPABILITY_LIST] = cap;

	put_le16_at(vdev->cfg_wmask, PCI_COMMAND,
		    PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		    PCI_COMMAND_INTX_DISABLE);
	vdev->cfg_wmask[PCI_INTERRUPT_LINE] = 0xff;
	vdev_cfg_bar64(vdev, PCI_BASE_ADDRESS_0, VDEV_BAR0_SIZE);
	vdev_cfg_bar64(vdev, PCI_BASE_ADDRESS_2, VDEV_BAR2_SIZE);

	/* MSI-X: table and PBA in BAR0 */
	cfg[cap + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSIX;
	cfg[cap + PCI_CAP_LIST_NEXT] = 0;
	put_le16_at(cfg, cap + PCI_MSIX_FLAGS, vdev->res.nr_vectors - 1);
	put_le32_at(cfg, cap + PCI_MSIX_TABLE, DSA_REG_MSIX_TABLE | 0);
	put_le32_at(cfg, cap + PCI_MSIX_PBA, DSA_REG_MSIX_PBA | 0);
	put_le16_at(vdev->cfg_wmask, cap + PCI_MSIX_FLAGS,
		    PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
}

static void vdev_sync_state(struct idxd_vdev *vdev)
{
	unsigned int wqcfg6 = DSA_REG_WQCFG + 6 * 4;
	u32 val;

	put_le32_at(vdev->regs, DSA_REG_GENSTS, vdev->dev_enabled ?
		    DSA_GENSTS_ENABLED : DSA_GENSTS_DISABLED);
	val = get_le32_at(vdev->regs, wqcfg6) & ~DSA_WQCFG_STATE_ENABLED;
	if (vdev->wq_enabled)
		val |= DSA_WQCFG_STATE_ENABLED;
	put_le32_at(vdev->regs, wqcfg6, val);
}

/* Partial descriptors never outlive a disable, a reset or the user. */
static void vdev_portal_discard(struct idxd_vdev *vdev)
{
	unsigned int i;

	if (!vdev->stage)
		return;
	for (i = 0; i < VDEV_PORTAL_SLOTS; i++)
		vdev->stage[i].present = 0;
}

static void vdev_regs_init(struct idxd_vdev *vdev)
{
	struct idxd_parent *parent = vdev->parent;
	enum idxd_wq_kind kind = vdev->type->kind;
	u8 *regs = vdev->regs;
	u64 wqcap;

	memset(vdev->regs, 0, sizeof(vdev->regs));
	put_le32_at(regs, DSA_REG_VER, DSA_VER_1_0);
	put_le64_at(regs, DSA_REG_GENCAP, DSA_GENCAP_OVERLAP_COPY |
		    DSA_GENCAP_CC_MEM |
		    (u64)DSA_MAX_XFER_SHIFT << DSA_GENCAP_XFER_SHIFT |
		    (u64)DSA_MAX_BATCH_SHIFT << DSA_GENCAP_BATCH_SHIFT);
	wqcap = parent->ops->wq_size(parent, kind) |
		1ULL << DSA_WQCAP_NUM_WQS_SHIFT |
		(kind == IDXD_WQ_SHARED ? DSA_WQCAP_SHARED :
					  DSA_WQCAP_DEDICATED);
	put_le64_at(regs, DSA_REG_WQCAP, wqcap);
	put_le64_at(regs, DSA_REG_GRPCAP, 1);	/* one group */
	put_le64_at(regs, DSA_REG_ENGCAP, 1);	/* one engine */
	put_le64_at(regs, DSA_REG_OPCAP, VDEV_OPCAP_BITS);
	put_le64_at(regs, DSA_REG_TABLE,
		    (u64)(DSA_REG_GRPCFG / DSA_TABLE_UNIT) |
		    (u64)(DSA_REG_WQCFG / DSA_TABLE_UNIT) << 16 |
		    (u64)(DSA_REG_MSIX_PERM / DSA_TABLE_UNIT) << 32);

	/* group 0 holds WQ 0 and engine 0 */
	put_le64_at(regs, DSA_REG_GRPCFG, 1);
	put_le64_at(regs, DSA_REG_GRPCFG + 32, 1);

	/* WQ 0, configured by the host, read-only for the guest */
	put_le32_at(regs, DSA_REG_WQCFG, parent->ops->wq_size(parent, kind));
	put_le32_at(regs, DSA_REG_WQCFG + 2 * 4,
		    kind == IDXD_WQ_DEDICATED ? DSA_WQCFG_MODE_DEDICATED : 0);
	/* dword 3: max transfer shift (bits 4:0), max batch shift (8:5) */
	put_le32_at(regs, DSA_REG_WQCFG + 3 * 4,
		    DSA_MAX_XFER_SHIFT | DSA_MAX_BATCH_SHIFT << 5);

	vdev->dev_enabled = false;
	vdev->wq_enabled = false;
	vdev_sync_state(vdev);
	vdev_portal_discard(vdev);
}

static void vdev_fire(struct idxd_vdev *vdev, unsigned int vector)
{
	if (vector < vdev->res.nr_vectors)
		ims_fire(vdev->parent->ims, vdev->res.ims_index[vector]);
}

/* Vector 0 carries device events (errors, command completion). */
static void vdev_raise_cause(struct idxd_vdev *vdev, u32 cause)
{
	spin_lock(&vdev->regs_lock);
	put_le32_at(vdev->regs, DSA_REG_INTCAUSE,
		    get_le32_at(vdev->regs, DSA_REG_INTCAUSE) | cause);
	spin_unlock(&vdev->regs_lock);
	vdev_fire(vdev, 0);
}

/* The first error is kept; later ones only set the overflow bit. */
static void vdev_swerr(struct idxd_vdev *vdev, const struct dsa_outcome *out)
{
	u64 err;

	spin_lock(&vdev->regs_lock);
	err = get_le32_at(vdev->regs, DSA_REG_SWERR);
	if (err & DSA_SWERR_VALID) {
		put_le32_at(vdev->regs, DSA_REG_SWERR, err | DSA_SWERR_OVERFLOW);
	} else {
		err = DSA_SWERR_VALID | DSA_SWERR_DESC_VALID |
		      DSA_SWERR_WQ_VALID | out->swerr_bits |
		      (u64)out->swerr << DSA_SWERR_CODE_SHIFT |
		      (u64)out->opcode << DSA_SWERR_OP_SHIFT;
		put_le64_at(vdev->regs, DSA_REG_SWERR, err);
		put_le64_at(vdev->regs, DSA_REG_SWERR + 8,
			    (u64)out->invalid_flags << DSA_SWERR_INVFLAGS_SHIFT |
			    out->batch_idx);
		put_le64_at(vdev->regs, DSA_REG_SWERR + 16, out->fault_addr);
		put_le64_at(vdev->regs, DSA_REG_SWERR + 24, 0);
	}
	spin_unlock(&vdev->regs_lock);
	/* GENCTRL bit 0: software error interrupt enable */
	if (get_le32_at(vdev->regs, DSA_REG_GENCTRL) & BIT(0))
		vdev_raise_cause(vdev, DSA_INTC_ERR);
}

/* The engine finished a descriptor (on the queue worker). */
static void vdev_complete(struct dsa_engine *engine,
			  const struct dsa_outcome *out)
{
	struct idxd_vdev *vdev = container_of(engine, struct idxd_vdev, engine);

	if (out->swerr)
		vdev_swerr(vdev, out);
	if (out->irq)
		vdev_fire(vdev, out->vector);
}

/* Commands complete at once; @operand is checked as the idxd driver sets it. */
static u32 vdev_command(struct idxd_vdev *vdev, unsigned int cmd,
			u32 operand)
{
	switch (cmd) {
	case DSA_CMD_ENABLE_DEVICE:
		if (vdev->dev_enabled)
			return DSA_CMDSTS_DEV_ENABLED;
		vdev->dev_enabled = true;
		return DSA_CMDSTS_SUCCESS;
	case DSA_CMD_DISABLE_DEVICE:
		if (!vdev->dev_enabled)
			return DSA_CMDSTS_DIS_DEV_NOT_EN;
		/* disabling waits for what the WQ accepted */
		idxd_queue_drain(&vdev->queue);
		vdev->dev_enabled = false;
		vdev->wq_enabled = false;
		vdev_portal_discard(vdev);
		return DSA_CMDSTS_SUCCESS;
	case DSA_CMD_RESET_DEVICE:
		idxd_queue_abort(&vdev->queue);
		vdev_regs_init(vdev);
		return DSA_CMDSTS_SUCCESS;
	case DSA_CMD_DRAIN_ALL:
	case DSA_CMD_DRAIN_PASID:
		idxd_queue_drain(&vdev->queue);
		return DSA_CMDSTS_SUCCESS;
	case DSA_CMD_ABORT_ALL:
	case DSA_CMD_ABORT_PASID:
		idxd_queue_abort(&vdev->queue);
		return DSA_CMDSTS_SUCCESS;
	case DSA_CMD_RELEASE_INT_HANDLE:
		return DSA_CMDSTS_SUCCESS;
	case DSA_CMD_ENABLE_WQ:
		if (operand != 0)
			return DSA_CMDSTS_INVAL_WQIDX;
		if (!vdev->dev_enabled)
			return DSA_CMDSTS_DEV_NOT_ENABLED;
		if (vdev->wq_enabled)
			return DSA_CMDSTS_WQ_ENABLED;
		vdev->wq_enabled = true;
		return DSA_CMDSTS_SUCCESS;
	case DSA_CMD_DISABLE_WQ:
	case DSA_CMD_RESET_WQ:
	case DSA_CMD_DRAIN_WQ:
	case DSA_CMD_ABORT_WQ:
		/* operand: WQ bitmap, bit 0 is WQ 0 */
		if (operand != 1)
			return DSA_CMDSTS_INVAL_WQIDX;
		if (!vdev->dev_enabled)
			return DSA_CMDSTS_WQ_DEV_NOT_EN;
		if (cmd == DSA_CMD_ABORT_WQ || cmd == DSA_CMD_RESET_WQ)
			idxd_queue_abort(&vdev->queue);
		else
			idxd_queue_drain(&vdev->queue);
		if (cmd == DSA_CMD_DISABLE_WQ || cmd == DSA_CMD_RESET_WQ) {
			vdev->wq_enabled = false;
			vdev_portal_discard(vdev);
		}
		return DSA_CMDSTS_SUCCESS;
	case DSA_CMD_REQUEST_INT_HANDLE:
		/* the handle of a vector is its index */
		if ((operand & 0xffff) >= vdev->res.nr_vectors)
			return DSA_CMDSTS_INVAL_INT_IDX;
		return DSA_CMDSTS_SUCCESS | (operand & 0xffff) << 8;
	default:
		return DSA_CMDSTS_INVAL_CMD;
	}
}

static void vdev_write_cmd(struct idxd_vdev *vdev, u32 val)
{
	u32 sts = vdev_command(vdev, val >> DSA_CMD_SHIFT & DSA_CMD_MASK,
			       val & DSA_CMD_OPERAND_MASK);

	put_le32_at(vdev->regs, DSA_REG_CMD, val);
	put_le32_at(vdev->regs, DSA_REG_CMDSTS, sts);
	vdev_sync_state(vdev);
	if (val & DSA_CMD_INT_REQ)
		vdev_raise_cause(vdev, DSA_INTC_CMD);
}

static u32 vdev_msix_read(struct idxd_vdev *vdev, unsigned int off)
{
	struct ims_table *ims = vdev->parent->ims;
	unsigned int vec = off / MSIX_ENTRY_SIZE;
	unsigned int idx;
	u64 addr;
	u32 data;

	if (vec >= vdev->res.nr_vectors)
		return 0;
	idx = vdev->res.ims_index[vec];
	ims_read_msg(ims, idx, &addr, &data);
	switch (off % MSIX_ENTRY_SIZE) {
	case PCI_MSIX_ENTRY_LOWER_ADDR:
		return lower_32_bits(addr);
	case PCI_MSIX_ENTRY_UPPER_ADDR:
		return upper_32_bits(addr);
	case PCI_MSIX_ENTRY_DATA:
		return data;
	default:
		return ims_is_masked(ims, idx) ? MSIX_ENTRY_CTRL_MASKED : 0;
	}
}

static void vdev_msix_write(struct idxd_vdev *vdev, unsigned int off, u32 val)
{
	struct ims_table *ims = vdev->parent->ims;
	unsigned int vec = off / MSIX_ENTRY_SIZE;
	unsigned int idx;
	u64 addr;
	u32 data;

	if (vec >= vdev->res.nr_vectors)
		return;
	idx = vdev->res.ims_index[vec];
	ims_read_msg(ims, idx, &addr, &data);
	switch (off % MSIX_ENTRY_SIZE) {
	case PCI_MSIX_ENTRY_LOWER_ADDR:
		ims_write_msg(ims, idx, (addr & ~0xffffffffULL) | val, data);
		break;
	case PCI_MSIX_ENTRY_UPPER_ADDR:
		ims_write_msg(ims, idx, (u64)val << 32 | lower_32_bits(addr),
			      data);
		break;
	case PCI_MSIX_ENTRY_DATA:
		ims_write_msg(ims, idx, addr, val);
		break;
	default:
		if (val & MSIX_ENTRY_CTRL_MASKED)
			ims_mask(ims, idx);
		else
			ims_unmask(ims, idx);
		break;
	}
}

static u32 vdev_pba_read(struct idxd_vdev *vdev, unsigned int off)
{
	unsigned int first = off * 8, vec;
	u32 val = 0;

	for (vec = first; vec < first + 32 && vec < vdev->res.nr_vectors; vec++)
		if (ims_is_pending(vdev->parent->ims, vdev->res.ims_index[vec]))
			val |= BIT(vec - first);
	return val;
}

static bool vdev_reg_is_async(unsigned int off)
{
	return off == DSA_REG_INTCAUSE ||
	       (off >= DSA_REG_SWERR && off < DSA_REG_SWERR + 32);
}

static u32 vdev_bar0_read32(struct idxd_vdev *vdev, unsigned int off)
{
	u32 val;

	if (vdev_reg_is_async(off)) {
		spin_lock(&vdev->regs_lock);
		val = get_le32_at(vdev->regs, off);
		spin_unlock(&vdev->regs_lock);
		return val;
	}
	if (off < DSA_REG_FILE_SIZE)
		return get_le32_at(vdev->regs, off);
	if (off >= DSA_REG_MSIX_TABLE &&
	    off < DSA_REG_MSIX_TABLE + IDXD_MAX_VECTORS * MSIX_ENTRY_SIZE)
		return vdev_msix_read(vdev, off - DSA_REG_MSIX_TABLE);
	if (off >= DSA_REG_MSIX_PBA && off < DSA_REG_MSIX_PBA + 8)
		return vdev_pba_read(vdev, off - DSA_REG_MSIX_PBA);
	return 0;
}

static void vdev_bar0_write32(struct idxd_vdev *vdev, unsigned int off,
			      u32 val)
{
	u32 old;

	switch (off) {
	case DSA_REG_GENCFG:
	case DSA_REG_GENCTRL:
		put_le32_at(vdev->regs, off, val);
		break;
	case DSA_REG_INTCAUSE:
	case DSA_REG_SWERR:
		/* INTCAUSE and SWERR's valid and overflow: write 1 to clear */
		if (off == DSA_REG_SWERR)
			val &= DSA_SWERR_VALID | DSA_SWERR_OVERFLOW;
		spin_lock(&vdev->regs_lock);
		old = get_le32_at(vdev->regs, off);
		put_le32_at(vdev->regs, off, old & ~val);
		spin_unlock(&vdev->regs_lock);
		break;
	case DSA_REG_CMD:
		vdev_write_cmd(vdev, val);
		break;
	default:
		if (off >= DSA_REG_MSIX_TABLE &&
		    off < DSA_REG_MSIX_TABLE + IDXD_MAX_VECTORS * MSIX_ENTRY_SIZE)
			vdev_msix_write(vdev, off - DSA_REG_MSIX_TABLE, val);
		/* everything else is read-only */
		break;
	}
}

/* Naturally aligned 1, 2, 4 or 8 byte accesses; sub-dword writes ignored. */
static int vdev_bar0_access(struct idxd_vdev *vdev, u8 *buf, size_t count,
			    u64 off, bool write)
{
	u32 lo, hi;

	if ((count != 1 && count != 2 && count != 4 && count != 8) ||
	    !IS_ALIGNED(off, count) || off + count > VDEV_BAR0_SIZE)
		return -EINVAL;

	if (write) {
		if (count == 4) {
			vdev_bar0_write32(vdev, off, get_le32_at(buf, 0));
		} else if (count == 8) {
			vdev_bar0_write32(vdev, off, get_le32_at(buf, 0));
			vdev_bar0_write32(vdev, off + 4, get_le32_at(buf, 4));
		}
		return 0;
	}
	if (count == 8) {
		lo = vdev_bar0_read32(vdev, off);
		hi = vdev_bar0_read32(vdev, off + 4);
		put_le32_at(buf, 0, lo);
		put_le32_at(buf, 4, hi);
	} else {
		lo = vdev_bar0_read32(vdev, ALIGN_DOWN(off, 4));
		lo >>= (off % 4) * 8;
		memcpy(buf, &lo, count);	/* x86: little endian */
	}
	return 0;
}

static int vdev_cfg_access(struct idxd_vdev *vdev, u8 *buf, size_t count,
			   u64 off, bool write)
{
	size_t i;

	if (off >= VDEV_CFG_SIZE || count > VDEV_CFG_SIZE - off)
		return -EINVAL;
	if (!write) {
		memcpy(buf, vdev->cfg + off, count);
		return 0;
	}
	for (i = 0; i < count; i++) {
		u8 m = vdev->cfg_wmask[off + i];

		vdev->cfg[off + i] = (vdev->cfg[off + i] & ~m) | (buf[i] & m);
	}
	return 0;
}

static int vdev_submit(struct idxd_vdev *vdev, const void *bytes)
{
	struct idxd_parent *parent = vdev->parent;
	struct dsa_desc desc;

	memcpy(&desc, bytes, sizeof(desc));
	return parent->ops->submit(parent, vdev, &desc);
}

/*
 * A piece is a naturally aligned 4, 8, 16 or 32-byte write. Pieces are
 * collected per 64-byte slot in any order; the descriptor is submitted
 * when all 64 bytes are there. A piece overlapping bytes already staged
 * in its slot drops them and starts a new descriptor.
 */
static int vdev_portal_piece(struct idxd_vdev *vdev, const u8 *buf,
			     size_t count, u64 off)
{
	unsigned int at = off % VDEV_PORTAL_STRIDE;
	struct vdev_portal_slot *slot;
	u64 mask;

	if (count < 4 || !is_power_of_2(count) || !IS_ALIGNED(off, count))
		return -EINVAL;
	if (!vdev->stage) {
		vdev->stage = kvcalloc(VDEV_PORTAL_SLOTS, sizeof(*vdev->stage),
				       GFP_KERNEL);
		if (!vdev->stage)
			return -ENOMEM;
	}
	slot = &vdev->stage[off / VDEV_PORTAL_STRIDE];
	mask = GENMASK_ULL(at + count - 1, at);
	if (slot->present & mask)
		slot->present = 0;
	memcpy(slot->bytes + at, buf, count);
	slot->present |= mask;
	if (slot->present != U64_MAX)
		return 0;
	slot->present = 0;
	return vdev_submit(vdev, slot->bytes);
}

static int vdev_portal_access(struct idxd_vdev *vdev, u8 *buf, size_t count,
			      u64 off, bool write)
{
	if (off >= VDEV_BAR2_SIZE || count > VDEV_BAR2_SIZE - off)
		return -EINVAL;
	if (!write) {
		memset(buf, 0xff, count);
		return 0;
	}
	if (count > VDEV_PORTAL_STRIDE)
		return -EINVAL;
	if (!vdev->dev_enabled || !vdev->wq_enabled)
		return -EIO;
	if (count == VDEV_PORTAL_STRIDE && IS_ALIGNED(off, VDEV_PORTAL_STRIDE)) {
		/* a whole descriptor replaces whatever its slot held */
		if (vdev->stage)
			vdev->stage[off / VDEV_PORTAL_STRIDE].present = 0;
		return vdev_submit(vdev, buf);
	}
	return vdev_portal_piece(vdev, buf, count, off);
}

/**
 * idxd_vdev_access() - read or write one of the device's VFIO regions
 * @vdev: the device
 * @buf: kernel buffer of @count bytes
 * @count: access size, at most VDEV_ACCESS_MAX
 * @pos: VFIO file offset (region index and offset within it)
 * @write: direction
 *
 * Return: @count, or a negative errno for an access the device rejects.
 */
ssize_t idxd_vdev_access(struct idxd_vdev *vdev, u8 *buf, size_t count,
			 u64 pos, bool write)
{
	u64 off = pos & VDEV_REGION_MASK;
	int ret;

	if (!count || count > VDEV_ACCESS_MAX)
		return -EINVAL;

	mutex_lock(&vdev->lock);
	switch (VDEV_REGION_INDEX(pos)) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		ret = vdev_cfg_access(vdev, buf, count, off, write);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		ret = vdev_bar0_access(vdev, buf, count, off, write);
		break;
	case VFIO_PCI_BAR2_REGION_INDEX:
		ret = vdev_portal_access(vdev, buf, count, off, write);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	mutex_unlock(&vdev->lock);
	return ret ? ret : count;
}

/**
 * idxd_vdev_init() - reserve resources and build the device
 * @vdev: zeroed device embedding an allocated vfio_device
 * @parent: parent to reserve a WQ and IMS entries from
 * @type: mdev type
 *
 * Return: 0, -ENOSPC when the parent has no room for @type, or -ENOMEM.
 */
int idxd_vdev_init(struct idxd_vdev *vdev, struct idxd_parent *parent,
		   const struct idxd_mdev_type *type)
{
	int ret;

	vdev->parent = parent;
	vdev->type = type;
	mutex_init(&vdev->lock);
	spin_lock_init(&vdev->regs_lock);
	ret = idxd_parent_reserve(parent, type, &vdev->res);
	if (ret)
		return ret;
	ret = dsa_engine_init(&vdev->engine, &vdev->vfio, vdev->res.nr_vectors,
			      type->kind == IDXD_WQ_DEDICATED, vdev_complete);
	if (ret)
		goto err_unreserve;
	ret = idxd_queue_init(&vdev->queue, &vdev->engine,
			      parent->ops->wq_size(parent, type->kind));
	if (ret)
		goto err_engine;
	vdev_cfg_init(vdev);
	vdev_regs_init(vdev);
	return 0;

err_engine:
	dsa_engine_fini(&vdev->engine);
err_unreserve:
	idxd_parent_unreserve(parent, &vdev->res);
	return ret;
}

/**
 * idxd_vdev_destroy() - give back everything idxd_vdev_init() took
 * @vdev: the device
 */
void idxd_vdev_destroy(struct idxd_vdev *vdev)
{
	kvfree(vdev->stage);
	vdev->stage = NULL;
	idxd_queue_fini(&vdev->queue);
	dsa_engine_fini(&vdev->engine);
	idxd_parent_unreserve(vdev->parent, &vdev->res);
	if (vdev->req_trigger)
		eventfd_ctx_put(vdev->req_trigger);
	vdev->req_trigger = NULL;
	mutex_destroy(&vdev->lock);
}

/**
 * idxd_vdev_reset() - function level reset: registers to power-on state
 * @vdev: the device
 *
 * Interrupt bindings stay, as with vfio-pci.
 */
void idxd_vdev_reset(struct idxd_vdev *vdev)
{
	mutex_lock(&vdev->lock);
	idxd_queue_abort(&vdev->queue);
	vdev_regs_init(vdev);
	mutex_unlock(&vdev->lock);
}

/**
 * idxd_vdev_close() - the user closed the device: drop its interrupts
 * @vdev: the device
 */
void idxd_vdev_close(struct idxd_vdev *vdev)
{
	struct ims_table *ims = vdev->parent->ims;
	unsigned int i;

	mutex_lock(&vdev->lock);
	/* nothing touches the user's memory or eventfds after this */
	idxd_queue_abort(&vdev->queue);
	for (i = 0; i < vdev->res.nr_vectors; i++) {
		ims_set_trigger(ims, vdev->res.ims_index[i], NULL);
		ims_unmask(ims, vdev->res.ims_index[i]);
	}
	if (vdev->req_trigger)
		eventfd_ctx_put(vdev->req_trigger);
	vdev->req_trigger = NULL;
	vdev_cfg_init(vdev);
	vdev_regs_init(vdev);
	kvfree(vdev->stage);
	vdev->stage = NULL;
	mutex_unlock(&vdev->lock);
}

/**
 * idxd_vdev_irq_count() - interrupts of a VFIO IRQ index
 * @vdev: the device
 * @index: VFIO_PCI_*_IRQ_INDEX
 *
 * Return: MSI-X vectors for MSI-X, 1 for the request IRQ, else 0.
 */
unsigned int idxd_vdev_irq_count(struct idxd_vdev *vdev, unsigned int index)
{
	switch (index) {
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return vdev->res.nr_vectors;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	default:
		return 0;
	}
}

static bool vdev_irq_selected(const struct vfio_irq_set *hdr,
			      const void *data, unsigned int i)
{
	if ((hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK) == VFIO_IRQ_SET_DATA_BOOL)
		return ((const u8 *)data)[i];
	return true;
}

/* Bind eventfds to vectors start..start+count-1; fd -1 unbinds. */
static int vdev_msix_bind(struct idxd_vdev *vdev, unsigned int start,
			  unsigned int count, const s32 *fds)
{
	struct eventfd_ctx *ctx[IDXD_MAX_VECTORS] = {};
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (fds[i] < 0)
			continue;
		ctx[i] = eventfd_ctx_fdget(fds[i]);
		if (IS_ERR(ctx[i])) {
			int ret = PTR_ERR(ctx[i]);

			while (i--)
				if (ctx[i])
					eventfd_ctx_put(ctx[i]);
			return ret;
		}
	}
	for (i = 0; i < count; i++)
		ims_set_trigger(vdev->parent->ims,
				vdev->res.ims_index[start + i], ctx[i]);
	return 0;
}

static int vdev_set_msix(struct idxd_vdev *vdev, const struct vfio_irq_set *hdr,
			 const void *data)
{
	struct ims_table *ims = vdev->parent->ims;
	u32 action = hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	u32 dtype = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	unsigned int i, idx;

	if (action != VFIO_IRQ_SET_ACTION_TRIGGER &&
	    dtype == VFIO_IRQ_SET_DATA_EVENTFD)
		return -EINVAL;
	if (action == VFIO_IRQ_SET_ACTION_TRIGGER) {
		if (dtype == VFIO_IRQ_SET_DATA_EVENTFD)
			return vdev_msix_bind(vdev, hdr->start, hdr->count, data);
		if (dtype == VFIO_IRQ_SET_DATA_NONE && !hdr->count) {
			for (i = 0; i < vdev->res.nr_vectors; i++)
				ims_set_trigger(ims, vdev->res.ims_index[i],
						NULL);
			return 0;
		}
	}
	for (i = 0; i < hdr->count; i++) {
		if (!vdev_irq_selected(hdr, data, i))
			continue;
		idx = vdev->res.ims_index[hdr->start + i];
		if (action == VFIO_IRQ_SET_ACTION_MASK)
			ims_mask(ims, idx);
		else if (action == VFIO_IRQ_SET_ACTION_UNMASK)
			ims_unmask(ims, idx);
		else
			ims_fire(ims, idx);
	}
	return 0;
}

static int vdev_set_req(struct idxd_vdev *vdev, const struct vfio_irq_set *hdr,
			const void *data)
{
	u32 dtype = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	struct eventfd_ctx *ctx = NULL;
	s32 fd;

	if ((hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) !=
	    VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;
	/* count 0 only with DATA_NONE (unbind); there is no payload then */
	if (!hdr->count && dtype != VFIO_IRQ_SET_DATA_NONE)
		return -EINVAL;
	if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
		fd = *(const s32 *)data;
		if (fd >= 0) {
			ctx = eventfd_ctx_fdget(fd);
			if (IS_ERR(ctx))
				return PTR_ERR(ctx);
		}
		swap(ctx, vdev->req_trigger);
		if (ctx)
			eventfd_ctx_put(ctx);
		return 0;
	}
	if (!hdr->count) {
		swap(ctx, vdev->req_trigger);
		if (ctx)
			eventfd_ctx_put(ctx);
		return 0;
	}
	if (vdev_irq_selected(hdr, data, 0) && vdev->req_trigger)
		eventfd_signal(vdev->req_trigger, 1);
	return 0;
}

/**
 * idxd_vdev_set_irqs() - VFIO_DEVICE_SET_IRQS on a validated header
 * @vdev: the device
 * @hdr: header checked by vfio_set_irqs_validate_and_prepare()
 * @data: the header's payload (bools or eventfds), or NULL
 *
 * MSI-X vectors support TRIGGER (eventfd binding, loopback), MASK and
 * UNMASK, which act on the IMS entries backing them; the request IRQ
 * supports TRIGGER.
 *
 * Return: 0 or a negative errno.
 */
int idxd_vdev_set_irqs(struct idxd_vdev *vdev, const struct vfio_irq_set *hdr,
		       const void *data)
{
	int ret;

	mutex_lock(&vdev->lock);
	switch (hdr->index) {
	case VFIO_PCI_MSIX_IRQ_INDEX:
		ret = vdev_set_msix(vdev, hdr, data);
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		ret = vdev_set_req(vdev, hdr, data);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	mutex_unlock(&vdev->lock);
	return ret;
}

/**
 * idxd_vdev_request() - ask the user to release the device
 * @vdev: the device
 * @count: how many times it has been asked already
 *
 * Signals the eventfd bound to VFIO_PCI_REQ_IRQ_INDEX, as vfio-pci does.
 */
void idxd_vdev_request(struct idxd_vdev *vdev, unsigned int count)
{
	struct device *dev = vdev->vfio.dev;

	mutex_lock(&vdev->lock);
	if (vdev->req_trigger) {
		if (!(count % 10))
			dev_info_ratelimited(dev, "asking the user to release the device (%u)\n",
					     count);
		eventfd_signal(vdev->req_trigger, 1);
	} else if (!count) {
		dev_notice(dev, "removal waits for the user to close the device, which has no request eventfd\n");
	}
	mutex_unlock(&vdev->lock);
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest-visible DSA register layout and descriptor format, as far as the
 * idxd_mdev virtual device implements it. Offsets follow the Linux idxd
 * driver (drivers/dma/idxd/registers.h) and include/uapi/linux/idxd.h so an
 * unmodified DSA driver finds its registers where it expects them.
 */
#ifndef IDXD_MDEV_REGS_H
#define IDXD_MDEV_REGS_H

#include <linux/bits.h>
#include <linux/types.h>

#define DSA_PCI_VENDOR_ID	0x8086
#define DSA_PCI_DEVICE_ID	0x0b25
#define DSA_PCI_REVISION	0x01
/* base class 0x08 (system peripheral), subclass 0x80 (other) */
#define DSA_PCI_CLASS		0x088000

#define VDEV_CFG_SIZE		256
#define VDEV_MSIX_CAP		0x40

/* BAR0: registers; BAR2: WQ portals (four 4 KiB pages for WQ 0) */
#define VDEV_BAR0_SIZE		0x10000
#define VDEV_BAR2_SIZE		0x4000
#define VDEV_PORTAL_STRIDE	64

/* BAR0 register offsets */
#define DSA_REG_VER		0x00
#define DSA_REG_GENCAP		0x10
#define DSA_REG_WQCAP		0x20
#define DSA_REG_GRPCAP		0x30
#define DSA_REG_ENGCAP		0x38
#define DSA_REG_OPCAP		0x40	/* 256 bits */
#define DSA_REG_TABLE		0x60	/* 128 bits */
#define DSA_REG_GENCFG		0x80
#define DSA_REG_GENCTRL		0x88
#define DSA_REG_GENSTS		0x90
#define DSA_REG_INTCAUSE	0x98
#define DSA_REG_CMD		0xa0
#define DSA_REG_CMDSTS		0xa8
#define DSA_REG_CMDCAP		0xb0
#define DSA_REG_SWERR		0xc0	/* 256 bits */

/* Tables, placed by the TABLE register in units of 0x100 */
#define DSA_TABLE_UNIT		0x100
#define DSA_REG_GRPCFG		0x400
#define DSA_REG_WQCFG		0x500
#define DSA_REG_MSIX_PERM	0x600
#define DSA_REG_FILE_SIZE	0x800	/* backed by the register image */
#define DSA_REG_MSIX_TABLE	0x2000
#define DSA_REG_MSIX_PBA	0x3000

#define DSA_VER_1_0		0x10

/* GENCAP fields */
#define DSA_GENCAP_OVERLAP_COPY	BIT_ULL(1)
#define DSA_GENCAP_CC_MEM	BIT_ULL(2)
#define DSA_GENCAP_XFER_SHIFT	16	/* 5 bits: log2 of max transfer */
#define DSA_GENCAP_BATCH_SHIFT	21	/* 4 bits: log2 of max batch */

/* WQCAP fields */
#define DSA_WQCAP_NUM_WQS_SHIFT	16
#define DSA_WQCAP_SHARED	BIT_ULL(48)
#define DSA_WQCAP_DEDICATED	BIT_ULL(49)

/* GENSTS device state */
#define DSA_GENSTS_DISABLED	0
#define DSA_GENSTS_ENABLED	1

/* INTCAUSE bits */
#define DSA_INTC_ERR		BIT(0)
#define DSA_INTC_CMD		BIT(1)

/* CMD register */
#define DSA_CMD_OPERAND_MASK	GENMASK(19, 0)
#define DSA_CMD_SHIFT		20
#define DSA_CMD_MASK		0x1f
#define DSA_CMD_INT_REQ		BIT(31)

enum dsa_cmd {
	DSA_CMD_ENABLE_DEVICE = 1,
	DSA_CMD_DISABLE_DEVICE,
	DSA_CMD_DRAIN_ALL,
	DSA_CMD_ABORT_ALL,
	DSA_CMD_RESET_DEVICE,
	DSA_CMD_ENABLE_WQ,
	DSA_CMD_DISABLE_WQ,
	DSA_CMD_DRAIN_WQ,
	DSA_CMD_ABORT_WQ,
	DSA_CMD_RESET_WQ,
	DSA_CMD_DRAIN_PASID,
	DSA_CMD_ABORT_PASID,
	DSA_CMD_REQUEST_INT_HANDLE,
	DSA_CMD_RELEASE_INT_HANDLE,
};

/* CMDSTS error codes */
#define DSA_CMDSTS_SUCCESS		0x00
#define DSA_CMDSTS_INVAL_CMD		0x01
#define DSA_CMDSTS_INVAL_WQIDX		0x02
#define DSA_CMDSTS_DEV_ENABLED		0x10
#define DSA_CMDSTS_DEV_NOT_ENABLED	0x20
#define DSA_CMDSTS_WQ_ENABLED		0x21
#define DSA_CMDSTS_DIS_DEV_NOT_EN	0x31
#define DSA_CMDSTS_WQ_DEV_NOT_EN	0x32
#define DSA_CMDSTS_INVAL_INT_IDX	0x41

/* SWERR: four qwords; first qword */
#define DSA_SWERR_VALID		BIT_ULL(0)
#define DSA_SWERR_OVERFLOW	BIT_ULL(1)
#define DSA_SWERR_DESC_VALID	BIT_ULL(2)
#define DSA_SWERR_WQ_VALID	BIT_ULL(3)
#define DSA_SWERR_BATCH		BIT_ULL(4)
#define DSA_SWERR_FAULT_WRITE	BIT_ULL(5)
#define DSA_SWERR_PRIV		BIT_ULL(6)
#define DSA_SWERR_CODE_SHIFT	8
#define DSA_SWERR_WQ_SHIFT	16
#define DSA_SWERR_OP_SHIFT	32
#define DSA_SWERR_PASID_SHIFT	40
/* second qword: batch index in bits 15:0, invalid flags in 63:32 */
#define DSA_SWERR_INVFLAGS_SHIFT	32
/* third qword: fault address */

/* WQCFG (32 bytes per WQ) dwords */
#define DSA_WQCFG_SIZE		32
#define DSA_WQCFG_SIZE_LOG2_MIN	5	/* WQCAP.wqcfg_size = 0 => 32 bytes */
#define DSA_WQCFG_MODE_DEDICATED	BIT(0)
#define DSA_WQCFG_STATE_ENABLED	BIT(30)	/* dword 6, wq_state = 1 */

/* MSI-X table entry */
#define MSIX_ENTRY_SIZE		16
#define MSIX_ENTRY_CTRL_MASKED	BIT(0)

/* Descriptor flags (24 bits) */
#define DSA_FLAG_FENCE		BIT(0)
#define DSA_FLAG_BOF		BIT(1)
#define DSA_FLAG_CRAV		BIT(2)
#define DSA_FLAG_RCR		BIT(3)
#define DSA_FLAG_RCI		BIT(4)
#define DSA_FLAG_CR		BIT(7)	/* check result (COMPARE) */
#define DSA_FLAG_CC		BIT(8)

#define DSA_FLAGS_SUPPORTED	(DSA_FLAG_FENCE | DSA_FLAG_BOF | \
				 DSA_FLAG_CRAV | DSA_FLAG_RCR | \
				 DSA_FLAG_RCI | DSA_FLAG_CR | DSA_FLAG_CC)

enum dsa_op {
	DSA_OP_NOOP = 0x00,
	DSA_OP_BATCH = 0x01,
	DSA_OP_DRAIN = 0x02,
	DSA_OP_MEMMOVE = 0x03,
	DSA_OP_MEMFILL = 0x04,
	DSA_OP_COMPARE = 0x05,
	DSA_OP_COMPVAL = 0x06,
	DSA_OP_DUALCAST = 0x09,
	DSA_OP_CRCGEN = 0x10,
	DSA_OP_COPY_CRC = 0x11,
};

/* Batch limits: GENCAP.max_batch_shift, and the smallest batch */
#define DSA_MAX_BATCH_SHIFT	5
#define DSA_MAX_BATCH		BIT(DSA_MAX_BATCH_SHIFT)
#define DSA_MIN_BATCH		2

/* DUALCAST: the destinations must agree in these address bits */
#define DSA_DUALCAST_MASK	GENMASK_ULL(11, 0)

enum dsa_status {
	DSA_STATUS_NONE = 0x00,
	DSA_STATUS_SUCCESS = 0x01,
	DSA_STATUS_SUCCESS_PRED = 0x02,
	DSA_STATUS_PAGE_FAULT = 0x03,
	DSA_STATUS_BATCH_FAIL = 0x05,
	DSA_STATUS_BATCH_PAGE_FAULT = 0x06,
	DSA_STATUS_BAD_OPCODE = 0x10,
	DSA_STATUS_INVALID_FLAGS = 0x11,
	DSA_STATUS_NOZERO_RESERVE = 0x12,
	DSA_STATUS_XFER_ERANGE = 0x13,
	DSA_STATUS_DESC_CNT_ERANGE = 0x14,
	DSA_STATUS_OVERLAP_BUFFERS = 0x16,
	DSA_STATUS_DCAST_ERR = 0x17,
	DSA_STATUS_DESCLIST_ALIGN = 0x18,
	DSA_STATUS_INT_HANDLE_INVAL = 0x19,
	DSA_STATUS_CRA_XLAT = 0x1a,
	DSA_STATUS_CRA_ALIGN = 0x1b,
	DSA_STATUS_PRIV_BAD = 0x1d,
};

/* Completion status bit 7: the page fault was on a write */
#define DSA_STATUS_FAULT_WRITE	0x80

/* 64-byte work descriptor, little endian, as written to the portal */
struct dsa_desc {
	__le32 pasid_priv;	/* pasid:20 rsvd:11 priv:1 */
	__le32 flags_opcode;	/* flags:24 opcode:8 */
	__le64 completion_addr;
	__le64 src;		/* source, or MEMFILL pattern */
	__le64 dst;		/* destination, or COMPARE second source */
	__le32 xfer_size;	/* or BATCH descriptor count */
	__le16 int_handle;
	__le16 rsvd1;
	union {
		u8 expected_res;	/* COMPARE with DSA_FLAG_CR */
		__le64 dest2;		/* DUALCAST */
		struct {
			__le32 crc_seed;
			__le32 crc_rsvd;
			__le64 seed_addr;
		};
		u8 op_specific[24];
	};
} __packed;

#define DSA_DESC_RSVD_MASK	GENMASK(30, 20)	/* in pasid_priv */
#define DSA_DESC_PASID_PRIV	(GENMASK(19, 0) | BIT(31))

/* 32-byte completion record */
struct dsa_completion {
	u8 status;
	u8 result;
	__le16 rsvd;
	__le32 bytes_completed;
	__le64 fault_addr;
	union {
		__le32 invalid_flags;
		__le64 crc_val;
		u8 op_specific[16];
	};
} __packed;

#define DSA_COMPLETION_ALIGN	32

#endif /* IDXD_MDEV_REGS_H */

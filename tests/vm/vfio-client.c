// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-client: drives one idxd_mdev mdev through VFIO the way a VMM would,
 * and checks what the device does.
 *
 *   vfio-client UUID selftest      config space, registers, all opcodes, IRQs
 *   vfio-client UUID mask-test     a masked vector holds its interrupt
 *   vfio-client UUID bad-desc      bad descriptors get DSA error statuses
 *   vfio-client UUID hold SECONDS  hold the device open until the request
 *                                  eventfd fires (exit 0) or SECONDS pass (1)
 *   vfio-client UUID hold-noreq SECONDS  same, without a request eventfd
 *   vfio-client UUID memmove [BYTES]  one verified copy, human readable
 *   vfio-client UUID fuzz [N [SEED]]  N random descriptors, register,
 *                                  config and SET_IRQS operations, then
 *                                  checks the device still works
 *
 * Each check prints "PASS what" or "FAIL what: why"; the exit status is 0
 * only if all passed. Built on the host: cc -O2 -Wall -o vfio-client
 * vfio-client.c (see tests/vm/Makefile).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/idxd.h>
#include <linux/vfio.h>

#define DSA_VENDOR	0x8086
#define DSA_DEVICE	0x0b25

/* BAR0 offsets (drivers/dma/idxd/registers.h) */
#define REG_VER		0x00
#define REG_GENCAP	0x10
#define REG_WQCAP	0x20
#define REG_OPCAP	0x40
#define REG_TABLE	0x60
#define REG_GENCTRL	0x88
#define REG_GENSTS	0x90
#define REG_INTCAUSE	0x98
#define REG_CMD		0xa0
#define REG_CMDSTS	0xa8
#define REG_SWERR	0xc0

#define CMD_ENABLE_DEVICE	1
#define CMD_ENABLE_WQ		6
#define CMD_INT_REQ		(1u << 31)

#define IOVA_BASE	0x10000000ull
#define DMA_SIZE	(8u << 20)
#define IOVA_UNMAPPED	0x7f000000ull
#define IRQ_TIMEOUT_MS	3000

struct dev {
	int container, group, fd;
	uint64_t cfg_off, bar0_off, bar2_off;
	unsigned int nr_vectors;
	int irq[8];
	int req;
	uint8_t *mem;		/* DMA_SIZE bytes at IOVA_BASE */
	uint32_t msix_table;	/* BAR0 offset of the MSI-X table */
	uint32_t msix_pba;
};

static int failures;

static void result(bool ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void result(bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS %s\n", what);
	} else {
		failures++;
		printf("FAIL %s: ", what);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL setup: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (%s)\n", strerror(errno));
	exit(1);
}

/* ---- reference implementations ---- */

/* CRC32C, reflected, preset ~seed, inverted result (docs/kernel.md). */
static uint32_t ref_crc32c(uint32_t seed, const uint8_t *p, size_t len)
{
	uint32_t crc = ~seed;
	int bit;

	while (len--) {
		crc ^= *p++;
		for (bit = 0; bit < 8; bit++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
	}
	return ~crc;
}

static void fill_random(uint8_t *p, size_t len, uint32_t seed)
{
	uint32_t x = seed | 1;

	while (len--) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		*p++ = (uint8_t)x;
	}
}

/* ---- VFIO plumbing ---- */

static uint64_t region_offset(struct dev *d, unsigned int index, uint64_t *size)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };

	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &info))
		die("VFIO_DEVICE_GET_REGION_INFO %u", index);
	if (size)
		*size = info.size;
	return info.offset;
}

static int rd(struct dev *d, uint64_t base, uint64_t off, void *buf, size_t n)
{
	return pread(d->fd, buf, n, base + off) == (ssize_t)n ? 0 : -errno;
}

static int wr(struct dev *d, uint64_t base, uint64_t off, const void *buf,
	      size_t n)
{
	return pwrite(d->fd, buf, n, base + off) == (ssize_t)n ? 0 : -errno;
}

static uint32_t cfg32(struct dev *d, unsigned int off)
{
	uint32_t v = 0;

	if (rd(d, d->cfg_off, off, &v, 4))
		die("config read at 0x%x", off);
	return v;
}

static uint32_t reg32(struct dev *d, unsigned int off)
{
	uint32_t v = 0;

	if (rd(d, d->bar0_off, off, &v, 4))
		die("BAR0 read at 0x%x", off);
	return v;
}

static uint64_t reg64(struct dev *d, unsigned int off)
{
	uint64_t v = 0;

	if (rd(d, d->bar0_off, off, &v, 8))
		die("BAR0 read at 0x%x", off);
	return v;
}

static void reg32_write(struct dev *d, unsigned int off, uint32_t v)
{
	if (wr(d, d->bar0_off, off, &v, 4))
		die("BAR0 write at 0x%x", off);
}

static int set_irqs(struct dev *d, unsigned int index, uint32_t flags,
		    unsigned int start, unsigned int count, const void *data,
		    size_t data_size)
{
	char buf[sizeof(struct vfio_irq_set) + 64];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	memset(buf, 0, sizeof(buf));
	set->argsz = sizeof(*set) + data_size;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (data_size)
		memcpy(set->data, data, data_size);
	return ioctl(d->fd, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}

static void dev_open(struct dev *d, const char *uuid)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_irq_info irq = { .argsz = sizeof(irq) };
	ssize_t n;

	memset(d, 0, sizeof(*d));
	d->req = -1;
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group",
		 uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die("no IOMMU group for %s", uuid);
	link[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));

	d->container = open("/dev/vfio/vfio", O_RDWR);
	if (d->container < 0)
		die("open /dev/vfio/vfio");
	if (ioctl(d->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		die("VFIO API version");
	if (ioctl(d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		die("no VFIO_TYPE1v2_IOMMU");
	d->group = open(path, O_RDWR);
	if (d->group < 0)
		die("open %s", path);
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group %s not viable", path);
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container))
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU");
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (d->fd < 0)
		die("VFIO_GROUP_GET_DEVICE_FD %s", uuid);

	d->mem = mmap(NULL, DMA_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->mem == MAP_FAILED)
		die("mmap");
	map.vaddr = (uintptr_t)d->mem;
	map.iova = IOVA_BASE;
	map.size = DMA_SIZE;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (ioctl(d->container, VFIO_IOMMU_MAP_DMA, &map))
		die("VFIO_IOMMU_MAP_DMA");

	d->cfg_off = region_offset(d, VFIO_PCI_CONFIG_REGION_INDEX, NULL);
	d->bar0_off = region_offset(d, VFIO_PCI_BAR0_REGION_INDEX, NULL);
	d->bar2_off = region_offset(d, VFIO_PCI_BAR2_REGION_INDEX, NULL);

	irq.index = VFIO_PCI_MSIX_IRQ_INDEX;
	if (ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &irq))
		die("VFIO_DEVICE_GET_IRQ_INFO");
	d->nr_vectors = irq.count;
	if (d->nr_vectors < 2 || d->nr_vectors > 8)
		die("%u MSI-X vectors", d->nr_vectors);
}

static void dev_close(struct dev *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_vectors; i++)
		if (d->irq[i] > 0)
			close(d->irq[i]);
	if (d->req >= 0)
		close(d->req);
	close(d->fd);
	close(d->group);
	close(d->container);
	munmap(d->mem, DMA_SIZE);
}

static void bind_vectors(struct dev *d)
{
	int32_t fds[8];
	unsigned int i;

	for (i = 0; i < d->nr_vectors; i++) {
		d->irq[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (d->irq[i] < 0)
			die("eventfd");
		fds[i] = d->irq[i];
	}
	if (set_irqs(d, VFIO_PCI_MSIX_IRQ_INDEX,
		     VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		     0, d->nr_vectors, fds, d->nr_vectors * sizeof(int32_t)))
		die("VFIO_DEVICE_SET_IRQS (MSI-X eventfds)");
}

/* Waits up to @ms for vector @vec; returns its count (0 on timeout). */
static uint64_t wait_irq(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t count = 0;

	if (poll(&p, 1, ms) == 1 && read(fd, &count, sizeof(count)) != 8)
		count = 0;
	return count;
}

static void drain_irqs(struct dev *d)
{
	uint64_t c;
	unsigned int i;

	for (i = 0; i < d->nr_vectors; i++)
		while (read(d->irq[i], &c, sizeof(c)) == 8)
			;
}

static uint32_t command(struct dev *d, uint32_t cmd, uint32_t operand)
{
	reg32_write(d, REG_CMD, cmd << 20 | operand);
	return reg32(d, REG_CMDSTS);
}

static void enable(struct dev *d)
{
	uint32_t sts;

	sts = command(d, CMD_ENABLE_DEVICE, 0);
	if (sts & 0xff)
		die("ENABLE_DEVICE status 0x%x", sts);
	sts = command(d, CMD_ENABLE_WQ, 0);
	if (sts & 0xff)
		die("ENABLE_WQ status 0x%x", sts);
}

static uint64_t iova(struct dev *d, const void *p)
{
	return IOVA_BASE + (uint64_t)((const uint8_t *)p - d->mem);
}

/* Layout in the DMA area: completion records, then buffers. */
#define CR_AREA		0
#define BUF_A		(1u << 20)
#define BUF_B		(3u << 20)
#define BUF_MAX		(2u << 20)

static struct dsa_completion_record *cr_slot(struct dev *d)
{
	return (struct dsa_completion_record *)(d->mem + CR_AREA);
}

static void desc_init(struct dev *d, struct dsa_hw_desc *desc, int opcode,
		      uint32_t flags, uint16_t vector)
{
	memset(desc, 0, sizeof(*desc));
	memset(cr_slot(d), 0, 64);
	desc->opcode = opcode;
	desc->flags = flags;
	desc->completion_addr = iova(d, cr_slot(d));
	desc->int_handle = vector;
}

static int submit(struct dev *d, const struct dsa_hw_desc *desc)
{
	return wr(d, d->bar2_off, 0, desc, sizeof(*desc));
}

#define STD_FLAGS	(IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR | IDXD_OP_FLAG_RCI)

/* Submits and checks the interrupt of vector 1 and the status. */
static bool run(struct dev *d, const struct dsa_hw_desc *desc,
		const char *what, uint8_t want_status)
{
	struct dsa_completion_record *cr = cr_slot(d);
	uint64_t irqs;
	int ret;

	ret = submit(d, desc);
	if (ret) {
		result(false, what, "portal write: %s", strerror(-ret));
		return false;
	}
	irqs = wait_irq(d->irq[desc->int_handle], IRQ_TIMEOUT_MS);
	if (!irqs) {
		result(false, what, "no completion interrupt on vector %u",
		       desc->int_handle);
		return false;
	}
	if (cr->status != want_status) {
		result(false, what, "status 0x%02x, want 0x%02x", cr->status,
		       want_status);
		return false;
	}
	return true;
}

/* ---- selftest ---- */

static void check_config(struct dev *d)
{
	uint32_t id = cfg32(d, 0x00), cap, msix, bar0;
	uint8_t ptr;

	result((id & 0xffff) == DSA_VENDOR && id >> 16 == DSA_DEVICE,
	       "config: vendor 8086 device 0b25", "id 0x%08x", id);
	ptr = cfg32(d, 0x34) & 0xff;
	cap = cfg32(d, ptr);
	result((cfg32(d, 0x04) >> 16) & 0x10 && (cap & 0xff) == 0x11,
	       "config: MSI-X capability", "cap ptr 0x%x, cap 0x%08x", ptr, cap);
	result(((cap >> 16) & 0x7ff) + 1 == d->nr_vectors,
	       "config: MSI-X table size matches the VFIO IRQ count",
	       "table size %u, irq count %u", ((cap >> 16) & 0x7ff) + 1,
	       d->nr_vectors);
	d->msix_table = cfg32(d, ptr + 4);
	d->msix_pba = cfg32(d, ptr + 8);
	msix = d->msix_table;
	result((msix & 7) == 0 && (d->msix_pba & 7) == 0,
	       "config: MSI-X table and PBA in BAR0", "table 0x%x pba 0x%x",
	       msix, d->msix_pba);
	d->msix_table &= ~7u;
	d->msix_pba &= ~7u;

	/* BAR sizing: all ones reads back the size mask */
	bar0 = 0xffffffff;
	wr(d, d->cfg_off, 0x10, &bar0, 4);
	bar0 = cfg32(d, 0x10);
	result((bar0 & ~0xfu) == 0xffff0000u && (bar0 & 0x6) == 0x4,
	       "config: BAR0 is 64-bit, 64 KiB", "BAR0 after sizing 0x%08x",
	       bar0);
}

static void check_registers(struct dev *d)
{
	uint64_t gencap = reg64(d, REG_GENCAP), wqcap = reg64(d, REG_WQCAP);
	uint64_t opcap = reg64(d, REG_OPCAP), table = reg64(d, REG_TABLE);
	uint32_t ver = reg32(d, REG_VER);
	uint64_t want_ops = 1ull << DSA_OPCODE_NOOP | 1ull << DSA_OPCODE_MEMMOVE |
			    1ull << DSA_OPCODE_MEMFILL | 1ull << DSA_OPCODE_COMPARE |
			    1ull << DSA_OPCODE_CRCGEN;
	uint32_t wqcfg;

	result(ver == 0x10, "BAR0: VER 1.0", "VER 0x%x", ver);
	result(((gencap >> 16) & 0x1f) == 21, "BAR0: GENCAP max transfer 2 MiB",
	       "GENCAP 0x%016" PRIx64, gencap);
	result(((wqcap >> 16) & 0xff) == 1 && (wqcap >> 48 & 3) != 0,
	       "BAR0: WQCAP one WQ", "WQCAP 0x%016" PRIx64, wqcap);
	result((opcap & want_ops) == want_ops, "BAR0: OPCAP has the 5 opcodes",
	       "OPCAP 0x%016" PRIx64, opcap);
	wqcfg = (table >> 16 & 0xffff) * 0x100;
	result(wqcfg && (reg32(d, wqcfg) & 0xffff) > 0,
	       "BAR0: TABLE points at a WQCFG with a WQ size",
	       "TABLE 0x%016" PRIx64, table);
	result(reg32(d, REG_GENSTS) == 0, "BAR0: device starts disabled",
	       "GENSTS 0x%x", reg32(d, REG_GENSTS));
	enable(d);
	result((reg32(d, REG_GENSTS) & 3) == 1 &&
	       reg32(d, wqcfg + 24) >> 30 == 1,
	       "BAR0: ENABLE_DEVICE and ENABLE_WQ", "GENSTS 0x%x WQCFG[6] 0x%x",
	       reg32(d, REG_GENSTS), reg32(d, wqcfg + 24));
	result((command(d, CMD_ENABLE_DEVICE, 0) & 0xff) == 0x10,
	       "BAR0: second ENABLE_DEVICE reports 0x10", "CMDSTS 0x%x",
	       reg32(d, REG_CMDSTS));

	/* command completion interrupt on vector 0 */
	drain_irqs(d);
	command(d, 31, 0);	/* invalid command */
	result((reg32(d, REG_CMDSTS) & 0xff) == 1,
	       "BAR0: invalid command reports 0x01", "CMDSTS 0x%x",
	       reg32(d, REG_CMDSTS));
	reg32_write(d, REG_CMD, CMD_INT_REQ | 13u << 20 | 0);
	result(wait_irq(d->irq[0], IRQ_TIMEOUT_MS) &&
	       (reg32(d, REG_INTCAUSE) & 2),
	       "BAR0: command with INT_REQ raises vector 0 and INTCAUSE.CMD",
	       "INTCAUSE 0x%x", reg32(d, REG_INTCAUSE));
	reg32_write(d, REG_INTCAUSE, 2);
	result(reg32(d, REG_INTCAUSE) == 0, "BAR0: INTCAUSE is write-1-to-clear",
	       "INTCAUSE 0x%x", reg32(d, REG_INTCAUSE));
}

static void op_noop(struct dev *d)
{
	struct dsa_hw_desc desc;

	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	if (run(d, &desc, "NOOP", DSA_COMP_SUCCESS))
		result(true, "NOOP", "ok");
}

static void op_memmove(struct dev *d, uint32_t size, uint32_t seed)
{
	uint8_t *a = d->mem + BUF_A, *b = d->mem + BUF_B;
	struct dsa_hw_desc desc;
	char what[64];

	snprintf(what, sizeof(what), "MEMMOVE %u bytes", size);
	fill_random(a, size, seed);
	memset(b, 0xee, size + 16);
	desc_init(d, &desc, DSA_OPCODE_MEMMOVE, STD_FLAGS, 1);
	desc.src_addr = iova(d, a);
	desc.dst_addr = iova(d, b);
	desc.xfer_size = size;
	if (!run(d, &desc, what, DSA_COMP_SUCCESS))
		return;
	result(!memcmp(a, b, size) && b[size] == 0xee, what,
	       "destination differs from source or overrun");
}

static void op_memmove_overlap(struct dev *d)
{
	uint32_t size = 3 * 4096 + 100, shift = 1000;
	uint8_t *a = d->mem + BUF_A, *ref = malloc(size);
	struct dsa_hw_desc desc;

	fill_random(a, size + shift, 7);
	memcpy(ref, a, size);
	desc_init(d, &desc, DSA_OPCODE_MEMMOVE, STD_FLAGS, 1);
	desc.src_addr = iova(d, a);
	desc.dst_addr = iova(d, a + shift);
	desc.xfer_size = size;
	if (run(d, &desc, "MEMMOVE overlapping", DSA_COMP_SUCCESS))
		result(!memcmp(a + shift, ref, size), "MEMMOVE overlapping",
		       "data differs from memmove()");
	free(ref);
}

static void op_memfill(struct dev *d)
{
	uint8_t *b = d->mem + BUF_B;
	uint64_t pattern = 0x0123456789abcdefull;
	uint32_t size = 10000, i;
	struct dsa_hw_desc desc;
	bool ok = true;

	memset(b, 0, size + 8);
	desc_init(d, &desc, DSA_OPCODE_MEMFILL, STD_FLAGS, 1);
	desc.pattern = pattern;
	desc.dst_addr = iova(d, b);
	desc.xfer_size = size;
	if (!run(d, &desc, "MEMFILL", DSA_COMP_SUCCESS))
		return;
	for (i = 0; i < size; i++)
		ok &= b[i] == ((const uint8_t *)&pattern)[i % 8];
	result(ok && b[size] == 0, "MEMFILL", "pattern wrong or overrun");
}

static void op_compare(struct dev *d)
{
	uint8_t *a = d->mem + BUF_A, *b = d->mem + BUF_B;
	struct dsa_completion_record *cr = cr_slot(d);
	uint32_t size = 20000, diff = 12345;
	struct dsa_hw_desc desc;

	fill_random(a, size, 3);
	memcpy(b, a, size);
	desc_init(d, &desc, DSA_OPCODE_COMPARE, STD_FLAGS, 1);
	desc.src_addr = iova(d, a);
	desc.src2_addr = iova(d, b);
	desc.xfer_size = size;
	if (run(d, &desc, "COMPARE equal", DSA_COMP_SUCCESS))
		result(cr->result == 0, "COMPARE equal", "result %u", cr->result);

	b[diff] ^= 0x40;
	desc_init(d, &desc, DSA_OPCODE_COMPARE, STD_FLAGS, 1);
	desc.src_addr = iova(d, a);
	desc.src2_addr = iova(d, b);
	desc.xfer_size = size;
	if (run(d, &desc, "COMPARE different", DSA_COMP_SUCCESS))
		result(cr->result == 1 && cr->bytes_completed == diff,
		       "COMPARE different", "result %u, first difference %u (want 1, %u)",
		       cr->result, cr->bytes_completed, diff);

	/* check-result flag: expected 0 but different -> false predicate */
	desc_init(d, &desc, DSA_OPCODE_COMPARE, STD_FLAGS | IDXD_OP_FLAG_CR, 1);
	desc.src_addr = iova(d, a);
	desc.src2_addr = iova(d, b);
	desc.xfer_size = size;
	desc.expected_res = 0;
	if (run(d, &desc, "COMPARE with check result", DSA_COMP_SUCCESS_PRED))
		result(true, "COMPARE with check result", "ok");
}

static void op_crcgen(struct dev *d)
{
	uint8_t *a = d->mem + BUF_A;
	struct dsa_completion_record *cr = cr_slot(d);
	uint32_t size = 70001, half = 30000, want, first;
	struct dsa_hw_desc desc;

	/* the well-known check value */
	memcpy(a, "123456789", 9);
	desc_init(d, &desc, DSA_OPCODE_CRCGEN, STD_FLAGS, 1);
	desc.src_addr = iova(d, a);
	desc.xfer_size = 9;
	if (run(d, &desc, "CRCGEN \"123456789\" = 0xe3069283", DSA_COMP_SUCCESS))
		result(cr->crc_val == 0xe3069283u && ref_crc32c(0, a, 9) == 0xe3069283u,
		       "CRCGEN \"123456789\" = 0xe3069283",
		       "device 0x%08" PRIx64 ", reference 0x%08x", cr->crc_val,
		       ref_crc32c(0, a, 9));

	fill_random(a, size, 11);
	want = ref_crc32c(0xdeadbeef, a, size);
	desc_init(d, &desc, DSA_OPCODE_CRCGEN, STD_FLAGS, 1);
	desc.src_addr = iova(d, a);
	desc.xfer_size = size;
	desc.crc_seed = 0xdeadbeef;
	if (run(d, &desc, "CRCGEN 70001 bytes, seed 0xdeadbeef", DSA_COMP_SUCCESS))
		result(cr->crc_val == want, "CRCGEN 70001 bytes, seed 0xdeadbeef",
		       "device 0x%08" PRIx64 ", reference 0x%08x", cr->crc_val, want);

	/* chaining: the first result as seed of the second part */
	want = ref_crc32c(0, a, size);
	desc_init(d, &desc, DSA_OPCODE_CRCGEN, STD_FLAGS, 1);
	desc.src_addr = iova(d, a);
	desc.xfer_size = half;
	if (!run(d, &desc, "CRCGEN chained", DSA_COMP_SUCCESS))
		return;
	first = cr->crc_val;
	desc_init(d, &desc, DSA_OPCODE_CRCGEN, STD_FLAGS, 1);
	desc.src_addr = iova(d, a + half);
	desc.xfer_size = size - half;
	desc.crc_seed = first;
	if (run(d, &desc, "CRCGEN chained", DSA_COMP_SUCCESS))
		result(cr->crc_val == want, "CRCGEN chained",
		       "device 0x%08" PRIx64 ", reference 0x%08x", cr->crc_val, want);
}

static void check_vectors(struct dev *d)
{
	struct dsa_hw_desc desc;
	unsigned int v;
	bool ok = true;

	for (v = 0; v < d->nr_vectors; v++) {
		drain_irqs(d);
		desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, v);
		if (submit(d, &desc) || !wait_irq(d->irq[v], IRQ_TIMEOUT_MS))
			ok = false;
	}
	result(ok, "completion interrupt on every vector",
	       "a vector did not fire");

	/* no RCI, no interrupt */
	drain_irqs(d);
	desc_init(d, &desc, DSA_OPCODE_NOOP, IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR, 1);
	submit(d, &desc);
	result(!wait_irq(d->irq[1], 200) && cr_slot(d)->status == DSA_COMP_SUCCESS,
	       "no interrupt without the RCI flag", "status 0x%x",
	       cr_slot(d)->status);
}

static int cmd_selftest(struct dev *d)
{
	check_config(d);
	bind_vectors(d);
	check_registers(d);
	op_noop(d);
	op_memmove(d, 1, 1);
	op_memmove(d, 4096, 2);
	op_memmove(d, 100003, 3);
	op_memmove(d, BUF_MAX, 4);
	op_memmove_overlap(d);
	op_memfill(d);
	op_compare(d);
	op_crcgen(d);
	check_vectors(d);
	return failures ? 1 : 0;
}

/* ---- mask-test ---- */

static bool pba_bit(struct dev *d, unsigned int v)
{
	return reg32(d, d->msix_pba) & (1u << v);
}

static void msix_ctrl(struct dev *d, unsigned int v, uint32_t ctrl)
{
	reg32_write(d, d->msix_table + 16 * v + 12, ctrl);
}

static void mask_case(struct dev *d, const char *how, bool via_ioctl)
{
	struct dsa_hw_desc desc;
	char what[96];
	uint64_t early, late;
	uint8_t one = 1;

	drain_irqs(d);
	if (via_ioctl)
		set_irqs(d, VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK,
			 1, 1, &one, 1);
	else
		msix_ctrl(d, 1, 1);
	snprintf(what, sizeof(what), "%s: vector reads masked", how);
	result((reg32(d, d->msix_table + 16 + 12) & 1) == 1, what, "ctrl 0x%x",
	       reg32(d, d->msix_table + 16 + 12));

	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	submit(d, &desc);
	early = wait_irq(d->irq[1], 500);
	snprintf(what, sizeof(what), "%s: no interrupt while masked", how);
	result(!early && cr_slot(d)->status == DSA_COMP_SUCCESS, what,
	       "eventfd count %" PRIu64 ", status 0x%x", early, cr_slot(d)->status);
	snprintf(what, sizeof(what), "%s: PBA pending bit set", how);
	result(pba_bit(d, 1), what, "PBA 0x%x", reg32(d, d->msix_pba));

	if (via_ioctl)
		set_irqs(d, VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
			 1, 1, NULL, 0);
	else
		msix_ctrl(d, 1, 0);
	late = wait_irq(d->irq[1], IRQ_TIMEOUT_MS);
	snprintf(what, sizeof(what), "%s: interrupt delivered on unmask", how);
	result(late == 1, what, "eventfd count %" PRIu64, late);
	snprintf(what, sizeof(what), "%s: PBA clear after unmask", how);
	result(!pba_bit(d, 1), what, "PBA 0x%x", reg32(d, d->msix_pba));
}

static int cmd_mask_test(struct dev *d)
{
	struct dsa_hw_desc desc;
	uint32_t addr_lo = 0xfee01000, data = 0x4041, v;

	check_config(d);
	bind_vectors(d);
	enable(d);

	/* write_msg through the MSI-X table reaches the IMS entry */
	reg32_write(d, d->msix_table + 16 + 0, addr_lo);
	reg32_write(d, d->msix_table + 16 + 8, data);
	v = reg32(d, d->msix_table + 16 + 0);
	result(v == addr_lo && reg32(d, d->msix_table + 16 + 8) == data,
	       "MSI-X table message reads back", "addr 0x%x data 0x%x", v,
	       reg32(d, d->msix_table + 16 + 8));

	mask_case(d, "MSI-X table mask bit", false);
	mask_case(d, "VFIO_IRQ_SET_ACTION_MASK", true);

	/* masked and unbound: unbinding drops the pending interrupt */
	drain_irqs(d);
	msix_ctrl(d, 1, 1);
	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	submit(d, &desc);
	v = pba_bit(d, 1);
	set_irqs(d, VFIO_PCI_MSIX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0,
		 NULL, 0);
	result(v && !pba_bit(d, 1), "disabling MSI-X clears pending",
	       "PBA before %u after %u", v, pba_bit(d, 1));
	msix_ctrl(d, 1, 0);
	result(!wait_irq(d->irq[1], 300), "no interrupt after MSI-X disabled",
	       "eventfd fired");
	return failures ? 1 : 0;
}

/* ---- bad-desc ---- */

static void bad_case(struct dev *d, const char *what, struct dsa_hw_desc *desc,
		     uint8_t want)
{
	struct dsa_completion_record *cr = cr_slot(d);
	int ret = submit(d, desc);

	if (ret) {
		result(false, what, "portal write: %s", strerror(-ret));
		return;
	}
	result(cr->status == want, what, "status 0x%02x, want 0x%02x",
	       cr->status, want);
}

static void swerr_case(struct dev *d, const char *what,
		       struct dsa_hw_desc *desc, uint8_t want)
{
	uint64_t swerr;

	reg32_write(d, REG_SWERR, 3);	/* clear */
	drain_irqs(d);
	submit(d, desc);
	swerr = reg64(d, REG_SWERR);
	result((swerr & 1) && ((swerr >> 8) & 0xff) == want &&
	       wait_irq(d->irq[0], IRQ_TIMEOUT_MS),
	       what, "SWERR 0x%016" PRIx64 ", want code 0x%02x and vector 0",
	       swerr, want);
	reg32_write(d, REG_SWERR, 3);
}

static int cmd_bad_desc(struct dev *d)
{
	struct dsa_completion_record *cr = cr_slot(d);
	uint8_t *a = d->mem + BUF_A;
	struct dsa_hw_desc desc;
	uint8_t junk[64];
	int ret;

	bind_vectors(d);

	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	ret = submit(d, &desc);
	result(ret == -EIO, "portal refuses descriptors while the WQ is disabled",
	       "write returned %d", ret);
	enable(d);
	reg32_write(d, REG_GENCTRL, 1);	/* software error interrupt */

	desc_init(d, &desc, 0x3f, STD_FLAGS, 1);
	bad_case(d, "unknown opcode -> 0x10", &desc, DSA_COMP_BAD_OPCODE);
	desc_init(d, &desc, DSA_OPCODE_BATCH, STD_FLAGS, 1);
	bad_case(d, "unsupported BATCH -> 0x10", &desc, DSA_COMP_BAD_OPCODE);

	desc_init(d, &desc, DSA_OPCODE_MEMMOVE, STD_FLAGS | 0x400000, 1);
	bad_case(d, "unsupported flag -> 0x11", &desc, DSA_COMP_INVALID_FLAGS);
	result(cr->invalid_flags == 0x400000, "invalid_flags names the bad flag",
	       "invalid_flags 0x%x", cr->invalid_flags);
	desc_init(d, &desc, DSA_OPCODE_MEMMOVE, STD_FLAGS | IDXD_OP_FLAG_CR, 1);
	bad_case(d, "check-result flag on MEMMOVE -> 0x11", &desc,
		 DSA_COMP_INVALID_FLAGS);

	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	desc.rsvd = 1;
	bad_case(d, "reserved field set -> 0x12", &desc, DSA_COMP_NOZERO_RESERVE);
	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	desc.pasid = 5;
	bad_case(d, "PASID without PASID support -> 0x1d", &desc,
		 DSA_COMP_PRIV_BAD);

	desc_init(d, &desc, DSA_OPCODE_MEMMOVE, STD_FLAGS, 1);
	desc.src_addr = iova(d, a);
	desc.dst_addr = iova(d, a + BUF_MAX);
	desc.xfer_size = BUF_MAX + 1;
	bad_case(d, "transfer over 2 MiB -> 0x13", &desc, DSA_COMP_XFER_ERANGE);

	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, d->nr_vectors);
	bad_case(d, "interrupt handle out of range -> 0x19", &desc,
		 DSA_COMP_INT_HANDLE_INVAL);

	desc_init(d, &desc, DSA_OPCODE_MEMMOVE, STD_FLAGS, 1);
	desc.src_addr = IOVA_UNMAPPED;
	desc.dst_addr = iova(d, a);
	desc.xfer_size = 4096;
	bad_case(d, "unmapped source -> page fault 0x03", &desc,
		 DSA_COMP_PAGE_FAULT_NOBOF);
	result(cr->fault_addr == IOVA_UNMAPPED && cr->bytes_completed == 0,
	       "fault address and bytes completed reported",
	       "fault_addr 0x%" PRIx64 " bytes_completed %u", cr->fault_addr,
	       cr->bytes_completed);

	/* destination runs off the end of the mapping after one page */
	desc_init(d, &desc, DSA_OPCODE_MEMFILL, STD_FLAGS, 1);
	desc.dst_addr = IOVA_BASE + DMA_SIZE - 4096;
	desc.xfer_size = 3 * 4096;
	bad_case(d, "destination crossing out of the mapping -> 0x03", &desc,
		 DSA_COMP_PAGE_FAULT_NOBOF);
	result(cr->bytes_completed == 4096 &&
	       cr->fault_addr == IOVA_BASE + DMA_SIZE,
	       "partial completion reported", "fault_addr 0x%" PRIx64
	       " bytes_completed %u", cr->fault_addr, cr->bytes_completed);

	desc_init(d, &desc, DSA_OPCODE_CRCGEN, STD_FLAGS, 1);
	desc.src_addr = UINT64_MAX - 10;
	desc.xfer_size = 100;
	bad_case(d, "address wrapping past 2^64 -> 0x03", &desc,
		 DSA_COMP_PAGE_FAULT_NOBOF);

	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	desc.completion_addr = IOVA_UNMAPPED;
	swerr_case(d, "unmapped completion record -> SWERR 0x1a", &desc,
		   DSA_COMP_CRA_XLAT);
	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	desc.completion_addr += 8;
	swerr_case(d, "misaligned completion record -> SWERR 0x1b", &desc,
		   DSA_COMP_CRA_ALIGN);
	desc_init(d, &desc, 0x3f, 0, 1);
	swerr_case(d, "error without completion record -> SWERR", &desc,
		   DSA_COMP_BAD_OPCODE);

	memset(junk, 0xff, sizeof(junk));
	ret = wr(d, d->bar2_off, 0, junk, 32);
	result(ret == -EINVAL, "32-byte portal write rejected", "returned %d",
	       ret);
	ret = wr(d, d->bar2_off, 8, junk, 64);
	result(ret == -EINVAL, "misaligned portal write rejected", "returned %d",
	       ret);
	ret = wr(d, d->bar0_off, 0x10000, junk, 4);
	result(ret == -EINVAL, "BAR0 write past the end rejected", "returned %d",
	       ret);
	ret = wr(d, d->bar0_off, 0x102, junk, 4);
	result(ret == -EINVAL, "misaligned BAR0 write rejected", "returned %d",
	       ret);
	ret = wr(d, d->cfg_off, 250, junk, 16);
	result(ret == -EINVAL, "config write past the end rejected",
	       "returned %d", ret);
	ret = wr(d, VFIO_PCI_ROM_REGION_INDEX * (1ull << 40), 0, junk, 4);
	result(ret == -EINVAL, "write to a region without backing rejected",
	       "returned %d", ret);
	{
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = 99 };
		int32_t badfd = 1000, one = 1;
		uint32_t ev = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;

		ret = set_irqs(d, VFIO_PCI_REQ_IRQ_INDEX, ev, 0, 0, NULL, 0);
		result(ret == -EINVAL, "request eventfd with count 0 rejected",
		       "returned %d", ret);
		ret = set_irqs(d, VFIO_PCI_MSIX_IRQ_INDEX, ev, 0, 1, &badfd, 4);
		result(ret == -EBADF, "bad eventfd rejected", "returned %d", ret);
		ret = set_irqs(d, VFIO_PCI_MSIX_IRQ_INDEX,
			       VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			       d->nr_vectors, 1, NULL, 0);
		result(ret == -EINVAL, "vector past the table rejected",
		       "returned %d", ret);
		ret = set_irqs(d, VFIO_PCI_INTX_IRQ_INDEX,
			       VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			       0, 1, NULL, 0);
		result(ret == -EINVAL, "INTx rejected", "returned %d", ret);
		ret = set_irqs(d, VFIO_PCI_MSIX_IRQ_INDEX,
			       VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK,
			       0, 1, &one, 4);
		result(ret == -EINVAL, "mask with an eventfd rejected",
		       "returned %d", ret);
		ret = ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &ri) ? -errno : 0;
		result(ret == -EINVAL, "region index 99 rejected", "returned %d",
		       ret);
	}
	/* all-ones everywhere in the register file must not upset the host */
	for (ret = 0; ret < 0x800; ret += 4)
		if (ret != REG_CMD)
			wr(d, d->bar0_off, ret, junk, 4);
	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	bad_case(d, "device still works after register junk", &desc,
		 DSA_COMP_SUCCESS);
	return failures ? 1 : 0;
}

/* ---- fuzz ---- */

static uint32_t fuzz_state = 0x9e3779b9;
static unsigned int fuzz_executed, fuzz_succeeded, fuzz_status[64];

static uint32_t rnd(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 17;
	fuzz_state ^= fuzz_state << 5;
	return fuzz_state;
}

static uint64_t rnd_addr(struct dev *d)
{
	switch (rnd() % 8) {
	case 0: case 1: case 2:
		return IOVA_BASE + rnd() % DMA_SIZE;
	case 3: case 4: case 5:
		return IOVA_BASE + (rnd() % (DMA_SIZE / 4096)) * 4096;
	case 6:
		return IOVA_UNMAPPED + rnd() % 65536;
	default:
		return (uint64_t)rnd() << 32 | rnd();
	}
}

static void fuzz_desc(struct dev *d)
{
	static const uint8_t ops[] = { 0, 1, 2, 3, 4, 5, 6, 9, 0x10, 0x11, 0x20 };
	struct dsa_hw_desc desc;
	int ret;
	uint32_t w[sizeof(desc) / 4];
	unsigned int i;

	for (i = 0; i < sizeof(desc) / 4; i++)
		w[i] = rnd();
	memcpy(&desc, w, sizeof(desc));
	if (rnd() % 4) {	/* mostly plausible descriptors */
		desc.pasid = 0;
		desc.rsvd = 0;
		desc.priv = 0;
		desc.rsvd1 = 0;
		desc.opcode = ops[rnd() % sizeof(ops)];
		desc.flags = rnd() % 4 ? STD_FLAGS : rnd() % 512;
		desc.completion_addr = rnd() % 8 ? iova(d, cr_slot(d)) : rnd_addr(d);
		desc.src_addr = rnd_addr(d);
		desc.dst_addr = rnd_addr(d);
		desc.xfer_size = rnd() % 16 ? rnd() % 65536 : rnd() % (4u << 20);
		desc.int_handle = rnd() % 8 ? rnd() % d->nr_vectors :
					      rnd() % (d->nr_vectors + 2);
	}
	cr_slot(d)->status = 0;
	ret = submit(d, &desc);
	if (ret == -EIO) {
		command(d, CMD_ENABLE_DEVICE, 0);
		command(d, CMD_ENABLE_WQ, 0);
	} else if (!ret) {
		fuzz_status[cr_slot(d)->status & 0x3f]++;
		fuzz_executed++;
		if (cr_slot(d)->status == DSA_COMP_SUCCESS)
			fuzz_succeeded++;
	}
}

static void fuzz_region(struct dev *d, uint64_t base, uint32_t size)
{
	static const uint8_t sizes[] = { 1, 2, 4, 8, 3, 16, 64 };
	uint8_t buf[64];
	uint32_t off = rnd() % (size + 64), n = sizes[rnd() % sizeof(sizes)];
	unsigned int i;

	if (rnd() % 2)
		off &= ~(n - 1);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = rnd();
	/* command writes are what disable the device; keep them rarer */
	if (base == d->bar0_off && (off & ~7u) == REG_CMD && rnd() % 4)
		return;
	if (rnd() % 2)
		(void)!wr(d, base, off, buf, n);
	else
		(void)!rd(d, base, off, buf, n);
}

static void fuzz_irqs(struct dev *d)
{
	static const uint32_t actions[] = { VFIO_IRQ_SET_ACTION_TRIGGER,
		VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_UNMASK };
	static const uint32_t types[] = { VFIO_IRQ_SET_DATA_NONE,
		VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD };
	uint32_t type = types[rnd() % 3], index = rnd() % (VFIO_PCI_NUM_IRQS + 1);
	unsigned int start = rnd() % (d->nr_vectors + 1), count = rnd() % 4, i;
	int32_t data[8];

	for (i = 0; i < 8; i++) {
		if (type == VFIO_IRQ_SET_DATA_EVENTFD)
			data[i] = rnd() % 3 ? d->irq[rnd() % d->nr_vectors] :
					      (int32_t)(rnd() % 4) - 1;
		else
			data[i] = rnd();
	}
	if (rnd() % 64 == 0) {
		ioctl(d->fd, VFIO_DEVICE_RESET);
		return;
	}
	set_irqs(d, index, type | actions[rnd() % 3], start, count, data,
		 type == VFIO_IRQ_SET_DATA_NONE ? 0 :
		 type == VFIO_IRQ_SET_DATA_BOOL ? count : count * 4);
}

static int cmd_fuzz(struct dev *d, unsigned int iterations, uint32_t seed)
{
	struct dsa_hw_desc desc;
	unsigned int i;
	uint64_t c;

	fuzz_state = seed | 1;
	check_config(d);
	bind_vectors(d);
	enable(d);
	for (i = 0; i < iterations; i++) {
		switch (rnd() % 8) {
		case 0: case 1: case 2: case 3:
			fuzz_desc(d);
			break;
		case 4: case 5:
			fuzz_region(d, d->bar0_off, 0x4000);
			break;
		case 6:
			fuzz_region(d, rnd() % 2 ? d->cfg_off : d->bar2_off, 0x4000);
			break;
		default:
			fuzz_irqs(d);
			break;
		}
		if (i % 256 == 0)
			drain_irqs(d);
	}

	/* the device must still work after a reset */
	if (ioctl(d->fd, VFIO_DEVICE_RESET))
		die("VFIO_DEVICE_RESET");
	for (i = 0; i < d->nr_vectors; i++) {
		uint8_t one = 1;

		set_irqs(d, VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_UNMASK,
			 i, 1, &one, 1);
		msix_ctrl(d, i, 0);
	}
	for (i = 0; i < d->nr_vectors; i++)
		close(d->irq[i]);
	bind_vectors(d);
	enable(d);
	while (read(d->irq[1], &c, sizeof(c)) == 8)
		;
	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	if (run(d, &desc, "device works after fuzzing", DSA_COMP_SUCCESS))
		result(true, "device works after fuzzing", "ok");
	printf("fuzz: %u operations, seed %u: %u descriptors executed, %u succeeded\n",
	       iterations, seed, fuzz_executed, fuzz_succeeded);
	printf("fuzz: completion statuses:");
	for (i = 0; i < 64; i++)
		if (fuzz_status[i])
			printf(" 0x%02x:%u", i, fuzz_status[i]);
	printf("\n");
	result(fuzz_succeeded > iterations / 50,
	       "fuzzing ran descriptors to completion",
	       "only %u of %u executed descriptors succeeded", fuzz_succeeded,
	       fuzz_executed);
	return failures ? 1 : 0;
}

/* ---- hold ---- */

static int cmd_hold(struct dev *d, int seconds)
{
	int32_t fd = eventfd(0, EFD_CLOEXEC);
	struct timespec t0, t1;
	uint64_t n;

	if (fd < 0 || set_irqs(d, VFIO_PCI_REQ_IRQ_INDEX,
			       VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			       0, 1, &fd, sizeof(fd)))
		die("binding the request eventfd");
	d->req = fd;
	printf("holding the device open for up to %d s\n", seconds);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = wait_irq(fd, seconds * 1000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	result(n > 0, "request eventfd fired", "no request within %d s",
	       seconds);
	if (n)
		printf("request after %.1f s; closing the device\n",
		       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return n ? 0 : 1;
}

/* Holds the device without a request eventfd: removal must wait for us. */
static int cmd_hold_noreq(struct dev *d, int seconds)
{
	printf("holding the device open for %d s, no request eventfd\n",
	       seconds);
	fflush(stdout);
	sleep(seconds);
	return 0;
}

/* ---- memmove (demo) ---- */

static int cmd_memmove(struct dev *d, uint32_t size)
{
	uint8_t *a = d->mem + BUF_A, *b = d->mem + BUF_B;
	struct dsa_completion_record *cr = cr_slot(d);
	struct timespec t0, t1;
	struct dsa_hw_desc desc;
	bool same;

	if (!size || size > BUF_MAX) {
		fprintf(stderr, "vfio-client: size must be 1..%u\n", BUF_MAX);
		return 2;
	}
	bind_vectors(d);
	enable(d);
	fill_random(a, size, (uint32_t)time(NULL));
	memset(b, 0, size);
	desc_init(d, &desc, DSA_OPCODE_MEMMOVE, STD_FLAGS, 1);
	desc.src_addr = iova(d, a);
	desc.dst_addr = iova(d, b);
	desc.xfer_size = size;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (submit(d, &desc) || !wait_irq(d->irq[1], IRQ_TIMEOUT_MS)) {
		printf("memmove: no completion interrupt\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	same = !memcmp(a, b, size);
	printf("memmove: %u bytes IOVA 0x%" PRIx64 " -> 0x%" PRIx64
	       ", status 0x%02x (%s), interrupt on vector 1, %.0f us, data %s\n",
	       size, (uint64_t)desc.src_addr, (uint64_t)desc.dst_addr,
	       cr->status, cr->status == DSA_COMP_SUCCESS ? "success" : "error",
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3,
	       same ? "verified" : "MISMATCH");
	return cr->status == DSA_COMP_SUCCESS && same ? 0 : 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vfio-client UUID selftest|mask-test|bad-desc|hold[-noreq] SECONDS|memmove [BYTES]|fuzz [N [SEED]]\n");
}

int main(int argc, char **argv)
{
	struct dev d;
	int ret;

	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	if ((!strcmp(argv[2], "hold") || !strcmp(argv[2], "hold-noreq")) &&
	    argc != 4) {
		usage(stderr);
		return 2;
	}
	dev_open(&d, argv[1]);
	if (!strcmp(argv[2], "selftest")) {
		ret = cmd_selftest(&d);
	} else if (!strcmp(argv[2], "mask-test")) {
		ret = cmd_mask_test(&d);
	} else if (!strcmp(argv[2], "bad-desc")) {
		ret = cmd_bad_desc(&d);
	} else if (!strcmp(argv[2], "hold")) {
		ret = cmd_hold(&d, atoi(argv[3]));
	} else if (!strcmp(argv[2], "hold-noreq")) {
		ret = cmd_hold_noreq(&d, atoi(argv[3]));
	} else if (!strcmp(argv[2], "fuzz")) {
		ret = cmd_fuzz(&d, argc > 3 ? strtoul(argv[3], NULL, 0) : 20000,
			       argc > 4 ? strtoul(argv[4], NULL, 0) : 1);
	} else if (!strcmp(argv[2], "memmove")) {
		ret = cmd_memmove(&d, argc > 3 ? strtoul(argv[3], NULL, 0) : 65536);
	} else {
		usage(stderr);
		ret = 2;
	}
	dev_close(&d);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-client: drives one DSA device through VFIO the way a VMM would, and
 * checks what the device does. The device is an idxd_mdev mdev (UUID) or,
 * with --pci, a PCI function bound to vfio-pci (a nested guest's vDSA).
 *
 *   vfio-client [OPTIONS] UUID|--pci BDF SUBCOMMAND [ARGS]
 *
 *   selftest       config space, registers, all opcodes, IRQs
 *   ops            every operation, a bad opcode, an unmapped IOVA, a
 *                  masked vector, a BATCH: TAP lines, for guests
 *   bench SIZE COUNT  COUNT MEMMOVEs of SIZE bytes, one line of numbers
 *   mask-test      a masked vector holds its interrupt
 *   bad-desc       bad descriptors and pieces get DSA error statuses
 *   flood N [wait|leave|hold|reopen]  N submissions without waiting
 *   idle SECONDS   map memory, wait, check nothing wrote to it
 *   hold SECONDS   hold the device open until the request eventfd fires
 *                  (exit 0) or SECONDS pass (1)
 *   hold-noreq SECONDS  same, without a request eventfd
 *   memmove [BYTES]  one verified copy, human readable
 *   fuzz [N [SEED]]  N random descriptors, register, config and SET_IRQS
 *                  operations, then checks the device still works
 *
 * Options: --pieces 4|8|16|32|64 writes each descriptor to the portal in
 * pieces of that size (as a VMM forwards a guest's stores; default 64,
 * one write); --tap prints TAP lines instead of PASS/FAIL (ops always
 * does). Each check prints "PASS what" or "FAIL what: why"; the exit
 * status is 0 only if all passed. Built on the host: see tests/vm/Makefile
 * (static: make -C tests/vm static).
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
	volatile uint8_t *bar0_map, *bar2_map;	/* vfio-pci: mmap'ed BARs */
	bool pci;		/* opened with --pci (vfio-pci) */
	const char *name;	/* for VFIO_GROUP_GET_DEVICE_FD */
};

static int failures;
static unsigned int pieces = 64;	/* portal write size */
static bool tap;
static unsigned int tap_n;

static void result(bool ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void result(bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (ok) {
		if (tap)
			printf("ok %u - %s\n", tap_n, what);
		else
			printf("PASS %s\n", what);
	} else {
		failures++;
		if (tap)
			printf("not ok %u - %s # ", tap_n, what);
		else
			printf("FAIL %s: ", what);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
}

/* TAP: a check that cannot run here, and why (never counted as passed). */
static void skip(const char *what, const char *why)
{
	tap_n++;
	if (tap)
		printf("ok %u - %s # SKIP %s\n", tap_n, what, why);
	else
		printf("SKIP %s: %s\n", what, why);
	fflush(stdout);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	printf(tap ? "Bail out! setup: " : "FAIL setup: ");
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

static volatile uint8_t *region_map(struct dev *d, unsigned int index)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };
	void *p;

	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &info) ||
	    !(info.flags & VFIO_REGION_INFO_FLAG_MMAP) || !info.size)
		return NULL;
	p = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
		 info.offset);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * @sysdev: the device's sysfs directory; @name: what VFIO_GROUP_GET_DEVICE_FD
 * wants (the mdev UUID or the PCI address).
 */
static void dev_open(struct dev *d, const char *sysdev, const char *name)
{
	char path[PATH_MAX + 32], link[PATH_MAX];
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_irq_info irq = { .argsz = sizeof(irq) };
	ssize_t n;

	memset(d, 0, sizeof(*d));
	d->req = -1;
	d->pci = !strstr(sysdev, "/mdev/");
	d->name = name;
	snprintf(path, sizeof(path), "%s/iommu_group", sysdev);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die("no IOMMU group for %s", name);
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
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (d->fd < 0)
		die("VFIO_GROUP_GET_DEVICE_FD %s", name);

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
	/*
	 * Memory space and bus mastering on, as a driver's pci_set_master()
	 * does: vfio-pci clears bus mastering at open, and QEMU drops the
	 * MSI writes of a device without it (a guest then gets no interrupt).
	 * The mdev ignores it.
	 */
	{
		uint16_t cmd = 0;

		if (!rd(d, d->cfg_off, 4, &cmd, 2)) {
			cmd |= 0x6;	/* PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER */
			(void)!wr(d, d->cfg_off, 4, &cmd, 2);
		}
	}
	/* only vfio-pci maps BARs; the mdev traps every access */
	d->bar0_map = region_map(d, VFIO_PCI_BAR0_REGION_INDEX);
	d->bar2_map = region_map(d, VFIO_PCI_BAR2_REGION_INDEX);

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

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* Waits up to @ms for the device to write a completion status. */
static uint8_t wait_status(volatile struct dsa_completion_record *cr, int ms)
{
	double end = now_us() + ms * 1000.0;

	while (!cr->status && now_us() < end)
		usleep(20);
	return cr->status;
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

/*
 * Writes a descriptor to portal offset @off in @size pieces, last piece
 * first when @reverse. Through a mapped BAR2 (vfio-pci) pieces are CPU
 * stores of at most 8 bytes, as a guest without MOVDIR64B makes them.
 */
static int portal_write(struct dev *d, uint64_t off,
			const struct dsa_hw_desc *desc, unsigned int size,
			bool reverse)
{
	const uint8_t *p = (const uint8_t *)desc;
	unsigned int n = sizeof(*desc) / size, i, at;
	int ret;

	__sync_synchronize();
	if (d->bar2_map) {
		unsigned int step = size < 8 ? size : 8;

		n = sizeof(*desc) / step;
		for (i = 0; i < n; i++) {
			at = (reverse ? n - 1 - i : i) * step;
			if (step == 8)
				*(volatile uint64_t *)(d->bar2_map + off + at) =
					*(const uint64_t *)(p + at);
			else
				*(volatile uint32_t *)(d->bar2_map + off + at) =
					*(const uint32_t *)(p + at);
		}
		__sync_synchronize();
		return 0;
	}
	for (i = 0; i < n; i++) {
		at = (reverse ? n - 1 - i : i) * size;
		ret = wr(d, d->bar2_off, off + at, p + at, size);
		if (ret)
			return ret;
	}
	return 0;
}

static int submit(struct dev *d, const struct dsa_hw_desc *desc)
{
	return portal_write(d, 0, desc, pieces, false);
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

static void bad_case(struct dev *d, const char *what, struct dsa_hw_desc *desc,
		     uint8_t want)
{
	uint8_t status;
	int ret;

	if (desc->int_handle < d->nr_vectors) {
		if (run(d, desc, what, want))
			result(true, what, "ok");
		return;
	}
	/* no vector to wait on: wait for the record */
	ret = submit(d, desc);
	status = wait_status(cr_slot(d), IRQ_TIMEOUT_MS);
	result(!ret && status == want, what, "write %d, status 0x%02x, want 0x%02x",
	       ret, status, want);
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

/* COMPARE (@second: an address) or COMPVAL (@second: the pattern) */
static void compare_case(struct dev *d, int op, const uint8_t *a,
			 uint64_t second, uint32_t size, const char *what,
			 uint8_t want, uint32_t at)
{
	struct dsa_completion_record *cr = cr_slot(d);
	struct dsa_hw_desc desc;

	desc_init(d, &desc, op, STD_FLAGS, 1);
	desc.src_addr = iova(d, a);
	desc.src2_addr = second;	/* the same field as comp_pattern */
	desc.xfer_size = size;
	if (run(d, &desc, what, DSA_COMP_SUCCESS))
		result(cr->result == want && (!want || cr->bytes_completed == at),
		       what, "result %u, first difference %u (want %u, %u)",
		       cr->result, cr->bytes_completed, want, at);
}

static void op_compare(struct dev *d)
{
	uint8_t *a = d->mem + BUF_A, *b = d->mem + BUF_B;
	uint32_t size = 20000, diff = 12345;
	struct dsa_hw_desc desc;

	fill_random(a, size, 3);
	memcpy(b, a, size);
	compare_case(d, DSA_OPCODE_COMPARE, a, iova(d, b), size, "COMPARE equal",
		     0, 0);
	b[diff] ^= 0x40;
	compare_case(d, DSA_OPCODE_COMPARE, a, iova(d, b), size,
		     "COMPARE different", 1, diff);

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

#define BUF_C		(5u << 20)	/* third buffer, up to 2 MiB */
#define LIST_AREA	0x1000		/* batch descriptor lists */
#define SUB_CR_AREA	0x8000		/* completion records of batch members */

static bool has_op(struct dev *d, unsigned int op)
{
	return reg64(d, REG_OPCAP + 8 * (op / 64)) >> (op % 64) & 1;
}

/* A check needing @op: false (and a SKIP line) when OPCAP lacks it. */
static bool need_op(struct dev *d, unsigned int op, const char *what)
{
	if (has_op(d, op))
		return true;
	skip(what, "operation not in OPCAP");
	return false;
}

static void op_compval(struct dev *d)
{
	uint64_t pattern = 0x1122334455667788ull;
	uint8_t *a = d->mem + BUF_A;
	uint32_t size = 8192, i, diff = 5000;

	if (!need_op(d, DSA_OPCODE_COMPVAL, "COMPVAL"))
		return;
	for (i = 0; i < size; i += 8)
		memcpy(a + i, &pattern, 8);
	compare_case(d, DSA_OPCODE_COMPVAL, a, pattern, size, "COMPVAL equal",
		     0, 0);
	a[diff] ^= 1;
	compare_case(d, DSA_OPCODE_COMPVAL, a, pattern, size,
		     "COMPVAL different", 1, diff);
}

static void op_copy_crc(struct dev *d)
{
	uint8_t *a = d->mem + BUF_A, *b = d->mem + BUF_B;
	struct dsa_completion_record *cr = cr_slot(d);
	uint32_t size = 50001, want;
	struct dsa_hw_desc desc;

	if (!need_op(d, DSA_OPCODE_COPY_CRC, "COPY_CRC"))
		return;
	fill_random(a, size, 21);
	memset(b, 0, size + 1);
	want = ref_crc32c(0x12345678, a, size);
	desc_init(d, &desc, DSA_OPCODE_COPY_CRC, STD_FLAGS, 1);
	desc.src_addr = iova(d, a);
	desc.dst_addr = iova(d, b);
	desc.xfer_size = size;
	desc.crc_seed = 0x12345678;
	if (run(d, &desc, "COPY_CRC 50001 bytes", DSA_COMP_SUCCESS))
		result(cr->crc_val == want && !memcmp(a, b, size) && !b[size],
		       "COPY_CRC 50001 bytes",
		       "crc 0x%08" PRIx64 " (want 0x%08x) or copy wrong",
		       cr->crc_val, want);
}

static void op_dualcast(struct dev *d)
{
	uint8_t *a = d->mem + BUF_A, *b = d->mem + BUF_B, *c = d->mem + BUF_C;
	uint32_t size = 30000;
	struct dsa_hw_desc desc;

	if (!need_op(d, DSA_OPCODE_DUALCAST, "DUALCAST"))
		return;
	fill_random(a, size, 33);
	memset(b, 0, size + 1);
	memset(c + 64, 0, size + 1);
	desc_init(d, &desc, DSA_OPCODE_DUALCAST, STD_FLAGS, 1);
	desc.src_addr = iova(d, a);
	desc.dst_addr = iova(d, b);
	desc.dest2 = iova(d, c);
	desc.xfer_size = size;
	if (run(d, &desc, "DUALCAST", DSA_COMP_SUCCESS))
		result(!memcmp(a, b, size) && !memcmp(a, c, size) && !b[size] &&
		       !c[size], "DUALCAST", "a destination differs or overrun");
	/* the two destinations must agree in address bits 11:0 */
	desc_init(d, &desc, DSA_OPCODE_DUALCAST, STD_FLAGS, 1);
	desc.src_addr = iova(d, a);
	desc.dst_addr = iova(d, b);
	desc.dest2 = iova(d, c + 64);
	desc.xfer_size = size;
	bad_case(d, "DUALCAST with destinations differing in bits 11:0 -> 0x17",
		 &desc, DSA_COMP_DCAST_ERR);
}

static void op_drain(struct dev *d)
{
	struct dsa_hw_desc desc;

	if (!need_op(d, DSA_OPCODE_DRAIN, "DRAIN"))
		return;
	desc_init(d, &desc, DSA_OPCODE_DRAIN, STD_FLAGS, 1);
	bad_case(d, "DRAIN", &desc, DSA_COMP_SUCCESS);
}

static struct dsa_completion_record *sub_cr(struct dev *d, unsigned int i)
{
	return (struct dsa_completion_record *)(d->mem + SUB_CR_AREA + 64 * i);
}

/* Member @i of the batch list at LIST_AREA, with its own completion record. */
static struct dsa_hw_desc *batch_member(struct dev *d, unsigned int i, int op)
{
	struct dsa_hw_desc *m = (struct dsa_hw_desc *)(d->mem + LIST_AREA) + i;

	memset(m, 0, sizeof(*m));
	memset(sub_cr(d, i), 0, 64);
	m->opcode = op;
	m->flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
	m->completion_addr = iova(d, sub_cr(d, i));
	return m;
}

static void batch_desc(struct dev *d, struct dsa_hw_desc *desc, uint32_t n)
{
	desc_init(d, desc, DSA_OPCODE_BATCH, STD_FLAGS, 1);
	desc->desc_list_addr = iova(d, d->mem + LIST_AREA);
	desc->desc_count = n;
}

static void op_batch(struct dev *d)
{
	uint8_t *a = d->mem + BUF_A, *b = d->mem + BUF_B, *c = d->mem + BUF_C;
	struct dsa_completion_record *cr = cr_slot(d);
	struct dsa_hw_desc desc, *m;
	uint32_t size = 4096, i;
	bool ok = true;

	if (!need_op(d, DSA_OPCODE_BATCH, "BATCH"))
		return;
	fill_random(a, size, 44);
	memset(b, 0, size);
	memset(c, 0, size);
	m = batch_member(d, 0, DSA_OPCODE_MEMMOVE);
	m->src_addr = iova(d, a);
	m->dst_addr = iova(d, b);
	m->xfer_size = size;
	m = batch_member(d, 1, DSA_OPCODE_MEMFILL);
	m->pattern = 0x5a5a5a5a5a5a5a5aull;
	m->dst_addr = iova(d, c);
	m->xfer_size = size;
	m = batch_member(d, 2, DSA_OPCODE_CRCGEN);
	m->src_addr = iova(d, a);
	m->xfer_size = size;
	m = batch_member(d, 3, DSA_OPCODE_NOOP);
	batch_desc(d, &desc, 4);
	if (!run(d, &desc, "BATCH of 4 (MEMMOVE, MEMFILL, CRCGEN, NOOP)",
		 DSA_COMP_SUCCESS))
		return;
	for (i = 0; i < 4; i++)
		ok &= sub_cr(d, i)->status == DSA_COMP_SUCCESS;
	for (i = 0; i < size; i++)
		ok &= c[i] == 0x5a;
	result(ok && cr->bytes_completed == 4 && !memcmp(a, b, size) &&
	       sub_cr(d, 2)->crc_val == ref_crc32c(0, a, size),
	       "BATCH of 4 (MEMMOVE, MEMFILL, CRCGEN, NOOP)",
	       "descriptors completed %u, member statuses %02x %02x %02x %02x",
	       cr->bytes_completed, sub_cr(d, 0)->status, sub_cr(d, 1)->status,
	       sub_cr(d, 2)->status, sub_cr(d, 3)->status);

	/* a failing member fails the batch; the others still run */
	batch_member(d, 0, DSA_OPCODE_NOOP);
	batch_member(d, 1, 0x3f);
	batch_member(d, 2, DSA_OPCODE_NOOP);
	batch_desc(d, &desc, 3);
	if (run(d, &desc, "BATCH with a bad member -> 0x05", DSA_COMP_BATCH_FAIL))
		result(cr->bytes_completed == 2 &&
		       sub_cr(d, 0)->status == DSA_COMP_SUCCESS &&
		       sub_cr(d, 1)->status == DSA_COMP_BAD_OPCODE &&
		       sub_cr(d, 2)->status == DSA_COMP_SUCCESS,
		       "BATCH with a bad member -> 0x05",
		       "descriptors completed %u, member statuses %02x %02x %02x",
		       cr->bytes_completed, sub_cr(d, 0)->status,
		       sub_cr(d, 1)->status, sub_cr(d, 2)->status);

	/* a batch inside a batch is a bad opcode of that member */
	batch_member(d, 0, DSA_OPCODE_NOOP);
	batch_member(d, 1, DSA_OPCODE_BATCH);
	batch_desc(d, &desc, 2);
	if (run(d, &desc, "BATCH member that is a BATCH -> member 0x10",
		DSA_COMP_BATCH_FAIL))
		result(sub_cr(d, 1)->status == DSA_COMP_BAD_OPCODE,
		       "BATCH member that is a BATCH -> member 0x10",
		       "member status 0x%02x", sub_cr(d, 1)->status);

	batch_desc(d, &desc, 1);
	bad_case(d, "BATCH of 1 descriptor -> 0x14", &desc,
		 DSA_COMP_DESC_CNT_ERANGE);
	batch_desc(d, &desc, 2);
	desc.desc_list_addr += 32;
	bad_case(d, "BATCH list not 64-byte aligned -> 0x18", &desc,
		 DSA_COMP_DESCLIST_ALIGN);
	batch_desc(d, &desc, 2);
	desc.desc_list_addr = IOVA_UNMAPPED;
	bad_case(d, "BATCH list unmapped -> 0x06", &desc,
		 DSA_COMP_BATCH_PAGE_FAULT);
}

static void op_bad_opcode(struct dev *d)
{
	struct dsa_hw_desc desc;

	desc_init(d, &desc, 0x3f, STD_FLAGS, 1);
	bad_case(d, "bad opcode 0x3f -> 0x10", &desc, DSA_COMP_BAD_OPCODE);
}

static void op_unmapped(struct dev *d)
{
	struct dsa_completion_record *cr = cr_slot(d);
	struct dsa_hw_desc desc;

	desc_init(d, &desc, DSA_OPCODE_MEMMOVE, STD_FLAGS, 1);
	desc.src_addr = IOVA_UNMAPPED;
	desc.dst_addr = iova(d, d->mem + BUF_A);
	desc.xfer_size = 4096;
	if (!run(d, &desc, "unmapped source IOVA -> page fault 0x03",
		 DSA_COMP_PAGE_FAULT_NOBOF))
		return;
	result(cr->fault_addr == IOVA_UNMAPPED && cr->bytes_completed == 0,
	       "unmapped source IOVA -> page fault 0x03",
	       "fault_addr 0x%" PRIx64 " bytes_completed %u", cr->fault_addr,
	       cr->bytes_completed);
}

/* One descriptor in reverse-ordered pieces to the last portal slot. */
static void op_pieces_reverse(struct dev *d)
{
	unsigned int size = pieces < 64 ? pieces : 8;
	struct dsa_hw_desc desc;
	char what[80];
	int ret;

	snprintf(what, sizeof(what),
		 "descriptor in %u-byte pieces, last first, to portal slot 0x%x",
		 size, 0x4000 - 64);
	drain_irqs(d);
	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	ret = portal_write(d, 0x4000 - 64, &desc, size, true);
	if (ret) {
		result(false, what, "portal write: %s", strerror(-ret));
		return;
	}
	result(wait_irq(d->irq[1], IRQ_TIMEOUT_MS) &&
	       cr_slot(d)->status == DSA_COMP_SUCCESS, what, "status 0x%02x",
	       cr_slot(d)->status);
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
	wait_status(cr_slot(d), IRQ_TIMEOUT_MS);
	result(!wait_irq(d->irq[1], 200) && cr_slot(d)->status == DSA_COMP_SUCCESS,
	       "no interrupt without the RCI flag", "status 0x%x",
	       cr_slot(d)->status);
}

/* Every operation, with MEMMOVEs of the @n sizes in @sizes. */
static void run_operations(struct dev *d, const uint32_t *sizes, unsigned int n)
{
	unsigned int i;

	op_noop(d);
	for (i = 0; i < n; i++)
		op_memmove(d, sizes[i], i + 1);
	op_memmove_overlap(d);
	op_memfill(d);
	op_compare(d);
	op_compval(d);
	op_crcgen(d);
	op_copy_crc(d);
	op_dualcast(d);
	op_drain(d);
	op_batch(d);
}

static int cmd_selftest(struct dev *d)
{
	static const uint32_t sizes[] = { 1, 4096, 100003, BUF_MAX };

	check_config(d);
	bind_vectors(d);
	check_registers(d);
	run_operations(d, sizes, 4);
	check_vectors(d);
	return failures ? 1 : 0;
}

/* ---- mask-test ---- */

/* vfio-pci keeps the MSI-X table and PBA out of read()/write(): use the map */
static uint32_t msix_reg(struct dev *d, uint32_t off)
{
	if (d->bar0_map)
		return *(volatile uint32_t *)(d->bar0_map + off);
	return reg32(d, off);
}

static bool pba_bit(struct dev *d, unsigned int v)
{
	return msix_reg(d, d->msix_pba) & (1u << v);
}

static void msix_ctrl(struct dev *d, unsigned int v, uint32_t ctrl)
{
	uint32_t off = d->msix_table + 16 * v + 12;

	if (d->bar0_map)
		*(volatile uint32_t *)(d->bar0_map + off) = ctrl;
	else
		reg32_write(d, off, ctrl);
}

static void mask_case(struct dev *d, const char *how, bool via_ioctl)
{
	struct dsa_hw_desc desc;
	char what[96];
	uint64_t early, late;
	uint8_t one = 1;

	if (d->pci && (via_ioctl || !d->bar0_map)) {
		snprintf(what, sizeof(what), "%s: held until unmask", how);
		skip(what, via_ioctl ? "vfio-pci has no MSI-X mask ioctl" :
		     "vfio-pci does not map the MSI-X table page here");
		return;
	}
	drain_irqs(d);
	if (via_ioctl)
		set_irqs(d, VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK,
			 1, 1, &one, 1);
	else
		msix_ctrl(d, 1, 1);
	snprintf(what, sizeof(what), "%s: vector reads masked", how);
	result((msix_reg(d, d->msix_table + 16 + 12) & 1) == 1, what,
	       "ctrl 0x%x", msix_reg(d, d->msix_table + 16 + 12));

	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	submit(d, &desc);
	wait_status(cr_slot(d), IRQ_TIMEOUT_MS);
	early = wait_irq(d->irq[1], 300);
	snprintf(what, sizeof(what), "%s: no interrupt while masked", how);
	result(!early && cr_slot(d)->status == DSA_COMP_SUCCESS, what,
	       "eventfd count %" PRIu64 ", status 0x%x", early, cr_slot(d)->status);
	snprintf(what, sizeof(what), "%s: PBA pending bit set", how);
	result(pba_bit(d, 1), what, "PBA 0x%x", msix_reg(d, d->msix_pba));

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
	result(!pba_bit(d, 1), what, "PBA 0x%x", msix_reg(d, d->msix_pba));
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
	wait_status(cr_slot(d), IRQ_TIMEOUT_MS);
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

/* ---- ops, bench ---- */

static void check_id(struct dev *d)
{
	uint32_t id = cfg32(d, 0x00);
	uint8_t ptr = cfg32(d, 0x34) & 0xff;

	result((id & 0xffff) == DSA_VENDOR && id >> 16 == DSA_DEVICE,
	       "config: vendor 8086 device 0b25", "id 0x%08x", id);
	d->msix_table = cfg32(d, ptr + 4) & ~7u;
	d->msix_pba = cfg32(d, ptr + 8) & ~7u;
}

/* Every operation once, as a guest uses them; TAP lines. */
static int cmd_ops(struct dev *d)
{
	static const uint32_t sizes[] = { 4096, 65536 };

	tap = true;
	printf("# ops: %s, descriptors in %u-byte pieces\n",
	       d->bar2_map ? "portal mapped (CPU stores)" : "portal by write()",
	       pieces);
	check_id(d);
	bind_vectors(d);
	enable(d);
	run_operations(d, sizes, 2);
	op_bad_opcode(d);
	op_unmapped(d);
	mask_case(d, "masked vector", false);
	check_vectors(d);
	op_pieces_reverse(d);
	printf("1..%u\n", tap_n);
	return failures ? 1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* COUNT MEMMOVEs of SIZE, one at a time: rate and submit-to-interrupt. */
static int cmd_bench(struct dev *d, uint32_t size, unsigned int count)
{
	uint8_t *a = d->mem + BUF_A, *b = d->mem + BUF_B;
	struct dsa_completion_record *cr = cr_slot(d);
	double *lat, t0, t1, total, sum = 0;
	struct dsa_hw_desc desc;
	unsigned int i;
	bool same;

	if (!size || size > BUF_MAX || !count) {
		fprintf(stderr, "vfio-client: bench SIZE (1..%u) COUNT (>0)\n",
			BUF_MAX);
		return 2;
	}
	lat = calloc(count, sizeof(*lat));
	if (!lat)
		die("calloc");
	bind_vectors(d);
	enable(d);
	fill_random(a, size, 99);
	memset(b, 0, size);
	t0 = now_us();
	for (i = 0; i < count; i++) {
		double s = now_us();

		desc_init(d, &desc, DSA_OPCODE_MEMMOVE, STD_FLAGS, 1);
		desc.src_addr = iova(d, a);
		desc.dst_addr = iova(d, b);
		desc.xfer_size = size;
		if (submit(d, &desc) || !wait_irq(d->irq[1], 10000) ||
		    cr->status != DSA_COMP_SUCCESS) {
			printf("bench: descriptor %u failed, status 0x%02x\n", i,
			       cr->status);
			free(lat);
			return 1;
		}
		lat[i] = now_us() - s;
		sum += lat[i];
	}
	t1 = now_us();
	total = (t1 - t0) / 1e6;
	same = !memcmp(a, b, size);
	qsort(lat, count, sizeof(*lat), cmp_double);
	printf("bench: op=memmove size=%u count=%u pieces=%u portal=%s "
	       "desc_per_s=%.1f mib_per_s=%.2f lat_us_min=%.0f lat_us_avg=%.0f "
	       "lat_us_p50=%.0f lat_us_p99=%.0f lat_us_max=%.0f verified=%s\n",
	       size, count, pieces, d->bar2_map ? "mmap" : "write",
	       count / total, (double)size * count / total / (1 << 20),
	       lat[0], sum / count, lat[count / 2], lat[count * 99 / 100],
	       lat[count - 1], same ? "yes" : "NO");
	free(lat);
	return same ? 0 : 1;
}

/*
 * flood N [wait|leave|hold]: N MEMMOVEs of 2 MiB written back to back.
 * The portal must return at once and refuse (EAGAIN) past the WQ size;
 * with "wait" every accepted one must complete and the device still work.
 * "leave" and "hold" write BATCHes of 32 such copies instead (seconds of
 * work); "leave" then exits with that work queued (close must abort it),
 * "hold" waits for the request eventfd as "hold 30" does, "reopen" is
 * flood_reopen().
 */
static int cmd_hold(struct dev *d, int seconds);

/*
 * With batches queued, closes only the device: the container and its
 * mappings stay, so work that went on after the close would show in
 * them. Then opens the device again: its first descriptor must run at once.
 */
static int flood_reopen(struct dev *d)
{
	uint8_t *b = d->mem + BUF_B;
	struct dsa_hw_desc desc;
	size_t at;
	int fd;

	close(d->fd);
	memset(b, 0x77, BUF_MAX);
	memset(d->mem + CR_AREA, 0, 4096);
	memset(d->mem + SUB_CR_AREA, 0, 64 * 64);
	sleep(2);
	for (at = 0; at < BUF_MAX && b[at] == 0x77; at++)
		;
	result(at == BUF_MAX, "after close: no copy reached the still-mapped memory",
	       "destination byte 0x%zx changed", at);
	for (at = 0; at < 4096 && !d->mem[CR_AREA + at] &&
	     !d->mem[SUB_CR_AREA + at]; at++)
		;
	result(at == 4096, "after close: no completion record written",
	       "record byte 0x%zx written", at);
	fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->name);
	if (fd < 0)
		die("VFIO_GROUP_GET_DEVICE_FD %s again", d->name);
	d->fd = fd;
	for (at = 0; at < d->nr_vectors; at++)
		close(d->irq[at]);
	bind_vectors(d);
	enable(d);
	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	if (run(d, &desc, "reopened: the first descriptor runs at once",
		DSA_COMP_SUCCESS))
		result(true, "reopened: the first descriptor runs at once", "ok");
	return failures ? 1 : 0;
}

#define FLOOD_CRS	128	/* records in the first 4 KiB of CR_AREA */
#define FLOOD_BATCH	32	/* members of a batch that "leave" queues */

static int cmd_flood(struct dev *d, unsigned int n, bool leave, bool hold,
		     bool reopen)
{
	unsigned int i, accepted = 0, full = 0, other = 0, done = 0, bad = 0;
	struct dsa_completion_record *cr;
	double t0, max_write = 0, w;
	struct dsa_hw_desc desc;
	int ret;

	bind_vectors(d);
	enable(d);
	memset(d->mem + CR_AREA, 0, FLOOD_CRS * 32);
	/* work left behind is batches of 32 copies: seconds of it */
	leave |= reopen;
	for (i = 0; (leave || hold) && i < FLOOD_BATCH; i++) {
		struct dsa_hw_desc *m = batch_member(d, i, DSA_OPCODE_MEMMOVE);

		m->src_addr = iova(d, d->mem + BUF_A);
		m->dst_addr = iova(d, d->mem + BUF_B);
		m->xfer_size = BUF_MAX;
	}
	t0 = now_us();
	for (i = 0; i < n; i++) {
		memset(&desc, 0, sizeof(desc));
		desc.opcode = DSA_OPCODE_MEMMOVE;
		desc.flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
		desc.completion_addr = IOVA_BASE + CR_AREA + 32 * (accepted % FLOOD_CRS);
		desc.src_addr = iova(d, d->mem + BUF_A);
		desc.dst_addr = iova(d, d->mem + BUF_B);
		desc.xfer_size = BUF_MAX;
		if (leave || hold) {
			desc.opcode = DSA_OPCODE_BATCH;
			desc.desc_list_addr = iova(d, d->mem + LIST_AREA);
			desc.desc_count = FLOOD_BATCH;
		}
		w = now_us();
		ret = submit(d, &desc);
		w = now_us() - w;
		if (w > max_write)
			max_write = w;
		if (!ret)
			accepted++;
		else if (ret == -EAGAIN)
			full++;
		else
			other++;
	}
	printf("flood: %u written in %.0f ms: %u accepted, %u refused with EAGAIN (WQ full), %u other errors; slowest write %.0f us\n",
	       n, (now_us() - t0) / 1e3, accepted, full, other, max_write);
	fflush(stdout);
	if (hold)
		return cmd_hold(d, 30);
	if (reopen)
		return flood_reopen(d);
	if (leave)
		return 0;
	for (i = 0; i < accepted && i < FLOOD_CRS; i++) {
		cr = (struct dsa_completion_record *)(d->mem + CR_AREA + 32 * i);
		if (wait_status(cr, 20000) == DSA_COMP_SUCCESS)
			done++;
		else
			bad++;
	}
	result(!other && full > 0 && accepted > 0,
	       "flood: portal writes return at once and refuse past the WQ size",
	       "%u accepted, %u EAGAIN, %u other", accepted, full, other);
	result(!bad, "flood: every accepted descriptor completed",
	       "%u of %u records not successful", bad, done + bad);
	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	drain_irqs(d);
	if (run(d, &desc, "flood: device works afterwards", DSA_COMP_SUCCESS))
		result(true, "flood: device works afterwards", "ok");
	return failures ? 1 : 0;
}

/*
 * idle SECONDS: a fresh user whose memory nobody may touch. Right after a
 * user that left work queued, a descriptor still running would write our
 * completion records or buffers at the same IOVAs.
 */
static int cmd_idle(struct dev *d, int seconds)
{
	uint64_t irqs = 0;
	unsigned int i;
	size_t at;

	memset(d->mem, 0x5a, DMA_SIZE);
	bind_vectors(d);
	sleep(seconds);
	for (i = 0; i < d->nr_vectors; i++)
		irqs += wait_irq(d->irq[i], 0);
	for (at = 0; at < DMA_SIZE && d->mem[at] == 0x5a; at++)
		;
	result(at == DMA_SIZE, "nothing wrote to a new user's memory",
	       "byte 0x%zx of the DMA area changed to 0x%02x", at,
	       at < DMA_SIZE ? d->mem[at] : 0);
	result(!irqs, "no interrupt for a new user", "%" PRIu64 " interrupts",
	       irqs);
	return failures ? 1 : 0;
}

/* ---- bad-desc ---- */

static void swerr_case(struct dev *d, const char *what,
		       struct dsa_hw_desc *desc, uint8_t want)
{
	uint64_t swerr;

	uint64_t irq;

	reg32_write(d, REG_SWERR, 3);	/* clear */
	drain_irqs(d);
	submit(d, desc);
	irq = wait_irq(d->irq[0], IRQ_TIMEOUT_MS);
	swerr = reg64(d, REG_SWERR);
	result(irq && (swerr & 1) && ((swerr >> 8) & 0xff) == want &&
	       ((swerr >> 32) & 0xff) == desc->opcode,
	       what, "SWERR 0x%016" PRIx64 ", want code 0x%02x, operation 0x%02x "
	       "and vector 0", swerr, want, desc->opcode);
	reg32_write(d, REG_SWERR, 3);
}

/* WQCFG dword 2 bit 0 of WQ 0: dedicated mode */
static bool wq_dedicated(struct dev *d)
{
	uint32_t wqcfg = (reg64(d, REG_TABLE) >> 16 & 0xffff) * 0x100;

	return reg32(d, wqcfg + 8) & 1;
}

/* An error without a completion record: SWERR's fields (sw_err_reg). */
static void swerr_fields(struct dev *d)
{
	uint64_t e[4];
	struct dsa_hw_desc desc;
	unsigned int i;

	reg32_write(d, REG_SWERR, 3);
	desc_init(d, &desc, DSA_OPCODE_MEMMOVE, IDXD_OP_FLAG_RCI | 0x400000, 1);
	submit(d, &desc);
	wait_irq(d->irq[1], IRQ_TIMEOUT_MS);
	for (i = 0; i < 4; i++)
		e[i] = reg64(d, REG_SWERR + 8 * i);
	result((e[0] & 0xf) == 0xd && (e[0] >> 8 & 0xff) == DSA_COMP_INVALID_FLAGS &&
	       (e[0] >> 32 & 0xff) == DSA_OPCODE_MEMMOVE &&
	       e[1] >> 32 == 0x400000,
	       "SWERR: valid, descriptor and WQ valid, code 0x11, operation, invalid flags",
	       "SWERR 0x%016" PRIx64 " 0x%016" PRIx64, e[0], e[1]);
	reg32_write(d, REG_SWERR, 3);

	desc_init(d, &desc, DSA_OPCODE_MEMFILL, IDXD_OP_FLAG_RCI, 1);
	desc.dst_addr = IOVA_UNMAPPED;
	desc.xfer_size = 64;
	submit(d, &desc);
	wait_irq(d->irq[1], IRQ_TIMEOUT_MS);
	for (i = 0; i < 4; i++)
		e[i] = reg64(d, REG_SWERR + 8 * i);
	result((e[0] & 1) && (e[0] & 0x20) &&
	       (e[0] >> 8 & 0xff) == DSA_COMP_PAGE_FAULT_NOBOF &&
	       (e[0] >> 32 & 0xff) == DSA_OPCODE_MEMFILL && e[2] == IOVA_UNMAPPED,
	       "SWERR: page fault on a write, fault address",
	       "SWERR 0x%016" PRIx64 " 0x%016" PRIx64 " 0x%016" PRIx64, e[0],
	       e[1], e[2]);

	/* a second error keeps the first and sets overflow */
	desc_init(d, &desc, 0x3f, IDXD_OP_FLAG_RCI, 1);
	submit(d, &desc);
	wait_irq(d->irq[1], IRQ_TIMEOUT_MS);
	e[1] = reg64(d, REG_SWERR);
	result((e[1] & 3) == 3 && (e[1] >> 8 & 0xff) == DSA_COMP_PAGE_FAULT_NOBOF,
	       "SWERR: a second error sets overflow and keeps the first",
	       "SWERR 0x%016" PRIx64, e[1]);
	reg32_write(d, REG_SWERR, 3);
	result(!(reg64(d, REG_SWERR) & 3), "SWERR: valid and overflow write 1 to clear",
	       "SWERR 0x%016" PRIx64, reg64(d, REG_SWERR));
}

/* Writes all but the last 8 bytes of a NOOP to slot 0 in 8-byte pieces. */
static void stage_partial(struct dev *d, struct dsa_hw_desc *desc)
{
	unsigned int at;

	desc_init(d, desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	for (at = 0; at < 56; at += 8)
		wr(d, d->bar2_off, at, (uint8_t *)desc + at, 8);
}

/* The last piece of a descriptor staged before: must run nothing. */
static void expect_dropped(struct dev *d, struct dsa_hw_desc *desc,
			   const char *what)
{
	drain_irqs(d);
	wr(d, d->bar2_off, 56, (uint8_t *)desc + 56, 8);
	result(!wait_irq(d->irq[1], 300) && !cr_slot(d)->status, what,
	       "the staged pieces ran: status 0x%02x", cr_slot(d)->status);
	/* that last piece is staged now: a WQ disable drops it */
	command(d, 7, 1);
	command(d, CMD_ENABLE_WQ, 0);
}

/* The portal's rules for pieces (docs/kernel.md, "Portal writes"). */
static void bad_pieces(struct dev *d)
{
	static const struct { unsigned int off, len; } bad[] = {
		{ 2, 4 }, { 4, 8 }, { 0, 3 }, { 0, 2 }, { 0, 1 }, { 8, 16 },
		{ 0, 128 }, { 0, 48 },
	};
	struct dsa_hw_desc desc;
	uint8_t junk[128];
	unsigned int i;
	char what[80];
	int ret;

	memset(junk, 0xff, sizeof(junk));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(what, sizeof(what),
			 "portal write of %u bytes at offset %u rejected",
			 bad[i].len, bad[i].off);
		ret = wr(d, d->bar2_off, bad[i].off, junk, bad[i].len);
		result(ret == -EINVAL, what, "returned %d", ret);
	}

	/* junk in the first half, then a whole descriptor in pieces */
	wr(d, d->bar2_off, 0, junk, 32);
	drain_irqs(d);
	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	ret = portal_write(d, 0, &desc, 8, false);
	result(!ret && wait_irq(d->irq[1], IRQ_TIMEOUT_MS) &&
	       cr_slot(d)->status == DSA_COMP_SUCCESS &&
	       !wait_irq(d->irq[1], 200),
	       "an overlapping piece restarts the descriptor (junk dropped)",
	       "write %d, status 0x%02x", ret, cr_slot(d)->status);

	/* 4-byte pieces in reverse, and a slot in the middle of the BAR */
	drain_irqs(d);
	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	ret = portal_write(d, 0x2040, &desc, 4, true);
	result(!ret && wait_irq(d->irq[1], IRQ_TIMEOUT_MS) &&
	       cr_slot(d)->status == DSA_COMP_SUCCESS,
	       "4-byte pieces, last first, at portal offset 0x2040",
	       "write %d, status 0x%02x", ret, cr_slot(d)->status);

	stage_partial(d, &desc);
	command(d, 7, 1);	/* DISABLE_WQ */
	command(d, CMD_ENABLE_WQ, 0);
	expect_dropped(d, &desc, "partial descriptor dropped by DISABLE_WQ");

	stage_partial(d, &desc);
	if (ioctl(d->fd, VFIO_DEVICE_RESET))
		die("VFIO_DEVICE_RESET");
	enable(d);
	reg32_write(d, REG_GENCTRL, 1);
	expect_dropped(d, &desc, "partial descriptor dropped by a device reset");
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
	desc.desc_count = 33;
	bad_case(d, "BATCH of 33 descriptors (max 32) -> 0x14", &desc,
		 DSA_COMP_DESC_CNT_ERANGE);

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
	/* DSA 1.0: a dedicated WQ ignores the descriptor's PASID and priv */
	desc_init(d, &desc, DSA_OPCODE_NOOP, STD_FLAGS, 1);
	desc.pasid = 5;
	desc.priv = 1;
	if (wq_dedicated(d))
		bad_case(d, "PASID and priv ignored on a dedicated WQ", &desc,
			 DSA_COMP_SUCCESS);
	else
		bad_case(d, "PASID on a shared WQ without PASID support -> 0x1d",
			 &desc, DSA_COMP_PRIV_BAD);

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
	bad_case(d, "destination crossing out of the mapping -> 0x83 (write)",
		 &desc, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
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

	swerr_fields(d);
	memset(junk, 0xff, sizeof(junk));
	bad_pieces(d);
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
	/* descriptors run on the device's worker: wait for a record we asked for */
	if (!ret && desc.completion_addr == iova(d, cr_slot(d)) &&
	    (desc.flags & (IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR)) ==
	    (IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR))
		wait_status(cr_slot(d), IRQ_TIMEOUT_MS);
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
	fprintf(f, "usage: vfio-client [--pieces 4|8|16|32|64] [--tap] UUID|--pci BDF SUBCOMMAND [ARGS]\n"
		"subcommands: selftest, ops, bench SIZE COUNT, mask-test, bad-desc,\n"
		"  flood N [wait|leave|hold|reopen], idle SECONDS, hold SECONDS, hold-noreq SECONDS,\n"
		"  memmove [BYTES], fuzz [N [SEED]]\n");
}

static unsigned long num_arg(int argc, char **argv, int i, unsigned long def)
{
	return i < argc ? strtoul(argv[i], NULL, 0) : def;
}

int main(int argc, char **argv)
{
	const char *name = NULL, *cmd;
	char sysdev[PATH_MAX];
	bool pci = false;
	struct dev d;
	int i, ret;

	for (i = 1; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--pieces") && i + 1 < argc) {
			pieces = strtoul(argv[++i], NULL, 0);
			if (pieces < 4 || pieces > 64 || (pieces & (pieces - 1))) {
				usage(stderr);
				return 2;
			}
		} else if (!strcmp(argv[i], "--tap")) {
			tap = true;
		} else if (!strcmp(argv[i], "--pci") && i + 1 < argc) {
			pci = true;
			name = argv[++i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!name && i < argc)
		name = argv[i++];
	if (!name || i >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[i++];
	if ((!strcmp(cmd, "hold") || !strcmp(cmd, "hold-noreq")) && i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "ops"))
		tap = true;	/* a failed open is a "Bail out!" then */
	snprintf(sysdev, sizeof(sysdev), "/sys/bus/%s/devices/%s",
		 pci ? "pci" : "mdev", name);
	dev_open(&d, sysdev, name);
	if (!strcmp(cmd, "selftest")) {
		ret = cmd_selftest(&d);
	} else if (!strcmp(cmd, "ops")) {
		ret = cmd_ops(&d);
	} else if (!strcmp(cmd, "bench")) {
		ret = cmd_bench(&d, num_arg(argc, argv, i, 65536),
				num_arg(argc, argv, i + 1, 100));
	} else if (!strcmp(cmd, "mask-test")) {
		ret = cmd_mask_test(&d);
	} else if (!strcmp(cmd, "bad-desc")) {
		ret = cmd_bad_desc(&d);
	} else if (!strcmp(cmd, "hold")) {
		ret = cmd_hold(&d, atoi(argv[i]));
	} else if (!strcmp(cmd, "hold-noreq")) {
		ret = cmd_hold_noreq(&d, atoi(argv[i]));
	} else if (!strcmp(cmd, "fuzz")) {
		ret = cmd_fuzz(&d, num_arg(argc, argv, i, 20000),
			       num_arg(argc, argv, i + 1, 1));
	} else if (!strcmp(cmd, "flood")) {
		const char *mode = i + 1 < argc ? argv[i + 1] : "wait";

		ret = cmd_flood(&d, num_arg(argc, argv, i, 1000),
				!strcmp(mode, "leave"), !strcmp(mode, "hold"),
				!strcmp(mode, "reopen"));
	} else if (!strcmp(cmd, "idle")) {
		ret = cmd_idle(&d, num_arg(argc, argv, i, 2));
	} else if (!strcmp(cmd, "memmove")) {
		ret = cmd_memmove(&d, num_arg(argc, argv, i, 65536));
	} else {
		usage(stderr);
		ret = 2;
	}
	dev_close(&d);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev and VFIO glue: parent registration and resource accounting, the
 * mdev types, sysfs attributes, and the vfio_device_ops of an mdev.
 */
#include <linux/iommu.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "ims.h"
#include "vdev.h"

/* The mdev core prefixes type ids with this: idxd_mdev-dsa-1dwq-v1. */
#define IDXD_MDEV_DRIVER_NAME	"idxd_mdev"

struct idxd_type_info {
	const char *sysfs_name;
	const char *pretty_name;
	unsigned int nr_vectors;
	const char *description;
};

/* Vector 0 carries device events, the others descriptor completions. */
static const struct idxd_type_info idxd_type_info[IDXD_WQ_KINDS] = {
	[IDXD_WQ_DEDICATED] = {
		.sysfs_name = "dsa-1dwq-v1",
		.pretty_name = "DSA 1 dedicated WQ",
		.nr_vectors = 3,
		.description = "DSA, one dedicated work queue (exclusive), 3 MSI-X vectors on IMS",
	},
	[IDXD_WQ_SHARED] = {
		.sysfs_name = "dsa-1swq-v1",
		.pretty_name = "DSA 1 shared WQ",
		.nr_vectors = 2,
		.description = "DSA, one slot of a shared WQ (host only), 2 MSI-X vectors on IMS",
	},
};

static struct mdev_driver idxd_mdev_driver;

static struct idxd_parent *idxd_parent_of(struct mdev_type *mtype)
{
	return dev_get_drvdata(mtype->parent->dev);
}

static struct idxd_mdev_type *idxd_type_of(struct mdev_type *mtype)
{
	return container_of(mtype, struct idxd_mdev_type, type);
}

/**
 * idxd_parent_register() - make a DSA device an mdev parent
 * @parent: zeroed parent embedded in the backend's state
 * @dev: device whose driver is named "idxd_mdev" (the type id prefix)
 * @ops: backend operations
 * @ims_size: entries of the parent's IMS table
 *
 * Sets @dev's drvdata to @parent.
 *
 * Return: 0 or a negative errno.
 */
int idxd_parent_register(struct idxd_parent *parent, struct device *dev,
			 const struct idxd_parent_ops *ops,
			 unsigned int ims_size)
{
	unsigned int k;
	int ret;

	parent->dev = dev;
	parent->ops = ops;
	mutex_init(&parent->lock);
	INIT_LIST_HEAD(&parent->mdevs);
	parent->ims = ims_table_create(ims_size);
	if (IS_ERR(parent->ims))
		return PTR_ERR(parent->ims);

	for (k = 0; k < IDXD_WQ_KINDS; k++) {
		struct idxd_mdev_type *t = &parent->types[k];

		t->type.sysfs_name = idxd_type_info[k].sysfs_name;
		t->type.pretty_name = idxd_type_info[k].pretty_name;
		t->kind = k;
		t->nr_vectors = idxd_type_info[k].nr_vectors;
		t->description = idxd_type_info[k].description;
		parent->type_ptrs[k] = &t->type;
	}
	dev_set_drvdata(dev, parent);

	ret = mdev_register_parent(&parent->mdev_parent, dev,
				   &idxd_mdev_driver, parent->type_ptrs,
				   IDXD_WQ_KINDS);
	if (ret) {
		ims_table_destroy(parent->ims);
		return ret;
	}
	return 0;
}

/**
 * idxd_parent_unregister() - remove all mdevs of a parent and the parent
 * @parent: registered parent
 *
 * Blocks while a user holds one of its mdevs open (after asking it to
 * release the device).
 */
void idxd_parent_unregister(struct idxd_parent *parent)
{
	mdev_unregister_parent(&parent->mdev_parent);
	ims_table_destroy(parent->ims);
	mutex_destroy(&parent->lock);
}

/**
 * idxd_parent_reserve() - take a WQ and IMS entries for one mdev
 * @parent: the parent
 * @type: type of the mdev
 * @res: filled with what was taken
 *
 * All or nothing.
 *
 * Return: 0, or -ENOSPC when WQs or IMS entries are exhausted.
 */
int idxd_parent_reserve(struct idxd_parent *parent,
			const struct idxd_mdev_type *type,
			struct idxd_reservation *res)
{
	int ret = -ENOSPC;

	if (type->nr_vectors > IDXD_MAX_VECTORS)
		return -EINVAL;
	mutex_lock(&parent->lock);
	if (!parent->ops->wq_free(parent, type->kind))
		goto out;
	ret = ims_alloc_many(parent->ims, type->nr_vectors, res->ims_index);
	if (ret)
		goto out;
	ret = parent->ops->wq_claim(parent, type->kind, &res->wq);
	if (ret) {
		res->nr_vectors = type->nr_vectors;
		while (res->nr_vectors)
			ims_free(parent->ims, res->ims_index[--res->nr_vectors]);
		goto out;
	}
	res->nr_vectors = type->nr_vectors;
out:
	mutex_unlock(&parent->lock);
	return ret;
}

/**
 * idxd_parent_unreserve() - give back what idxd_parent_reserve() took
 * @parent: the parent
 * @res: the reservation; emptied
 */
void idxd_parent_unreserve(struct idxd_parent *parent,
			   struct idxd_reservation *res)
{
	if (!res->nr_vectors)
		return;
	mutex_lock(&parent->lock);
	while (res->nr_vectors)
		ims_free(parent->ims, res->ims_index[--res->nr_vectors]);
	parent->ops->wq_release(parent, &res->wq);
	mutex_unlock(&parent->lock);
}

static unsigned int idxd_parent_available(struct idxd_parent *parent,
					  const struct idxd_mdev_type *type)
{
	unsigned int wqs, by_ims;

	mutex_lock(&parent->lock);
	wqs = parent->ops->wq_free(parent, type->kind);
	by_ims = ims_available(parent->ims) / type->nr_vectors;
	mutex_unlock(&parent->lock);
	return min(wqs, by_ims);
}

/* Parent attributes */

static ssize_t ims_size_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct idxd_parent *parent = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", ims_size(parent->ims));
}
static DEVICE_ATTR_RO(ims_size);

static ssize_t ims_available_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct idxd_parent *parent = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", ims_available(parent->ims));
}
static DEVICE_ATTR_RO(ims_available);

/*
 * "mdevs": one line per mdev of the parent, in the order they were probed:
 * UUID, type id, WQ, IMS vectors and IOMMU group id (-1: none), separated by
 * spaces and padded with spaces to IDXD_MDEVS_LINE bytes with the newline.
 * What a daemon would otherwise read from five files per mdev, in one file
 * per parent. Lines have one width so that a read at any offset is served
 * without formatting the lines before it; each read takes the lock once, so
 * a line is never torn, but an mdev created or removed between two reads
 * of one pass can shift the lines after it (one listed twice or missed):
 * readers check the list against /sys/bus/mdev/devices. Fields may be added
 * in the padding.
 */
#define IDXD_MDEVS_LINE 128

static void idxd_mdevs_line(struct idxd_vdev *vdev, char *line)
{
	struct mdev_device *mdev = to_mdev_device(vdev->vfio.dev);
	int len;

	len = scnprintf(line, IDXD_MDEVS_LINE, "%pUl %s %u %u %d", &mdev->uuid,
			kobject_name(&vdev->type->type.kobj), vdev->res.wq.wq,
			vdev->res.nr_vectors, vdev->iommu_group);
	memset(line + len, ' ', IDXD_MDEVS_LINE - 1 - len);
	line[IDXD_MDEVS_LINE - 1] = '\n';
}

static ssize_t mdevs_read(struct file *filp, struct kobject *kobj,
			  struct bin_attribute *attr, char *buf, loff_t pos,
			  size_t count)
{
	struct idxd_parent *parent = dev_get_drvdata(kobj_to_dev(kobj));
	loff_t first = div_u64(pos, IDXD_MDEVS_LINE), i = 0;
	size_t skip = pos - first * IDXD_MDEVS_LINE, done = 0, n;
	char line[IDXD_MDEVS_LINE];
	struct idxd_vdev *vdev;

	if (pos < 0)
		return -EINVAL;
	mutex_lock(&parent->lock);
	list_for_each_entry(vdev, &parent->mdevs, parent_node) {
		if (done == count)
			break;
		if (i++ < first)
			continue;
		idxd_mdevs_line(vdev, line);
		n = min(count - done, IDXD_MDEVS_LINE - skip);
		memcpy(buf + done, line + skip, n);
		done += n;
		skip = 0;
	}
	mutex_unlock(&parent->lock);
	return done;
}
static BIN_ATTR_RO(mdevs, 0);

static struct attribute *idxd_parent_attrs[] = {
	&dev_attr_ims_size.attr,
	&dev_attr_ims_available.attr,
	NULL,
};

static struct bin_attribute *idxd_parent_bin_attrs[] = {
	&bin_attr_mdevs,
	NULL,
};

static const struct attribute_group idxd_parent_group = {
	.attrs = idxd_parent_attrs,
	.bin_attrs = idxd_parent_bin_attrs,
};

/* For a backend's driver.dev_groups. */
const struct attribute_group *idxd_parent_groups[] = {
	&idxd_parent_group,
	NULL,
};

/* mdev attributes */

static ssize_t ims_vectors_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct idxd_vdev *vdev = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", vdev->res.nr_vectors);
}
static DEVICE_ATTR_RO(ims_vectors);

static ssize_t wq_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	struct idxd_vdev *vdev = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", vdev->res.wq.wq);
}
static DEVICE_ATTR_RO(wq);

static struct attribute *idxd_mdev_attrs[] = {
	&dev_attr_ims_vectors.attr,
	&dev_attr_wq.attr,
	NULL,
};

static const struct attribute_group idxd_mdev_group = {
	.attrs = idxd_mdev_attrs,
};

static const struct attribute_group *idxd_mdev_groups[] = {
	&idxd_mdev_group,
	NULL,
};

/* VFIO device operations */

static struct idxd_vdev *to_idxd_vdev(struct vfio_device *vfio)
{
	return container_of(vfio, struct idxd_vdev, vfio);
}

static int idxd_vfio_init(struct vfio_device *vfio)
{
	struct mdev_device *mdev = to_mdev_device(vfio->dev);

	return idxd_vdev_init(to_idxd_vdev(vfio), idxd_parent_of(mdev->type),
			      idxd_type_of(mdev->type));
}

static void idxd_vfio_release(struct vfio_device *vfio)
{
	idxd_vdev_destroy(to_idxd_vdev(vfio));
	vfio_free_device(vfio);
}

static int idxd_vfio_open(struct vfio_device *vfio)
{
	idxd_vdev_reset(to_idxd_vdev(vfio));
	return 0;
}

static void idxd_vfio_close(struct vfio_device *vfio)
{
	idxd_vdev_close(to_idxd_vdev(vfio));
}

static ssize_t idxd_vfio_rw(struct vfio_device *vfio, char __user *ubuf,
			    size_t count, loff_t *ppos, bool write)
{
	u8 buf[VDEV_ACCESS_MAX];
	ssize_t ret;

	if (!count || count > sizeof(buf) || *ppos < 0)
		return -EINVAL;
	if (write && copy_from_user(buf, ubuf, count))
		return -EFAULT;
	ret = idxd_vdev_access(to_idxd_vdev(vfio), buf, count, *ppos, write);
	if (ret < 0)
		return ret;
	if (!write && copy_to_user(ubuf, buf, count))
		return -EFAULT;
	*ppos += count;
	return count;
}

static ssize_t idxd_vfio_read(struct vfio_device *vfio, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	return idxd_vfio_rw(vfio, ubuf, count, ppos, false);
}

static ssize_t idxd_vfio_write(struct vfio_device *vfio,
			       const char __user *ubuf, size_t count,
			       loff_t *ppos)
{
	return idxd_vfio_rw(vfio, (char __user *)ubuf, count, ppos, true);
}

static int idxd_ioctl_device_info(void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static int idxd_ioctl_region_info(void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	u32 rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	struct vfio_region_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	info.offset = VDEV_REGION_OFFSET(info.index);
	info.cap_offset = 0;
	switch (info.index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.size = VDEV_CFG_SIZE;
		info.flags = rw;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		info.size = VDEV_BAR0_SIZE;
		info.flags = rw;
		break;
	case VFIO_PCI_BAR2_REGION_INDEX:
		info.size = VDEV_BAR2_SIZE;
		info.flags = rw;
		break;
	default:
		info.size = 0;
		info.flags = 0;
		break;
	}
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static int idxd_ioctl_irq_info(struct idxd_vdev *vdev, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	info.count = idxd_vdev_irq_count(vdev, info.index);
	info.flags = 0;
	if (info.count)
		info.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
	if (info.index == VFIO_PCI_MSIX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static int idxd_ioctl_set_irqs(struct idxd_vdev *vdev, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	void *data = NULL;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	ret = vfio_set_irqs_validate_and_prepare(&hdr,
						 idxd_vdev_irq_count(vdev, hdr.index),
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if (data_size) {
		data = memdup_user(arg + minsz, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	ret = idxd_vdev_set_irqs(vdev, &hdr, data);
	kfree(data);
	return ret;
}

static long idxd_vfio_ioctl(struct vfio_device *vfio, unsigned int cmd,
			    unsigned long arg)
{
	struct idxd_vdev *vdev = to_idxd_vdev(vfio);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return idxd_ioctl_device_info(uarg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return idxd_ioctl_region_info(uarg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return idxd_ioctl_irq_info(vdev, uarg);
	case VFIO_DEVICE_SET_IRQS:
		return idxd_ioctl_set_irqs(vdev, uarg);
	case VFIO_DEVICE_RESET:
		idxd_vdev_reset(vdev);
		return 0;
	default:
		return -ENOTTY;
	}
}

static void idxd_vfio_request(struct vfio_device *vfio, unsigned int count)
{
	idxd_vdev_request(to_idxd_vdev(vfio), count);
}

/*
 * The engine pins nothing (vfio_dma_rw() per chunk), so an unmap has
 * nothing to wait for: a descriptor that reaches an unmapped IOVA
 * afterwards completes with a page fault.
 */
static void idxd_vfio_dma_unmap(struct vfio_device *vfio, u64 iova, u64 length)
{
}

static const struct vfio_device_ops idxd_vfio_ops = {
	.name = "idxd-mdev",
	.init = idxd_vfio_init,
	.release = idxd_vfio_release,
	.open_device = idxd_vfio_open,
	.close_device = idxd_vfio_close,
	.read = idxd_vfio_read,
	.write = idxd_vfio_write,
	.ioctl = idxd_vfio_ioctl,
	.request = idxd_vfio_request,
	.dma_unmap = idxd_vfio_dma_unmap,
};

/* mdev driver */

static int idxd_mdev_probe(struct mdev_device *mdev)
{
	struct iommu_group *group;
	struct idxd_vdev *vdev;
	int ret;

	vdev = vfio_alloc_device(idxd_vdev, vfio, &mdev->dev, &idxd_vfio_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	ret = vfio_register_emulated_iommu_dev(&vdev->vfio);
	if (ret) {
		vfio_put_device(&vdev->vfio);
		return ret;
	}
	dev_set_drvdata(&mdev->dev, vdev);

	/* VFIO gave the mdev a group of its own, for as long as it is registered. */
	group = iommu_group_get(&mdev->dev);
	vdev->iommu_group = group ? iommu_group_id(group) : -1;
	iommu_group_put(group);
	mutex_lock(&vdev->parent->lock);
	list_add_tail(&vdev->parent_node, &vdev->parent->mdevs);
	mutex_unlock(&vdev->parent->lock);
	return 0;
}

static void idxd_mdev_remove(struct mdev_device *mdev)
{
	struct idxd_vdev *vdev = dev_get_drvdata(&mdev->dev);

	mutex_lock(&vdev->parent->lock);
	list_del(&vdev->parent_node);
	mutex_unlock(&vdev->parent->lock);

	/* Waits for the user to close, signalling its request eventfd. */
	vfio_unregister_group_dev(&vdev->vfio);
	vfio_put_device(&vdev->vfio);
}

static unsigned int idxd_mdev_get_available(struct mdev_type *mtype)
{
	return idxd_parent_available(idxd_parent_of(mtype), idxd_type_of(mtype));
}

static ssize_t idxd_mdev_show_description(struct mdev_type *mtype, char *buf)
{
	return sysfs_emit(buf, "%s\n", idxd_type_of(mtype)->description);
}

static struct mdev_driver idxd_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = IDXD_MDEV_DRIVER_NAME,
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = idxd_mdev_groups,
	},
	.probe = idxd_mdev_probe,
	.remove = idxd_mdev_remove,
	.get_available = idxd_mdev_get_available,
	.show_description = idxd_mdev_show_description,
};

/**
 * idxd_mdev_driver_register() - register the mdev driver
 *
 * Return: 0 or a negative errno.
 */
int idxd_mdev_driver_register(void)
{
	return mdev_register_driver(&idxd_mdev_driver);
}

/**
 * idxd_mdev_driver_unregister() - unregister the mdev driver
 */
void idxd_mdev_driver_unregister(void)
{
	mdev_unregister_driver(&idxd_mdev_driver);
}

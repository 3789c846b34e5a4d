/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small stand-in for the idxd_mdev module inside a umockdev testbed: mdev
 * parents with two types, answering writes to `create` and `remove` the way
 * the mdev core does, with real add/remove uevents. See docs/testing.md.
 */
#pragma once

#include <glib.h>
#include <umockdev.h>

#define FAKE_TYPE_DWQ "idxd_mdev-dsa-1dwq-v1"
#define FAKE_TYPE_SWQ "idxd_mdev-dsa-1swq-v1"

typedef struct FakeKernel FakeKernel;

/* Starts the kernel's worker thread. The testbed must outlive the kernel. */
FakeKernel *fake_kernel_new(UMockdevTestbed *testbed);
void fake_kernel_free(FakeKernel *fk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeKernel, fake_kernel_free)

/* Adds parent `name` (e.g. "idxd_sim.0") under /sys/devices/platform with both
 * types, each with `instances` available; sends its add uevent. */
void fake_kernel_add_parent(FakeKernel *fk, const char *name, guint instances);

/* The same as a PCI device (a DSA's address, e.g. "0000:6a:01.0") under /sys/devices/pci0000:00. */
void fake_kernel_add_pci_parent(FakeKernel *fk, const char *address, guint instances);

/* Whether parents added from now on get a /sys/class/mdev_bus link (default TRUE), as the mdev core makes. */
void fake_kernel_set_mdev_bus_class(FakeKernel *fk, gboolean on);

/* Replaces a parent attribute's text, as a kernel that says something else would. */
void fake_kernel_write_parent_attr(FakeKernel *fk, const char *parent, const char *attr, const char *text);

/* Hot-removes a parent like the kernel does: every mdev on it first, then the parent. */
void fake_kernel_remove_parent(FakeKernel *fk, const char *name);

/* Sets or reads `available_instances` of one type on one parent. */
void fake_kernel_set_available(FakeKernel *fk, const char *parent, const char *type, guint n);
guint fake_kernel_get_available(FakeKernel *fk, const char *parent, const char *type);

/* Adds an mdev directly, as if made before the daemon started (no write to `create`). */
void fake_kernel_add_mdev(FakeKernel *fk, const char *parent, const char *type, const char *uuid);

/* Sends one more uevent ("add", "change", "remove") for an existing mdev. */
void fake_kernel_resend_uevent(FakeKernel *fk, const char *uuid, const char *action);

/* Whether the mdev exists in the testbed's sysfs; mdevs in sysfs (parent NULL = all). */
gboolean fake_kernel_has_mdev(FakeKernel *fk, const char *uuid);
guint fake_kernel_count_mdevs(FakeKernel *fk, const char *parent);
/* Counted by reading /sys/bus/mdev/devices in the testbed, not the kernel's own table. */
guint fake_kernel_count_sysfs_mdevs(FakeKernel *fk);

/* UUIDs written to `create` files so far (accepted or not). */
guint fake_kernel_create_writes(FakeKernel *fk, const char *uuid);
/* Writes to `create` that were refused because available_instances was 0. */
guint fake_kernel_refused_creates(FakeKernel *fk);

/* Real path of the mdev's VFIO group node, <testbed>/dev/vfio/<group>; NULL if unknown. */
char *fake_kernel_vfio_group_node(FakeKernel *fk, const char *uuid);

/* Waits until every byte written to create/remove files so far is handled. */
void fake_kernel_sync(FakeKernel *fk);

/* For checking that tests notice breakage: swallow writes to `create` without making an mdev. */
void fake_kernel_set_ignore_creates(FakeKernel *fk, gboolean ignore);

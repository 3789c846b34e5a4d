/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names of the D-Bus contract shared by idxdd and idxdctl (docs/dbus-api.md). */
#pragma once

#define IDXD_BUS_NAME                 "org.idxd.Manager1"
#define IDXD_MANAGER_PATH             "/org/idxd/Manager1"
#define IDXD_MANAGER_INTERFACE        "org.idxd.Manager1"
#define IDXD_MDEV_PATH_PREFIX         "/org/idxd/Manager1/mdev"
#define IDXD_MDEV_INTERFACE           "org.idxd.Mdev1"

/*
 * Caps on what one call may ask (docs/dbus-api.md, "Caps"): past one, the
 * call fails with InvalidArgs naming it. Names (parent, type, attribute) are
 * sysfs file names, at most 255 bytes; a domain is at most
 * IDXD_DOMAIN_NAME_MAX (core/store.h).
 */
#define IDXD_CREATE_REQUESTS_MAX      10000   /* requests in one CreateMdevs */
#define IDXD_ATTRS_MAX                4096    /* attrs of one mdev (vfio-ap writes one per adapter and domain) */
#define IDXD_ATTR_VALUE_MAX           4095    /* bytes of an attribute value: one sysfs write */

#define IDXD_ERROR_NOT_FOUND          "org.idxd.Error.NotFound"
#define IDXD_ERROR_NO_CAPACITY        "org.idxd.Error.NoCapacity"
#define IDXD_ERROR_BUSY               "org.idxd.Error.Busy"
#define IDXD_ERROR_EXISTS             "org.idxd.Error.Exists"
#define IDXD_ERROR_INVALID_CONFIG     "org.idxd.Error.InvalidConfig"
#define IDXD_ERROR_LIBVIRT            "org.idxd.Error.Libvirt"
#define IDXD_ERROR_FAILED             "org.idxd.Error.Failed"


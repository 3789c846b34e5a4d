/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The registrar module's one exported symbol: its table of calls (libvirt.h). */
#include "libvirt.h"

__attribute__((visibility("default")))
const IdxdRegistrarModule idxd_registrar_libvirt = {
        .abi = IDXD_REGISTRAR_ABI,
        .size = sizeof(IdxdRegistrarModule),
        .new = idxd_libvirt_new,
        .free = idxd_libvirt_free,
        .register_mdev = idxd_libvirt_register,
        .unregister_mdev = idxd_libvirt_unregister,
        .check_domain = idxd_libvirt_check_domain,
        .get_uri = idxd_libvirt_get_uri,
        .get_state = idxd_libvirt_get_state,
        .get_pending = idxd_libvirt_get_pending,
        .get_registration = idxd_libvirt_get_registration,
};

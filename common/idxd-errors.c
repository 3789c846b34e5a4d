/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "idxd-bus.h"
#include "idxd-errors.h"
#include "macro.h"

/* First entry per name wins for name -> errno; first per errno for errno -> name. */
static const struct {
        int error;
        const char *name;
} error_table[] = {
        { ENOENT,    IDXD_ERROR_NOT_FOUND },
        { ENODEV,    IDXD_ERROR_NOT_FOUND },
        { ENXIO,     IDXD_ERROR_NOT_FOUND },
        { ENOSPC,    IDXD_ERROR_NO_CAPACITY },
        { EBUSY,     IDXD_ERROR_BUSY },
        { EEXIST,    IDXD_ERROR_EXISTS },
        { EBADMSG,   IDXD_ERROR_INVALID_CONFIG },
        { EREMOTEIO, IDXD_ERROR_LIBVIRT },
        { EIO,       IDXD_ERROR_FAILED },
        { EINVAL,    SD_BUS_ERROR_INVALID_ARGS },
        { EACCES,    SD_BUS_ERROR_ACCESS_DENIED },
        { EPERM,     SD_BUS_ERROR_ACCESS_DENIED },
};

const sd_bus_error_map idxd_error_map[] = {
        SD_BUS_ERROR_MAP(IDXD_ERROR_NOT_FOUND,      ENOENT),
        SD_BUS_ERROR_MAP(IDXD_ERROR_NO_CAPACITY,    ENOSPC),
        SD_BUS_ERROR_MAP(IDXD_ERROR_BUSY,           EBUSY),
        SD_BUS_ERROR_MAP(IDXD_ERROR_EXISTS,         EEXIST),
        SD_BUS_ERROR_MAP(IDXD_ERROR_INVALID_CONFIG, EBADMSG),
        SD_BUS_ERROR_MAP(IDXD_ERROR_LIBVIRT,        EREMOTEIO),
        SD_BUS_ERROR_MAP(IDXD_ERROR_FAILED,         EIO),
        SD_BUS_ERROR_MAP_END
};

const char *idxd_error_name_from_errno(int error) {
        error = abs(error);

        for (size_t i = 0; i < ELEMENTSOF(error_table); i++)
                if (error_table[i].error == error)
                        return error_table[i].name;
        return IDXD_ERROR_FAILED;
}

int idxd_errno_from_error_name(const char *name) {
        if (!name)
                return EIO;

        for (size_t i = 0; i < ELEMENTSOF(error_table); i++)
                if (strcmp(error_table[i].name, name) == 0)
                        return error_table[i].error;
        return EIO;
}

int idxd_error_exit_status(const char *name) {
        return name && strcmp(name, SD_BUS_ERROR_INVALID_ARGS) == 0 ? 2 : 1;
}

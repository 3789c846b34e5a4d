/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "log.h"

int log_debug_enabled;

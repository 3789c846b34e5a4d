/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The parents the daemon knows, as read by "idxdctl parents" and "idxdctl types". */
#pragma once

#include <json-c/json.h>

#include "idxdctl.h"

/*
 * Calls ListParents and returns an array of parent records sorted by name,
 * with the keys of docs/cli.md ("parents"); each has a "types" array of type
 * records sorted by type id. Returns 0 or an exit status after one line.
 */
int idxdctl_list_parents(Idxdctl *ctl, struct json_object **ret);

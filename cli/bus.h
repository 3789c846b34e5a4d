/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl's side of the bus: connecting, calling the manager, explaining errors. */
#pragma once

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "idxdctl.h"

/* Functions here return 0, or an IDXDCTL_EXIT_* failure status after printing one line. */

/* Connects to the bus once; later calls do nothing. */
int idxdctl_bus_connect(Idxdctl *ctl);

/* A new method call to org.idxd.Manager1 on the manager object; connects on first use. */
int idxdctl_bus_new_call(Idxdctl *ctl, const char *method, sd_bus_message **ret);

/* Sends a call; a failure is explained (what went wrong, what to do) in one line. */
int idxdctl_bus_call(Idxdctl *ctl, sd_bus_message *call, sd_bus_message **ret_reply);

/*
 * Prints the line for a D-Bus error name and its message (which may be NULL)
 * and returns the exit status it means.
 */
int idxdctl_bus_report_error(const Idxdctl *ctl, const char *name, const char *message);

/* Sends a call and reads the first value of the reply as JSON (see bus_message_read_json()). */
int idxdctl_bus_call_json(Idxdctl *ctl, sd_bus_message *call, struct json_object **ret);

/* Prints one line for a reply that does not have the expected shape; returns IDXDCTL_EXIT_FAILURE. */
int idxdctl_bus_bad_reply(const char *method, int error);

/*
 * Sends a CreateMdevs call and prints one line per mdev made (its UUID, then
 * suffix) and one per failure, or the results as JSON; returns the worst status.
 * count, the number of requests, sizes the call timeout.
 */
int idxdctl_bus_create_batch(Idxdctl *ctl, sd_bus_message *call, size_t count, const char *suffix);

void idxdctl_bus_close(Idxdctl *ctl);

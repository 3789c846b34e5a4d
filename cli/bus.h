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

/* Sends a call whose reply is (s uuid, o path): CreateMdev, DefineMdev, StartMdev. Strings point into *ret_reply. */
int idxdctl_bus_call_uuid_path(Idxdctl *ctl, sd_bus_message *call, sd_bus_message **ret_reply,
                               const char **ret_uuid, const char **ret_path);

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

typedef struct Progress Progress;

/*
 * Many calls, a few in flight at a time (dbus-daemon limits pending replies
 * per connection): build(i) makes call i, done(i) is told its reply or its
 * error (a D-Bus error set, reply NULL). progress, if not NULL, counts the
 * replies. Returns 0 or an exit status after one line (the bus failed).
 */
typedef int (*IdxdctlBuildCall)(Idxdctl *ctl, size_t index, sd_bus_message **ret_call, void *userdata);
typedef void (*IdxdctlCallDone)(size_t index, sd_bus_message *reply, const sd_bus_error *error, void *userdata);
int idxdctl_bus_call_many(Idxdctl *ctl, size_t n, IdxdctlBuildCall build, IdxdctlCallDone done,
                          Progress *progress, void *userdata);

void idxdctl_bus_close(Idxdctl *ctl);

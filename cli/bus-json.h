/* SPDX-License-Identifier: GPL-2.0-or-later */
/* D-Bus values as json-c objects, and records with a fixed set of keys. */
#pragma once

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);
#define _cleanup_json_ _cleanup_(json_object_putp)

/*
 * Reads the next complete value of m as JSON: a{sv} and other dicts become
 * objects (keys in message order), other arrays and structs arrays, variants
 * their content, integers, booleans, doubles and strings themselves.
 * Returns 0 or a negative errno.
 */
int bus_message_read_json(sd_bus_message *m, struct json_object **ret);

/*
 * A new object with exactly the keys in keys (a NULL-terminated list), in that
 * order, taking values from src; a key src lacks is null. This is what keeps
 * the keys of "idxdctl --json" stable whatever the daemon sends.
 */
struct json_object *json_record_new(struct json_object *src, const char *const *keys);

/* The same for every element of an array; elements that are not objects are left out. */
struct json_object *json_records_new(struct json_object *src_array, const char *const *keys);

/* The string value of key, or NULL when absent, null or not a string. */
const char *json_record_string(struct json_object *o, const char *key);

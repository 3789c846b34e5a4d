/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: mdevctl definition files. An accepted file must survive
 * the trip into an idxdd definition file and back unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mdevctl-import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        IdxdDefinition *d = NULL, *again = NULL;
        char *error = NULL, *json = NULL, *json2 = NULL;

        if (idxd_mdevctl_parse("/etc/mdevctl.d/0000:6a:01.0/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001",
                               "0000:6a:01.0", "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001",
                               (const char *) data, size, &d, &error) < 0) {
                if (!error)
                        abort(); /* every failure says why */
                free(error);
                return 0;
        }
        if (error || !d->persistent || d->origin != IDXD_ORIGIN_MDEVCTL)
                abort();
        if (idxd_definition_to_json(d, &json) < 0 ||
            idxd_definition_from_json("d.json", json, strlen(json), &again, &error) < 0 ||
            idxd_definition_to_json(again, &json2) < 0 || strcmp(json, json2) != 0 ||
            again->n_attrs != d->n_attrs)
                abort();
        free(json);
        free(json2);
        idxd_definition_free(d);
        idxd_definition_free(again);
        return 0;
}

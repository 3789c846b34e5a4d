/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: mdevctl's formats as the importer reads them — one
 * definition file, `mdevctl list --dumpjson` output, a --jsonfile. Every
 * refusal says why and names the mdev; every accepted definition must
 * survive the trip into an idxdd definition file and back, and the JSON
 * idxdd's mdevctl prints for it must read back as the same definition.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mdevctl-import.h"
#include "mdevctl-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_definition(const IdxdDefinition *d) {
        IdxdDefinition *again = NULL, *config = NULL;
        char *error = NULL, *json = NULL, *json2 = NULL, *text = NULL;

        if (!d->persistent || d->origin != IDXD_ORIGIN_MDEVCTL || !d->type || !d->parent)
                abort();
        if (idxd_definition_to_json(d, &json) < 0 ||
            idxd_definition_from_json("d.json", json, strlen(json), &again, &error) < 0 ||
            idxd_definition_to_json(again, &json2) < 0 || strcmp(json, json2) != 0 ||
            again->n_attrs != d->n_attrs)
                abort();
        /* What `mdevctl list --dumpjson -u` prints reads back the same. */
        if (mdevctl_json_config_text(d, true, &text) < 0 ||
            idxd_mdevctl_parse_jsonfile("c", text, strlen(text), &config, &error) < 0 ||
            strcmp(config->type, d->type) != 0 || config->autostart != d->autostart || config->n_attrs != d->n_attrs)
                abort();
        for (size_t i = 0; i < d->n_attrs; i++)
                if (strcmp(config->attrs[i].name, d->attrs[i].name) != 0 ||
                    strcmp(config->attrs[i].value, d->attrs[i].value) != 0)
                        abort();
        free(json);
        free(json2);
        free(text);
        idxd_definition_free(again);
        idxd_definition_free(config);
}

static void check_load(const IdxdStoreLoad *l) {
        for (size_t i = 0; i < l->n_errors; i++)
                if (!l->errors[i] || !*l->errors[i])
                        abort(); /* every failure says why */
        for (size_t i = 0; i < l->n_definitions; i++)
                check_definition(l->definitions[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        IdxdStoreLoad l = {};
        IdxdDefinition *d = NULL;
        char *error = NULL;

        if (idxd_mdevctl_parse_file("/etc/mdevctl.d/0000:6a:01.0/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001",
                                    "0000:6a:01.0", "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001",
                                    (const char *) data, size, &l) < 0 || l.n_definitions + l.n_errors != 1)
                abort();
        /* a refusal of one mdev names it */
        if (l.n_errors == 1 && !strstr(l.errors[0], "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"))
                abort();
        check_load(&l);
        idxd_store_load_done(&l);

        if (idxd_mdevctl_parse_dump("dump.json", (const char *) data, size, &l) < 0)
                abort();
        check_load(&l);
        idxd_store_load_done(&l);

        if (idxd_mdevctl_parse_jsonfile("f", (const char *) data, size, &d, &error) < 0) {
                if (!error)
                        abort();
                free(error);
        } else
                idxd_definition_free(d);
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parent-mdevs.h"
#include "uuid.h"

#define FIELDS 5

static int compare_lines(const void *a, const void *b) {
        return strcmp(((const ParentMdevLine *) a)->uuid, ((const ParentMdevLine *) b)->uuid);
}

/* The next space-separated field of the line at *p, NUL-terminated in place; NULL at the line's end. */
static char *next_field(char **p) {
        char *s = *p, *start;

        while (*s == ' ')
                s++;
        if (*s == '\0')
                return NULL;
        start = s;
        while (*s != ' ' && *s != '\0')
                s++;
        if (*s == ' ')
                *s++ = '\0';
        *p = s;
        return start;
}

static bool parse_line(char *line, ParentMdevLine *ret) {
        const char *f[FIELDS];
        IdxdUuid uuid;

        for (size_t i = 0; i < FIELDS; i++) {
                f[i] = next_field(&line);
                if (!f[i])
                        return false;
        }
        if (idxd_uuid_parse(f[0], &uuid) < 0)
                return false;
        *ret = (ParentMdevLine) {
                .uuid = f[0], .type = f[1], .wq = f[2], .ims_vectors = f[3], .iommu_group = f[4],
        };
        return true;
}

int parent_mdevs_parse(char *text, ParentMdevLine **ret, size_t *ret_n) {
        ParentMdevLine *lines = NULL;
        size_t n = 0, allocated = 0;

        for (char *line = text, *end; line && *line; line = end) {
                ParentMdevLine l;

                end = strchr(line, '\n');
                if (end)
                        *end++ = '\0';
                if (!parse_line(line, &l))
                        continue;
                if (n == allocated) {
                        ParentMdevLine *grown;

                        allocated = allocated ? allocated * 2 : 64;
                        grown = reallocarray(lines, allocated, sizeof(*lines));
                        if (!grown) {
                                free(lines);
                                return -ENOMEM;
                        }
                        lines = grown;
                }
                lines[n++] = l;
        }
        if (n > 1)
                qsort(lines, n, sizeof(*lines), compare_lines);
        *ret = lines;
        *ret_n = n;
        return 0;
}

const ParentMdevLine *parent_mdevs_find(const ParentMdevLine *lines, size_t n, const char *uuid) {
        const ParentMdevLine key = { .uuid = uuid };

        if (n == 0)
                return NULL;
        return bsearch(&key, lines, n, sizeof(*lines), compare_lines);
}

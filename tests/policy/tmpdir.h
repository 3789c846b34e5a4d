/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scratch directories for the core's tests (cmocka asserts on failure). */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* /tmp/<prefix>-XXXXXX, made. */
static inline char *tmp_dir_new(const char *prefix) {
        char *dir = NULL;

        assert_true(asprintf(&dir, "/tmp/%s-XXXXXX", prefix) > 0);
        assert_non_null(mkdtemp(dir));
        return dir;
}

/* Removes it and all in it (read-only parts too), and frees the name. */
static inline void tmp_dir_remove(char *dir) {
        char *cmd = NULL;

        assert_true(asprintf(&cmd, "chmod -R u+w '%s'; rm -rf '%s'", dir, dir) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        free(dir);
}

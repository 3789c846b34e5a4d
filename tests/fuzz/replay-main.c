/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs a libFuzzer target over files without libFuzzer: each argument is a
 * file or a directory of files. meson test uses it to replay the seed corpora
 * and every crash input kept in regressions/.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
        char *text = NULL;
        size_t length;
        int r = idxd_read_file(path, &text, &length, NULL);

        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r;
        }
        printf("%s\n", path);
        (void) LLVMFuzzerTestOneInput((const uint8_t *) text, length);
        free(text);
        return 0;
}

int main(int argc, char **argv) {
        size_t n = 0;

        for (int i = 1; i < argc; i++) {
                struct dirent **list = NULL;
                struct stat st;
                int k;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                        return 1;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (run_file(argv[i]) < 0)
                                return 1;
                        n++;
                        continue;
                }
                k = scandir(argv[i], &list, NULL, alphasort);
                if (k < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                        return 1;
                }
                for (int j = 0; j < k; j++) {
                        char *path = NULL;

                        if (list[j]->d_name[0] != '.' &&
                            asprintf(&path, "%s/%s", argv[i], list[j]->d_name) >= 0) {
                                if (run_file(path) < 0)
                                        return 1;
                                n++;
                        }
                        free(path);
                        free(list[j]);
                }
                free(list);
        }
        printf("%zu inputs, no crash\n", n);
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"
#include "tmpdir.h"

#define UUID_A "c010257f-57d9-5628-8a3f-3451dea404ed"
#define UUID_B "00000000-0000-4000-8000-00000000000b"
#define SKIP_CHILD 77

static IdxdDefinition *make_definition(const char *uuid, const char *domain) {
        IdxdDefinition *d = calloc(1, sizeof(*d));

        assert_non_null(d);
        assert_int_equal(idxd_uuid_parse(uuid, &d->uuid), 0);
        idxd_uuid_format(&d->uuid, d->uuid_string);
        d->parent = strdup("idxd_sim.0");
        d->type = strdup("idxd_mdev-dsa-1swq-v1");
        d->domain = domain ? strdup(domain) : NULL;
        d->persistent = true;
        d->autostart = true;
        d->origin = IDXD_ORIGIN_POLICY;
        d->pool = strdup("dsa");
        assert_int_equal(idxd_definition_add_attr(d, "zeta", "1"), 0);
        assert_int_equal(idxd_definition_add_attr(d, "alpha", "two words"), 0);
        return d;
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void write_text(const char *dir, const char *name, const char *text) {
        char *path = NULL;
        FILE *f;

        assert_true(asprintf(&path, "%s/mdevs/%s", dir, name) > 0);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        free(path);
}

static size_t count_files(const char *dir) {
        struct dirent *de;
        size_t n = 0;
        DIR *d = opendir(dir);

        assert_non_null(d);
        while ((de = readdir(d)))
                n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0);
        closedir(d);
        return n;
}

static void test_json_round_trip(void **state) {
        IdxdDefinition *d = make_definition(UUID_A, "vm1"), *again = NULL;
        char *json = NULL, *json2 = NULL, *error = NULL;

        assert_int_equal(idxd_definition_to_json(d, &json), 0);
        assert_non_null(strstr(json, "\"uuid\": \"" UUID_A "\""));
        assert_non_null(strstr(json, "\"origin\": \"policy\""));
        assert_int_equal(idxd_definition_from_json("d.json", json, strlen(json), &again, &error), 0);
        assert_null(error);
        assert_string_equal(again->uuid_string, UUID_A);
        assert_string_equal(again->parent, "idxd_sim.0");
        assert_string_equal(again->type, "idxd_mdev-dsa-1swq-v1");
        assert_string_equal(again->domain, "vm1");
        assert_string_equal(again->pool, "dsa");
        assert_int_equal(again->origin, IDXD_ORIGIN_POLICY);
        assert_true(again->persistent);
        assert_true(again->autostart);
        /* attrs keep their order */
        assert_int_equal(again->n_attrs, 2);
        assert_string_equal(again->attrs[0].name, "zeta");
        assert_string_equal(again->attrs[1].name, "alpha");
        assert_string_equal(again->attrs[1].value, "two words");
        assert_int_equal(idxd_definition_to_json(again, &json2), 0);
        assert_string_equal(json, json2);
        free(json);
        free(json2);
        idxd_definition_free(d);
        idxd_definition_free(again);
}

static void expect_definition_error(const char *text, const char *expected) {
        IdxdDefinition *d = NULL;
        char *error = NULL;

        assert_int_equal(idxd_definition_from_json("d.json", text, strlen(text), &d, &error), -EBADMSG);
        assert_null(d);
        assert_string_equal(error, expected);
        free(error);
}

static void test_json_errors(void **state) {
        expect_definition_error("{\"uuid\": \"nope\", \"parent\": \"p\", \"type\": \"t\"}",
                                "d.json:1:10: \"uuid\" is not a valid UUID: \"nope\"");
        expect_definition_error("{\"uuid\": \"" UUID_A "\", \"type\": \"t\"}",
                                "d.json:1:1: definition is missing required key \"parent\"");
        expect_definition_error("{\"uuid\": \"" UUID_A "\", \"parent\": \"../x\", \"type\": \"t\"}",
                                "d.json:1:60: \"parent\" is not a parent name: \"../x\"");
        expect_definition_error("{\"uuid\": \"" UUID_A "\", \"parent\": \"p\", \"type\": \"t\", \"origin\": \"me\"}",
                                "d.json:1:88: \"origin\" must be \"cli\", \"policy\" or \"mdevctl\", not \"me\"");
        expect_definition_error("{\"version\": 2}", "d.json:1:13: \"version\" must be between 1 and 1, not 2");
        expect_definition_error("{\"uuid\": \"" UUID_A "\", \"parent\": \"p\", \"type\": \"t\", \"attrs\": [{\"a\": 1}]}",
                                "d.json:1:94: \"a\" must be a string, not an integer");
}

/* vfio-ap's attributes are commands: one name, written several times, in order. */
static void test_repeated_attrs(void **state) {
        static const char text[] = "{\"uuid\": \"" UUID_A "\", \"parent\": \"matrix\", \"type\": \"vfio_ap-passthrough\", "
                "\"attrs\": [{\"assign_adapter\": \"5\"}, {\"assign_adapter\": \"6\"}, {\"assign_domain\": \"0xab\"}]}";
        IdxdDefinition *d = NULL, *copy = NULL;
        char *error = NULL;

        assert_int_equal(idxd_definition_from_json("d.json", text, strlen(text), &d, &error), 0);
        assert_int_equal(d->n_attrs, 3);
        assert_string_equal(d->attrs[0].name, "assign_adapter");
        assert_string_equal(d->attrs[0].value, "5");
        assert_string_equal(d->attrs[1].name, "assign_adapter");
        assert_string_equal(d->attrs[1].value, "6");

        /* insert and remove by position, as `mdevctl modify --addattr/--delattr --index` */
        assert_int_equal(idxd_definition_insert_attr(d, 1, "assign_control_domain", "0xab"), 0);
        assert_string_equal(d->attrs[1].name, "assign_control_domain");
        assert_string_equal(d->attrs[2].value, "6");
        assert_int_equal(idxd_definition_insert_attr(d, 5, "x", "1"), -ERANGE);
        assert_int_equal(idxd_definition_insert_attr(d, 4, "last", "1"), 0);
        assert_string_equal(d->attrs[4].name, "last");
        assert_int_equal(idxd_definition_remove_attr(d, 0), 0);
        assert_string_equal(d->attrs[0].name, "assign_control_domain");
        assert_int_equal(idxd_definition_remove_attr(d, 4), -ERANGE);
        assert_int_equal(d->n_attrs, 4);

        assert_int_equal(idxd_definition_copy(d, &copy), 0);
        assert_true(idxd_definition_equal(d, copy));
        assert_int_equal(idxd_definition_remove_attr(copy, 3), 0);
        assert_false(idxd_definition_equal(d, copy));
        idxd_definition_free(d);
        idxd_definition_free(copy);
}

/* One UUID under two parents, as mdevctl allows: "<uuid>.json" and "<uuid>@<parent>.json". */
static void test_two_parents(void **state) {
        char *dir = tmp_dir_new("test-store"), *path = NULL;
        IdxdDefinition *a = make_definition(UUID_A, NULL), *b = make_definition(UUID_A, NULL);
        IdxdStoreLoad l = {};
        char *name = NULL;

        free(b->parent);
        b->parent = strdup("0000:6a:01.0");
        b->parent_in_file_name = true;
        assert_int_equal(idxd_store_file_name(b, &name), 0);
        assert_string_equal(name, UUID_A "@0000:6a:01.0.json");
        free(name);
        assert_int_equal(idxd_store_save(dir, a), 0);
        assert_int_equal(idxd_store_save(dir, b), 0);
        /* a second file for the same UUID and parent is reported, the plain one kept */
        write_text(dir, UUID_A "@idxd_sim.0.json", "{\"uuid\": \"" UUID_A "\", \"parent\": \"idxd_sim.0\", \"type\": \"t\"}");
        /* the parent in the name and in the file must agree */
        write_text(dir, UUID_B "@p1.json", "{\"uuid\": \"" UUID_B "\", \"parent\": \"p2\", \"type\": \"t\"}");

        assert_int_equal(idxd_store_load(dir, &l), 0);
        assert_int_equal(l.n_definitions, 2);
        assert_string_equal(l.definitions[0]->parent, "0000:6a:01.0");
        assert_true(l.definitions[0]->parent_in_file_name);
        assert_string_equal(l.definitions[1]->parent, "idxd_sim.0");
        assert_false(l.definitions[1]->parent_in_file_name);
        assert_string_equal(l.definitions[1]->type, "idxd_mdev-dsa-1swq-v1");
        assert_int_equal(l.n_errors, 2);
        qsort(l.errors, l.n_errors, sizeof(char *), strcmp_ptr);
        assert_non_null(strstr(l.errors[0], UUID_B "@p1.json: \"parent\" does not match the file name"));
        assert_non_null(strstr(l.errors[1], UUID_A "@idxd_sim.0.json: a second file for this UUID and parent, ignored"));
        idxd_store_load_done(&l);

        assert_int_equal(idxd_store_remove(dir, b), 0);
        assert_true(asprintf(&path, "%s/mdevs/" UUID_A ".json", dir) > 0);
        assert_int_equal(access(path, F_OK), 0);
        free(path);
        idxd_definition_free(a);
        idxd_definition_free(b);
        tmp_dir_remove(dir);
}

static void test_save_load(void **state) {
        char *dir = tmp_dir_new("test-store"), *mdevs = NULL, *path = NULL;
        IdxdDefinition *a = make_definition(UUID_A, "vm1"), *b = make_definition(UUID_B, NULL);
        IdxdStoreLoad l = {};
        struct stat st;

        /* nothing saved yet: an empty result, not an error */
        assert_int_equal(idxd_store_load(dir, &l), 0);
        assert_int_equal(l.n_definitions, 0);
        idxd_store_load_done(&l);

        assert_int_equal(idxd_store_save(dir, b), 0);
        assert_int_equal(idxd_store_save(dir, a), 0);
        /* replacing is atomic and leaves no temp file */
        free(a->domain);
        a->domain = strdup("vm9");
        assert_int_equal(idxd_store_save(dir, a), 0);

        assert_true(asprintf(&mdevs, "%s/mdevs", dir) > 0);
        assert_int_equal(count_files(mdevs), 2);
        assert_true(asprintf(&path, "%s/" UUID_A ".json", mdevs) > 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0644);

        assert_int_equal(idxd_store_load(dir, &l), 0);
        assert_int_equal(l.n_errors, 0);
        assert_int_equal(l.n_definitions, 2);
        /* sorted by UUID */
        assert_string_equal(l.definitions[0]->uuid_string, UUID_B);
        assert_null(l.definitions[0]->domain);
        assert_string_equal(l.definitions[1]->domain, "vm9");
        idxd_store_load_done(&l);

        assert_int_equal(idxd_store_remove(dir, b), 0);
        assert_int_equal(idxd_store_remove(dir, b), -ENOENT);
        assert_int_equal(count_files(mdevs), 1);

        free(mdevs);
        free(path);
        idxd_definition_free(a);
        idxd_definition_free(b);
        tmp_dir_remove(dir);
}

static void test_corrupt_files(void **state) {
        char *dir = tmp_dir_new("test-store"), *expected = NULL;
        IdxdDefinition *a = make_definition(UUID_A, "vm1");
        IdxdStoreLoad l = {};

        assert_int_equal(idxd_store_save(dir, a), 0);
        write_text(dir, UUID_B ".json", "{\"uuid\": \"" UUID_B "\", \"parent\":");
        write_text(dir, "00000000-0000-4000-8000-00000000000c.json", "{\"uuid\": \"" UUID_B "\", \"parent\": \"p\", \"type\": \"t\"}");
        write_text(dir, "00000000-0000-4000-8000-00000000000D.json", "{}");
        write_text(dir, "notes.txt", "hello");
        write_text(dir, ".x.json.AbCdEf", "a temp file of an interrupted write");

        assert_int_equal(idxd_store_load(dir, &l), 0);
        assert_int_equal(l.n_definitions, 1);
        assert_string_equal(l.definitions[0]->uuid_string, UUID_A);
        assert_int_equal(l.n_errors, 4);
        /* readdir order is arbitrary: sort the messages */
        qsort(l.errors, l.n_errors, sizeof(char *), strcmp_ptr);
        assert_true(asprintf(&expected, "%s/mdevs/" UUID_B ".json:1:59: unexpected end of file (truncated JSON)", dir) > 0);
        assert_string_equal(l.errors[1], expected);
        free(expected);
        assert_true(asprintf(&expected, "%s/mdevs/00000000-0000-4000-8000-00000000000c.json: \"uuid\" does not match the file name", dir) > 0);
        assert_string_equal(l.errors[2], expected);
        free(expected);
        assert_true(asprintf(&expected, "%s/mdevs/00000000-0000-4000-8000-00000000000D.json: not a definition file name (<uuid>.json or <uuid>@<parent>.json), ignored", dir) > 0);
        assert_string_equal(l.errors[0], expected);
        free(expected);
        idxd_store_load_done(&l);

        /* the corrupt file is still there for a human to look at */
        assert_true(asprintf(&expected, "%s/mdevs/" UUID_B ".json", dir) > 0);
        assert_int_equal(access(expected, F_OK), 0);
        free(expected);

        idxd_definition_free(a);
        tmp_dir_remove(dir);
}

/* Runs fn in a child (a private mount namespace, maybe another user) and returns the errno it reports. */
static int in_child(int (*fn)(const char *dir), const char *dir) {
        int status;
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                int r = fn(dir);

                _exit(r == SKIP_CHILD ? SKIP_CHILD : r < 0 ? -r : 0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

static int save_as_nobody(const char *dir) {
        IdxdDefinition *d = make_definition(UUID_A, "vm1");

        if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
                return SKIP_CHILD;
        return idxd_store_save(dir, d);
}

static int save_on_readonly_mount(const char *dir) {
        IdxdDefinition *d = make_definition(UUID_A, "vm1");

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", dir, "tmpfs", MS_RDONLY, NULL) < 0)
                return SKIP_CHILD;
        return idxd_store_save(dir, d);
}

static int save_on_full_mount(const char *dir) {
        IdxdDefinition *d = make_definition(UUID_A, "vm1");
        char *big = malloc(256 * 1024), *tmp = NULL;
        int r;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", dir, "tmpfs", 0, "size=64k") < 0)
                return SKIP_CHILD;
        memset(big, 'x', 256 * 1024 - 1);
        big[256 * 1024 - 1] = 0;
        (void) idxd_definition_add_attr(d, "big", big);
        r = idxd_store_save(dir, d);
        /* a failed write leaves no temp file behind */
        if (asprintf(&tmp, "%s/mdevs", dir) < 0 || count_files(tmp) != 0)
                return -EEXIST;
        return r;
}

static void test_write_errors(void **state) {
        char *dir = tmp_dir_new("test-store"), *mdevs = NULL;
        int r;

        assert_true(asprintf(&mdevs, "%s/mdevs", dir) > 0);
        assert_int_equal(mkdir(mdevs, 0755), 0);
        assert_int_equal(chmod(mdevs, 0555), 0);
        r = in_child(save_as_nobody, dir);
        if (r != SKIP_CHILD)
                assert_int_equal(r, EACCES);
        assert_int_equal(chmod(mdevs, 0755), 0);

        r = in_child(save_on_readonly_mount, dir);
        if (r == SKIP_CHILD)
                print_message("no mount namespace: EROFS and ENOSPC not tested\n");
        else {
                assert_int_equal(r, EROFS);
                assert_int_equal(in_child(save_on_full_mount, dir), ENOSPC);
        }
        free(mdevs);
        tmp_dir_remove(dir);
}

static void test_read_file(void **state) {
        char *text = NULL;
        size_t n;

        assert_int_equal(idxd_read_file("/nonexistent", &text, &n, NULL), -ENOENT);
        assert_int_equal(idxd_read_file("/tmp", &text, &n, NULL), -EISDIR);
        assert_int_equal(idxd_read_file("/dev/null", &text, &n, NULL), -EBADFD);
        assert_string_equal(idxd_origin_to_string(IDXD_ORIGIN_MDEVCTL), "mdevctl");
        assert_int_equal(idxd_origin_from_string("cli"), IDXD_ORIGIN_CLI);
        assert_int_equal(idxd_origin_from_string("x"), -EINVAL);
}

/* <dir>/mdevs/<name>, where write_text() writes. */
static char *path_in(const char *dir, const char *name) {
        char *p = NULL;

        assert_true(asprintf(&p, "%s/mdevs/%s", dir, name) > 0);
        return p;
}

static void write_file_mode(const char *dir, const char *name, const char *text, mode_t mode) {
        char *path = path_in(dir, name);

        write_text(dir, name, text);
        assert_int_equal(chmod(path, mode), 0);
        free(path);
}

/* Reads path expecting errno r and a message that contains what. */
static void assert_read_refused(const char *path, int r, const char *what) {
        char *text = NULL, *error = NULL;
        size_t n;

        assert_int_equal(idxd_read_file(path, &text, &n, &error), r);
        assert_null(text);
        assert_non_null(error);
        if (!strstr(error, what) || strncmp(error, path, strlen(path)) != 0)
                fail_msg("\"%s\" does not name the file and say \"%s\"", error, what);
        free(error);
}

/* FIFO, link, foreign owner, writable mode: refused at once, naming the file (issue 14). */
static void test_read_file_refusals(void **state) {
        char *dir = tmp_dir_new("test-store"), *mdevs = NULL;
        char *fifo = path_in(dir, "fifo.json"), *link = path_in(dir, "link.json"), *good = path_in(dir, "good.json");
        char *world = path_in(dir, "world.json"), *group = path_in(dir, "group.json"), *foreign = path_in(dir, "foreign.json");
        char *text = NULL;
        size_t n;

        assert_true(asprintf(&mdevs, "%s/mdevs", dir) > 0);
        assert_int_equal(mkdir(mdevs, 0755), 0);
        write_file_mode(dir, "good.json", "{}\n", 0644);
        assert_int_equal(idxd_read_file(good, &text, &n, NULL), 0);
        assert_string_equal(text, "{}\n");
        free(text);

        /* A FIFO nobody writes to would block a plain open() for ever. */
        assert_int_equal(mkfifo(fifo, 0644), 0);
        assert_read_refused(fifo, -EBADFD, "not a regular file (a FIFO)");
        assert_int_equal(symlink(good, link), 0);
        assert_read_refused(link, -ELOOP, "a symbolic link");
        write_file_mode(dir, "world.json", "{}\n", 0666);
        assert_read_refused(world, -EPERM, "writable by group and others (mode 0666)");
        write_file_mode(dir, "group.json", "{}\n", 0664);
        assert_read_refused(group, -EPERM, "writable by its group (mode 0664)");
        write_file_mode(dir, "foreign.json", "{}\n", 0644);
        if (geteuid() == 0) {
                assert_int_equal(chown(foreign, 65534, 65534), 0);
                assert_read_refused(foreign, -EPERM, "owned by uid 65534, not by root");
        } else
                print_message("not root: a file of another owner not tested\n");

        free(fifo);
        free(link);
        free(good);
        free(world);
        free(group);
        free(foreign);
        free(mdevs);
        tmp_dir_remove(dir);
}

/* A definition file that is a FIFO is skipped with its reason; the others load. */
static void test_load_skips_fifo(void **state) {
        char *dir = tmp_dir_new("test-store"), *mdevs = NULL, *fifo = NULL;
        IdxdDefinition *a = make_definition(UUID_A, "vm1");
        IdxdStoreLoad l = {};

        assert_int_equal(idxd_store_save(dir, a), 0);
        assert_true(asprintf(&mdevs, "%s/mdevs", dir) > 0);
        assert_true(asprintf(&fifo, "%s/" UUID_B ".json", mdevs) > 0);
        assert_int_equal(mkfifo(fifo, 0644), 0);
        assert_int_equal(idxd_store_load(dir, &l), 0);
        assert_int_equal(l.n_definitions, 1);
        assert_int_equal(l.n_errors, 1);
        assert_non_null(strstr(l.errors[0], fifo));
        assert_non_null(strstr(l.errors[0], "FIFO"));
        idxd_store_load_done(&l);
        idxd_definition_free(a);
        free(fifo);
        free(mdevs);
        tmp_dir_remove(dir);
}

/* "\u0000" would cut every C string short: refused with its position. */
static void test_json_nul_escape(void **state) {
        static const char text[] = "{ \"uuid\": \"" UUID_A "\", \"parent\": \"idxd_sim.0\", "
                                   "\"type\": \"idxd_mdev-dsa-1swq-v1\", \"domain\": \"vm1\\u0000evil\" }";
        IdxdDefinition *d = NULL;
        char *error = NULL;

        assert_int_equal(idxd_definition_from_json("d.json", text, strlen(text), &d, &error), -EBADMSG);
        assert_null(d);
        assert_non_null(error);
        assert_non_null(strstr(error, "d.json:1:"));
        assert_non_null(strstr(error, "NUL character"));
        free(error);
}

/* The same domain rule as the policy: no newline (it would split list rows), at most 255 bytes. */
static void test_domain_names(void **state) {
        char long_name[IDXD_DOMAIN_NAME_MAX + 2];

        assert_true(idxd_domain_name_valid("vm-1.example"));
        assert_false(idxd_domain_name_valid(""));
        assert_false(idxd_domain_name_valid("vm1\nfake row"));
        assert_false(idxd_domain_name_valid("a/b"));
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = 0;
        assert_false(idxd_domain_name_valid(long_name));
        long_name[IDXD_DOMAIN_NAME_MAX] = 0;
        assert_true(idxd_domain_name_valid(long_name));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_json_round_trip),
                cmocka_unit_test(test_json_errors),
                cmocka_unit_test(test_repeated_attrs),
                cmocka_unit_test(test_two_parents),
                cmocka_unit_test(test_save_load),
                cmocka_unit_test(test_corrupt_files),
                cmocka_unit_test(test_write_errors),
                cmocka_unit_test(test_read_file),
                cmocka_unit_test(test_read_file_refusals),
                cmocka_unit_test(test_load_skips_fifo),
                cmocka_unit_test(test_json_nul_escape),
                cmocka_unit_test(test_domain_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl: the state shared by the dispatcher and the verbs. */
#pragma once

#include <getopt.h>
#include <stdbool.h>

#include <systemd/sd-bus.h>

/* Exit statuses; documented in docs/idxdctl.1.scd. */
enum {
        IDXDCTL_EXIT_OK = 0,
        IDXDCTL_EXIT_FAILURE = 1,
        IDXDCTL_EXIT_USAGE = 2,
};

typedef struct IdxdctlVerb IdxdctlVerb;

typedef struct Idxdctl {
        const char *address;    /* NULL: the system bus ($DBUS_SYSTEM_BUS_ADDRESS) */
        bool json;
        bool help;
        bool version;
        bool no_ask_password;   /* never let polkit ask for a password */
        const IdxdctlVerb *verb;        /* the verb running */
        sd_bus *bus;            /* connected on first use */
        uint64_t call_timeout_usec;     /* 0: sd-bus's default (25 s, or $SYSTEMD_BUS_TIMEOUT) */
        bool mdevctl;                   /* run as mdevctl: errors as mdevctl prints them */
        bool run_bus_while_waiting;     /* calls let signal handlers run (a progress line) */
} Idxdctl;

struct IdxdctlVerb {
        const char *name;
        const char *summary;    /* one line for "idxdctl --help" */
        const char *usage;      /* arguments after the verb name */
        const char *options;    /* option lines for "idxdctl VERB --help" */
        /* argv[0] is the verb name. Returns an IDXDCTL_EXIT_* status. */
        int (*run)(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[]);
};

extern const IdxdctlVerb verb_create;
extern const IdxdctlVerb verb_list;
extern const IdxdctlVerb verb_destroy;
extern const IdxdctlVerb verb_types;
extern const IdxdctlVerb verb_parents;
extern const IdxdctlVerb verb_status;
extern const IdxdctlVerb verb_reload;
extern const IdxdctlVerb verb_policy;
extern const IdxdctlVerb verb_import;
extern const IdxdctlVerb verb_define;
extern const IdxdctlVerb verb_undefine;
extern const IdxdctlVerb verb_modify;
extern const IdxdctlVerb verb_start;
extern const IdxdctlVerb verb_stop;
extern const IdxdctlVerb verb_monitor;

/* idxdctl run under the name mdevctl or lsmdev (cli/mdevctl.c). */
int mdevctl_main(int argc, char *argv[]);

/* Options every verb accepts after its name too; the values are below. */
enum {
        IDXDCTL_OPTION_SYSTEM = 0x100,
        IDXDCTL_OPTION_ADDRESS,
        IDXDCTL_OPTION_JSON,
        IDXDCTL_OPTION_VERSION,
        IDXDCTL_OPTION_NO_ASK_PASSWORD,
        IDXDCTL_OPTION_VERB_FIRST,      /* verbs number their long-only options from here */
};

#define IDXDCTL_GLOBAL_OPTIONS                                                  \
        { "help",    no_argument,       NULL, 'h' },                            \
        { "system",  no_argument,       NULL, IDXDCTL_OPTION_SYSTEM },          \
        { "address", required_argument, NULL, IDXDCTL_OPTION_ADDRESS },         \
        { "json",    no_argument,       NULL, IDXDCTL_OPTION_JSON },            \
        { "no-ask-password", no_argument, NULL, IDXDCTL_OPTION_NO_ASK_PASSWORD }

/* What names a new mdev, for the verbs that make or define one: -t -p -u -d. */
#define IDXDCTL_MDEV_SPEC_OPTIONS                                               \
        { "type",    required_argument, NULL, 't' },                            \
        { "parent",  required_argument, NULL, 'p' },                            \
        { "uuid",    required_argument, NULL, 'u' },                            \
        { "domain",  required_argument, NULL, 'd' }

/*
 * Helpers below return 0 to go on, or an IDXDCTL_EXIT_* failure status after
 * printing one line about it.
 */

/* Handles a getopt_long() result the verb did not: a global option, or an error getopt found. */
int idxdctl_global_option(Idxdctl *ctl, const IdxdctlVerb *verb, int c, char *argv[]);

/* Prints "idxdctl VERB --help" to stdout; returns IDXDCTL_EXIT_OK. */
int idxdctl_verb_help(const IdxdctlVerb *verb);

/* One line "idxdctl: <what>: see 'idxdctl VERB --help'" on stderr; returns IDXDCTL_EXIT_USAGE. */
int idxdctl_usage_error(const IdxdctlVerb *verb, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Fails when operands are left after option parsing: for verbs that take none. */
int idxdctl_check_no_operands(const IdxdctlVerb *verb, int argc, char *argv[]);

/*
 * Parses the command line of a verb that takes only the global options and no
 * operands. Returns true when the verb is done (--help, or a usage error) with
 * its exit status in *ret_status; false to go on.
 */
bool idxdctl_parse_global_only(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[], int *ret_status);

/*
 * getopt_long() over a verb's options that handles the global ones itself:
 * returns the next option of the verb's own, -1 at the end, or -2 after a
 * usage error with its status in *ret_status.
 */
int idxdctl_next_option(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[], const char *shortopts,
                        const struct option *options, int *ret_status);

/*
 * After a verb's own options: --help, then its operands: one UUID (put into
 * uuid, lower case) when uuid is not NULL, else none. Returns true when the
 * verb is done (help shown, or a usage error) with its status in *ret_status.
 */
bool idxdctl_end_options(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[], char *uuid, int *ret_status);

/* Checks a UUID given on the command line. */
int idxdctl_check_uuid(const IdxdctlVerb *verb, const char *uuid);

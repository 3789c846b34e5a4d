/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idxdctl: global options and the verb dispatcher. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "idxdctl.h"
#include "bus.h"
#include "uuid.h"

static const IdxdctlVerb *const verbs[] = {
        &verb_create,
        &verb_list,
        &verb_destroy,
        &verb_define,
        &verb_undefine,
        &verb_modify,
        &verb_start,
        &verb_stop,
        &verb_types,
        &verb_parents,
        &verb_status,
        &verb_reload,
        &verb_policy,
        &verb_import,
        &verb_monitor,
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

static const char global_options_help[] =
        "  -h --help          Show this help\n"
        "     --system        Talk to idxdd on the system bus (default)\n"
        "     --address ADDR  Talk to idxdd on the bus at ADDR\n"
        "     --json          Print JSON instead of a table\n"
        "     --no-ask-password\n"
        "                     Do not ask for a password when polkit wants one\n";

static void print_help(FILE *f) {
        fprintf(f,
                "Usage: idxdctl [OPTIONS...] VERB [ARGS...]\n"
                "\n"
                "Create, list and destroy VFIO mdevs through idxdd.\n"
                "\n"
                "Verbs:\n");
        for (size_t i = 0; i < N_VERBS; i++)
                fprintf(f, "  %-10s %s\n", verbs[i]->name, verbs[i]->summary);
        fprintf(f, "\nOptions:\n%s", global_options_help);
        fprintf(f,
                "     --version       Show the version\n"
                "\n"
                "'idxdctl VERB --help' describes a verb; see also idxdctl(1).\n");
}

int idxdctl_verb_help(const IdxdctlVerb *verb) {
        printf("Usage: idxdctl %s%s%s\n\n%s.\n",
               verb->name, verb->usage[0] ? " " : "", verb->usage, verb->summary);
        if (verb->options[0])
                printf("\nOptions:\n%s", verb->options);
        printf("\nGlobal options:\n%s", global_options_help);
        return IDXDCTL_EXIT_OK;
}

int idxdctl_usage_error(const IdxdctlVerb *verb, const char *format, ...) {
        va_list ap;

        fputs("idxdctl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        if (verb)
                fprintf(stderr, ": see 'idxdctl %s --help'\n", verb->name);
        else
                fputs(": see 'idxdctl --help'\n", stderr);
        return IDXDCTL_EXIT_USAGE;
}

int idxdctl_global_option(Idxdctl *ctl, const IdxdctlVerb *verb, int c, char *argv[]) {
        switch (c) {
        case 'h':
                ctl->help = true;
                return 0;
        case IDXDCTL_OPTION_SYSTEM:
                ctl->address = NULL;
                return 0;
        case IDXDCTL_OPTION_ADDRESS:
                if (!optarg[0])
                        return idxdctl_usage_error(verb, "--address needs a bus address");
                ctl->address = optarg;
                return 0;
        case IDXDCTL_OPTION_JSON:
                ctl->json = true;
                return 0;
        case IDXDCTL_OPTION_NO_ASK_PASSWORD:
                ctl->no_ask_password = true;
                return 0;
        case ':':
                /* getopt leaves the option that lacks its argument at optind - 1. */
                return idxdctl_usage_error(verb, "option '%s' needs an argument", argv[optind - 1]);
        case '?':
                if (optopt)
                        return idxdctl_usage_error(verb, "unknown option '-%c'", optopt);
                return idxdctl_usage_error(verb, "unknown option '%s'", argv[optind - 1]);
        default:
                return idxdctl_usage_error(verb, "option '%s' is not handled", argv[optind - 1]);
        }
}

int idxdctl_check_no_operands(const IdxdctlVerb *verb, int argc, char *argv[]) {
        if (optind < argc)
                return idxdctl_usage_error(verb, "unexpected argument '%s'", argv[optind]);
        return 0;
}

bool idxdctl_parse_global_only(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[], int *ret_status) {
        static const struct option options[] = {
                IDXDCTL_GLOBAL_OPTIONS,
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                r = idxdctl_global_option(ctl, verb, c, argv);
                if (r > 0) {
                        *ret_status = r;
                        return true;
                }
        }
        if (ctl->help) {
                *ret_status = idxdctl_verb_help(verb);
                return true;
        }
        r = idxdctl_check_no_operands(verb, argc, argv);
        *ret_status = r;
        return r > 0;
}

int idxdctl_next_option(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[], const char *shortopts,
                        const struct option *options, int *ret_status) {
        int c, r;

        while ((c = getopt_long(argc, argv, shortopts, options, NULL)) >= 0) {
                bool global = c == 'h' || c == ':' || c == '?' ||
                        (c >= IDXDCTL_OPTION_SYSTEM && c < IDXDCTL_OPTION_VERB_FIRST);

                if (!global)
                        return c;
                r = idxdctl_global_option(ctl, verb, c, argv);
                if (r > 0) {
                        *ret_status = r;
                        return -2;
                }
        }
        return -1;
}

bool idxdctl_end_options(Idxdctl *ctl, const IdxdctlVerb *verb, int argc, char *argv[], char *uuid, int *ret_status) {
        int r = 0;

        if (ctl->help) {
                *ret_status = idxdctl_verb_help(verb);
                return true;
        }
        if (uuid) {
                if (optind >= argc)
                        r = idxdctl_usage_error(verb, "no UUID given");
                else
                        r = idxdctl_check_uuid(verb, argv[optind]);
                if (r == 0)
                        (void) idxd_uuid_normalize(argv[optind++], uuid);
        }
        if (r == 0)
                r = idxdctl_check_no_operands(verb, argc, argv);
        *ret_status = r;
        return r > 0;
}

int idxdctl_check_uuid(const IdxdctlVerb *verb, const char *uuid) {
        IdxdUuid u;

        if (idxd_uuid_parse(uuid, &u) < 0)
                return idxdctl_usage_error(verb,
                                           "invalid UUID '%s', expected the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                                           uuid);
        return 0;
}

static const IdxdctlVerb *find_verb(const char *name) {
        for (size_t i = 0; i < N_VERBS; i++)
                if (strcmp(verbs[i]->name, name) == 0)
                        return verbs[i];
        return NULL;
}

/* Parses the options before the verb. */
static int parse_global_options(Idxdctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                IDXDCTL_GLOBAL_OPTIONS,
                { "version", no_argument, NULL, IDXDCTL_OPTION_VERSION },
                {}
        };
        int c, r;

        /* "+": stop at the verb, whose options are its own. */
        while ((c = getopt_long(argc, argv, "+:h", options, NULL)) >= 0) {
                if (c == IDXDCTL_OPTION_VERSION) {
                        ctl->version = true;
                        continue;
                }
                r = idxdctl_global_option(ctl, NULL, c, argv);
                if (r > 0)
                        return r;
        }
        return 0;
}

/* Everything but the final check that the output reached stdout. */
static int run(int argc, char *argv[]) {
        Idxdctl ctl = {};
        const IdxdctlVerb *verb;
        int r;

        opterr = 0;     /* errors are reported by idxdctl_global_option(), one line each */

        r = parse_global_options(&ctl, argc, argv);
        if (r > 0)
                return r;

        if (ctl.version) {
                printf("idxdctl %s\n", IDXD_VERSION);
                return IDXDCTL_EXIT_OK;
        }
        if (ctl.help) {
                print_help(stdout);
                return IDXDCTL_EXIT_OK;
        }
        if (optind >= argc)
                return idxdctl_usage_error(NULL, "no verb given");

        verb = find_verb(argv[optind]);
        if (!verb)
                return idxdctl_usage_error(NULL, "unknown verb '%s'", argv[optind]);

        argc -= optind;
        argv += optind;
        optind = 0;     /* glibc: 0 reinitializes getopt for the verb's own parse */

        ctl.verb = verb;
        r = verb->run(&ctl, verb, argc, argv);
        idxdctl_bus_close(&ctl);
        return r;
}

/* Run as mdevctl or lsmdev (a link with that name): mdevctl's command line. */
static bool called_as_mdevctl(const char *argv0) {
        const char *name = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;

        return strcmp(name, "mdevctl") == 0 || strcmp(name, "lsmdev") == 0;
}

int main(int argc, char *argv[]) {
        int r = argc > 0 && called_as_mdevctl(argv[0]) ? mdevctl_main(argc, argv) : run(argc, argv);

        /* A full disk or a closed pipe must not pass for success. */
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "idxdctl: writing the output failed: %m: check where the output goes\n");
                return r == IDXDCTL_EXIT_OK ? IDXDCTL_EXIT_FAILURE : r;
        }
        return r;
}

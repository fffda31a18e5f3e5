/* settings.h -- a command's settings, each declared once in a table, and
 * where their values come from: flags, the environment and an optional INI
 * file (--config FILE), with the precedence flag > environment > file >
 * default.  In the way Redis declares its configs (standardConfig) and
 * Fluent Bit its config maps: one row per setting says its flag, its type,
 * where it is stored (offsetof into the command's options struct, or a
 * setter), its help and whether it is secret; from the rows come --help,
 * the environment and file lookups, `config print` and the errors.
 *
 * Why typed assignments, not a synthetic argument list: each source's
 * value is parsed and stored directly, with its origin, by the same parser
 * (values.h); nothing is re-parsed as flags, so a value that looks like a
 * flag stays a value and no argument list is edited in place.
 *
 * Order of assignment (a later one wins; every one is validated):
 *   defaults     the row's def, parsed like any value (a row without one
 *                keeps what the command put in its struct first, e.g.
 *                sw_config_defaults for the rule)
 *   file (INI, libinih)  [CMD] (the command's name) holds flag names
 *                without dashes (brokers = .., checkpoint-interval = ..);
 *                [kafka] holds librdkafka properties, as -X does
 *                (security.protocol = SASL_SSL), skipped when the
 *                environment sets the same property.  Secrets belong in the
 *                environment (SESSIONWATCH_KAFKA_SASL_PASSWORD,
 *                SESSIONWATCH_REDIS_PASSWORD), not in files.
 *   environment  SESSIONWATCH_<FLAG> for --flag (env.h): SESSIONWATCH_BROKERS,
 *                SESSIONWATCH_CHECKPOINT_INTERVAL, ..; a switch is on for
 *                1/true/yes/on, off for 0/false/no/off or empty (an off
 *                overrides a lower source's on).  SESSIONWATCH_CONFIG names
 *                the file when --config is absent.
 *   flags        the command line, in order.
 * Repeatable settings (-X, --exclude-prefix) accumulate across sources in
 * that order instead of replacing each other.
 *
 * Each setting remembers the origin of the value in force ("flag",
 * "SESSIONWATCH_THREADS", "FILE:LINE", or NULL for the default), so an
 * error names it and `config print` shows it. */
#ifndef SW_SETTINGS_H
#define SW_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    SW_SET_STRING,   /* const char *: the text as given */
    SW_SET_SWITCH,   /* bool: true when given (false when SW_SET_NEGATED) */
    SW_SET_DURATION, /* int64_t milliseconds in [min, max] ("35m", "90s") */
    SW_SET_SIZE,     /* size_t bytes in [min, max] ("8M", "512k") */
    SW_SET_U64,      /* uint64_t in [min, max] */
    SW_SET_U32,      /* uint32_t in [min, max] */
    SW_SET_ENUM,     /* int: the index of the value in choices */
    SW_SET_CUSTOM,   /* the row's setter stores it */
} sw_setting_type;

enum {
    SW_SET_REPEATABLE = 1 << 0, /* every value accumulates (the setter appends) */
    SW_SET_SECRET = 1 << 1,     /* `config print` shows *** */
    SW_SET_NO_ENV = 1 << 2,     /* not read from SESSIONWATCH_<FLAG> */
    SW_SET_NO_FILE = 1 << 3,    /* not a key of the [CMD] section */
    SW_SET_NEGATED = 1 << 4,    /* a switch that stores false when given (--no-prefilter) */
    SW_SET_ZERO_OK = 1 << 5,    /* a duration that may also be 0 (or "0"), outside [min, max] */
};

/* A setter: stores value into field (the row's offset into the group's
 * struct).  0, or -1 with the whole message in why (or why left empty:
 * then the message is "FLAG: 'VALUE' is not WANT"). */
typedef int (*sw_setting_set_fn)(void *field, const char *value, char *why, size_t whylen);
/* How `config print` shows the value in force (masking secrets it holds). */
typedef void (*sw_setting_show_fn)(const void *field, char *buf, size_t len);

typedef struct {
    const char *flag;           /* "--topic"; a one-dash flag ("-X") also takes -XVALUE and -X=VALUE */
    sw_setting_type type;
    const char *metavar;        /* "T", "DUR" in --help; NULL for a switch */
    const char *def;            /* default, parsed like any value; NULL: the struct's own */
    size_t offset;              /* of the field in the group's struct */
    sw_setting_set_fn set;      /* SW_SET_CUSTOM */
    sw_setting_show_fn show;    /* optional, for `config print` */
    uint64_t min, max;          /* DURATION (ms), SIZE, U64, U32 */
    const char *const *choices; /* ENUM, NULL-terminated */
    const char *want;           /* "a count from 1 to 256" */
    const char *help;           /* --help text, '\n' between lines; NULL: not listed */
    unsigned flags;             /* SW_SET_* */
} sw_setting;

/* A run of settings stored in one struct, at base within the command's
 * options; heading and trailer are printed verbatim around its --help. */
typedef struct {
    const sw_setting *defs;
    size_t n;
    size_t base;
    const char *heading, *trailer;
} sw_setting_group;

#define SW_SETTING_GROUP(defs, base, heading, trailer) {defs, sizeof defs / sizeof defs[0], base, heading, trailer}

/* One command's settings: its groups, in --help order. */
typedef struct {
    const char *cmd;             /* names the [CMD] section and every message */
    const sw_setting_group *groups;
    size_t ngroups;
    const char *positional_hint; /* appended to "unexpected argument 'X'" */
    const char *const *sections; /* NULL-terminated: other commands' sections a
                                    shared file may hold, skipped */
} sw_command_settings;

typedef struct sw_settings sw_settings;

/* What sw_settings_load says (cli.h's parse convention: 0 go on). */
enum { SW_SETTINGS_OK = 0, SW_SETTINGS_HELP = 1, SW_SETTINGS_USAGE = 2 };

/* Fills opts (the command's options struct, already holding the defaults
 * that rows without def keep) from the defaults, the file, the
 * environment and argv (argv[0] is the command's name).  *out is set in
 * every case and freed by sw_settings_free; string values point into argv
 * or into *out.  SW_SETTINGS_OK, SW_SETTINGS_HELP (-h/--help given), or
 * SW_SETTINGS_USAGE after a message on stderr naming the setting and where
 * its value came from. */
int sw_settings_load(const sw_command_settings *cs, void *opts, int argc, char **argv, sw_settings **out);
void sw_settings_free(sw_settings *st);

/* For a command that parses its own argv (positional arguments and flags
 * of its own beside these settings: scan): an empty settings object (NULL
 * when out of memory), whose origins then say which settings were given.
 * No default, file or environment is read.  sw_settings_take parses
 * argv[*i] if it is one of the settings' flags, recording the origin
 * "flag": 1 consumed (and *i advanced), 0 not one of them, -1 error
 * (reported on stderr).  Free it with sw_settings_free. */
sw_settings *sw_settings_new(const sw_command_settings *cs, void *opts);
int sw_settings_take(sw_settings *st, int argc, char **argv, int *i);

/* Where the value in force of flag came from: "flag", an environment
 * variable, "FILE:LINE", or NULL (the default, or no such setting). */
const char *sw_settings_origin(const sw_settings *st, const char *flag);
/* The --config file read, or NULL. */
const char *sw_settings_file(const sw_settings *st);

/* After a check across settings failed: "sessionwatch CMD: (that value
 * comes from ORIGIN)" when flag's value came from the environment or a
 * file; nothing for a flag or a default. */
void sw_settings_blame(const sw_settings *st, const char *flag);

/* The [CMD] section of `config print`: every setting's value in force
 * (secrets masked) and its origin, as INI that --config reads back. */
void sw_settings_print(const sw_settings *st, FILE *out);

/* The --help lines of the command's settings, grouped. */
void sw_settings_help(const sw_setting_group *groups, size_t ngroups, FILE *out);

/* Parses argv[*i] if it is one of the groups' flags (without a
 * sw_settings: for commands that read no environment or file).  1 consumed
 * (and *i advanced), 0 not one of them, -1 error (reported on stderr). */
int sw_settings_match(const sw_setting_group *groups, size_t ngroups, void *opts, const char *cmd, int argc,
                      char **argv, int *i);

/* "true" forms and "false" forms of a switch's value. */
bool sw_setting_truthy(const char *v);
bool sw_setting_falsy(const char *v);

#endif

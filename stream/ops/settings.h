/* settings.h -- where a command's settings come from: flags, the
 * environment and an optional INI file (--config FILE), with the
 * precedence flag > environment > file > default.
 *
 * Why by argument list: every setting already has one parser, its flag.
 * The file's and the environment's values are turned into flags placed
 * before the command line's own (file first, then environment), so the
 * command's parser sees them in precedence order and the last value of a
 * setting wins; each argument remembers where it came from, so an invalid
 * value is reported with its origin (SESSIONWATCH_THREADS, or FILE:LINE).
 *
 *   environment  SESSIONWATCH_<FLAG> for --flag (upper case, '-' -> '_'):
 *                SESSIONWATCH_BROKERS, SESSIONWATCH_CHECKPOINT_INTERVAL, ..;
 *                a switch is on for 1/true/yes/on, off for 0/false/no/off
 *                (an off overrides a lower source's on).  SESSIONWATCH_CONFIG
 *                names the file when --config is absent.
 *   file (INI, libinih)  [run] (the command's name) holds flag names
 *                without dashes (brokers = .., checkpoint-interval = ..);
 *                [kafka] holds librdkafka properties, as -X does
 *                (security.protocol = SASL_SSL).  Secrets belong in the
 *                environment (SESSIONWATCH_KAFKA_SASL_PASSWORD,
 *                SESSIONWATCH_REDIS_PASSWORD), not in files.
 * Repeatable settings (-X, --exclude-prefix) accumulate across sources. */
#ifndef SW_SETTINGS_H
#define SW_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *flag;  /* "--topic" */
    bool takes_value;  /* false: a switch */
    const char *def;   /* default as the help states it, for `config print` */
} sw_setting;

typedef enum { SW_FROM_DEFAULT = 0, SW_FROM_FILE, SW_FROM_ENV, SW_FROM_FLAG } sw_origin_kind;

typedef struct {
    int argc;
    char **argv;          /* argv[0] is the command's name */
    sw_origin_kind *kind; /* per argument */
    char **origin;        /* per argument: "SESSIONWATCH_X", "FILE:LINE" or NULL (a flag) */
    char *config_path;    /* the file read, or NULL */
    /* Per entry of the settings table: for a switch that the environment
     * or the file set false (and no later source set true), where; else
     * NULL.  A false also removes the switch a lower source turned on. */
    char **switch_off;
    size_t nsettings;
} sw_settings;

/* Builds the argument list for cmd from its settings table, the
 * environment, the --config file and argv (argv[0] = cmd); --config is
 * consumed here.  0, or -1 with a message in err naming the file, line or
 * variable at fault. */
int sw_settings_build(const char *cmd, const sw_setting *defs, size_t n, int argc, char **argv, sw_settings *out,
                      char *err, size_t errlen);
void sw_settings_free(sw_settings *s);

/* Is argument i the value of the flag before it (a setting of defs that
 * takes a value, or -X)? */
bool sw_settings_is_value(const sw_settings *s, const sw_setting *defs, size_t n, int i);

/* After the command's parser failed at argument i: a line saying where
 * that value came from (nothing for a command-line flag). */
void sw_settings_blame(const sw_settings *s, int i, const char *cmd);

#endif

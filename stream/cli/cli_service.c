/* cli_service.c -- the settings every long-running command shares (run,
 * repartition): the metrics and health address and the log format and
 * level, declared once (settings.h), and the help of --config, -h and the
 * environment convention that settings.c implements for them. */
#include <stddef.h>
#include <string.h>

#include "cli.h"

/* Every command with a settings table: one --config file may hold all
 * their sections. */
const char *const sw_cli_config_sections[] = {"run", "repartition", NULL};

static int set_metrics_addr(void *field, const char *v, char *why, size_t len) {
    (void)why, (void)len;
    if (!strchr(v, ':')) return -1;
    *(const char **)field = v;
    return 0;
}

static int set_log_format(void *field, const char *v, char *why, size_t len) {
    (void)why, (void)len;
    return sw_log_parse_format(v, field);
}

static int set_log_level(void *field, const char *v, char *why, size_t len) {
    (void)why, (void)len;
    return sw_log_parse_level(v, field);
}

#define S(f) offsetof(sw_service_opts, f)
const sw_setting sw_cli_service_rows[3] = {
    {.flag = "--metrics-addr", .type = SW_SET_CUSTOM, .metavar = "HOST:PORT", .offset = S(metrics_addr),
     .set = set_metrics_addr, .want = "HOST:PORT (e.g. 0.0.0.0:9400)",
     .help = "serve Prometheus metrics on /metrics, liveness on /healthz and\n"
             "readiness on /readyz (see Health below) at HOST:PORT, e.g.\n"
             "0.0.0.0:9400 (default: none)"},
    {.flag = "--log-format", .type = SW_SET_CUSTOM, .metavar = "text|json", .def = "text", .offset = S(log_json),
     .set = set_log_format, .want = "text or json",
     .help = "log lines for people (default) or one JSON object per line"},
    {.flag = "--log-level", .type = SW_SET_CUSTOM, .metavar = "L", .def = "info", .offset = S(log_level),
     .set = set_log_level, .want = "error, warn, info or debug", .help = "error, warn, info (default) or debug"},
};

const char sw_cli_service_trailer[] =
    "  --config FILE             read settings from an INI file: [<command>] holds these\n"
    "                            flags' names without dashes (topic = okta-events), [kafka]\n"
    "                            holds librdkafka properties; also $SESSIONWATCH_CONFIG\n"
    "  -h, --help                this help\n"
    "\n"
    "Every flag can also come from the environment as SESSIONWATCH_<FLAG> (upper case,\n"
    "'-' as '_', e.g. SESSIONWATCH_CHECKPOINT_INTERVAL=5s; a switch takes true/false).\n"
    "Precedence: flag > environment > --config file > default.  'sessionwatch config\n"
    "print <command>' shows the effective settings with secrets masked.\n"
    "\n";

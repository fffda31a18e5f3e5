/* cli_rule.c -- the rule's settings, declared once (settings.h): the
 * table every command that runs the rule shares (scan, replay, demo, run,
 * repartition), from which come their flags, --help, environment and file
 * keys.  The defaults are core's (sw_config_defaults), so the rows carry
 * none; the limits are config.h's. */
#include <stddef.h>
#include <string.h>

#include "cli.h"
#include "window.h"

/* --exclude-prefix: the first replaces the default list, the rest add. */
static int set_exclude_prefix(void *field, const char *v, char *why, size_t len) {
    sw_config *c = field;
    if (!c->exclude_prefix_given) c->n_exclude_prefix = 0;
    c->exclude_prefix_given = true;
    if (!*v) return -1;
    if (c->n_exclude_prefix == SW_MAX_PREFIXES) {
        snprintf(why, len, "--exclude-prefix: at most %d prefixes", SW_MAX_PREFIXES);
        return -1;
    }
    c->exclude_prefix[c->n_exclude_prefix++] = v;
    return 0;
}

static void show_exclude_prefix(const void *field, char *buf, size_t len) {
    const sw_config *c = field;
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->n_exclude_prefix && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "", c->exclude_prefix[i]);
}

static int set_tenant_field(void *field, const char *v, char *why, size_t len) {
    (void)why, (void)len;
    if (!*v || v[0] == '.' || v[strlen(v) - 1] == '.' || strstr(v, "..")) return -1;
    *(const char **)field = v;
    return 0;
}

static int set_time_field(sw_time_field *t, const char *v, bool allow_kafka) {
    if (strcmp(v, "auto") == 0) *t = SW_TIME_AUTO;
    else if (strcmp(v, "event.ingested") == 0) *t = SW_TIME_INGESTED;
    else if (allow_kafka && strcmp(v, "kafka") == 0) *t = SW_TIME_KAFKA;
    else return -1;
    return 0;
}
static int set_time_kafka(void *field, const char *v, char *why, size_t len) {
    (void)why, (void)len;
    return set_time_field(field, v, true);
}
static int set_time_file(void *field, const char *v, char *why, size_t len) {
    (void)why, (void)len;
    return set_time_field(field, v, false);
}
static void show_time_field(const void *field, char *buf, size_t len) {
    static const char *const names[] = {"auto", "event.ingested", "kafka"};
    sw_time_field t = *(const sw_time_field *)field;
    snprintf(buf, len, "%s", (unsigned)t < 3 ? names[t] : "?");
}

#define C(f) offsetof(sw_config, f)
#define TIME_HELP                                                                                                   \
    "auto: published (raw Okta) or @timestamp (ECS); event.ingested:\n"                                           \
    "ECS event.ingested, the seed's timestamp override, falling back\n"                                           \
    "to auto when absent"

const sw_setting sw_cli_rule_rows[SW_CLI_RULE_ROWS] = {
    {.flag = "--window", .type = SW_SET_DURATION, .metavar = "DUR", .offset = C(window_ms), .min = 1,
     .max = SW_MAX_WINDOW_MS, .want = "a positive duration of at most 7d (e.g. 35m, 90s, 1h)",
     .help = "distinct sessions are counted within DUR of the user's newest\n"
             "event, inclusive (default 35m, at most 7d; units ms, s, m, h, d)"},
    {.flag = "--min-sessions", .type = SW_SET_U32, .metavar = "N", .offset = C(min_sessions), .min = 1, .max = SW_MAX_SESSIONS,
     .want = "a count from 1 to " SW_STR(SW_MAX_SESSIONS),
     .help = "alert at N distinct external session ids (default 3, 1.." SW_STR(SW_MAX_SESSIONS) ")"},
    {.flag = "--allowed-lateness", .type = SW_SET_DURATION, .metavar = "DUR", .offset = C(lateness_ms),
     .max = SW_MAX_LATENESS_MS, .want = "a duration of at most 7d (e.g. 10m, 0s)",
     .help = "events older than the tenant's watermark (the 4th newest of its\n"
             "actors' newest event times) minus (window + DUR) are dropped\n"
             "as too_late, and users idle that long are forgotten (default\n"
             "10m, at most 7d)"},
    {.flag = "--max-alerts", .type = SW_SET_U32, .metavar = "N", .offset = C(max_alerts), .max = UINT32_MAX,
     .want = "a count (0 = unlimited)",
     .help = "at most N alerts per tenant per 30 minutes of event time, the\n"
             "seed's max signals per run; the rest are counted as capped\n"
             "(default 100, 0 = unlimited)"},
    /* 4: who */
    {.flag = "--tenant-field", .type = SW_SET_CUSTOM, .metavar = "PATH", .offset = C(tenant_field),
     .set = set_tenant_field, .want = "a dotted path (e.g. tenant or organization.id)",
     .help = "dotted path of the tenant in each record (e.g. organization.id;\n"
             "for EventBridge the envelope first, then detail); a missing\n"
             "tenant is the default tenant \"\""},
    {.flag = "--tenant", .type = SW_SET_STRING, .metavar = "NAME", .offset = C(tenant),
     .help = "every record belongs to tenant NAME (not with --tenant-field)"},
    {.flag = "--exclude-prefix", .type = SW_SET_CUSTOM, .metavar = "P", .offset = 0, .set = set_exclude_prefix,
     .show = show_exclude_prefix, .flags = SW_SET_REPEATABLE,
     .want = "a non-empty prefix (an empty one would exclude every user)",
     .help = "exclude actors whose id or display name starts with P;\n"
             "repeatable, replaces the default list (okta)"},
    {.flag = "--exclude-case-insensitive", .type = SW_SET_SWITCH, .offset = C(exclude_case_insensitive),
     .help = "compare the exclusion prefixes ignoring ASCII case\n"
             "(the seed is case-sensitive: \"Okta System\" is counted)"},
    /* 8: hardening */
    {.flag = "--require-success", .type = SW_SET_SWITCH, .offset = C(require_success),
     .help = "count only events whose outcome.result is SUCCESS; Okta logs\n"
             "failed sign-ins as user.session.start too, so a password spray\n"
             "against one user can otherwise look like stolen sessions"},
    {.flag = "--exclude-unknown-actor", .type = SW_SET_SWITCH, .offset = C(exclude_unknown_actor),
     .help = "ignore the actor id \"unknown\" that Okta uses for sign-ins to\n"
             "nonexistent users, which would otherwise pool into one user"},
    /* 10: input */
    {.flag = "--max-record-bytes", .type = SW_SET_SIZE, .metavar = "SIZE", .offset = C(max_record_bytes), .min = 64,
     .max = 1ull << 30, .want = "a size from 64 to 1G (e.g. 1M, 256k)",
     .help = "longer records are rejected as too_large (default 8M: one Okta\n"
             "API page of 1000 events of up to ~8 KB each)"},
    {.flag = "--max-tracked-users", .type = SW_SET_U64, .metavar = "N", .offset = C(max_tracked_users),
     .max = 1ull << 40, .want = "a count (0 = no limit)",
     .help = "most keys with window state in this process (default\n"
             "10000000, ~2.3 GB; 0 = no limit); at the limit the least\n"
             "recently active keys are evicted first (counted as\n"
             "cap_evicted): their windows start over"},
    {.flag = "--max-tenants", .type = SW_SET_U64, .metavar = "N", .offset = C(max_tenants), .max = 1ull << 32,
     .want = "a count (0 = no limit)",
     .help = "most tenants with state in this process (default 100000; 0 = no\n"
             "limit); events of a further tenant are rejected too_many_tenants"},
    {.flag = "--no-prefilter", .type = SW_SET_SWITCH, .offset = C(prefilter), .flags = SW_SET_NEGATED,
     .help = "parse every record, even those that cannot hold a session start\n"
             "(slower; validates every record's JSON)"},
};

const sw_setting sw_cli_time_rows_kafka[2] = {
    {.flag = "--max-clock-skew", .type = SW_SET_DURATION, .metavar = "DUR", .offset = C(max_clock_skew_ms),
     .min = SW_MIN_CLOCK_SKEW_MS, .max = SW_MAX_CLOCK_SKEW_MS, .want = "a duration from 1s to 24h (e.g. 5m)",
     .help = "events dated after the processing clock + DUR are rejected as\n"
             "too_early, so a forged future time cannot move a watermark\n"
             "(default 5m, 1s to 24h)"},
    {.flag = "--time-field", .type = SW_SET_CUSTOM, .metavar = "F", .offset = C(time_field), .set = set_time_kafka,
     .show = show_time_field, .want = "one of auto, event.ingested, kafka",
     .help = TIME_HELP "; kafka: the message timestamp (default auto)"},
};

const sw_setting sw_cli_time_rows_file[1] = {
    {.flag = "--time-field", .type = SW_SET_CUSTOM, .metavar = "F", .offset = C(time_field), .set = set_time_file,
     .show = show_time_field, .want = "one of auto, event.ingested", .help = TIME_HELP " (default auto)"},
};

int sw_cli_rule_option(sw_config *c, sw_args *a, bool allow_kafka_time) {
    const sw_setting_group kafka[] = {SW_CLI_RULE_GROUPS(0, sw_cli_time_rows_kafka, 2)};
    const sw_setting_group file[] = {SW_CLI_RULE_GROUPS(0, sw_cli_time_rows_file, 1)};
    return sw_settings_match(allow_kafka_time ? kafka : file, SW_CLI_RULE_NGROUPS, c, a->cmd, a->argc, a->argv, &a->i);
}

int sw_cli_rule_check(const char *cmd, const sw_config *c) {
    if (c->tenant && c->tenant_field)
        return sw_cli_error(cmd, "--tenant %.200s and --tenant-field %.200s exclude each other: give --tenant NAME when "
                                 "every record belongs to one tenant, or --tenant-field PATH to read the tenant "
                                 "from each record, not both",
                            c->tenant, c->tenant_field);
    return 0;
}

void sw_cli_rule_help(FILE *out, bool allow_kafka_time) {
    const sw_setting_group kafka[] = {SW_CLI_RULE_GROUPS(0, sw_cli_time_rows_kafka, 2)};
    const sw_setting_group file[] = {SW_CLI_RULE_GROUPS(0, sw_cli_time_rows_file, 1)};
    sw_settings_help(allow_kafka_time ? kafka : file, SW_CLI_RULE_NGROUPS, out);
}

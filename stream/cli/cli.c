/* cli.c -- see cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alert.h"  /* SW_RULE_VERSION */
#include "window.h" /* SW_MAX_SESSIONS */

int sw_cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "sessionwatch %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'sessionwatch %s --help')\n", cmd);
    return 2;
}

/* stat of a path, or of stdin/stdout for "-"/NULL; false when there is none. */
static bool stat_of(const char *path, int std_fd, struct stat *st) {
    return path && strcmp(path, "-") != 0 ? stat(path, st) == 0 : fstat(std_fd, st) == 0;
}

int sw_cli_output_not_input(const char *cmd, const char *out_flag, const char *out, char *const *inputs,
                            int ninputs) {
    struct stat o, in;
    if (!stat_of(out, 1, &o)) return 0; /* not there yet: not an input either */
    /* A terminal, pipe or /dev/null on both sides is not one file's bytes. */
    if (!S_ISREG(o.st_mode)) return 0;
    for (int i = 0; i < ninputs; i++) {
        if (!stat_of(inputs[i], 0, &in) || in.st_dev != o.st_dev || in.st_ino != o.st_ino) continue;
        const char *in_name = strcmp(inputs[i], "-") == 0 ? "stdin" : inputs[i];
        if (out) return sw_cli_error(cmd, "%s %s is also the input %s: writing it would destroy that input; "
                                          "write to another file", out_flag, out, in_name);
        return sw_cli_error(cmd, "stdout is the input %s: writing alerts there would destroy that input; "
                                 "redirect stdout to another file", in_name);
    }
    return 0;
}

int sw_arg_value(sw_args *a, const char *name, const char **val) {
    const char *arg = a->argv[a->i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return 0;
    if (arg[n] == '=') {
        *val = arg + n + 1;
        a->i++;
        return 1;
    }
    if (arg[n] != '\0') return 0;
    if (a->i + 1 >= a->argc) {
        sw_cli_error(a->cmd, "%s needs a value", name);
        return -1;
    }
    *val = a->argv[a->i + 1];
    a->i += 2;
    return 1;
}

int sw_arg_flag(sw_args *a, const char *name) {
    if (strcmp(a->argv[a->i], name) != 0) return 0;
    a->i++;
    return 1;
}

static int bad(sw_args *a, const char *flag, const char *val, const char *want) {
    sw_cli_error(a->cmd, "%s: '%s' is not %s", flag, val, want);
    return -1;
}

int sw_cli_rule_option(sw_config *c, sw_args *a, bool allow_kafka_time) {
    const char *v;
    int r;
    uint64_t u;
    if ((r = sw_arg_value(a, "--window", &v))) {
        if (r < 0) return -1;
        if (sw_parse_duration(v, &c->window_ms) || c->window_ms <= 0 || c->window_ms > SW_MAX_WINDOW_MS)
            return bad(a, "--window", v, "a positive duration of at most 7d (e.g. 35m, 90s, 1h)");
        return 1;
    }
    if ((r = sw_arg_value(a, "--allowed-lateness", &v))) {
        if (r < 0) return -1;
        if (sw_parse_duration(v, &c->lateness_ms) || c->lateness_ms > SW_MAX_LATENESS_MS)
            return bad(a, "--allowed-lateness", v, "a duration of at most 7d (e.g. 10m, 0s)");
        return 1;
    }
    if ((r = sw_arg_value(a, "--min-sessions", &v))) {
        if (r < 0) return -1;
        if (sw_parse_u64(v, 1, SW_MAX_SESSIONS, &u)) return bad(a, "--min-sessions", v, "a count from 1 to " SW_STR(SW_MAX_SESSIONS));
        c->min_sessions = (uint32_t)u;
        return 1;
    }
    if ((r = sw_arg_value(a, "--max-alerts", &v))) {
        if (r < 0) return -1;
        if (sw_parse_u64(v, 0, UINT32_MAX, &u)) return bad(a, "--max-alerts", v, "a count (0 = unlimited)");
        c->max_alerts = (uint32_t)u;
        return 1;
    }
    if ((r = sw_arg_value(a, "--time-field", &v))) {
        if (r < 0) return -1;
        if (strcmp(v, "auto") == 0) c->time_field = SW_TIME_AUTO;
        else if (strcmp(v, "event.ingested") == 0) c->time_field = SW_TIME_INGESTED;
        else if (allow_kafka_time && strcmp(v, "kafka") == 0) c->time_field = SW_TIME_KAFKA;
        else return bad(a, "--time-field", v, allow_kafka_time ? "one of auto, event.ingested, kafka" : "one of auto, event.ingested");
        return 1;
    }
    if ((r = sw_arg_value(a, "--tenant-field", &v))) {
        if (r < 0) return -1;
        if (!*v || v[0] == '.' || v[strlen(v) - 1] == '.' || strstr(v, ".."))
            return bad(a, "--tenant-field", v, "a dotted path (e.g. tenant or organization.id)");
        c->tenant_field = v;
        return 1;
    }
    if ((r = sw_arg_value(a, "--tenant", &v))) {
        if (r < 0) return -1;
        c->tenant = v;
        return 1;
    }
    if ((r = sw_arg_value(a, "--exclude-prefix", &v))) {
        if (r < 0) return -1;
        /* The first --exclude-prefix replaces the default list. */
        if (!c->exclude_prefix_given) c->n_exclude_prefix = 0;
        c->exclude_prefix_given = true;
        if (!*v) return bad(a, "--exclude-prefix", v, "a non-empty prefix (an empty one would exclude every user)");
        if (c->n_exclude_prefix == SW_MAX_PREFIXES) {
            sw_cli_error(a->cmd, "--exclude-prefix: at most %d prefixes", SW_MAX_PREFIXES);
            return -1;
        }
        c->exclude_prefix[c->n_exclude_prefix++] = v;
        return 1;
    }
    if ((r = sw_arg_value(a, "--max-tracked-users", &v))) {
        if (r < 0) return -1;
        if (sw_parse_u64(v, 0, 1ull << 40, &c->max_tracked_users))
            return bad(a, "--max-tracked-users", v, "a count (0 = no limit)");
        return 1;
    }
    if ((r = sw_arg_value(a, "--max-tenants", &v))) {
        if (r < 0) return -1;
        if (sw_parse_u64(v, 0, 1ull << 32, &c->max_tenants))
            return bad(a, "--max-tenants", v, "a count (0 = no limit)");
        return 1;
    }
    if (allow_kafka_time && (r = sw_arg_value(a, "--max-clock-skew", &v))) {
        if (r < 0) return -1;
        if (sw_parse_duration(v, &c->max_clock_skew_ms) || c->max_clock_skew_ms < SW_MIN_CLOCK_SKEW_MS ||
            c->max_clock_skew_ms > SW_MAX_CLOCK_SKEW_MS)
            return bad(a, "--max-clock-skew", v, "a duration from 1s to 24h (e.g. 5m)");
        return 1;
    }
    if ((r = sw_arg_value(a, "--max-record-bytes", &v))) {
        if (r < 0) return -1;
        size_t s;
        if (sw_parse_size(v, &s) || s < 64 || s > (1ull << 30))
            return bad(a, "--max-record-bytes", v, "a size from 64 to 1G (e.g. 1M, 256k)");
        c->max_record_bytes = s;
        return 1;
    }
    if (sw_arg_flag(a, "--exclude-case-insensitive")) return c->exclude_case_insensitive = true, 1;
    if (sw_arg_flag(a, "--require-success")) return c->require_success = true, 1;
    if (sw_arg_flag(a, "--exclude-unknown-actor")) return c->exclude_unknown_actor = true, 1;
    if (sw_arg_flag(a, "--no-prefilter")) return c->prefilter = false, 1;
    return 0;
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
    fputs("Rule (defaults are Elastic's rule 621e92b6-7e54-11ee-bdc0-f661ea17fbcd v" SW_STR(SW_RULE_VERSION) "):\n"
          "  --window DUR              distinct sessions are counted within DUR of the user's newest\n"
          "                            event, inclusive (default 35m, at most 7d; units ms, s, m, h, d)\n"
          "  --min-sessions N          alert at N distinct external session ids (default 3, 1.." SW_STR(SW_MAX_SESSIONS) ")\n"
          "  --allowed-lateness DUR    events older than the tenant's watermark (the 4th newest of its\n"
          "                            actors' newest event times) minus (window + DUR) are dropped\n"
          "                            as too_late, and users idle that long are forgotten (default\n"
          "                            10m, at most 7d)\n"
          "  --max-alerts N            at most N alerts per tenant per 30 minutes of event time, the\n"
          "                            seed's max signals per run; the rest are counted as capped\n"
          "                            (default 100, 0 = unlimited)\n", out);
    if (allow_kafka_time)
        fputs("  --max-clock-skew DUR      events dated after the processing clock + DUR are rejected as\n"
              "                            too_early, so a forged future time cannot move a watermark\n"
              "                            (default 5m, 1s to 24h)\n", out);
    fprintf(out,
            "  --time-field F            auto: published (raw Okta) or @timestamp (ECS); event.ingested:\n"
            "                            ECS event.ingested, the seed's timestamp override, falling back\n"
            "                            to auto when absent%s (default auto)\n",
            allow_kafka_time ? "; kafka: the message timestamp" : "");
    fputs("  --tenant-field PATH       dotted path of the tenant in each record (e.g. organization.id;\n"
          "                            for EventBridge the envelope first, then detail); a missing\n"
          "                            tenant is the default tenant \"\"\n"
          "  --tenant NAME             every record belongs to tenant NAME (not with --tenant-field)\n"
          "  --exclude-prefix P        exclude actors whose id or display name starts with P;\n"
          "                            repeatable, replaces the default list (okta)\n"
          "  --exclude-case-insensitive  compare the exclusion prefixes ignoring ASCII case\n"
          "                            (the seed is case-sensitive: \"Okta System\" is counted)\n"
          "Hardening (off by default: the seed rule does not do it):\n"
          "  --require-success         count only events whose outcome.result is SUCCESS; Okta logs\n"
          "                            failed sign-ins as user.session.start too, so a password spray\n"
          "                            against one user can otherwise look like stolen sessions\n"
          "  --exclude-unknown-actor   ignore the actor id \"unknown\" that Okta uses for sign-ins to\n"
          "                            nonexistent users, which would otherwise pool into one user\n"
          "Input:\n"
          "  --max-record-bytes SIZE   longer records are rejected as too_large (default 8M: one Okta\n"
          "                            API page of 1000 events of up to ~8 KB each)\n"
          "  --max-tracked-users N     most keys with window state in this process (default\n"
          "                            10000000, ~2.3 GB; 0 = no limit); at the limit the least\n"
          "                            recently active keys are evicted first (counted as\n"
          "                            cap_evicted): their windows start over\n"
          "  --max-tenants N           most tenants with state in this process (default 100000; 0 = no\n"
          "                            limit); events of a further tenant are rejected too_many_tenants\n"
          "  --no-prefilter            parse every record, even those that cannot hold a session start\n"
          "                            (slower; validates every record's JSON)\n", out);
}

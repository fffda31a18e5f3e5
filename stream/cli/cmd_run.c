/* cmd_run.c -- `sessionwatch run`: the detector as a Kafka consumer group,
 * alerts to a topic.  The streaming twin of `scan` (same engine, same alert
 * bytes and ids); this file is only the command line and the signals, the
 * work is in worker.c.
 *
 * Signals: the first SIGINT/SIGTERM asks for a clean stop (finish the
 * records in hand, flush alerts, commit, leave the group, exit 0), bounded
 * by SW_STOP_MS (worker.h); a second one exits at once with 130, committing
 * nothing more. */
#include <ctype.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "kafka.h"
#include "log.h"
#include "redis.h"
#include "settings.h"
#include "worker.h"

static void usage(FILE *out) {
    fputs("Usage: sessionwatch run --brokers HOST:PORT[,...] [OPTIONS]\n"
          "\n"
          "Runs the stolen-session rule as a Kafka consumer group: reads Okta System Log\n"
          "records (one per message, keyed by user: tenant 0x1F actor id) from --topic,\n"
          "writes each alert to --alerts-topic (value: the alert JSON exactly as `scan`\n"
          "prints it; key: the user; headers rule_id, tenant, alert_id), and commits an\n"
          "input offset only once the alerts of the records before it are acknowledged\n"
          "(at-least-once; alert_id is deterministic, so duplicates share it).  Window\n"
          "state is kept per partition.  With --state memory a rebalance or restart\n"
          "forgets the state of the partitions that move, so an attack straddling it can\n"
          "be missed; with --state redis://.. it is checkpointed to Redis and restored by\n"
          "the partition's next owner, which resumes at the checkpoint's offset.\n"
          "\n", out);
    sw_cli_kafka_help(out);
    fputs("\nState:\n"
          "  --state memory|URL        where window state survives a worker (default memory, or\n"
          "                            $SESSIONWATCH_STATE): redis://[[user]:password@]host[:port][/db],\n"
          "                            unix:///path/to/redis.sock[?db=N], or Sentinels and the name\n"
          "                            of the primary they watch (asked again on every reconnect):\n"
          "                            redis-sentinel://[[user]:password@]host[:port][,...]/name[/db];\n"
          "                            the password may come from $" SW_REDIS_PASSWORD_ENV "\n"
          "                            instead of the URL (Sentinels': $" SW_REDIS_SENTINEL_PASSWORD_ENV ")\n"
          "  --checkpoint-interval DUR checkpoint each partition's changed state every DUR (default\n"
          "                            1s; also on revoke and at shutdown); offsets are committed\n"
          "                            to Kafka only up to the last checkpoint\n"
          "  --state-ttl DUR           Redis keeps a partition's state DUR after its last checkpoint\n"
          "                            (default: --window + --allowed-lateness + 1h); a worker down\n"
          "                            longer than that restarts its partitions with empty state\n"
          "  --state-replicas N        a checkpoint counts (Kafka offsets are committed up to it)\n"
          "                            only once WAIT says N replicas have it (default 0: at once)\n"
          "\n", out);
    fputs("  --topic T                 input topic (default okta-events; not a regex)\n"
          "  --alerts-topic T          alerts topic (default okta-alerts)\n"
          "  --group G                 consumer group id (default sessionwatch)\n"
          "  --dlq-topic T             write each rejected record to T with its original key and\n"
          "                            value and a 'reason' header (plus 'index' for an array\n"
          "                            element; a value too large for one message is cut and\n"
          "                            gets 'original_value_bytes'); default: only count them.\n"
          "                            An alert the broker refuses for good (too large,\n"
          "                            invalid) goes there too with reason=undeliverable;\n"
          "                            without T it is dropped with an error log\n"
          "  --threads N               group members (consumers) in this process, one thread each\n"
          "                            (default: the number of cores, 1.." SW_STR(SW_MAX_THREADS) ")\n"
          "  Always set: enable.auto.commit=false, enable.auto.offset.store=false,\n"
          "  enable.partition.eof=true, group.id from --group.  Defaults -X may change:\n"
          "  partition.assignment.strategy=cooperative-sticky, auto.offset.reset=earliest,\n"
          "  statistics.interval.ms=--status-interval.\n"
          "\n"
          "Running:\n"
          "  --exit-at-end             exit once every assigned partition is at its end and every\n"
          "                            alert is acknowledged and committed (like kcat -e)\n"
          "  --status-interval DUR     one status line on stderr every DUR: records/s, eligible/s,\n"
          "                            alerts, unacknowledged messages, consumer lag, users\n"
          "                            tracked (default 10s; 0 disables)\n"
          "  --summary text|json       summary format on stderr at exit (default text)\n"
          "  --metrics-addr HOST:PORT  serve Prometheus metrics on /metrics, liveness on /healthz and\n"
          "                            readiness on /readyz (joined, state loaded, Redis not\n"
          "                            failing) at HOST:PORT, e.g. 0.0.0.0:9400 (default: none)\n"
          "  --log-format text|json    log lines for people (default) or one JSON object per line\n"
          "  --log-level L             error, warn, info (default) or debug\n"
          "  --config FILE             read settings from an INI file: [run] holds these flags'\n"
          "                            names without dashes (topic = okta-events), [kafka] holds\n"
          "                            librdkafka properties; also $SESSIONWATCH_CONFIG\n"
          "  -h, --help                this help\n"
          "\n"
          "Every flag can also come from the environment as SESSIONWATCH_<FLAG> (upper case,\n"
          "'-' as '_', e.g. SESSIONWATCH_CHECKPOINT_INTERVAL=5s; a switch takes true/false).\n"
          "Precedence: flag > environment > --config file > default.  'sessionwatch config\n"
          "print' shows the effective settings with secrets masked.\n"
          "\n", out);
    sw_cli_rule_help(out, true);
    fputs("\nSignals: SIGINT or SIGTERM stops cleanly (flush alerts, commit, leave the group)\n"
          "within 30 s whatever is in flight: records whose alerts are not acknowledged by\n"
          "then are not committed and are read again by the next owner.  Should librdkafka\n"
          "hang, the process exits 15 s later with status 1.  A second signal exits at once\n"
          "with status 130.\n"
          "Exit status: 0 after a clean stop, 1 on a Kafka error (a fatal producer error,\n"
          "out of memory), 2 on a usage error or when the brokers report the alerts or\n"
          "dead-letter topic missing (create it), 130 after a second signal.\n", out);
}

static atomic_int stop_requested;

static void on_signal(int sig) {
    (void)sig;
    if (atomic_exchange(&stop_requested, 1)) _exit(130);
}

static void blame_flag(const sw_settings *st, const char *flag);

/* Every setting of run, for the environment, the config file and
 * `config print`: flag, whether it takes a value, the default as stated. */
static const sw_setting RUN_SETTINGS[] = {
    {"--brokers", true, ""},
    {"--topic", true, "okta-events"},
    {"--alerts-topic", true, "okta-alerts"},
    {"--group", true, "sessionwatch"},
    {"--dlq-topic", true, ""},
    {"--threads", true, "cores"},
    {"--state", true, "memory"},
    {"--checkpoint-interval", true, "1s"},
    {"--state-ttl", true, "window + allowed-lateness + 1h"},
    {"--state-replicas", true, "0"},
    {"--exit-at-end", false, "false"},
    {"--status-interval", true, "10s"},
    {"--summary", true, "text"},
    {"--metrics-addr", true, ""},
    {"--log-format", true, "text"},
    {"--log-level", true, "info"},
    {"--window", true, "35m"},
    {"--min-sessions", true, "3"},
    {"--allowed-lateness", true, "10m"},
    {"--max-alerts", true, "100"},
    {"--time-field", true, "auto"},
    {"--tenant-field", true, ""},
    {"--tenant", true, ""},
    {"--exclude-prefix", true, "okta"},
    {"--exclude-case-insensitive", false, "false"},
    {"--require-success", false, "false"},
    {"--exclude-unknown-actor", false, "false"},
    {"--max-record-bytes", true, "8MiB"},
    {"--max-tracked-users", true, "10000000"},
    {"--max-tenants", true, "100000"},
    {"--max-clock-skew", true, "5m"},
    {"--no-prefilter", false, "false"},
};
#define N_RUN_SETTINGS (sizeof RUN_SETTINGS / sizeof RUN_SETTINGS[0])

typedef struct {
    sw_config cfg;
    sw_kafka_opts k;
    const char *topic, *alerts, *group, *dlq, *summary, *threads_s, *status_s;
    const char *state, *interval_s, *ttl_s, *replicas_s, *metrics_addr, *log_format, *log_level;
    bool exit_at_end, help;
    uint64_t threads, replicas;
    int64_t status_ms, interval_ms, ttl_ms;
    bool log_json;
    sw_log_level level;
    bool redis;
    sw_redis_target target;
} run_args;

/* Parses run's settings (flags, environment, --config) into ra; -1 when
 * they are valid, else the exit status (2: usage, with a message). */
static int parse_run(int argc, char **argv, run_args *ra, sw_settings *st) {
    memset(ra, 0, sizeof *ra);
    sw_config_defaults(&ra->cfg);
    ra->cfg.max_clock_skew_ms = SW_DEFAULT_CLOCK_SKEW_MS; /* run has a clock */
    ra->topic = "okta-events";
    ra->alerts = "okta-alerts";
    ra->group = "sessionwatch";
    ra->summary = "text";
    ra->status_s = "10s";
    ra->state = "memory";
    ra->interval_s = "1s";
    ra->log_format = "text";
    ra->log_level = "info";
    char err[700];
    if (sw_settings_build("run", RUN_SETTINGS, N_RUN_SETTINGS, argc, argv, st, err, sizeof err) != 0) {
        fprintf(stderr, "sessionwatch run: %s\n", err);
        return 2;
    }
    sw_args a = {st->argc, st->argv, 1, "run"};
    while (a.i < st->argc) {
        const char *arg = st->argv[a.i];
        int r, at = a.i;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            ra->help = true;
            return -1;
        }
        if ((r = sw_cli_kafka_option(&ra->k, &a)) != 0 || (r = sw_cli_rule_option(&ra->cfg, &a, true)) != 0 ||
            (r = sw_arg_value(&a, "--topic", &ra->topic)) != 0 ||
            (r = sw_arg_value(&a, "--alerts-topic", &ra->alerts)) != 0 ||
            (r = sw_arg_value(&a, "--group", &ra->group)) != 0 ||
            (r = sw_arg_value(&a, "--dlq-topic", &ra->dlq)) != 0 ||
            (r = sw_arg_value(&a, "--threads", &ra->threads_s)) != 0 ||
            (r = sw_arg_value(&a, "--status-interval", &ra->status_s)) != 0 ||
            (r = sw_arg_value(&a, "--summary", &ra->summary)) != 0 ||
            (r = sw_arg_value(&a, "--state", &ra->state)) != 0 ||
            (r = sw_arg_value(&a, "--checkpoint-interval", &ra->interval_s)) != 0 ||
            (r = sw_arg_value(&a, "--state-ttl", &ra->ttl_s)) != 0 ||
            (r = sw_arg_value(&a, "--state-replicas", &ra->replicas_s)) != 0 ||
            (r = sw_arg_value(&a, "--metrics-addr", &ra->metrics_addr)) != 0 ||
            (r = sw_arg_value(&a, "--log-format", &ra->log_format)) != 0 ||
            (r = sw_arg_value(&a, "--log-level", &ra->log_level)) != 0) {
            if (r < 0) {
                sw_settings_blame(st, at + 1, "run");
                return 2;
            }
            continue;
        }
        if (sw_arg_flag(&a, "--exit-at-end")) {
            ra->exit_at_end = true;
            continue;
        }
        if (arg[0] == '-') return sw_cli_error("run", "unknown option '%s'", arg);
        return sw_cli_error("run", "unexpected argument '%s' (run reads Kafka, not files; see 'sessionwatch scan')", arg);
    }
    /* Values checked here are blamed on their last source. */
#define BAD(flag, ...) (sw_cli_error("run", __VA_ARGS__), blame_flag(st, flag), 2)
    if (!ra->k.brokers || !*ra->k.brokers) {
        fprintf(stderr, "sessionwatch run: --brokers is required (or set SESSIONWATCH_BROKERS); "
                        "try 'sessionwatch mock-broker' for a local cluster\n");
        return 2;
    }
    if (sw_cli_rule_check("run", &ra->cfg)) {
        blame_flag(st, "--tenant");
        blame_flag(st, "--tenant-field");
        return 2;
    }
    if (!*ra->group) return BAD("--group", "--group needs a non-empty value");
    const char *const names[][2] = {{"--topic", ra->topic}, {"--alerts-topic", ra->alerts}, {"--dlq-topic", ra->dlq}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i][1] && !sw_kafka_topic_name_ok(names[i][1]))
            return BAD(names[i][0], "%s: '%.300s' is not a Kafka topic name (1 to 249 of A-Z a-z 0-9 . _ -)",
                       names[i][0], names[i][1]);
    if (strcmp(ra->summary, "text") != 0 && strcmp(ra->summary, "json") != 0)
        return BAD("--summary", "--summary: '%s' is not text or json", ra->summary);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    ra->threads = cores < 1 ? 1 : cores > SW_MAX_THREADS ? SW_MAX_THREADS : (uint64_t)cores;
    if (ra->threads_s && sw_parse_u64(ra->threads_s, 1, SW_MAX_THREADS, &ra->threads))
        return BAD("--threads", "--threads: '%s' is not a count from 1 to " SW_STR(SW_MAX_THREADS), ra->threads_s);
    if (strcmp(ra->status_s, "0") != 0 &&
        (sw_parse_duration(ra->status_s, &ra->status_ms) ||
         (ra->status_ms != 0 && (ra->status_ms < 100 || ra->status_ms > 86400000))))
        return BAD("--status-interval", "--status-interval: '%s' is not 0 or a duration from 100ms to 1d (e.g. 10s)",
                   ra->status_s);
    ra->ttl_ms = sw_state_ttl_default_ms(&ra->cfg);
    if (sw_parse_duration(ra->interval_s, &ra->interval_ms) || ra->interval_ms < 10 || ra->interval_ms > 3600000)
        return BAD("--checkpoint-interval", "--checkpoint-interval: '%s' is not a duration from 10ms to 1h (e.g. 1s)",
                   ra->interval_s);
    if (ra->ttl_s && (sw_parse_duration(ra->ttl_s, &ra->ttl_ms) || ra->ttl_ms < ra->cfg.window_ms + ra->cfg.lateness_ms))
        return BAD("--state-ttl", "--state-ttl: '%s' is not a duration of at least --window + --allowed-lateness",
                   ra->ttl_s);
    if (ra->replicas_s && sw_parse_u64(ra->replicas_s, 0, 64, &ra->replicas))
        return BAD("--state-replicas", "--state-replicas: '%s' is not a count from 0 to 64", ra->replicas_s);
    if (sw_log_parse_format(ra->log_format, &ra->log_json) != 0)
        return BAD("--log-format", "--log-format: '%s' is not text or json", ra->log_format);
    if (sw_log_parse_level(ra->log_level, &ra->level) != 0)
        return BAD("--log-level", "--log-level: '%s' is not error, warn, info or debug", ra->log_level);
    if (ra->metrics_addr && !strchr(ra->metrics_addr, ':'))
        return BAD("--metrics-addr", "--metrics-addr: '%s' is not HOST:PORT (e.g. 0.0.0.0:9400)", ra->metrics_addr);
    ra->redis = *ra->state && strcmp(ra->state, "memory") != 0;
    if (ra->redis && sw_redis_parse_url(ra->state, &ra->target, err, sizeof err) != 0) {
        blame_flag(st, "--state");
        fprintf(stderr, "sessionwatch run: %s (or --state memory)\n", err);
        return 2;
    }
#undef BAD
    return -1;
}

int sw_cmd_run(int argc, char **argv) {
    static run_args ra; /* big (the Kafka options) */
    sw_settings st;
    int rc = parse_run(argc, argv, &ra, &st);
    if (ra.help) usage(stdout);
    if (rc >= 0 || ra.help) {
        sw_settings_free(&st);
        return ra.help ? 0 : rc;
    }
    sw_log_setup("run", ra.log_json, ra.level);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sw_run_opts o = {
        .cfg = &ra.cfg, .kafka = &ra.k, .topic = ra.topic, .alerts_topic = ra.alerts, .dlq_topic = ra.dlq,
        .group = ra.group, .threads = (int)ra.threads, .exit_at_end = ra.exit_at_end,
        .summary_json = strcmp(ra.summary, "json") == 0, .status_interval_ms = ra.status_ms, .stop = &stop_requested,
        .state = ra.redis ? &ra.target : NULL, .checkpoint_interval_ms = ra.interval_ms, .state_ttl_ms = ra.ttl_ms,
        .state_replicas = (int)ra.replicas,
        .metrics_addr = ra.metrics_addr,
    };
    rc = sw_run(&o);
    if (ra.redis) sw_redis_target_free(&ra.target);
    sw_settings_free(&st);
    return rc;
}

/* ---- config print --------------------------------------------------------- */

/* The last argument setting flag, or -1. */
static int last_of(const sw_settings *st, const char *flag) {
    int at = -1;
    size_t n = strlen(flag);
    for (int i = 1; i < st->argc; i++)
        if (strncmp(st->argv[i], flag, n) == 0 && (st->argv[i][n] == '\0' || st->argv[i][n] == '=') &&
            !sw_settings_is_value(st, RUN_SETTINGS, N_RUN_SETTINGS, i))
            at = i;
    return at;
}

static void blame_flag(const sw_settings *st, const char *flag) {
    int at = last_of(st, flag);
    if (at > 0) sw_settings_blame(st, at + 1, "run");
}

static const char *origin_of(const sw_settings *st, int at) {
    if (at < 0) return "default";
    if (!st->origin[at]) return "flag";
    return st->origin[at];
}

/* Which of run's clients a Kafka property goes to (kafka_props.h). */
static const char *for_clients(const char *name) {
    switch (sw_kafka_prop_scope(name)) {
    case SW_PROP_CONSUMER: return "the consumers";
    case SW_PROP_PRODUCER: return "the alert producer";
    case SW_PROP_ANY: return "every client";
    default: return "every client (librdkafka does not list it)";
    }
}

int sw_run_config_print(int argc, char **argv) {
    static run_args ra;
    sw_settings st;
    int rc = parse_run(argc, argv, &ra, &st);
    if (ra.help) {
        sw_settings_free(&st);
        printf("Usage: sessionwatch config print [run's flags, --config FILE]\n\n"
               "Prints the settings `sessionwatch run` would use with these flags, this environment and\n"
               "this config file, as an INI file (each value's origin in a comment), secrets masked.\n"
               "Invalid values fail as run fails, naming the setting and where it came from.\n");
        return 0;
    }
    if (rc >= 0) {
        sw_settings_free(&st);
        return rc;
    }
    printf("; sessionwatch run: effective settings (flag > environment > config file > default)\n");
    if (st.config_path) printf("; config file: %s\n", st.config_path);
    printf("[run]\n");
    for (size_t i = 0; i < N_RUN_SETTINGS; i++) {
        const sw_setting *d = &RUN_SETTINGS[i];
        int at = last_of(&st, d->flag);
        const char *value = d->def;
        char buf[300];
        if (!d->takes_value) {
            value = at > 0 ? "true" : "false";
        } else if (at > 0) {
            const char *arg = st.argv[at];
            value = strchr(arg, '=') && arg[strlen(d->flag)] == '=' ? arg + strlen(d->flag) + 1
                                                                    : (at + 1 < st.argc ? st.argv[at + 1] : "");
        }
        if (strcmp(d->flag, "--state") == 0 && ra.redis) {
            sw_redis_describe(&ra.target, buf, sizeof buf); /* the password masked */
            value = buf;
        }
        if (strcmp(d->flag, "--brokers") == 0 && at < 0 && ra.k.brokers) value = ra.k.brokers;
        const char *origin = origin_of(&st, at > 0 ? at : -1);
        if (!d->takes_value && at < 0 && i < st.nsettings && st.switch_off[i]) origin = st.switch_off[i];
        printf("%-24s = %-30s ; %s\n", d->flag + 2, value, origin);
    }
    if (ra.redis)
        printf("; redis password: %s\n", ra.target.password ? "set (masked)" : "none");
    printf("[kafka]\n");
    for (size_t i = 0; i < ra.k.n_props; i++)
        printf("%-24s = %-30s ; for %s\n", ra.k.props[i][0],
               sw_kafka_prop_is_secret(ra.k.props[i][0]) ? "***" : ra.k.props[i][1], for_clients(ra.k.props[i][0]));
    extern char **environ;
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "SESSIONWATCH_KAFKA_", 19) != 0) continue;
        char name[160];
        size_t k = 0;
        for (const char *p = *e + 19; *p && *p != '=' && k < sizeof name - 1; p++)
            name[k++] = *p == '_' ? '.' : (char)tolower((unsigned char)*p);
        name[k] = '\0';
        const char *v = strchr(*e, '=');
        printf("%-24s = %-30s ; %.*s, for %s\n", name, sw_kafka_prop_is_secret(name) ? "***" : v + 1, (int)(v - *e), *e,
               for_clients(name));
    }
    if (ra.redis) sw_redis_target_free(&ra.target);
    sw_settings_free(&st);
    return 0;
}

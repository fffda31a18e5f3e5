/* cmd_run.c -- `sessionwatch run`: the detector as a Kafka consumer group,
 * alerts to a topic.  The streaming twin of `scan` (same engine, same alert
 * bytes and ids); this file is only the settings table, the checks across
 * settings and the start, the work is in worker.c.
 *
 * Settings: RUN_GROUPS below declares every flag once (settings.h): its
 * type, default, where it is stored in run_args, its help; --help, the
 * environment (SESSIONWATCH_<FLAG>), the --config file ([run]) and
 * `config print run` all come from it.
 *
 * --rules (cli_rules.h) swaps the built-in seed rule for the loaded rules
 * in every partition's detector (detector.h); the threshold rules whose
 * key family does not hold --key-field (every one when the input is not
 * keyed, the default) go through their family's internal topic (worker.h,
 * itopics.h), with --internal-prefix, --internal-partitions and --stage.
 * With --state redis:// each rule's
 * state is checkpointed under its rule id, and the seed rule takes over a
 * partition checkpointed by the built-in default (the rolling upgrade,
 * state/redis/checkpoint.h).
 *
 * Signals (signals.h): the first SIGINT/SIGTERM asks for a clean stop
 * (finish the records in hand, flush alerts, commit, leave the group,
 * exit 0), bounded by SW_STOP_MS (worker.h); a second one exits at once
 * with 130, committing nothing more. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_rules.h"
#include "commands.h"
#include "kafka.h"
#include "log.h"
#include "redis.h"
#include "settings.h"
#include "signals.h"
#include "worker.h"

typedef struct {
    sw_config cfg;
    sw_kafka_opts k;
    sw_service_opts svc;
    const char *topic, *alerts, *group, *dlq, *state;
    int summary; /* index in SUMMARY_FORMATS */
    bool exit_at_end;
    uint64_t threads, replicas;
    int64_t status_ms, interval_ms, ttl_ms;
    bool redis;
    sw_redis_target target;
    sw_cli_rules rules; /* --rules (none: the built-in seed rule) */
} run_args;

static const char *const SUMMARY_FORMATS[] = {"text", "json", NULL};

/* ---- the settings table --------------------------------------------------- */

/* --state as `config print` shows it: the Redis password masked. */
static void show_state(const void *field, char *buf, size_t len) {
    const char *url = *(const char *const *)field;
    sw_redis_target t;
    char err[256];
    if (!url || !*url || strcmp(url, "memory") == 0 || sw_redis_parse_url(url, &t, err, sizeof err) != 0) {
        snprintf(buf, len, "%s", url && (!*url || strcmp(url, "memory") == 0) ? url : "memory");
        return;
    }
    sw_redis_describe(&t, buf, len);
    sw_redis_target_free(&t);
}

#define R(f) offsetof(run_args, f)

static const sw_setting STATE_ROWS[] = {
    {.flag = "--state", .type = SW_SET_STRING, .metavar = "memory|URL", .def = "memory", .offset = R(state),
     .show = show_state,
     .help = "where window state survives a worker (default memory, or\n"
             "$SESSIONWATCH_STATE): redis://[[user]:password@]host[:port][/db],\n"
             "unix:///path/to/redis.sock[?db=N], or Sentinels and the name\n"
             "of the primary they watch (asked again on every reconnect):\n"
             "redis-sentinel://[[user]:password@]host[:port][,...]/name[/db];\n"
             "the password may come from $" SW_REDIS_PASSWORD_ENV "\n"
             "instead of the URL (Sentinels': $" SW_REDIS_SENTINEL_PASSWORD_ENV ")"},
    {.flag = "--checkpoint-interval", .type = SW_SET_DURATION, .metavar = "DUR", .def = "1s", .offset = R(interval_ms),
     .min = 10, .max = 3600000, .want = "a duration from 10ms to 1h (e.g. 1s)",
     .help = "checkpoint each partition's changed state every DUR (default\n"
             "1s; also on revoke and at shutdown); offsets are committed\n"
             "to Kafka only up to the last checkpoint"},
    /* No default here: it follows --window and --allowed-lateness. */
    {.flag = "--state-ttl", .type = SW_SET_DURATION, .metavar = "DUR", .offset = R(ttl_ms), .max = INT64_MAX,
     .want = "a duration of at least --window + --allowed-lateness",
     .help = "Redis keeps a partition's state DUR after its last checkpoint\n"
             "(default: --window + --allowed-lateness + 1h); a worker down\n"
             "longer than that restarts its partitions with empty state"},
    {.flag = "--state-replicas", .type = SW_SET_U64, .metavar = "N", .def = "0", .offset = R(replicas), .max = 64,
     .want = "a count from 0 to 64",
     .help = "a checkpoint counts (Kafka offsets are committed up to it)\n"
             "only once WAIT says N replicas have it (default 0: at once)"},
};

static const sw_setting TOPIC_ROWS[] = {
    {.flag = "--topic", .type = SW_SET_CUSTOM, .metavar = "T", .def = "okta-events", .offset = R(topic),
     .set = sw_cli_set_topic, .want = SW_CLI_TOPIC_WANT, .help = "input topic (default okta-events; not a regex)"},
    {.flag = "--alerts-topic", .type = SW_SET_CUSTOM, .metavar = "T", .def = "okta-alerts", .offset = R(alerts),
     .set = sw_cli_set_topic, .want = SW_CLI_TOPIC_WANT, .help = "alerts topic (default okta-alerts)"},
    {.flag = "--group", .type = SW_SET_STRING, .metavar = "G", .def = "sessionwatch", .offset = R(group),
     .help = "consumer group id (default sessionwatch)"},
    {.flag = "--dlq-topic", .type = SW_SET_CUSTOM, .metavar = "T", .offset = R(dlq), .set = sw_cli_set_topic,
     .want = SW_CLI_TOPIC_WANT,
     .help = "write each rejected record to T with its original key and\n"
             "value and a 'reason' header (plus 'index' for an array\n"
             "element; a value too large for one message is cut and\n"
             "gets 'original_value_bytes'); default: only count them.\n"
             "An alert the broker refuses for good (too large,\n"
             "invalid) goes there too with reason=undeliverable;\n"
             "without T it is dropped with an error log"},
    /* No default here: the number of cores. */
    {.flag = "--threads", .type = SW_SET_U64, .metavar = "N", .offset = R(threads), .min = 1, .max = SW_MAX_THREADS,
     .want = "a count from 1 to " SW_STR(SW_MAX_THREADS),
     .help = "group members (consumers) in this process, one thread each\n"
             "(default: the number of cores, 1.." SW_STR(SW_MAX_THREADS) ")"},
};

static const sw_setting RUNNING_ROWS[] = {
    {.flag = "--exit-at-end", .type = SW_SET_SWITCH, .offset = R(exit_at_end),
     .help = "exit once every assigned partition is at its end and every\n"
             "alert is acknowledged and committed (like kcat -e)"},
    {.flag = "--status-interval", .type = SW_SET_DURATION, .metavar = "DUR", .def = "10s", .offset = R(status_ms),
     .min = 100, .max = 86400000, .flags = SW_SET_ZERO_OK,
     .want = "0 or a duration from 100ms to 1d (e.g. 10s)",
     .help = "one status line on stderr every DUR: records/s, eligible/s,\n"
             "alerts, unacknowledged messages, consumer lag, users\n"
             "tracked (default 10s; 0 disables)"},
    {.flag = "--summary", .type = SW_SET_ENUM, .metavar = "text|json", .def = "text", .offset = R(summary),
     .choices = SUMMARY_FORMATS, .want = "text or json", .help = "summary format on stderr at exit (default text)"},
};

static const sw_setting_group RUN_GROUPS[] = {
    SW_CLI_KAFKA_GROUP(R(k)),
    {STATE_ROWS, sizeof STATE_ROWS / sizeof STATE_ROWS[0], 0, "\nState:\n", "\n"},
    {TOPIC_ROWS, sizeof TOPIC_ROWS / sizeof TOPIC_ROWS[0], 0, NULL,
     "  Always set: enable.auto.commit=false, enable.auto.offset.store=false,\n"
     "  enable.partition.eof=true, group.id from --group.  Defaults -X may change:\n"
     "  partition.assignment.strategy=cooperative-sticky, auto.offset.reset=earliest,\n"
     "  statistics.interval.ms=--status-interval.\n\n"},
    {RUNNING_ROWS, sizeof RUNNING_ROWS / sizeof RUNNING_ROWS[0], 0, "Running:\n", NULL},
    SW_CLI_SERVICE_GROUP(R(svc)),
    SW_CLI_RULES_GROUP(R(rules)),
    SW_CLI_RULE_GROUPS(R(cfg), sw_cli_time_rows_kafka, 2),
};

static const sw_command_settings RUN_SETTINGS = {
    "run", RUN_GROUPS, sizeof RUN_GROUPS / sizeof RUN_GROUPS[0],
    " (run reads Kafka, not files; see 'sessionwatch scan')", sw_cli_config_sections,
};

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
          "With --rules, every loaded rule runs on any input, keyed or not (one parse of\n"
          "each record): query rules where the record is read; threshold rules by key\n"
          "family (their group-by fields), as Kafka Streams repartitions a groupBy: each\n"
          "matched event is produced, re-keyed by tenant 0x1F group values, in a compact\n"
          "internal record to the family's internal topic <group>-by-<fields> (see\n"
          "--internal-prefix, --internal-partitions; created at start when missing, and\n"
          "refused with another partition count), which the same group consumes and\n"
          "counts with the rule's windows; an input offset is committed only once its\n"
          "internal records and alerts are acknowledged, and replayed internal records\n"
          "are counted once.  A family holding --key-field runs where the input is\n"
          "read.  --stage route and --stage count split the two stages over processes.\n"
          "Alerts carry their rule's id in the rule_id header and name the original\n"
          "record.  With --state redis://.. each rule's windows are checkpointed under its\n"
          "rule id, and the seed rule (rule_id 621e92b6-7e54-11ee-bdc0-f661ea17fbcd)\n"
          "takes over a partition the built-in default checkpointed, so switching a\n"
          "group to --rules loses no window.\n"
          "\n", out);
    sw_settings_help(RUN_GROUPS, sizeof RUN_GROUPS / sizeof RUN_GROUPS[0], out);
    fputs("\nHealth: /readyz is ready once every member has joined the group and loaded its\n"
          "partitions' state, and Redis is not failing.\n"
          "Signals: SIGINT or SIGTERM stops cleanly (flush alerts, commit, leave the group)\n"
          "within 30 s whatever is in flight: records whose alerts are not acknowledged by\n"
          "then are not committed and are read again by the next owner.  Should librdkafka\n"
          "hang, the process exits 15 s later with status 1.  A second signal exits at once\n"
          "with status 130.\n"
          "Exit status: 0 after a clean stop, 1 on a Kafka error (a fatal producer error,\n"
          "out of memory, an internal topic missing or with another partition count),\n"
          "2 on a usage error or when the brokers report the alerts or dead-letter topic\n"
          "missing (create it), 130 after a second signal.\n", out);
}

/* ---- parsing -------------------------------------------------------------- */

/* A check across settings failed: the message, then where the value came from. */
#define BAD(flag, ...) (sw_cli_error("run", __VA_ARGS__), sw_settings_blame(st, flag), SW_PARSE_USAGE)

/* The longest window the run's rules keep: the seed rule's --window, or
 * the longest `from` of the loaded rules. */
static int64_t run_window_ms(const run_args *ra) {
    if (!ra->rules.given) return ra->cfg.window_ms;
    int64_t w = 0;
    for (size_t i = 0; i < ra->rules.n; i++)
        if (ra->rules.specs[i].window_ms > w) w = ra->rules.specs[i].window_ms;
    return w;
}

/* --rules: the rules loaded and converted (cli_rules.h); every one runs,
 * the key families the input is not keyed by through internal topics. */
static int load_rules(run_args *ra) {
    if (!ra->rules.given) return SW_PARSE_OK;
    int rc = sw_cli_rules_ready(&ra->rules, "run");
    if (rc == 1) fprintf(stderr, "sessionwatch run: out of memory loading the rules\n");
    return rc == 0 ? SW_PARSE_OK : SW_PARSE_USAGE;
}

/* What no single row can check: required values, values that depend on
 * each other, and the defaults computed from others. */
static int check_run(run_args *ra, sw_settings *st) {
    if (!ra->k.brokers || !*ra->k.brokers) {
        fprintf(stderr, "sessionwatch run: --brokers is required (or set SESSIONWATCH_BROKERS); "
                        "try 'sessionwatch mock-broker' for a local cluster\n");
        return SW_PARSE_USAGE;
    }
    if (sw_cli_rule_check("run", &ra->cfg)) {
        sw_settings_blame(st, "--tenant");
        sw_settings_blame(st, "--tenant-field");
        return SW_PARSE_USAGE;
    }
    if (!*ra->group) return BAD("--group", "--group needs a non-empty value");
    int rules_rc = load_rules(ra);
    if (rules_rc != SW_PARSE_OK) return rules_rc;
    if (ra->rules.given && sw_cli_rules_refuse_seed_flags(&ra->rules, st, "run")) return SW_PARSE_USAGE;
    if (!sw_settings_origin(st, "--threads")) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        ra->threads = cores < 1 ? 1 : cores > SW_MAX_THREADS ? SW_MAX_THREADS : (uint64_t)cores;
    }
    int64_t kept = run_window_ms(ra) + ra->cfg.lateness_ms;
    if (!sw_settings_origin(st, "--state-ttl")) ra->ttl_ms = kept + SW_STATE_TTL_MARGIN_MS;
    else if (ra->ttl_ms < kept) {
        char d[32];
        sw_format_duration(ra->ttl_ms, d, sizeof d);
        return BAD("--state-ttl", "--state-ttl: '%s' is not a duration of at least --window + --allowed-lateness", d);
    }
    char err[700];
    ra->redis = *ra->state && strcmp(ra->state, "memory") != 0;
    if (ra->redis && sw_redis_parse_url(ra->state, &ra->target, err, sizeof err) != 0) {
        ra->redis = false;
        sw_settings_blame(st, "--state");
        fprintf(stderr, "sessionwatch run: %s (or --state memory)\n", err);
        return SW_PARSE_USAGE;
    }
    return SW_PARSE_OK;
}
#undef BAD

/* Parses run's settings (flags, environment, --config) into ra (cli.h's
 * parse convention); *st is set in every case. */
static int parse_run(int argc, char **argv, run_args *ra, sw_settings **st) {
    memset(ra, 0, sizeof *ra);
    sw_config_defaults(&ra->cfg);
    ra->cfg.max_clock_skew_ms = SW_DEFAULT_CLOCK_SKEW_MS; /* run has a clock */
    int rc = sw_settings_load(&RUN_SETTINGS, ra, argc, argv, st);
    if (rc != SW_PARSE_OK) return rc;
    /* The log's format before anything is said (the rules' refusals). */
    sw_log_setup("run", ra->svc.log_json, ra->svc.log_level);
    ra->rules.log = true;
    return check_run(ra, *st);
}

int sw_cmd_run(int argc, char **argv) {
    static run_args ra; /* big (the Kafka options) */
    sw_settings *st;
    int rc = parse_run(argc, argv, &ra, &st);
    if (sw_cli_parse_ended(rc, usage, st, &rc)) {
        sw_cli_rules_free(&ra.rules);
        return rc;
    }
    sw_signals_install();
    sw_run_opts o = {
        .rules = ra.rules.specs, .n_rules = ra.rules.n,
        .max_alerts = sw_cli_rules_max_alerts(st, &ra.cfg),
        .cfg = &ra.cfg, .kafka = &ra.k, .topic = ra.topic, .alerts_topic = ra.alerts, .dlq_topic = ra.dlq,
        .group = ra.group, .threads = (int)ra.threads, .exit_at_end = ra.exit_at_end,
        .summary_json = ra.summary == 1, .status_interval_ms = ra.status_ms, .stop = sw_signals_stop_flag(),
        .state = ra.redis ? &ra.target : NULL, .checkpoint_interval_ms = ra.interval_ms, .state_ttl_ms = ra.ttl_ms,
        .state_replicas = (int)ra.replicas,
        .metrics_addr = ra.svc.metrics_addr,
        .key_field = ra.rules.key_field, .internal_prefix = ra.rules.internal_prefix,
        .internal_partitions = (int)ra.rules.internal_partitions, .stage = (sw_stage)ra.rules.stage,
    };
    rc = sw_run(&o);
    if (ra.redis) sw_redis_target_free(&ra.target);
    sw_cli_rules_free(&ra.rules);
    sw_settings_free(st);
    return rc;
}

/* ---- config print run ------------------------------------------------------ */

static void config_print_usage(FILE *out) {
    fputs("Usage: sessionwatch config print [run] [run's flags, --config FILE]\n\n"
          "Prints the settings `sessionwatch run` would use with these flags, this environment and\n"
          "this config file, as an INI file (each value's origin in a comment), secrets masked.\n"
          "Invalid values fail as run fails, naming the setting and where it came from.\n",
          out);
}

int sw_run_config_print(int argc, char **argv) {
    static run_args ra;
    sw_settings *st;
    int rc = parse_run(argc, argv, &ra, &st);
    if (sw_cli_parse_ended(rc, config_print_usage, st, &rc)) {
        sw_cli_rules_free(&ra.rules);
        return rc;
    }
    sw_cli_print_effective("run", st);
    for (size_t i = 0; i < ra.rules.n; i++)
        printf("; rule %s (%s): runs\n", ra.rules.specs[i].rule_id, ra.rules.specs[i].name);
    sw_run_opts o = {.rules = ra.rules.specs, .n_rules = ra.rules.n, .group = ra.group, .key_field = ra.rules.key_field,
                     .internal_prefix = ra.rules.internal_prefix};
    sw_run_family *fam;
    size_t nf = 0;
    if (sw_run_families(&o, &fam, &nf) == 0) {
        for (size_t f = 0; f < nf; f++)
            if (fam[f].routed) printf("; key family %s: internal topic %s\n", fam[f].name, fam[f].topic);
            else printf("; key family %s: where the input is read (keyed by --key-field)\n", fam[f].name);
        free(fam);
    }
    if (ra.redis) printf("; redis password: %s\n", ra.target.password ? "set (masked)" : "none");
    sw_cli_kafka_print(&ra.k, "the alert producer", stdout);
    if (ra.redis) sw_redis_target_free(&ra.target);
    sw_cli_rules_free(&ra.rules);
    sw_settings_free(st);
    return 0;
}

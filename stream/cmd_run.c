/* cmd_run.c -- `sessionwatch run`: the detector as a Kafka consumer group,
 * alerts to a topic.  The streaming twin of `scan` (same engine, same alert
 * bytes and ids); this file is only the command line and the signals, the
 * work is in worker.c.
 *
 * Signals: the first SIGINT/SIGTERM asks for a clean stop (finish the
 * records in hand, flush alerts, commit, leave the group, exit 0); a second
 * one exits at once with 130, committing nothing more. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "kafka.h"
#include "redis.h"
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
          "                            $SESSIONWATCH_STATE): redis://[[user]:password@]host[:port][/db]\n"
          "                            or unix:///path/to/redis.sock[?db=N]; the password may come\n"
          "                            from $" SW_REDIS_PASSWORD_ENV " instead of the URL\n"
          "  --checkpoint-interval DUR checkpoint each partition's changed state every DUR (default\n"
          "                            1s; also on revoke and at shutdown); offsets are committed\n"
          "                            to Kafka only up to the last checkpoint\n"
          "  --state-ttl DUR           Redis keeps a partition's state DUR after its last checkpoint\n"
          "                            (default: --window + --allowed-lateness + 1h); a worker down\n"
          "                            longer than that restarts its partitions with empty state\n"
          "\n", out);
    fputs("  --topic T                 input topic (default okta-events; not a regex)\n"
          "  --alerts-topic T          alerts topic (default okta-alerts)\n"
          "  --group G                 consumer group id (default sessionwatch)\n"
          "  --dlq-topic T             write each rejected record to T with its original key and\n"
          "                            value and a 'reason' header (plus 'index' for an array\n"
          "                            element; a value too large for one message is cut and\n"
          "                            gets 'original_value_bytes'); default: only count them\n"
          "  --threads N               group members (consumers) in this process, one thread each\n"
          "                            (default: the number of cores, 1..256)\n"
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
          "  -h, --help                this help\n"
          "\n", out);
    sw_cli_rule_help(out, true);
    fputs("\nSignals: SIGINT or SIGTERM stops cleanly (flush alerts, commit, leave the group);\n"
          "a second one exits at once with status 130.\n"
          "Exit status: 0 after a clean stop, 1 on a Kafka or delivery error (records whose\n"
          "alerts were not acknowledged are not committed), 2 on a usage error, 130 after a\n"
          "second signal.\n", out);
}

static atomic_int stop_requested;

static void on_signal(int sig) {
    (void)sig;
    if (atomic_exchange(&stop_requested, 1)) _exit(130);
}

int sw_cmd_run(int argc, char **argv) {
    sw_config cfg;
    sw_config_defaults(&cfg);
    sw_kafka_opts k = {0};
    sw_args a = {argc, argv, 1, "run"};
    const char *topic = "okta-events", *alerts = "okta-alerts", *group = "sessionwatch", *dlq = NULL;
    const char *summary = "text", *threads_s = NULL, *status_s = "10s";
    const char *state = getenv("SESSIONWATCH_STATE"), *interval_s = "1s", *ttl_s = NULL;
    bool exit_at_end = false;
    while (a.i < argc) {
        const char *arg = argv[a.i];
        int r;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if ((r = sw_cli_kafka_option(&k, &a)) != 0 || (r = sw_cli_rule_option(&cfg, &a, true)) != 0 ||
            (r = sw_arg_value(&a, "--topic", &topic)) != 0 ||
            (r = sw_arg_value(&a, "--alerts-topic", &alerts)) != 0 ||
            (r = sw_arg_value(&a, "--group", &group)) != 0 ||
            (r = sw_arg_value(&a, "--dlq-topic", &dlq)) != 0 ||
            (r = sw_arg_value(&a, "--threads", &threads_s)) != 0 ||
            (r = sw_arg_value(&a, "--status-interval", &status_s)) != 0 ||
            (r = sw_arg_value(&a, "--summary", &summary)) != 0 ||
            (r = sw_arg_value(&a, "--state", &state)) != 0 ||
            (r = sw_arg_value(&a, "--checkpoint-interval", &interval_s)) != 0 ||
            (r = sw_arg_value(&a, "--state-ttl", &ttl_s)) != 0) {
            if (r < 0) return 2;
            continue;
        }
        if (sw_arg_flag(&a, "--exit-at-end")) {
            exit_at_end = true;
            continue;
        }
        if (arg[0] == '-') return sw_cli_error("run", "unknown option '%s'", arg);
        return sw_cli_error("run", "unexpected argument '%s' (run reads Kafka, not files; see 'sessionwatch scan')", arg);
    }
    if (!k.brokers || !*k.brokers) k.brokers = getenv("SESSIONWATCH_BROKERS");
    if (!k.brokers || !*k.brokers) {
        fprintf(stderr, "sessionwatch run: --brokers is required (or set SESSIONWATCH_BROKERS); "
                        "try 'sessionwatch mock-broker' for a local cluster\n");
        return 2;
    }
    if (!*group) return sw_cli_error("run", "--group needs a non-empty value");
    const char *const names[][2] = {{"--topic", topic}, {"--alerts-topic", alerts}, {"--dlq-topic", dlq}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i][1] && !sw_kafka_topic_name_ok(names[i][1]))
            return sw_cli_error("run", "%s: '%.300s' is not a Kafka topic name (1 to 249 of A-Z a-z 0-9 . _ -)",
                                names[i][0], names[i][1]);
    if (strcmp(summary, "text") != 0 && strcmp(summary, "json") != 0)
        return sw_cli_error("run", "--summary: '%s' is not text or json", summary);
    uint64_t threads;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cores < 1 ? 1 : cores > 256 ? 256 : (uint64_t)cores;
    if (threads_s && sw_parse_u64(threads_s, 1, 256, &threads))
        return sw_cli_error("run", "--threads: '%s' is not a count from 1 to 256", threads_s);
    int64_t status_ms = 0;
    if (strcmp(status_s, "0") != 0 &&
        (sw_parse_duration(status_s, &status_ms) || (status_ms != 0 && (status_ms < 100 || status_ms > 86400000))))
        return sw_cli_error("run", "--status-interval: '%s' is not 0 or a duration from 100ms to 1d (e.g. 10s)", status_s);

    int64_t interval_ms, ttl_ms = cfg.window_ms + cfg.lateness_ms + 3600000;
    if (sw_parse_duration(interval_s, &interval_ms) || interval_ms < 10 || interval_ms > 3600000)
        return sw_cli_error("run", "--checkpoint-interval: '%s' is not a duration from 10ms to 1h (e.g. 1s)", interval_s);
    if (ttl_s && (sw_parse_duration(ttl_s, &ttl_ms) || ttl_ms < cfg.window_ms + cfg.lateness_ms))
        return sw_cli_error("run", "--state-ttl: '%s' is not a duration of at least --window + --allowed-lateness",
                            ttl_s);
    sw_redis_target target;
    bool redis = state && *state && strcmp(state, "memory") != 0;
    if (redis) {
        char err[256];
        if (sw_redis_parse_url(state, &target, err, sizeof err) != 0) {
            fprintf(stderr, "sessionwatch run: %s (or --state memory)\n", err);
            return 2;
        }
    }

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sw_run_opts o = {
        .cfg = &cfg, .kafka = &k, .topic = topic, .alerts_topic = alerts, .dlq_topic = dlq, .group = group,
        .threads = (int)threads, .exit_at_end = exit_at_end, .summary_json = strcmp(summary, "json") == 0,
        .status_interval_ms = status_ms, .stop = &stop_requested,
        .state = redis ? &target : NULL, .checkpoint_interval_ms = interval_ms, .state_ttl_ms = ttl_ms,
    };
    int rc = sw_run(&o);
    if (redis) sw_redis_target_free(&target);
    return rc;
}

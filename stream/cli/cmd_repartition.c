/* cmd_repartition.c -- `sessionwatch repartition`: a consumer-group member
 * that reads any topic of Okta records and produces only the events the
 * rule can count, one record per event keyed by user, so that `run` gets a
 * small, user-partitioned input.  Stateless: run as many as the input has
 * partitions.
 *
 * At-least-once, kept simple: offsets are stored (enable.auto.offset.store
 * is off) only after rd_kafka_flush() of the batch they belong to has seen
 * every produced record acknowledged, and auto-commit commits only stored
 * offsets.  A partition being revoked gets the same flush-store-commit
 * first, so a rebalance re-reads nothing that was already delivered unless
 * a record failed.  A delivery failure stops the process without storing
 * the batch: a restart reads it again.  Duplicates are possible (a crash
 * between delivery and commit), loss is not; `run`'s alert ids are
 * deterministic, so duplicates do not duplicate alerts downstream.
 *
 * As a service it has what run has: settings from flags, the environment
 * and --config ([repartition]), declared once in RP_GROUPS (settings.h);
 * --log-format json; --metrics-addr with /metrics (metrics_repartition.h),
 * /healthz and /readyz (joined the group, producer healthy), served from a
 * copy the loop publishes after every batch; signals.h for stopping.
 *
 * With --rules (on the command line, or SESSIONWATCH_RULES) it is not this
 * loop at all but run's route stage (`run --stage route`, worker.h): the
 * rules' stateless half, producing to the internal topics of each key
 * family.  One implementation of that stage, so `repartition --rules` and
 * `run`'s one-command form can never disagree; its settings are run's
 * ([run] of --config). */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "commands.h"
#include "http.h"
#include "kafka.h"
#include "keyed_producer.h"
#include "log.h"
#include "metrics_repartition.h"
#include "signals.h"
#include "window.h"

#define BATCH_MAX 10000
#define POLL_MS 100

typedef struct {
    sw_config cfg;
    sw_kafka_opts k;
    sw_service_opts svc;
    const char *topic, *out_topic, *group;
    int summary; /* index in SUMMARY_FORMATS */
    bool exit_at_end;
} rp_args;

static const char *const SUMMARY_FORMATS[] = {"text", "json", NULL};

#define A(f) offsetof(rp_args, f)
static const sw_setting RP_ROWS[] = {
    {.flag = "--topic", .type = SW_SET_STRING, .metavar = "RAW", .offset = A(topic),
     .help = "input topic (required)"},
    {.flag = "--output-topic", .type = SW_SET_CUSTOM, .metavar = "TOPIC", .offset = A(out_topic),
     .set = sw_cli_set_topic,
     .want = SW_CLI_TOPIC_WANT, .help = "output topic (required; not RAW)"},
    {.flag = "--group", .type = SW_SET_STRING, .metavar = "G", .def = "sessionwatch-repartition", .offset = A(group),
     .help = "consumer group (default sessionwatch-repartition)"},
    {.flag = "--exit-at-end", .type = SW_SET_SWITCH, .offset = A(exit_at_end),
     .help = "exit once every assigned partition has been read to its end\n"
             "and everything produced is acknowledged (batch jobs, tests)"},
    {.flag = "--summary", .type = SW_SET_ENUM, .metavar = "text|json", .def = "text", .offset = A(summary),
     .choices = SUMMARY_FORMATS, .want = "text or json", .help = "summary format on stderr (default text)"},
};

static const sw_setting_group RP_GROUPS[] = {
    {RP_ROWS, sizeof RP_ROWS / sizeof RP_ROWS[0], 0, NULL, "\n"},
    SW_CLI_KAFKA_GROUP(A(k)),
    {NULL, 0, 0,
     "  (-X applies to the consumer and the producer alike; a new group starts at the\n"
     "  earliest offset unless -X auto.offset.reset=latest)\n\n"
     "Running:\n",
     NULL},
    SW_CLI_SERVICE_GROUP(A(svc)),
    {NULL, 0, 0,
     "The rule flags below decide which events are kept; --window, --min-sessions,\n"
     "--allowed-lateness and --max-alerts are accepted so that run and repartition can share\n"
     "a command line, and change nothing here.\n",
     NULL},
    SW_CLI_RULE_GROUPS(A(cfg), sw_cli_time_rows_kafka, 2),
};

static const sw_command_settings RP_SETTINGS = {
    "repartition", RP_GROUPS, sizeof RP_GROUPS / sizeof RP_GROUPS[0], NULL, sw_cli_config_sections,
};

static void usage(FILE *out) {
    fputs("Usage: sessionwatch repartition --brokers HOST:PORT --topic RAW --output-topic TOPIC\n"
          "                                [OPTIONS]\n"
          "\n"
          "Joins consumer group GROUP on topic RAW (any partitioning, any of the record formats\n"
          "scan reads, arrays included) and produces to TOPIC only the events the rule can\n"
          "count (the prefilter, then the rule's query: user.session.start with a session id and\n"
          "an actor that is not excluded, and a parsable time), one record per event keyed by\n"
          "user (tenant, 0x1F, actor id) and carrying the input record's timestamp.  Everything\n"
          "else is dropped and counted by reason.  Lateness is judged by run, not here.\n"
          "Input offsets are committed only after the produced records are acknowledged\n"
          "(at-least-once).  Stateless: run any number of instances in one group.  SIGINT or\n"
          "SIGTERM: flush, commit, leave the group, exit 0; a second signal exits at once with\n"
          "status 130.  A summary goes to stderr.\n"
          "\n"
          "With --rules PATH (on the command line or in SESSIONWATCH_RULES) it is instead the\n"
          "route stage of `run --rules` on its own, exactly `sessionwatch run --stage route`:\n"
          "run's flags and its [run] section of --config, query rules alerting where read and\n"
          "every threshold rule's events re-keyed to its key family's internal topic, for\n"
          "`run --stage count` members of the same --group (see `sessionwatch run --help`).\n"
          "\n", out);
    sw_settings_help(RP_GROUPS, sizeof RP_GROUPS / sizeof RP_GROUPS[0], out);
    fputs("\nHealth: /readyz is ready once the consumer group has given this member an\n"
          "assignment (possibly empty) and the producer has not failed.  /metrics:\n"
          "sessionwatch_repartition_{records,events,produced,delivered,produce_errors}_total,\n"
          "..._filtered_total and ..._rejected_total by reason, ..._assigned_partitions.\n"
          "Exit status: 0 when stopped by a signal or at the end (--exit-at-end), 1 when a\n"
          "record could not be produced (its input is not committed: restart to retry) or\n"
          "Kafka fails, 2 on a usage error, 130 after a second signal.\n", out);
}

typedef struct {
    rd_kafka_t *consumer;
    sw_kp *kp;
    rd_kafka_topic_partition_list_t *pending; /* next offset to store, per partition */
    rd_kafka_topic_partition_list_t *eof;     /* partitions read to their end */
    uint64_t failed_seen;
    bool failed;      /* a record failed: stop, store nothing more */
    bool assigned;    /* the group has given this member an assignment */
    pthread_mutex_t mu; /* guards published, which the HTTP thread reads */
    sw_repartition_metrics published;
} rp_ctx;

/* Copies the numbers for /metrics and /readyz (the loop's thread). */
static void publish(rp_ctx *x) {
    sw_kp_counters c;
    bool fatal;
    sw_kp_counts(x->kp, &c, &fatal);
    rd_kafka_topic_partition_list_t *as = NULL;
    uint32_t assigned = 0;
    if (x->consumer && rd_kafka_assignment(x->consumer, &as) == 0) {
        assigned = (uint32_t)as->cnt;
        rd_kafka_topic_partition_list_destroy(as);
    }
    sw_repartition_metrics m = {.records = c.records, .events = c.events, .produced = c.produced,
                                .delivered = c.delivered, .failed = c.failed, .assigned = assigned,
                                .joined = x->assigned, .producer_ok = !fatal && !x->failed};
    memcpy(m.dropped, c.dropped, sizeof m.dropped);
    pthread_mutex_lock(&x->mu);
    x->published = m;
    pthread_mutex_unlock(&x->mu);
}

static int serve_http(void *ud, const char *path, sw_buf *body, const char **content_type) {
    rp_ctx *x = ud;
    pthread_mutex_lock(&x->mu);
    sw_repartition_metrics m = x->published;
    pthread_mutex_unlock(&x->mu);
    if (strcmp(path, "/healthz") == 0) {
        sw_buf_puts(body, "ok\n");
        return 200;
    }
    if (strcmp(path, "/metrics") == 0) {
        *content_type = "text/plain; version=0.0.4";
        sw_repartition_metrics_render(body, &m);
        return 200;
    }
    if (strcmp(path, "/readyz") == 0) {
        const char *why;
        int status = sw_repartition_ready(&m, &why);
        sw_buf_puts(body, why);
        return status;
    }
    sw_buf_puts(body, "not found: try /metrics, /healthz or /readyz\n");
    return 404;
}

/* Flushes the producer, then stores the pending offsets if every record was
 * delivered (auto-commit commits them), and with commit also commits them
 * now.  -1 (and x->failed) if a record was not delivered. */
static int commit_pending(rp_ctx *x, bool commit) {
    if (x->failed) return -1;
    uint64_t failed = sw_kp_flush(x->kp);
    if (failed != x->failed_seen) {
        x->failed_seen = failed;
        x->failed = true;
        sw_log(SW_LOG_ERROR, "records could not be produced; their input offsets are "
               "not committed, so a restart reads them again once the cause is fixed");
        return -1;
    }
    /* Partitions revoked meanwhile refuse the store: their new owner
     * re-reads from the last commit (at-least-once). */
    if (x->pending->cnt > 0) {
        rd_kafka_offsets_store(x->consumer, x->pending);
        rd_kafka_topic_partition_list_destroy(x->pending);
        x->pending = rd_kafka_topic_partition_list_new(8);
    }
    if (!commit) return 0;
    rd_kafka_resp_err_t e = rd_kafka_commit(x->consumer, NULL, 0);
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
        sw_log(SW_LOG_WARN, "offset commit failed: %s (retried by the next commit)", rd_kafka_err2str(e));
    return 0;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
    rp_ctx *x = opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (int i = 0; i < parts->cnt; i++) /* forget a stale end from an earlier assignment */
            rd_kafka_topic_partition_list_del(x->eof, parts->elems[i].topic, parts->elems[i].partition);
        x->assigned = true;
        if (coop) error = rd_kafka_incremental_assign(rk, parts);
        else rd_kafka_assign(rk, parts);
    } else {
        commit_pending(x, true);
        if (coop) error = rd_kafka_incremental_unassign(rk, parts);
        else rd_kafka_assign(rk, NULL);
    }
    if (error) {
        sw_log(SW_LOG_ERROR, "rebalance: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
}

/* True when the member has an assignment and every assigned partition has
 * been read to its end: it sent an EOF event, or it holds no records at all
 * (the watermarks of the last fetch are equal), because librdkafka sends no
 * EOF for an empty partition under read_committed (seen with the mock). */
static bool all_at_end(rp_ctx *x) {
    rd_kafka_topic_partition_list_t *as = NULL;
    if (!x->assigned || rd_kafka_assignment(x->consumer, &as) != 0) return false;
    bool end = true;
    for (int i = 0; end && i < as->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &as->elems[i];
        int64_t lo = -1, hi = -1;
        end = rd_kafka_topic_partition_list_find(x->eof, p->topic, p->partition) != NULL ||
              (rd_kafka_get_watermark_offsets(x->consumer, p->topic, p->partition, &lo, &hi) == 0 && hi >= 0 &&
               lo == hi);
    }
    rd_kafka_topic_partition_list_destroy(as);
    return end;
}

/* One consumed message or event.  -1 on an error that ends the run. */
static int handle(rp_ctx *x, rd_kafka_message_t *m, bool exit_at_end) {
    if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        /* A consumer error: it may name no topic (m->rkt NULL). */
        sw_log(SW_LOG_ERROR, "consumer: %s%s", rd_kafka_message_errstr(m),
               m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? " (does --topic exist?)" : "");
        bool fatal = m->err == RD_KAFKA_RESP_ERR__FATAL ||
                     (exit_at_end && m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
        return fatal ? -1 : 0;
    }
    const char *topic = rd_kafka_topic_name(m->rkt);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (!rd_kafka_topic_partition_list_find(x->eof, topic, m->partition))
            rd_kafka_topic_partition_list_add(x->eof, topic, m->partition);
        return 0;
    }
    rd_kafka_topic_partition_list_del(x->eof, topic, m->partition);
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    const char *rec = m->payload ? m->payload : "";
    if (sw_kp_record(x->kp, rec, m->len, m->len, ts < 0 ? SW_TIME_NONE : ts) != 0) {
        x->failed = true;
        return -1;
    }
    rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(x->pending, topic, m->partition);
    if (!p) p = rd_kafka_topic_partition_list_add(x->pending, topic, m->partition);
    p->offset = m->offset + 1;
    return 0;
}

static rd_kafka_t *new_consumer(const sw_kafka_opts *k, const char *group, bool group_given, bool exit_at_end,
                                rp_ctx *x, char *err, size_t errlen) {
    rd_kafka_conf_t *conf = sw_kafka_conf(k, RD_KAFKA_CONSUMER, err, errlen);
    if (!conf) return NULL;
    /* --group wins over -X group.id; without it, -X and the environment win
     * over the default group.  The offset store and EOF events are how this
     * command works, so they are not negotiable. */
    int bad = (group_given ? rd_kafka_conf_set(conf, "group.id", group, err, errlen) != RD_KAFKA_CONF_OK
                           : sw_kafka_conf_default(conf, k, "group.id", group, err, errlen) != 0) ||
              sw_kafka_conf_default(conf, k, "auto.offset.reset", "earliest", err, errlen) != 0 ||
              rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", err, errlen) != RD_KAFKA_CONF_OK ||
              rd_kafka_conf_set(conf, "enable.partition.eof", exit_at_end ? "true" : "false", err, errlen) !=
                  RD_KAFKA_CONF_OK;
    if (bad) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_opaque(conf, x);
    rd_kafka_t *rk = sw_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
    if (rk) rd_kafka_poll_set_consumer(rk);
    return rk;
}

/* Whether the input topic exists (a regex subscription, "^...", is not
 * checked): 0, or -1 after saying so.  Without this, --exit-at-end would
 * find the empty assignment of a mistyped topic "at its end" and exit 0. */
static int check_topic(rd_kafka_t *rk, const char *topic) {
    if (topic[0] == '^') return 0;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rkt ? rd_kafka_metadata(rk, 0, rkt, &md, 10000) : rd_kafka_last_error();
    if (!e && md->topic_cnt == 1) e = md->topics[0].err;
    if (md) rd_kafka_metadata_destroy(md);
    if (rkt) rd_kafka_topic_destroy(rkt);
    if (!e) return 0;
    sw_log(SW_LOG_ERROR, "--topic %s: %s%s", topic, rd_kafka_err2str(e),
           e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? " (check its name, or create it first)" : "");
    return -1;
}

/* Consumes, produces and commits until a signal, the end (exit_at_end) or
 * a failure.  0 or -1. */
static int consume(rp_ctx *x, bool exit_at_end) {
    const atomic_int *stop = sw_signals_stop_flag();
    while (!atomic_load(stop)) {
        int n = 0;
        bool saw_end = false;
        rd_kafka_message_t *m;
        while (n < BATCH_MAX && !atomic_load(stop) && (m = rd_kafka_consumer_poll(x->consumer, n ? 0 : POLL_MS))) {
            saw_end |= m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
            int rc = handle(x, m, exit_at_end);
            rd_kafka_message_destroy(m);
            if (rc != 0) return -1;
            n++;
        }
        int rc = commit_pending(x, false);
        publish(x);
        if (rc != 0) return -1;
        if (exit_at_end && (saw_end || n == 0) && all_at_end(x)) return commit_pending(x, true);
    }
    return commit_pending(x, true);
}

/* Parses repartition's settings into ra (cli.h's parse convention); *st
 * is set in every case. */
static int parse_repartition(int argc, char **argv, rp_args *ra, sw_settings **st) {
    memset(ra, 0, sizeof *ra);
    sw_config_defaults(&ra->cfg);
    int rc = sw_settings_load(&RP_SETTINGS, ra, argc, argv, st);
    if (rc != SW_PARSE_OK) return rc;
    const char *cmd = RP_SETTINGS.cmd;
    if (sw_cli_rule_check(cmd, &ra->cfg)) {
        sw_settings_blame(*st, "--tenant");
        sw_settings_blame(*st, "--tenant-field");
        return SW_PARSE_USAGE;
    }
    if (!*ra->group) {
        sw_cli_error(cmd, "--group: a consumer group name cannot be empty");
        sw_settings_blame(*st, "--group");
        return SW_PARSE_USAGE;
    }
    if (!ra->topic || !ra->out_topic) return sw_cli_error(cmd, "--topic and --output-topic are required");
    if (strcmp(ra->topic, ra->out_topic) == 0)
        return sw_cli_error(cmd, "--output-topic must differ from --topic (it would read its own output)");
    return SW_PARSE_OK;
}

static void config_print_usage(FILE *out) {
    fputs("Usage: sessionwatch config print repartition [repartition's flags, --config FILE]\n\n"
          "Prints the settings `sessionwatch repartition` would use, as an INI file (each\n"
          "value's origin in a comment), secrets masked.\n",
          out);
}

/* --rules given on the command line (before any "--") or in the environment. */
static bool rules_given(int argc, char **argv) {
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--rules") == 0 || strncmp(argv[i], "--rules=", 8) == 0) return true;
    const char *env = getenv("SESSIONWATCH_RULES");
    return env && *env;
}

/* cmd (run or its config print) with "--stage route" after argv[0]. */
static int as_route_stage(int argc, char **argv, int (*cmd)(int, char **)) {
    char **args = calloc((size_t)argc + 3, sizeof *args);
    if (!args) return sw_cli_error("repartition", "out of memory");
    args[0] = argv[0];
    args[1] = "--stage";
    args[2] = "route";
    for (int i = 1; i < argc; i++) args[i + 2] = argv[i];
    int rc = cmd(argc + 2, args);
    free(args);
    return rc;
}

int sw_repartition_config_print(int argc, char **argv) {
    if (rules_given(argc, argv)) return as_route_stage(argc, argv, sw_run_config_print);
    static rp_args ra;
    sw_settings *st;
    int rc = parse_repartition(argc, argv, &ra, &st);
    if (sw_cli_parse_ended(rc, config_print_usage, st, &rc)) return rc;
    sw_cli_print_effective("repartition", st);
    sw_cli_kafka_print(&ra.k, "the producer", stdout);
    sw_settings_free(st);
    return 0;
}

int sw_cmd_repartition(int argc, char **argv) {
    if (rules_given(argc, argv)) return as_route_stage(argc, argv, sw_cmd_run);
    static rp_args ra; /* big (the Kafka options) */
    sw_settings *st;
    int rc = parse_repartition(argc, argv, &ra, &st);
    if (sw_cli_parse_ended(rc, usage, st, &rc)) return rc;
    sw_log_setup("repartition", ra.svc.log_json, ra.svc.log_level);
    bool group_given = sw_settings_origin(st, "--group") != NULL;
    char err[1024];
    static rp_ctx x;
    pthread_mutex_init(&x.mu, NULL);
    x.pending = rd_kafka_topic_partition_list_new(8);
    x.eof = rd_kafka_topic_partition_list_new(8);
    x.kp = sw_kp_new(&ra.k, ra.out_topic, &ra.cfg, SW_KP_ELIGIBLE_ONLY, "repartition", err, sizeof err);
    if (x.kp) x.consumer = new_consumer(&ra.k, ra.group, group_given, ra.exit_at_end, &x, err, sizeof err);
    int status = 1;
    sw_http *http = NULL;
    if (!x.consumer) {
        sw_log(SW_LOG_ERROR, "%s", err);
        if (x.kp) sw_kp_free(x.kp);
        goto out;
    }
    publish(&x);
    if (ra.svc.metrics_addr) {
        http = sw_http_start(ra.svc.metrics_addr, serve_http, &x, err, sizeof err);
        if (!http) {
            sw_log(SW_LOG_ERROR, "--metrics-addr %s: %s", ra.svc.metrics_addr, err);
            rd_kafka_destroy(x.consumer);
            sw_kp_free(x.kp);
            status = 2;
            goto out;
        }
        sw_log(SW_LOG_INFO, "metrics and health on port %d: /metrics, /healthz, /readyz", sw_http_port(http));
    }
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, ra.topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(x.consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    double t0 = sw_mono_s();
    sw_signals_install();
    if (e) sw_log(SW_LOG_ERROR, "cannot subscribe to %s: %s", ra.topic, rd_kafka_err2str(e));
    else if (!ra.exit_at_end || check_topic(x.consumer, ra.topic) == 0)
        status = consume(&x, ra.exit_at_end) == 0 ? 0 : 1;
    /* Leaving the group revokes the assignment, which commits once more. */
    rd_kafka_consumer_close(x.consumer);
    if (http) sw_http_stop(http); /* before the consumer the handler's copy came from goes */
    pthread_mutex_lock(&x.mu);
    rd_kafka_destroy(x.consumer);
    x.consumer = NULL;
    pthread_mutex_unlock(&x.mu);
    if (sw_signals_received()) sw_log(SW_LOG_INFO, "%s, stopped", sw_signals_name(sw_signals_received()));
    status = sw_kp_finish(x.kp, ra.summary == 1, t0, status);
out:
    rd_kafka_topic_partition_list_destroy(x.pending);
    rd_kafka_topic_partition_list_destroy(x.eof);
    pthread_mutex_destroy(&x.mu);
    sw_settings_free(st);
    return status;
}

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
 * deterministic, so duplicates do not duplicate alerts downstream. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "kafka.h"
#include "keyed_producer.h"
#include "window.h"

#define BATCH_MAX 10000
#define POLL_MS 100

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) {
    stop_signal = sig;
    signal(sig, SIG_DFL); /* a second Ctrl-C kills at once */
}

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
          "SIGTERM: flush, commit, leave the group, exit 0.  A summary goes to stderr.\n"
          "\n"
          "  --topic RAW               input topic (required)\n"
          "  --output-topic TOPIC      output topic (required; not RAW)\n"
          "  --group G                 consumer group (default sessionwatch-repartition)\n"
          "  --exit-at-end             exit once every assigned partition has been read to its end\n"
          "                            and everything produced is acknowledged (batch jobs, tests)\n"
          "  --summary text|json       summary format on stderr (default text)\n"
          "  -h, --help                this help\n"
          "\n", out);
    sw_cli_kafka_help(out);
    fputs("  (-X applies to the consumer and the producer alike; a new group starts at the\n"
          "  earliest offset unless -X auto.offset.reset=latest)\n\n", out);
    fputs("The rule flags below decide which events are kept; --window, --min-sessions,\n"
          "--allowed-lateness and --max-alerts are accepted so that run and repartition can share\n"
          "a command line, and change nothing here.\n", out);
    sw_cli_rule_help(out, true);
    fputs("\nExit status: 0 when stopped by a signal or at the end (--exit-at-end), 1 when a\n"
          "record could not be produced (its input is not committed: restart to retry) or\n"
          "Kafka fails, 2 on a usage error.\n", out);
}

typedef struct {
    rd_kafka_t *consumer;
    sw_kp *kp;
    rd_kafka_topic_partition_list_t *pending; /* next offset to store, per partition */
    rd_kafka_topic_partition_list_t *eof;     /* partitions read to their end */
    uint64_t failed_seen;
    bool failed;      /* a record failed: stop, store nothing more */
    bool assigned;    /* the group has given this member an assignment */
} rp_ctx;

/* Flushes the producer, then stores the pending offsets if every record was
 * delivered (auto-commit commits them), and with commit also commits them
 * now.  -1 (and x->failed) if a record was not delivered. */
static int commit_pending(rp_ctx *x, bool commit) {
    if (x->failed) return -1;
    uint64_t failed = sw_kp_flush(x->kp);
    if (failed != x->failed_seen) {
        x->failed_seen = failed;
        x->failed = true;
        fprintf(stderr, "sessionwatch repartition: records could not be produced; their input offsets are "
                "not committed, so a restart reads them again once the cause is fixed\n");
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
        fprintf(stderr, "sessionwatch repartition: offset commit failed: %s (retried by the next commit)\n",
                rd_kafka_err2str(e));
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
        fprintf(stderr, "sessionwatch repartition: rebalance: %s\n", rd_kafka_error_string(error));
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
        fprintf(stderr, "sessionwatch repartition: consumer: %s%s\n", rd_kafka_message_errstr(m),
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
    fprintf(stderr, "sessionwatch repartition: --topic %s: %s%s\n", topic, rd_kafka_err2str(e),
            e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? " (check its name, or create it first)" : "");
    return -1;
}

/* Consumes, produces and commits until a signal, the end (exit_at_end) or
 * a failure.  0 or -1. */
static int consume(rp_ctx *x, bool exit_at_end) {
    while (!stop_signal) {
        int n = 0;
        bool saw_end = false;
        rd_kafka_message_t *m;
        while (n < BATCH_MAX && !stop_signal && (m = rd_kafka_consumer_poll(x->consumer, n ? 0 : POLL_MS))) {
            saw_end |= m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
            int rc = handle(x, m, exit_at_end);
            rd_kafka_message_destroy(m);
            if (rc != 0) return -1;
            n++;
        }
        if (commit_pending(x, false) != 0) return -1;
        if (exit_at_end && (saw_end || n == 0) && all_at_end(x)) return commit_pending(x, true);
    }
    return commit_pending(x, true);
}

int sw_cmd_repartition(int argc, char **argv) {
    sw_config cfg;
    sw_config_defaults(&cfg);
    sw_kafka_opts k = {0};
    sw_args a = {argc, argv, 1, "repartition"};
    const char *topic = NULL, *out_topic = NULL, *group = "sessionwatch-repartition", *summary = "text";
    bool exit_at_end = false, group_given = false;
    int r;
    while (a.i < argc) {
        const char *arg = argv[a.i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (sw_arg_flag(&a, "--exit-at-end")) {
            exit_at_end = true;
        } else if ((r = sw_arg_value(&a, "--group", &group))) {
            if (r < 0) return 2;
            if (!*group) return sw_cli_error(a.cmd, "--group: a consumer group name cannot be empty");
            group_given = true;
        } else if ((r = sw_cli_rule_option(&cfg, &a, true)) || (r = sw_cli_kafka_option(&k, &a)) ||
                   (r = sw_arg_value(&a, "--topic", &topic)) || (r = sw_cli_topic_option(&a, "--output-topic", &out_topic)) ||
                   (r = sw_arg_value(&a, "--summary", &summary))) {
            if (r < 0) return 2;
        } else {
            return sw_cli_error(a.cmd, "unknown argument '%s'", arg);
        }
    }
    if (sw_cli_rule_check(a.cmd, &cfg)) return 2;
    if (!topic || !out_topic) return sw_cli_error(a.cmd, "--topic and --output-topic are required");
    if (strcmp(topic, out_topic) == 0)
        return sw_cli_error(a.cmd, "--output-topic must differ from --topic (it would read its own output)");
    if (strcmp(summary, "text") != 0 && strcmp(summary, "json") != 0)
        return sw_cli_error(a.cmd, "--summary: '%s' is not text or json", summary);

    char err[1024];
    rp_ctx x = {0};
    x.pending = rd_kafka_topic_partition_list_new(8);
    x.eof = rd_kafka_topic_partition_list_new(8);
    x.kp = sw_kp_new(&k, out_topic, &cfg, SW_KP_ELIGIBLE_ONLY, a.cmd, err, sizeof err);
    if (x.kp) x.consumer = new_consumer(&k, group, group_given, exit_at_end, &x, err, sizeof err);
    int status = 1;
    if (!x.consumer) {
        fprintf(stderr, "sessionwatch repartition: %s\n", err);
        if (x.kp) sw_kp_free(x.kp);
        goto out;
    }
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(x.consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    double t0 = sw_kp_now();
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (e) fprintf(stderr, "sessionwatch repartition: cannot subscribe to %s: %s\n", topic, rd_kafka_err2str(e));
    else if (!exit_at_end || check_topic(x.consumer, topic) == 0) status = consume(&x, exit_at_end) == 0 ? 0 : 1;
    /* Leaving the group revokes the assignment, which commits once more. */
    rd_kafka_consumer_close(x.consumer);
    rd_kafka_destroy(x.consumer);
    if (stop_signal)
        fprintf(stderr, "sessionwatch repartition: %s, stopped\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    status = sw_kp_finish(x.kp, strcmp(summary, "json") == 0, t0, status);
out:
    rd_kafka_topic_partition_list_destroy(x.pending);
    rd_kafka_topic_partition_list_destroy(x.eof);
    return status;
}

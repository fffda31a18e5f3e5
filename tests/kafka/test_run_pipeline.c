/* test_run_pipeline.c -- `sessionwatch run --rules` on an UNKEYED input
 * (ISSUE15): every key family of the rules through its internal topic
 * (itopics.h), against librdkafka's mock cluster, with the harness of
 * test_run (run_harness.h).
 *
 * The reference is `scan --rules` over the same `gen --rules` file: run
 * must give exactly its alert ids and bytes (detected_at aside), naming
 * the original record.  Threshold semantics depend on the order a key's
 * events arrive in; scan-exactness holds when each key's events reach the
 * stateful stage in file order, so the input has ONE partition (produced
 * without a key) and the internal topics four (the stateful work spread
 * over the members).  The internal topics are made beforehand on the mock
 * cluster (it has no CreateTopics), with the names run derives from the
 * group and each key family.  The inputs have 100 users (3.6 MB): the mock
 * keeps only about 5 MB per partition.
 *
 * Cases: deploy/rules and Elastic's Okta rules (../shared/testdata/rules/
 * okta, skipped when absent) with 2 threads and with 2 processes; an
 * internal topic with another partition count is refused; --stage route
 * then --stage count as two processes give the alerts --stage all gives;
 * a foreign record on an internal topic is counted, dead-lettered and
 * skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <unistd.h>

#include "itopics.h"
#include "ruleset.h"
#include "rulespec_of.h"
#include "run_harness.h"
#include "tu_cli.h"
#include "worker.h"

#define INTERNAL_PARTS 4
#define DLQ "okta-dlq"

/* ---- the internal topics --------------------------------------------------- */

typedef struct {
    char name[8][SW_ITOPIC_NAME_CAP];
    char family[8][1024]; /* the key family each holds (its /metrics label) */
    size_t n;
} itopic_list;

/* The internal topics run derives for the rules in dir and group
 * (sw_run_families, as `config print run` lists them). */
static itopic_list internal_topics(const char *dir, const char *group) {
    itopic_list l = {0};
    sw_ruleset rs = {0};
    char err[512];
    if (sw_ruleset_add(&rs, dir, err, sizeof err) != 0) fail_msg("%s", err);
    sw_rulespec *spec = calloc(rs.n + 1, sizeof *spec);
    assert_non_null(spec);
    size_t n = 0;
    for (size_t i = 0; i < rs.n; i++)
        if (rs.v[i].loaded) assert_int_equal(sw_ruledef_spec(&rs.v[i].def, &spec[n++]), 0);
    sw_run_opts o = {.rules = spec, .n_rules = n, .group = group};
    sw_run_family *f;
    size_t nf;
    assert_int_equal(sw_run_families(&o, &f, &nf), 0);
    assert_true(nf >= 1 && nf <= 8);
    for (size_t k = 0; k < nf; k++) {
        memcpy(l.family[l.n], f[k].name, sizeof l.family[l.n]);
        memcpy(l.name[l.n++], f[k].topic, SW_ITOPIC_NAME_CAP);
    }
    free(f);
    for (size_t i = 0; i < n; i++) sw_rulespec_release(&spec[i]);
    free(spec);
    sw_ruleset_free(&rs);
    return l;
}

static itopic_list make_internal(const char *dir, const char *group, int parts) {
    itopic_list l = internal_topics(dir, group);
    for (size_t i = 0; i < l.n; i++) topic(l.name[i], parts);
    return l;
}

/* ---- data ------------------------------------------------------------------- */

/* data_a (path_a): gen --rules deploy/rules, scan's alerts exp_a; data_b
 * (path_b): gen --rules Elastic's Okta rules, scan's alerts exp_e (the
 * harness's check_alerts tells the files apart by path). */
static expected exp_e;
static const char *elastic_dir;

static int pipeline_setup(void **state) {
    (void)state;
    cluster_up();
    topic(IN, 1);
    topic(ALERTS, ALERT_PARTS);
    topic(DLQ, 1);
    return 0;
}
#define PIPE_CASE(f) cmocka_unit_test_setup_teardown(f, pipeline_setup, cluster_teardown)

/* Lines [from, to) of d to the one partition of IN, without a key, in
 * order, flushed; where each went is recorded in d. */
static void produce_unkeyed_lines(rd_kafka_t *rk, dr_sink *s, const dataset *d, size_t from, size_t to) {
    for (size_t i = from; i < to; i++) produce_one(rk, IN, 0, NULL, 0, d->line[i], d->len[i], 0, i + 1);
    flush(rk, s);
}

static void produce_unkeyed(const dataset *d) {
    dr_sink s = {d->partition, d->offset, 0};
    rd_kafka_t *rk = producer(&s);
    produce_unkeyed_lines(rk, &s, d, 0, d->n);
    rd_kafka_destroy(rk);
}

/* ---- offsets ---------------------------------------------------------------- */

static int64_t committed_of(rd_kafka_t *rk, const char *t, int32_t p) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, t, p);
    int64_t at = rd_kafka_committed(rk, l, 10000) ? -2 : l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    return at;
}

/* Whether group committed the end of topic t's non-empty partitions. */
static bool at_end(rd_kafka_t *rk, const char *t, int parts) {
    for (int p = 0; p < parts; p++) {
        int64_t lo, hi;
        assert_int_equal(rd_kafka_query_watermark_offsets(rk, t, p, &lo, &hi, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
        if (hi > 0 && committed_of(rk, t, p) != hi) return false;
    }
    return true;
}

/* Waits until group committed the end of IN, then of every internal topic
 * (once IN is committed, every internal record is in its topic). */
static void wait_pipeline_committed(const char *group, const itopic_list *it, int seconds) {
    rd_kafka_t *rk = reader(group);
    bool done = false;
    for (int i = 0; i < seconds * 5 && !done; i++) {
        done = at_end(rk, IN, 1);
        for (size_t k = 0; done && k < it->n; k++) done = at_end(rk, it->name[k], INTERNAL_PARTS);
        if (!done) usleep(200000);
    }
    rd_kafka_destroy(rk);
    if (!done) fail_msg("group %s did not commit the end of its input and internal topics in %d s", group, seconds);
}

/* Waits until member w of c holds a partition of any topic. */
static void wait_member_assigned(const child *c, int w, int seconds) {
    char needle[64];
    snprintf(needle, sizeof needle, "worker %d assigned ", w);
    for (int i = 0; i < seconds * 20; i++) {
        char *s = child_stderr(c);
        bool found = false;
        for (const char *p = s; !found && (p = strstr(p, needle)); p++) {
            const char *b = strchr(p, '['), *nl = strchr(p, '\n');
            found = b && (!nl || b < nl) && b[1] >= '0' && b[1] <= '9';
        }
        free(s);
        if (found) return;
        usleep(50000);
    }
    char *s = child_stderr(c);
    fail_msg("member %d got no partition within %d s:\n%.6000s", w, seconds, s);
}

/* Assignments and revocations logged by the children so far. */
static size_t rebalance_lines(const child *c, int n) {
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        char *s = child_stderr(&c[i]);
        k += tu_count(s, " assigned ") + tu_count(s, " revoked ") + tu_count(s, " lost ");
        free(s);
    }
    return k;
}

/* Waits until no member of the n children has logged a rebalance for 3 s:
 * a cooperative rebalance moves partitions in several rounds, and with
 * --state memory a partition moved mid-stream forgets its windows. */
static void wait_group_stable(const child *c, int n, int seconds) {
    size_t last = rebalance_lines(c, n);
    int quiet = 0;
    for (int i = 0; i < seconds * 4 && quiet < 12; i++) {
        usleep(250000);
        size_t now = rebalance_lines(c, n);
        quiet = now == last ? quiet + 1 : 0;
        last = now;
    }
    if (quiet < 12) fail_msg("the group kept rebalancing for %d s", seconds);
}

/* Records in internal topic k now (all of them: k < 0). */
static int64_t topic_records(const itopic_list *it, int only) {
    rd_kafka_t *rk = reader("sw-test-reader");
    int64_t n = 0;
    for (size_t k = 0; k < it->n; k++)
        for (int p = 0; p < INTERNAL_PARTS && (only < 0 || (size_t)only == k); p++) {
            int64_t lo, hi;
            assert_int_equal(rd_kafka_query_watermark_offsets(rk, it->name[k], p, &lo, &hi, 10000), 0);
            n += hi;
        }
    rd_kafka_destroy(rk);
    return n;
}

static int64_t internal_records(const itopic_list *it) { return topic_records(it, -1); }

/* ---- the equivalence with scan ---------------------------------------------- */

/* The sample name{family=..,topic=..} of internal topic k, as /metrics
 * labels it (the start of its line, up to the value). */
static void family_series(char *out, size_t cap, const char *name, const itopic_list *it, size_t k) {
    snprintf(out, cap, "\n%s{family=\"%s\",topic=\"%s\"} ", name, it->family[k], it->name[k]);
}

/* The value of internal topic k's sample of name in body; fails when absent. */
static uint64_t family_sample(const char *body, const char *name, const itopic_list *it, size_t k) {
    char s[1400];
    family_series(s, sizeof s, name, it, k);
    const char *p = strstr(body, s);
    if (!p) fail_msg("no%s in /metrics:\n%.6000s", s, body);
    return strtoull(p + strlen(s), NULL, 10);
}

/* One process's /metrics (at port) once everything is committed: per
 * internal topic (labels family and topic), every internal record in it
 * counted as produced (records[k], > 0), their bytes (more than 30 a
 * record: the bench reads bytes per input record from it), the replays
 * and the family's lag; each partition's lag labelled with its topic. */
static void expect_internal_metrics(int port, const itopic_list *it, int64_t *records) {
    for (size_t k = 0; k < it->n; k++) {
        records[k] = topic_records(it, (int)k);
        assert_true(records[k] > 0);
        char want[1400];
        family_series(want, sizeof want - 24, "sessionwatch_internal_records_total", it, k);
        snprintf(want + strlen(want), 24, "%lld\n", (long long)records[k]);
        char *body = tu_http_get_until(port, "/metrics", 200, want);
        assert_true(family_sample(body, "sessionwatch_internal_bytes_total", it, k) > (uint64_t)records[k] * 30);
        family_sample(body, "sessionwatch_internal_replays_total", it, k);
        family_sample(body, "sessionwatch_family_lag", it, k);
        free(body);
        char lag[400];
        snprintf(lag, sizeof lag, "sessionwatch_consumer_lag{topic=\"%s\",partition=\"", it->name[k]);
        free(tu_http_get_until(port, "/metrics", 200, lag));
    }
}

/* What the members' end lines ("worker N: key family F (T): R internal
 * records routed") give for internal topic k, summed over the members. */
static uint64_t routed_in_log(const char *err, const itopic_list *it, size_t k) {
    char s[1400];
    snprintf(s, sizeof s, ": key family %s (%s): ", it->family[k], it->name[k]);
    uint64_t n = 0;
    for (const char *p = err; (p = strstr(p, s)); p++) n += strtoull(p + strlen(s), NULL, 10);
    return n;
}

/* Internal topic k's "records" in the JSON summary's "internal" list. */
static uint64_t routed_in_summary(const char *err, const itopic_list *it, size_t k) {
    char s[1400];
    snprintf(s, sizeof s, "{\"family\":\"%s\",\"topic\":\"%s\",\"records\":", it->family[k], it->name[k]);
    const char *p = strstr(err, s);
    if (!p) fail_msg("no %s in run's summary:\n%.6000s", s, err);
    return strtoull(p + strlen(s), NULL, 10);
}

/* procs processes of threads members each join group, then d is produced:
 * when everything is committed, exactly e's alerts, each once (and with
 * one process, its internal topics' metrics). */
static void pipeline_matches_scan(const char *dir, const dataset *d, const expected *e, const char *group, int procs,
                                  const char *threads) {
    itopic_list it = make_internal(dir, group, INTERNAL_PARTS);
    const char *extra[] = {"--threads", threads, "--status-interval", "0", "-X", "session.timeout.ms=6000",
                           "--rules", dir, "--internal-partitions", "4", procs == 1 ? "--metrics-addr" : NULL,
                           "127.0.0.1:0", NULL};
    child c[2];
    for (int i = 0; i < procs; i++) {
        c[i] = start_run(group, ALERTS, extra);
        for (int w = 0; w < atoi(threads); w++) wait_member_assigned(&c[i], w, 60);
    }
    wait_group_stable(c, procs, 60);
    produce_unkeyed(d);
    wait_pipeline_committed(group, &it, 240);
    int64_t records[8] = {0};
    if (procs == 1) expect_internal_metrics(metrics_port(&c[0]), &it, records);
    for (int i = 0; i < procs; i++) kill(c[i].pid, SIGTERM);
    for (int i = 0; i < procs; i++) {
        int st = child_wait(&c[i], RUN_TIMEOUT_MS);
        char *err = child_stderr(&c[i]);
        if (getenv("SW_TEST_KEEP_LOGS")) {
            char path[64];
            snprintf(path, sizeof path, "/tmp/sw-pipeline-%s-%d.log", group, i);
            FILE *f = fopen(path, "w");
            if (f) fputs(err, f), fclose(f);
        }
        if (st != 0) fail_msg("run exited %d:\n%.6000s", st, err);
        for (size_t k = 0; procs == 1 && k < it.n; k++) {
            assert_int_equal(routed_in_summary(err, &it, k), records[k]);
            assert_int_equal(routed_in_log(err, &it, k), records[k]);
        }
        free(err);
        child_done(&c[i]);
    }
    check_alerts(ALERTS, e, a_and_b, true);
}

static void test_deploy_rules_two_threads(void **state) {
    (void)state;
    pipeline_matches_scan(RUN_RULES_DIR, &data_a, &exp_a, "gp-t2", 1, "2");
}

static void test_deploy_rules_two_processes(void **state) {
    (void)state;
    pipeline_matches_scan(RUN_RULES_DIR, &data_a, &exp_a, "gp-p2", 2, "1");
}

static void test_elastic_rules_two_threads(void **state) {
    (void)state;
    if (!elastic_dir) tu_okta_rules_dir_or_skip();
    pipeline_matches_scan(elastic_dir, &data_b, &exp_e, "ge-t2", 1, "2");
}

static void test_elastic_rules_two_processes(void **state) {
    (void)state;
    if (!elastic_dir) tu_okta_rules_dir_or_skip();
    pipeline_matches_scan(elastic_dir, &data_b, &exp_e, "ge-p2", 2, "1");
}

/* ---- refusals ------------------------------------------------------------------ */

/* An internal topic with another partition count would re-key its windows. */
static void test_wrong_partition_count_refused(void **state) {
    (void)state;
    itopic_list it = internal_topics(RUN_RULES_DIR, "gp-wrong");
    for (size_t i = 0; i < it.n; i++) topic(it.name[i], i == 1 ? 3 : INTERNAL_PARTS);
    const char *extra[] = {"--threads", "1", "--status-interval", "0", "--rules", RUN_RULES_DIR,
                           "--internal-partitions", "4", "--exit-at-end", NULL};
    child c = start_run("gp-wrong", ALERTS, extra);
    int st = child_wait(&c, RUN_TIMEOUT_MS);
    char *err = child_stderr(&c);
    child_done(&c);
    char want[400];
    snprintf(want, sizeof want, "internal topic %s has 3 partitions, not the 4", it.name[1]);
    if (st != 1 || !strstr(err, want)) fail_msg("run exited %d, want 1 saying '%s':\n%.4000s", st, want, err);
    assert_non_null(strstr(err, "--internal-partitions 3"));
    free(err);
}

/* A foreign record on an internal topic (another producer's bytes) does
 * not decode: counted as malformed_json, sent to the dead-letter topic
 * with its key and that reason, skipped; the run goes on and ends
 * (--exit-at-end: settled only once every internal partition is read to
 * its end) with scan's alerts. */
static void test_foreign_internal_record(void **state) {
    (void)state;
    const char *g = "gp-foreign";
    itopic_list it = make_internal(RUN_RULES_DIR, g, INTERNAL_PARTS);
    static const char foreign[] = "{\"not\":\"an internal record\"}";
    dr_sink s = {NULL, NULL, 0};
    rd_kafka_t *rk = producer(&s);
    produce_one(rk, it.name[0], 2, "k", 1, foreign, sizeof foreign - 1, 0, 0);
    flush(rk, &s);
    rd_kafka_destroy(rk);
    produce_unkeyed(&data_a);
    const char *extra[] = {"--threads", "2", "--status-interval", "0", "--rules", RUN_RULES_DIR,
                           "--internal-partitions", "4", "--dlq-topic", DLQ, NULL};
    char *err = run_to_end(g, ALERTS, extra);
    const char *rejected = strstr(err, "\"rejected\":{");
    assert_non_null(rejected);
    assert_int_equal(strtoull(field(rejected, "malformed_json"), NULL, 10), 1);
    free(err);
    check_alerts(ALERTS, &exp_a, a_and_b, true);
    krecs d = read_topic(DLQ, 1);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.r[0].len, sizeof foreign - 1);
    assert_int_equal(d.r[0].key_len, 1);
    assert_memory_equal(d.r[0].value, foreign, sizeof foreign - 1);
    assert_non_null(d.r[0].h[H_REASON]);
    assert_memory_equal(d.r[0].h[H_REASON], "malformed_json", 14);
    krecs_free(&d);
    wait_pipeline_committed(g, &it, 30);
}

/* ---- a broker down and up mid-stream ------------------------------------------ */

/* Broker 2 coordinates the group and leads every internal and alerts
 * partition; it goes down once the members are reading, the input is
 * produced while it is down (routing, committing and alerting stall: the
 * internal records wait in the producer, which never gives up on them), and
 * it comes back 3 s later.  Nothing is lost: every alert of scan's comes,
 * with scan's bytes (a re-read after a stall may repeat one: same id). */
static void test_broker_down_mid_stream(void **state) {
    (void)state;
    const char *g = "gp-down";
    rd_kafka_mock_cluster_t *h = sw_mockcluster_handle(mc);
    itopic_list it = make_internal(RUN_RULES_DIR, g, INTERNAL_PARTS);
    assert_int_equal(rd_kafka_mock_coordinator_set(h, "group", g, 2), RD_KAFKA_RESP_ERR_NO_ERROR);
    for (int p = 0; p < ALERT_PARTS; p++) rd_kafka_mock_partition_set_leader(h, ALERTS, p, 2);
    for (size_t i = 0; i < it.n; i++)
        for (int p = 0; p < INTERNAL_PARTS; p++) rd_kafka_mock_partition_set_leader(h, it.name[i], p, 2);
    rd_kafka_mock_partition_set_leader(h, IN, 0, 1);
    const char *extra[] = {"--threads", "2", "--status-interval", "1s", "-X", "session.timeout.ms=6000", "-X",
                           "socket.timeout.ms=3000", "--rules", RUN_RULES_DIR, "--internal-partitions", "4", NULL};
    child c = start_run(g, ALERTS, extra);
    for (int w = 0; w < 2; w++) wait_member_assigned(&c, w, 60);
    wait_group_stable(&c, 1, 60);
    assert_int_equal(rd_kafka_mock_broker_set_down(h, 2), RD_KAFKA_RESP_ERR_NO_ERROR);
    produce_unkeyed(&data_a);
    sleep(3);
    assert_int_equal(rd_kafka_mock_broker_set_up(h, 2), RD_KAFKA_RESP_ERR_NO_ERROR);
    wait_pipeline_committed(g, &it, 240);
    kill(c.pid, SIGTERM);
    int st = child_wait(&c, RUN_TIMEOUT_MS);
    char *err = child_stderr(&c);
    if (st != 0) fail_msg("run exited %d:\n%.6000s", st, err);
    free(err);
    child_done(&c);
    check_alerts(ALERTS, &exp_a, a_and_b, false);
}

/* ---- Redis state: joins, SIGKILL, restarts; the two stages apart ------------- */

#define redis case_redis /* the harness's (redis_case_setup) */
static int redis_setup(void **state) { return redis_case_setup(state, pipeline_setup); }
#define REDIS_CASE(f) cmocka_unit_test_setup_teardown(f, redis_setup, redis_case_teardown)

/* A member of these cases: deploy/rules, 4 internal partitions, one
 * thread, Redis state checkpointed every `interval`, --stage stage. */
static child start_member(const char *group, const char *stage, const char *interval) {
    const char *extra[] = {"--threads", "1", "-X", "session.timeout.ms=6000", "--status-interval", "0", "--rules",
                           RUN_RULES_DIR, "--internal-partitions", "4", "--state", redis.url, "--checkpoint-interval",
                           interval, "--stage", stage, NULL};
    return start_run(group, ALERTS, extra);
}

/* /readyz covers the internal partitions as it does the input's: an
 * internal partition whose state in Redis is refused (its meta key holds
 * a string) keeps the process not ready, and /readyz names that topic and
 * partition; once the key is gone the partition loads and it is ready. */
static void test_redis_internal_partition_not_ready(void **state) {
    (void)state;
    const char *g = "gp-ready";
    itopic_list it = make_internal(RUN_RULES_DIR, g, INTERNAL_PARTS);
    char meta[600], want[800];
    snprintf(meta, sizeof meta, "sw:{%s:%s:1}:meta", g, it.name[0]);
    redis_do("SET", meta, "not a hash", NULL, NULL);
    const char *extra[] = {"--threads", "1", "-X", "session.timeout.ms=6000", "--status-interval", "0", "--rules",
                           RUN_RULES_DIR, "--internal-partitions", "4", "--state", redis.url, "--metrics-addr",
                           "127.0.0.1:0", NULL};
    child c = start_run(g, ALERTS, extra);
    int port = metrics_port(&c);
    snprintf(want, sizeof want, "a partition's state in Redis is refused: internal topic %s partition 1: ", it.name[0]);
    free(tu_http_get_until(port, "/readyz", 503, want));
    redis_do("DEL", meta, NULL, NULL, NULL);
    free(tu_http_get_until(port, "/readyz", 200, "ready"));
    free(stop_run(&c));
}

/* Waits until the internal topics hold records and stopped growing for 2 s
 * (the routing stage has read what was produced). */
static void wait_routed(const itopic_list *it, int seconds) {
    int64_t last = -1;
    int quiet = 0;
    for (int i = 0; i < seconds * 4 && quiet < 8; i++) {
        usleep(250000);
        int64_t now = internal_records(it);
        quiet = now > 0 && now == last ? quiet + 1 : 0;
        last = now;
    }
    if (quiet < 8) fail_msg("the internal topics kept growing (or stayed empty) for %d s", seconds);
}

/* The replays a stopped member's stateful stage skipped (its log's
 * "N replayed ones skipped"). */
static uint64_t replays_skipped(const char *err) {
    uint64_t n = 0;
    for (const char *p = err; (p = strstr(p, " internal records routed, ")); p++)
        n += strtoull(p + strlen(" internal records routed, "), NULL, 10);
    return n;
}

/* c SIGKILLed; the rest of data_a, from `from`, produced (pr closed); a
 * successor with stage started, and the group's input and internal topics
 * committed to their ends: returns the successor, still running. */
static child crash_and_replace(child *c, const char *g, const char *stage, rd_kafka_t *pr, dr_sink *s, size_t from,
                               const itopic_list *it) {
    kill(c->pid, SIGKILL);
    assert_int_equal(child_wait(c, RUN_TIMEOUT_MS), 128 + SIGKILL);
    child_done(c);
    produce_unkeyed_lines(pr, s, &data_a, from, data_a.n);
    rd_kafka_destroy(pr);
    child next = start_member(g, stage, "200ms");
    wait_pipeline_committed(g, it, 240);
    return next;
}

/* The stages apart, with Redis state: a routing member that never
 * checkpoints its input (so its successor routes everything again), a
 * counting member, a second counting member joining mid-stream (the
 * internal partitions it takes bring their windows and replay guards
 * along), the routing member SIGKILLed mid-stream and another started:
 * every internal record it routed comes again, is skipped as a replay
 * (counted), and the alerts are exactly scan's ids (a duplicate on the
 * alert topic only as the same alert).  Without the guard the replays
 * are counted twice and alerts scan never gives appear. */
static void test_redis_router_killed(void **state) {
    (void)state;
    const char *g = "gr-kill";
    itopic_list it = make_internal(RUN_RULES_DIR, g, INTERNAL_PARTS);
    child route = start_member(g, "route", "1h");
    child count1 = start_member(g, "count", "200ms");
    wait_member_assigned(&route, 0, 60);
    wait_member_assigned(&count1, 0, 60);
    dr_sink s = {data_a.partition, data_a.offset, 0};
    rd_kafka_t *pr = producer(&s);
    size_t half = data_a.n / 2, three_quarters = data_a.n * 3 / 4;
    produce_unkeyed_lines(pr, &s, &data_a, 0, half);
    wait_routed(&it, 120);
    child count2 = start_member(g, "count", "200ms");
    wait_member_assigned(&count2, 0, 60);
    const child both[] = {count1, count2};
    wait_group_stable(both, 2, 60);
    produce_unkeyed_lines(pr, &s, &data_a, half, three_quarters);
    wait_routed(&it, 120);
    child route2 = crash_and_replace(&route, g, "route", pr, &s, three_quarters, &it);
    free(stop_run(&route2));
    char *e1 = stop_run(&count1), *e2 = stop_run(&count2);
    uint64_t replays = replays_skipped(e1) + replays_skipped(e2);
    if (replays == 0) fail_msg("no replay was skipped:\n%.4000s\n%.4000s", e1, e2);
    free(e1);
    free(e2);
    check_alerts(ALERTS, &exp_a, a_and_b, false);
}

/* Both stages in every member, with Redis state: two members, one
 * SIGKILLed mid-stream and restarted; the alerts are exactly scan's ids. */
static void test_redis_member_killed_and_restarted(void **state) {
    (void)state;
    const char *g = "gr-all";
    itopic_list it = make_internal(RUN_RULES_DIR, g, INTERNAL_PARTS);
    child a = start_member(g, "all", "200ms");
    wait_member_assigned(&a, 0, 60);
    child b = start_member(g, "all", "200ms");
    wait_member_assigned(&b, 0, 60);
    const child both[] = {a, b};
    wait_group_stable(both, 2, 60);
    dr_sink s = {data_a.partition, data_a.offset, 0};
    rd_kafka_t *pr = producer(&s);
    size_t half = data_a.n / 2;
    produce_unkeyed_lines(pr, &s, &data_a, 0, half);
    usleep(300000); /* some of it routed and counted, likely not all checkpointed */
    child a2 = crash_and_replace(&a, g, "all", pr, &s, half, &it);
    free(stop_run(&a2));
    free(stop_run(&b));
    check_alerts(ALERTS, &exp_a, a_and_b, false);
}

/* --stage route then --stage count, one process after the other, give the
 * alerts --stage all gives (scan's), each once.  The route stage is run as
 * `repartition --rules`, which is `run --stage route`. */
static void test_stages_as_two_processes(void **state) {
    (void)state;
    const char *g = "gr-stages";
    itopic_list it = make_internal(RUN_RULES_DIR, g, INTERNAL_PARTS);
    produce_unkeyed(&data_a);
    const char *route[] = {"--threads", "1", "--status-interval", "0", "--rules", RUN_RULES_DIR,
                           "--internal-partitions", "4", NULL};
    char *err = command_to_end("repartition", g, ALERTS, route);
    assert_contains(err, "produced only (--stage route)");
    free(err);
    assert_true(internal_records(&it) > 0);
    /* One member: with two, the second could join after the first has read
     * records it has not committed, and with memory state the partitions
     * that move restart their windows (the 2-member cases start the members
     * before producing). */
    const char *count[] = {"--threads", "1", "--status-interval", "0", "--rules", RUN_RULES_DIR,
                           "--internal-partitions", "4", "--stage", "count", NULL};
    err = run_to_end(g, ALERTS, count);
    free(err);
    wait_pipeline_committed(g, &it, 60);
    check_alerts(ALERTS, &exp_a, a_and_b, true);
}

int main(void) {
    unsetenv("SESSIONWATCH_BROKERS");
    signal(SIGPIPE, SIG_IGN);
    if (access(RUN_RULES_DIR, R_OK) != 0) {
        fprintf(stderr, "test_run_pipeline: run from the source directory (ctest does)\n");
        return 1;
    }
    /* 100 users (3.6 MB): the mock keeps about 5 MB per partition. */
    gen_rules_users("7", "2026-01-05T08:00:00Z", RUN_RULES_DIR, "100", path_a);
    load(&data_a, path_a);
    const char *fd[] = {path_a, NULL};
    scan_expected_rules(&exp_a, fd, RUN_RULES_DIR);
    static char edir[4200];
    const char *fx = tu_fixture_dir();
    if (fx) snprintf(edir, sizeof edir, "%s/../rules/okta", fx);
    if (fx && access(edir, R_OK) == 0) {
        elastic_dir = edir;
        gen_rules_users("11", "2026-01-07T08:00:00Z", elastic_dir, "100", path_b);
        load(&data_b, path_b);
        const char *fe[] = {path_b, NULL};
        scan_expected_rules(&exp_e, fe, elastic_dir);
    }
    if (exp_a.n == 0) fail_msg("scan --rules gave no alert");
    if (getenv("SW_TEST_FILTER")) cmocka_set_test_filter(getenv("SW_TEST_FILTER"));
    const struct CMUnitTest tests[] = {
        PIPE_CASE(test_wrong_partition_count_refused), PIPE_CASE(test_deploy_rules_two_threads),
        PIPE_CASE(test_deploy_rules_two_processes),    PIPE_CASE(test_elastic_rules_two_threads),
        PIPE_CASE(test_elastic_rules_two_processes),   PIPE_CASE(test_stages_as_two_processes),
        PIPE_CASE(test_foreign_internal_record),       PIPE_CASE(test_broker_down_mid_stream),
        REDIS_CASE(test_redis_router_killed),          REDIS_CASE(test_redis_member_killed_and_restarted),
        REDIS_CASE(test_redis_internal_partition_not_ready),
    };
    int rc = cmocka_run_group_tests_name("run --rules, unkeyed input, internal topics", tests, NULL, NULL);
    expected_free(&exp_a);
    expected_free(&exp_e);
    dataset_free(&data_a);
    dataset_free(&data_b);
    unlink(path_a);
    if (elastic_dir) unlink(path_b);
    return rc;
}

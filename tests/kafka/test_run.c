/* test_run.c -- pins `sessionwatch run` as a black box against librdkafka's
 * mock cluster (sw_mockcluster, in this process, on 127.0.0.1): the binary
 * runs as a child process, the test produces its input and reads the
 * alerts topic with librdkafka directly.  The reference is `scan` over the
 * same file: run must give exactly its alert ids (duplicates only as the
 * same id) and the same alert bytes, keyed by user, with the three headers
 * and the Kafka source of the completing record.
 *
 * Cases: scan equality; 2 and 3 threads and two processes in one group
 * (all joined before the input is produced);
 * a broker down and up mid-stream; produce errors injected; poison records
 * and the DLQ; SIGTERM mid-flight then a restart; --time-field kafka; the
 * command line; an alert too big to deliver, deliveries refused for good
 * (DLQ or dropped), SIGTERM while a delivery is stuck, and members stopped
 * before their first assignment (librdkafka 2.0.2's abort).  Every wait is
 * bounded and every run ends by itself. The harness (data, cluster, child
 * processes, checks) is run_harness.c, shared with test_run_redis. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <signal.h>
#include <unistd.h>

#include "run_harness.h"
#include "tu_cli.h"

/* ---- 1. the same alerts as scan ------------------------------------------ */

static void test_alerts_match_scan(void **state) {
    (void)state;
    assert_true(exp_a.n >= 10);
    const char *extra[] = {"--threads", "1", "--status-interval", "0", NULL};
    free(one_member_matches_scan("g1", extra));
}

/* ---- 2. several members, joined before consumption ----------------------- */

/* test_two_threads, test_three_threads, test_two_processes: MEMBERS_CASE in main. */

/* ---- 4. a broker down and up mid-stream ----------------------------------- */

static void test_broker_down_mid_stream(void **state) {
    (void)state;
    rd_kafka_mock_cluster_t *h = sw_mockcluster_handle(mc);
    /* Broker 2 is the group coordinator, leads every alerts partition and
     * some input partitions: consuming, committing and alerting all stall. */
    assert_int_equal(rd_kafka_mock_coordinator_set(h, "group", "g4", 2), RD_KAFKA_RESP_ERR_NO_ERROR);
    for (int p = 0; p < ALERT_PARTS; p++) rd_kafka_mock_partition_set_leader(h, ALERTS, p, 2);
    for (int p = 0; p < IN_PARTS; p++) rd_kafka_mock_partition_set_leader(h, IN, p, 1 + p % 3);
    dr_sink s;
    rd_kafka_t *pr = produce_first_half(&s);
    size_t half = data_a.n / 2;
    const char *extra[] = {"--threads", "1", "--status-interval", "1s", "-X", "socket.timeout.ms=3000", NULL};
    child c = start_run("g4", ALERTS, extra);
    wait_committed_to_end("g4", 180, NULL);
    assert_int_equal(rd_kafka_mock_broker_set_down(h, 2), RD_KAFKA_RESP_ERR_NO_ERROR);
    produce_lines(pr, &data_a, half, data_a.n);
    rd_kafka_poll(pr, 3000); /* the rest waits for broker 2 */
    assert_int_equal(rd_kafka_mock_broker_set_up(h, 2), RD_KAFKA_RESP_ERR_NO_ERROR);
    flush(pr, &s);
    rd_kafka_destroy(pr);
    wait_committed_to_end("g4", 240, NULL);
    kill(c.pid, SIGTERM);
    int st = child_wait(&c, RUN_TIMEOUT_MS);
    char *err = child_stderr(&c);
    if (st != 0) fail_msg("run exited %d:\n%.6000s", st, err);
    expect_count(err, "records", data_a.n); /* none skipped, none read twice */
    expect_count(err, "alerts", exp_a.n);
    free(err);
    child_done(&c);
    check_alerts(ALERTS, &exp_a, only_a, false);
}

/* ---- 5. produce errors on the alerts -------------------------------------- */

static void test_produce_errors(void **state) {
    (void)state;
    produce_all(&data_a);
    rd_kafka_mock_cluster_t *h = sw_mockcluster_handle(mc);
    /* Retriable errors (librdkafka retries them), then permanent ones that
     * fail deliveries back to run, which must send the same bytes again. */
    rd_kafka_mock_push_request_errors(h, KAFKA_API_PRODUCE, 6, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
                                      RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
    rd_kafka_mock_push_request_errors(h, KAFKA_API_PRODUCE, 3, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    const char *extra[] = {"--threads", "1", NULL};
    char *err = run_to_end("g5", ALERTS, extra);
    assert_contains(err, "retrying the same message");
    expect_count(err, "alerts", exp_a.n);
    free(err);
    check_alerts(ALERTS, &exp_a, only_a, false);
    wait_committed_to_end("g5", 5, NULL);
}

/* ---- 6. poison records and the DLQ ---------------------------------------- */

static void test_poison_and_dlq(void **state) {
    (void)state;
    topic("dlq", 2);
    static const char garbage[] = "\x01\xfe{\"eventType\":\"user.session.start\",\x80\x80 not json";
    static const char wrong_type[] =
        "{\"eventType\":\"user.session.start\",\"published\":\"2026-01-05T08:10:00.000Z\",\"actor\":\"bob\","
        "\"authenticationContext\":{\"externalSessionId\":\"s1\"}}";
    size_t big_len = 2u << 20;
    char *big = malloc(big_len);
    assert_non_null(big);
    static const char head[] = "{\"eventType\":\"user.session.start\",\"pad\":\"";
    memset(big, 'x', big_len);
    memcpy(big, head, sizeof head - 1);
    memcpy(big + big_len - 2, "\"}", 2);
    struct { const char *key, *value, *reason; size_t len; } poison[] = {
        {"\x1Fpoison-1", garbage, "malformed_json", sizeof garbage - 1},
        {"\x1Fpoison-2", big, "too_large", big_len},
        {"\x1Fpoison-3", wrong_type, "wrong_type", sizeof wrong_type - 1},
    };
    dr_sink s;
    rd_kafka_t *pr = produce_first_half(&s);
    size_t half = data_a.n / 2;
    /* Into the partition with the fewest records: a mock partition keeps ~5 MB. */
    size_t count[IN_PARTS] = {0};
    int32_t small = 0;
    for (size_t i = 0; i < half; i++) count[data_a.partition[i]]++;
    for (int32_t p = 1; p < IN_PARTS; p++) small = count[p] < count[small] ? p : small;
    for (size_t i = 0; i < 3; i++) produce_one(pr, IN, small, poison[i].key, strlen(poison[i].key), poison[i].value, poison[i].len, 0, 0);
    produce_lines(pr, &data_a, half, data_a.n);
    flush(pr, &s);
    rd_kafka_destroy(pr);

    /* The 2 MB record is over 1M (the default, 8M, holds a whole API page). */
    const char *extra[] = {"--dlq-topic", "dlq", "--threads", "1", "--max-record-bytes", "1M", NULL};
    char *err = run_to_end("g6", ALERTS, extra);
    assert_contains(err, "\"rejected\":{\"malformed_json\":1,\"too_large\":1,\"wrong_type\":1,\"duplicate_key\":0,"
                         "\"bad_time\":0,\"too_late\":0,\"too_early\":0,\"too_many_tenants\":0}");
    expect_count(err, "records", data_a.n + 3);
    free(err);
    /* The worker went on: every alert came, including those completed by
     * records after the poison. */
    size_t after = 0;
    for (size_t i = 0; i < exp_a.n; i++) after += exp_a.a[i].line > half;
    assert_true(after > 0);
    check_alerts(ALERTS, &exp_a, only_a, false);

    krecs d = read_topic("dlq", 2);
    assert_int_equal(d.n, 3);
    for (size_t i = 0; i < 3; i++) {
        const krec *r = NULL;
        for (size_t j = 0; j < d.n; j++)
            if (d.r[j].key_len == strlen(poison[i].key) && memcmp(d.r[j].key, poison[i].key, d.r[j].key_len) == 0) r = &d.r[j];
        assert_non_null(r);
        assert_non_null(r->h[H_REASON]);
        assert_string_equal(r->h[H_REASON], poison[i].reason);
        if (poison[i].len < 1000000) {
            assert_int_equal(r->len, poison[i].len);
            assert_null(r->h[H_ORIGINAL_VALUE_BYTES]);
        } else { /* over the producer's message.max.bytes: cut, and says so */
            assert_true(r->len > 900000 && r->len < poison[i].len);
            assert_non_null(r->h[H_ORIGINAL_VALUE_BYTES]);
            assert_int_equal(strtoull(r->h[H_ORIGINAL_VALUE_BYTES], NULL, 10), poison[i].len);
        }
        assert_memory_equal(r->value, poison[i].value, r->len);
    }
    krecs_free(&d);
    free(big);
}

/* ---- 7. SIGTERM with alerts in flight, then a restart --------------------- */

static void test_sigterm_and_restart(void **state) {
    (void)state;
    rd_kafka_mock_cluster_t *h = sw_mockcluster_handle(mc);
    assert_int_equal(rd_kafka_mock_coordinator_set(h, "group", "g7", 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    for (int p = 0; p < IN_PARTS; p++) rd_kafka_mock_partition_set_leader(h, IN, p, 1);
    for (int p = 0; p < ALERT_PARTS; p++) rd_kafka_mock_partition_set_leader(h, ALERTS, p, 3);
    produce_all(&data_a);
    /* Broker 3 answers alerts 3 s late: at SIGTERM they are in flight. */
    rd_kafka_mock_broker_set_rtt(h, 3, 3000);
    const char *extra[] = {"--threads", "1", "--status-interval", "100ms", NULL};
    child c = start_run("g7", ALERTS, extra);
    char needle[64];
    snprintf(needle, sizeof needle, "status records=%zu ", data_a.n);
    child_wait_for(&c, needle, 120);
    char *err = child_stderr(&c);
    const char *st_line = strstr(err, needle);
    assert_true(strtoull(strstr(st_line, " unacked=") + 9, NULL, 10) > 0);
    free(err);
    kill(c.pid, SIGTERM);
    int st = child_wait(&c, RUN_TIMEOUT_MS);
    err = child_stderr(&c);
    if (st != 0) fail_msg("run exited %d after SIGTERM:\n%.6000s", st, err);
    expect_count(err, "alerts", exp_a.n);
    child_done(&c);
    rd_kafka_mock_broker_set_rtt(h, 3, 0);
    /* Flushed, then committed: everything read so far is committed. */
    wait_committed_to_end("g7", 1, err);
    free(err);
    check_alerts(ALERTS, &exp_a, only_a, false);

    /* Restart in the same group with more input: it resumes at the
     * committed offsets (reads exactly the new records) and loses nothing. */
    produce_all(&data_b);
    err = run_to_end("g7", ALERTS, extra);
    expect_count(err, "records", data_b.n);
    free(err);
    check_alerts(ALERTS, &exp_ab, a_and_b, false);
}

/* ---- --time-field kafka --------------------------------------------------- */

static void test_time_field_kafka(void **state) {
    (void)state;
    dr_sink s = {0};
    rd_kafka_t *pr = producer(&s);
    const int64_t t0 = 1767600000000LL; /* 2026-01-05T08:00:00Z */
    for (int i = 0; i < 3; i++) {
        char rec[256];
        int n = snprintf(rec, sizeof rec,
                         "{\"eventType\":\"user.session.start\",\"actor\":{\"id\":\"00uK\"},"
                         "\"authenticationContext\":{\"externalSessionId\":\"s%d\"}}", i);
        produce_one(pr, IN, RD_KAFKA_PARTITION_UA, "\x1F" "00uK", 5, rec, (size_t)n, t0 + i * 60000, 0);
    }
    flush(pr, &s);
    rd_kafka_destroy(pr);
    const char *extra[] = {"--time-field", "kafka", "--threads", "1", NULL};
    char *err = run_to_end("g-kt", ALERTS, extra);
    expect_count(err, "alerts", 1);
    free(err);
    krecs k = read_topic(ALERTS, ALERT_PARTS);
    assert_int_equal(k.n, 1);
    assert_contains(k.r[0].value, "\"@timestamp\":\"2026-01-05T08:02:00.000Z\"");
    krecs_free(&k);
}

/* ---- 8. the command line --------------------------------------------------- */

static void test_help_and_usage_errors(void **state) {
    (void)state;
    static const char *const flags[] = {
        "--brokers", "-X", "--topic", "--alerts-topic", "--group", "--dlq-topic", "--threads", "--exit-at-end",
        "--status-interval", "--summary", "--tenant-field", "--tenant NAME", "--time-field", "kafka", "--window",
        "--min-sessions", "--allowed-lateness", "--max-alerts", "--exclude-prefix", "--exclude-case-insensitive",
        "--require-success", "--exclude-unknown-actor", "--max-record-bytes", "--no-prefilter", "SIGTERM",
    };
    for (int form = 0; form < 2; form++) {
        const char *argv[] = {"run", form ? "-h" : "--help", NULL};
        tu_expect_help(argv, "Usage: sessionwatch run", flags, sizeof flags / sizeof flags[0]);
    }
    const char *missing[] = {"run", "--topic", "x", NULL};
    tu_result r = tu_run(missing, NULL, 0);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "sessionwatch run: --brokers is required (or set SESSIONWATCH_BROKERS); "
                           "try 'sessionwatch mock-broker' for a local cluster");
    tu_result_free(&r);
    static const char *const bad[][4] = {
        {"--threads", "0"}, {"--threads", "x"}, {"--status-interval", "5x"}, {"--status-interval", "5"},
        {"--summary", "xml"}, {"--topic", "^okta.*"}, {"--dlq-topic", "a b"}, {"--group", ""},
        {"--time-field", "published"}, {"--bogus"}, {"file.ndjson"}, {"-X", "nonsense"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[] = {"run", "--brokers", "127.0.0.1:1", bad[i][0], bad[i][1], NULL};
        r = tu_run(argv, NULL, 0);
        if (r.status != 2) fail_msg("run %s %s: exit %d, want 2; stderr: %s", bad[i][0], bad[i][1] ? bad[i][1] : "", r.status, r.err);
        assert_contains(r.err, "sessionwatch run: ");
        assert_int_equal(r.out_len, 0);
        tu_result_free(&r);
    }
}

/* The metrics of a run match what it processed; health and readiness
 * answer; logs are JSON lines. */
static void test_metrics_and_health(void **state) {
    (void)state;
    /* Both members hold partitions before the input comes (as in
     * members_then_input): a rebalance mid-stream would read some records
     * twice (at-least-once), and the counts below are exact. */
    const char *extra[] = {"--threads", "2", "--status-interval", "0", "--metrics-addr", "127.0.0.1:0",
                           "--log-format", "json", "-X", "session.timeout.ms=6000", NULL};
    child c = start_run("g-metrics", ALERTS, extra);
    int port = metrics_port(&c);
    for (int w = 0; w < 2; w++) child_wait_assigned(&c, w, 60);
    produce_all(&data_a);
    wait_committed_to_end("g-metrics", 180, NULL);
    char records[64];
    snprintf(records, sizeof records, "\nsessionwatch_records_total %zu\n", data_a.n);
    char *body = tu_http_get_until(port, "/metrics", 200, records);
    assert_int_equal(metric(body, "sessionwatch_alerts_total"), exp_a.n);
    assert_int_equal(metric(body, "sessionwatch_assigned_partitions"), IN_PARTS);
    assert_int_equal(metric(body, "sessionwatch_processing_latency_seconds_count"), data_a.n);
    assert_int_equal(metric(body, "sessionwatch_rejected_total{reason=\"malformed_json\"}"), 0);
    assert_int_equal(metric(body, "sessionwatch_failed"), 0);
    assert_int_equal(metric(body, "sessionwatch_alerts_unacknowledged"), 0);
    assert_contains(body, "# TYPE sessionwatch_records_total counter\n");
    assert_contains(body, "# TYPE sessionwatch_processing_latency_seconds histogram\n");
    assert_contains(body, "sessionwatch_processing_latency_seconds_bucket{le=\"+Inf\"}");
    double eligible = metric(body, "sessionwatch_eligible_total");
    free(body);
    char *b = tu_http_get_until(port, "/healthz", 200, "ok");
    free(b);
    b = tu_http_get_until(port, "/readyz", 200, "ready");
    free(b);
    b = tu_http_get_until(port, "/nope", 404, "not found");
    free(b);
    /* The lag of every partition, once librdkafka's statistics came (5 s). */
    body = tu_http_get_until(port, "/metrics", 200, "sessionwatch_consumer_lag{topic=\"" IN "\",partition=\"7\"} 0\n");
    free(body);
    kill(c.pid, SIGTERM);
    assert_int_equal(child_wait(&c, RUN_TIMEOUT_MS), 0);
    char *err = child_stderr(&c);
    child_done(&c);
    assert_int_equal((uint64_t)eligible, summary_count(err, "eligible"));
    /* Every log line is a JSON object with ts, level, cmd and msg (the
     * --summary json line is one too); librdkafka's lines included. */
    size_t lines = 0;
    for (char *s = err, *nl; (nl = strchr(s, '\n')); s = nl + 1, lines++) {
        if (strncmp(s, "{\"records\":", 11) == 0) continue;
        if (strncmp(s, "{\"ts\":\"", 7) != 0 || !strstr(s, "\",\"level\":\"") || !strstr(s, "\"cmd\":\"run\",\"msg\":"))
            fail_msg("not a JSON log line: %.*s", (int)(nl - s), s);
    }
    assert_true(lines >= 4);
    free(err);
}

/* ---- 12.1 an alert too big to deliver; a stop while a delivery is stuck -- */

#define BIG_ID_BYTES (400u * 1024u)
#define BIG_STUCK_MS 120000 /* hang guard: the old code retried such an alert for ever */

/* Three session starts of one user with 400 KB session ids (each record
 * under 1 MB): written to file path, and produced to the input. */
static void produce_big_sessions(char *path) {
    snprintf(path, 64, "/tmp/sw-run-big-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    dr_sink s = {0};
    rd_kafka_t *pr = producer(&s);
    char *id = malloc(BIG_ID_BYTES + 1);
    size_t cap = BIG_ID_BYTES + 512;
    char *rec = malloc(cap);
    assert_true(id && rec);
    for (int i = 0; i < 3; i++) {
        memset(id, 'a' + i, BIG_ID_BYTES);
        memcpy(id, "\xc3\xa9", 2); /* a multi-byte character first: cuts keep characters whole */
        id[BIG_ID_BYTES] = '\0';
        int n = snprintf(rec, cap,
                         "{\"eventType\":\"user.session.start\",\"published\":\"2026-01-05T08:0%d:00.000Z\","
                         "\"actor\":{\"id\":\"00uBIG\"},\"authenticationContext\":{\"externalSessionId\":\"%s\"}}",
                         i, id);
        fprintf(f, "%s\n", rec);
        produce_one(pr, IN, RD_KAFKA_PARTITION_UA, "\x1F" "00uBIG", 7, rec, (size_t)n, 0, 0);
    }
    fclose(f);
    flush(pr, &s);
    rd_kafka_destroy(pr);
    free(id);
    free(rec);
}

/* The one alert of the big sessions: bounded, says what was cut, and is
 * the alert scan prints for the same file. */
static void check_big_alert(const char *value, size_t len, const char *path) {
    assert_true(len <= SW_ALERT_MAX_BYTES);
    assert_contains(value, "\"truncated\":{\"session_ids\":3,\"sessions_omitted\":0},\"source\":");
    assert_contains(value, "\"id_truncated\":{\"bytes\":409600,\"hash\":\"");
    assert_contains(value, "\"cardinality\":[{\"field\":\"okta.authentication_context.external_session_id\",\"value\":3}]");
    assert_int_equal(tu_count(value, "\"id_truncated\""), 3);
    const char *argv[] = {"scan", path, NULL};
    tu_result r = tu_run(argv, NULL, 0);
    assert_int_equal(r.status, 0);
    assert_int_equal(tu_count(r.out, "\n"), 1);
    char *line = xstrndup(r.out, strcspn(r.out, "\n"));
    char *a = comparable(value), *b = comparable(line);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(line);
    tu_result_free(&r);
}

/* 12.1: the 1.2 MB alert used to be retried for ever ("Message size too
 * large"), its partition never committed and --exit-at-end never exited.
 * Now it is cut to fit, delivered, and the partition committed. */
static void test_big_alert_is_bounded(void **state) {
    (void)state;
    char path[64];
    produce_big_sessions(path);
    const char *argv[] = {"--exit-at-end", "--threads", "1", NULL};
    child c = start_run("g-big", ALERTS, argv);
    int st = child_wait(&c, BIG_STUCK_MS);
    char *err = child_stderr(&c);
    child_done(&c);
    if (st != 0) fail_msg("run exited %d; stderr:\n%.6000s", st, err);
    expect_count(err, "alerts", 1);
    free(err);
    krecs k = read_topic(ALERTS, ALERT_PARTS);
    assert_int_equal(k.n, 1);
    check_big_alert(k.r[0].value, k.r[0].len, path);
    assert_int_equal(k.r[0].key_len, 7);
    krecs_free(&k);
    wait_committed_to_end("g-big", 5, NULL);
    unlink(path);
}

/* A header of a message of topic t read with its own consumer (read_topic
 * keeps only the headers the alert cases need). */
static char *dlq_header(const char *t, int parts, const char *alert_id, const char *name) {
    rd_kafka_t *rk = reader("sw-test-dlq-reader");
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; p++) rd_kafka_topic_partition_list_add(l, t, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(l);
    char *found = NULL;
    int eof = 0;
    for (int64_t deadline = time(NULL) + 60; !found && eof < parts && time(NULL) < deadline;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m) continue;
        rd_kafka_headers_t *hs;
        const void *v;
        size_t n;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) eof++;
        else if (!m->err && m->payload && m->len > 50 && memmem(m->payload, m->len, alert_id, SW_ALERT_ID_LEN) &&
                 rd_kafka_message_headers(m, &hs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                 rd_kafka_header_get_last(hs, name, &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR)
            found = xstrndup(v, n);
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return found;
}

/* 12.1: a delivery the broker refuses for good (MESSAGE_TOO_LARGE
 * injected on the first Produce request) goes to the DLQ with its reason,
 * or without --dlq-topic is dropped with an error log; either way the
 * partition is committed and --exit-at-end exits. */
static void undeliverable(const char *group, bool dlq) {
    produce_all(&data_a);
    if (dlq) topic("dlq", 2);
    rd_kafka_mock_cluster_t *h = sw_mockcluster_handle(mc);
    rd_kafka_mock_push_request_errors(h, KAFKA_API_PRODUCE, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    const char *with_dlq[] = {"--exit-at-end", "--threads", "1", "--dlq-topic", "dlq", NULL};
    const char *without[] = {"--exit-at-end", "--threads", "1", NULL};
    child c = start_run(group, ALERTS, dlq ? with_dlq : without);
    int st = child_wait(&c, BIG_STUCK_MS);
    char *err = child_stderr(&c);
    child_done(&c);
    if (st != 0) fail_msg("run exited %d; stderr:\n%.6000s", st, err);
    assert_contains(err, "failed for good: Broker: Message size too large");
    assert_contains(err, dlq ? "sent to the dead-letter topic dlq instead" : "the message is dropped (no --dlq-topic)");
    expect_count(err, "alerts", exp_a.n);
    free(err);
    wait_committed_to_end(group, 5, NULL);
    /* Every alert is on the alerts topic or (dlq) in the DLQ, with its reason. */
    krecs k = read_topic(ALERTS, ALERT_PARTS);
    krecs d = dlq ? read_topic("dlq", 2) : (krecs){0};
    size_t missing = 0;
    for (size_t i = 0; i < exp_a.n; i++) {
        bool on_topic = false;
        for (size_t j = 0; j < k.n && !on_topic; j++) on_topic = strstr(k.r[j].value, exp_a.a[i].id) != NULL;
        if (on_topic) continue;
        const krec *r = NULL;
        for (size_t j = 0; j < d.n && !r; j++)
            if (strstr(d.r[j].value, exp_a.a[i].id)) r = &d.r[j];
        if (!r) {
            missing++;
            continue;
        }
        assert_string_equal(r->h[H_REASON], "undeliverable");
        char *a = comparable(r->value), *b = comparable(exp_a.a[i].json);
        assert_string_equal(a, b);
        free(a);
        free(b);
        assert_string_equal(r->h[H_ALERT_ID], exp_a.a[i].id);
        char *e = dlq_header("dlq", 2, exp_a.a[i].id, "error");
        char *t = dlq_header("dlq", 2, exp_a.a[i].id, "original_topic");
        assert_non_null(e);
        assert_non_null(t);
        assert_string_equal(e, "MSG_SIZE_TOO_LARGE");
        assert_string_equal(t, ALERTS);
        free(e);
        free(t);
    }
    if (dlq) {
        assert_int_equal(missing, 0);
        assert_true(d.n >= 1);
    } else {
        assert_true(missing >= 1);
    }
    krecs_free(&k);
    krecs_free(&d);
}

static void test_undeliverable_to_dlq(void **state) {
    (void)state;
    undeliverable("g-undeliverable-dlq", true);
}

static void test_undeliverable_dropped(void **state) {
    (void)state;
    undeliverable("g-undeliverable-drop", false);
}

/* 12.1: SIGTERM while every alert delivery fails (a transient error
 * injected for good) ends in the bounded stop time and exits 0; the
 * records of the unacknowledged alerts are not committed. */
static void test_sigterm_with_stuck_delivery(void **state) {
    (void)state;
    produce_all(&data_a);
    rd_kafka_mock_cluster_t *h = sw_mockcluster_handle(mc);
    static rd_kafka_resp_err_t errs[5000];
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) errs[i] = RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED;
    rd_kafka_mock_push_request_errors_array(h, KAFKA_API_PRODUCE, sizeof errs / sizeof errs[0], errs);
    const char *extra[] = {"--threads", "1", "--status-interval", "0", "--metrics-addr", "127.0.0.1:0", NULL};
    child c = start_run("g-stuck", ALERTS, extra);
    int port = metrics_port(&c);
    child_wait_for(&c, "retrying the same message", 120);
    char *body = tu_http_get_until(port, "/metrics", 200, "sessionwatch_delivery_stalled_seconds ");
    assert_true(metric(body, "sessionwatch_alerts_unacknowledged") > 0);
    free(body);
    kill(c.pid, SIGTERM);
    /* The bound is 30 s (+15 s watchdog); wait up to 3 times that. */
    int st = child_wait(&c, 3 * 45000);
    char *err = child_stderr(&c);
    child_done(&c);
    if (st != 0) fail_msg("run exited %d after SIGTERM:\n%.6000s", st, err);
    assert_contains(err, "were never acknowledged; their records were not committed and will be read again");
    free(err);
    /* No partition is committed past a record whose alert was not delivered. */
    int64_t got[IN_PARTS];
    committed("g-stuck", got);
    for (size_t i = 0; i < exp_a.n; i++) {
        size_t line = exp_a.a[i].line;
        int32_t p = data_a.partition[line - 1];
        if (got[p] > data_a.offset[line - 1])
            fail_msg("partition %d committed at %lld past the alert of offset %lld", p, (long long)got[p],
                     (long long)data_a.offset[line - 1]);
    }
}

/* ---- 12.5 a member stopped before its first assignment -------------------- */

/* librdkafka 2.0.2 aborted (exit 134, rd_kafka_sticky_assignor_state_destroy:
 * Assertion 'assignor_state' failed) destroying a cooperative-sticky
 * consumer stopped between its JoinGroup response and its first SyncGroup.
 * The coordinator answers 1 s late, so SIGTERM sent when the JoinGroup
 * response is logged lands in that window every time; each stop must exit
 * 0.  Three members in turn: a fresh group, then two joining a group where
 * the first one is running. */
static void test_stop_before_first_assignment(void **state) {
    (void)state;
    rd_kafka_mock_cluster_t *h = sw_mockcluster_handle(mc);
    const char *group = "g-first-assign";
    assert_int_equal(rd_kafka_mock_coordinator_set(h, "group", group, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    const char *extra[] = {"--threads", "1", "--status-interval", "0", "--log-level", "debug", "-X", "debug=cgrp",
                           "-X", "session.timeout.ms=6000", NULL};
    child stay = {0};
    for (int i = 0; i < 3; i++) {
        if (i == 1) { /* a running member, already assigned, for the next two to join */
            rd_kafka_mock_broker_set_rtt(h, 1, 0);
            stay = start_run(group, ALERTS, extra);
            child_wait_assigned(&stay, 0, 60);
        }
        rd_kafka_mock_broker_set_rtt(h, 1, 1000);
        child c = start_run(group, ALERTS, extra);
        child_wait_for(&c, "JoinGroup response: GenerationId", 120);
        kill(c.pid, SIGTERM);
        int st = child_wait(&c, 3 * 45000);
        char *err = child_stderr(&c);
        child_done(&c);
        if (st != 0) fail_msg("stop %d: run exited %d; the end of its stderr:\n%s", i, st,
                              err + (strlen(err) > 4000 ? strlen(err) - 4000 : 0));
        free(err);
    }
    rd_kafka_mock_broker_set_rtt(h, 1, 0);
    kill(stay.pid, SIGTERM);
    assert_int_equal(child_wait(&stay, RUN_TIMEOUT_MS), 0);
    child_done(&stay);
}

int main(void) {
    run_harness_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_usage_errors), CLUSTER_CASE(test_alerts_match_scan),
        CLUSTER_CASE(test_time_field_kafka), MEMBERS_CASE("test_two_threads", "g-t2", 1, "2", NULL),
        MEMBERS_CASE("test_three_threads", "g-t3", 1, "3", NULL), MEMBERS_CASE("test_two_processes", "g-p2", 2, "1", NULL), CLUSTER_CASE(test_broker_down_mid_stream),
        CLUSTER_CASE(test_produce_errors), CLUSTER_CASE(test_poison_and_dlq),
        CLUSTER_CASE(test_sigterm_and_restart), CLUSTER_CASE(test_metrics_and_health),
        CLUSTER_CASE(test_big_alert_is_bounded), CLUSTER_CASE(test_undeliverable_to_dlq),
        CLUSTER_CASE(test_undeliverable_dropped), CLUSTER_CASE(test_sigterm_with_stuck_delivery),
        CLUSTER_CASE(test_stop_before_first_assignment),
    };
    int rc = cmocka_run_group_tests_name("run", tests, NULL, NULL);
    run_harness_free();
    return rc;
}

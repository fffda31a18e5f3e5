/* test_run_redis.c -- `sessionwatch run` with its window state in Redis,
 * as a black box against the mock cluster (the harness of test_run:
 * run_harness.h): the cases of the Redis state hand-off.  A member joining
 * mid-stream, a restart mid-window, SIGKILL mid-stream, members joining and
 * leaving, Redis down and back, the input topic recreated under old
 * checkpoints, one partition's key of the wrong type, a wrong Redis
 * password, Redis flushed mid-stream; each with its own redis-server.  And
 * a Sentinel failover mid-stream (a primary, a replica and redis-sentinel),
 * with and without --state-replicas 1; skipped, saying so, without Debian's
 * redis-sentinel.  (About 7 min on a loaded 2-core machine: CTest's
 * TIMEOUT is 1200 s.) */
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

#include "checkpoint.h"
#include "run_harness.h"

/* ---- 3. window state in Redis -------------------------------------------- */

/* Each case has its own redis-server (Debian's package) on a free loopback
 * port, stopped by pid in the teardown.  Every case straddles attacks
 * across the hand-off: with --state memory they miss alerts (the windows
 * of the moved partitions are forgotten), so passing needs the state to
 * move through Redis.  Alerts are compared by distinct alert_id with scan
 * over the same records: none missing, none extra. */
#define redis case_redis /* the harness's (redis_case_setup) */
static int redis_setup(void **state) { return redis_case_setup(state, cluster_setup); }

/* `run` flags for a worker of these cases: one thread, quick group
 * changes, Redis state checkpointed every 200 ms. */
#define REDIS_RUN_ARGS "--threads", "1", "-X", "session.timeout.ms=6000", "--state", redis.url, \
                       "--checkpoint-interval", "200ms", "--status-interval", "200ms"
/* run's eager path (every rebalance revokes everything), pinned by the
 * rebalance case; the others use the default cooperative-sticky. */
#define EAGER "-X", "partition.assignment.strategy=roundrobin"
/* The flags alone, as run's extra arguments. */
static const char *const REDIS_RUN[] = {REDIS_RUN_ARGS, NULL};

/* SIGKILL (a crash between checkpoints), the exit status checked. */
static void crash(child *a) {
    kill(a->pid, SIGKILL);
    assert_int_equal(child_wait(a, RUN_TIMEOUT_MS), 128 + SIGKILL);
    child_done(a);
}

/* The rest of data_a, from `from`, is produced (and the producer closed);
 * a successor (or the restarted member) runs to the end and restores the
 * state from Redis.  Returns its stderr. */
static char *successor_to_end(rd_kafka_t *pr, dr_sink *s, size_t from, const char *group, const char *const *extra) {
    produce_lines(pr, &data_a, from, data_a.n);
    flush(pr, s);
    rd_kafka_destroy(pr);
    char *err = run_to_end(group, ALERTS, extra);
    assert_contains(err, "state restored from Redis");
    return err;
}

/* The same, and the successor found every partition's checkpoint and read
 * exactly the records from `from` on; returns its stderr. */
static char *successor_resumed_at(rd_kafka_t *pr, dr_sink *s, size_t from, const char *group,
                                  const char *const *extra) {
    char *err = successor_to_end(pr, s, from, group, extra);
    assert_true(strstr(err, "no checkpoint in Redis") == NULL);
    expect_count(err, "records", data_a.n - from);
    return err;
}

static void successor_resumes_at(rd_kafka_t *pr, dr_sink *s, size_t from, const char *group,
                                 const char *const *extra) {
    free(successor_resumed_at(pr, s, from, group, extra));
}

/* The common start: the first half of data_a produced (by pr, reporting
 * to s; both kept for the rest) and consumed to its end by member a of
 * group, started with the Redis flags and still running. */
typedef struct {
    dr_sink s;
    rd_kafka_t *pr;
    child a;
} first_half;

static void first_half_consumed_by(first_half *h, const char *group, const char *const *extra) {
    h->pr = produce_first_half(&h->s);
    h->a = start_run(group, ALERTS, extra);
    wait_committed_to_end(group, 180, NULL);
}

static void first_half_consumed(first_half *h, const char *group) { first_half_consumed_by(h, group, REDIS_RUN); }

/* A second member joins mid-stream: the partitions it takes bring their
 * window state along. */
static void test_member_joins_mid_stream(void **state) {
    (void)state;
    first_half h;
    first_half_consumed(&h, "g-join");
    child b = start_run("g-join", ALERTS, REDIS_RUN);
    child_wait_assigned(&b, 0, 120);
    child_wait_for(&b, "state restored from Redis", 120);
    produce_lines(h.pr, &data_a, data_a.n / 2, data_a.n);
    flush(h.pr, &h.s);
    rd_kafka_destroy(h.pr);
    wait_committed_to_end("g-join", 240, NULL);
    free(stop_run(&h.a));
    free(stop_run(&b));
    check_alerts(ALERTS, &exp_a, only_a, false);
}

/* Issue 12.2: a checkpoint whose default tenant was poisoned by records of
 * 4 actors dated 9999-12-31 (as an older build wrote it, at offset 0 of
 * every partition).  run drops what lies beyond its clock + skew when it
 * restores, says so, and finds every alert of the stream; with the
 * poisoned watermark kept, every event would be too_late. */
static void test_restore_drops_future_state(void **state) {
    (void)state;
    sw_redis_target t;
    sw_redis conn;
    char err[700];
    assert_int_equal(sw_redis_parse_url(redis.url, &t, err, sizeof err), 0);
    sw_redis_init(&conn, &t, 5000);
    for (int32_t p = 0; p < IN_PARTS; p++) {
        sw_store st;
        assert_int_equal(sw_store_init(&st, 35 * 60000LL, 10 * 60000LL), 0);
        sw_store_track(&st);
        sw_tenant *ten = sw_store_tenant(&st, "", 0);
        assert_non_null(ten);
        for (int i = 0; i < 4; i++) {
            char actor[16];
            snprintf(actor, sizeof actor, "00uForged%d", i);
            sw_store_advance_actor(ten, actor, strlen(actor), 253402300799999LL);
            sw_user *u = sw_store_user(&st, ten, actor, strlen(actor));
            assert_non_null(u);
            u->max_time = 253402300799999LL;
            sw_store_touch(&st, u);
        }
        assert_true(ten->watermark > 0);
        sw_ckpt *c = sw_ckpt_new("g-future", IN, p, "an-older-build");
        assert_non_null(c);
        int64_t off;
        sw_ckpt_stats cs;
        assert_int_equal(sw_ckpt_claim(c, &conn, 3600000, &off, err, sizeof err), SW_CKPT_OK);
        assert_int_equal(sw_ckpt_write(c, &conn, &st, 0, 3600000, &cs, err, sizeof err), SW_CKPT_OK);
        sw_ckpt_free(c);
        sw_store_destroy(&st);
    }
    sw_redis_close(&conn);
    sw_redis_target_free(&t);

    produce_all(&data_a);
    commit_all("g-future", 0); /* Kafka agrees with the checkpoints (12.4) */
    char *out = run_to_end("g-future", ALERTS, REDIS_RUN);
    assert_contains(out, "state restored from Redis");
    assert_contains(out, "were dated after the clock + --max-clock-skew and were dropped");
    assert_contains(out, "\"too_late\":0,");
    free(out);
    check_alerts(ALERTS, &exp_a, only_a, false);
}

/* A clean restart mid-window: the restarted worker resumes with the state. */
static void test_restart_mid_window(void **state) {
    (void)state;
    first_half h;
    first_half_consumed(&h, "g-restart");
    free(stop_run(&h.a));
    /* It reads only the second half: everything before was checkpointed. */
    successor_resumes_at(h.pr, &h.s, data_a.n / 2, "g-restart", REDIS_RUN);
    check_alerts(ALERTS, &exp_a, only_a, false);
}

/* SIGKILL mid-stream, between checkpoints: the replacement replays from
 * the last checkpoint with the checkpoint's state (run with extra; its
 * alerts are exactly e's). */
static void sigkill_mid_stream(const char *group, const char *const *extra, const expected *e) {
    first_half h;
    first_half_consumed_by(&h, group, extra);
    size_t half = data_a.n / 2, three_quarters = data_a.n * 3 / 4;
    produce_lines(h.pr, &data_a, half, three_quarters);
    flush(h.pr, &h.s);
    child_wait_for(&h.a, "status records=", 10);
    usleep(150000); /* some of the new records processed, likely not all checkpointed */
    crash(&h.a);
    char *err = successor_to_end(h.pr, &h.s, three_quarters, group, extra);
    /* At most the records after the first half are read again. */
    assert_true(summary_count(err, "records") <= data_a.n - half);
    free(err);
    check_alerts(ALERTS, e, only_a, false);
}

static void test_sigkill_mid_stream(void **state) {
    (void)state;
    sigkill_mid_stream("g-kill", REDIS_RUN, &exp_a);
}

/* ---- issue 14: the rules' state in Redis ----------------------------------- */

/* scan --rules deploy/rules over data_a, without the rules run refuses;
 * scan --rules of the seed rule's file over data_a (made by main). */
static expected exp_rules, exp_seed_toml;

/* run --rules (deploy/rules' rules that run on a topic keyed by user,
 * --key-field okta.actor.id: no internal topic) with Redis state,
 * SIGKILLed mid-stream: every
 * rule's windows come back from its own keys (the seed rule's sessions
 * straddle the crash), so the alerts are exactly scan --rules' of the
 * rules run runs. */
static void test_rules_sigkill_mid_stream(void **state) {
    (void)state;
    const char *extra[] = {REDIS_RUN_ARGS, RUN_KEYED_RULES, NULL};
    sigkill_mid_stream("g-rules-kill", extra, &exp_rules);
    char reply[512], cmd[160];
    /* The rule keys hold the state; the built-in layout's were never written. */
    snprintf(cmd, sizeof cmd, "EXISTS sw:{g-rules-kill:" IN ":0}:users");
    assert_int_equal(tu_redis_command(redis.port, cmd, reply, sizeof reply), 0);
    assert_string_equal(reply, ":0");
    size_t with_seed_keys = 0;
    for (int p = 0; p < IN_PARTS; p++) {
        snprintf(cmd, sizeof cmd, "HLEN sw:{g-rules-kill:" IN ":%d}:r:" SEED_RULE ":users", p);
        assert_int_equal(tu_redis_command(redis.port, cmd, reply, sizeof reply), 0);
        with_seed_keys += strcmp(reply, ":0") != 0;
    }
    assert_true(with_seed_keys > 0);
}

/* The rolling upgrade (issue 14): the first half through the built-in
 * default, a clean stop, the rest through `run --rules` of the seed rule's
 * file with the same group and Redis.  The seed rule takes the built-in
 * windows over (the input's attacks straddle the hand-off: without them,
 * alerts go missing), so the alerts are exactly scan's, none lost and
 * none twice under another id; those of the first half have the built-in
 * bytes, the rest the rules engine's (the same ids).  The upgraded state
 * is in the rule's keys, the built-in keys are gone. */
static void test_upgrade_builtin_to_rules(void **state) {
    (void)state;
    first_half h;
    first_half_consumed(&h, "g-upgrade");
    free(stop_run(&h.a));
    const char *rules[] = {REDIS_RUN_ARGS, "--key-field", "okta.actor.id", "--rules", SEED_RULE_FILE, NULL};
    char *err = successor_resumed_at(h.pr, &h.s, data_a.n / 2, "g-upgrade", rules);
    assert_contains(err, "taken over by rule " SEED_RULE " (rolling upgrade)");
    free(err);
    check_alerts_either(ALERTS, &exp_a, &exp_seed_toml, only_a, false);
    char reply[512], cmd[160];
    for (int p = 0; p < IN_PARTS; p++) {
        snprintf(cmd, sizeof cmd, "EXISTS sw:{g-upgrade:" IN ":%d}:users sw:{g-upgrade:" IN ":%d}:tenants", p, p);
        assert_int_equal(tu_redis_command(redis.port, cmd, reply, sizeof reply), 0);
        assert_string_equal(reply, ":0");
        snprintf(cmd, sizeof cmd, "HGET sw:{g-upgrade:" IN ":%d}:meta rules_seq", p);
        assert_int_equal(tu_redis_command(redis.port, cmd, reply, sizeof reply), 0);
        assert_true(atoi(reply) > 0);
    }
}

/* Members come and go mid-stream: a second and a third join, the first
 * leaves; partitions move three times with their state. */
static void rebalance_mid_stream(const char *group, const char *const *extra) {
    dr_sink s = {data_a.partition, data_a.offset, 0};
    rd_kafka_t *pr = producer(&s);
    size_t n = data_a.n, cut1 = n / 4, cut2 = n / 2, cut3 = n * 3 / 4;
    child a = start_run(group, ALERTS, extra);
    child_wait_for(&a, "worker 0 assigned " IN " [", 120);
    produce_lines(pr, &data_a, 0, cut1);
    flush(pr, &s);
    wait_committed_to_end(group, 180, NULL);
    child b = start_run(group, ALERTS, extra);
    child_wait_assigned(&b, 0, 120);
    produce_lines(pr, &data_a, cut1, cut2);
    flush(pr, &s);
    wait_committed_to_end(group, 180, NULL);
    child c = start_run(group, ALERTS, extra);
    child_wait_assigned(&c, 0, 120);
    produce_lines(pr, &data_a, cut2, cut3);
    flush(pr, &s);
    wait_committed_to_end(group, 180, NULL);
    char *err_a = stop_run(&a);
    produce_lines(pr, &data_a, cut3, n);
    flush(pr, &s);
    rd_kafka_destroy(pr);
    wait_committed_to_end(group, 240, NULL);
    char *err_b = stop_run(&b), *err_c = stop_run(&c);
    /* The hand-offs happened: b and c restored state a (or b) wrote. */
    assert_contains(err_b, "state restored from Redis");
    assert_contains(err_c, "state restored from Redis");
    free(err_a);
    free(err_b);
    free(err_c);
    check_alerts(ALERTS, &exp_a, only_a, false);
}

static void test_rebalance_mid_stream(void **state) {
    (void)state;
    rebalance_mid_stream("g-rebal", REDIS_RUN);
}

static void test_rebalance_mid_stream_eager(void **state) {
    (void)state;
    const char *extra[] = {REDIS_RUN_ARGS, EAGER, NULL};
    rebalance_mid_stream("g-rebal-eager", extra);
}

/* Redis stopped for several seconds mid-stream, then restarted on its
 * append-only file: the worker pauses (commits nothing past the last
 * checkpoint), then resumes where it stopped. */
static void test_redis_down_mid_stream(void **state) {
    (void)state;
    dr_sink s;
    rd_kafka_t *pr = produce_first_half(&s);
    size_t half = data_a.n / 2;
    const char *extra[] = {REDIS_RUN_ARGS, "--metrics-addr", "127.0.0.1:0", NULL};
    child a = start_run("g-redis", ALERTS, extra);
    int port = metrics_port(&a);
    wait_committed_to_end("g-redis", 180, NULL);
    free(tu_http_get_until(port, "/readyz", 200, "ready"));
    int64_t before[IN_PARTS], after[IN_PARTS];
    committed("g-redis", before);
    tu_redis_stop(&redis);
    produce_lines(pr, &data_a, half, data_a.n);
    flush(pr, &s);
    rd_kafka_destroy(pr);
    child_wait_for(&a, "pausing its partitions until Redis is back", 60);
    child_wait_for(&a, "redis=down(paused)", 60);
    free(tu_http_get_until(port, "/readyz", 503, "Redis is failing"));
    free(tu_http_get_until(port, "/metrics", 200, "\nsessionwatch_redis_paused 1\n"));
    free(tu_http_get_until(port, "/healthz", 200, "ok")); /* alive: nothing to restart */
    sleep(3);
    committed("g-redis", after);
    for (int p = 0; p < IN_PARTS; p++) assert_int_equal(after[p], before[p]); /* nothing past the checkpoint */
    if (tu_redis_start(&redis, 1) != 0) fail_msg("cannot restart redis-server on port %d", redis.port);
    child_wait_for(&a, "Redis is back", 120);
    wait_committed_to_end("g-redis", 240, NULL);
    free(tu_http_get_until(port, "/readyz", 200, "ready"));
    char *m = tu_http_get_until(port, "/metrics", 200, "\nsessionwatch_redis_paused 0\n");
    assert_true(metric(m, "sessionwatch_redis_pauses_total") >= 1);
    assert_true(metric(m, "sessionwatch_checkpoint_failures_total") >= 1);
    assert_true(metric(m, "sessionwatch_checkpoint_duration_seconds_count") >= 1);
    free(m);
    char *err = stop_run(&a);
    expect_count(err, "records", data_a.n); /* each record processed once */
    free(err);
    check_alerts(ALERTS, &exp_a, only_a, false);
}

/* The input topic deleted and recreated (4 partitions instead of 8) with
 * the same group and Redis: a fresh mock cluster, whose group has no
 * committed offset (Kafka drops a deleted topic's commits), while Redis
 * still holds the old topic's checkpoints, at offsets inside the new
 * partitions.  Every checkpoint is refused and deleted, and the new data
 * is read from its start with empty windows: exactly scan's alerts. */
static void test_recreated_topic(void **state) {
    (void)state;
    produce_all(&data_a);
    char *err = run_to_end("g-recreate", ALERTS, REDIS_RUN);
    expect_count(err, "records", data_a.n);
    free(err);
    sw_mockcluster_stop(mc);
    cluster_up();
    topic(IN, 4);
    topic(ALERTS, ALERT_PARTS);
    produce_all(&data_b);
    size_t per_part[4] = {0};
    for (size_t i = 0; i < data_b.n; i++) per_part[data_b.partition[i]]++;
    for (int p = 0; p < 4; p++) assert_true(per_part[p] > data_a.n / IN_PARTS); /* the old offsets fall inside */
    expected exp_b = {0};
    const char *fb[] = {path_b, NULL};
    scan_expected(&exp_b, fb);
    const char *watched[] = {REDIS_RUN_ARGS, "--metrics-addr", "127.0.0.1:0", NULL};
    child b = start_run("g-recreate", ALERTS, watched);
    int port = metrics_port(&b);
    char records[64];
    snprintf(records, sizeof records, "\nsessionwatch_records_total %zu\n", data_b.n);
    char *m = tu_http_get_until(port, "/metrics", 200, records);
    assert_int_equal(metric(m, "sessionwatch_checkpoints_refused_total"), 4);
    assert_int_equal(metric(m, "sessionwatch_partitions_refused"), 0); /* refused, then consumed */
    free(m);
    err = stop_run(&b);
    expect_count(err, "records", data_b.n); /* nothing skipped */
    expect_count(err, "alerts", exp_b.n);
    for (int p = 0; p < 4; p++) {
        char want[160];
        snprintf(want, sizeof want, "group g-recreate topic " IN " partition %d: checkpoint refused: Redis says "
                 "resume at offset ", p);
        assert_contains(err, want);
    }
    assert_int_equal(tu_count(err, ": checkpoint refused: "), 4);
    assert_contains(err, "Kafka's committed offset is none");
    assert_contains(err, "Kafka has no committed offset for the group");
    assert_contains(err, "starts with empty windows at the group's committed offset");
    assert_contains(err, "4 restored checkpoints refused (Kafka disagrees)");
    free(err);
    check_alerts(ALERTS, &exp_b, a_and_b, true);
    /* The stale state was replaced, not merged: a restart agrees with Kafka. */
    err = run_to_end("g-recreate", ALERTS, REDIS_RUN);
    assert_int_equal(tu_count(err, "checkpoint refused"), 0);
    assert_contains(err, "state restored from Redis");
    expect_count(err, "records", 0);
    free(err);
    expected_free(&exp_b);
}

/* Waits until the group has committed the end of every non-empty partition but skip. */
static void wait_committed_except(const char *group, int skip, int seconds) {
    int64_t want[IN_PARTS], got[IN_PARTS];
    ends(want);
    for (int i = 0; i < seconds * 5; i++) {
        committed(group, got);
        int ok = 1;
        for (int p = 0; p < IN_PARTS; p++) ok &= p == skip || want[p] == 0 || got[p] == want[p];
        if (ok) return;
        usleep(200000);
    }
    fail_msg("group %s did not commit to the end of the partitions but %d in %d s", group, skip, seconds);
}

/* One partition's users hash replaced by a string mid-stream: only that
 * partition stops (the others are consumed and committed to the end), the
 * log names the key and gives the exact redis-cli command, the status
 * line and /readyz say what is wrong; once the keys are deleted the
 * partition resumes from its last checkpoint's offset. */
static void wrong_type_key(const char *group, const char *const *extra) {
    dr_sink s;
    rd_kafka_t *pr = produce_first_half(&s);
    size_t half = data_a.n / 2;
    child a = start_run(group, ALERTS, extra);
    int port = metrics_port(&a);
    wait_committed_to_end(group, 180, NULL);
    free(tu_http_get_until(port, "/readyz", 200, "ready"));
    const int bad = 3;
    char meta[80], tenants[80], users[80], refused[160];
    snprintf(meta, sizeof meta, "sw:{%s:" IN ":3}:meta", group);
    snprintf(tenants, sizeof tenants, "sw:{%s:" IN ":3}:tenants", group);
    snprintf(users, sizeof users, "sw:{%s:" IN ":3}:users", group);
    snprintf(refused, sizeof refused, "partition 3: checkpoint: REFUSED %s holds a string", users);
    redis_do("DEL", users, NULL, NULL, NULL);
    redis_do("SET", users, "not a hash", NULL, NULL);
    produce_lines(pr, &data_a, half, data_a.n);
    flush(pr, &s);
    rd_kafka_destroy(pr);
    child_wait_for(&a, "only this partition stops", 60);
    char hint[400];
    snprintf(hint, sizeof hint, "redis-cli -h '127.0.0.1' -p %d -n 0 DEL '%s' '%s' '%s'", redis.port, meta, tenants,
             users);
    child_wait_for(&a, hint, 10);
    child_wait_for(&a, refused, 10);
    child_wait_for(&a, "redis=ok refused=1 (partition 3: ", 30);
    free(tu_http_get_until(port, "/readyz", 503, "a partition's state in Redis is refused: partition 3: "));
    char *m = tu_http_get_until(port, "/metrics", 200, "\nsessionwatch_partitions_refused 1\n");
    assert_int_equal(metric(m, "sessionwatch_redis_paused"), 0);
    free(m);
    wait_committed_except(group, bad, 240); /* the others go on */
    char *err = child_stderr(&a);
    assert_int_equal(tu_count(err, "pausing its partitions until Redis is back"), 0);
    assert_int_equal(tu_count(err, "redis=down"), 0);
    free(err);
    /* What the log says to do. */
    redis_do("DEL", meta, tenants, users, NULL);
    child_wait_for(&a, "partition 3: its state is no longer refused", 60);
    wait_committed_to_end(group, 240, NULL);
    free(tu_http_get_until(port, "/readyz", 200, "ready"));
    free(tu_http_get_until(port, "/metrics", 200, "\nsessionwatch_partitions_refused 0\n"));
    err = stop_run(&a);
    /* Each record of the other partitions once; partition 3's from its last
     * checkpoint on, at most twice. */
    assert_true(summary_count(err, "records") >= data_a.n);
    free(err);
    /* Every alert of the other partitions came; everything that came is
     * scan's, except partition 3's after its state was dropped. */
    krecs k = read_topic(ALERTS, ALERT_PARTS);
    for (size_t i = 0; i < exp_a.n; i++) {
        if (data_a.partition[exp_a.a[i].line - 1] == bad) continue;
        bool seen = false;
        for (size_t j = 0; j < k.n && !seen; j++) seen = strstr(k.r[j].value, exp_a.a[i].id) != NULL;
        if (!seen) fail_msg("alert %s of partition %d is missing", exp_a.a[i].id, data_a.partition[exp_a.a[i].line - 1]);
    }
    for (size_t j = 0; j < k.n; j++) {
        const char *src = strstr(k.r[j].value, ",\"source\":{\"topic\":\"" IN "\",\"partition\":");
        assert_non_null(src);
        if (strtoll(field(src, "partition"), NULL, 10) == bad) continue;
        const char *id = field(k.r[j].value, "alert_id");
        assert_non_null(expected_find(&exp_a, id + 1, SW_ALERT_ID_LEN));
    }
    krecs_free(&k);
}

static void test_wrong_type_key_refuses_one_partition(void **state) {
    (void)state;
    const char *extra[] = {REDIS_RUN_ARGS, "--metrics-addr", "127.0.0.1:0", NULL};
    wrong_type_key("g-wrongtype", extra);
}

/* The eager protocol takes the refused partition out of the whole assignment. */
static void test_wrong_type_key_eager(void **state) {
    (void)state;
    const char *extra[] = {REDIS_RUN_ARGS, EAGER, "--metrics-addr", "127.0.0.1:0", NULL};
    wrong_type_key("g-wrongtype-eager", extra);
}

/* A wrong Redis password: every partition waits, and the status line,
 * /readyz, /metrics and the log say that Redis refuses the credentials
 * (never redis=ok), without printing the password; once Redis accepts it
 * the run loads and consumes everything. */
static void test_wrong_password(void **state) {
    (void)state;
    produce_all(&data_a);
    char url[128];
    snprintf(url, sizeof url, "redis://:s3cr3t-pw@127.0.0.1:%d", redis.port);
    const char *extra[] = {"--threads", "1", "-X", "session.timeout.ms=6000", "--state", url,
                           "--checkpoint-interval", "200ms", "--status-interval", "200ms",
                           "--metrics-addr", "127.0.0.1:0", NULL};
    child a = start_run("g-auth", ALERTS, extra);
    int port = metrics_port(&a);
    child_wait_for(&a, "redis=auth-failed (Redis refuses our credentials: ", 60);
    child_wait_for(&a, "Redis refuses our credentials: claiming the partition's state: Redis AUTH refused: ", 10);
    child_wait_for(&a, "check the password (in --state or SESSIONWATCH_REDIS_PASSWORD)", 10);
    free(tu_http_get_until(port, "/readyz", 503, "Redis refuses our credentials: "));
    free(tu_http_get_until(port, "/metrics", 200, "\nsessionwatch_redis_auth_failed 1\n"));
    char *err = child_stderr(&a);
    assert_int_equal(tu_count(err, "redis=ok"), 0);
    assert_int_equal(tu_count(err, "s3cr3t"), 0);
    free(err);
    /* Redis is given that password: the run recovers on its own. */
    redis_do("CONFIG", "SET", "requirepass", "s3cr3t-pw", NULL);
    wait_committed_to_end("g-auth", 240, NULL);
    free(tu_http_get_until(port, "/readyz", 200, "ready"));
    free(tu_http_get_until(port, "/metrics", 200, "\nsessionwatch_redis_auth_failed 0\n"));
    child_wait_for(&a, "redis=ok", 30);
    err = stop_run(&a);
    expect_count(err, "records", data_a.n);
    assert_int_equal(tu_count(err, "s3cr3t"), 0);
    free(err);
    check_alerts(ALERTS, &exp_a, only_a, false);
}

/* Waits until the Redis on port holds, for every non-empty partition of
 * group, a checkpoint at the partition's end (meta.offset). */
static void wait_state_at_end(int port, const char *group, int seconds) {
    int64_t want[IN_PARTS];
    ends(want);
    char reply[256] = "";
    for (int p = 0; p < IN_PARTS; p++) {
        if (!want[p]) continue;
        char cmd[160], end[32];
        snprintf(cmd, sizeof cmd, "HGET sw:{%s:" IN ":%d}:meta offset", group, p);
        snprintf(end, sizeof end, "%lld", (long long)want[p]);
        int at_end = 0;
        for (int i = 0; i < seconds * 10 && !at_end; i++) {
            at_end = tu_redis_command(port, cmd, reply, sizeof reply) == 0 && strncmp(reply, end, strlen(end)) == 0 &&
                     (reply[strlen(end)] == '\r' || reply[strlen(end)] == '\0');
            if (!at_end) usleep(100000);
        }
        if (!at_end) fail_msg("partition %d: Redis holds offset '%s', not its end %s", p, reply, end);
    }
}

/* Redis loses everything mid-stream (FLUSHALL; as a restart without
 * persistence): the running worker notices (a checkpoint refused as LOST,
 * or the probe of an idle partition), says so, counts it and writes each
 * partition whole; killed with SIGKILL afterwards, its successor restores
 * complete state: scan's alerts, none missing, none invented.  (Before,
 * the worker kept writing deltas onto nothing and the successor restored
 * a fraction of the users.) */
static void test_redis_flushed_mid_stream(void **state) {
    (void)state;
    dr_sink s;
    rd_kafka_t *pr = produce_first_half(&s);
    /* A few records after the flush: most users are not touched again
     * before the kill, so a delta-only Redis would lack most of them. */
    size_t half = data_a.n / 2, cut = half + 40;
    const char *extra[] = {REDIS_RUN_ARGS, "--metrics-addr", "127.0.0.1:0", NULL};
    child a = start_run("g-flush", ALERTS, extra);
    int port = metrics_port(&a);
    wait_committed_to_end("g-flush", 180, NULL);
    char reply[256];
    if (tu_redis_command(redis.port, "FLUSHALL", reply, sizeof reply) != 0) fail_msg("FLUSHALL: %s", reply);
    produce_lines(pr, &data_a, half, cut);
    flush(pr, &s);
    child_wait_for(&a, "its state in Redis was lost", 60);
    wait_committed_to_end("g-flush", 240, NULL);
    /* Every partition of the worker was found lost (written or probed). */
    char *m = tu_http_get_until(port, "/metrics", 200, "\nsessionwatch_state_lost_total 8\n");
    free(m);
    /* ... and rewritten whole: every partition's state is back, at its end. */
    wait_state_at_end(redis.port, "g-flush", 30);
    crash(&a);
    successor_resumes_at(pr, &s, cut, "g-flush", extra); /* resumed where the rewrite was */
    check_alerts(ALERTS, &exp_a, only_a, false);
}

/* ---- Redis behind Sentinel ------------------------------------------------ */

/* A primary, its replica and a Sentinel watching them (Debian's
 * redis-sentinel; the cases skip, saying so, when it is absent). */
static tu_redis primary, replica;
static tu_sentinel sentinel;
static char sentinel_url[96];
static const char *sentinel_missing; /* why the cases skip, or NULL */

static int sentinel_setup(void **state) {
    memset(&primary, 0, sizeof primary);
    memset(&replica, 0, sizeof replica);
    memset(&sentinel, 0, sizeof sentinel);
    sentinel_missing = NULL;
    if (tu_redis_start(&primary, 0) != 0) fail_msg("cannot start redis-server (is Debian's redis-server installed?)");
    replica.replica_of = primary.port;
    if (tu_redis_start(&replica, 0) != 0) fail_msg("cannot start a replica redis-server");
    if (tu_wait_reply(replica.port, "INFO replication", "master_link_status:up", 30) != 0)
        fail_msg("the replica did not sync with its primary");
    if (tu_sentinel_start(&sentinel, primary.port, "swprimary") != 0) {
        sentinel_missing = "redis-sentinel is not installed (bash deploy/install-deps.sh redis-sentinel)";
    } else if (tu_wait_reply(sentinel.port, "INFO sentinel", "slaves=1", 30) != 0) {
        fail_msg("Sentinel did not find the replica");
    }
    snprintf(sentinel_url, sizeof sentinel_url, "redis-sentinel://127.0.0.1:%d/swprimary", sentinel.port);
    return cluster_setup(state);
}

/* Sentinel's log on stderr, to tell why a failover did (not) happen. */
static void show_sentinel_log(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/sentinel.log", sentinel.dir);
    char *log = tu_read_file(path, NULL);
    fprintf(stderr, "Sentinel's log:\n%s\n", log ? log : "(none)");
    free(log);
}

static int sentinel_teardown(void **state) {
    tu_sentinel_destroy(&sentinel);
    tu_redis_destroy(&primary);
    tu_redis_destroy(&replica);
    return cluster_teardown(state);
}

/* The primary dies mid-stream and Sentinel promotes the replica; the
 * worker finds the new primary through Sentinel and goes on; killed
 * afterwards, its successor restores what it left there and finishes:
 * scan's alerts, none lost or invented.  The replica is made to lag first
 * (pointed away from its primary while checkpoints go on), so the
 * promoted copy is older than what the worker wrote: the checkpoint's
 * sequence number catches it and the worker rewrites its partitions whole
 * (deltas onto the older copy would leave the successor a partial state).
 * With --state-replicas 1 the checkpoints the replica missed never count:
 * no Kafka commit passes them. */
static void sentinel_failover(const char *group, const char *replicas) {
    if (sentinel_missing) {
        fprintf(stderr, "test_run: skipped: %s\n", sentinel_missing);
        skip();
    }
    dr_sink s;
    rd_kafka_t *pr = produce_first_half(&s);
    size_t half = data_a.n / 2, three_quarters = data_a.n * 3 / 4;
    const char *extra[] = {"--threads", "1", "-X", "session.timeout.ms=6000", "--state", sentinel_url,
                           "--checkpoint-interval", "200ms", "--status-interval", "200ms",
                           "--metrics-addr", "127.0.0.1:0", "--state-replicas", replicas, NULL};
    child a = start_run(group, ALERTS, extra);
    int port = metrics_port(&a);
    wait_committed_to_end(group, 180, NULL);
    int64_t before[IN_PARTS], after[IN_PARTS];
    committed(group, before);
    /* The replica stops following.  Sentinel puts back a replica pointed
     * elsewhere once failover-timeout has passed: not before the primary
     * dies, with this one. */
    char reply[4096];
    if (tu_redis_command(sentinel.port, "SENTINEL SET swprimary failover-timeout 600000", reply, sizeof reply) != 0)
        fail_msg("SENTINEL SET: %s", reply);
    if (tu_redis_command(replica.port, "REPLICAOF 127.0.0.1 1", reply, sizeof reply) != 0) fail_msg("REPLICAOF: %s", reply);
    produce_lines(pr, &data_a, half, three_quarters);
    flush(pr, &s);
    if (strcmp(replicas, "0") == 0) {
        wait_committed_to_end(group, 60, NULL); /* checkpointed on the primary alone */
    } else {
        free(tu_http_get_until(port, "/metrics", 200, "\nsessionwatch_replica_wait_short_total 1"));
        sleep(1);
        committed(group, after);
        for (int p = 0; p < IN_PARTS; p++)
            if (after[p] != before[p]) { /* nothing unconfirmed */
                char *log = child_stderr(&a);
                size_t len = strlen(log);
                tu_redis_command(replica.port, "INFO replication", reply, sizeof reply);
                show_sentinel_log();
                fail_msg("partition %d: committed %lld, was %lld before the replica lagged; replica:\n%s\nrun:\n%s", p,
                         (long long)after[p], (long long)before[p], reply, log + (len > 8000 ? len - 8000 : 0));
            }
    }
    tu_redis_kill(&primary);
    if (tu_wait_reply(replica.port, "INFO replication", "role:master", 60) != 0) {
        show_sentinel_log();
        fail_msg("Sentinel did not promote the replica");
    }
    if (tu_redis_command(sentinel.port, "SENTINEL SET swprimary failover-timeout 6000", reply, sizeof reply) != 0)
        fail_msg("SENTINEL SET: %s", reply);
    /* The old primary comes back as the new one's replica. */
    primary.replica_of = replica.port;
    if (tu_redis_start(&primary, 0) != 0) fail_msg("cannot restart the old primary as a replica");
    child_wait_for(&a, "its state in Redis was lost", 120);
    wait_committed_to_end(group, 240, NULL); /* (with replicas: confirmed by the new primary's replica) */
    wait_state_at_end(replica.port, group, 60); /* every partition rewritten on the new primary */
    char *m = tu_http_get_until(port, "/metrics", 200, "\nsessionwatch_redis_paused 0\n");
    assert_true(metric(m, "sessionwatch_state_lost_total") >= 1);
    free(m);
    /* A successor restores what the worker left on the new primary. */
    crash(&a);
    successor_resumes_at(pr, &s, three_quarters, group, extra);
    check_alerts(ALERTS, &exp_a, only_a, false);
    /* The pair replicates again (on a loaded machine Sentinel may have
     * failed over once more, back to the old primary: either is fine). */
    int linked = 0;
    for (int i = 0; i < 300 && !linked; i++) {
        const tu_redis *node[2] = {&primary, &replica};
        for (int k = 0; k < 2 && !linked; k++)
            linked = tu_redis_command(node[k]->port, "INFO replication", reply, sizeof reply) == 0 &&
                     strstr(reply, "master_link_status:up") != NULL;
        if (!linked) usleep(100000);
    }
    if (!linked) fail_msg("neither node replicates from the other:\n%s", reply);
}

static void test_sentinel_failover(void **state) {
    (void)state;
    sentinel_failover("g-sentinel", "0");
}

static void test_sentinel_failover_replicas(void **state) {
    (void)state;
    sentinel_failover("g-sentinel-wait", "1");
}

/* ---- main ----------------------------------------------------------------- */

/* A case with its own redis-server (and Sentinel) and mock cluster. */
#define REDIS_CASE(f) cmocka_unit_test_setup_teardown(f, redis_setup, redis_case_teardown)
#define SENTINEL_CASE(f) cmocka_unit_test_setup_teardown(f, sentinel_setup, sentinel_teardown)

int main(void) {
    run_harness_init();
    const struct CMUnitTest tests[] = {
        REDIS_CASE(test_member_joins_mid_stream), REDIS_CASE(test_restart_mid_window),
        REDIS_CASE(test_restore_drops_future_state), REDIS_CASE(test_sigkill_mid_stream),
        REDIS_CASE(test_rebalance_mid_stream), REDIS_CASE(test_rebalance_mid_stream_eager),
        REDIS_CASE(test_redis_down_mid_stream), REDIS_CASE(test_recreated_topic),
        REDIS_CASE(test_wrong_type_key_refuses_one_partition), REDIS_CASE(test_wrong_type_key_eager),
        REDIS_CASE(test_wrong_password), REDIS_CASE(test_redis_flushed_mid_stream),
        SENTINEL_CASE(test_sentinel_failover), SENTINEL_CASE(test_sentinel_failover_replicas),
        REDIS_CASE(test_rules_sigkill_mid_stream), REDIS_CASE(test_upgrade_builtin_to_rules),
    };
    const char *fa[] = {path_a, NULL};
    scan_expected_rules(&exp_rules, fa, RUN_RULES_DIR);
    expected_drop_rules(&exp_rules, RUN_REFUSED_RULES);
    scan_expected_rules(&exp_seed_toml, fa, SEED_RULE_FILE);
    int rc = cmocka_run_group_tests_name("run_redis", tests, NULL, NULL);
    expected_free(&exp_rules);
    expected_free(&exp_seed_toml);
    run_harness_free();
    return rc;
}

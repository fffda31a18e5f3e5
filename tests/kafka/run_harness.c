/* run_harness.c -- see run_harness.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <unistd.h>

#include "extract.h"
#include "run_harness.h"

/* ---- data: gen files, their lines and keys, and scan's alerts ------------ */

dataset data_a, data_b;        /* gen seed 7 and, a day later, seed 8 */
expected exp_a, exp_ab;        /* scan A; scan A B */
char path_a[64], path_b[64];

char *xstrndup(const char *p, size_t n) {
    char *s = malloc(n + 1);
    assert_non_null(s);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

void gen(const char *seed, const char *start, char *path) { gen_rules(seed, start, NULL, path); }

void gen_rules(const char *seed, const char *start, const char *rules, char *path) {
    gen_rules_users(seed, start, rules, "300", path);
}

void gen_rules_users(const char *seed, const char *start, const char *rules, const char *users, char *path) {
    snprintf(path, 64, "/tmp/sw-run-gen-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const char *argv[] = {"gen", "--seed", seed, "--users", users, "--attack-rate", "0.05", "--hours", "0.5",
                          "--start", start, "--out", path, "--truth", "/dev/null", rules ? "--rules" : NULL, rules,
                          NULL};
    tu_result r = tu_run(argv, NULL, 0);
    if (r.status != 0) fail_msg("gen: %s", r.err);
    tu_result_free(&r);
}

void load(dataset *d, const char *path) {
    size_t len;
    d->buf = tu_read_file(path, &len);
    assert_non_null(d->buf);
    size_t cap = tu_count(d->buf, "\n") + 1;
    d->line = calloc(cap, sizeof *d->line);
    d->len = calloc(cap, sizeof *d->len);
    d->key = calloc(cap, sizeof *d->key);
    d->partition = calloc(cap, sizeof *d->partition);
    d->offset = calloc(cap, sizeof *d->offset);
    sw_parser *p = sw_parser_new(1 << 20);
    assert_non_null(p);
    sw_event ev;
    for (char *s = d->buf, *nl; *s; s = nl + 1) {
        nl = strchr(s, '\n');
        if (!nl) nl = s + strlen(s);
        size_t i = d->n++;
        d->line[i] = s;
        d->len[i] = (size_t)(nl - s);
        size_t nev = 0;
        const sw_value *actor = &ev.f[SW_F_ACTOR_ID];
        int ok = sw_parser_extract(p, s, d->len[i], d->len[i], NULL, &ev, 1, &nev) == SW_X_OK && nev == 1 &&
                 actor->type == SW_STRING;
        sw_user_key(&d->key[i], "", 0, ok ? actor->p : "", ok ? actor->n : 0);
        if (!*nl) break;
    }
    sw_parser_free(p);
}

void dataset_free(dataset *d) {
    for (size_t i = 0; i < d->n; i++) sw_buf_free(&d->key[i]);
    free(d->buf);
    free(d->line);
    free(d->len);
    free(d->key);
    free(d->partition);
    free(d->offset);
    memset(d, 0, sizeof *d);
}

/* The value of "name":"..." or "name":N after from, as a string / number. */
const char *field(const char *from, const char *name) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", name);
    const char *p = strstr(from, pat);
    return p ? p + strlen(pat) : NULL;
}

void scan_expected(expected *e, const char *const *files) { scan_expected_rules(e, files, NULL); }

void scan_expected_rules(expected *e, const char *const *files, const char *rules) {
    const char *argv[10] = {"scan", "--rules", rules};
    size_t n = rules ? 3 : 1;
    for (size_t f = 0; files[f] && n < 9; f++) argv[n++] = files[f];
    argv[n] = NULL;
    tu_result r = tu_run(argv, NULL, 0);
    assert_int_equal(r.status, 0);
    e->a = calloc(tu_count(r.out, "\n") + 1, sizeof *e->a);
    for (char *s = r.out, *nl; (nl = strchr(s, '\n')); s = nl + 1) {
        expected_alert *x = &e->a[e->n++];
        const char *id = field(s, "alert_id");
        assert_non_null(id);
        memcpy(x->id, id + 1, SW_ALERT_ID_LEN);
        x->json = xstrndup(s, (size_t)(nl - s));
        const char *src = strstr(x->json, ",\"source\":");
        assert_non_null(src);
        x->line = strtoull(field(src, "line"), NULL, 10);
    }
    tu_result_free(&r);
}

void expected_free(expected *e) {
    for (size_t i = 0; i < e->n; i++) free(e->a[i].json);
    free(e->a);
    memset(e, 0, sizeof *e);
}

int expected_alert_of(const expected_alert *x, const char *rule) {
    const char *r = strstr(x->json, "\"rule\":{\"id\":\"");
    assert_non_null(r);
    return strncmp(r + 14, rule, strlen(rule)) == 0 && r[14 + strlen(rule)] == '"';
}

size_t expected_drop_rules(expected *e, const char *const *rules) {
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < e->n; i++) {
        bool drop = false;
        for (size_t k = 0; rules[k] && !drop; k++) drop = expected_alert_of(&e->a[i], rules[k]);
        if (drop) {
            free(e->a[i].json);
            dropped++;
            continue;
        }
        e->a[kept++] = e->a[i];
    }
    e->n = kept;
    return dropped;
}

const expected_alert *expected_find(const expected *e, const char *id, size_t id_len) {
    for (size_t i = 0; i < e->n; i++)
        if (id_len == SW_ALERT_ID_LEN && memcmp(e->a[i].id, id, SW_ALERT_ID_LEN) == 0) return &e->a[i];
    return NULL;
}

/* ---- the cluster ---------------------------------------------------------- */

sw_mockcluster *mc;
const char *brokers;

void cluster_up(void) {
    char err[512];
    mc = sw_mockcluster_start(3, err, sizeof err);
    if (!mc) fail_msg("mock cluster: %s", err);
    brokers = sw_mockcluster_bootstraps(mc);
}

void topic(const char *name, int parts) {
    char err[512];
    if (sw_mockcluster_topic(mc, name, parts, err, sizeof err) != 0) fail_msg("%s", err);
}

int cluster_setup(void **state) {
    (void)state;
    cluster_up();
    topic(IN, IN_PARTS);
    topic(ALERTS, ALERT_PARTS);
    return 0;
}

int cluster_teardown(void **state) {
    (void)state;
    tu_proc_kill_all();
    sw_mockcluster_stop(mc);
    mc = NULL;
    return 0;
}

tu_redis case_redis;

int redis_case_setup(void **state, int (*setup)(void **state)) {
    memset(&case_redis, 0, sizeof case_redis);
    if (tu_redis_start(&case_redis, 1) != 0) fail_msg("cannot start redis-server (is Debian's redis-server installed?)");
    return setup(state);
}

void redis_do(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4) {
    redisContext *c = redisConnect("127.0.0.1", case_redis.port);
    if (!c || c->err) fail_msg("redis: %s", c ? c->errstr : "out of memory");
    const char *argv[5] = {a0, a1, a2, a3, a4};
    int argc = 0;
    while (argc < 5 && argv[argc]) argc++;
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    if (!r || r->type == REDIS_REPLY_ERROR) fail_msg("redis %s: %s", a0, r ? r->str : c->errstr);
    freeReplyObject(r);
    redisFree(c);
}

int redis_case_teardown(void **state) {
    tu_redis_destroy(&case_redis);
    return cluster_teardown(state);
}

rd_kafka_conf_t *conf(const char *const *kv) {
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char err[256];
    assert_int_equal(rd_kafka_conf_set(c, "bootstrap.servers", brokers, err, sizeof err), RD_KAFKA_CONF_OK);
    for (; kv && kv[0]; kv += 2)
        if (rd_kafka_conf_set(c, kv[0], kv[1], err, sizeof err) != RD_KAFKA_CONF_OK) fail_msg("%s", err);
    return c;
}

/* ---- producing input ------------------------------------------------------ */

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    dr_sink *s = opaque;
    size_t i = (size_t)(uintptr_t)m->_private;
    if (m->err) {
        s->failed++;
        return;
    }
    if (i > 0 && s->partition) {
        s->partition[i - 1] = m->partition;
        s->offset[i - 1] = m->offset;
    }
}

rd_kafka_t *producer(dr_sink *sink) {
    /* A short socket timeout: a mock broker set down leaves requests unanswered. */
    const char *kv[] = {"enable.idempotence", "true", "message.max.bytes", "4000000", "linger.ms", "5",
                        "message.timeout.ms", "120000", "socket.timeout.ms", "3000", NULL};
    rd_kafka_conf_t *c = conf(kv);
    rd_kafka_conf_set_dr_msg_cb(c, on_dr);
    rd_kafka_conf_set_opaque(c, sink);
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    if (!rk) fail_msg("%s", err);
    return rk;
}

void produce_one(rd_kafka_t *rk, const char *t, int32_t partition, const void *key, size_t key_len,
                        const void *value, size_t len, int64_t ts, size_t tag) {
    rd_kafka_resp_err_t e;
    while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(t), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(key, key_len),
                                  RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_OPAQUE((void *)(uintptr_t)tag),
                                  RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(rk, 10);
    if (e) fail_msg("produce: %s", rd_kafka_err2str(e));
}

void flush(rd_kafka_t *rk, dr_sink *s) {
    assert_int_equal(rd_kafka_flush(rk, 90000), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(s->failed, 0);
}

/* Lines [from, to) of d, keyed by user, in order; records where each went. */
void produce_lines(rd_kafka_t *rk, const dataset *d, size_t from, size_t to) {
    for (size_t i = from; i < to; i++)
        produce_one(rk, IN, RD_KAFKA_PARTITION_UA, d->key[i].p, d->key[i].len, d->line[i], d->len[i], 0, i + 1);
}

void produce_all(const dataset *d) {
    dr_sink s = {d->partition, d->offset, 0};
    rd_kafka_t *rk = producer(&s);
    produce_lines(rk, d, 0, d->n);
    flush(rk, &s);
    rd_kafka_destroy(rk);
}

/* A producer that has put the first half of data_a, recording where. */
rd_kafka_t *produce_first_half(dr_sink *s) {
    *s = (dr_sink){data_a.partition, data_a.offset, 0};
    rd_kafka_t *pr = producer(s);
    produce_lines(pr, &data_a, 0, data_a.n / 2);
    flush(pr, s);
    return pr;
}

/* ---- reading topics ------------------------------------------------------- */

static const char *const header_names[H_COUNT + 1] = {"rule_id", "tenant", "alert_id", "reason",
                                                       "original_value_bytes", NULL};

rd_kafka_t *reader(const char *group) {
    const char *kv[] = {"group.id", group, "enable.auto.commit", "false", "enable.partition.eof", "true", NULL};
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf(kv), err, sizeof err);
    if (!rk) fail_msg("%s", err);
    return rk;
}

/* Every record of the topic, read from the beginning to the end. */
krecs read_topic(const char *t, int parts) {
    tu_kafka_read how = {.brokers = brokers, .topic = t, .partitions = parts, .group = "sw-test-reader",
                         .headers = header_names, .seconds = 60};
    return tu_kafka_read_all(&how);
}

void krecs_free(krecs *k) { tu_krecs_free(k); }

/* Offsets: the group's committed ones and the topic's ends. */
/* Commits offset `at` of every input partition for group, as a member
 * that wrote a checkpoint there would have (12.4: run refuses a
 * checkpoint Kafka has no commit for). */
void commit_all(const char *group, int64_t at) {
    rd_kafka_t *rk = reader(group);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(IN_PARTS);
    for (int p = 0; p < IN_PARTS; p++) rd_kafka_topic_partition_list_add(l, IN, p)->offset = at;
    assert_int_equal(rd_kafka_commit(rk, l, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
}
void committed(const char *group, int64_t *out) {
    rd_kafka_t *rk = reader(group);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(IN_PARTS);
    for (int p = 0; p < IN_PARTS; p++) rd_kafka_topic_partition_list_add(l, IN, p);
    rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, 10000);
    for (int p = 0; p < IN_PARTS; p++) out[p] = e ? -2 : l->elems[p].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
}

void ends(int64_t *out) {
    rd_kafka_t *rk = reader("sw-test-reader");
    for (int p = 0; p < IN_PARTS; p++) {
        int64_t lo, hi;
        assert_int_equal(rd_kafka_query_watermark_offsets(rk, IN, p, &lo, &hi, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
        out[p] = hi;
    }
    rd_kafka_destroy(rk);
}

/* Waits until the group has committed the end of every non-empty partition. */
void wait_committed_to_end(const char *group, int seconds, const char *log) {
    int64_t want[IN_PARTS], got[IN_PARTS];
    ends(want);
    for (int i = 0; i < seconds * 5; i++) {
        committed(group, got);
        int ok = 1;
        for (int p = 0; p < IN_PARTS; p++) ok &= want[p] == 0 || got[p] == want[p];
        if (ok) return;
        usleep(200000);
    }
    for (int p = 0; p < IN_PARTS; p++) fprintf(stderr, "partition %d: committed %lld, end %lld\n", p, (long long)got[p], (long long)want[p]);
    fail_msg("group %s did not commit to the end in %d s; run's stderr:\n%.6000s", group, seconds, log ? log : "");
}

/* ---- the binary as a child ------------------------------------------------ */

/* The binary with argv, stderr to a file of its own (child_stderr).
 * support/proc.c remembers it until reaped, so that a failed assertion
 * (which leaves the test function) does not leave run processes behind:
 * the teardowns kill them. */
static child spawn(const char *const *argv) {
    child c = {0};
    snprintf(c.err_path, sizeof c.err_path, "/tmp/sw-run-err-XXXXXX");
    int fd = mkstemp(c.err_path);
    assert_true(fd >= 0);
    c.pid = tu_spawn_sw(argv, TU_DEVNULL, TU_DEVNULL, fd);
    assert_true(c.pid >= 0);
    close(fd);
    return c;
}

char *child_stderr(const child *c) {
    char *s = tu_read_file(c->err_path, NULL);
    return s ? s : xstrndup("", 0);
}

/* Exit status (128 + signal when killed); fails the test on a hang. */
int child_wait(child *c, int timeout_ms) {
    int st = tu_wait(c->pid, timeout_ms);
    if (st < 0) {
        tu_kill(c->pid);
        char *err = child_stderr(c);
        fail_msg("run did not exit within %d ms; stderr:\n%.4000s", timeout_ms, err);
    }
    return st;
}

void child_done(child *c) { unlink(c->err_path); }

/* Waits until the child's stderr holds needle. */
void child_wait_for(const child *c, const char *needle, int seconds) {
    for (int i = 0; i < seconds * 20; i++) {
        char *s = child_stderr(c);
        int found = strstr(s, needle) != NULL;
        free(s);
        if (found) return;
        usleep(50000);
    }
    char *s = child_stderr(c);
    fail_msg("no '%s' on run's stderr within %d s:\n%.4000s", needle, seconds, s);
}

/* Waits until member w of c logs an assignment of at least one partition. */
void child_wait_assigned(const child *c, int w, int seconds) {
    char needle[64];
    int n = snprintf(needle, sizeof needle, "worker %d assigned " IN " [", w);
    for (int i = 0; i < seconds * 20; i++) {
        char *s = child_stderr(c);
        int found = 0;
        for (const char *p = s; !found && (p = strstr(p, needle)); p += n) found = p[n] >= '0' && p[n] <= '9';
        free(s);
        if (found) return;
        usleep(50000);
    }
    char *s = child_stderr(c);
    size_t len = strlen(s);
    fail_msg("member %d got no partition within %d s; the end of its stderr:\n%s", w, seconds,
             s + (len > 6000 ? len - 6000 : 0));
}

/* `run` with the common flags, then extra (NULL-terminated). */
child start_run(const char *group, const char *alerts, const char *const *extra) {
    return start_command("run", group, alerts, extra);
}

child start_command(const char *cmd, const char *group, const char *alerts, const char *const *extra) {
    const char *argv[48] = {cmd, "--brokers", brokers, "--topic", IN, "--alerts-topic", alerts, "--group", group,
                            "--summary", "json"};
    size_t n = 11;
    for (; extra && *extra && n < 46; extra++) argv[n++] = *extra;
    argv[n] = NULL;
    return spawn(argv);
}

/* Runs to the end (--exit-at-end); exit 0 required; returns stderr. */
char *run_to_end(const char *group, const char *alerts, const char *const *extra) {
    return command_to_end("run", group, alerts, extra);
}

char *command_to_end(const char *cmd, const char *group, const char *alerts, const char *const *extra) {
    const char *argv[40] = {"--exit-at-end"};
    size_t n = 1;
    for (; extra && *extra && n < 38; extra++) argv[n++] = *extra;
    argv[n] = NULL;
    child c = start_command(cmd, group, alerts, argv);
    int st = child_wait(&c, RUN_TIMEOUT_MS);
    char *err = child_stderr(&c);
    child_done(&c);
    if (st != 0) fail_msg("run exited %d; stderr:\n%.6000s", st, err);
    return err;
}

/* A count from run's --summary json line. */
uint64_t summary_count(const char *err, const char *name) {
    const char *s = strstr(err, "{\"records\":");
    if (!s) fail_msg("no JSON summary on run's stderr:\n%.4000s", err);
    const char *v = field(s, name);
    assert_non_null(v);
    return strtoull(v, NULL, 10);
}

/* Fails with run's stderr unless its summary counts want of name. */
void expect_count(const char *err, const char *name, uint64_t want) {
    uint64_t got = summary_count(err, name);
    if (got != want) fail_msg("summary %s: %llu, want %llu; stderr:\n%.6000s", name, (unsigned long long)got,
                              (unsigned long long)want, err);
}

char *one_member_matches_scan(const char *group, const char *const *extra) {
    produce_all(&data_a);
    char *err = run_to_end(group, ALERTS, extra);
    expect_count(err, "records", data_a.n);
    expect_count(err, "alerts", exp_a.n);
    check_alerts(ALERTS, &exp_a, only_a, true);
    wait_committed_to_end(group, 5, NULL);
    return err;
}

char *stop_run(child *c) {
    kill(c->pid, SIGTERM);
    int st = child_wait(c, RUN_TIMEOUT_MS);
    char *err = child_stderr(c);
    child_done(c);
    if (st != 0) fail_msg("run exited %d after SIGTERM:\n%.6000s", st, err);
    return err;
}

/* Starts the members (on an empty topic), waits until each was assigned
 * partitions, then produces everything, waits for the commits and stops
 * them: the same alerts as scan (data_a, exp_a), each once.  more: flags
 * added to run's (NULL-terminated; NULL: none). */
void members_then_input(const char *group, const char *alerts, int procs, const char *threads,
                        const char *const *more) {
    /* A short session timeout: the mock makes a join wait for the members
     * it knows to rejoin or time out (the default 45 s). */
    const char *extra[16] = {"--threads", threads, "--status-interval", "0", "-X", "session.timeout.ms=6000"};
    for (size_t i = 6; more && *more && i < 15; i++) extra[i] = *more++;
    child c[2];
    /* One process after the other: the second joins a running group, so
     * its first cooperative assignment is empty and the partitions it gets
     * come in a second rebalance, after the first process revoked them.
     * Settled: every member holds partitions (8 partitions, at most 3
     * members). */
    for (int i = 0; i < procs; i++) {
        c[i] = start_run(group, alerts, extra);
        for (int w = 0; w < atoi(threads); w++) child_wait_assigned(&c[i], w, 60);
    }
    produce_all(&data_a);
    wait_committed_to_end(group, 180, NULL);
    uint64_t records = 0;
    for (int i = 0; i < procs; i++) kill(c[i].pid, SIGTERM);
    for (int i = 0; i < procs; i++) {
        int st = child_wait(&c[i], RUN_TIMEOUT_MS);
        char *err = child_stderr(&c[i]);
        if (st != 0) fail_msg("run exited %d:\n%.6000s", st, err);
        records += summary_count(err, "records");
        free(err);
        child_done(&c[i]);
    }
    assert_int_equal(records, data_a.n);
    check_alerts(alerts, &exp_a, only_a, true);
}

void members_case_run(void **state) {
    const members_case *m = *state;
    members_then_input(m->group, ALERTS, m->procs, m->threads, m->more);
}

/* ---- checking alerts ------------------------------------------------------ */

/* The alert without its wall-clock and its source, to compare with scan. */
char *comparable(const char *json) {
    char *s = xstrndup(json, strlen(json));
    char *d = strstr(s, "\"detected_at\":\"");
    if (d) {
        char *end = strchr(d + 15, '"');
        assert_non_null(end);
        memmove(d, end + 2, strlen(end + 2) + 1); /* past the closing quote and comma */
    }
    char *src = strstr(s, ",\"source\":");
    assert_non_null(src);
    *src = '\0';
    return s;
}

void check_alerts(const char *alerts, const expected *e, const dataset *const *ds, bool exact) {
    check_alerts_either(alerts, e, NULL, ds, exact);
}

void check_alerts_either(const char *alerts, const expected *e, const expected *alt, const dataset *const *ds,
                         bool exact) {
    krecs k = read_topic(alerts, ALERT_PARTS);
    size_t *seen = calloc(e->n + 1, sizeof *seen);
    for (size_t i = 0; i < k.n; i++) {
        const krec *r = &k.r[i];
        const char *id = field(r->value, "alert_id");
        assert_non_null(id);
        const expected_alert *x = expected_find(e, id + 1, SW_ALERT_ID_LEN);
        if (!x) fail_msg("alert %.32s is not one of scan's %zu", id + 1, e->n);
        seen[x - e->a]++;
        assert_non_null(r->h[H_RULE_ID]); /* the alert's rule.id */
        const char *rule = strstr(r->value, "\"rule\":{\"id\":\"");
        assert_non_null(rule);
        assert_int_equal(strncmp(rule + 14, r->h[H_RULE_ID], r->h_len[H_RULE_ID]), 0);
        assert_int_equal(rule[14 + r->h_len[H_RULE_ID]], '"');
        assert_non_null(r->h[H_TENANT]);
        assert_string_equal(r->h[H_TENANT], "");
        assert_non_null(r->h[H_ALERT_ID]);
        assert_memory_equal(r->h[H_ALERT_ID], id + 1, SW_ALERT_ID_LEN);
        assert_int_equal(r->h_len[H_ALERT_ID], SW_ALERT_ID_LEN);
        char *a = comparable(r->value), *b = comparable(x->json);
        const expected_alert *y = alt ? expected_find(alt, id + 1, SW_ALERT_ID_LEN) : NULL;
        if (y && strcmp(a, b) != 0) {
            free(b);
            b = comparable(y->json);
        }
        assert_string_equal(a, b);
        free(a);
        free(b);
        /* Source: scan's line (across the files in order) is the record at
         * this partition and offset, and the key is that record's user. */
        size_t line = x->line;
        const dataset *d = NULL;
        for (size_t f = 0; ds[f]; f++) {
            if (line <= ds[f]->n && strstr(x->json, f ? path_b : path_a)) { d = ds[f]; break; }
        }
        assert_non_null(d);
        const char *src = strstr(r->value, ",\"source\":{\"topic\":\"" IN "\",\"partition\":");
        assert_non_null(src);
        assert_int_equal(strtoll(field(src, "partition"), NULL, 10), d->partition[line - 1]);
        assert_int_equal(strtoll(field(src, "offset"), NULL, 10), d->offset[line - 1]);
        assert_int_equal(r->key_len, d->key[line - 1].len);
        assert_memory_equal(r->key, d->key[line - 1].p, r->key_len);
        assert_int_equal((unsigned char)r->key[0], 0x1F);
    }
    for (size_t i = 0; i < e->n; i++) {
        if (!seen[i]) fail_msg("alert %s (scan line %zu) is missing: %zu of %zu came", e->a[i].id, e->a[i].line, k.n, e->n);
        if (exact && seen[i] != 1) fail_msg("alert %s came %zu times", e->a[i].id, seen[i]);
    }
    free(seen);
    krecs_free(&k);
}

const dataset *const only_a[] = {&data_a, NULL};
const char *const RUN_REFUSED_RULES[] = {FAILURES_RULE, DEVICE_RULE, NULL};
const dataset *const a_and_b[] = {&data_a, &data_b, NULL};

/* ---- metrics and health (--metrics-addr) ---------------------------------- */

/* The port run reports in its log line "metrics and health on port N". */
int metrics_port(const child *c) {
    child_wait_for(c, "metrics and health on port ", 30);
    char *err = child_stderr(c);
    int port = atoi(strstr(err, "metrics and health on port ") + 27);
    free(err);
    assert_true(port > 0);
    return port;
}

/* A sample's value in a /metrics body ("name{labels} value" or "name value"). */
double metric(const char *body, const char *sample) {
    char pat[256];
    snprintf(pat, sizeof pat, "\n%s ", sample);
    const char *p = strstr(body, pat);
    if (!p) fail_msg("no sample '%s' in /metrics:\n%.3000s", sample, body);
    return strtod(p + strlen(pat), NULL);
}

void run_harness_init(void) {
    unsetenv("SESSIONWATCH_BROKERS");
    signal(SIGPIPE, SIG_IGN);
    gen("7", "2026-01-05T08:00:00Z", path_a);
    gen("8", "2026-01-06T08:00:00Z", path_b);
    load(&data_a, path_a);
    load(&data_b, path_b);
    const char *fa[] = {path_a, NULL}, *fab[] = {path_a, path_b, NULL};
    scan_expected(&exp_a, fa);
    scan_expected(&exp_ab, fab);
    if (getenv("SW_TEST_FILTER")) cmocka_set_test_filter(getenv("SW_TEST_FILTER"));
}

void run_harness_free(void) {
    expected_free(&exp_a);
    expected_free(&exp_ab);
    dataset_free(&data_a);
    dataset_free(&data_b);
    unlink(path_a);
    unlink(path_b);
}

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
 * bounded and every run ends by itself.
 *
 * `test_run --redis` runs instead the cases of the Redis state hand-off
 * (CTest: test_run_redis): a member joining mid-stream, a restart
 * mid-window, SIGKILL mid-stream, members joining and leaving, Redis down
 * and back, the input topic recreated under old checkpoints, one
 * partition's key of the wrong type, a wrong Redis password, Redis flushed
 * mid-stream; each with its own redis-server.  And a Sentinel failover
 * mid-stream (a primary, a replica and redis-sentinel), with and without
 * --state-replicas 1; skipped, saying so, without Debian's redis-sentinel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alert.h"
#include "checkpoint.h"
#include "extract.h"
#include "kafka.h"
#include "mockcluster.h"
#include "testutil.h"
#ifndef SW_ALERT_MAX_BYTES
#define SW_ALERT_MAX_BYTES 65536
#endif

#define IN "okta-events"
#define ALERTS "okta-alerts"
#define IN_PARTS 8
#define ALERT_PARTS 4
#define RUN_TIMEOUT_MS 300000 /* hang guards, generous: CI machines are shared */
#define KAFKA_API_PRODUCE 0 /* ApiKey of Produce (rdkafka_protocol.h is not installed) */

/* On failure shows the end of hay, where run's summary is. */
#define assert_contains(hay, needle)                                                          \
    do {                                                                                      \
        const char *hay_ = (hay);                                                             \
        size_t len_ = strlen(hay_);                                                           \
        if (!strstr(hay_, (needle)))                                                          \
            fail_msg("line %d: expected\n  %s\nin\n  %s", __LINE__, (needle),                  \
                     hay_ + (len_ > 6000 ? len_ - 6000 : 0));                                   \
    } while (0)

/* ---- data: gen files, their lines and keys, and scan's alerts ------------ */

typedef struct {
    char *buf;
    char **line;
    size_t *len;
    sw_buf *key;       /* tenant "" 0x1F actor id */
    int32_t *partition;/* where the test's producer put each line */
    int64_t *offset;
    size_t n;
} dataset;

typedef struct {
    char id[SW_ALERT_ID_LEN + 1];
    char *json;        /* scan's line, without newline */
    size_t line;       /* scan's source line */
} expected_alert;

typedef struct {
    expected_alert *a;
    size_t n;
} expected;

static dataset data_a, data_b;        /* gen seed 7 and, a day later, seed 8 */
static expected exp_a, exp_ab;        /* scan A; scan A B */
static char path_a[64], path_b[64];

static char *xstrndup(const char *p, size_t n) {
    char *s = malloc(n + 1);
    assert_non_null(s);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static void gen(const char *seed, const char *start, char *path) {
    snprintf(path, 64, "/tmp/sw-run-gen-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const char *argv[] = {"gen", "--seed", seed, "--users", "300", "--attack-rate", "0.05", "--hours", "0.5",
                          "--start", start, "--out", path, "--truth", "/dev/null", NULL};
    tu_result r = tu_run(argv, NULL, 0);
    if (r.status != 0) fail_msg("gen: %s", r.err);
    tu_result_free(&r);
}

static void load(dataset *d, const char *path) {
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

static void dataset_free(dataset *d) {
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
static const char *field(const char *from, const char *name) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", name);
    const char *p = strstr(from, pat);
    return p ? p + strlen(pat) : NULL;
}

static void scan_expected(expected *e, const char *const *files) {
    const char *argv[8] = {"scan"};
    size_t n = 1;
    for (; files[n - 1]; n++) argv[n] = files[n - 1];
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

static void expected_free(expected *e) {
    for (size_t i = 0; i < e->n; i++) free(e->a[i].json);
    free(e->a);
    memset(e, 0, sizeof *e);
}

static const expected_alert *expected_find(const expected *e, const char *id, size_t id_len) {
    for (size_t i = 0; i < e->n; i++)
        if (id_len == SW_ALERT_ID_LEN && memcmp(e->a[i].id, id, SW_ALERT_ID_LEN) == 0) return &e->a[i];
    return NULL;
}

/* ---- the cluster ---------------------------------------------------------- */

static sw_mockcluster *mc;
static const char *brokers;

static void cluster_up(void) {
    char err[512];
    mc = sw_mockcluster_start(3, err, sizeof err);
    if (!mc) fail_msg("mock cluster: %s", err);
    brokers = sw_mockcluster_bootstraps(mc);
}

static void topic(const char *name, int parts) {
    char err[512];
    if (sw_mockcluster_topic(mc, name, parts, err, sizeof err) != 0) fail_msg("%s", err);
}

static int cluster_setup(void **state) {
    (void)state;
    cluster_up();
    topic(IN, IN_PARTS);
    topic(ALERTS, ALERT_PARTS);
    return 0;
}

static void kill_live(void);

static int cluster_teardown(void **state) {
    (void)state;
    kill_live();
    sw_mockcluster_stop(mc);
    mc = NULL;
    return 0;
}

static rd_kafka_conf_t *conf(const char *const *kv) {
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char err[256];
    assert_int_equal(rd_kafka_conf_set(c, "bootstrap.servers", brokers, err, sizeof err), RD_KAFKA_CONF_OK);
    for (; kv && kv[0]; kv += 2)
        if (rd_kafka_conf_set(c, kv[0], kv[1], err, sizeof err) != RD_KAFKA_CONF_OK) fail_msg("%s", err);
    return c;
}

/* ---- producing input ------------------------------------------------------ */

typedef struct {
    int32_t *partition;
    int64_t *offset;
    int failed;
} dr_sink;

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

static rd_kafka_t *producer(dr_sink *sink) {
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

static void produce_one(rd_kafka_t *rk, const char *t, int32_t partition, const void *key, size_t key_len,
                        const void *value, size_t len, int64_t ts, size_t tag) {
    rd_kafka_resp_err_t e;
    while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(t), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(key, key_len),
                                  RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_OPAQUE((void *)(uintptr_t)tag),
                                  RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(rk, 10);
    if (e) fail_msg("produce: %s", rd_kafka_err2str(e));
}

static void flush(rd_kafka_t *rk, dr_sink *s) {
    assert_int_equal(rd_kafka_flush(rk, 90000), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(s->failed, 0);
}

/* Lines [from, to) of d, keyed by user, in order; records where each went. */
static void produce_lines(rd_kafka_t *rk, const dataset *d, size_t from, size_t to) {
    for (size_t i = from; i < to; i++)
        produce_one(rk, IN, RD_KAFKA_PARTITION_UA, d->key[i].p, d->key[i].len, d->line[i], d->len[i], 0, i + 1);
}

static void produce_all(const dataset *d) {
    dr_sink s = {d->partition, d->offset, 0};
    rd_kafka_t *rk = producer(&s);
    produce_lines(rk, d, 0, d->n);
    flush(rk, &s);
    rd_kafka_destroy(rk);
}

/* A producer that has put the first half of data_a, recording where. */
static rd_kafka_t *produce_first_half(dr_sink *s) {
    *s = (dr_sink){data_a.partition, data_a.offset, 0};
    rd_kafka_t *pr = producer(s);
    produce_lines(pr, &data_a, 0, data_a.n / 2);
    flush(pr, s);
    return pr;
}

/* ---- reading topics ------------------------------------------------------- */

enum { H_RULE_ID, H_TENANT, H_ALERT_ID, H_REASON, H_ORIGINAL_VALUE_BYTES, H_COUNT };
static const char *const header_names[H_COUNT] = {"rule_id", "tenant", "alert_id", "reason", "original_value_bytes"};

typedef struct {
    char *key, *value, *h[H_COUNT];
    size_t key_len, len, h_len[H_COUNT];
    int32_t partition;
    int64_t offset;
} krec;

typedef struct {
    krec *r;
    size_t n;
} krecs;

static rd_kafka_t *reader(const char *group) {
    const char *kv[] = {"group.id", group, "enable.auto.commit", "false", "enable.partition.eof", "true", NULL};
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf(kv), err, sizeof err);
    if (!rk) fail_msg("%s", err);
    return rk;
}

/* Every record of the topic, read from the beginning to the end. */
static krecs read_topic(const char *t, int parts) {
    rd_kafka_t *rk = reader("sw-test-reader");
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; p++) rd_kafka_topic_partition_list_add(l, t, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(l);
    krecs out = {0};
    size_t cap = 0;
    int eof = 0;
    char *at_eof = calloc((size_t)parts, 1);
    for (int64_t deadline = time(NULL) + 60; eof < parts && time(NULL) < deadline;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m) continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (!at_eof[m->partition]) at_eof[m->partition] = 1, eof++;
        } else if (!m->err) {
            if (at_eof[m->partition]) at_eof[m->partition] = 0, eof--;
            if (out.n == cap) out.r = realloc(out.r, (cap = cap ? cap * 2 : 64) * sizeof *out.r);
            krec *r = &out.r[out.n++];
            memset(r, 0, sizeof *r);
            r->key = xstrndup(m->key ? m->key : "", m->key_len);
            r->key_len = m->key_len;
            r->value = xstrndup(m->payload ? m->payload : "", m->len);
            r->len = m->len;
            r->partition = m->partition;
            r->offset = m->offset;
            rd_kafka_headers_t *hs;
            for (int h = 0; h < H_COUNT && rd_kafka_message_headers(m, &hs) == RD_KAFKA_RESP_ERR_NO_ERROR; h++) {
                const void *v;
                size_t n;
                if (rd_kafka_header_get_last(hs, header_names[h], &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                    r->h[h] = xstrndup(v, n);
                    r->h_len[h] = n;
                }
            }
        }
        rd_kafka_message_destroy(m);
    }
    free(at_eof);
    assert_int_equal(eof, parts);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return out;
}

static void krecs_free(krecs *k) {
    for (size_t i = 0; i < k->n; i++) {
        free(k->r[i].key);
        free(k->r[i].value);
        for (int h = 0; h < H_COUNT; h++) free(k->r[i].h[h]);
    }
    free(k->r);
    memset(k, 0, sizeof *k);
}

/* Offsets: the group's committed ones and the topic's ends. */
/* Commits offset `at` of every input partition for group, as a member
 * that wrote a checkpoint there would have (12.4: run refuses a
 * checkpoint Kafka has no commit for). */
static void commit_all(const char *group, int64_t at) {
    rd_kafka_t *rk = reader(group);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(IN_PARTS);
    for (int p = 0; p < IN_PARTS; p++) rd_kafka_topic_partition_list_add(l, IN, p)->offset = at;
    assert_int_equal(rd_kafka_commit(rk, l, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
}
static void committed(const char *group, int64_t *out) {
    rd_kafka_t *rk = reader(group);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(IN_PARTS);
    for (int p = 0; p < IN_PARTS; p++) rd_kafka_topic_partition_list_add(l, IN, p);
    rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, 10000);
    for (int p = 0; p < IN_PARTS; p++) out[p] = e ? -2 : l->elems[p].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
}

static void ends(int64_t *out) {
    rd_kafka_t *rk = reader("sw-test-reader");
    for (int p = 0; p < IN_PARTS; p++) {
        int64_t lo, hi;
        assert_int_equal(rd_kafka_query_watermark_offsets(rk, IN, p, &lo, &hi, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
        out[p] = hi;
    }
    rd_kafka_destroy(rk);
}

/* Waits until the group has committed the end of every non-empty partition. */
static void wait_committed_to_end(const char *group, int seconds, const char *log) {
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

typedef struct {
    pid_t pid;
    char err_path[64];
} child;

/* Every child not yet reaped, so that a failed assertion (which leaves the
 * test function) does not leave run processes behind: the teardowns kill
 * them. */
static pid_t live[16];

static void live_add(pid_t pid) {
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (!live[i]) {
            live[i] = pid;
            return;
        }
}

static void live_del(pid_t pid) {
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (live[i] == pid) live[i] = 0;
}

static void kill_live(void) {
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (live[i]) {
            kill(live[i], SIGKILL);
            waitpid(live[i], NULL, 0);
            live[i] = 0;
        }
}

static child spawn(const char *const *argv) {
    child c = {0};
    snprintf(c.err_path, sizeof c.err_path, "/tmp/sw-run-err-XXXXXX");
    int fd = mkstemp(c.err_path);
    assert_true(fd >= 0);
    c.pid = fork();
    assert_true(c.pid >= 0);
    if (c.pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(fd, 2);
        const char *args[64] = {SW_BINARY};
        size_t n = 1;
        for (; argv[n - 1] && n < 63; n++) args[n] = argv[n - 1];
        args[n] = NULL;
        execv(SW_BINARY, (char *const *)args);
        _exit(127);
    }
    live_add(c.pid);
    close(fd);
    return c;
}

static char *child_stderr(const child *c) {
    char *s = tu_read_file(c->err_path, NULL);
    return s ? s : xstrndup("", 0);
}

/* Exit status (128 + signal when killed); fails the test on a hang. */
static int child_wait(child *c, int timeout_ms) {
    int st = 0;
    for (int waited = 0; waitpid(c->pid, &st, WNOHANG) == 0; waited += 20) {
        if (waited >= timeout_ms) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &st, 0);
            live_del(c->pid);
            char *err = child_stderr(c);
            fail_msg("run did not exit within %d ms; stderr:\n%.4000s", timeout_ms, err);
        }
        usleep(20000);
    }
    live_del(c->pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void child_done(child *c) { unlink(c->err_path); }

/* Waits until the child's stderr holds needle. */
static void child_wait_for(const child *c, const char *needle, int seconds) {
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
static void child_wait_assigned(const child *c, int w, int seconds) {
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
static child start_run(const char *group, const char *alerts, const char *const *extra) {
    const char *argv[48] = {"run", "--brokers", brokers, "--topic", IN, "--alerts-topic", alerts, "--group", group,
                            "--summary", "json"};
    size_t n = 11;
    for (; extra && *extra && n < 46; extra++) argv[n++] = *extra;
    argv[n] = NULL;
    return spawn(argv);
}

/* Runs to the end (--exit-at-end); exit 0 required; returns stderr. */
static char *run_to_end(const char *group, const char *alerts, const char *const *extra) {
    const char *argv[40] = {"--exit-at-end"};
    size_t n = 1;
    for (; extra && *extra && n < 38; extra++) argv[n++] = *extra;
    argv[n] = NULL;
    child c = start_run(group, alerts, argv);
    int st = child_wait(&c, RUN_TIMEOUT_MS);
    char *err = child_stderr(&c);
    child_done(&c);
    if (st != 0) fail_msg("run exited %d; stderr:\n%.6000s", st, err);
    return err;
}

/* A count from run's --summary json line. */
static uint64_t summary_count(const char *err, const char *name) {
    const char *s = strstr(err, "{\"records\":");
    if (!s) fail_msg("no JSON summary on run's stderr:\n%.4000s", err);
    const char *v = field(s, name);
    assert_non_null(v);
    return strtoull(v, NULL, 10);
}

/* Fails with run's stderr unless its summary counts want of name. */
static void expect_count(const char *err, const char *name, uint64_t want) {
    uint64_t got = summary_count(err, name);
    if (got != want) fail_msg("summary %s: %llu, want %llu; stderr:\n%.6000s", name, (unsigned long long)got,
                              (unsigned long long)want, err);
}

/* ---- checking alerts ------------------------------------------------------ */

/* The alert without its wall-clock and its source, to compare with scan. */
static char *comparable(const char *json) {
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

/* The alerts topic holds exactly the ids of e (each at least once, nothing
 * else; with exact, each exactly once), every one keyed by its user, with
 * the three headers, scan's bytes and its source record's topic position. */
static void check_alerts(const char *alerts, const expected *e, const dataset *const *ds, bool exact) {
    krecs k = read_topic(alerts, ALERT_PARTS);
    size_t *seen = calloc(e->n + 1, sizeof *seen);
    for (size_t i = 0; i < k.n; i++) {
        const krec *r = &k.r[i];
        const char *id = field(r->value, "alert_id");
        assert_non_null(id);
        const expected_alert *x = expected_find(e, id + 1, SW_ALERT_ID_LEN);
        if (!x) fail_msg("alert %.32s is not one of scan's %zu", id + 1, e->n);
        seen[x - e->a]++;
        assert_non_null(r->h[H_RULE_ID]);
        assert_string_equal(r->h[H_RULE_ID], SW_RULE_ID);
        assert_non_null(r->h[H_TENANT]);
        assert_string_equal(r->h[H_TENANT], "");
        assert_non_null(r->h[H_ALERT_ID]);
        assert_memory_equal(r->h[H_ALERT_ID], id + 1, SW_ALERT_ID_LEN);
        assert_int_equal(r->h_len[H_ALERT_ID], SW_ALERT_ID_LEN);
        char *a = comparable(r->value), *b = comparable(x->json);
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

static const dataset *const only_a[] = {&data_a, NULL};
static const dataset *const a_and_b[] = {&data_a, &data_b, NULL};

/* ---- 1. the same alerts as scan ------------------------------------------ */

static void test_alerts_match_scan(void **state) {
    (void)state;
    produce_all(&data_a);
    const char *extra[] = {"--threads", "1", "--status-interval", "0", NULL};
    char *err = run_to_end("g1", ALERTS, extra);
    expect_count(err, "records", data_a.n);
    expect_count(err, "alerts", exp_a.n);
    assert_true(exp_a.n >= 10);
    free(err);
    check_alerts(ALERTS, &exp_a, only_a, true);
    wait_committed_to_end("g1", 5, NULL);
}

/* ---- 2. several members, joined before consumption ----------------------- */

/* Starts the members (on an empty topic), waits until each was assigned
 * partitions, then produces everything, waits for the commits and stops
 * them: the same alerts as scan, each once. */
static void members_then_input(const char *group, const char *alerts, int procs, const char *threads) {
    /* A short session timeout: the mock makes a join wait for the members
     * it knows to rejoin or time out (the default 45 s). */
    const char *extra[] = {"--threads", threads, "--status-interval", "0", "-X", "session.timeout.ms=6000", NULL};
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

static void test_two_threads(void **state) {
    (void)state;
    members_then_input("g-t2", ALERTS, 1, "2");
}

static void test_three_threads(void **state) {
    (void)state;
    members_then_input("g-t3", ALERTS, 1, "3");
}

static void test_two_processes(void **state) {
    (void)state;
    members_then_input("g-p2", ALERTS, 2, "1");
}

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
        tu_result r = tu_run(argv, NULL, 0);
        assert_int_equal(r.status, 0);
        assert_contains(r.out, "Usage: sessionwatch run");
        for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) assert_contains(r.out, flags[i]);
        assert_int_equal(r.err_len, 0);
        tu_result_free(&r);
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

/* ---- metrics and health (--metrics-addr) ---------------------------------- */

/* The port run reports in its log line "metrics and health on port N". */
static int metrics_port(const child *c) {
    child_wait_for(c, "metrics and health on port ", 30);
    char *err = child_stderr(c);
    int port = atoi(strstr(err, "metrics and health on port ") + 27);
    free(err);
    assert_true(port > 0);
    return port;
}

/* A sample's value in a /metrics body ("name{labels} value" or "name value"). */
static double metric(const char *body, const char *sample) {
    char pat[256];
    snprintf(pat, sizeof pat, "\n%s ", sample);
    const char *p = strstr(body, pat);
    if (!p) fail_msg("no sample '%s' in /metrics:\n%.3000s", sample, body);
    return strtod(p + strlen(pat), NULL);
}

/* GETs path until its body has needle (bounded: the snapshot is published
 * ten times a second); returns the body. */
static char *get_until(int port, const char *path, int want_status, const char *needle) {
    char *body = NULL;
    int status = -1;
    for (int i = 0; i < 600; i++) { /* 60 s: a hang guard */
        free(body);
        status = tu_http_get(port, path, &body);
        if (status == want_status && body && strstr(body, needle)) return body;
        usleep(100000);
    }
    fail_msg("GET %s: status %d, want %d with '%s'; body:\n%.3000s", path, status, want_status, needle,
             body ? body : "(none)");
    return NULL;
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
    char *body = get_until(port, "/metrics", 200, records);
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
    char *b = get_until(port, "/healthz", 200, "ok");
    free(b);
    b = get_until(port, "/readyz", 200, "ready");
    free(b);
    b = get_until(port, "/nope", 404, "not found");
    free(b);
    /* The lag of every partition, once librdkafka's statistics came (5 s). */
    body = get_until(port, "/metrics", 200, "sessionwatch_consumer_lag{topic=\"" IN "\",partition=\"7\"} 0\n");
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
    char *body = get_until(port, "/metrics", 200, "sessionwatch_delivery_stalled_seconds ");
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

/* ---- 3. window state in Redis (test_run --redis) ------------------------- */

/* Each case has its own redis-server (Debian's package) on a free loopback
 * port, stopped by pid in the teardown.  Every case straddles attacks
 * across the hand-off: with --state memory they miss alerts (the windows
 * of the moved partitions are forgotten), so passing needs the state to
 * move through Redis.  Alerts are compared by distinct alert_id with scan
 * over the same records: none missing, none extra. */
static tu_redis redis;

static int redis_setup(void **state) {
    memset(&redis, 0, sizeof redis);
    if (tu_redis_start(&redis, 1) != 0) fail_msg("cannot start redis-server (is Debian's redis-server installed?)");
    return cluster_setup(state);
}

static int redis_teardown(void **state) {
    tu_redis_destroy(&redis);
    return cluster_teardown(state);
}

/* `run` flags for a worker of these cases: one thread, quick group
 * changes, Redis state checkpointed every 200 ms. */
#define REDIS_RUN_ARGS "--threads", "1", "-X", "session.timeout.ms=6000", "--state", redis.url, \
                       "--checkpoint-interval", "200ms", "--status-interval", "200ms"
/* run's eager path (every rebalance revokes everything), pinned by the
 * rebalance case; the others use the default cooperative-sticky. */
#define EAGER "-X", "partition.assignment.strategy=roundrobin"

/* SIGTERM, exit 0 required; returns its stderr. */
static char *stop_run(child *c) {
    kill(c->pid, SIGTERM);
    int st = child_wait(c, RUN_TIMEOUT_MS);
    char *err = child_stderr(c);
    child_done(c);
    if (st != 0) fail_msg("run exited %d after SIGTERM:\n%.6000s", st, err);
    return err;
}

/* A second member joins mid-stream: the partitions it takes bring their
 * window state along. */
static void test_member_joins_mid_stream(void **state) {
    (void)state;
    dr_sink s;
    rd_kafka_t *pr = produce_first_half(&s);
    size_t half = data_a.n / 2;
    const char *extra[] = {REDIS_RUN_ARGS, NULL};
    child a = start_run("g-join", ALERTS, extra);
    wait_committed_to_end("g-join", 180, NULL);
    child b = start_run("g-join", ALERTS, extra);
    child_wait_assigned(&b, 0, 120);
    child_wait_for(&b, "state restored from Redis", 120);
    produce_lines(pr, &data_a, half, data_a.n);
    flush(pr, &s);
    rd_kafka_destroy(pr);
    wait_committed_to_end("g-join", 240, NULL);
    free(stop_run(&a));
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
    const char *extra[] = {REDIS_RUN_ARGS, NULL};
    char *out = run_to_end("g-future", ALERTS, extra);
    assert_contains(out, "state restored from Redis");
    assert_contains(out, "were dated after the clock + --max-clock-skew and were dropped");
    assert_contains(out, "\"too_late\":0,");
    free(out);
    check_alerts(ALERTS, &exp_a, only_a, false);
}

/* A clean restart mid-window: the restarted worker resumes with the state. */
static void test_restart_mid_window(void **state) {
    (void)state;
    dr_sink s;
    rd_kafka_t *pr = produce_first_half(&s);
    size_t half = data_a.n / 2;
    const char *extra[] = {REDIS_RUN_ARGS, NULL};
    child a = start_run("g-restart", ALERTS, extra);
    wait_committed_to_end("g-restart", 180, NULL);
    free(stop_run(&a));
    produce_lines(pr, &data_a, half, data_a.n);
    flush(pr, &s);
    rd_kafka_destroy(pr);
    char *err = run_to_end("g-restart", ALERTS, extra);
    assert_contains(err, "state restored from Redis");
    /* It read only the second half: everything before was checkpointed. */
    expect_count(err, "records", data_a.n - half);
    free(err);
    check_alerts(ALERTS, &exp_a, only_a, false);
}

/* SIGKILL mid-stream, between checkpoints: the replacement replays from
 * the last checkpoint with the checkpoint's state. */
static void test_sigkill_mid_stream(void **state) {
    (void)state;
    dr_sink s;
    rd_kafka_t *pr = produce_first_half(&s);
    size_t half = data_a.n / 2, three_quarters = data_a.n * 3 / 4;
    const char *extra[] = {REDIS_RUN_ARGS, NULL};
    child a = start_run("g-kill", ALERTS, extra);
    wait_committed_to_end("g-kill", 180, NULL);
    produce_lines(pr, &data_a, half, three_quarters);
    flush(pr, &s);
    child_wait_for(&a, "status records=", 10);
    usleep(150000); /* some of the new records processed, likely not all checkpointed */
    kill(a.pid, SIGKILL);
    assert_int_equal(child_wait(&a, RUN_TIMEOUT_MS), 128 + SIGKILL);
    child_done(&a);
    produce_lines(pr, &data_a, three_quarters, data_a.n);
    flush(pr, &s);
    rd_kafka_destroy(pr);
    char *err = run_to_end("g-kill", ALERTS, extra);
    assert_contains(err, "state restored from Redis");
    /* At most the records after the first half are read again. */
    assert_true(summary_count(err, "records") <= data_a.n - half);
    free(err);
    check_alerts(ALERTS, &exp_a, only_a, false);
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
    const char *extra[] = {REDIS_RUN_ARGS, NULL};
    rebalance_mid_stream("g-rebal", extra);
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
    free(get_until(port, "/readyz", 200, "ready"));
    int64_t before[IN_PARTS], after[IN_PARTS];
    committed("g-redis", before);
    tu_redis_stop(&redis);
    produce_lines(pr, &data_a, half, data_a.n);
    flush(pr, &s);
    rd_kafka_destroy(pr);
    child_wait_for(&a, "pausing its partitions until Redis is back", 60);
    child_wait_for(&a, "redis=down(paused)", 60);
    free(get_until(port, "/readyz", 503, "Redis is failing"));
    free(get_until(port, "/metrics", 200, "\nsessionwatch_redis_paused 1\n"));
    free(get_until(port, "/healthz", 200, "ok")); /* alive: nothing to restart */
    sleep(3);
    committed("g-redis", after);
    for (int p = 0; p < IN_PARTS; p++) assert_int_equal(after[p], before[p]); /* nothing past the checkpoint */
    if (tu_redis_start(&redis, 1) != 0) fail_msg("cannot restart redis-server on port %d", redis.port);
    child_wait_for(&a, "Redis is back", 120);
    wait_committed_to_end("g-redis", 240, NULL);
    free(get_until(port, "/readyz", 200, "ready"));
    char *m = get_until(port, "/metrics", 200, "\nsessionwatch_redis_paused 0\n");
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
    const char *extra[] = {REDIS_RUN_ARGS, NULL};
    char *err = run_to_end("g-recreate", ALERTS, extra);
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
    char *m = get_until(port, "/metrics", 200, records);
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
    err = run_to_end("g-recreate", ALERTS, extra);
    assert_int_equal(tu_count(err, "checkpoint refused"), 0);
    assert_contains(err, "state restored from Redis");
    expect_count(err, "records", 0);
    free(err);
    expected_free(&exp_b);
}

/* A Redis command on the test's server; fails the test on an error. */
static void redis_do(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4) {
    redisContext *c = redisConnect("127.0.0.1", redis.port);
    if (!c || c->err) fail_msg("redis: %s", c ? c->errstr : "out of memory");
    const char *argv[5] = {a0, a1, a2, a3, a4};
    int argc = 0;
    while (argc < 5 && argv[argc]) argc++;
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    if (!r || r->type == REDIS_REPLY_ERROR) fail_msg("redis %s: %s", a0, r ? r->str : c->errstr);
    freeReplyObject(r);
    redisFree(c);
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
    free(get_until(port, "/readyz", 200, "ready"));
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
    free(get_until(port, "/readyz", 503, "a partition's state in Redis is refused: partition 3: "));
    char *m = get_until(port, "/metrics", 200, "\nsessionwatch_partitions_refused 1\n");
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
    free(get_until(port, "/readyz", 200, "ready"));
    free(get_until(port, "/metrics", 200, "\nsessionwatch_partitions_refused 0\n"));
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
    free(get_until(port, "/readyz", 503, "Redis refuses our credentials: "));
    free(get_until(port, "/metrics", 200, "\nsessionwatch_redis_auth_failed 1\n"));
    char *err = child_stderr(&a);
    assert_int_equal(tu_count(err, "redis=ok"), 0);
    assert_int_equal(tu_count(err, "s3cr3t"), 0);
    free(err);
    /* Redis is given that password: the run recovers on its own. */
    redis_do("CONFIG", "SET", "requirepass", "s3cr3t-pw", NULL);
    wait_committed_to_end("g-auth", 240, NULL);
    free(get_until(port, "/readyz", 200, "ready"));
    free(get_until(port, "/metrics", 200, "\nsessionwatch_redis_auth_failed 0\n"));
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
    char *m = get_until(port, "/metrics", 200, "\nsessionwatch_state_lost_total 8\n");
    free(m);
    /* ... and rewritten whole: every partition's state is back, at its end. */
    wait_state_at_end(redis.port, "g-flush", 30);
    kill(a.pid, SIGKILL);
    assert_int_equal(child_wait(&a, RUN_TIMEOUT_MS), 128 + SIGKILL);
    child_done(&a);
    produce_lines(pr, &data_a, cut, data_a.n);
    flush(pr, &s);
    rd_kafka_destroy(pr);
    char *err = run_to_end("g-flush", ALERTS, extra);
    assert_contains(err, "state restored from Redis");
    assert_true(strstr(err, "no checkpoint in Redis") == NULL);
    expect_count(err, "records", data_a.n - cut); /* resumed where the rewrite was */
    free(err);
    check_alerts(ALERTS, &exp_a, only_a, false);
}

/* ---- Redis behind Sentinel (test_run --redis) ----------------------------- */

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
        free(get_until(port, "/metrics", 200, "\nsessionwatch_replica_wait_short_total 1"));
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
    char *m = get_until(port, "/metrics", 200, "\nsessionwatch_redis_paused 0\n");
    assert_true(metric(m, "sessionwatch_state_lost_total") >= 1);
    free(m);
    /* A successor restores what the worker left on the new primary. */
    kill(a.pid, SIGKILL);
    assert_int_equal(child_wait(&a, RUN_TIMEOUT_MS), 128 + SIGKILL);
    child_done(&a);
    produce_lines(pr, &data_a, three_quarters, data_a.n);
    flush(pr, &s);
    rd_kafka_destroy(pr);
    char *err = run_to_end(group, ALERTS, extra);
    assert_contains(err, "state restored from Redis");
    assert_true(strstr(err, "no checkpoint in Redis") == NULL);
    expect_count(err, "records", data_a.n - three_quarters);
    free(err);
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

int main(int argc, char **argv) {
    unsetenv("SESSIONWATCH_BROKERS");
    signal(SIGPIPE, SIG_IGN);
    gen("7", "2026-01-05T08:00:00Z", path_a);
    gen("8", "2026-01-06T08:00:00Z", path_b);
    load(&data_a, path_a);
    load(&data_b, path_b);
    const char *fa[] = {path_a, NULL}, *fab[] = {path_a, path_b, NULL};
    scan_expected(&exp_a, fa);
    scan_expected(&exp_ab, fab);
    int rc;
    if (getenv("SW_TEST_FILTER")) cmocka_set_test_filter(getenv("SW_TEST_FILTER"));
    if (argc > 1 && strcmp(argv[1], "--redis") == 0) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_member_joins_mid_stream, redis_setup, redis_teardown),
            cmocka_unit_test_setup_teardown(test_restart_mid_window, redis_setup, redis_teardown),
            cmocka_unit_test_setup_teardown(test_restore_drops_future_state, redis_setup, redis_teardown),
            cmocka_unit_test_setup_teardown(test_sigkill_mid_stream, redis_setup, redis_teardown),
            cmocka_unit_test_setup_teardown(test_rebalance_mid_stream, redis_setup, redis_teardown),
            cmocka_unit_test_setup_teardown(test_rebalance_mid_stream_eager, redis_setup, redis_teardown),
            cmocka_unit_test_setup_teardown(test_redis_down_mid_stream, redis_setup, redis_teardown),
            cmocka_unit_test_setup_teardown(test_recreated_topic, redis_setup, redis_teardown),
            cmocka_unit_test_setup_teardown(test_wrong_type_key_refuses_one_partition, redis_setup, redis_teardown),
            cmocka_unit_test_setup_teardown(test_wrong_type_key_eager, redis_setup, redis_teardown),
            cmocka_unit_test_setup_teardown(test_wrong_password, redis_setup, redis_teardown),
            cmocka_unit_test_setup_teardown(test_redis_flushed_mid_stream, redis_setup, redis_teardown),
            cmocka_unit_test_setup_teardown(test_sentinel_failover, sentinel_setup, sentinel_teardown),
            cmocka_unit_test_setup_teardown(test_sentinel_failover_replicas, sentinel_setup, sentinel_teardown),
        };
        rc = cmocka_run_group_tests_name("run_redis", tests, NULL, NULL);
    } else {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_help_and_usage_errors),
            cmocka_unit_test_setup_teardown(test_alerts_match_scan, cluster_setup, cluster_teardown),
            cmocka_unit_test_setup_teardown(test_time_field_kafka, cluster_setup, cluster_teardown),
            cmocka_unit_test_setup_teardown(test_two_threads, cluster_setup, cluster_teardown),
            cmocka_unit_test_setup_teardown(test_three_threads, cluster_setup, cluster_teardown),
            cmocka_unit_test_setup_teardown(test_two_processes, cluster_setup, cluster_teardown),
            cmocka_unit_test_setup_teardown(test_broker_down_mid_stream, cluster_setup, cluster_teardown),
            cmocka_unit_test_setup_teardown(test_produce_errors, cluster_setup, cluster_teardown),
            cmocka_unit_test_setup_teardown(test_poison_and_dlq, cluster_setup, cluster_teardown),
            cmocka_unit_test_setup_teardown(test_sigterm_and_restart, cluster_setup, cluster_teardown),
            cmocka_unit_test_setup_teardown(test_metrics_and_health, cluster_setup, cluster_teardown),
            cmocka_unit_test_setup_teardown(test_big_alert_is_bounded, cluster_setup, cluster_teardown),
            cmocka_unit_test_setup_teardown(test_undeliverable_to_dlq, cluster_setup, cluster_teardown),
            cmocka_unit_test_setup_teardown(test_undeliverable_dropped, cluster_setup, cluster_teardown),
            cmocka_unit_test_setup_teardown(test_sigterm_with_stuck_delivery, cluster_setup, cluster_teardown),
            cmocka_unit_test_setup_teardown(test_stop_before_first_assignment, cluster_setup, cluster_teardown),
        };
        rc = cmocka_run_group_tests_name("run", tests, NULL, NULL);
    }
    expected_free(&exp_a);
    expected_free(&exp_ab);
    dataset_free(&data_a);
    dataset_free(&data_b);
    unlink(path_a);
    unlink(path_b);
    return rc;
}

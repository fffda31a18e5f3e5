/* worker.c -- see worker.h.  Layout: one partition (part), one group member
 * thread (worker), and sw_run, which starts them and watches. */
#include "worker.h"

#include <inttypes.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "alert_producer.h"
#include "engine.h"
#include "extract.h"
#include "summary.h"

#define POLL_MS 100
#define COMMIT_EVERY_MS 1000
#define PUBLISH_EVERY_MS 100
#define DRAIN_MS 30000       /* longest wait for acknowledgements on revoke / shutdown */
#define SETTLE_MS 1000       /* --exit-at-end: quiet time after everything is at its end */
#define DLQ_MAX_KEY 4096     /* dead-letter keys are cut here (alert_producer.c leaves room) */
#define MAX_PARTITION (1 << 20)

typedef struct worker worker;

typedef struct {
    worker *w;
    sw_engine *engine;
    sw_acks *acks;
    int32_t id;
    int64_t next;      /* offset after the last record fed; -1 before the first */
    int64_t committed; /* last commit point known committed; -1 none */
    bool eof;
} part;

typedef struct {
    const sw_run_opts *o;
    sw_producer *producer;
    atomic_bool failed; /* stop, do not commit any more, exit 1 */
} run_ctx;

struct worker {
    run_ctx *run;
    int index;
    pthread_t thread;
    rd_kafka_t *rk;
    sw_parser *parser;
    part **parts; /* by partition id */
    int32_t parts_cap;
    uint32_t assigned, at_eof;
    const rd_kafka_message_t *msg; /* the record being fed, for the callbacks */
    sw_buf key;
    sw_counters retired; /* engines already dropped */
    uint64_t retired_users, evicted, bytes;
    int64_t last_commit_ms, last_publish_ms, last_log_ms;
    /* Published for the watching thread (relaxed atomics, read-only there). */
    atomic_uint_fast64_t pub_records, pub_eligible, pub_alerts, pub_users, pub_waiting, pub_activity;
    atomic_int_fast64_t pub_lag;
    atomic_uint pub_assigned, pub_eof;
    atomic_bool pub_settled, pub_done;
};

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static bool stopping(const worker *w) {
    return atomic_load(w->run->o->stop) || atomic_load(&w->run->failed);
}

static bool may_commit(const worker *w) {
    return !atomic_load(&w->run->failed) && !sw_producer_fatal(w->run->producer);
}

static void fail(worker *w, const char *what) {
    fprintf(stderr, "sessionwatch run: worker %d: %s; stopping without committing further\n", w->index, what);
    atomic_store(&w->run->failed, true);
}

/* Logs at most one line a second per worker: transient Kafka trouble
 * (a broker down, a rebalance) must not flood stderr. */
__attribute__((format(printf, 2, 3))) static void log_limited(worker *w, const char *fmt, ...) {
    int64_t now = mono_ms();
    if (w->last_log_ms && now - w->last_log_ms < 1000) return;
    w->last_log_ms = now;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "sessionwatch run: worker %d: %s\n", w->index, msg);
}

/* ---- outputs: alerts and dead letters ------------------------------------ */

/* The ack slot for one more output of the current record.  When the
 * partition's ring is full this waits for acknowledgements (backpressure);
 * NULL only once the run has failed. */
static sw_pending *hold(part *p) {
    worker *w = p->w;
    sw_pending *t;
    while (!(t = sw_acks_hold(p->acks, w->msg->offset))) {
        if (!may_commit(w)) return NULL;
        sleep_ms(1);
    }
    return t;
}

static void on_alert(void *ud, const sw_alert_out *a) {
    part *p = ud;
    worker *w = p->w;
    sw_buf_reset(&w->key);
    sw_user_key(&w->key, a->tenant, a->tenant_len, a->actor, a->actor_len);
    if (w->key.oom) {
        fail(w, "out of memory for an alert key");
        return;
    }
    sw_pending *t = hold(p);
    if (!t) return;
    const sw_header h[] = {
        {"rule_id", SW_RULE_ID, sizeof SW_RULE_ID - 1},
        {"tenant", a->tenant, a->tenant_len},
        {"alert_id", a->alert_id, SW_ALERT_ID_LEN},
    };
    sw_producer_send(w->run->producer, t, w->run->o->alerts_topic, w->key.p, w->key.len, a->json, a->json_len,
                     h, sizeof h / sizeof h[0]);
    if (w->run->o->on_alert) w->run->o->on_alert(w->run->o->on_alert_ud, a);
}

/* A rejected record goes to --dlq-topic as it came (key and value), with
 * its reason; what does not fit in a message is cut and says so. */
static void on_reject(void *ud, sw_verdict why, const char *rec, size_t len, const sw_source *src) {
    part *p = ud;
    worker *w = p->w;
    const char *dlq = w->run->o->dlq_topic;
    if (!dlq) return;
    const rd_kafka_message_t *m = w->msg;
    size_t max_value = sw_producer_max_value(w->run->producer);
    size_t key_len = m->key_len < DLQ_MAX_KEY ? m->key_len : DLQ_MAX_KEY;
    size_t value_len = len < max_value ? len : max_value;
    char index[16], vbytes[24], kbytes[24];
    sw_header h[4] = {{"reason", sw_verdict_name(why), strlen(sw_verdict_name(why))}};
    size_t nh = 1;
    if (src->index != UINT32_MAX)
        h[nh++] = (sw_header){"index", index, (size_t)snprintf(index, sizeof index, "%" PRIu32, src->index)};
    if (value_len < len)
        h[nh++] = (sw_header){"original_value_bytes", vbytes, (size_t)snprintf(vbytes, sizeof vbytes, "%zu", len)};
    if (key_len < m->key_len)
        h[nh++] = (sw_header){"original_key_bytes", kbytes, (size_t)snprintf(kbytes, sizeof kbytes, "%zu", m->key_len)};
    sw_pending *t = hold(p);
    if (!t) return;
    sw_producer_send(w->run->producer, t, dlq, m->key, key_len, m->payload ? rec : NULL, value_len, h, nh);
}

/* ---- partitions ---------------------------------------------------------- */

static part *find(const worker *w, int32_t id) {
    return id >= 0 && id < w->parts_cap ? w->parts[id] : NULL;
}

static int part_open(worker *w, int32_t id) {
    if (id < 0 || id >= MAX_PARTITION) return -1;
    if (find(w, id)) return 0;
    if (id >= w->parts_cap) {
        int32_t cap = w->parts_cap ? w->parts_cap : 16;
        while (cap <= id) cap *= 2;
        part **np = realloc(w->parts, (size_t)cap * sizeof *np);
        if (!np) return -1;
        memset(np + w->parts_cap, 0, (size_t)(cap - w->parts_cap) * sizeof *np);
        w->parts = np;
        w->parts_cap = cap;
    }
    part *p = calloc(1, sizeof *p);
    if (!p) return -1;
    p->w = w;
    p->id = id;
    p->next = p->committed = -1;
    p->acks = sw_acks_new();
    p->engine = p->acks ? sw_engine_new(w->run->o->cfg, on_alert, on_reject, p) : NULL;
    if (!p->engine) {
        sw_acks_release(p->acks);
        free(p);
        return -1;
    }
    w->parts[id] = p;
    w->assigned++;
    return 0;
}

/* A commit of l succeeded where it says so: remember what is committed. */
static void committed(worker *w, rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t *l) {
    for (int i = 0; !err && l && i < l->cnt; i++) {
        part *p = find(w, l->elems[i].partition);
        if (p && !l->elems[i].err && l->elems[i].offset > p->committed) p->committed = l->elems[i].offset;
    }
}

/* Commits the commit point of every partition (or of only) that moved
 * since its last known successful commit; an asynchronous commit counts
 * only once its result comes back (on_commit), so a failed one is sent
 * again.  0 when nothing was left to commit or the commit succeeded. */
static int commit(worker *w, bool sync, part *only) {
    if (!may_commit(w)) return -1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(only ? 1 : (int)w->assigned + 1);
    for (int32_t i = 0; i < w->parts_cap; i++) {
        part *p = w->parts[i];
        if (!p || (only && p != only) || p->next < 0) continue;
        int64_t at = sw_acks_commit_point(p->acks, p->next);
        if (at != p->committed) rd_kafka_topic_partition_list_add(l, w->run->o->topic, p->id)->offset = at;
    }
    int rc = 0;
    if (l->cnt > 0) {
        rd_kafka_resp_err_t err = rd_kafka_commit(w->rk, l, !sync);
        if (sync) committed(w, err, l);
        if (err) {
            log_limited(w, "commit failed: %s (will retry)", rd_kafka_err2str(err));
            rc = -1;
        }
        for (int i = 0; sync && i < l->cnt; i++) rc |= l->elems[i].err ? -1 : 0;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

static uint32_t waiting(worker *w, part *only) {
    uint32_t n = 0;
    for (int32_t i = 0; i < w->parts_cap; i++) {
        part *p = w->parts[i];
        if (!p || (only && p != only)) continue;
        sw_acks_commit_point(p->acks, p->next);
        n += sw_acks_waiting(p->acks);
    }
    return n;
}

/* Waits until the outputs of only (or of every partition) are acknowledged. */
static bool drain(worker *w, part *only) {
    int64_t deadline = mono_ms() + DRAIN_MS;
    while (waiting(w, only) > 0) {
        if (!may_commit(w) || mono_ms() > deadline) return false;
        sleep_ms(2);
    }
    return true;
}

/* Lets a partition go: flush, commit (unless the assignment was lost, when
 * a commit would be fenced anyway), then drop its engine and window state. */
static void part_close(worker *w, part *p, bool lost) {
    if (!lost) {
        if (!drain(w, p))
            fprintf(stderr, "sessionwatch run: worker %d: partition %" PRId32 " revoked with alerts not yet "
                            "acknowledged; its offsets stay before them\n", w->index, p->id);
        commit(w, true, p);
    }
    sw_counters_add(&w->retired, sw_engine_counters(p->engine));
    sw_store *st = sw_engine_store(p->engine);
    w->retired_users += sw_store_users(st);
    w->evicted += st->evicted;
    sw_engine_free(p->engine);
    sw_acks_release(p->acks);
    if (p->eof) w->at_eof--;
    w->assigned--;
    w->parts[p->id] = NULL;
    free(p);
}

static void log_partitions(worker *w, const char *what, const rd_kafka_topic_partition_list_t *l, const char *note) {
    fprintf(stderr, "sessionwatch run: worker %d %s %s [", w->index, what, w->run->o->topic);
    for (int i = 0; i < l->cnt; i++) fprintf(stderr, "%s%" PRId32, i ? "," : "", l->elems[i].partition);
    fprintf(stderr, "]%s\n", note);
}

/* ---- librdkafka callbacks (served on the worker's own thread) ------------ */

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *l, void *opaque) {
    worker *w = opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;
    atomic_fetch_add(&w->pub_activity, 1);
    atomic_store(&w->pub_settled, false);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (int i = 0; i < l->cnt; i++)
            if (part_open(w, l->elems[i].partition) != 0) fail(w, "out of memory for a partition's state");
        log_partitions(w, "assigned", l, "");
        if (coop) error = rd_kafka_incremental_assign(rk, l);
        else rd_kafka_assign(rk, l);
    } else {
        bool lost = err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(rk);
        for (int i = 0; i < l->cnt; i++) {
            part *p = find(w, l->elems[i].partition);
            if (p) part_close(w, p, lost);
        }
        log_partitions(w, lost ? "lost" : "revoked", l, "; their window state is dropped");
        if (coop) error = rd_kafka_incremental_unassign(rk, l);
        else rd_kafka_assign(rk, NULL);
    }
    if (error) {
        fprintf(stderr, "sessionwatch run: worker %d: rebalance: %s\n", w->index, rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
}

static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *l, void *opaque) {
    (void)rk;
    committed(opaque, err, l);
}

/* Sums consumer_lag over the partitions in a statistics JSON (-1 = unknown). */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
    (void)rk;
    worker *w = opaque;
    static const char needle[] = "\"consumer_lag\":";
    int64_t lag = 0;
    const char *end = json + len;
    for (const char *s = json; (s = memmem(s, (size_t)(end - s), needle, sizeof needle - 1)); ) {
        s += sizeof needle - 1;
        int64_t v = 0;
        bool digits = false;
        while (s < end && *s >= '0' && *s <= '9' && v < INT64_MAX / 10) v = v * 10 + (*s++ - '0'), digits = true;
        if (digits) lag += v;
    }
    atomic_store(&w->pub_lag, lag);
    return 0; /* librdkafka frees json */
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    worker *w = opaque;
    char why[512];
    if (err == RD_KAFKA_RESP_ERR__FATAL && rd_kafka_fatal_error(rk, why, sizeof why)) {
        fail(w, why);
        return;
    }
    log_limited(w, "%s: %s", rd_kafka_err2name(err), reason);
}

/* ---- the loop ------------------------------------------------------------ */

static void handle(worker *w, const rd_kafka_message_t *m) {
    if (m->err) {
        part *p = find(w, m->partition);
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (p && !p->eof) p->eof = true, w->at_eof++;
        } else {
            on_error(w->rk, m->err, rd_kafka_message_errstr(m), w);
        }
        return;
    }
    part *p = find(w, m->partition);
    if (!p) return; /* from a partition this worker no longer owns */
    if (p->eof) p->eof = false, w->at_eof--;
    int64_t ts = rd_kafka_message_timestamp(m, NULL);
    sw_source src = {
        .topic = w->run->o->topic, .partition = m->partition, .offset = m->offset,
        .kafka_time_ms = ts >= 0 ? ts : SW_TIME_NONE, .index = UINT32_MAX,
    };
    w->msg = m;
    w->bytes += m->len;
    /* librdkafka promises nothing after the payload, so cap = len: the
     * parser copies candidates into its own padded buffer (prefiltered
     * records are never copied). */
    sw_engine_feed(p->engine, w->parser, m->payload ? (const char *)m->payload : "", m->len, m->len, &src);
    w->msg = NULL;
    p->next = m->offset + 1;
}

static void totals(worker *w, sw_counters *c, uint64_t *users) {
    *c = w->retired;
    *users = 0;
    for (int32_t i = 0; i < w->parts_cap; i++) {
        part *p = w->parts[i];
        if (!p) continue;
        sw_counters_add(c, sw_engine_counters(p->engine));
        *users += sw_store_users(sw_engine_store(p->engine));
    }
}

static void publish(worker *w) {
    sw_counters c;
    uint64_t users;
    totals(w, &c, &users);
    atomic_store(&w->pub_records, c.records);
    atomic_store(&w->pub_eligible, c.eligible);
    atomic_store(&w->pub_alerts, c.alerts);
    atomic_store(&w->pub_users, users);
    atomic_store(&w->pub_waiting, waiting(w, NULL));
    atomic_store(&w->pub_assigned, w->assigned);
    atomic_store(&w->pub_eof, w->at_eof);
}

/* Periodic work between records: commits, the published numbers, and for
 * --exit-at-end whether this worker is at the end with nothing pending. */
static void housekeeping(worker *w, bool idle) {
    int64_t now = mono_ms();
    if (now - w->last_commit_ms >= COMMIT_EVERY_MS) {
        w->last_commit_ms = now;
        commit(w, false, NULL);
    }
    if (now - w->last_publish_ms >= PUBLISH_EVERY_MS || idle) {
        w->last_publish_ms = now;
        publish(w);
    }
    if (idle && w->run->o->exit_at_end && w->at_eof == w->assigned && !atomic_load(&w->pub_settled)) {
        /* At the end: settled once everything is acknowledged and committed. */
        if (waiting(w, NULL) == 0 && commit(w, true, NULL) == 0) atomic_store(&w->pub_settled, true);
    }
}

static void *worker_main(void *arg) {
    worker *w = arg;
    uint32_t burst = 0;
    while (!stopping(w)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(w->rk, POLL_MS);
        if (m) {
            atomic_fetch_add_explicit(&w->pub_activity, 1, memory_order_relaxed);
            if (!m->err) atomic_store_explicit(&w->pub_settled, false, memory_order_relaxed);
            handle(w, m);
            rd_kafka_message_destroy(m);
        }
        if (!m || ++burst == 256) {
            burst = 0;
            housekeeping(w, !m);
        }
    }
    /* Shutdown: no more fetching; flush alerts, commit, leave the group. */
    if (!drain(w, NULL) && may_commit(w))
        fprintf(stderr, "sessionwatch run: worker %d: alerts still unacknowledged after %d s; their records "
                        "are not committed and will be read again\n", w->index, DRAIN_MS / 1000);
    commit(w, true, NULL);
    rd_kafka_consumer_close(w->rk); /* revokes (and so drops) every partition */
    for (int32_t i = 0; i < w->parts_cap; i++)
        if (w->parts[i]) part_close(w, w->parts[i], true);
    publish(w);
    atomic_store(&w->pub_done, true);
    return NULL;
}

/* ---- setup --------------------------------------------------------------- */

static int set(rd_kafka_conf_t *c, const char *name, const char *value, char *err, size_t errlen) {
    return rd_kafka_conf_set(c, name, value, err, errlen) == RD_KAFKA_CONF_OK ? 0 : -1;
}

static rd_kafka_t *consumer_new(worker *w, char *err, size_t errlen) {
    const sw_run_opts *o = w->run->o;
    rd_kafka_conf_t *c = sw_kafka_conf(o->kafka, err, errlen);
    if (!c) return NULL;
    char client_id[64], stats_ms[32];
    snprintf(client_id, sizeof client_id, "sessionwatch-run-%d", w->index);
    snprintf(stats_ms, sizeof stats_ms, "%" PRId64, o->status_interval_ms);
    /* What correctness rests on is not left to -X. */
    int rc = set(c, "group.id", o->group, err, errlen) |
             set(c, "enable.auto.commit", "false", err, errlen) |
             set(c, "enable.auto.offset.store", "false", err, errlen) |
             set(c, "enable.partition.eof", "true", err, errlen);
    rc |= sw_kafka_conf_default(c, o->kafka, "client.id", client_id, err, errlen) |
          sw_kafka_conf_default(c, o->kafka, "partition.assignment.strategy", "cooperative-sticky", err, errlen) |
          sw_kafka_conf_default(c, o->kafka, "auto.offset.reset", "earliest", err, errlen);
    if (o->status_interval_ms > 0)
        rc |= sw_kafka_conf_default(c, o->kafka, "statistics.interval.ms", stats_ms, err, errlen);
    if (rc) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_conf_set_opaque(c, w);
    rd_kafka_conf_set_rebalance_cb(c, on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(c, on_commit);
    rd_kafka_conf_set_stats_cb(c, on_stats);
    rd_kafka_conf_set_error_cb(c, on_error);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, errlen);
    if (!rk) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, o->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e) {
        snprintf(err, errlen, "cannot subscribe to %s: %s", o->topic, rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

static void worker_free(worker *w) {
    if (w->rk) rd_kafka_destroy(w->rk);
    sw_parser_free(w->parser);
    free(w->parts);
    sw_buf_free(&w->key);
}

/* ---- watching ------------------------------------------------------------ */

typedef struct {
    uint64_t records, eligible, alerts, users, waiting, activity;
    int64_t lag;
    uint32_t assigned, eof;
    bool settled, done;
} view;

static view look(worker *ws, int n) {
    view v = {.settled = true, .done = true};
    for (int i = 0; i < n; i++) {
        worker *w = &ws[i];
        v.records += atomic_load(&w->pub_records);
        v.eligible += atomic_load(&w->pub_eligible);
        v.alerts += atomic_load(&w->pub_alerts);
        v.users += atomic_load(&w->pub_users);
        v.waiting += atomic_load(&w->pub_waiting);
        v.activity += atomic_load(&w->pub_activity);
        v.lag += atomic_load(&w->pub_lag);
        v.assigned += atomic_load(&w->pub_assigned);
        v.eof += atomic_load(&w->pub_eof);
        v.settled = v.settled && atomic_load(&w->pub_settled);
        v.done = v.done && atomic_load(&w->pub_done);
    }
    return v;
}

static void status_line(const view *v, const view *prev, double dt_s, const sw_producer *pr) {
    fprintf(stderr,
            "sessionwatch run: status records=%" PRIu64 " (%.0f/s) eligible=%" PRIu64 " (%.0f/s) alerts=%" PRIu64
            " unacked=%" PRIu64 " lag=%" PRId64 " users=%" PRIu64 " partitions=%u failures=%" PRIu64 "\n",
            v->records, (double)(v->records - prev->records) / dt_s, v->eligible,
            (double)(v->eligible - prev->eligible) / dt_s, v->alerts, sw_producer_inflight(pr), v->lag, v->users,
            v->assigned, sw_producer_failures(pr));
}

int sw_run(const sw_run_opts *o) {
    char err[512];
    int64_t t0 = mono_ms();
    run_ctx run = {.o = o};
    rd_kafka_conf_t *pc = sw_kafka_conf(o->kafka, err, sizeof err);
    if (pc && sw_kafka_conf_default(pc, o->kafka, "client.id", "sessionwatch-run-alerts", err, sizeof err)) {
        rd_kafka_conf_destroy(pc);
        pc = NULL;
    }
    run.producer = pc ? sw_producer_start(pc, err, sizeof err) : NULL;
    if (!run.producer) {
        fprintf(stderr, "sessionwatch run: cannot create the alert producer: %s\n", err);
        return 1;
    }
    worker *ws = calloc((size_t)o->threads, sizeof *ws);
    int started = 0, status = 0;
    for (int i = 0; ws && i < o->threads; i++) {
        worker *w = &ws[i];
        w->run = &run;
        w->index = i;
        w->parser = sw_parser_new(o->cfg->max_record_bytes);
        if (!w->parser) snprintf(err, sizeof err, "out of memory for a %zu-byte parser", o->cfg->max_record_bytes);
        else w->rk = consumer_new(w, err, sizeof err);
        if (!w->rk || pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            fprintf(stderr, "sessionwatch run: cannot start worker %d: %s\n", i, w->rk ? "no thread" : err);
            atomic_store(&run.failed, true);
            break;
        }
        started++;
    }
    if (!ws) {
        fprintf(stderr, "sessionwatch run: out of memory\n");
        atomic_store(&run.failed, true);
    }

    /* Watch: status lines, --exit-at-end, failures.  Workers stop on their
     * own when *o->stop or run.failed is set. */
    view prev = {0}, quiet = {0};
    int64_t last_status = t0, quiet_since = -1;
    while (started > 0) {
        sleep_ms(50);
        view v = look(ws, started);
        int64_t now = mono_ms();
        if (o->assigned) atomic_store(o->assigned, v.assigned);
        if (v.done) break;
        if (o->status_interval_ms > 0 && now - last_status >= o->status_interval_ms) {
            status_line(&v, &prev, (double)(now - last_status) / 1000.0, run.producer);
            prev = v;
            last_status = now;
        }
        if (sw_producer_fatal(run.producer) && !atomic_load(&run.failed)) {
            fprintf(stderr, "sessionwatch run: the alert producer failed; stopping\n");
            atomic_store(&run.failed, true);
        }
        if (o->exit_at_end && !atomic_load(o->stop)) {
            /* The end: something assigned, all of it at EOF, acknowledged
             * and committed, and nothing new for SETTLE_MS. */
            bool end = v.assigned > 0 && v.eof == v.assigned && v.settled && v.waiting == 0;
            if (!end || quiet_since < 0 || v.activity != quiet.activity) {
                quiet_since = end ? now : -1;
                quiet = v;
            } else if (now - quiet_since >= SETTLE_MS) {
                atomic_store(o->stop, 1);
            }
        }
    }
    for (int i = 0; i < started; i++) pthread_join(ws[i].thread, NULL);
    uint64_t unacked = sw_producer_stop(run.producer, DRAIN_MS);
    if (unacked) fprintf(stderr, "sessionwatch run: %" PRIu64 " alerts were never acknowledged; their records "
                                 "were not committed\n", unacked);

    sw_counters c = {0};
    uint64_t users = 0, evicted = 0, bytes = 0;
    for (int i = 0; ws && i < o->threads; i++) {
        sw_counters_add(&c, &ws[i].retired);
        users += ws[i].retired_users;
        evicted += ws[i].evicted;
        bytes += ws[i].bytes;
        worker_free(&ws[i]);
    }
    free(ws);
    sw_summary s = {
        .c = &c, .bytes = bytes, .elapsed_s = (double)(mono_ms() - t0) / 1000.0,
        .tracked_users = users, .evicted = evicted,
    };
    sw_summary_print(stderr, "run", o->summary_json, &s);
    if (atomic_load(&run.failed) || unacked) status = 1;
    return status;
}

void *sw_run_thread_main(void *arg) {
    sw_run_thread *t = arg;
    t->status = sw_run(&t->opts);
    return NULL;
}

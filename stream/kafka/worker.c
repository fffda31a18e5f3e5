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
#include <unistd.h>

#include "alert.h"
#include "alert_producer.h"
#include "checkpoint.h"
#include "clock.h"
#include "engine.h"
#include "extract.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "hash.h"
#include "summary.h"

#define POLL_MS 100
#define COMMIT_EVERY_MS 1000
#define PUBLISH_EVERY_MS 100
#define DRAIN_MS 30000       /* longest wait for acknowledgements on revoke / shutdown */
/* SW_STOP_MS (worker.h) caps every wait of a stop; STOP_WATCHDOG_MS after
 * it the process exits whatever still hangs (librdkafka's close). */
#define STOP_WATCHDOG_MS 15000
#define FIRST_ASSIGN_MS 10000 /* a stop's longest wait for a member's first assignment */
#define DELIVERY_STALL_MS 60000 /* /readyz: in flight with nothing acknowledged this long */
#define SETTLE_MS 1000       /* --exit-at-end: quiet time after everything is at its end */
#define MAX_PARTITION (1 << 20)
#define REDIS_TIMEOUT_MS 5000  /* a Redis command slower than this counts as Redis failing */
#define BACKOFF_MIN_MS 100     /* Redis retries: doubling up to BACKOFF_MAX_MS */
#define BACKOFF_MAX_MS 5000
#define TOPIC_CHECK_MS 5000    /* start-up check that the output topics exist; undecided after this */
#define CKPT_DRAIN_MS 500      /* longest wait for acknowledgements before an overdue checkpoint */
#define OVERDUE_MS 2000        /* a checkpoint this much past 3 intervals waits for acknowledgements */
#define SEEK_TIMEOUT_MS 5000
#define KAFKA_QUERY_MS 5000    /* watermarks and committed offset, checking a restored checkpoint */
#define REFUSED_RETRY_MS 1000  /* a refused partition's load: retried after this, doubling to BACKOFF_MAX_MS */
#define REPLICA_WAIT_MAX_MS 1000 /* --state-replicas: longest WAIT for the replicas (half an interval below 2 s) */

typedef struct worker worker;

typedef struct {
    worker *w;
    sw_engine *engine;
    sw_acks *acks;
    int32_t id;
    int64_t next;      /* offset after the last record fed; -1 before the first */
    int64_t committed; /* last commit point known committed; -1 none */
    bool eof;
    /* Redis state (all unused with --state memory, where loaded is set at once). */
    sw_ckpt *ckpt;
    bool loaded;          /* state loaded and the partition assigned in librdkafka */
    bool paused;          /* Redis failing: records are skipped now and read again on resume */
    bool fenced;          /* another worker claimed its state: ignored until revoked */
    bool refused;         /* its keys in Redis hold something else: not consumed, load retried */
    int64_t refused_backoff_ms;
    char why[SW_METRICS_PROBLEM_LEN - 64]; /* why it is refused (the status line and /readyz say it) */
    bool unsent;          /* stopping: an output could not be sent; nothing more is
                             committed or checkpointed for it */
    int64_t start;        /* offset consumption started at (the checkpoint's), -1: Kafka's committed */
    int64_t skipped_from; /* first record skipped while paused, -1 none */
    int64_t ckpt_offset;  /* next offset stored by the last checkpoint, -1 none */
    int64_t durable;      /* the last checkpoint's offset once --state-replicas confirmed it (Kafka commits
                             never pass it); = ckpt_offset without replicas */
    uint64_t ckpt_conn;   /* the Redis connection (sw_redis.connects) the last checkpoint went over */
    int64_t ckpt_ms;      /* monotonic time of the last checkpoint or load */
    int64_t retry_ms;     /* not loaded: when to try again */
    int64_t ckpt_pending; /* offset of the checkpoint sent, awaiting its reply */
    uint8_t ckpt_sent;    /* queued on the connection: 0 nothing, CK_SENT a checkpoint, CK_PROBED a probe */
    int64_t probe_ms;     /* monotonic time of the last probe of an idle partition's state */
    int64_t lag;          /* consumer lag from librdkafka's statistics, -1 unknown */
} part;

typedef struct {
    const sw_run_opts *o;
    sw_user_budget budget; /* --max-tracked-users, across every partition's engine */
    sw_user_budget tenant_budget; /* --max-tenants, the same way */
    sw_producer *producer;
    atomic_bool failed; /* stop, do not commit any more, exit 1 */
    atomic_int_fast64_t stop_deadline; /* monotonic ms a stop must be done by; 0 before one */
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
    int64_t last_commit_ms, last_publish_ms;
    sw_log_limit log_limit; /* log_limited: one line a second */
    sw_redis redis;       /* this thread's connection (Redis state only) */
    bool redis_down;      /* the last checkpoint failed: partitions paused */
    int64_t redis_retry_ms, redis_backoff_ms;
    uint64_t checkpoints, ckpt_failures, ckpt_users, ckpt_bytes, restored_users, restored_corrupt, redis_pauses;
    uint64_t stale_refused; /* restored checkpoints refused because they disagree with Kafka */
    sw_ckpt_status redis_health; /* of the last Redis call: OK, UNAVAILABLE or DENIED */
    char redis_why[400];         /* its error when not OK */
    uint64_t state_lost, replica_waits_short;
    sw_hist latency, ckpt_seconds; /* metrics.h */
    bool joined;                   /* had its first assignment */
    bool keep_handle;              /* stopped before it: see await_first_assignment */
    /* The metrics snapshot and what is wrong with Redis (for the status
     * line), copied under pub_lock by publish(). */
    pthread_mutex_t pub_lock;
    bool pub_lock_ready;
    sw_worker_metrics *pub_m;
    char pub_problem[SW_METRICS_PROBLEM_LEN];
    /* Published for the watching thread (relaxed atomics, read-only there). */
    atomic_uint_fast64_t pub_records, pub_eligible, pub_alerts, pub_users, pub_waiting, pub_activity;
    atomic_uint_fast64_t pub_checkpoints;
    atomic_bool pub_redis_down;
    atomic_int pub_redis_health; /* sw_ckpt_status */
    atomic_uint pub_refused;
    atomic_int_fast64_t pub_lag;
    atomic_uint pub_assigned, pub_eof;
    atomic_bool pub_settled, pub_done;
};

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static bool stopping(const worker *w) {
    return atomic_load(w->run->o->stop) || atomic_load(&w->run->failed);
}

/* When the stop under way must be done (set by whoever sees it first). */
static int64_t stop_deadline(run_ctx *r) {
    int_fast64_t d = atomic_load(&r->stop_deadline);
    if (d == 0) {
        int_fast64_t want = sw_mono_coarse_ms() + SW_STOP_MS;
        if (atomic_compare_exchange_strong(&r->stop_deadline, &d, want)) d = want;
    }
    return d;
}

/* The deadline of a wait of ms from now, never past the stop's. */
static int64_t wait_deadline(worker *w, int64_t ms) {
    int64_t d = sw_mono_coarse_ms() + ms;
    if (stopping(w)) {
        int64_t s = stop_deadline(w->run);
        if (s < d) d = s;
    }
    return d;
}

static bool may_commit(const worker *w) {
    return !atomic_load(&w->run->failed) && !sw_producer_fatal(w->run->producer);
}

static void fail(worker *w, const char *what) {
    sw_log(SW_LOG_ERROR, "worker %d: %s; stopping without committing further", w->index, what);
    atomic_store(&w->run->failed, true);
}

/* Logs at most one line a second per worker: transient Kafka trouble
 * (a broker down, a rebalance) must not flood stderr. */
__attribute__((format(printf, 2, 3))) static void log_limited(worker *w, const char *fmt, ...) {
    if (!sw_log_due(&w->log_limit)) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sw_log(SW_LOG_WARN, "worker %d: %s", w->index, msg);
}

/* ---- outputs: alerts and dead letters ------------------------------------ */

/* The ack slot for one more output of the current record.  When the
 * partition's ring is full this waits for acknowledgements (backpressure);
 * NULL once the run has failed, or on a stop: the output is then not sent
 * and the partition is not committed further (the next owner reads the
 * record again). */
static sw_pending *hold(part *p) {
    worker *w = p->w;
    sw_pending *t;
    while (!(t = sw_acks_hold(p->acks, w->msg->offset))) {
        if (!may_commit(w) || stopping(w)) {
            p->unsent = true;
            return NULL;
        }
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
    /* Bounded like the alert's own fields (alert.h): a huge tenant or
     * actor id cannot make the message undeliverable. */
    size_t tenant_len = a->tenant_len > SW_ALERT_MAX_ID ? sw_utf8_cut(a->tenant, a->tenant_len, SW_ALERT_MAX_ID)
                                                        : a->tenant_len;
    size_t key_len = w->key.len < SW_MAX_KEY_BYTES ? w->key.len : SW_MAX_KEY_BYTES;
    const sw_header h[] = {
        {"rule_id", SW_RULE_ID, sizeof SW_RULE_ID - 1},
        {"tenant", a->tenant, tenant_len},
        {"alert_id", a->alert_id, SW_ALERT_ID_LEN},
    };
    sw_producer_send(w->run->producer, t, w->run->o->alerts_topic, w->key.p, key_len, a->json, a->json_len,
                     h, sizeof h / sizeof h[0]);
    if (w->run->o->on_alert) w->run->o->on_alert(w->run->o->on_alert_ud, a);
}

/* A rejected record goes to --dlq-topic as it came (key and value), with
 * its reason; what does not fit in a message is cut and says so. */
/* Rare rejections that need the operator: said once per process. */
static void warn_once(const worker *w, sw_verdict why) {
    static sw_log_limit tenants_warned = SW_LOG_LIMIT(SW_LOG_ONCE);
    if (why == SW_R_TOO_MANY_TENANTS)
        sw_log_limited(&tenants_warned, SW_LOG_WARN,
                       "worker %d: more tenants than --max-tenants %" PRIu64 ": events of further tenants are "
                       "rejected as too_many_tenants (raise --max-tenants; 0 = no limit)",
                       w->index, w->run->o->cfg->max_tenants);
}

static void on_reject(void *ud, sw_verdict why, const char *rec, size_t len, const sw_source *src) {
    part *p = ud;
    worker *w = p->w;
    if (why == SW_R_TOO_MANY_TENANTS) warn_once(w, why);
    const char *dlq = w->run->o->dlq_topic;
    if (!dlq) return;
    const rd_kafka_message_t *m = w->msg;
    size_t max_value = sw_producer_max_value(w->run->producer);
    size_t key_len = m->key_len < SW_MAX_KEY_BYTES ? m->key_len : SW_MAX_KEY_BYTES;
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

static bool redis_mode(const worker *w) { return w->run->o->state != NULL; }

static sw_engine *engine_new(worker *w, part *p) {
    run_ctx *r = w->run;
    return sw_engine_new_budgets(r->o->cfg, r->o->cfg->max_tracked_users ? &r->budget : NULL,
                                 r->o->cfg->max_tenants ? &r->tenant_budget : NULL, on_alert, on_reject, p);
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
    p->next = p->committed = p->start = p->skipped_from = p->ckpt_offset = p->durable = p->lag = -1;
    p->loaded = !redis_mode(w);
    if (redis_mode(w)) {
        /* The fencing token: unique to this assignment of this partition. */
        char owner[320], host[256] = "?";
        gethostname(host, sizeof host - 1);
        snprintf(owner, sizeof owner, "%s/%ld/%d/%016" PRIx64, host, (long)getpid(), w->index, sw_random_seed());
        p->ckpt = sw_ckpt_new(w->run->o->group, w->run->o->topic, id, owner);
    }
    p->acks = sw_acks_new();
    p->engine = p->acks && (p->ckpt || !redis_mode(w)) ? engine_new(w, p) : NULL;
    if (!p->engine) {
        sw_acks_release(p->acks);
        sw_ckpt_free(p->ckpt);
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
        if (!p || (only && p != only) || p->fenced || p->unsent || (!redis_mode(w) && p->next < 0)) continue;
        /* With Redis state, Kafka never gets ahead of the checkpoint. */
        int64_t at = redis_mode(w) ? p->durable : sw_acks_commit_point(p->acks, p->next);
        if (at >= 0 && at != p->committed) rd_kafka_topic_partition_list_add(l, w->run->o->topic, p->id)->offset = at;
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

/* Waits up to ms (never past a stop's deadline) until the outputs of only
 * (or of every partition) are acknowledged. */
static bool drain(worker *w, part *only, int64_t ms) {
    int64_t deadline = wait_deadline(w, ms);
    while (waiting(w, only) > 0) {
        if (!may_commit(w) || sw_mono_coarse_ms() > deadline) return false;
        sleep_ms(2);
    }
    return true;
}

/* ---- Redis state: load, checkpoint, pause ------------------------------ */

static const char *ckpt_status_name(sw_ckpt_status st) {
    switch (st) {
    case SW_CKPT_OK: return "ok";
    case SW_CKPT_UNAVAILABLE: return "Redis unavailable";
    case SW_CKPT_FENCED: return "fenced";
    case SW_CKPT_REFUSED: return "refused";
    case SW_CKPT_NOMEM: return "out of memory";
    case SW_CKPT_DENIED: return "Redis refuses our credentials";
    case SW_CKPT_LOST: return "state lost";
    }
    return "?";
}

/* Remembers how the last Redis call went, for the status line and /readyz:
 * OK, UNAVAILABLE (down, slow) or DENIED (credentials).  A refused or
 * fenced partition says nothing about Redis itself. */
static void note_redis(worker *w, sw_ckpt_status st, const char *err) {
    if (st != SW_CKPT_OK && st != SW_CKPT_UNAVAILABLE && st != SW_CKPT_DENIED) return;
    if (st != SW_CKPT_OK && st != w->redis_health) {
        if (st == SW_CKPT_DENIED)
            sw_log(SW_LOG_ERROR, "worker %d: Redis refuses our credentials: %s; check the password (in --state "
                            "or %s), the ACL user and the database number; retrying with backoff",
                    w->index, err, SW_REDIS_PASSWORD_ENV);
    }
    w->redis_health = st;
    /* Cut to fit (not snprintf: a longer error is expected and fine). */
    const char *why = st == SW_CKPT_OK ? "" : err;
    size_t n = strnlen(why, sizeof w->redis_why - 1);
    memcpy(w->redis_why, why, n);
    w->redis_why[n] = '\0';
}

/* p->why = a, or "a; b", cut to fit. */
static void set_why(part *p, const char *a, const char *b) {
    size_t n = sizeof p->why - 1, k = strlen(a) < n ? strlen(a) : n;
    memcpy(p->why, a, k);
    for (const char *s = b ? "; " : ""; *s && k < n; s++) p->why[k++] = *s;
    for (const char *s = b ? b : ""; *s && k < n; s++) p->why[k++] = *s;
    p->why[k] = '\0';
}

/* A fresh engine for p (its state dropped); -1 and the run failed when out of memory. */
static int engine_reset(worker *w, part *p) {
    sw_engine *fresh = engine_new(w, p);
    if (!fresh) {
        fail(w, "out of memory for a partition's state");
        return -1;
    }
    sw_engine_free(p->engine);
    p->engine = fresh;
    return 0;
}

typedef enum { VERIFY_KEEP, VERIFY_REFUSE, VERIFY_UNKNOWN } verify_result;

/* Checks a restored checkpoint offset against Kafka (sw_ckpt_check_offset):
 * the partition's watermarks and the group's committed offset.  KEEP
 * (*offset moved to the low watermark for a retention gap), REFUSE, or
 * UNKNOWN when Kafka did not answer in time (the load is retried). */
static verify_result verify_offset(worker *w, part *p, int64_t *offset, char *err, size_t errlen) {
    const sw_run_opts *o = w->run->o;
    int64_t lo = -1, hi = -1, k = -1;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(w->rk, o->topic, p->id, &lo, &hi, KAFKA_QUERY_MS);
    if (!e) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, o->topic, p->id);
        e = rd_kafka_committed(w->rk, l, KAFKA_QUERY_MS);
        if (!e) e = l->elems[0].err;
        k = l->elems[0].offset; /* RD_KAFKA_OFFSET_INVALID (< 0): no commit */
        rd_kafka_topic_partition_list_destroy(l);
    }
    if (e) {
        snprintf(err, errlen, "cannot check the checkpoint (offset %" PRId64 ") against Kafka: %s", *offset,
                 rd_kafka_err2str(e));
        return VERIFY_UNKNOWN;
    }
    sw_offset_verdict v = sw_ckpt_check_offset(*offset, k, lo, hi);
    char kafka[48] = "none";
    if (k >= 0) snprintf(kafka, sizeof kafka, "%" PRId64, k);
    if (v == SW_OFFSET_GAP) {
        sw_log(SW_LOG_WARN, "worker %d: group %s topic %s partition %" PRId32 ": the checkpoint resumes at offset "
                        "%" PRId64 " but the partition starts at %" PRId64 ": %s; %" PRId64 " records were never "
                        "read; resuming at %" PRId64 " with the checkpoint's state", w->index, o->group, o->topic,
                p->id, *offset, lo, sw_offset_verdict_reason(v), lo - *offset, lo);
        *offset = lo;
        return VERIFY_KEEP;
    }
    if (v == SW_OFFSET_OK) return VERIFY_KEEP;
    snprintf(err, errlen, "group %s topic %s partition %" PRId32 ": checkpoint refused: Redis says resume at "
             "offset %" PRId64 ", Kafka's committed offset is %s and the partition holds offsets %" PRId64
             "..%" PRId64 ": %s", o->group, o->topic, p->id, *offset, kafka, lo, hi, sw_offset_verdict_reason(v));
    return VERIFY_REFUSE;
}

/* A restored checkpoint Kafka contradicts: its keys are deleted (never
 * merged into what comes next) and p starts with empty windows at the
 * group's committed offset, or auto.offset.reset without one. */
static sw_ckpt_status refuse_stale(worker *w, part *p, const char *why, char *err, size_t errlen) {
    sw_ckpt_status st = sw_ckpt_discard(p->ckpt, &w->redis, w->run->o->state_ttl_ms, err, errlen);
    if (st != SW_CKPT_OK) return st;
    if (engine_reset(w, p) != 0) return SW_CKPT_NOMEM;
    w->stale_refused++;
    sw_log(SW_LOG_ERROR, "worker %d: %s; its state in Redis (%s and the tenants and users hashes) is deleted and "
                    "the partition starts with empty windows at the group's committed offset (or "
                    "auto.offset.reset without one)", w->index, why, sw_ckpt_key(p->ckpt, 0));
    return SW_CKPT_OK;
}

/* Claims and loads a partition's state and checks its offset against
 * Kafka; SW_CKPT_OK when it may be consumed (from p->start), else why not
 * (retried after a backoff). */
static sw_ckpt_status part_load(worker *w, part *p) {
    const sw_run_opts *o = w->run->o;
    char err[1400], why[1000];
    int64_t offset = -1, stored = -1; /* where to resume; the checkpoint's offset */
    sw_ckpt_stats ls = {0};
    sw_ckpt_status st = sw_ckpt_claim(p->ckpt, &w->redis, o->state_ttl_ms, &offset, err, sizeof err);
    if (st == SW_CKPT_OK)
        st = sw_ckpt_load(p->ckpt, &w->redis, sw_engine_store(p->engine), sw_engine_id_seed(p->engine), &ls, err,
                          sizeof err);
    note_redis(w, st, err);
    bool kafka_unknown = false;
    stored = offset;
    if (st == SW_CKPT_OK && offset >= 0) {
        verify_result v = verify_offset(w, p, &offset, why, sizeof why);
        if (v == VERIFY_REFUSE) {
            st = refuse_stale(w, p, why, err, sizeof err);
            if (st == SW_CKPT_OK) offset = stored = -1, ls = (sw_ckpt_stats){0};
            else note_redis(w, st, err);
        } else if (v == VERIFY_UNKNOWN) {
            snprintf(err, sizeof err, "%s", why);
            st = SW_CKPT_UNAVAILABLE;
            kafka_unknown = true;
        }
    }
    int64_t now = sw_mono_coarse_ms();
    if (st != SW_CKPT_OK) {
        /* A half-loaded state must not be used: start from an empty engine. */
        if (st == SW_CKPT_NOMEM || engine_reset(w, p) != 0) {
            fail(w, "out of memory loading a partition's state");
            return SW_CKPT_NOMEM;
        }
        if (st == SW_CKPT_REFUSED) {
            /* Only this partition waits; the log says it once per reason. */
            bool again = p->refused && strncmp(p->why, err, sizeof p->why - 1) == 0;
            p->refused_backoff_ms = !p->refused ? REFUSED_RETRY_MS
                                    : p->refused_backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                                                 : p->refused_backoff_ms * 2;
            p->refused = true;
            set_why(p, err, NULL);
            p->retry_ms = now + p->refused_backoff_ms;
            if (!again)
                sw_log(SW_LOG_ERROR, "worker %d: group %s topic %s partition %" PRId32 ": its state in Redis is "
                                "refused: %s; only this partition waits (its load is retried with backoff)",
                        w->index, o->group, o->topic, p->id, err);
            return st;
        }
        p->retry_ms = now + BACKOFF_MIN_MS * 10;
        if (st != SW_CKPT_DENIED) /* note_redis said that one */
            log_limited(w, "partition %" PRId32 ": cannot load its state (%s): %s; not consuming it until it "
                           "loads (retrying)", p->id, kafka_unknown ? "Kafka did not answer" : ckpt_status_name(st),
                        err);
        return st;
    }
    if (p->refused)
        sw_log(SW_LOG_INFO, "worker %d: partition %" PRId32 ": its state is no longer refused", w->index, p->id);
    p->refused = false;
    p->why[0] = '\0';
    sw_store_track(sw_engine_store(p->engine));
    /* Nothing restored may lie beyond the clock + --max-clock-skew (a
     * poisoned watermark written by an older build, or a skewed clock):
     * such keys, watermark entries and cap buckets are dropped. */
    uint64_t future = sw_store_restored(sw_engine_store(p->engine), sw_engine_future_limit(p->engine));
    if (future)
        sw_log(SW_LOG_WARN, "worker %d: partition %" PRId32 ": %" PRIu64 " restored keys, watermark entries or "
                        "cap buckets were dated after the clock + --max-clock-skew and were dropped",
                w->index, p->id, future);
    /* After a retention gap Kafka is committed only up to the stored offset
     * until the next checkpoint: commits never get ahead of Redis. */
    p->start = offset;
    p->ckpt_offset = p->durable = stored;
    p->ckpt_ms = now;
    w->restored_users += ls.users;
    w->restored_corrupt += ls.corrupt;
    char corrupt[64] = "";
    if (ls.corrupt) snprintf(corrupt, sizeof corrupt, ", %" PRIu64 " corrupt values skipped", ls.corrupt);
    if (offset >= 0)
        sw_log(SW_LOG_INFO, "worker %d: partition %" PRId32 ": state restored from Redis (%" PRIu64
                        " users, %" PRIu64 " tenants, %" PRIu64 " bytes%s); resuming at offset %" PRId64 "",
                w->index, p->id, ls.users, ls.tenants, ls.bytes, corrupt, offset);
    else
        sw_log(SW_LOG_INFO, "worker %d: partition %" PRId32 ": no checkpoint in Redis; starting with "
                        "empty state at the group's committed offset", w->index, p->id);
    return SW_CKPT_OK;
}

/* The offset to start reading p at again: the next record to feed. */
static int64_t resume_offset(const part *p) {
    return p->next >= 0 ? p->next : p->skipped_from >= 0 ? p->skipped_from : p->start;
}

/* Starts consuming the partitions in l (just loaded).  Cooperative: adds
 * them; called even with an empty l from the rebalance callback, because
 * librdkafka holds the rebalance open until the application answers every
 * assign event, and a joiner's first assignment is usually empty.  Eager:
 * the whole assignment is given again, at each partition's own position. */
static void assign_loaded(worker *w, rd_kafka_topic_partition_list_t *l) {
    rd_kafka_error_t *error = NULL;
    if (strcmp(rd_kafka_rebalance_protocol(w->rk), "COOPERATIVE") == 0) {
        for (int i = 0; i < l->cnt; i++) {
            part *p = find(w, l->elems[i].partition);
            l->elems[i].offset = p && resume_offset(p) >= 0 ? resume_offset(p) : RD_KAFKA_OFFSET_INVALID;
        }
        error = rd_kafka_incremental_assign(w->rk, l);
    } else {
        rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new((int)w->assigned + 1);
        for (int32_t i = 0; i < w->parts_cap; i++) {
            part *p = w->parts[i];
            if (p && p->loaded)
                rd_kafka_topic_partition_list_add(all, w->run->o->topic, p->id)->offset =
                    resume_offset(p) >= 0 ? resume_offset(p) : RD_KAFKA_OFFSET_INVALID;
        }
        rd_kafka_assign(w->rk, all);
        rd_kafka_topic_partition_list_destroy(all);
    }
    if (error) {
        sw_log(SW_LOG_ERROR, "worker %d: assign: %s", w->index, rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
}

/* Loads every assigned partition whose state is not loaded yet and whose
 * retry time has come, and starts consuming those that loaded. */
static void load_pending(worker *w, int64_t now) {
    rd_kafka_topic_partition_list_t *l = NULL;
    for (int32_t i = 0; i < w->parts_cap; i++) {
        part *p = w->parts[i];
        if (!p || p->loaded || now < p->retry_ms || part_load(w, p) != SW_CKPT_OK) continue;
        p->loaded = true;
        if (!l) l = rd_kafka_topic_partition_list_new(4);
        rd_kafka_topic_partition_list_add(l, w->run->o->topic, p->id);
    }
    if (l) {
        assign_loaded(w, l);
        rd_kafka_topic_partition_list_destroy(l);
    }
}

/* Pauses (or resumes) every consumed partition.  Resuming seeks each one
 * back to its next record first: what was skipped while paused is read
 * again. */
static void set_paused(worker *w, bool pause) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)w->assigned + 1);
    for (int32_t i = 0; i < w->parts_cap; i++) {
        part *p = w->parts[i];
        if (!p || !p->loaded || p->fenced || p->paused == pause) continue;
        rd_kafka_topic_partition_list_add(l, w->run->o->topic, p->id)->offset = resume_offset(p);
        p->paused = pause;
    }
    if (pause) {
        rd_kafka_pause_partitions(w->rk, l);
    } else {
        rd_kafka_topic_partition_list_t *seek = rd_kafka_topic_partition_list_new(l->cnt + 1);
        for (int i = 0; i < l->cnt; i++)
            if (l->elems[i].offset >= 0) rd_kafka_topic_partition_list_add(seek, l->elems[i].topic, l->elems[i].partition)->offset = l->elems[i].offset;
        rd_kafka_error_t *error = seek->cnt ? rd_kafka_seek_partitions(w->rk, seek, SEEK_TIMEOUT_MS) : NULL;
        if (error) {
            /* Resuming without the seek could skip what was dropped while
             * paused: stop instead; a restart resumes from the checkpoint. */
            char why[400];
            snprintf(why, sizeof why, "cannot seek back after a pause: %s", rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
            fail(w, why);
        }
        rd_kafka_topic_partition_list_destroy(seek);
        rd_kafka_resume_partitions(w->rk, l);
        for (int32_t i = 0; i < w->parts_cap; i++)
            if (w->parts[i]) w->parts[i]->skipped_from = -1;
    }
    rd_kafka_topic_partition_list_destroy(l);
}

typedef enum { CK_DONE, CK_LATER, CK_FAILED, CK_SENT, CK_PROBED } ck_result;

/* A loss of p's state in Redis, seen by a checkpoint or a probe: not Redis
 * failing, but what it holds is gone or older than what this worker wrote;
 * the next checkpoint (at once) writes the whole partition. */
static void state_lost(worker *w, const part *p, const char *err) {
    w->state_lost++;
    sw_log(SW_LOG_ERROR, "worker %d: partition %" PRId32 ": its state in Redis was lost: %s; writing the "
                    "partition's whole state with the next checkpoint (until then a worker taking it over "
                    "would restore the older or empty state Redis holds)", w->index, p->id, err);
}

/* First half of a checkpoint of p, if it is due (always when final): its
 * changed state and its next offset are queued on the worker's Redis
 * connection (CK_SENT; ck_finish reads the reply), once the alerts of the
 * records before that offset are acknowledged. */
static ck_result ck_send(worker *w, part *p, int64_t now, bool final) {
    const sw_run_opts *o = w->run->o;
    if (!p->ckpt || !p->loaded || p->fenced || p->unsent) return CK_DONE;
    int64_t at = p->next >= 0 ? p->next : p->ckpt_offset;
    int64_t age = now - p->ckpt_ms;
    if (at < 0 || (!final && age < o->checkpoint_interval_ms)) return CK_DONE; /* the cheap test first */
    sw_store *st = sw_engine_store(p->engine);
    /* A loss is repaired at once, and a checkpoint that no replica
     * confirmed is written again (on today's connection, for WAIT). */
    bool changed = at != p->ckpt_offset || sw_store_changed(st) || sw_ckpt_full_pending(p->ckpt) ||
                   p->durable != p->ckpt_offset;
    bool refresh = age >= o->state_ttl_ms / 4;
    if (!(changed || refresh)) {
        /* Idle: at most once an interval, check that Redis still holds
         * what was written last (one HMGET), so that a loss is repaired
         * even where nothing changes. */
        if (now - p->probe_ms < o->checkpoint_interval_ms) return CK_DONE;
        if (sw_ckpt_probe_send(p->ckpt, &w->redis) != 0) {
            w->ckpt_failures++;
            log_limited(w, "partition %" PRId32 ": checking its state: %s", p->id, w->redis.err);
            return CK_FAILED;
        }
        p->probe_ms = now;
        return CK_PROBED;
    }
    sw_acks_commit_point(p->acks, p->next);
    if (sw_acks_waiting(p->acks) > 0) {
        /* A periodic checkpoint tries again on the next turn rather than
         * stall consumption; only one long overdue waits a moment. */
        if (!final && age < 3 * o->checkpoint_interval_ms + OVERDUE_MS) return CK_LATER;
        if (!drain(w, p, final ? DRAIN_MS : CKPT_DRAIN_MS)) return CK_LATER;
    }
    sw_ckpt_stats cs;
    char err[700];
    sw_ckpt_status rc = sw_ckpt_write_send(p->ckpt, &w->redis, st, at, o->state_ttl_ms, &cs, err, sizeof err);
    if (rc != SW_CKPT_OK) {
        w->ckpt_failures++;
        note_redis(w, rc, err);
        if (rc == SW_CKPT_NOMEM) fail(w, "out of memory writing a checkpoint");
        else log_limited(w, "partition %" PRId32 ": %s (%s)", p->id, err, ckpt_status_name(rc));
        return CK_FAILED;
    }
    p->ckpt_pending = at;
    w->ckpt_users += cs.users;
    w->ckpt_bytes += cs.bytes;
    return CK_SENT;
}

/* p's checkpoint was refused (one of its keys holds something else): p
 * alone stops.  Its last checkpoint is committed, it leaves librdkafka's
 * assignment, its in-memory state is dropped (Redis no longer holds a
 * consistent copy of it), and its load is retried with backoff, so it
 * resumes once someone deletes (or fixes) its keys. */
static void part_refuse(worker *w, part *p, const char *err) {
    const sw_run_opts *o = w->run->o;
    char hint[1200];
    sw_ckpt_clear_hint(p->ckpt, o->state, hint, sizeof hint);
    sw_log(SW_LOG_ERROR, "worker %d: group %s topic %s partition %" PRId32 ": %s; only this partition stops: its "
                    "in-memory state is dropped and its load retried with backoff; to start it afresh (empty "
                    "windows, from offset %" PRId64 ") delete its state: %s", w->index, o->group, o->topic, p->id, err,
            p->ckpt_offset, hint);
    commit(w, true, p);
    p->loaded = false; /* before assign_loaded: the eager path reassigns the loaded ones */
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    if (strcmp(rd_kafka_rebalance_protocol(w->rk), "COOPERATIVE") == 0) {
        rd_kafka_topic_partition_list_add(l, o->topic, p->id);
        rd_kafka_error_t *error = rd_kafka_incremental_unassign(w->rk, l);
        if (error) {
            sw_log(SW_LOG_ERROR, "worker %d: unassign: %s", w->index, rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
        }
    } else {
        assign_loaded(w, l); /* eager: the whole assignment again, without p */
    }
    rd_kafka_topic_partition_list_destroy(l);
    sw_counters_add(&w->retired, sw_engine_counters(p->engine));
    w->evicted += sw_engine_store(p->engine)->evicted;
    if (engine_reset(w, p) != 0) return;
    if (p->eof) p->eof = false, w->at_eof--;
    p->next = p->start = p->skipped_from = p->ckpt_offset = p->durable = -1;
    p->paused = false;
    p->refused = true;
    p->refused_backoff_ms = REFUSED_RETRY_MS;
    set_why(p, err, hint);
    p->retry_ms = sw_mono_coarse_ms() + REFUSED_RETRY_MS;
}

/* Second half: the reply of p's queued checkpoint (or probe). */
static ck_result ck_finish(worker *w, part *p, int64_t now) {
    const sw_run_opts *o = w->run->o;
    char err[700];
    if (p->ckpt_sent == CK_PROBED) {
        sw_ckpt_status st = sw_ckpt_probe_recv(p->ckpt, &w->redis, err, sizeof err);
        if (st == SW_CKPT_LOST) state_lost(w, p, err);
        if (st != SW_CKPT_OK && st != SW_CKPT_LOST) {
            w->ckpt_failures++;
            log_limited(w, "partition %" PRId32 ": %s (%s)", p->id, err, ckpt_status_name(st));
            return CK_FAILED;
        }
        return CK_DONE;
    }
    sw_ckpt_status rc = sw_ckpt_write_recv(p->ckpt, &w->redis, sw_engine_store(p->engine), err, sizeof err);
    if (rc == SW_CKPT_OK) {
        p->ckpt_offset = p->ckpt_pending;
        p->ckpt_conn = w->redis.connects;
        if (o->state_replicas == 0) p->durable = p->ckpt_offset;
        p->ckpt_ms = now;
        w->checkpoints++;
        note_redis(w, rc, "");
        return CK_DONE;
    }
    w->ckpt_failures++;
    if (rc == SW_CKPT_LOST) {
        state_lost(w, p, err);
        return CK_DONE;
    }
    if (rc == SW_CKPT_FENCED) {
        sw_log(SW_LOG_WARN, "worker %d: partition %" PRId32 ": %s; another worker owns it now, so "
                        "this one stops reading it (nothing more is checkpointed or committed for it)",
                w->index, p->id, err);
        p->fenced = true;
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, o->topic, p->id);
        rd_kafka_pause_partitions(w->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        return CK_DONE;
    }
    if (rc == SW_CKPT_REFUSED) {
        part_refuse(w, p, err);
        return CK_DONE;
    }
    note_redis(w, rc, err);
    log_limited(w, "partition %" PRId32 ": %s (%s)", p->id, err, ckpt_status_name(rc));
    return CK_FAILED;
}

/* --state-replicas N: WAIT until N replicas have every checkpoint written
 * over this connection; then (only then) they count for Kafka commits.  A
 * checkpoint written over an earlier connection cannot be confirmed by
 * this one's WAIT: ck_send writes it again. */
static void confirm_replicas(worker *w, part *only) {
    int want = w->run->o->state_replicas;
    bool any = false;
    for (int32_t i = 0; i < w->parts_cap && !any; i++) {
        const part *p = w->parts[i];
        any = p && (!only || p == only) && !p->fenced && p->durable != p->ckpt_offset &&
              p->ckpt_conn == w->redis.connects;
    }
    if (!any || !w->redis.c) return;
    uint64_t conn = w->redis.connects;
    /* WAIT blocks this thread: while replicas are missing, at most half
     * of each interval goes to waiting for them. */
    int64_t half = w->run->o->checkpoint_interval_ms / 2;
    int timeout_ms = half < 5 ? 5 : half > REPLICA_WAIT_MAX_MS ? REPLICA_WAIT_MAX_MS : (int)half;
    int got = sw_redis_wait(&w->redis, want, timeout_ms);
    if (got < want || w->redis.connects != conn) {
        w->replica_waits_short++;
        if (got < 0) log_limited(w, "WAIT for %d replicas: %s (checkpoints not counted; retrying)", want, w->redis.err);
        else log_limited(w, "WAIT: %d of %d replicas confirmed the checkpoints within %d ms; they do not count "
                         "(Kafka offsets stay at the last confirmed one) and are retried", got, want, timeout_ms);
        return;
    }
    for (int32_t i = 0; i < w->parts_cap; i++) {
        part *p = w->parts[i];
        if (p && (!only || p == only) && p->ckpt_conn == conn) p->durable = p->ckpt_offset;
    }
}

/* Checkpoints every due partition (only, if given) in one pipelined round
 * trip; false when Redis failed one. */
static bool checkpoint_all(worker *w, part *only, bool final) {
    int64_t now = sw_mono_coarse_ms();
    double t0 = sw_mono_s();
    bool failed = false;
    int32_t sent = 0;
    for (int32_t i = 0; i < w->parts_cap && !failed; i++) {
        part *p = w->parts[i];
        if (!p || (only && p != only)) continue;
        ck_result r = ck_send(w, p, now, final);
        p->ckpt_sent = r == CK_SENT || r == CK_PROBED ? (uint8_t)r : 0;
        sent += p->ckpt_sent != 0;
        failed = r == CK_FAILED; /* CK_LATER is the producer's business, not Redis's */
    }
    for (int32_t i = 0; i < w->parts_cap && sent > 0; i++) {
        part *p = w->parts[i];
        if (!p || !p->ckpt_sent) continue;
        sent--;
        if (ck_finish(w, p, now) == CK_FAILED) failed = true;
        p->ckpt_sent = 0;
        if (sent == 0) {
            sw_hist_observe(&w->ckpt_seconds, sw_mono_s() - t0);
        }
    }
    if (!failed && w->run->o->state_replicas > 0) confirm_replicas(w, only);
    return !failed;
}

/* Periodic Redis work: pending loads, due checkpoints, and while Redis is
 * failing, the retries (every partition stays paused until a checkpoint of
 * each one succeeds). */
static void redis_housekeeping(worker *w, bool final) {
    int64_t now = sw_mono_coarse_ms();
    if (w->redis_down && now < w->redis_retry_ms) return;
    if (!checkpoint_all(w, NULL, final || w->redis_down) && !atomic_load(&w->run->failed)) {
        if (!w->redis_down) {
            sw_log(SW_LOG_ERROR, "worker %d: cannot checkpoint to Redis: pausing its partitions "
                            "until Redis is back (nothing is committed past the last checkpoint)", w->index);
            set_paused(w, true);
            w->redis_down = true;
            w->redis_pauses++;
            w->redis_backoff_ms = BACKOFF_MIN_MS;
        } else {
            w->redis_backoff_ms = w->redis_backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->redis_backoff_ms * 2;
        }
        w->redis_retry_ms = now + w->redis_backoff_ms;
        return;
    }
    if (w->redis_down) {
        sw_log(SW_LOG_INFO, "worker %d: Redis is back: checkpoint written, resuming", w->index);
        w->redis_down = false;
        set_paused(w, false);
    }
    load_pending(w, now);
}

/* Lets a partition go: flush, checkpoint, commit (unless the assignment
 * was lost, when a commit would be fenced anyway), then drop its engine
 * and window state. */
static void part_close(worker *w, part *p, bool lost) {
    if (!lost && p->loaded && !p->fenced) {
        if (!drain(w, p, DRAIN_MS))
            sw_log(SW_LOG_WARN, "worker %d: partition %" PRId32 " revoked with alerts not yet "
                            "acknowledged; its offsets stay before them", w->index, p->id);
        if (p->ckpt && (!checkpoint_all(w, p, true) || (p->next >= 0 && p->ckpt_offset != p->next)))
            sw_log(SW_LOG_WARN, "worker %d: partition %" PRId32 " revoked without a final "
                            "checkpoint; its next owner resumes from offset %" PRId64 " (the last one)",
                    w->index, p->id, p->ckpt_offset);
        commit(w, true, p);
    }
    sw_counters_add(&w->retired, sw_engine_counters(p->engine));
    sw_store *st = sw_engine_store(p->engine);
    w->retired_users += sw_store_users(st);
    w->evicted += st->evicted;
    sw_engine_free(p->engine);
    sw_acks_release(p->acks);
    sw_ckpt_free(p->ckpt);
    if (p->eof) w->at_eof--;
    w->assigned--;
    w->parts[p->id] = NULL;
    free(p);
}

static void log_partitions(worker *w, const char *what, const rd_kafka_topic_partition_list_t *l, const char *note) {
    char list[1024] = "";
    size_t n = 0;
    int i = 0;
    for (; i < l->cnt && n < sizeof list - 32; i++) /* a partition id takes at most 12 bytes */
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%" PRId32, i ? "," : "", l->elems[i].partition);
    if (i < l->cnt) snprintf(list + n, sizeof list - n, ",...");
    sw_log(SW_LOG_INFO, "worker %d %s %s [%s]%s", w->index, what, w->run->o->topic, list, note);
}

/* ---- librdkafka callbacks (served on the worker's own thread) ------------ */

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *l, void *opaque) {
    worker *w = opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;
    atomic_fetch_add(&w->pub_activity, 1);
    atomic_store(&w->pub_settled, false);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        w->joined = true;
        for (int i = 0; i < l->cnt; i++)
            if (part_open(w, l->elems[i].partition) != 0) fail(w, "out of memory for a partition's state");
        log_partitions(w, "assigned", l, redis_mode(w) ? "; loading their state from Redis" : "");
        /* Only the partitions whose state is loaded are consumed; the
         * others are added by redis_housekeeping once they load. */
        rd_kafka_topic_partition_list_t *ready = rd_kafka_topic_partition_list_new(l->cnt + 1);
        bool give_up = w->redis_down; /* one failed load is enough: do not wait out a timeout per partition */
        for (int i = 0; i < l->cnt; i++) {
            part *p = find(w, l->elems[i].partition);
            if (p && !p->loaded && !give_up) {
                sw_ckpt_status st = part_load(w, p);
                if (st == SW_CKPT_OK) p->loaded = true;
                else give_up = st != SW_CKPT_REFUSED; /* a refused partition is its own business */
            }
            if (p && p->loaded) rd_kafka_topic_partition_list_add(ready, l->elems[i].topic, p->id);
        }
        if (coop || redis_mode(w)) assign_loaded(w, ready);
        else rd_kafka_assign(rk, l);
        rd_kafka_topic_partition_list_destroy(ready);
    } else {
        bool lost = err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(rk);
        /* librdkafka only has the loaded ones (and the fenced ones). */
        rd_kafka_topic_partition_list_t *drop = rd_kafka_topic_partition_list_new(l->cnt + 1);
        for (int i = 0; i < l->cnt; i++) {
            part *p = find(w, l->elems[i].partition);
            if (!p) continue;
            if (p->loaded) rd_kafka_topic_partition_list_add(drop, l->elems[i].topic, p->id);
            part_close(w, p, lost);
        }
        log_partitions(w, lost ? "lost" : "revoked", l,
                       redis_mode(w) ? (lost ? "; their state stays as last checkpointed"
                                             : "; their state is checkpointed for the next owner")
                                     : "; their window state is dropped");
        if (coop) error = rd_kafka_incremental_unassign(rk, drop); /* even empty: it ends the rebalance */
        else rd_kafka_assign(rk, NULL);
        rd_kafka_topic_partition_list_destroy(drop);
    }
    if (error) {
        sw_log(SW_LOG_ERROR, "worker %d: rebalance: %s", w->index, rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
}

static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *l, void *opaque) {
    (void)rk;
    committed(opaque, err, l);
}

/* Sums consumer_lag over the partitions in a statistics JSON (-1 = unknown). */
/* Reads consumer_lag per partition (and their sum) from a statistics JSON:
 * each partition object has "partition":N before its "consumer_lag":V. */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
    (void)rk;
    worker *w = opaque;
    static const char pn[] = "\"partition\":", ln[] = "\"consumer_lag\":";
    int64_t sum = 0, partition = -1;
    const char *end = json + len;
    for (const char *s = json; s < end;) {
        const char *a = memmem(s, (size_t)(end - s), pn, sizeof pn - 1);
        const char *b = memmem(s, (size_t)(end - s), ln, sizeof ln - 1);
        if (!a && !b) break;
        bool is_partition = a && (!b || a < b);
        s = (is_partition ? a + sizeof pn : b + sizeof ln) - 1;
        bool neg = s < end && *s == '-';
        s += neg;
        int64_t v = 0;
        bool digits = false;
        while (s < end && *s >= '0' && *s <= '9' && v < INT64_MAX / 10) v = v * 10 + (*s++ - '0'), digits = true;
        if (!digits) continue;
        if (is_partition) {
            partition = neg ? -1 : v;
        } else if (!neg) {
            sum += v;
            part *p = partition >= 0 && partition < INT32_MAX ? find(w, (int32_t)partition) : NULL;
            if (p) p->lag = v;
        }
    }
    atomic_store(&w->pub_lag, sum);
    return 0; /* librdkafka frees json */
}

/* librdkafka's own log lines go through sw_log (JSON with --log-format
 * json); syslog levels 0..7 map onto error, warn, info, debug. */
static void on_rdlog(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    sw_log(level <= 3 ? SW_LOG_ERROR : level == 4 ? SW_LOG_WARN : level <= 6 ? SW_LOG_INFO : SW_LOG_DEBUG,
           "librdkafka %s: %s: %s", rd_kafka_name(rk), fac, buf);
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
    if (!p || p->fenced || !p->loaded) return; /* from a partition this worker no longer owns (or refused) */
    if (p->paused) {
        /* Fetched before the pause took effect: read again on resume. */
        if (p->skipped_from < 0) p->skipped_from = m->offset;
        return;
    }
    if (p->next >= 0 && m->offset < p->next) return; /* already fed (a fetch from before a seek) */
    if (p->eof) p->eof = false, w->at_eof--;
    int64_t ts = rd_kafka_message_timestamp(m, NULL);
    if (ts >= 0) {
        int64_t age = sw_wall_coarse_ms() - ts; /* coarse: no syscall, no counter read */
        sw_hist_observe(&w->latency, age > 0 ? (double)age / 1000.0 : 0);
    }
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
    atomic_store(&w->pub_checkpoints, w->checkpoints);
    atomic_store(&w->pub_redis_down, w->redis_down);
    atomic_store(&w->pub_assigned, w->assigned);
    atomic_store(&w->pub_eof, w->at_eof);
    uint32_t refused = 0;
    const part *first_refused = NULL;
    for (int32_t i = 0; i < w->parts_cap; i++) {
        const part *p = w->parts[i];
        if (p && p->refused && !p->loaded && refused++ == 0) first_refused = p;
    }
    atomic_store(&w->pub_redis_health, (int)w->redis_health);
    atomic_store(&w->pub_refused, refused);
    pthread_mutex_lock(&w->pub_lock);
    /* What is wrong, most serious first: Redis refusing us, a refused partition, Redis down. */
    if (w->redis_health == SW_CKPT_DENIED)
        snprintf(w->pub_problem, sizeof w->pub_problem, "Redis refuses our credentials: %s", w->redis_why);
    else if (first_refused)
        snprintf(w->pub_problem, sizeof w->pub_problem, "partition %" PRId32 ": %s", first_refused->id,
                 first_refused->why);
    else if (w->redis_health == SW_CKPT_UNAVAILABLE)
        snprintf(w->pub_problem, sizeof w->pub_problem, "Redis is failing: %s", w->redis_why);
    else
        w->pub_problem[0] = '\0';
    if (!w->pub_m) {
        pthread_mutex_unlock(&w->pub_lock);
        return;
    }
    sw_worker_metrics *m = w->pub_m;
    m->refused = refused;
    m->stale_refused = w->stale_refused;
    m->redis_denied = w->redis_health == SW_CKPT_DENIED;
    memcpy(m->problem, w->pub_problem, sizeof m->problem);
    m->c = c;
    m->tracked_users = users;
    m->evicted = w->evicted;
    m->assigned = m->pending = 0;
    m->nlag = 0;
    for (int32_t i = 0; i < w->parts_cap; i++) {
        const part *p = w->parts[i];
        if (!p) continue;
        m->evicted += sw_engine_store(p->engine)->evicted;
        if (p->loaded) m->assigned++;
        else m->pending++;
        if (p->loaded && m->nlag < SW_METRICS_MAX_PARTITIONS) m->lag[m->nlag++] = (sw_partition_lag){p->id, p->lag};
    }
    m->joined = w->joined;
    m->redis_paused = w->redis_down;
    m->checkpoints = w->checkpoints;
    m->checkpoint_failures = w->ckpt_failures;
    m->redis_pauses = w->redis_pauses;
    m->state_lost = w->state_lost;
    m->replica_waits_short = w->replica_waits_short;
    m->checkpoint_seconds = w->ckpt_seconds;
    m->latency_seconds = w->latency;
    pthread_mutex_unlock(&w->pub_lock);
}

/* Whether every partition's state is checkpointed up to its next offset
 * (always, with --state memory). */
static bool checkpointed(const worker *w) {
    for (int32_t i = 0; redis_mode(w) && i < w->parts_cap; i++) {
        const part *p = w->parts[i];
        if (!p) continue;
        bool behind = p->next != p->ckpt_offset || p->durable != p->ckpt_offset; /* (durable: --state-replicas) */
        if (!p->loaded || (!p->fenced && p->next >= 0 && behind)) return false;
    }
    return !w->redis_down;
}

/* Periodic work between records: commits, the published numbers, and for
 * --exit-at-end whether this worker is at the end with nothing pending. */
static void housekeeping(worker *w, bool idle) {
    int64_t now = sw_mono_coarse_ms();
    bool at_end = idle && w->at_eof == w->assigned;
    /* At the end of the input a checkpoint need not wait for its interval. */
    if (redis_mode(w)) redis_housekeeping(w, at_end && w->run->o->exit_at_end);
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
        if (waiting(w, NULL) == 0 && checkpointed(w) && commit(w, true, NULL) == 0)
            atomic_store(&w->pub_settled, true);
    }
}

/* librdkafka before 2.3.0 (Debian 12 ships 2.0.2) aborts the process when
 * a cooperative-sticky consumer is destroyed between its JoinGroup response
 * (the assignor is chosen) and its first SyncGroup (the assignor's state is
 * made): rd_kafka_cgrp_destroy_final asserts the state in
 * rd_kafka_sticky_assignor_state_destroy, and a closing consumer ignores
 * the SyncGroup that would make it (librdkafka issue 4312).  A member
 * stopped right after it started, during a rolling restart, hits it.  So a
 * member that has not had its first assignment keeps polling, up to
 * FIRST_ASSIGN_MS, until it has (nothing more is fed: the stop is on);
 * false when it still has not, and then its handle must not be destroyed. */
static bool await_first_assignment(worker *w) {
    int64_t deadline = wait_deadline(w, FIRST_ASSIGN_MS);
    while (!w->joined && sw_mono_coarse_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(w->rk, POLL_MS);
        if (m) rd_kafka_message_destroy(m); /* not fed, so never committed */
    }
    return w->joined;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    uint32_t burst = 0;
    if (redis_mode(w)) {
        /* Connect (AUTH, SELECT) now, so that the status line and /readyz
         * know from the start whether Redis takes us. */
        bool up = sw_redis_connect(&w->redis) == 0;
        note_redis(w, up ? SW_CKPT_OK : w->redis.fault == SW_REDIS_FAULT_DENIED ? SW_CKPT_DENIED : SW_CKPT_UNAVAILABLE,
                   w->redis.err);
        publish(w);
    }
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
    /* Shutdown: no more fetching; flush alerts, checkpoint, commit, leave
     * the group. */
    if (!w->joined && !await_first_assignment(w)) {
        sw_log(SW_LOG_WARN, "worker %d: stopped before its first assignment came; its consumer is left "
                        "for the process exit to end (librdkafka 2.0.2 would abort destroying it)", w->index);
        w->keep_handle = true;
    }
    if (!drain(w, NULL, DRAIN_MS) && may_commit(w))
        sw_log(SW_LOG_WARN, "worker %d: alerts still unacknowledged when the stop's %d s ran out; their "
                        "records are not committed and will be read again", w->index, SW_STOP_MS / 1000);
    if (redis_mode(w) && may_commit(w)) redis_housekeeping(w, true);
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
    rd_kafka_conf_t *c = sw_kafka_conf(o->kafka, RD_KAFKA_CONSUMER, err, errlen);
    if (!c) return NULL;
    char client_id[64], stats_ms[32];
    snprintf(client_id, sizeof client_id, "sessionwatch-run-%d", w->index);
    /* Statistics carry the consumer lag: for the status line, and for the
     * metrics every 5 s at least. */
    int64_t stats = o->status_interval_ms;
    if (o->metrics_addr && (stats <= 0 || stats > 5000)) stats = 5000;
    snprintf(stats_ms, sizeof stats_ms, "%" PRId64, stats);
    /* What correctness rests on is not left to -X. */
    int rc = set(c, "group.id", o->group, err, errlen) |
             set(c, "enable.auto.commit", "false", err, errlen) |
             set(c, "enable.auto.offset.store", "false", err, errlen) |
             set(c, "enable.partition.eof", "true", err, errlen);
    rc |= sw_kafka_conf_default(c, o->kafka, "client.id", client_id, err, errlen) |
          sw_kafka_conf_default(c, o->kafka, "partition.assignment.strategy", "cooperative-sticky", err, errlen) |
          sw_kafka_conf_default(c, o->kafka, "auto.offset.reset", "earliest", err, errlen);
    if (stats > 0) rc |= sw_kafka_conf_default(c, o->kafka, "statistics.interval.ms", stats_ms, err, errlen);
    if (rc) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_conf_set_opaque(c, w);
    rd_kafka_conf_set_rebalance_cb(c, on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(c, on_commit);
    rd_kafka_conf_set_stats_cb(c, on_stats);
    rd_kafka_conf_set_error_cb(c, on_error);
    rd_kafka_conf_set_log_cb(c, on_rdlog);
    rd_kafka_t *rk = sw_kafka_new(RD_KAFKA_CONSUMER, c, err, errlen); /* masks secrets in its error */
    if (!rk) return NULL;
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
    if (w->rk && !w->keep_handle) rd_kafka_destroy(w->rk);
    sw_redis_close(&w->redis);
    if (w->pub_lock_ready) pthread_mutex_destroy(&w->pub_lock);
    free(w->pub_m);
    sw_parser_free(w->parser);
    free(w->parts);
    sw_buf_free(&w->key);
}

/* ---- watching ------------------------------------------------------------ */

typedef struct {
    uint64_t records, eligible, alerts, users, waiting, activity, checkpoints;
    int64_t lag;
    uint32_t assigned, members_assigned, eof, redis_down, refused;
    int redis_health; /* the worst worker's: OK < UNAVAILABLE < DENIED */
    char problem[SW_METRICS_PROBLEM_LEN]; /* the first worker's that has one */
    bool settled, done;
} view;

static int health_rank(int st) { return st == SW_CKPT_DENIED ? 2 : st == SW_CKPT_UNAVAILABLE ? 1 : 0; }

static view look(worker *ws, int n) {
    view v = {.settled = true, .done = true};
    for (int i = 0; i < n; i++) {
        worker *w = &ws[i];
        v.records += atomic_load(&w->pub_records);
        v.eligible += atomic_load(&w->pub_eligible);
        v.alerts += atomic_load(&w->pub_alerts);
        v.users += atomic_load(&w->pub_users);
        v.waiting += atomic_load(&w->pub_waiting);
        v.checkpoints += atomic_load(&w->pub_checkpoints);
        v.redis_down += atomic_load(&w->pub_redis_down);
        v.refused += atomic_load(&w->pub_refused);
        int health = atomic_load(&w->pub_redis_health);
        if (health_rank(health) > health_rank(v.redis_health)) v.redis_health = health;
        if (!v.problem[0] && (atomic_load(&w->pub_refused) || health != SW_CKPT_OK)) {
            pthread_mutex_lock(&w->pub_lock);
            memcpy(v.problem, w->pub_problem, sizeof v.problem);
            pthread_mutex_unlock(&w->pub_lock);
        }
        v.activity += atomic_load(&w->pub_activity);
        v.lag += atomic_load(&w->pub_lag);
        v.assigned += atomic_load(&w->pub_assigned);
        v.members_assigned += atomic_load(&w->pub_assigned) > 0;
        v.eof += atomic_load(&w->pub_eof);
        v.settled = v.settled && atomic_load(&w->pub_settled);
        v.done = v.done && atomic_load(&w->pub_done);
    }
    return v;
}

/* The Redis part of the status line: redis=ok, down, down(paused),
 * auth-failed (Redis refuses our credentials), then refused=N when
 * partitions are refused, and what is wrong in parentheses. */
static void redis_status(const view *v, char *out, size_t n) {
    const char *word = v->redis_health == SW_CKPT_DENIED               ? "auth-failed"
                       : v->redis_down || v->redis_health != SW_CKPT_OK ? "down"
                                                                        : "ok";
    char refused[32] = "";
    if (v->refused) snprintf(refused, sizeof refused, " refused=%u", v->refused);
    /* The problem up to its first "; " (the log and /readyz say the rest). */
    int plen = (int)strcspn(v->problem, ";");
    snprintf(out, n, " checkpoints=%" PRIu64 " redis=%s%s%s%s%.*s%s", v->checkpoints, word,
             v->redis_down ? "(paused)" : "", refused, v->problem[0] ? " (" : "", plen > 300 ? 300 : plen, v->problem,
             v->problem[0] ? ")" : "");
}

static void status_line(const view *v, const view *prev, double dt_s, const sw_producer *pr, bool redis) {
    char state[512] = "";
    if (redis) redis_status(v, state, sizeof state);
    sw_log(SW_LOG_INFO,
            "status records=%" PRIu64 " (%.0f/s) eligible=%" PRIu64 " (%.0f/s) alerts=%" PRIu64
            " unacked=%" PRIu64 " lag=%" PRId64 " users=%" PRIu64 " partitions=%u failures=%" PRIu64 "%s",
            v->records, (double)(v->records - prev->records) / dt_s, v->eligible,
            (double)(v->eligible - prev->eligible) / dt_s, v->alerts, sw_producer_inflight(pr), v->lag, v->users,
            v->assigned, sw_producer_failures(pr), state);
}

/* ---- metrics and health (--metrics-addr) --------------------------------- */

typedef struct {
    run_ctx *run;
    worker *ws;
    int n;
} http_ctx;

static int serve_http(void *ud, const char *path, sw_buf *body, const char **type) {
    http_ctx *h = ud;
    const sw_run_opts *o = h->run->o;
    bool failed = atomic_load(&h->run->failed) || sw_producer_fatal(h->run->producer);
    if (strcmp(path, "/healthz") == 0) {
        sw_buf_puts(body, failed ? "failed\n" : "ok\n");
        return failed ? 503 : 200;
    }
    const sw_worker_metrics *ms[256];
    int n = h->n < 256 ? h->n : 256;
    for (int i = 0; i < n; i++) pthread_mutex_lock(&h->ws[i].pub_lock);
    for (int i = 0; i < n; i++) ms[i] = h->ws[i].pub_m;
    int status = 200;
    if (strcmp(path, "/metrics") == 0) {
        sw_process_metrics pm = {
            .topic = o->topic, .redis = o->state != NULL, .failed = failed,
            .delivery_failures = sw_producer_failures(h->run->producer),
            .unacknowledged = sw_producer_inflight(h->run->producer),
            .delivery_stalled_seconds = (double)sw_producer_stalled_ms(h->run->producer) / 1000.0,
        };
        for (int r = 0; r < SW_UNDELIVERABLE_COUNT && r < SW_METRICS_UNDELIVERABLE_REASONS; r++) {
            pm.undeliverable_reason[r] = sw_undeliverable_name(r);
            pm.dead_lettered[r] = sw_producer_undeliverable(h->run->producer, r, true);
            pm.dropped[r] = sw_producer_undeliverable(h->run->producer, r, false);
        }
        sw_metrics_render(body, &pm, ms, n);
        *type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (strcmp(path, "/readyz") == 0) {
        /* Ready: every member has joined the group (an empty assignment
         * counts), every assigned partition's state is loaded, Redis is
         * not failing, and the run has not failed. */
        const char *why = failed ? "the run failed" : NULL;
        const char *detail = NULL;
        if (!why && sw_producer_stalled_ms(h->run->producer) > DELIVERY_STALL_MS)
            why = "alert deliveries stalled: nothing acknowledged for over 60 s (see the log)";
        for (int i = 0; i < n && !why; i++) {
            if (!ms[i]->joined) why = "a worker has not joined its consumer group yet";
            else if (ms[i]->redis_denied) why = "Redis refuses our credentials", detail = ms[i]->problem;
            else if (ms[i]->redis_paused) why = "Redis is failing: partitions paused";
            else if (ms[i]->refused) why = "a partition's state in Redis is refused", detail = ms[i]->problem;
            else if (ms[i]->pending) why = "a partition's state is not loaded yet", detail = ms[i]->problem;
        }
        sw_buf_puts(body, why ? why : "ready");
        if (detail && detail[0]) {
            sw_buf_puts(body, ": ");
            sw_buf_puts(body, detail);
        }
        sw_buf_putc(body, '\n');
        status = why ? 503 : 200;
    } else {
        sw_buf_puts(body, "not found: try /metrics, /healthz or /readyz\n");
        status = 404;
    }
    for (int i = n - 1; i >= 0; i--) pthread_mutex_unlock(&h->ws[i].pub_lock);
    return status;
}

int sw_run(const sw_run_opts *o) {
    char err[512];
    int64_t t0 = sw_mono_coarse_ms();
    run_ctx run = {.o = o, .budget = {.max = o->cfg->max_tracked_users}, .tenant_budget = {.max = o->cfg->max_tenants}};
    rd_kafka_conf_t *pc = sw_kafka_conf(o->kafka, RD_KAFKA_PRODUCER, err, sizeof err);
    if (pc) rd_kafka_conf_set_log_cb(pc, on_rdlog);
    if (pc && sw_kafka_conf_default(pc, o->kafka, "client.id", "sessionwatch-run-alerts", err, sizeof err)) {
        rd_kafka_conf_destroy(pc);
        pc = NULL;
    }
    run.producer = pc ? sw_producer_start(pc, err, sizeof err) : NULL;
    if (!run.producer) {
        sw_log(SW_LOG_ERROR, "cannot create the alert producer: %s", err);
        return 1;
    }
    /* A missing alerts or dead-letter topic is a start-up error, not a
     * stream of failed deliveries (kafka.h: sw_kafka_check_topics). */
    const char *const outputs[] = {o->alerts_topic, o->dlq_topic};
    if (sw_kafka_check_topics(o->kafka, outputs, 2, TOPIC_CHECK_MS, err, sizeof err) != 0) {
        sw_log(SW_LOG_ERROR, "%s", err);
        sw_producer_stop(run.producer, 0);
        return 2;
    }
    if (sw_producer_set_dead_letters(run.producer, o->dlq_topic) != 0) {
        sw_log(SW_LOG_ERROR, "out of memory");
        sw_producer_stop(run.producer, 0);
        return 1;
    }
    worker *ws = calloc((size_t)o->threads, sizeof *ws);
    int started = 0, status = 0;
    for (int i = 0; ws && i < o->threads; i++) {
        worker *w = &ws[i];
        w->run = &run;
        w->index = i;
        w->log_limit = (sw_log_limit)SW_LOG_LIMIT(1000);
        w->pub_lock_ready = pthread_mutex_init(&w->pub_lock, NULL) == 0;
        if (o->metrics_addr || !w->pub_lock_ready) {
            w->pub_m = w->pub_lock_ready ? calloc(1, sizeof *w->pub_m) : NULL;
            if (!w->pub_m) {
                sw_log(SW_LOG_ERROR, "out of memory");
                atomic_store(&run.failed, true);
                break;
            }
        }
        if (o->state) sw_redis_init(&w->redis, o->state, REDIS_TIMEOUT_MS);
        w->parser = sw_parser_new(o->cfg->max_record_bytes);
        if (!w->parser) snprintf(err, sizeof err, "out of memory for a %zu-byte parser", o->cfg->max_record_bytes);
        else w->rk = consumer_new(w, err, sizeof err);
        if (!w->rk || pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            sw_log(SW_LOG_ERROR, "cannot start worker %d: %s", i, w->rk ? "no thread" : err);
            atomic_store(&run.failed, true);
            break;
        }
        started++;
    }
    if (!ws) {
        sw_log(SW_LOG_ERROR, "out of memory");
        atomic_store(&run.failed, true);
    }
    http_ctx hc = {.run = &run, .ws = ws, .n = started};
    sw_http *http = NULL;
    if (o->metrics_addr && started > 0 && !atomic_load(&run.failed)) {
        http = sw_http_start(o->metrics_addr, serve_http, &hc, err, sizeof err);
        if (!http) {
            sw_log(SW_LOG_ERROR, "--metrics-addr: %s", err);
            atomic_store(&run.failed, true);
        } else {
            sw_log(SW_LOG_INFO, "metrics and health on port %d: /metrics, /healthz, /readyz", sw_http_port(http));
        }
    }

    /* Watch: status lines, --exit-at-end, failures.  Workers stop on their
     * own when *o->stop or run.failed is set. */
    view prev = {0}, quiet = {0};
    int64_t last_status = t0, quiet_since = -1;
    while (started > 0) {
        sleep_ms(50);
        view v = look(ws, started);
        int64_t now = sw_mono_coarse_ms();
        if (o->assigned) atomic_store(o->assigned, v.assigned);
        if (o->members_assigned) atomic_store(o->members_assigned, v.members_assigned);
        if (v.done) break;
        if (atomic_load(o->stop) || atomic_load(&run.failed)) {
            /* The stop is bounded whatever is in flight: what is not
             * acknowledged by the deadline is not committed, and the next
             * owner reads it again.  Past it, only a hang in librdkafka
             * can keep a worker: the watchdog ends the process. */
            if (now > stop_deadline(&run) + STOP_WATCHDOG_MS) {
                sw_log(SW_LOG_ERROR, "the stop did not finish within %d s; exiting without waiting further "
                                "(uncommitted records will be read again)", (SW_STOP_MS + STOP_WATCHDOG_MS) / 1000);
                _exit(1);
            }
        }
        if (o->status_interval_ms > 0 && now - last_status >= o->status_interval_ms) {
            status_line(&v, &prev, (double)(now - last_status) / 1000.0, run.producer, o->state != NULL);
            prev = v;
            last_status = now;
        }
        if (sw_producer_fatal(run.producer) && !atomic_load(&run.failed)) {
            sw_log(SW_LOG_ERROR, "the alert producer failed; stopping");
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
    sw_http_stop(http);
    int64_t left_ms = atomic_load(&run.stop_deadline) ? atomic_load(&run.stop_deadline) - sw_mono_coarse_ms() : DRAIN_MS;
    uint64_t unacked = sw_producer_stop(run.producer, left_ms > 0 ? (int)left_ms : 0);
    if (unacked) sw_log(SW_LOG_WARN, "%" PRIu64 " alerts or dead letters were never acknowledged; their records "
                                "were not committed and will be read again", unacked);

    sw_counters c = {0};
    uint64_t users = 0, evicted = 0, bytes = 0;
    for (int i = 0; ws && i < o->threads; i++) {
        const worker *w = &ws[i];
        if (o->state)
            sw_log(SW_LOG_INFO, "worker %d: %" PRIu64 " checkpoints (%" PRIu64 " user states, %" PRIu64
                            " bytes), %" PRIu64 " failed; %" PRIu64 " user states restored, %" PRIu64
                            " corrupt ones skipped; %" PRIu64 " restored checkpoints refused (Kafka disagrees)",
                    i, w->checkpoints, w->ckpt_users, w->ckpt_bytes, w->ckpt_failures, w->restored_users,
                    w->restored_corrupt, w->stale_refused);
        sw_counters_add(&c, &ws[i].retired);
        users += ws[i].retired_users;
        evicted += ws[i].evicted;
        bytes += ws[i].bytes;
        worker_free(&ws[i]);
    }
    free(ws);
    sw_summary s = {
        .c = &c, .bytes = bytes, .elapsed_s = (double)(sw_mono_coarse_ms() - t0) / 1000.0,
        .tracked_users = users, .evicted = evicted,
    };
    sw_summary_print(stderr, "run", o->summary_json, &s);
    /* Unacknowledged messages at the end of a stop are not an error: their
     * records were not committed (at-least-once). */
    if (atomic_load(&run.failed)) status = 1;
    return status;
}

void *sw_run_thread_main(void *arg) {
    sw_run_thread *t = arg;
    t->status = sw_run(&t->opts);
    return NULL;
}

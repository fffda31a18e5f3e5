/* worker_internal.h -- what the files of `run` (worker.h) share, and nothing
 * outside stream/kafka/ includes.
 *
 * Three kinds of objects, each owned by one thread:
 *   run_ctx  the run: options, the shared producer and user budgets, the
 *            failure flag and the stop's deadline.  Created by sw_run
 *            (worker.c); the only fields written by several threads are
 *            atomics (failed, stop_deadline).
 *   worker   one group member: its consumer, parser, partitions and
 *            counters, written by its own thread only (worker_loop.c and
 *            the files it calls), plus what it publishes for the others
 *            (worker_publish.c: one snapshot under one mutex).
 *   part     one assigned partition (a topic and a partition id: the
 *            input's, or an internal topic's, run_topic): its detector,
 *            ack ring and Redis checkpoint state, owned by the worker that
 *            holds it.
 *
 * The files, one concern each:
 *   worker.c             sw_run: set up, start the members, watch, stop, report
 *   worker_outputs.c     a partition's alerts, dead letters and internal records (backpressure)
 *   worker_dedup.c       the stateful stage's replay guard (internal records counted once)
 *   worker_partitions.c  open / close a partition, commits, waiting for acks
 *   worker_callbacks.c   the consumer: its configuration and librdkafka callbacks
 *                        (rebalance, commit, statistics, errors, logs)
 *   worker_loop.c        the poll loop, housekeeping and the member's shutdown
 *   worker_load.c        Redis state: claim, load and verify a partition's state
 *   worker_checkpoint.c  Redis state: checkpoints, replicas, pausing while Redis fails
 *   worker_publish.c     the one channel the numbers leave a member by
 *   worker_watch.c       the watching thread: status line, --exit-at-end, the watchdog
 *   worker_http.c        /metrics, /healthz and /readyz */
#ifndef SW_WORKER_INTERNAL_H
#define SW_WORKER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "alert_producer.h"
#include "checkpoint.h"
#include "clock.h"
#include "detector.h"
#include "extract.h"
#include "irecord.h"
#include "itopics.h"
#include "log.h"
#include "metrics.h"
#include "worker.h"

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
#define SETTLE_RECHECK_MS 200 /* --exit-at-end: a settled member asks its internal partitions' ends again */
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
typedef struct part_dedup part_dedup; /* worker_dedup.c */

/* One assigned partition (what one costs: worker_partitions.c). */
typedef struct {
    worker *w;
    sw_detector *det;
    sw_acks *acks;
    int32_t id;
    int topic;          /* index in w->topics */
    const char *topic_name;
    bool internal;      /* a partition of an internal topic (the stateful stage) */
    part_dedup *dedup;  /* internal: replays already counted (worker_dedup.c) */
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

/* A topic the members consume: the input (routing its families, running
 * the others and the query rules) or one family's internal topic (its
 * threshold rules, with their windows).  Partitions are (topic, id): each
 * member keeps one table per topic, indexed by partition id. */
typedef struct {
    const char *name;
    bool internal;
    uint32_t family;     /* internal: the key family it holds */
} run_topic;

typedef struct {
    part **parts;        /* by partition id */
    int32_t cap;
    const rd_kafka_topic_t *rkt; /* the handle librdkafka's messages carry, once seen */
} worker_topic;

typedef struct {
    const sw_run_opts *o;
    run_topic *topics;   /* what the members subscribe to, in order */
    int ntopics;
    /* --rules: key families (rengine.h), routed[f] when family f goes
     * through its internal topic itopics[f]; route_topic[f] its name. */
    size_t nfamilies;
    bool *routed;
    sw_itopic *itopics;
    bool any_routed;
    sw_run_family *families;     /* each family's name and topic (nfamilies) */
    sw_metrics_family *mfamilies; /* the same as /metrics labels (topic NULL when not routed) */
    sw_user_budget budget; /* --max-tracked-users, across every partition's detector */
    sw_user_budget tenant_budget; /* --max-tenants, the same way */
    sw_producer *producer;
    atomic_bool failed; /* stop, do not commit any more, exit 1 */
    atomic_int_fast64_t stop_deadline; /* monotonic ms a stop must be done by; 0 before one */
    worker *ws;         /* the members, ws[0 .. started) running */
    int started;
} run_ctx;

/* What the watcher needs of a member besides its metrics.  The member
 * keeps these plain fields (only its thread writes them) in exactly this
 * form, so publishing them is one copy. */
typedef struct {
    uint64_t activity;           /* messages and rebalances seen (--exit-at-end's quiet time) */
    int64_t lag;                 /* consumer lag summed over its partitions (librdkafka's last statistics) */
    uint32_t assigned;           /* partitions assigned, loaded or not */
    uint32_t at_eof;             /* of them, at their end */
    sw_ckpt_status redis_health; /* of the last Redis call: OK, UNAVAILABLE or DENIED */
    bool settled;                /* --exit-at-end: at the end, acknowledged, checkpointed, committed */
    bool done;                   /* its thread has finished */
} worker_progress;

/* What a member publishes (worker_publish.c), copied under its pub_lock. */
typedef struct {
    sw_worker_metrics m;       /* /metrics and /readyz; the status line's counters too */
    uint64_t waiting;          /* outputs not acknowledged yet */
    worker_progress progress;
} worker_published;

struct worker {
    run_ctx *run;
    int index;
    pthread_t thread;
    rd_kafka_t *rk;
    sw_parser *parser; /* this thread's: it also holds the events of the record being fed */
    worker_topic *topics; /* one per run topic (run_ctx.topics) */
    sw_irecord *irec;     /* internal records decoded for their dedup (worker_dedup.c) */
    uint64_t routed, duplicates, internal_bad;
    sw_family_counters *fam; /* the same per key family (run->nfamilies; NULL without families) */
    const rd_kafka_message_t *msg; /* the record being fed, for the callbacks */
    sw_buf key;
    sw_counters retired; /* detectors already dropped */
    sw_rule_counters *retired_rules; /* --rules: theirs per rule (n_rules), else NULL */
    uint64_t retired_unmatched;
    uint64_t retired_users, evicted, bytes;
    int64_t last_commit_ms, last_publish_ms, settle_checked_ms;
    sw_log_limit log_limit; /* worker_log_limited: one line a second */
    sw_redis redis;       /* this thread's connection (Redis state only) */
    bool redis_down;      /* the last checkpoint failed: partitions paused */
    int64_t redis_retry_ms, redis_backoff_ms;
    uint64_t checkpoints, ckpt_failures, ckpt_users, ckpt_bytes, restored_users, restored_corrupt, redis_pauses;
    uint64_t stale_refused; /* restored checkpoints refused because they disagree with Kafka */
    char redis_why[400]; /* the error of the last Redis call when it failed (progress.redis_health) */
    uint64_t state_lost, replica_waits_short;
    sw_hist latency, ckpt_seconds; /* metrics.h */
    bool joined;                   /* had its first assignment */
    bool keep_handle;              /* stopped before it: see await_first_assignment */
    /* Plain fields that only reach other threads through worker_publish. */
    worker_progress progress;
    /* The one publication channel (worker_publish.c). */
    pthread_mutex_t pub_lock;
    bool pub_lock_ready;
    worker_published *pub;
};

/* ---- small shared helpers ---------------------------------------------- */

static inline void worker_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static inline bool worker_stopping(const worker *w) {
    return atomic_load(w->run->o->stop) || atomic_load(&w->run->failed);
}

static inline bool worker_may_commit(const worker *w) {
    return !atomic_load(&w->run->failed) && !sw_producer_fatal(w->run->producer);
}

static inline bool worker_redis_mode(const worker *w) { return w->run->o->state != NULL; }

static inline part *part_find(const worker *w, int topic, int32_t id) {
    const worker_topic *t = topic >= 0 && topic < w->run->ntopics ? &w->topics[topic] : NULL;
    return t && id >= 0 && id < t->cap ? t->parts[id] : NULL;
}

/* Every partition of w, topic by topic: for (p = part_next(w, NULL); p; p = part_next(w, p)). */
part *part_next(const worker *w, const part *prev);
/* The index of topic name in w->run->topics, -1 when not one of them. */
int worker_topic_index(const worker *w, const char *name);

/* worker.c */
int64_t run_stop_deadline(run_ctx *r);                 /* when the stop under way must be done */
int64_t worker_wait_deadline(worker *w, int64_t ms);   /* ms from now, never past the stop's */
void worker_fail(worker *w, const char *what);         /* logs it; the run stops, commits no more */
void worker_log_limited(worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* worker_outputs.c: the detector callbacks of a partition (ud = the part). */
void part_on_alert(void *ud, const sw_alert_out *a);
void part_on_reject(void *ud, sw_verdict why, const char *rec, size_t len, const sw_source *src);
void part_on_route(void *ud, uint32_t family, const char *key, size_t key_len, const char *rec, size_t len,
                   const sw_source *src);

/* worker_dedup.c: replays of internal records (a routing member died
 * before committing its input) are counted once. */
part_dedup *part_dedup_new(void);
void part_dedup_free(part_dedup *d);
/* Whether the internal record (key, rec) was counted already; else
 * remembers it.  Never allocates once its origin partition was seen. */
bool part_dedup_seen(worker *w, part *p, const char *key, size_t key_len, const char *rec, size_t len);
/* The table as the checkpoint keeps it (valid until the next call; NULL
 * out of memory), and back: 0, or -1 (the table left empty) when p does
 * not decode. */
const void *part_dedup_encode(part_dedup *d, size_t *len);
int part_dedup_decode(part_dedup *d, const void *p, size_t len);

/* worker_partitions.c */
int part_open(worker *w, int topic, int32_t id);
void part_close(worker *w, part *p, bool lost);
int part_detector_reset(worker *w, part *p);
void part_retire_counters(worker *w, part *p); /* into w->retired*, before its detector goes */
int64_t part_resume_offset(const part *p);
void worker_assign_loaded(worker *w, rd_kafka_topic_partition_list_t *l);
void worker_committed(worker *w, rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t *l);
int worker_commit(worker *w, bool sync, part *only);
uint32_t worker_waiting(worker *w, part *only);
bool worker_drain(worker *w, part *only, int64_t ms);
void worker_log_partitions(worker *w, const char *what, const rd_kafka_topic_partition_list_t *l,
                           const char *note);

/* worker_callbacks.c */
rd_kafka_t *worker_consumer_new(worker *w, char *err, size_t errlen);
void worker_on_rdlog(const rd_kafka_t *rk, int level, const char *fac, const char *buf);
void worker_on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque);

/* worker_loop.c */
void *worker_main(void *arg);

/* worker_load.c */
const char *state_status_name(sw_ckpt_status st);
void state_note_redis(worker *w, sw_ckpt_status st, const char *err);
void part_set_why(part *p, const char *a, const char *b);
sw_ckpt_status part_load(worker *w, part *p);
void state_load_pending(worker *w, int64_t now);

/* worker_checkpoint.c */
bool state_checkpoint(worker *w, part *only, bool final);
void state_housekeeping(worker *w, bool final);
bool state_checkpointed(const worker *w);

/* worker_publish.c */
int worker_publish_init(worker *w);   /* 0, or -1 out of memory */
void worker_publish_free(worker *w);
void worker_publish(worker *w);
void worker_unsettle(worker *w);      /* activity after --exit-at-end's settle: said at once */

/* A summary of every member's last snapshot, for the watching thread. */
typedef struct {
    uint64_t records, eligible, alerts, users, waiting, activity, checkpoints;
    int64_t lag;
    uint32_t assigned, members_assigned, eof, redis_down, refused;
    sw_ckpt_status redis_health; /* the worst member's: OK < UNAVAILABLE < DENIED */
    char problem[SW_METRICS_PROBLEM_LEN]; /* the first member's that has one */
    bool settled, done;
} run_view;
run_view run_look(run_ctx *r);
/* The HTTP thread reads every member's snapshot between these two. */
void run_lock_published(run_ctx *r, int n);
void run_unlock_published(run_ctx *r, int n);

/* worker_watch.c */
void run_watch(run_ctx *r, int64_t t0);

/* worker_http.c */
int run_serve_http(void *ud, const char *path, sw_buf *body, const char **content_type);

#endif

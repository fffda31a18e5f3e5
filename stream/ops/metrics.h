/* metrics.h -- what `run` exposes to Prometheus: the numbers, and their
 * text exposition format.
 *
 * Each worker thread keeps its numbers in plain fields it alone writes
 * (nothing atomic or locked per record) and copies them into an
 * sw_worker_metrics snapshot under its own mutex ten times a second; the
 * HTTP thread renders the snapshots of every worker under the same
 * mutexes.  Names follow Prometheus conventions: sessionwatch_ prefix,
 * _total for counters, base units (seconds). */
#ifndef SW_METRICS_H
#define SW_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "rengine.h"
#include "jsonw.h"

/* Histogram upper bounds in seconds (and +Inf). */
#define SW_HIST_BUCKETS 14
extern const double sw_hist_bounds[SW_HIST_BUCKETS];

typedef struct {
    uint64_t bucket[SW_HIST_BUCKETS + 1]; /* not cumulative; the last is +Inf */
    uint64_t count;
    double sum;
} sw_hist;

void sw_hist_observe(sw_hist *h, double seconds);

#define SW_METRICS_MAX_PARTITIONS 4096 /* per worker, for the per-partition lag */
#define SW_METRICS_PROBLEM_LEN 1024    /* what is wrong with Redis, in words (for /readyz) */

typedef struct {
    int32_t partition;
    int64_t lag; /* -1: not known yet */
    const char *topic; /* NULL: the input (sw_process_metrics.topic); else an internal topic (outlives the run) */
} sw_partition_lag;

/* --rules with internal topics: one key family's routing and replay numbers
 * (a member's own plain fields, indexed by family, published with the rest). */
typedef struct {
    uint64_t records; /* internal records produced to its topic (the routing stage) */
    uint64_t bytes;   /* their value bytes */
    uint64_t replays; /* consumed from its topic, skipped as counted already (the stateful stage) */
} sw_family_counters;

/* A key family's labels: its name (rengine.h) and internal topic; topic
 * NULL when the family runs where it is read (no internal topic). */
typedef struct {
    const char *family, *topic;
} sw_metrics_family;

/* One worker thread's numbers. */
typedef struct {
    sw_counters c;                 /* engines, live and retired */
    uint64_t tracked_users, evicted;
    uint32_t assigned;             /* partitions consumed */
    uint32_t pending;              /* assigned, state not loaded yet */
    bool joined;                   /* has had its first assignment (possibly empty) */
    bool redis_paused;
    uint64_t checkpoints, checkpoint_failures, redis_pauses;
    uint64_t state_lost;           /* checkpoints refused because Redis lost the partition's state */
    uint64_t replica_waits_short;  /* WAIT rounds that reached fewer than --state-replicas replicas */
    sw_hist checkpoint_seconds;    /* one pipelined checkpoint round */
    sw_hist latency_seconds;       /* record Kafka timestamp -> processed */
    uint32_t refused;              /* partitions not consumed: their state in Redis is refused */
    uint64_t stale_refused;        /* restored checkpoints refused: Kafka contradicts their offset */
    bool redis_denied;             /* Redis refuses our credentials (AUTH, NOAUTH, NOPERM, SELECT) */
    char problem[SW_METRICS_PROBLEM_LEN]; /* what is wrong, or "" */
    uint32_t nlag;
    sw_partition_lag lag[SW_METRICS_MAX_PARTITIONS];
    /* --rules: each rule's counters (live and retired detectors), the
     * process's n_rules of them (sw_process_metrics.rules), and the events
     * no rule matched; NULL without --rules. */
    sw_rule_counters *rules;
    uint64_t unmatched;
    /* --rules with internal topics: per key family (n_families of
     * sw_process_metrics), internal records produced, their bytes, and
     * those consumed that were replays of records counted already
     * (skipped); NULL without --rules. */
    sw_family_counters *families;
} sw_worker_metrics;

#define SW_METRICS_UNDELIVERABLE_REASONS 2

/* Process-wide numbers. */
typedef struct {
    const char *topic;
    bool redis;                    /* --state redis:// */
    uint64_t delivery_failures;    /* alert producer: transient ones retried */
    uint64_t unacknowledged;       /* alerts and dead letters in flight */
    /* Messages refused for good (re-sending cannot cure them), by reason:
     * sent to the dead-letter topic instead, or dropped. */
    const char *undeliverable_reason[SW_METRICS_UNDELIVERABLE_REASONS];
    uint64_t dead_lettered[SW_METRICS_UNDELIVERABLE_REASONS], dropped[SW_METRICS_UNDELIVERABLE_REASONS];
    double delivery_stalled_seconds; /* messages in flight and nothing acknowledged for this long */
    bool failed;
    const sw_rulespec *rules;      /* --rules: labels of the per-rule numbers; NULL: none */
    size_t n_rules;
    bool internal;                 /* internal topics in use (the internal_* numbers) */
    const sw_metrics_family *families; /* --rules: the key families, labels of the per-family numbers */
    size_t n_families;
} sw_process_metrics;

/* Appends the Prometheus text exposition of everything. */
void sw_metrics_render(sw_buf *out, const sw_process_metrics *pm, const sw_worker_metrics *const *w, int n);

#endif

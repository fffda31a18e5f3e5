/* worker.h -- `sessionwatch run` as a library call: a balanced consumer
 * group of N threads over the input topic, one detector engine per
 * assigned partition, alerts to the alerts topic through one shared
 * idempotent producer, at-least-once offset commits.
 *
 * Threads.  Each of the N threads is one group member (its own rd_kafka_t
 * consumer) and owns its partitions outright: their engines, their ack
 * rings and its sw_parser.  Nothing a thread touches per record is shared,
 * so the hot path has no locks.  The one producer is shared; a thread of
 * its own serves its delivery reports (alert_producer.h).  The calling
 * thread only watches: signals, the status line, --exit-at-end.
 *
 * Internal topics (--rules, ISSUE15).  The threshold rules of a key family
 * (rengine.h) that does not hold key_field cannot run where the input is
 * read: a key's events are spread over its partitions.  So an input
 * partition's detector routes them (sw_rengine_set_route): each matched
 * event goes, as an internal record re-keyed by tenant 0x1F group values,
 * to the family's internal topic (itopics.h), through the same producer and
 * the same ack ring as the record's alerts (its input offset is committed
 * only once they are all acknowledged).  The members subscribe to the
 * input and the internal topics in one group; a partition is a (topic,
 * partition) pair, and an internal partition's detector runs the family's
 * rules on its records (sw_rengine_feed_internal), with its own windows,
 * checkpoints and commits exactly as an input partition's.  Replays (a
 * routing member died before committing) are counted once: see
 * worker_dedup.c.  --stage route / count splits the two over processes.
 *
 * State per partition.  Without internal topics the input is keyed by user
 * (kafka.h), so a user's records are in one partition and one engine sees
 * them all, in order.  An
 * engine is created when its partition is assigned and dropped when it is
 * revoked.  With --state memory a rebalance or restart forgets the window
 * state of the partitions that move.  With --state redis://.. each
 * partition's state is checkpointed to Redis (checkpoint.h) and restored by
 * whoever is assigned it next:
 *   assign:  claim + load the partition's state, then start consuming at
 *            the checkpoint's offset (Kafka's committed offset only when
 *            Redis has none).  A partition whose state cannot be loaded yet
 *            (Redis down) is not consumed until it can be.
 *   every --checkpoint-interval, on revoke and on shutdown: write what
 *            changed, once every alert of the records before the offset is
 *            acknowledged (so a restored state never forgets an alert that
 *            was not delivered).
 *   Redis failing: every partition of the worker is paused (nothing is
 *            processed that could not be checkpointed), the checkpoint is
 *            retried with backoff, and consumption resumes exactly where it
 *            stopped.
 * So every record is counted exactly once in the state, whatever dies.
 *
 * --exit-at-end settles only once every input AND internal partition is at
 * its end with nothing in flight; an internal partition's end is asked of
 * the broker (its high watermark), since records another member routed may
 * be acknowledged but not fetched yet.
 *
 * Commits.  enable.auto.commit is off; each thread commits the commit point
 * of its partitions (alert_producer.h: the oldest record with an
 * unacknowledged alert or dead letter, else the next offset; with Redis
 * state, the checkpointed offset, never past it) every second,
 * asynchronously, and synchronously on revoke, on shutdown and at the end.
 *
 * Stopping (*stop set, --exit-at-end, a failure) is bounded: every wait
 * for acknowledgements (the workers' flush, the partitions' revoke, the
 * producer's) ends SW_STOP_MS after the stop began, whatever is in flight;
 * what is not acknowledged by then is not committed (nor checkpointed) and
 * the next owner reads it again.  Should librdkafka itself hang (closing
 * the consumer), the process exits 15 s later with status 1.
 *
 * The implementation is split by concern over stream/kafka/worker*.c;
 * worker_internal.h lists the files and what they share. */
#ifndef SW_WORKER_H
#define SW_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "detector.h"
#include "itopics.h"
#include "kafka.h"
#include "redis.h"

#define SW_STOP_MS 30000

/* --stage: which topics the members consume (--rules with routed key families). */
typedef enum { SW_STAGE_ALL = 0, SW_STAGE_ROUTE, SW_STAGE_COUNT } sw_stage;

typedef struct {
    const sw_config *cfg;
    /* The rules each partition's detector runs (detector.h): NULL (n_rules
     * 0) the built-in seed rule; else these, which outlive the run, with
     * max_alerts < 0 each rule's max_signals, else this cap for every rule. */
    const sw_rulespec *rules;
    size_t n_rules;
    int64_t max_alerts;
    /* --rules: the field the input is keyed by (NULL: none).  A key
     * family holding it runs where its records are read; every other one
     * goes through its internal topic (itopics.h), named from
     * internal_prefix (NULL: the group), with internal_partitions
     * partitions (0: as the input), consumed in the same group. */
    const char *key_field;
    const char *internal_prefix;
    int internal_partitions;
    sw_stage stage;             /* all: both stages; route: the input only; count: the internal topics only */
    const sw_kafka_opts *kafka;
    const char *topic;          /* input */
    const char *alerts_topic;
    const char *dlq_topic;      /* NULL: rejected records are only counted */
    const char *group;
    int threads;                /* group members in this process, >= 1 */
    bool exit_at_end;           /* stop once every assigned partition is at its end */
    bool summary_json;
    int64_t status_interval_ms; /* 0: no status lines */
    atomic_int *stop;           /* set (e.g. by a signal handler) to shut down cleanly */
    /* Optional observer, called on the worker's thread after each alert is
     * handed to the producer (the demo prints them); must be thread-safe
     * and quick. */
    void (*on_alert)(void *ud, const sw_alert_out *a);
    void *on_alert_ud;
    /* Optional: kept up to date with the partitions assigned to this
     * process's members, and with how many members hold at least one (the
     * demo waits for the group to settle before producing). */
    atomic_uint *assigned;
    atomic_uint *members_assigned;
    /* Window state: NULL keeps it in memory only; else checkpoints go to
     * this Redis every checkpoint_interval_ms, with keys living state_ttl_ms. */
    const sw_redis_target *state;
    int64_t checkpoint_interval_ms;
    int64_t state_ttl_ms;
    /* With Redis state: a checkpoint counts (Kafka offsets are committed up
     * to it) only once WAIT says this many replicas have it; 0: at once. */
    int state_replicas;
    /* HOST:PORT to serve /metrics (Prometheus), /healthz and /readyz on;
     * NULL: none. */
    const char *metrics_addr;
} sw_run_opts;

/* --rules: the key families of o's rules (rengine.h), in family order:
 * each one's name, whether it is routed (it does not hold o->key_field)
 * and its internal topic's name (itopics.h; from o->internal_prefix, else
 * o->group).  *out is the caller's to free; 0, or -1 out of memory. */
typedef struct {
    char name[1024];
    char topic[SW_ITOPIC_NAME_CAP];
    bool routed;
} sw_run_family;
int sw_run_families(const sw_run_opts *o, sw_run_family **out, size_t *n);

/* Runs until *o->stop is set, or until the end with exit_at_end; prints
 * the summary on stderr.  0 when every alert was acknowledged and every
 * processed record committed; 1 on an error (reported on stderr). */
int sw_run(const sw_run_opts *o);

/* sw_run on a thread of its own (demo, benchmarks): start it with
 * pthread_create(&tid, NULL, sw_run_thread_main, &t); t.status holds
 * sw_run's result after the join. */
typedef struct {
    sw_run_opts opts;
    int status;
} sw_run_thread;
void *sw_run_thread_main(void *arg);

#endif

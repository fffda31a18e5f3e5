/* alert_producer.h -- the one idempotent producer that `run` writes alerts
 * and dead letters with, and the acknowledgement tracking that decides
 * which input offsets may be committed.
 *
 * At-least-once: an input record's offset is committed only once every
 * message it caused (alerts, dead letters) has been acknowledged by the
 * broker.  Each partition owns an sw_acks: a fixed ring of the records that
 * have outputs in flight, in offset order, each with an atomic count of its
 * unacknowledged outputs.  The owning worker appends and pops; the producer
 * thread, which serves delivery reports, only decrements a count.  So the
 * hand-off from the producer thread to the owner is one atomic decrement per
 * message, and the owner's hot path takes no lock.  The commit point is the
 * offset of the oldest record with a nonzero count, else the next offset to
 * consume.
 *
 * An sw_acks is reference counted (one reference for its owner, one per
 * message in flight), so a partition revoked while messages are still being
 * retried can be dropped by its owner and is freed by the last delivery
 * report.
 *
 * Transient delivery failures are retried with the same bytes (same key,
 * value and headers, so the same alert_id) every second, counted and
 * logged: librdkafka already retries retriable errors inside
 * message.timeout.ms, this covers what it gives up on.  A failure that
 * re-sending cannot cure (the message is too large or invalid) must not
 * block its partition for ever: the message goes to the dead-letter topic,
 * or is dropped, counted and logged, and counts as acknowledged.  The
 * retry list is the only lock, and it is taken only on failures.  A fatal
 * producer error (the idempotent producer cannot continue) stops retrying;
 * the caller sees sw_producer_fatal() and must stop committing. */
#ifndef SW_ALERT_PRODUCER_H
#define SW_ALERT_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

typedef struct sw_acks sw_acks;
typedef struct sw_pending sw_pending;
typedef struct sw_producer sw_producer;

/* Records with outputs in flight that one partition may hold; when full,
 * the worker waits for acknowledgements (backpressure). */
#define SW_ACKS_CAP 4096

/* A new ring owned by the caller; NULL when out of memory. */
sw_acks *sw_acks_new(void);
/* The owner lets go; the ring is freed when no message refers to it. */
void sw_acks_release(sw_acks *a);
/* Owner: counts one more output of the record at offset (records must come
 * in increasing offset order) and returns the token to send it with; NULL
 * when the ring is full. */
sw_pending *sw_acks_hold(sw_acks *a, int64_t offset);
/* Owner: drops acknowledged records from the front; returns the offset of
 * the oldest record still waiting, or next when none is. */
int64_t sw_acks_commit_point(sw_acks *a, int64_t next);
/* Owner: records still waiting (after sw_acks_commit_point). */
uint32_t sw_acks_waiting(const sw_acks *a);

typedef struct {
    const char *name;
    const char *value;
    size_t len;
} sw_header;

/* Starts the producer (sw_kafka_producer, which owns conf from here on)
 * and the thread that serves its delivery reports.  NULL with err. */
sw_producer *sw_producer_start(rd_kafka_conf_t *conf, char *err, size_t errlen);

/* Sends one message (copied) whose acknowledgement releases token.  A
 * transient error now is retried later like a failed delivery; one that
 * re-sending cannot cure goes where sw_producer_set_dead_letters says. */
void sw_producer_send(sw_producer *p, sw_pending *token, const char *topic, const void *key,
                      size_t key_len, const void *value, size_t value_len, const sw_header *h,
                      size_t nh);

/* Delivery errors that re-sending cannot cure (the message itself is
 * refused), by reason. */
enum { SW_UNDELIVERABLE_TOO_LARGE, SW_UNDELIVERABLE_INVALID, SW_UNDELIVERABLE_COUNT };
/* "message_too_large", "invalid_record": the metrics' reason label. */
const char *sw_undeliverable_name(int reason);
/* Longest message key sent; longer keys are cut. */
#define SW_MAX_KEY_BYTES 4096

/* Where a message refused for good goes: with a topic, there (with
 * headers reason=undeliverable, error, original_topic); NULL (the
 * default), nowhere: it is dropped with an error log.  Either way it counts
 * as acknowledged, so its record is committed.  Call before sending; -1 when
 * out of memory. */
int sw_producer_set_dead_letters(sw_producer *p, const char *topic);
/* Messages refused for good so far, by reason: sent to the dead-letter
 * topic instead, or dropped. */
uint64_t sw_producer_undeliverable(const sw_producer *p, int reason, bool dead_lettered);

/* Most bytes a message value may have (the producer's message.max.bytes
 * less room for key and headers); the DLQ cuts longer records. */
size_t sw_producer_max_value(const sw_producer *p);

bool sw_producer_fatal(const sw_producer *p);
/* Delivery failures so far (transient ones retried, the others given up). */
uint64_t sw_producer_failures(const sw_producer *p);
/* Messages sent and not yet acknowledged (in librdkafka or waiting to be retried). */
uint64_t sw_producer_inflight(const sw_producer *p);

/* How long messages have been in flight with none acknowledged (0 when
 * none is in flight): a delivery stuck on a transient error shows here. */
int64_t sw_producer_stalled_ms(const sw_producer *p);

/* Stops the thread and destroys the producer, waiting up to timeout_ms for
 * messages in flight; returns how many were never acknowledged. */
uint64_t sw_producer_stop(sw_producer *p, int timeout_ms);

#endif

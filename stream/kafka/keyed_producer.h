/* keyed_producer.h -- Okta records in, Kafka records keyed by user out: the
 * one produce path of `replay`, `gen --brokers` and `repartition`.
 *
 * Each input record (an NDJSON line or a Kafka message) is extracted once
 * and becomes one Kafka record per event: a JSON array (an Okta API page)
 * is split into its elements, each produced as its own JSON text
 * (sw_event.raw), so that every event of one user lands in the partition of
 * its key (kafka.h: tenant 0x1F actor id) and keeps its order there (the
 * producer is idempotent, so retries keep it too).  Values are copied by
 * librdkafka (RD_KAFKA_MSG_F_COPY); the key is built in one reused buffer,
 * so nothing here allocates per record.
 *
 * Two modes:
 *   SW_KP_EVERY_EVENT    (replay, gen) everything is produced.  A record that
 *                        cannot be keyed (does not parse, no actor id
 *                        string, tenant field of the wrong type) is produced
 *                        whole with a NULL key and counted by reason; only
 *                        records over the size limits are rejected.
 *   SW_KP_ELIGIBLE_ONLY  (repartition) only events the rule's query accepts
 *                        (prefilter, then sw_rule_check, then the tenant
 *                        type check, as the engine does) are produced; the
 *                        rest are dropped and counted by reason.  Lateness
 *                        is stateful and stays in `run`.
 *
 * Failures (a record librdkafka refuses, a delivery report with an error)
 * are counted; the first few are printed with what to do. */
#ifndef SW_KEYED_PRODUCER_H
#define SW_KEYED_PRODUCER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>

#include "config.h"
#include "kafka.h"
#include "rule.h"

typedef enum { SW_KP_EVERY_EVENT, SW_KP_ELIGIBLE_ONLY } sw_kp_mode;

typedef struct sw_kp sw_kp;

/* What a keyed producer counts; written only on its caller's thread. */
typedef struct {
    uint64_t records;   /* input records (lines, messages) */
    uint64_t events;    /* events in the records that parsed */
    uint64_t produced;  /* Kafka records handed to librdkafka */
    uint64_t unkeyed;   /* of those, produced with a NULL key */
    uint64_t delivered; /* acknowledged by the brokers */
    uint64_t failed;    /* refused by librdkafka or not delivered */
    uint64_t unkeyed_why[SW_VERDICT_COUNT]; /* why a record had no key */
    uint64_t dropped[SW_VERDICT_COUNT];     /* not produced, by reason */
} sw_kp_counters;

/* An idempotent producer to topic, configured from k (sw_kafka_conf).  cfg
 * (tenant, tenant field, record limit, rule) must outlive it; cmd names
 * the subcommand in messages.  NULL with err. */
sw_kp *sw_kp_new(const sw_kafka_opts *k, const char *topic, const sw_config *cfg, sw_kp_mode mode,
                 const char *cmd, char *err, size_t errlen);
/* Paces production to about per_second Kafka records a second (0: no limit). */
void sw_kp_set_rate(sw_kp *kp, uint64_t per_second);

/* One record; rec[0 .. cap) readable, cap >= len.  kafka_time_ms is the
 * input message's timestamp (SW_TIME_NONE for a file): the rule sees it for
 * --time-field kafka, and the output records carry it.  0, or -1 when the
 * producer has failed fatally (stop feeding it). */
int sw_kp_record(sw_kp *kp, const char *rec, size_t len, size_t cap, int64_t kafka_time_ms);
/* Every NDJSON line of fd (lines.h: same limits as scan) until end of input:
 * 0; -1 on a read error (errno set); -2 when the producer failed fatally. */
int sw_kp_lines(sw_kp *kp, int fd);

/* Waits until every produced record is delivered or has failed (bounded
 * by message.timeout.ms); returns the failures so far. */
uint64_t sw_kp_flush(sw_kp *kp);

/* A copy of the counters, and whether the producer failed fatally; on the
 * caller's thread (publish the copy for another thread to read). */
void sw_kp_counts(const sw_kp *kp, sw_kp_counters *out, bool *fatal);

/* Destroys without flushing (flush first). */
void sw_kp_free(sw_kp *kp);

/* The end of a producing command: flushes, prints the summary on stderr
 * (records read, events, produced, unkeyed by reason, delivered, failed,
 * dropped by reason, elapsed since t0 = sw_mono_s() of clock.h; --summary json: one
 * JSON line), frees kp, and returns the exit status: status, or 1 if it
 * was 0 and any record failed. */
int sw_kp_finish(sw_kp *kp, bool json_summary, double t0, int status);


#endif

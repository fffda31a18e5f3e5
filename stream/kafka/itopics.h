/* itopics.h -- the internal repartition topics of `run --rules`: one per
 * key family (rengine.h) of the loaded threshold rules, as Kafka Streams
 * makes one per groupBy.  The routing stage produces each routed event,
 * re-keyed by `tenant 0x1F group values`, to its family's topic; the
 * stateful stage consumes it in the same consumer group, so every event
 * of one key reaches one partition and one engine, whatever the input
 * topic is keyed by.
 *
 * Names.  "<prefix>-by-<field>[-<field>..]": the prefix is the consumer
 * group unless --internal-prefix says otherwise; the family's fields in
 * its order, joined by '-' ('+' of the family name is not legal in a
 * topic name).  Any character Kafka refuses becomes '_'; a name longer
 * than Kafka's 249 characters is cut and ends in '-' and 8 hex digits of
 * a hash of the whole name, so two families never share a topic.
 *
 * Partition counts.  A family's windows are keyed by hash(key) modulo the
 * topic's partition count: an existing topic whose count is not the one
 * asked for would re-key them, so it is refused with what to do (Kafka
 * Streams' rule), with one exception below.
 *
 * Creation.  A missing topic is created with CreateTopics (want
 * partitions, the brokers' default replication factor).  Brokers that
 * cannot create a topic with a partition count (no CreateTopics API, as
 * librdkafka's mock, which `mock-broker` runs; or older than Kafka 2.4,
 * which cannot take the default replication factor) create it on first
 * use instead, with their own count (the mock: 4).  On such brokers, and
 * only when want is 0 (no --internal-partitions), the count the topic has
 * is accepted whatever it is (t[i].broker_count, sw_itopics_note says it):
 * every member decides from the same facts (the brokers' ability, the
 * topic's count, want), so members starting at once agree, whichever of
 * them the brokers created it for.  An explicit want is always enforced. */
#ifndef SW_ITOPICS_H
#define SW_ITOPICS_H

#include <stdbool.h>
#include <stddef.h>

#include "kafka.h"

#define SW_ITOPIC_NAME_CAP 250 /* 249 characters and the NUL */

/* The internal topic of a key family (sw_rengine_family_name) into buf
 * (cap >= SW_ITOPIC_NAME_CAP); its length. */
size_t sw_itopic_name(const char *prefix, const char *family, char *buf, size_t cap);

typedef struct {
    char name[SW_ITOPIC_NAME_CAP];
    int partitions;    /* out: its partition count */
    bool created;      /* out: missing, then created at this call's request (another
                        * member's identical request may have landed first) */
    int want;          /* out: the count asked for (the input topic's when want was 0) */
    bool broker_count; /* out: partitions != want, kept because want was 0 and the
                        * brokers cannot create topics with a partition count */
} sw_itopic;

/* Makes sure each of the n internal topics exists with `want` partitions
 * (want 0: as many as the input topic has; > 0: --internal-partitions,
 * always enforced), creating the missing ones, and sets t[i]'s out fields.
 * 0, or -1 with err saying what is wrong and what to do (a topic with
 * another partition count, a topic that cannot be created, brokers that
 * do not answer within timeout_ms).  Logs nothing: the caller logs
 * sw_itopics_note. */
int sw_itopics_ensure(const sw_kafka_opts *k, const char *input, int want, sw_itopic *t, size_t n, int timeout_ms,
                      char *err, size_t errlen);

/* After a successful sw_itopics_ensure: the one line to log about the
 * topics kept with the brokers' count (broker_count) into buf; its length,
 * 0 (buf "") when there is nothing to say. */
size_t sw_itopics_note(const sw_itopic *t, size_t n, char *buf, size_t cap);

#endif

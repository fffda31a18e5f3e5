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
 * asked for would re-key them, so it is refused with what to do. */
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
    int partitions; /* out: its partition count */
    bool created;   /* out: created by this call */
} sw_itopic;

/* Makes sure each of the n internal topics exists with `want` partitions
 * (want 0: as many as the input topic has) and sets t[i].partitions.
 * 0, or -1 with err saying what is wrong and what to do (a topic with
 * another partition count, a topic that cannot be created, brokers that
 * do not answer within timeout_ms). */
int sw_itopics_ensure(const sw_kafka_opts *k, const char *input, int want, sw_itopic *t, size_t n, int timeout_ms,
                      char *err, size_t errlen);

#endif

/* kafka.h -- what every Kafka front end shares: building a librdkafka
 * configuration from --brokers, -X key=value and the environment, and the
 * record key that partitions the stream by user.  The alert producer is
 * alert_producer.h; the flags that fill sw_kafka_opts are the CLI's (cli.h).
 *
 * Configuration precedence: -X on the command line, then the environment,
 * then librdkafka's defaults.  Any librdkafka property can be set from the
 * environment as SESSIONWATCH_KAFKA_<PROPERTY> with dots as underscores and
 * upper case (SESSIONWATCH_KAFKA_SASL_PASSWORD=... sets sasl.password), so
 * secrets never need to be on a command line.  Secrets are never printed
 * (kafka_props.h says which values are secret).  Each client is given only
 * the properties that apply to its type (consumer or producer, by
 * librdkafka's own table, kafka_props.h), so one -X list serves a
 * process's consumers and producers without configuration warnings.
 *
 * The user key: every record of one user must land in one partition so
 * that one worker owns that user's window state.  The key is the bytes
 *     tenant 0x1F actor_id
 * (0x1F is the ASCII unit separator; the tenant is "" by default, so a
 * single-tenant key is 0x1F + actor id).  The same key is used on input
 * topics (replay, repartition) and on the alerts topic. */
#ifndef SW_KAFKA_H
#define SW_KAFKA_H

#include <stdbool.h>
#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "jsonw.h"
#include "kafka_props.h"

#define SW_KAFKA_CONF_DOC "https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md"
#define SW_KAFKA_MAX_PROPS 64
#define SW_KAFKA_KEY_MAX 128 /* longest property name + 1; librdkafka's are < 64 */

/* Zero-initialise.  props[i][0] points into keys[] (argv is never written
 * to), so an sw_kafka_opts must not be copied by value once filled. */
typedef struct {
    const char *brokers;                 /* --brokers (SESSIONWATCH_BROKERS is read by sw_kafka_conf) */
    const char *props[SW_KAFKA_MAX_PROPS][2]; /* -X key=value, in order */
    size_t n_props;
    char keys[SW_KAFKA_MAX_PROPS][SW_KAFKA_KEY_MAX];
} sw_kafka_opts;

/* A configuration for a client of this type (RD_KAFKA_CONSUMER or
 * RD_KAFKA_PRODUCER) with, in this order (later wins): client.id=sessionwatch,
 * SESSIONWATCH_BROKERS, every SESSIONWATCH_KAFKA_* variable, --brokers, and
 * the -X properties; of the last two sources only the properties that apply
 * to the type (sw_kafka_prop_applies).  NULL with a message in err (naming
 * the property, where it came from and what librdkafka said, secret values
 * masked) on a bad property, or when no source set bootstrap.servers. */
rd_kafka_conf_t *sw_kafka_conf(const sw_kafka_opts *k, rd_kafka_type_t type, char *err, size_t errlen);

/* Sets key=val unless -X or the environment set key: a front end's default
 * that the user may still override.  0, or -1 with err. */
int sw_kafka_conf_default(rd_kafka_conf_t *conf, const sw_kafka_opts *k, const char *key,
                          const char *val, char *err, size_t errlen);

/* What a metadata reply says of one topic: listed with partitions
 * (EXISTS), listed as unknown to the broker (MISSING), or anything else:
 * not listed, not authorized, no leader yet (UNDECIDED: not for a start-up
 * check to judge; the client keeps trying). */
typedef enum { SW_TOPIC_UNDECIDED = 0, SW_TOPIC_EXISTS, SW_TOPIC_MISSING } sw_topic_state;
sw_topic_state sw_kafka_topic_state(const struct rd_kafka_metadata *md, const char *topic);

/* Asks the brokers about each topic as a producer with this configuration
 * would (with its allow.auto.create.topics, true by default for producers,
 * so a broker that creates topics on first use creates it now, as the
 * first produce would).  -1 with err naming the first topic the brokers
 * report unknown and saying to create it; else 0, also when the brokers
 * could not be asked within timeout_ms (librdkafka then keeps trying). */
int sw_kafka_check_topics(const sw_kafka_opts *k, const char *const *topics, size_t n, int timeout_ms, char *err,
                          size_t errlen);

/* Kafka's rule for a topic name: 1 to 249 of [A-Za-z0-9._-], not "." or "..". */
bool sw_kafka_topic_name_ok(const char *topic);

/* Appends the user key (tenant 0x1F actor) to b. */
void sw_user_key(sw_buf *b, const char *tenant, size_t tenant_len, const char *actor, size_t actor_len);

/* rd_kafka_new() that takes conf in every case: NULL with err ("cannot
 * create a Kafka consumer: librdkafka says: ..."), every secret value of
 * conf masked in librdkafka's message. */
rd_kafka_t *sw_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *err, size_t errlen);

/* An idempotent producer (enable.idempotence=true, acks=all, always: the
 * per-user order across retries depends on it) with the given
 * delivery-report callback.  Takes ownership of conf.  NULL with err. */
rd_kafka_t *sw_kafka_producer(rd_kafka_conf_t *conf,
                              void (*dr_msg_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                              char *err, size_t errlen);

#endif

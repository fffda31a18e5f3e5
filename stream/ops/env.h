/* env.h -- the names settings have in the environment, defined once:
 *   --check-interval  <->  SESSIONWATCH_CHECK_INTERVAL   (upper case, '-' as '_')
 *   sasl.password     <->  SESSIONWATCH_KAFKA_SASL_PASSWORD (upper case, '.' as '_')
 * The settings table (settings.c), the Kafka configuration (kafka.c) and
 * `config print` all go through these, so the mapping cannot drift. */
#ifndef SW_ENV_H
#define SW_ENV_H

#include <stdbool.h>
#include <stddef.h>

#define SW_ENV_PREFIX "SESSIONWATCH_"
#define SW_ENV_KAFKA_PREFIX "SESSIONWATCH_KAFKA_"
#define SW_ENV_CONFIG SW_ENV_PREFIX "CONFIG"   /* the --config file when the flag is absent */
#define SW_ENV_BROKERS SW_ENV_PREFIX "BROKERS" /* --brokers, also read by kafka.c for every client */

/* The variable of a flag ("--state-ttl" -> SESSIONWATCH_STATE_TTL).  false
 * when it does not fit in len. */
bool sw_env_of_flag(const char *flag, char *out, size_t len);
/* The variable of a librdkafka property (sasl.password ->
 * SESSIONWATCH_KAFKA_SASL_PASSWORD).  false when it does not fit. */
bool sw_env_of_kafka_prop(const char *prop, char *out, size_t len);
/* For an environ entry "SESSIONWATCH_KAFKA_SASL_PASSWORD=v": the property
 * (sasl.password, cut to len - 1 bytes), its value and the variable's name
 * length; false for any other entry. */
bool sw_env_kafka_entry(const char *entry, char *prop, size_t len, const char **value, size_t *name_len);

#endif

/* kafka_props.h -- what sessionwatch knows about one librdkafka property
 * name: which kind of client it applies to, and whether its value may be
 * printed.
 *
 * Applies to: taken from librdkafka's own property table (the C/P column
 * of CONFIGURATION.md, which rd_kafka_conf_properties_show() prints for
 * the installed library), read once per process.  A process builds
 * consumers and producers from the same -X list; handing a consumer-only
 * property to a producer makes librdkafka warn (CONFWARN) on every start,
 * so each property goes only to the clients it applies to.  A name the
 * table does not list (a hidden property, or a typo) goes to every client,
 * so that librdkafka's own error names it.
 *
 * Secret: a value is echoed (config print, error messages) only for a
 * property librdkafka knows that cannot hold a credential.  Masked are
 *   - librdkafka's sensitive properties (_RK_SENSITIVE in its source, the
 *     ones its debug=conf dump prints as [redacted]); tests/kafka/test_kafka_tools.c
 *     compares this list with the installed library's at run time;
 *   - the properties whose value can hold a credential although librdkafka
 *     does not redact them (the OIDC client secret, SASL extensions, the
 *     token endpoint URL, Kerberos keytab and kinit command, the keystore);
 *   - any name holding password, secret, token, jaas or credential; and
 *   - any name the table does not list: it may be a Java client property
 *     such as sasl.jaas.config (whose value holds a password) or a
 *     mistyped secret. */
#ifndef SW_KAFKA_PROPS_H
#define SW_KAFKA_PROPS_H

#include <stdbool.h>
#include <stddef.h>

#include <librdkafka/rdkafka.h>

typedef enum {
    SW_PROP_UNKNOWN = 0,  /* not in librdkafka's table */
    SW_PROP_CONSUMER = 1, /* C */
    SW_PROP_PRODUCER = 2, /* P */
    SW_PROP_ANY = 3       /* * */
} sw_prop_scope;

/* The scope of a property name (exact, as librdkafka compares names). */
sw_prop_scope sw_kafka_prop_scope(const char *name);

/* Should a client of this type be given the property?  Unknown names:
 * yes (librdkafka then refuses them by name). */
bool sw_kafka_prop_applies(const char *name, rd_kafka_type_t type);

/* True if the property's value must never be printed (see above). */
bool sw_kafka_prop_is_secret(const char *name);

/* The i-th property of librdkafka's table (global, then topic), or NULL
 * past the end; *scope receives its scope.  For tests and diagnostics. */
const char *sw_kafka_prop_at(size_t i, sw_prop_scope *scope);

#endif

/* kafka_props.c -- see kafka_props.h.  The table is read from the library
 * itself rather than copied here, so that an upgrade of librdkafka that
 * adds or moves a property is followed without a code change; it is parsed
 * once (pthread_once) into a fixed array and only read afterwards. */
#include "kafka_props.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROPS 512
#define NAME_MAX_LEN 64

static struct {
    char name[NAME_MAX_LEN];
    sw_prop_scope scope;
} table[MAX_PROPS];
static size_t n_table;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

/* One row of the table: "name   |  C  | range | default | ..".  Headers,
 * separators and section titles do not parse as a row. */
static void add_row(const char *line) {
    size_t len = strcspn(line, " |");
    const char *bar = strchr(line, '|');
    if (len == 0 || len >= NAME_MAX_LEN || !bar || n_table == MAX_PROPS) return;
    if (strncmp(line, "Property", len) == 0 || line[0] == '-' || line[0] == '#') return;
    const char *c = bar + 1;
    while (*c == ' ') c++;
    sw_prop_scope scope = *c == 'C' ? SW_PROP_CONSUMER : *c == 'P' ? SW_PROP_PRODUCER : *c == '*' ? SW_PROP_ANY
                                                                                                  : SW_PROP_UNKNOWN;
    if (scope == SW_PROP_UNKNOWN || (c[1] != ' ' && c[1] != '|')) return; /* "C/P" is the header */
    memcpy(table[n_table].name, line, len);
    table[n_table].name[len] = '\0';
    table[n_table].scope = scope;
    n_table++;
}

static void load_table(void) {
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f) return; /* no table: every property goes everywhere, every value is masked */
    rd_kafka_conf_properties_show(f);
    if (fclose(f) != 0 || !text) {
        free(text);
        return;
    }
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        add_row(line);
    }
    free(text);
}

sw_prop_scope sw_kafka_prop_scope(const char *name) {
    pthread_once(&table_once, load_table);
    for (size_t i = 0; i < n_table; i++)
        if (strcmp(table[i].name, name) == 0) return table[i].scope;
    return SW_PROP_UNKNOWN;
}

bool sw_kafka_prop_applies(const char *name, rd_kafka_type_t type) {
    sw_prop_scope s = sw_kafka_prop_scope(name);
    if (s == SW_PROP_UNKNOWN || s == SW_PROP_ANY) return true;
    return s == (type == RD_KAFKA_CONSUMER ? SW_PROP_CONSUMER : SW_PROP_PRODUCER);
}

const char *sw_kafka_prop_at(size_t i, sw_prop_scope *scope) {
    pthread_once(&table_once, load_table);
    if (i >= n_table) return NULL;
    if (scope) *scope = table[i].scope;
    return table[i].name;
}

bool sw_kafka_prop_is_secret(const char *name) {
    static const char *const exact[] = {
        /* librdkafka 2.0.2's _RK_SENSITIVE properties (src/rdkafka_conf.c;
         * the settable ones are checked against the library by
         * tests/kafka/test_kafka_tools.c).  ssl_key is internal, set by API. */
        "ssl.key.location", "ssl.key.password", "ssl.key.pem", "ssl_key", "ssl.ca.pem",
        "ssl.keystore.password", "sasl.username", "sasl.password", "sasl.oauthbearer.config",
        /* Not redacted by librdkafka, but able to hold a credential. */
        "sasl.oauthbearer.client.secret", "sasl.oauthbearer.extensions", "sasl.oauthbearer.token.endpoint.url",
        "sasl.kerberos.keytab", "sasl.kerberos.kinit.cmd", "ssl.keystore.location"};
    static const char *const words[] = {"password", "secret", "token", "jaas", "credential", "passwd"};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strcmp(name, exact[i]) == 0) return true;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasestr(name, words[i])) return true;
    return sw_kafka_prop_scope(name) == SW_PROP_UNKNOWN;
}

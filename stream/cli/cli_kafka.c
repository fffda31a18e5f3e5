/* cli_kafka.c -- the Kafka flags every Kafka subcommand shares (--brokers,
 * -X in its three spellings, topic names), declared once as a settings
 * table (settings.h) from which their parsing and help come, and the
 * [kafka] section of `config print`.  The flags only fill an
 * sw_kafka_opts; kafka.c turns it into a librdkafka configuration, so the
 * Kafka layer never sees an argument list. */
#include "cli.h"

#include <stddef.h>
#include <string.h>

#include "env.h"

#define CONF_DOC SW_KAFKA_CONF_DOC

/* -X KEY=VALUE: appends to the sw_kafka_opts at field. */
static int add_prop(void *field, const char *kv, char *why, size_t len) {
    sw_kafka_opts *k = field;
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        /* The argument is echoed only when it cannot be a mistyped secret. */
        snprintf(why, len, "-X '%s': expected KEY=VALUE (e.g. -X security.protocol=SASL_SSL)",
                 eq || sw_kafka_prop_is_secret(kv) ? "..." : kv);
        return -1;
    }
    size_t n = (size_t)(eq - kv);
    if (n >= SW_KAFKA_KEY_MAX) {
        snprintf(why, len, "-X: a property name of %zu bytes is not a librdkafka property", n);
        return -1;
    }
    if (k->n_props == SW_KAFKA_MAX_PROPS) {
        snprintf(why, len, "-X: at most %d properties", SW_KAFKA_MAX_PROPS);
        return -1;
    }
    char *key = k->keys[k->n_props];
    memcpy(key, kv, n);
    key[n] = '\0';
    k->props[k->n_props][0] = key;
    k->props[k->n_props][1] = eq + 1;
    k->n_props++;
    return 0;
}

const sw_setting sw_cli_kafka_rows[2] = {
    {.flag = "--brokers", .type = SW_SET_STRING, .metavar = "HOST:PORT[,..]",
     .offset = offsetof(sw_kafka_opts, brokers),
     .help = "bootstrap servers (default: $SESSIONWATCH_BROKERS)"},
    /* Not a [run] key and not SESSIONWATCH_X: the file's [kafka] section
     * and SESSIONWATCH_KAFKA_<PROPERTY> (env.h) are its other sources. */
    {.flag = "-X", .type = SW_SET_CUSTOM, .metavar = "KEY=VALUE", .set = add_prop,
     .flags = SW_SET_REPEATABLE | SW_SET_NO_ENV | SW_SET_NO_FILE,
     .help = "set any librdkafka property, repeatable; also -XKEY=VALUE\n"
             "(e.g. -X security.protocol=SASL_SSL -X sasl.mechanism=PLAIN);\n"
             "every property is described in"},
};

const char sw_cli_kafka_trailer[] =
    "      " CONF_DOC "\n"
    "  environment               " SW_ENV_KAFKA_PREFIX "<PROPERTY> sets a property, upper case with\n"
    "                            '_' for '.' (" SW_ENV_KAFKA_PREFIX "SASL_PASSWORD=.. sets\n"
    "                            sasl.password), so secrets stay off the command line;\n"
    "                            -X and --brokers win over the environment.  Secret values\n"
    "                            are never printed\n";

int sw_cli_kafka_option(sw_kafka_opts *k, sw_args *a) {
    const sw_setting_group g[] = {SW_CLI_KAFKA_GROUP(0)};
    return sw_settings_match(g, 1, k, a->cmd, a->argc, a->argv, &a->i);
}

int sw_cli_set_topic(void *field, const char *v, char *why, size_t len) {
    (void)why, (void)len;
    if (!sw_kafka_topic_name_ok(v)) return -1;
    *(const char **)field = v;
    return 0;
}

int sw_cli_topic_option(sw_args *a, const char *name, const char **topic) {
    int r = sw_arg_value(a, name, topic);
    if (r > 0 && !sw_kafka_topic_name_ok(*topic)) {
        sw_cli_error(a->cmd, "%s: '%.300s' is not " SW_CLI_TOPIC_WANT, name, *topic);
        return -1;
    }
    return r;
}

void sw_cli_kafka_help(FILE *out) {
    const sw_setting_group g[] = {SW_CLI_KAFKA_GROUP(0)};
    sw_settings_help(g, 1, out);
}

/* Which clients a Kafka property goes to (kafka_props.h). */
static const char *for_clients(const char *name, const char *producer) {
    switch (sw_kafka_prop_scope(name)) {
    case SW_PROP_CONSUMER: return "the consumers";
    case SW_PROP_PRODUCER: return producer;
    case SW_PROP_ANY: return "every client";
    default: return "every client (librdkafka does not list it)";
    }
}

void sw_cli_kafka_print(const sw_kafka_opts *k, const char *producer, FILE *out) {
    fprintf(out, "[kafka]\n");
    for (size_t i = 0; i < k->n_props; i++)
        fprintf(out, "%-24s = %-30s ; for %s\n", k->props[i][0],
                sw_kafka_prop_is_secret(k->props[i][0]) ? "***" : k->props[i][1],
                for_clients(k->props[i][0], producer));
    extern char **environ;
    for (char **e = environ; *e; e++) {
        char name[SW_KAFKA_KEY_MAX];
        const char *v;
        size_t name_len;
        if (!sw_env_kafka_entry(*e, name, sizeof name, &v, &name_len)) continue;
        fprintf(out, "%-24s = %-30s ; %.*s, for %s\n", name, sw_kafka_prop_is_secret(name) ? "***" : v,
                (int)name_len, *e, for_clients(name, producer));
    }
}

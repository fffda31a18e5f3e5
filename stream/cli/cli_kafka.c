/* cli_kafka.c -- the Kafka flags every Kafka subcommand shares (--brokers,
 * -X in its three spellings, topic names) and their help.  The flags only
 * fill an sw_kafka_opts; kafka.c turns it into a librdkafka configuration,
 * so the Kafka layer never sees an argument list. */
#include "cli.h"

#include <string.h>

#define CONF_DOC SW_KAFKA_CONF_DOC

static int add_prop(sw_kafka_opts *k, sw_args *a, const char *kv) {
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        /* The argument is echoed only when it cannot be a mistyped secret. */
        sw_cli_error(a->cmd, "-X '%s': expected KEY=VALUE (e.g. -X security.protocol=SASL_SSL)",
                     eq || sw_kafka_prop_is_secret(kv) ? "..." : kv);
        return -1;
    }
    size_t n = (size_t)(eq - kv);
    if (n >= SW_KAFKA_KEY_MAX) {
        sw_cli_error(a->cmd, "-X: a property name of %zu bytes is not a librdkafka property", n);
        return -1;
    }
    if (k->n_props == SW_KAFKA_MAX_PROPS) {
        sw_cli_error(a->cmd, "-X: at most %d properties", SW_KAFKA_MAX_PROPS);
        return -1;
    }
    char *key = k->keys[k->n_props];
    memcpy(key, kv, n);
    key[n] = '\0';
    k->props[k->n_props][0] = key;
    k->props[k->n_props][1] = eq + 1;
    k->n_props++;
    return 1;
}

int sw_cli_kafka_option(sw_kafka_opts *k, sw_args *a) {
    const char *arg = a->argv[a->i];
    int r = sw_arg_value(a, "--brokers", &k->brokers);
    if (r != 0) return r;
    if (strncmp(arg, "-X", 2) != 0) return 0;
    if (arg[2] == '\0') {
        if (a->i + 1 >= a->argc) {
            sw_cli_error(a->cmd, "-X needs KEY=VALUE");
            return -1;
        }
        a->i += 2;
        return add_prop(k, a, a->argv[a->i - 1]);
    }
    a->i++;
    return add_prop(k, a, arg[2] == '=' ? arg + 3 : arg + 2);
}

int sw_cli_topic_option(sw_args *a, const char *name, const char **topic) {
    int r = sw_arg_value(a, name, topic);
    if (r > 0 && !sw_kafka_topic_name_ok(*topic)) {
        sw_cli_error(a->cmd, "%s: '%.300s' is not a Kafka topic name (1 to 249 of A-Z a-z 0-9 . _ -)", name, *topic);
        return -1;
    }
    return r;
}

void sw_cli_kafka_help(FILE *out) {
    fputs("Kafka:\n"
          "  --brokers HOST:PORT[,..]  bootstrap servers (default: $SESSIONWATCH_BROKERS)\n"
          "  -X KEY=VALUE              set any librdkafka property, repeatable; also -XKEY=VALUE\n"
          "                            (e.g. -X security.protocol=SASL_SSL -X sasl.mechanism=PLAIN);\n"
          "                            every property is described in\n"
          "      " CONF_DOC "\n"
          "  environment               SESSIONWATCH_KAFKA_<PROPERTY> sets a property, upper case with\n"
          "                            '_' for '.' (SESSIONWATCH_KAFKA_SASL_PASSWORD=.. sets\n"
          "                            sasl.password), so secrets stay off the command line;\n"
          "                            -X and --brokers win over the environment.  Secret values\n"
          "                            are never printed\n", out);
}

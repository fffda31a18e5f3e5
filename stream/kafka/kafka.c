/* kafka.c -- see kafka.h.  Owns the one path from flags and environment to
 * a librdkafka configuration, so that every front end takes the same -X
 * forms, applies them in the same order and words a bad property the same
 * way.  Values are only ever echoed for properties that are not secret, and
 * librdkafka's own message is masked too, because it quotes the value. */
#include "kafka.h"

#include <stdlib.h>
#include <string.h>

#include "env.h"

extern char **environ;

#define CONF_DOC SW_KAFKA_CONF_DOC

/* Copies msg to out with every occurrence of secret replaced by "***". */
static void mask(char *out, size_t outlen, const char *msg, const char *secret) {
    size_t n = strlen(secret), o = 0;
    while (*msg && o + 1 < outlen) {
        if (n && strncmp(msg, secret, n) == 0) {
            for (const char *s = "***"; *s && o + 1 < outlen; s++) out[o++] = *s;
            msg += n;
        } else {
            out[o++] = *msg++;
        }
    }
    out[o] = '\0';
}

/* Sets one property; on failure writes "<origin> (<key>=<value>): librdkafka
 * says ..." to err, with the value hidden for secrets. */
static int set(rd_kafka_conf_t *conf, const char *origin, const char *key, const char *val,
               char *err, size_t errlen) {
    char why[512];
    rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, key, val, why, sizeof why);
    if (r == RD_KAFKA_CONF_OK) return 0;
    bool secret = sw_kafka_prop_is_secret(key);
    char said[512];
    if (secret) mask(said, sizeof said, why, val);
    else snprintf(said, sizeof said, "%s", why);
    snprintf(err, errlen, "%s%s=%s: librdkafka says: %s%s; see " CONF_DOC, origin, key,
             secret ? "***" : val, said,
             r == RD_KAFKA_CONF_UNKNOWN ? " (check the spelling of the property name)" : "");
    return -1;
}

/* Applies every SESSIONWATCH_KAFKA_* variable of the environment that
 * applies to a client of this type. */
static int apply_env(rd_kafka_conf_t *conf, rd_kafka_type_t type, char *err, size_t errlen) {
    for (char **e = environ; e && *e; e++) {
        char key[SW_KAFKA_KEY_MAX], origin[SW_KAFKA_KEY_MAX + 64];
        const char *value;
        size_t name_len;
        if (!sw_env_kafka_entry(*e, key, sizeof key, &value, &name_len)) continue;
        if (!sw_kafka_prop_applies(key, type)) continue;
        snprintf(origin, sizeof origin, "environment %.*s: ", (int)name_len, *e);
        if (set(conf, origin, key, value, err, errlen) != 0) return -1;
    }
    return 0;
}

rd_kafka_conf_t *sw_kafka_conf(const sw_kafka_opts *k, rd_kafka_type_t type, char *err, size_t errlen) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *env_brokers = getenv(SW_ENV_BROKERS);
    int bad = set(conf, "", "client.id", "sessionwatch", err, errlen) ||
              (env_brokers && *env_brokers &&
               set(conf, "environment " SW_ENV_BROKERS ": ", "bootstrap.servers", env_brokers, err, errlen)) ||
              apply_env(conf, type, err, errlen) ||
              (k->brokers && set(conf, "--brokers: ", "bootstrap.servers", k->brokers, err, errlen));
    for (size_t i = 0; !bad && i < k->n_props; i++)
        if (sw_kafka_prop_applies(k->props[i][0], type))
            bad = set(conf, "-X ", k->props[i][0], k->props[i][1], err, errlen);
    size_t n = 0;
    if (!bad && (rd_kafka_conf_get(conf, "bootstrap.servers", NULL, &n) != RD_KAFKA_CONF_OK || n <= 1)) {
        snprintf(err, errlen, "no Kafka brokers: give --brokers HOST:PORT[,HOST:PORT..] or set " SW_ENV_BROKERS);
        bad = 1;
    }
    if (bad) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

int sw_kafka_conf_default(rd_kafka_conf_t *conf, const sw_kafka_opts *k, const char *key,
                          const char *val, char *err, size_t errlen) {
    for (size_t i = 0; i < k->n_props; i++)
        if (strcmp(k->props[i][0], key) == 0) return 0;
    char env[sizeof SW_ENV_KAFKA_PREFIX + SW_KAFKA_KEY_MAX];
    if (sw_env_of_kafka_prop(key, env, sizeof env) && getenv(env)) return 0;
    return set(conf, "", key, val, err, errlen);
}

sw_topic_state sw_kafka_topic_state(const struct rd_kafka_metadata *md, const char *topic) {
    for (int i = 0; md && i < md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *t = &md->topics[i];
        if (!t->topic || strcmp(t->topic, topic) != 0) continue;
        if (t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || t->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
            return SW_TOPIC_MISSING;
        return t->err == RD_KAFKA_RESP_ERR_NO_ERROR && t->partition_cnt > 0 ? SW_TOPIC_EXISTS : SW_TOPIC_UNDECIDED;
    }
    return SW_TOPIC_UNDECIDED;
}

/* The check's own client says nothing: the run's clients log the same
 * connection trouble in the run's log format. */
static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk, (void)level, (void)fac, (void)buf;
}

int sw_kafka_check_topics(const sw_kafka_opts *k, const char *const *topics, size_t n, int timeout_ms, char *err,
                          size_t errlen) {
    char why[512];
    rd_kafka_conf_t *conf = sw_kafka_conf(k, RD_KAFKA_PRODUCER, why, sizeof why);
    if (!conf) return 0; /* the run's own clients report it */
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    rd_kafka_t *rk = sw_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!rk) return 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!topics[i]) continue;
        rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topics[i], NULL);
        const struct rd_kafka_metadata *md = NULL;
        if (!t || rd_kafka_metadata(rk, 0, t, &md, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (t) rd_kafka_topic_destroy(t);
            break; /* no answer: undecided, and the next topic would wait as long */
        }
        if (sw_kafka_topic_state(md, topics[i]) == SW_TOPIC_MISSING) {
            snprintf(err, errlen, "topic %s does not exist and the brokers do not create it: create it (e.g. "
                     "kafka-topics.sh --create --topic %s --partitions N), then start again", topics[i], topics[i]);
            rc = -1;
        }
        rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(t);
    }
    rd_kafka_destroy(rk);
    return rc;
}

bool sw_kafka_topic_name_ok(const char *t) {
    size_t n = strlen(t);
    if (n == 0 || n > 249 || strcmp(t, ".") == 0 || strcmp(t, "..") == 0) return false;
    return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

void sw_user_key(sw_buf *b, const char *tenant, size_t tenant_len, const char *actor, size_t actor_len) {
    sw_buf_put(b, tenant, tenant_len);
    sw_buf_putc(b, 0x1F);
    sw_buf_put(b, actor, actor_len);
}

/* Masks in msg (in place) the value of every secret property set in conf. */
static void mask_conf_secrets(const rd_kafka_conf_t *conf, char *msg, size_t msglen) {
    size_t n = 0;
    const char **kv = rd_kafka_conf_dump((rd_kafka_conf_t *)conf, &n);
    char tmp[512];
    for (size_t i = 0; kv && i + 1 < n; i += 2) {
        if (!*kv[i + 1] || !sw_kafka_prop_is_secret(kv[i])) continue;
        mask(tmp, sizeof tmp, msg, kv[i + 1]);
        snprintf(msg, msglen, "%s", tmp);
    }
    if (kv) rd_kafka_conf_dump_free(kv, n);
}

rd_kafka_t *sw_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *err, size_t errlen) {
    char why[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, why, sizeof why);
    if (!rk) {
        mask_conf_secrets(conf, why, sizeof why);
        snprintf(err, errlen, "cannot create a Kafka %s: librdkafka says: %s",
                 type == RD_KAFKA_PRODUCER ? "producer" : "consumer", why);
        rd_kafka_conf_destroy(conf);
    }
    return rk;
}

rd_kafka_t *sw_kafka_producer(rd_kafka_conf_t *conf,
                              void (*dr_msg_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                              char *err, size_t errlen) {
    /* murmur2 is the Java client's partitioner: a key lands in the same
     * partition whichever client produced it.  librdkafka's own default
     * (consistent_random, crc32) is replaced unless -X chose another. */
    char part[64];
    size_t n = sizeof part;
    /* Until a topic property is set the conf has no topic part, and
     * rd_kafka_conf_get says UNKNOWN: librdkafka's default then too. */
    rd_kafka_conf_res_t got = rd_kafka_conf_get(conf, "partitioner", part, &n);
    int default_partitioner = got == RD_KAFKA_CONF_UNKNOWN ||
                              (got == RD_KAFKA_CONF_OK && strcmp(part, "consistent_random") == 0);
    if (set(conf, "", "enable.idempotence", "true", err, errlen) != 0 ||
        set(conf, "", "acks", "all", err, errlen) != 0 ||
        (default_partitioner && set(conf, "", "partitioner", "murmur2_random", err, errlen) != 0)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (dr_msg_cb) rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    return sw_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
}

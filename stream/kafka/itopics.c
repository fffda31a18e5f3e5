/* itopics.c -- naming, finding and checking the internal topics
 * (itopics.h).  Start-up only: one metadata client, asked once per topic. */
#include "itopics.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define KAFKA_NAME_MAX 249

static uint32_t fnv1a(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static char legal(char c) {
    if (c == '+') return '-';
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                   c == '-'
               ? c
               : '_';
}

size_t sw_itopic_name(const char *prefix, const char *family, char *buf, size_t cap) {
    char full[2048];
    int n = snprintf(full, sizeof full, "%s-by-%s", prefix, family);
    if (n < 0) n = 0;
    size_t len = (size_t)n < sizeof full ? (size_t)n : sizeof full - 1;
    for (size_t i = 0; i < len; i++) full[i] = legal(full[i]);
    if (len > KAFKA_NAME_MAX) {
        /* Hash of the whole name as written, before the cut. */
        char tail[16];
        snprintf(tail, sizeof tail, "-%08x", fnv1a(full));
        len = KAFKA_NAME_MAX - strlen(tail);
        memcpy(full + len, tail, strlen(tail) + 1);
        len += strlen(tail);
    }
    if (cap == 0) return len;
    size_t out = len < cap ? len : cap - 1;
    memcpy(buf, full, out);
    buf[out] = '\0';
    return out;
}

/* The partition count of topic: > 0, 0 when the brokers say it does not
 * exist, -1 when they do not answer. */
static int partitions_of(rd_kafka_t *rk, const char *topic, int timeout_ms) {
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    if (!t) return -1;
    int n = -1;
    if (rd_kafka_metadata(rk, 0, t, &md, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        sw_topic_state st = sw_kafka_topic_state(md, topic);
        n = st == SW_TOPIC_MISSING ? 0 : st == SW_TOPIC_EXISTS ? md->topics[0].partition_cnt : -1;
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(t);
    return n;
}

int sw_itopics_ensure(const sw_kafka_opts *k, const char *input, int want, sw_itopic *t, size_t n, int timeout_ms,
                      char *err, size_t errlen) {
    /* A consumer's metadata requests never create a topic. */
    rd_kafka_conf_t *conf = sw_kafka_conf(k, RD_KAFKA_CONSUMER, err, errlen);
    if (!conf) return -1;
    rd_kafka_t *rk = sw_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
    if (!rk) return -1;
    int rc = 0;
    if (want == 0) {
        want = partitions_of(rk, input, timeout_ms);
        if (want <= 0) {
            snprintf(err, errlen, "input topic %s: %s", input,
                     want == 0 ? "does not exist: create it, then start again"
                               : "the brokers did not say how many partitions it has: check --brokers");
            rc = -1;
        }
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        int have = partitions_of(rk, t[i].name, timeout_ms);
        t[i].created = false;
        t[i].partitions = have;
        if (have <= 0) {
            snprintf(err, errlen, "internal topic %s %s: create it with %d partitions, then start again", t[i].name,
                     have == 0 ? "does not exist" : "is not known to the brokers yet", want);
            rc = -1;
        } else if (have != want) {
            snprintf(err, errlen, "internal topic %s has %d partitions, not %d: that would re-key its windows; "
                     "pass --internal-partitions %d to keep it, or delete it", t[i].name, have, want, have);
            rc = -1;
        }
    }
    rd_kafka_destroy(rk);
    return rc;
}

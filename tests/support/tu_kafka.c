/* tu_kafka.c -- see tu_kafka.h.  A partition counts as read when librdkafka
 * reports its end (enable.partition.eof); a record arriving after that
 * end reopens it, so a topic still being written is read to its last end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "tu_kafka.h"

static char *copy(const void *p, size_t n) {
    char *s = malloc(n + 1);
    assert_non_null(s);
    if (n) memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static void set(rd_kafka_conf_t *c, const char *name, const char *value) {
    char err[256];
    if (rd_kafka_conf_set(c, name, value, err, sizeof err) != RD_KAFKA_CONF_OK) fail_msg("%s: %s", name, err);
}

static rd_kafka_t *consumer(const tu_kafka_read *how) {
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", how->brokers);
    set(c, "group.id", how->group ? how->group : "sw-test-reader");
    set(c, "enable.auto.commit", "false");
    set(c, "enable.partition.eof", "true");
    /* Under read_committed the mock sends no EOF for an empty partition. */
    if (how->read_uncommitted) set(c, "isolation.level", "read_uncommitted");
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
    if (!rk) fail_msg("%s", err);
    return rk;
}

static int partition_count(rd_kafka_t *rk, const char *topic) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    assert_int_equal(rd_kafka_metadata(rk, 0, rkt, &md, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(md->topic_cnt, 1);
    assert_int_equal(md->topics[0].err, 0);
    int parts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    assert_true(parts > 0);
    return parts;
}

static void assign_from_beginning(rd_kafka_t *rk, const char *topic, int parts) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; p++) rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(l);
}

static void keep(tu_krecs *out, size_t *cap, const rd_kafka_message_t *m, const char *const *headers) {
    if (out->n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        out->r = realloc(out->r, *cap * sizeof *out->r);
        assert_non_null(out->r);
    }
    tu_krec *r = &out->r[out->n++];
    memset(r, 0, sizeof *r);
    r->partition = m->partition;
    r->offset = m->offset;
    r->has_key = m->key != NULL;
    r->key = copy(m->key, m->key_len);
    r->key_len = m->key_len;
    r->value = copy(m->payload, m->len);
    r->len = m->len;
    rd_kafka_headers_t *hs;
    if (!headers || rd_kafka_message_headers(m, &hs) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    for (int h = 0; h < TU_KAFKA_MAX_HEADERS && headers[h]; h++) {
        const void *v;
        size_t n;
        if (rd_kafka_header_get_last(hs, headers[h], &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            r->h[h] = copy(v, n);
            r->h_len[h] = n;
        }
    }
}

tu_krecs tu_kafka_read_all(const tu_kafka_read *how) {
    rd_kafka_t *rk = consumer(how);
    int parts = how->partitions > 0 ? how->partitions : partition_count(rk, how->topic);
    assign_from_beginning(rk, how->topic, parts);
    tu_krecs out = {0};
    size_t cap = 0;
    int ended = 0;
    char *at_end = calloc((size_t)parts, 1);
    assert_non_null(at_end);
    for (time_t deadline = time(NULL) + how->seconds; ended < parts && time(NULL) < deadline;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (!at_end[m->partition]) at_end[m->partition] = 1, ended++;
        } else if (m->err) {
            if (how->errors_fatal) fail_msg("consumer: %s", rd_kafka_message_errstr(m));
        } else {
            if (at_end[m->partition]) at_end[m->partition] = 0, ended--;
            keep(&out, &cap, m, how->headers);
        }
        rd_kafka_message_destroy(m);
    }
    free(at_end);
    assert_int_equal(ended, parts);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return out;
}

void tu_krecs_free(tu_krecs *k) {
    for (size_t i = 0; i < k->n; i++) {
        free(k->r[i].key);
        free(k->r[i].value);
        for (int h = 0; h < TU_KAFKA_MAX_HEADERS; h++) free(k->r[i].h[h]);
    }
    free(k->r);
    memset(k, 0, sizeof *k);
}

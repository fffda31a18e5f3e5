/* alert_producer.c -- see alert_producer.h. */
#include "alert_producer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kafka.h"
#include "log.h"

/* ---- acknowledgement ring ---------------------------------------------- */

struct sw_pending {
    sw_acks *owner;
    int64_t offset;
    atomic_uint unacked; /* outputs of this record not yet acknowledged */
};

struct sw_acks {
    atomic_uint refs;    /* 1 for the owner + 1 per message in flight */
    uint32_t head, tail; /* owner only: ring[head .. tail) in offset order */
    sw_pending ring[SW_ACKS_CAP];
};

sw_acks *sw_acks_new(void) {
    sw_acks *a = calloc(1, sizeof *a);
    if (a) atomic_init(&a->refs, 1);
    return a;
}

static void acks_unref(sw_acks *a) {
    if (atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) == 1) free(a);
}

void sw_acks_release(sw_acks *a) {
    if (a) acks_unref(a);
}

/* Producer thread: one output of the record is acknowledged. */
static void pending_ack(sw_pending *t) {
    sw_acks *a = t->owner; /* read before the owner may reuse the slot */
    atomic_fetch_sub_explicit(&t->unacked, 1, memory_order_release);
    acks_unref(a);
}

/* Producer thread, fatal error or shutdown: the output is given up, so the
 * record stays unacknowledged and is never committed. */
static void pending_abandon(sw_pending *t) { acks_unref(t->owner); }

int64_t sw_acks_commit_point(sw_acks *a, int64_t next) {
    while (a->head != a->tail &&
           atomic_load_explicit(&a->ring[a->head % SW_ACKS_CAP].unacked, memory_order_acquire) == 0)
        a->head++;
    return a->head != a->tail ? a->ring[a->head % SW_ACKS_CAP].offset : next;
}

uint32_t sw_acks_waiting(const sw_acks *a) { return a->tail - a->head; }

sw_pending *sw_acks_hold(sw_acks *a, int64_t offset) {
    sw_pending *t = NULL;
    if (a->head != a->tail && a->ring[(a->tail - 1) % SW_ACKS_CAP].offset == offset) {
        t = &a->ring[(a->tail - 1) % SW_ACKS_CAP];
    } else {
        if (a->tail - a->head == SW_ACKS_CAP && (sw_acks_commit_point(a, 0), a->tail - a->head == SW_ACKS_CAP))
            return NULL;
        t = &a->ring[a->tail % SW_ACKS_CAP];
        t->owner = a;
        t->offset = offset;
        atomic_store_explicit(&t->unacked, 0, memory_order_relaxed);
        a->tail++;
    }
    /* Counted before the message exists, so its report cannot come first. */
    atomic_fetch_add_explicit(&t->unacked, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
    return t;
}

/* ---- producer ------------------------------------------------------------ */

#define RETRY_BACKOFF_MS 1000
#define POLL_MS 50

typedef struct retry {
    struct retry *next;
    sw_pending *token;
    char *topic;
    void *key, *value;
    size_t key_len, value_len;
    rd_kafka_headers_t *headers;
    int64_t due_ms;
} retry;

struct sw_producer {
    rd_kafka_t *rk;
    pthread_t thread;
    atomic_bool stop, stopping, fatal;
    atomic_uint_fast64_t failures, inflight;
    atomic_int_fast64_t progress_ms; /* last acknowledgement, or the send that ended an idle spell */
    atomic_uint_fast64_t dead_lettered[SW_UNDELIVERABLE_COUNT], dropped[SW_UNDELIVERABLE_COUNT];
    size_t max_value;
    char *dlq_topic; /* NULL: an undeliverable message is dropped */
    pthread_mutex_t lock; /* retries: failure path only */
    retry *retries;
    sw_log_limit failure_log; /* a delivery failure is said at most once a second */
};

static void log_failure(sw_producer *p, const char *topic, rd_kafka_resp_err_t err) {
    uint64_t n = atomic_fetch_add(&p->failures, 1) + 1;
    sw_log_limited(&p->failure_log, SW_LOG_ERROR,
                   "delivery to %s failed: %s; retrying the same message (%llu failures so far)", topic,
                   rd_kafka_err2str(err), (unsigned long long)n);
}

static void done(sw_producer *p, sw_pending *token, bool acked) {
    if (acked) atomic_store(&p->progress_ms, sw_mono_ms());
    if (acked) pending_ack(token);
    else pending_abandon(token);
    atomic_fetch_sub(&p->inflight, 1);
}

static void *dup_bytes(const void *src, size_t n) {
    void *d = malloc(n ? n : 1);
    if (d && n) memcpy(d, src, n);
    return d;
}

static void retry_free(retry *r) {
    free(r->topic);
    free(r->key);
    free(r->value);
    if (r->headers) rd_kafka_headers_destroy(r->headers);
    free(r);
}

/* Keeps a copy of a failed message to send again later; takes headers. */
static void schedule(sw_producer *p, sw_pending *token, const char *topic, const void *key, size_t key_len,
                     const void *value, size_t value_len, rd_kafka_headers_t *headers, int64_t delay_ms) {
    retry *r = calloc(1, sizeof *r);
    if (r) {
        r->topic = strdup(topic);
        r->key = key ? dup_bytes(key, key_len) : NULL;
        r->value = value ? dup_bytes(value, value_len) : NULL;
    }
    if (!r || !r->topic || (key && !r->key) || (value && !r->value)) {
        sw_log(SW_LOG_ERROR, "out of memory keeping a failed message for %s; its record "
                        "will not be committed", topic);
        if (r) retry_free(r);
        if (headers) rd_kafka_headers_destroy(headers);
        done(p, token, false);
        return;
    }
    r->token = token;
    r->key_len = key_len;
    r->value_len = value_len;
    r->headers = headers;
    r->due_ms = sw_mono_ms() + delay_ms;
    pthread_mutex_lock(&p->lock);
    r->next = p->retries;
    p->retries = r;
    pthread_mutex_unlock(&p->lock);
}

/* Errors that sending the same message again cannot cure: the message
 * itself is refused.  Everything else (authorization, leaders, timeouts,
 * a broker down) is transient and re-sent: an operator can fix it. */
static int undeliverable_reason(rd_kafka_resp_err_t err) {
    switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
        return SW_UNDELIVERABLE_TOO_LARGE;
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
        return SW_UNDELIVERABLE_INVALID;
    default:
        return -1;
    }
}

const char *sw_undeliverable_name(int reason) {
    return reason == SW_UNDELIVERABLE_TOO_LARGE ? "message_too_large" : "invalid_record";
}

/* A message refused for good: to the dead-letter topic (once: a dead
 * letter refused in turn is dropped), else dropped.  Either way its token
 * is released as acknowledged, so its partition's commit goes on.  Takes
 * headers. */
static void give_up(sw_producer *p, sw_pending *token, const char *topic, const void *key, size_t key_len,
                    const void *value, size_t value_len, rd_kafka_headers_t *headers, rd_kafka_resp_err_t err,
                    int reason) {
    atomic_fetch_add(&p->failures, 1);
    if (p->dlq_topic && strcmp(topic, p->dlq_topic) != 0) {
        if (!headers) headers = rd_kafka_headers_new(4);
        const char *name = rd_kafka_err2name(err);
        rd_kafka_header_add(headers, "reason", -1, "undeliverable", -1);
        rd_kafka_header_add(headers, "error", -1, name, -1);
        rd_kafka_header_add(headers, "original_topic", -1, topic, -1);
        if (value_len > p->max_value) {
            char bytes[24];
            snprintf(bytes, sizeof bytes, "%zu", value_len);
            rd_kafka_header_add(headers, "original_value_bytes", -1, bytes, -1);
            value_len = p->max_value;
        }
        if (key_len > SW_MAX_KEY_BYTES) key_len = SW_MAX_KEY_BYTES;
        atomic_fetch_add(&p->dead_lettered[reason], 1);
        sw_log(SW_LOG_ERROR, "delivery to %s failed for good: %s (%zu bytes); sent to the dead-letter topic %s "
                        "instead", topic, rd_kafka_err2str(err), value_len, p->dlq_topic);
        schedule(p, token, p->dlq_topic, key, key_len, value, value_len, headers, 0);
        return;
    }
    if (headers) rd_kafka_headers_destroy(headers);
    atomic_fetch_add(&p->dropped[reason], 1);
    sw_log(SW_LOG_ERROR, "delivery to %s failed for good: %s (%zu bytes); the message is dropped (%s)", topic,
           rd_kafka_err2str(err), value_len, p->dlq_topic ? "it was a dead letter already" : "no --dlq-topic");
    done(p, token, true);
}

/* 0 when librdkafka took the message (and the headers). */
static rd_kafka_resp_err_t produce(sw_producer *p, sw_pending *token, const char *topic, const void *key,
                                   size_t key_len, const void *value, size_t value_len,
                                   rd_kafka_headers_t *headers) {
    return rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key_len),
                             RD_KAFKA_V_VALUE((void *)value, value_len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
                             RD_KAFKA_V_OPAQUE(token), RD_KAFKA_V_END);
}

void sw_producer_send(sw_producer *p, sw_pending *token, const char *topic, const void *key, size_t key_len,
                      const void *value, size_t value_len, const sw_header *h, size_t nh) {
    if (atomic_fetch_add(&p->inflight, 1) == 0) atomic_store(&p->progress_ms, sw_mono_ms());
    rd_kafka_headers_t *hs = rd_kafka_headers_new(nh);
    for (size_t i = 0; i < nh; i++) rd_kafka_header_add(hs, h[i].name, -1, h[i].value, (ssize_t)h[i].len);
    rd_kafka_resp_err_t err;
    /* A full local queue drains as the producer thread serves reports. */
    while ((err = produce(p, token, topic, key, key_len, value, value_len, hs)) == RD_KAFKA_RESP_ERR__QUEUE_FULL &&
           !atomic_load(&p->fatal) && !atomic_load(&p->stopping)) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    if (!err) return;
    int reason = undeliverable_reason(err);
    if (reason >= 0) {
        give_up(p, token, topic, key, key_len, value, value_len, hs, err, reason);
        return;
    }
    log_failure(p, topic, err);
    schedule(p, token, topic, key, key_len, value, value_len, hs, RETRY_BACKOFF_MS);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    sw_producer *p = opaque;
    sw_pending *token = m->_private;
    if (!token) return;
    if (!m->err) {
        done(p, token, true);
        return;
    }
    char reason[256];
    if (m->err == RD_KAFKA_RESP_ERR__FATAL || rd_kafka_fatal_error(rk, reason, sizeof reason)) {
        atomic_store(&p->fatal, true);
        done(p, token, false);
        return;
    }
    const char *topic = rd_kafka_topic_name(m->rkt);
    if (atomic_load(&p->stopping)) { /* purged at shutdown */
        done(p, token, false);
        return;
    }
    rd_kafka_headers_t *hs = NULL;
    if (rd_kafka_message_headers(m, &hs) == RD_KAFKA_RESP_ERR_NO_ERROR && hs) hs = rd_kafka_headers_copy(hs);
    else hs = NULL;
    int refused = undeliverable_reason(m->err);
    if (refused >= 0) {
        give_up(p, token, topic, m->key, m->key_len, m->payload, m->len, hs, m->err, refused);
        return;
    }
    log_failure(p, topic, m->err);
    schedule(p, token, topic, m->key, m->key_len, m->payload, m->len, hs, RETRY_BACKOFF_MS);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    sw_producer *p = opaque;
    char why[512];
    if (err == RD_KAFKA_RESP_ERR__FATAL && rd_kafka_fatal_error(rk, why, sizeof why)) {
        atomic_store(&p->fatal, true);
        sw_log(SW_LOG_ERROR, "alert producer failed for good: %s", why);
        return;
    }
    sw_log(SW_LOG_INFO, "alert producer: %s: %s", rd_kafka_err2name(err), reason);
}

/* Producer thread: sends the retries that are due; the rest wait. */
static void run_retries(sw_producer *p, bool all) {
    int64_t now = sw_mono_ms();
    pthread_mutex_lock(&p->lock);
    retry *due = NULL, **pp = &p->retries;
    while (*pp) {
        retry *r = *pp;
        if (all || r->due_ms <= now) {
            *pp = r->next;
            r->next = due;
            due = r;
        } else {
            pp = &r->next;
        }
    }
    pthread_mutex_unlock(&p->lock);
    while (due) {
        retry *r = due;
        due = r->next;
        if (atomic_load(&p->fatal) || atomic_load(&p->stopping)) {
            done(p, r->token, false);
            retry_free(r);
            continue;
        }
        rd_kafka_resp_err_t err = produce(p, r->token, r->topic, r->key, r->key_len, r->value, r->value_len, r->headers);
        if (!err) {
            r->headers = NULL; /* librdkafka owns them now */
            retry_free(r);
            continue;
        }
        int reason = undeliverable_reason(err);
        if (reason >= 0) {
            give_up(p, r->token, r->topic, r->key, r->key_len, r->value, r->value_len, r->headers, err, reason);
            r->headers = NULL; /* give_up took them */
            retry_free(r);
            continue;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) log_failure(p, r->topic, err);
        pthread_mutex_lock(&p->lock);
        r->due_ms = now + (err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? POLL_MS : RETRY_BACKOFF_MS);
        r->next = p->retries;
        p->retries = r;
        pthread_mutex_unlock(&p->lock);
    }
}

static void *producer_main(void *arg) {
    sw_producer *p = arg;
    while (!atomic_load(&p->stop)) {
        rd_kafka_poll(p->rk, POLL_MS);
        run_retries(p, false);
    }
    return NULL;
}

sw_producer *sw_producer_start(rd_kafka_conf_t *conf, char *err, size_t errlen) {
    sw_producer *p = calloc(1, sizeof *p);
    if (!p) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    char mmb[32];
    size_t n = sizeof mmb;
    long max_msg = 1000000;
    if (rd_kafka_conf_get(conf, "message.max.bytes", mmb, &n) == RD_KAFKA_CONF_OK) max_msg = atol(mmb);
    /* Room for a key of up to 4 KiB, the headers and the record overhead. */
    p->max_value = max_msg > 16384 ? (size_t)max_msg - 8192 : (size_t)max_msg / 2;
    pthread_mutex_init(&p->lock, NULL);
    p->failure_log = (sw_log_limit)SW_LOG_LIMIT(1000);
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_error_cb(conf, on_error);
    p->rk = sw_kafka_producer(conf, on_delivery, err, errlen);
    if (!p->rk || pthread_create(&p->thread, NULL, producer_main, p) != 0) {
        if (p->rk) {
            snprintf(err, errlen, "cannot start the producer thread");
            rd_kafka_destroy(p->rk);
        }
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    return p;
}

size_t sw_producer_max_value(const sw_producer *p) { return p->max_value; }

int sw_producer_set_dead_letters(sw_producer *p, const char *topic) {
    free(p->dlq_topic);
    p->dlq_topic = topic ? strdup(topic) : NULL;
    return topic && !p->dlq_topic ? -1 : 0;
}

uint64_t sw_producer_undeliverable(const sw_producer *p, int reason, bool dead_lettered) {
    return atomic_load(dead_lettered ? &p->dead_lettered[reason] : &p->dropped[reason]);
}
bool sw_producer_fatal(const sw_producer *p) { return atomic_load(&p->fatal); }
uint64_t sw_producer_failures(const sw_producer *p) { return atomic_load(&p->failures); }
uint64_t sw_producer_inflight(const sw_producer *p) { return atomic_load(&p->inflight); }

int64_t sw_producer_stalled_ms(const sw_producer *p) {
    if (atomic_load(&p->inflight) == 0) return 0;
    int64_t since = sw_mono_ms() - atomic_load(&p->progress_ms);
    return since > 0 ? since : 0;
}

uint64_t sw_producer_stop(sw_producer *p, int timeout_ms) {
    if (!p) return 0;
    int64_t deadline = sw_mono_ms() + timeout_ms;
    while (atomic_load(&p->inflight) > 0 && !atomic_load(&p->fatal) && sw_mono_ms() < deadline) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    uint64_t left = atomic_load(&p->inflight);
    atomic_store(&p->stop, true);
    pthread_join(p->thread, NULL);
    /* Give up what is left: purged messages report (and release) here. */
    atomic_store(&p->stopping, true);
    run_retries(p, true);
    rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    for (int i = 0; i < 100 && atomic_load(&p->inflight) > 0; i++) rd_kafka_poll(p->rk, 10);
    rd_kafka_destroy(p->rk);
    pthread_mutex_destroy(&p->lock);
    free(p->dlq_topic);
    free(p);
    return left;
}

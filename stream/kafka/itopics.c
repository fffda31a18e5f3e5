/* itopics.c -- naming, finding, creating and checking the internal topics
 * (itopics.h).  Start-up only, bounded by one deadline.
 *
 * Looking never creates: the topics are found in a listing of all topics
 * (a metadata request for named topics makes brokers with auto-creation,
 * and librdkafka's mock always, create them with their own count).
 *
 * Creating: CreateTopics goes to the controller.  A cluster whose metadata
 * names no listed broker as controller (librdkafka's mock says 0, its
 * brokers are 1..N) cannot take it, and the request would only wait for
 * its timeout; the same holds for a CreateTopics answered "unsupported".
 * Such brokers "cannot create with a count": the topics are then asked
 * for by name as a producer would (allow.auto.create.topics, true unless
 * -X says otherwise), and a topic still unknown after that cannot be
 * created at all: a start-up error that says how to create it.
 *
 * Checking (the rule of itopics.h): a topic whose count is not the one
 * asked for is refused, unless want was 0 and the brokers cannot create
 * with a count.  Whether they can is asked the same way by every member
 * (the controller, then CreateTopics with validate_only, which a broker
 * that has it answers "already exists"), so the rule does not depend on
 * which member created the topic.
 *
 * The clients log nothing (their trouble is in the returned error), so
 * the run's own log stays in the run's format. */
#include "itopics.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

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

typedef struct {
    const sw_kafka_opts *k;
    rd_kafka_t *rk;                     /* consumer type: lists and asks the controller, never auto-creates */
    const struct rd_kafka_metadata *md; /* the last listing of every topic */
    int64_t deadline;                   /* sw_mono_ms() */
    int timeout_ms;
    int can_create; /* the brokers create topics with a count: -1 not asked yet, 0, 1 */
    char why[512];  /* what librdkafka or the brokers said last */
    char *err;
    size_t errlen;
} ensure_ctx;

static int remaining_ms(const ensure_ctx *c) {
    int64_t left = c->deadline - sw_mono_ms();
    return left > 1 ? (int)left : 1;
}

/* Lists every topic into c->md; -1 with err when the brokers do not answer. */
static int list_topics(ensure_ctx *c) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(c->rk, 1, NULL, &md, remaining_ms(c));
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(c->err, c->errlen, "the brokers did not list their topics within %d ms (librdkafka says: %s): "
                 "check --brokers", c->timeout_ms, rd_kafka_err2str(e));
        return -1;
    }
    if (c->md) rd_kafka_metadata_destroy(c->md);
    c->md = md;
    return 0;
}

/* A topic's partition count in the last listing: > 0; 0 when it is not
 * there; -1 when it is there but not usable yet (no leader, no access). */
static int count_listed(const ensure_ctx *c, const char *topic) {
    for (int i = 0; i < c->md->topic_cnt; i++) {
        if (!c->md->topics[i].topic || strcmp(c->md->topics[i].topic, topic) != 0) continue;
        sw_topic_state st = sw_kafka_topic_state(c->md, topic);
        return st == SW_TOPIC_EXISTS ? c->md->topics[i].partition_cnt : st == SW_TOPIC_MISSING ? 0 : -1;
    }
    return 0;
}

/* The controller the metadata names is one of the listed brokers. */
static bool controller_listed(const ensure_ctx *c) {
    int32_t id = rd_kafka_controllerid(c->rk, remaining_ms(c));
    if (id < 0) return true; /* not said yet: CreateTopics itself will wait for it */
    for (int i = 0; i < c->md->broker_cnt; i++)
        if (c->md->brokers[i].id == id) return true;
    return false;
}

/* What the brokers answered for one topic of a CreateTopics. */
typedef struct {
    rd_kafka_resp_err_t err;
    char why[256];
} topic_answer;

/* Each topic's answer from a CreateTopics result event into res. */
static void read_answers(rd_kafka_event_t *ev, sw_itopic **ts, size_t m, topic_answer *res) {
    const rd_kafka_CreateTopics_result_t *r = rd_kafka_event_CreateTopics_result(ev);
    size_t cnt = 0;
    const rd_kafka_topic_result_t **tr = r ? rd_kafka_CreateTopics_result_topics(r, &cnt) : NULL;
    for (size_t j = 0; j < cnt; j++)
        for (size_t i = 0; i < m; i++) {
            if (strcmp(rd_kafka_topic_result_name(tr[j]), ts[i]->name) != 0) continue;
            const char *said = rd_kafka_topic_result_error_string(tr[j]);
            res[i].err = rd_kafka_topic_result_error(tr[j]);
            snprintf(res[i].why, sizeof res[i].why, "%s", said ? said : rd_kafka_err2str(res[i].err));
        }
}

/* The request's options: every timeout at ms, validate_only. */
static rd_kafka_resp_err_t set_options(ensure_ctx *c, rd_kafka_AdminOptions_t *opt, int ms, bool validate_only) {
    if (rd_kafka_AdminOptions_set_request_timeout(opt, ms, c->why, sizeof c->why) ||
        rd_kafka_AdminOptions_set_operation_timeout(opt, ms, c->why, sizeof c->why) ||
        rd_kafka_AdminOptions_set_validate_only(opt, validate_only, c->why, sizeof c->why))
        return RD_KAFKA_RESP_ERR__INVALID_ARG;
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* Sends the CreateTopics and waits for its result (the request times out
 * before the wait does); the request's own error, said in c->why. */
static rd_kafka_resp_err_t send_request(ensure_ctx *c, rd_kafka_NewTopic_t **nt, size_t m, bool validate_only,
                                        sw_itopic **ts, topic_answer *res) {
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(c->rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    int ms = remaining_ms(c);
    rd_kafka_resp_err_t e = opt && q ? set_options(c, opt, ms, validate_only) : RD_KAFKA_RESP_ERR__FAIL;
    if (!e) {
        rd_kafka_CreateTopics(c->rk, nt, m, opt, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, ms + 1000);
        e = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
        snprintf(c->why, sizeof c->why, "%s", ev && e ? rd_kafka_event_error_string(ev) : rd_kafka_err2str(e));
        if (ev && !e) read_answers(ev, ts, m, res);
        if (ev) rd_kafka_event_destroy(ev);
    }
    if (opt) rd_kafka_AdminOptions_destroy(opt);
    if (q) rd_kafka_queue_destroy(q);
    return e;
}

/* CreateTopics for the m topics of ts with want partitions each and the
 * brokers' default replication factor (-1); res[i] gets ts[i]'s answer.
 * The request's own error (0 when each topic has its answer), with what
 * was said in c->why. */
static rd_kafka_resp_err_t create_request(ensure_ctx *c, sw_itopic **ts, size_t m, bool validate_only,
                                          topic_answer *res) {
    rd_kafka_NewTopic_t **nt = calloc(m, sizeof *nt);
    rd_kafka_resp_err_t e = nt ? RD_KAFKA_RESP_ERR_NO_ERROR : RD_KAFKA_RESP_ERR__FAIL;
    snprintf(c->why, sizeof c->why, "%s", e ? "out of memory" : "");
    for (size_t i = 0; i < m; i++) res[i] = (topic_answer){.err = RD_KAFKA_RESP_ERR__FAIL, .why = "no answer"};
    for (size_t i = 0; i < m && !e; i++)
        if (!(nt[i] = rd_kafka_NewTopic_new(ts[i]->name, ts[i]->want, -1, c->why, sizeof c->why)))
            e = RD_KAFKA_RESP_ERR__INVALID_ARG;
    if (!e) e = send_request(c, nt, m, validate_only, ts, res);
    for (size_t i = 0; nt && i < m; i++)
        if (nt[i]) rd_kafka_NewTopic_destroy(nt[i]);
    free(nt);
    return e;
}

static bool unsupported(rd_kafka_resp_err_t e) {
    return e == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE || e == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION;
}

static void no_answer(ensure_ctx *c, const char *topic) {
    snprintf(c->err, c->errlen, "internal topic %s: the brokers did not answer CreateTopics within %d ms (%s): "
             "check --brokers, then start again", topic, c->timeout_ms, c->why);
}

/* Whether the brokers create topics with a count (c->can_create), asked
 * with a validate-only CreateTopics of t; -1 with err when they do not say. */
static int ask_can_create(ensure_ctx *c, sw_itopic *t) {
    if (c->can_create >= 0) return 0;
    if (!controller_listed(c)) {
        c->can_create = 0;
        return 0;
    }
    topic_answer res;
    rd_kafka_resp_err_t e = create_request(c, &t, 1, true, &res);
    if (e == RD_KAFKA_RESP_ERR__TIMED_OUT) {
        no_answer(c, t->name);
        return -1;
    }
    c->can_create = !unsupported(e) && !unsupported(res.err);
    return 0;
}

/* Asks for each topic of ts by name as a producer would, so that brokers
 * that create topics on first use create it; -1 with err for a topic they
 * still call unknown. */
static int auto_create(ensure_ctx *c, sw_itopic **ts, size_t m) {
    rd_kafka_conf_t *conf = sw_kafka_conf(c->k, RD_KAFKA_PRODUCER, c->err, c->errlen);
    if (!conf) return -1;
    rd_kafka_conf_set_log_cb(conf, NULL);
    rd_kafka_t *rk = sw_kafka_new(RD_KAFKA_PRODUCER, conf, c->err, c->errlen);
    if (!rk) return -1;
    int rc = 0;
    for (size_t i = 0; i < m && rc == 0; i++) {
        rd_kafka_topic_t *t = rd_kafka_topic_new(rk, ts[i]->name, NULL);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = t ? rd_kafka_metadata(rk, 0, t, &md, remaining_ms(c)) : RD_KAFKA_RESP_ERR__FAIL;
        if (e) {
            snprintf(c->err, c->errlen, "internal topic %s: the brokers did not answer within %d ms (librdkafka "
                     "says: %s): check --brokers, then start again", ts[i]->name, c->timeout_ms, rd_kafka_err2str(e));
            rc = -1;
        } else if (sw_kafka_topic_state(md, ts[i]->name) == SW_TOPIC_MISSING) {
            snprintf(c->err, c->errlen, "internal topic %s does not exist, and the brokers create no topic, neither on "
                     "request (no CreateTopics API) nor on first use (auto-creation is off): create it with %d "
                     "partitions (mock-broker --topic %s:%d, kafka-topics.sh --create --topic %s --partitions %d), "
                     "then start again", ts[i]->name, ts[i]->want, ts[i]->name, ts[i]->want, ts[i]->name, ts[i]->want);
            rc = -1;
        } else {
            ts[i]->created = true; /* the listing will say when it is ready */
        }
        if (md) rd_kafka_metadata_destroy(md);
        if (t) rd_kafka_topic_destroy(t);
    }
    rd_kafka_destroy(rk);
    return rc;
}

/* CreateTopics for the m missing topics ts; those the brokers cannot
 * create with a count are moved to the front, their number in *fallback. */
static int create_with_count(ensure_ctx *c, sw_itopic **ts, size_t m, size_t *fallback) {
    topic_answer *res = calloc(m, sizeof *res);
    if (!res) {
        snprintf(c->err, c->errlen, "out of memory");
        return -1;
    }
    rd_kafka_resp_err_t e = create_request(c, ts, m, false, res);
    int rc = 0;
    *fallback = 0;
    for (size_t i = 0; i < m && rc == 0; i++) {
        rd_kafka_resp_err_t te = e ? e : res[i].err;
        if (unsupported(te)) {
            c->can_create = 0;
            sw_itopic *moved = ts[*fallback];
            ts[(*fallback)++] = ts[i];
            ts[i] = moved;
        } else if (te == RD_KAFKA_RESP_ERR__TIMED_OUT) {
            no_answer(c, ts[i]->name);
            rc = -1;
        } else if (te == RD_KAFKA_RESP_ERR_NO_ERROR) {
            ts[i]->created = true;
        } else if (te != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) { /* exists: another member's request won */
            snprintf(c->err, c->errlen, "cannot create internal topic %s with %d partitions: the brokers say: %s "
                     "(%s); create it with %d partitions yourself, then start again", ts[i]->name, ts[i]->want,
                     e ? c->why : res[i].why, rd_kafka_err2name(te), ts[i]->want);
            rc = -1;
        }
    }
    free(res);
    return rc;
}

/* Creates the topics of t that the first listing did not show. */
static int create_missing(ensure_ctx *c, sw_itopic *t, size_t n) {
    sw_itopic **ts = calloc(n ? n : 1, sizeof *ts);
    if (!ts) {
        snprintf(c->err, c->errlen, "out of memory");
        return -1;
    }
    size_t m = 0, fallback = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].partitions == 0) ts[m++] = &t[i];
    int rc = 0;
    if (m > 0 && c->can_create < 0 && !controller_listed(c)) c->can_create = 0;
    if (m > 0 && c->can_create != 0) rc = create_with_count(c, ts, m, &fallback);
    else fallback = m;
    if (rc == 0 && fallback > 0) rc = auto_create(c, ts, fallback);
    free(ts);
    return rc;
}

/* Lists again until every topic is there with partitions, or the deadline. */
static int await_listed(ensure_ctx *c, sw_itopic *t, size_t n) {
    for (;;) {
        size_t pending = n;
        for (size_t i = 0; i < n; i++)
            if ((t[i].partitions = count_listed(c, t[i].name)) > 0) pending--;
        if (pending == 0) return 0;
        if (c->deadline - sw_mono_ms() <= 0) break;
        nanosleep(&(struct timespec){.tv_nsec = 100 * 1000000}, NULL);
        if (list_topics(c) != 0) return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (t[i].partitions <= 0) {
            snprintf(c->err, c->errlen, "internal topic %s %s within %d ms: check the brokers, then start again",
                     t[i].name, t[i].partitions == 0 ? "was asked for but the brokers do not list it"
                                                     : "is listed but not usable (no leader or no access)",
                     c->timeout_ms);
            break;
        }
    return -1;
}

/* The rule of itopics.h on one listed topic; -1 with err when refused. */
static int check_count(ensure_ctx *c, sw_itopic *t, const char *input, bool want_explicit) {
    if (t->partitions == t->want) return 0;
    if (ask_can_create(c, t) != 0) return -1;
    if (!want_explicit && c->can_create == 0) {
        t->broker_count = true;
        return 0;
    }
    char asked[300];
    if (want_explicit) snprintf(asked, sizeof asked, "the %d --internal-partitions asks for", t->want);
    else snprintf(asked, sizeof asked, "the %d of input topic %s", t->want, input);
    if (c->can_create)
        snprintf(c->err, c->errlen, "internal topic %s has %d partitions, not %s: that would re-key its windows; "
                 "pass --internal-partitions %d to keep it, or delete it", t->name, t->partitions, asked,
                 t->partitions);
    else
        snprintf(c->err, c->errlen, "internal topic %s has %d partitions, not %s, and these brokers cannot create "
                 "topics with a partition count (no CreateTopics API, as librdkafka's mock): create it with %d "
                 "partitions before the first start (mock-broker --topic %s:%d), or pass --internal-partitions %d "
                 "or none to accept the brokers' count", t->name, t->partitions, asked, t->want, t->name, t->want,
                 t->partitions);
    return -1;
}

/* want, or the input topic's count when it is 0; -1 with err. */
static int resolve_want(ensure_ctx *c, const char *input, int want) {
    if (want > 0) return want;
    int have = count_listed(c, input);
    if (have <= 0)
        snprintf(c->err, c->errlen, "input topic %s: %s", input,
                 have == 0 ? "does not exist: create it, then start again"
                           : "the brokers did not say how many partitions it has: check --brokers");
    return have > 0 ? have : -1;
}

static int ensure(ensure_ctx *c, const char *input, int want, sw_itopic *t, size_t n) {
    if (list_topics(c) != 0) return -1;
    bool want_explicit = want > 0;
    if ((want = resolve_want(c, input, want)) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        t[i].want = want;
        t[i].created = t[i].broker_count = false;
        t[i].partitions = count_listed(c, t[i].name);
    }
    if (create_missing(c, t, n) != 0 || await_listed(c, t, n) != 0) return -1;
    for (size_t i = 0; i < n; i++)
        if (check_count(c, &t[i], input, want_explicit) != 0) return -1;
    return 0;
}

int sw_itopics_ensure(const sw_kafka_opts *k, const char *input, int want, sw_itopic *t, size_t n, int timeout_ms,
                      char *err, size_t errlen) {
    ensure_ctx c = {.k = k, .deadline = sw_mono_ms() + timeout_ms, .timeout_ms = timeout_ms, .can_create = -1,
                    .err = err, .errlen = errlen};
    rd_kafka_conf_t *conf = sw_kafka_conf(k, RD_KAFKA_CONSUMER, err, errlen);
    if (!conf) return -1;
    rd_kafka_conf_set_log_cb(conf, NULL);
    if (!(c.rk = sw_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen))) return -1;
    int rc = ensure(&c, input, want, t, n);
    if (c.md) rd_kafka_metadata_destroy(c.md);
    rd_kafka_destroy(c.rk);
    return rc;
}

size_t sw_itopics_note(const sw_itopic *t, size_t n, char *buf, size_t cap) {
    size_t len = 0;
    if (cap == 0) return 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len + 1 < cap; i++) {
        if (!t[i].broker_count) continue;
        int w = snprintf(buf + len, cap - len, "%sinternal topic %s has %d partitions, not %d",
                         len ? "; " : "the brokers cannot create topics with a partition count (no CreateTopics "
                                      "API, as librdkafka's mock), so the count a topic has is kept: ",
                         t[i].name, t[i].partitions, t[i].want);
        if (w > 0) len += (size_t)w;
    }
    return len < cap ? len : cap - 1;
}

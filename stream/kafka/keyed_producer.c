/* keyed_producer.c -- see keyed_producer.h.  One sw_kp owns a producer, its
 * topic handle and a parser sized for the record limit (which holds the
 * events of one record: an Okta page holds up to 1000).  Everything runs
 * on the caller's thread: delivery reports are served by rd_kafka_poll()
 * after each record, while waiting for queue room, while pacing, and in
 * sw_kp_flush(). */
#include "keyed_producer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "engine.h"
#include "extract.h"
#include "jsonw.h"
#include "kafka.h"
#include "lines.h"
#include "log.h"
#include "prefilter.h"
#include "rule.h"
#include "window.h"

#define MAX_REPORTED_FAILURES 5


struct sw_kp {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    const sw_config *cfg;
    sw_kp_mode mode;
    const char *cmd;
    sw_parser *parser;
    sw_buf key;
    sw_kp_counters c;
    bool fatal;
    sw_log_limit size_warning; /* said once that message.max.bytes rejects records */
    uint64_t rate;    /* records per second, 0 = unpaced */
    double rate_t0;   /* when pacing started */
    uint64_t rate_n0; /* produced count when pacing started */
};

void sw_kp_counts(const sw_kp *kp, sw_kp_counters *out, bool *fatal) {
    *out = kp->c;
    *fatal = kp->fatal;
}

static void report_failure(sw_kp *kp, const char *what, rd_kafka_resp_err_t err) {
    kp->c.failed++;
    if (err == RD_KAFKA_RESP_ERR__FATAL) kp->fatal = true;
    if (kp->c.failed > MAX_REPORTED_FAILURES) return;
    const char *hint = "";
    if (err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
        err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        hint = " (are --brokers right and reachable? -X message.timeout.ms=MS waits longer)";
    else if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
        hint = " (raise the topic's max.message.bytes, or lower -X message.max.bytes to match it)";
    else if (err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
             err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        hint = " (does the topic exist, and may this principal write to it?)";
    char fatal[256] = "";
    if (err == RD_KAFKA_RESP_ERR__FATAL) rd_kafka_fatal_error(kp->rk, fatal, sizeof fatal);
    fprintf(stderr, "sessionwatch %s: %s to topic %s: %s%s%s%s\n", kp->cmd, what, rd_kafka_topic_name(kp->rkt),
            rd_kafka_err2str(err), *fatal ? ": " : "", fatal, hint);
    if (kp->c.failed == MAX_REPORTED_FAILURES)
        fprintf(stderr, "sessionwatch %s: further failures are only counted\n", kp->cmd);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    sw_kp *kp = opaque;
    if (m->err) report_failure(kp, "a record was not delivered", m->err);
    else kp->c.delivered++;
}

sw_kp *sw_kp_new(const sw_kafka_opts *k, const char *topic, const sw_config *cfg, sw_kp_mode mode,
                 const char *cmd, char *err, size_t errlen) {
    if (!sw_kafka_topic_name_ok(topic)) {
        snprintf(err, errlen, "'%.300s' is not a Kafka topic name (1 to 249 of A-Z a-z 0-9 . _ -)", topic);
        return NULL;
    }
    rd_kafka_conf_t *conf = sw_kafka_conf(k, RD_KAFKA_PRODUCER, err, errlen);
    if (!conf) return NULL;
    sw_kp *kp = calloc(1, sizeof *kp);
    if (!kp || !(kp->parser = sw_parser_new(cfg->max_record_bytes))) {
        snprintf(err, errlen, "out of memory for a parser of %zu-byte records", cfg->max_record_bytes);
        rd_kafka_conf_destroy(conf);
        free(kp);
        return NULL;
    }
    kp->cfg = cfg;
    kp->size_warning = (sw_log_limit)SW_LOG_LIMIT(SW_LOG_ONCE);
    kp->mode = mode;
    kp->cmd = cmd;
    rd_kafka_conf_set_opaque(conf, kp);
    if (!(kp->rk = sw_kafka_producer(conf, on_delivery, err, errlen))) {
        sw_kp_free(kp);
        return NULL;
    }
    if (!(kp->rkt = rd_kafka_topic_new(kp->rk, topic, NULL))) {
        snprintf(err, errlen, "topic %s: %s", topic, rd_kafka_err2str(rd_kafka_last_error()));
        sw_kp_free(kp);
        return NULL;
    }
    return kp;
}

void sw_kp_set_rate(sw_kp *kp, uint64_t per_second) { kp->rate = per_second; }

void sw_kp_free(sw_kp *kp) {
    if (!kp) return;
    if (kp->rkt) rd_kafka_topic_destroy(kp->rkt);
    if (kp->rk) rd_kafka_destroy(kp->rk);
    sw_parser_free(kp->parser);
    sw_buf_free(&kp->key);
    free(kp);
}

uint64_t sw_kp_flush(sw_kp *kp) {
    rd_kafka_flush(kp->rk, -1); /* every record ends within message.timeout.ms */
    return kp->c.failed;
}

/* Sleeps (serving delivery reports) while ahead of --rate. */
static void pace(sw_kp *kp) {
    if (!kp->rate) return;
    double now = sw_mono_s();
    if (kp->rate_t0 == 0) {
        kp->rate_t0 = now;
        kp->rate_n0 = kp->c.produced;
    }
    double due = kp->rate_t0 + (double)(kp->c.produced - kp->rate_n0) / (double)kp->rate;
    while (now < due) {
        double ms = (due - now) * 1e3;
        rd_kafka_poll(kp->rk, ms > 100 ? 100 : (int)ms + 1);
        now = sw_mono_s();
    }
}

static int drop(sw_kp *kp, sw_verdict why) {
    kp->c.dropped[why]++;
    return 0;
}

static int produce(sw_kp *kp, bool keyed, const char *val, size_t len, int64_t kafka_time_ms) {
    if (keyed && kp->key.oom) {
        report_failure(kp, "out of memory for a record key", RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE);
        return 0;
    }
    int64_t ts = kafka_time_ms == SW_TIME_NONE ? 0 : kafka_time_ms;
    rd_kafka_resp_err_t err;
    for (;;) {
        err = rd_kafka_producev(kp->rk, RD_KAFKA_V_RKT(kp->rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_KEY(keyed ? kp->key.p : NULL, keyed ? kp->key.len : 0),
                                RD_KAFKA_V_VALUE((void *)val, len), RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
        rd_kafka_poll(kp->rk, 100); /* delivery reports make room */
    }
    if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
        /* Over message.max.bytes: too large for Kafka as configured, so
         * rejected like a record over --max-record-bytes, not retried. */
        if (sw_log_due(&kp->size_warning))
            fprintf(stderr, "sessionwatch %s: a %zu-byte record is over message.max.bytes: rejected as too_large "
                    "(raise -X message.max.bytes=N and the topic's max.message.bytes to keep such records)\n",
                    kp->cmd, len);
        return drop(kp, SW_R_TOO_LARGE);
    }
    if (err) {
        report_failure(kp, "a record was refused", err);
        return kp->fatal ? -1 : 0;
    }
    kp->c.produced++;
    if (!keyed) kp->c.unkeyed++;
    rd_kafka_poll(kp->rk, 0);
    pace(kp);
    return 0;
}

/* Builds the event's user key in kp->key: SW_ELIGIBLE, or why it has none. */
static sw_verdict event_key(sw_kp *kp, const sw_event *ev) {
    if (ev->not_object) return SW_R_WRONG_TYPE; /* an array element that is not an object */
    const char *tenant;
    size_t tenant_len;
    sw_verdict v = sw_rule_tenant(kp->cfg, ev, &tenant, &tenant_len);
    if (v != SW_ELIGIBLE) return v;
    const sw_value *actor = &ev->f[SW_F_ACTOR_ID];
    if (actor->type == SW_OTHER) return SW_R_WRONG_TYPE;
    if (actor->type != SW_STRING || actor->n == 0) return SW_V_NO_ACTOR;
    sw_buf_reset(&kp->key);
    sw_user_key(&kp->key, tenant, tenant_len, actor->p, actor->n);
    return SW_ELIGIBLE;
}

int sw_kp_record(sw_kp *kp, const char *rec, size_t len, size_t cap, int64_t kafka_time_ms) {
    const sw_config *cfg = kp->cfg;
    bool eligible_only = kp->mode == SW_KP_ELIGIBLE_ONLY;
    kp->c.records++;
    if (kp->fatal) return -1;
    if (len > cfg->max_record_bytes) return drop(kp, SW_R_TOO_LARGE);
    if (eligible_only && cfg->prefilter && !sw_prefilter_may_match(rec, len))
        return drop(kp, SW_V_NOT_SESSION_START);
    size_t n = 0;
    const sw_event *events;
    sw_xstatus x = sw_parser_extract_events(kp->parser, rec, len, cap, cfg->tenant_field, &events, &n);
    if (x != SW_X_OK) {
        sw_verdict why = sw_extract_verdict(x);
        if (eligible_only || why == SW_R_TOO_LARGE) return drop(kp, why);
        kp->c.unkeyed_why[why]++;
        return produce(kp, false, rec, len, kafka_time_ms);
    }
    kp->c.events += n;
    for (size_t i = 0; i < n; i++) {
        const sw_event *ev = &events[i];
        int64_t t;
        sw_verdict why = eligible_only ? sw_rule_check(cfg, ev, kafka_time_ms, &t) : SW_ELIGIBLE;
        if (why == SW_ELIGIBLE) why = event_key(kp, ev);
        if (why != SW_ELIGIBLE) {
            if (eligible_only) {
                drop(kp, why);
                continue;
            }
            kp->c.unkeyed_why[why]++;
        }
        if (produce(kp, why == SW_ELIGIBLE, ev->raw, ev->raw_len, kafka_time_ms) != 0) return -1;
    }
    return 0;
}

static void oversize(sw_kp *kp) {
    kp->c.records++;
    drop(kp, SW_R_TOO_LARGE);
}

int sw_kp_lines(sw_kp *kp, int fd) {
    sw_lines r;
    if (sw_lines_open(&r, fd, kp->cfg->max_record_bytes) != 0) {
        errno = ENOMEM;
        return -1;
    }
    sw_line l;
    int rc;
    while ((rc = sw_lines_next(&r, &l)) > 0) {
        if (l.oversize) oversize(kp);
        else if (sw_kp_record(kp, l.p, l.len, l.cap, SW_TIME_NONE) != 0) {
            rc = -2;
            break;
        }
    }
    sw_lines_close(&r);
    return rc;
}

/* " name=count" for each non-zero count of verdicts [from, to), or the
 * JSON object of all of them. */
static uint64_t reasons(FILE *out, bool json, const uint64_t *v, int from, int to) {
    uint64_t total = 0;
    for (int i = from; i < to; i++) {
        total += v[i];
        if (json) fprintf(out, "%s\"%s\":%llu", i > from ? "," : "", sw_verdict_name(i), (unsigned long long)v[i]);
        else if (v[i]) fprintf(out, " %s=%llu", sw_verdict_name(i), (unsigned long long)v[i]);
    }
    return total;
}

static void summary(const sw_kp *kp, FILE *out, bool json, double elapsed_s) {
    const sw_kp_counters *c = &kp->c;
    const char *topic = rd_kafka_topic_name(kp->rkt);
    if (json) {
        fprintf(out, "{\"records\":%llu,\"events\":%llu,\"produced\":%llu,\"unkeyed\":%llu,"
                "\"delivered\":%llu,\"failed\":%llu,\"elapsed_s\":%.3f,\"unkeyed_by\":{",
                (unsigned long long)c->records, (unsigned long long)c->events,
                (unsigned long long)c->produced, (unsigned long long)c->unkeyed,
                (unsigned long long)c->delivered, (unsigned long long)c->failed, elapsed_s);
        reasons(out, true, c->unkeyed_why, 1, SW_VERDICT_COUNT);
        fputs("},\"filtered\":{", out);
        reasons(out, true, c->dropped, 1, SW_V_FILTER_END);
        fputs("},\"rejected\":{", out);
        reasons(out, true, c->dropped, SW_R_MALFORMED, SW_VERDICT_COUNT);
        fputs("}}\n", out);
        return;
    }
    fprintf(out, "sessionwatch %s: %llu records read (%llu events) in %.2f s; %llu produced to %s, "
            "%llu delivered, %llu failed\n", kp->cmd, (unsigned long long)c->records,
            (unsigned long long)c->events, elapsed_s, (unsigned long long)c->produced, topic,
            (unsigned long long)c->delivered, (unsigned long long)c->failed);
    if (c->unkeyed) {
        fprintf(out, "  unkeyed %llu (produced with a NULL key):", (unsigned long long)c->unkeyed);
        reasons(out, false, c->unkeyed_why, 1, SW_VERDICT_COUNT);
        fputc('\n', out);
    }
    if (kp->mode == SW_KP_ELIGIBLE_ONLY) {
        fputs("  filtered", out);
        if (!reasons(out, false, c->dropped, 1, SW_V_FILTER_END)) fputs(" none", out);
        fputc('\n', out);
    }
    fputs("  rejected", out);
    if (!reasons(out, false, c->dropped, SW_R_MALFORMED, SW_VERDICT_COUNT)) fputs(" none", out);
    fputc('\n', out);
}

int sw_kp_finish(sw_kp *kp, bool json_summary, double t0, int status) {
    uint64_t failed = sw_kp_flush(kp);
    summary(kp, stderr, json_summary, sw_mono_s() - t0);
    if (failed)
        fprintf(stderr, "sessionwatch %s: FAILED: %llu of %llu records did not reach topic %s\n", kp->cmd,
                (unsigned long long)failed, (unsigned long long)(kp->c.delivered + failed),
                rd_kafka_topic_name(kp->rkt));
    sw_kp_free(kp);
    return status ? status : failed ? 1 : 0;
}

/* worker_outputs.c -- what a partition's records produce: alerts to the
 * alerts topic, rejected records to the dead-letter topic and, from an
 * input partition with --rules, internal records to their key family's
 * internal topic (itopics.h), all through the run's one shared producer
 * (alert_producer.h).
 *
 * These are the detector's callbacks (part_detector_new binds them to the
 * part), so they run on the worker's thread in the middle of
 * sw_engine_feed, with w->msg the record being fed.  Each output takes a
 * slot in the partition's ack ring first: the ring is what holds a
 * partition's commits back until its outputs are acknowledged, and a full
 * ring is the backpressure that slows consumption to what Kafka
 * acknowledges.  No allocation: the key goes through the worker's one
 * buffer, the headers live on the stack. */
#include "worker_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "hash.h"

/* The ack slot for one more output of the current record.  When the
 * partition's ring is full this waits for acknowledgements (backpressure);
 * NULL once the run has failed, or on a stop: the output is then not sent
 * and the partition is not committed further (the next owner reads the
 * record again). */
static sw_pending *hold(part *p) {
    worker *w = p->w;
    sw_pending *t;
    while (!(t = sw_acks_hold(p->acks, w->msg->offset))) {
        if (!worker_may_commit(w) || worker_stopping(w)) {
            p->unsent = true;
            return NULL;
        }
        worker_sleep_ms(1);
    }
    return t;
}

/* An alert: to --alerts-topic, keyed by its user (kafka.h), with its rule,
 * tenant and id as headers; then the caller's observer, if any. */
void part_on_alert(void *ud, const sw_alert_out *a) {
    part *p = ud;
    worker *w = p->w;
    sw_buf_reset(&w->key);
    sw_user_key(&w->key, a->tenant, a->tenant_len, a->actor, a->actor_len);
    if (w->key.oom) {
        worker_fail(w, "out of memory for an alert key");
        return;
    }
    sw_pending *t = hold(p);
    if (!t) return;
    /* Bounded like the alert's own fields (alert.h): a huge tenant or
     * actor id cannot make the message undeliverable. */
    size_t tenant_len = a->tenant_len > SW_ALERT_MAX_ID ? sw_utf8_cut(a->tenant, a->tenant_len, SW_ALERT_MAX_ID)
                                                        : a->tenant_len;
    size_t key_len = w->key.len < SW_MAX_KEY_BYTES ? w->key.len : SW_MAX_KEY_BYTES;
    const sw_header h[] = {
        {"rule_id", a->rule_id, strlen(a->rule_id)},
        {"tenant", a->tenant, tenant_len},
        {"alert_id", a->alert_id, SW_ALERT_ID_LEN},
    };
    sw_producer_send(w->run->producer, t, w->run->o->alerts_topic, w->key.p, key_len, a->json, a->json_len,
                     h, sizeof h / sizeof h[0]);
    if (w->run->o->on_alert) w->run->o->on_alert(w->run->o->on_alert_ud, a);
}

/* Rare rejections that need the operator: said once per process. */
static void warn_once(const worker *w, sw_verdict why) {
    static sw_log_limit tenants_warned = SW_LOG_LIMIT(SW_LOG_ONCE);
    if (why == SW_R_TOO_MANY_TENANTS)
        sw_log_limited(&tenants_warned, SW_LOG_WARN,
                       "worker %d: more tenants than --max-tenants %" PRIu64 ": events of further tenants are "
                       "rejected as too_many_tenants (raise --max-tenants; 0 = no limit)",
                       w->index, w->run->o->cfg->max_tenants);
}

/* A rejected record goes to --dlq-topic as it came (key and value), with
 * its reason; what does not fit in a message is cut and says so. */
void part_on_reject(void *ud, sw_verdict why, const char *rec, size_t len, const sw_source *src) {
    part *p = ud;
    worker *w = p->w;
    if (why == SW_R_TOO_MANY_TENANTS) warn_once(w, why);
    const char *dlq = w->run->o->dlq_topic;
    if (!dlq) return;
    const rd_kafka_message_t *m = w->msg;
    size_t max_value = sw_producer_max_value(w->run->producer);
    size_t key_len = m->key_len < SW_MAX_KEY_BYTES ? m->key_len : SW_MAX_KEY_BYTES;
    size_t value_len = len < max_value ? len : max_value;
    char index[16], vbytes[24], kbytes[24];
    sw_header h[4] = {{"reason", sw_verdict_name(why), strlen(sw_verdict_name(why))}};
    size_t nh = 1;
    if (src->index != UINT32_MAX)
        h[nh++] = (sw_header){"index", index, (size_t)snprintf(index, sizeof index, "%" PRIu32, src->index)};
    if (value_len < len)
        h[nh++] = (sw_header){"original_value_bytes", vbytes, (size_t)snprintf(vbytes, sizeof vbytes, "%zu", len)};
    if (key_len < m->key_len)
        h[nh++] = (sw_header){"original_key_bytes", kbytes, (size_t)snprintf(kbytes, sizeof kbytes, "%zu", m->key_len)};
    sw_pending *t = hold(p);
    if (!t) return;
    sw_producer_send(w->run->producer, t, dlq, m->key, key_len, m->payload ? rec : NULL, value_len, h, nh);
}

/* A routed event (the routing stage, rengine.h): its internal record to
 * its key family's internal topic, keyed by tenant 0x1F group values (so
 * one key's records share a partition), through the same producer and the
 * same ack ring as the record's alerts: the input offset is committed only
 * once every internal record of the records before it is acknowledged. */
void part_on_route(void *ud, uint32_t family, const char *key, size_t key_len, const char *rec, size_t len,
                   const sw_source *src) {
    (void)src;
    part *p = ud;
    worker *w = p->w;
    sw_pending *t = hold(p);
    if (!t) return;
    w->routed++;
    w->fam[family].records++;
    w->fam[family].bytes += len;
    size_t klen = key_len < SW_MAX_KEY_BYTES ? key_len : SW_MAX_KEY_BYTES;
    sw_producer_send(w->run->producer, t, w->run->itopics[family].name, key, klen, rec, len, NULL, 0);
}

/* metrics.c -- see metrics.h. */
#include "metrics.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "summary.h"

const double sw_hist_bounds[SW_HIST_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                0.25,  0.5,    1,     2.5,  5,     10,  30};

void sw_hist_observe(sw_hist *h, double s) {
    int i = 0;
    while (i < SW_HIST_BUCKETS && s > sw_hist_bounds[i]) i++;
    h->bucket[i]++;
    h->count++;
    h->sum += s;
}

static void head(sw_buf *b, const char *name, const char *type, const char *help) {
    sw_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the exposition format wants (\\, \", \n). */
static void label(sw_buf *b, const char *v) {
    for (; *v; v++) {
        if (*v == '\\' || *v == '"') sw_buf_putc(b, '\\'), sw_buf_putc(b, *v);
        else if (*v == '\n') sw_buf_puts(b, "\\n");
        else sw_buf_putc(b, *v);
    }
}

static void counter(sw_buf *b, const char *name, const char *help, uint64_t v) {
    head(b, name, "counter", help);
    sw_buf_printf(b, "%s %" PRIu64 "\n", name, v);
}

static void gauge(sw_buf *b, const char *name, const char *help, double v) {
    head(b, name, "gauge", help);
    sw_buf_printf(b, "%s %.17g\n", name, v);
}

static void histogram(sw_buf *b, const char *name, const char *help, const sw_worker_metrics *const *w, int n,
                      size_t offset) {
    sw_hist h = {0};
    for (int i = 0; i < n; i++) {
        const sw_hist *x = (const sw_hist *)((const char *)w[i] + offset);
        for (int k = 0; k <= SW_HIST_BUCKETS; k++) h.bucket[k] += x->bucket[k];
        h.count += x->count;
        h.sum += x->sum;
    }
    head(b, name, "histogram", help);
    uint64_t cum = 0;
    for (int k = 0; k < SW_HIST_BUCKETS; k++) {
        cum += h.bucket[k];
        sw_buf_printf(b, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, sw_hist_bounds[k], cum);
    }
    sw_buf_printf(b, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n%s_sum %.9g\n%s_count %" PRIu64 "\n", name, h.count, name, h.sum,
        name, h.count);
}

/* The workers' numbers summed (histograms and lags are read per worker):
 * one list, so a new number is declared and summed in one place. */
#define SUMMED_NUMBERS(X)                                                                           \
    X(tracked_users) X(evicted) X(assigned) X(pending) X(redis_paused) X(checkpoints)               \
    X(checkpoint_failures) X(redis_pauses) X(refused) X(stale_refused) X(redis_denied) X(state_lost) \
    X(replica_waits_short)

#define DECLARE_SUM(f) uint64_t f;
typedef struct {
    sw_counters c;
    SUMMED_NUMBERS(DECLARE_SUM)
} totals;
#undef DECLARE_SUM

/* One sample per loaded rule of the counter at offset in sw_rule_counters,
 * summed over the workers. */
static void rule_counter(sw_buf *b, const char *name, const char *help, const sw_process_metrics *pm,
                         const sw_worker_metrics *const *w, int n, size_t offset) {
    head(b, name, "counter", help);
    for (size_t r = 0; r < pm->n_rules; r++) {
        uint64_t v = 0;
        for (int i = 0; i < n; i++)
            if (w[i]->rules) v += *(const uint64_t *)((const char *)&w[i]->rules[r] + offset);
        sw_buf_printf(b, "%s{rule_id=\"", name);
        label(b, pm->rules[r].rule_id);
        sw_buf_puts(b, "\",rule=\"");
        label(b, pm->rules[r].name);
        sw_buf_printf(b, "\"} %" PRIu64 "\n", v);
    }
}

/* The family and topic labels of family f, as name{family="..",topic=".."}. */
static void family_labels(sw_buf *b, const char *name, const sw_metrics_family *f) {
    sw_buf_printf(b, "%s{family=\"", name);
    label(b, f->family);
    sw_buf_puts(b, "\",topic=\"");
    label(b, f->topic);
    sw_buf_puts(b, "\"}");
}

/* One sample per key family with an internal topic of the counter at
 * offset in sw_family_counters, summed over the workers. */
static void family_counter(sw_buf *b, const char *name, const char *help, const sw_process_metrics *pm,
                           const sw_worker_metrics *const *w, int n, size_t offset) {
    head(b, name, "counter", help);
    for (size_t f = 0; f < pm->n_families; f++) {
        if (!pm->families[f].topic) continue;
        uint64_t v = 0;
        for (int i = 0; i < n; i++)
            if (w[i]->families) v += *(const uint64_t *)((const char *)&w[i]->families[f] + offset);
        family_labels(b, name, &pm->families[f]);
        sw_buf_printf(b, " %" PRIu64 "\n", v);
    }
}

/* A family's lag: its internal topic's partitions held by this process
 * (the per-partition series of sessionwatch_consumer_lag), summed. */
static void family_lag(sw_buf *b, const sw_process_metrics *pm, const sw_worker_metrics *const *w, int n) {
    const char *name = "sessionwatch_family_lag";
    head(b, name, "gauge", "Messages behind the end of a key family's internal topic, summed over the partitions "
         "this process holds.");
    for (size_t f = 0; f < pm->n_families; f++) {
        if (!pm->families[f].topic) continue;
        int64_t lag = 0;
        for (int i = 0; i < n; i++)
            for (uint32_t k = 0; k < w[i]->nlag; k++) {
                const sw_partition_lag *l = &w[i]->lag[k];
                if (l->lag > 0 && l->topic && strcmp(l->topic, pm->families[f].topic) == 0) lag += l->lag;
            }
        family_labels(b, name, &pm->families[f]);
        sw_buf_printf(b, " %" PRId64 "\n", lag);
    }
}

/* Internal topics: per key family (labels family and topic; sum() over
 * them is the process's total). */
static void internal(sw_buf *b, const sw_process_metrics *pm, const sw_worker_metrics *const *w, int n) {
    if (!pm->internal) return;
    family_counter(b, "sessionwatch_internal_records_total", "Internal records produced to the key family's "
                   "internal topic (the routing stage).", pm, w, n, offsetof(sw_family_counters, records));
    family_counter(b, "sessionwatch_internal_bytes_total", "Value bytes of the internal records produced to the key "
                   "family's internal topic (the routing stage).", pm, w, n, offsetof(sw_family_counters, bytes));
    family_counter(b, "sessionwatch_internal_replays_total", "Internal records of the key family read again after a "
                   "routing member died before committing, skipped as counted already (the stateful stage).", pm,
                   w, n, offsetof(sw_family_counters, replays));
    family_lag(b, pm, w, n);
}

/* --rules: the numbers of each rule. */
static void rules(sw_buf *b, const sw_process_metrics *pm, const sw_worker_metrics *const *w, int n) {
    if (!pm->rules) return;
    uint64_t unmatched = 0;
    for (int i = 0; i < n; i++) unmatched += w[i]->unmatched;
    counter(b, "sessionwatch_unmatched_total", "Events no loaded rule matched (--rules).", unmatched);
    rule_counter(b, "sessionwatch_rule_alerts_total", "Alerts of each loaded rule.", pm, w, n,
                 offsetof(sw_rule_counters, alerts));
    rule_counter(b, "sessionwatch_rule_alerts_capped_total", "Alerts of each loaded rule suppressed by its cap "
                 "(max_signals, or --max-alerts).", pm, w, n, offsetof(sw_rule_counters, alerts_capped));
    rule_counter(b, "sessionwatch_rule_matched_total", "Events each loaded rule's query matched.", pm, w, n,
                 offsetof(sw_rule_counters, matched));
    rule_counter(b, "sessionwatch_rule_counted_total", "Matched events in time (threshold rules: with every "
                 "group-by field).", pm, w, n, offsetof(sw_rule_counters, counted));
    rule_counter(b, "sessionwatch_rule_too_late_total", "Matched events behind the rule's window + "
                 "--allowed-lateness.", pm, w, n, offsetof(sw_rule_counters, too_late));
}

void sw_metrics_render(sw_buf *b, const sw_process_metrics *pm, const sw_worker_metrics *const *w, int n) {
    totals t = {0};
    for (int i = 0; i < n; i++) {
        const sw_worker_metrics *m = w[i];
        sw_counters_add(&t.c, &m->c);
#define ADD_SUM(f) t.f += m->f;
        SUMMED_NUMBERS(ADD_SUM)
#undef ADD_SUM
    }
    counter(b, "sessionwatch_records_total", "Kafka records consumed and fed to the detector.", t.c.records);
    counter(b, "sessionwatch_events_total", "Okta events in the parsed records (API pages hold several).",
            t.c.events);
    counter(b, "sessionwatch_eligible_total", "Events the rule counts (session starts in time).", t.c.eligible);
    counter(b, "sessionwatch_covered_total", "Eligible events at or before their key's last alert.",
            t.c.covered);
    head(b, "sessionwatch_filtered_total", "counter", "Events the rule does not count, by reason.");
    for (int v = 1; v < SW_V_FILTER_END; v++)
        sw_buf_printf(b, "sessionwatch_filtered_total{reason=\"%s\"} %" PRIu64 "\n", sw_verdict_name((sw_verdict)v),
            t.c.verdict[v]);
    head(b, "sessionwatch_rejected_total", "counter", "Bad records (or array elements), by reason.");
    for (int v = SW_R_MALFORMED; v < SW_VERDICT_COUNT; v++)
        sw_buf_printf(b, "sessionwatch_rejected_total{reason=\"%s\"} %" PRIu64 "\n", sw_verdict_name((sw_verdict)v),
            t.c.verdict[v]);
    counter(b, "sessionwatch_alerts_total", "Alerts emitted.", t.c.alerts);
    counter(b, "sessionwatch_alerts_capped_total", "Alerts suppressed by --max-alerts.", t.c.alerts_capped);
    counter(b, "sessionwatch_state_nomem_total", "Events dropped because window state could not grow.",
            t.c.nomem);
    gauge(b, "sessionwatch_tracked_users", "Keys (tenant, user) with window state.", (double)t.tracked_users);
    counter(b, "sessionwatch_evicted_total", "Keys forgotten behind their tenant's watermark.", t.evicted);
    counter(b, "sessionwatch_cap_evicted_total", "Keys evicted at --max-tracked-users (least recently active "
            "first).", t.c.cap_evicted);
    gauge(b, "sessionwatch_assigned_partitions", "Partitions consumed by this process (input and internal topics).",
          (double)t.assigned);
    gauge(b, "sessionwatch_pending_partitions", "Assigned partitions whose state is not loaded yet.",
          (double)t.pending);
    head(b, "sessionwatch_consumer_lag", "gauge", "Messages behind the partition's end (librdkafka statistics).");
    for (int i = 0; i < n; i++)
        for (uint32_t k = 0; k < w[i]->nlag; k++) {
            if (w[i]->lag[k].lag < 0) continue;
            sw_buf_puts(b, "sessionwatch_consumer_lag{topic=\"");
            label(b, w[i]->lag[k].topic ? w[i]->lag[k].topic : pm->topic);
            sw_buf_printf(b, "\",partition=\"%" PRId32 "\"} %" PRId64 "\n", w[i]->lag[k].partition, w[i]->lag[k].lag);
        }
    histogram(b, "sessionwatch_processing_latency_seconds",
              "From a record's Kafka timestamp to the moment the detector processed it.", w, n,
              offsetof(sw_worker_metrics, latency_seconds));
    counter(b, "sessionwatch_producer_delivery_failures_total", "Alert and dead-letter deliveries that failed "
            "(transient ones are retried with the same bytes).", pm->delivery_failures);
    gauge(b, "sessionwatch_alerts_unacknowledged", "Alerts and dead letters sent and not yet acknowledged.",
          (double)pm->unacknowledged);
    head(b, "sessionwatch_undeliverable_total", "counter", "Alerts and dead letters refused for good (re-sending "
         "cannot cure it), by reason: sent to the dead-letter topic instead, or dropped.");
    for (int i = 0; i < SW_METRICS_UNDELIVERABLE_REASONS; i++) {
        if (!pm->undeliverable_reason[i]) continue;
        sw_buf_printf(b, "sessionwatch_undeliverable_total{reason=\"%s\",outcome=\"dead_lettered\"} %" PRIu64 "\n",
            pm->undeliverable_reason[i], pm->dead_lettered[i]);
        sw_buf_printf(b, "sessionwatch_undeliverable_total{reason=\"%s\",outcome=\"dropped\"} %" PRIu64 "\n",
            pm->undeliverable_reason[i], pm->dropped[i]);
    }
    gauge(b, "sessionwatch_delivery_stalled_seconds", "Seconds without any acknowledgement while messages are "
          "in flight (0 when none is).", pm->delivery_stalled_seconds);
    if (pm->redis) {
        counter(b, "sessionwatch_checkpoints_total", "Partition checkpoints written to Redis.", t.checkpoints);
        counter(b, "sessionwatch_checkpoint_failures_total", "Partition checkpoints Redis failed or refused.",
                t.checkpoint_failures);
        histogram(b, "sessionwatch_checkpoint_duration_seconds",
                  "One checkpoint round trip (every due partition of a worker, pipelined).", w, n,
                  offsetof(sw_worker_metrics, checkpoint_seconds));
        gauge(b, "sessionwatch_redis_paused", "1 while a worker has paused its partitions because Redis fails.",
              t.redis_paused > 0);
        counter(b, "sessionwatch_redis_pauses_total", "Times a worker paused its partitions for Redis.",
                t.redis_pauses);
        gauge(b, "sessionwatch_partitions_refused", "Assigned partitions not consumed because their state in "
              "Redis is refused (a key of another type or format); each is retried with backoff.",
              (double)t.refused);
        counter(b, "sessionwatch_checkpoints_refused_total", "Restored checkpoints refused because Kafka contradicts "
                "their offset (topic recreated, foreign or stale state); the partition started empty.",
                t.stale_refused);
        gauge(b, "sessionwatch_redis_auth_failed", "1 while Redis refuses the credentials of a worker (AUTH, NOAUTH, "
              "NOPERM, SELECT).", t.redis_denied > 0);
        counter(b, "sessionwatch_state_lost_total", "Partition states found lost in Redis (gone or older than the "
                "owner's last checkpoint); each is rewritten whole.", t.state_lost);
        counter(b, "sessionwatch_replica_wait_short_total", "Checkpoint rounds WAIT confirmed on fewer than "
                "--state-replicas replicas (not counted, retried).", t.replica_waits_short);
    }
    internal(b, pm, w, n);
    rules(b, pm, w, n);
    gauge(b, "sessionwatch_failed", "1 once the run has failed (it stops without committing further).", pm->failed);
}

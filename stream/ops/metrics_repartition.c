/* metrics_repartition.c -- see metrics_repartition.h. */
#include "metrics_repartition.h"

#include <inttypes.h>

static void counter(sw_buf *b, const char *name, const char *help, uint64_t v) {
    sw_buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name, help, name, name, v);
}

/* One counter with a reason label per verdict in [from, to). */
static void by_reason(sw_buf *b, const char *name, const char *help, const uint64_t *v, int from, int to) {
    sw_buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    for (int i = from; i < to; i++)
        sw_buf_printf(b, "%s{reason=\"%s\"} %" PRIu64 "\n", name, sw_verdict_name((sw_verdict)i), v[i]);
}

void sw_repartition_metrics_render(sw_buf *out, const sw_repartition_metrics *m) {
    counter(out, "sessionwatch_repartition_records_total", "Input records consumed.", m->records);
    counter(out, "sessionwatch_repartition_events_total", "Events in the input records that parsed.", m->events);
    counter(out, "sessionwatch_repartition_produced_total", "Events produced to the output topic.", m->produced);
    counter(out, "sessionwatch_repartition_delivered_total", "Produced events acknowledged by the brokers.",
            m->delivered);
    counter(out, "sessionwatch_repartition_produce_errors_total",
            "Events refused by the producer or not delivered (their input is not committed).", m->failed);
    by_reason(out, "sessionwatch_repartition_filtered_total", "Events the rule cannot count, not produced, by reason.",
              m->dropped, 1, SW_V_FILTER_END);
    by_reason(out, "sessionwatch_repartition_rejected_total", "Records or events rejected as invalid, by reason.",
              m->dropped, SW_R_MALFORMED, SW_VERDICT_COUNT);
    sw_buf_printf(out,
                  "# HELP sessionwatch_repartition_assigned_partitions Input partitions held.\n"
                  "# TYPE sessionwatch_repartition_assigned_partitions gauge\n"
                  "sessionwatch_repartition_assigned_partitions %" PRIu32 "\n",
                  m->assigned);
}

int sw_repartition_ready(const sw_repartition_metrics *m, const char **why) {
    if (!m->producer_ok) return *why = "not ready: the producer failed (records could not be produced)\n", 503;
    if (!m->joined) return *why = "not ready: no assignment from the consumer group yet\n", 503;
    return *why = "ready\n", 200;
}

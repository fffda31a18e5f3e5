/* worker_http.c -- what --metrics-addr serves (http.h runs the server;
 * this is its handler, on libmicrohttpd's thread):
 *   /metrics  the Prometheus text of every member's snapshot and the
 *             producer's process-wide numbers (metrics.h)
 *   /healthz  200 "ok" unless the run has failed (then 503 "failed")
 *   /readyz   200 "ready" once every member has joined its group, every
 *             assigned partition's state is loaded and Redis is not
 *             failing; else 503 and the first reason.  Internal topics'
 *             partitions count exactly as the input's (one subscription,
 *             one assignment: a member has joined only once it holds both;
 *             a refused one is named "internal topic T partition N")
 * It reads the members' snapshots under their locks (worker_publish.c)
 * and the producer's atomics, nothing else. */
#include "worker_internal.h"

#include <string.h>

int run_serve_http(void *ud, const char *path, sw_buf *body, const char **type) {
    run_ctx *r = ud;
    const sw_run_opts *o = r->o;
    bool failed = atomic_load(&r->failed) || sw_producer_fatal(r->producer);
    if (strcmp(path, "/healthz") == 0) {
        sw_buf_puts(body, failed ? "failed\n" : "ok\n");
        return failed ? 503 : 200;
    }
    const sw_worker_metrics *ms[SW_MAX_THREADS];
    int n = r->started < SW_MAX_THREADS ? r->started : SW_MAX_THREADS;
    run_lock_published(r, n);
    for (int i = 0; i < n; i++) ms[i] = &r->ws[i].pub->m;
    int status = 200;
    if (strcmp(path, "/metrics") == 0) {
        sw_process_metrics pm = {
            .topic = o->topic, .redis = o->state != NULL, .failed = failed,
            .delivery_failures = sw_producer_failures(r->producer),
            .unacknowledged = sw_producer_inflight(r->producer),
            .delivery_stalled_seconds = (double)sw_producer_stalled_ms(r->producer) / 1000.0,
            .rules = o->rules, .n_rules = o->n_rules, .internal = r->any_routed,
            .families = r->mfamilies, .n_families = r->nfamilies,
        };
        for (int k = 0; k < SW_UNDELIVERABLE_COUNT && k < SW_METRICS_UNDELIVERABLE_REASONS; k++) {
            pm.undeliverable_reason[k] = sw_undeliverable_name(k);
            pm.dead_lettered[k] = sw_producer_undeliverable(r->producer, k, true);
            pm.dropped[k] = sw_producer_undeliverable(r->producer, k, false);
        }
        sw_metrics_render(body, &pm, ms, n);
        *type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (strcmp(path, "/readyz") == 0) {
        /* Ready: every member has joined the group (an empty assignment
         * counts), every assigned partition's state is loaded, Redis is
         * not failing, and the run has not failed. */
        const char *why = failed ? "the run failed" : NULL;
        const char *detail = NULL;
        if (!why && sw_producer_stalled_ms(r->producer) > DELIVERY_STALL_MS)
            why = "alert deliveries stalled: nothing acknowledged for over 60 s (see the log)";
        for (int i = 0; i < n && !why; i++) {
            if (!ms[i]->joined) why = "a worker has not joined its consumer group yet";
            else if (ms[i]->redis_denied) why = "Redis refuses our credentials", detail = ms[i]->problem;
            else if (ms[i]->redis_paused) why = "Redis is failing: partitions paused";
            else if (ms[i]->refused) why = "a partition's state in Redis is refused", detail = ms[i]->problem;
            else if (ms[i]->pending) why = "a partition's state is not loaded yet", detail = ms[i]->problem;
        }
        sw_buf_puts(body, why ? why : "ready");
        if (detail && detail[0]) {
            sw_buf_puts(body, ": ");
            sw_buf_puts(body, detail);
        }
        sw_buf_putc(body, '\n');
        status = why ? 503 : 200;
    } else {
        sw_buf_puts(body, "not found: try /metrics, /healthz or /readyz\n");
        status = 404;
    }
    run_unlock_published(r, n);
    return status;
}

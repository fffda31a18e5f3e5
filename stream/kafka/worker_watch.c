/* worker_watch.c -- the thread that called sw_run, once the members run:
 * it only watches.  Every 50 ms it reads every member's snapshot
 * (run_look, worker_publish.c) and
 *   - keeps the caller's assigned / members_assigned counters current;
 *   - writes the status line every --status-interval;
 *   - fails the run when the alert producer has failed;
 *   - with --exit-at-end, sets the stop once everything assigned is at its
 *     end, acknowledged, checkpointed and committed, and nothing new came
 *     for SETTLE_MS;
 *   - once a stop is under way, ends the process (status 1) should the
 *     members still hang STOP_WATCHDOG_MS past the stop's deadline (a hang
 *     in librdkafka's close: nothing else waits unbounded).
 * It returns when every member's thread is done. */
#include "worker_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The Redis part of the status line: redis=ok, down, down(paused),
 * auth-failed (Redis refuses our credentials), then refused=N when
 * partitions are refused, and what is wrong in parentheses. */
static void redis_status(const run_view *v, char *out, size_t n) {
    const char *word = v->redis_health == SW_CKPT_DENIED               ? "auth-failed"
                       : v->redis_down || v->redis_health != SW_CKPT_OK ? "down"
                                                                        : "ok";
    char refused[32] = "";
    if (v->refused) snprintf(refused, sizeof refused, " refused=%u", v->refused);
    /* The problem up to its first "; " (the log and /readyz say the rest). */
    int plen = (int)strcspn(v->problem, ";");
    snprintf(out, n, " checkpoints=%" PRIu64 " redis=%s%s%s%s%.*s%s", v->checkpoints, word,
             v->redis_down ? "(paused)" : "", refused, v->problem[0] ? " (" : "", plen > 300 ? 300 : plen, v->problem,
             v->problem[0] ? ")" : "");
}

static void status_line(const run_view *v, const run_view *prev, double dt_s, const sw_producer *pr, bool redis) {
    char state[512] = "";
    if (redis) redis_status(v, state, sizeof state);
    sw_log(SW_LOG_INFO,
            "status records=%" PRIu64 " (%.0f/s) eligible=%" PRIu64 " (%.0f/s) alerts=%" PRIu64
            " unacked=%" PRIu64 " lag=%" PRId64 " users=%" PRIu64 " partitions=%u failures=%" PRIu64 "%s",
            v->records, (double)(v->records - prev->records) / dt_s, v->eligible,
            (double)(v->eligible - prev->eligible) / dt_s, v->alerts, sw_producer_inflight(pr), v->lag, v->users,
            v->assigned, sw_producer_failures(pr), state);
}

/* The stop is bounded whatever is in flight: what is not acknowledged by
 * the deadline is not committed, and the next owner reads it again.  Past
 * it, only a hang in librdkafka can keep a member: this ends the process. */
static void watchdog(run_ctx *r, int64_t now) {
    if (!atomic_load(r->o->stop) && !atomic_load(&r->failed)) return;
    if (now > run_stop_deadline(r) + STOP_WATCHDOG_MS) {
        sw_log(SW_LOG_ERROR, "the stop did not finish within %d s; exiting without waiting further "
                        "(uncommitted records will be read again)", (SW_STOP_MS + STOP_WATCHDOG_MS) / 1000);
        _exit(1);
    }
}

/* --exit-at-end: the end is something assigned, all of it at EOF,
 * acknowledged and committed, and nothing new for SETTLE_MS. */
typedef struct {
    run_view quiet;      /* the view the quiet time started with */
    int64_t quiet_since; /* -1: not at the end */
} settle;

static void exit_at_end(run_ctx *r, settle *s, const run_view *v, int64_t now) {
    if (!r->o->exit_at_end || atomic_load(r->o->stop)) return;
    bool end = v->assigned > 0 && v->eof == v->assigned && v->settled && v->waiting == 0;
    if (!end || s->quiet_since < 0 || v->activity != s->quiet.activity) {
        s->quiet_since = end ? now : -1;
        s->quiet = *v;
    } else if (now - s->quiet_since >= SETTLE_MS) {
        atomic_store(r->o->stop, 1);
    }
}

void run_watch(run_ctx *r, int64_t t0) {
    const sw_run_opts *o = r->o;
    run_view prev = {0};
    settle s = {.quiet_since = -1};
    int64_t last_status = t0;
    while (r->started > 0) {
        worker_sleep_ms(50);
        run_view v = run_look(r);
        int64_t now = sw_mono_coarse_ms();
        if (o->assigned) atomic_store(o->assigned, v.assigned);
        if (o->members_assigned) atomic_store(o->members_assigned, v.members_assigned);
        if (v.done) break;
        watchdog(r, now);
        if (o->status_interval_ms > 0 && now - last_status >= o->status_interval_ms) {
            status_line(&v, &prev, (double)(now - last_status) / 1000.0, r->producer, o->state != NULL);
            prev = v;
            last_status = now;
        }
        if (sw_producer_fatal(r->producer) && !atomic_load(&r->failed)) {
            sw_log(SW_LOG_ERROR, "the alert producer failed; stopping");
            atomic_store(&r->failed, true);
        }
        exit_at_end(r, &s, &v, now);
    }
}

/* worker_loop.c -- one group member's thread: poll a record, feed it to
 * its partition's engine, and between records (every 256, and whenever
 * the poll comes back empty) do the periodic work: Redis loads and
 * checkpoints, commits every second, publishing its numbers every 100 ms,
 * and for --exit-at-end deciding whether it is settled.  Then, on a stop,
 * its shutdown: flush, checkpoint, commit, leave the group.
 *
 * The record path (handle) is the hot path: no allocation, no lock, no
 * syscall.  It reads the coarse wall clock for the latency histogram
 * (clock.h), and counts into the worker's plain fields; nothing it writes
 * is read by another thread except through worker_publish. */
#include "worker_internal.h"

#include <inttypes.h>
#include <stdio.h>

static void handle(worker *w, const rd_kafka_message_t *m) {
    if (m->err) {
        part *p = part_find(w, m->partition);
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (p && !p->eof) p->eof = true, w->progress.at_eof++;
        } else {
            worker_on_error(w->rk, m->err, rd_kafka_message_errstr(m), w);
        }
        return;
    }
    part *p = part_find(w, m->partition);
    if (!p || p->fenced || !p->loaded) return; /* from a partition this worker no longer owns (or refused) */
    if (p->paused) {
        /* Fetched before the pause took effect: read again on resume. */
        if (p->skipped_from < 0) p->skipped_from = m->offset;
        return;
    }
    if (p->next >= 0 && m->offset < p->next) return; /* already fed (a fetch from before a seek) */
    if (p->eof) p->eof = false, w->progress.at_eof--;
    int64_t ts = rd_kafka_message_timestamp(m, NULL);
    if (ts >= 0) {
        int64_t age = sw_wall_coarse_ms() - ts; /* coarse: no syscall, no counter read */
        sw_hist_observe(&w->latency, age > 0 ? (double)age / 1000.0 : 0);
    }
    sw_source src = {
        .topic = w->run->o->topic, .partition = m->partition, .offset = m->offset,
        .kafka_time_ms = ts >= 0 ? ts : SW_TIME_NONE, .index = UINT32_MAX,
    };
    w->msg = m;
    w->bytes += m->len;
    /* librdkafka promises nothing after the payload, so cap = len: the
     * parser copies candidates into its own padded buffer (prefiltered
     * records are never copied). */
    sw_detector_feed(p->det, w->parser, m->payload ? (const char *)m->payload : "", m->len, m->len, &src);
    w->msg = NULL;
    p->next = m->offset + 1;
}

/* Periodic work between records: commits, the published numbers, and for
 * --exit-at-end whether this worker is at the end with nothing pending. */
static void housekeeping(worker *w, bool idle) {
    int64_t now = sw_mono_coarse_ms();
    bool at_end = idle && w->progress.at_eof == w->progress.assigned;
    /* At the end of the input a checkpoint need not wait for its interval. */
    if (worker_redis_mode(w)) state_housekeeping(w, at_end && w->run->o->exit_at_end);
    if (now - w->last_commit_ms >= COMMIT_EVERY_MS) {
        w->last_commit_ms = now;
        worker_commit(w, false, NULL);
    }
    if (now - w->last_publish_ms >= PUBLISH_EVERY_MS || idle) {
        w->last_publish_ms = now;
        worker_publish(w);
    }
    if (idle && w->run->o->exit_at_end && w->progress.at_eof == w->progress.assigned && !w->progress.settled) {
        /* At the end: settled once everything is acknowledged and committed. */
        if (worker_waiting(w, NULL) == 0 && state_checkpointed(w) && worker_commit(w, true, NULL) == 0) {
            w->progress.settled = true;
            worker_publish(w); /* said at once */
        }
    }
}

/* librdkafka before 2.3.0 (Debian 12 ships 2.0.2) aborts the process when
 * a cooperative-sticky consumer is destroyed between its JoinGroup response
 * (the assignor is chosen) and its first SyncGroup (the assignor's state is
 * made): rd_kafka_cgrp_destroy_final asserts the state in
 * rd_kafka_sticky_assignor_state_destroy, and a closing consumer ignores
 * the SyncGroup that would make it (librdkafka issue 4312).  A member
 * stopped right after it started, during a rolling restart, hits it.  So a
 * member that has not had its first assignment keeps polling, up to
 * FIRST_ASSIGN_MS, until it has (nothing more is fed: the stop is on);
 * false when it still has not, and then its handle must not be destroyed. */
static bool await_first_assignment(worker *w) {
    int64_t deadline = worker_wait_deadline(w, FIRST_ASSIGN_MS);
    while (!w->joined && sw_mono_coarse_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(w->rk, POLL_MS);
        if (m) rd_kafka_message_destroy(m); /* not fed, so never committed */
    }
    return w->joined;
}

void *worker_main(void *arg) {
    worker *w = arg;
    uint32_t burst = 0;
    if (worker_redis_mode(w)) {
        /* Connect (AUTH, SELECT) now, so that the status line and /readyz
         * know from the start whether Redis takes us. */
        bool up = sw_redis_connect(&w->redis) == 0;
        sw_ckpt_status st = up                                            ? SW_CKPT_OK
                            : w->redis.fault == SW_REDIS_FAULT_DENIED ? SW_CKPT_DENIED
                                                                      : SW_CKPT_UNAVAILABLE;
        state_note_redis(w, st, w->redis.err);
        worker_publish(w);
    }
    while (!worker_stopping(w)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(w->rk, POLL_MS);
        if (m) {
            w->progress.activity++;
            if (!m->err && w->progress.settled) worker_unsettle(w);
            handle(w, m);
            rd_kafka_message_destroy(m);
        }
        if (!m || ++burst == 256) {
            burst = 0;
            housekeeping(w, !m);
        }
    }
    /* Shutdown: no more fetching; flush alerts, checkpoint, commit, leave
     * the group. */
    if (!w->joined && !await_first_assignment(w)) {
        sw_log(SW_LOG_WARN, "worker %d: stopped before its first assignment came; its consumer is left "
                        "for the process exit to end (librdkafka 2.0.2 would abort destroying it)", w->index);
        w->keep_handle = true;
    }
    if (!worker_drain(w, NULL, DRAIN_MS) && worker_may_commit(w))
        sw_log(SW_LOG_WARN, "worker %d: alerts still unacknowledged when the stop's %d s ran out; their "
                        "records are not committed and will be read again", w->index, SW_STOP_MS / 1000);
    if (worker_redis_mode(w) && worker_may_commit(w)) state_housekeeping(w, true);
    worker_commit(w, true, NULL);
    rd_kafka_consumer_close(w->rk); /* revokes (and so drops) every partition */
    for (int32_t i = 0; i < w->parts_cap; i++)
        if (w->parts[i]) part_close(w, w->parts[i], true);
    w->progress.done = true;
    worker_publish(w);
    return NULL;
}

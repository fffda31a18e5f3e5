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

/* The run topic a message is of: its handle is compared first (one load),
 * its name only the first time a handle is seen. */
static int topic_of(worker *w, const rd_kafka_message_t *m) {
    for (int t = 0; t < w->run->ntopics; t++)
        if (w->topics[t].rkt == m->rkt) return t;
    int t = m->rkt ? worker_topic_index(w, rd_kafka_topic_name(m->rkt)) : -1;
    if (t >= 0) w->topics[t].rkt = m->rkt;
    return t;
}

static void handle(worker *w, const rd_kafka_message_t *m) {
    part *p = part_find(w, topic_of(w, m), m->partition);
    if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (p && !p->eof) p->eof = true, w->progress.at_eof++;
        } else {
            worker_on_error(w->rk, m->err, rd_kafka_message_errstr(m), w);
        }
        return;
    }
    if (!p || p->fenced || !p->loaded) return; /* from a partition this worker no longer owns (or refused) */
    if (p->paused) {
        /* Fetched before the pause took effect: read again on resume. */
        if (p->skipped_from < 0) p->skipped_from = m->offset;
        return;
    }
    if (p->next >= 0 && m->offset < p->next) return; /* already fed (a fetch from before a seek) */
    if (p->eof) p->eof = false, w->progress.at_eof--;
    int64_t ts = rd_kafka_message_timestamp(m, NULL);
    if (ts >= 0 && !p->internal) {
        int64_t age = sw_wall_coarse_ms() - ts; /* coarse: no syscall, no counter read */
        sw_hist_observe(&w->latency, age > 0 ? (double)age / 1000.0 : 0);
    }
    sw_source src = {
        .topic = p->topic_name, .partition = m->partition, .offset = m->offset,
        .kafka_time_ms = ts >= 0 ? ts : SW_TIME_NONE, .index = UINT32_MAX,
    };
    w->msg = m;
    w->bytes += m->len;
    const char *rec = m->payload ? (const char *)m->payload : "";
    if (!p->internal) {
        /* librdkafka promises nothing after the payload, so cap = len: the
         * parser copies candidates into its own padded buffer (prefiltered
         * records are never copied). */
        sw_detector_feed(p->det, w->parser, rec, m->len, m->len, &src);
    } else if (!part_dedup_seen(w, p, (const char *)m->key, m->key_len, rec, m->len)) {
        sw_detector_feed_internal(p->det, rec, m->len, &src);
    }
    w->msg = NULL;
    p->next = m->offset + 1;
}

/* --exit-at-end with internal topics: an internal partition's EOF event
 * says nothing of records produced since (another member's routing,
 * acknowledged but not fetched yet), so its end is asked of the broker:
 * caught up when every internal partition was fed up to its high
 * watermark.  One batched ListOffsets (latest) for all of them, only while
 * this member is otherwise settled: a query per partition took longer than
 * the stop allows with a few hundred partitions. */
static int64_t fed_up_to(worker *w, const part *p) {
    if (p->next >= 0) return p->next;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, p->topic_name, p->id);
    int64_t at = rd_kafka_position(w->rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR ? l->elems[0].offset : -1;
    rd_kafka_topic_partition_list_destroy(l);
    return at; /* < 0: nothing fetched yet */
}

/* The internal partitions' offsets at `when` (-1 latest, -2 earliest) into
 * a new list (NULL when the brokers did not answer for every one). */
static rd_kafka_topic_partition_list_t *internal_offsets(worker *w, int64_t when) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)w->progress.assigned + 1);
    for (part *p = part_next(w, NULL); p; p = part_next(w, p))
        if (p->internal && !p->fenced) rd_kafka_topic_partition_list_add(l, p->topic_name, p->id)->offset = when;
    bool ok = l->cnt == 0 || rd_kafka_offsets_for_times(w->rk, l, KAFKA_QUERY_MS) == RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; ok && i < l->cnt; i++) ok = !l->elems[i].err;
    if (!ok) rd_kafka_topic_partition_list_destroy(l);
    return ok ? l : NULL;
}

static bool internal_caught_up(worker *w) {
    rd_kafka_topic_partition_list_t *end = internal_offsets(w, -1), *start = NULL;
    bool caught_up = end != NULL;
    for (int i = 0; caught_up && i < end->cnt; i++) {
        const rd_kafka_topic_partition_t *e = &end->elems[i];
        part *p = part_find(w, worker_topic_index(w, e->topic), e->partition);
        int64_t at = p ? fed_up_to(w, p) : -1;
        if (at < 0 && !start) start = internal_offsets(w, -2); /* nothing fetched: caught up only when empty */
        if (at < 0 && !start) caught_up = false;
        else if (at < 0) at = start->elems[i].offset; /* the same partitions in the same order */
        if (!p || e->offset > at) caught_up = false;
    }
    if (end) rd_kafka_topic_partition_list_destroy(end);
    if (start) rd_kafka_topic_partition_list_destroy(start);
    return caught_up;
}

/* --exit-at-end: settled once at the end, everything acknowledged,
 * checkpointed and committed (and the internal partitions caught up);
 * while settled, the internal partitions are asked again every
 * SETTLE_RECHECK_MS, so that records another member routed since unsettle
 * it before the watcher's quiet time ends. */
static void settle(worker *w, int64_t now) {
    bool internal = w->run->any_routed && w->run->o->stage != SW_STAGE_ROUTE;
    if (w->progress.settled) {
        if (!internal || now - w->settle_checked_ms < SETTLE_RECHECK_MS) return;
        w->settle_checked_ms = now;
        if (!internal_caught_up(w)) {
            w->progress.activity++;
            worker_unsettle(w);
        }
        return;
    }
    if (worker_waiting(w, NULL) == 0 && state_checkpointed(w) && worker_commit(w, true, NULL) == 0 &&
        (!internal || internal_caught_up(w))) {
        w->settle_checked_ms = now;
        w->progress.settled = true;
        worker_publish(w); /* said at once */
    }
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
    if (idle && w->run->o->exit_at_end && w->progress.at_eof == w->progress.assigned) settle(w, now);
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
    for (part *p = part_next(w, NULL), *next; p; p = next) {
        next = part_next(w, p);
        part_close(w, p, true);
    }
    w->progress.done = true;
    worker_publish(w);
    return NULL;
}

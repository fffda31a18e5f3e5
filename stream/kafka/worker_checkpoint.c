/* worker_checkpoint.c -- Redis state, while a partition is consumed:
 * every --checkpoint-interval (and on revoke, on shutdown, at the end) the
 * changed state of each due partition is written in one pipelined round
 * trip, once every alert of the records before its offset is acknowledged;
 * with --state-replicas it counts only once WAIT confirms it.  An idle
 * partition's state is probed instead, so that a loss in Redis is repaired.
 *
 * Redis failing: every partition of the worker is paused (nothing is
 * processed that could not be checkpointed), the checkpoint is retried
 * with backoff, and on success each partition is sought back to its next
 * record and resumed.  A partition fenced by another owner stops being
 * read; one whose keys are refused stops alone (part_refuse). */
#include "worker_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "summary.h"

/* Pauses (or resumes) every consumed partition.  Resuming seeks each one
 * back to its next record first: what was skipped while paused is read
 * again. */
static void set_paused(worker *w, bool pause) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)w->progress.assigned + 1);
    for (part *p = part_next(w, NULL); p; p = part_next(w, p)) {
        if (!p->loaded || p->fenced || p->paused == pause) continue;
        rd_kafka_topic_partition_list_add(l, p->topic_name, p->id)->offset = part_resume_offset(p);
        p->paused = pause;
    }
    if (pause) {
        rd_kafka_pause_partitions(w->rk, l);
    } else {
        rd_kafka_topic_partition_list_t *seek = rd_kafka_topic_partition_list_new(l->cnt + 1);
        for (int i = 0; i < l->cnt; i++)
            if (l->elems[i].offset >= 0) rd_kafka_topic_partition_list_add(seek, l->elems[i].topic, l->elems[i].partition)->offset = l->elems[i].offset;
        rd_kafka_error_t *error = seek->cnt ? rd_kafka_seek_partitions(w->rk, seek, SEEK_TIMEOUT_MS) : NULL;
        if (error) {
            /* Resuming without the seek could skip what was dropped while
             * paused: stop instead; a restart resumes from the checkpoint. */
            char why[400];
            snprintf(why, sizeof why, "cannot seek back after a pause: %s", rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
            worker_fail(w, why);
        }
        rd_kafka_topic_partition_list_destroy(seek);
        rd_kafka_resume_partitions(w->rk, l);
        for (part *p = part_next(w, NULL); p; p = part_next(w, p)) p->skipped_from = -1;
    }
    rd_kafka_topic_partition_list_destroy(l);
}

typedef enum { CK_DONE, CK_LATER, CK_FAILED, CK_SENT, CK_PROBED } ck_result;

/* A loss of p's state in Redis, seen by a checkpoint or a probe: not Redis
 * failing, but what it holds is gone or older than what this worker wrote;
 * the next checkpoint (at once) writes the whole partition. */
static void state_lost(worker *w, const part *p, const char *err) {
    w->state_lost++;
    sw_log(SW_LOG_ERROR, "worker %d: partition %" PRId32 ": its state in Redis was lost: %s; writing the "
                    "partition's whole state with the next checkpoint (until then a worker taking it over "
                    "would restore the older or empty state Redis holds)", w->index, p->id, err);
}

/* First half of a checkpoint of p, if it is due (always when final): its
 * changed state and its next offset are queued on the worker's Redis
 * connection (CK_SENT; ck_finish reads the reply), once the alerts of the
 * records before that offset are acknowledged. */
static ck_result ck_send(worker *w, part *p, int64_t now, bool final) {
    const sw_run_opts *o = w->run->o;
    if (!p->ckpt || !p->loaded || p->fenced || p->unsent) return CK_DONE;
    int64_t at = p->next >= 0 ? p->next : p->ckpt_offset;
    int64_t age = now - p->ckpt_ms;
    if (at < 0 || (!final && age < o->checkpoint_interval_ms)) return CK_DONE; /* the cheap test first */
    /* A loss is repaired at once, and a checkpoint that no replica
     * confirmed is written again (on today's connection, for WAIT). */
    bool changed = at != p->ckpt_offset || sw_ckpt_full_pending(p->ckpt) || p->durable != p->ckpt_offset;
    for (size_t i = 0; !changed && i < sw_detector_stores(p->det); i++)
        changed = sw_store_changed(sw_detector_store(p->det, i));
    bool refresh = age >= o->state_ttl_ms / 4;
    if (!(changed || refresh)) {
        /* Idle: at most once an interval, check that Redis still holds
         * what was written last (one HMGET), so that a loss is repaired
         * even where nothing changes. */
        if (now - p->probe_ms < o->checkpoint_interval_ms) return CK_DONE;
        if (sw_ckpt_probe_send(p->ckpt, &w->redis) != 0) {
            w->ckpt_failures++;
            worker_log_limited(w, "partition %" PRId32 ": checking its state: %s", p->id, w->redis.err);
            return CK_FAILED;
        }
        p->probe_ms = now;
        return CK_PROBED;
    }
    sw_acks_commit_point(p->acks, p->next);
    if (sw_acks_waiting(p->acks) > 0) {
        /* A periodic checkpoint tries again on the next turn rather than
         * stall consumption; only one long overdue waits a moment. */
        if (!final && age < 3 * o->checkpoint_interval_ms + OVERDUE_MS) return CK_LATER;
        if (!worker_drain(w, p, final ? DRAIN_MS : CKPT_DRAIN_MS)) return CK_LATER;
    }
    sw_ckpt_stats cs;
    char err[700];
    if (p->dedup) {
        /* The replay guard goes with the windows it guards, in one script. */
        size_t n;
        const void *guard = part_dedup_encode(p->dedup, &n);
        if (!guard) {
            worker_fail(w, "out of memory writing a checkpoint");
            return CK_FAILED;
        }
        sw_ckpt_set_extra(p->ckpt, guard, n);
    }
    sw_ckpt_status rc = sw_ckpt_write_send(p->ckpt, &w->redis, sw_detector_store_list(p->det), at, o->state_ttl_ms, &cs, err, sizeof err);
    if (rc != SW_CKPT_OK) {
        w->ckpt_failures++;
        state_note_redis(w, rc, err);
        if (rc == SW_CKPT_NOMEM) worker_fail(w, "out of memory writing a checkpoint");
        else worker_log_limited(w, "partition %" PRId32 ": %s (%s)", p->id, err, state_status_name(rc));
        return CK_FAILED;
    }
    p->ckpt_pending = at;
    w->ckpt_users += cs.users;
    w->ckpt_bytes += cs.bytes;
    return CK_SENT;
}

/* p's checkpoint was refused (one of its keys holds something else): p
 * alone stops.  Its last checkpoint is committed, it leaves librdkafka's
 * assignment, its in-memory state is dropped (Redis no longer holds a
 * consistent copy of it), and its load is retried with backoff, so it
 * resumes once someone deletes (or fixes) its keys. */
static void part_refuse(worker *w, part *p, const char *err) {
    const sw_run_opts *o = w->run->o;
    char hint[1200];
    sw_ckpt_clear_hint(p->ckpt, o->state, hint, sizeof hint);
    sw_log(SW_LOG_ERROR, "worker %d: group %s topic %s partition %" PRId32 ": %s; only this partition stops: its "
                    "in-memory state is dropped and its load retried with backoff; to start it afresh (empty "
                    "windows, from offset %" PRId64 ") delete its state: %s", w->index, o->group, p->topic_name, p->id, err,
            p->ckpt_offset, hint);
    worker_commit(w, true, p);
    p->loaded = false; /* before worker_assign_loaded: the eager path reassigns the loaded ones */
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    if (strcmp(rd_kafka_rebalance_protocol(w->rk), "COOPERATIVE") == 0) {
        rd_kafka_topic_partition_list_add(l, p->topic_name, p->id);
        rd_kafka_error_t *error = rd_kafka_incremental_unassign(w->rk, l);
        if (error) {
            sw_log(SW_LOG_ERROR, "worker %d: unassign: %s", w->index, rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
        }
    } else {
        worker_assign_loaded(w, l); /* eager: the whole assignment again, without p */
    }
    rd_kafka_topic_partition_list_destroy(l);
    part_retire_counters(w, p);
    if (part_detector_reset(w, p) != 0) return;
    if (p->eof) p->eof = false, w->progress.at_eof--;
    p->next = p->start = p->skipped_from = p->ckpt_offset = p->durable = -1;
    p->paused = false;
    p->refused = true;
    p->refused_backoff_ms = REFUSED_RETRY_MS;
    part_set_why(p, err, hint);
    p->retry_ms = sw_mono_coarse_ms() + REFUSED_RETRY_MS;
}

/* Second half: the reply of p's queued checkpoint (or probe). */
static ck_result ck_finish(worker *w, part *p, int64_t now) {
    const sw_run_opts *o = w->run->o;
    char err[700];
    if (p->ckpt_sent == CK_PROBED) {
        sw_ckpt_status st = sw_ckpt_probe_recv(p->ckpt, &w->redis, err, sizeof err);
        if (st == SW_CKPT_LOST) state_lost(w, p, err);
        if (st != SW_CKPT_OK && st != SW_CKPT_LOST) {
            w->ckpt_failures++;
            worker_log_limited(w, "partition %" PRId32 ": %s (%s)", p->id, err, state_status_name(st));
            return CK_FAILED;
        }
        return CK_DONE;
    }
    sw_ckpt_status rc = sw_ckpt_write_recv(p->ckpt, &w->redis, sw_detector_store_list(p->det), err, sizeof err);
    if (rc == SW_CKPT_OK) {
        p->ckpt_offset = p->ckpt_pending;
        p->ckpt_conn = w->redis.connects;
        if (o->state_replicas == 0) p->durable = p->ckpt_offset;
        p->ckpt_ms = now;
        w->checkpoints++;
        state_note_redis(w, rc, "");
        return CK_DONE;
    }
    w->ckpt_failures++;
    if (rc == SW_CKPT_LOST) {
        state_lost(w, p, err);
        return CK_DONE;
    }
    if (rc == SW_CKPT_FENCED) {
        sw_log(SW_LOG_WARN, "worker %d: partition %" PRId32 ": %s; another worker owns it now, so "
                        "this one stops reading it (nothing more is checkpointed or committed for it)",
                w->index, p->id, err);
        p->fenced = true;
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, p->topic_name, p->id);
        rd_kafka_pause_partitions(w->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        return CK_DONE;
    }
    if (rc == SW_CKPT_REFUSED) {
        part_refuse(w, p, err);
        return CK_DONE;
    }
    state_note_redis(w, rc, err);
    worker_log_limited(w, "partition %" PRId32 ": %s (%s)", p->id, err, state_status_name(rc));
    return CK_FAILED;
}

/* --state-replicas N: WAIT until N replicas have every checkpoint written
 * over this connection; then (only then) they count for Kafka commits.  A
 * checkpoint written over an earlier connection cannot be confirmed by
 * this one's WAIT: ck_send writes it again. */
static void confirm_replicas(worker *w, part *only) {
    int want = w->run->o->state_replicas;
    bool any = false;
    for (const part *p = part_next(w, NULL); p && !any; p = part_next(w, p)) {
        any = (!only || p == only) && !p->fenced && p->durable != p->ckpt_offset &&
              p->ckpt_conn == w->redis.connects;
    }
    if (!any || !w->redis.c) return;
    uint64_t conn = w->redis.connects;
    /* WAIT blocks this thread: while replicas are missing, at most half
     * of each interval goes to waiting for them. */
    int64_t half = w->run->o->checkpoint_interval_ms / 2;
    int timeout_ms = half < 5 ? 5 : half > REPLICA_WAIT_MAX_MS ? REPLICA_WAIT_MAX_MS : (int)half;
    int got = sw_redis_wait(&w->redis, want, timeout_ms);
    if (got < want || w->redis.connects != conn) {
        w->replica_waits_short++;
        if (got < 0) worker_log_limited(w, "WAIT for %d replicas: %s (checkpoints not counted; retrying)", want, w->redis.err);
        else worker_log_limited(w, "WAIT: %d of %d replicas confirmed the checkpoints within %d ms; they do not count "
                         "(Kafka offsets stay at the last confirmed one) and are retried", got, want, timeout_ms);
        return;
    }
    for (part *p = part_next(w, NULL); p; p = part_next(w, p))
        if ((!only || p == only) && p->ckpt_conn == conn) p->durable = p->ckpt_offset;
}

/* Checkpoints every due partition (only, if given) in one pipelined round
 * trip; false when Redis failed one. */
bool state_checkpoint(worker *w, part *only, bool final) {
    int64_t now = sw_mono_coarse_ms();
    double t0 = sw_mono_s();
    bool failed = false;
    int32_t sent = 0;
    for (part *p = part_next(w, NULL); p && !failed; p = part_next(w, p)) {
        if (only && p != only) continue;
        ck_result r = ck_send(w, p, now, final);
        p->ckpt_sent = r == CK_SENT || r == CK_PROBED ? (uint8_t)r : 0;
        sent += p->ckpt_sent != 0;
        failed = r == CK_FAILED; /* CK_LATER is the producer's business, not Redis's */
    }
    for (part *p = part_next(w, NULL); p && sent > 0; p = part_next(w, p)) {
        if (!p->ckpt_sent) continue;
        sent--;
        if (ck_finish(w, p, now) == CK_FAILED) failed = true;
        p->ckpt_sent = 0;
        if (sent == 0) {
            sw_hist_observe(&w->ckpt_seconds, sw_mono_s() - t0);
        }
    }
    if (!failed && w->run->o->state_replicas > 0) confirm_replicas(w, only);
    return !failed;
}

/* Periodic Redis work: pending loads, due checkpoints, and while Redis is
 * failing, the retries (every partition stays paused until a checkpoint of
 * each one succeeds). */
void state_housekeeping(worker *w, bool final) {
    int64_t now = sw_mono_coarse_ms();
    if (w->redis_down && now < w->redis_retry_ms) return;
    if (!state_checkpoint(w, NULL, final || w->redis_down) && !atomic_load(&w->run->failed)) {
        if (!w->redis_down) {
            sw_log(SW_LOG_ERROR, "worker %d: cannot checkpoint to Redis: pausing its partitions "
                            "until Redis is back (nothing is committed past the last checkpoint)", w->index);
            set_paused(w, true);
            w->redis_down = true;
            w->redis_pauses++;
            w->redis_backoff_ms = BACKOFF_MIN_MS;
        } else {
            w->redis_backoff_ms = w->redis_backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->redis_backoff_ms * 2;
        }
        w->redis_retry_ms = now + w->redis_backoff_ms;
        return;
    }
    if (w->redis_down) {
        sw_log(SW_LOG_INFO, "worker %d: Redis is back: checkpoint written, resuming", w->index);
        w->redis_down = false;
        set_paused(w, false);
    }
    state_load_pending(w, now);
}

/* Whether every partition's state is checkpointed up to its next offset
 * (always, with --state memory). */
bool state_checkpointed(const worker *w) {
    for (const part *p = part_next(w, NULL); worker_redis_mode(w) && p; p = part_next(w, p)) {
        bool behind = p->next != p->ckpt_offset || p->durable != p->ckpt_offset; /* (durable: --state-replicas) */
        if (!p->loaded || (!p->fenced && p->next >= 0 && behind)) return false;
    }
    return !w->redis_down;
}


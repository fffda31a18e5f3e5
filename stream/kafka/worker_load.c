/* worker_load.c -- Redis state, taking a partition over: claim its
 * state (the fencing token), load it into the partition's engine, and
 * check the checkpoint's offset against Kafka before consuming from it.
 *
 * A partition whose state cannot be loaded is not consumed: with Redis
 * down (or Kafka not answering the check) its load is retried every
 * second; with its keys holding something else (REFUSED) only it waits,
 * retried with backoff, and the status line and /readyz say why.  A
 * checkpoint Kafka contradicts (the topic was recreated, the group's
 * offsets were reset past it) is deleted, never merged.  How the last
 * Redis call went (ok, unavailable, credentials refused) is kept for the
 * status line and /readyz (state_note_redis). */
#include "worker_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* A checkpoint status in words, for the log. */
const char *state_status_name(sw_ckpt_status st) {
    switch (st) {
    case SW_CKPT_OK: return "ok";
    case SW_CKPT_UNAVAILABLE: return "Redis unavailable";
    case SW_CKPT_FENCED: return "fenced";
    case SW_CKPT_REFUSED: return "refused";
    case SW_CKPT_NOMEM: return "out of memory";
    case SW_CKPT_DENIED: return "Redis refuses our credentials";
    case SW_CKPT_LOST: return "state lost";
    }
    return "?";
}

/* Remembers how the last Redis call went, for the status line and /readyz:
 * OK, UNAVAILABLE (down, slow) or DENIED (credentials).  A refused or
 * fenced partition says nothing about Redis itself. */
void state_note_redis(worker *w, sw_ckpt_status st, const char *err) {
    if (st != SW_CKPT_OK && st != SW_CKPT_UNAVAILABLE && st != SW_CKPT_DENIED) return;
    if (st != SW_CKPT_OK && st != w->progress.redis_health) {
        if (st == SW_CKPT_DENIED)
            sw_log(SW_LOG_ERROR, "worker %d: Redis refuses our credentials: %s; check the password (in --state "
                            "or %s), the ACL user and the database number; retrying with backoff",
                    w->index, err, SW_REDIS_PASSWORD_ENV);
    }
    w->progress.redis_health = st;
    /* Cut to fit (not snprintf: a longer error is expected and fine). */
    const char *why = st == SW_CKPT_OK ? "" : err;
    size_t n = strnlen(why, sizeof w->redis_why - 1);
    memcpy(w->redis_why, why, n);
    w->redis_why[n] = '\0';
}

/* p->why = a, or "a; b", cut to fit. */
void part_set_why(part *p, const char *a, const char *b) {
    size_t n = sizeof p->why - 1, k = strlen(a) < n ? strlen(a) : n;
    memcpy(p->why, a, k);
    for (const char *s = b ? "; " : ""; *s && k < n; s++) p->why[k++] = *s;
    for (const char *s = b ? b : ""; *s && k < n; s++) p->why[k++] = *s;
    p->why[k] = '\0';
}

typedef enum { VERIFY_KEEP, VERIFY_REFUSE, VERIFY_UNKNOWN } verify_result;

/* Checks a restored checkpoint offset against Kafka (sw_ckpt_check_offset):
 * the partition's watermarks and the group's committed offset.  KEEP
 * (*offset moved to the low watermark for a retention gap), REFUSE, or
 * UNKNOWN when Kafka did not answer in time (the load is retried). */
static verify_result verify_offset(worker *w, part *p, int64_t *offset, char *err, size_t errlen) {
    const sw_run_opts *o = w->run->o;
    int64_t lo = -1, hi = -1, k = -1;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(w->rk, p->topic_name, p->id, &lo, &hi, KAFKA_QUERY_MS);
    if (!e) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, p->topic_name, p->id);
        e = rd_kafka_committed(w->rk, l, KAFKA_QUERY_MS);
        if (!e) e = l->elems[0].err;
        k = l->elems[0].offset; /* RD_KAFKA_OFFSET_INVALID (< 0): no commit */
        rd_kafka_topic_partition_list_destroy(l);
    }
    if (e) {
        snprintf(err, errlen, "cannot check the checkpoint (offset %" PRId64 ") against Kafka: %s", *offset,
                 rd_kafka_err2str(e));
        return VERIFY_UNKNOWN;
    }
    sw_offset_verdict v = sw_ckpt_check_offset(*offset, k, lo, hi);
    char kafka[48] = "none";
    if (k >= 0) snprintf(kafka, sizeof kafka, "%" PRId64, k);
    if (v == SW_OFFSET_GAP) {
        sw_log(SW_LOG_WARN, "worker %d: group %s topic %s partition %" PRId32 ": the checkpoint resumes at offset "
                        "%" PRId64 " but the partition starts at %" PRId64 ": %s; %" PRId64 " records were never "
                        "read; resuming at %" PRId64 " with the checkpoint's state", w->index, o->group, p->topic_name,
                p->id, *offset, lo, sw_offset_verdict_reason(v), lo - *offset, lo);
        *offset = lo;
        return VERIFY_KEEP;
    }
    if (v == SW_OFFSET_OK) return VERIFY_KEEP;
    snprintf(err, errlen, "group %s topic %s partition %" PRId32 ": checkpoint refused: Redis says resume at "
             "offset %" PRId64 ", Kafka's committed offset is %s and the partition holds offsets %" PRId64
             "..%" PRId64 ": %s", o->group, p->topic_name, p->id, *offset, kafka, lo, hi, sw_offset_verdict_reason(v));
    return VERIFY_REFUSE;
}

/* A restored checkpoint Kafka contradicts: its keys are deleted (never
 * merged into what comes next) and p starts with empty windows at the
 * group's committed offset, or auto.offset.reset without one. */
static sw_ckpt_status refuse_stale(worker *w, part *p, const char *why, char *err, size_t errlen) {
    sw_ckpt_status st = sw_ckpt_discard(p->ckpt, &w->redis, w->run->o->state_ttl_ms, err, errlen);
    if (st != SW_CKPT_OK) return st;
    if (part_detector_reset(w, p) != 0) return SW_CKPT_NOMEM;
    w->stale_refused++;
    sw_log(SW_LOG_ERROR, "worker %d: %s; its state in Redis (%s and the partition's other keys) is deleted and "
                    "the partition starts with empty windows at the group's committed offset (or "
                    "auto.offset.reset without one)", w->index, why, sw_ckpt_key(p->ckpt, 0));
    return SW_CKPT_OK;
}

/* An internal partition's replay guard, as its checkpoint stored it
 * (worker_dedup.c). */
static void restore_guard(worker *w, part *p) {
    size_t n;
    const void *guard = sw_ckpt_claimed_extra(p->ckpt, &n);
    if (part_dedup_decode(p->dedup, guard, n) != 0)
        sw_log(SW_LOG_WARN, "worker %d: %s partition %" PRId32 ": its stored replay guard does not decode; "
                        "replayed internal records are counted again until the next checkpoint", w->index,
               p->topic_name, p->id);
}

/* Claims and loads a partition's state and checks its offset against
 * Kafka; SW_CKPT_OK when it may be consumed (from p->start), else why not
 * (retried after a backoff). */
sw_ckpt_status part_load(worker *w, part *p) {
    const sw_run_opts *o = w->run->o;
    char err[1400], why[1000];
    int64_t offset = -1, stored = -1; /* where to resume; the checkpoint's offset */
    sw_ckpt_stats ls = {0};
    sw_ckpt_status st = sw_ckpt_claim(p->ckpt, &w->redis, o->state_ttl_ms, &offset, err, sizeof err);
    if (st == SW_CKPT_OK)
        st = sw_ckpt_load_stores(p->ckpt, &w->redis, sw_detector_store_list(p->det), sw_detector_id_seed(p->det),
                                 &ls, err, sizeof err);
    if (st == SW_CKPT_OK && p->dedup) restore_guard(w, p);
    state_note_redis(w, st, err);
    bool kafka_unknown = false;
    stored = offset;
    if (st == SW_CKPT_OK && offset >= 0) {
        verify_result v = verify_offset(w, p, &offset, why, sizeof why);
        if (v == VERIFY_REFUSE) {
            st = refuse_stale(w, p, why, err, sizeof err);
            if (st == SW_CKPT_OK) offset = stored = -1, ls = (sw_ckpt_stats){0};
            else state_note_redis(w, st, err);
        } else if (v == VERIFY_UNKNOWN) {
            snprintf(err, sizeof err, "%s", why);
            st = SW_CKPT_UNAVAILABLE;
            kafka_unknown = true;
        }
    }
    int64_t now = sw_mono_coarse_ms();
    if (st != SW_CKPT_OK) {
        /* A half-loaded state must not be used: start from an empty detector. */
        if (st == SW_CKPT_NOMEM || part_detector_reset(w, p) != 0) {
            worker_fail(w, "out of memory loading a partition's state");
            return SW_CKPT_NOMEM;
        }
        if (st == SW_CKPT_REFUSED) {
            /* Only this partition waits; the log says it once per reason. */
            bool again = p->refused && strncmp(p->why, err, sizeof p->why - 1) == 0;
            p->refused_backoff_ms = !p->refused ? REFUSED_RETRY_MS
                                    : p->refused_backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                                                 : p->refused_backoff_ms * 2;
            p->refused = true;
            part_set_why(p, err, NULL);
            p->retry_ms = now + p->refused_backoff_ms;
            if (!again)
                sw_log(SW_LOG_ERROR, "worker %d: group %s topic %s partition %" PRId32 ": its state in Redis is "
                                "refused: %s; only this partition waits (its load is retried with backoff)",
                        w->index, o->group, p->topic_name, p->id, err);
            return st;
        }
        p->retry_ms = now + BACKOFF_MIN_MS * 10;
        if (st != SW_CKPT_DENIED) /* note_redis said that one */
            worker_log_limited(w, "partition %" PRId32 ": cannot load its state (%s): %s; not consuming it until it "
                           "loads (retrying)", p->id, kafka_unknown ? "Kafka did not answer" : state_status_name(st),
                        err);
        return st;
    }
    if (p->refused)
        sw_log(SW_LOG_INFO, "worker %d: partition %" PRId32 ": its state is no longer refused", w->index, p->id);
    p->refused = false;
    p->why[0] = '\0';
    /* Nothing restored may lie beyond the clock + --max-clock-skew (a
     * poisoned watermark written by an older build, or a skewed clock):
     * such keys, watermark entries and cap buckets are dropped. */
    uint64_t future = 0;
    for (size_t i = 0; i < sw_detector_stores(p->det); i++) {
        sw_store *s = sw_detector_store(p->det, i);
        sw_store_track(s);
        future += sw_store_restored(s, sw_detector_future_limit(p->det));
    }
    if (future)
        sw_log(SW_LOG_WARN, "worker %d: partition %" PRId32 ": %" PRIu64 " restored keys, watermark entries or "
                        "cap buckets were dated after the clock + --max-clock-skew and were dropped",
                w->index, p->id, future);
    /* After a retention gap Kafka is committed only up to the stored offset
     * until the next checkpoint: commits never get ahead of Redis. */
    p->start = offset;
    p->ckpt_offset = p->durable = stored;
    p->ckpt_ms = now;
    w->restored_users += ls.users;
    w->restored_corrupt += ls.corrupt;
    char corrupt[64] = "";
    if (ls.corrupt) snprintf(corrupt, sizeof corrupt, ", %" PRIu64 " corrupt values skipped", ls.corrupt);
    long seed = sw_detector_seed_store(p->det);
    if (ls.adopted && seed >= 0)
        sw_log(SW_LOG_INFO, "worker %d: partition %" PRId32 ": the built-in seed rule's state (%" PRIu64 " users and "
                        "tenants) taken over by rule %s (rolling upgrade); the next checkpoint moves it to the "
                        "rule's keys", w->index, p->id, ls.adopted, sw_detector_store_name(p->det, (size_t)seed));
    if (offset >= 0)
        sw_log(SW_LOG_INFO, "worker %d: partition %" PRId32 ": state restored from Redis (%" PRIu64
                        " users, %" PRIu64 " tenants, %" PRIu64 " bytes%s); resuming at offset %" PRId64 "",
                w->index, p->id, ls.users, ls.tenants, ls.bytes, corrupt, offset);
    else
        sw_log(SW_LOG_INFO, "worker %d: partition %" PRId32 ": no checkpoint in Redis; starting with "
                        "empty state at the group's committed offset", w->index, p->id);
    return SW_CKPT_OK;
}

/* Loads every assigned partition whose state is not loaded yet and whose
 * retry time has come, and starts consuming those that loaded. */
void state_load_pending(worker *w, int64_t now) {
    rd_kafka_topic_partition_list_t *l = NULL;
    for (part *p = part_next(w, NULL); p; p = part_next(w, p)) {
        if (p->loaded || now < p->retry_ms || part_load(w, p) != SW_CKPT_OK) continue;
        p->loaded = true;
        if (!l) l = rd_kafka_topic_partition_list_new(4);
        rd_kafka_topic_partition_list_add(l, p->topic_name, p->id);
    }
    if (l) {
        worker_assign_loaded(w, l);
        rd_kafka_topic_partition_list_destroy(l);
    }
}

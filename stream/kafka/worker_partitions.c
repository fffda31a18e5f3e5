/* worker_partitions.c -- a worker's partitions: opening one when it is
 * assigned (its engine, ack ring and, with Redis state, its checkpoint
 * handle), closing one when it is revoked or lost (flush, checkpoint,
 * commit, drop), telling librdkafka which ones to consume, and the
 * commits.
 *
 * Partitions live in w->parts, indexed by partition id (a partition id is
 * below MAX_PARTITION), so the record path finds its partition with one
 * load.  What a partition costs before it holds any state (x86-64): its
 * part (1.1 KB), its engine with its empty store's tables (7.8 KB), its
 * ack ring (96 KB: SW_ACKS_CAP slots, alert_producer.h) and, with Redis
 * state, its checkpoint handle (a few hundred bytes); about 105 KB in
 * all, most of it the ack ring.  The events of the record being fed are
 * the worker's parser's (one 296 KB array per thread, extract.h), no
 * longer the engine's (that was 296 KB more per partition).
 *
 * Commits: the commit point of a partition (alert_producer.h; with Redis
 * state the durable checkpoint's offset, never past it) is committed every
 * COMMIT_EVERY_MS asynchronously, and synchronously on revoke, on shutdown
 * and at the end; an asynchronous commit counts once on_commit reports it. */
#include "worker_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "rkey.h"
#include "summary.h"

/* A detector for p (the built-in seed rule, or the run's --rules): its
 * outputs are p's (worker_outputs.c), its keys and tenants count against
 * the run's budgets.  An input partition routes the run's routed key
 * families to their internal topics; an internal one runs what its
 * records name. */
static sw_detector *part_detector_new(worker *w, part *p) {
    run_ctx *r = w->run;
    sw_detector_opts d = {
        .cfg = r->o->cfg, .rules = r->o->rules, .n_rules = r->o->n_rules, .max_alerts = r->o->max_alerts,
        .budget = r->o->cfg->max_tracked_users ? &r->budget : NULL,
        .tenant_budget = r->o->cfg->max_tenants ? &r->tenant_budget : NULL,
        .on_alert = part_on_alert, .on_reject = part_on_reject, .ud = p,
        .route = !p->internal && r->any_routed ? part_on_route : NULL, .routed = r->routed,
    };
    return sw_detector_new(&d);
}

part *part_next(const worker *w, const part *prev) {
    int t = prev ? prev->topic : 0;
    int32_t i = prev ? prev->id + 1 : 0;
    for (; t < w->run->ntopics; t++, i = 0)
        for (; i < w->topics[t].cap; i++)
            if (w->topics[t].parts[i]) return w->topics[t].parts[i];
    return NULL;
}

int worker_topic_index(const worker *w, const char *name) {
    for (int t = 0; name && t < w->run->ntopics; t++)
        if (strcmp(w->run->topics[t].name, name) == 0) return t;
    return -1;
}

/* p's checkpoint handle: one store per store of its detector, under the
 * detector's names (the built-in layout for the seed engine, a rule's keys
 * for each rule), the seed rule's store taking over a checkpoint of the
 * built-in layout (the rolling upgrade, checkpoint.h).  NULL when out of
 * memory. */
static sw_ckpt *part_ckpt_new(worker *w, const part *p) {
    /* The fencing token: unique to this assignment of this partition. */
    char owner[320], host[256] = "?";
    gethostname(host, sizeof host - 1);
    snprintf(owner, sizeof owner, "%s/%ld/%d/%016" PRIx64, host, (long)getpid(), w->index, sw_random_seed());
    size_t n = sw_detector_stores(p->det);
    const char **names = calloc(n, sizeof *names);
    if (!names) return NULL;
    for (size_t i = 0; i < n; i++) names[i] = sw_detector_store_name(p->det, i);
    sw_ckpt *c = sw_ckpt_new_stores(w->run->o->group, p->topic_name, p->id, owner, names, n);
    free(names);
    long seed = sw_detector_seed_store(p->det);
    if (c && seed >= 0) sw_ckpt_adopt_legacy(c, (size_t)seed, SW_RKEY_VALUE);
    return c;
}

int part_open(worker *w, int topic, int32_t id) {
    if (id < 0 || id >= MAX_PARTITION || topic < 0 || topic >= w->run->ntopics) return -1;
    if (part_find(w, topic, id)) return 0;
    worker_topic *t = &w->topics[topic];
    if (id >= t->cap) {
        int32_t cap = t->cap ? t->cap : 16;
        while (cap <= id) cap *= 2;
        part **np = realloc(t->parts, (size_t)cap * sizeof *np);
        if (!np) return -1;
        memset(np + t->cap, 0, (size_t)(cap - t->cap) * sizeof *np);
        t->parts = np;
        t->cap = cap;
    }
    part *p = calloc(1, sizeof *p);
    if (!p) return -1;
    p->w = w;
    p->id = id;
    p->topic = topic;
    p->topic_name = w->run->topics[topic].name;
    p->internal = w->run->topics[topic].internal;
    p->dedup = p->internal ? part_dedup_new() : NULL;
    p->next = p->committed = p->start = p->skipped_from = p->ckpt_offset = p->durable = p->lag = -1;
    p->loaded = !worker_redis_mode(w);
    p->acks = sw_acks_new();
    p->det = p->acks ? part_detector_new(w, p) : NULL;
    if (p->det && worker_redis_mode(w)) p->ckpt = part_ckpt_new(w, p);
    if (!p->det || (worker_redis_mode(w) && !p->ckpt) || (p->internal && !p->dedup)) {
        sw_detector_free(p->det);
        sw_acks_release(p->acks);
        sw_ckpt_free(p->ckpt);
        part_dedup_free(p->dedup);
        free(p);
        return -1;
    }
    t->parts[id] = p;
    w->progress.assigned++;
    return 0;
}

/* A commit of l succeeded where it says so: remember what is committed. */
void worker_committed(worker *w, rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t *l) {
    for (int i = 0; !err && l && i < l->cnt; i++) {
        part *p = part_find(w, worker_topic_index(w, l->elems[i].topic), l->elems[i].partition);
        if (p && !l->elems[i].err && l->elems[i].offset > p->committed) p->committed = l->elems[i].offset;
    }
}

/* Commits the commit point of every partition (or of only) that moved
 * since its last known successful commit; an asynchronous commit counts
 * only once its result comes back (on_commit), so a failed one is sent
 * again.  0 when nothing was left to commit or the commit succeeded. */
int worker_commit(worker *w, bool sync, part *only) {
    if (!worker_may_commit(w)) return -1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(only ? 1 : (int)w->progress.assigned + 1);
    for (part *p = part_next(w, NULL); p; p = part_next(w, p)) {
        if ((only && p != only) || p->fenced || p->unsent || (!worker_redis_mode(w) && p->next < 0)) continue;
        /* With Redis state, Kafka never gets ahead of the checkpoint. */
        int64_t at = worker_redis_mode(w) ? p->durable : sw_acks_commit_point(p->acks, p->next);
        if (at >= 0 && at != p->committed) rd_kafka_topic_partition_list_add(l, p->topic_name, p->id)->offset = at;
    }
    int rc = 0;
    if (l->cnt > 0) {
        rd_kafka_resp_err_t err = rd_kafka_commit(w->rk, l, !sync);
        if (sync) worker_committed(w, err, l);
        if (err) {
            worker_log_limited(w, "commit failed: %s (will retry)", rd_kafka_err2str(err));
            rc = -1;
        }
        for (int i = 0; sync && i < l->cnt; i++) rc |= l->elems[i].err ? -1 : 0;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

uint32_t worker_waiting(worker *w, part *only) {
    uint32_t n = 0;
    for (part *p = part_next(w, NULL); p; p = part_next(w, p)) {
        if (only && p != only) continue;
        sw_acks_commit_point(p->acks, p->next);
        n += sw_acks_waiting(p->acks);
    }
    return n;
}

/* Waits up to ms (never past a stop's deadline) until the outputs of only
 * (or of every partition) are acknowledged. */
bool worker_drain(worker *w, part *only, int64_t ms) {
    int64_t deadline = worker_wait_deadline(w, ms);
    while (worker_waiting(w, only) > 0) {
        if (!worker_may_commit(w) || sw_mono_coarse_ms() > deadline) return false;
        worker_sleep_ms(2);
    }
    return true;
}

void part_retire_counters(worker *w, part *p) {
    sw_counters_add(&w->retired, sw_detector_counters(p->det));
    w->evicted += sw_detector_evicted(p->det);
    if (w->retired_rules) sw_detector_add_rule_counters(p->det, w->retired_rules, &w->retired_unmatched);
}

/* A fresh detector for p (its state dropped, and with it an internal
 * partition's replay guard); -1 and the run failed when out of memory. */
int part_detector_reset(worker *w, part *p) {
    sw_detector *fresh = part_detector_new(w, p);
    if (!fresh) {
        worker_fail(w, "out of memory for a partition's state");
        return -1;
    }
    sw_detector_free(p->det);
    p->det = fresh;
    if (p->dedup) part_dedup_decode(p->dedup, NULL, 0);
    return 0;
}
/* The offset to start reading p at again: the next record to feed. */
int64_t part_resume_offset(const part *p) {
    return p->next >= 0 ? p->next : p->skipped_from >= 0 ? p->skipped_from : p->start;
}

/* Starts consuming the partitions in l (just loaded).  Cooperative: adds
 * them; called even with an empty l from the rebalance callback, because
 * librdkafka holds the rebalance open until the application answers every
 * assign event, and a joiner's first assignment is usually empty.  Eager:
 * the whole assignment is given again, at each partition's own position. */
void worker_assign_loaded(worker *w, rd_kafka_topic_partition_list_t *l) {
    rd_kafka_error_t *error = NULL;
    if (strcmp(rd_kafka_rebalance_protocol(w->rk), "COOPERATIVE") == 0) {
        for (int i = 0; i < l->cnt; i++) {
            part *p = part_find(w, worker_topic_index(w, l->elems[i].topic), l->elems[i].partition);
            l->elems[i].offset = p && part_resume_offset(p) >= 0 ? part_resume_offset(p) : RD_KAFKA_OFFSET_INVALID;
        }
        error = rd_kafka_incremental_assign(w->rk, l);
    } else {
        rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new((int)w->progress.assigned + 1);
        for (part *p = part_next(w, NULL); p; p = part_next(w, p)) {
            if (p->loaded)
                rd_kafka_topic_partition_list_add(all, p->topic_name, p->id)->offset =
                    part_resume_offset(p) >= 0 ? part_resume_offset(p) : RD_KAFKA_OFFSET_INVALID;
        }
        rd_kafka_assign(w->rk, all);
        rd_kafka_topic_partition_list_destroy(all);
    }
    if (error) {
        sw_log(SW_LOG_ERROR, "worker %d: assign: %s", w->index, rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
}

/* Lets a partition go: flush, checkpoint, commit (unless the assignment
 * was lost, when a commit would be fenced anyway), then drop its engine
 * and window state. */
void part_close(worker *w, part *p, bool lost) {
    if (!lost && p->loaded && !p->fenced) {
        if (!worker_drain(w, p, DRAIN_MS))
            sw_log(SW_LOG_WARN, "worker %d: partition %" PRId32 " revoked with alerts not yet "
                            "acknowledged; its offsets stay before them", w->index, p->id);
        if (p->ckpt && (!state_checkpoint(w, p, true) || (p->next >= 0 && p->ckpt_offset != p->next)))
            sw_log(SW_LOG_WARN, "worker %d: partition %" PRId32 " revoked without a final "
                            "checkpoint; its next owner resumes from offset %" PRId64 " (the last one)",
                    w->index, p->id, p->ckpt_offset);
        worker_commit(w, true, p);
    }
    part_retire_counters(w, p);
    w->retired_users += sw_detector_keys(p->det);
    sw_detector_free(p->det);
    sw_acks_release(p->acks);
    sw_ckpt_free(p->ckpt);
    part_dedup_free(p->dedup);
    if (p->eof) w->progress.at_eof--;
    w->progress.assigned--;
    w->topics[p->topic].parts[p->id] = NULL;
    free(p);
}

/* One line per topic of l (the input's even when l is empty). */
void worker_log_partitions(worker *w, const char *what, const rd_kafka_topic_partition_list_t *l, const char *note) {
    for (int t = 0; t < w->run->ntopics; t++) {
        const char *name = w->run->topics[t].name;
        char list[1024] = "";
        size_t n = 0;
        int i = 0, shown = 0;
        for (; i < l->cnt && n < sizeof list - 32; i++) /* a partition id takes at most 12 bytes */
            if (strcmp(l->elems[i].topic, name) == 0)
                n += (size_t)snprintf(list + n, sizeof list - n, "%s%" PRId32, shown++ ? "," : "", l->elems[i].partition);
        if (i < l->cnt) snprintf(list + n, sizeof list - n, ",...");
        if (shown || t == 0) sw_log(SW_LOG_INFO, "worker %d %s %s [%s]%s", w->index, what, name, list, note);
    }
}

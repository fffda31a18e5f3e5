/* worker_publish.c -- the one channel a member's numbers leave its thread
 * by: a snapshot (worker_published) under the member's own mutex.
 *
 * The choice.  A member counts in plain fields only it writes (its
 * engines' counters, its own: nothing atomic or locked per record).  Ten
 * times a second, whenever its poll comes back empty, and at the moments
 * another thread must learn at once (a rebalance starts, the first record
 * after --exit-at-end's settle, settling, the thread's end), it copies them
 * into its snapshot under pub_lock.  The readers are the watching thread
 * (run_look: the status line, --exit-at-end, the demo's assignment
 * counters; every 50 ms, one member's lock at a time, a few fields each)
 * and the HTTP thread (/metrics and /readyz: every member's lock, in index
 * order, while it renders).  Before, the watcher read relaxed atomics
 * stored beside the snapshot and the HTTP thread the snapshot: two copies
 * of the same numbers, published at different moments.  One snapshot is
 * one consistent picture of a member for both readers, and a mutex taken
 * a few times a second is far off the hot path; atomics alone could not
 * carry the problem text, the per-partition lag or the histograms
 * without a lock anyway.
 *
 * What the watcher needs besides the metrics (worker_progress: activity,
 * lag, partitions and those at their end, Redis health, settled, done) the
 * member keeps in the snapshot's own form, so it is copied whole.
 *
 * The snapshot is about 66 KB (the per-partition lag array, metrics.h) and
 * allocated once per member at start; filling it walks the member's
 * partitions, never allocates. */
#include "worker_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "summary.h"

int worker_publish_init(worker *w) {
    size_t n = w->run->o->n_rules, nf = w->run->nfamilies;
    w->pub_lock_ready = pthread_mutex_init(&w->pub_lock, NULL) == 0;
    w->pub = w->pub_lock_ready ? calloc(1, sizeof *w->pub) : NULL;
    if (w->pub && nf) {
        w->fam = calloc(nf, sizeof *w->fam);
        w->pub->m.families = calloc(nf, sizeof *w->pub->m.families);
        if (!w->fam || !w->pub->m.families) return -1;
    }
    if (!w->pub || !n) return w->pub ? 0 : -1;
    w->pub->m.rules = calloc(n, sizeof *w->pub->m.rules);
    w->retired_rules = calloc(n, sizeof *w->retired_rules);
    return w->pub->m.rules && w->retired_rules ? 0 : -1;
}

void worker_publish_free(worker *w) {
    if (w->pub_lock_ready) pthread_mutex_destroy(&w->pub_lock);
    w->pub_lock_ready = false;
    if (w->pub) free(w->pub->m.rules);
    if (w->pub) free(w->pub->m.families);
    free(w->fam);
    w->fam = NULL;
    free(w->pub);
    w->pub = NULL;
    free(w->retired_rules);
    w->retired_rules = NULL;
}

/* --rules: each rule's counters over the live and retired detectors, into
 * m->rules (the caller holds the lock). */
static void rule_totals(worker *w, sw_worker_metrics *m) {
    size_t n = w->run->o->n_rules;
    if (!m->rules) return;
    memcpy(m->rules, w->retired_rules, n * sizeof *m->rules);
    m->unmatched = w->retired_unmatched;
    for (part *p = part_next(w, NULL); p; p = part_next(w, p)) sw_detector_add_rule_counters(p->det, m->rules, &m->unmatched);
}

/* The counters of every detector, live and retired, and the users they track. */
static void totals(worker *w, sw_counters *c, uint64_t *users) {
    *c = w->retired;
    *users = 0;
    for (part *p = part_next(w, NULL); p; p = part_next(w, p)) {
        sw_counters_add(c, sw_detector_counters(p->det));
        *users += sw_detector_keys(p->det);
    }
}

/* What is wrong, most serious first: Redis refusing us, a refused
 * partition (an internal one named with its topic), Redis down; "" when
 * nothing is. */
static void problem(const worker *w, const part *first_refused, char *out, size_t n) {
    if (w->progress.redis_health == SW_CKPT_DENIED)
        snprintf(out, n, "Redis refuses our credentials: %s", w->redis_why);
    else if (first_refused && first_refused->internal)
        snprintf(out, n, "internal topic %s partition %" PRId32 ": %s", first_refused->topic_name, first_refused->id,
                 first_refused->why);
    else if (first_refused)
        snprintf(out, n, "partition %" PRId32 ": %s", first_refused->id, first_refused->why);
    else if (w->progress.redis_health == SW_CKPT_UNAVAILABLE)
        snprintf(out, n, "Redis is failing: %s", w->redis_why);
    else
        out[0] = '\0';
}

/* The partitions' part of the metrics: refused, consumed, pending, their
 * evictions and lag. */
static void partitions(const worker *w, sw_worker_metrics *m) {
    const part *first_refused = NULL;
    m->refused = m->assigned = m->pending = m->nlag = 0;
    m->evicted = w->evicted;
    for (const part *p = part_next(w, NULL); p; p = part_next(w, p)) {
        if (p->refused && !p->loaded && m->refused++ == 0) first_refused = p;
        m->evicted += sw_detector_evicted(p->det);
        if (p->loaded) m->assigned++;
        else m->pending++;
        /* Per (topic, partition): an internal topic's lag is its key family's. */
        if (p->loaded && m->nlag < SW_METRICS_MAX_PARTITIONS)
            m->lag[m->nlag++] = (sw_partition_lag){p->id, p->lag, p->internal ? p->topic_name : NULL};
    }
    problem(w, first_refused, m->problem, sizeof m->problem);
}

void worker_publish(worker *w) {
    sw_counters c;
    uint64_t users;
    totals(w, &c, &users);
    uint32_t waiting = worker_waiting(w, NULL);
    pthread_mutex_lock(&w->pub_lock);
    worker_published *pub = w->pub;
    sw_worker_metrics *m = &pub->m;
    partitions(w, m);
    rule_totals(w, m);
    m->c = c;
    m->tracked_users = users;
    m->stale_refused = w->stale_refused;
    m->redis_denied = w->progress.redis_health == SW_CKPT_DENIED;
    m->joined = w->joined;
    m->redis_paused = w->redis_down;
    m->checkpoints = w->checkpoints;
    m->checkpoint_failures = w->ckpt_failures;
    m->redis_pauses = w->redis_pauses;
    m->state_lost = w->state_lost;
    m->replica_waits_short = w->replica_waits_short;
    if (w->fam) memcpy(m->families, w->fam, w->run->nfamilies * sizeof *m->families);
    m->checkpoint_seconds = w->ckpt_seconds;
    m->latency_seconds = w->latency;
    pub->waiting = waiting;
    pub->progress = w->progress;
    pthread_mutex_unlock(&w->pub_lock);
}

void worker_unsettle(worker *w) {
    w->progress.settled = false;
    worker_publish(w);
}

static int health_rank(sw_ckpt_status st) { return st == SW_CKPT_DENIED ? 2 : st == SW_CKPT_UNAVAILABLE ? 1 : 0; }

/* Adds one member's snapshot to v (under its lock). */
static void add_member(run_view *v, const worker_published *pub) {
    const sw_worker_metrics *m = &pub->m;
    const worker_progress *g = &pub->progress;
    v->records += m->c.records;
    v->eligible += m->c.eligible;
    v->alerts += m->c.alerts;
    v->users += m->tracked_users;
    v->waiting += pub->waiting;
    v->checkpoints += m->checkpoints;
    v->redis_down += m->redis_paused;
    v->refused += m->refused;
    if (health_rank(g->redis_health) > health_rank(v->redis_health)) v->redis_health = g->redis_health;
    if (!v->problem[0] && (m->refused || g->redis_health != SW_CKPT_OK))
        memcpy(v->problem, m->problem, sizeof v->problem);
    v->activity += g->activity;
    v->lag += g->lag;
    v->assigned += g->assigned;
    v->members_assigned += g->assigned > 0;
    v->eof += g->at_eof;
    v->settled = v->settled && g->settled;
    v->done = v->done && g->done;
}

run_view run_look(run_ctx *r) {
    run_view v = {.settled = true, .done = true, .redis_health = SW_CKPT_OK};
    for (int i = 0; i < r->started; i++) {
        worker *w = &r->ws[i];
        pthread_mutex_lock(&w->pub_lock);
        add_member(&v, w->pub);
        pthread_mutex_unlock(&w->pub_lock);
    }
    return v;
}

void run_lock_published(run_ctx *r, int n) {
    for (int i = 0; i < n; i++) pthread_mutex_lock(&r->ws[i].pub_lock);
}

void run_unlock_published(run_ctx *r, int n) {
    for (int i = n - 1; i >= 0; i--) pthread_mutex_unlock(&r->ws[i].pub_lock);
}

/* worker.c -- sw_run (worker.h), in its phases: set up the run (the alert
 * producer, the output topics), start the members (one thread and consumer
 * each), serve --metrics-addr, watch until the stop or the end, stop
 * (join the members, flush the producer within the stop's deadline), and
 * report (per-member checkpoint lines, the summary).  The files each
 * phase relies on are listed in worker_internal.h.
 *
 * Also here: the run-wide stop deadline and failure, which every member
 * reads. */
#include "worker_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "http.h"
#include "summary.h"

/* ---- the run's stop and failure ----------------------------------------- */

int64_t run_stop_deadline(run_ctx *r) {
    int_fast64_t d = atomic_load(&r->stop_deadline);
    if (d == 0) {
        int_fast64_t want = sw_mono_coarse_ms() + SW_STOP_MS;
        if (atomic_compare_exchange_strong(&r->stop_deadline, &d, want)) d = want;
    }
    return d;
}

int64_t worker_wait_deadline(worker *w, int64_t ms) {
    int64_t d = sw_mono_coarse_ms() + ms;
    if (worker_stopping(w)) {
        int64_t s = run_stop_deadline(w->run);
        if (s < d) d = s;
    }
    return d;
}

void worker_fail(worker *w, const char *what) {
    sw_log(SW_LOG_ERROR, "worker %d: %s; stopping without committing further", w->index, what);
    atomic_store(&w->run->failed, true);
}

/* At most one line a second per worker: transient Kafka or Redis trouble
 * (a broker down, a rebalance, Redis failing) must not flood stderr. */
void worker_log_limited(worker *w, const char *fmt, ...) {
    if (!sw_log_due(&w->log_limit)) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sw_log(SW_LOG_WARN, "worker %d: %s", w->index, msg);
}

/* ---- the phases ---------------------------------------------------------- */

/* The alert producer, once the output topics are known to exist: 0, or
 * sw_run's status (1, or 2 when a topic is missing). */
static int start_producer(run_ctx *r) {
    const sw_run_opts *o = r->o;
    char err[512];
    rd_kafka_conf_t *pc = sw_kafka_conf(o->kafka, RD_KAFKA_PRODUCER, err, sizeof err);
    if (pc) rd_kafka_conf_set_log_cb(pc, worker_on_rdlog);
    /* Internal records must reach their partition in their input order
     * (the stateful stage takes an older original offset for a replay,
     * worker_dedup.c): librdkafka keeps a partition's messages in order
     * while it retries, but one it gave up on (message.timeout.ms) would be
     * re-sent by our retry list after newer ones.  So with internal topics
     * it never gives up (0: no timeout) unless -X says otherwise. */
    if (pc && r->any_routed &&
        sw_kafka_conf_default(pc, o->kafka, "message.timeout.ms", "0", err, sizeof err)) {
        rd_kafka_conf_destroy(pc);
        pc = NULL;
    }
    if (pc && sw_kafka_conf_default(pc, o->kafka, "client.id", "sessionwatch-run-alerts", err, sizeof err)) {
        rd_kafka_conf_destroy(pc);
        pc = NULL;
    }
    r->producer = pc ? sw_producer_start(pc, err, sizeof err) : NULL;
    if (!r->producer) {
        sw_log(SW_LOG_ERROR, "cannot create the alert producer: %s", err);
        return 1;
    }
    /* A missing alerts or dead-letter topic is a start-up error, not a
     * stream of failed deliveries (kafka.h: sw_kafka_check_topics). */
    const char *const outputs[] = {o->alerts_topic, o->dlq_topic};
    if (sw_kafka_check_topics(o->kafka, outputs, 2, TOPIC_CHECK_MS, err, sizeof err) != 0) {
        sw_log(SW_LOG_ERROR, "%s", err);
        sw_producer_stop(r->producer, 0);
        return 2;
    }
    if (sw_producer_set_dead_letters(r->producer, o->dlq_topic) != 0) {
        sw_log(SW_LOG_ERROR, "out of memory");
        sw_producer_stop(r->producer, 0);
        return 1;
    }
    return 0;
}

/* ---- the topics: the input and the key families' internal topics -------- */

/* Whether family f (its first rule r) holds o->key_field: then its keys'
 * events share an input partition and it runs where they are read. */
static bool family_is_keyed(const sw_run_opts *o, const sw_rulespec *r) {
    int row = o->key_field ? sw_catalogue_find(o->key_field, strlen(o->key_field)) : -1;
    for (size_t k = 0; row >= 0 && k < r->n_group_by; k++)
        if ((int)r->group_by[k] == row) return true;
    return false;
}

int sw_run_families(const sw_run_opts *o, sw_run_family **out, size_t *n) {
    *out = NULL;
    *n = 0;
    uint32_t *family_of = calloc(o->n_rules + 1, sizeof *family_of);
    if (!family_of) return -1;
    size_t nf = o->n_rules ? sw_rengine_families(o->rules, o->n_rules, family_of) : 0;
    sw_run_family *f = calloc(nf + 1, sizeof *f);
    if (!f) {
        free(family_of);
        return -1;
    }
    for (size_t k = 0; k < nf; k++) {
        size_t i = 0;
        while (family_of[i] != k) i++;
        sw_rengine_family_name(&o->rules[i], f[k].name, sizeof f[k].name);
        f[k].routed = !family_is_keyed(o, &o->rules[i]);
        sw_itopic_name(o->internal_prefix ? o->internal_prefix : o->group, f[k].name, f[k].topic, sizeof f[k].topic);
    }
    free(family_of);
    *out = f;
    *n = nf;
    return 0;
}

/* The run's families: which are routed, and their internal topics; 0, or
 * -1 when out of memory. */
static int plan_families(run_ctx *r) {
    sw_run_family *f;
    if (sw_run_families(r->o, &f, &r->nfamilies) != 0) return -1;
    r->families = f;
    r->routed = calloc(r->nfamilies + 1, sizeof *r->routed);
    r->itopics = calloc(r->nfamilies + 1, sizeof *r->itopics);
    r->mfamilies = calloc(r->nfamilies + 1, sizeof *r->mfamilies);
    if (!r->routed || !r->itopics || !r->mfamilies) return -1;
    for (size_t k = 0; k < r->nfamilies; k++) {
        r->routed[k] = f[k].routed;
        memcpy(r->itopics[k].name, f[k].topic, sizeof r->itopics[k].name);
        r->any_routed |= f[k].routed;
        r->mfamilies[k] = (sw_metrics_family){f[k].name, f[k].routed ? r->itopics[k].name : NULL};
    }
    return 0;
}

/* Checks the internal topics (itopics.h) and lists what the members
 * consume: the input (unless --stage count) and the routed families'
 * internal topics (unless --stage route).  0, or 1 (said why). */
static int setup_topics(run_ctx *r) {
    const sw_run_opts *o = r->o;
    char err[1024];
    if (plan_families(r) != 0) {
        sw_log(SW_LOG_ERROR, "out of memory");
        return 1;
    }
    if (o->stage != SW_STAGE_ALL && !r->any_routed) {
        sw_log(SW_LOG_ERROR, "--stage %s: no key family of the rules goes through an internal topic (every "
                         "threshold rule groups by --key-field %s); run --stage all",
               o->stage == SW_STAGE_ROUTE ? "route" : "count", o->key_field ? o->key_field : "(none)");
        return 1;
    }
    r->topics = calloc(r->nfamilies + 1, sizeof *r->topics);
    if (!r->topics) return 1;
    if (o->stage != SW_STAGE_COUNT) r->topics[r->ntopics++] = (run_topic){.name = o->topic};
    for (size_t f = 0; f < r->nfamilies; f++) {
        if (!r->routed[f]) continue;
        if (sw_itopics_ensure(o->kafka, o->topic, o->internal_partitions, &r->itopics[f], 1, TOPIC_CHECK_MS, err,
                              sizeof err) != 0) {
            sw_log(SW_LOG_ERROR, "%s", err);
            return 1;
        }
        char note[512];
        if (sw_itopics_note(&r->itopics[f], 1, note, sizeof note) > 0) sw_log(SW_LOG_WARN, "%s", note);
        sw_log(SW_LOG_INFO, "key family %zu: internal topic %s (%d partitions%s)%s", f, r->itopics[f].name,
               r->itopics[f].partitions, r->itopics[f].created ? ", created now" : "",
               o->stage == SW_STAGE_ROUTE ? ", produced only (--stage route)" : "");
        if (o->stage != SW_STAGE_ROUTE)
            r->topics[r->ntopics++] = (run_topic){.name = r->itopics[f].name, .internal = true, .family = (uint32_t)f};
    }
    return 0;
}

static void topics_free(run_ctx *r) {
    free(r->topics);
    free(r->routed);
    free(r->itopics);
    free(r->families);
    free(r->mfamilies);
}

/* Member i: its snapshot, Redis connection, parser, consumer and thread;
 * false (the run failed, said why) when it cannot start. */
static bool start_member(run_ctx *r, int i) {
    const sw_run_opts *o = r->o;
    worker *w = &r->ws[i];
    char err[512];
    w->run = r;
    w->index = i;
    w->log_limit = (sw_log_limit)SW_LOG_LIMIT(1000);
    if (worker_publish_init(w) != 0) {
        sw_log(SW_LOG_ERROR, "out of memory");
        return false;
    }
    if (o->state) sw_redis_init(&w->redis, o->state, REDIS_TIMEOUT_MS);
    w->parser = sw_parser_new(o->cfg->max_record_bytes);
    w->topics = calloc((size_t)r->ntopics, sizeof *w->topics);
    w->irec = r->any_routed ? malloc(sizeof *w->irec) : NULL;
    if (!w->topics || (r->any_routed && !w->irec)) snprintf(err, sizeof err, "out of memory");
    else if (!w->parser) snprintf(err, sizeof err, "out of memory for a %zu-byte parser", o->cfg->max_record_bytes);
    else w->rk = worker_consumer_new(w, err, sizeof err);
    if (!w->rk || pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        sw_log(SW_LOG_ERROR, "cannot start worker %d: %s", i, w->rk ? "no thread" : err);
        return false;
    }
    return true;
}

/* Every member, in order, until one cannot start (then the run fails and
 * those started stop on their own). */
static void start_members(run_ctx *r) {
    r->ws = calloc((size_t)r->o->threads, sizeof *r->ws);
    if (!r->ws) {
        sw_log(SW_LOG_ERROR, "out of memory");
        atomic_store(&r->failed, true);
        return;
    }
    for (int i = 0; i < r->o->threads; i++) {
        if (!start_member(r, i)) {
            atomic_store(&r->failed, true);
            return;
        }
        r->started++;
    }
}

/* --metrics-addr: NULL without it (or when it cannot listen: the run fails). */
static sw_http *start_http(run_ctx *r) {
    char err[512];
    if (!r->o->metrics_addr || r->started == 0 || atomic_load(&r->failed)) return NULL;
    sw_http *http = sw_http_start(r->o->metrics_addr, run_serve_http, r, err, sizeof err);
    if (!http) {
        sw_log(SW_LOG_ERROR, "--metrics-addr: %s", err);
        atomic_store(&r->failed, true);
    } else {
        sw_log(SW_LOG_INFO, "metrics and health on port %d: /metrics, /healthz, /readyz", sw_http_port(http));
    }
    return http;
}

/* Joins the members (they stop on their own once *o->stop or r->failed
 * is set), then gives the producer what is left of the stop's deadline. */
static void stop(run_ctx *r, sw_http *http) {
    for (int i = 0; i < r->started; i++) pthread_join(r->ws[i].thread, NULL);
    sw_http_stop(http);
    int64_t deadline = atomic_load(&r->stop_deadline);
    int64_t left_ms = deadline ? deadline - sw_mono_coarse_ms() : DRAIN_MS;
    uint64_t unacked = sw_producer_stop(r->producer, left_ms > 0 ? (int)left_ms : 0);
    if (unacked) sw_log(SW_LOG_WARN, "%" PRIu64 " alerts or dead letters were never acknowledged; their records "
                                "were not committed and will be read again", unacked);
}

static void member_free(worker *w) {
    if (w->rk && !w->keep_handle) rd_kafka_destroy(w->rk);
    sw_redis_close(&w->redis);
    worker_publish_free(w);
    sw_parser_free(w->parser);
    for (int t = 0; w->topics && t < w->run->ntopics; t++) free(w->topics[t].parts);
    free(w->topics);
    free(w->irec);
    sw_buf_free(&w->key);
}

/* Member w's numbers per routed key family, one line each. */
static void log_families(const run_ctx *r, const worker *w) {
    for (size_t f = 0; w->fam && f < r->nfamilies; f++)
        if (r->routed[f])
            sw_log(SW_LOG_INFO, "worker %d: key family %s (%s): %" PRIu64 " internal records routed (%" PRIu64
                            " bytes), %" PRIu64 " replayed ones skipped", w->index, r->families[f].name,
                   r->itopics[f].name, w->fam[f].records, w->fam[f].bytes, w->fam[f].replays);
}

/* The routed families' labels into out (in family order); how many. */
static size_t families_summary(const run_ctx *r, sw_internal_summary *out) {
    size_t n = 0;
    for (size_t f = 0; f < r->nfamilies; f++)
        if (r->routed[f]) out[n++] = (sw_internal_summary){.family = r->families[f].name, .topic = r->itopics[f].name};
    return n;
}

/* Member w's per-family numbers added into out (families_summary's order). */
static void add_families(const run_ctx *r, const worker *w, sw_internal_summary *out) {
    for (size_t f = 0, n = 0; out && w->fam && f < r->nfamilies; f++) {
        if (!r->routed[f]) continue;
        out[n].records += w->fam[f].records;
        out[n].bytes += w->fam[f].bytes;
        out[n++].replays += w->fam[f].replays;
    }
}

/* Per-member checkpoint lines (Redis state), the summary (and with --rules
 * one line per rule, as scan prints them); frees the members. */
static void report(run_ctx *r, int64_t t0) {
    const sw_run_opts *o = r->o;
    sw_counters c = {0};
    uint64_t users = 0, evicted = 0, bytes = 0, unmatched = 0;
    sw_rule_counters *rules = o->n_rules ? calloc(o->n_rules, sizeof *rules) : NULL;
    sw_internal_summary *fams = r->any_routed ? calloc(r->nfamilies, sizeof *fams) : NULL;
    size_t nfams = fams ? families_summary(r, fams) : 0;
    for (int i = 0; r->ws && i < o->threads; i++) {
        const worker *w = &r->ws[i];
        if (o->state)
            sw_log(SW_LOG_INFO, "worker %d: %" PRIu64 " checkpoints (%" PRIu64 " user states, %" PRIu64
                            " bytes), %" PRIu64 " failed; %" PRIu64 " user states restored, %" PRIu64
                            " corrupt ones skipped; %" PRIu64 " restored checkpoints refused (Kafka disagrees)",
                    i, w->checkpoints, w->ckpt_users, w->ckpt_bytes, w->ckpt_failures, w->restored_users,
                    w->restored_corrupt, w->stale_refused);
        if (r->any_routed) {
            sw_log(SW_LOG_INFO, "worker %d: %" PRIu64 " internal records routed, %" PRIu64 " replayed ones "
                            "skipped (counted already)", i, w->routed, w->duplicates);
            log_families(r, w);
        }
        add_families(r, w, fams);
        sw_counters_add(&c, &w->retired);
        for (size_t k = 0; rules && w->retired_rules && k < o->n_rules; k++)
            sw_rule_counters_add(&rules[k], &w->retired_rules[k]);
        unmatched += w->retired_unmatched;
        users += w->retired_users;
        evicted += w->evicted;
        bytes += w->bytes;
        member_free(&r->ws[i]);
    }
    free(r->ws);
    r->ws = NULL;
    sw_summary s = {
        .c = &c, .bytes = bytes, .elapsed_s = (double)(sw_mono_coarse_ms() - t0) / 1000.0,
        .tracked_users = users, .evicted = evicted, .internal = fams, .n_internal = nfams,
    };
    sw_summary_print(stderr, "run", o->summary_json, &s);
    if (rules) {
        sw_rules_summary rs = {.specs = o->rules, .c = rules, .n = o->n_rules, .unmatched = unmatched};
        sw_rules_summary_print(stderr, o->summary_json, &rs);
    }
    free(rules);
    free(fams);
}

int sw_run(const sw_run_opts *o) {
    int64_t t0 = sw_mono_coarse_ms();
    run_ctx run = {.o = o, .budget = {.max = o->cfg->max_tracked_users}, .tenant_budget = {.max = o->cfg->max_tenants}};
    int status = setup_topics(&run);
    if (status == 0) status = start_producer(&run);
    if (status != 0) {
        topics_free(&run);
        return status;
    }
    start_members(&run);
    sw_http *http = start_http(&run);
    run_watch(&run, t0);
    stop(&run, http);
    report(&run, t0);
    topics_free(&run);
    /* Unacknowledged messages at the end of a stop are not an error: their
     * records were not committed (at-least-once). */
    return atomic_load(&run.failed) ? 1 : 0;
}

void *sw_run_thread_main(void *arg) {
    sw_run_thread *t = arg;
    t->status = sw_run(&t->opts);
    return NULL;
}

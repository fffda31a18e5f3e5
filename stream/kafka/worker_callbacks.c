/* worker_callbacks.c -- a worker's consumer: its configuration, and the
 * librdkafka callbacks it is built with.
 *
 * Every callback is served on the worker's own thread, inside
 * rd_kafka_consumer_poll (rd_kafka_poll_set_consumer), so they touch the
 * worker's fields without locks, as the poll loop does:
 *   on_rebalance     assign: open the partitions, load their state, consume
 *                    those that loaded; revoke / lose: close them
 *   on_commit        an asynchronous commit's result (worker_committed)
 *   on_stats         consumer lag, per partition and summed
 *   worker_on_error  a fatal error fails the run; others are logged, limited
 *   worker_on_rdlog  librdkafka's own lines, through sw_log
 * The settings correctness rests on (group.id, no auto commit, no auto
 * offset store, partition EOF events) are set here, not left to -X. */
#include "worker_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *l, void *opaque) {
    worker *w = opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;
    /* Said at once (a rebalance may block this thread for seconds): the
     * watcher's --exit-at-end must not take the group for settled. */
    w->progress.activity++;
    w->progress.settled = false;
    worker_publish(w);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        w->joined = true;
        for (int i = 0; i < l->cnt; i++)
            if (part_open(w, worker_topic_index(w, l->elems[i].topic), l->elems[i].partition) != 0)
                worker_fail(w, "out of memory for a partition's state");
        worker_log_partitions(w, "assigned", l, worker_redis_mode(w) ? "; loading their state from Redis" : "");
        /* Only the partitions whose state is loaded are consumed; the
         * others are added by state_housekeeping once they load. */
        rd_kafka_topic_partition_list_t *ready = rd_kafka_topic_partition_list_new(l->cnt + 1);
        bool give_up = w->redis_down; /* one failed load is enough: do not wait out a timeout per partition */
        for (int i = 0; i < l->cnt; i++) {
            part *p = part_find(w, worker_topic_index(w, l->elems[i].topic), l->elems[i].partition);
            if (p && !p->loaded && !give_up) {
                sw_ckpt_status st = part_load(w, p);
                if (st == SW_CKPT_OK) p->loaded = true;
                else give_up = st != SW_CKPT_REFUSED; /* a refused partition is its own business */
            }
            if (p && p->loaded) rd_kafka_topic_partition_list_add(ready, l->elems[i].topic, p->id);
        }
        if (coop || worker_redis_mode(w)) worker_assign_loaded(w, ready);
        else rd_kafka_assign(rk, l);
        rd_kafka_topic_partition_list_destroy(ready);
    } else {
        bool lost = err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(rk);
        /* librdkafka only has the loaded ones (and the fenced ones). */
        rd_kafka_topic_partition_list_t *drop = rd_kafka_topic_partition_list_new(l->cnt + 1);
        for (int i = 0; i < l->cnt; i++) {
            part *p = part_find(w, worker_topic_index(w, l->elems[i].topic), l->elems[i].partition);
            if (!p) continue;
            if (p->loaded) rd_kafka_topic_partition_list_add(drop, l->elems[i].topic, p->id);
            part_close(w, p, lost);
        }
        worker_log_partitions(w, lost ? "lost" : "revoked", l,
                       worker_redis_mode(w) ? (lost ? "; their state stays as last checkpointed"
                                             : "; their state is checkpointed for the next owner")
                                     : "; their window state is dropped");
        if (coop) error = rd_kafka_incremental_unassign(rk, drop); /* even empty: it ends the rebalance */
        else rd_kafka_assign(rk, NULL);
        rd_kafka_topic_partition_list_destroy(drop);
    }
    if (error) {
        sw_log(SW_LOG_ERROR, "worker %d: rebalance: %s", w->index, rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
}

static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *l, void *opaque) {
    (void)rk;
    worker_committed(opaque, err, l);
}

/* The run topic named by the "topic":"NAME" at s (-1: another one). */
static int stats_topic(const worker *w, const char *s, const char *end) {
    const char *q = memchr(s, '"', (size_t)(end - s));
    for (int t = 0; q && t < w->run->ntopics; t++) {
        size_t n = strlen(w->run->topics[t].name);
        if ((size_t)(q - s) == n && memcmp(s, w->run->topics[t].name, n) == 0) return t;
    }
    return -1;
}

/* librdkafka's statistics (every statistics.interval.ms, served on this
 * worker's thread inside rd_kafka_consumer_poll, so it writes the worker's
 * plain fields): reads each partition's consumer_lag into its part (the
 * per-partition lag of /metrics) and their sum into w->progress.lag (the status
 * line's lag=).  Each topic object has "topic":"T" before its partitions,
 * each partition object "partition":N before its "consumer_lag":V; a
 * negative lag (librdkafka's "unknown") is not summed and leaves the
 * partition's lag as it was.  Returns 0: librdkafka frees the JSON. */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
    (void)rk;
    worker *w = opaque;
    static const char pn[] = "\"partition\":", ln[] = "\"consumer_lag\":", tn[] = "\"topic\":\"";
    int64_t sum = 0, partition = -1;
    int topic = -1;
    const char *end = json + len;
    for (const char *s = json; s < end;) {
        const char *t = memmem(s, (size_t)(end - s), tn, sizeof tn - 1);
        const char *a = memmem(s, (size_t)(end - s), pn, sizeof pn - 1);
        if (t && (!a || t < a)) {
            s = t + sizeof tn - 1;
            topic = stats_topic(w, s, end);
            continue;
        }
        const char *b = memmem(s, (size_t)(end - s), ln, sizeof ln - 1);
        if (!a && !b) break;
        bool is_partition = a && (!b || a < b);
        s = (is_partition ? a + sizeof pn : b + sizeof ln) - 1;
        bool neg = s < end && *s == '-';
        s += neg;
        int64_t v = 0;
        bool digits = false;
        while (s < end && *s >= '0' && *s <= '9' && v < INT64_MAX / 10) v = v * 10 + (*s++ - '0'), digits = true;
        if (!digits) continue;
        if (is_partition) {
            partition = neg ? -1 : v;
        } else if (!neg) {
            sum += v;
            part *p = partition >= 0 && partition < INT32_MAX ? part_find(w, topic, (int32_t)partition) : NULL;
            if (p) p->lag = v;
        }
    }
    w->progress.lag = sum;
    return 0;
}

/* librdkafka's own log lines go through sw_log (JSON with --log-format
 * json); syslog levels 0..7 map onto error, warn, info, debug. */
void worker_on_rdlog(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    sw_log(level <= 3 ? SW_LOG_ERROR : level == 4 ? SW_LOG_WARN : level <= 6 ? SW_LOG_INFO : SW_LOG_DEBUG,
           "librdkafka %s: %s: %s", rd_kafka_name(rk), fac, buf);
}

void worker_on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    worker *w = opaque;
    char why[512];
    if (err == RD_KAFKA_RESP_ERR__FATAL && rd_kafka_fatal_error(rk, why, sizeof why)) {
        worker_fail(w, why);
        return;
    }
    worker_log_limited(w, "%s: %s", rd_kafka_err2name(err), reason);
}

static int set(rd_kafka_conf_t *c, const char *name, const char *value, char *err, size_t errlen) {
    return rd_kafka_conf_set(c, name, value, err, errlen) == RD_KAFKA_CONF_OK ? 0 : -1;
}

rd_kafka_t *worker_consumer_new(worker *w, char *err, size_t errlen) {
    const sw_run_opts *o = w->run->o;
    rd_kafka_conf_t *c = sw_kafka_conf(o->kafka, RD_KAFKA_CONSUMER, err, errlen);
    if (!c) return NULL;
    char client_id[64], stats_ms[32];
    snprintf(client_id, sizeof client_id, "sessionwatch-run-%d", w->index);
    /* Statistics carry the consumer lag: for the status line, and for the
     * metrics every 5 s at least. */
    int64_t stats = o->status_interval_ms;
    if (o->metrics_addr && (stats <= 0 || stats > 5000)) stats = 5000;
    snprintf(stats_ms, sizeof stats_ms, "%" PRId64, stats);
    /* What correctness rests on is not left to -X. */
    int rc = set(c, "group.id", o->group, err, errlen) |
             set(c, "enable.auto.commit", "false", err, errlen) |
             set(c, "enable.auto.offset.store", "false", err, errlen) |
             set(c, "enable.partition.eof", "true", err, errlen);
    rc |= sw_kafka_conf_default(c, o->kafka, "client.id", client_id, err, errlen) |
          sw_kafka_conf_default(c, o->kafka, "partition.assignment.strategy", "cooperative-sticky", err, errlen) |
          sw_kafka_conf_default(c, o->kafka, "auto.offset.reset", "earliest", err, errlen);
    if (stats > 0) rc |= sw_kafka_conf_default(c, o->kafka, "statistics.interval.ms", stats_ms, err, errlen);
    if (rc) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_conf_set_opaque(c, w);
    rd_kafka_conf_set_rebalance_cb(c, on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(c, on_commit);
    rd_kafka_conf_set_stats_cb(c, on_stats);
    rd_kafka_conf_set_error_cb(c, worker_on_error);
    rd_kafka_conf_set_log_cb(c, worker_on_rdlog);
    rd_kafka_t *rk = sw_kafka_new(RD_KAFKA_CONSUMER, c, err, errlen); /* masks secrets in its error */
    if (!rk) return NULL;
    rd_kafka_poll_set_consumer(rk);
    /* The input and the internal topics, in one group. */
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(w->run->ntopics);
    for (int t = 0; t < w->run->ntopics; t++)
        rd_kafka_topic_partition_list_add(sub, w->run->topics[t].name, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e) {
        snprintf(err, errlen, "cannot subscribe to %s: %s", o->topic, rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

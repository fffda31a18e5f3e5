/* e2e.c -- end-to-end benchmark through Kafka: the throughput of
 * `sessionwatch run` (sw_run, in this process) draining a keyed topic,
 * against the floor of a bare librdkafka consumer draining the same topic
 * in the same run, and the alert latency under a steady paced load.
 *
 * Everything runs on librdkafka's mock cluster on loopback, in this
 * process: the broker competes with the clients for the machine's cores,
 * so every figure is a lower bound for a real broker on its own machine.
 *
 *   preload   `gen` records (sw_gen_run defaults: ~1.7 KB raw Okta events,
 *             ~15% session starts) keyed by user with sw_kp_* onto a topic
 *             of --partitions partitions (a mock partition keeps only ~5 MB
 *             and deletes older records, so the partition count is chosen
 *             for the volume, and the low watermarks are checked to be 0).
 *             Each partition is framed by sentinel records: three session
 *             starts of a sentinel user first and three of another last, so
 *             that sessionwatch alerts (on_alert hook) when it has processed
 *             a partition's first 3 records and when it has processed its
 *             last one.  Not timed.
 *   bare      the Kafka floor: 1 or 2 threads, each a consumer configured
 *             like run's (group.id, no auto commit, partition EOF, fetch
 *             sizes at librdkafka's defaults) assigned half or all of the
 *             partitions from OFFSET_BEGINNING (no group join), counting
 *             records and bytes without parsing.  Interval: first record
 *             received by any thread -> last record received.
 *   sw        sw_run with a fresh group, 1 or 2 threads, exit_at_end, no
 *             status lines.  Interval: the first start-sentinel alert (a
 *             partition's 3rd record processed) -> the end-sentinel alert of
 *             the last partition to finish (every record processed).  Both
 *             moments are taken on the worker thread inside on_alert, so the
 *             interval holds neither the group join (~3 s on the mock) nor
 *             exit_at_end's settle time, and it is comparable with bare's.
 *             It does not wait for the last alerts' acknowledgements or the
 *             final commit (those follow within a few ms on loopback).
 *   latency   a fresh topic; sw_run (2 threads) joins its group first
 *             (`assigned` == partitions), then records are produced paced
 *             (sw_kp_set_rate) at --latency-share of sessionwatch's measured
 *             2-thread rate for --latency-seconds.  Afterwards the alerts
 *             topic is read back: latency = the alert message's Kafka
 *             timestamp (CreateTime: when the worker handed it to the
 *             producer) - source.timestamp in the alert (the completing input
 *             record's CreateTime, when the keyed producer produced it).
 *             This phase generates with attack_rate 0.05 (default 0.01) so
 *             that p99 rests on a few hundred alerts; the record mix is the
 *             same.
 *
 * Throughput figures are repeated --runs times (env RUNS, default 5; runs
 * of the four figures are interleaved so that machine noise hits them
 * alike) after one untimed bare warm-up; each reports median, min and max
 * of its interval, records/s and MB/s of record values (keys not counted),
 * and CPU seconds per million records over the interval: of the whole
 * process (CLOCK_PROCESS_CPUTIME_ID, which includes the mock broker) and of
 * the clients alone (minus the threads that existed right after the mock
 * cluster started, read from /proc/self/task/TID/stat at 1/CLK_TCK
 * resolution).  Every wait is bounded.
 *
 * usage: e2e [--records N] [--partitions P] [--runs N] [--latency-seconds S]
 *            [--latency-share F] [--json] */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "config.h"
#include "engine.h"
#include "gen.h"
#include "kafka.h"
#include "keyed_producer.h"
#include "mockcluster.h"
#include "timefmt.h"
#include "worker.h"

#define IN_TOPIC "e2e-in"
#define ALERTS_TOPIC "e2e-alerts"
#define LAT_TOPIC "e2e-latency-in"
#define LAT_ALERTS_TOPIC "e2e-latency-alerts"
#define ALERT_PARTS 4
#define SENTINEL_START "e2e-sentinel-start-"
#define SENTINEL_END "e2e-sentinel-end-"
#define MOCK_PARTITION_BYTES (5 * 1000 * 1000) /* what a mock partition keeps, about */
#define MAX_RUNS 64
#define MAX_BROKER_TIDS 64
#define RUN_TIMEOUT_S 180   /* one drain, bare or sessionwatch */
#define JOIN_TIMEOUT_S 60   /* sw_run returning after its work is done */
#define CATCH_UP_S 120      /* latency phase: the group committing the end */

/* ---- clocks -------------------------------------------------------------- */

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double proc_cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* The mock broker's threads: every thread but this one that exists right
 * after the mock cluster started (its own thread and its host handle's). */
static pid_t broker_tids[MAX_BROKER_TIDS];
static int n_broker_tids;

static void find_broker_tids(void) {
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    pid_t self = (pid_t)gettid();
    while (d && (e = readdir(d)) && n_broker_tids < MAX_BROKER_TIDS) {
        long tid = strtol(e->d_name, NULL, 10);
        if (tid > 0 && (pid_t)tid != self) broker_tids[n_broker_tids++] = (pid_t)tid;
    }
    if (d) closedir(d);
}

static double broker_cpu_s(void) {
    static long tck;
    if (!tck) tck = sysconf(_SC_CLK_TCK);
    unsigned long long ticks = 0;
    for (int i = 0; i < n_broker_tids; i++) {
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)broker_tids[i]);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* Fields after "(comm)": state is field 3; utime 14, stime 15. */
        const char *p = strrchr(buf, ')');
        unsigned long long ut, st;
        if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
            ticks += ut + st;
    }
    return tck > 0 ? (double)ticks / (double)tck : 0;
}

typedef struct {
    double t, cpu, broker_cpu;
} snap;

static snap take_snap(void) {
    snap s = {.t = mono_s(), .cpu = proc_cpu_s()};
    s.broker_cpu = broker_cpu_s();
    return s;
}

/* Tenants of the generated traffic (--tenants).  gen gives each tenant an
 * "Okta System" principal that is the actor of ~28% of its records; keyed
 * by user, one tenant's principal is one hot key, and one mock partition
 * keeps only ~5 MB, so the volume is spread over several tenants. */
static uint32_t tenants = 32;

/* The rule's configuration of every producer and worker here: the tenant
 * is the generator's top-level "tenant" field when there are several. */
static void rule_config(sw_config *cfg) {
    sw_config_defaults(cfg);
    if (tenants > 1) cfg->tenant_field = "tenant";
}

/* ---- the topic ----------------------------------------------------------- */

typedef struct {
    sw_kafka_opts k;
    int partitions;
    int64_t *hwm;       /* per partition, after the preload */
    uint64_t records;   /* sum of hwm */
    uint64_t generated; /* of which gen records */
    uint64_t bytes;     /* record values, counted by the bare warm-up */
    uint64_t max_part_bytes; /* the largest partition's values, counted by the bare warm-up */
    int64_t gen_start_ms;
    double gen_hours;
} topic_info;

static atomic_uint_fast64_t dr_failed;
static void count_failures(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    if (m->err) atomic_fetch_add(&dr_failed, 1);
}

/* Three session starts of user `actor` in partition p, at t0, t0+1, t0+2 ms. */
static int produce_sentinels(rd_kafka_t *rk, const char *topic, int p, const char *prefix, int64_t t0) {
    char actor[64], key[80], ts[32], rec[1024];
    snprintf(actor, sizeof actor, "%s%d", prefix, p);
    int klen = snprintf(key, sizeof key, "%c%s", 0x1F, actor);
    for (int i = 0; i < 3; i++) {
        sw_time_format(t0 + i, ts);
        int n = snprintf(rec, sizeof rec,
                         "{\"actor\":{\"alternateId\":\"%s@example.com\",\"displayName\":\"e2e sentinel\","
                         "\"id\":\"%s\",\"type\":\"User\"},\"authenticationContext\":{\"externalSessionId\":"
                         "\"%s-s%d\"},\"client\":{\"ipAddress\":\"192.0.2.%d\"},\"eventType\":\"user.session.start\","
                         "\"outcome\":{\"result\":\"SUCCESS\"},\"published\":\"%s\",\"uuid\":\"%s-u%d\",\"version\":\"0\"}",
                         actor, actor, actor, i, i + 1, ts, actor, i);
        rd_kafka_resp_err_t e;
        for (int tries = 0; tries < 1000; tries++) {
            e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(p), RD_KAFKA_V_KEY(key, (size_t)klen),
                                  RD_KAFKA_V_VALUE(rec, (size_t)n), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_END);
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
            rd_kafka_poll(rk, 10);
        }
        if (e) {
            fprintf(stderr, "e2e: cannot produce a sentinel: %s\n", rd_kafka_err2str(e));
            return -1;
        }
    }
    return 0;
}

static int sentinels(topic_info *ti, const char *prefix, int64_t t0) {
    char err[512];
    rd_kafka_conf_t *c = sw_kafka_conf(&ti->k, err, sizeof err);
    rd_kafka_t *rk = c ? sw_kafka_producer(c, count_failures, err, sizeof err) : NULL;
    if (!rk) {
        fprintf(stderr, "e2e: %s\n", err);
        return -1;
    }
    int rc = 0;
    for (int p = 0; p < ti->partitions && rc == 0; p++) rc = produce_sentinels(rk, IN_TOPIC, p, prefix, t0);
    if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR || atomic_load(&dr_failed)) {
        fprintf(stderr, "e2e: sentinel records were not delivered\n");
        rc = -1;
    }
    rd_kafka_destroy(rk);
    return rc;
}

/* gen records into a temporary file (rewound); NULL on failure. */
static FILE *generate(uint64_t records, uint64_t seed, double attack_rate, sw_gen_opts *g, uint64_t *bytes) {
    sw_gen_defaults(g);
    g->seed = seed;
    g->records = records;
    g->tenants = tenants;
    /* ~40 records per user-hour, as bench/run.sh; users are per tenant. */
    g->users = records / 40 / tenants > 0 ? records / 40 / tenants : 1;
    g->hours = 1;
    g->attack_rate = attack_rate;
    FILE *f = tmpfile();
    if (!f || sw_gen_run(g, f, NULL) != (int64_t)records || fflush(f) != 0) {
        fprintf(stderr, "e2e: cannot generate %" PRIu64 " records into a temporary file: %s\n", records,
                strerror(errno));
        if (f) fclose(f);
        return NULL;
    }
    *bytes = (uint64_t)ftell(f);
    rewind(f);
    return f;
}

/* Produces a file's records keyed by user (sw_kp), paced at rate (0: as
 * fast as possible); the elapsed seconds, or -1. */
static double produce_file(const sw_kafka_opts *k, const char *topic, FILE *f, uint64_t rate) {
    char err[512];
    sw_config cfg;
    rule_config(&cfg);
    sw_kp *kp = sw_kp_new(k, topic, &cfg, SW_KP_EVERY_EVENT, "e2e", err, sizeof err);
    if (!kp) {
        fprintf(stderr, "e2e: %s\n", err);
        return -1;
    }
    sw_kp_set_rate(kp, rate);
    rewind(f);
    double t0 = mono_s();
    int rc = sw_kp_lines(kp, fileno(f));
    uint64_t failed = sw_kp_flush(kp);
    double dt = mono_s() - t0;
    sw_kp_free(kp);
    if (rc != 0 || failed) {
        fprintf(stderr, "e2e: producing to %s failed (%" PRIu64 " records not delivered)\n", topic, failed);
        return -1;
    }
    return dt;
}

static int watermarks(const sw_kafka_opts *k, const char *topic, int parts, int64_t *lo, int64_t *hi) {
    char err[512];
    rd_kafka_conf_t *c = sw_kafka_conf(k, err, sizeof err);
    rd_kafka_t *rk = c ? sw_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err) : NULL;
    if (!rk) {
        fprintf(stderr, "e2e: %s\n", err);
        return -1;
    }
    int rc = 0;
    for (int p = 0; p < parts && rc == 0; p++) {
        int64_t l, h;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, p, &l, &h, 10000);
        if (e) {
            fprintf(stderr, "e2e: watermarks of %s [%d]: %s\n", topic, p, rd_kafka_err2str(e));
            rc = -1;
        }
        if (lo) lo[p] = l;
        if (hi) hi[p] = h;
    }
    rd_kafka_destroy(rk);
    return rc;
}

static int preload(topic_info *ti, uint64_t records) {
    sw_gen_opts g;
    uint64_t file_bytes;
    FILE *f = generate(records, 42, 0.01, &g, &file_bytes);
    if (!f) return -1;
    ti->gen_start_ms = g.start_ms;
    ti->gen_hours = g.hours;
    int64_t end_ms = g.start_ms + (int64_t)(g.hours * 3600000.0) + 60000;
    int rc = sentinels(ti, SENTINEL_START, g.start_ms);
    double dt = rc ? -1 : produce_file(&ti->k, IN_TOPIC, f, 0);
    if (dt < 0 || sentinels(ti, SENTINEL_END, end_ms) != 0) rc = -1;
    fclose(f);
    if (rc) return -1;
    int64_t *lo = calloc((size_t)ti->partitions, sizeof *lo);
    ti->hwm = calloc((size_t)ti->partitions, sizeof *ti->hwm);
    if (!lo || !ti->hwm || watermarks(&ti->k, IN_TOPIC, ti->partitions, lo, ti->hwm) != 0) {
        free(lo);
        return -1;
    }
    for (int p = 0; p < ti->partitions; p++) {
        if (getenv("E2E_DEBUG")) fprintf(stderr, "p%d lo %" PRId64 " hi %" PRId64 "\n", p, lo[p], ti->hwm[p]);
        if (lo[p] != 0) {
            fprintf(stderr, "e2e: partition %d lost its first %" PRId64 " records (a mock partition keeps ~5 MB): "
                            "use more --partitions\n", p, lo[p]);
            rc = -1;
        }
        ti->records += (uint64_t)ti->hwm[p];
    }
    free(lo);
    ti->generated = records;
    if (!rc && ti->records != records + 6 * (uint64_t)ti->partitions) {
        fprintf(stderr, "e2e: the topic holds %" PRIu64 " records, expected %" PRIu64 "\n", ti->records,
                records + 6 * (uint64_t)ti->partitions);
        rc = -1;
    }
    fprintf(stderr, "e2e: preloaded %" PRIu64 " records (%.1f MB of NDJSON) in %.1f s\n", ti->records,
            (double)file_bytes / 1e6, dt);
    return rc;
}

/* ---- bare consumer ------------------------------------------------------- */

typedef struct {
    const topic_info *ti;
    int nthreads;
    uint64_t *part_bytes; /* per partition, or NULL */
    atomic_int started, finished, assigning;
    snap assign, start, end;
    atomic_bool failed;
} bare_shared;

typedef struct {
    bare_shared *sh;
    int index;
    rd_kafka_t *rk;
    pthread_t thread;
    uint64_t want, got, bytes;
} bare_thread;

static rd_kafka_t *bare_consumer(const sw_kafka_opts *k, const char *group) {
    char err[512];
    /* As run's consumer (worker.c), without the group subscription and
     * without sw_kafka_conf's producer-only partitioner (a warning). */
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    const char *kv[][2] = {{"bootstrap.servers", k->brokers}, {"client.id", "e2e-bare"}, {"group.id", group},           {"enable.auto.commit", "false"},
                           {"enable.auto.offset.store", "false"}, {"enable.partition.eof", "true"},
                           {"auto.offset.reset", "earliest"}};
    for (size_t i = 0; c && i < sizeof kv / sizeof kv[0]; i++)
        if (rd_kafka_conf_set(c, kv[i][0], kv[i][1], err, sizeof err) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(c);
            c = NULL;
        }
    char *x = getenv("E2E_BARE_X") ? strdup(getenv("E2E_BARE_X")) : NULL, *save = NULL;
    for (char *kv2 = x ? strtok_r(x, ",", &save) : NULL; kv2 && c; kv2 = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv2, '=');
        if (eq) *eq = 0, rd_kafka_conf_set(c, kv2, eq + 1, err, sizeof err);
    }
    free(x);
    rd_kafka_t *rk = c ? sw_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err) : NULL;
    if (!rk) fprintf(stderr, "e2e: %s\n", err);
    else rd_kafka_poll_set_consumer(rk);
    return rk;
}

static void *bare_main(void *arg) {
    bare_thread *b = arg;
    bare_shared *sh = b->sh;
    const topic_info *ti = sh->ti;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(ti->partitions);
    for (int p = b->index; p < ti->partitions; p += sh->nthreads) {
        rd_kafka_topic_partition_list_add(l, IN_TOPIC, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        b->want += (uint64_t)ti->hwm[p];
    }
    int expect = 0;
    if (atomic_compare_exchange_strong(&sh->assigning, &expect, 1)) sh->assign.t = mono_s();
    rd_kafka_resp_err_t e = rd_kafka_assign(b->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        fprintf(stderr, "e2e: assign: %s\n", rd_kafka_err2str(e));
        atomic_store(&sh->failed, true);
        return NULL;
    }
    double deadline = mono_s() + RUN_TIMEOUT_S;
    while (b->got < b->want && !atomic_load(&sh->failed)) {
        if (mono_s() > deadline) {
            fprintf(stderr, "e2e: bare consumer %d: %" PRIu64 " of %" PRIu64 " records after %d s\n", b->index,
                    b->got, b->want, RUN_TIMEOUT_S);
            atomic_store(&sh->failed, true);
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(b->rk, 100);
        if (!m) continue;
        if (!m->err) {
            if (b->got++ == 0) {
                int expect = 0;
                if (atomic_compare_exchange_strong(&sh->started, &expect, 1)) sh->start = take_snap();
            }
            b->bytes += m->len;
            if (sh->part_bytes && m->partition >= 0 && m->partition < ti->partitions)
                sh->part_bytes[m->partition] += m->len;
        } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            fprintf(stderr, "e2e: bare consumer %d: %s\n", b->index, rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
    }
    if (b->got >= b->want && atomic_fetch_add(&sh->finished, 1) == sh->nthreads - 1) sh->end = take_snap();
    return NULL;
}

typedef struct {
    double seconds, cpu, client_cpu; /* over the measured interval */
    double lead;                     /* bare: from rd_kafka_assign to the first record */
    uint64_t records, bytes;
    int ok;
} result;

static result run_bare(const topic_info *ti, int nthreads, int run_no, uint64_t *part_bytes) {
    result r = {0};
    bare_shared sh = {.ti = ti, .nthreads = nthreads, .part_bytes = part_bytes};
    bare_thread th[2] = {{0}};
    char group[64];
    int started = 0;
    for (int i = 0; i < nthreads; i++) {
        snprintf(group, sizeof group, "e2e-bare-%d-%d-%d", nthreads, run_no, i);
        th[i].sh = &sh;
        th[i].index = i;
        if (!(th[i].rk = bare_consumer(&ti->k, group))) goto out;
    }
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&th[i].thread, NULL, bare_main, &th[i]) != 0) {
            atomic_store(&sh.failed, true);
            break;
        }
        started++;
    }
    for (int i = 0; i < started; i++) pthread_join(th[i].thread, NULL);
    if (started == nthreads && atomic_load(&sh.finished) == nthreads && !atomic_load(&sh.failed)) {
        r.ok = 1;
        r.seconds = sh.end.t - sh.start.t;
        r.lead = sh.start.t - sh.assign.t;
        r.cpu = sh.end.cpu - sh.start.cpu;
        r.client_cpu = r.cpu - (sh.end.broker_cpu - sh.start.broker_cpu);
        for (int i = 0; i < nthreads; i++) r.records += th[i].got, r.bytes += th[i].bytes;
    }
out:
    for (int i = 0; i < nthreads; i++)
        if (th[i].rk) {
            rd_kafka_consumer_close(th[i].rk);
            rd_kafka_destroy(th[i].rk);
        }
    return r;
}

/* ---- sessionwatch -------------------------------------------------------- */

typedef struct {
    int partitions;
    atomic_int started;
    snap start;
    atomic_uchar *start_seen, *end_seen;
    atomic_int ends, repeats;
    atomic_bool end_ready;
    snap end;
    atomic_uint_fast64_t alerts;
} probe;

static bool has_prefix(const char *s, size_t n, const char *prefix) {
    size_t pn = strlen(prefix);
    return n > pn && memcmp(s, prefix, pn) == 0;
}

/* sw_run_opts.on_alert, on a worker thread right after the alert went to
 * the producer. */
static void on_alert(void *ud, const sw_alert_out *a) {
    probe *pr = ud;
    atomic_fetch_add_explicit(&pr->alerts, 1, memory_order_relaxed);
    int32_t p = a->source->partition;
    if (p < 0 || p >= pr->partitions) return;
    if (has_prefix(a->actor, a->actor_len, SENTINEL_START)) {
        int expect = 0;
        if (atomic_compare_exchange_strong(&pr->started, &expect, 1)) pr->start = take_snap();
        if (atomic_exchange(&pr->start_seen[p], 1)) atomic_fetch_add(&pr->repeats, 1);
    } else if (has_prefix(a->actor, a->actor_len, SENTINEL_END)) {
        if (atomic_exchange(&pr->end_seen[p], 1)) {
            atomic_fetch_add(&pr->repeats, 1);
        } else if (atomic_fetch_add(&pr->ends, 1) == pr->partitions - 1) {
            pr->end = take_snap();
            atomic_store(&pr->end_ready, true);
        }
    }
}

typedef struct {
    sw_run_opts opts;
    int status;
} run_thread;

static void *run_main(void *arg) {
    run_thread *r = arg;
    r->status = sw_run(&r->opts);
    return NULL;
}

/* Joins the sw_run thread: waits up to JOIN_TIMEOUT_S, then asks it to stop
 * and waits once more.  false if it never returned. */
static bool join_run(pthread_t tid, atomic_int *stop) {
    for (int round = 0; round < 2; round++) {
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += JOIN_TIMEOUT_S;
        if (pthread_timedjoin_np(tid, NULL, &dl) == 0) return true;
        fprintf(stderr, "e2e: sw_run did not return within %d s%s\n", JOIN_TIMEOUT_S,
                round ? "" : "; stopping it");
        atomic_store(stop, 1);
    }
    return false;
}

static result run_sw(const topic_info *ti, int threads, int run_no) {
    result r = {0};
    probe pr = {.partitions = ti->partitions};
    pr.start_seen = calloc((size_t)ti->partitions, sizeof *pr.start_seen);
    pr.end_seen = calloc((size_t)ti->partitions, sizeof *pr.end_seen);
    if (!pr.start_seen || !pr.end_seen) goto out;
    char group[64];
    snprintf(group, sizeof group, "e2e-sw-%d-%d", threads, run_no);
    sw_config cfg;
    rule_config(&cfg);
    atomic_int stop = 0;
    atomic_uint assigned = 0;
    run_thread rt = {.opts = {.cfg = &cfg, .kafka = &ti->k, .topic = IN_TOPIC, .alerts_topic = ALERTS_TOPIC,
                              .group = group, .threads = threads, .exit_at_end = true, .summary_json = true,
                              .status_interval_ms = 0, .stop = &stop, .on_alert = on_alert, .on_alert_ud = &pr,
                              .assigned = &assigned}};
    pthread_t tid;
    if (pthread_create(&tid, NULL, run_main, &rt) != 0) goto out;
    double deadline = mono_s() + RUN_TIMEOUT_S;
    while (!atomic_load(&pr.end_ready) && mono_s() < deadline) sleep_ms(20);
    if (!atomic_load(&pr.end_ready)) {
        fprintf(stderr, "e2e: sessionwatch (%d threads) did not reach the end of %d partitions in %d s (%d did)\n",
                threads, ti->partitions, RUN_TIMEOUT_S, atomic_load(&pr.ends));
        atomic_store(&stop, 1);
    }
    if (!join_run(tid, &stop)) {
        fprintf(stderr, "e2e: giving up\n");
        exit(1);
    }
    if (atomic_load(&pr.repeats))
        fprintf(stderr, "e2e: sessionwatch (%d threads) read %d partitions twice (a rebalance during the run?)\n",
                threads, atomic_load(&pr.repeats));
    if (atomic_load(&pr.end_ready) && rt.status == 0) {
        r.ok = 1;
        r.seconds = pr.end.t - pr.start.t;
        r.cpu = pr.end.cpu - pr.start.cpu;
        r.client_cpu = r.cpu - (pr.end.broker_cpu - pr.start.broker_cpu);
        r.records = ti->records;
        r.bytes = ti->bytes;
    } else if (rt.status != 0) {
        fprintf(stderr, "e2e: sw_run exited %d\n", rt.status);
    }
out:
    free(pr.start_seen);
    free(pr.end_seen);
    return r;
}

/* ---- alert latency ------------------------------------------------------- */

/* source.timestamp of an alert line (the last "source" object). */
static int alert_source_time(const char *json, size_t len, int64_t *ms) {
    static const char src[] = "\"source\":{", key[] = "\"timestamp\":\"";
    const char *p = NULL, *end = json + len;
    for (const char *s = json; (s = memmem(s, (size_t)(end - s), src, sizeof src - 1)); s++) p = s;
    if (!p) return -1;
    const char *close = memchr(p, '}', (size_t)(end - p));
    const char *t = memmem(p, (size_t)((close ? close : end) - p), key, sizeof key - 1);
    if (!t) return -1;
    t += sizeof key - 1;
    const char *q = memchr(t, '"', (size_t)(end - t));
    return q ? sw_time_parse(t, (size_t)(q - t), ms) : -1;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    uint64_t rate, records, alerts, on_topic, no_source;
    double seconds, produce_s;
    int64_t p50, p99, max;
    double mean;
    int ok;
} latency_result;

/* Every message of the alerts topic: latencies (ms) into *out. */
static int read_alert_latencies(const sw_kafka_opts *k, int64_t **out, uint64_t *n, uint64_t *no_source) {
    int64_t lo[ALERT_PARTS], hi[ALERT_PARTS];
    if (watermarks(k, LAT_ALERTS_TOPIC, ALERT_PARTS, lo, hi) != 0) return -1;
    uint64_t want = 0;
    for (int p = 0; p < ALERT_PARTS; p++) want += (uint64_t)(hi[p] - lo[p]);
    *out = calloc(want ? want : 1, sizeof **out);
    rd_kafka_t *rk = *out ? bare_consumer(k, "e2e-latency-reader") : NULL;
    if (!rk) return -1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(ALERT_PARTS);
    for (int p = 0; p < ALERT_PARTS; p++)
        rd_kafka_topic_partition_list_add(l, LAT_ALERTS_TOPIC, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    uint64_t got = 0;
    *n = 0;
    for (double deadline = mono_s() + 60; got < want && mono_s() < deadline;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) continue;
        if (!m->err) {
            got++;
            int64_t src_ms, ts = rd_kafka_message_timestamp(m, NULL);
            if (ts >= 0 && m->payload && alert_source_time(m->payload, m->len, &src_ms) == 0 && *n < want)
                (*out)[(*n)++] = ts - src_ms;
            else (*no_source)++;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (got < want) fprintf(stderr, "e2e: read %" PRIu64 " of %" PRIu64 " alerts\n", got, want);
    return got == want ? 0 : -1;
}

/* The group has committed the end of every non-empty partition. */
static int wait_caught_up(const sw_kafka_opts *k, const char *group, int parts, const int64_t *hwm) {
    rd_kafka_t *rk = bare_consumer(k, group);
    if (!rk) return -1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; p++) rd_kafka_topic_partition_list_add(l, LAT_TOPIC, p);
    int done = 0;
    for (double deadline = mono_s() + CATCH_UP_S; !done && mono_s() < deadline;) {
        if (rd_kafka_committed(rk, l, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            done = 1;
            for (int i = 0; i < l->cnt; i++)
                if (hwm[l->elems[i].partition] > 0 && l->elems[i].offset < hwm[l->elems[i].partition]) done = 0;
        }
        if (!done) sleep_ms(100);
    }
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return done ? 0 : -1;
}

static latency_result run_latency(const sw_kafka_opts *k, int parts, uint64_t rate, double seconds) {
    latency_result lr = {.rate = rate, .seconds = seconds};
    uint64_t records = (uint64_t)((double)rate * seconds), file_bytes;
    sw_gen_opts g;
    FILE *f = generate(records, 7, 0.05, &g, &file_bytes);
    if (!f) return lr;
    lr.records = records;
    int64_t *hwm = calloc((size_t)parts, sizeof *hwm), *lat = NULL;
    probe pr = {.partitions = 0}; /* counts alerts only */
    sw_config cfg;
    rule_config(&cfg);
    atomic_int stop = 0;
    atomic_uint assigned = 0;
    run_thread rt = {.opts = {.cfg = &cfg, .kafka = k, .topic = LAT_TOPIC, .alerts_topic = LAT_ALERTS_TOPIC,
                              .group = "e2e-latency", .threads = 2, .summary_json = true, .stop = &stop,
                              .on_alert = on_alert, .on_alert_ud = &pr, .assigned = &assigned}};
    pthread_t tid;
    if (!hwm || pthread_create(&tid, NULL, run_main, &rt) != 0) goto out;
    /* The group is joined before the first record is produced. */
    for (double deadline = mono_s() + 60; atomic_load(&assigned) < (unsigned)parts && mono_s() < deadline;)
        sleep_ms(20);
    if (atomic_load(&assigned) < (unsigned)parts) {
        fprintf(stderr, "e2e: the latency group got %u of %d partitions in 60 s\n", atomic_load(&assigned), parts);
    } else {
        lr.produce_s = produce_file(k, LAT_TOPIC, f, rate);
        if (lr.produce_s > 0 && watermarks(k, LAT_TOPIC, parts, NULL, hwm) == 0 &&
            wait_caught_up(k, "e2e-latency", parts, hwm) == 0)
            lr.ok = 1;
        else
            fprintf(stderr, "e2e: the latency run did not complete\n");
    }
    atomic_store(&stop, 1);
    if (!join_run(tid, &stop)) {
        fprintf(stderr, "e2e: giving up\n");
        exit(1);
    }
    if (rt.status != 0) lr.ok = 0;
    lr.alerts = atomic_load(&pr.alerts);
    uint64_t n = 0;
    if (lr.ok && read_alert_latencies(k, &lat, &n, &lr.no_source) != 0) lr.ok = 0;
    lr.on_topic = n + lr.no_source;
    if (lr.ok && n > 0) {
        qsort(lat, n, sizeof *lat, cmp_i64);
        double sum = 0;
        for (uint64_t i = 0; i < n; i++) sum += (double)lat[i];
        lr.mean = sum / (double)n;
        lr.p50 = lat[(n + 1) / 2 - 1];
        uint64_t r99 = (uint64_t)((double)n * 0.99 + 0.999999);
        lr.p99 = lat[(r99 ? r99 : 1) - 1];
        lr.max = lat[n - 1];
    } else if (lr.ok) {
        fprintf(stderr, "e2e: no alerts with a source timestamp on %s\n", LAT_ALERTS_TOPIC);
        lr.ok = 0;
    }
out:
    fclose(f);
    free(hwm);
    free(lat);
    return lr;
}

/* ---- reporting ----------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct {
    const char *name;
    int threads;
    result r[MAX_RUNS];
    int n;
    double med, min, max, cpu_per_m, client_cpu_per_m;
} figure;

static void summarize(figure *f) {
    double t[MAX_RUNS], c[MAX_RUNS], cc[MAX_RUNS];
    for (int i = 0; i < f->n; i++) {
        t[i] = f->r[i].seconds;
        c[i] = f->r[i].cpu / (double)f->r[i].records * 1e6;
        cc[i] = f->r[i].client_cpu / (double)f->r[i].records * 1e6;
    }
    f->med = median(t, f->n);
    f->min = t[0];
    f->max = t[f->n - 1];
    f->cpu_per_m = median(c, f->n);
    f->client_cpu_per_m = median(cc, f->n);
}

static void report(const figure *f, const topic_info *ti, bool json) {
    double recs = (double)ti->records, mb = (double)ti->bytes / 1e6;
    if (json)
        printf("{\"name\":\"%s\",\"threads\":%d,\"partitions\":%d,\"records\":%" PRIu64 ",\"bytes\":%" PRIu64
               ",\"runs\":%d,\"median_s\":%.6f,\"min_s\":%.6f,\"max_s\":%.6f,\"records_per_s\":%.0f,\"mb_per_s\":%.2f,"
               "\"cpu_s_per_m\":%.2f,\"client_cpu_s_per_m\":%.2f}\n",
               f->name, f->threads, ti->partitions, ti->records, ti->bytes, f->n, f->med, f->min, f->max,
               recs / f->med, mb / f->med, f->cpu_per_m, f->client_cpu_per_m);
    else
        printf("%-13s %7d %12.0f %8.1f %10.2f %10.2f   %.3f (%.3f..%.3f)\n", f->name, f->threads, recs / f->med,
               mb / f->med, f->cpu_per_m, f->client_cpu_per_m, f->med, f->min, f->max);
}

static int usage(void) {
    fprintf(stderr, "usage: e2e [--records N] [--partitions P] [--tenants T] [--runs N] "
                    "[--latency-seconds S] [--latency-share F] [--json]\n");
    return 2;
}

int main(int argc, char **argv) {
    uint64_t records = 100000;
    int partitions = 64, runs = getenv("RUNS") ? atoi(getenv("RUNS")) : 5;
    double lat_seconds = 10, lat_share = 0.5;
    uint64_t lat_rate = 0; /* records/s; 0: lat_share of sessionwatch's 2-thread rate */
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--json") == 0) json = true;
        else if (strcmp(argv[i], "--records") == 0 && v) records = strtoull(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--partitions") == 0 && v) partitions = atoi(v), i++;
        else if (strcmp(argv[i], "--tenants") == 0 && v) tenants = (uint32_t)strtoul(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--runs") == 0 && v) runs = atoi(v), i++;
        else if (strcmp(argv[i], "--latency-seconds") == 0 && v) lat_seconds = atof(v), i++;
        else if (strcmp(argv[i], "--latency-share") == 0 && v) lat_share = atof(v), i++;
        else if (strcmp(argv[i], "--latency-rate") == 0 && v) lat_rate = strtoull(v, NULL, 10), i++;
        else return usage();
    }
    if (records < 1 || records > 10000000 || partitions < 2 || partitions > 1024 || tenants < 1 || tenants > 10000 || runs < 1 || runs > MAX_RUNS ||
        !(lat_seconds >= 0 && lat_seconds <= 600) || !(lat_share > 0 && lat_share <= 2))
        return usage();

    char err[512];
    sw_mockcluster *m = sw_mockcluster_start(1, err, sizeof err);
    if (!m || sw_mockcluster_topic(m, IN_TOPIC, partitions, err, sizeof err) ||
        sw_mockcluster_topic(m, ALERTS_TOPIC, ALERT_PARTS, err, sizeof err) ||
        sw_mockcluster_topic(m, LAT_TOPIC, partitions, err, sizeof err) ||
        sw_mockcluster_topic(m, LAT_ALERTS_TOPIC, ALERT_PARTS, err, sizeof err)) {
        fprintf(stderr, "e2e: cannot start the mock Kafka cluster: %s\n", err);
        sw_mockcluster_stop(m);
        return 1;
    }
    find_broker_tids();
    topic_info ti = {.partitions = partitions};
    ti.k.brokers = sw_mockcluster_bootstraps(m);
    int rc = 0;
    if (preload(&ti, records) != 0) {
        rc = 1;
        goto done;
    }
    /* Warm-up, untimed: also counts the topic's value bytes. */
    uint64_t *part_bytes = calloc((size_t)partitions, sizeof *part_bytes);
    result w = part_bytes ? run_bare(&ti, 1, 0, part_bytes) : (result){0};
    for (int p = 0; part_bytes && p < partitions; p++)
        if (part_bytes[p] > ti.max_part_bytes) ti.max_part_bytes = part_bytes[p];
    free(part_bytes);
    if (!w.ok || w.records != ti.records) {
        fprintf(stderr, "e2e: the warm-up drain failed\n");
        rc = 1;
        goto done;
    }
    ti.bytes = w.bytes;
    if (!json)
        printf("mock Kafka cluster (librdkafka %s, 1 broker, in this process), topic %s: %d partitions, %" PRIu64
               " records (%" PRIu64 " gen + %d sentinels), %.1f MB of values, %.0f B/record; largest partition "
               "%.1f MB (the mock keeps ~5 MB per partition; nothing was deleted)\n",
               rd_kafka_version_str(), IN_TOPIC, partitions, ti.records, ti.generated, 6 * partitions,
               (double)ti.bytes / 1e6, (double)ti.bytes / (double)ti.records, (double)ti.max_part_bytes / 1e6);
    else
        printf("{\"name\":\"e2e_info\",\"partitions\":%d,\"records\":%" PRIu64 ",\"generated\":%" PRIu64
               ",\"sentinels\":%d,\"bytes\":%" PRIu64 ",\"max_partition_mb\":%.2f,\"runs\":%d,\"librdkafka\":\"%s\","
               "\"cores\":%ld}\n",
               partitions, ti.records, ti.generated, 6 * partitions, ti.bytes, (double)ti.max_part_bytes / 1e6,
               runs, rd_kafka_version_str(), sysconf(_SC_NPROCESSORS_ONLN));
    fflush(stdout);

    static figure figs[4]; /* bare 1, bare 2, sessionwatch 1, sessionwatch 2 threads */
    for (int i = 0; i < 4; i++) figs[i].name = i < 2 ? "bare" : "sessionwatch", figs[i].threads = i % 2 + 1;
    for (int run = 1; run <= runs && !rc; run++) {
        for (int i = 0; i < 4 && !rc; i++) {
            figure *f = &figs[i];
            result r = f->name[0] == 'b' ? run_bare(&ti, f->threads, run, NULL) : run_sw(&ti, f->threads, run);
            if (!r.ok || r.records != ti.records || (f->name[0] == 'b' && r.bytes != ti.bytes)) {
                fprintf(stderr, "e2e: %s with %d threads, run %d failed\n", f->name, f->threads, run);
                rc = 1;
                break;
            }
            f->r[f->n++] = r;
            fprintf(stderr, "e2e: run %d %s/%d: %.3f s, %.0f records/s, cpu %.2f s (clients %.2f s), assign to "
                            "first record %.3f s\n", run, f->name, f->threads, r.seconds,
                    (double)r.records / r.seconds, r.cpu, r.client_cpu, r.lead);
        }
    }
    if (rc) goto done;
    for (int i = 0; i < 4; i++) summarize(&figs[i]);
    if (!json)
        printf("\n%-13s %7s %12s %8s %10s %10s   %s\n", "consumer", "threads", "records/s", "MB/s", "CPU s/M",
               "client s/M", "median s (min..max)");
    for (int i = 0; i < 4; i++) report(&figs[i], &ti, json);
    for (int t = 1; t <= 2; t++) {
        double ratio = figs[t - 1].med / figs[t + 1].med; /* rate ratio sessionwatch / bare */
        if (json) printf("{\"name\":\"ratio\",\"threads\":%d,\"sw_over_bare\":%.3f}\n", t, ratio);
        else printf("sessionwatch / bare records/s, %d thread%s: %.2f (target >= 0.70)\n", t, t > 1 ? "s" : "", ratio);
    }
    fflush(stdout);

    if (lat_seconds > 0) {
        uint64_t rate = (uint64_t)((double)ti.records / figs[3].med * lat_share / 100.0 + 0.5) * 100;
        if (rate < 100) rate = 100;
        if (lat_rate) rate = lat_rate;
        latency_result lr = run_latency(&ti.k, partitions, rate, lat_seconds);
        if (!lr.ok) {
            rc = 1;
        } else if (json) {
            printf("{\"name\":\"latency\",\"threads\":2,\"partitions\":%d,\"rate\":%" PRIu64 ",\"share\":%.2f,"
                   "\"records\":%" PRIu64 ",\"produce_s\":%.2f,\"alerts\":%" PRIu64 ",\"alerts_on_topic\":%" PRIu64
                   ",\"p50_ms\":%" PRId64 ",\"p99_ms\":%" PRId64 ",\"max_ms\":%" PRId64 ",\"mean_ms\":%.1f}\n",
                   partitions, lr.rate, lat_share, lr.records, lr.produce_s, lr.on_topic - lr.no_source,
                   lr.on_topic, lr.p50, lr.p99, lr.max, lr.mean);
        } else {
            printf("\nalert latency, sessionwatch 2 threads, %" PRIu64 " records/s (%.0f%% of its rate) for %.1f s "
                   "(%" PRIu64 " records, %d partitions): %" PRIu64 " alerts: p50 %" PRId64 " ms, p99 %" PRId64
                   " ms, max %" PRId64 " ms, mean %.1f ms\n",
                   lr.rate, lat_share * 100, lr.produce_s, lr.records, partitions, lr.on_topic - lr.no_source, lr.p50,
                   lr.p99, lr.max, lr.mean);
        }
        if (lr.ok && lr.no_source)
            fprintf(stderr, "e2e: %" PRIu64 " alerts had no source timestamp\n", lr.no_source);
        if (lr.ok && lr.alerts != lr.on_topic)
            fprintf(stderr, "e2e: %" PRIu64 " alerts emitted, %" PRIu64 " on the alerts topic (re-sends?)\n",
                    lr.alerts, lr.on_topic);
    }
done:
    free(ti.hwm);
    sw_mockcluster_stop(m);
    return rc;
}

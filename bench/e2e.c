/* e2e.c -- end-to-end benchmark through Kafka: the throughput of
 * `sessionwatch run` (sw_run, in this process) draining a keyed topic,
 * against the floor of a bare librdkafka consumer and the Python baseline
 * (bench/reference_kafka.py, a child process) draining the same topic in
 * the same run, and the alert latency under a steady paced load.  The
 * throughput rows are a table of run variants (VARIANTS), so that another
 * kind of sessionwatch run is one more row.
 *
 * Why in process, on librdkafka's mock cluster: it is the only Kafka this
 * project ships (no JVM, Debian packages only), and sw_run's on_alert hook
 * lets the benchmark see inside the workers without changing them.  The
 * broker competes with the clients for the machine's cores, so every figure
 * is a lower bound for a real broker on its own machine.  Mock behaviours
 * that shape the numbers: a partition keeps only ~5 MB (older records are
 * deleted); a Fetch returns at most one producer batch per partition; a
 * Fetch that finds no data is answered only after the consumer's full
 * fetch.wait.max.ms (500 ms by default) even if data arrives meanwhile (a
 * real broker answers as soon as fetch.min.bytes is there), so the latency
 * is measured with the default and with fetch.wait.max.ms=10.
 *
 *   preload   `gen` records (~1.7 KB raw Okta events, ~15% session starts)
 *             keyed by user with sw_kp_* onto a topic of --partitions
 *             partitions (default 128 for ~180 MB).  gen makes each tenant's
 *             "Okta System" principal the actor of ~28% of its records;
 *             keyed by user, that is one hot key, more than a mock partition
 *             keeps at 100k records.  So the traffic comes from --tenants
 *             tenants (default 32: gen's top-level "tenant" field, the
 *             workers' tenant field), and every low watermark is checked to
 *             be 0 (nothing deleted).  Each partition is framed by sentinel
 *             records: three session starts of one sentinel user first and
 *             three of another last, so that sessionwatch alerts (on_alert)
 *             when it has processed a partition's 3rd record and its last
 *             one.  Not timed.
 *   bare      the Kafka floor: 1 or 2 threads, each a consumer configured
 *             like run's (group.id, no auto commit, partition EOF, fetch
 *             sizes and waits at librdkafka's defaults, plus any -X) that
 *             assigns every partition (or every other one) from
 *             OFFSET_BEGINNING without a group join, and counts records and
 *             value bytes without parsing.  Interval: the first record
 *             received by any thread -> the last record received.
 *   sw        sw_run with a fresh group, 1 or 2 threads, exit_at_end, no
 *             status lines (plus any -X).  Interval: the first start-sentinel
 *             alert (some partition's 3rd record processed) -> the
 *             end-sentinel alert of the last partition to finish (every
 *             record processed).  Both moments are taken on a worker thread
 *             inside on_alert, so the interval holds neither the group join
 *             (~3 s on the mock) nor exit_at_end's settle second, and it is
 *             comparable with bare's.  It does not hold the acknowledgement
 *             of the last alerts or the final commit.  sw_run's JSON summary
 *             (stderr, captured and then passed on) must count exactly the
 *             topic's records, no sentinel may alert twice, and every
 *             thread must have held partitions: otherwise (a rebalance, a
 *             member that joined late) the run is repeated.
 *   python    with --python-script: bench/reference_kafka.py run by
 *             --python (default python3; it needs Debian's
 *             python3-confluent-kafka), with the brokers, topic and record
 *             count as arguments: it assigns like bare, runs reference.py's
 *             rule with one detector per partition and produces its alerts.
 *             Interval: its first record received -> its last record
 *             processed, timed by the child on CLOCK_MONOTONIC; its CPU is
 *             the child's own over that interval (process_time) plus this
 *             process's (the broker) between the child's "first" and "last"
 *             lines.  It must read exactly the topic's records and value
 *             bytes; its alert count is reported next to sessionwatch's.
 *   latency   a fresh topic; sw_run (2 threads) joins its group first
 *             (`assigned` == partitions), then records are produced paced
 *             (sw_kp_set_rate) at --latency-share (default 0.1) of
 *             sessionwatch's 2-thread drain rate, or at --latency-rate, for
 *             --latency-seconds.  Afterwards the alerts topic is read back:
 *             latency = the alert message's Kafka timestamp (CreateTime:
 *             when the worker handed it to the producer) - source.timestamp
 *             in the alert (the completing record's CreateTime: when the
 *             keyed producer produced it).  The drain rate of a preloaded
 *             topic is no sustainable live rate on 2 shared cores: at 50% the
 *             producer alone cannot keep pace and sessionwatch, fetching one
 *             batch per partition per Fetch, falls more than 5 MB a
 *             partition behind, so the mock deletes records before they are
 *             read; sw_run's summary must count every produced record, and
 *             the figure reports what it counted.  This phase generates with
 *             attack_rate 0.05 (gen's default is 0.01) so that p99 rests on
 *             thousands of alerts; the record mix is the same.
 *
 * Throughput figures are repeated --runs times (env RUNS, default 5; the
 * runs of all rows are interleaved so that machine noise hits them alike)
 * after one untimed bare warm-up (every sessionwatch and Python run is a
 * fresh client anyway, and its interval starts at its first record).  A
 * drain takes ~0.1 s, so a librdkafka retry timer (500 ms) that starts some
 * partitions late would dominate it: a run whose partitions did not all
 * deliver their first record within SPREAD_MAX_S is repeated (at most ATTEMPTS times; counted as
 * retries).  Each figure reports the median, min and max of its interval,
 * records/s and MB/s of record values (keys not counted), and CPU seconds per
 * million records over the interval: of the whole process
 * (CLOCK_PROCESS_CPUTIME_ID, which includes the mock broker; for Python, plus
 * the child's) and of the clients alone (minus the CPU clocks of the threads
 * that existed right after the mock cluster started).  The latency rows
 * report CPU seconds per million records over production + catch-up: of the
 * process (broker, paced producer, sessionwatch) and of sw_run's threads
 * alone (those present once its group was assigned).  Every wait is bounded.
 *
 * usage: e2e [--records N] [--partitions P] [--tenants T] [--runs N]
 *            [--latency-seconds S] [--latency-share F | --latency-rate N]
 *            [--python-script PATH [--python INTERPRETER]]
 *            [-X key=value ...] [--json] */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "config.h"
#include "engine.h"
#include "gen.h"
#include "kafka.h"
#include "keyed_producer.h"
#include "mockcluster.h"
#include "redis.h"
#include "timefmt.h"
#include "worker.h"

#define IN_TOPIC "e2e-in"
#define ALERTS_TOPIC "e2e-alerts"
#define ALERT_PARTS 4        /* the throughput runs' alerts topic */
#define LAT_ALERT_PARTS 32   /* the latency runs': ~2.5 KB alerts, and the mock keeps ~5 MB a partition */
#define SENTINEL_START "e2e-sentinel-start-"
#define SENTINEL_END "e2e-sentinel-end-"
#define MAX_RUNS 64
#define ATTEMPTS 3           /* per run, when one is disturbed (start-up skew, rebalance) */
#define SPREAD_MAX_S 0.25    /* every partition's first record within this of the first one's */
#define MAX_BROKER_TIDS 64
#define MAX_SW_TIDS 256
#define RUN_TIMEOUT_S 180    /* one drain, bare or sessionwatch */
#define JOIN_TIMEOUT_S 60    /* sw_run returning after its work is done */
#define ASSIGN_TIMEOUT_S 60  /* the latency group's assignment */
#define CATCH_UP_S 120       /* latency phase: the group committing the end */
#define MAX_LATENCY_RECORDS 2000000

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
 * after the mock cluster started (with librdkafka 2.0.2: rdk:mock, and its
 * host handle's rdk:main and rdk:broker threads). */
static pid_t broker_tids[MAX_BROKER_TIDS];
static int n_broker_tids;

static void find_broker_tids(void) {
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    pid_t self = gettid();
    while (d && (e = readdir(d)) && n_broker_tids < MAX_BROKER_TIDS) {
        long tid = strtol(e->d_name, NULL, 10);
        if (tid > 0 && (pid_t)tid != self) broker_tids[n_broker_tids++] = (pid_t)tid;
    }
    if (d) closedir(d);
}

/* A thread's CPU clock from its tid, as glibc's pthread_getcpuclockid
 * builds it (the kernel's ABI: ~tid << 3 | CPUCLOCK_PERTHREAD_MASK 4 |
 * CPUCLOCK_SCHED 2); any thread of this process may read it. */
static clockid_t thread_clock(pid_t tid) { return (clockid_t)((~(unsigned)tid << 3) | 6u); }

static double broker_cpu_s(void) {
    static long tck;
    if (!tck) tck = sysconf(_SC_CLK_TCK);
    double precise = 0;
    int n = 0;
    for (int i = 0; i < n_broker_tids; i++) {
        struct timespec ts;
        if (clock_gettime(thread_clock(broker_tids[i]), &ts) != 0) break;
        precise += (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
        n++;
    }
    if (n == n_broker_tids) return precise;
    /* Fallback: /proc, at 1/CLK_TCK resolution. */
    unsigned long long ticks = 0;
    for (int i = 0; i < n_broker_tids; i++) {
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)broker_tids[i]);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* After "(comm)": state is field 3, utime field 14, stime 15. */
        const char *p = strrchr(buf, ')');
        unsigned long long ut, st;
        if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
            ticks += ut + st;
    }
    return tck > 0 ? (double)ticks / (double)tck : 0;
}

/* The threads of this process that are neither this one nor the mock
 * broker's, into out; how many. */
static int other_tids(pid_t *out, int cap) {
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    pid_t self = gettid();
    int n = 0;
    while (d && (e = readdir(d)) && n < cap) {
        long tid = strtol(e->d_name, NULL, 10);
        bool broker = false;
        for (int i = 0; i < n_broker_tids && !broker; i++) broker = broker_tids[i] == (pid_t)tid;
        if (tid > 0 && (pid_t)tid != self && !broker) out[n++] = (pid_t)tid;
    }
    if (d) closedir(d);
    return n;
}

/* The CPU seconds of those of tids that still run. */
static double tids_cpu_s(const pid_t *tids, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) {
        struct timespec ts;
        if (clock_gettime(thread_clock(tids[i]), &ts) == 0) s += (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    }
    return s;
}

typedef struct {
    double t, cpu, broker_cpu;
} snap;

static snap take_snap(void) {
    snap s = {.t = mono_s(), .cpu = proc_cpu_s()};
    s.broker_cpu = broker_cpu_s();
    return s;
}

/* ---- sw_run's stderr ----------------------------------------------------- */

/* While sw_run runs, fd 2 goes to a temporary file; afterwards the file is
 * copied to the real stderr and the "records" count of sw_run's JSON
 * summary line is read from it. */
typedef struct {
    FILE *tmp;
    int saved;
} capture;

static void capture_begin(capture *c) {
    fflush(stderr);
    c->tmp = tmpfile();
    c->saved = c->tmp ? dup(2) : -1;
    if (c->saved < 0 || dup2(fileno(c->tmp), 2) < 0) {
        if (c->saved >= 0) close(c->saved);
        if (c->tmp) fclose(c->tmp);
        c->tmp = NULL;
        c->saved = -1;
    }
}

/* The records sw_run's summary counted, or -1. */
static int64_t capture_end(capture *c) {
    if (!c->tmp) return -1;
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    rewind(c->tmp);
    char line[8192];
    int64_t records = -1;
    static const char key[] = "{\"records\":";
    while (fgets(line, sizeof line, c->tmp)) {
        fputs(line, stderr);
        if (strncmp(line, key, sizeof key - 1) == 0) records = strtoll(line + sizeof key - 1, NULL, 10);
    }
    fclose(c->tmp);
    c->tmp = NULL;
    return records;
}

/* ---- workload ------------------------------------------------------------ */

/* Tenants of the generated traffic (--tenants): each has its own "Okta
 * System" hot key, see the top of the file. */
static uint32_t tenants = 32;

/* The rule's configuration of every producer and worker here: the tenant
 * is gen's top-level "tenant" field when there are several. */
static void rule_config(sw_config *cfg) {
    sw_config_defaults(cfg);
    if (tenants > 1) cfg->tenant_field = "tenant";
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
    rd_kafka_conf_t *c = sw_kafka_conf(k, RD_KAFKA_PRODUCER, err, sizeof err);
    rd_kafka_t *rk = c ? sw_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err) : NULL;
    if (!rk) {
        fprintf(stderr, "e2e: %s\n", err);
        return -1;
    }
    int rc = 0;
    for (int p = 0; p < parts && rc == 0; p++) {
        int64_t l = 0, h = 0;
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

/* ---- the preloaded topic ------------------------------------------------- */

typedef struct {
    sw_kafka_opts k;
    int partitions;
    int64_t *hwm;            /* per partition, after the preload */
    uint64_t records;        /* sum of hwm */
    uint64_t generated;      /* of which gen records */
    uint64_t bytes;          /* record values, counted by the bare warm-up */
    uint64_t max_part_bytes; /* the largest partition's values, counted by the bare warm-up */
} topic_info;

static atomic_uint_fast64_t dr_failed;
static void count_failures(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    if (m->err) atomic_fetch_add(&dr_failed, 1);
}

/* Three session starts of user prefix+p in partition p, at t0, t0+1, t0+2
 * ms: the worker owning p alerts on the third. */
static int produce_sentinels(rd_kafka_t *rk, int p, const char *prefix, int64_t t0) {
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
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__QUEUE_FULL;
        for (int tries = 0; tries < 1000 && e == RD_KAFKA_RESP_ERR__QUEUE_FULL; tries++) {
            e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(IN_TOPIC), RD_KAFKA_V_PARTITION(p),
                                  RD_KAFKA_V_KEY(key, (size_t)klen), RD_KAFKA_V_VALUE(rec, (size_t)n),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(rk, 10);
        }
        if (e) {
            fprintf(stderr, "e2e: cannot produce a sentinel: %s\n", rd_kafka_err2str(e));
            return -1;
        }
    }
    return 0;
}

static int sentinels(const topic_info *ti, const char *prefix, int64_t t0) {
    char err[512];
    rd_kafka_conf_t *c = sw_kafka_conf(&ti->k, RD_KAFKA_PRODUCER, err, sizeof err);
    rd_kafka_t *rk = c ? sw_kafka_producer(c, count_failures, err, sizeof err) : NULL;
    if (!rk) {
        fprintf(stderr, "e2e: %s\n", err);
        return -1;
    }
    int rc = 0;
    for (int p = 0; p < ti->partitions && rc == 0; p++) rc = produce_sentinels(rk, p, prefix, t0);
    if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR || atomic_load(&dr_failed)) {
        fprintf(stderr, "e2e: sentinel records were not delivered\n");
        rc = -1;
    }
    rd_kafka_destroy(rk);
    return rc;
}

static int preload(topic_info *ti, uint64_t records) {
    sw_gen_opts g;
    uint64_t file_bytes;
    FILE *f = generate(records, 42, 0.01, &g, &file_bytes);
    if (!f) return -1;
    /* Start sentinels at gen's first event time, end sentinels a minute
     * after its last: in order, and never late, in every partition. */
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
        if (lo[p] != 0) {
            fprintf(stderr, "e2e: the mock deleted the first %" PRId64 " records of partition %d (it keeps ~5 MB "
                            "a partition): use more --partitions or --tenants, or fewer --records\n", lo[p], p);
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

/* ---- consumer properties (-X) -------------------------------------------- */

/* -X key=value: set on the bare consumers and passed to sw_run (as its -X)
 * in the throughput runs, so that both are configured alike. */
#define MAX_X 16
static char *xprops[MAX_X][2];
static size_t n_xprops;

static void with_x(sw_kafka_opts *k) {
    for (size_t i = 0; i < n_xprops && k->n_props < SW_KAFKA_MAX_PROPS; i++, k->n_props++) {
        k->props[k->n_props][0] = xprops[i][0];
        k->props[k->n_props][1] = xprops[i][1];
    }
}

/* ---- run variants -------------------------------------------------------- */

/* Every throughput figure is one row of this table, run --runs times over
 * the same preloaded topic, the runs of all rows interleaved.  A new kind
 * of sessionwatch run (e.g. --state redis://... checkpointing) is one more
 * V_SW row with its state, plus applying that state in sw_variant_opts;
 * the ratio against the memory row is one more line in RATIOS.  The
 * report (bench/run.sh) prints whatever rows and ratios e2e emits. */
typedef enum { V_BARE, V_SW, V_PY } variant_kind;

typedef struct {
    const char *name;  /* the JSON "name": bare, sessionwatch, python */
    const char *label; /* the table's consumer column */
    variant_kind kind;
    int threads;
    const char *state; /* V_SW: the run's --state ("memory": sw_run's window state in the workers;
                          "redis": checkpoints to --redis URL, a row only when it is given) */
    int64_t checkpoint_ms; /* "redis": --checkpoint-interval */
} variant;

static const variant VARIANTS[] = {
    {"bare", "bare librdkafka consumer, no parsing", V_BARE, 1, NULL, 0},
    {"bare", "bare librdkafka consumer, no parsing", V_BARE, 2, NULL, 0},
    {"sessionwatch", "sessionwatch run --state memory", V_SW, 1, "memory", 0},
    {"sessionwatch", "sessionwatch run --state memory", V_SW, 2, "memory", 0},
    /* The default interval, and 20x as often: a preloaded topic drains in well under a
     * second, so the 1 s row sees few checkpoints; the 50 ms row bounds their cost. */
    {"sessionwatch_redis", "sessionwatch run --state redis:// (checkpoints 1s)", V_SW, 1, "redis", 1000},
    {"sessionwatch_redis", "sessionwatch run --state redis:// (checkpoints 1s)", V_SW, 2, "redis", 1000},
    {"sessionwatch_redis50", "sessionwatch run --state redis:// (checkpoints 50ms)", V_SW, 2, "redis", 50},
    {"python", "Python consumer (confluent-kafka) + reference.py", V_PY, 1, NULL, 0},
};
#define N_VARIANTS (sizeof VARIANTS / sizeof VARIANTS[0])

/* Ratios of records/s reported after the figures: of / to. */
static const struct {
    const char *of, *to;
    int of_threads, to_threads;
    const char *target; /* NULL: none */
} RATIOS[] = {
    {"sessionwatch", "bare", 1, 1, ">= 0.70"},
    {"sessionwatch", "bare", 2, 2, ">= 0.70"},
    {"sessionwatch", "python", 1, 1, NULL},
    {"sessionwatch_redis", "sessionwatch", 1, 1, ">= 0.90"},
    {"sessionwatch_redis", "sessionwatch", 2, 2, ">= 0.90"},
    {"sessionwatch_redis50", "sessionwatch", 2, 2, NULL},
};

/* A V_SW row's options on top of run_sw's; 0, or -1 when this build cannot
 * run it.  For a redis:// row: sw_redis_parse_url(v->state, ...) into a
 * target that outlives the run, then o->state = &target (and the
 * checkpoint interval to measure). */
/* The Redis rows (--redis URL): NULL leaves them out. */
static const char *redis_url;
static sw_redis_target redis_target;
static sw_redis redis_stats; /* the benchmark's own connection, for INFO and MEMORY USAGE */

static int sw_variant_opts(const variant *v, sw_run_opts *o) {
    if (!v->state || strcmp(v->state, "memory") == 0) return 0;
    o->state = &redis_target;
    o->checkpoint_interval_ms = v->checkpoint_ms;
    o->state_ttl_ms = 3600000;
    return 0;
}

/* A counter from Redis INFO (e.g. total_commands_processed); -1 when unknown. */
static int64_t redis_info(const char *field) {
    redisReply *r = sw_redis_cmdv(&redis_stats, "INFO", "stats", (const char *)NULL);
    int64_t v = -1;
    if (r && r->type == REDIS_REPLY_STRING) {
        const char *p = strstr(r->str, field);
        if (p && p[strlen(field)] == ':') v = strtoll(p + strlen(field) + 1, NULL, 10);
    }
    if (r) freeReplyObject(r);
    return v;
}

/* Redis memory and fields of a group's users hashes (SCAN, then HLEN and
 * MEMORY USAGE each). */
static void redis_users(const char *group, uint64_t *users, uint64_t *bytes) {
    char pattern[128], cursor[32] = "0";
    snprintf(pattern, sizeof pattern, "sw:{%s:*}:users", group);
    *users = *bytes = 0;
    do {
        redisReply *r = sw_redis_cmdv(&redis_stats, "SCAN", cursor, "MATCH", pattern, "COUNT", "1000", (const char *)NULL);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            if (r) freeReplyObject(r);
            return;
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            const char *key = r->element[1]->element[i]->str;
            redisReply *n = sw_redis_cmdv(&redis_stats, "HLEN", key, (const char *)NULL);
            redisReply *m = sw_redis_cmdv(&redis_stats, "MEMORY", "USAGE", key, "SAMPLES", "0", (const char *)NULL);
            if (n && n->type == REDIS_REPLY_INTEGER) *users += (uint64_t)n->integer;
            if (m && m->type == REDIS_REPLY_INTEGER) *bytes += (uint64_t)m->integer;
            if (n) freeReplyObject(n);
            if (m) freeReplyObject(m);
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
}

/* The Python baseline (--python-script): NULL leaves its row out. */
static const char *py_interp = "python3", *py_script;

/* ---- bare consumer ------------------------------------------------------- */

/* A consumer configured as run's (worker.c), without the subscription and
 * without sw_kafka_conf's producer-only partitioner (a warning); with the
 * -X properties when x. */
static rd_kafka_t *bare_consumer(const sw_kafka_opts *k, const char *group, bool x) {
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    const char *kv[][2] = {{"bootstrap.servers", k->brokers},   {"client.id", "e2e-bare"},
                           {"group.id", group},                 {"enable.auto.commit", "false"},
                           {"enable.auto.offset.store", "false"}, {"enable.partition.eof", "true"},
                           {"auto.offset.reset", "earliest"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0] + (x ? n_xprops : 0); i++) {
        const char *key = i < sizeof kv / sizeof kv[0] ? kv[i][0] : xprops[i - sizeof kv / sizeof kv[0]][0];
        const char *val = i < sizeof kv / sizeof kv[0] ? kv[i][1] : xprops[i - sizeof kv / sizeof kv[0]][1];
        if (rd_kafka_conf_set(c, key, val, err, sizeof err) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "e2e: %s=%s: %s\n", key, val, err);
            rd_kafka_conf_destroy(c);
            return NULL;
        }
    }
    rd_kafka_t *rk = sw_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
    if (!rk) fprintf(stderr, "e2e: %s\n", err);
    else rd_kafka_poll_set_consumer(rk);
    return rk;
}

typedef struct {
    const topic_info *ti;
    int nthreads;
    uint64_t *part_bytes; /* per partition, or NULL */
    atomic_bool go;       /* every thread assigns at once */
    double assigned_at;
    double *part_first;   /* per partition: when its first record arrived */
    atomic_int started, finished;
    snap start, end;
    atomic_bool failed;
} bare_shared;

typedef struct {
    bare_shared *sh;
    int index;
    rd_kafka_t *rk;
    pthread_t thread;
    uint64_t want, got, bytes;
} bare_thread;

static void *bare_main(void *arg) {
    bare_thread *b = arg;
    bare_shared *sh = b->sh;
    const topic_info *ti = sh->ti;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(ti->partitions);
    for (int p = b->index; p < ti->partitions; p += sh->nthreads) {
        rd_kafka_topic_partition_list_add(l, IN_TOPIC, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        b->want += (uint64_t)ti->hwm[p];
    }
    for (double deadline = mono_s() + 10; !atomic_load(&sh->go) && !atomic_load(&sh->failed);) {
        if (mono_s() > deadline) atomic_store(&sh->failed, true);
        sched_yield();
    }
    if (atomic_load(&sh->failed)) {
        rd_kafka_topic_partition_list_destroy(l);
        return NULL;
    }
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
            if (m->partition >= 0 && m->partition < ti->partitions && sh->part_first[m->partition] == 0)
                sh->part_first[m->partition] = mono_s();
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
    double spread;                   /* first record of the first partition .. of the last one */
    uint64_t records, bytes;
    uint64_t alerts;                 /* sessionwatch and Python: alerts emitted */
    /* Redis rows, over the whole run (join to exit): commands, bytes sent
     * to Redis, and what it holds afterwards. */
    int64_t redis_cmds, redis_in_bytes;
    uint64_t redis_users, redis_mem;
    int ok;
} result;

static result run_bare(const topic_info *ti, int nthreads, int run_no, uint64_t *part_bytes) {
    result r = {0};
    bare_shared sh = {.ti = ti, .nthreads = nthreads, .part_bytes = part_bytes};
    sh.part_first = calloc((size_t)ti->partitions, sizeof *sh.part_first);
    if (!sh.part_first) return r;
    bare_thread th[2] = {{0}};
    int started = 0;
    for (int i = 0; i < nthreads; i++) {
        char group[64];
        snprintf(group, sizeof group, "e2e-bare-%d-%d-%d", nthreads, run_no, i);
        th[i].sh = &sh;
        th[i].index = i;
        if (!(th[i].rk = bare_consumer(&ti->k, group, true))) goto out;
        /* Connected, with the topic's leaders known, before any thread
         * assigns: otherwise partitions that find no leader at assign time
         * retry their offset lookup 500 ms later. */
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(th[i].rk, IN_TOPIC, NULL);
        const struct rd_kafka_metadata *md = NULL;
        if (rkt && rd_kafka_metadata(th[i].rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
            rd_kafka_metadata_destroy(md);
        if (rkt) rd_kafka_topic_destroy(rkt);
    }
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&th[i].thread, NULL, bare_main, &th[i]) != 0) {
            atomic_store(&sh.failed, true);
            break;
        }
        started++;
    }
    sh.assigned_at = mono_s();
    atomic_store(&sh.go, true);
    for (int i = 0; i < started; i++) pthread_join(th[i].thread, NULL);
    if (started == nthreads && atomic_load(&sh.finished) == nthreads && !atomic_load(&sh.failed)) {
        r.ok = 1;
        r.seconds = sh.end.t - sh.start.t;
        r.lead = sh.start.t - sh.assigned_at;
        double last = 0;
        for (int p = 0; p < ti->partitions; p++)
            if (ti->hwm[p] > 0 && sh.part_first[p] > last) last = sh.part_first[p];
        r.spread = last - sh.start.t;
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
    free(sh.part_first);
    return r;
}

/* ---- sessionwatch -------------------------------------------------------- */

typedef struct {
    int partitions;       /* 0: only count alerts */
    atomic_int started;
    snap start;
    atomic_uchar *start_seen, *end_seen;
    atomic_int starts, ends, repeats;
    double last_start;    /* when the last partition's start sentinel alerted */
    atomic_bool end_ready;
    snap end;
    atomic_uint_fast64_t alerts;
} probe;

static bool has_prefix(const char *s, size_t n, const char *prefix) {
    size_t pn = strlen(prefix);
    return n > pn && memcmp(s, prefix, pn) == 0;
}

/* sw_run_opts.on_alert: on a worker thread, right after the alert went to
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
        else if (atomic_fetch_add(&pr->starts, 1) == pr->partitions - 1) pr->last_start = mono_s();
    } else if (has_prefix(a->actor, a->actor_len, SENTINEL_END)) {
        if (atomic_exchange(&pr->end_seen[p], 1)) {
            atomic_fetch_add(&pr->repeats, 1);
        } else if (atomic_fetch_add(&pr->ends, 1) == pr->partitions - 1) {
            pr->end = take_snap();
            atomic_store(&pr->end_ready, true);
        }
    }
}

/* Joins the sw_run thread: waits up to JOIN_TIMEOUT_S, then asks it to stop
 * and waits once more.  false if it never returned. */
static bool join_run(pthread_t tid, atomic_int *stop) {
    for (int round = 0; round < 2; round++) {
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += JOIN_TIMEOUT_S;
        if (pthread_timedjoin_np(tid, NULL, &dl) == 0) return true;
        fprintf(stderr, "e2e: sw_run did not return within %d s%s\n", JOIN_TIMEOUT_S, round ? "" : "; stopping it");
        atomic_store(stop, 1);
    }
    return false;
}

static result run_sw(const topic_info *ti, const variant *v, const char *group) {
    result r = {0};
    int threads = v->threads;
    probe pr = {.partitions = ti->partitions};
    pr.start_seen = calloc((size_t)ti->partitions, sizeof *pr.start_seen);
    pr.end_seen = calloc((size_t)ti->partitions, sizeof *pr.end_seen);
    sw_config cfg;
    rule_config(&cfg);
    atomic_int stop = 0;
    atomic_uint assigned = 0, members = 0;
    static sw_kafka_opts kx; /* big; one run at a time */
    memset(&kx, 0, sizeof kx);
    kx.brokers = ti->k.brokers;
    with_x(&kx);
    sw_run_thread rt = {.opts = {.cfg = &cfg, .kafka = &kx, .topic = IN_TOPIC, .alerts_topic = ALERTS_TOPIC,
                              .group = group, .threads = threads, .exit_at_end = true, .summary_json = true,
                              .status_interval_ms = 0, .stop = &stop, .on_alert = on_alert, .on_alert_ud = &pr,
                              .assigned = &assigned, .members_assigned = &members}};
    pthread_t tid;
    capture cap;
    if (!pr.start_seen || !pr.end_seen || sw_variant_opts(v, &rt.opts) != 0) goto out;
    bool redis = rt.opts.state != NULL;
    int64_t cmds0 = redis ? redis_info("total_commands_processed") : 0;
    int64_t in0 = redis ? redis_info("total_net_input_bytes") : 0;
    capture_begin(&cap);
    if (pthread_create(&tid, NULL, sw_run_thread_main, &rt) != 0) {
        capture_end(&cap);
        goto out;
    }
    unsigned most_members = 0; /* members holding partitions, the most seen while it ran */
    for (double deadline = mono_s() + RUN_TIMEOUT_S; !atomic_load(&pr.end_ready) && mono_s() < deadline;) {
        sleep_ms(20);
        if (atomic_load(&members) > most_members) most_members = atomic_load(&members);
    }
    if (!atomic_load(&pr.end_ready)) {
        fprintf(stderr, "e2e: sessionwatch (%d threads) did not reach the end of %d partitions in %d s (%d did)\n",
                threads, ti->partitions, RUN_TIMEOUT_S, atomic_load(&pr.ends));
        atomic_store(&stop, 1);
    }
    bool joined = join_run(tid, &stop);
    int64_t counted = capture_end(&cap);
    if (!joined) {
        fprintf(stderr, "e2e: giving up\n");
        exit(1);
    }
    if (rt.status != 0) fprintf(stderr, "e2e: sw_run exited %d\n", rt.status);
    else if (atomic_load(&pr.repeats) || counted != (int64_t)ti->records)
        fprintf(stderr, "e2e: sessionwatch (%d threads) processed %" PRId64 " records of %" PRIu64 " and re-read %d "
                        "partitions (a rebalance during the run?); run again\n",
                threads, counted, ti->records, atomic_load(&pr.repeats));
    else if (most_members < (unsigned)threads)
        fprintf(stderr, "e2e: sessionwatch (%d threads) drained on %u member(s) only; run again\n", threads,
                most_members);
    else if (atomic_load(&pr.end_ready)) {
        r.ok = 1;
        r.seconds = pr.end.t - pr.start.t;
        r.spread = pr.last_start - pr.start.t;
        r.cpu = pr.end.cpu - pr.start.cpu;
        r.client_cpu = r.cpu - (pr.end.broker_cpu - pr.start.broker_cpu);
        r.records = ti->records;
        r.bytes = ti->bytes;
        r.alerts = atomic_load(&pr.alerts);
        if (redis) {
            /* Less this benchmark's own INFO command. */
            r.redis_cmds = redis_info("total_commands_processed") - cmds0 - 1;
            r.redis_in_bytes = redis_info("total_net_input_bytes") - in0;
            redis_users(group, &r.redis_users, &r.redis_mem);
        }
    }
out:
    free(pr.start_seen);
    free(pr.end_seen);
    return r;
}

/* ---- the Python baseline ------------------------------------------------- */

/* bench/reference_kafka.py, a child process: it drains the same topic from
 * the same mock broker (assign, no group join, like the bare consumer),
 * runs reference.py's rule on every record (one Detector per partition, as
 * run has one engine per partition) and produces its alerts to
 * PY_ALERTS_TOPIC.  It prints "first" when its first record arrives,
 * "last" when it has processed the last one, then a JSON line with its own
 * interval (first record received -> last record processed, CLOCK_MONOTONIC)
 * and its CPU seconds over that interval.  The broker's CPU (this process)
 * is snapshot when those lines arrive. */

#define PY_ALERTS_TOPIC "e2e-py-alerts"
extern char **environ;

static char py_version[32] = "?", py_ck_version[32] = "?";

typedef struct {
    int fd;
    char buf[8192];
    size_t n;
} line_reader;

/* The next line from the child (without its newline) before deadline;
 * false on timeout, EOF or error. */
static bool next_line(line_reader *lr, char *out, size_t cap, double deadline) {
    for (;;) {
        char *nl = memchr(lr->buf, '\n', lr->n);
        if (nl) {
            size_t len = (size_t)(nl - lr->buf);
            size_t keep = len < cap ? len : cap - 1;
            memcpy(out, lr->buf, keep);
            out[keep] = '\0';
            memmove(lr->buf, nl + 1, lr->n - len - 1);
            lr->n -= len + 1;
            return true;
        }
        double left = deadline - mono_s();
        if (left <= 0 || lr->n == sizeof lr->buf) return false;
        struct pollfd pfd = {.fd = lr->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) return false;
        ssize_t got = read(lr->fd, lr->buf + lr->n, sizeof lr->buf - lr->n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return false;
        lr->n += (size_t)got;
    }
}

/* The number after "key": in a JSON line; -1 when absent. */
static double json_num(const char *line, const char *key) {
    char pat[64];
    int n = snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    return p ? strtod(p + n, NULL) : -1;
}

/* The string after "key": in a JSON line (no escapes expected) into out. */
static void json_str(const char *line, const char *key, char *out, size_t cap) {
    char pat[64];
    int n = snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(line, pat), *q = p ? strchr(p + n, '"') : NULL;
    if (!q || cap == 0) return;
    size_t len = (size_t)(q - (p + n)) < cap - 1 ? (size_t)(q - (p + n)) : cap - 1;
    memcpy(out, p + n, len);
    out[len] = '\0';
}

/* Waits for the child up to JOIN_TIMEOUT_S, then kills it; its exit status,
 * or -1. */
static int reap(pid_t pid) {
    int st = 0;
    for (double deadline = mono_s() + JOIN_TIMEOUT_S; mono_s() < deadline; sleep_ms(10)) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (w < 0 && errno != EINTR) return -1;
    }
    fprintf(stderr, "e2e: the Python consumer (pid %d) did not exit within %d s; killing it\n", (int)pid,
            JOIN_TIMEOUT_S);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

static result run_python(const topic_info *ti, const char *group) {
    result r = {0};
    char recs[32], timeout[16], xkv[MAX_X][512];
    const char *av[32 + 2 * MAX_X];
    int ac = 0;
    snprintf(recs, sizeof recs, "%" PRIu64, ti->records);
    snprintf(timeout, sizeof timeout, "%d", RUN_TIMEOUT_S);
    const char *fixed[] = {py_interp, py_script, "--brokers", ti->k.brokers, "--topic", IN_TOPIC, "--records", recs,
                           "--alerts-topic", PY_ALERTS_TOPIC, "--group", group, "--timeout", timeout};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) av[ac++] = fixed[i];
    if (tenants > 1) av[ac++] = "--tenant-field", av[ac++] = "tenant";
    for (size_t i = 0; i < n_xprops; i++) {
        snprintf(xkv[i], sizeof xkv[i], "%s=%s", xprops[i][0], xprops[i][1]);
        av[ac++] = "-X", av[ac++] = xkv[i];
    }
    av[ac] = NULL;

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return r;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    pid_t pid;
    fflush(stdout);
    fflush(stderr);
    int e = posix_spawnp(&pid, py_interp, &fa, NULL, (char *const *)av, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (e != 0) {
        fprintf(stderr, "e2e: cannot start %s %s: %s\n", py_interp, py_script, strerror(e));
        close(fds[0]);
        return r;
    }
    line_reader lr = {.fd = fds[0]};
    char line[4096];
    double deadline = mono_s() + RUN_TIMEOUT_S + 30; /* + the interpreter's start and the assignment */
    snap s0 = {0}, s1 = {0};
    bool got_first = next_line(&lr, line, sizeof line, deadline) && strcmp(line, "first") == 0;
    if (got_first) s0 = take_snap();
    bool got_last = got_first && next_line(&lr, line, sizeof line, deadline) && strcmp(line, "last") == 0;
    if (got_last) s1 = take_snap();
    bool got_json = got_last && next_line(&lr, line, sizeof line, deadline) && line[0] == '{';
    if (!got_json) kill(pid, SIGKILL);
    close(fds[0]);
    int status = reap(pid);
    if (!got_json || status != 0) {
        fprintf(stderr, "e2e: the Python consumer failed (exit status %d; %s)\n", status,
                !got_first ? "no first record" : !got_last ? "it did not finish" : "no summary line");
        return r;
    }
    double secs = json_num(line, "seconds"), cpu = json_num(line, "cpu_s");
    if (secs <= 0 || cpu < 0) {
        fprintf(stderr, "e2e: the Python consumer's summary has no interval: %s\n", line);
        return r;
    }
    json_str(line, "python", py_version, sizeof py_version);
    json_str(line, "confluent_kafka", py_ck_version, sizeof py_ck_version);
    r.ok = 1;
    r.seconds = secs;
    r.spread = json_num(line, "spread_s");
    r.records = (uint64_t)json_num(line, "records");
    r.bytes = (uint64_t)json_num(line, "bytes");
    r.alerts = (uint64_t)json_num(line, "alerts");
    r.client_cpu = cpu;
    r.cpu = (s1.cpu - s0.cpu) + cpu; /* this process (the mock broker) + the consumer's */
    return r;
}

/* ---- alert latency ------------------------------------------------------- */

/* source.timestamp of an alert line (its last "source" object). */
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
    const char *name;     /* "latency" (defaults), "latency_fw10", "latency_fw10_redis" */
    int fetch_wait_ms;    /* 0: librdkafka's default */
    bool redis;           /* --state redis:// (--redis), checkpoints every second */
    int64_t redis_cmds, redis_in; /* Redis commands and bytes received over the run */
    double share;         /* of sessionwatch's 2-thread drain rate; 0 with --latency-rate */
    uint64_t rate, records, alerts_emitted, alerts, no_source;
    int64_t processed;    /* sw_run's summary */
    double seconds, produce_s;
    int64_t p50, p99, max;
    double mean;
    double cpu_s, sw_cpu_s; /* production + catch-up: the process; sw_run's threads alone */
    int ok;
} latency_result;

/* Every message of the alerts topic: latencies (ms) into *out. */
static int read_alert_latencies(const sw_kafka_opts *k, const char *topic, int64_t **out, uint64_t *n,
                                uint64_t *no_source) {
    int64_t lo[LAT_ALERT_PARTS], hi[LAT_ALERT_PARTS];
    if (watermarks(k, topic, LAT_ALERT_PARTS, lo, hi) != 0) return -1;
    uint64_t want = 0, got = 0;
    for (int p = 0; p < LAT_ALERT_PARTS; p++) {
        want += (uint64_t)(hi[p] - lo[p]);
        if (lo[p] > 0)
            fprintf(stderr, "e2e: the mock deleted %" PRId64 " alerts of %s [%d] (it keeps ~5 MB a partition)\n",
                    lo[p], topic, p);
    }
    *out = calloc(want ? want : 1, sizeof **out);
    rd_kafka_t *rk = *out ? bare_consumer(k, "e2e-latency-reader", false) : NULL;
    if (!rk) return -1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(LAT_ALERT_PARTS);
    for (int p = 0; p < LAT_ALERT_PARTS; p++)
        rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
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
    if (got < want) fprintf(stderr, "e2e: read %" PRIu64 " of %" PRIu64 " alerts of %s\n", got, want, topic);
    return got == want ? 0 : -1;
}

/* The group has committed the end of every non-empty partition. */
static int wait_caught_up(const sw_kafka_opts *k, const char *topic, const char *group, int parts, const int64_t *hwm) {
    rd_kafka_t *rk = bare_consumer(k, group, false);
    if (!rk) return -1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; p++) rd_kafka_topic_partition_list_add(l, topic, p);
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
    if (!done) fprintf(stderr, "e2e: group %s did not commit the end of %s within %d s\n", group, topic, CATCH_UP_S);
    return done ? 0 : -1;
}

/* Produces f (records) paced at lr->rate to a fresh topic while sw_run (2
 * threads, already in its group) consumes it; then reads the alerts. */
static void run_latency(sw_mockcluster *m, const sw_kafka_opts *base, int parts, FILE *f, latency_result *lr) {
    char err[512], topic[64], alerts_topic[64], group[64], fw[16];
    snprintf(topic, sizeof topic, "e2e-%s-in", lr->name);
    snprintf(alerts_topic, sizeof alerts_topic, "e2e-%s-alerts", lr->name);
    snprintf(group, sizeof group, "e2e-%s", lr->name);
    if (sw_mockcluster_topic(m, topic, parts, err, sizeof err) ||
        sw_mockcluster_topic(m, alerts_topic, LAT_ALERT_PARTS, err, sizeof err)) {
        fprintf(stderr, "e2e: %s\n", err);
        return;
    }
    /* The workers' configuration: the defaults, or fetch.wait.max.ms (-X). */
    sw_kafka_opts k = {.brokers = base->brokers};
    if (lr->fetch_wait_ms > 0) {
        snprintf(fw, sizeof fw, "%d", lr->fetch_wait_ms);
        k.props[0][0] = "fetch.wait.max.ms";
        k.props[0][1] = fw;
        k.n_props = 1;
    }
    int64_t *hwm = calloc((size_t)parts, sizeof *hwm), *lat = NULL;
    probe pr = {.partitions = 0}; /* counts alerts only */
    sw_config cfg;
    rule_config(&cfg);
    atomic_int stop = 0;
    atomic_uint assigned = 0, members = 0;
    sw_run_thread rt = {.opts = {.cfg = &cfg, .kafka = &k, .topic = topic, .alerts_topic = alerts_topic,
                              .group = group, .threads = 2, .summary_json = true, .stop = &stop,
                              .on_alert = on_alert, .on_alert_ud = &pr, .assigned = &assigned,
                              .members_assigned = &members}};
    if (lr->redis) {
        rt.opts.state = &redis_target;
        rt.opts.checkpoint_interval_ms = 1000;
        rt.opts.state_ttl_ms = 3600000;
        lr->redis_cmds = -redis_info("total_commands_processed");
        lr->redis_in = -redis_info("total_net_input_bytes");
    }
    pthread_t tid;
    capture cap;
    if (!hwm) return;
    capture_begin(&cap);
    if (pthread_create(&tid, NULL, sw_run_thread_main, &rt) != 0) {
        capture_end(&cap);
        free(hwm);
        return;
    }
    /* The group has settled before the first record is produced: every
     * partition assigned and both members holding some (a member that
     * joins later takes its partitions in a second rebalance, mid-run). */
    for (double deadline = mono_s() + ASSIGN_TIMEOUT_S;
         (atomic_load(&assigned) < (unsigned)parts || atomic_load(&members) < 2) && mono_s() < deadline;)
        sleep_ms(20);
    if (atomic_load(&assigned) < (unsigned)parts || atomic_load(&members) < 2) {
        fprintf(stderr, "e2e: the latency group got %u of %d partitions on %u of 2 members in %d s\n",
                atomic_load(&assigned), parts, atomic_load(&members), ASSIGN_TIMEOUT_S);
    } else {
        /* sw_run's threads: every thread now but this one and the broker's
         * (the producer and the catch-up check start theirs later). */
        pid_t swt[MAX_SW_TIDS], now[MAX_SW_TIDS];
        int nsw = other_tids(swt, MAX_SW_TIDS);
        double sw0 = tids_cpu_s(swt, nsw), p0 = proc_cpu_s();
        lr->produce_s = produce_file(base, topic, f, lr->rate);
        if (lr->produce_s > 0 && watermarks(base, topic, parts, NULL, hwm) == 0 &&
            wait_caught_up(base, topic, group, parts, hwm) == 0)
            lr->ok = 1;
        lr->sw_cpu_s = tids_cpu_s(swt, nsw) - sw0;
        lr->cpu_s = proc_cpu_s() - p0;
        int nnow = other_tids(now, MAX_SW_TIDS), fresh = 0;
        for (int i = 0; i < nnow; i++) {
            bool known = false;
            for (int j = 0; j < nsw && !known; j++) known = swt[j] == now[i];
            fresh += !known;
        }
        if (fresh)
            fprintf(stderr, "e2e: %s: %d threads of sw_run started during the phase; their CPU is not counted in "
                            "sessionwatch's\n", lr->name, fresh);
    }
    atomic_store(&stop, 1);
    bool joined = join_run(tid, &stop);
    lr->processed = capture_end(&cap);
    if (!joined) {
        fprintf(stderr, "e2e: giving up\n");
        exit(1);
    }
    if (rt.status != 0) lr->ok = 0;
    if (lr->ok && lr->processed != (int64_t)lr->records)
        fprintf(stderr, "e2e: %s: sessionwatch processed %" PRId64 " of %" PRIu64 " records: it fell behind and the "
                        "mock deleted records before they were read; lower --latency-share\n",
                lr->name, lr->processed, lr->records);
    lr->alerts_emitted = atomic_load(&pr.alerts);
    uint64_t n = 0;
    if (lr->ok && read_alert_latencies(base, alerts_topic, &lat, &n, &lr->no_source) != 0) lr->ok = 0;
    lr->alerts = n;
    if (lr->ok && n > 0) {
        qsort(lat, n, sizeof *lat, cmp_i64);
        double sum = 0;
        for (uint64_t i = 0; i < n; i++) sum += (double)lat[i];
        lr->mean = sum / (double)n;
        lr->p50 = lat[(n + 1) / 2 - 1];
        uint64_t r99 = (uint64_t)((double)n * 0.99 + 0.999999); /* nearest rank */
        lr->p99 = lat[(r99 ? r99 : 1) - 1];
        lr->max = lat[n - 1];
    } else if (lr->ok) {
        fprintf(stderr, "e2e: no alerts with a source timestamp on %s\n", alerts_topic);
        lr->ok = 0;
    }
    free(hwm);
    free(lat);
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
    const variant *v;
    result r[MAX_RUNS];
    int n, retries;
    double med, min, max, cpu_per_m, client_cpu_per_m;
    uint64_t alerts_min, alerts_max; /* per run */
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
    f->alerts_min = UINT64_MAX;
    for (int i = 0; i < f->n; i++) {
        if (f->r[i].alerts < f->alerts_min) f->alerts_min = f->r[i].alerts;
        if (f->r[i].alerts > f->alerts_max) f->alerts_max = f->r[i].alerts;
    }
}

static void report(const figure *f, const topic_info *ti, bool json) {
    double recs = (double)ti->records, mb = (double)ti->bytes / 1e6;
    const variant *v = f->v;
    char alerts[48] = "-";
    if (v->kind != V_BARE)
        snprintf(alerts, sizeof alerts, f->alerts_min == f->alerts_max ? "%" PRIu64 : "%" PRIu64 "..%" PRIu64,
                 f->alerts_min, f->alerts_max);
    if (json)
        printf("{\"name\":\"%s\",\"label\":\"%s\",\"state\":\"%s\",\"threads\":%d,\"partitions\":%d,"
               "\"records\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"runs\":%d,\"median_s\":%.6f,\"min_s\":%.6f,"
               "\"max_s\":%.6f,\"records_per_s\":%.0f,\"mb_per_s\":%.2f,\"cpu_s_per_m\":%.3f,"
               "\"client_cpu_s_per_m\":%.3f,\"retries\":%d,\"alerts\":\"%s\"}\n",
               v->name, v->label, v->state ? v->state : "", v->threads, ti->partitions, ti->records, ti->bytes, f->n,
               f->med, f->min, f->max, recs / f->med, mb / f->med, f->cpu_per_m, f->client_cpu_per_m, f->retries,
               alerts);
    else
        printf("%-50s %7d %12.0f %8.1f %10.2f %10.2f   %.4f (%.4f..%.4f) %8s\n", v->label, v->threads,
               recs / f->med, mb / f->med, f->cpu_per_m, f->client_cpu_per_m, f->med, f->min, f->max, alerts);
    if (!v->state || strcmp(v->state, "redis") != 0 || f->n == 0) return;
    /* What Redis did for it, per run on average (join to exit, final
     * checkpoints included), and what it held after the last run. */
    double cmds = 0, in = 0;
    for (int i = 0; i < f->n; i++) cmds += (double)f->r[i].redis_cmds, in += (double)f->r[i].redis_in_bytes;
    cmds /= f->n;
    in /= f->n;
    const result *last = &f->r[f->n - 1];
    double per_user = last->redis_users ? (double)last->redis_mem / (double)last->redis_users : 0;
    double cmds_per_s = cmds / f->med, bytes_per_s = in / f->med;
    if (json)
        printf("{\"name\":\"redis_cost\",\"variant\":\"%s\",\"threads\":%d,\"checkpoint_ms\":%" PRId64
               ",\"commands_per_run\":%.0f,\"bytes_in_per_run\":%.0f,\"commands_per_s\":%.0f,\"bytes_in_per_s\":%.0f,"
               "\"bytes_in_per_record\":%.1f,\"users\":%" PRIu64 ",\"redis_bytes_per_user\":%.0f}\n",
               v->name, v->threads, v->checkpoint_ms, cmds, in, cmds_per_s, bytes_per_s, in / recs,
               last->redis_users, per_user);
    else
        printf("  Redis for it: %.0f commands and %.1f MB in per run (%.0f commands/s, %.1f MB/s over the "
               "measured interval; %.0f B per record); afterwards %" PRIu64 " tracked users at %.0f B each "
               "(MEMORY USAGE / HLEN)\n", cmds, in / 1e6, cmds_per_s, bytes_per_s / 1e6, in / recs,
               last->redis_users, per_user);
}

static void report_latency(const latency_result *lr, int parts, bool json) {
    if (json)
        printf("{\"name\":\"%s\",\"threads\":2,\"partitions\":%d,\"fetch_wait_max_ms\":%d,\"rate\":%" PRIu64
               ",\"share\":%.2f,\"seconds\":%.1f,\"records\":%" PRIu64 ",\"processed\":%" PRId64 ",\"produce_s\":%.2f,\"alerts\":%" PRIu64
               ",\"p50_ms\":%" PRId64 ",\"p99_ms\":%" PRId64 ",\"max_ms\":%" PRId64 ",\"mean_ms\":%.1f,"
               "\"cpu_s_per_m\":%.3f,\"client_cpu_s_per_m\":%.3f}\n",
               lr->name, parts, lr->fetch_wait_ms ? lr->fetch_wait_ms : 500, lr->rate, lr->share, lr->seconds,
               lr->records, lr->processed, lr->produce_s, lr->alerts, lr->p50, lr->p99, lr->max, lr->mean,
               lr->cpu_s / (double)lr->records * 1e6, lr->sw_cpu_s / (double)lr->records * 1e6);
    else
        printf("alert latency, fetch.wait.max.ms=%d%s%s: %" PRIu64 " alerts: p50 %" PRId64 " ms, p99 %" PRId64
               " ms, max %" PRId64 " ms, mean %.1f ms (%" PRIu64 " records at %" PRIu64 "/s in %.1f s; "
               "sessionwatch processed %" PRId64 "); CPU s per million records %.2f (process: broker, producer, "
               "sessionwatch) / %.2f (sessionwatch's threads)\n",
               lr->fetch_wait_ms ? lr->fetch_wait_ms : 500, lr->fetch_wait_ms ? "" : " (default)",
               lr->redis ? ", --state redis:// (1 s checkpoints)" : "", lr->alerts, lr->p50, lr->p99, lr->max, lr->mean, lr->records, lr->rate, lr->produce_s, lr->processed,
               lr->cpu_s / (double)lr->records * 1e6, lr->sw_cpu_s / (double)lr->records * 1e6);
}

static int usage(void) {
    fprintf(stderr, "usage: e2e [--records N] [--partitions P] [--tenants T] [--runs N] [--latency-seconds S] "
                    "[--latency-share F | --latency-rate N] [--python-script PATH [--python INTERPRETER]] "
                    "[--redis redis://HOST:PORT] [-X key=value ...] [--json]\n");
    return 2;
}

int main(int argc, char **argv) {
    uint64_t records = 100000, lat_rate = 0;
    int partitions = 128, runs = getenv("RUNS") ? atoi(getenv("RUNS")) : 5;
    double lat_seconds = 10, lat_share = 0.1;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--json") == 0) json = true;
        else if (!v) return usage();
        else if (strcmp(argv[i], "--records") == 0) records = strtoull(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--partitions") == 0) partitions = atoi(v), i++;
        else if (strcmp(argv[i], "--tenants") == 0) tenants = (uint32_t)strtoul(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--runs") == 0) runs = atoi(v), i++;
        else if (strcmp(argv[i], "--latency-seconds") == 0) lat_seconds = atof(v), i++;
        else if (strcmp(argv[i], "--latency-share") == 0) lat_share = atof(v), i++;
        else if (strcmp(argv[i], "--latency-rate") == 0) lat_rate = strtoull(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--python-script") == 0) py_script = v, i++;
        else if (strcmp(argv[i], "--python") == 0) py_interp = v, i++;
        else if (strcmp(argv[i], "--redis") == 0) redis_url = v, i++;
        else if (strcmp(argv[i], "-X") == 0 && strchr(v, '=') && n_xprops < MAX_X) {
            char *kv = strdup(v), *eq = strchr(kv, '=');
            *eq = '\0';
            xprops[n_xprops][0] = kv;
            xprops[n_xprops++][1] = eq + 1;
            i++;
        }
        else return usage();
    }
    if (records < 1 || records > 10000000 || partitions < 2 || partitions > 1024 || tenants < 1 ||
        tenants > 10000 || runs < 1 || runs > MAX_RUNS || !(lat_seconds >= 0 && lat_seconds <= 600) ||
        !(lat_share > 0 && lat_share <= 2))
        return usage();

    char err[512];
    if (redis_url) {
        if (sw_redis_parse_url(redis_url, &redis_target, err, sizeof err) != 0) {
            fprintf(stderr, "e2e: --redis: %s\n", err);
            return 2;
        }
        sw_redis_init(&redis_stats, &redis_target, 5000);
        if (sw_redis_connect(&redis_stats) != 0) {
            fprintf(stderr, "e2e: --redis: %s\n", redis_stats.err);
            return 1;
        }
    }
    sw_mockcluster *m = sw_mockcluster_start(1, err, sizeof err);
    if (!m || sw_mockcluster_topic(m, IN_TOPIC, partitions, err, sizeof err) ||
        sw_mockcluster_topic(m, ALERTS_TOPIC, ALERT_PARTS, err, sizeof err) ||
        sw_mockcluster_topic(m, PY_ALERTS_TOPIC, ALERT_PARTS, err, sizeof err)) {
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
    if (json)
        printf("{\"name\":\"e2e_info\",\"partitions\":%d,\"tenants\":%u,\"records\":%" PRIu64 ",\"generated\":%" PRIu64
               ",\"sentinels\":%d,\"bytes\":%" PRIu64 ",\"max_partition_mb\":%.2f,\"runs\":%d,\"librdkafka\":\"%s\","
               "\"cores\":%ld}\n",
               partitions, tenants, ti.records, ti.generated, 6 * partitions, ti.bytes,
               (double)ti.max_part_bytes / 1e6, runs, rd_kafka_version_str(), sysconf(_SC_NPROCESSORS_ONLN));
    else
        printf("mock Kafka cluster (librdkafka %s, 1 broker, in this process, %ld cores), topic %s: %d partitions, "
               "%" PRIu64 " records (%" PRIu64 " gen records of %u tenants + %d sentinels), %.1f MB of values, "
               "%.0f B/record; largest partition %.1f MB (the mock keeps ~5 MB a partition; nothing was deleted)\n",
               rd_kafka_version_str(), sysconf(_SC_NPROCESSORS_ONLN), IN_TOPIC, partitions, ti.records, ti.generated,
               tenants, 6 * partitions, (double)ti.bytes / 1e6, (double)ti.bytes / (double)ti.records,
               (double)ti.max_part_bytes / 1e6);
    fflush(stdout);

    /* The rows: every variant, but the Python one only with --python-script. */
    static figure figs[N_VARIANTS];
    int nfigs = 0;
    for (size_t i = 0; i < N_VARIANTS; i++)
        if ((VARIANTS[i].kind != V_PY || py_script) &&
            (!VARIANTS[i].state || strcmp(VARIANTS[i].state, "redis") != 0 || redis_url))
            figs[nfigs++].v = &VARIANTS[i];
    for (int run = 1; run <= runs && !rc; run++) {
        for (int i = 0; i < nfigs && !rc; i++) {
            figure *f = &figs[i];
            const variant *v = f->v;
            result r = {0};
            /* A run whose partitions did not all start within SPREAD_MAX_S
             * (a librdkafka retry timer) or that failed is run again. */
            for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
                char group[64];
                snprintf(group, sizeof group, "e2e-%s-%d-%d-%d", v->name, v->threads, run, attempt);
                result a = v->kind == V_BARE ? run_bare(&ti, v->threads, run * 10 + attempt, NULL)
                           : v->kind == V_SW ? run_sw(&ti, v, group)
                                             : run_python(&ti, group);
                if (a.ok) r = a;
                if (a.ok && a.spread <= SPREAD_MAX_S) break;
                if (attempt < ATTEMPTS) {
                    if (a.ok)
                        fprintf(stderr, "e2e: run %d %s/%d: partitions started %.0f ms apart; run again\n", run,
                                v->name, v->threads, a.spread * 1e3);
                    f->retries++; /* a failed attempt said why */
                }
            }
            if (!r.ok || r.records != ti.records || r.bytes != ti.bytes) {
                fprintf(stderr, "e2e: %s with %d threads, run %d failed\n", v->name, v->threads, run);
                rc = 1;
                break;
            }
            f->r[f->n++] = r;
            fprintf(stderr, "e2e: run %d %s/%d: %.4f s, %.0f records/s, CPU %.3f s (clients %.3f s)", run, v->name,
                    v->threads, r.seconds, (double)r.records / r.seconds, r.cpu, r.client_cpu);
            fprintf(stderr, "; partitions started within %.0f ms", r.spread * 1e3);
            if (v->kind == V_BARE) fprintf(stderr, ", the first %.0f ms after assign", r.lead * 1e3);
            if (v->kind != V_BARE) fprintf(stderr, "; %" PRIu64 " alerts", r.alerts);
            fputc('\n', stderr);
        }
    }
    if (rc) goto done;
    for (int i = 0; i < nfigs; i++) summarize(&figs[i]);
    if (json && py_script)
        printf("{\"name\":\"python_info\",\"python\":\"%s\",\"interpreter\":\"%s\",\"confluent_kafka\":\"%s\"}\n",
               py_version, py_interp, py_ck_version);
    if (!json)
        printf("\npacing: none; the topic was preloaded (%d partitions, largest %.1f MB: under the mock's ~5 MB, "
               "nothing deleted) and every row drains all of it.\n"
               "interval: bare and Python, the first record received -> the last record received (Python: "
               "processed); sessionwatch, some partition's 3rd record processed -> the last partition's last record "
               "processed (sentinel alerts seen by on_alert): no group join, no exit settle time.  CPU: CPU seconds "
               "per million records over the interval, of the process(es) (mock broker included) and of the "
               "clients alone.  %d runs each.%s%s%s\n"
               "%-50s %7s %12s %8s %10s %10s   %-26s %8s\n",
               partitions, (double)ti.max_part_bytes / 1e6, runs, py_script ? "  Python " : "",
               py_script ? py_version : "", py_script ? " (Debian's python3-confluent-kafka)" : "", "consumer",
               "threads", "records/s", "MB/s", "CPU s/M", "client s/M", "median s (min..max)", "alerts");
    for (int i = 0; i < nfigs; i++) report(&figs[i], &ti, json);
    for (int i = 0; i < nfigs && !json; i++)
        if (figs[i].retries)
            printf("(%s/%d: %d run%s repeated: disturbed (a rebalance, a late member) or partitions started "
                   "more than %.0f ms apart)\n",
                   figs[i].v->name, figs[i].v->threads, figs[i].retries, figs[i].retries > 1 ? "s" : "", SPREAD_MAX_S * 1e3);
    for (size_t k = 0; k < sizeof RATIOS / sizeof RATIOS[0]; k++) {
        /* Rate of one row / rate of another: of the medians, and of the
         * best runs (those without a fetch stall). */
        const figure *a = NULL, *b = NULL;
        for (int i = 0; i < nfigs; i++) {
            if (strcmp(figs[i].v->name, RATIOS[k].of) == 0 && figs[i].v->threads == RATIOS[k].of_threads) a = &figs[i];
            if (strcmp(figs[i].v->name, RATIOS[k].to) == 0 && figs[i].v->threads == RATIOS[k].to_threads) b = &figs[i];
        }
        if (!a || !b) continue;
        double ratio = b->med / a->med, best = b->min / a->min;
        if (json)
            printf("{\"name\":\"ratio\",\"of\":\"%s\",\"of_threads\":%d,\"to\":\"%s\",\"to_threads\":%d,"
                   "\"median\":%.3f,\"best\":%.3f,\"target\":\"%s\"}\n",
                   RATIOS[k].of, RATIOS[k].of_threads, RATIOS[k].to, RATIOS[k].to_threads, ratio, best,
                   RATIOS[k].target ? RATIOS[k].target : "");
        else
            printf("%s/%d / %s/%d records/s: %.2f of the medians, %.2f of the best runs%s%s%s\n", RATIOS[k].of,
                   RATIOS[k].of_threads, RATIOS[k].to, RATIOS[k].to_threads, ratio, best,
                   RATIOS[k].target ? " (target " : "", RATIOS[k].target ? RATIOS[k].target : "",
                   RATIOS[k].target ? ")" : "");
    }
    fflush(stdout);

    const figure *sw2 = NULL; /* the latency phase's rate is a share of its drain rate */
    for (int i = 0; i < nfigs; i++)
        if (figs[i].v->kind == V_SW && strcmp(figs[i].v->state, "memory") == 0 && figs[i].v->threads == 2)
            sw2 = &figs[i];
    if (lat_seconds > 0 && !lat_rate && !sw2) {
        fprintf(stderr, "e2e: no sessionwatch 2-thread figure to pace the latency phase by; use --latency-rate\n");
        rc = 1;
    } else if (lat_seconds > 0) {
        uint64_t rate = lat_rate ? lat_rate
                                 : (uint64_t)((double)ti.records / sw2->med * lat_share / 100.0 + 0.5) * 100;
        if (rate < 100) rate = 100;
        uint64_t n = (uint64_t)((double)rate * lat_seconds);
        if (n > MAX_LATENCY_RECORDS) {
            n = MAX_LATENCY_RECORDS;
            fprintf(stderr, "e2e: latency phase cut to %d records\n", MAX_LATENCY_RECORDS);
        }
        sw_gen_opts g;
        uint64_t file_bytes;
        FILE *f = generate(n, 7, 0.05, &g, &file_bytes);
        if (!f) {
            rc = 1;
            goto done;
        }
        char why[64] = "--latency-rate";
        if (!lat_rate) snprintf(why, sizeof why, "%.0f%% of sessionwatch's 2-thread drain rate", lat_share * 100);
        if (!json)
            printf("\nalert latency under load: sessionwatch 2 threads joined, then %" PRIu64 " records produced "
                   "paced at %" PRIu64 "/s (%s) to %d partitions; latency = alert CreateTime - completing record "
                   "CreateTime\n", n, rate, why, partitions);
        latency_result lrs[3] = {{.name = "latency", .fetch_wait_ms = 0},
                                 {.name = "latency_fw10", .fetch_wait_ms = 10},
                                 {.name = "latency_fw10_redis", .fetch_wait_ms = 10, .redis = true}};
        for (int i = 0; i < (redis_url ? 3 : 2); i++) {
            latency_result *lr = &lrs[i];
            lr->rate = rate;
            lr->share = lat_rate ? 0 : lat_share;
            lr->records = n;
            lr->seconds = lat_seconds;
            run_latency(m, &ti.k, partitions, f, lr);
            if (!lr->ok) {
                fprintf(stderr, "e2e: the %s run failed\n", lr->name);
                rc = 1;
                continue;
            }
            if (lr->redis) {
                lr->redis_cmds += redis_info("total_commands_processed") - 1;
                lr->redis_in += redis_info("total_net_input_bytes");
                if (json)
                    printf("{\"name\":\"redis_paced\",\"seconds\":%.1f,\"commands\":%" PRId64 ",\"bytes_in\":%" PRId64
                           ",\"commands_per_s\":%.0f,\"bytes_in_per_s\":%.0f}\n", lr->seconds, lr->redis_cmds,
                           lr->redis_in, (double)lr->redis_cmds / lr->seconds, (double)lr->redis_in / lr->seconds);
                else
                    printf("Redis under that paced load: %.0f commands/s, %.2f MB/s received (1 s checkpoints, "
                           "%d partitions)\n", (double)lr->redis_cmds / lr->seconds,
                           (double)lr->redis_in / lr->seconds / 1e6, partitions);
            }
            report_latency(lr, partitions, json);
            if (lr->no_source) fprintf(stderr, "e2e: %" PRIu64 " alerts had no source timestamp\n", lr->no_source);
            if (lr->alerts_emitted != lr->alerts + lr->no_source)
                fprintf(stderr, "e2e: %" PRIu64 " alerts emitted, %" PRIu64 " on the alerts topic (re-sends?)\n",
                        lr->alerts_emitted, lr->alerts + lr->no_source);
            fflush(stdout);
        }
        /* The cost of checkpointing at the default interval over a run of
         * several seconds: sessionwatch's CPU per record with and without. */
        if (redis_url && lrs[1].ok && lrs[2].ok) {
            double mem = lrs[1].sw_cpu_s / (double)lrs[1].records, red = lrs[2].sw_cpu_s / (double)lrs[2].records;
            if (json)
                printf("{\"name\":\"redis_cpu_ratio\",\"memory_cpu_s_per_m\":%.3f,\"redis_cpu_s_per_m\":%.3f,"
                       "\"ratio\":%.3f}\n", mem * 1e6, red * 1e6, red > 0 ? mem / red : 0);
            else
                printf("Redis checkpointing (1 s) under paced load: sessionwatch CPU %.2f vs %.2f s per million "
                       "records; CPU-bound throughput ratio redis/memory %.2f (target >= 0.90)\n", red * 1e6,
                       mem * 1e6, red > 0 ? mem / red : 0);
        }
        fclose(f);
    }
done:
    for (size_t i = 0; i < n_xprops; i++) free(xprops[i][0]);
    free(ti.hwm);
    sw_mockcluster_stop(m);
    return rc;
}

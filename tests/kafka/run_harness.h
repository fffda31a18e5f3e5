/* run_harness.h -- what test_run and test_run_redis share: `sessionwatch
 * run` as a black box against librdkafka's mock cluster (sw_mockcluster, in
 * the test process, on 127.0.0.1).  The binary runs as a child process
 * (support/tu_proc.h), the test produces its input and reads the alerts topic
 * with librdkafka directly (support/tu_kafka.h).  The reference is `scan` over
 * the same file: run must give exactly its alert ids (duplicates only as
 * the same id) and the same alert bytes, keyed by user, with the three
 * headers and the Kafka source of the completing record.
 *
 * Two generated inputs (gen seed 7, and seed 8 a day later) with scan's
 * alerts over each are made once per program by run_harness_init().  Every
 * wait is bounded and every run ends by itself; a failed assertion fails
 * the case, and the teardown kills what it left running. */
#ifndef SW_TEST_RUN_HARNESS_H
#define SW_TEST_RUN_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <librdkafka/rdkafka.h>

#include "alert.h"
#include "jsonw.h"
#include "kafka.h"
#include "mockcluster.h"
#include "tu_proc.h"
#include "testutil.h"
#include "tu_kafka.h"

#ifndef SW_ALERT_MAX_BYTES
#define SW_ALERT_MAX_BYTES 65536
#endif

#define IN "okta-events"
#define ALERTS "okta-alerts"
#define IN_PARTS 8
#define ALERT_PARTS 4
#define RUN_TIMEOUT_MS 300000 /* hang guards, generous: CI machines are shared */
#define KAFKA_API_PRODUCE 0 /* ApiKey of Produce (rdkafka_protocol.h is not installed) */


typedef struct {
    char *buf;
    char **line;
    size_t *len;
    sw_buf *key;       /* tenant "" 0x1F actor id */
    int32_t *partition;/* where the test's producer put each line */
    int64_t *offset;
    size_t n;
} dataset;

typedef struct {
    char id[SW_ALERT_ID_LEN + 1];
    char *json;        /* scan's line, without newline */
    size_t line;       /* scan's source line */
} expected_alert;

typedef struct {
    expected_alert *a;
    size_t n;
} expected;

typedef struct {
    int32_t *partition;
    int64_t *offset;
    int failed;
} dr_sink;

typedef struct {
    pid_t pid;
    char err_path[64];
} child;

enum { H_RULE_ID, H_TENANT, H_ALERT_ID, H_REASON, H_ORIGINAL_VALUE_BYTES, H_COUNT };

/* A record read back (support/tu_kafka.h); h[] holds the H_* headers. */
typedef tu_krec krec;
typedef tu_krecs krecs;

extern dataset data_a, data_b;        /* gen seed 7 and, a day later, seed 8 */
extern expected exp_a, exp_ab;        /* scan A; scan A B */
extern char path_a[64], path_b[64];
extern const dataset *const only_a[];  /* {&data_a, NULL} */
extern const dataset *const a_and_b[]; /* {&data_a, &data_b, NULL} */
extern sw_mockcluster *mc;
extern const char *brokers;

/* Makes the two inputs and scan's alerts (before the cases run; the
 * environment's SESSIONWATCH_BROKERS is ignored, SW_TEST_FILTER selects
 * cases), and frees them. */
void run_harness_init(void);
void run_harness_free(void);

/* ---- data: gen files, their lines and keys, and scan's alerts ---------- */
char *xstrndup(const char *p, size_t n);
void gen(const char *seed, const char *start, char *path);
/* gen with --rules RULES (NULL: none) */
void gen_rules(const char *seed, const char *start, const char *rules, char *path);
/* gen_rules with --users users (gen_rules: 300) */
void gen_rules_users(const char *seed, const char *start, const char *rules, const char *users, char *path);
void load(dataset *d, const char *path);
void dataset_free(dataset *d);
const char *field(const char *from, const char *name);
void scan_expected(expected *e, const char *const *files);
/* scan --rules RULES (NULL: the built-in seed rule) */
void scan_expected_rules(expected *e, const char *const *files, const char *rules);
void expected_free(expected *e);
const expected_alert *expected_find(const expected *e, const char *id, size_t id_len);
/* Whether x is an alert of rule (its rule.id). */
int expected_alert_of(const expected_alert *x, const char *rule);
/* Drops e's alerts of the rules named (NULL-terminated); how many. */
size_t expected_drop_rules(expected *e, const char *const *rules);
/* The rules shipped in deploy/rules (tests run from the source directory):
 * those `run` refuses (grouped by another field than okta.actor.id), and
 * the seed rule's file. */
#define RUN_RULES_DIR "deploy/rules"
#define SEED_RULE_FILE "deploy/rules/sessionwatch_seed_rule.toml"
#define SEED_RULE "621e92b6-7e54-11ee-bdc0-f661ea17fbcd"
#define FAILURES_RULE "bfa9dd66-97f5-4550-b038-2d03cd3eb4a2" /* by okta.actor.alternate_id */
#define DEVICE_RULE "fbd97268-e93d-48c3-838f-a179163dc3b9"   /* by dt_hash */
extern const char *const RUN_REFUSED_RULES[]; /* {FAILURES_RULE, DEVICE_RULE, NULL} */
/* run's flags for the rules of deploy/rules that run where a topic keyed by
 * user is read (every one but RUN_REFUSED_RULES: their key families hold
 * okta.actor.id), told that it is keyed so: no internal topic. */
#define RUN_KEYED_RULES                                                                                     \
    "--key-field", "okta.actor.id", "--rules", SEED_RULE_FILE, "--rules",                                   \
        RUN_RULES_DIR "/sessionwatch_example_session_behind_proxy.toml", "--rules",                         \
        RUN_RULES_DIR "/sessionwatch_example_mfa_factor_removed.toml"

/* ---- the cluster (3 mock brokers; IN and ALERTS made by cluster_setup) -- */
void cluster_up(void);
void topic(const char *name, int parts);
int cluster_setup(void **state);
int cluster_teardown(void **state);
/* A case with a fresh mock cluster, its children killed after it. */
#define CLUSTER_CASE(f) cmocka_unit_test_setup_teardown(f, cluster_setup, cluster_teardown)
rd_kafka_conf_t *conf(const char *const *kv);

/* Cases with a redis-server of their own (append-only file on), case_redis:
 * started before setup (a cluster_setup), stopped after the cluster's
 * teardown; a case fails when it cannot start. */
extern tu_redis case_redis;
int redis_case_setup(void **state, int (*setup)(void **state));
int redis_case_teardown(void **state);
/* A Redis command (up to 5 words, NULL-terminated) on case_redis; fails
 * the test on an error. */
void redis_do(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4);

/* ---- producing input ---------------------------------------------------- */
rd_kafka_t *producer(dr_sink *sink);
void produce_one(rd_kafka_t *rk, const char *t, int32_t partition, const void *key, size_t key_len,
                 const void *value, size_t len, int64_t ts, size_t tag);
void flush(rd_kafka_t *rk, dr_sink *s);
void produce_lines(rd_kafka_t *rk, const dataset *d, size_t from, size_t to);
void produce_all(const dataset *d);
rd_kafka_t *produce_first_half(dr_sink *s);

/* ---- reading topics and the group's offsets ------------------------------ */
rd_kafka_t *reader(const char *group);
krecs read_topic(const char *t, int parts);
void krecs_free(krecs *k);
void commit_all(const char *group, int64_t at);
void committed(const char *group, int64_t *out);
void ends(int64_t *out);
void wait_committed_to_end(const char *group, int seconds, const char *log);

/* ---- the binary as a child (stderr kept in a file) ----------------------- */
char *child_stderr(const child *c);
int child_wait(child *c, int timeout_ms);
void child_done(child *c);
void child_wait_for(const child *c, const char *needle, int seconds);
void child_wait_assigned(const child *c, int w, int seconds);
child start_run(const char *group, const char *alerts, const char *const *extra);
/* The same with another command ("repartition": with --rules, run's route stage). */
child start_command(const char *cmd, const char *group, const char *alerts, const char *const *extra);
char *run_to_end(const char *group, const char *alerts, const char *const *extra);
char *command_to_end(const char *cmd, const char *group, const char *alerts, const char *const *extra);
uint64_t summary_count(const char *err, const char *name);
/* Members of group joined on an empty topic, then data_a produced: every
 * record committed and exactly exp_a's alerts (procs processes of threads
 * threads; more: run's extra flags, NULL-terminated, or NULL). */
void members_then_input(const char *group, const char *alerts, int procs, const char *threads,
                        const char *const *more);
void expect_count(const char *err, const char *name, uint64_t want);
/* members_then_input as a case of its own, its arguments the case's state:
 * MEMBERS_CASE("test_two_threads", "g-t2", 1, "2", NULL) (a fresh cluster). */
typedef struct {
    const char *group;
    int procs;
    const char *threads;
    const char *const *more;
} members_case;
void members_case_run(void **state);
#define MEMBERS_CASE(name, group, procs, threads, more)                                                  \
    {name, members_case_run, cluster_setup, cluster_teardown,                                           \
     &(members_case){group, procs, threads, more}}
/* data_a produced, then one member of group (extra flags: one thread, no
 * status line) run to the end: every record read, exp_a's alerts (each
 * once), every offset committed.  Returns run's stderr (the caller's). */
char *one_member_matches_scan(const char *group, const char *const *extra);
/* SIGTERM, exit 0 required; returns c's stderr (the caller's). */
char *stop_run(child *c);

/* ---- checking alerts against scan's ------------------------------------- */
char *comparable(const char *json);
/* The alerts topic holds exactly the ids of e (each at least once, nothing
 * else; with exact, each exactly once), every one keyed by its user, with
 * the three headers, scan's bytes and its source record's topic position. */
void check_alerts(const char *alerts, const expected *e, const dataset *const *ds, bool exact);
/* The same, where an alert may also have the bytes alt (NULL: none) has
 * for its id (the same alerts from another engine: a rolling upgrade). */
void check_alerts_either(const char *alerts, const expected *e, const expected *alt, const dataset *const *ds,
                         bool exact);

/* ---- metrics and health (--metrics-addr) -------------------------------- */
int metrics_port(const child *c);
double metric(const char *body, const char *sample);

#endif

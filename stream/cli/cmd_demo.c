/* cmd_demo.c -- `sessionwatch demo`: the whole product in one process with
 * no external service, for a newcomer's first minute.
 *
 *   gen (synthetic Okta traffic with injected stolen-cookie attacks)
 *     -> keyed producer -> okta-events on librdkafka's mock cluster
 *     -> `run` workers (consumer group, one engine per partition)
 *     -> okta-alerts
 *
 * Each alert is printed as a readable line when a worker emits it, with how
 * long after the completing record reached Kafka it was detected.  At the
 * end the demo checks its work: the alerts that reached the alerts topic,
 * and the injected attacks found and missed (the generator's ground truth).
 *
 * --rules PATH runs those rules instead of the built-in seed rule, as the
 * one-command pipeline of `run --rules` on an unkeyed input (ISSUE15): the
 * query rules where a record is read, and each key family of the threshold
 * rules through its internal topic (worker.h, itopics.h), consumed by the
 * same members.  The mock has no CreateTopics, so the demo creates those
 * topics itself with the input's partition count (sw_run_families names
 * them), waits for the group to hold the input AND internal partitions
 * before producing, and for every one of them to be committed to its end
 * before the summary.  --key-field F says the input is keyed by F (the
 * demo's is keyed by okta.actor.id): the family holding F is then read
 * where it arrives, as run --key-field does.  gen injects a positive case
 * and a near miss of each rule (rulecases.h); the check adds, per rule,
 * the positive cases found (an alert of the rule naming one of the case's
 * event uuids) and the near misses that alerted, and per key family its
 * internal topic, the records routed through it and its alerts. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_rules.h"
#include "clock.h"
#include "commands.h"
#include "fields.h"
#include "gen.h"
#include "kafka.h"
#include "keyed_producer.h"
#include "mockcluster.h"
#include "signals.h"
#include "redis.h"
#include "rengine.h"
#include "rulecases.h"
#include "worker.h"

#define EVENTS_TOPIC "okta-events"
#define ALERTS_TOPIC "okta-alerts"
#define GROUP "sessionwatch-demo"
#define MAX_FOUND 4096
#define CATCH_UP_MS 60000

static void usage(FILE *out) {
    fputs("Usage: sessionwatch demo [OPTIONS]\n"
          "\n"
          "Runs the whole pipeline in one process, with no external service: librdkafka's\n"
          "mock Kafka cluster on 127.0.0.1, `gen` producing synthetic Okta traffic with\n"
          "injected stolen-cookie attacks to " EVENTS_TOPIC " (keyed by user), `run` workers\n"
          "in a consumer group writing alerts to " ALERTS_TOPIC ".  Prints each alert as a\n"
          "line, then the records, the alerts on the topic, and the injected attacks\n"
          "found and missed.\n"
          "\n"
          "  --users N         users (default 500; the mock keeps ~5 MB per partition, so\n"
          "                    keep users * hours * 40 records * 1.8 KB / partitions under it)\n"
          "  --hours H         hours of event time (default 1)\n"
          "  --attack-rate R   fraction of users attacked (default 0.02)\n"
          "  --seed N          generator seed (default 1)\n"
          "  --partitions N    partitions of " EVENTS_TOPIC " (default 16)\n"
          "  --threads N       run workers (default 2)\n"
          "  --rate N          records per second produced (default 10000; 0 = as fast as possible)\n"
          "  --state memory|URL  window state of the workers (default memory); with\n"
          "                    redis://host:port it is checkpointed to that Redis (see run --help)\n"
          "                    under a consumer group of this demo run's own\n"
          "  -h, --help        this help\n"
          "\n", out);
    sw_cli_rules_help(out);
    fputs("  --key-field F             with --rules: the input is keyed by F (the demo's topic is\n"
          "                            keyed by okta.actor.id): the key family holding F is read\n"
          "                            where it arrives, not through its internal topic (run --help)\n"
          "\n"
          "  With --rules, gen injects a positive case and a near miss of every rule, and the\n"
          "  workers run the one-command pipeline of `run --rules` on an unkeyed input: the\n"
          "  query rules where a record is read, each key family of the threshold rules through\n"
          "  its internal topic <group>-by-<fields> (group " GROUP ", or with --state\n"
          "  redis:// the run's own), created here with --partitions partitions.  The summary\n"
          "  says per rule which cases alerted, and per key family its internal topic, the\n"
          "  records routed through it and its alerts (try --rules deploy/rules).\n", out);
}

typedef struct {
    char actor[64];
    char tenant[64];
    char rule_id[64];
    char *json; /* --rules: the alert (its evidence names event uuids) */
} found_t;

typedef struct {
    found_t found[MAX_FOUND];
    atomic_size_t n_found;
    const sw_cli_rules *rules; /* given: rule alerts (out->alert is NULL) */
    atomic_uint_fast64_t latency_sum_ms, latency_max_ms;
} demo_ctx;

static demo_ctx demo; /* what the workers' on_alert collects */

/* Replaces control bytes so that no alert text can drive the terminal. */
static void printable(char *line) {
    for (char *c = line; *c; c++)
        if ((unsigned char)*c < 0x20) *c = '?';
}

/* The loaded rule of id, or NULL. */
static const sw_rulespec *rule_of(const sw_cli_rules *r, const char *id) {
    for (size_t i = 0; r && i < r->n; i++)
        if (strcmp(r->specs[i].rule_id, id) == 0) return &r->specs[i];
    return NULL;
}

/* The name of the rule of id, or the id. */
static const char *rule_name(const sw_cli_rules *r, const char *id) {
    const sw_rulespec *spec = rule_of(r, id);
    return spec ? spec->name : id;
}

/* A rule's alert: its rule, user and id (the JSON holds the rest). */
static void print_rule_alert(const demo_ctx *d, const sw_alert_out *out, int64_t latency) {
    char line[1024];
    snprintf(line, sizeof line, "ALERT [%.200s] %.*s%s%.*s: alert %s  [detected %lld ms after the record reached "
             "Kafka]", rule_name(d->rules, out->rule_id), (int)(out->actor_len < 255 ? out->actor_len : 255),
             out->actor, out->tenant_len ? " tenant " : "", (int)(out->tenant_len < 64 ? out->tenant_len : 64),
             out->tenant, out->alert_id, (long long)latency);
    printable(line);
    printf("%s\n", line);
    fflush(stdout);
}

/* Runs on a worker thread: one line per alert (stdio locks per call). */
static void on_alert(void *ud, const sw_alert_out *out) {
    demo_ctx *d = ud;
    const sw_alert *a = out->alert;
    int64_t latency = out->source->kafka_time_ms != SW_TIME_NONE ? sw_wall_ms() - out->source->kafka_time_ms : 0;
    if (latency < 0) latency = 0;
    atomic_fetch_add(&d->latency_sum_ms, (uint64_t)latency);
    uint64_t max = atomic_load(&d->latency_max_ms);
    while ((uint64_t)latency > max && !atomic_compare_exchange_weak(&d->latency_max_ms, &max, (uint64_t)latency)) {}

    size_t i = atomic_fetch_add(&d->n_found, 1);
    if (i < MAX_FOUND) {
        snprintf(d->found[i].actor, sizeof d->found[i].actor, "%.*s", (int)out->actor_len, out->actor);
        snprintf(d->found[i].tenant, sizeof d->found[i].tenant, "%.*s", (int)out->tenant_len, out->tenant);
        snprintf(d->found[i].rule_id, sizeof d->found[i].rule_id, "%s", out->rule_id);
        if (!a) d->found[i].json = strndup(out->json, out->json_len);
    }
    if (!a) {
        print_rule_alert(d, out, latency);
        return;
    }
    /* Printed strings are generator output here, but keep the habit: cut
     * them and never let a control character reach the terminal. */
    char line[1024];
    int n = snprintf(line, sizeof line, "ALERT %.*s (%.*s)%s%.*s: %zu sessions in %lld min:",
                     (int)(a->alt.n ? (a->alt.n < 255 ? a->alt.n : 255) : out->actor_len),
                     a->alt.n ? a->alt.p : out->actor, (int)out->actor_len,
                     out->actor, out->tenant_len ? " tenant " : "", (int)out->tenant_len, out->tenant, a->nq,
                     (long long)((a->q[a->nq - 1]->last_seen - a->q[0]->last_seen) / 60000));
    for (size_t s = 0; s < a->nq && n > 0 && (size_t)n < sizeof line; s++)
        n += snprintf(line + n, sizeof line - (size_t)n, "%s %.*s %.*s", s ? " |" : "",
                      (int)a->q[s]->country_len, sw_session_country(a->q[s]), (int)a->q[s]->ip_len,
                      sw_session_ip(a->q[s]));
    if (n > 0 && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, "  [detected %lld ms after the record reached Kafka]",
                 (long long)latency);
    printable(line);
    printf("%s\n", line);
    fflush(stdout);
}

/* The run's key families (sw_run_families): each routed one's internal
 * topic is consumed by the members with the input's partition count. */
typedef struct {
    sw_run_family *fam;
    size_t n, routed;
    int partitions;
} demo_families;

/* Whether group's committed offset of every partition of topic is at
 * the partition's end (a partition that never held a record has no
 * committed offset: an internal topic's may stay empty). */
static bool committed_to_end(rd_kafka_t *rk, const char *topic, int partitions) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++) rd_kafka_topic_partition_list_add(l, topic, p);
    bool done = rd_kafka_committed(rk, l, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; i < l->cnt && done; i++) {
        int64_t lo, hi;
        done = !rd_kafka_query_watermark_offsets(rk, topic, l->elems[i].partition, &lo, &hi, 2000) &&
               (hi <= lo || l->elems[i].offset >= hi);
    }
    rd_kafka_topic_partition_list_destroy(l);
    return done;
}

/* Whether the group is done with everything the members consume: the
 * events topic first (its offsets are committed only once the internal
 * records they produced are acknowledged, so the internal topics' ends
 * read after it are final), then every internal topic. */
static bool all_committed(rd_kafka_t *rk, const demo_families *f) {
    if (!committed_to_end(rk, EVENTS_TOPIC, f->partitions)) return false;
    for (size_t k = 0; k < f->n; k++)
        if (f->fam[k].routed && !committed_to_end(rk, f->fam[k].topic, f->partitions)) return false;
    return true;
}

/* True once group has committed every partition of the events topic and
 * of the internal topics up to its end; bounded by CATCH_UP_MS. */
static int wait_caught_up(const sw_kafka_opts *k, const char *group, const demo_families *f, const atomic_int *stop) {
    char err[512];
    rd_kafka_conf_t *conf = sw_kafka_conf(k, RD_KAFKA_CONSUMER, err, sizeof err);
    if (!conf || rd_kafka_conf_set(conf, "group.id", group, err, sizeof err) != RD_KAFKA_CONF_OK) {
        if (conf) rd_kafka_conf_destroy(conf);
        fprintf(stderr, "sessionwatch demo: %s\n", err);
        return -1;
    }
    rd_kafka_t *rk = sw_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "sessionwatch demo: %s\n", err);
        return -1;
    }
    bool done = false;
    for (int64_t waited = 0; !done && waited < CATCH_UP_MS && !atomic_load(stop); waited += 200)
        if (!(done = all_committed(rk, f))) usleep(200 * 1000);
    rd_kafka_destroy(rk);
    return done ? 0 : -1;
}

/* Messages on a topic (the demo's topics all start empty). */
static int64_t topic_messages(const sw_kafka_opts *k, const char *topic, int partitions) {
    char err[512];
    rd_kafka_conf_t *conf = sw_kafka_conf(k, RD_KAFKA_PRODUCER, err, sizeof err);
    rd_kafka_t *rk = conf ? sw_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err) : NULL;
    if (!rk) return -1;
    int64_t total = 0;
    for (int p = 0; p < partitions; p++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 5000)) {
            total = -1;
            break;
        }
        total += hi - lo;
    }
    rd_kafka_destroy(rk);
    return total;
}

/* The actor ids of the ground truth (one JSON line per attack, written by
 * gen.c: {"tenant":..,"actor_id":"00u..",...}); returns how many. */
static size_t read_truth(FILE *f, char (*actors)[64], size_t max) {
    char line[4096];
    size_t n = 0;
    rewind(f);
    while (n < max && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "\"actor_id\":\"");
        if (!p) continue;
        p += 12;
        const char *q = strchr(p, '"');
        if (!q || q - p >= 64) continue;
        snprintf(actors[n++], 64, "%.*s", (int)(q - p), p);
    }
    return n;
}

/* Whether an alert is the seed rule's (built in, or loaded from its TOML). */
static bool is_seed(const found_t *f) { return strcmp(f->rule_id, SW_RULE_ID) == 0; }

/* Whether an alert (its JSON) names one of the event uuids of a truth
 * line ("events":["uuid",...]). */
static bool names_an_event(const char *json, const char *line) {
    const char *p = strstr(line, "\"events\":[");
    if (!p) return false;
    for (p += 10; *p == '"'; p += 2) {
        const char *q = strchr(p + 1, '"');
        if (!q || q - p - 1 > 64) return false;
        char uuid[72]; /* bare: a query alert holds the event as escaped text */
        snprintf(uuid, sizeof uuid, "%.*s", (int)(q - p - 1), p + 1);
        if (strstr(json, uuid)) return true;
        p = q - 1;
        if (q[1] != ',') break;
    }
    return false;
}

/* Reads the next truth line of one of rule id's cases (gen's truth lines
 * with a rule_id) into line; false at the end of the file. */
static bool next_case(FILE *truth, const char *id, char *line, int cap) {
    char want[96];
    snprintf(want, sizeof want, "{\"rule_id\":\"%.60s\",", id);
    while (fgets(line, cap, truth))
        if (strncmp(line, want, strlen(want)) == 0) return true;
    return false;
}

/* Whether a rule alert names an event of one of gen's cases of its rule
 * (a seed-rule alert on a user gen did not attack may be the seed rule's
 * own positive case). */
static bool in_a_case(FILE *truth, const found_t *f) {
    if (!f->json) return false;
    char line[16384];
    rewind(truth);
    while (next_case(truth, f->rule_id, line, sizeof line))
        if (names_an_event(f->json, line)) return true;
    return false;
}

/* --rules: per rule run, its positive cases found and its near misses
 * that alerted (gen's truth lines with a rule_id). */
static void check_rule_cases(FILE *truth, const demo_ctx *d, size_t n_found) {
    for (size_t r = 0; r < d->rules->n; r++) {
        const char *id = d->rules->specs[r].rule_id;
        size_t alerts = 0, pos = 0, pos_found = 0, near = 0, near_alerted = 0;
        for (size_t j = 0; j < n_found; j++) alerts += strcmp(d->found[j].rule_id, id) == 0;
        char line[16384];
        rewind(truth);
        while (next_case(truth, id, line, sizeof line)) {
            bool positive = strstr(line, "\"case\":\"positive\"") != NULL;
            if (!positive && !strstr(line, "\"case\":\"near_miss\"")) continue;
            bool alerted = false;
            for (size_t j = 0; j < n_found && !alerted; j++)
                alerted = strcmp(d->found[j].rule_id, id) == 0 && d->found[j].json &&
                          names_an_event(d->found[j].json, line);
            if (positive) pos++, pos_found += alerted;
            else near++, near_alerted += alerted;
        }
        char out[512];
        snprintf(out, sizeof out, "  rule %.200s: %zu alerts; positive cases found %zu of %zu, near misses "
                 "alerted %zu of %zu", d->rules->specs[r].name, alerts, pos_found, pos, near_alerted, near);
        printable(out);
        printf("%s\n", out);
    }
}

/* The run's key families, each routed one's internal topic created on the
 * mock with the input's partition count: the mock has no CreateTopics, and
 * on first use it would make them with 4 (mockcluster.h).  0, or -1 with
 * err. */
static int make_internal_topics(sw_mockcluster *m, const sw_run_opts *o, int partitions, demo_families *f, char *err,
                                size_t errlen) {
    f->partitions = partitions;
    if (sw_run_families(o, &f->fam, &f->n) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t k = 0; k < f->n; k++) {
        if (!f->fam[k].routed) continue;
        f->routed++;
        if (sw_mockcluster_topic(m, f->fam[k].topic, partitions, err, errlen) != 0) return -1;
    }
    return 0;
}

/* The alerts found of the rules of family k (SW_RENGINE_NO_FAMILY: the
 * query rules); family_of as sw_rengine_families of d's rules. */
static size_t family_alerts(const demo_ctx *d, const uint32_t *family_of, uint32_t k, size_t n_found) {
    size_t alerts = 0;
    for (size_t j = 0; j < n_found; j++) {
        const sw_rulespec *spec = rule_of(d->rules, d->found[j].rule_id);
        alerts += spec && family_of[spec - d->rules->specs] == k;
    }
    return alerts;
}

/* --rules: one line per key family (its internal topic, its partitions,
 * the records routed through it, its alerts), then the query rules'. */
static void check_families(const sw_kafka_opts *kafka, const demo_ctx *d, const demo_families *f, size_t n_found) {
    uint32_t *family_of = calloc(d->rules->n + 1, sizeof *family_of);
    if (!family_of) return;
    sw_rengine_families(d->rules->specs, d->rules->n, family_of);
    printf("sessionwatch demo: per key family (the threshold rules' group-by fields):\n");
    for (size_t k = 0; k < f->n; k++) {
        char out[1024];
        size_t alerts = family_alerts(d, family_of, (uint32_t)k, n_found);
        if (f->fam[k].routed)
            snprintf(out, sizeof out, "  family %.300s: internal topic %.300s, %d partitions, %lld records routed "
                     "through it; %zu alerts", f->fam[k].name, f->fam[k].topic, f->partitions,
                     (long long)topic_messages(kafka, f->fam[k].topic, f->partitions), alerts);
        else
            snprintf(out, sizeof out, "  family %.300s: read where it arrives (the topic is keyed by --key-field); "
                     "%zu alerts", f->fam[k].name, alerts);
        printable(out);
        printf("%s\n", out);
    }
    printf("  query rules: read where the records arrive; %zu alerts\n",
           family_alerts(d, family_of, SW_RENGINE_NO_FAMILY, n_found));
    free(family_of);
}

/* cli.h's parse convention: SW_PARSE_OK, SW_PARSE_HELP or SW_PARSE_USAGE
 * (2, reported). */
static int parse_args(int argc, char **argv, sw_gen_opts *g, uint64_t *partitions, uint64_t *threads,
                      uint64_t *rate, const char **state, sw_cli_rules *rules) {
    sw_args a = {argc, argv, 1, "demo"};
    while (a.i < argc) {
        const char *arg = argv[a.i], *v;
        int r;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) return SW_PARSE_HELP;
        if ((r = sw_cli_rules_option(rules, &a))) {
            if (r < 0) return 2;
        } else if ((r = sw_arg_value(&a, "--users", &v))) {
            if (r < 0 || sw_parse_u64(v, 1, 100000, &g->users))
                return r < 0 ? 2 : sw_cli_error("demo", "--users: '%s' is not a count from 1 to 100000", v);
        } else if ((r = sw_arg_value(&a, "--seed", &v))) {
            if (r < 0 || sw_parse_u64(v, 0, UINT64_MAX, &g->seed))
                return r < 0 ? 2 : sw_cli_error("demo", "--seed: '%s' is not a number", v);
        } else if ((r = sw_arg_value(&a, "--partitions", &v))) {
            if (r < 0 || sw_parse_u64(v, 1, 256, partitions))
                return r < 0 ? 2 : sw_cli_error("demo", "--partitions: '%s' is not a count from 1 to 256", v);
        } else if ((r = sw_arg_value(&a, "--threads", &v))) {
            if (r < 0 || sw_parse_u64(v, 1, 64, threads))
                return r < 0 ? 2 : sw_cli_error("demo", "--threads: '%s' is not a count from 1 to 64", v);
        } else if ((r = sw_arg_value(&a, "--rate", &v))) {
            if (r < 0 || sw_parse_u64(v, 0, 10000000, rate))
                return r < 0 ? 2 : sw_cli_error("demo", "--rate: '%s' is not a rate (records per second)", v);
        } else if ((r = sw_arg_value(&a, "--hours", &v))) {
            if (r < 0 || sw_parse_real(v, 0.01, 24, &g->hours))
                return r < 0 ? 2 : sw_cli_error("demo", "--hours: '%s' is not a number of hours from 0.01 to 24", v);
        } else if ((r = sw_arg_value(&a, "--state", state))) {
            if (r < 0) return 2;
        } else if ((r = sw_arg_value(&a, "--key-field", &rules->key_field))) {
            if (r < 0 || sw_catalogue_find(rules->key_field, strlen(rules->key_field)) < 0)
                return r < 0 ? 2 : sw_cli_error("demo", "--key-field: '%s' is not a field of the catalogue",
                                                rules->key_field);
        } else if ((r = sw_arg_value(&a, "--attack-rate", &v))) {
            if (r < 0 || sw_parse_real(v, 0, 1, &g->attack_rate))
                return r < 0 ? 2 : sw_cli_error("demo", "--attack-rate: '%s' is not a fraction from 0 to 1", v);
        } else {
            return sw_cli_error("demo", "unknown option '%s'", arg);
        }
    }
    return SW_PARSE_OK;
}

static int demo_main(int argc, char **argv, sw_cli_rules *rules);

int sw_cmd_demo(int argc, char **argv) {
    static sw_cli_rules rules; /* lives across demo_main's every return */
    int rc = demo_main(argc, argv, &rules);
    for (size_t i = 0; i < MAX_FOUND; i++) free(demo.found[i].json);
    sw_cli_rules_free(&rules);
    return rc;
}

static int demo_main(int argc, char **argv, sw_cli_rules *rules) {
    sw_gen_opts g;
    sw_gen_defaults(&g);
    g.users = 500;
    g.attack_rate = 0.02;
    uint64_t partitions = 16, threads = 2, rate = 10000;
    const char *state = "memory";
    int rc = parse_args(argc, argv, &g, &partitions, &threads, &rate, &state, rules);
    if (rc == SW_PARSE_HELP) usage(stdout);
    if (rc != SW_PARSE_OK) return rc == SW_PARSE_HELP ? 0 : rc;
    if (rules->key_field && !rules->given) return sw_cli_error("demo", "--key-field: only with --rules");
    if (rules->given && (rc = sw_cli_rules_ready(rules, "demo")) != 0) return rc;
    static sw_redis_target target;
    bool redis = strcmp(state, "memory") != 0;
    char group[96] = GROUP;
    if (redis) {
        char err[256];
        if (sw_redis_parse_url(state, &target, err, sizeof err) != 0) {
            fprintf(stderr, "sessionwatch demo: %s (or --state memory)\n", err);
            return 2;
        }
        /* A fresh mock cluster starts every topic at offset 0: a group of
         * its own keeps an earlier demo's checkpoints out of this one. */
        snprintf(group, sizeof group, GROUP "-%ld-%lld", (long)getpid(), (long long)time(NULL));
    }
    rc = 0;

    char err[512];
    demo_families fams = {0};
    sw_mockcluster *m = sw_mockcluster_start(1, err, sizeof err);
    if (!m || sw_mockcluster_topic(m, EVENTS_TOPIC, (int)partitions, err, sizeof err) ||
        sw_mockcluster_topic(m, ALERTS_TOPIC, 4, err, sizeof err)) {
        fprintf(stderr, "sessionwatch demo: cannot start the mock Kafka cluster: %s\n", err);
        if (m) sw_mockcluster_stop(m);
        return 1;
    }
    sw_kafka_opts k = {.brokers = sw_mockcluster_bootstraps(m)};
    fprintf(stderr, "sessionwatch demo: mock Kafka at %s; %llu users, %.2g h of events, %.0f%% attacked\n",
            k.brokers, (unsigned long long)g.users, g.hours, g.attack_rate * 100);

    FILE *records = tmpfile(), *truth = tmpfile();
    int64_t n_records = !records || !truth ? -1
                        : rules->given    ? sw_gen_run_rules(&g, &rules->set, records, truth, stderr)
                                          : sw_gen_run(&g, records, truth);
    if (n_records < 0 || fflush(records) || fflush(truth) || fseek(records, 0, SEEK_SET)) {
        fprintf(stderr, "sessionwatch demo: cannot generate traffic into a temporary file: %s\n", strerror(errno));
        rc = 1;
        goto out;
    }

    demo.rules = rules->given ? rules : NULL;
    sw_config cfg;
    sw_config_defaults(&cfg);
    cfg.max_clock_skew_ms = SW_DEFAULT_CLOCK_SKEW_MS; /* run's default: the demo runs run */
    static atomic_uint assigned, members_assigned;
    sw_signals_install();
    atomic_int *stop_flag = sw_signals_stop_flag();
    /* --rules: the one-command pipeline on an unkeyed input (every key
     * family through its internal topic) unless --key-field names the
     * input's key.  The built-in seed rule reads the topic as it is keyed. */
    sw_run_thread run = {.opts = {.rules = rules->specs, .n_rules = rules->n, .max_alerts = -1,
                               .key_field = rules->given ? rules->key_field : "okta.actor.id",
                               .cfg = &cfg, .kafka = &k, .topic = EVENTS_TOPIC, .alerts_topic = ALERTS_TOPIC,
                               .group = group, .threads = (int)threads, .stop = stop_flag,
                               .on_alert = on_alert, .on_alert_ud = &demo, .assigned = &assigned,
                               .members_assigned = &members_assigned,
                               .state = redis ? &target : NULL, .checkpoint_interval_ms = 1000,
                               .state_ttl_ms = sw_state_ttl_default_ms(&cfg)}};
    if (make_internal_topics(m, &run.opts, (int)partitions, &fams, err, sizeof err) != 0) {
        fprintf(stderr, "sessionwatch demo: cannot create the internal topics on the mock Kafka cluster: %s\n", err);
        rc = 1;
        goto out;
    }
    pthread_t tid;
    if (pthread_create(&tid, NULL, sw_run_thread_main, &run) != 0) {
        fprintf(stderr, "sessionwatch demo: cannot start the workers\n");
        rc = 1;
        goto out;
    }

    /* Produce once the group has settled, every partition (the input's and
     * the internal topics') with its worker and every worker with
     * partitions: the demo shows detection as the records arrive, not a
     * backlog, and no partition moves mid-window (a move would drop its
     * in-memory state). */
    uint64_t all_partitions = partitions * (1 + fams.routed);
    unsigned members = (unsigned)(threads < all_partitions ? threads : all_partitions);
    for (int waited = 0; (atomic_load(&assigned) < all_partitions || atomic_load(&members_assigned) < members) &&
                         waited < CATCH_UP_MS && !atomic_load(stop_flag);
         waited += 50)
        usleep(50 * 1000);

    sw_config pcfg;
    sw_config_defaults(&pcfg);
    sw_kp *kp = sw_kp_new(&k, EVENTS_TOPIC, &pcfg, SW_KP_EVERY_EVENT, "demo", err, sizeof err);
    if (!kp) {
        fprintf(stderr, "sessionwatch demo: %s\n", err);
        atomic_store(stop_flag, 1);
    } else {
        sw_kp_set_rate(kp, rate);
        if (sw_kp_lines(kp, fileno(records)) != 0 || sw_kp_flush(kp) != 0) {
            fprintf(stderr, "sessionwatch demo: producing the traffic failed\n");
            rc = 1;
        }
        sw_kp_free(kp);
    }
    if (!atomic_load(stop_flag) && wait_caught_up(&k, group, &fams, stop_flag) != 0) {
        fprintf(stderr, "sessionwatch demo: the workers did not catch up within %d s\n", CATCH_UP_MS / 1000);
        rc = 1;
    }
    atomic_store(stop_flag, 1);
    pthread_join(tid, NULL);
    if (run.status != 0) rc = 1;

    /* Check the work against the ground truth. */
    static char attacked[MAX_FOUND][64];
    size_t n_attacks = read_truth(truth, attacked, MAX_FOUND), hit = 0, extra = 0;
    size_t n_found = atomic_load(&demo.n_found);
    if (n_found > MAX_FOUND) n_found = MAX_FOUND;
    for (size_t i = 0; i < n_attacks; i++)
        for (size_t j = 0; j < n_found; j++)
            if (is_seed(&demo.found[j]) && strcmp(attacked[i], demo.found[j].actor) == 0) {
                hit++;
                break;
            }
    for (size_t j = 0; j < n_found; j++) {
        size_t i = 0;
        while (i < n_attacks && strcmp(attacked[i], demo.found[j].actor) != 0) i++;
        if (i == n_attacks && is_seed(&demo.found[j]) && !in_a_case(truth, &demo.found[j])) extra++;
    }
    int64_t on_topic = topic_messages(&k, ALERTS_TOPIC, 4);
    printf("\nsessionwatch demo: %lld records, %zu alerts (%lld on topic %s), injected attacks found %zu of %zu, "
           "missed %zu; alerts on users not attacked: %zu; detection latency mean %llu ms, max %llu ms\n",
           (long long)n_records, n_found, (long long)on_topic, ALERTS_TOPIC, hit, n_attacks, n_attacks - hit,
           extra, n_found ? (unsigned long long)(atomic_load(&demo.latency_sum_ms) / n_found) : 0ULL,
           (unsigned long long)atomic_load(&demo.latency_max_ms));
    if (demo.rules) {
        printf("sessionwatch demo: per rule (the stolen-session attacks above are the seed rule's%s):\n",
               rule_of(demo.rules, SW_RULE_ID) ? "" : ", which these rules do not include");
        check_rule_cases(truth, &demo, n_found);
        check_families(&k, &demo, &fams, n_found);
    }
    if (on_topic != (int64_t)n_found) rc = 1;
out:
    free(fams.fam);
    if (records) fclose(records);
    if (truth) fclose(truth);
    sw_mockcluster_stop(m);
    return rc;
}

/* cmd_gen.c -- `sessionwatch gen`: deterministic synthetic Okta traffic to a
 * file, stdout or a Kafka topic, with the ground truth of the attacks it
 * injected.  The workload of the benchmarks and of the end-to-end tests.
 *
 * To Kafka, the generator writes into a pipe from a thread and this thread
 * reads the pipe with the same reader and keyed producer as `replay`, so
 * the topic holds exactly the records `gen --out` would write, keyed by
 * user, in bounded memory whatever --records is.
 *
 * --rules PATH (repeatable) adds a positive case and a near miss for every
 * loaded rule (rulecases.h); the loader's refusals are listed on stderr
 * and those rules skipped. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "signals.h"
#include "commands.h"
#include "gen.h"
#include "kafka.h"
#include "keyed_producer.h"
#include "rulecases.h"
#include "ruleset.h"
#include "timefmt.h"

static void usage(FILE *out) {
    fputs("Usage: sessionwatch gen [OPTIONS]\n"
          "\n"
          "Writes realistic synthetic Okta System Log records as NDJSON: users on 1-3\n"
          "devices, ~15% user.session.start, Okta system actors, failed sign-ins, and\n"
          "stolen-cookie attacks (3-5 new sessions from other countries within 20 min).\n"
          "The output is a pure function of the options: the same seed gives the same bytes.\n"
          "\n"
          "  --seed N                  random seed (default 1)\n"
          "  --users N                 human users per tenant (default 1000)\n"
          "  --tenants N               tenants, written as a top-level \"tenant\" field when > 1\n"
          "                            (default 1)\n"
          "  --hours H                 span of event time in hours (default 1)\n"
          "  --attack-rate R           fraction of users attacked, 0..1 (default 0.01)\n"
          "  --session-start-share S   fraction of records that are user.session.start (default 0.15)\n"
          "  --records N               stop after N records (default: about 40 per user per hour)\n"
          "  --start TIME              event time of the first record, RFC 3339\n"
          "                            (default 2026-01-05T08:00:00Z)\n"
          "  --format F                raw (Okta LogEvent), ecs (nested ECS) or eventbridge\n"
          "                            (default raw)\n"
          "  --out FILE                write records to FILE (default stdout)\n"
          "  --truth FILE              write one JSON line per injected attack to FILE\n"
          "  --rules PATH              a rule file or folder (repeatable): inject a positive case\n"
          "                            and a near miss for every loaded query or threshold rule,\n"
          "                            each with a truth line (rule_id, case, expected_alerts,\n"
          "                            event uuids); refused rules are listed on stderr and\n"
          "                            skipped\n"
          "  -h, --help                this help\n"
          "\n"
          "To Kafka instead of a file (as `replay` would produce the --out file):\n"
          "  --topic TOPIC             produce each record to TOPIC, keyed by user (tenant, 0x1F,\n"
          "                            actor id; the tenant is the \"tenant\" field when --tenants > 1)\n"
          "  --rate N                  produce at most about N records per second (default: as\n"
          "                            fast as the brokers take them)\n", out);
    sw_cli_kafka_help(out);
}

typedef struct {
    const sw_gen_opts *o;
    const sw_ruleset *rules;
    FILE *w, *truth;
    int64_t n;
} gen_job;

static void *gen_thread(void *arg) {
    gen_job *j = arg;
    j->n = sw_gen_run_rules(j->o, j->rules, j->w, j->truth, stderr);
    if (fclose(j->w) != 0) j->n = -1;
    return NULL;
}

/* Generates into a pipe on a thread and produces each line, keyed. */
static int gen_to_kafka(const sw_gen_opts *o, const sw_ruleset *rules, const sw_kafka_opts *k, const char *topic,
                        uint64_t rate, FILE *truth) {
    sw_config cfg;
    sw_config_defaults(&cfg);
    if (o->tenants > 1) cfg.tenant_field = "tenant";
    char err[1024];
    sw_kp *kp = sw_kp_new(k, topic, &cfg, SW_KP_EVERY_EVENT, "gen", err, sizeof err);
    if (!kp) {
        fprintf(stderr, "sessionwatch gen: %s\n", err);
        return 1;
    }
    sw_kp_set_rate(kp, rate);
    /* If producing stops early, the generator gets EPIPE, not SIGPIPE. */
    sw_signals_ignore_sigpipe();
    int fds[2] = {-1, -1}, e = 0;
    gen_job job = {.o = o, .rules = rules, .truth = truth, .n = -1};
    pthread_t th;
    if (pipe(fds) != 0 || !(job.w = fdopen(fds[1], "w"))) e = errno;
    else e = pthread_create(&th, NULL, gen_thread, &job);
    if (e) {
        fprintf(stderr, "sessionwatch gen: cannot start the generator: %s\n", strerror(e));
        if (job.w) fclose(job.w);
        else if (fds[1] >= 0) close(fds[1]);
        if (fds[0] >= 0) close(fds[0]);
        sw_kp_free(kp);
        return 1;
    }
    double t0 = sw_mono_s();
    int rc = sw_kp_lines(kp, fds[0]), status = rc != 0;
    if (rc == -1) fprintf(stderr, "sessionwatch gen: cannot read the generated records: %s\n", strerror(errno));
    close(fds[0]);
    pthread_join(th, NULL);
    if (job.n < 0 && rc == 0) {
        fprintf(stderr, "sessionwatch gen: the generator failed (out of memory, or --truth cannot be written)\n");
        status = 1;
    }
    if (job.n >= 0) fprintf(stderr, "sessionwatch gen: %lld records\n", (long long)job.n);
    return sw_kp_finish(kp, false, t0, status);
}

/* --rules PATH: the rules added to rs, refusals listed on stderr. */
static int add_rules(sw_ruleset *rs, const char *path) {
    char err[512];
    size_t before = rs->n;
    if (sw_ruleset_add(rs, path, err, sizeof err) != 0)
        return sw_cli_error("gen", "--rules %s (give a rule file, or a folder holding *.toml rule files)", err);
    for (size_t i = before; i < rs->n; i++)
        if (!rs->v[i].loaded) fprintf(stderr, "sessionwatch gen: skipping refused rule: %s\n", rs->v[i].why);
    return 0;
}

static int gen_main(int argc, char **argv, sw_ruleset *rules) {
    sw_gen_opts o;
    sw_gen_defaults(&o);
    sw_args a = {argc, argv, 1, "gen"};
    sw_kafka_opts k = {0};
    const char *out_path = NULL, *truth_path = NULL, *topic = NULL, *v;
    uint64_t rate = 0;
    while (a.i < argc) {
        const char *arg = argv[a.i];
        uint64_t u;
        int r;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if ((r = sw_arg_value(&a, "--seed", &v))) {
            if (r < 0 || sw_parse_u64(v, 0, UINT64_MAX, &o.seed))
                return r < 0 ? 2 : sw_cli_error("gen", "--seed: '%s' is not a number", v);
        } else if ((r = sw_arg_value(&a, "--users", &v))) {
            if (r < 0 || sw_parse_u64(v, 1, 1000000000, &o.users))
                return r < 0 ? 2 : sw_cli_error("gen", "--users: '%s' is not a count from 1 to 10^9", v);
        } else if ((r = sw_arg_value(&a, "--tenants", &v))) {
            if (r < 0 || sw_parse_u64(v, 1, 100000, &u))
                return r < 0 ? 2 : sw_cli_error("gen", "--tenants: '%s' is not a count from 1 to 100000", v);
            o.tenants = (uint32_t)u;
        } else if ((r = sw_arg_value(&a, "--records", &v))) {
            if (r < 0 || sw_parse_u64(v, 1, UINT64_MAX, &o.records))
                return r < 0 ? 2 : sw_cli_error("gen", "--records: '%s' is not a positive count", v);
        } else if ((r = sw_arg_value(&a, "--hours", &v))) {
            if (r < 0 || sw_parse_real(v, 0.001, 24 * 366, &o.hours))
                return r < 0 ? 2 : sw_cli_error("gen", "--hours: '%s' is not a number of hours (0.001..8784)", v);
        } else if ((r = sw_arg_value(&a, "--attack-rate", &v))) {
            if (r < 0 || sw_parse_real(v, 0, 1, &o.attack_rate))
                return r < 0 ? 2 : sw_cli_error("gen", "--attack-rate: '%s' is not a fraction from 0 to 1", v);
        } else if ((r = sw_arg_value(&a, "--session-start-share", &v))) {
            if (r < 0 || sw_parse_real(v, 0.001, 1, &o.session_start_share))
                return r < 0 ? 2 : sw_cli_error("gen", "--session-start-share: '%s' is not a fraction in (0, 1]", v);
        } else if ((r = sw_arg_value(&a, "--start", &v))) {
            if (r < 0 || sw_time_parse(v, strlen(v), &o.start_ms))
                return r < 0 ? 2 : sw_cli_error("gen", "--start: '%s' is not an RFC 3339 time (e.g. 2026-01-05T08:00:00Z)", v);
        } else if ((r = sw_arg_value(&a, "--format", &v))) {
            if (r < 0) return 2;
            if (strcmp(v, "raw") == 0) o.format = 0;
            else if (strcmp(v, "ecs") == 0) o.format = 1;
            else if (strcmp(v, "eventbridge") == 0) o.format = 2;
            else return sw_cli_error("gen", "--format: '%s' is not raw, ecs or eventbridge", v);
        } else if ((r = sw_arg_value(&a, "--out", &out_path)) || (r = sw_arg_value(&a, "--truth", &truth_path)) ||
                   (r = sw_cli_topic_option(&a, "--topic", &topic)) || (r = sw_cli_kafka_option(&k, &a))) {
            if (r < 0) return 2;
        } else if ((r = sw_arg_value(&a, "--rules", &v))) {
            if (r < 0 || add_rules(rules, v)) return 2;
        } else if ((r = sw_arg_value(&a, "--rate", &v))) {
            if (r < 0 || sw_parse_u64(v, 1, 1000000000, &rate))
                return r < 0 ? 2 : sw_cli_error("gen", "--rate: '%s' is not a count of records per second (1 to 10^9)", v);
        } else {
            return sw_cli_error("gen", "unknown option '%s'", arg);
        }
    }
    if (!topic && (k.brokers || k.n_props || rate))
        return sw_cli_error("gen", "--brokers, -X and --rate need --topic (the topic to produce to)");
    if (topic && out_path) return sw_cli_error("gen", "--out and --topic exclude each other: write a file or produce");
    FILE *out = stdout, *truth = NULL;
    if (out_path && strcmp(out_path, "-") != 0 && !(out = fopen(out_path, "w"))) {
        fprintf(stderr, "sessionwatch gen: cannot write --out %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    if (truth_path && !(truth = fopen(truth_path, "w"))) {
        fprintf(stderr, "sessionwatch gen: cannot write --truth %s: %s\n", truth_path, strerror(errno));
        if (out != stdout) fclose(out);
        return 1;
    }
    if (topic) {
        int status = gen_to_kafka(&o, rules, &k, topic, rate, truth);
        if (truth && fclose(truth) != 0) {
            fprintf(stderr, "sessionwatch gen: cannot write --truth %s: %s\n", truth_path, strerror(errno));
            status = 1;
        }
        return status;
    }
    int64_t n = sw_gen_run_rules(&o, rules, out, truth, stderr);
    int failed = n < 0;
    if (fflush(out) != 0 || (out != stdout && fclose(out) != 0)) failed = 1;
    if (truth && fclose(truth) != 0) failed = 1;
    if (failed) {
        fprintf(stderr, "sessionwatch gen: write failed: %s\n", strerror(errno));
        return 1;
    }
    fprintf(stderr, "sessionwatch gen: %lld records\n", (long long)n);
    return 0;
}

int sw_cmd_gen(int argc, char **argv) {
    sw_ruleset rules = {0};
    int rc = gen_main(argc, argv, &rules);
    sw_ruleset_free(&rules);
    return rc;
}

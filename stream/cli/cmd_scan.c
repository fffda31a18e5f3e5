/* cmd_scan.c -- `sessionwatch scan`: the detector over NDJSON files or
 * stdin, alerts to stdout, a summary to stderr.  The offline twin of `run`:
 * same engine, same alerts, same ids.
 *
 * One engine by default: lateness and the alert cap are judged per tenant.
 * `run` has one engine per Kafka partition, so there they are judged per
 * (tenant, partition).  --partitions N emulates that exactly: each event is
 * keyed as replay keys it (tenant 0x1F actor, kafka.h), placed with
 * librdkafka's murmur2 partitioner, and fed on its own (an array record is
 * split, as replay splits it) to the engine of its partition, so that scan
 * --partitions N gives the alerts of run over an N-partition topic that
 * replay wrote from the same files.
 *
 * Files out of order: a file most of whose eligible events were too late
 * (read after a later file) gets one warning that says what to do.
 *
 * --rules PATH runs the loaded rules (rengine.h) instead of the built-in
 * seed rule, behind the rules' own prefilter (ruleindex.h), in one engine
 * (no --partitions); the summary adds one line per rule.  Without --rules,
 * scan is the seed engine, unchanged.  The rule's settings are flags only
 * (no environment, no --config file), kept with their origins
 * (sw_settings_take): with --rules, a flag of the seed rule alone is
 * refused and --max-alerts replaces the rules' max_signals only when
 * given (cli_rules.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_rules.h"
#include "clock.h"
#include "commands.h"
#include "engine.h"
#include "extract.h"
#include "kafka.h"
#include "lines.h"
#include "prefilter.h"
#include "rengine.h"
#include "summary.h"

#define MAX_PARTITIONS 1024

static void usage(FILE *out) {
    fputs("Usage: sessionwatch scan [OPTIONS] [FILE...]\n"
          "\n"
          "Runs the stolen-session rule over NDJSON Okta System Log records (raw LogEvents,\n"
          "ECS documents, EventBridge envelopes or JSON arrays of them, one per line) read\n"
          "from FILEs in order, or stdin when none is given or FILE is '-'.  Writes one\n"
          "alert JSON object per line to stdout and a summary to stderr.\n"
          "\n"
          "Output:\n"
          "  --rejects FILE            write each rejected record as a JSON line\n"
          "                            {\"reason\",\"source\",\"record\"} (a dead-letter file); FILE\n"
          "                            (like stdout) must not be one of the inputs (exit 2)\n"
          "  --summary text|json       summary format on stderr (default text)\n"
          "  --state memory            where window state lives: scan keeps it in memory (the only\n"
          "                            choice here; run takes --state redis://..)\n"
          "  --partitions N            judge lateness and the alert cap per (tenant, partition) of an\n"
          "                            N-partition topic keyed by user, exactly as run does over a\n"
          "                            topic that replay wrote (default 1: per tenant; 1..1024)\n"
          "  -h, --help                this help\n"
          "\n", out);
    sw_cli_rule_help(out, false);
    fputc('\n', out);
    sw_cli_rules_help(out);
    fputs("\nExit status: 0 when every input was read and every alert written (rejected\n"
          "records do not change it), 1 when an input cannot be opened or read or the\n"
          "output cannot be written, 2 on a usage error.\n", out);
}

typedef struct {
    FILE *rejects;
    sw_buf line;
    int write_error;
} scan_ctx;

static void on_alert(void *ud, const sw_alert_out *a) {
    scan_ctx *s = ud;
    if (fwrite(a->json, 1, a->json_len, stdout) != a->json_len || putchar('\n') == EOF)
        s->write_error = 1;
}

static void on_reject(void *ud, sw_verdict why, const char *rec, size_t len, const sw_source *src) {
    scan_ctx *s = ud;
    if (!s->rejects) return;
    sw_buf *b = &s->line;
    sw_buf_reset(b);
    sw_buf_puts(b, "{\"reason\":\"");
    sw_buf_puts(b, sw_verdict_name(why));
    sw_buf_puts(b, "\",\"source\":");
    sw_source_write(b, src);
    sw_buf_puts(b, ",\"record\":");
    sw_json_str(b, rec, len);
    sw_buf_puts(b, "}\n");
    if (b->oom || fwrite(b->p, 1, b->len, s->rejects) != b->len) s->write_error = 1;
}

/* The engines of a scan: one, or one per emulated partition. */
typedef struct {
    sw_engine **e;
    uint32_t n;
    sw_parser *split; /* --partitions: extracts each record to route its events */
    sw_event *events;
    sw_buf key;
    const sw_config *cfg;
    sw_user_budget users, tenants; /* shared by the engines, as in run */
    sw_rengine *rules; /* --rules: the one engine (e holds none) */
} engines;

static int engines_init(engines *g, const sw_config *cfg, uint32_t n, scan_ctx *ctx) {
    memset(g, 0, sizeof *g);
    g->cfg = cfg;
    g->users.max = cfg->max_tracked_users;
    g->tenants.max = cfg->max_tenants;
    if (!(g->e = calloc(n, sizeof *g->e))) return -1;
    for (g->n = 0; g->n < n; g->n++)
        if (!(g->e[g->n] = sw_engine_new_budgets(cfg, cfg->max_tracked_users ? &g->users : NULL,
                                                 cfg->max_tenants ? &g->tenants : NULL, on_alert, on_reject, ctx)))
            return -1;
    if (n > 1 && (!(g->split = sw_parser_new(cfg->max_record_bytes)) ||
                  !(g->events = calloc(SW_MAX_EVENTS_PER_RECORD, sizeof *g->events))))
        return -1;
    return 0;
}

static int engines_init_rules(engines *g, const sw_config *cfg, const sw_cli_rules *r, int64_t max_alerts,
                              scan_ctx *ctx) {
    memset(g, 0, sizeof *g);
    g->cfg = cfg;
    g->rules = sw_rengine_new(cfg, r->specs, r->n, max_alerts, on_alert, on_reject, ctx);
    return g->rules ? 0 : -1;
}

static void engines_free(engines *g) {
    sw_rengine_free(g->rules);
    for (uint32_t i = 0; i < g->n; i++) sw_engine_free(g->e[i]);
    free(g->e);
    sw_parser_free(g->split);
    free(g->events);
    sw_buf_free(&g->key);
}

/* The partition of an event's user key, as replay's producer places it;
 * -1 when the event has no key (replay produces it unkeyed). */
static int32_t event_partition(engines *g, const sw_event *ev) {
    const char *tenant;
    size_t tn;
    const sw_value *actor = &ev->f[SW_F_ACTOR_ID];
    if (sw_rule_tenant(g->cfg, ev, &tenant, &tn) != SW_ELIGIBLE || actor->type != SW_STRING || actor->n == 0)
        return -1;
    sw_buf_reset(&g->key);
    sw_user_key(&g->key, tenant, tn, actor->p, actor->n);
    if (g->key.oom) return -1;
    return rd_kafka_msg_partitioner_murmur2(NULL, g->key.p, g->key.len, (int32_t)g->n, NULL, NULL);
}

/* One record: to the one engine, or each of its events to its partition's. */
static void engines_feed(engines *g, sw_parser *p, const char *rec, size_t len, size_t cap, const sw_source *src) {
    const sw_config *cfg = g->cfg;
    size_t n = 0;
    if (g->rules) {
        sw_rengine_feed(g->rules, p, rec, len, cap, src);
        return;
    }
    if (g->n == 1 || len > cfg->max_record_bytes || (cfg->prefilter && !sw_prefilter_may_match(rec, len)) ||
        sw_parser_extract(g->split, rec, len, cap, cfg->tenant_field, g->events, SW_MAX_EVENTS_PER_RECORD, &n) !=
            SW_X_OK) {
        /* Not split: it cannot be eligible, or is rejected whole. */
        sw_engine_feed(g->e[0], p, rec, len, cap, src);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const sw_event *ev = &g->events[i];
        int32_t part = event_partition(g, ev);
        sw_engine_feed(g->e[part < 0 ? 0 : part], p, ev->raw, ev->raw_len, ev->raw_len, src);
    }
}

/* The sum of the engines' counters. */
static sw_counters engines_counters(const engines *g) {
    sw_counters c = {0};
    if (g->rules) sw_counters_add(&c, sw_rengine_counters(g->rules));
    for (uint32_t i = 0; i < g->n; i++) sw_counters_add(&c, sw_engine_counters(g->e[i]));
    return c;
}

/* Warns once for a file most of whose eligible events were too late: the
 * usual cause is files given out of time order. */
static void warn_if_mostly_late(const char *name, const sw_counters *before, const sw_counters *after) {
    uint64_t late = after->verdict[SW_R_TOO_LATE] - before->verdict[SW_R_TOO_LATE];
    uint64_t in_time = after->eligible - before->eligible;
    if (late == 0 || late <= in_time) return;
    fprintf(stderr,
            "sessionwatch scan: warning: %s: %llu of its %llu eligible events were too_late (older than their "
            "tenant's watermark minus --window and --allowed-lateness, set by earlier input); pass files in time "
            "order (e.g. 'ls | sort -V') or raise --allowed-lateness\n",
            name, (unsigned long long)late, (unsigned long long)(late + in_time));
}

static int scan_fd(engines *g, sw_parser *p, int fd, const char *name, const sw_config *cfg, uint64_t *bytes) {
    sw_lines r;
    if (sw_lines_open(&r, fd, cfg->max_record_bytes) != 0) {
        fprintf(stderr, "sessionwatch scan: out of memory for a %zu-byte record buffer\n", cfg->max_record_bytes);
        return -1;
    }
    sw_counters before = engines_counters(g);
    sw_line l;
    int rc;
    sw_source src = {.file = name, .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
    while ((rc = sw_lines_next(&r, &l)) > 0) {
        src.line = l.lineno;
        if (l.oversize && g->rules) sw_rengine_reject_oversize(g->rules, l.p, l.len, &src);
        else if (l.oversize) sw_engine_reject_oversize(g->e[0], l.p, l.len, &src);
        else engines_feed(g, p, l.p, l.len, l.cap, &src);
    }
    if (rc < 0) fprintf(stderr, "sessionwatch scan: cannot read %s: %s\n", name, strerror(errno));
    sw_counters after = engines_counters(g);
    warn_if_mostly_late(name, &before, &after);
    *bytes += r.bytes_read;
    sw_lines_close(&r);
    return rc;
}

/* The rule's settings, from flags only (scan reads no environment and no
 * --config file): their origins say which were given (--max-alerts, and
 * the seed rule's own with --rules). */
static const sw_setting_group SCAN_RULE_GROUPS[] = {SW_CLI_RULE_GROUPS(0, sw_cli_time_rows_file, 1)};
static const sw_command_settings SCAN_RULE_SETTINGS = {
    .cmd = "scan", .groups = SCAN_RULE_GROUPS, .ngroups = SW_CLI_RULE_NGROUPS,
};

static int scan_main(int argc, char **argv, sw_cli_rules *rp, sw_settings *st, sw_config *cfg) {
    sw_args a = {argc, argv, 1, "scan"};
    const char *rejects_path = NULL, *summary = "text", *state = "memory", *partitions_s = "1";
    int nfiles = 0;
    char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) return 1;
    while (a.i < argc) {
        const char *arg = argv[a.i];
        int r;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            free(files);
            return 0;
        }
        if ((r = sw_cli_rules_option(rp, &a)) != 0 || (r = sw_settings_take(st, argc, argv, &a.i)) != 0 ||
            (r = sw_arg_value(&a, "--rejects", &rejects_path)) != 0 ||
            (r = sw_arg_value(&a, "--summary", &summary)) != 0 ||
            (r = sw_arg_value(&a, "--state", &state)) != 0 ||
            (r = sw_arg_value(&a, "--partitions", &partitions_s)) != 0) {
            if (r < 0) {
                free(files);
                return 2;
            }
            continue;
        }
        if (arg[0] == '-' && arg[1] != '\0') {
            free(files);
            return sw_cli_error("scan", "unknown option '%s'", arg);
        }
        files[nfiles++] = argv[a.i++];
    }
    int bad_rule = sw_cli_rule_check("scan", cfg);
    if (!bad_rule && rp->given) bad_rule = sw_cli_rules_refuse_seed_flags(rp, st, "scan");
    if (bad_rule) {
        free(files);
        return bad_rule;
    }
    if (strcmp(summary, "text") != 0 && strcmp(summary, "json") != 0) {
        free(files);
        return sw_cli_error("scan", "--summary: '%s' is not text or json", summary);
    }
    if (strcmp(state, "memory") != 0) {
        free(files);
        return sw_cli_error("scan", "--state: scan keeps its state in memory (one process reads the files); "
                                    "Redis state is for 'sessionwatch run --state redis://..'");
    }
    uint64_t partitions;
    if (sw_parse_u64(partitions_s, 1, MAX_PARTITIONS, &partitions)) {
        free(files);
        return sw_cli_error("scan", "--partitions: '%s' is not a count from 1 to %d", partitions_s, MAX_PARTITIONS);
    }
    if (rp->given && partitions > 1) {
        free(files);
        return sw_cli_error("scan", "--partitions: not with --rules yet (the rules run in one engine)");
    }
    int rules_rc = rp->given ? sw_cli_rules_ready(rp, "scan") : 0;
    if (rules_rc) {
        free(files);
        return rules_rc;
    }
    if (nfiles == 0) files[nfiles++] = "-";
    /* Before --rejects is opened (and so truncated): no output may be an input. */
    int same = (rejects_path ? sw_cli_output_not_input("scan", "--rejects", rejects_path, files, nfiles) : 0);
    if (!same) same = sw_cli_output_not_input("scan", "stdout", NULL, files, nfiles);
    if (same) {
        free(files);
        return same;
    }

    scan_ctx ctx = {0};
    if (rejects_path && !(ctx.rejects = fopen(rejects_path, "w"))) {
        fprintf(stderr, "sessionwatch scan: cannot write --rejects %s: %s\n", rejects_path, strerror(errno));
        free(files);
        return 1;
    }
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

    sw_parser *p = sw_parser_new(cfg->max_record_bytes);
    engines g;
    if (!p || (rp->given ? engines_init_rules(&g, cfg, rp, sw_cli_rules_max_alerts(st, cfg), &ctx)
                           : engines_init(&g, cfg, (uint32_t)partitions, &ctx)) != 0) {
        fprintf(stderr, "sessionwatch scan: out of memory\n");
        if (p) engines_free(&g);
        sw_parser_free(p);
        free(files);
        return 1;
    }
    double t0 = sw_mono_s();
    int status = 0;
    uint64_t bytes = 0;
    for (int i = 0; i < nfiles; i++) {
        int fd = sw_cli_open_input("scan", files[i]);
        if (fd < 0) {
            status = 1;
            continue;
        }
        if (scan_fd(&g, p, fd, files[i], cfg, &bytes) < 0) status = 1;
        sw_cli_close_input(files[i], fd);
    }
    double t1 = sw_mono_s();
    if (fflush(stdout) != 0 || ctx.write_error) {
        fprintf(stderr, "sessionwatch scan: cannot write alerts: %s\n", strerror(errno));
        status = 1;
    }
    if (ctx.rejects && fclose(ctx.rejects) != 0) status = 1;

    sw_counters total = engines_counters(&g);
    sw_summary s = {
        .c = &total, .bytes = bytes,
        .elapsed_s = t1 - t0,
    };
    uint64_t refused = 0;
    for (uint32_t i = 0; i < g.n; i++) {
        sw_store *st = sw_engine_store(g.e[i]);
        s.tracked_users += sw_store_users(st);
        s.evicted += st->evicted;
        refused += st->tenants_refused;
    }
    if (refused)
        fprintf(stderr, "sessionwatch scan: warning: %llu events of tenants beyond --max-tenants %llu were rejected "
                        "as too_many_tenants; raise --max-tenants (0 = no limit) if the input has that many tenants\n",
                (unsigned long long)total.verdict[SW_R_TOO_MANY_TENANTS], (unsigned long long)cfg->max_tenants);
    if (g.rules) {
        s.tracked_users = sw_rengine_keys(g.rules);
        s.evicted = sw_rengine_evicted(g.rules);
    }
    sw_summary_print(stderr, "scan", strcmp(summary, "json") == 0, &s);
    if (g.rules) sw_cli_rules_summary(stderr, rp, g.rules, strcmp(summary, "json") == 0);

    sw_buf_free(&ctx.line);
    engines_free(&g);
    sw_parser_free(p);
    free(files);
    return status;
}

/* The rules (--rules) and the settings live across scan_main's every
 * return. */
int sw_cmd_scan(int argc, char **argv) {
    sw_cli_rules rules = {0};
    sw_config cfg;
    sw_config_defaults(&cfg);
    sw_settings *st = sw_settings_new(&SCAN_RULE_SETTINGS, &cfg);
    if (!st) {
        fprintf(stderr, "sessionwatch scan: out of memory\n");
        return 1;
    }
    int rc = scan_main(argc, argv, &rules, st, &cfg);
    sw_cli_rules_free(&rules);
    sw_settings_free(st);
    return rc;
}

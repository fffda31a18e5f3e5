/* cmd_scan.c -- `sessionwatch scan`: the detector over NDJSON files or
 * stdin, alerts to stdout, a summary to stderr.  The offline twin of `run`:
 * same engine, same alerts, same ids. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "engine.h"
#include "extract.h"
#include "lines.h"
#include "summary.h"

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
          "  -h, --help                this help\n"
          "\n", out);
    sw_cli_rule_help(out, false);
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

static int scan_fd(sw_engine *e, sw_parser *p, int fd, const char *name, const sw_config *cfg,
                   uint64_t *bytes) {
    sw_lines r;
    if (sw_lines_open(&r, fd, cfg->max_record_bytes) != 0) {
        fprintf(stderr, "sessionwatch scan: out of memory for a %zu-byte record buffer\n", cfg->max_record_bytes);
        return -1;
    }
    sw_line l;
    int rc;
    sw_source src = {.file = name, .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
    while ((rc = sw_lines_next(&r, &l)) > 0) {
        src.line = l.lineno;
        if (l.oversize) sw_engine_reject_oversize(e, l.p, l.len, &src);
        else sw_engine_feed(e, p, l.p, l.len, l.cap, &src);
    }
    if (rc < 0) fprintf(stderr, "sessionwatch scan: cannot read %s: %s\n", name, strerror(errno));
    *bytes += r.bytes_read;
    sw_lines_close(&r);
    return rc;
}

int sw_cmd_scan(int argc, char **argv) {
    sw_config cfg;
    sw_config_defaults(&cfg);
    sw_args a = {argc, argv, 1, "scan"};
    const char *rejects_path = NULL, *summary = "text", *state = "memory";
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
        if ((r = sw_cli_rule_option(&cfg, &a, false)) != 0 ||
            (r = sw_arg_value(&a, "--rejects", &rejects_path)) != 0 ||
            (r = sw_arg_value(&a, "--summary", &summary)) != 0 ||
            (r = sw_arg_value(&a, "--state", &state)) != 0) {
            if (r < 0) { free(files); return 2; }
            continue;
        }
        if (arg[0] == '-' && arg[1] != '\0') {
            free(files);
            return sw_cli_error("scan", "unknown option '%s'", arg);
        }
        files[nfiles++] = argv[a.i++];
    }
    int bad_rule = sw_cli_rule_check("scan", &cfg);
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

    sw_parser *p = sw_parser_new(cfg.max_record_bytes);
    sw_engine *e = p ? sw_engine_new(&cfg, on_alert, on_reject, &ctx) : NULL;
    if (!e) {
        fprintf(stderr, "sessionwatch scan: out of memory\n");
        sw_parser_free(p);
        free(files);
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int status = 0;
    uint64_t bytes = 0;
    for (int i = 0; i < nfiles; i++) {
        int is_stdin = strcmp(files[i], "-") == 0;
        int fd = is_stdin ? 0 : open(files[i], O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "sessionwatch scan: cannot open %s: %s\n", files[i], strerror(errno));
            status = 1;
            continue;
        }
        if (scan_fd(e, p, fd, files[i], &cfg, &bytes) < 0) status = 1;
        if (!is_stdin) close(fd);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (fflush(stdout) != 0 || ctx.write_error) {
        fprintf(stderr, "sessionwatch scan: cannot write alerts: %s\n", strerror(errno));
        status = 1;
    }
    if (ctx.rejects && fclose(ctx.rejects) != 0) status = 1;

    sw_store *st = sw_engine_store(e);
    sw_summary s = {
        .c = sw_engine_counters(e), .bytes = bytes,
        .elapsed_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
        .tracked_users = sw_store_users(st), .evicted = st->evicted,
    };
    sw_summary_print(stderr, "scan", strcmp(summary, "json") == 0, &s);

    sw_buf_free(&ctx.line);
    sw_engine_free(e);
    sw_parser_free(p);
    free(files);
    return status;
}

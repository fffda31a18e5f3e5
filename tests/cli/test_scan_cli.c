/* test_scan_cli.c -- pins `sessionwatch scan` as a black box (tu_run):
 * the documented flags and usage errors (exit 2, naming the flag), alerts
 * on stdout one per line, the --summary json line on stderr, the --rejects
 * dead-letter file, exit 1 for an unreadable input, oversize lines, the
 * input conventions (CRLF, BOM, blank lines, no final newline), files vs
 * stdin, --time-field event.ingested, and the lead's stolen-session sample. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "tu_cli.h"
#include "tu_records.h"


/* A raw Okta LogEvent session start at time (RFC 3339), one NDJSON line
 * with its newline (support/tu_records.h). */
static size_t rec_at(char *out, size_t cap, const char *actor, const char *sid, const char *time) {
    return tu_session_start(out, cap, actor, sid, time);
}

/* The same on 2026-01-05 at hms. */
static size_t rec(char *out, size_t cap, const char *actor, const char *sid, const char *hms) {
    char time[64];
    snprintf(time, sizeof time, "2026-01-05T%s.000Z", hms);
    return rec_at(out, cap, actor, sid, time);
}

/* One user's three session starts: <prefix>1 .. <prefix>3 at the three
 * times of 2026-01-05. */
static size_t three_of(char *out, size_t cap, const char *actor, const char *prefix, const char *const hms[3]) {
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        char sid[16];
        snprintf(sid, sizeof sid, "%s%d", prefix, i + 1);
        n += rec(out + n, cap - n, actor, sid, hms[i]);
    }
    return n;
}

/* Three sessions of 00u1 (08:00, 08:01, 08:02): exactly one alert. */
static size_t three_sessions(char *out, size_t cap) {
    return three_of(out, cap, "00u1", "s", (const char *const[]){"08:00:00", "08:01:00", "08:02:00"});
}

static size_t count_lines(const char *s) { return tu_count(s, "\n"); }

static int starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static tu_result run(const char *const *argv, const char *in, size_t len) {
    return tu_run(argv, in, len);
}

/* What a scan that exits 0 must show: its alerts (whole lines on stdout;
 * ANY: not counted) and strings stdout and stderr hold. */
#define ANY SIZE_MAX
typedef struct {
    size_t alerts;
    const char *out[5], *err[5]; /* up to the first NULL */
} scan_want;

static void expect_scan(const char *const *argv, const char *in, size_t len, scan_want want) {
    tu_result r = run(argv, in, len);
    if (r.status != 0) fail_msg("%s exited %d: %s", argv[1] ? argv[1] : "scan", r.status, r.err);
    if (want.alerts != ANY) {
        assert_int_equal(count_lines(r.out), want.alerts);
        assert_true(r.out_len == 0 || r.out[r.out_len - 1] == '\n');
    }
    for (size_t i = 0; i < 5 && want.out[i]; i++) assert_contains(r.out, want.out[i]);
    for (size_t i = 0; i < 5 && want.err[i]; i++) assert_contains(r.err, want.err[i]);
    tu_result_free(&r);
}

static const char *const ZERO_REJECTS =
    "\"rejected\":{\"malformed_json\":0,\"too_large\":0,\"wrong_type\":0,\"duplicate_key\":0,"
    "\"bad_time\":0,\"too_late\":0,\"too_early\":0,\"too_many_tenants\":0}";

static void test_help_documents_every_flag(void **state) {
    (void)state;
    static const char *const flags[] = {
        "--window", "--min-sessions", "--allowed-lateness", "--max-alerts", "--time-field",
        "--tenant-field", "--tenant", "--exclude-prefix", "--exclude-case-insensitive",
        "--require-success", "--exclude-unknown-actor", "--max-record-bytes", "--no-prefilter",
        "--rejects", "--summary", "--max-tenants", "--partitions",
        "--tenant NAME", /* "--tenant " on its own, not only as the prefix of --tenant-field */
    };
    for (int form = 0; form < 2; form++) {
        const char *argv[] = {"scan", form ? "-h" : "--help", NULL};
        tu_expect_help(argv, "Usage: sessionwatch scan", flags, sizeof flags / sizeof flags[0]);
    }
}

static void expect_usage_error(const char *const *argv, const char *n1, const char *n2) {
    tu_expect_usage_error(argv, n1, n2);
}

static void test_usage_errors(void **state) {
    (void)state;
    expect_usage_error((const char *[]){"scan", "--bogus", NULL}, "--bogus", NULL);
    expect_usage_error((const char *[]){"scan", "--window", "35x", NULL}, "--window", "35x");
    expect_usage_error((const char *[]){"scan", "--window=0s", NULL}, "--window", NULL);
    expect_usage_error((const char *[]){"scan", "--window", NULL}, "--window", NULL);
    expect_usage_error((const char *[]){"scan", "--min-sessions", "0", NULL}, "--min-sessions", NULL);
    expect_usage_error((const char *[]){"scan", "--max-alerts", "-1", NULL}, "--max-alerts", NULL);
    expect_usage_error((const char *[]){"scan", "--time-field", "published", NULL}, "--time-field", NULL);
    expect_usage_error((const char *[]){"scan", "--max-record-bytes", "10", NULL}, "--max-record-bytes", NULL);
    expect_usage_error((const char *[]){"scan", "--summary", "xml", NULL}, "--summary", "xml");
    expect_usage_error((const char *[]){"scan", "--exclude-prefix", "", NULL}, "--exclude-prefix", NULL);
    /* Upper limits: the errors say them. */
    expect_usage_error((const char *[]){"scan", "--window", "8d", NULL}, "--window", "at most 7d");
    expect_usage_error((const char *[]){"scan", "--allowed-lateness", "169h", NULL}, "--allowed-lateness", "at most 7d");
    expect_usage_error((const char *[]){"scan", "--partitions", "0", NULL}, "--partitions", NULL);
    expect_usage_error((const char *[]){"scan", "--max-tenants", "x", NULL}, "--max-tenants", NULL);
    /* The clock bound is run's: scan has no clock. */
    expect_usage_error((const char *[]){"scan", "--max-clock-skew", "5m", NULL}, "--max-clock-skew", NULL);
    /* The fixed tenant used to win silently over the field. */
    expect_usage_error((const char *[]){"scan", "--tenant", "a", "--tenant-field", "org.id", NULL}, "--tenant-field",
                       "exclude each other");
}

/* Background traffic: SW_WM_ACTORS + 1 actors of the default tenant, one
 * session each, from 07:40 to 08:40 every 10 minutes: the tenant's
 * watermark follows it. */
static size_t background(char *out, size_t cap) {
    size_t n = 0;
    for (int m = 40; m <= 100; m += 10)
        for (int a = 0; a < 5; a++) {
            char actor[16], hms[16];
            snprintf(actor, sizeof actor, "00uB%d", a);
            snprintf(hms, sizeof hms, "%02d:%02d:%02d", 7 + m / 60, m % 60, a);
            n += rec(out + n, cap - n, actor, "bg", hms);
        }
    return n;
}

/* The attack: 00uV's three sessions at 08:30, 08:35, 08:40. */
static size_t attack(char *out, size_t cap) {
    return three_of(out, cap, "00uV", "v", (const char *const[]){"08:30:00", "08:35:00", "08:40:00"});
}

/* Issue 11.1: one record dated 9999-12-31 (or one hour ahead) from another
 * actor of the tenant must not blind it: the attack after it is found,
 * with the alert id it has without the forged record. */
static void test_future_record_does_not_blind(void **state) {
    (void)state;
    static char in[65536];
    size_t n = background(in, sizeof in);
    size_t head = n;
    n += attack(in + n, sizeof in - n);
    const char *argv[] = {"scan", "--summary", "json", NULL};
    tu_result clean = run(argv, in, n);
    assert_int_equal(count_lines(clean.out), 1);
    char *want = tu_first_alert_id(clean.out);

    const char *forged[] = {"9999-12-31T23:59:59.999Z", "2026-01-05T09:40:00.000Z"}; /* +1 h */
    for (int f = 0; f < 2; f++) {
        static char in2[65536];
        memcpy(in2, in, head);
        size_t m = head;
        /* A handful of forged records, from SW_WM_ACTORS - 1 = 3 actors. */
        for (int a = 0; a < 3; a++) {
            char actor[16];
            snprintf(actor, sizeof actor, "00uF%d", a);
            m += rec_at(in2 + m, sizeof in2 - m, actor, "f", forged[f]);
        }
        memcpy(in2 + m, in + head, n - head);
        m += n - head;
        tu_result r = run(argv, in2, m);
        assert_int_equal(r.status, 0);
        if (count_lines(r.out) != 1) fail_msg("forged %s: %zu alerts, want 1\n%s", forged[f], count_lines(r.out), r.err);
        char *got = tu_first_alert_id(r.out);
        assert_string_equal(got, want);
        assert_contains(r.err, "\"too_late\":0,");
        free(got);
        tu_result_free(&r);
    }
    free(want);
    tu_result_free(&clean);
}

/* Issue 11.2: files given out of time order get one warning each, naming
 * the file and saying what to do; files in order get none. */
static void test_files_out_of_order_warn(void **state) {
    (void)state;
    static char day1[65536], day2[8192];
    size_t n1 = background(day1, sizeof day1);
    size_t n2 = 0;
    for (int a = 0; a < 5; a++) {
        char actor[16];
        snprintf(actor, sizeof actor, "00uB%d", a);
        n2 += rec_at(day2 + n2, sizeof day2 - n2, actor, "d2", "2026-01-06T08:00:00.000Z");
    }
    char f1[256], f2[256];
    snprintf(f1, sizeof f1, "%s", tu_write_temp(day1, n1));
    snprintf(f2, sizeof f2, "%s", tu_write_temp(day2, n2));
    const char *wrong[] = {"scan", f2, f1, NULL};
    tu_result r = run(wrong, NULL, 0);
    assert_int_equal(r.status, 0);
    char want[512];
    snprintf(want, sizeof want, "warning: %s: 35 of its 35 eligible events were too_late", f1);
    assert_contains(r.err, want);
    assert_contains(r.err, "pass files in time order (e.g. 'ls | sort -V') or raise --allowed-lateness");
    assert_int_equal(tu_count(r.err, "warning:"), 1);
    tu_result_free(&r);
    const char *right[] = {"scan", f1, f2, NULL};
    r = run(right, NULL, 0);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.err, "warning"));
    tu_result_free(&r);
    unlink(f1);
    unlink(f2);
}

/* Issue 11.8: the largest lateness on a 3-line file allocates nothing
 * that grows with it, and tenants are bounded by --max-tenants. */
static void test_tenants_bounded(void **state) {
    (void)state;
    char in[4096];
    size_t n = three_sessions(in, sizeof in);
    const char *wide[] = {"scan", "--window", "7d", "--allowed-lateness", "7d", "--summary", "json", NULL};
    expect_scan(wide, in, n, (scan_want){.alerts = 1});

    /* Three tenants, a budget of two: the third's events are rejected. */
    static char many[8192];
    size_t m = 0;
    for (int t = 0; t < 3; t++) {
        char line[1024];
        size_t k = rec(line, sizeof line, "00u1", "s1", "08:00:00");
        char tenant[32];
        snprintf(tenant, sizeof tenant, "{\"tenant\":\"t%d\",", t);
        memcpy(many + m, tenant, strlen(tenant));
        memcpy(many + m + strlen(tenant), line + 1, k - 1);
        m += strlen(tenant) + k - 1;
    }
    const char *capped[] = {"scan", "--tenant-field", "tenant", "--max-tenants", "2", "--summary", "json", NULL};
    expect_scan(capped, many, m,
                (scan_want){.alerts = ANY, .err = {"\"eligible\":2,", "\"too_many_tenants\":1}", "beyond --max-tenants 2"}});
}

/* 3 sessions on stdin: one alert line; the JSON summary is one line on stderr. */
static void test_stdin_alert_and_summary(void **state) {
    (void)state;
    char in[4096];
    size_t n = three_sessions(in, sizeof in);
    const char *argv[] = {"scan", "--summary", "json", NULL};
    tu_result r = run(argv, in, n);
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 1);
    assert_true(starts_with(r.out, "{\"alert_id\":\""));
    assert_contains(r.out, "\"@timestamp\":\"2026-01-05T08:02:00.000Z\"");
    assert_contains(r.out, "\"source\":{\"file\":\"-\",\"line\":3}");
    assert_contains(r.out, "\"value\":3}]}");
    assert_int_equal(count_lines(r.err), 1);
    assert_true(r.err[0] == '{' && r.err_len > 2 && r.err[r.err_len - 2] == '}');
    assert_contains(r.err, "\"records\":3,\"events\":3,\"prefiltered\":0,\"eligible\":3,\"covered\":0,"
                           "\"alerts\":1,\"alerts_capped\":0,\"nomem\":0,\"tracked_users\":1,\"evicted\":0,");
    assert_contains(r.err, ZERO_REJECTS);
    tu_result_free(&r);

    /* The text summary (the default) says the same. */
    const char *argv2[] = {"scan", NULL};
    expect_scan(argv2, in, n, (scan_want){.alerts = 1, .err = {"3 records", "1 alerts"}});

    /* A file argument gives the same alert, naming the file. */
    const char *path = tu_write_temp(in, n);
    assert_non_null(path);
    char want[256];
    snprintf(want, sizeof want, "\"source\":{\"file\":\"%s\",\"line\":3}", path);
    const char *argv3[] = {"scan", path, NULL};
    expect_scan(argv3, NULL, 0, (scan_want){.alerts = 1, .out = {want}});
    unlink(path);
}

/* --rejects writes one JSON line per rejected record; the scan still exits 0. */
static void test_rejects_file(void **state) {
    (void)state;
    size_t cap = 16384, n = 0;
    char *in = malloc(cap);
    assert_non_null(in);
    n += rec(in + n, cap - n, "00u1", "s1", "08:00:00");                           /* line 1 */
    const char *bad_json = "{\"eventType\":\"user.session.start\",\"actor\":\n"; /* line 2 */
    memcpy(in + n, bad_json, strlen(bad_json));
    n += strlen(bad_json);
    size_t m = rec(in + n, cap - n, "00u2", "s1", "08:00:00");                     /* line 3 */
    char *p = strstr(in + n, "2026-01-05T08:00:00.000Z");
    assert_non_null(p);
    memcpy(p, "2026-01-05T25:00:00.000Z", 24);                                     /* bad_time */
    n += m;
    memcpy(in + n, "{\"eventType\":\"user.session.start\",\"pad\":\"", 42);         /* line 4 */
    n += 42;
    memset(in + n, 'x', 2000);
    n += 2000;
    memcpy(in + n, "\"}\n", 3);
    n += 3;
    n += rec(in + n, cap - n, "00u1", "s2", "08:01:00");                           /* line 5 */
    n += rec(in + n, cap - n, "00u1", "s3", "08:02:00");                           /* line 6 */

    const char *path = tu_write_temp("", 0);
    assert_non_null(path);
    char rej[64];
    snprintf(rej, sizeof rej, "%s", path);
    const char *argv[] = {"scan", "--max-record-bytes", "1k", "--rejects", rej, "--summary", "json", NULL};
    expect_scan(argv, in, n,
                (scan_want){.alerts = 1, .out = {"\"line\":6"},
                            .err = {"\"malformed_json\":1,\"too_large\":1,\"wrong_type\":0,\"duplicate_key\":0,"
                                    "\"bad_time\":1,\"too_late\":0"}});

    size_t len;
    char *out = tu_read_file(rej, &len);
    assert_non_null(out);
    assert_int_equal(count_lines(out), 3);
    char *l2 = out, *l3 = strchr(l2, '\n') + 1, *l4 = strchr(l3, '\n') + 1;
    l3[-1] = l4[-1] = '\0';
    assert_true(starts_with(l2, "{\"reason\":\"malformed_json\",\"source\":{\"file\":\"-\",\"line\":2},\"record\":\""));
    assert_contains(l2, "\"record\":\"{\\\"eventType\\\":\\\"user.session.start\\\",\\\"actor\\\":\"}");
    assert_true(starts_with(l3, "{\"reason\":\"bad_time\",\"source\":{\"file\":\"-\",\"line\":3},\"record\":\""));
    assert_contains(l3, "T25:00:00.000Z");
    assert_true(starts_with(l4, "{\"reason\":\"too_large\",\"source\":{\"file\":\"-\",\"line\":4},\"record\":\""));
    assert_contains(l4, "xxxxxxxx");
    free(out);
    unlink(rej);
    free(in);
}

/* An output that names an input is refused before anything is written:
 * --rejects as the input, under another name (a symlink), and stdout
 * appended to the input.  The input keeps every byte. */
static void test_output_is_input(void **state) {
    (void)state;
    char in[4096], path[64], link[80], cmd[512];
    size_t n = three_sessions(in, sizeof in);
    snprintf(path, sizeof path, "%s", tu_write_temp(in, n));
    const char *argv[] = {"scan", "--rejects", path, path, NULL};
    tu_result r = run(argv, NULL, 0);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "--rejects");
    assert_contains(r.err, "is also the input");
    assert_int_equal(r.out_len, 0);
    tu_result_free(&r);

    snprintf(link, sizeof link, "%s.link", path);
    assert_int_equal(symlink(path, link), 0);
    const char *argv2[] = {"scan", "--rejects", link, "-", path, NULL};
    r = run(argv2, "", 0);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, path);
    tu_result_free(&r);

    snprintf(cmd, sizeof cmd, "'%s' scan '%s' >>'%s' 2>/dev/null", SW_BINARY, path, path);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 2);

    size_t len;
    char *after = tu_read_file(path, &len);
    assert_non_null(after);
    assert_int_equal(len, n);
    assert_memory_equal(after, in, n);
    free(after);
    /* Another file is still fine. */
    const char *argv3[] = {"scan", "--rejects", "/dev/null", path, NULL};
    expect_scan(argv3, NULL, 0, (scan_want){.alerts = 1});
    unlink(link);
    unlink(path);
}

static void test_missing_file(void **state) {
    (void)state;
    const char *argv[] = {"scan", "/nonexistent/sessionwatch-input.ndjson", NULL};
    tu_result r = run(argv, NULL, 0);
    assert_int_equal(r.status, 1);
    assert_contains(r.err, "/nonexistent/sessionwatch-input.ndjson");
    assert_int_equal(r.out_len, 0);
    tu_result_free(&r);
}

/* A line over the default limit (8 MiB) on stdin is counted as too_large;
 * its neighbours are read. */
static void test_oversize_line(void **state) {
    (void)state;
    size_t big = (8u << 20) + 1, cap = big + 4096, n = 0;
    char *in = malloc(cap);
    assert_non_null(in);
    n += rec(in + n, cap - n, "00u1", "s1", "08:00:00");
    const char *head = "{\"eventType\":\"user.session.start\",\"pad\":\"";
    memcpy(in + n, head, strlen(head));
    memset(in + n + strlen(head), 'y', big - strlen(head) - 2);
    memcpy(in + n + big - 2, "\"}", 2);
    n += big;
    in[n++] = '\n';
    n += rec(in + n, cap - n, "00u1", "s2", "08:01:00");
    n += rec(in + n, cap - n, "00u1", "s3", "08:02:00");
    const char *argv[] = {"scan", "--summary", "json", NULL};
    expect_scan(argv, in, n,
                (scan_want){.alerts = 1, .out = {"\"line\":4"}, .err = {"\"records\":4,", "\"eligible\":3,", "\"too_large\":1,"}});
    free(in);
}

/* One Okta System Log API page (a JSON array of `limit` = 1000 events, the
 * API's maximum) of events of about event_bytes each, as one line. */
static char *api_page(size_t event_bytes, size_t *len) {
    size_t cap = 1000 * (event_bytes + 600) + 16, n = 0;
    char *page = malloc(cap);
    assert_non_null(page);
    page[n++] = '[';
    char hms[16], actor[16], sid[16];
    for (int i = 0; i < 1000; i++) {
        /* Three sessions of 00uA first (one alert), then one user each. */
        snprintf(actor, sizeof actor, i < 3 ? "00uA" : "00u%d", i);
        snprintf(sid, sizeof sid, "s%d", i);
        snprintf(hms, sizeof hms, "08:%02d:%02d", i / 60 % 60, i % 60);
        size_t m = rec(page + n, cap - n, actor, sid, hms);
        /* Pad through debugContext, as real events carry it, to event_bytes. */
        char *end = page + n + m - 2; /* the final '}' of the object */
        assert_true(*end == '}');
        size_t pad = event_bytes > m + 40 ? event_bytes - m - 40 : 1;
        int k = snprintf(end, cap - (size_t)(end - page), ",\"debugContext\":{\"debugData\":{\"pad\":\"");
        end += k;
        memset(end, 'd', pad);
        end += pad;
        memcpy(end, "\"}}}", 4);
        end += 4;
        *end++ = i < 999 ? ',' : ']';
        n = (size_t)(end - page);
    }
    page[n++] = '\n';
    *len = n;
    return page;
}

/* 11.5: a full page of typical (1.9 KB) events is 1.9 MB, and of the
 * largest realistic ones (5.2 KB, the biggest event in Elastic's fixtures)
 * 5.2 MB: both are accepted under the default --max-record-bytes, and
 * every event is counted. */
static void test_full_api_page(void **state) {
    (void)state;
    const size_t sizes[] = {1900, 5300};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n;
        char *page = api_page(sizes[i], &n);
        assert_true(n >= 1000 * sizes[i] && n < 1000 * sizes[i] + 100000);
        const char *argv[] = {"scan", "--summary", "json", NULL};
        expect_scan(argv, page, n,
                    (scan_want){.alerts = 1, .out = {"\"index\":2"},
                                .err = {"\"records\":1,\"events\":1000,", "\"eligible\":1000,", ZERO_REJECTS}});
        free(page);
    }
}

/* CRLF, a UTF-8 BOM, blank lines and a last line without newline. */
static void test_input_conventions(void **state) {
    (void)state;
    char in[8192], line[2048];
    size_t n = 0;
    memcpy(in, "\xEF\xBB\xBF", 3);
    n = 3;
    const char *parts[] = {NULL, "\r\n", "\n", "  \t\r\n", NULL, NULL};
    const char *sids[] = {"s1", NULL, NULL, NULL, "s2", "s3"};
    for (int i = 0; i < 6; i++) {
        if (parts[i]) {
            memcpy(in + n, parts[i], strlen(parts[i]));
            n += strlen(parts[i]);
            continue;
        }
        char hms[16];
        snprintf(hms, sizeof hms, "08:0%d:00", i);
        size_t m = rec(line, sizeof line, "00u1", sids[i], hms);
        memcpy(in + n, line, m - 1); /* without its \n */
        n += m - 1;
        if (i < 5) {                  /* the last line has no line end at all */
            memcpy(in + n, "\r\n", 2);
            n += 2;
        }
    }
    const char *argv[] = {"scan", "--summary", "json", NULL};
    expect_scan(argv, in, n,
                (scan_want){.alerts = 1,
                            .out = {"\"@timestamp\":\"2026-01-05T08:05:00.000Z\"",
                                    "\"source\":{\"file\":\"-\",\"line\":6}", /* blank lines are numbered */
                                    "{\"id\":\"s1\",", "{\"id\":\"s3\","},
                            .err = {"\"records\":3,\"events\":3,\"prefiltered\":0,\"eligible\":3,", ZERO_REJECTS}});
}

/* The lead's sample of a stolen session produces alerts. */
static void test_stolen_session_sample(void **state) {
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/stolen-session.ndjson", SW_SOURCE_DIR);
    if (access(path, R_OK) != 0) {
        print_message("skipped: %s not present\n", path);
        skip();
    }
    const char *argv[] = {"scan", "--summary", "json", path, NULL};
    tu_result r = run(argv, NULL, 0);
    assert_int_equal(r.status, 0);
    size_t alerts = tu_count(r.out, "{\"alert_id\":\"");
    assert_true(alerts >= 1);
    assert_int_equal(count_lines(r.out), alerts);
    char want[64];
    snprintf(want, sizeof want, "\"alerts\":%zu,", alerts);
    assert_contains(r.err, want);
    assert_contains(r.err, ZERO_REJECTS);
    tu_result_free(&r);
}

/* ECS records whose @timestamp spread is over 35 min but event.ingested
 * spread is 2 min: an alert only with --time-field event.ingested. */
static void test_time_field_ingested(void **state) {
    (void)state;
    static const char *const ts[] = {"08:00:00", "08:30:00", "09:00:00"};
    static const char *const ing[] = {"09:00:00", "09:01:00", "09:02:00"};
    char in[4096];
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        int w = snprintf(in + n, sizeof in - n,
                         "{\"@timestamp\":\"2026-01-05T%s.000Z\",\"event\":{\"dataset\":\"okta.system\","
                         "\"ingested\":\"2026-01-05T%s.000Z\"},\"data_stream\":{\"dataset\":\"okta.system\"},"
                         "\"okta\":{\"event_type\":\"user.session.start\",\"actor\":{\"id\":\"00e1\","
                         "\"display_name\":\"ECS User\"},\"authentication_context\":{\"external_session_id\":"
                         "\"e%d\"}}}\n",
                         ts[i], ing[i], i);
        assert_true(w > 0 && (size_t)w < sizeof in - n);
        n += (size_t)w;
    }
    const char *plain[] = {"scan", "--summary", "json", NULL};
    expect_scan(plain, in, n, (scan_want){.alerts = 0, .err = {"\"eligible\":3,", "\"alerts\":0,"}});

    const char *ingested[] = {"scan", "--time-field", "event.ingested", "--summary", "json", NULL};
    expect_scan(ingested, in, n,
                (scan_want){.alerts = 1,
                            .out = {"\"@timestamp\":\"2026-01-05T09:02:00.000Z\"", "\"from\":\"2026-01-05T09:00:00.000Z\"",
                                    "\"id\":\"00e1\""},
                            .err = {"\"alerts\":1,"}});
}

/* A few rule flags take effect end to end. */
static void test_rule_flags(void **state) {
    (void)state;
    char in[4096];
    size_t n = three_sessions(in, sizeof in);
    struct {
        const char *argv[8];
        size_t alerts;
    } cases[] = {
        {{"scan", NULL}, 1},
        {{"scan", "--min-sessions", "4", NULL}, 0},
        {{"scan", "--window", "1m", NULL}, 0},         /* 08:00 .. 08:02 spans 2 min */
        {{"scan", "--window=2m", NULL}, 1},            /* inclusive */
        {{"scan", "--exclude-prefix", "00u", NULL}, 0},
        {{"scan", "--require-success", NULL}, 1},
        {{"scan", "--no-prefilter", NULL}, 1},
        {{"scan", "--tenant", "acme", NULL}, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_result r = run(cases[i].argv, in, n);
        assert_int_equal(r.status, 0);
        if (count_lines(r.out) != cases[i].alerts)
            fail_msg("case %zu (%s): %zu alerts, want %zu", i, cases[i].argv[1] ? cases[i].argv[1] : "-",
                     count_lines(r.out), cases[i].alerts);
        if (i == 7) assert_contains(r.out, "\"tenant\":\"acme\"");
        tu_result_free(&r);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_documents_every_flag),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_stdin_alert_and_summary),
        cmocka_unit_test(test_rejects_file),
        cmocka_unit_test(test_output_is_input),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_oversize_line),
        cmocka_unit_test(test_full_api_page),
        cmocka_unit_test(test_input_conventions),
        cmocka_unit_test(test_stolen_session_sample),
        cmocka_unit_test(test_time_field_ingested),
        cmocka_unit_test(test_rule_flags),
        cmocka_unit_test(test_future_record_does_not_blind),
        cmocka_unit_test(test_files_out_of_order_warn),
        cmocka_unit_test(test_tenants_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_hostile.c -- hostile input, each case handled as documented (accepted
 * or rejected with a reason), through `sessionwatch scan` as a black box
 * (tu_run) and, for the parser's own limits, in process.
 *
 * Cases: control characters (raw, escaped, DEL and C1), invalid UTF-8,
 * UTF-16 surrogates (lone, paired, reversed), huge and malformed numbers,
 * 10,000 levels of nesting, a 100 MB line streamed from a pipe, NUL bytes,
 * byte order marks, CRLF, an empty file, a file without a final newline.
 *
 * The value classes go into every string the rule reads (and one field it
 * does not read), one field at a time: 15 fields x 3 records (three
 * sessions of one user, 08:00..08:02) per scan, so a field that is accepted
 * raises exactly one alert and one that is rejected rejects its 3 records.
 * Every assertion is exact: the whole --summary json (every counter and
 * every reason; only bytes and elapsed_s are not compared), the --rejects
 * file (reason and line of each rejected record, in order), and each alert
 * parsed by a strict JSON reader (tests/fuzz/json_check.c) with the hostile
 * value shown exactly as decoded, or null.
 *
 * Every scan runs twice: with the built-in seed rule, and with the seed
 * rule loaded from deploy/rules/sessionwatch_seed_rule.toml through the
 * rules engine, which must give the same verdicts (expect_same_verdicts:
 * alert ids, rejects file, counters; only the filter reasons are the
 * built-in's alone), in raw LogEvents (the matrix) and in ECS documents
 * (test_ecs_values); test_deliberate_differences pins the three places
 * where they differ on purpose.
 *
 * TFILTER=PATTERN in the environment runs only the matching tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "extract.h"
#include "jsonw.h"
#include "json_check.h"
#include "testutil.h"
#include "tu_proc.h"

#define SEED_RULE SW_SOURCE_DIR "/deploy/rules/sessionwatch_seed_rule.toml"

/* ---- text: the core's sw_buf ----------------------------------------------- */

/* b's bytes as a C string (a NUL after them, not counted). */
static const char *cstr(sw_buf *b) {
    sw_buf_putc(b, '\0');
    assert_false(b->oom);
    b->len--;
    return b->p;
}

static void repeat(sw_buf *t, const char *s, size_t times) {
    for (size_t i = 0; i < times; i++) sw_buf_puts(t, s);
}

/* ---- running scan and checking what it says --------------------------------- */

typedef struct {
    tu_result r;
    char *rejects; /* the --rejects file */
} scan_result;

/* scan --summary json --rejects TMP [rules...] [extra...] [files...] with
 * stdin in. */
static scan_result scan_with(const char *const *rules, const char *const *extra, const char *in, size_t len) {
    const char *rej = tu_write_temp("", 0);
    assert_non_null(rej);
    char rejpath[64];
    snprintf(rejpath, sizeof rejpath, "%s", rej);
    const char *argv[32] = {"scan", "--summary", "json", "--rejects", rejpath};
    size_t n = 5;
    for (; rules && *rules; rules++) argv[n++] = *rules;
    for (; extra && *extra; extra++) argv[n++] = *extra;
    argv[n] = NULL;
    scan_result s = {tu_run(argv, in, len), NULL};
    size_t rl;
    s.rejects = tu_read_file(rejpath, &rl);
    assert_non_null(s.rejects);
    unlink(rejpath);
    return s;
}

static void scan_free(scan_result *s);
static void expect_same_verdicts(const scan_result *seed, const scan_result *rules);

/* scan_with(no rules): the built-in seed rule; and every such scan is
 * also run with --rules SEED_RULE, which must give the same verdicts
 * (expect_same_verdicts). */
static scan_result scan(const char *const *extra, const char *in, size_t len) {
    static const char *const seed_toml[] = {"--rules", SEED_RULE, NULL};
    scan_result s = scan_with(NULL, extra, in, len);
    scan_result r = scan_with(seed_toml, extra, in, len);
    expect_same_verdicts(&s, &r);
    scan_free(&r);
    return s;
}

static void scan_free(scan_result *s) {
    tu_result_free(&s->r);
    free(s->rejects);
}

/* ---- the seed rule from its TOML: the same verdicts -------------------------- */

/* The last line of r's stderr that starts with prefix, parsed (to jc_free). */
static jc_node *stderr_json(const tu_result *r, const char *prefix) {
    const char *found = NULL;
    for (const char *line = r->err; line && *line;) {
        if (strncmp(line, prefix, strlen(prefix)) == 0) found = line;
        const char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : NULL;
    }
    if (!found) fail_msg("no stderr line starts with %s: %s", prefix, r->err);
    const char *err = NULL;
    jc_node *root = jc_parse(found, strcspn(found, "\n"), &err);
    if (!root) fail_msg("not JSON (%s): %s", err, found);
    return root;
}

static unsigned long long counter(const jc_node *obj, const char *key) {
    const jc_node *c = jc_get(obj, key);
    if (!c || c->type != JC_NUMBER) fail_msg("no counter %s", key);
    return strtoull(c->s, NULL, 10);
}

/* The alert ids on stdout, in order, one per line. */
static void alert_ids(const tu_result *r, sw_buf *ids) {
    for (const char *p = r->out; (p = strstr(p, "\"alert_id\":\""));) {
        p += 12;
        size_t n = strcspn(p, "\"");
        sw_buf_put(ids, p, n);
        sw_buf_putc(ids, '\n');
        p += n;
    }
}

/* The built-in seed rule (seed) and the seed rule loaded from its TOML
 * (rules) judged the same input alike: the same alerts (ids, in order),
 * the same rejects file (reasons, lines and records), the same counters
 * (records, events, prefiltered, eligible, covered, alerts, capped, keys
 * and every reject reason); and what the built-in rule filtered, by
 * reason, the rules engine did not count: prefiltered, matched no rule,
 * or matched it without a group-by value (no_group; the built-in's
 * no_actor).  The filter reasons themselves are the built-in's alone (a
 * query that does not match says no why). */
static void expect_same_verdicts(const scan_result *seed, const scan_result *rules) {
    if (seed->r.status != rules->r.status)
        fail_msg("scan exited %d, with --rules %d: %s", seed->r.status, rules->r.status, rules->r.err);
    if (seed->r.status != 0) return;
    sw_buf a = {0}, b = {0};
    alert_ids(&seed->r, &a);
    alert_ids(&rules->r, &b);
    if (strcmp(cstr(&a), cstr(&b)) != 0) fail_msg("alert ids differ:\n  built-in: %s\n  --rules:  %s", a.p, b.p);
    if (strcmp(seed->rejects, rules->rejects) != 0)
        fail_msg("rejects differ:\n  built-in: %s\n  --rules:  %s", seed->rejects, rules->rejects);
    jc_node *s = stderr_json(&seed->r, "{\"records\":"), *r = stderr_json(&rules->r, "{\"records\":");
    jc_node *rr = stderr_json(&rules->r, "{\"unmatched\":");
    static const char *const same[] = {"records", "events", "prefiltered", "eligible", "covered",
                                       "alerts", "alerts_capped", "nomem", "tracked_users", "cap_evicted"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        if (counter(s, same[i]) != counter(r, same[i]))
            fail_msg("%s: %llu, with --rules %llu", same[i], counter(s, same[i]), counter(r, same[i]));
    const jc_node *sr = jc_get(s, "rejected"), *rj = jc_get(r, "rejected");
    for (const jc_node *c = sr->child; c; c = c->next)
        if (counter(sr, c->key) != counter(rj, c->key))
            fail_msg("rejected %s: %llu, with --rules %llu", c->key, counter(sr, c->key), counter(rj, c->key));
    unsigned long long filtered = 0, not_counted = counter(r, "prefiltered") + counter(rr, "unmatched");
    for (const jc_node *c = jc_get(s, "filtered")->child; c; c = c->next) filtered += counter(jc_get(s, "filtered"), c->key);
    not_counted += counter(jc_at(jc_get(rr, "rules"), 0), "no_group");
    if (filtered != not_counted)
        fail_msg("filtered %llu, with --rules %llu prefiltered, unmatched or without a group-by value", filtered,
                 not_counted);
    jc_free(s);
    jc_free(r);
    jc_free(rr);
    sw_buf_free(&a);
    sw_buf_free(&b);
}

/* The value of key in "k=v k=v" (0 when absent). */
static unsigned long long spec_get(const char *spec, const char *key, int *found) {
    size_t kl = strlen(key);
    for (const char *p = spec; p && *p;) {
        while (*p == ' ') p++;
        if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
            (*found)++;
            return strtoull(p + kl + 1, NULL, 10);
        }
        p = strchr(p, ' ');
    }
    return 0;
}

static size_t spec_keys(const char *spec) {
    size_t n = 0;
    for (const char *p = spec; *p; p++)
        if (*p == '=') n++;
    return n;
}

/* The summary line (the last line of stderr) holds exactly the counts of
 * spec ("records=3 eligible=3 ..."); every counter and reason not named
 * must be 0.  bytes and elapsed_s are not compared. */
static void expect_summary(const tu_result *r, const char *spec) {
    if (r->status != 0) fail_msg("scan exited %d: %s", r->status, r->err);
    const char *line = r->err, *nl;
    while ((nl = strchr(line, '\n')) && nl[1]) line = nl + 1;
    const char *err = NULL;
    jc_node *root = jc_parse(line, strcspn(line, "\n"), &err);
    if (!root) fail_msg("summary is not JSON (%s): %s", err, r->err);
    int found = 0;
    size_t compared = 0;
    for (const jc_node *m = root->child; m; m = m->next) {
        if (strcmp(m->key, "bytes") == 0 || strcmp(m->key, "elapsed_s") == 0) continue;
        /* a counter, or the "filtered" / "rejected" object of counters */
        const jc_node *c = m->type == JC_OBJECT ? m->child : m;
        for (; c; c = m->type == JC_OBJECT ? c->next : NULL) {
            assert_int_equal(c->type, JC_NUMBER);
            unsigned long long want = spec_get(spec, c->key, &found), got = strtoull(c->s, NULL, 10);
            if (got != want) fail_msg("summary %s: %llu, want %llu\n  want: %s\n  got:  %s", c->key, got, want, spec, line);
            compared++;
        }
    }
    assert_int_equal(compared, 11 + 7 + 8); /* counters (cap_evicted included), filter reasons, reject reasons */
    if ((size_t)found != spec_keys(spec)) fail_msg("summary lacks a key of: %s\n  got: %s", spec, line);
    jc_free(root);
}

/* The rejects file holds exactly spec ("malformed_json@2 too_large@5 ..."),
 * in order; each line is strict JSON whose record is a string. */
static void expect_rejects(const char *rejects, const char *spec) {
    sw_buf got = {0};
    for (const char *line = rejects; *line;) {
        size_t len = strcspn(line, "\n");
        const char *err = NULL;
        jc_node *root = jc_parse(line, len, &err);
        if (!root) fail_msg("rejects line is not JSON (%s): %.*s", err, (int)len, line);
        const jc_node *reason = jc_get(root, "reason"), *src = jc_get(root, "source");
        const jc_node *ln = jc_get(src, "line"), *rec = jc_get(root, "record");
        assert_true(reason && reason->type == JC_STRING && ln && ln->type == JC_NUMBER);
        assert_true(rec && rec->type == JC_STRING);
        sw_buf_printf(&got, "%s%s@%s", got.len ? " " : "", reason->s, ln->s);
        jc_free(root);
        line += len + (line[len] == '\n');
    }
    if (strcmp(cstr(&got), spec) != 0) fail_msg("rejects:\n  want: %s\n  got:  %s", spec, got.p);
    sw_buf_free(&got);
}

/* scan (as scan() runs it): exactly these summary counts and rejects
 * (expect_summary, expect_rejects). */
static void expect_scan(const char *const *extra, const char *in, size_t len, const char *summary,
                        const char *rejects) {
    scan_result s = scan(extra, in, len);
    expect_summary(&s.r, summary);
    expect_rejects(s.rejects, rejects);
    scan_free(&s);
}

/* The alerts on stdout, one strict JSON object per '\n'-terminated line;
 * no line holds a raw DEL, C1 control or U+2028/9. */
static size_t parse_alerts(const tu_result *r, jc_node **out, size_t max) {
    size_t n = 0;
    for (const char *line = r->out; *line;) {
        const char *nl = strchr(line, '\n');
        assert_non_null(nl);
        size_t len = (size_t)(nl - line);
        assert_true(n < max);
        assert_true(jc_no_raw_separators(line, len));
        const char *err = NULL;
        out[n] = jc_parse(line, len, &err);
        if (!out[n]) fail_msg("alert is not JSON (%s): %.*s", err, (int)len, line);
        n++;
        line = nl + 1;
    }
    return n;
}

static void free_alerts(jc_node **a, size_t n) {
    for (size_t i = 0; i < n; i++) jc_free(a[i]);
}

static long long num(const jc_node *x) {
    assert_true(x && x->type == JC_NUMBER);
    return strtoll(x->s, NULL, 10);
}

static void is_str(const jc_node *x, const char *p, size_t n) {
    if (!jc_is_str(x, p, n)) fail_msg("expected the string \"%.*s\" (%zu bytes), got %s", (int)n, p, n, x ? (x->type == JC_STRING ? x->s : "a non-string") : "nothing");
}

static void is_null(const jc_node *x) { assert_true(x && x->type == JC_NULL); }

/* A scan's exactly these summary counts and rejects (expect_summary,
 * expect_rejects) and exactly one alert, completed on line alert_line: that
 * alert (to jc_free). */
static jc_node *expect_one_alert(const scan_result *s, const char *summary, const char *rejects, long long alert_line) {
    expect_summary(&s->r, summary);
    expect_rejects(s->rejects, rejects);
    jc_node *a[2];
    assert_int_equal(parse_alerts(&s->r, a, 2), 1);
    assert_int_equal(num(jc_get(jc_get(a[0], "source"), "line")), alert_line);
    return a[0];
}

/* ---- the field matrix -------------------------------------------------------- */

enum { F_TYPE, F_ACTOR, F_NAME, F_ALT, F_SID, F_TIME, F_UUID, F_IP, F_UA, F_COUNTRY, F_CITY, F_OUTCOME,
       F_DATASET, F_TENANT, F_UNREAD, NF };
static const char *const FIELD[NF] = {"eventType", "actor.id", "actor.displayName", "actor.alternateId",
                                      "externalSessionId", "published", "uuid", "client.ipAddress",
                                      "rawUserAgent", "country", "city", "outcome.result",
                                      "event.dataset (an ECS field: not read in a raw event)",
                                      "org.id (tenant)", "note (not read)"};

/* A raw LogEvent with every field the rule reads (plus "note", which it
 * does not read, and "hint", which keeps the prefilter from skipping the
 * record whatever eventType holds).  Field f, if >= 0, holds value (JSON
 * text); a string value in the session id gets "-<i>" appended inside the
 * quotes so that the three records are three sessions. */
static void put_record_sfx(sw_buf *t, int f, const char *value, int fi, int i, int sid_suffix) {
    char dflt[NF][64];
    snprintf(dflt[F_TYPE], 64, "\"user.session.start\"");
    snprintf(dflt[F_ACTOR], 64, "\"a%d\"", fi);
    snprintf(dflt[F_NAME], 64, "\"Ann\"");
    snprintf(dflt[F_ALT], 64, "\"ann@example.com\"");
    snprintf(dflt[F_SID], 64, "\"s%d\"", i);
    snprintf(dflt[F_TIME], 64, "\"2026-01-05T08:0%d:00Z\"", i);
    snprintf(dflt[F_UUID], 64, "\"u%d\"", i);
    snprintf(dflt[F_IP], 64, "\"203.0.113.9\"");
    snprintf(dflt[F_UA], 64, "\"Mozilla/5.0\"");
    snprintf(dflt[F_COUNTRY], 64, "\"France\"");
    snprintf(dflt[F_CITY], 64, "\"Lyon\"");
    snprintf(dflt[F_OUTCOME], 64, "\"SUCCESS\"");
    snprintf(dflt[F_DATASET], 64, "\"okta.system\"");
    snprintf(dflt[F_TENANT], 64, "\"acme\"");
    snprintf(dflt[F_UNREAD], 64, "\"x\"");
    static const char *const before[NF] = {
        [F_UUID] = "{\"uuid\":", [F_TIME] = ",\"published\":", [F_TYPE] = ",\"eventType\":",
        [F_DATASET] = ",\"hint\":\"user.session.start\",\"event\":{\"dataset\":", [F_ACTOR] = "},\"actor\":{\"id\":",
        [F_NAME] = ",\"displayName\":", [F_ALT] = ",\"alternateId\":", [F_IP] = "},\"client\":{\"ipAddress\":",
        [F_UA] = ",\"userAgent\":{\"rawUserAgent\":", [F_COUNTRY] = "},\"geographicalContext\":{\"country\":",
        [F_CITY] = ",\"city\":", [F_OUTCOME] = "}},\"outcome\":{\"result\":",
        [F_SID] = "},\"authenticationContext\":{\"externalSessionId\":", [F_TENANT] = "},\"org\":{\"id\":",
        [F_UNREAD] = "},\"note\":",
    };
    static const int order[NF] = {F_UUID, F_TIME, F_TYPE, F_DATASET, F_ACTOR, F_NAME, F_ALT, F_IP, F_UA,
                                  F_COUNTRY, F_CITY, F_OUTCOME, F_SID, F_TENANT, F_UNREAD};
    for (int k = 0; k < NF; k++) {
        int g = order[k];
        sw_buf_puts(t, before[g]);
        if (g != f) {
            sw_buf_puts(t, dflt[g]);
        } else if (g == F_SID && sid_suffix && value[0] == '"') {
            sw_buf_put(t, value, strlen(value) - 1);
            sw_buf_printf(t, "-%d\"", i);
        } else {
            sw_buf_puts(t, value);
        }
    }
    sw_buf_puts(t, "}\n");
}

static void put_record(sw_buf *t, int f, const char *value, int fi, int i) { put_record_sfx(t, f, value, fi, i, 1); }

/* A record that ends in end instead of its '\n'. */
static void put_record_end(sw_buf *t, int i, const char *end) {
    put_record(t, -1, NULL, 0, i);
    t->len--;
    sw_buf_puts(t, end);
}

/* What a class of values does in each field: "alert", or the filter or
 * reject reason of all three records.  A class does one thing in most
 * fields (otherwise) and something else in the few it names. */
typedef struct {
    const char *otherwise;
    const char *field[NF]; /* NULL: otherwise */
} verdicts;

static const char *verdict(const verdicts *v, int f) { return v->field[f] ? v->field[f] : v->otherwise; }

static const verdicts ALL_MALFORMED = {"malformed_json", {NULL}};
/* A valid string that is not what the rule looks for. */
static const verdicts STRING_OK = {"alert", {[F_TYPE] = "not_session_start", [F_TIME] = "bad_time"}};
/* A value that is not valid JSON in a way only a full parse sees (a bad
 * escape, number or literal): every field the extractor reads is rejected
 * (the ECS dataset of a raw event too: it is decoded, then not used); the
 * field it skips is only checked structurally, so it is accepted. */
static const verdicts UNDECODABLE = {"malformed_json", {[F_UNREAD] = "alert"}};
/* A valid number where a string belongs: the rule's own fields are
 * wrong_type (the time is bad_time); fields the alert only shows become
 * null; a numeric tenant is its JSON text. */
static const verdicts NUMBER = {"alert", {[F_TYPE] = "wrong_type", [F_ACTOR] = "wrong_type", [F_NAME] = "wrong_type",
                                          [F_SID] = "wrong_type", [F_TIME] = "bad_time"}};

static int is_reject(const char *v) {
    static const char *const r[] = {"malformed_json", "too_large", "wrong_type", "duplicate_key", "bad_time", "too_late"};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (strcmp(v, r[i]) == 0) return 1;
    return 0;
}

/* Runs the matrix for one value.  shown/shown_n: what a string value
 * decodes to (NULL: the class is not a string, and shown fields are null);
 * tenant_text: the alert's tenant when a non-string value is the tenant. */
static void matrix(const char *value, const verdicts *want, const char *shown, size_t shown_n,
                   const char *tenant_text) {
    sw_buf in = {0};
    for (int f = 0; f < NF; f++)
        for (int i = 0; i < 3; i++) put_record(&in, f, value, f, i);

    /* The summary and the rejects file the verdicts imply. */
    const char *reasons[] = {"not_session_start", "wrong_dataset", "no_session_id", "no_actor_id",
                             "malformed_json",    "wrong_type",    "bad_time"};
    enum { NREASONS = sizeof reasons / sizeof reasons[0] };
    size_t count[NREASONS] = {0}, alerts = 0, parsed = 0;
    sw_buf rej = {0};
    for (int f = 0; f < NF; f++) {
        const char *v = verdict(want, f);
        if (strcmp(v, "alert") == 0) alerts++;
        if (strcmp(v, "malformed_json") != 0) parsed++;
        for (size_t k = 0; k < NREASONS; k++)
            if (strcmp(v, reasons[k]) == 0) count[k]++;
        if (is_reject(v))
            for (int i = 1; i <= 3; i++) sw_buf_printf(&rej, "%s%s@%d", rej.len ? " " : "", v, 3 * f + i);
    }
    sw_buf spec = {0};
    sw_buf_printf(&spec, "records=%d events=%zu eligible=%zu alerts=%zu tracked_users=%zu", 3 * NF, 3 * parsed, 3 * alerts,
         alerts, alerts);
    for (size_t k = 0; k < NREASONS; k++)
        if (count[k]) sw_buf_printf(&spec, " %s=%zu", reasons[k], 3 * count[k]);

    const char *extra[] = {"--tenant-field", "org.id", NULL};
    scan_result s = scan(extra, in.p, in.len);
    expect_summary(&s.r, cstr(&spec));
    expect_rejects(s.rejects, cstr(&rej));

    jc_node *a[NF];
    size_t na = parse_alerts(&s.r, a, NF);
    assert_int_equal(na, alerts);
    size_t k = 0;
    for (int f = 0; f < NF; f++) {
        if (strcmp(verdict(want, f), "alert") != 0) continue;
        const jc_node *al = a[k++];
        if (num(jc_get(jc_get(al, "source"), "line")) != 3 * f + 3)
            fail_msg("%s: the alert is not on line %d", FIELD[f], 3 * f + 3);
        const jc_node *sessions = jc_get(al, "sessions");
        assert_true(sessions && sessions->count == 3);
        char actor[8];
        snprintf(actor, sizeof actor, "a%d", f);
        if (f == F_ACTOR) {
            is_str(jc_get(jc_get(jc_get(al, "okta"), "actor"), "id"), shown, shown_n);
            is_str(jc_get(jc_get(al, "user"), "id"), shown, shown_n);
        } else {
            is_str(jc_get(jc_get(al, "user"), "id"), actor, strlen(actor));
        }
        if (f == F_TENANT && shown) is_str(jc_get(al, "tenant"), shown, shown_n);
        else if (f == F_TENANT) is_str(jc_get(al, "tenant"), tenant_text, strlen(tenant_text));
        else is_str(jc_get(al, "tenant"), "acme", 4);
        if (f == F_NAME && shown) {
            is_str(jc_get(jc_get(al, "user"), "name"), shown, shown_n);
            is_str(jc_get(jc_get(jc_get(al, "okta"), "actor"), "display_name"), shown, shown_n);
        } else if (f == F_NAME) {
            is_null(jc_get(jc_get(al, "user"), "name"));
        }
        if (f == F_ALT) {
            if (shown) is_str(jc_get(jc_get(al, "user"), "email"), shown, shown_n);
            else is_null(jc_get(jc_get(al, "user"), "email"));
        }
        for (size_t i = 0; i < 3; i++) {
            const jc_node *se = jc_at(sessions, i), *client = jc_get(se, "client"), *geo = jc_get(client, "geo");
            const jc_node *shown_at = f == F_UUID ? jc_get(se, "event_uuid") : f == F_IP ? jc_get(client, "ip")
                                    : f == F_UA ? jc_get(client, "user_agent") : f == F_COUNTRY ? jc_get(geo, "country_name")
                                    : f == F_CITY ? jc_get(geo, "city_name") : NULL;
            if (shown_at && shown) is_str(shown_at, shown, shown_n);
            else if (shown_at) is_null(shown_at);
            if (f == F_SID) {
                char id[256];
                assert_true(shown_n + 3 < sizeof id);
                memcpy(id, shown, shown_n);
                snprintf(id + shown_n, sizeof id - shown_n, "-%zu", i);
                is_str(jc_get(se, "id"), id, shown_n + 2);
            }
        }
    }
    assert_int_equal(k, na);
    free_alerts(a, na);
    scan_free(&s);
    sw_buf_free(&in);
    sw_buf_free(&rej);
    sw_buf_free(&spec);
}

/* ---- control characters ------------------------------------------------------ */

static void test_control_characters(void **state) {
    (void)state;
    /* Raw (unescaped) C0 controls inside a string: not JSON, in any field
     * (the whole record is validated, read or not). */
    matrix("\"c\x01\x1f" "d\"", &ALL_MALFORMED, NULL, 0, NULL);
    matrix("\"c\td\"", &ALL_MALFORMED, NULL, 0, NULL); /* even a tab */
    /* Escaped, they are ordinary characters of the value: accepted where a
     * string is, shown escaped (decoding to the same bytes, NUL included). */
    static const char dec[] = "c\x01\x1f\n\t\x7f\0d";
    matrix("\"c\\u0001\\u001f\\n\\t\\u007f\\u0000d\"", &STRING_OK, dec, sizeof dec - 1, NULL);
    /* Raw DEL and raw C1 controls (U+0085 NEL, U+009F) are valid JSON:
     * accepted, and the alert escapes them so that no reader splits it. */
    static const char c1[] = "c\x7f\xc2\x85\xc2\x9f" "d";
    matrix("\"c\x7f\xc2\x85\xc2\x9f" "d\"", &STRING_OK, c1, sizeof c1 - 1, NULL);

    /* Controls outside strings: vertical tab and form feed are not JSON
     * whitespace; the record is malformed and the next one is read. */
    sw_buf in = {0};
    sw_buf_puts(&in, "\v");
    put_record(&in, -1, NULL, 0, 0);
    put_record_end(&in, 1, "\f\n");
    put_record(&in, -1, NULL, 0, 2);
    expect_scan(NULL, in.p, in.len, "records=3 events=1 eligible=1 tracked_users=1 malformed_json=2",
                "malformed_json@1 malformed_json@2");
    sw_buf_free(&in);
}

/* ---- invalid UTF-8 ------------------------------------------------------------ */

static void test_invalid_utf8(void **state) {
    (void)state;
    /* Truncated, overlong, UTF-8-encoded surrogate, above U+10FFFF, stray
     * continuation, 0xFF: the record is not UTF-8, whichever field. */
    static const char *const bad[] = {"\"c\xc3\"", "\"c\xc0\xaf\"", "\"c\xed\xa0\x80\"", "\"c\xf4\x90\x80\x80\"",
                                      "\"c\x80\"", "\"c\xff\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) matrix(bad[i], &ALL_MALFORMED, NULL, 0, NULL);
    /* A UTF-16 byte order mark is not UTF-8 either. */
    sw_buf in = {0};
    sw_buf_puts(&in, "\xff\xfe");
    put_record(&in, -1, NULL, 0, 0);
    expect_scan(NULL, in.p, in.len, "records=1 malformed_json=1", "malformed_json@1");
    sw_buf_free(&in);
}

/* ---- UTF-16 surrogates ---------------------------------------------------------- */

static void test_surrogates(void **state) {
    (void)state;
    /* Lone high, lone low, a reversed pair, a high one at the very end:
     * valid JSON.  Never decoded where skipped; where read, each becomes
     * U+FFFD (as in Elasticsearch's keyword terms), and the alert shows
     * that. */
    static const char one_r[] = "c\xef\xbf\xbd" "d", two_r[] = "c\xef\xbf\xbd\xef\xbf\xbd" "d",
                      end_r[] = "c\xef\xbf\xbd";
    matrix("\"c\\ud800d\"", &STRING_OK, one_r, sizeof one_r - 1, NULL);
    matrix("\"c\\udc00d\"", &STRING_OK, one_r, sizeof one_r - 1, NULL);
    matrix("\"c\\ude00\\ud83dd\"", &STRING_OK, two_r, sizeof two_r - 1, NULL);
    matrix("\"c\\uD83D\"", &STRING_OK, end_r, sizeof end_r - 1, NULL);
    /* A bad escape: malformed where read, unchecked where skipped. */
    matrix("\"\\x41\"", &UNDECODABLE, NULL, 0, NULL);
    /* A correct pair is one character (U+1F600), shown as raw UTF-8. */
    static const char smile[] = "c\xf0\x9f\x98\x80" "d";
    matrix("\"c\\ud83d\\ude00d\"", &STRING_OK, smile, sizeof smile - 1, NULL);
}

/* ---- numbers ------------------------------------------------------------------ */

static void test_huge_numbers(void **state) {
    (void)state;
    matrix("1e400", &NUMBER, NULL, 0, "1e400");
    matrix("-1.5e-400", &NUMBER, NULL, 0, "-1.5e-400");
    sw_buf digits = {0};
    repeat(&digits, "9", 400);
    matrix(cstr(&digits), &NUMBER, NULL, 0, digits.p);
    sw_buf_free(&digits);
    /* Not a JSON number or literal: malformed where read (a tenant too),
     * skipped unchecked where not read. */
    matrix("01", &UNDECODABLE, NULL, 0, NULL);
    matrix("1.", &UNDECODABLE, NULL, 0, NULL);
    matrix("0x10", &UNDECODABLE, NULL, 0, NULL);
    matrix("tru", &UNDECODABLE, NULL, 0, NULL);
}

/* ---- objects, arrays, booleans, null ------------------------------------------ */

/* Where a string belongs: the rule's own fields are wrong_type, the time is
 * bad_time, and so is a tenant (only a string or a number names one);
 * fields the alert only shows become null.  The seed rule loaded from its
 * TOML rejects them alike (scan() checks it), though the field catalogue
 * reads an array's strings and a number's text (stream/core/rtypes.h). */
static const verdicts NOT_A_STRING = {"alert", {[F_TYPE] = "wrong_type", [F_ACTOR] = "wrong_type",
                                                [F_NAME] = "wrong_type", [F_SID] = "wrong_type",
                                                [F_TIME] = "bad_time", [F_TENANT] = "wrong_type"}};
/* null is absent: no event type, actor or session id; no tenant is the
 * default tenant "". */
static const verdicts NULL_VALUE = {"alert", {[F_TYPE] = "not_session_start", [F_ACTOR] = "no_actor_id",
                                              [F_SID] = "no_session_id", [F_TIME] = "bad_time"}};

static void test_other_json_types(void **state) {
    (void)state;
    static const char *const values[] = {"{\"x\":\"y\"}", "{}", "[\"user.session.start\"]", "[]",
                                         "[\"a\",\"b\"]", "[{\"x\":1}]", "true", "false"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) matrix(values[i], &NOT_A_STRING, NULL, 0, NULL);
    matrix("null", &NULL_VALUE, NULL, 0, "");
}

/* ECS documents (dotted keys), three sessions of one user, with field f
 * (NULL: none) holding value. */
static void put_ecs(sw_buf *t, const char *f, const char *value) {
    static const char *const keys[] = {"event.dataset", "event.action", "data_stream.dataset", "okta.event_type",
                                       "okta.actor.id", "okta.actor.display_name",
                                       "okta.authentication_context.external_session_id"};
    for (int i = 0; i < 3; i++) {
        sw_buf_printf(t, "{\"@timestamp\":\"2026-01-05T08:0%d:00Z\",\"okta.uuid\":\"u%d\"", i, i);
        const char *dflt[] = {"\"okta.system\"", "\"user.session.start\"", "\"okta.system\"",
                              "\"user.session.start\"", "\"a\"", "\"Ann\""};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            sw_buf_printf(t, ",\"%s\":", keys[k]);
            if (f && strcmp(f, keys[k]) == 0) sw_buf_puts(t, value);
            else if (k + 1 == sizeof keys / sizeof keys[0]) sw_buf_printf(t, "\"s%d\"", i);
            else sw_buf_puts(t, dflt[k]);
        }
        sw_buf_puts(t, "}\n");
    }
}

/* The same for ECS input, where the seed fields are read at their ECS
 * names (okta.event_type, not event.action; the datasets): a non-string is
 * wrong_type for both engines. */
static void test_ecs_values(void **state) {
    (void)state;
    static const struct {
        const char *field, *value;
    } rejected[] = {
        {"okta.actor.id", "5"},          {"okta.actor.display_name", "{}"},
        {"event.dataset", "{\"x\":1}"},  {"okta.event_type", "[\"user.session.start\"]"},
        {"okta.authentication_context.external_session_id", "true"},
    };
    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        sw_buf in = {0};
        put_ecs(&in, rejected[i].field, rejected[i].value);
        expect_scan(NULL, in.p, in.len, "records=3 events=3 wrong_type=3", "wrong_type@1 wrong_type@2 wrong_type@3");
        sw_buf_free(&in);
    }
    sw_buf in = {0};
    put_ecs(&in, "event.action", "7"); /* read by neither */
    expect_scan(NULL, in.p, in.len, "records=3 events=3 eligible=3 alerts=1 tracked_users=1", "");
    sw_buf_free(&in);
}

/* The deliberate differences, pinned: the built-in engine's counters
 * (want_seed) and the seed rule's TOML's (want_toml, substrings of its
 * summary) on the same input. */
static void expect_different(const char *in, size_t len, const char *want_seed, const char *want_toml) {
    static const char *const seed_toml[] = {"--rules", SEED_RULE, NULL};
    scan_result a = scan_with(NULL, NULL, in, len), b = scan_with(seed_toml, NULL, in, len);
    expect_summary(&a.r, want_seed);
    assert_contains(b.r.err, want_toml);
    scan_free(&a);
    scan_free(&b);
}

static void test_deliberate_differences(void **state) {
    (void)state;
    /* The built-in rule checks data_stream.dataset, which the TOML query
     * does not name (so the rules engine does not read it). */
    sw_buf in = {0};
    put_ecs(&in, "data_stream.dataset", "5");
    expect_different(in.p, in.len, "records=3 events=3 wrong_type=3",
                     "\"eligible\":3,\"covered\":0,\"alerts\":1,");
    /* Bad JSON inside an array on the way to a field both read: the
     * built-in rule takes the array as one value of the wrong type and
     * skips it (checking only its brackets: extract.h), the catalogue
     * walks into it (an array of objects is read element by element), so
     * the record is rejected by both, as malformed_json by the rules
     * engine. */
    static const char bad[] = "{\"uuid\":\"u1\",\"published\":\"2026-01-05T08:00:00Z\",\"eventType\":"
                              "\"user.session.start\",\"actor\":[{\"id\":01}],\"authenticationContext\":"
                              "{\"externalSessionId\":\"s1\"}}\n";
    expect_different(bad, sizeof bad - 1, "records=1 events=1 wrong_type=1", "\"malformed_json\":1,");
    /* The built-in rule checks its clauses in order and stops at the first
     * that fails (another dataset: filtered before the actor's type is
     * looked at); the rules engine checks the types of the fields a rule
     * reads before it runs the rule's query (rtypes.h). */
    static const char other[] = "{\"@timestamp\":\"2026-01-05T08:00:00Z\",\"okta.uuid\":\"u1\",\"event.dataset\":"
                                "\"other\",\"okta.event_type\":\"user.session.start\",\"okta.actor.id\":5,"
                                "\"okta.authentication_context.external_session_id\":\"s1\"}\n";
    expect_different(other, sizeof other - 1, "records=1 events=1 wrong_dataset=1", "\"wrong_type\":1,");
    sw_buf_free(&in);
}

/* ---- nesting -------------------------------------------------------------------- */

static void nested(sw_buf *t, int objects, size_t depth) {
    if (objects) {
        repeat(t, "{\"a\":", depth - 1);
        sw_buf_puts(t, "{}");
        repeat(t, "}", depth - 1);
    } else {
        repeat(t, "[", depth);
        repeat(t, "]", depth);
    }
}

static void test_deep_nesting(void **state) {
    (void)state;
    /* 10,000 levels anywhere in a record: malformed (the limit is 1024). */
    for (int objects = 0; objects < 2; objects++) {
        sw_buf v = {0};
        nested(&v, objects, 10000);
        matrix(cstr(&v), &ALL_MALFORMED, NULL, 0, NULL);

        /* In process: the same record, in place and copied. */
        sw_buf rec = {0};
        put_record(&rec, F_UNREAD, v.p, 0, 0);
        sw_parser *p = sw_parser_new(1 << 20);
        assert_non_null(p);
        sw_event ev[2];
        size_t n = 9;
        char *padded = malloc(rec.len + SW_PADDING);
        assert_non_null(padded);
        memcpy(padded, rec.p, rec.len);
        memset(padded + rec.len, ']', SW_PADDING);
        assert_int_equal(sw_parser_extract(p, padded, rec.len - 1, rec.len + SW_PADDING, NULL, ev, 2, &n), SW_X_MALFORMED);
        assert_int_equal(n, 0);
        assert_int_equal(sw_parser_extract(p, rec.p, rec.len - 1, rec.len - 1, NULL, ev, 2, &n), SW_X_MALFORMED);
        /* The whole record 10,000 deep, no object inside. */
        assert_int_equal(sw_parser_extract(p, v.p, v.len, v.len, NULL, ev, 2, &n), SW_X_MALFORMED);
        free(padded);
        sw_parser_free(p);
        sw_buf_free(&rec);

        /* As a whole line it has no session start in it: the prefilter
         * skips it unparsed; without the prefilter it is malformed. */
        sw_buf_puts(&v, "\n");
        expect_scan(NULL, v.p, v.len, "records=1 prefiltered=1 not_session_start=1", "");
        const char *noprefilter[] = {"--no-prefilter", NULL};
        expect_scan(noprefilter, v.p, v.len, "records=1 malformed_json=1", "malformed_json@1");
        sw_buf_free(&v);
    }
}

/* ---- misplaced colons in values that are not read ---------------------------------- */

/* A string followed by ':' where a ',' belongs, in a value the extractor
 * does not read, with one closing bracket too many: On-Demand's lenient
 * skip used to take the string for a key and swallow the object's '}', the
 * extra '}' then closed the record, and the record was accepted (found by
 * tests/fuzz/fuzz_extract; regressions/fuzz_extract/crash-90c4b5...).
 * Every one of these is malformed, with or without a tenant path, in place
 * or copied. */
static void test_misplaced_colons(void **state) {
    (void)state;
    static const char *const bad[] = {
        "{\"x\":\"a\":\"b\"}}",
        "{\"x\":1:\"b\"}}",
        "{\"actor\":\"a\":\"b\"}}",                 /* an intermediate of actor.id */
        "{\"detail\":\"a\":\"b\",\"detail-type\":1}}", /* a non-object EventBridge detail */
        "{\"organization\":{\"ident\":\"M\":\"2\"}}}", /* inside the tenant path's object */
        "[\"a\":\"b\"]]",
        "[{\"eventType\":\"user.session.start\"},\"a\":\"b\"]]",
        "{\"eventType\":\"user.session.start\",\"actor\":{\"id\":\"u\",\"x\":\"a\":\"b\"}}}",
    };
    sw_parser *p = sw_parser_new(1 << 16);
    assert_non_null(p);
    sw_event ev[4];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = strlen(bad[i]), n = 9;
        char *padded = malloc(len + SW_PADDING);
        assert_non_null(padded);
        memcpy(padded, bad[i], len);
        for (int pad = 0; pad < 2; pad++) {
            memset(padded + len, pad ? '}' : ' ', SW_PADDING);
            for (int t = 0; t < 2; t++) {
                const char *tenant = t ? "organization.id" : NULL;
                sw_xstatus in_place = sw_parser_extract(p, padded, len, len + SW_PADDING, tenant, ev, 4, &n);
                sw_xstatus copied = sw_parser_extract(p, bad[i], len, len, tenant, ev, 4, &n);
                if (in_place != SW_X_MALFORMED || copied != SW_X_MALFORMED)
                    fail_msg("%s (tenant %s): in place %d, copied %d, want MALFORMED (%d)", bad[i],
                             tenant ? tenant : "none", in_place, copied, SW_X_MALFORMED);
                assert_int_equal(n, 0);
            }
        }
        free(padded);
    }
    /* Inside a skipped container only the brackets are checked (as
     * extract.h documents), so this one is accepted. */
    size_t n = 0;
    assert_int_equal(sw_parser_extract(p, "{\"a\":[\"x\":\"y\"]}", 15, 15, NULL, ev, 4, &n), SW_X_OK);
    assert_int_equal(n, 1);
    sw_parser_free(p);

    /* Through scan: rejected, and the record after it is still read. */
    sw_buf in = {0};
    sw_buf_puts(&in, "{\"hint\":\"user.session.start\",\"x\":\"a\":\"b\"}}\n");
    put_record(&in, -1, NULL, 0, 0);
    expect_scan(NULL, in.p, in.len, "records=2 events=1 eligible=1 tracked_users=1 malformed_json=1", "malformed_json@1");
    sw_buf_free(&in);
}

/* ---- a 100 MB line from a pipe ---------------------------------------------------- */

/* Runs scan in a child process of ours, so that RUSAGE_CHILDREN there
 * counts only that scan: its exit status, summary and peak RSS in KiB. */
static int measured_scan(const char *in, size_t len, char *summary, size_t cap, long *maxrss_kb) {
    int fd;
    pid_t pid = tu_fork_writer(&fd);
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *argv[] = {"scan", "--summary", "json", NULL};
        tu_result r = tu_run(argv, in, len);
        struct rusage ru;
        getrusage(RUSAGE_CHILDREN, &ru);
        long rss = ru.ru_maxrss;
        int ok = write(fd, &r.status, sizeof r.status) == sizeof r.status &&
                 write(fd, &rss, sizeof rss) == sizeof rss &&
                 write(fd, r.err, r.err_len) == (ssize_t)r.err_len;
        tu_result_free(&r);
        close(fd);
        _exit(ok ? 0 : 1);
    }
    int status = -1;
    size_t got = 0;
    ssize_t k;
    char head[sizeof(int) + sizeof(long)];
    while (got < sizeof head && (k = read(fd, head + got, sizeof head - got)) > 0) got += (size_t)k;
    assert_int_equal(got, sizeof head);
    memcpy(&status, head, sizeof status);
    memcpy(maxrss_kb, head + sizeof status, sizeof *maxrss_kb);
    got = 0;
    while (got + 1 < cap && (k = read(fd, summary + got, cap - 1 - got)) > 0) got += (size_t)k;
    summary[got] = '\0';
    close(fd);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return status;
}

static const char BIG_OPEN[] = "{\"eventType\":\"user.session.start\",\"pad\":\"";

/* A record of exactly big bytes: {"eventType":..,"pad":"xxx...x"} */
static void put_big(char *dst, size_t big) {
    memset(dst, 'x', big);
    memcpy(dst, BIG_OPEN, sizeof BIG_OPEN - 1);
    memcpy(dst + big - 2, "\"}", 2);
}

static void test_huge_line_from_pipe(void **state) {
    (void)state;
    const size_t big = 100u << 20;
    sw_buf head = {0}, tail = {0};
    put_record(&head, -1, NULL, 0, 0);
    put_record(&tail, -1, NULL, 0, 1);
    put_record(&tail, -1, NULL, 0, 2);
    char *in = malloc(head.len + 2 * (big + 1) + tail.len);
    assert_non_null(in);

    /* head, the 100 MB line, then two more records: line 2 is too large,
     * lines 3 and 4 are still read, and line 4 completes the alert. */
    size_t n = 0;
    memcpy(in, head.p, head.len), n += head.len;
    put_big(in + n, big), n += big;
    in[n++] = '\n';
    memcpy(in + n, tail.p, tail.len), n += tail.len;
    scan_result s = scan(NULL, in, n);
    jc_free(expect_one_alert(&s, "records=4 events=3 eligible=3 alerts=1 tracked_users=1 too_large=1", "too_large@2", 4));
    /* The dead letter keeps the line's first 1024 bytes. */
    jc_node *rej = jc_parse(s.rejects, strcspn(s.rejects, "\n"), NULL);
    assert_non_null(rej);
    const jc_node *rec = jc_get(rej, "record");
    assert_true(rec && rec->type == JC_STRING && rec->n == 1024);
    assert_memory_equal(rec->s, BIG_OPEN, sizeof BIG_OPEN - 1);
    jc_free(rej);
    scan_free(&s);

    /* Memory: the 100 MB line costs no more than leaving it out (the
     * reader streams past it); 32 MiB of slack for allocator noise, under
     * sanitizers and Valgrind alike. */
    char summary[4096];
    long rss_big, rss_small;
    assert_int_equal(measured_scan(in, n, summary, sizeof summary, &rss_big), 0);
    assert_non_null(strstr(summary, "\"alerts\":1,"));
    assert_non_null(strstr(summary, "\"too_large\":1,"));
    char want_bytes[48]; /* every byte read, the huge line's skipped rest included */
    snprintf(want_bytes, sizeof want_bytes, "\"bytes\":%zu,", n);
    if (!strstr(summary, want_bytes)) fail_msg("summary lacks %s: %s", want_bytes, summary);
    memcpy(in + head.len, tail.p, tail.len);
    assert_int_equal(measured_scan(in, head.len + tail.len, summary, sizeof summary, &rss_small), 0);
    assert_non_null(strstr(summary, "\"alerts\":1,"));
    if (rss_big > rss_small + 32 * 1024)
        fail_msg("peak RSS %ld KiB with the 100 MB line, %ld KiB without it", rss_big, rss_small);

    /* The huge line last, without a newline; then two in a row. */
    n = head.len;
    put_big(in + n, big), n += big;
    expect_scan(NULL, in, n, "records=2 events=1 eligible=1 tracked_users=1 too_large=1", "too_large@2");
    in[n++] = '\n';
    put_big(in + n, big), n += big;
    in[n++] = '\n';
    expect_scan(NULL, in, n, "records=3 events=1 eligible=1 tracked_users=1 too_large=2", "too_large@2 too_large@3");
    free(in);
    sw_buf_free(&head);
    sw_buf_free(&tail);
}

/* ---- NUL bytes ------------------------------------------------------------------- */

static void test_nul_bytes(void **state) {
    (void)state;
    sw_buf in = {0}, named = {0};
    put_record(&in, -1, NULL, 0, 0);                 /* 1: s0 */
    sw_buf_put(&in, "\0\n", 2);                             /* 2: a record of one NUL */
    put_record(&named, F_NAME, "\"a#b\"", 0, 0);     /* 3: a raw NUL inside a string */
    *strchr(cstr(&named), '#') = '\0';
    sw_buf_put(&in, named.p, named.len);
    sw_buf_put(&in, "\0", 1);                               /* 4: a NUL before a record */
    put_record(&in, -1, NULL, 0, 0);
    put_record_end(&in, 0, "");                      /* 5: a NUL after a record */
    sw_buf_put(&in, "\0\n", 2);
    put_record(&in, -1, NULL, 0, 1);                 /* 6: s1 */
    put_record(&in, -1, NULL, 0, 2);                 /* 7: s2, the alert */

    scan_result s = scan(NULL, in.p, in.len);
    /* Line 2 holds no session start: skipped unparsed by the prefilter. */
    jc_free(expect_one_alert(&s, "records=7 events=3 prefiltered=1 eligible=3 alerts=1 tracked_users=1 "
                                 "not_session_start=1 malformed_json=3",
                             "malformed_json@3 malformed_json@4 malformed_json@5", 7));
    scan_free(&s);
    const char *noprefilter[] = {"--no-prefilter", NULL};
    expect_scan(noprefilter, in.p, in.len, "records=7 events=3 eligible=3 alerts=1 tracked_users=1 malformed_json=4",
                "malformed_json@2 malformed_json@3 malformed_json@4 malformed_json@5");
    sw_buf_free(&in);
    sw_buf_free(&named);

    /* An escaped NUL is a byte of the value: "s\0a", "s\0b" and "s" are
     * three sessions, shown with their NULs. */
    sw_buf esc = {0};
    static const char *const ids[] = {"\"s\\u0000a\"", "\"s\\u0000b\"", "\"s\""};
    for (int i = 0; i < 3; i++) put_record_sfx(&esc, F_SID, ids[i], 0, i, 0);
    s = scan(NULL, esc.p, esc.len);
    jc_node *a = expect_one_alert(&s, "records=3 events=3 eligible=3 alerts=1 tracked_users=1", "", 3);
    const jc_node *ss = jc_get(a, "sessions");
    is_str(jc_get(jc_at(ss, 0), "id"), "s\0a", 3);
    is_str(jc_get(jc_at(ss, 1), "id"), "s\0b", 3);
    is_str(jc_get(jc_at(ss, 2), "id"), "s", 1);
    jc_free(a);
    scan_free(&s);
    sw_buf_free(&esc);
}

/* ---- byte order marks -------------------------------------------------------------- */

#define BOM "\xEF\xBB\xBF"

static void test_boms(void **state) {
    (void)state;
    /* At the start of the input: dropped.  At the start of a later line:
     * part of the record, which is then not JSON. */
    sw_buf in = {0};
    sw_buf_puts(&in, BOM);
    put_record(&in, -1, NULL, 0, 0);
    sw_buf_puts(&in, BOM);
    put_record(&in, -1, NULL, 0, 9);
    put_record(&in, -1, NULL, 0, 1);
    put_record(&in, -1, NULL, 0, 2);
    expect_scan(NULL, in.p, in.len, "records=4 events=3 eligible=3 alerts=1 tracked_users=1 malformed_json=1",
                "malformed_json@2");

    /* Each file's own first BOM is dropped. */
    sw_buf f1 = {0}, f2 = {0};
    sw_buf_puts(&f1, BOM);
    put_record(&f1, -1, NULL, 0, 0);
    put_record(&f1, -1, NULL, 0, 1);
    sw_buf_puts(&f2, BOM);
    put_record(&f2, -1, NULL, 0, 2);
    char p1[64], p2[64];
    snprintf(p1, sizeof p1, "%s", tu_write_temp(f1.p, f1.len));
    snprintf(p2, sizeof p2, "%s", tu_write_temp(f2.p, f2.len));
    const char *files[] = {p1, p2, NULL};
    scan_result s = scan(files, NULL, 0);
    jc_node *a = expect_one_alert(&s, "records=3 events=3 eligible=3 alerts=1 tracked_users=1", "", 1);
    is_str(jc_get(jc_get(a, "source"), "file"), p2, strlen(p2));
    jc_free(a);
    scan_free(&s);
    unlink(p1);
    unlink(p2);

    /* A BOM alone on the first line leaves a blank line (numbered, skipped);
     * two BOMs: the second is part of the record. */
    sw_buf lone = {0};
    sw_buf_puts(&lone, BOM "\n");
    put_record(&lone, -1, NULL, 0, 0);
    sw_buf_puts(&lone, BOM BOM);
    put_record(&lone, -1, NULL, 0, 1);
    expect_scan(NULL, lone.p, lone.len, "records=2 events=1 eligible=1 tracked_users=1 malformed_json=1", "malformed_json@3");
    sw_buf two = {0};
    sw_buf_puts(&two, BOM BOM);
    put_record(&two, -1, NULL, 0, 0);
    expect_scan(NULL, two.p, two.len, "records=1 malformed_json=1", "malformed_json@1");
    sw_buf_free(&in);
    sw_buf_free(&f1);
    sw_buf_free(&f2);
    sw_buf_free(&lone);
    sw_buf_free(&two);
}

/* ---- CRLF -------------------------------------------------------------------------- */

static void test_crlf(void **state) {
    (void)state;
    /* CRLF; CR CR LF (one CR is the line end, the other JSON whitespace); a
     * blank CRLF line; the last line ending in CR without LF. */
    sw_buf in = {0};
    put_record_end(&in, 0, "\r\n");
    put_record_end(&in, 1, "\r\r\n");
    sw_buf_puts(&in, "\r\n");
    put_record_end(&in, 2, "\r");
    scan_result s = scan(NULL, in.p, in.len);
    jc_free(expect_one_alert(&s, "records=3 events=3 eligible=3 alerts=1 tracked_users=1", "", 4));
    scan_free(&s);

    /* A lone CR does not end a line: two records on one line, malformed. */
    sw_buf cr = {0};
    put_record_end(&cr, 0, "\r");
    put_record(&cr, -1, NULL, 0, 1);
    expect_scan(NULL, cr.p, cr.len, "records=1 malformed_json=1", "malformed_json@1");
    sw_buf_free(&in);
    sw_buf_free(&cr);
}

/* ---- empty input, no final newline ---------------------------------------------------- */

static void test_empty_file(void **state) {
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "%s", tu_write_temp("", 0));
    const char *file[] = {path, NULL};
    static const char *const inputs[] = {"", "\n", "\r\n\n \t\r\n"};
    for (size_t i = 0; i < 2 * (sizeof inputs / sizeof inputs[0]); i++) {
        const char *data = inputs[i / 2];
        scan_result s;
        if (i % 2) {
            FILE *f = fopen(path, "w");
            assert_non_null(f);
            fputs(data, f);
            fclose(f);
            s = scan(file, NULL, 0);
        } else {
            s = scan(NULL, data, strlen(data));
        }
        expect_summary(&s.r, "records=0");
        expect_rejects(s.rejects, "");
        assert_int_equal(s.r.out_len, 0);
        scan_free(&s);
    }
    unlink(path);
}

static void test_no_final_newline(void **state) {
    (void)state;
    sw_buf in = {0};
    for (int i = 0; i < 3; i++) put_record(&in, -1, NULL, 0, i);
    in.len--; /* the last '\n' */
    char path[64];
    snprintf(path, sizeof path, "%s", tu_write_temp(in.p, in.len));
    const char *file[] = {path, NULL};
    for (int from_file = 0; from_file < 2; from_file++) {
        scan_result s = from_file ? scan(file, NULL, 0) : scan(NULL, in.p, in.len);
        jc_free(expect_one_alert(&s, "records=3 events=3 eligible=3 alerts=1 tracked_users=1", "", 3));
        scan_free(&s);
    }
    unlink(path);
    /* A last line cut short, or ending in the first byte of a UTF-8
     * character, is malformed. */
    size_t full = in.len;
    in.len -= 40;
    expect_scan(NULL, in.p, in.len, "records=3 events=2 eligible=2 tracked_users=1 malformed_json=1", "malformed_json@3");
    in.len = full;
    sw_buf_put(&in, "\xc3", 1);
    expect_scan(NULL, in.p, in.len, "records=3 events=2 eligible=2 tracked_users=1 malformed_json=1",
                "malformed_json@3");
    sw_buf_free(&in);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_surrogates),
        cmocka_unit_test(test_huge_numbers),
        cmocka_unit_test(test_other_json_types),
        cmocka_unit_test(test_ecs_values),
        cmocka_unit_test(test_deliberate_differences),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_misplaced_colons),
        cmocka_unit_test(test_huge_line_from_pipe),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_boms),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_no_final_newline),
    };
    if (getenv("TFILTER")) cmocka_set_test_filter(getenv("TFILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* rule_harness.c -- see rule_harness.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rule_harness.h"

/* ---------------------------------------------------------------- harness */

harness H;

/* 2026-01-06T11:46:40.000Z and 2027-01-01T00:00:00.000Z */
int64_t clock_a(void) { return 1767700000000LL; }
int64_t clock_b(void) { return 1798761600000LL; }

static void on_alert(void *ud, const sw_alert_out *o) {
    harness *h = ud;
    if (h->na == h->acap) {
        h->acap = h->acap ? h->acap * 2 : 16;
        h->a = realloc(h->a, h->acap * sizeof *h->a);
        assert_non_null(h->a);
    }
    got_alert *g = &h->a[h->na++];
    memset(g, 0, sizeof *g);
    g->json = malloc(o->json_len + 1);
    assert_non_null(g->json);
    memcpy(g->json, o->json, o->json_len);
    g->json[o->json_len] = '\0';
    assert_int_equal(strlen(g->json), o->json_len);
    assert_int_equal(strlen(o->alert_id), SW_ALERT_ID_LEN);
    memcpy(g->id, o->alert_id, SW_ALERT_ID_LEN + 1);
    assert_true(o->tenant_len < sizeof g->tenant && o->actor_len < sizeof g->actor);
    memcpy(g->tenant, o->tenant, o->tenant_len);
    memcpy(g->actor, o->actor, o->actor_len);
    g->line = o->source->line;
    g->index = o->source->index;
}

void on_reject(void *ud, sw_verdict why, const char *rec, size_t len, const sw_source *src) {
    harness *h = ud;
    if (h->nr++ >= MAX_REJECTS) return;
    got_reject *g = &h->r[h->nr - 1];
    g->why = why;
    g->len = len;
    size_t n = len < sizeof g->head - 1 ? len : sizeof g->head - 1;
    memcpy(g->head, rec, n);
    g->head[n] = '\0';
    g->line = src->line;
    g->index = src->index;
}

/* Numbers the records' uuids; restarted by h_init so that two runs over
 * the same calls build byte-identical records. */
unsigned uuid_counter;

void h_init(harness *h) {
    uuid_counter = 0;
    memset(h, 0, sizeof *h);
    sw_config_defaults(&h->cfg);
    h->mode = -1;
    h->clock = clock_a;
}

void h_free(harness *h) {
    for (size_t i = 0; i < h->na; i++) free(h->a[i].json);
    free(h->a);
    free(h->buf);
    sw_engine_free(h->e);
    sw_parser_free(h->p);
    memset(h, 0, sizeof *h);
}

/* The engine, created on first use so that a test may set h->cfg first. */
sw_engine *eng(harness *h) {
    if (!h->e) {
        h->p = sw_parser_new(h->cfg.max_record_bytes);
        assert_non_null(h->p);
        h->e = sw_engine_new(&h->cfg, on_alert, on_reject, h);
        assert_non_null(h->e);
        sw_engine_set_clock(h->e, h->clock);
    }
    return h->e;
}

const sw_counters *cnt(harness *h) { return sw_engine_counters(eng(h)); }

static void feed_n(harness *h, const char *rec, size_t len) {
    sw_engine *e = eng(h);
    h->line++;
    int padded = h->mode < 0 ? (int)(h->line & 1) : h->mode;
    size_t cap = padded ? len + SW_PADDING : len;
    /* A fresh exact-size block each time, so ASan sees any read past cap. */
    free(h->buf);
    h->buf = malloc(cap ? cap : 1);
    assert_non_null(h->buf);
    if (len) memcpy(h->buf, rec, len);
    if (padded) memset(h->buf + len, '"', SW_PADDING);
    sw_source src = {.file = "test", .line = h->line, .topic = NULL,
                     .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
    sw_engine_feed(e, h->p, h->buf, len, cap, &src);
}

void feed(harness *h, const char *rec) { feed_n(h, rec, strlen(rec)); }

void feed_steps(harness *h, const char *actor, const char *name, const step *steps) {
    for (const step *s = steps; s->sid; s++) feed(h, ev(actor, name, s->sid, T(s->hms)));
}

const char *completes(harness *h, size_t n, const char *actor, const char *name, const char *sid, const char *hms) {
    assert_int_equal(h->na, n);
    feed(h, ev(actor, name, sid, T(hms)));
    assert_int_equal(h->na, n + 1);
    return h->a[n].json;
}

void feed_tenant_steps(harness *h, const char *actor, const tenant_step *steps) {
    for (const tenant_step *s = steps; s->sid; s++)
        feed(h, s->tenant ? evt(s->tenant, actor, s->sid, T(s->hms)) : ev(actor, "U", s->sid, T(s->hms)));
}

void expect_actors_at(int line, harness *h, sw_verdict v, const who *w) {
    for (; w->actor; w++) {
        const char *rec = ev(w->actor, w->name, w->sid, T("08:00"));
        feed_expect_at(line, h, rec, strlen(rec), v);
    }
}

int setup(void **state) {
    (void)state;
    h_init(&H);
    return 0;
}

int teardown(void **state) {
    (void)state;
    h_free(&H);
    return 0;
}

/* --------------------------------------------------------------- records */

static char *slot(void) {
    static char slots[NSLOTS][SLOT];
    static unsigned i;
    return slots[i++ % NSLOTS];
}

void sb_add(sb *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, SLOT - b->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < SLOT - b->len);
    b->len += (size_t)n;
}

/* A member's value: NULL means the default, ABSENT leaves the key out. */
const char ABSENT[] = "<absent>";

static void member(sb *b, const char *key, const char *val, const char *dflt) {
    const char *v = val ? val : dflt;
    if (v == ABSENT) return;
    sb_add(b, ",\"%s\":%s", key, v);
}

/* Every value is raw JSON text (strings include their quotes). */

/* A raw Okta System Log LogEvent. */
const char *build(rspec s) {
    sb b = {slot(), 0};
    sb_add(&b, "{\"uuid\":\"ev-%05u\"", ++uuid_counter);
    member(&b, "published", s.time, "\"2026-01-05T08:00:00.000Z\"");
    member(&b, "eventType", s.type, "\"user.session.start\"");
    sb_add(&b, ",\"version\":\"0\",\"severity\":\"INFO\",\"actor\":{\"type\":\"User\"");
    member(&b, "id", s.actor, "\"00u1\"");
    member(&b, "alternateId", s.alt, "\"user@example.com\"");
    member(&b, "displayName", s.name, "\"User One\"");
    sb_add(&b, "},\"client\":{\"ipAddress\":\"203.0.113.7\",\"userAgent\":{\"rawUserAgent\":"
               "\"Mozilla/5.0 (test)\",\"os\":\"Linux\"},\"geographicalContext\":{\"country\":"
               "\"Testland\",\"city\":\"Testville\"}},\"outcome\":{\"reason\":null");
    member(&b, "result", s.outcome, "\"SUCCESS\"");
    sb_add(&b, "},\"authenticationContext\":{\"authenticationStep\":0");
    member(&b, "externalSessionId", s.sid, "\"s1\"");
    sb_add(&b, "}");
    if (s.extra) sb_add(&b, ",%s", s.extra);
    sb_add(&b, "}");
    return b.p;
}

/* "08:20" -> "2026-01-05T08:20:00.000Z"; "08:35:00.001" likewise. */
const char *T(const char *hms) {
    static char slots[64][80];
    static unsigned i;
    char *out = slots[i++ % 64];
    size_t n = strlen(hms);
    snprintf(out, 80, "2026-01-05T%s%sZ", hms, n == 5 ? ":00.000" : n == 8 ? ".000" : "");
    return out;
}

const char *quote(const char *s) {
    if (!s) return ABSENT;
    char *out = slot();
    snprintf(out, SLOT, "\"%s\"", s);
    return out;
}

/* A session start: actor id, display name (NULL: none), session id (raw
 * JSON string content, so escapes are allowed) and time, all plain. */
const char *ev(const char *actor, const char *name, const char *sid, const char *time) {
    char alt[256];
    snprintf(alt, sizeof alt, "%s@example.com", actor);
    return build((rspec){.actor = quote(actor), .name = quote(name), .alt = quote(alt),
                         .sid = quote(sid), .time = quote(time)});
}

/* The same with a top-level "tenant". */
const char *evt(const char *tenant, const char *actor, const char *sid, const char *time) {
    char alt[256], extra[256];
    snprintf(alt, sizeof alt, "%s@example.com", actor);
    snprintf(extra, sizeof extra, "\"tenant\":\"%s\"", tenant);
    return build((rspec){.actor = quote(actor), .name = quote("Tenant User"), .alt = quote(alt),
                         .sid = quote(sid), .time = quote(time), .extra = extra});
}

/* Sets a tenant's watermark to time: one session start at time from each
 * of SW_WM_ACTORS pacer actors (p1, p2, ...), the fewest that move it
 * (tenant NULL: the default tenant).  They never alert (one session each). */
void pace(harness *h, const char *tenant, const char *time) {
    for (int i = 1; i <= SW_WM_ACTORS; i++) {
        char actor[16];
        snprintf(actor, sizeof actor, "p%d", i);
        feed(h, tenant ? evt(tenant, actor, "pace", time) : ev(actor, "Pacer", "pace", time));
    }
}

/* An ECS document (Elastic's okta integration, nested). extra: top-level members. */
const char *ecs(const char *actor, const char *sid, const char *time, const char *extra) {
    sb b = {slot(), 0};
    sb_add(&b, "{\"@timestamp\":\"%s\",\"okta\":{\"event_type\":\"user.session.start\","
               "\"actor\":{\"id\":\"%s\",\"display_name\":\"ECS User\"},"
               "\"authentication_context\":{\"external_session_id\":\"%s\"}}",
           time, actor, sid);
    if (extra) sb_add(&b, ",%s", extra);
    sb_add(&b, "}");
    return b.p;
}

/* ------------------------------------------------------- alert inspection */

/* The session ids of an alert, in the order listed. */
size_t alert_ids(const char *json, char ids[][64], size_t max) {
    const char *p = strstr(json, "\"sessions\":[");
    if (!p) return 0;
    p += strlen("\"sessions\":[");
    const char *end = strstr(p, "],\"source\":");
    assert_non_null(end);
    size_t n = 0;
    while ((p = strstr(p, "{\"id\":\"")) && p < end) {
        p += 7;
        const char *q = strchr(p, '"');
        assert_non_null(q);
        assert_true(n < max && (size_t)(q - p) < 64);
        memcpy(ids[n], p, (size_t)(q - p));
        ids[n][q - p] = '\0';
        n++;
        p = q;
    }
    return n;
}

/* The alert lists exactly these sessions, in this order (last_seen, then
 * id), and says so in threshold_result.cardinality. */
void expect_sessions_at(int line, const char *json, const char *const *want) {
    char ids[80][64];
    size_t n = alert_ids(json, ids, 80), nw = 0;
    while (want[nw]) nw++;
    int ok = n == nw;
    for (size_t i = 0; ok && i < n; i++) ok = strcmp(ids[i], want[i]) == 0;
    if (!ok) {
        char got[1024] = "", exp[1024] = "";
        for (size_t i = 0; i < n; i++) {
            strncat(got, ids[i], sizeof got - strlen(got) - 2);
            strncat(got, " ", sizeof got - strlen(got) - 1);
        }
        for (size_t i = 0; i < nw; i++) {
            strncat(exp, want[i], sizeof exp - strlen(exp) - 2);
            strncat(exp, " ", sizeof exp - strlen(exp) - 1);
        }
        fail_msg("line %d: alert lists [%s], expected [%s]", line, got, exp);
    }
    char card[200];
    snprintf(card, sizeof card,
             "\"cardinality\":[{\"field\":\"okta.authentication_context.external_session_id\","
             "\"value\":%zu}]",
             nw);
    assert_contains(json, card);
}

/* The JSON object of session id in the alert (from its '{'), NUL-terminated copy. */
const char *session_obj(const char *json, const char *id) {
    char key[128];
    snprintf(key, sizeof key, "{\"id\":\"%s\",", id);
    const char *s = strstr(json, "\"sessions\":[");
    assert_non_null(s);
    const char *p = strstr(s, key);
    if (!p) fail_msg("session %s not in %s", id, json);
    const char *q = strstr(p, ",\"event_uuid\":");
    assert_non_null(q);
    char *out = slot();
    size_t n = (size_t)(q - p);
    assert_true(n < SLOT);
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

const char *jtime(const char *key, const char *hms) {
    char *out = slot();
    snprintf(out, SLOT, "\"%s\":\"%s\"", key, T(hms));
    return out;
}

int is_hex_id(const char *s) {
    if (strlen(s) != SW_ALERT_ID_LEN) return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return 0;
    return 1;
}

/* ------------------------------------------------------ verdict checking */

/* Feeds rec and checks its fate: exactly one of eligible or verdict[want]
 * moved, by one, and on_reject saw it iff want is a reject reason. */
void feed_expect_at(int line, harness *h, const char *rec, size_t len, sw_verdict want) {
    sw_counters before = *cnt(h);
    size_t nr = h->nr;
    feed_n(h, rec, len);
    const sw_counters *after = cnt(h);
    int got = -1, moved = 0;
    if (after->eligible != before.eligible) {
        got = SW_ELIGIBLE;
        moved += (int)(after->eligible - before.eligible);
    }
    for (int v = 1; v < SW_VERDICT_COUNT; v++)
        if (after->verdict[v] != before.verdict[v]) {
            got = v;
            moved += (int)(after->verdict[v] - before.verdict[v]);
        }
    if (got != (int)want || moved != 1)
        fail_msg("line %d: expected %s, got %s (%d counters moved) for %.*s", line,
                 sw_verdict_name(want), got < 0 ? "nothing" : sw_verdict_name((sw_verdict)got),
                 moved, (int)(len < 300 ? len : 300), rec);
    if (sw_verdict_is_reject(want)) {
        assert_int_equal(h->nr, nr + 1);
        assert_true(h->nr <= MAX_REJECTS);
        assert_int_equal(h->r[h->nr - 1].why, want);
        assert_int_equal(h->r[h->nr - 1].len, len);
        assert_int_equal(h->r[h->nr - 1].line, h->line);
    } else {
        assert_int_equal(h->nr, nr);
    }
}

/* Sessions held per key never exceed N; no alert lists more than N. */
void check_bounded(harness *h, uint32_t n_max) {
    sw_store *st = sw_engine_store(eng(h));
    for (uint32_t i = 0; i < st->users.count; i++) {
        const sw_user *u = sw_table_at(&st->users, i);
        assert_true(u->nsessions <= n_max);
        uint32_t len = 0;
        for (const sw_session *s = u->sessions; s; s = s->next) len++;
        assert_int_equal(len, u->nsessions);
    }
}

/* fuzz_alert_json.c -- libFuzzer target: the JSON writer (stream/core/jsonw.c)
 * and the alert (stream/core/alert.c) never emit anything but valid JSON that
 * decodes back to the strings they were given.
 *
 * 1. The whole input through sw_json_str: the output must be one strict
 *    JSON string (json_check.c) that decodes to the input with each byte
 *    that does not start a valid UTF-8 sequence replaced by U+FFFD (the
 *    per-byte replacement jsonw.c implements), with DEL, the C1 controls
 *    and U+2028/U+2029 never raw; sw_json_str_body must be the same text
 *    without the quotes.
 * 2. An alert built from the input: fields separated by the two bytes
 *    FF FE are the tenant, the actor id, the display name, the alternate
 *    id (the completing event's, cut at 255 bytes), the source file (or Kafka topic), then per session its id, ip,
 *    user agent, country, city and event uuid (up to 8 sessions; times,
 *    counts and the source's numbers come from a hash of the input, any
 *    int64 for the alert's own times).  Sessions go through the real window
 *    code (sw_window_observe / sw_window_collect), so the strings are cut as
 *    the engine cuts them.  The alert must parse as strict JSON, show every
 *    string as given (cut, then invalid UTF-8 replaced), every number as
 *    given, every time as its clamped RFC 3339 text, and its id must not
 *    depend on the order of the sessions. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "config.h"
#include "fuzz.h"
#include "json_check.h"
#include "jsonw.h"
#include "rule.h"
#include "slab.h"
#include "timefmt.h"
#include "window.h"

#define MAX_FIELDS (5 + 6 * 8)
#define MIN_MS (-62167219200000LL) /* 0000-01-01T00:00:00.000Z */
#define MAX_MS 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

static uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t fnv(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* s[0 .. n) must decode from node exactly as sw_json_str owes it. */
static void check_text(const jc_node *node, const char *s, size_t n) {
    char *want = malloc(3 * n + 1);
    FZ_CHECK(want);
    size_t wn = jc_expect_text(s, n, want);
    FZ_CHECK(jc_is_str(node, want, wn));
    free(want);
}

/* A string, or null when empty (alert.c's str_or_null). */
static void check_text_or_null(const jc_node *node, const char *s, size_t n) {
    if (n == 0) FZ_CHECK(node && node->type == JC_NULL);
    else check_text(node, s, n);
}

static void check_int(const jc_node *node, long long v) {
    char want[32];
    snprintf(want, sizeof want, "%lld", v);
    FZ_CHECK(node && node->type == JC_NUMBER && strcmp(node->s, want) == 0);
}

static int64_t clamp_ms(int64_t ms) { return ms < MIN_MS ? MIN_MS : ms > MAX_MS ? MAX_MS : ms; }

/* A time field: "YYYY-MM-DDThh:mm:ss.mmmZ" that parses back to ms, clamped. */
static void check_time(const jc_node *node, int64_t ms) {
    FZ_CHECK(node && node->type == JC_STRING && node->n == 24 && node->s[23] == 'Z');
    int64_t back;
    FZ_CHECK(sw_time_parse(node->s, node->n, &back) == 0);
    FZ_CHECK(back == clamp_ms(ms));
}

static void check_json_str(const uint8_t *data, size_t size) {
    sw_buf b = {0};
    sw_json_str(&b, (const char *)data, size);
    FZ_CHECK(!b.oom);
    FZ_CHECK(b.len >= 2 && b.p[0] == '"' && b.p[b.len - 1] == '"');
    FZ_CHECK(jc_no_raw_separators(b.p, b.len));
    const char *err = NULL;
    jc_node *root = jc_parse(b.p, b.len, &err);
    if (!root) fprintf(stderr, "sw_json_str output is not JSON: %s\n", err);
    FZ_CHECK(root);
    check_text(root, (const char *)data, size);
    jc_free(root);

    sw_buf body = {0};
    sw_json_str_body(&body, (const char *)data, size);
    FZ_CHECK(!body.oom);
    FZ_CHECK(body.len == b.len - 2 && (body.len == 0 || memcmp(body.p, b.p + 1, body.len) == 0));
    sw_buf_free(&body);
    sw_buf_free(&b);
}

typedef struct {
    const char *p;
    size_t n;
} field;

static size_t split(const uint8_t *data, size_t size, field *f) {
    size_t nf = 0, start = 0;
    for (size_t i = 0; i + 1 < size && nf < MAX_FIELDS - 1; i++) {
        if (data[i] == 0xFF && data[i + 1] == 0xFE) {
            f[nf++] = (field){(const char *)data + start, i - start};
            start = i + 2;
            i++;
        }
    }
    f[nf++] = (field){(const char *)data + start, size - start};
    for (size_t i = nf; i < MAX_FIELDS; i++) f[i] = (field){"", 0};
    return nf;
}

/* An id (session, actor, tenant) as alert.h bounds it: cut at
 * SW_ALERT_MAX_ID bytes on a character boundary; how many bytes it shows. */
static size_t id_shown(const char *p, size_t n) { return n > SW_ALERT_MAX_ID ? sw_utf8_cut(p, n, SW_ALERT_MAX_ID) : n; }

/* The {"bytes","hash"} note of a cut id: present exactly when it was cut. */
static void check_cut_note(const jc_node *note, const char *p, size_t n) {
    if (id_shown(p, n) == n) {
        FZ_CHECK(!note);
        return;
    }
    FZ_CHECK(note && note->type == JC_OBJECT);
    check_int(jc_get(note, "bytes"), (long long)n);
    const jc_node *hash = jc_get(note, "hash");
    FZ_CHECK(hash && hash->type == JC_STRING && hash->n == 16 && strspn(hash->s, "0123456789abcdef") == 16);
}

static void check_session(const jc_node *js, const sw_session *s, const sw_session_info *si) {
    FZ_CHECK(js && js->type == JC_OBJECT);
    check_text(jc_get(js, "id"), si->id.p, id_shown(si->id.p, si->id.n));
    check_cut_note(jc_get(js, "id_truncated"), si->id.p, si->id.n);
    check_time(jc_get(js, "first_seen"), s->first_seen);
    check_time(jc_get(js, "last_seen"), s->last_seen);
    check_int(jc_get(js, "events"), s->events);
    const jc_node *client = jc_get(js, "client"), *geo = jc_get(client, "geo");
    check_text_or_null(jc_get(client, "ip"), si->ip.p, sw_utf8_cut(si->ip.p, si->ip.n, SW_MAX_DETAIL));
    check_text_or_null(jc_get(client, "user_agent"), si->user_agent.p,
                       sw_utf8_cut(si->user_agent.p, si->user_agent.n, SW_MAX_UA));
    check_text_or_null(jc_get(geo, "country_name"), si->country.p,
                       sw_utf8_cut(si->country.p, si->country.n, SW_MAX_DETAIL));
    check_text_or_null(jc_get(geo, "city_name"), si->city.p, sw_utf8_cut(si->city.p, si->city.n, SW_MAX_DETAIL));
    check_text_or_null(jc_get(js, "event_uuid"), si->uuid.p, sw_utf8_cut(si->uuid.p, si->uuid.n, SW_MAX_DETAIL));
}

static void check_alert(const uint8_t *data, size_t size) {
    field f[MAX_FIELDS];
    size_t nf = split(data, size, f);
    size_t nsess = nf <= 5 ? 1 : (nf - 5 + 5) / 6;
    if (nsess > 8) nsess = 8;
    uint64_t h = fnv(data, size);

    sw_config cfg;
    sw_config_defaults(&cfg);
    sw_slab slab;
    sw_slab_init(&slab);
    sw_user u;
    memset(&u, 0, sizeof u);
    sw_window_init(&u);
    char *key = malloc(4 + f[1].n + 1);
    FZ_CHECK(key);
    memset(key, 0, 4);
    if (f[1].n) memcpy(key + 4, f[1].p, f[1].n);
    u.k.key = key;
    u.k.key_len = (uint32_t)(4 + f[1].n);

    /* Sessions 1 minute apart from a base time anywhere in a wide range;
     * an empty or repeated session id becomes "s<i>.<k>" (the rule never
     * passes an empty one). */
    sw_session_info si[8];
    char idbuf[8][32];
    int64_t base = (int64_t)(mix(h) % (1ULL << 62)) - (1LL << 61);
    bool nomem = false;
    for (size_t i = 0; i < nsess; i++) {
        const field *g = &f[5 + 6 * i];
        si[i] = (sw_session_info){{g[0].p, g[0].n}, {g[1].p, g[1].n}, {g[2].p, g[2].n},
                                  {g[3].p, g[3].n}, {g[4].p, g[4].n}, {g[5].p, g[5].n}};
        /* Distinct, non-empty ids: a repeated id would be the same session. */
        for (int attempt = 0;; attempt++) {
            bool clash = si[i].id.n == 0;
            for (size_t k = 0; k < i && !clash; k++)
                clash = si[k].id.n == si[i].id.n && memcmp(si[k].id.p, si[i].id.p, si[i].id.n) == 0;
            if (!clash) break;
            snprintf(idbuf[i], sizeof idbuf[i], "s%zu.%d", i, attempt);
            si[i].id = (sw_span){idbuf[i], strlen(idbuf[i])};
        }
        uint64_t idh = fnv((const uint8_t *)si[i].id.p, si[i].id.n);
        sw_observe o = sw_window_observe(&u, &slab, base + (int64_t)i * 60000, &si[i], idh, cfg.window_ms, 64);
        if (o == SW_OBS_NOMEM) nomem = true;
        else FZ_CHECK(o == SW_OBS_COUNTED);
    }
    const sw_session *q[64];
    size_t nq = nomem ? 0 : sw_window_collect(&u, cfg.window_ms, q, 64);
    if (!nomem) FZ_CHECK(nq == nsess);

    if (nq > 0) {
        /* The field's text up to its first NUL: source names are C strings. */
        char *name = malloc(f[4].n + 1);
        FZ_CHECK(name);
        if (f[4].n) memcpy(name, f[4].p, f[4].n);
        name[f[4].n] = '\0';
        uint64_t h2 = mix(h ^ 1), h3 = mix(h ^ 2), h4 = mix(h ^ 3);
        sw_source src = {.kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
        if (h2 & 1) {
            src.topic = name;
            src.partition = (int32_t)(uint32_t)(h3 >> 32);
            src.offset = (int64_t)h4;
            if (h2 & 2) src.kafka_time_ms = (int64_t)mix(h ^ 4);
        } else {
            src.file = name;
            src.line = h3 >> 11; /* < 2^53 */
        }
        if (h2 & 4) src.index = (uint32_t)h4;
        sw_alert a = {
            .tenant = f[0].p, .tenant_len = f[0].n, .user = &u,
            .name = {f[2].p, f[2].n}, .alt = {f[3].p, f[3].n}, .q = q, .nq = nq,
            .event_time = (int64_t)mix(h ^ 5), .detected_at = (int64_t)mix(h ^ 6), .source = &src, .config = &cfg,
        };
        sw_buf scratch = {0}, out = {0};
        char id[SW_ALERT_ID_LEN + 1], id2[SW_ALERT_ID_LEN + 1];
        sw_alert_id(&a, &scratch, id);
        FZ_CHECK(strlen(id) == SW_ALERT_ID_LEN && strspn(id, "0123456789abcdef") == SW_ALERT_ID_LEN);
        /* The same alert with its sessions in the reverse order: same id. */
        const sw_session *rq[64];
        for (size_t i = 0; i < nq; i++) rq[i] = q[nq - 1 - i];
        sw_alert ra = a;
        ra.q = rq;
        sw_alert_id(&ra, &scratch, id2);
        FZ_CHECK(strcmp(id, id2) == 0);

        sw_alert_write(&out, &a, id);
        FZ_CHECK(!out.oom);
        FZ_CHECK(jc_no_raw_separators(out.p, out.len));
        FZ_CHECK(!memchr(out.p, '\n', out.len)); /* one line, whatever the input */
        const char *err = NULL;
        jc_node *root = jc_parse(out.p, out.len, &err);
        if (!root) fprintf(stderr, "alert is not JSON: %s\n%.*s\n", err, (int)out.len, out.p);
        FZ_CHECK(root && root->type == JC_OBJECT);

        FZ_CHECK(jc_is_str(jc_get(root, "alert_id"), id, SW_ALERT_ID_LEN));
        check_time(jc_get(root, "@timestamp"), a.event_time);
        check_time(jc_get(root, "detected_at"), a.detected_at);
        const jc_node *rule = jc_get(root, "rule");
        FZ_CHECK(jc_is_str(jc_get(rule, "id"), SW_RULE_ID, strlen(SW_RULE_ID)));
        check_int(jc_get(jc_get(rule, "parameters"), "window_ms"), cfg.window_ms);
        /* Ids over SW_ALERT_MAX_ID are cut and noted in "truncated"; so
         * are sessions that do not fit in SW_ALERT_MAX_BYTES. */
        const jc_node *cut = jc_get(root, "truncated");
        size_t actor_n = id_shown(f[1].p, f[1].n);
        check_text(jc_get(root, "tenant"), f[0].p, id_shown(f[0].p, f[0].n));
        check_cut_note(cut ? jc_get(cut, "tenant") : NULL, f[0].p, f[0].n);
        check_cut_note(cut ? jc_get(cut, "actor_id") : NULL, f[1].p, f[1].n);
        const jc_node *actor = jc_get(jc_get(root, "okta"), "actor"), *user = jc_get(root, "user");
        size_t name_n = sw_utf8_cut(f[2].p, f[2].n, SW_MAX_DETAIL), alt_n = sw_utf8_cut(f[3].p, f[3].n, SW_MAX_DETAIL);
        check_text(jc_get(actor, "id"), f[1].p, actor_n);
        check_text_or_null(jc_get(actor, "display_name"), f[2].p, name_n);
        check_text_or_null(jc_get(actor, "alternate_id"), f[3].p, alt_n);
        check_text(jc_get(user, "id"), f[1].p, actor_n);
        check_text_or_null(jc_get(user, "name"), f[2].p, name_n);
        check_text_or_null(jc_get(user, "email"), f[3].p, alt_n);
        const jc_node *tr = jc_get(root, "threshold_result");
        check_text(jc_get(jc_at(jc_get(tr, "terms"), 0), "value"), f[1].p, actor_n);
        check_int(jc_get(jc_at(jc_get(tr, "cardinality"), 0), "value"), (long long)nq);
        long long count = 0;
        int64_t from = q[0]->first_seen;
        for (size_t i = 0; i < nq; i++) {
            count += q[i]->events;
            if (q[i]->first_seen < from) from = q[i]->first_seen;
        }
        check_int(jc_get(tr, "count"), count);
        check_time(jc_get(tr, "from"), from);

        const jc_node *sessions = jc_get(root, "sessions");
        size_t omitted = 0, ids_cut = 0;
        if (cut) {
            const jc_node *o = jc_get(cut, "sessions_omitted");
            FZ_CHECK(o && o->type == JC_NUMBER);
            omitted = (size_t)strtoull(o->s, NULL, 10);
            FZ_CHECK(omitted <= nq);
        }
        FZ_CHECK(sessions && sessions->type == JC_ARRAY && sessions->count == nq - omitted);
        /* Sessions are left out only to keep the alert within its bound
         * (unless what is not a session already passes it). */
        FZ_CHECK(out.len <= SW_ALERT_MAX_BYTES || sessions->count == 0);
        for (size_t i = 0; i < nq - omitted; i++) ids_cut += id_shown(si[i].id.p, si[i].id.n) < si[i].id.n;
        bool cut_any = ids_cut || omitted || actor_n < f[1].n || id_shown(f[0].p, f[0].n) < f[0].n;
        FZ_CHECK((cut != NULL) == cut_any);
        if (cut) check_int(jc_get(cut, "session_ids"), (long long)ids_cut);
        for (size_t i = 0; i < nq - omitted; i++) {
            /* Sessions were created in order at distinct times, so q is
             * ordered by last_seen: q[i] is the session of si[i]. */
            FZ_CHECK(q[i]->last_seen == base + (int64_t)i * 60000);
            check_session(jc_at(sessions, i), q[i], &si[i]);
        }

        const jc_node *js = jc_get(root, "source");
        FZ_CHECK(js && js->type == JC_OBJECT);
        if (src.topic) {
            check_text(jc_get(js, "topic"), name, strlen(name));
            check_int(jc_get(js, "partition"), src.partition);
            check_int(jc_get(js, "offset"), src.offset);
            if (src.kafka_time_ms != SW_TIME_NONE) check_time(jc_get(js, "timestamp"), src.kafka_time_ms);
            else FZ_CHECK(!jc_get(js, "timestamp"));
        } else {
            check_text(jc_get(js, "file"), name, strlen(name));
            check_int(jc_get(js, "line"), (long long)src.line);
        }
        if (src.index != UINT32_MAX) check_int(jc_get(js, "index"), src.index);
        else FZ_CHECK(!jc_get(js, "index"));

        jc_free(root);
        sw_buf_free(&out);
        sw_buf_free(&scratch);
        free(name);
    }
    sw_window_clear(&u, &slab);
    sw_slab_destroy(&slab);
    free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_json_str(data, size);
    check_alert(data, size);
    return 0;
}

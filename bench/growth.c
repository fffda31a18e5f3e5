/* growth.c -- how the hot path and the window state scale with the number
 * of tracked users (users that have state in the window).
 *
 * What it measures, for 1 thousand, 100 thousand, 1 million and 10 million
 * users (--max-users caps the largest):
 *   - ns/record of the full hot path, sw_engine_feed with a null alert sink
 *     exactly like bench/hotpath.c's run_full, in three phases:
 *       insert   each user's first session start (a new key per record);
 *       second   every odd user's second session (a new session blob per
 *                record, so users hold 1.5 sessions on average);
 *       steady   a fixed number of records (--steady-records, default 1M)
 *                for random existing users and their existing sessions:
 *                nothing is inserted, so this is the per-record cost at that
 *                state size.  Median (min, max) of --runs runs (env RUNS,
 *                default 5) after one warm-up run, on the last fill's engine.
 *     A fill is a fresh engine taken through insert and second.  Each size
 *     has one warm-up fill and then --runs timed fills; above 1M users,
 *     --big-fills timed fills (default: --runs).  A 10M fill feeds 15M
 *     records into gigabytes of state and takes tens of seconds (its wall
 *     time is reported), so a quick run may take fewer there; what the fills
 *     repeat are the insert timings, the allocators' own counts (the same in
 *     every fill) and an RSS growth that varies by a few pages.
 *   - the state's memory after each fill: RSS growth (/proc/self/statm
 *     before the engine was created vs after filling) and the allocators'
 *     count (slab reserved + tables) per tracked user, median (min, max)
 *     over the fills; and, of the last fill, the slab's bytes_live /
 *     bytes_reserved, the users table's sw_table_bytes, and a breakdown by
 *     what the bytes hold (table entry, its spare capacity, index slots,
 *     keys too long to sit in the entry, session blobs and the bytes
 *     they store, the interned client strings every session shares, slab
 *     rounding and free space).  The allocators' count includes every block
 *     they hold (whole chunks, whole huge pages, the client table's index);
 *     RSS is what the kernel actually backs, huge pages included.
 *
 * Why it is built this way:
 *   - Records are real gen output: sw_gen_run (user.session.start only, no
 *     attacks) renders a few hundred raw Okta LogEvents in memory; those that
 *     the engine counts become templates.  10M users of ~2 KB records would
 *     be 20+ GB of input, so nothing is preloaded per user: a ring of 64Ki
 *     pre-rendered records (~170 MB, more than the last-level cache) is
 *     patched in place per fed record.  The patched fields are fixed width
 *     (actor.id 20 chars, externalSessionId 25, published 24, uuid 36), so a
 *     record's length and shape never change; the ids follow gen's formats
 *     ("00u" + base62, "102" + base64url) and are distinct per user / session
 *     by construction (a bijective mix of the index, then its digits).
 *   - Each record is patched just before it is fed.  The ring is larger than
 *     the last-level cache, so the patch's stores miss exactly the cache
 *     lines the parser would otherwise miss reading a freshly received
 *     record: the record's bytes still come from memory once, as they would
 *     in `scan` or `run`.  (Patching ahead of time instead makes every
 *     patched line come from memory twice; it measured ~100 ns/record
 *     slower.)  The patch's compute cost (id digits, time, uuid: tens of ns)
 *     is in every timed figure; it is measured alone on a hot slot and
 *     reported as "patch", and "net" = steady - patch.
 *   - All event times of a run lie within 30 minutes (inside W = 35 min, and
 *     far from the eviction horizon W + L), so every user stays tracked, no
 *     session leaves the window, and no key holds 3 sessions: no alerts.
 *     The bench checks this (users tracked, every record eligible, no
 *     alerts, no eviction, no out-of-memory) and fails if it does not hold,
 *     because the numbers would then not mean what they say.
 *   - Targets (ns/record grows < 2x from 1k to 10M users; <= 256 state bytes
 *     per tracked user, including what the alert shows) are reported, never
 *     asserted.  Timing lives here, never in tests.
 *
 * --shape runs the rules engine (rengine.h) instead, with one threshold
 * rule of a given shape over the same records, so that a "user" above is a
 * key of that rule (issue 14: growth per rule shape):
 *   seed         the built-in seed engine (default);
 *   count        a count-only rule, Elastic's brute-force shape: value 20,
 *                no cardinality, grouped by okta.actor.alternate_id (patched
 *                per user like actor.id, so one key per user); a key keeps
 *                one entry per counted event ('e' + its uuid, rkey.h), at
 *                most 20;
 *   cardinality  the seed rule's shape through the rules engine: value 1,
 *                3 distinct okta.authentication_context.external_session_id
 *                per okta.actor.id; a key keeps one entry per distinct value.
 * The workload gives a key 1.5 events on average and never 3, so neither
 * rule alerts (the count rule's steady records repeat one of their key's
 * events, uuid included, which counts once: rkey.h; so nothing is inserted
 * there either, as the other shapes' steady records repeat a session); memory per key is then the key plus 1.5 entries, and a key
 * that holds more costs one entry more per event (count) or per distinct
 * value (cardinality), up to the rule's bound.  The rules are TOML text
 * here, loaded as `--rules` loads a file.
 *
 * usage: growth [--json] [--shape seed|count|cardinality] [--max-users N] [--runs N] [--big-fills N]
 *               [--steady-records N]
 *   --json  one JSON line per size (name "growth", with "shape") instead of the tables. */
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "extract.h"
#include "gen.h"
#include "rengine.h"
#include "ruleset.h"
#include "rulespec_of.h"

#define RING_RECORDS 65536u
#define GEN_RECORDS 4096u
#define MAX_TEMPLATES 512u
#define MAX_RUNS 64
#define PHASE_SPAN_MS (10LL * 60 * 1000) /* each of insert, second, steady: 10 of the 30 minutes */

#define ACTOR_LEN 20
#define ALT_LEN 24 /* a patched alternateId: 12 base62 chars + "@example.com" */
#define SID_LEN 25
#define TIME_LEN 24
#define UUID_LEN 36

static const char B64U[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
static const char HEX[] = "0123456789abcdef";

/* splitmix64's finalizer: a bijection on 64-bit values. */
static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (!f) return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* ---- the record ring ---------------------------------------------------- */

typedef struct {
    uint32_t actor, sid, time, uuid; /* offsets of the patched values */
    uint32_t alt, alt_len;           /* actor.alternateId (--shape count), 0: none */
    uint32_t len;
} tmpl_t;

/* ---- the engine under test ------------------------------------------------ */

typedef enum { SHAPE_SEED, SHAPE_COUNT, SHAPE_CARDINALITY } shape_kind;
static const char *const SHAPE_NAMES[] = {"seed", "count", "cardinality"};
static shape_kind shape = SHAPE_SEED;

#define RULE_HEAD                                                                                                   \
    "[rule]\nrule_id = \"00000000-0000-4000-8000-00000000000%d\"\nname = \"growth: %s\"\ntype = \"threshold\"\n"     \
    "language = \"kuery\"\nseverity = \"low\"\nrisk_score = 21\nfrom = \"now-35m\"\n"
static const char COUNT_RULE[] =
    "query = \"event.dataset:okta.system and event.action:user.session.start\"\n"
    "[rule.threshold]\nfield = [\"okta.actor.alternate_id\"]\nvalue = 20\n";
static const char CARDINALITY_RULE[] =
    "query = \"event.dataset:okta.system and okta.event_type:user.session.start and "
    "okta.authentication_context.external_session_id:*\"\n"
    "[rule.threshold]\nfield = [\"okta.actor.id\"]\nvalue = 1\n"
    "[[rule.threshold.cardinality]]\nfield = \"okta.authentication_context.external_session_id\"\nvalue = 3\n";

static sw_ruleset rules;
static sw_rulespec rule_spec;

/* The rule of --shape, loaded as --rules loads a file; 0, or -1 (said). */
static int load_rule(void) {
    char text[1024];
    snprintf(text, sizeof text, RULE_HEAD "%s", (int)shape, SHAPE_NAMES[shape],
             shape == SHAPE_COUNT ? COUNT_RULE : CARDINALITY_RULE);
    if (sw_ruleset_add_text(&rules, "growth.toml", text, strlen(text)) != 0 || rules.n_loaded != 1 ||
        sw_ruledef_spec(&rules.v[0].def, &rule_spec) != 0) {
        fprintf(stderr, "growth: the %s rule did not load: %s\n", SHAPE_NAMES[shape],
                rules.n ? rules.v[0].why : "out of memory");
        return -1;
    }
    return 0;
}

typedef struct {
    sw_engine *seed;
    sw_rengine *rules; /* --shape count|cardinality */
} engine_t;

static void null_alert(void *ud, const sw_alert_out *a);
static sw_config cfg;

static int engine_new(engine_t *e) {
    e->seed = NULL;
    e->rules = NULL;
    if (shape == SHAPE_SEED) e->seed = sw_engine_new(&cfg, null_alert, NULL, NULL);
    else e->rules = sw_rengine_new(&cfg, &rule_spec, 1, -1, null_alert, NULL, NULL);
    return e->seed || e->rules ? 0 : -1;
}

static void engine_free(engine_t *e) {
    sw_engine_free(e->seed);
    sw_rengine_free(e->rules);
    e->seed = NULL;
    e->rules = NULL;
}

static const sw_counters *engine_counters(engine_t *e) {
    return e->seed ? sw_engine_counters(e->seed) : sw_rengine_counters(e->rules);
}

/* The state: the seed engine's, or the one rule's. */
static sw_store *engine_store(engine_t *e) {
    return e->seed ? sw_engine_store(e->seed) : sw_rengine_store(e->rules, 0);
}

typedef struct {
    tmpl_t *tmpl;   /* one per slot: where its fields are */
    char *buf;      /* RING_RECORDS slots of stride bytes, each padded with spaces */
    size_t stride;
    size_t nslots;
    double mean_len;
} ring_t;

static ring_t ring;

/* Offset of the value of "key":" at or after from, whose string is exactly
 * want chars long; 0 when absent or of another length. */
static uint32_t value_at(const char *rec, size_t len, const char *from, const char *key, size_t want) {
    const char *end = rec + len;
    const char *k = strstr(from, key); /* rec is NUL-terminated in the gen buffer */
    if (!k || k >= end) return 0;
    const char *v = k + strlen(key);
    if (v + want >= end || v[want] != '"' || memchr(v, '"', want) || memchr(v, '\\', want)) return 0;
    return (uint32_t)(v - rec);
}

/* Finds the patchable fields of one gen record; 0 when it is not a human
 * user's user.session.start with every field in gen's fixed width. */
static int locate(const char *rec, size_t len, tmpl_t *t) {
    const char *actor = strstr(rec, "\"actor\":{");
    if (!actor || actor >= rec + len) return 0;
    const char *close = memchr(actor, '}', (size_t)(rec + len - actor));
    t->actor = value_at(rec, len, actor, "\"id\":\"", ACTOR_LEN);
    if (!t->actor || !close || rec + t->actor > close || memcmp(rec + t->actor, "00u", 3) != 0) return 0;
    t->sid = value_at(rec, len, rec, "\"externalSessionId\":\"", SID_LEN);
    t->time = value_at(rec, len, rec, "\"published\":\"", TIME_LEN);
    /* The event's own uuid is its last "uuid" key. */
    const char *last = NULL;
    for (const char *p = rec; p && p < rec + len; p++) {
        p = strstr(p, "\"uuid\":\"");
        if (!p || p >= rec + len) break;
        last = p;
    }
    t->uuid = last ? value_at(rec, len, last, "\"uuid\":\"", UUID_LEN) : 0;
    t->len = (uint32_t)len;
    t->alt = 0;
    if (shape == SHAPE_COUNT) { /* the key: one per user, as actor.id */
        const char *k = strstr(actor, "\"alternateId\":\"");
        const char *v = k ? k + 15 : NULL, *q = v ? memchr(v, '"', (size_t)(rec + len - v)) : NULL;
        if (!q || q > close || q - v < ALT_LEN || memchr(v, '\\', (size_t)(q - v))) return 0;
        t->alt = (uint32_t)(v - rec);
        t->alt_len = (uint32_t)(q - v);
    }
    return t->sid && t->time && t->uuid && strstr(rec, "\"eventType\":\"user.session.start\"") != NULL;
}

/* Six base62 digits of a 32-bit value: 62^6 > 2^32, so injective. */
static void base62x6(char *d, uint32_t v) {
    for (int i = 0; i < 6; i++, v /= 62) d[i] = B64U[v % 62];
}

/* "00u" + 17 base62 chars, like gen's okta_id; the first 12 encode a
 * bijective mix of user, so distinct users get distinct ids.  Independent
 * 32-bit digit chains keep the patch cheap. */
static void put_actor(char *d, uint64_t user) {
    memcpy(d, "00u", 3);
    uint64_t x = mix64(user ^ 0x243f6a8885a308d3ULL), y = mix64(user ^ 0x13198a2e03707344ULL);
    base62x6(d + 3, (uint32_t)x);
    base62x6(d + 9, (uint32_t)(x >> 32));
    char tail[6];
    base62x6(tail, (uint32_t)y);
    memcpy(d + 15, tail, 5);
}

/* An alternateId of ALT_LEN chars, the same for a user in every template:
 * 12 base62 chars of a bijective mix of user (two injective halves) and
 * "@example.com", then the closing quote, then spaces (JSON whitespace)
 * over the rest of the template's longer value and its old quote. */
static void put_alt(char *d, uint32_t len, uint64_t user) {
    uint64_t x = mix64(user ^ 0x3c6ef372fe94f82bULL);
    base62x6(d, (uint32_t)x);
    base62x6(d + 6, (uint32_t)(x >> 32));
    memcpy(d + 12, "@example.com\"", 13);
    memset(d + ALT_LEN + 1, ' ', len - ALT_LEN);
}

static void put_session(char *d, uint64_t user, unsigned k) {
    memcpy(d, "102", 3);
    uint64_t s = user * 2 + k;
    uint64_t x = mix64(s ^ 0xa4093822299f31d0ULL), y = mix64(s ^ 0x082efa98ec4e6c89ULL);
    for (int i = 0; i < 11; i++, x >>= 6) d[3 + i] = B64U[x & 63]; /* 66 bits: injective */
    for (int i = 0; i < 11; i++, y >>= 6) d[14 + i] = B64U[y & 63];
}

/* 2026-01-05T08:MM:SS.mmmZ, off_ms < 1 hour. */
static void put_time(char *d, int64_t off_ms) {
    int m = (int)(off_ms / 60000), s = (int)(off_ms / 1000 % 60), ms = (int)(off_ms % 1000);
    memcpy(d, "2026-01-05T08:", 14);
    d[14] = (char)('0' + m / 10);
    d[15] = (char)('0' + m % 10);
    d[16] = ':';
    d[17] = (char)('0' + s / 10);
    d[18] = (char)('0' + s % 10);
    d[19] = '.';
    d[20] = (char)('0' + ms / 100);
    d[21] = (char)('0' + ms / 10 % 10);
    d[22] = (char)('0' + ms % 10);
    d[23] = 'Z';
}

static void put_uuid(char *d, uint64_t h) {
    static const unsigned char POS[32] = {0,  1,  2,  3,  4,  5,  6,  7,  9,  10, 11, 12, 14, 15, 16, 17,
                                          19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35};
    uint64_t a = mix64(h), b = mix64(h ^ 0x452821e638d01377ULL);
    d[8] = d[13] = d[18] = d[23] = '-';
    for (int i = 0; i < 16; i++) {
        d[POS[i]] = HEX[(a >> (4 * i)) & 15];
        d[POS[16 + i]] = HEX[(b >> (4 * i)) & 15];
    }
}

static void patch(size_t slot, uint64_t user, unsigned sess, int64_t t_ms, uint64_t uuid_h) {
    char *r = ring.buf + slot * ring.stride;
    const tmpl_t *t = &ring.tmpl[slot];
    put_actor(r + t->actor, user);
    if (t->alt) put_alt(r + t->alt, t->alt_len, user);
    put_session(r + t->sid, user, sess);
    put_time(r + t->time, t_ms);
    put_uuid(r + t->uuid, uuid_h);
}

static sw_parser *parser;
static volatile uint64_t sink;
static uint64_t alerts_seen;

static void null_alert(void *ud, const sw_alert_out *a) {
    (void)ud;
    alerts_seen++;
    sink += a->json_len;
}

static void feed_bytes(engine_t *e, const char *rec, size_t len, size_t cap, const sw_source *src) {
    if (e->seed) sw_engine_feed(e->seed, parser, rec, len, cap, src);
    else sw_rengine_feed(e->rules, parser, rec, len, cap, src);
}

static void feed(engine_t *e, size_t slot, uint64_t line) {
    sw_source src = {.file = "growth", .line = line, .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
    feed_bytes(e, ring.buf + slot * ring.stride, ring.tmpl[slot].len, ring.stride, &src);
}

/* Renders gen records, keeps those the engine counts after patching, and
 * fills the ring with them.  Returns the number of templates, -1 on failure. */
static int build_ring(void) {
    char *gbuf = NULL;
    size_t gsize = 0;
    FILE *m = open_memstream(&gbuf, &gsize);
    if (!m) return -1;
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.seed = 7;
    o.users = MAX_TEMPLATES;
    o.attack_rate = 0;
    o.session_start_share = 1.0;
    o.records = GEN_RECORDS;
    int64_t wrote = sw_gen_run(&o, m, NULL);
    if (fclose(m) != 0 || wrote <= 0 || !gbuf) {
        free(gbuf);
        return -1;
    }

    /* Candidate lines: NUL-terminate each in place so strstr stays inside it. */
    tmpl_t *cand = calloc(MAX_TEMPLATES, sizeof *cand);
    size_t *cand_off = calloc(MAX_TEMPLATES, sizeof *cand_off);
    size_t ncand = 0, maxlen = 0;
    for (size_t pos = 0; pos < gsize && ncand < MAX_TEMPLATES && cand && cand_off;) {
        char *nl = memchr(gbuf + pos, '\n', gsize - pos);
        size_t end = nl ? (size_t)(nl - gbuf) : gsize;
        if (nl) *nl = '\0'; /* the last line is NUL-terminated by open_memstream */
        size_t len = end - pos;
        tmpl_t t;
        int dup = 0;
        if (len > 0 && locate(gbuf + pos, len, &t)) {
            for (size_t i = 0; i < ncand && !dup; i++) /* one template per gen user */
                dup = memcmp(gbuf + cand_off[i] + cand[i].actor, gbuf + pos + t.actor, ACTOR_LEN) == 0;
            if (!dup) {
                cand[ncand] = t;
                cand_off[ncand++] = pos;
                if (len > maxlen) maxlen = len;
            }
        }
        pos = end + 1;
    }

    int rc = -1;
    size_t stride = (maxlen + SW_PADDING + 63) / 64 * 64;
    char *one = malloc(stride);
    size_t *good = calloc(MAX_TEMPLATES, sizeof *good);
    size_t ngood = 0;
    engine_t e;
    int have = engine_new(&e) == 0;
    if (one && good && have && ncand > 0) {
        /* The engine must count every template once its fields are patched. */
        for (size_t i = 0; i < ncand; i++) {
            memset(one, ' ', stride);
            memcpy(one, gbuf + cand_off[i], cand[i].len);
            put_actor(one + cand[i].actor, UINT64_MAX - i);
            if (cand[i].alt) put_alt(one + cand[i].alt, cand[i].alt_len, UINT64_MAX - i);
            put_session(one + cand[i].sid, UINT64_MAX / 4 - i, 0);
            put_time(one + cand[i].time, 0);
            put_uuid(one + cand[i].uuid, i);
            uint64_t before = engine_counters(&e)->eligible;
            sw_source src = {.file = "template", .line = i + 1, .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
            feed_bytes(&e, one, cand[i].len, stride, &src);
            if (engine_counters(&e)->eligible == before + 1) good[ngood++] = i;
        }
    }
    if (ngood > 0) {
        ring.stride = stride;
        ring.nslots = RING_RECORDS;
        ring.buf = malloc(ring.nslots * stride);
        ring.tmpl = malloc(ring.nslots * sizeof *ring.tmpl);
        if (ring.buf && ring.tmpl) {
            double total = 0;
            for (size_t s = 0; s < ring.nslots; s++) {
                size_t i = good[s % ngood];
                char *r = ring.buf + s * stride;
                memset(r, ' ', stride);
                memcpy(r, gbuf + cand_off[i], cand[i].len);
                ring.tmpl[s] = cand[i];
                total += cand[i].len;
            }
            ring.mean_len = total / (double)ring.nslots;
            rc = (int)ngood;
        }
    }
    if (have) engine_free(&e);
    free(one);
    free(good);
    free(cand);
    free(cand_off);
    free(gbuf);
    return rc;
}

/* ---- phases ------------------------------------------------------------- */

typedef enum { PH_INSERT, PH_SECOND, PH_STEADY } phase_kind;

typedef struct {
    phase_kind kind;
    uint64_t users;   /* tracked users N */
    uint64_t count;   /* records fed in this phase */
    uint64_t perm_n;  /* insert: N; second: N / 2 (the odd users) */
    uint64_t perm_a;  /* j -> (a * j + b) mod perm_n, gcd(a, perm_n) = 1 */
    uint64_t perm_b;
    int64_t t0_ms;    /* event time of the first record, from 08:00:00.000 */
    int64_t span_ms;
    uint64_t salt;
} phase_t;

static phase_t make_phase(phase_kind kind, uint64_t users, uint64_t count, int64_t t0, int64_t span,
                          uint64_t salt) {
    phase_t p = {kind, users, count, 1, 1, 0, t0, span, salt};
    p.perm_n = kind == PH_SECOND ? users / 2 : users;
    if (p.perm_n == 0) p.perm_n = 1;
    /* A multiplier below 2^32 keeps a * j in 64 bits for j < 2^32. */
    p.perm_a = 2654435761u % p.perm_n;
    for (uint32_t i = 0; i < 1000 && (p.perm_a == 0 || sw_gen_gcd(p.perm_a, p.perm_n) != 1); i++)
        p.perm_a = (p.perm_a + 1) % p.perm_n;
    if (p.perm_a == 0 || sw_gen_gcd(p.perm_a, p.perm_n) != 1) p.perm_a = 1;
    p.perm_b = mix64(salt) % p.perm_n;
    return p;
}

/* Patches slot with record j of a phase. */
static void plan_patch(const phase_t *p, size_t slot, uint64_t j) {
    int64_t t = p->t0_ms + (int64_t)(j * (uint64_t)p->span_ms / p->count);
    uint64_t user;
    unsigned sess = 0;
    switch (p->kind) {
    case PH_INSERT: user = (p->perm_a * j + p->perm_b) % p->perm_n; break;
    case PH_SECOND:
        user = 2 * ((p->perm_a * j + p->perm_b) % p->perm_n) + 1;
        sess = 1;
        break;
    default: {
        uint64_t h = mix64(p->salt ^ mix64(j));
        user = h % p->users;
        sess = (user & 1) ? (unsigned)(h >> 63) : 0; /* odd users hold two sessions */
        break;
    }
    }
    /* A count rule keeps each event: its steady records repeat a key's own
     * events (same uuid: counted once), as the others' repeat a session. */
    uint64_t uuid_h = shape == SHAPE_COUNT ? mix64(2 * user + sess) : p->salt ^ (j << 2) ^ (uint64_t)p->kind;
    patch(slot, user, sess, t, uuid_h);
}

/* Feeds the phase's records, each patched just before it is fed, and
 * returns the seconds the loop took.  With e == NULL it only patches, and
 * always the same slot: the patch's own compute cost, with its cache lines
 * hot. */
static double run_phase(engine_t *e, const phase_t *p) {
    size_t R = ring.nslots;
    double t0 = now_s();
    for (uint64_t j = 0; j < p->count; j++) {
        size_t slot = e ? (size_t)(j % R) : 0;
        plan_patch(p, slot, j);
        if (e) feed(e, slot, j + 1);
        else sink += (unsigned char)ring.buf[ring.tmpl[0].actor + 3];
    }
    return now_s() - t0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- memory breakdown ----------------------------------------------------- */

typedef struct {
    double entry, entry_slack, index;         /* users table (entries, spare capacity + page list, index slots) */
    double key, sess;                         /* slab blobs, class-rounded (key: only keys too long to be inline) */
    double sess_hdr, sess_id, sess_ip, sess_ua, sess_geo, sess_uuid; /* bytes stored in session blobs */
    double clients;                           /* interned (user agent, country, city) entries + their index */
    double slab_other, slab_free, tenants;    /* tenant keys etc., reserved-but-free, tenants table */
    double sessions;                          /* sessions per user */
} breakdown;

static breakdown measure_state(sw_store *st) {
    breakdown b = {0};
    const sw_table *t = &st->users;
    const sw_strtab *ct = &st->slab.strtab;
    double n = t->count ? (double)t->count : 1;
    double key = 0, sess = 0, nsess = 0, hdr = 0, id = 0, ip = 0, ua = 0, geo = 0, uu = 0;
    for (uint32_t i = 0; i < t->count; i++) {
        const sw_user *u = sw_table_at(t, i);
        if (u->k.key_len > t->inline_cap) key += (double)sw_slab_rounded(u->k.key_len);
        uint32_t guard = 0;
        for (const sw_session *s = u->sessions; s && guard < 1u << 16; s = s->next, guard++) {
            sess += (double)sw_slab_rounded(s->alloc);
            nsess += 1;
            hdr += (double)sizeof(sw_session);
            id += s->id_len;
            ip += (double)sw_session_ip_size(s);
            uu += (double)sw_session_uuid_size(s);
            if (s->form & SW_FORM_CLIENT_INLINE) {
                ua += s->ua_len;
                geo += (double)s->country_len + s->city_len;
            }
        }
    }
    double client_entries = 0, client_index = ct->slots ? ((double)ct->mask + 1) * sizeof *ct->slots : 0;
    for (uint32_t i = 0; ct->slots && i <= ct->mask; i++)
        if (ct->slots[i])
            client_entries += (double)sw_slab_rounded(
                sw_client_size(ct->slots[i]->ua_len, ct->slots[i]->country_len, ct->slots[i]->city_len));
    b.entry = (double)t->esize;
    double slots = (double)(t->mask + 1) * sizeof(uint64_t);
    /* Spare entry capacity, the unused rest of the huge blocks pages are
     * carved from, and the page list. */
    b.entry_slack = ((double)sw_table_bytes(t) - slots - (double)t->count * (double)t->esize) / n;
    b.index = slots / n;
    b.key = key / n;
    b.sess = sess / n;
    b.sessions = nsess / n;
    b.sess_hdr = hdr / n;
    b.sess_id = id / n;
    b.sess_ip = ip / n;
    b.sess_ua = ua / n;
    b.sess_geo = geo / n;
    b.sess_uuid = uu / n;
    b.clients = (client_entries + client_index) / n;
    b.slab_other = ((double)st->slab.bytes_live - key - sess - client_entries) / n;
    b.slab_free = ((double)(st->slab.bytes_reserved - st->slab.bytes_live) - client_index) / n;
    b.tenants = (double)sw_table_bytes(&st->tenants) / n;
    return b;
}

/* ---- one size ------------------------------------------------------------- */

/* Median, min and max of n values (sorted in place). */
typedef struct {
    double med, min, max;
} stat3;

static stat3 stat_of(double *v, int n) {
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return (stat3){n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0], v[n - 1]};
}

typedef struct {
    uint64_t users;
    int fills;                     /* timed fills, after one warm-up fill */
    stat3 ins, second;             /* ns/record of the insert and second phases, over the fills */
    double fill_s;                 /* wall seconds of one timed fill (median) */
    stat3 rss_bu, state_bu;        /* bytes per tracked user after a fill, over the fills */
    double patch_ns;
    stat3 steady;                  /* ns/record, over the steady runs */
    size_t rss;                    /* RSS growth of the last fill */
    double slab_live, slab_reserved, table; /* per user, last fill */
    breakdown bd;                  /* last fill */
    uint64_t alerts;
} result;

static int check(engine_t *e, uint64_t fed, uint64_t users, const char *phase) {
    const sw_counters *c = engine_counters(e);
    sw_store *st = engine_store(e);
    if (c->records != fed || c->eligible != fed || c->nomem || c->alerts || st->evicted ||
        sw_store_users(st) != users) {
        fprintf(stderr,
                "growth: workload broken after %s: fed %" PRIu64 ", records %" PRIu64 ", eligible %" PRIu64
                ", alerts %" PRIu64 ", nomem %" PRIu64 ", evicted %" PRIu64 ", users %u of %" PRIu64 "\n",
                phase, fed, c->records, c->eligible, c->alerts, c->nomem, st->evicted, sw_store_users(st), users);
        return -1;
    }
    return 0;
}

/* One size: 1 + fills fills (a fresh engine each: insert + second phase;
 * the first is the warm-up), then on the last fill's engine 1 + runs steady
 * runs (the first is the warm-up). */
static int run_size(uint64_t n, int runs, int fills, uint64_t steady, result *r) {
    memset(r, 0, sizeof *r);
    r->users = n;
    r->fills = fills;
    double ins[MAX_RUNS], sec[MAX_RUNS], rss_bu[MAX_RUNS], state_bu[MAX_RUNS], fill_s[MAX_RUNS];
    engine_t e = {NULL, NULL};
    uint64_t fed = 0;
    for (int i = 0; i <= fills; i++) {
        engine_free(&e);
        malloc_trim(0); /* give back what an earlier engine left, so RSS growth is this engine's */
        double f0 = now_s();
        size_t rss0 = rss_bytes();
        if (engine_new(&e) != 0) return -1;
        phase_t p = make_phase(PH_INSERT, n, n, 0, PHASE_SPAN_MS, 0x1000 + (uint64_t)i);
        double ins_ns = run_phase(&e, &p) / (double)n * 1e9, sec_ns = 0;
        fed = n;
        if (check(&e, fed, n, "insert") != 0) {
            engine_free(&e);
            return -1;
        }
        if (n / 2 > 0) {
            phase_t q = make_phase(PH_SECOND, n, n / 2, PHASE_SPAN_MS, PHASE_SPAN_MS, 0x2000 + (uint64_t)i);
            sec_ns = run_phase(&e, &q) / (double)(n / 2) * 1e9;
            fed += n / 2;
            if (check(&e, fed, n, "second") != 0) {
                engine_free(&e);
                return -1;
            }
        }
        size_t rss1 = rss_bytes();
        sw_store *st = engine_store(&e);
        r->rss = rss1 > rss0 ? rss1 - rss0 : 0;
        if (i == 0) continue; /* the warm-up fill */
        fill_s[i - 1] = now_s() - f0;
        ins[i - 1] = ins_ns;
        sec[i - 1] = sec_ns;
        rss_bu[i - 1] = (double)r->rss / (double)n;
        state_bu[i - 1] =
            (double)(st->slab.bytes_reserved + sw_table_bytes(&st->users) + sw_table_bytes(&st->tenants)) / (double)n;
    }
    r->ins = stat_of(ins, fills);
    r->second = stat_of(sec, fills);
    r->rss_bu = stat_of(rss_bu, fills);
    r->state_bu = stat_of(state_bu, fills);
    r->fill_s = stat_of(fill_s, fills).med;

    sw_store *st = engine_store(&e);
    r->slab_live = (double)st->slab.bytes_live / (double)n;
    r->slab_reserved = (double)st->slab.bytes_reserved / (double)n;
    r->table = (double)sw_table_bytes(&st->users) / (double)n;
    r->bd = measure_state(st);

    /* Steady: warm-up + runs, each in its own slice of the last 10 minutes. */
    double t[MAX_RUNS], pt[MAX_RUNS];
    int64_t slice = PHASE_SPAN_MS / (runs + 1);
    for (int i = 0; i <= runs; i++) {
        phase_t p = make_phase(PH_STEADY, n, steady, 2 * PHASE_SPAN_MS + slice * i, slice, 0x3000 + (uint64_t)i);
        double s = run_phase(&e, &p);
        fed += steady;
        if (i > 0) t[i - 1] = s / (double)steady * 1e9;
    }
    if (check(&e, fed, n, "steady") != 0) {
        engine_free(&e);
        return -1;
    }
    r->alerts = engine_counters(&e)->alerts;
    for (int i = 0; i < runs; i++) {
        phase_t p = make_phase(PH_STEADY, n, steady, 2 * PHASE_SPAN_MS, slice, 0x4000 + (uint64_t)i);
        pt[i] = run_phase(NULL, &p) / (double)steady * 1e9;
    }
    r->steady = stat_of(t, runs);
    r->patch_ns = stat_of(pt, runs).med;
    engine_free(&e);
    malloc_trim(0);
    return 0;
}

static void print_json(const result *r, int runs, uint64_t steady) {
    const breakdown *b = &r->bd;
    double k = b->sessions > 0 ? b->sessions : 1; /* session blob parts are per session */
    printf("{\"name\":\"growth\",\"shape\":\"%s\",\"users\":%" PRIu64 ",\"runs\":%d,\"fills\":%d,\"fill_s\":%.2f,"
           "\"steady_records\":%" PRIu64
           ",\"ns_per_record_steady\":%.1f,\"ns_per_record_steady_min\":%.1f,\"ns_per_record_steady_max\":%.1f,"
           "\"records_per_s_steady\":%.0f,\"ns_per_record_patch\":%.1f,"
           "\"ns_per_record_insert\":%.1f,\"ns_per_record_insert_min\":%.1f,\"ns_per_record_insert_max\":%.1f,"
           "\"ns_per_record_second_session\":%.1f,\"ns_per_record_second_session_min\":%.1f,"
           "\"ns_per_record_second_session_max\":%.1f,"
           "\"rss_bytes_per_user\":%.1f,\"rss_bytes_per_user_min\":%.1f,\"rss_bytes_per_user_max\":%.1f,"
           "\"state_bytes_per_user\":%.1f,\"state_bytes_per_user_min\":%.1f,\"state_bytes_per_user_max\":%.1f,"
           "\"rss_bytes\":%zu,\"slab_bytes_per_user\":%.1f,\"table_bytes_per_user\":%.1f,"
           "\"slab_live_bytes_per_user\":%.1f,\"sessions_per_user\":%.2f,\"record_bytes_mean\":%.0f,\"alerts\":%" PRIu64
           ",\"breakdown_per_user\":{\"table_entry\":%.1f,\"table_entry_slack\":%.1f,\"table_index\":%.1f,"
           "\"key_copy\":%.1f,\"session_blobs\":%.1f,\"clients\":%.1f,\"slab_other\":%.1f,"
           "\"slab_free\":%.1f,\"tenants\":%.1f},\"session_blob_raw_bytes\":{\"header\":%.1f,\"id\":%.1f,\"ip\":%.1f,\"user_agent\":%.1f,"
           "\"geo\":%.1f,\"uuid\":%.1f,\"class_rounded\":%.1f}}\n",
           SHAPE_NAMES[shape], r->users, runs, r->fills, r->fill_s, steady, r->steady.med, r->steady.min, r->steady.max, 1e9 / r->steady.med,
           r->patch_ns, r->ins.med, r->ins.min, r->ins.max, r->second.med, r->second.min, r->second.max,
           r->rss_bu.med, r->rss_bu.min, r->rss_bu.max, r->state_bu.med, r->state_bu.min, r->state_bu.max, r->rss,
           r->slab_reserved, r->table, r->slab_live, b->sessions, ring.mean_len, r->alerts, b->entry,
           b->entry_slack, b->index, b->key, b->sess, b->clients, b->slab_other, b->slab_free, b->tenants,
           b->sess_hdr / k, b->sess_id / k, b->sess_ip / k, b->sess_ua / k, b->sess_geo / k, b->sess_uuid / k,
           b->sess / k);
    fflush(stdout);
}

static void print_row(const result *r) {
    printf("%10" PRIu64 " %5d %7.1f %9.0f %9.0f %9.0f (%5.0f..%5.0f) %7.0f %9.0f %9.0f (%4.0f..%4.0f) %9.0f %9.0f "
           "%7.0f %9.0f\n",
           r->users, r->fills, r->fill_s, r->ins.med, r->second.med, r->steady.med, r->steady.min, r->steady.max, r->patch_ns,
           r->steady.med - r->patch_ns, r->rss_bu.med, r->rss_bu.min, r->rss_bu.max, r->slab_live, r->slab_reserved,
           r->table, r->state_bu.med);
    fflush(stdout);
}

static void print_breakdown(const result *res, size_t nres) {
    printf("\nState bytes per tracked user, by what they hold (after insert + second; class-rounded slab blobs;\n"
           "key = keys too long for the entry; clients = the interned user agent/country/city entries and their\n"
           "index, shared by all sessions; a session blob stores its ip and uuid in binary when they print back\n"
           "exactly, and ua/geo only when not interned):\n");
    printf("%10s %6s %6s %6s %6s %8s %7s %6s %6s %6s %7s | %s\n", "users", "entry", "slack", "index", "key",
           "sessions", "clients", "other", "free", "total", "sess/u",
           "one session blob, bytes stored: hdr+id+ip+ua+geo+uuid");
    for (size_t i = 0; i < nres; i++) {
        const breakdown *b = &res[i].bd;
        double total = b->entry + b->entry_slack + b->index + b->key + b->sess + b->clients +
                       b->slab_other + b->slab_free + b->tenants;
        double k = b->sessions > 0 ? b->sessions : 1;
        printf("%10" PRIu64 " %6.0f %6.0f %6.0f %6.0f %8.0f %7.1f %6.0f %6.0f %6.0f %7.2f | "
               "%.0f+%.0f+%.0f+%.0f+%.0f+%.0f = %.0f (slab gives %.0f)\n",
               res[i].users, b->entry, b->entry_slack, b->index, b->key, b->sess, b->clients,
               b->slab_other + b->tenants, b->slab_free, total, b->sessions, b->sess_hdr / k, b->sess_id / k,
               b->sess_ip / k, b->sess_ua / k, b->sess_geo / k, b->sess_uuid / k,
               (b->sess_hdr + b->sess_id + b->sess_ip + b->sess_ua + b->sess_geo + b->sess_uuid) / k, b->sess / k);
    }
}

int main(int argc, char **argv) {
    int json = 0, runs = 5, big_fills = 0; /* 0: as runs */
    uint64_t max_users = 10000000, steady = 1000000, big = 1000000;
    const char *env = getenv("RUNS");
    if (env && *env) runs = atoi(env);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--max-users") == 0 && i + 1 < argc) max_users = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--shape") == 0 && i + 1 < argc && strcmp(argv[i + 1], "seed") == 0) shape = SHAPE_SEED, i++;
        else if (strcmp(argv[i], "--shape") == 0 && i + 1 < argc && strcmp(argv[i + 1], "count") == 0) shape = SHAPE_COUNT, i++;
        else if (strcmp(argv[i], "--shape") == 0 && i + 1 < argc && strcmp(argv[i + 1], "cardinality") == 0)
            shape = SHAPE_CARDINALITY, i++;
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--big-fills") == 0 && i + 1 < argc) big_fills = atoi(argv[++i]);
        else if (strcmp(argv[i], "--steady-records") == 0 && i + 1 < argc) steady = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: growth [--json] [--shape seed|count|cardinality] [--max-users N] [--runs N] "
                            "[--big-fills N] [--steady-records N]\n"
                            "  --runs: steady runs per size, and fills per size up to 1M users (default: env RUNS, "
                            "else 5)\n"
                            "  --big-fills: fills per size above 1M users (default: as --runs)\n");
            return 2;
        }
    }
    if (big_fills == 0) big_fills = runs;
    if (runs < 1 || runs > MAX_RUNS || big_fills < 1 || big_fills > MAX_RUNS || max_users < 1 ||
        max_users > UINT32_MAX / 2 || steady < 1 || steady > UINT32_MAX) {
        fprintf(stderr, "growth: --runs and --big-fills 1..%d, --max-users 1..%u, --steady-records 1..%u\n", MAX_RUNS,
                UINT32_MAX / 2, UINT32_MAX);
        return 2;
    }

    static const uint64_t SIZES[] = {1000, 100000, 1000000, 10000000};
    uint64_t sizes[5];
    size_t nsizes = 0;
    for (size_t i = 0; i < sizeof SIZES / sizeof SIZES[0]; i++)
        if (SIZES[i] <= max_users) sizes[nsizes++] = SIZES[i];
    if (nsizes == 0 || sizes[nsizes - 1] < max_users) sizes[nsizes++] = max_users;

    sw_config_defaults(&cfg);
    parser = sw_parser_new(cfg.max_record_bytes);
    if (!parser || (shape != SHAPE_SEED && load_rule() != 0)) {
        sw_parser_free(parser);
        sw_ruleset_free(&rules);
        return 1;
    }
    int ntmpl = build_ring();
    if (ntmpl <= 0) {
        fprintf(stderr, "growth: could not build the record templates\n");
        free(ring.buf);
        free(ring.tmpl);
        sw_parser_free(parser);
        return 1;
    }
    if (!json) {
        if (shape == SHAPE_SEED) printf("growth: full hot path (sw_engine_feed, null alert sink) vs tracked users\n");
        else
            printf("growth: the rules engine (sw_rengine_feed, null alert sink) with one %s threshold rule vs its "
                   "keys (one per user: \"users\" below are keys)\n",
                   SHAPE_NAMES[shape]);
        printf("records: %d user.session.start templates from sw_gen_run, mean %.0f B; ring of %zu records "
               "(%.0f MB), each patched in place just before it is fed\n",
               ntmpl, ring.mean_len, ring.nslots, (double)(ring.nslots * ring.stride) / 1e6);
        printf("fill: a fresh engine, then insert (each user's first session) and second (every odd user's second "
               "session); fills = timed fills after 1 warm-up fill (%d up to %" PRIu64 " users, %d above); fill s = "
               "wall seconds of one fill; insert, second and memory are medians over the fills\n",
               runs, big, big_fills);
        printf("steady: %" PRIu64 " records on random existing users and sessions, median of %d runs after 1 "
               "warm-up; patch = the patch loop alone, net = steady - patch\n",
               steady, runs);
        printf("memory after a fill: RSS growth since before sw_engine_new per tracked user (median, min..max over "
               "the fills); slab live / reserved and the users table (sw_table_bytes) of the last fill; state = "
               "slab reserved + tables, per tracked user\n\n");
        printf("%10s %5s %7s %9s %9s %9s %13s %7s %9s %9s %11s %9s %9s %7s %9s\n", "users", "fills", "fill s", "insert",
               "second",
               "steady", "(min..max)", "patch", "net", "RSS B/u", "(min..max)", "slab live", "slab res", "table",
               "state B/u");
        printf("%10s %5s %7s %9s %9s %9s %13s %7s %9s\n", "", "", "", "ns/rec", "ns/rec", "ns/rec", "", "ns/rec",
               "ns/rec");
    }
    result res[5];
    size_t nres = 0;
    int rc = 0;
    for (size_t i = 0; i < nsizes; i++) {
        if (run_size(sizes[i], runs, sizes[i] > big ? big_fills : runs, steady, &res[nres]) != 0) {
            rc = 1;
            break;
        }
        if (json) print_json(&res[nres], runs, steady);
        else print_row(&res[nres]);
        nres++;
    }
    if (!json && nres > 0) {
        print_breakdown(res, nres);
        const result *a = &res[0], *z = &res[nres - 1];
        printf("\ntargets (reported, not asserted):\n");
        printf("  steady ns/record %" PRIu64 " -> %" PRIu64 " users: %.2fx gross, %.2fx net of the patch "
               "(target < 2x)\n",
               a->users, z->users, z->steady.med / a->steady.med,
               (z->steady.med - z->patch_ns) / (a->steady.med - a->patch_ns));
        printf("  state at %" PRIu64 " users: %.0f B/user by the allocators' count, %.0f B/user RSS growth "
               "(target <= 256)\n",
               z->users, z->state_bu.med, z->rss_bu.med);
        printf("  alerts: %" PRIu64 " (the workload never gives a user 3 sessions)\n", alerts_seen);
    }
    free(ring.buf);
    free(ring.tmpl);
    sw_parser_free(parser);
    if (shape != SHAPE_SEED) sw_rulespec_release(&rule_spec);
    sw_ruleset_free(&rules);
    return rc;
}

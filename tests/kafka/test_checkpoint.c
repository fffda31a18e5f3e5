/* test_checkpoint.c -- pins the Redis checkpoint of one partition's state
 * (state/redis/checkpoint.c, state/format/codec.c, state/redis/redis.c) against a private
 * redis-server: every field survives a write and a load (users, sessions,
 * names, alert markers, tenants' watermarks and cap buckets), only changed
 * keys are written, evicted keys are deleted, keys carry the TTL, the
 * fencing token stops a stale owner (a missing owner too), a lost or older
 * state is refused as LOST and rewritten whole, and corrupt or foreign
 * data is refused or skipped as documented.  Also the codec against
 * hostile bytes, the --state URL parser and Sentinel discovery (against a
 * stand-in Sentinel).  Skips (77) when redis-server is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checkpoint.h"
#include "codec.h"
#include "hash.h"
#include "rkey.h"
#include "redis.h"
#include "store.h"
#include "testutil.h"
#include "window.h"

#define MIN (60 * 1000LL)
#define W (35 * MIN)
#define L (10 * MIN)
#define TTL_MS (2 * 3600 * 1000LL)
#define T0 1767600000000LL /* 2026-01-05 08:00 UTC */

static tu_redis server;
static sw_redis_target target;
static sw_redis conn;

/* ---- helpers ------------------------------------------------------------- */

static redisReply *cmd(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4) {
    redisReply *r = sw_redis_cmdv(&conn, a0, a1, a2, a3, a4, (const char *)NULL);
    if (!r) fail_msg("redis: %s", conn.err);
    return r;
}

static void cmd_ok(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4) {
    redisReply *r = cmd(a0, a1, a2, a3, a4);
    if (r->type == REDIS_REPLY_ERROR) fail_msg("%s %s: %s", a0, a1 ? a1 : "", r->str);
    freeReplyObject(r);
}

static long long cmd_int(const char *a0, const char *a1, const char *a2) {
    redisReply *r = cmd(a0, a1, a2, NULL, NULL);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static sw_session_info info(const char *id, const char *ip, const char *ua) {
    return (sw_session_info){
        .id = {id, strlen(id)}, .ip = {ip, strlen(ip)}, .user_agent = {ua, strlen(ua)},
        .country = {"United States", 13}, .city = {"Dallas", 6}, .uuid = {"6f0c-uuid", 9},
    };
}

/* The key (tenant, actor) of s an event at t lands on, as both engines
 * reach it: the tenant's top list advanced, the key marked changed. */
static sw_user *touched_key(sw_store *s, const char *tenant, size_t tn, const char *actor, int64_t t,
                            sw_tenant **ten) {
    *ten = sw_store_tenant(s, tenant, tn);
    assert_non_null(*ten);
    sw_store_advance_actor(*ten, actor, strlen(actor), t);
    sw_user *u = sw_store_user(s, *ten, actor, strlen(actor));
    assert_non_null(u);
    sw_store_touch(s, u);
    return u;
}

/* After a window's verdict o: an alert takes the cap and clears the key
 * (sw_rkey_reset is sw_window_reset). */
static sw_observe settled(sw_store *s, sw_tenant *ten, sw_user *u, int64_t t, sw_observe o) {
    if (o == SW_OBS_ALERT) {
        sw_store_cap_take(s, ten, t, 100);
        sw_window_reset(u, &s->slab);
    }
    return o;
}

/* One eligible event into s, as the engine applies it (tenant watermark,
 * key, window); returns the window's verdict. */
static sw_observe observe(sw_store *s, uint64_t seed, const char *tenant, size_t tn, const char *actor, int64_t t,
                          const char *sid, const char *ua) {
    sw_tenant *ten;
    sw_user *u = touched_key(s, tenant, tn, actor, t, &ten);
    sw_session_info si = info(sid, "203.0.113.9", ua);
    return settled(s, ten, u, t, sw_window_observe(u, &s->slab, t, &si, sw_hash64(sid, strlen(sid), seed), W, 3));
}

static sw_user *find_user(sw_store *s, const char *tenant, size_t tn, const char *actor) {
    uint64_t h = sw_table_hash(&s->tenants, tenant, tn);
    sw_tenant *t = sw_table_get(&s->tenants, tenant, (uint32_t)tn, h);
    if (!t) return NULL;
    char key[256];
    memcpy(key, &t->index, 4);
    memcpy(key + 4, actor, strlen(actor));
    uint32_t len = (uint32_t)(4 + strlen(actor));
    return sw_table_get(&s->users, key, len, sw_table_hash(&s->users, key, len));
}

static const sw_session *find_session(const sw_user *u, const char *id, uint32_t len) {
    for (const sw_session *q = u->sessions; q; q = q->next)
        if (q->id_len == len && memcmp(q->data, id, len) == 0) return q;
    return NULL;
}

/* Every field of every user and tenant of a equals b's. */
static void assert_same_state(sw_store *a, sw_store *b) {
    assert_int_equal(a->users.count, b->users.count);
    assert_int_equal(a->tenants.count, b->tenants.count);
    for (uint32_t i = 0; i < a->tenants.count; i++) {
        const sw_tenant *ta = sw_store_tenant_at(a, i);
        uint64_t h = sw_table_hash(&b->tenants, ta->k.key, ta->k.key_len);
        const sw_tenant *tb = sw_table_get(&b->tenants, ta->k.key, ta->k.key_len, h);
        assert_non_null(tb);
        assert_int_equal(ta->watermark, tb->watermark);
        assert_int_equal(ta->ntop, tb->ntop);
        for (uint32_t j = 0; j < ta->ntop; j++) {
            assert_int_equal(ta->top[j].time, tb->top[j].time);
            assert_int_equal(ta->top[j].actor, tb->top[j].actor);
        }
        assert_int_equal(ta->ncap, tb->ncap);
        for (uint32_t j = 0; j < ta->ncap; j++) {
            int found = 0;
            for (uint32_t k = 0; k < tb->ncap; k++)
                found |= tb->cap[k].bucket == ta->cap[j].bucket && tb->cap[k].count == ta->cap[j].count;
            assert_true(found);
        }
    }
    for (uint32_t i = 0; i < a->users.count; i++) {
        const sw_user *ua = sw_table_at(&a->users, i);
        const sw_tenant *ta = sw_store_tenant_at(a, ua->tenant);
        char actor[256];
        size_t an = ua->k.key_len - 4;
        memcpy(actor, ua->k.key + 4, an);
        actor[an] = '\0';
        const sw_user *ub = find_user(b, ta->k.key, ta->k.key_len, actor);
        if (!ub) fail_msg("user %s not restored", actor);
        assert_int_equal(ua->last_alert, ub->last_alert);
        assert_int_equal(ua->max_time, ub->max_time);
        assert_int_equal(ua->nsessions, ub->nsessions);
        for (const sw_session *sa = ua->sessions; sa; sa = sa->next) {
            const sw_session *sb = find_session(ub, sa->data, sa->id_len);
            assert_non_null(sb);
            assert_int_equal(sa->first_seen, sb->first_seen);
            assert_int_equal(sa->last_seen, sb->last_seen);
            assert_int_equal(sa->events, sb->events);
            assert_int_equal(sa->ip_len, sb->ip_len);
            assert_int_equal(sa->ua_len, sb->ua_len);
            assert_int_equal(sa->country_len, sb->country_len);
            assert_int_equal(sa->city_len, sb->city_len);
            assert_int_equal(sa->uuid_len, sb->uuid_len);
            assert_memory_equal(sa->data, sb->data, sa->alloc - sizeof(sw_session));
        }
    }
}

/* sw_ckpt_claim, _write and _load on the test's connection, with the TTL
 * of these cases: each fails the test, saying Redis's words, unless the
 * call returns want. */
static void claim_is(sw_ckpt *c, int64_t *off, sw_ckpt_status want) {
    char err[700] = "";
    sw_ckpt_status got = sw_ckpt_claim(c, &conn, TTL_MS, off, err, sizeof err);
    if (got != want) fail_msg("claim: %d, want %d: %s", (int)got, (int)want, err);
    assert_int_equal(got, want);
}

static void write_is(sw_ckpt *c, sw_store *s, int64_t offset, sw_ckpt_stats *st, sw_ckpt_status want) {
    char err[700] = "";
    sw_ckpt_status got = sw_ckpt_write(c, &conn, s, offset, TTL_MS, st, err, sizeof err);
    if (got != want) fail_msg("write: %d, want %d: %s", (int)got, (int)want, err);
    assert_int_equal(got, want);
}

static void load_is(sw_ckpt *c, sw_store *s, uint64_t seed, sw_ckpt_stats *st, sw_ckpt_status want) {
    char err[700] = "";
    sw_ckpt_status got = sw_ckpt_load(c, &conn, s, seed, st, err, sizeof err);
    if (got != want) fail_msg("load: %d, want %d: %s", (int)got, (int)want, err);
    assert_int_equal(got, want);
}

/* ---- setup --------------------------------------------------------------- */

static int group_setup(void **state) {
    (void)state;
    if (tu_redis_start(&server, 0) != 0) {
        fprintf(stderr, "test_checkpoint: skipped: cannot start redis-server (apt-get install redis-server)\n");
        exit(77);
    }
    char err[256];
    assert_int_equal(sw_redis_parse_url(server.url, &target, err, sizeof err), 0);
    sw_redis_init(&conn, &target, 5000);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    sw_redis_close(&conn);
    sw_redis_target_free(&target);
    tu_redis_destroy(&server);
    return 0;
}

static int flush_db(void **state) {
    (void)state;
    cmd_ok("FLUSHALL", NULL, NULL, NULL, NULL);
    return 0;
}

/* ---- round trip ---------------------------------------------------------- */

static const char TENANT2[] = "acme%\x1f" "corp"; /* escapes in the user field */

/* One eligible event into s as the rules engine applies it for the seed
 * rule (rkey.h: threshold 1, cardinality 3 distinct session ids, grouped
 * by actor): the same tenant, key and cap steps as observe. */
static sw_observe observe_rule(sw_store *s, uint64_t seed, const char *tenant, size_t tn, const char *actor, int64_t t,
                               const char *sid, const char *ua) {
    sw_tenant *ten;
    sw_user *u = touched_key(s, tenant, tn, actor, t, &ten);
    static const sw_rkey_shape seed_shape = {.window_ms = W, .threshold = 1, .cardinality = 3, .count_events = false};
    sw_span value = {sid, strlen(sid)};
    sw_rkey_event ev = {.client = info(sid, "203.0.113.9", ua), .identity = {"6f0c-uuid", 9}, .values = &value,
                        .nvalues = 1};
    sw_buf scratch = {0};
    sw_observe o = sw_rkey_observe(u, &s->slab, &seed_shape, t, &ev, seed, &scratch);
    sw_buf_free(&scratch);
    return settled(s, ten, u, t, o);
}

typedef sw_observe (*observe_fn)(sw_store *s, uint64_t seed, const char *tenant, size_t tn, const char *actor,
                                 int64_t t, const char *sid, const char *ua);

/* A store with every kind of state: open windows, an alert marker (r), the
 * cap counted, two tenants, long and non-ASCII client strings; its events
 * applied by observe (the built-in engine) or observe_rule (the seed rule
 * in the rules engine). */
static void populate_by(sw_store *s, uint64_t seed, observe_fn observe) {
    sw_store_track(s);
    char ua[600];
    memset(ua, 'M', sizeof ua - 1);
    ua[sizeof ua - 1] = '\0';
    assert_int_equal(observe(s, seed, "", 0, "00u-open", T0, "sid-a", "Mozilla/5.0 \xc3\xa9t\xc3\xa9"), SW_OBS_COUNTED);
    assert_int_equal(observe(s, seed, "", 0, "00u-open", T0 + MIN, "sid-b", ua), SW_OBS_COUNTED);
    assert_int_equal(observe(s, seed, "", 0, "00u-open", T0 + 2 * MIN, "sid-a", "curl"), SW_OBS_COUNTED);
    assert_int_equal(observe(s, seed, "", 0, "00u-alerted", T0, "x1", "ua1"), SW_OBS_COUNTED);
    assert_int_equal(observe(s, seed, "", 0, "00u-alerted", T0 + MIN, "x2", "ua2"), SW_OBS_COUNTED);
    assert_int_equal(observe(s, seed, "", 0, "00u-alerted", T0 + 2 * MIN, "x3", "ua3"), SW_OBS_ALERT);
    assert_int_equal(observe(s, seed, TENANT2, sizeof TENANT2 - 1, "00u-other", T0 + 3 * MIN, "o1", "ua"),
                     SW_OBS_COUNTED);
    for (int i = 0; i < 50; i++) {
        char actor[32];
        snprintf(actor, sizeof actor, "00u-bulk-%d", i);
        observe(s, seed, TENANT2, sizeof TENANT2 - 1, actor, T0 + i * 1000, "b1", "ua");
    }
}

static void populate(sw_store *s, uint64_t seed) { populate_by(s, seed, observe); }

/* The common start: store a holds populate(a, 1), and a checkpointer of
 * partition part, owned by "me", has claimed it (its offset in *off). */
static sw_ckpt *claimed(sw_store *a, int part, int64_t *off) {
    assert_int_equal(sw_store_init(a, W, L), 0);
    populate(a, 1);
    sw_ckpt *c = sw_ckpt_new("g", "t", part, "me");
    claim_is(c, off, SW_CKPT_OK);
    return c;
}

/* The same, and the whole store then written as offset 10. */
static sw_ckpt *checkpointed(sw_store *a, int part, int64_t *off, sw_ckpt_stats *st) {
    sw_ckpt *c = claimed(a, part, off);
    write_is(c, a, 10, st, SW_CKPT_OK);
    return c;
}

/* The scene of the cases that change a checkpointed partition behind its
 * owner's back: checkpointed(&a, part, ..) as c, and an empty store b to
 * load into; scene_close frees them. */
typedef struct {
    sw_store a, b;
    sw_ckpt *c;
    int64_t off;
    sw_ckpt_stats st;
    char err[700];
} scene;

static void scene_open(scene *x, int part) {
    assert_int_equal(sw_store_init(&x->b, W, L), 0);
    x->c = checkpointed(&x->a, part, &x->off, &x->st);
}

static void scene_close(scene *x) {
    sw_ckpt_free(x->c);
    sw_store_destroy(&x->a);
    sw_store_destroy(&x->b);
}

static void test_round_trip_every_field(void **state) {
    (void)state;
    sw_store a, b;
    assert_int_equal(sw_store_init(&a, W, L), 0);
    assert_int_equal(sw_store_init(&b, W, L), 0);
    uint64_t seed_a = 11, seed_b = 99; /* another engine, another hash seed */
    populate(&a, seed_a);
    sw_ckpt *c = sw_ckpt_new("grp", "okta-events", 3, "owner-1");
    assert_non_null(c);
    char err[700];
    int64_t off = 0;
    claim_is(c, &off, SW_CKPT_OK);
    assert_int_equal(off, -1);
    sw_ckpt_stats st;
    write_is(c, &a, 1234, &st, SW_CKPT_OK);
    assert_int_equal(st.users, 53);
    assert_int_equal(st.tenants, 2);
    assert_int_equal(st.deleted, 0);
    assert_false(sw_store_changed(&a));

    /* A new owner claims and loads: the same state, and the offset. */
    sw_ckpt *c2 = sw_ckpt_new("grp", "okta-events", 3, "owner-2");
    claim_is(c2, &off, SW_CKPT_OK);
    assert_int_equal(off, 1234);
    load_is(c2, &b, seed_b, &st, SW_CKPT_OK);
    assert_int_equal(st.users, 53);
    assert_int_equal(st.tenants, 2);
    assert_int_equal(st.corrupt, 0);
    assert_same_state(&a, &b);
    const sw_user *alerted = find_user(&b, "", 0, "00u-alerted");
    assert_int_equal(alerted->last_alert, T0 + 2 * MIN);
    assert_int_equal(alerted->nsessions, 0);
    const sw_user *open = find_user(&b, "", 0, "00u-open");
    assert_int_equal(open->nsessions, 2);
    assert_int_equal(find_session(open, "sid-a", 5)->events, 2);
    assert_int_equal(find_session(open, "sid-b", 5)->ua_len, SW_MAX_UA);

    /* The restored window goes on as the original would: a third session
     * alerts in both. */
    sw_store_track(&b);
    assert_int_equal(observe(&a, seed_a, "", 0, "00u-open", T0 + 3 * MIN, "sid-c", "x"), SW_OBS_ALERT);
    assert_int_equal(observe(&b, seed_b, "", 0, "00u-open", T0 + 3 * MIN, "sid-c", "x"), SW_OBS_ALERT);
    /* The stale owner is fenced and changes nothing. */
    assert_int_equal(sw_ckpt_write(c, &conn, &a, 9999, TTL_MS, &st, err, sizeof err), SW_CKPT_FENCED);
    assert_non_null(strstr(err, "owner-2"));
    assert_true(sw_store_changed(&a)); /* still dirty: nothing was written */
    redisReply *r = cmd("HGET", sw_ckpt_key(c, 0), "offset", NULL, NULL);
    assert_string_equal(r->str, "1234");
    freeReplyObject(r);
    sw_ckpt_free(c);
    sw_ckpt_free(c2);
    sw_store_destroy(&a);
    sw_store_destroy(&b);
}

/* Only what changed is written; evicted keys are deleted; TTLs are set. */
static void test_incremental_evictions_ttl(void **state) {
    (void)state;
    scene x;
    scene_open(&x, 0);
    assert_int_equal(cmd_int("HLEN", sw_ckpt_key(x.c, 2), NULL), 53);
    for (int k = 0; k < 3; k++) {
        long long ttl = cmd_int("PTTL", sw_ckpt_key(x.c, k), NULL);
        assert_true(ttl > TTL_MS - 60000 && ttl <= TTL_MS);
    }
    /* One event: one user and its tenant written. */
    observe(&x.a, 1, "", 0, "00u-open", T0 + 4 * MIN, "sid-a", "x");
    write_is(x.c, &x.a, 11, &x.st, SW_CKPT_OK);
    assert_int_equal(x.st.users, 1);
    assert_int_equal(x.st.tenants, 1);
    /* Nothing changed: nothing but the offset. */
    write_is(x.c, &x.a, 12, &x.st, SW_CKPT_OK);
    assert_int_equal(x.st.users + x.st.tenants + x.st.deleted, 0);

    /* Tenant "" moves 2 h on (SW_WM_ACTORS actors, the fewest that move
     * its watermark): its old keys fall behind the watermark and the sweep
     * evicts them; the checkpoint deletes them from Redis. */
    for (int i = 0; i < SW_WM_ACTORS; i++) {
        char actor[16];
        snprintf(actor, sizeof actor, "00u-new%d", i);
        observe(&x.a, 1, "", 0, actor, T0 + 120 * MIN, "n1", "x");
    }
    sw_store_sweep(&x.a, 1000);
    assert_int_equal(x.a.evicted, 2); /* 00u-open, 00u-alerted */
    write_is(x.c, &x.a, 13, &x.st, SW_CKPT_OK);
    assert_int_equal(x.st.deleted, 2);
    assert_int_equal(x.st.users, SW_WM_ACTORS);
    assert_int_equal(cmd_int("HLEN", sw_ckpt_key(x.c, 2), NULL), 51 + SW_WM_ACTORS);
    char field[64];
    size_t n = sw_key_user_field("", 0, "00u-open", 8, field, sizeof field);
    field[n] = '\0';
    assert_int_equal(cmd_int("HEXISTS", sw_ckpt_key(x.c, 2), field), 0);
    n = sw_key_user_field("", 0, "00u-new0", 8, field, sizeof field);
    field[n] = '\0';
    assert_int_equal(cmd_int("HEXISTS", sw_ckpt_key(x.c, 2), field), 1);

    /* A restored store equals the live one, watermark included. */
    load_is(x.c, &x.b, 5, &x.st, SW_CKPT_OK);
    assert_same_state(&x.a, &x.b);
    scene_close(&x);
}

/* Many changes in one checkpoint (more than one Lua batch) and a load
 * over several HSCAN pages. */
static void test_large_partition(void **state) {
    (void)state;
    sw_store a, b;
    assert_int_equal(sw_store_init(&a, W, L), 0);
    assert_int_equal(sw_store_init(&b, W, L), 0);
    sw_store_track(&a);
    for (int i = 0; i < 5000; i++) {
        char actor[32], sid[32];
        snprintf(actor, sizeof actor, "00u%06d", i);
        snprintf(sid, sizeof sid, "s%d", i % 7);
        observe(&a, 3, "", 0, actor, T0 + i, sid, "Mozilla");
    }
    sw_ckpt *c = sw_ckpt_new("g", "t", 7, "me");
    int64_t off;
    sw_ckpt_stats st;
    claim_is(c, &off, SW_CKPT_OK);
    write_is(c, &a, 5000, &st, SW_CKPT_OK);
    assert_int_equal(st.users, 5000);
    load_is(c, &b, 4, &st, SW_CKPT_OK);
    assert_int_equal(st.users, 5000);
    assert_same_state(&a, &b);
    /* Restored into a smaller --max-tracked-users budget: the load keeps
     * 1000 keys and counts the 4000 it had to evict. */
    sw_store small;
    sw_user_budget budget = {.max = 1000};
    assert_int_equal(sw_store_init(&small, W, L), 0);
    sw_store_set_budget(&small, &budget);
    load_is(c, &small, 4, &st, SW_CKPT_OK);
    assert_int_equal(small.users.count, 1000);
    assert_int_equal(small.cap_evicted, 4000);
    sw_ckpt_free(c);
    sw_store_destroy(&a);
    sw_store_destroy(&b);
    sw_store_destroy(&small);
}

/* ---- foreign and corrupt data -------------------------------------------- */

static sw_ckpt_status claim(const char *owner, int64_t *off, char *err, size_t n) {
    sw_ckpt *c = sw_ckpt_new("g", "t", 1, owner);
    sw_ckpt_status s = sw_ckpt_claim(c, &conn, TTL_MS, off, err, n);
    sw_ckpt_free(c);
    return s;
}

static void test_foreign_meta_refused(void **state) {
    (void)state;
    sw_ckpt *c = sw_ckpt_new("g", "t", 1, "me");
    const char *meta = sw_ckpt_key(c, 0), *users = sw_ckpt_key(c, 2);
    char err[700];
    int64_t off = 7;
    /* Not a hash. */
    cmd_ok("SET", meta, "hello", NULL, NULL);
    assert_int_equal(claim("me", &off, err, sizeof err), SW_CKPT_REFUSED);
    assert_non_null(strstr(err, "holds a string"));
    assert_int_equal(cmd_int("EXISTS", meta, NULL), 1); /* left as it was */
    cmd_ok("DEL", meta, NULL, NULL, NULL);
    /* Another format version. */
    cmd_ok("HSET", meta, "version", "99", NULL);
    assert_int_equal(claim("me", &off, err, sizeof err), SW_CKPT_REFUSED);
    assert_non_null(strstr(err, "version 99"));
    cmd_ok("DEL", meta, NULL, NULL, NULL);
    /* An offset that is not one (and one that overflows int64). */
    cmd_ok("HSET", meta, "offset", "12x", NULL);
    assert_int_equal(claim("me", &off, err, sizeof err), SW_CKPT_REFUSED);
    char hint[300]; /* the exact command, with the server and the database */
    snprintf(hint, sizeof hint, "redis-cli -h '127.0.0.1' -p %d -n 0 DEL 'sw:{g:t:1}:meta' 'sw:{g:t:1}:tenants' "
             "'sw:{g:t:1}:users'", server.port);
    if (!strstr(err, hint)) fail_msg("no '%s' in '%s'", hint, err);
    cmd_ok("HSET", meta, "offset", "9999999999999999999", NULL);
    assert_int_equal(claim("me", &off, err, sizeof err), SW_CKPT_REFUSED);
    cmd_ok("DEL", meta, NULL, NULL, NULL);
    /* The users key of another type: the claim refuses, and so does a
     * checkpoint, before writing anything. */
    cmd_ok("LPUSH", users, "x", NULL, NULL);
    assert_int_equal(claim("me", &off, err, sizeof err), SW_CKPT_REFUSED);
    assert_non_null(strstr(err, "sw:{g:t:1}:users holds a list"));
    if (!strstr(err, hint)) fail_msg("no '%s' in '%s'", hint, err);
    sw_store s;
    assert_int_equal(sw_store_init(&s, W, L), 0);
    populate(&s, 1);
    sw_ckpt_stats st;
    write_is(c, &s, 5, &st, SW_CKPT_REFUSED);
    assert_int_equal(cmd_int("EXISTS", sw_ckpt_key(c, 1), NULL), 0); /* no tenant written */
    assert_int_equal(cmd_int("EXISTS", meta, NULL), 0);
    sw_store_destroy(&s);
    sw_ckpt_free(c);
}

/* Leftover state without a checkpoint offset is dropped on claim. */
static void test_no_checkpoint_drops_leftovers(void **state) {
    (void)state;
    sw_ckpt *c = sw_ckpt_new("g", "t", 2, "me");
    cmd_ok("HSET", sw_ckpt_key(c, 2), "\x1f" "00u", "junk", NULL);
    int64_t off = 5;
    claim_is(c, &off, SW_CKPT_OK);
    assert_int_equal(off, -1);
    assert_int_equal(cmd_int("EXISTS", sw_ckpt_key(c, 2), NULL), 0);
    sw_ckpt_free(c);
}

/* Corrupt values are skipped and counted; the rest loads. */
static void test_corrupt_values_skipped(void **state) {
    (void)state;
    sw_store a, b;
    assert_int_equal(sw_store_init(&b, W, L), 0);
    int64_t off;
    sw_ckpt_stats st;
    sw_ckpt *c = claimed(&a, 4, &off);
    write_is(c, &a, 1, &st, SW_CKPT_OK);
    char field[64];
    size_t n = sw_key_user_field("", 0, "00u-open", 8, field, sizeof field);
    field[n] = '\0';
    cmd_ok("HSET", sw_ckpt_key(c, 2), field, "\x01garbage", NULL);     /* a user value that does not decode */
    cmd_ok("HSET", sw_ckpt_key(c, 2), "no-separator", "x", NULL);      /* not a user field */
    cmd_ok("HSET", sw_ckpt_key(c, 2), "%zz\x1f" "00u", "x", NULL);      /* a bad escape */
    cmd_ok("HSET", sw_ckpt_key(c, 1), "ghost", "\x02", NULL);           /* a tenant value that does not decode */
    load_is(c, &b, 2, &st, SW_CKPT_OK);
    assert_int_equal(st.corrupt, 4);
    assert_int_equal(st.users, 52);
    const sw_user *u = find_user(&b, "", 0, "00u-open");
    assert_non_null(u); /* present, empty: as if never seen */
    assert_int_equal(u->nsessions, 0);
    assert_int_equal(u->max_time, SW_TIME_NONE);
    assert_non_null(find_user(&b, "", 0, "00u-alerted"));
    sw_ckpt_free(c);
    sw_store_destroy(&a);
    sw_store_destroy(&b);
}

/* Issue 12.2: state restored from Redis carries nothing beyond the clock
 * + skew.  A tenant poisoned by forged far-future records (as an older
 * build wrote it) loses those top-list entries, keys and cap buckets, in
 * either tenant layout; the rest is kept and the watermark rebuilt from
 * the keys. */
static void test_restore_drops_future(void **state) {
    (void)state;
    const int64_t far = 253402300799999LL; /* 9999-12-31T23:59:59.999Z */
    sw_store a, b, d;
    assert_int_equal(sw_store_init(&a, W, L), 0);
    sw_store_track(&a);
    for (int i = 0; i < SW_WM_ACTORS; i++) {
        char actor[32];
        snprintf(actor, sizeof actor, "00u-forged%d", i);
        observe(&a, 1, "", 0, actor, far, "f", "x");
    }
    observe(&a, 1, "", 0, "00u-ok0", T0, "s1", "x");
    observe(&a, 1, "", 0, "00u-ok1", T0 + MIN, "s1", "x");
    sw_tenant *ta = sw_store_tenant(&a, "", 0);
    assert_int_equal(ta->watermark, far); /* poisoned: every later event would be too late */
    assert_int_equal(sw_store_cap_take(&a, ta, far, 100), 1);
    assert_int_equal(sw_store_cap_take(&a, ta, T0, 100), 1);
    sw_ckpt *c = sw_ckpt_new("g", "t", 7, "me");
    int64_t off;
    sw_ckpt_stats st;
    claim_is(c, &off, SW_CKPT_OK);
    write_is(c, &a, 1, &st, SW_CKPT_OK);

    const int64_t bound = T0 + 60 * MIN; /* the clock + skew of the restoring worker */
    assert_int_equal(sw_store_init(&b, W, L), 0);
    load_is(c, &b, 5, &st, SW_CKPT_OK);
    assert_same_state(&a, &b);
    /* 4 top-list entries, 4 keys and 1 cap bucket beyond the bound. */
    assert_int_equal(sw_store_restored(&b, bound), 2 * SW_WM_ACTORS + 1);
    sw_tenant *tb = sw_store_tenant(&b, "", 0);
    assert_int_equal(tb->ntop, 2); /* rebuilt from the two keys kept */
    assert_int_equal(tb->watermark, SW_TIME_NONE);
    assert_int_equal(sw_store_horizon(&b, tb), INT64_MIN); /* nothing is too late */
    assert_int_equal(tb->ncap, 1);
    assert_int_equal(tb->cap[0].bucket, T0 / SW_CAP_BUCKET_MS);
    assert_null(find_user(&b, "", 0, "00u-forged0"));
    assert_non_null(find_user(&b, "", 0, "00u-ok1"));
    assert_int_equal(sw_store_users(&b), 2);

    /* The tenant as an older build wrote it: layout 1, watermark far, one
     * bucket now and one far.  Its watermark is not kept; the keys give
     * the top list. */
    char v1[1 + 8 + 4 + 2 * 12];
    int64_t buckets[2] = {T0 / SW_CAP_BUCKET_MS, far / SW_CAP_BUCKET_MS};
    uint32_t nslots = 2, counts[2] = {5, 7};
    v1[0] = 1;
    memcpy(v1 + 1, &far, 8);
    memcpy(v1 + 9, &nslots, 4);
    for (int i = 0; i < 2; i++) {
        memcpy(v1 + 13 + 12 * i, &buckets[i], 8);
        memcpy(v1 + 13 + 12 * i + 8, &counts[i], 4);
    }
    const char *argv[] = {"HSET", sw_ckpt_key(c, 1), "", v1};
    size_t lens[] = {4, strlen(sw_ckpt_key(c, 1)), 0, sizeof v1};
    redisReply *rep = sw_redis_cmd(&conn, 4, argv, lens);
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_INTEGER);
    freeReplyObject(rep);
    assert_int_equal(sw_store_init(&d, W, L), 0);
    load_is(c, &d, 5, &st, SW_CKPT_OK);
    assert_int_equal(st.corrupt, 0);
    sw_tenant *td = sw_store_tenant(&d, "", 0);
    assert_int_equal(td->ntop, 0);
    assert_int_equal(td->watermark, SW_TIME_NONE);
    assert_int_equal(td->ncap, 2);
    assert_int_equal(sw_store_restored(&d, bound), SW_WM_ACTORS + 1); /* the far keys and bucket */
    assert_int_equal(td->ntop, 2);
    assert_int_equal(td->top[0].time, T0 + MIN);
    assert_int_equal(td->top[1].time, T0);
    assert_int_equal(td->ncap, 1);
    assert_int_equal(td->cap[0].count, 5);
    /* Without a bound (INT64_MAX) a restore keeps everything. */
    sw_store_destroy(&b);
    assert_int_equal(sw_store_init(&b, W, L), 0);
    load_is(c, &b, 5, &st, SW_CKPT_OK);
    assert_int_equal(sw_store_restored(&b, INT64_MAX), 0);
    assert_int_equal(sw_store_users(&b), SW_WM_ACTORS + 2);
    sw_ckpt_free(c);
    sw_store_destroy(&a);
    sw_store_destroy(&b);
    sw_store_destroy(&d);
}

/* Redis gone: every call says UNAVAILABLE, none crashes; back: works. */
static void test_unavailable_then_back(void **state) {
    (void)state;
    sw_store a;
    int64_t off;
    sw_ckpt_stats st;
    sw_ckpt *c = claimed(&a, 5, &off);
    tu_redis_stop(&server);
    write_is(c, &a, 1, &st, SW_CKPT_UNAVAILABLE);
    claim_is(c, &off, SW_CKPT_UNAVAILABLE);
    assert_true(sw_store_changed(&a));
    assert_int_equal(tu_redis_start(&server, 0), 0); /* same port, empty (no persistence here) */
    claim_is(c, &off, SW_CKPT_OK);
    write_is(c, &a, 1, &st, SW_CKPT_OK);
    assert_int_equal(st.users, 53);
    sw_ckpt_free(c);
    sw_store_destroy(&a);
}

/* A restored offset against Kafka's watermarks [low, high] and the group's
 * committed offset (-1001: none): each rule, in its order. */
static void test_offset_verdicts(void **state) {
    (void)state;
    assert_int_equal(sw_ckpt_check_offset(100, 100, 0, 500), SW_OFFSET_OK);
    assert_int_equal(sw_ckpt_check_offset(100, 90, 0, 500), SW_OFFSET_OK);      /* a lost commit: normal */
    assert_int_equal(sw_ckpt_check_offset(500, 500, 0, 500), SW_OFFSET_OK);     /* at the end */
    assert_int_equal(sw_ckpt_check_offset(501, 500, 0, 500), SW_OFFSET_BEYOND_END);
    assert_int_equal(sw_ckpt_check_offset(1240, -1001, 0, 300), SW_OFFSET_BEYOND_END); /* recreated, smaller */
    assert_int_equal(sw_ckpt_check_offset(100, 101, 0, 500), SW_OFFSET_KAFKA_AHEAD);
    assert_int_equal(sw_ckpt_check_offset(1240, -1001, 0, 2480), SW_OFFSET_NO_COMMIT); /* recreated, larger */
    assert_int_equal(sw_ckpt_check_offset(100, 100, 150, 500), SW_OFFSET_GAP);
    assert_int_equal(sw_ckpt_check_offset(100, 120, 150, 500), SW_OFFSET_KAFKA_AHEAD);
    for (int v = SW_OFFSET_OK; v <= SW_OFFSET_GAP; v++)
        assert_true(strlen(sw_offset_verdict_reason((sw_offset_verdict)v)) > 10);
}

/* Discarding a refused checkpoint deletes the state and keeps the claim:
 * the next claim finds no checkpoint; a stale owner cannot discard. */
static void test_discard(void **state) {
    (void)state;
    sw_store a;
    char err[1400];
    int64_t off;
    sw_ckpt_stats st;
    sw_ckpt *c = claimed(&a, 6, &off);
    write_is(c, &a, 77, &st, SW_CKPT_OK);
    sw_ckpt *other = sw_ckpt_new("g", "t", 6, "other");
    assert_int_equal(sw_ckpt_discard(other, &conn, TTL_MS, err, sizeof err), SW_CKPT_FENCED);
    assert_int_equal(cmd_int("EXISTS", sw_ckpt_key(c, 2), NULL), 1);
    assert_int_equal(sw_ckpt_discard(c, &conn, TTL_MS, err, sizeof err), SW_CKPT_OK);
    assert_int_equal(cmd_int("EXISTS", sw_ckpt_key(c, 1), NULL), 0);
    assert_int_equal(cmd_int("EXISTS", sw_ckpt_key(c, 2), NULL), 0);
    assert_int_equal(cmd_int("HLEN", sw_ckpt_key(c, 0), NULL), 1); /* only the owner */
    assert_true(cmd_int("PTTL", sw_ckpt_key(c, 0), NULL) > 0);
    claim_is(other, &off, SW_CKPT_OK);
    assert_int_equal(off, -1);
    sw_ckpt_free(other);
    sw_ckpt_free(c);
    sw_store_destroy(&a);
}

/* Redis refusing our credentials is told apart from Redis down: a wrong
 * password, and no password where one is required (NOAUTH). */
static void test_denied_is_not_down(void **state) {
    (void)state;
    sw_ckpt *c = sw_ckpt_new("g", "t", 7, "me");
    char err[1400];
    int64_t off;
    sw_redis_target wrong = target;
    wrong.password = "wrong";
    sw_redis r;
    sw_redis_init(&r, &wrong, 5000);
    /* This server has no password: Redis refuses AUTH all the same. */
    assert_int_equal(sw_ckpt_claim(c, &r, TTL_MS, &off, err, sizeof err), SW_CKPT_DENIED);
    assert_int_equal(r.fault, SW_REDIS_FAULT_DENIED);
    assert_non_null(strstr(err, "AUTH"));
    assert_null(strstr(err, "wrong"));
    cmd_ok("CONFIG", "SET", "requirepass", "right", NULL);
    assert_int_equal(sw_ckpt_claim(c, &r, TTL_MS, &off, err, sizeof err), SW_CKPT_DENIED); /* WRONGPASS */
    assert_non_null(strstr(err, "WRONGPASS"));
    sw_redis_close(&r);
    sw_redis_target none = target;
    none.password = NULL;
    sw_redis_init(&r, &none, 5000);
    assert_int_equal(sw_ckpt_claim(c, &r, TTL_MS, &off, err, sizeof err), SW_CKPT_DENIED); /* NOAUTH */
    assert_non_null(strstr(err, "NOAUTH"));
    /* A rules-layout claim has more arguments than Redis reads before AUTH. */
    const char *two_rules[] = {"rule-a", "rule-b"};
    sw_ckpt *rules = sw_ckpt_new_stores("g", "t", 7, "me", two_rules, 2);
    assert_int_equal(sw_ckpt_claim(rules, &r, TTL_MS, &off, err, sizeof err), SW_CKPT_DENIED);
    sw_ckpt_free(rules);
    sw_redis_close(&r);
    sw_redis_target right = target;
    right.password = "right";
    sw_redis_init(&r, &right, 5000);
    assert_int_equal(sw_ckpt_claim(c, &r, TTL_MS, &off, err, sizeof err), SW_CKPT_OK);
    redisReply *rep = sw_redis_cmdv(&r, "CONFIG", "SET", "requirepass", "", (const char *)NULL);
    assert_non_null(rep);
    freeReplyObject(rep);
    sw_redis_close(&r);
    sw_redis_close(&conn); /* reconnects without AUTH for the next cases */
    /* Down is still down. */
    assert_int_equal(sw_redis_error_fault("LOADING Redis is loading", 24), SW_REDIS_FAULT_DOWN);
    sw_ckpt_free(c);
}

/* ---- losses -------------------------------------------------------------- */

/* meta's seq field, or -1 when there is none. */
static long long meta_seq(sw_ckpt *c) {
    redisReply *r = cmd("HGET", sw_ckpt_key(c, 0), "seq", NULL, NULL);
    long long v = r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;
    freeReplyObject(r);
    return v;
}

/* A flushed Redis (FLUSHALL, a restart without persistence) under a
 * running owner: the delta is refused as LOST (nothing written), and the
 * next write stores the whole partition, which loads as the live store. */
static void test_flushed_state_rewritten_whole(void **state) {
    (void)state;
    scene x;
    scene_open(&x, 6);
    assert_int_equal(sw_ckpt_seq(x.c), 1);
    assert_int_equal(meta_seq(x.c), 1);
    /* The probe of an idle partition: fine, then gone. */
    assert_int_equal(sw_ckpt_probe_send(x.c, &conn), 0);
    assert_int_equal(sw_ckpt_probe_recv(x.c, &conn, x.err, sizeof x.err), SW_CKPT_OK);
    assert_false(sw_ckpt_full_pending(x.c));
    cmd_ok("FLUSHALL", NULL, NULL, NULL, NULL);
    assert_int_equal(sw_ckpt_probe_send(x.c, &conn), 0);
    assert_int_equal(sw_ckpt_probe_recv(x.c, &conn, x.err, sizeof x.err), SW_CKPT_LOST);
    assert_true(sw_ckpt_full_pending(x.c));
    sw_ckpt_free(x.c); /* a fresh handle: the write itself must see the loss too */
    x.c = sw_ckpt_new("g", "t", 6, "me");
    claim_is(x.c, &x.off, SW_CKPT_OK);
    write_is(x.c, &x.a, 10, &x.st, SW_CKPT_OK);
    cmd_ok("FLUSHALL", NULL, NULL, NULL, NULL);
    observe(&x.a, 1, "", 0, "00u-open", T0 + 4 * MIN, "sid-a", "x"); /* one user changed */
    assert_int_equal(sw_ckpt_write(x.c, &conn, &x.a, 11, TTL_MS, &x.st, x.err, sizeof x.err), SW_CKPT_LOST);
    assert_non_null(strstr(x.err, "is gone"));
    assert_int_equal(cmd_int("EXISTS", sw_ckpt_key(x.c, 0), NULL), 0); /* no delta onto nothing */
    assert_int_equal(cmd_int("EXISTS", sw_ckpt_key(x.c, 2), NULL), 0);
    assert_true(sw_ckpt_full_pending(x.c));
    write_is(x.c, &x.a, 11, &x.st, SW_CKPT_OK);
    assert_int_equal(x.st.users, 53); /* all of them, not the one changed */
    assert_int_equal(x.st.tenants, 2);
    assert_false(sw_ckpt_full_pending(x.c));
    assert_int_equal(meta_seq(x.c), 2);
    sw_ckpt *c2 = sw_ckpt_new("g", "t", 6, "next");
    claim_is(c2, &x.off, SW_CKPT_OK);
    assert_int_equal(x.off, 11);
    assert_int_equal(sw_ckpt_seq(c2), 2);
    load_is(c2, &x.b, 7, &x.st, SW_CKPT_OK);
    assert_same_state(&x.a, &x.b);
    sw_ckpt_free(c2);
    scene_close(&x);
}

/* An older copy (a promoted replica that missed the last checkpoints, a
 * restored backup): its seq is behind the owner's, the delta is refused,
 * the whole state replaces it (keys the older copy had and the live store
 * dropped go too). */
static void test_older_copy_rewritten_whole(void **state) {
    (void)state;
    scene x;
    scene_open(&x, 7);
    observe(&x.a, 1, "", 0, "00u-open", T0 + 4 * MIN, "sid-a", "x");
    write_is(x.c, &x.a, 11, &x.st, SW_CKPT_OK);
    assert_int_equal(meta_seq(x.c), 2);
    /* The copy that lacks checkpoint 2, with a key the live store never had. */
    cmd_ok("HSET", sw_ckpt_key(x.c, 0), "seq", "1", NULL);
    cmd_ok("HSET", sw_ckpt_key(x.c, 2), "\x1f" "00u-ghost", "junk", NULL);
    observe(&x.a, 1, "", 0, "00u-open", T0 + 5 * MIN, "sid-a", "x");
    assert_int_equal(sw_ckpt_write(x.c, &conn, &x.a, 12, TTL_MS, &x.st, x.err, sizeof x.err), SW_CKPT_LOST);
    assert_non_null(strstr(x.err, "holds checkpoint 1, this owner wrote 2"));
    redisReply *r = cmd("HGET", sw_ckpt_key(x.c, 0), "offset", NULL, NULL);
    assert_string_equal(r->str, "11"); /* unchanged */
    freeReplyObject(r);
    write_is(x.c, &x.a, 12, &x.st, SW_CKPT_OK);
    assert_int_equal(meta_seq(x.c), 3);
    assert_int_equal(cmd_int("HEXISTS", sw_ckpt_key(x.c, 2), "\x1f" "00u-ghost"), 0);
    load_is(x.c, &x.b, 7, &x.st, SW_CKPT_OK);
    assert_int_equal(x.st.corrupt, 0);
    assert_same_state(&x.a, &x.b);
    /* Back to deltas. */
    observe(&x.a, 1, "", 0, "00u-open", T0 + 6 * MIN, "sid-a", "x");
    write_is(x.c, &x.a, 13, &x.st, SW_CKPT_OK);
    assert_int_equal(x.st.users, 1);
    scene_close(&x);
}

/* A meta without an owner (written by hand, or half of an older copy):
 * fencing holds, nothing is written, neither a delta nor a full write. */
static void test_missing_owner_fenced(void **state) {
    (void)state;
    scene x;
    scene_open(&x, 8);
    cmd_ok("HDEL", sw_ckpt_key(x.c, 0), "owner", NULL, NULL);
    observe(&x.a, 1, "", 0, "00u-open", T0 + 4 * MIN, "sid-a", "x");
    write_is(x.c, &x.a, 11, &x.st, SW_CKPT_FENCED);
    redisReply *r = cmd("HMGET", sw_ckpt_key(x.c, 0), "offset", "owner", NULL);
    assert_string_equal(r->element[0]->str, "10");
    assert_int_equal(r->element[1]->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    scene_close(&x);
}

/* ---- Sentinel discovery ----------------------------------------------------- */

/* A stand-in Sentinel on a free loopback port: whatever it is asked, it
 * names 127.0.0.1:fake_primary_port (what a real one answers to
 * SENTINEL get-master-addr-by-name), so that a test can make it name a
 * replica or a node demoted since. */
static atomic_int fake_primary_port, fake_stop, fake_asked;
static int fake_listen_fd = -1;
static pthread_t fake_thread;
static tu_redis other, replica; /* of the discovery case; its teardown stops them, even after a failure */

static void *fake_sentinel(void *arg) {
    (void)arg;
    while (!atomic_load(&fake_stop)) {
        struct pollfd pf = {fake_listen_fd, POLLIN, 0};
        if (poll(&pf, 1, 50) <= 0) continue;
        int fd = accept(fake_listen_fd, NULL, NULL);
        if (fd < 0) continue;
        char buf[512], port[16], answer[128];
        if (read(fd, buf, sizeof buf) > 0) {
            atomic_fetch_add(&fake_asked, 1);
            int n = snprintf(port, sizeof port, "%d", atomic_load(&fake_primary_port));
            int len = snprintf(answer, sizeof answer, "*2\r\n$9\r\n127.0.0.1\r\n$%d\r\n%s\r\n", n, port);
            if (write(fd, answer, (size_t)len) != len) {}
            while (read(fd, buf, sizeof buf) > 0) {} /* until the client hangs up */
        }
        close(fd);
    }
    return NULL;
}

static int fake_sentinel_start(void) {
    fake_listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fake_listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fake_listen_fd, 8), 0);
    assert_int_equal(getsockname(fake_listen_fd, (struct sockaddr *)&a, &len), 0);
    atomic_store(&fake_stop, 0);
    assert_int_equal(pthread_create(&fake_thread, NULL, fake_sentinel, NULL), 0);
    return ntohs(a.sin_port);
}

static int discovery_teardown(void **state) {
    (void)state;
    if (fake_listen_fd >= 0) {
        atomic_store(&fake_stop, 1);
        pthread_join(fake_thread, NULL);
        close(fake_listen_fd);
        fake_listen_fd = -1;
    }
    tu_redis_destroy(&replica);
    tu_redis_destroy(&other);
    return 0;
}

/* Sentinel names the primary on every connect; a node that is not a
 * primary (a stale answer) is never used; a READONLY reply (the primary
 * demoted while connected) makes the next command ask again; a dead
 * Sentinel in the list is skipped. */
static void test_sentinel_discovery(void **state) {
    (void)state;
    memset(&other, 0, sizeof other);
    memset(&replica, 0, sizeof replica);
    if (tu_redis_start(&other, 0) != 0) fail_msg("cannot start a second redis-server");
    replica.replica_of = server.port;
    if (tu_redis_start(&replica, 0) != 0) fail_msg("cannot start a replica");
    assert_int_equal(tu_wait_reply(replica.port, "INFO replication", "master_link_status:up", 30), 0);
    int sport = fake_sentinel_start();
    char url[128], err[512];
    snprintf(url, sizeof url, "redis-sentinel://127.0.0.1:1,127.0.0.1:%d/swprimary", sport);
    sw_redis_target st;
    assert_int_equal(sw_redis_parse_url(url, &st, err, sizeof err), 0);
    sw_redis r;
    sw_redis_init(&r, &st, 2000);
    /* Named: a replica.  Refused. */
    atomic_store(&fake_primary_port, replica.port);
    assert_int_equal(sw_redis_connect(&r), -1);
    assert_non_null(strstr(r.err, "is not one (ROLE: slave)"));
    assert_null(r.c);
    /* Named: a primary (past the dead Sentinel on port 1). */
    atomic_store(&fake_primary_port, other.port);
    redisReply *rep = sw_redis_cmdv(&r, "SET", "where", "other", (const char *)NULL);
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_STATUS);
    freeReplyObject(rep);
    assert_int_equal(r.connects, 1);
    /* Demoted while connected: the write says READONLY; Sentinel now
     * names the test's server, and the next command goes there. */
    char reply[256], cmdline[64];
    snprintf(cmdline, sizeof cmdline, "REPLICAOF 127.0.0.1 %d", server.port);
    assert_int_equal(tu_redis_command(other.port, cmdline, reply, sizeof reply), 0);
    atomic_store(&fake_primary_port, server.port);
    rep = sw_redis_cmdv(&r, "SET", "where", "other", (const char *)NULL);
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_ERROR);
    assert_non_null(strstr(rep->str, "READONLY"));
    freeReplyObject(rep);
    int asked = atomic_load(&fake_asked);
    rep = sw_redis_cmdv(&r, "SET", "where", "server", (const char *)NULL);
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_STATUS);
    freeReplyObject(rep);
    assert_int_equal(atomic_load(&fake_asked), asked + 1);
    assert_int_equal(r.connects, 2);
    rep = cmd("GET", "where", NULL, NULL, NULL);
    assert_string_equal(rep->str, "server");
    freeReplyObject(rep);
    sw_redis_close(&r);
    sw_redis_target_free(&st);
}

/* ---- names --------------------------------------------------------------- */

static void test_key_names_and_fields(void **state) {
    (void)state;
    sw_ckpt *c = sw_ckpt_new("a:b{x}%", "okta.events", 12, "o");
    assert_string_equal(sw_ckpt_key(c, 0), "sw:{a%3Ab%7Bx%7D%25:okta.events:12}:meta");
    assert_string_equal(sw_ckpt_key(c, 1), "sw:{a%3Ab%7Bx%7D%25:okta.events:12}:tenants");
    assert_string_equal(sw_ckpt_key(c, 2), "sw:{a%3Ab%7Bx%7D%25:okta.events:12}:users");
    sw_ckpt_free(c);
    char f[64], t[64];
    size_t n = sw_key_user_field(TENANT2, sizeof TENANT2 - 1, "00u\x1fz", 5, f, sizeof f);
    assert_int_equal(n, 14 + 1 + 5);
    assert_memory_equal(f, "acme%25%1Fcorp\x1f" "00u\x1fz", n);
    size_t tn, an;
    const char *actor;
    assert_int_equal(sw_key_user_field_split(f, n, t, &tn, &actor, &an), 0);
    assert_int_equal(tn, sizeof TENANT2 - 1);
    assert_memory_equal(t, TENANT2, tn);
    assert_int_equal(an, 5);
    assert_memory_equal(actor, "00u\x1fz", 5);
    assert_int_equal(sw_key_user_field(TENANT2, sizeof TENANT2 - 1, "00u", 3, f, 10), 0); /* does not fit */
    assert_int_equal(sw_key_user_field_split("%41\x1fx", 5, t, &tn, &actor, &an), -1);
    assert_int_equal(sw_key_user_field_split("%2\x1fx", 4, t, &tn, &actor, &an), -1);
}

/* ---- issue 14: one store per rule, and the rolling upgrade ----------------- */

#define SEED_ID "621e92b6-7e54-11ee-bdc0-f661ea17fbcd"
static const char *const RULE_NAMES[] = {"q-rule", SEED_ID};

static void load_stores_is(sw_ckpt *c, sw_store *const *s, uint64_t seed, sw_ckpt_stats *st) {
    char err[700] = "";
    sw_ckpt_status got = sw_ckpt_load_stores(c, &conn, s, seed, st, err, sizeof err);
    if (got != SW_CKPT_OK) fail_msg("load: %d: %s", (int)got, err);
}

static void write_stores_is(sw_ckpt *c, sw_store *const *s, int64_t offset, sw_ckpt_stats *st) {
    char err[700] = "";
    sw_ckpt_status got = sw_ckpt_write_stores(c, &conn, s, offset, TTL_MS, st, err, sizeof err);
    if (got != SW_CKPT_OK) fail_msg("write: %d: %s", (int)got, err);
}

/* A rules-layout owner of partition part (RULE_NAMES, the seed rule's
 * store adopting a built-in checkpoint) claims it, finding want_off, and
 * loads s[0..1]. */
static sw_ckpt *rules_owner_loads(const char *owner, int32_t part, int64_t want_off, sw_store s[2], sw_ckpt_stats *st) {
    sw_ckpt *c = sw_ckpt_new_stores("g", "t", part, owner, RULE_NAMES, 2);
    sw_ckpt_adopt_legacy(c, 1, SW_RKEY_VALUE);
    int64_t off;
    claim_is(c, &off, SW_CKPT_OK);
    assert_int_equal(off, want_off);
    sw_store *const ps[] = {&s[0], &s[1]};
    load_stores_is(c, ps, 9, st);
    return c;
}

/* A case's end: the checkpointers freed, the stores destroyed (NULL-terminated lists). */
static void case_end(sw_ckpt *const *c, sw_store *const *s) {
    for (; *c; c++) sw_ckpt_free(*c);
    for (; *s; s++) sw_store_destroy(*s);
}

static long long key_exists(const sw_ckpt *c, int which) { return cmd_int("EXISTS", sw_ckpt_key(c, which), NULL); }

/* meta.rules_seq == meta.seq: the last checkpoint is in the rules layout. */
static void expect_rules_layout(const sw_ckpt *c) {
    redisReply *r = cmd("HMGET", sw_ckpt_key(c, 0), "seq", "rules_seq", NULL);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_STRING);
    assert_int_equal(r->element[1]->type, REDIS_REPLY_STRING);
    assert_string_equal(r->element[0]->str, r->element[1]->str);
    freeReplyObject(r);
}

/* Two rules' stores round-trip through their own keys, in one script: a
 * whole write, then a delta that touches only the second store. */
static void test_rule_stores_round_trip(void **state) {
    (void)state;
    sw_store a[2], b[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sw_store_init(&a[i], W, L), 0);
        assert_int_equal(sw_store_init(&b[i], W, L), 0);
    }
    populate(&a[0], 3);
    sw_store_track(&a[1]);
    observe(&a[1], 3, "", 0, "00u-second", T0, "s1", "ua");
    sw_ckpt *c = sw_ckpt_new_stores("g", "t", 4, "me", RULE_NAMES, 2);
    assert_int_equal(sw_ckpt_keys(c), 1 + 2 * 2 + 2);
    assert_string_equal(sw_ckpt_key(c, 1), "sw:{g:t:4}:r:q-rule:tenants");
    assert_string_equal(sw_ckpt_key(c, 4), "sw:{g:t:4}:r:" SEED_ID ":users");
    assert_string_equal(sw_ckpt_key(c, 5), "sw:{g:t:4}:tenants"); /* the built-in layout's, deleted by writes */
    int64_t off;
    claim_is(c, &off, SW_CKPT_OK);
    assert_int_equal(off, -1);
    sw_store *const pa[] = {&a[0], &a[1]};
    sw_ckpt_stats st;
    cmd_ok("HSET", sw_ckpt_key(c, 6), "\x1f" "00u-stale", "x", NULL); /* a leftover in the built-in users key */
    write_stores_is(c, pa, 20, &st);
    assert_int_equal(st.users, 53 + 1);
    assert_int_equal(st.tenants, 2 + 1);
    assert_int_equal(cmd_int("HLEN", sw_ckpt_key(c, 2), NULL), 53);
    assert_int_equal(cmd_int("HLEN", sw_ckpt_key(c, 4), NULL), 1);
    assert_int_equal(key_exists(c, 6), 0);
    expect_rules_layout(c);
    redisReply *r = cmd("HGET", sw_ckpt_key(c, 0), "rules", NULL, NULL);
    assert_string_equal(r->str, "q-rule:" SEED_ID);
    freeReplyObject(r);
    for (int k = 1; k < 5; k++) assert_true(cmd_int("PTTL", sw_ckpt_key(c, k), NULL) > 0);

    /* A delta: only the second store changed. */
    observe(&a[1], 3, "", 0, "00u-second", T0 + MIN, "s2", "ua");
    write_stores_is(c, pa, 21, &st);
    assert_int_equal(st.users, 1);
    assert_int_equal(st.tenants, 1); /* its tenant: the actor's newest time moved in the top list */
    expect_rules_layout(c);

    /* Another owner loads both, each from its own keys (nothing to adopt:
     * the checkpoint is in the rules layout). */
    sw_ckpt *c2 = rules_owner_loads("next", 4, 21, b, &st);
    sw_store *const pb[] = {&b[0], &b[1]};
    assert_int_equal(st.users, 54);
    assert_int_equal(st.adopted, 0);
    assert_false(sw_ckpt_full_pending(c2));
    assert_same_state(&a[0], &b[0]);
    assert_same_state(&a[1], &b[1]);

    /* q-rule removed (its keys left to their TTL), then added again: its
     * keys are older than the checkpoints since, so the claim deletes
     * them; the seed rule's are kept. */
    const char *seed_only[] = {SEED_ID};
    sw_ckpt *c3 = sw_ckpt_new_stores("g", "t", 4, "seed-only", seed_only, 1);
    claim_is(c3, &off, SW_CKPT_OK);
    assert_int_equal(key_exists(c3, 1) + key_exists(c3, 2), 2);
    write_stores_is(c3, pb + 1, 22, &st);
    assert_int_equal(key_exists(c, 1) + key_exists(c, 2), 2); /* q-rule's, untouched */
    sw_ckpt *c4 = sw_ckpt_new_stores("g", "t", 4, "both-again", RULE_NAMES, 2);
    claim_is(c4, &off, SW_CKPT_OK);
    assert_int_equal(key_exists(c4, 1) + key_exists(c4, 2), 0);
    assert_int_equal(key_exists(c4, 3) + key_exists(c4, 4), 2);
    case_end((sw_ckpt *[]){c, c2, c3, c4, NULL}, (sw_store *[]){&a[0], &a[1], &b[0], &b[1], NULL});
}

/* The rolling upgrade: a built-in checkpoint taken over by the seed rule's
 * store is exactly the state the rules engine builds from the same events
 * (observe_rule), then written to the rule's keys in full, the built-in
 * keys deleted in the same script; a later rules owner reads the rule keys. */
static void test_upgrade_adopts_builtin_state(void **state) {
    (void)state;
    sw_store builtin, by_rule, adopted[2], again[2];
    assert_int_equal(sw_store_init(&builtin, W, L), 0);
    assert_int_equal(sw_store_init(&by_rule, W, L), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sw_store_init(&adopted[i], W, L), 0);
        assert_int_equal(sw_store_init(&again[i], W, L), 0);
    }
    populate_by(&builtin, 5, observe);
    populate_by(&by_rule, 9, observe_rule);
    sw_ckpt *old = sw_ckpt_new("g", "t", 2, "old-build");
    int64_t off;
    sw_ckpt_stats st;
    claim_is(old, &off, SW_CKPT_OK);
    write_is(old, &builtin, 30, &st, SW_CKPT_OK);

    sw_ckpt *c = rules_owner_loads("upgraded", 2, 30, adopted, &st);
    assert_int_equal(st.users, 53);
    assert_int_equal(st.tenants, 2);
    assert_int_equal(st.adopted, 53 + 2);
    assert_int_equal(adopted[0].users.count, 0);
    assert_same_state(&by_rule, &adopted[1]);
    assert_true(sw_ckpt_full_pending(c));
    sw_store_track(&adopted[0]);
    sw_store_track(&adopted[1]);
    sw_store *const pa[] = {&adopted[0], &adopted[1]};
    write_stores_is(c, pa, 31, &st);
    assert_int_equal(st.users, 53);
    assert_int_equal(key_exists(c, 5) + key_exists(c, 6), 0); /* the built-in keys */
    assert_int_equal(cmd_int("HLEN", sw_ckpt_key(c, 4), NULL), 53);
    expect_rules_layout(c);

    sw_ckpt *c2 = rules_owner_loads("later", 2, 31, again, &st);
    assert_int_equal(st.adopted, 0);
    assert_same_state(&by_rule, &again[1]);
    case_end((sw_ckpt *[]){old, c, c2, NULL},
             (sw_store *[]){&builtin, &by_rule, &adopted[0], &adopted[1], &again[0], &again[1], NULL});
}

/* The other way: a built-in owner after a rules-layout checkpoint resumes
 * at its offset with empty windows (the rule keys are not its own) and
 * writes the built-in layout; a rules owner after that deletes the rule
 * keys (older than the checkpoint) at its claim and, for the seed rule,
 * adopts the built-in state again.  A rule whose interval is not the
 * built-in's 30 minutes gets the tenants without their cap buckets. */
static void test_downgrade_then_upgrade(void **state) {
    (void)state;
    sw_store rules[2], builtin, back[2], fresh;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sw_store_init(&rules[i], W, L), 0);
        assert_int_equal(sw_store_init(&back[i], W, L), 0);
        populate_by(&rules[i], 9, observe_rule);
    }
    assert_int_equal(sw_store_init(&builtin, W, L), 0);
    assert_int_equal(sw_store_init(&fresh, W, L), 0);
    sw_store_set_cap_bucket(&back[1], 5 * MIN);
    int64_t off;
    sw_ckpt_stats st;
    sw_ckpt *c = sw_ckpt_new_stores("g", "t", 3, "rules", RULE_NAMES, 2);
    claim_is(c, &off, SW_CKPT_OK);
    sw_store *const pr[] = {&rules[0], &rules[1]};
    write_stores_is(c, pr, 40, &st);

    sw_ckpt *down = sw_ckpt_new("g", "t", 3, "downgraded");
    claim_is(down, &off, SW_CKPT_OK);
    assert_int_equal(off, 40);
    load_is(down, &builtin, 5, &st, SW_CKPT_OK);
    assert_int_equal(st.users + st.tenants, 0);
    populate(&builtin, 5); /* its own events, from offset 40 on */
    write_is(down, &builtin, 41, &st, SW_CKPT_OK);
    assert_int_equal(cmd_int("HLEN", sw_ckpt_key(c, 2), NULL), 53); /* the rule keys, untouched (TTL) */

    sw_ckpt *up = rules_owner_loads("up-again", 3, 41, back, &st);
    for (int k = 1; k < 5; k++) assert_int_equal(key_exists(up, k), 0); /* older than the checkpoint: deleted */
    assert_int_equal(st.adopted, 53 + 2);
    assert_int_equal(back[0].users.count, 0);
    assert_int_equal(back[1].users.count, 53);
    const sw_tenant *t = sw_store_tenant(&back[1], "", 0), *tb = sw_store_tenant(&builtin, "", 0);
    assert_int_equal(tb->ncap, 1); /* 00u-alerted's alert */
    assert_int_equal(t->ncap, 0);  /* 30-minute buckets are not the rule's 5-minute ones */
    assert_int_equal(t->ntop, tb->ntop);
    assert_memory_equal(t->top, tb->top, sizeof(sw_wm_actor) * tb->ntop);

    /* --rules without the seed rule: nothing adopted, the built-in keys
     * deleted by its first write (they are older than it). */
    const char *other[] = {"q-rule"};
    sw_ckpt *q = sw_ckpt_new_stores("g", "t", 3, "other-rules", other, 1);
    claim_is(q, &off, SW_CKPT_OK);
    sw_store *const pf[] = {&fresh};
    load_stores_is(q, pf, 9, &st);
    assert_int_equal(st.users + st.adopted, 0);
    sw_store_track(&fresh);
    write_stores_is(q, pf, 42, &st);
    assert_int_equal(key_exists(down, 1) + key_exists(down, 2), 0);
    case_end((sw_ckpt *[]){c, down, up, q, NULL},
             (sw_store *[]){&rules[0], &rules[1], &back[0], &back[1], &builtin, &fresh, NULL});
}

/* The conversion refuses what is not a user value, byte by byte. */
static void test_prefix_ids_hostile(void **state) {
    (void)state;
    sw_store s;
    assert_int_equal(sw_store_init(&s, W, L), 0);
    populate(&s, 1);
    const sw_user *u = find_user(&s, "", 0, "00u-open");
    assert_non_null(u);
    size_t n = sw_codec_user_size(u), got;
    char *good = malloc(n + 1), *out = malloc(n + 1 + SW_CODEC_MAX_SESSIONS);
    sw_codec_user_encode(u, good);
    assert_int_equal(sw_codec_user_prefix_ids(good, n, 'v', out, &got), SW_CODEC_OK);
    assert_int_equal(got, n + 2); /* two sessions */
    for (size_t k = 0; k < n; k++) assert_int_equal(sw_codec_user_prefix_ids(good, k, 'v', out, &got), SW_CODEC_CORRUPT);
    good[n] = 0;
    assert_int_equal(sw_codec_user_prefix_ids(good, n + 1, 'v', out, &got), SW_CODEC_CORRUPT);
    good[0] = 2; /* another version */
    assert_int_equal(sw_codec_user_prefix_ids(good, n, 'v', out, &got), SW_CODEC_CORRUPT);
    free(good);
    free(out);
    sw_store_destroy(&s);
}

/* ---- codec against hostile bytes ----------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next_rand(void) { return tu_xorshift64(&rng); }

static void test_codec_hostile(void **state) {
    (void)state;
    sw_store s;
    assert_int_equal(sw_store_init(&s, W, L), 0);
    populate(&s, 1);
    sw_user *u = find_user(&s, "", 0, "00u-open");
    size_t n = sw_codec_user_size(u);
    char *good = malloc(n + 1), *bad = malloc(n + 64);
    sw_codec_user_encode(u, good);
    sw_tenant *ten = sw_store_tenant(&s, "", 0);
    sw_user *fresh = sw_store_user(&s, ten, "00u-scratch", 11);
    /* Every truncation is refused. */
    for (size_t k = 0; k < n; k++) assert_int_equal(sw_codec_user_decode(fresh, &s.slab, good, k, 1), SW_CODEC_CORRUPT);
    /* A trailing byte is refused. */
    memcpy(bad, good, n);
    bad[n] = 0;
    assert_int_equal(sw_codec_user_decode(fresh, &s.slab, bad, n + 1, 1), SW_CODEC_CORRUPT);
    /* Unknown version. */
    memcpy(bad, good, n);
    bad[0] = 2;
    assert_int_equal(sw_codec_user_decode(fresh, &s.slab, bad, n, 1), SW_CODEC_CORRUPT);
    /* maxT older than a session's last event. */
    memcpy(bad, good, n);
    int64_t old = T0 - 1;
    memcpy(bad + 9, &old, 8);
    assert_int_equal(sw_codec_user_decode(fresh, &s.slab, bad, n, 1), SW_CODEC_CORRUPT);
    /* The same session id twice (would count one session as two). */
    sw_user twin = {0};
    sw_window_init(&twin);
    sw_session_info si = info("dup", "1.2.3.4", "ua");
    sw_window_observe(&twin, &s.slab, T0, &si, 1, W, 3);
    si = info("dup2", "1.2.3.4", "ua");
    sw_window_observe(&twin, &s.slab, T0, &si, 2, W, 3);
    memcpy(twin.sessions->next->data, "dup2", 4); /* rename "dup" -> ... both "dup2" */
    twin.sessions->next->id_len = 4;
    memcpy(twin.sessions->data, "dup2", 4);
    size_t tn = sw_codec_user_size(&twin);
    char *tb = malloc(tn);
    sw_codec_user_encode(&twin, tb);
    assert_int_equal(sw_codec_user_decode(fresh, &s.slab, tb, tn, 1), SW_CODEC_CORRUPT);
    free(tb);
    /* Random byte flips: decoded or refused, never a crash (ASan in CI). */
    for (int i = 0; i < 20000; i++) {
        memcpy(bad, good, n);
        int flips = 1 + (int)(next_rand() % 4);
        for (int f = 0; f < flips; f++) bad[next_rand() % n] = (char)next_rand();
        sw_codec_status st = sw_codec_user_decode(fresh, &s.slab, bad, n, 1);
        assert_true(st == SW_CODEC_OK || st == SW_CODEC_CORRUPT);
        sw_window_clear(fresh, &s.slab);
        sw_window_init(fresh);
    }
    /* And the good one decodes to the same bytes. */
    assert_int_equal(sw_codec_user_decode(fresh, &s.slab, good, n, 1), SW_CODEC_OK);
    assert_int_equal(sw_codec_user_size(fresh), n);
    sw_codec_user_encode(fresh, bad);
    assert_memory_equal(bad, good, n);
    sw_window_clear(fresh, &s.slab);
    sw_window_init(fresh);
    /* This build writes no names (name_len = alt_len = 0 after version, r
     * and maxT); an older build's value with names is accepted, its names
     * skipped: it re-encodes as this build's value.  A name over 255 bytes
     * is refused. */
    enum { HEAD = 1 + 8 + 8 };
    uint16_t zero[2];
    memcpy(zero, good + HEAD, 4);
    assert_int_equal(zero[0], 0);
    assert_int_equal(zero[1], 0);
    char *named = malloc(n + 300);
    uint16_t lens[2] = {12, 16};
    memcpy(named, good, HEAD);
    memcpy(named + HEAD, lens, 4);
    memcpy(named + HEAD + 4, "Jane \"J\" Doejane@example.com", 28);
    memcpy(named + HEAD + 4 + 28, good + HEAD + 4, n - HEAD - 4);
    assert_int_equal(sw_codec_user_decode(fresh, &s.slab, named, n + 28, 1), SW_CODEC_OK);
    assert_int_equal(sw_codec_user_size(fresh), n);
    sw_codec_user_encode(fresh, bad);
    assert_memory_equal(bad, good, n);
    sw_window_clear(fresh, &s.slab);
    sw_window_init(fresh);
    lens[0] = 256;
    memcpy(named, good, HEAD);
    memcpy(named + HEAD, lens, 4);
    memset(named + HEAD + 4, 'x', 256 + 16);
    memcpy(named + HEAD + 4 + 256 + 16, good + HEAD + 4, n - HEAD - 4);
    assert_int_equal(sw_codec_user_decode(fresh, &s.slab, named, n + 256 + 16, 1), SW_CODEC_CORRUPT);
    free(named);
    sw_window_clear(&twin, &s.slab);
    free(good);
    free(bad);
    sw_store_destroy(&s);
}

/* ---- URLs ---------------------------------------------------------------- */

/* What a good --state URL parses to, the environment it is parsed in, and
 * how it is described (passwords masked).  NULL strings are absent fields. */
typedef struct {
    const char *url;
    const char *env, *env_value; /* a password variable set while parsing */
    const char *host;
    int port;
    const char *socket, *user, *password;
    int db;
    const char *sentinels; /* "host:port,..." */
    const char *master, *sentinel_password;
    const char *described;
    const char *hidden; /* never in the description */
} url_case;

static const url_case URLS[] = {
    {.url = "redis://10.0.0.5:6380/2", .host = "10.0.0.5", .port = 6380, .db = 2,
     .described = "redis://10.0.0.5:6380/2"},
    {.url = "redis://:p@ss/w:rd@cache", .host = "cache", .port = 6379, .password = "p@ss/w:rd",
     .described = "redis://:***@cache:6379/0", .hidden = "p@ss"},
    {.url = "redis://alice:secret@h:1/0", .host = "h", .port = 1, .user = "alice", .password = "secret",
     .described = "redis://alice:***@h:1/0", .hidden = "secret"},
    {.url = "unix:///run/redis.sock?db=3", .port = 6379, .socket = "/run/redis.sock", .db = 3,
     .described = "unix:///run/redis.sock?db=3"},
    {.url = "redis://h", .env = SW_REDIS_PASSWORD_ENV, .env_value = "from-env", .host = "h", .port = 6379,
     .password = "from-env", .described = "redis://:***@h:6379/0", .hidden = "from-env"},
    {.url = "redis-sentinel://:pw@s1:26380,s2,10.0.0.9:5/mymaster/4", .port = 6379, .password = "pw", .db = 4,
     .sentinels = "s1:26380,s2:26379,10.0.0.9:5", .master = "mymaster",
     .described = "redis-sentinel://:***@s1:26380,s2:26379,10.0.0.9:5/mymaster/4"},
    {.url = "redis-sentinel://h/m", .env = SW_REDIS_SENTINEL_PASSWORD_ENV, .env_value = "sentinel-pw", .port = 6379,
     .sentinels = "h:26379", .master = "m", .sentinel_password = "sentinel-pw",
     .described = "redis-sentinel://h:26379/m/0", .hidden = "sentinel-pw"},
};

static void same_str(const char *url, const char *what, const char *got, const char *want) {
    if (got == want || (got && want && strcmp(got, want) == 0)) return;
    fail_msg("%s: %s is %s, want %s", url, what, got ? got : "absent", want ? want : "absent");
}

static void expect_url(const url_case *u) {
    sw_redis_target t;
    char err[256], d[256], sentinels[256] = "";
    if (u->env) setenv(u->env, u->env_value, 1);
    int rc = sw_redis_parse_url(u->url, &t, err, sizeof err);
    if (u->env) unsetenv(u->env);
    if (rc != 0) fail_msg("%s: refused: %s", u->url, err);
    same_str(u->url, "host", t.host, u->host);
    assert_int_equal(t.port, u->port);
    same_str(u->url, "socket", t.socket, u->socket);
    same_str(u->url, "user", t.user, u->user);
    same_str(u->url, "password", t.password, u->password);
    assert_int_equal(t.db, u->db);
    for (int i = 0, k = 0; i < t.nsentinels; i++)
        k += snprintf(sentinels + k, sizeof sentinels - (size_t)k, "%s%s:%d", i ? "," : "", t.sentinel_host[i],
                      t.sentinel_port[i]);
    same_str(u->url, "sentinels", t.nsentinels ? sentinels : NULL, u->sentinels);
    same_str(u->url, "master", t.master, u->master);
    same_str(u->url, "sentinel password", t.sentinel_password, u->sentinel_password);
    sw_redis_describe(&t, d, sizeof d);
    same_str(u->url, "description", d, u->described);
    if (u->hidden) assert_null(strstr(d, u->hidden));
    sw_redis_target_free(&t);
}

static void test_url_parsing(void **state) {
    (void)state;
    unsetenv(SW_REDIS_PASSWORD_ENV);
    unsetenv(SW_REDIS_SENTINEL_PASSWORD_ENV);
    for (size_t i = 0; i < sizeof URLS / sizeof URLS[0]; i++) expect_url(&URLS[i]);
    sw_redis_target t;
    char err[256];
    const char *bad[] = {"redis-sentinel://h", "redis-sentinel://h/", "redis-sentinel:///m", "redis-sentinel://h,/m",
                         "redis-sentinel://h:0/m", "redis-sentinel://h/m/x", "redis-sentinel://,h/m",
                         "http://h", "redis://", "redis://h:0", "redis://h:65536", "redis://h:12x", "redis://h/x",
                         "redis://pw@h", "unix://relative.sock", "unix:///s?db=x", "redis://:secret@:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (sw_redis_parse_url(bad[i], &t, err, sizeof err) == 0) fail_msg("accepted %s", bad[i]);
        assert_null(strstr(err, "secret"));
        assert_non_null(strstr(err, "redis://"));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parsing),
        cmocka_unit_test(test_key_names_and_fields),
        cmocka_unit_test(test_codec_hostile),
        cmocka_unit_test_setup(test_round_trip_every_field, flush_db),
        cmocka_unit_test_setup(test_incremental_evictions_ttl, flush_db),
        cmocka_unit_test_setup(test_large_partition, flush_db),
        cmocka_unit_test_setup(test_foreign_meta_refused, flush_db),
        cmocka_unit_test_setup(test_no_checkpoint_drops_leftovers, flush_db),
        cmocka_unit_test_setup(test_corrupt_values_skipped, flush_db),
        cmocka_unit_test_setup(test_unavailable_then_back, flush_db),
        cmocka_unit_test_setup(test_flushed_state_rewritten_whole, flush_db),
        cmocka_unit_test_setup(test_older_copy_rewritten_whole, flush_db),
        cmocka_unit_test_setup(test_missing_owner_fenced, flush_db),
        cmocka_unit_test_setup_teardown(test_sentinel_discovery, flush_db, discovery_teardown),
        cmocka_unit_test_setup(test_restore_drops_future, flush_db),
        cmocka_unit_test(test_offset_verdicts),
        cmocka_unit_test_setup(test_discard, flush_db),
        cmocka_unit_test_setup(test_denied_is_not_down, flush_db),
        cmocka_unit_test_setup(test_rule_stores_round_trip, flush_db),
        cmocka_unit_test_setup(test_upgrade_adopts_builtin_state, flush_db),
        cmocka_unit_test_setup(test_downgrade_then_upgrade, flush_db),
        cmocka_unit_test(test_prefix_ids_hostile),
    };
    return cmocka_run_group_tests_name("checkpoint", tests, group_setup, group_teardown);
}

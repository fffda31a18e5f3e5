/* test_state_cli.c -- pins `sessionwatch state inspect` as a black box
 * (tu_run) against a private redis-server (tu_redis_start; the test is
 * skipped with 77 when redis-server is missing).
 *
 * The Redis contents are real checkpoints: window state is built in
 * process with the store and window code the engine uses (sw_store_user,
 * sw_window_observe, change tracking) and written by sw_ckpt_claim +
 * sw_ckpt_write, so the test reads exactly what `run --state` leaves in
 * Redis, hostile strings included (a user agent with a quote and an ESC,
 * a tenant with '%' and 0x1F, an actor id with
 * glob characters, an actor id that ends like another).  Foreign data
 * (a meta key of another type, another format version, a bad offset, a
 * users key of another type, a key name sessionwatch would not write, a
 * corrupt user value) sits beside it.  The tests assert the values printed:
 * the partition table, the --user blocks, and --json lines parsed by a
 * small strict JSON parser below; plus filters, usage errors (exit 2), an
 * unreachable Redis (exit 1) and a masked password. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "checkpoint.h"
#include "hash.h"
#include "json_check.h"
#include "redis.h"
#include "store.h"
#include "testutil.h"
#include "tu_cli.h"
#include "timefmt.h"
#include "window.h"


#define W_MS (35 * 60 * 1000)
#define TTL_MS 3600000

static tu_redis redis;
static sw_redis_target target;
static sw_redis conn;
static int64_t written_from, written_to; /* wall clock around the checkpoints */

static const char UA_HOSTILE[] = "curl/8.0 \"x\"\x1b[31m";
static const char TENANT_ODD[] = "ac%me\x1Fx";

/* ---- JSON lines, read with the fuzz targets' strict reader (json_check.h) -- */

typedef jc_node jnode;

static const jnode *jget(const jnode *o, const char *key) {
    const jnode *v = jc_get(o, key);
    if (!v) fail_msg("no key \"%s\"", key);
    return v;
}

/* An integer member's value (fails on anything else). */
static long long jnum(const jnode *v) {
    char *end;
    long long n = v->type == JC_NUMBER ? strtoll(v->s, &end, 10) : 0;
    if (v->type != JC_NUMBER || *end) fail_msg("not an integer: %s", v->type == JC_NUMBER ? v->s : "(another type)");
    return n;
}

static void assert_jstr(const jnode *o, const char *key, const char *want, size_t wn) {
    const jnode *v = jget(o, key);
    if (!jc_is_str(v, want, wn))
        fail_msg("\"%s\": got type %d \"%s\", want \"%.*s\"", key, (int)v->type, v->type == JC_STRING ? v->s : "",
                 (int)wn, want);
}
#define assert_jcstr(o, key, want) assert_jstr((o), (key), (want), strlen(want))

static void assert_jint(const jnode *o, const char *key, long long want) {
    long long got = jnum(jget(o, key));
    if (got != want) fail_msg("\"%s\": got %lld, want %lld", key, got, want);
}

static void assert_jnull(const jnode *o, const char *key) {
    if (jget(o, key)->type != JC_NULL) fail_msg("\"%s\": want null", key);
}

/* Splits out into lines and parses each one: exactly one JSON object. */
typedef struct {
    jnode **v;
    size_t n;
} jlines;

static jlines jparse_lines(const char *out) {
    jlines l = {0};
    for (const char *p = out; *p;) {
        const char *nl = strchr(p, '\n'), *err = NULL;
        if (!nl) fail_msg("last line without newline: %s", p);
        jnode *o = jc_parse(p, (size_t)(nl - p), &err);
        if (!o) fail_msg("not one JSON value (%s): %.*s", err ? err : "?", (int)(nl - p), p);
        if (o->type != JC_OBJECT) fail_msg("not a JSON object: %.*s", (int)(nl - p), p);
        l.v = realloc(l.v, (l.n + 1) * sizeof *l.v);
        l.v[l.n++] = o;
        p = nl + 1;
    }
    return l;
}

static void jlines_free(jlines *l) {
    for (size_t i = 0; i < l->n; i++) jc_free(l->v[i]);
    free(l->v);
}

/* The line whose group/topic/partition (and type) are these. */
static const jnode *jfind(const jlines *l, const char *type, const char *group, const char *topic, long long part,
                          const char *tenant) {
    for (size_t i = 0; i < l->n; i++) {
        const jnode *o = l->v[i];
        if (!jc_is_str(jget(o, "type"), type, strlen(type)) || !jc_is_str(jget(o, "group"), group, strlen(group)) ||
            !jc_is_str(jget(o, "topic"), topic, strlen(topic)) || jnum(jget(o, "partition")) != part)
            continue;
        if (tenant && !jc_is_str(jget(o, "tenant"), tenant, strlen(tenant))) continue;
        return o;
    }
    fail_msg("no %s line for %s/%s/%lld", type, group, topic, part);
    return NULL;
}

/* ---- building real checkpoints ------------------------------------------- */

static int64_t at(const char *iso) {
    int64_t ms;
    if (sw_time_parse(iso, strlen(iso), &ms) != 0) fail_msg("bad time %s", iso);
    return ms;
}

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct {
    const char *sid, *when, *ip, *ua, *country, *city, *uuid;
} ev;

/* One eligible event, applied the way engine.c applies it. */
static sw_observe observe(sw_store *s, const char *tenant, size_t tn, const char *actor, size_t an, const ev *e) {
    int64_t t = at(e->when);
    sw_tenant *ten = sw_store_tenant(s, tenant, tn);
    assert_non_null(ten);
    /* The actor and SW_WM_ACTORS - 1 stand-ins at t: the tenant's
     * watermark is its newest time, as if enough actors were active (what
     * inspect prints is under test here, not the watermark's rule). */
    uint64_t ah = sw_store_actor_hash(actor, an);
    for (uint64_t i = 0; i < SW_WM_ACTORS; i++) sw_store_advance(ten, ah + i, t);
    sw_user *u = sw_store_user(s, ten, actor, an);
    assert_non_null(u);
    sw_store_touch(s, u);
    const char *ua = e->ua ? e->ua : "Mozilla/5.0 (X11)";
    sw_session_info si = {
        .id = {e->sid, strlen(e->sid)},
        .ip = {e->ip ? e->ip : "203.0.113.9", strlen(e->ip ? e->ip : "203.0.113.9")},
        .user_agent = {ua, strlen(ua)},
        .country = {e->country ? e->country : "United States", strlen(e->country ? e->country : "United States")},
        .city = {e->city ? e->city : "Denver", strlen(e->city ? e->city : "Denver")},
        .uuid = {e->uuid, strlen(e->uuid)},
    };
    sw_observe o = sw_window_observe(u, &s->slab, t, &si, sw_hash64(e->sid, strlen(e->sid), 1), W_MS, 3);
    if (o == SW_OBS_ALERT) sw_window_reset(u, &s->slab);
    return o;
}

static void checkpoint(sw_store *s, const char *group, const char *topic, int32_t p, const char *owner,
                       int64_t offset) {
    sw_ckpt *c = sw_ckpt_new(group, topic, p, owner);
    assert_non_null(c);
    int64_t off = 0;
    char err[512] = "";
    if (sw_ckpt_claim(c, &conn, TTL_MS, &off, err, sizeof err) != SW_CKPT_OK) fail_msg("claim: %s", err);
    assert_int_equal(off, -1);
    if (s) {
        sw_ckpt_stats st;
        if (sw_ckpt_write(c, &conn, s, offset, TTL_MS, &st, err, sizeof err) != SW_CKPT_OK) fail_msg("write: %s", err);
    }
    sw_ckpt_free(c);
}

static void redis_ok(int argc, const char **argv, const size_t *lens) {
    redisReply *rep = sw_redis_cmd(&conn, argc, argv, lens);
    if (!rep || rep->type == REDIS_REPLY_ERROR) fail_msg("%s: %s", argv[0], rep ? rep->str : conn.err);
    freeReplyObject(rep);
}

/* The state every test reads (see the top comment). */
static void populate(void **state) {
    (void)state;
    written_from = wall_ms();
    sw_store s;
    /* sessionwatch / okta-events / 0: the default tenant. */
    assert_int_equal(sw_store_init(&s, W_MS, 10 * 60 * 1000), 0);
    sw_store_track(&s);
    assert_int_equal(observe(&s, "", 0, "00u1", 4, &(ev){"s1", "2026-01-05T08:00:00Z", .uuid = "u-1"}), SW_OBS_COUNTED);
    assert_int_equal(observe(&s, "", 0, "00u1", 4, &(ev){"s1", "2026-01-05T08:05:00.250Z", .uuid = "u-1b"}),
                     SW_OBS_COUNTED);
    assert_int_equal(observe(&s, "", 0, "00u1", 4,
                             &(ev){"s2", "2026-01-05T08:10:00Z", "198.51.100.7", UA_HOSTILE, "Romania", "Bucharest",
                                   "u-2"}),
                     SW_OBS_COUNTED);
    assert_int_equal(observe(&s, "", 0, "00u2", 4, &(ev){"s9", "2026-01-05T08:20:00Z", .uuid = "u-9"}), SW_OBS_COUNTED);
    /* Glob characters: found only if --user is glob-escaped. */
    assert_int_equal(observe(&s, "", 0, "00u[1]", 6, &(ev){"s7", "2026-01-05T08:30:00Z", .uuid = "u-7"}),
                     SW_OBS_COUNTED);
    checkpoint(&s, "sessionwatch", "okta-events", 0, "worker-a", 42);
    sw_store_destroy(&s);

    /* sessionwatch / okta-events / 3: the same actor id in a tenant with '%' and 0x1F. */
    assert_int_equal(sw_store_init(&s, W_MS, 10 * 60 * 1000), 0);
    sw_store_track(&s);
    assert_int_equal(observe(&s, TENANT_ODD, strlen(TENANT_ODD), "00u1", 4,
                             &(ev){"s5", "2026-01-05T09:00:00Z", "192.0.2.1", "Edge", "France", "Paris", "u-5"}),
                     SW_OBS_COUNTED);
    /* Ends like "<0x1F>00u1" (in a tenant without a 00u1): the MATCH pattern
     * finds it, the exact compare must not. */
    assert_int_equal(observe(&s, "", 0, "a\x1F" "00u1", 6, &(ev){"s8", "2026-01-05T08:25:00Z", .uuid = "u-8"}),
                     SW_OBS_COUNTED);
    checkpoint(&s, "sessionwatch", "okta-events", 3, "worker-b", 7);
    sw_store_destroy(&s);

    /* other:grp / okta-events / 1: 00u1 alerted (r = 07:02), then one more session. */
    assert_int_equal(sw_store_init(&s, W_MS, 10 * 60 * 1000), 0);
    sw_store_track(&s);
    assert_int_equal(observe(&s, "", 0, "00u1", 4, &(ev){"x1", "2026-01-05T07:00:00Z", .uuid = "u-x1"}), SW_OBS_COUNTED);
    assert_int_equal(observe(&s, "", 0, "00u1", 4, &(ev){"x2", "2026-01-05T07:01:00Z", .uuid = "u-x2"}), SW_OBS_COUNTED);
    assert_int_equal(observe(&s, "", 0, "00u1", 4, &(ev){"x3", "2026-01-05T07:02:00Z", .uuid = "u-x3"}), SW_OBS_ALERT);
    assert_int_equal(observe(&s, "", 0, "00u1", 4, &(ev){"x4", "2026-01-05T07:10:00Z", .uuid = "u-x4"}), SW_OBS_COUNTED);
    checkpoint(&s, "other:grp", "okta-events", 1, "worker-c", 100);
    sw_store_destroy(&s);

    /* sessionwatch / okta-events / 5: claimed, never checkpointed. */
    checkpoint(NULL, "sessionwatch", "okta-events", 5, "worker-d", 0);
    written_to = wall_ms();

    /* Foreign data. */
    const char *cmds[][6] = {
        {"HSET", "sw:{sessionwatch:okta-events:0}:users", "\x1F" "00u3", "garbage"}, /* a corrupt value: 7 bytes */
        {"SET", "sw:{foreign:t:0}:meta", "hello"},
        {"HSET", "sw:{foreign:t:1}:meta", "version", "1", "offset", "1"},
        {"SET", "sw:{foreign:t:1}:users", "not a hash"},
        {"HSET", "sw:{foreign:t:2}:meta", "version", "1", "offset", "abc"},
        {"HSET", "sw:{sessionwatch:okta-events:9}:meta", "version", "99", "offset", "5"},
        {"HSET", "sw:{bad}:meta", "version", "1"},
        {"SET", "unrelated", "x"},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        int n = 0;
        size_t lens[6];
        while (n < 6 && cmds[i][n]) {
            lens[n] = strlen(cmds[i][n]);
            n++;
        }
        redis_ok(n, cmds[i], lens);
    }
}

/* ---- running the command -------------------------------------------------- */

/* state inspect --state <the private Redis> EXTRA... */
static tu_result inspect(const char *const *extra) {
    const char *argv[32] = {"state", "inspect", "--state", redis.url};
    size_t n = 4;
    for (; extra[n - 4] && n < 31; n++) argv[n] = extra[n - 4];
    argv[n] = NULL;
    return tu_run(argv, NULL, 0);
}

#define INSPECT(...) inspect((const char *[]){__VA_ARGS__, NULL})

/* Whitespace-separated words of line i (0-based) of s; returns how many. */
static size_t words(const char *s, size_t i, char w[][256], size_t max) {
    for (; i > 0 && s; i--) {
        s = strchr(s, '\n');
        if (s) s++;
    }
    if (!s) fail_msg("no line %zu", i);
    size_t n = 0;
    while (*s && *s != '\n') {
        while (*s == ' ') s++;
        if (!*s || *s == '\n') break;
        size_t k = 0;
        while (*s && *s != ' ' && *s != '\n') {
            if (k < 255) w[n][k++] = *s;
            s++;
        }
        w[n][k] = '\0';
        if (++n == max) break;
    }
    return n;
}

static void assert_no_raw_control(const tu_result *r) {
    for (size_t i = 0; i < r->out_len; i++)
        if (((unsigned char)r->out[i] < 0x20 && r->out[i] != '\n') || r->out[i] == 0x7F)
            fail_msg("raw control byte 0x%02x at %zu in\n%s", (unsigned char)r->out[i], i, r->out);
    for (size_t i = 0; i < r->err_len; i++)
        if (((unsigned char)r->err[i] < 0x20 && r->err[i] != '\n') || r->err[i] == 0x7F)
            fail_msg("raw control byte 0x%02x at %zu in stderr\n%s", (unsigned char)r->err[i], i, r->err);
}

static void expect_updated(const char *iso) {
    int64_t ms;
    if (sw_time_parse(iso, strlen(iso), &ms) != 0 || strlen(iso) != 24)
        fail_msg("updated '%s' is not an ISO-8601 UTC time", iso);
    if (ms < written_from - 1000 || ms > written_to + 1000)
        fail_msg("updated %s is not when the test wrote the checkpoint", iso);
}

/* A TTL cell: close to the hour the checkpoints were written with. */
static void expect_ttl_text(const char *ttl) {
    if (strcmp(ttl, "1h") != 0 && strncmp(ttl, "59m", 3) != 0 && strncmp(ttl, "58m", 3) != 0)
        fail_msg("TTL '%s' is not about an hour", ttl);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_help_documents_every_flag(void **state) {
    (void)state;
    static const char *const flags[] = {"--state URL", "--group G", "--topic T", "--partition P", "--user ID",
                                        "--json", "--timeout DUR", "--help", "SESSIONWATCH_STATE",
                                        "SESSIONWATCH_REDIS_PASSWORD", "Exit status"};
    const char *forms[][3] = {{"state", "inspect", "--help"}, {"state", "-h", NULL}};
    for (int f = 0; f < 2; f++) {
        const char *argv[] = {forms[f][0], forms[f][1], forms[f][2], NULL};
        tu_expect_help(argv, "Usage: sessionwatch state inspect", flags, sizeof flags / sizeof flags[0]);
    }
    const char *top[] = {"--help", NULL};
    tu_result r = tu_run(top, NULL, 0);
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "  state ");
    tu_result_free(&r);
}

static void expect_usage_error(const char *const *argv, const char *n1, const char *n2) {
    tu_expect_usage_error(argv, n1, n2);
}

static void test_usage_errors(void **state) {
    (void)state;
    const char *u = redis.url;
    expect_usage_error((const char *[]){"state", "inspect", NULL}, "--state", "SESSIONWATCH_STATE");
    expect_usage_error((const char *[]){"state", NULL}, "inspect", NULL);
    expect_usage_error((const char *[]){"state", "bogus", "--state", u, NULL}, "bogus", NULL);
    expect_usage_error((const char *[]){"state", "inspect", "--state", u, "--bogus", NULL}, "--bogus", NULL);
    expect_usage_error((const char *[]){"state", "inspect", "--state", u, "--partition", "3", NULL}, "--partition",
                       "--group and --topic");
    expect_usage_error((const char *[]){"state", "inspect", "--state", u, "--group", "g", "--partition", "3", NULL},
                       "--partition", "--group and --topic");
    expect_usage_error((const char *[]){"state", "inspect", "--state", u, "--group", "g", "--topic", "t",
                                        "--partition", "x", NULL},
                       "--partition", "'x'");
    expect_usage_error((const char *[]){"state", "inspect", "--state", u, "--user", NULL}, "--user", NULL);
    expect_usage_error((const char *[]){"state", "inspect", "--state", u, "--timeout", "5", NULL}, "--timeout", NULL);
    expect_usage_error((const char *[]){"state", "inspect", "--state", "memory", NULL}, "--state", NULL);
    /* A URL that does not parse is a usage error and is never echoed (it may hold a password). */
    expect_usage_error((const char *[]){"state", "inspect", "--state", "http://:hunter2@host", NULL}, "--state",
                       "redis://");
    tu_result r = tu_run((const char *[]){"state", "inspect", "--state", "http://:hunter2@host", NULL}, NULL, 0);
    assert_null(strstr(r.err, "hunter2"));
    tu_result_free(&r);
}

static int closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd); /* bound, never listened: nothing answers there */
    return ntohs(a.sin_port);
}

static void test_unreachable_redis(void **state) {
    (void)state;
    char url[64], want[96];
    int port = closed_port();
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
    snprintf(want, sizeof want, "is redis-server running at redis://127.0.0.1:%d/0?", port);
    const char *argv[] = {"state", "inspect", "--state", url, NULL};
    tu_result r = tu_run(argv, NULL, 0);
    assert_int_equal(r.status, 1);
    assert_contains(r.err, want);
    assert_contains(r.err, "check --state");
    assert_int_equal(r.out_len, 0);
    tu_result_free(&r);

    /* The same through $SESSIONWATCH_STATE. */
    setenv("SESSIONWATCH_STATE", url, 1);
    const char *argv2[] = {"state", "inspect", NULL};
    r = tu_run(argv2, NULL, 0);
    unsetenv("SESSIONWATCH_STATE");
    assert_int_equal(r.status, 1);
    assert_contains(r.err, want);
    tu_result_free(&r);
}

/* A password Redis refuses: exit 1, and the password is never printed. */
static void test_password_masked(void **state) {
    (void)state;
    char url[96];
    snprintf(url, sizeof url, "redis://:s3cr3t-pw@127.0.0.1:%d", redis.port);
    const char *argv[] = {"state", "inspect", "--state", url, NULL};
    tu_result r = tu_run(argv, NULL, 0);
    assert_int_equal(r.status, 1);
    assert_contains(r.err, "AUTH");
    assert_contains(r.err, ":***@127.0.0.1");
    assert_null(strstr(r.err, "s3cr3t"));
    assert_null(strstr(r.out, "s3cr3t"));
    tu_result_free(&r);
}

static void test_list_text(void **state) {
    (void)state;
    tu_result r = INSPECT(NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.err_len, 0);
    assert_no_raw_control(&r);
    char head[128];
    snprintf(head, sizeof head, "9 partitions in %s/0\n", redis.url);
    if (strncmp(r.out, head, strlen(head)) != 0) fail_msg("want first line %s in\n%s", head, r.out);
    assert_int_equal(tu_count(r.out, "\n"), 11);
    char w[16][256];
    static const char *const cols[] = {"GROUP", "TOPIC", "PARTITION", "VERSION", "OFFSET",
                                       "OWNER", "UPDATED", "USERS", "TENANTS", "TTL"};
    assert_int_equal(words(r.out, 1, w, 16), 10);
    for (int i = 0; i < 10; i++) assert_string_equal(w[i], cols[i]);

    /* Sorted by group, topic, partition; the unparseable key name last.
     * The refused rows (row: line, its group and partition columns, NULL
     * where not checked, and why): */
    static const struct {
        size_t line;
        const char *group, *part, *why;
    } refused[] = {
        {2, "foreign", "0", "refused: sw:{foreign:t:0}:meta holds a string, not sessionwatch state\n"},
        {3, NULL, "1", "refused: sw:{foreign:t:1}:users holds a string, not sessionwatch state\n"},
        {4, NULL, "2", "refused: offset 'abc' is not a Kafka offset\n"},
        {9, "sessionwatch", "9", "refused: state format version 99; this build reads version 1\n"},
        {10, "-", NULL, "refused: sw:{bad}:meta: the key name is not sw:{GROUP:TOPIC:PARTITION}:meta"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_true(words(r.out, refused[i].line, w, 16) > 4);
        if (refused[i].group) assert_string_equal(w[0], refused[i].group);
        if (refused[i].part) assert_string_equal(w[2], refused[i].part);
        assert_string_equal(w[3], "refused:");
        assert_contains(r.out, refused[i].why);
    }

    static const struct {
        const char *group, *part, *offset, *owner, *users, *tenants;
    } rows[] = {
        {"other:grp", "1", "100", "worker-c", "1", "1"},
        {"sessionwatch", "0", "42", "worker-a", "4", "1"},
        {"sessionwatch", "3", "7", "worker-b", "2", "2"},
    };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(words(r.out, 5 + i, w, 16), 10);
        assert_string_equal(w[0], rows[i].group);
        assert_string_equal(w[1], "okta-events");
        assert_string_equal(w[2], rows[i].part);
        assert_string_equal(w[3], "1");
        assert_string_equal(w[4], rows[i].offset);
        assert_string_equal(w[5], rows[i].owner);
        expect_updated(w[6]);
        assert_string_equal(w[7], rows[i].users);
        assert_string_equal(w[8], rows[i].tenants);
        expect_ttl_text(w[9]);
    }
    /* Claimed, never checkpointed: no version, offset or update yet. */
    assert_int_equal(words(r.out, 8, w, 16), 10);
    assert_string_equal(w[0], "sessionwatch");
    assert_string_equal(w[2], "5");
    assert_string_equal(w[3], "-");
    assert_string_equal(w[4], "-");
    assert_string_equal(w[5], "worker-d");
    assert_string_equal(w[6], "-");
    assert_string_equal(w[7], "0");
    assert_string_equal(w[8], "0");
    expect_ttl_text(w[9]);
    assert_null(strstr(r.out, "unrelated"));
    tu_result_free(&r);
}

static void test_list_json(void **state) {
    (void)state;
    tu_result r = INSPECT("--json");
    assert_int_equal(r.status, 0);
    assert_int_equal(r.err_len, 0);
    jlines l = jparse_lines(r.out);
    assert_int_equal(l.n, 9);
    const jnode *p = jfind(&l, "partition", "sessionwatch", "okta-events", 0, NULL);
    assert_jcstr(p, "key", "sw:{sessionwatch:okta-events:0}:meta");
    assert_jint(p, "version", 1);
    assert_jint(p, "offset", 42);
    assert_jcstr(p, "owner", "worker-a");
    assert_jint(p, "users", 4);
    assert_jint(p, "tenants", 1);
    const jnode *ms = jget(p, "updated_ms"), *ttl = jget(p, "ttl_ms");
    long long ms_v = jnum(ms);
    assert_true(ms_v >= written_from && ms_v <= written_to);
    char iso[32];
    sw_time_format(ms_v, iso);
    assert_jcstr(p, "updated", iso);
    long long ttl_v = jnum(ttl);
    assert_true(ttl_v > TTL_MS - 120000 && ttl_v <= TTL_MS);

    p = jfind(&l, "partition", "other:grp", "okta-events", 1, NULL);
    assert_jcstr(p, "key", "sw:{other%3Agrp:okta-events:1}:meta");
    assert_jint(p, "offset", 100);
    assert_jint(p, "users", 1);

    p = jfind(&l, "partition", "sessionwatch", "okta-events", 5, NULL);
    assert_jnull(p, "version");
    assert_jnull(p, "offset");
    assert_jnull(p, "updated");
    assert_jcstr(p, "owner", "worker-d");
    assert_jint(p, "users", 0);

    p = jfind(&l, "partition", "foreign", "t", 0, NULL);
    assert_jcstr(p, "refused", "sw:{foreign:t:0}:meta holds a string, not sessionwatch state");
    p = jfind(&l, "partition", "sessionwatch", "okta-events", 9, NULL);
    assert_jcstr(p, "refused", "state format version 99; this build reads version 1");
    /* The key name that is not sessionwatch's: no group, topic or partition. */
    p = l.v[8];
    assert_jnull(p, "group");
    assert_jnull(p, "partition");
    assert_jcstr(p, "key", "sw:{bad}:meta");
    jlines_free(&l);
    tu_result_free(&r);
}

/* An inspect that exits 0 with want in its stdout (r freed). */
static void expect_out(tu_result r, const char *want) {
    assert_int_equal(r.status, 0);
    assert_contains(r.out, want);
    tu_result_free(&r);
}

static void expect_rows(tu_result r, size_t want, const char *first_group, const char *first_part) {
    assert_int_equal(r.status, 0);
    char head[128];
    snprintf(head, sizeof head, "%zu partition%s in ", want, want == 1 ? "" : "s");
    if (strncmp(r.out, head, strlen(head)) != 0) fail_msg("want %s... in\n%s", head, r.out);
    assert_int_equal(tu_count(r.out, "\n"), want + 2);
    char w[16][256];
    words(r.out, 2, w, 16);
    assert_string_equal(w[0], first_group);
    assert_string_equal(w[2], first_part);
    tu_result_free(&r);
}

static void test_filters(void **state) {
    (void)state;
    expect_rows(INSPECT("--group", "sessionwatch"), 4, "sessionwatch", "0");
    expect_rows(INSPECT("--group", "other:grp"), 1, "other:grp", "1");
    expect_rows(INSPECT("--topic", "okta-events"), 5, "other:grp", "1");
    expect_rows(INSPECT("--group", "sessionwatch", "--topic", "okta-events"), 4, "sessionwatch", "0");
    expect_rows(INSPECT("--group", "sessionwatch", "--topic", "okta-events", "--partition", "3"), 1, "sessionwatch",
                "3");
    expect_rows(INSPECT("--group=sessionwatch", "--topic=okta-events", "--partition=9"), 1, "sessionwatch", "9");
    expect_rows(INSPECT("--group", "foreign", "--topic", "t"), 3, "foreign", "0");

    tu_result r = INSPECT("--group", "sessionwatch", "--topic", "okta-events", "--partition", "3", "--json");
    assert_int_equal(r.status, 0);
    jlines l = jparse_lines(r.out);
    assert_int_equal(l.n, 1);
    assert_jint(l.v[0], "offset", 7);
    assert_jint(l.v[0], "users", 2);
    assert_jint(l.v[0], "tenants", 2);
    jlines_free(&l);
    tu_result_free(&r);

    /* Nothing matches: exit 0, saying so. */
    char want[160];
    snprintf(want, sizeof want, "no sessionwatch state matching --group \"nope\" in %s/0\n", redis.url);
    r = INSPECT("--group", "nope");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, want);
    tu_result_free(&r);
    expect_out(INSPECT("--group", "sessionwatch", "--topic", "okta-events", "--partition", "4"),
               "no sessionwatch state matching --group \"sessionwatch\" --topic \"okta-events\" --partition 4");
    /* With --json stdout holds only JSON: the message goes to stderr. */
    r = INSPECT("--group", "nope", "--json");
    assert_int_equal(r.status, 0);
    assert_int_equal(r.out_len, 0);
    assert_string_equal(r.err, want);
    tu_result_free(&r);
}

static const char USER_0_TEXT[] =
    "user \"00u1\" in tenant \"\"\n"
    "  group: \"sessionwatch\"\n"
    "  topic: \"okta-events\"\n"
    "  partition: 0\n"
    "  last_alert (r): none\n"
    "  max_time (maxT): 2026-01-05T08:10:00.000Z\n"
    "  tenant_watermark: 2026-01-05T08:30:00.000Z\n"
    "  sessions: 2\n"
    "  - id: \"s1\"\n"
    "    first_seen: 2026-01-05T08:00:00.000Z\n"
    "    last_seen: 2026-01-05T08:05:00.250Z\n"
    "    events: 2\n"
    "    ip: \"203.0.113.9\"\n"
    "    user_agent: \"Mozilla/5.0 (X11)\"\n"
    "    country: \"United States\"\n"
    "    city: \"Denver\"\n"
    "    uuid: \"u-1\"\n"
    "  - id: \"s2\"\n"
    "    first_seen: 2026-01-05T08:10:00.000Z\n"
    "    last_seen: 2026-01-05T08:10:00.000Z\n"
    "    events: 1\n"
    "    ip: \"198.51.100.7\"\n"
    "    user_agent: \"curl/8.0 \\\"x\\\"\\u001b[31m\"\n"
    "    country: \"Romania\"\n"
    "    city: \"Bucharest\"\n"
    "    uuid: \"u-2\"\n";

static void test_user_text(void **state) {
    (void)state;
    tu_result r = INSPECT("--user", "00u1");
    assert_int_equal(r.status, 0);
    assert_int_equal(r.err_len, 0);
    assert_no_raw_control(&r);
    /* Three users: other:grp/1, sessionwatch/0, sessionwatch/3 (in that
     * order); "a<0x1F>00u1" is not one of them. */
    assert_int_equal(tu_count(r.out, "user \"00u1\" in tenant"), 3);
    assert_null(strstr(r.out, "s8"));
    const char *g = strstr(r.out, "  group: \"other:grp\""), *s0 = strstr(r.out, USER_0_TEXT),
               *s3 = strstr(r.out, "user \"00u1\" in tenant \"ac%me\\u001fx\"\n  group: \"sessionwatch\"\n"
                                   "  topic: \"okta-events\"\n  partition: 3\n");
    if (!s0) fail_msg("want\n%s\nin\n%s", USER_0_TEXT, r.out);
    assert_non_null(g);
    assert_non_null(s3);
    assert_true(g < s0 && s0 < s3);
    assert_contains(s3, "    user_agent: \"Edge\"\n");
    assert_contains(s3, "  tenant_watermark: 2026-01-05T09:00:00.000Z\n");
    /* After its alert: r is the alert's maxT, one session since. */
    assert_contains(g, "  last_alert (r): 2026-01-05T07:02:00.000Z\n"
                       "  max_time (maxT): 2026-01-05T07:10:00.000Z\n"
                       "  tenant_watermark: 2026-01-05T07:10:00.000Z\n"
                       "  sessions: 1\n"
                       "  - id: \"x4\"\n");
    /* The partitions that could not be searched are named. */
    assert_contains(r.out, "partition \"sw:{foreign:t:0}:meta\" not searched: refused: ");
    assert_contains(r.out, "partition \"sw:{sessionwatch:okta-events:9}:meta\" not searched: refused: state format "
                           "version 99");
    assert_null(strstr(r.out, "sw:{bad}"));
    tu_result_free(&r);

    /* Glob characters in the id are matched literally. */
    r = INSPECT("--user", "00u[1]");
    assert_int_equal(r.status, 0);
    assert_int_equal(tu_count(r.out, "user \"00u[1]\" in tenant \"\""), 1);
    assert_contains(r.out, "  - id: \"s7\"\n");
    assert_int_equal(tu_count(r.out, "  - id: "), 1);
    tu_result_free(&r);

    /* A filter narrows the search. */
    r = INSPECT("--user", "00u1", "--group", "sessionwatch", "--topic", "okta-events", "--partition", "3");
    assert_int_equal(r.status, 0);
    assert_int_equal(tu_count(r.out, "user \"00u1\""), 1);
    assert_contains(r.out, "in tenant \"ac%me\\u001fx\"");
    tu_result_free(&r);

    /* A value that does not decode is reported, and the command goes on. */
    expect_out(INSPECT("--user", "00u3"), "user \"00u3\" in tenant \"\"\n  group: \"sessionwatch\"\n  topic: \"okta-events\"\n"
                                          "  partition: 0\n  corrupt (7 bytes)\n");

    /* Not found: exit 0, saying where it looked. */
    char want[200];
    snprintf(want, sizeof want, "no user \"00u7\" in the 4 partitions searched in %s/0\n", redis.url);
    expect_out(INSPECT("--user", "00u7"), want);
}

static void test_user_json(void **state) {
    (void)state;
    tu_result r = INSPECT("--user", "00u1", "--json");
    assert_int_equal(r.status, 0);
    assert_int_equal(r.err_len, 0);
    jlines l = jparse_lines(r.out);
    assert_int_equal(l.n, 3 + 4); /* three users, four refused partitions */
    const jnode *u = jfind(&l, "user", "sessionwatch", "okta-events", 0, "");
    assert_jcstr(u, "actor", "00u1");
    assert_null(jc_get(u, "name")); /* names are not state: the alert takes them from its event */
    assert_jnull(u, "last_alert");
    assert_jcstr(u, "max_time", "2026-01-05T08:10:00.000Z");
    assert_jcstr(u, "tenant_watermark", "2026-01-05T08:30:00.000Z");
    const jnode *ss = jget(u, "sessions");
    assert_int_equal(ss->type, JC_ARRAY);
    assert_int_equal(ss->count, 2);
    assert_jcstr(jc_at(ss, 0), "id", "s1");
    assert_jcstr(jc_at(ss, 0), "first_seen", "2026-01-05T08:00:00.000Z");
    assert_jcstr(jc_at(ss, 0), "last_seen", "2026-01-05T08:05:00.250Z");
    assert_jint(jc_at(ss, 0), "events", 2);
    assert_jcstr(jc_at(ss, 0), "uuid", "u-1");
    assert_jcstr(jc_at(ss, 1), "id", "s2");
    assert_jcstr(jc_at(ss, 1), "user_agent", UA_HOSTILE);
    assert_jcstr(jc_at(ss, 1), "ip", "198.51.100.7");
    assert_jcstr(jc_at(ss, 1), "country", "Romania");
    assert_jcstr(jc_at(ss, 1), "city", "Bucharest");
    assert_jint(jc_at(ss, 1), "events", 1);

    u = jfind(&l, "user", "sessionwatch", "okta-events", 3, TENANT_ODD);
    assert_jstr(u, "tenant", TENANT_ODD, strlen(TENANT_ODD));
    assert_int_equal(jget(u, "sessions")->count, 1);
    assert_jcstr(jc_at(jget(u, "sessions"), 0), "id", "s5");

    u = jfind(&l, "user", "other:grp", "okta-events", 1, "");
    assert_jcstr(u, "last_alert", "2026-01-05T07:02:00.000Z");
    assert_jcstr(u, "max_time", "2026-01-05T07:10:00.000Z");
    assert_int_equal(jget(u, "sessions")->count, 1);
    assert_jcstr(jc_at(jget(u, "sessions"), 0), "id", "x4");

    const jnode *p = jfind(&l, "partition", "foreign", "t", 1, NULL);
    assert_jcstr(p, "refused", "sw:{foreign:t:1}:users holds a string, not sessionwatch state");
    jlines_free(&l);
    tu_result_free(&r);

    r = INSPECT("--user", "00u3", "--json", "--group", "sessionwatch", "--topic", "okta-events");
    assert_int_equal(r.status, 0);
    l = jparse_lines(r.out);
    assert_int_equal(l.n, 2); /* the corrupt user and the refused partition 9 */
    u = jfind(&l, "user", "sessionwatch", "okta-events", 0, "");
    assert_jcstr(u, "actor", "00u3");
    assert_true(jget(u, "corrupt")->type == JC_BOOL && strcmp(jget(u, "corrupt")->s, "true") == 0);
    assert_jint(u, "bytes", 7);
    jlines_free(&l);
    tu_result_free(&r);

    /* Not found with --json: nothing on stdout but JSON. */
    r = INSPECT("--user", "00u7", "--json", "--group", "other:grp");
    assert_int_equal(r.status, 0);
    assert_int_equal(r.out_len, 0);
    assert_contains(r.err, "no user \"00u7\" in the 1 partition searched (--group \"other:grp\") in ");
    tu_result_free(&r);
}

/* An empty Redis: exit 0, saying there is nothing (db 5 holds nothing). */
/* A partition `run --rules` checkpoints (issue 14: one store per rule in
 * keys of its own, meta.rules naming them), in database 3: USERS and
 * TENANTS are summed over the rules, and --json lists each rule (a hostile
 * rule id escaped). */
static void test_rules_layout(void **state) {
    (void)state;
    char url[96], err[512] = "";
    snprintf(url, sizeof url, "%s/3", redis.url);
    sw_redis_target t3;
    sw_redis c3;
    assert_int_equal(sw_redis_parse_url(url, &t3, err, sizeof err), 0);
    sw_redis_init(&c3, &t3, 5000);
    sw_store s[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sw_store_init(&s[i], W_MS, 10 * 60 * 1000), 0);
        sw_store_track(&s[i]);
    }
    observe(&s[0], "", 0, "00u1", 4, &(ev){"s1", "2026-01-05T08:00:00Z", .uuid = "u-1"});
    observe(&s[0], "", 0, "00u2", 4, &(ev){"s2", "2026-01-05T08:01:00Z", .uuid = "u-2"});
    const char *names[] = {"rule:a}\"\x01", "r2"};
    sw_ckpt *c = sw_ckpt_new_stores("rg", "okta-events", 2, "worker-r", names, 2);
    int64_t off;
    sw_ckpt_stats st;
    sw_store *const ps[] = {&s[0], &s[1]};
    if (sw_ckpt_claim(c, &c3, TTL_MS, &off, err, sizeof err) != SW_CKPT_OK) fail_msg("claim: %s", err);
    if (sw_ckpt_write_stores(c, &c3, ps, 7, TTL_MS, &st, err, sizeof err) != SW_CKPT_OK) fail_msg("write: %s", err);
    sw_ckpt_free(c);
    const char *argv[] = {"state", "inspect", "--state", url, "--json", NULL};
    tu_result r = tu_run(argv, NULL, 0);
    assert_int_equal(r.status, 0);
    jlines l = jparse_lines(r.out);
    assert_int_equal(l.n, 1);
    const jnode *p = jfind(&l, "partition", "rg", "okta-events", 2, NULL);
    assert_jint(p, "offset", 7);
    assert_jint(p, "users", 2);
    assert_jint(p, "tenants", 1);
    const jnode *rules = jget(p, "rules");
    assert_int_equal(rules->type, JC_ARRAY);
    assert_jstr(jc_at(rules, 0), "id", names[0], strlen(names[0]));
    assert_jint(jc_at(rules, 0), "users", 2);
    assert_jint(jc_at(rules, 0), "tenants", 1);
    assert_jcstr(jc_at(rules, 1), "id", "r2");
    assert_jint(jc_at(rules, 1), "users", 0);
    assert_null(jc_at(rules, 2));
    jlines_free(&l);
    tu_result_free(&r);
    const char *text[] = {"state", "inspect", "--state", url, NULL};
    r = tu_run(text, NULL, 0);
    assert_int_equal(r.status, 0);
    char w[16][256];
    assert_int_equal(words(r.out, 2, w, 16), 10);
    assert_string_equal(w[7], "2");
    assert_string_equal(w[8], "1");
    tu_result_free(&r);
    for (int i = 0; i < 2; i++) sw_store_destroy(&s[i]);
    sw_redis_close(&c3);
    sw_redis_target_free(&t3);
}

static void test_empty(void **state) {
    (void)state;
    char url[96], want[160];
    snprintf(url, sizeof url, "%s/5", redis.url);
    snprintf(want, sizeof want, "no sessionwatch state in %s/5\n", redis.url);
    const char *argv[] = {"state", "inspect", "--state", url, NULL};
    tu_result r = tu_run(argv, NULL, 0);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, want);
    tu_result_free(&r);
}

int main(void) {
    unsetenv("SESSIONWATCH_STATE");
    unsetenv(SW_REDIS_PASSWORD_ENV);
    if (tu_redis_start(&redis, 0) != 0) {
        fprintf(stderr, "test_state_cli: skipped: cannot start redis-server (is Debian's redis-server installed?)\n");
        tu_redis_destroy(&redis);
        return 77;
    }
    char err[256];
    if (sw_redis_parse_url(redis.url, &target, err, sizeof err) != 0) {
        fprintf(stderr, "test_state_cli: %s\n", err);
        tu_redis_destroy(&redis);
        return 1;
    }
    sw_redis_init(&conn, &target, 5000);
    const struct CMUnitTest setup[] = {cmocka_unit_test(populate)};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_documents_every_flag),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_unreachable_redis),
        cmocka_unit_test(test_password_masked),
        cmocka_unit_test(test_list_text),
        cmocka_unit_test(test_list_json),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_user_text),
        cmocka_unit_test(test_user_json),
        cmocka_unit_test(test_rules_layout),
        cmocka_unit_test(test_empty),
    };
    int rc = cmocka_run_group_tests_name("populate", setup, NULL, NULL);
    if (rc == 0) rc = cmocka_run_group_tests(tests, NULL, NULL);
    sw_redis_close(&conn);
    sw_redis_target_free(&target);
    tu_redis_destroy(&redis);
    return rc;
}

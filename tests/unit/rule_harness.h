/* rule_harness.h -- what the test_rule_*.c programs share: an engine fed
 * record by record and observed only through its API (sw_engine_feed ->
 * on_alert / on_reject / counters), raw Okta records built with snprintf,
 * and checks of alerts and verdicts.  One program per clause of the rule:
 *
 *   test_rule_window       N distinct sessions within W, the state machine
 *   test_rule_alert        the alert: names, deterministic ids, size bounds
 *   test_rule_lateness     lateness, too_early and eviction
 *   test_rule_cap          the per-tenant, per-30-minute alert cap
 *   test_rule_tenants      tenant isolation, --max-tenants, the watermark
 *   test_rule_eligibility  filters, the okta exclusion, hardening switches
 *   test_rule_input        record kind, time fields, bad input, arrays,
 *                          feed modes, the prefilter
 *   test_rule_model        a differential test against a model of the spec
 *
 * Records are raw Okta LogEvents (some ECS) built with snprintf.  Every
 * record is copied into a fresh heap buffer: alternately exactly len bytes
 * (cap = len, the parser must copy; ASan catches any over-read) and len + 64
 * bytes of '"' garbage (cap = len + SW_PADDING, parsed in place). */
#ifndef SW_TEST_RULE_HARNESS_H
#define SW_TEST_RULE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "timefmt.h"
#include "extract.h"
#include "rule.h"
#include "store.h"
#include "table.h"
#include "window.h"
#include "testutil.h"

typedef struct {
    char *json;
    char id[SW_ALERT_ID_LEN + 1];
    char tenant[64];
    char actor[64];
    uint64_t line;
    uint32_t index;
} got_alert;

#define MAX_REJECTS 64

typedef struct {
    sw_verdict why;
    size_t len;
    char head[1024]; /* first bytes of the record, NUL-terminated */
    uint64_t line;
    uint32_t index;
} got_reject;

typedef struct {
    sw_config cfg;
    sw_engine *e;
    sw_parser *p;
    int64_t (*clock)(void);
    got_alert *a;
    size_t na, acap;
    got_reject r[MAX_REJECTS]; /* the first MAX_REJECTS */
    size_t nr;                 /* all of them */
    char *buf;                 /* the record being fed */
    uint64_t line;
    int mode; /* -1 alternate, 0 exact buffer (cap = len), 1 padded (cap = len + 64) */
} harness;

#define SLOT 4096

#define NSLOTS 256

typedef struct {
    char *p;
    size_t len;
} sb;

void sb_add(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef struct {
    const char *type, *actor, *name, *alt, *sid, *time, *outcome, *extra;
} rspec;

#define RAW(...) build((rspec){__VA_ARGS__})



#define EXPECT_SESSIONS(json, ...) expect_sessions_at(__LINE__, (json), (const char *[]){__VA_ARGS__, NULL})

#define EXPECT(h, rec, v)                                                                     \
    do {                                                                                      \
        const char *rec_ = (rec);                                                             \
        feed_expect_at(__LINE__, (h), rec_, strlen(rec_), (v));                               \
    } while (0)

/* Each value of one raw field (an rspec member), fed in a record of its
 * own with every other field at its default, gets verdict v:
 *   EXPECT_EACH(h, sid, SW_V_NO_SESSION_ID, ABSENT, "null", "\"\"");  */
#define EXPECT_EACH(h, field, v, ...)                                                         \
    do {                                                                                      \
        static const char *const values_[] = {__VA_ARGS__, NULL};                             \
        for (const char *const *x_ = values_; *x_; x_++) EXPECT((h), RAW(.field = *x_), (v));  \
    } while (0)

/* The engine of the running case (setup/teardown make and free it). */
extern harness H;
extern unsigned uuid_counter;
extern const char ABSENT[];

int64_t clock_a(void);
int64_t clock_b(void);
void on_reject(void *ud, sw_verdict why, const char *rec, size_t len, const sw_source *src);
void h_init(harness *h);
void h_free(harness *h);
sw_engine *eng(harness *h);
const sw_counters *cnt(harness *h);
void feed(harness *h, const char *rec);
/* One user's session starts, fed in order: ev(actor, name, sid, T(hms)). */
typedef struct {
    const char *sid, *hms;
} step;
void feed_steps(harness *h, const char *actor, const char *name, const step *steps);
/* One more session start, ev(actor, name, sid, T(hms)), that must raise
 * alert number n (0-based: exactly n alerts came before it); its JSON. */
const char *completes(harness *h, size_t n, const char *actor, const char *name, const char *sid, const char *hms);
#define FEED(h, actor, name, ...) feed_steps((h), (actor), (name), (const step[]){__VA_ARGS__, {NULL, NULL}})
/* One actor's session starts across tenants, fed in order: evt(tenant,
 * actor, sid, T(hms)), or with tenant NULL a record without a tenant field,
 * ev(actor, "U", sid, T(hms)). */
typedef struct {
    const char *tenant, *sid, *hms;
} tenant_step;
void feed_tenant_steps(harness *h, const char *actor, const tenant_step *steps);
#define FEED_TENANTS(h, actor, ...) feed_tenant_steps((h), (actor), (const tenant_step[]){__VA_ARGS__, {NULL, NULL, NULL}})
/* Actors (id, display name, session id) each starting a session at 08:00,
 * each getting verdict v. */
typedef struct {
    const char *actor, *name, *sid;
} who;
void expect_actors_at(int line, harness *h, sw_verdict v, const who *w);
#define EXPECT_ACTORS(h, v, ...) expect_actors_at(__LINE__, (h), (v), (const who[]){__VA_ARGS__, {NULL, NULL, NULL}})
int setup(void **state);
int teardown(void **state);
/* A case with a fresh engine (setup) freed after it (teardown). */
#define RULE_CASE(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
const char *build(rspec s);
const char *T(const char *hms);
const char *quote(const char *s);
const char *ev(const char *actor, const char *name, const char *sid, const char *time);
const char *evt(const char *tenant, const char *actor, const char *sid, const char *time);
void pace(harness *h, const char *tenant, const char *time);
const char *ecs(const char *actor, const char *sid, const char *time, const char *extra);
size_t alert_ids(const char *json, char ids[][64], size_t max);
void expect_sessions_at(int line, const char *json, const char *const *want);
const char *session_obj(const char *json, const char *id);
const char *jtime(const char *key, const char *hms);
int is_hex_id(const char *s);
void feed_expect_at(int line, harness *h, const char *rec, size_t len, sw_verdict want);
void check_bounded(harness *h, uint32_t n_max);

#endif

/* gen_internal.h -- what the pieces of the generator share; private to
 * stream/gen/ (the public interface is gen.h).  The generator is cut along
 * what each piece knows:
 *   gen.c         the run: options, the record clock, out-of-order
 *                 arrivals, one record after another into one reused buffer
 *   world.c       the static world (places, user agents, names, tenants'
 *                 domains, apps, groups) and the identities derived from
 *                 it: humans and their devices, system actors, session ids
 *   event.c       what one ordinary record holds: kind, actor, session
 *                 (and the guard that keeps honest users below the rule),
 *                 client, request ids and URLs
 *   attack.c      the stolen-cookie attacks: planning, their records, the
 *                 ground-truth file
 *   render_raw.c  writing a record as an Okta LogEvent, or an EventBridge
 *                 envelope around it
 *   render_ecs.c  writing it as an ECS document
 * Everything is a pure function of the options: randomness comes from the
 * seeded splitmix64 below, identities from hashes of (seed key, domain,
 * index), so a piece may recompute an identity instead of storing it. */
#ifndef SW_GEN_INTERNAL_H
#define SW_GEN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gen.h"
#include "jsonw.h"

/* ---- randomness ---------------------------------------------------------- */

static inline uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t hash2(uint64_t a, uint64_t b) { return mix64(a ^ mix64(b ^ 0x632be59bd9b4e019ULL)); }
static inline uint64_t hash3(uint64_t a, uint64_t b, uint64_t c) { return hash2(hash2(a, b), c); }

typedef struct {
    uint64_t s;
} rng_t;

static inline uint64_t rnd(rng_t *r) {
    r->s += 0x9e3779b97f4a7c15ULL;
    uint64_t z = r->s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0.  The modulo bias is below 2^-40 for the small
 * n used here. */
static inline uint64_t rnd_below(rng_t *r, uint64_t n) { return rnd(r) % n; }
static inline double rnd_unit(rng_t *r) { return (double)(rnd(r) >> 11) * 0x1p-53; }

/* Domain separators for hashes. */
enum {
    D_USER = 1, D_USER_ID, D_SESSION, D_DEVICE, D_SYSACTOR, D_SYSSESS, D_ATTACK, D_ATTSESS,
    D_APP, D_UUID, D_POLICY, D_GROUP, D_SESSDEV, D_RULECASE
};

/* ---- output -------------------------------------------------------------- */

/* A string literal. */
#define W(b, lit) sw_buf_put((b), (lit), sizeof(lit) - 1)

/* ---- the static world (world.c) ------------------------------------------ */

typedef struct {
    const char *city, *state, *country, *postal, *lat, *lon;
    unsigned char ip0, ip1;
    unsigned asn;
    const char *as_org, *domain, *isp;
    int proxy;
} loc_t;

typedef struct {
    const char *raw, *browser, *os, *device;
} ua_t;

typedef struct {
    const char *display, *mail;
} name_t;

typedef struct {
    const char *label, *slug, *mode;
} app_t;

/* Home places of devices, and places none of them is in (attackers). */
extern const loc_t gen_home[], gen_away[];
extern const size_t gen_n_home, gen_n_away;
/* Human devices' user agents (0..6 desktop, 7..10 mobile/tablet), and
 * user agents no human device uses (attackers). */
extern const ua_t gen_uas[], gen_attack_uas[];
extern const size_t gen_n_attack_ua;
extern const app_t gen_apps[];
extern const size_t gen_n_apps;
extern const char *const gen_groups[];
extern const size_t gen_n_groups;

/* ---- event kinds --------------------------------------------------------- */

enum {
    K_START_OK, K_START_FAIL, K_START_SYS, K_POLICY, K_SSO, K_VERIFY, K_END, K_MFA,
    K_APPUM, K_SYSTEM, K_GROUPADD, K_PROFILE, K_TOKEN, K_PUSH_DENY, K_COUNT
};

/* ---- run state ----------------------------------------------------------- */

/* 12 bytes per human (calloc'ed once; pages of users never drawn stay
 * untouched).  Times are seconds after start_ms - 1 h, rounded up, so a
 * stored time is never earlier than the real one and the guard stays safe;
 * 0 reads as "an hour before the start", i.e. long enough ago. */
typedef struct {
    uint32_t last_cur, last_prev; /* newest session.start time of c, c-1 */
    uint32_t cur;                 /* index of the current session */
} ustate;

typedef struct {
    int64_t a0, first, last;
    uint64_t user;
    uint32_t tenant;
    uint32_t nstart, emitted;
} attack_t;

typedef struct {
    int64_t due;
    uint32_t att;
    uint8_t j, sso;
} aev_t;

typedef struct {
    int loc, ua;
    unsigned char ip[4];
} device_t;

typedef struct {
    uint64_t ukey;
    char id[24];
    char display[96];
    char email[128];
    int ndev;
    device_t dev[3];
} human_t;

typedef struct {
    sw_gen_opts o;
    uint64_t k; /* seed key */
    uint64_t nhumans;
    ustate *st;
    attack_t *att;
    size_t natt;
    aev_t *aev;
    size_t naev;
    sw_buf out; /* one record, then one truth line at a time: reused */
} gen_t;

/* Everything one record shows. */
typedef struct {
    int kind;
    const char *etype, *msg, *legacy, *result, *reason, *severity;
    const char *aid, *aname, *aalt, *atype;
    const char *sess; /* NULL: null */
    const loc_t *loc; /* NULL: client is all null */
    const ua_t *ua;
    char ip[16], ip2[16];
    int chain2, proxy;
    /* Optional parts, decided once per event so that every format shows the
     * same content: logOnlySecurityData, behaviors+risk, dtHash,
     * SP-initiated SSO, targets of a session start. */
    int o_logonly, o_behav, o_dth, o_sp, o_tgt;
    char fp[40], dthash[72], req[32], authn[32];
    char uri[160], url[640];
    int64_t t;
    uint64_t idx, h;
    uint32_t tenant;
    int risk, newthings; /* risk 0 LOW 1 MEDIUM 2 HIGH; newthings: behaviors POSITIVE */
    const human_t *hu;
    int app;
    char appid[24], tid1[24], tid2[24];
} ev_t;

/* System actors per tenant: 0 "Okta System" (spr..., not excluded by the
 * case-sensitive rule, never starts sessions); 1 id "okta..." and 2 display
 * name "okta_system": both excluded, both start fresh sessions. */
typedef struct {
    char id[24];
    const char *name, *alt;
} sysactor_t;

/* ---- world.c: identities ------------------------------------------------- */

/* Strings from a hash: n characters of base64url (alen 64) or base62 (alen
 * 62) into dst, n hex digits, an Okta id (prefix + base62, 20 chars), a
 * v1-layout uuid (36 chars) that encodes all of a. */
void gen_rstr(char *dst, int n, uint64_t h, int alen);
void gen_rhex(char *dst, int n, uint64_t h);
void gen_okta_id(char *dst, const char *prefix, uint64_t h);
void gen_fmt_uuid(char *dst, uint64_t a, uint64_t b);
const char *gen_tenant_domain(uint32_t tenant, char *tmp, size_t cap);
/* Human (tenant, user): id, names, 1-3 devices. */
void gen_make_human(const gen_t *g, uint32_t tenant, uint64_t user, human_t *h);
void gen_fmt_ip(char dst[16], const unsigned char ip[4]);
void gen_session_id(char *dst, uint64_t h);
/* Session idx of a human, the device that uses it, session j of attack a. */
void gen_human_session(const gen_t *g, uint64_t ukey, uint32_t idx, char *dst);
int gen_session_device(const gen_t *g, const human_t *h, uint32_t idx);
void gen_attack_session(const gen_t *g, size_t a, unsigned j, char *dst);
void gen_make_sysactor(const gen_t *g, uint32_t tenant, int which, sysactor_t *s);

/* ---- event.c: ordinary records ------------------------------------------- */

/* One ordinary (non-attack) record for base time base: kind, actor,
 * session and client. */
void gen_make_ordinary(gen_t *g, rng_t *r, ev_t *e, human_t *hu, sysactor_t *sa, char *sess, int64_t base);
/* What every record holds beyond its actor: type, ids, target, URLs. */
void gen_fill_common(const gen_t *g, ev_t *e, rng_t *r);
/* The record's client: place, user agent, IP, device fingerprint. */
void gen_set_client(ev_t *e, const loc_t *L, const ua_t *ua, const unsigned char ip[4], int proxy, uint64_t fp_hash);

/* ---- attack.c: stolen-cookie attacks ------------------------------------- */

/* Chooses the victims and times of every attack (0, or -1 out of memory). */
int gen_plan_attacks(gen_t *g, rng_t *r, int64_t span);
/* The record of attack event E in place of an ordinary one. */
void gen_make_attack(gen_t *g, rng_t *r, ev_t *e, const aev_t *E, human_t *hu, char *sess);
/* One line per attack with at least 3 session starts written. */
int gen_write_truth(gen_t *g, FILE *truth);

/* ---- rule cases (rulecases.c; gen.c only runs them) --------------------- */

/* Extra records planned before the run and written in time order between
 * the ordinary ones, with their own truth lines.  gen.c knows only these
 * three calls; the planning (and the rules layer) is rulecases.c's. */
typedef struct gen_cases gen_cases;
typedef gen_cases *(*gen_plan_fn)(const gen_t *g, int64_t span, void *ctx, int *failed);
/* Writes the records due by base time (all of them when base is
 * INT64_MAX); the number written, or -1 on a write error. */
int64_t gen_cases_write_due(gen_cases *c, int64_t base, FILE *out);
int gen_cases_write_truth(const gen_cases *c, FILE *truth);
void gen_cases_free(gen_cases *c);
/* The run (gen.c), with the cases plan() makes (plan NULL: none). */
int64_t gen_run(const sw_gen_opts *opts, gen_plan_fn plan, void *ctx, FILE *out, FILE *truth);

/* ---- render_raw.c, render_ecs.c: record formats -------------------------- */

/* The Okta LogEvent (with_tenant: with the top-level "tenant" field), the
 * ECS document, the EventBridge envelope around the LogEvent. */
void gen_render_raw(const gen_t *g, sw_buf *b, const ev_t *e, int with_tenant);
void gen_render_ecs(const gen_t *g, sw_buf *b, const ev_t *e);
void gen_render_eventbridge(const gen_t *g, sw_buf *b, const ev_t *e);
/* Shared by the renderers: ,"tenant":"tenant-N" when there are tenants;
 * a quoted RFC 3339 UTC time without milliseconds. */
void gen_w_tenant_field(const gen_t *g, sw_buf *b, uint32_t tenant);
void gen_w_time_s(sw_buf *b, int64_t ms);

#endif

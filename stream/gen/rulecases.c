/* rulecases.c -- `gen --rules` (rulecases.h): for every loaded rule, a
 * positive case and a near miss, written into the synthetic traffic, and
 * their ground truth.
 *
 * Owns how a rule becomes events.  A case starts from an assignment of
 * catalogue field values that the rule's compiled query (kql.h) holds for
 * (sw_kql_witness_find: a witness) or does not hold for (a near miss: one
 * required clause flipped).  The assignment is rendered as a raw Okta
 * LogEvent: the rest of the event comes from the world (a fresh actor
 * made like gen's humans, its device's place, user agent and IP, request
 * ids, uuid, published time), and each assigned field is written at its
 * raw path (fields.h), through the inverse of the pipeline's derivation
 * for a derived one: event.outcome success/failure/unknown -> outcome.result
 * SUCCESS/FAILURE/UNKNOWN; event.category -> the first eventType of a
 * fixed list whose category it is; client.user.name -> the user part of
 * actor.alternateId; risk_behaviors K -> debugData.behaviors "{K=POSITIVE}";
 * data_stream.dataset / event.dataset need nothing (a raw event is always
 * okta.system, so a case that needs another value cannot be raw); a field
 * with no raw source (cloud.account.id) cannot be raw either.  `f:*` takes
 * a realistic value (a fresh dtHash, a session id, "New Device"), and a
 * value the witness made up for a wildcard is replaced by a real one the
 * query agrees with where gen knows some (event types, admin roles).  Every
 * rendered event is read back with the extractor (sw_event.fields) and
 * run through the query; a case whose events do not read back as planned
 * is dropped and the next witness tried (up to CASE_TRIES), and a rule
 * with none left is skipped with the reason (a "skipped" truth line).
 * With --format ecs a case is an ECS document instead (the shape of
 * render_ecs.c): each assigned field is written at its ECS name as it is,
 * so derived fields need no inverse and every rule the catalogue can
 * express gets its cases; the fields the case leaves open agree with the
 * ones it sets (event.action and okta.event_type, event.outcome from
 * okta.outcome.result, event.category from the event type).  A near miss
 * that flips the dataset clause is tried only after the others.
 *
 * The shapes:
 *  - query rule: positive = one event of a witness; near miss = one event
 *    of a near miss (the query must not match it).
 *  - threshold rule (value V, cardinality C on field F when given):
 *    positive = max(V, C) events of one group (the same threshold.field
 *    values), every one matching the query, C distinct values of F among
 *    them, within the rule's window; near miss = the same but one short:
 *    C - 1 distinct values of F when C > 1, else V - 1 events when V > 1,
 *    else (V = 1, no cardinality) one event of a query near miss.
 *  Each case has its own keys: a fresh actor (id "00u.." from the case's
 *  own hash domain, its alternateId with ".sw<case>x<n>" before the "@"),
 *  a fresh session id, a fresh dtHash, and for a group-by or cardinality
 *  field the rule does not fix, a fresh value per case (per distinct value
 *  for F); so cases never combine with each other or with the background
 *  (which may itself match some query rules: realistic, and not claimed).
 *  Case c of N starts at start + span * (2c + 1) / (2N); its events are
 *  min(window / (2 x events), 30 s) apart.
 *
 * Determinism: everything comes from hashes of (seed key, D_RULECASE,
 * case, event), never from the run's random stream, so the ordinary
 * records are byte for byte those of a run without --rules, with the case
 * records in between (gen.c writes each when the record clock reaches its
 * time); no rules: no change at all.
 *
 * Truth: one JSON line per case, after the attacks' lines (which have no
 * rule_id):
 *   {"rule_id":..,"rule":name,"type":"query"|"threshold","case":"positive"|
 *    "near_miss","tenant":null|"tenant-N","group_by":{field:value,..},
 *    "expected_alerts":1|0,"events":[uuid,..],"first":time,"last":time,
 *    "near_miss":how}
 *   how (near misses only): {"flipped":field} (a query near miss: the field
 *   of the flipped clause), {"distinct":C-1,"of":F} or {"events":V-1}.
 *   A rule without cases: {"rule_id":..,"rule":..,"type":..,"case":
 *   "skipped","reason":..}. */
#include "rulecases.h"

#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "fields.h"
#include "gen_internal.h"
#include "kql.h"
#include "timefmt.h"

#define CASE_TRIES 16
#define CASE_STEP_MAX_MS 30000
#define MAX_RECORD 8192
#define DOC_KEYS 96
#define DOC_STORE 6144

/* ---- a LogEvent as (dotted path, JSON value) pairs --------------------------- */

typedef struct {
    char path[64];
    uint8_t raw; /* the value is JSON text, else a string to escape */
    uint32_t off, len;
} dkv;

typedef struct {
    dkv v[DOC_KEYS];
    int n;
    uint32_t used;
    int full;
    char s[DOC_STORE];
} doc_t;

static dkv *doc_find(doc_t *d, const char *path) {
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->v[i].path, path) == 0) return &d->v[i];
    return NULL;
}

static void doc_set(doc_t *d, const char *path, int raw, const char *s, size_t n) {
    dkv *e = doc_find(d, path);
    if (!e && d->n < DOC_KEYS && strlen(path) < sizeof e->path) {
        e = &d->v[d->n++];
        strcpy(e->path, path);
    }
    if (!e || n > DOC_STORE - d->used) {
        d->full = 1;
        return;
    }
    memcpy(d->s + d->used, s, n);
    e->raw = (uint8_t)raw;
    e->off = d->used;
    e->len = (uint32_t)n;
    d->used += (uint32_t)n;
}

static void doc_str(doc_t *d, const char *path, const char *s) { doc_set(d, path, 0, s, strlen(s)); }
static void doc_raw(doc_t *d, const char *path, const char *json) { doc_set(d, path, 1, json, strlen(json)); }

static void doc_del(doc_t *d, const char *path) {
    dkv *e = doc_find(d, path);
    if (e) *e = d->v[--d->n];
}

static int by_path(const void *a, const void *b) { return strcmp(((const dkv *)a)->path, ((const dkv *)b)->path); }

/* Segment k of a dotted path: its start and length; 0 when there is none. */
static size_t path_seg(const char *p, int k, const char **at) {
    for (; k > 0; k--) {
        p = strchr(p, '.');
        if (!p) {
            *at = "";
            return 0;
        }
        p++;
    }
    *at = p;
    const char *e = strchr(p, '.');
    return e ? (size_t)(e - p) : strlen(p);
}

static int path_depth(const char *p) {
    int n = 1;
    while ((p = strchr(p, '.'))) p++, n++;
    return n;
}

/* The pairs as nested JSON objects, keys in byte order (a path's objects
 * are contiguous in that order). */
static void doc_write(doc_t *d, sw_buf *b) {
    qsort(d->v, (size_t)d->n, sizeof d->v[0], by_path);
    const char *open[8];
    size_t open_len[8];
    int depth = 0, first = 1;
    sw_buf_putc(b, '{');
    for (int i = 0; i < d->n; i++) {
        const dkv *e = &d->v[i];
        int nseg = path_depth(e->path), common = 0;
        if (nseg > 8) continue;
        const char *seg = "";
        size_t len;
        while (common < depth && common < nseg - 1 && (len = path_seg(e->path, common, &seg)) == open_len[common] &&
               memcmp(seg, open[common], len) == 0)
            common++;
        for (; depth > common; depth--) sw_buf_putc(b, '}');
        for (; depth < nseg - 1; depth++) {
            len = path_seg(e->path, depth, &seg);
            if (!first) sw_buf_putc(b, ',');
            sw_json_str(b, seg, len);
            sw_buf_puts(b, ":{");
            open[depth] = seg, open_len[depth] = len;
            first = 1;
        }
        if (!first) sw_buf_putc(b, ',');
        len = path_seg(e->path, nseg - 1, &seg);
        sw_json_str(b, seg, len);
        sw_buf_putc(b, ':');
        if (e->raw) sw_buf_put(b, d->s + e->off, e->len);
        else sw_json_str(b, d->s + e->off, e->len);
        first = 0;
    }
    for (; depth >= 0; depth--) sw_buf_putc(b, '}');
}

/* ---- the cases -------------------------------------------------------------- */

typedef struct {
    int64_t t;
    size_t off, len;
} cline;

struct gen_cases {
    sw_buf lines; /* every case record, each ending in '\n' */
    cline *v;
    size_t n, cap, next;
    sw_buf truth;
    int failed;
};

typedef struct {
    const gen_t *g;
    const sw_ruledef *r;
    uint32_t c;       /* the case number */
    uint32_t tenant;
    int near;         /* a near miss */
    int ecs;          /* written as an ECS document (--format ecs), else a raw LogEvent */
    int query_near;   /* its events come from a query near miss */
    int64_t events;   /* how many */
    int64_t distinct; /* distinct values of the cardinality field (0: none) */
    int64_t t0, step;
    const sw_kql_witness *w;
    char why[256];
} case_t;

/* Rows whose value is the actor's own: one fresh actor per distinct value. */
static int actor_row(const char *ecs) {
    return strcmp(ecs, "okta.actor.id") == 0 || strcmp(ecs, "okta.actor.alternate_id") == 0 ||
           strcmp(ecs, "okta.actor.display_name") == 0 || strcmp(ecs, "client.user.name") == 0;
}

static int row_of(const char *ecs) { return sw_catalogue_find(ecs, strlen(ecs)); }

static const char *const OS_NAMES[] = {"Mac OS X", "Windows 10", "iOS", "Android", "Linux", "Chrome OS"};

/* A fresh value of a field for key (case, n): distinct for distinct keys. */
static void fresh_value(const case_t *C, const sw_catalogue_field *f, uint64_t n, char *out, size_t cap) {
    uint64_t h = hash3(C->g->k, D_RULECASE, hash3(C->c, n, (uint64_t)(f - sw_catalogue(&(size_t){0}))));
    if (strcmp(f->ecs, "okta.debug_context.debug_data.dt_hash") == 0) {
        gen_rhex(out, 64, h);
        out[64] = '\0';
    } else if (strcmp(f->ecs, "okta.authentication_context.external_session_id") == 0) {
        gen_session_id(out, h);
        out[25] = '\0';
    } else if (strcmp(f->ecs, "user_agent.os.name") == 0 && n < sizeof OS_NAMES / sizeof *OS_NAMES) {
        snprintf(out, cap, "%s", OS_NAMES[n]);
    } else {
        char id[24];
        gen_rstr(id, 12, h, 62);
        snprintf(out, cap, "sw-%.12s", id);
    }
}

/* The actor of distinct value n of case C: a human made like gen's, with
 * an id and alternateId of the case's own. */
static void case_actor(const case_t *C, uint64_t n, human_t *hu) {
    gen_make_human(C->g, C->tenant, hash3(C->g->k, D_RULECASE, hash2(C->c, n)) % (1ULL << 40), hu);
    gen_okta_id(hu->id, "00u", hash3(C->g->k, D_RULECASE + 1, hash2(C->c, n)));
    char mail[sizeof hu->email + 64], tag[48];
    snprintf(tag, sizeof tag, ".sw%ux%u", (unsigned)C->c, (unsigned)n);
    const char *at = strchr(hu->email, '@');
    int user = at ? (int)(at - hu->email) : (int)strlen(hu->email);
    int len = snprintf(mail, sizeof mail, "%.*s%s%s", user, hu->email, tag, at ? at : "");
    if (len < 0 || (size_t)len >= sizeof hu->email) len = (int)sizeof hu->email - 1;
    memcpy(hu->email, mail, (size_t)len);
    hu->email[len] = '\0';
}

/* A LogEvent's constant parts: JSON text by path. */
static const char *const CONSTANT[][2] = {
    {"actor.detailEntry", "null"},        {"actor.type", "\"User\""},
    {"authenticationContext.authenticationStep", "0"},
    {"client.zone", "\"null\""},
    {"debugContext.debugData.requestUri", "\"/api/v1/authn\""},
    {"debugContext.debugData.threatSuspected", "\"false\""},
    {"debugContext.debugData.url", "\"/api/v1/authn?\""},
    {"eventType", "\"policy.evaluate_sign_on\""}, {"legacyEventType", "null"},
    {"outcome.reason", "null"},           {"outcome.result", "\"SUCCESS\""},
    {"securityContext.isProxy", "false"}, {"severity", "\"INFO\""},
    {"target", "null"},                   {"transaction.detail", "{}"},
    {"transaction.type", "\"WEB\""},      {"version", "\"0\""},
};

/* What the world gives event j (distinct index n) of case C. */
typedef struct {
    human_t hu;
    const loc_t *L;
    const ua_t *ua;
    char session[160], ip[16], req[32], tm[32], u[40], chain[96], asn[16];
} world_t;

static void world_pick(const case_t *C, int64_t j, uint64_t n, int64_t t, world_t *W) {
    size_t nf;
    const sw_catalogue_field *F = sw_catalogue(&nf);
    int card = C->r->cardinality_row;
    case_actor(C, card >= 0 && actor_row(F[card].ecs) ? n : 0, &W->hu);
    const device_t *dv = &W->hu.dev[0];
    W->L = &gen_home[dv->loc];
    W->ua = &gen_uas[dv->ua];
    uint64_t h = hash3(C->g->k, D_RULECASE + 2, hash2(C->c, (uint64_t)j));
    gen_fmt_ip(W->ip, dv->ip);
    fresh_value(C, &F[row_of("okta.authentication_context.external_session_id")], 0, W->session, sizeof W->session);
    gen_rstr(W->req, 22, h, 62);
    memcpy(W->req + 22, "AAAB", 5);
    sw_time_format(t, W->tm);
    gen_fmt_uuid(W->u, h, hash2(h, D_UUID));
    snprintf(W->chain, sizeof W->chain, "[{\"ip\":\"%s\",\"source\":null,\"version\":\"V4\"}]", W->ip);
    snprintf(W->asn, sizeof W->asn, "%u", W->L->asn);
}

static void doc_rows(doc_t *d, const char *const (*rows)[2], size_t n, int raw) {
    for (size_t i = 0; i < n; i++) doc_set(d, rows[i][0], raw, rows[i][1], strlen(rows[i][1]));
}

/* The world's part of a raw LogEvent. */
static void base_raw(const world_t *W, doc_t *d) {
    const loc_t *L = W->L;
    const char *const strings[][2] = {
        {"actor.alternateId", W->hu.email}, {"actor.displayName", W->hu.display}, {"actor.id", W->hu.id},
        {"authenticationContext.externalSessionId", W->session}, {"client.device", W->ua->device},
        {"client.geographicalContext.city", L->city}, {"client.geographicalContext.country", L->country},
        {"client.geographicalContext.postalCode", L->postal}, {"client.geographicalContext.state", L->state},
        {"client.ipAddress", W->ip}, {"client.userAgent.browser", W->ua->browser}, {"client.userAgent.os", W->ua->os},
        {"client.userAgent.rawUserAgent", W->ua->raw}, {"debugContext.debugData.requestId", W->req},
        {"published", W->tm}, {"securityContext.asOrg", L->as_org}, {"securityContext.domain", L->domain},
        {"securityContext.isp", L->isp}, {"transaction.id", W->req}, {"uuid", W->u},
    };
    const char *const json[][2] = {
        {"client.geographicalContext.geolocation.lat", L->lat}, {"client.geographicalContext.geolocation.lon", L->lon},
        {"request.ipChain", W->chain}, {"securityContext.asNumber", W->asn},
    };
    doc_rows(d, CONSTANT, sizeof CONSTANT / sizeof *CONSTANT, 1);
    doc_rows(d, strings, sizeof strings / sizeof *strings, 0);
    doc_rows(d, json, sizeof json / sizeof *json, 1);
}

/* ECS documents' constant parts, as Elastic's Okta integration indexes a
 * LogEvent (render_ecs.c writes the same shape). */
static const char *const ECS_CONSTANT[][2] = {
    {"data_stream.dataset", "\"okta.system\""}, {"data_stream.namespace", "\"default\""},
    {"data_stream.type", "\"logs\""},          {"ecs.version", "\"8.11.0\""},
    {"event.action", "\"policy.evaluate_sign_on\""}, {"event.category", "[\"authentication\"]"},
    {"event.dataset", "\"okta.system\""},      {"event.kind", "\"event\""},
    {"event.outcome", "\"success\""},          {"okta.actor.type", "\"User\""},
    {"okta.authentication_context.authentication_step", "0"},
    {"okta.client.zone", "\"null\""},          {"okta.debug_context.debug_data.request_uri", "\"/api/v1/authn\""},
    {"okta.debug_context.debug_data.url", "\"/api/v1/authn?\""},
    {"okta.event_type", "\"policy.evaluate_sign_on\""}, {"okta.outcome.result", "\"SUCCESS\""},
    {"okta.transaction.type", "\"WEB\""},      {"tags", "[\"forwarded\",\"okta-system\"]"},
};

/* The world's part of an ECS document. */
static void base_ecs(const world_t *W, doc_t *d) {
    const loc_t *L = W->L;
    const char *const strings[][2] = {
        {"@timestamp", W->tm}, {"client.geo.city_name", L->city}, {"client.geo.country_name", L->country},
        {"client.geo.region_name", L->state}, {"client.ip", W->ip}, {"client.user.full_name", W->hu.display},
        {"client.user.id", W->hu.id}, {"client.user.name", W->hu.email}, {"event.id", W->u},
        {"okta.actor.alternate_id", W->hu.email}, {"okta.actor.display_name", W->hu.display},
        {"okta.actor.id", W->hu.id}, {"okta.authentication_context.external_session_id", W->session},
        {"okta.client.device", W->ua->device}, {"okta.client.ip", W->ip},
        {"okta.client.user_agent.browser", W->ua->browser}, {"okta.client.user_agent.os", W->ua->os},
        {"okta.client.user_agent.raw_user_agent", W->ua->raw}, {"okta.debug_context.debug_data.request_id", W->req},
        {"okta.transaction.id", W->req}, {"okta.uuid", W->u}, {"user.full_name", W->hu.display},
        {"user.name", W->hu.email}, {"user_agent.device.name", W->ua->device}, {"user_agent.name", W->ua->browser},
        {"user_agent.original", W->ua->raw}, {"user_agent.os.name", W->ua->os},
    };
    const char *const json[][2] = {{"client.geo.location.lat", L->lat}, {"client.geo.location.lon", L->lon}};
    doc_rows(d, ECS_CONSTANT, sizeof ECS_CONSTANT / sizeof *ECS_CONSTANT, 1);
    doc_rows(d, strings, sizeof strings / sizeof *strings, 0);
    doc_rows(d, json, sizeof json / sizeof *json, 1);
}

/* The world's part of event j (distinct index n) of case C. */
static void base_event(const case_t *C, int64_t j, uint64_t n, int64_t t, doc_t *d) {
    world_t W;
    world_pick(C, j, n, t, &W);
    if (C->ecs) base_ecs(&W, d);
    else base_raw(&W, d);
}

/* Event types tried for an event.category value (fields.c's lists). */
static const char *const CATEGORY_TYPES[] = {"user.session.start", "group.user_membership.add",
                                             "policy.rule.update", "user.authentication.sso"};

static int set_category(doc_t *d, const sw_kql_value *v, char *why, size_t cap) {
    for (size_t i = 0; i < sizeof CATEGORY_TYPES / sizeof *CATEGORY_TYPES; i++) {
        sw_kql_value src = {.p = CATEGORY_TYPES[i], .n = (uint32_t)strlen(CATEGORY_TYPES[i]), .kind = SW_KQL_V_STRING};
        sw_kql_value out[4];
        size_t n = sw_catalogue_derive(SW_DERIVE_CATEGORY, &src, 1, out, 4);
        for (size_t k = 0; k < n; k++)
            if (out[k].n == v->n && memcmp(out[k].p, v->p, v->n) == 0) {
                if (!doc_find(d, "eventType#set")) doc_str(d, "eventType", CATEGORY_TYPES[i]);
                return 0;
            }
    }
    snprintf(why, cap, "event.category %.*s is derived from no event type gen knows", (int)v->n, v->p);
    return -1;
}

/* A value as JSON text or a string into d at path. */
static void set_value(doc_t *d, const char *path, const sw_kql_value *v) {
    char num[32];
    if (v->kind == SW_KQL_V_BOOL) doc_raw(d, path, v->b ? "true" : "false");
    else if (v->kind == SW_KQL_V_INT) snprintf(num, sizeof num, "%lld", (long long)v->i), doc_raw(d, path, num);
    else doc_set(d, path, 0, v->p ? v->p : "", v->n);
}

static int is_target(const sw_catalogue_field *f) { return strcmp(f->ecs, "okta.target.alternate_id") == 0; }

/* Where row f is written: its ECS name in an ECS document, else its raw
 * path (NULL: none). */
static const char *field_path(const case_t *C, const sw_catalogue_field *f) { return C->ecs ? f->ecs : f->raw; }

/* The target list, one AppInstance whose alternate id is v. */
static void set_target(const case_t *C, doc_t *d, const sw_kql_value *v) {
    sw_buf b = {0};
    sw_buf_puts(&b, C->ecs ? "[{\"alternate_id\":" : "[{\"alternateId\":");
    if (v->kind == SW_KQL_V_STRING) sw_json_str(&b, v->p ? v->p : "", v->n);
    else sw_buf_puts(&b, v->kind == SW_KQL_V_BOOL ? (v->b ? "true" : "false") : "0");
    sw_buf_puts(&b, C->ecs ? ",\"display_name\":\"Okta Admin Console\",\"id\":\"0oa1sw0case0000000000\","
                             "\"type\":\"AppInstance\"}]"
                           : ",\"detailEntry\":null,\"displayName\":\"Okta Admin Console\",\"id\":\"0oa1sw0case0000000000\","
                             "\"type\":\"AppInstance\"}]");
    if (!b.oom) doc_set(d, C->ecs ? "okta.target" : "target", 1, b.p, b.len);
    else d->full = 1;
    sw_buf_free(&b);
}

/* A realistic value for f:* of row f. */
static void set_any(const case_t *C, doc_t *d, const sw_catalogue_field *f) {
    char buf[128];
    if (f->derive == SW_DERIVE_BEHAVIORS) {
        if (C->ecs) doc_raw(d, f->ecs, "[\"New Device\",\"New IP\"]");
        else
            doc_str(d, "debugContext.debugData.behaviors",
                    "{New Geo-Location=NEGATIVE, New Device=POSITIVE, New IP=POSITIVE, New State=NEGATIVE, "
                    "New Country=NEGATIVE, Velocity=NEGATIVE, New City=NEGATIVE}");
        return;
    }
    const char *path = field_path(C, f);
    if (!path || (!C->ecs && f->derive != SW_DERIVE_COPY)) return;
    dkv *e = doc_find(d, is_target(f) ? (C->ecs ? "okta.target" : "target") : path);
    if (e && !(e->raw && e->len == 4 && memcmp(d->s + e->off, "null", 4) == 0)) return;
    fresh_value(C, f, 0, buf, sizeof buf);
    sw_kql_value v = {.p = buf, .n = (uint32_t)strlen(buf), .kind = SW_KQL_V_STRING};
    if (is_target(f)) set_target(C, d, &v);
    else doc_str(d, path, buf);
}

/* Row f's assigned value (state VALUE) through the inverse derivation. */
static int set_assigned(const case_t *C, doc_t *d, const sw_catalogue_field *f, const sw_kql_value *v, char *why,
                        size_t cap) {
    const char *s = v->kind == SW_KQL_V_STRING && v->p ? v->p : "";
    if (C->ecs || f->derive == SW_DERIVE_COPY) {
        if (is_target(f)) set_target(C, d, v);
        else set_value(d, field_path(C, f), v);
    }
    if (C->ecs) return 0;
    switch (f->derive) {
    case SW_DERIVE_COPY:
        if (strcmp(f->raw, "eventType") == 0) doc_raw(d, "eventType#set", "1");
        return 0;
    case SW_DERIVE_DATASET:
        if (v->n == 11 && memcmp(s, "okta.system", 11) == 0) return 0;
        snprintf(why, cap, "%s is okta.system in every raw event (wanted %.*s)", f->ecs, (int)v->n, s);
        return -1;
    case SW_DERIVE_OUTCOME: {
        static const char *const in[] = {"success", "failure", "unknown"}, *const out[] = {"SUCCESS", "FAILURE", "UNKNOWN"};
        for (int i = 0; i < 3; i++)
            if (v->n == strlen(in[i]) && memcmp(s, in[i], v->n) == 0) {
                doc_str(d, "outcome.result", out[i]);
                return 0;
            }
        snprintf(why, cap, "event.outcome %.*s comes from no outcome.result", (int)v->n, s);
        return -1;
    }
    case SW_DERIVE_CATEGORY: return set_category(d, v, why, cap);
    case SW_DERIVE_USER_NAME: {
        char mail[160];
        snprintf(mail, sizeof mail, "%.*s@example.com", (int)(v->n < 100 ? v->n : 100), s);
        doc_str(d, "actor.alternateId", mail);
        return 0;
    }
    case SW_DERIVE_BEHAVIORS: {
        char b[160];
        snprintf(b, sizeof b, "{%.*s=POSITIVE}", (int)(v->n < 100 ? v->n : 100), s);
        doc_str(d, "debugContext.debugData.behaviors", b);
        return 0;
    }
    default:
        snprintf(why, cap, "%s has no source in a raw event (ECS input only)", f->ecs);
        return -1;
    }
}

/* In an ECS document the pipeline's fields are written as such; the ones
 * the case leaves open agree with the ones it sets, as the pipeline would
 * have made them: event.action and okta.event_type the same, event.outcome
 * from okta.outcome.result, event.category from the event type. */
static void ecs_agree(const case_t *C, doc_t *d) {
    static const char *const pairs[][2] = {{"okta.event_type", "event.action"}, {"event.action", "okta.event_type"}};
    for (int k = 0; k < 2; k++) {
        int to = row_of(pairs[k][1]);
        dkv *from = doc_find(d, pairs[k][0]);
        if (from && !from->raw && C->w->state[to] == SW_KQL_W_FREE) doc_set(d, pairs[k][1], 0, d->s + from->off, from->len);
    }
    dkv *result = doc_find(d, "okta.outcome.result"), *type = doc_find(d, "okta.event_type");
    sw_kql_value out[4];
    if (result && !result->raw && C->w->state[row_of("event.outcome")] == SW_KQL_W_FREE) {
        sw_kql_value src = {.p = d->s + result->off, .n = result->len, .kind = SW_KQL_V_STRING};
        sw_catalogue_derive(SW_DERIVE_OUTCOME, &src, 1, out, 1);
        doc_set(d, "event.outcome", 0, out[0].p, out[0].n);
    }
    if (type && !type->raw && C->w->state[row_of("event.category")] == SW_KQL_W_FREE) {
        sw_kql_value src = {.p = d->s + type->off, .n = type->len, .kind = SW_KQL_V_STRING};
        size_t n = sw_catalogue_derive(SW_DERIVE_CATEGORY, &src, 1, out, 4);
        sw_buf b = {0};
        sw_buf_putc(&b, '[');
        for (size_t i = 0; i < n; i++) {
            if (i) sw_buf_putc(&b, ',');
            sw_json_str(&b, out[i].p, out[i].n);
        }
        sw_buf_putc(&b, ']');
        if (b.oom) d->full = 1;
        else if (n) doc_set(d, "event.category", 1, b.p, b.len);
        else doc_del(d, "event.category");
        sw_buf_free(&b);
    }
}

/* The assignment onto d: VALUE and ANY written, ABSENT removed. */
static int apply_witness(case_t *C, doc_t *d) {
    size_t nf;
    const sw_catalogue_field *F = sw_catalogue(&nf);
    /* Values first, then the derived fields that read them back (the
     * category needs the event type settled). */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < nf && i < SW_KQL_WITNESS_FIELDS; i++) {
            uint8_t st = C->w->state[i];
            if ((F[i].derive == SW_DERIVE_CATEGORY) != (pass == 1)) continue;
            if (st == SW_KQL_W_ANY) set_any(C, d, &F[i]);
            if (st == SW_KQL_W_VALUE && set_assigned(C, d, &F[i], &C->w->value[i], C->why, sizeof C->why))
                return -1;
            if (st == SW_KQL_W_ABSENT && C->ecs) {
                doc_del(d, is_target(&F[i]) ? "okta.target" : F[i].ecs);
            } else if (st == SW_KQL_W_ABSENT) {
                if (F[i].derive != SW_DERIVE_COPY && F[i].derive != SW_DERIVE_NONE &&
                    F[i].derive != SW_DERIVE_BEHAVIORS) {
                    snprintf(C->why, sizeof C->why, "%s is always derived in a raw event", F[i].ecs);
                    return -1;
                }
                if (F[i].derive == SW_DERIVE_BEHAVIORS) doc_del(d, "debugContext.debugData.behaviors");
                else if (is_target(&F[i])) doc_raw(d, "target", "null");
                else if (F[i].raw) doc_del(d, F[i].raw);
            }
        }
    doc_del(d, "eventType#set");
    if (C->ecs) ecs_agree(C, d);
    return 0;
}

/* The group-by and cardinality fields the query leaves open: a fresh
 * value of the case, and distinct value n of the cardinality field. */
static int set_keys(case_t *C, doc_t *d, uint64_t n) {
    size_t nf;
    const sw_catalogue_field *F = sw_catalogue(&nf);
    const sw_ruledef *r = C->r;
    char buf[128];
    for (size_t k = 0; k <= r->n_group_by; k++) {
        int row = k < r->n_group_by ? (int)r->group_by_rows[k] : r->cardinality_row;
        int is_card = k == r->n_group_by;
        if (row < 0 || actor_row(F[row].ecs)) continue; /* the actor is the case's own */
        if (row < SW_KQL_WITNESS_FIELDS && C->w->state[row] == SW_KQL_W_VALUE) {
            if (!is_card || C->distinct <= 1) continue;
            snprintf(C->why, sizeof C->why, "the query fixes the cardinality field %s", F[row].ecs);
            return -1;
        }
        if (!C->ecs && F[row].derive != SW_DERIVE_COPY) {
            snprintf(C->why, sizeof C->why, "group-by or cardinality field %s is derived", F[row].ecs);
            return -1;
        }
        fresh_value(C, &F[row], is_card ? 1 + n : 0, buf, sizeof buf);
        if (is_card && strcmp(F[row].ecs, "user_agent.os.name") == 0) fresh_value(C, &F[row], n, buf, sizeof buf);
        sw_kql_value v = {.p = buf, .n = (uint32_t)strlen(buf), .kind = SW_KQL_V_STRING};
        if (is_target(&F[row])) set_target(C, d, &v);
        else doc_str(d, field_path(C, &F[row]), buf);
    }
    return 0;
}

/* ---- rendering and reading back ---------------------------------------------- */

typedef struct {
    gen_cases *cs;
    sw_parser *parser;
    const sw_kql_field *fv; /* the read-back event's catalogue values (the parser's) */
    sw_buf rec;
    doc_t doc;
    char group[SW_RULE_MAX_GROUP_BY][256];
    size_t group_len[SW_RULE_MAX_GROUP_BY];
    char seen[64][128]; /* distinct cardinality values (first 64) */
    size_t n_seen;
    sw_kql_witness w;
} planner;

static int same_value(const sw_kql_value *v, const char *s, size_t n) {
    return v->kind == SW_KQL_V_STRING && v->n == n && memcmp(v->p, s, n) == 0;
}

/* Why a rendered event reads back other than planned: the first assigned
 * field whose values differ, else the query's verdict. */
static void explain(const planner *P, case_t *C, bool want) {
    size_t nf;
    const sw_catalogue_field *F = sw_catalogue(&nf);
    for (size_t i = 0; i < nf && i < SW_KQL_WITNESS_FIELDS; i++) {
        const sw_kql_field *got = &P->fv[i];
        const sw_kql_value *v = &C->w->value[i];
        uint8_t st = C->w->state[i];
        bool ok = st == SW_KQL_W_FREE || (st == SW_KQL_W_ANY && got->n > 0) || (st == SW_KQL_W_ABSENT && got->n == 0);
        for (uint32_t k = 0; st == SW_KQL_W_VALUE && k < got->n && !ok; k++)
            ok = v->kind == SW_KQL_V_STRING ? same_value(&got->v[k], v->p, v->n)
                                            : got->v[k].kind == v->kind && got->v[k].b == v->b && got->v[k].i == v->i;
        if (ok) continue;
        const sw_kql_value *g = got->n ? &got->v[0] : NULL;
        snprintf(C->why, sizeof C->why, "%s: the case needs %.*s, a raw event with these fields gives %.*s", F[i].ecs,
                 st == SW_KQL_W_VALUE && v->kind == SW_KQL_V_STRING ? (int)(v->n < 80 ? v->n : 80) : 9,
                 st == SW_KQL_W_VALUE && v->kind == SW_KQL_V_STRING ? v->p : st == SW_KQL_W_ABSENT ? "no value " : "a value  ",
                 g && g->kind == SW_KQL_V_STRING ? (int)(g->n < 80 ? g->n : 80) : 7,
                 g && g->kind == SW_KQL_V_STRING ? g->p : g ? "a value" : "nothing");
        return;
    }
    snprintf(C->why, sizeof C->why, "the rendered event %s the query", want ? "does not match" : "matches");
}

/* Reads the record back: the query's verdict must be `want`, the group
 * values those of the case's first event; a new cardinality value is
 * counted. */
static int read_back(planner *P, case_t *C, int64_t j, bool want) {
    size_t nf;
    const sw_catalogue_field *F = sw_catalogue(&nf);
    const sw_event *ev;
    size_t n_ev;
    if (sw_parser_extract_events(P->parser, P->rec.p, P->rec.len, P->rec.cap, NULL, &ev, &n_ev) != SW_X_OK ||
        n_ev != 1) {
        snprintf(C->why, sizeof C->why, "the rendered event does not parse");
        return -1;
    }
    P->fv = ev[0].fields;
    if (sw_kql_match(C->r->kql, P->fv, SW_CATALOGUE_MAX) != want) {
        explain(P, C, want);
        return -1;
    }
    const sw_ruledef *r = C->r;
    for (size_t k = 0; k < r->n_group_by; k++) {
        const sw_kql_field *g = &P->fv[r->group_by_rows[k]];
        if (g->n != 1 || g->v[0].kind != SW_KQL_V_STRING || g->v[0].n >= sizeof P->group[k]) {
            snprintf(C->why, sizeof C->why, "group-by field %s is not one string", F[r->group_by_rows[k]].ecs);
            return -1;
        }
        if (j == 0) {
            memcpy(P->group[k], g->v[0].p, g->v[0].n);
            P->group_len[k] = g->v[0].n;
        } else if (!same_value(&g->v[0], P->group[k], P->group_len[k])) {
            snprintf(C->why, sizeof C->why, "group-by field %s differs between the events", F[r->group_by_rows[k]].ecs);
            return -1;
        }
    }
    if (r->cardinality_row >= 0 && C->distinct > 0) {
        const sw_kql_field *c = &P->fv[r->cardinality_row];
        if (c->n != 1 || c->v[0].kind != SW_KQL_V_STRING || c->v[0].n >= sizeof P->seen[0]) {
            snprintf(C->why, sizeof C->why, "cardinality field %s is not one string", F[r->cardinality_row].ecs);
            return -1;
        }
        size_t s = 0;
        while (s < P->n_seen && !same_value(&c->v[0], P->seen[s], strlen(P->seen[s]))) s++;
        if (s == P->n_seen && P->n_seen < 64) {
            memcpy(P->seen[P->n_seen], c->v[0].p, c->v[0].n);
            P->seen[P->n_seen++][c->v[0].n] = '\0';
        }
    }
    return 0;
}

/* The record of d as the run's format writes it, into P->rec (with the
 * extractor's padding after it). */
static void render(planner *P, const case_t *C, int64_t t) {
    const gen_t *g = C->g;
    sw_buf *b = &P->rec;
    sw_buf_reset(b);
    if (g->o.format == 2) {
        char u[40], dtmp[64];
        uint64_t h = hash3(g->k, D_RULECASE + 3, (uint64_t)t ^ ((uint64_t)C->c << 40));
        gen_fmt_uuid(u, h, mix64(h));
        W(b, "{\"version\":\"0\",\"id\":\"");
        sw_buf_puts(b, u);
        W(b, "\",\"detail-type\":\"SystemLog\",\"source\":\"aws.partner/okta.com/");
        sw_buf_puts(b, gen_tenant_domain(C->tenant, dtmp, sizeof dtmp));
        W(b, "/okta-system-log\",\"account\":\"123456789012\",\"time\":");
        gen_w_time_s(b, t);
        W(b, ",\"region\":\"us-east-1\",\"resources\":[],\"detail\":");
        doc_write(&P->doc, b);
        gen_w_tenant_field(g, b, C->tenant);
        sw_buf_putc(b, '}');
    } else {
        if (g->o.tenants > 1) {
            char tn[32];
            snprintf(tn, sizeof tn, "tenant-%u", (unsigned)C->tenant);
            doc_str(&P->doc, "tenant", tn);
        }
        doc_write(&P->doc, b);
    }
    size_t len = b->len;
    for (int i = 0; i < SW_PADDING; i++) sw_buf_putc(b, ' ');
    b->len = len;
}

static int64_t case_time(const case_t *C, int64_t j) { return C->t0 + j * C->step; }

/* Renders every event of case C; 0 when each reads back as planned. */
static int render_case(planner *P, case_t *C) {
    gen_cases *cs = P->cs;
    bool want = !C->query_near;
    P->n_seen = 0;
    for (int64_t j = 0; j < C->events; j++) {
        uint64_t n = C->distinct > 0 ? (uint64_t)(j % C->distinct) : 0;
        int64_t t = case_time(C, j);
        memset(&P->doc, 0, offsetof(doc_t, s));
        base_event(C, j, n, t, &P->doc);
        if (apply_witness(C, &P->doc) || set_keys(C, &P->doc, n)) return -1;
        if (P->doc.full) {
            snprintf(C->why, sizeof C->why, "the event does not fit the renderer");
            return -1;
        }
        render(P, C, t);
        if (P->rec.oom || P->rec.len > MAX_RECORD || read_back(P, C, j, want)) {
            if (P->rec.oom || P->rec.len > MAX_RECORD) snprintf(C->why, sizeof C->why, "the event is too large");
            return -1;
        }
        if (cs->n == cs->cap) {
            size_t cap = cs->cap ? cs->cap * 2 : 64;
            cline *v = realloc(cs->v, cap * sizeof *v);
            if (!v) return cs->failed = 1, -1;
            cs->v = v, cs->cap = cap;
        }
        cs->v[cs->n++] = (cline){t, cs->lines.len, P->rec.len + 1};
        sw_buf_put(&cs->lines, P->rec.p, P->rec.len);
        sw_buf_putc(&cs->lines, '\n');
    }
    /* (only the first 64 distinct values are told apart) */
    if (C->distinct > 0 && (int64_t)P->n_seen != (C->distinct < 64 ? C->distinct : 64)) {
        snprintf(C->why, sizeof C->why, "%zu distinct values of the cardinality field, planned %lld", P->n_seen,
                 (long long)C->distinct);
        return -1;
    }
    return cs->lines.oom ? (cs->failed = 1, -1) : 0;
}

/* ---- truth -------------------------------------------------------------------- */

static const char *case_name(const case_t *C) { return C->near ? "near_miss" : "positive"; }

static void truth_head(sw_buf *b, const sw_ruledef *r, const char *kind) {
    sw_json_lit_cstr(b, "{\"rule_id\":", r->rule_id);
    sw_json_lit_cstr(b, ",\"rule\":", r->name);
    sw_json_lit_cstr(b, ",\"type\":", r->type == SW_RULE_THRESHOLD ? "threshold" : "query");
    sw_json_lit_cstr(b, ",\"case\":", kind);
}

static void truth_case(planner *P, const case_t *C, size_t first) {
    gen_cases *cs = P->cs;
    sw_buf *b = &cs->truth;
    const sw_ruledef *r = C->r;
    size_t nf;
    const sw_catalogue_field *F = sw_catalogue(&nf);
    truth_head(b, r, case_name(C));
    W(b, ",\"tenant\":");
    if (C->g->o.tenants > 1) {
        sw_json_lit_int(b, "\"tenant-", C->tenant);
        W(b, "\"");
    } else {
        W(b, "null");
    }
    W(b, ",\"group_by\":{");
    for (size_t k = 0; k < r->n_group_by; k++) {
        if (k) W(b, ",");
        sw_json_cstr(b, r->group_by[k]);
        W(b, ":");
        sw_json_str(b, P->group[k], P->group_len[k]);
    }
    sw_json_lit_int(b, "},\"expected_alerts\":", C->near ? 0 : 1);
    W(b, ",\"events\":[");
    for (size_t i = first; i < cs->n; i++) {
        const char *line = cs->lines.p + cs->v[i].off, *u = NULL;
        /* the LogEvent's uuid: the last "uuid" key of the line */
        for (const char *s = line; (s = memmem(s, cs->v[i].len - (size_t)(s - line), "\"uuid\":\"", 8)); s += 8) u = s + 8;
        if (i > first) W(b, ",");
        if (u) sw_json_str(b, u, 36);
        else W(b, "null");
    }
    sw_json_lit_time(b, "],\"first\":", cs->v[first].t);
    sw_json_lit_time(b, ",\"last\":", cs->v[cs->n - 1].t);
    if (C->near) {
        W(b, ",\"near_miss\":{");
        if (C->query_near) sw_json_lit_cstr(b, "\"flipped\":", F[C->w->flipped].ecs);
        else if (C->distinct > 0) {
            sw_json_lit_int(b, "\"distinct\":", C->distinct);
            sw_json_lit_cstr(b, ",\"of\":", r->cardinality_field);
        } else {
            sw_json_lit_int(b, "\"events\":", C->events);
        }
        W(b, "}");
    }
    W(b, "}\n");
}

static void truth_skipped(gen_cases *cs, const sw_ruledef *r, const char *why, FILE *notes) {
    truth_head(&cs->truth, r, "skipped");
    sw_json_lit_cstr(&cs->truth, ",\"reason\":", why);
    W(&cs->truth, "}\n");
    if (notes) fprintf(notes, "sessionwatch gen: rule %s (%s): no cases: %s\n", r->rule_id, r->name, why);
}

/* ---- planning ------------------------------------------------------------------ */

/* The shape of case C (events, distinct values, which witness). */
static void shape(case_t *C) {
    const sw_ruledef *r = C->r;
    C->events = 1;
    C->distinct = 0;
    C->query_near = C->near;
    if (r->type == SW_RULE_THRESHOLD) {
        int64_t card = r->cardinality_row >= 0 ? r->cardinality : 0;
        C->events = r->threshold > card ? r->threshold : card;
        C->distinct = card;
        C->query_near = 0;
        if (C->near && card > 1) C->distinct = card - 1;
        else if (C->near && r->threshold > 1) C->events = r->threshold - 1;
        else if (C->near) C->query_near = 1, C->events = 1, C->distinct = card;
    }
}

/* Values real Okta events hold, tried in place of a value the witness made
 * up for a wildcard ("user.authenticationx"): the first one the query gives
 * the same verdict for is used.  The flipped field of a near miss keeps its
 * value (it is what makes the miss near). */
static const char *const EVENT_TYPES[] = {"user.authentication.verify", "user.authentication.sso",
                                          "user.authentication.auth_via_mfa", "user.session.start",
                                          "policy.evaluate_sign_on", "user.session.end", NULL};
static const char *const PRIVILEGES[] = {"Super administrator", "Organization administrator",
                                         "Application administrator", "Read-only administrator", NULL};
static const struct {
    const char *ecs;
    const char *const *values;
} REALISTIC[] = {
    {"event.action", EVENT_TYPES},
    {"okta.event_type", EVENT_TYPES},
    {"okta.debug_context.debug_data.flattened.privilegeGranted", PRIVILEGES},
};

static int listed(const char *const *values, const sw_kql_value *v) {
    for (; *values; values++)
        if (v->kind == SW_KQL_V_STRING && v->n == strlen(*values) && memcmp(v->p, *values, v->n) == 0) return 1;
    return 0;
}

/* Row i and every assigned row read from the same raw path set to s. */
static void set_shared(sw_kql_witness *w, const sw_catalogue_field *F, size_t nf, size_t i, const char *s) {
    for (size_t k = 0; k < nf && k < SW_KQL_WITNESS_FIELDS; k++)
        if (k == i || (w->state[k] == SW_KQL_W_VALUE && F[k].raw && F[i].raw && strcmp(F[k].raw, F[i].raw) == 0 &&
                       F[k].derive == F[i].derive))
            w->value[k] = (sw_kql_value){.p = s, .n = (uint32_t)strlen(s), .kind = SW_KQL_V_STRING};
}

static void make_realistic(const case_t *C, sw_kql_witness *w) {
    size_t nf;
    const sw_catalogue_field *F = sw_catalogue(&nf);
    bool want = !C->query_near;
    for (size_t t = 0; t < sizeof REALISTIC / sizeof *REALISTIC; t++) {
        int i = row_of(REALISTIC[t].ecs);
        if (i < 0 || i >= SW_KQL_WITNESS_FIELDS || w->state[i] != SW_KQL_W_VALUE || i == w->flipped ||
            listed(REALISTIC[t].values, &w->value[i]))
            continue;
        sw_kql_value saved[SW_KQL_WITNESS_FIELDS];
        memcpy(saved, w->value, sizeof saved);
        for (const char *const *v = REALISTIC[t].values; *v; v++) {
            set_shared(w, F, nf, (size_t)i, *v);
            if (sw_kql_match(C->r->kql, w->fields, SW_KQL_WITNESS_FIELDS) == want) break;
            memcpy(w->value, saved, sizeof saved);
        }
    }
}

/* One case: the first witness whose events read back as planned. */
static int plan_case(planner *P, case_t *C, int64_t window) {
    sw_kql_witness *w = &P->w;
    gen_cases *cs = P->cs;
    shape(C);
    int64_t step = window / (2 * C->events);
    C->step = step > CASE_STEP_MAX_MS ? CASE_STEP_MAX_MS : step; /* 0: all at one time, within any window */
    C->w = w;
    snprintf(C->why, sizeof C->why, "the query has no %s", C->query_near ? "near miss" : "witness");
    /* A near miss that flips the dataset is tried last: every Okta rule
     * has that clause, and missing it tells less than missing the rest. */
    for (int pass = 0; pass < (C->query_near ? 2 : 1); pass++)
        for (unsigned k = 0; k < CASE_TRIES; k++) {
            int rc = sw_kql_witness_find(C->r->kql, C->query_near != 0, k, w);
            if (rc != 0) break;
            bool dataset = w->flipped >= 0 && sw_catalogue(&(size_t){0})[w->flipped].derive == SW_DERIVE_DATASET;
            if (C->query_near && dataset != (pass == 1)) continue;
            make_realistic(C, w);
            size_t first = cs->n, mark = cs->lines.len;
            if (render_case(P, C) == 0) {
                truth_case(P, C, first);
                return 0;
            }
            if (cs->failed) return -1;
            cs->n = first, cs->lines.len = mark;
        }
    return 1;
}

static int by_time(const void *a, const void *b) {
    const cline *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off;
}

typedef struct {
    const sw_ruleset *rules;
    FILE *notes;
} plan_ctx;

static gen_cases *plan_all(const gen_t *g, int64_t span, void *vctx, int *failed) {
    plan_ctx *ctx = vctx;
    gen_cases *cs = calloc(1, sizeof *cs);
    planner *P = calloc(1, sizeof *P);
    if (!cs || !P || !(P->parser = sw_parser_new(1 << 16))) goto fail;
    size_t n_rows;
    sw_catalogue(&n_rows);
    sw_parser_want_fields(P->parser, n_rows >= 64 ? ~0ULL : (1ULL << n_rows) - 1);
    P->cs = cs;
    const sw_ruleset *rs = ctx->rules;
    size_t ncase = 2 * rs->n_loaded, c = 0;
    for (size_t i = 0; i < rs->n; i++) {
        if (!rs->v[i].loaded) continue;
        const sw_ruledef *r = &rs->v[i].def;
        char why[320] = "";
        size_t n0 = cs->n, lines0 = cs->lines.len, truth0 = cs->truth.len;
        for (int near = 0; near < 2; near++, c++) {
            case_t C = {.g = g, .r = r, .c = (uint32_t)c, .tenant = (uint32_t)(c % g->o.tenants), .near = near,
                        .ecs = g->o.format == 1};
            C.t0 = g->o.start_ms + (int64_t)((double)span * (double)(2 * c + 1) / (double)(2 * ncase));
            int rc = why[0] ? 1 : plan_case(P, &C, r->window_ms);
            if (rc < 0) goto fail;
            if (rc > 0 && !why[0])
                snprintf(why, sizeof why, "no %s: %s", near ? "near miss" : "positive case", C.why);
        }
        if (why[0]) { /* both cases or neither */
            cs->n = n0, cs->lines.len = lines0, cs->truth.len = truth0;
            truth_skipped(cs, r, why, ctx->notes);
        }
    }
    qsort(cs->v, cs->n, sizeof *cs->v, by_time);
    if (cs->truth.oom || cs->lines.oom) goto fail;
    sw_parser_free(P->parser);
    sw_buf_free(&P->rec);
    free(P);
    return cs;
fail:
    if (P) {
        sw_parser_free(P->parser);
        sw_buf_free(&P->rec);
        free(P);
    }
    gen_cases_free(cs);
    *failed = 1;
    return NULL;
}

/* ---- what gen.c calls ----------------------------------------------------------- */

int64_t gen_cases_write_due(gen_cases *c, int64_t base, FILE *out) {
    int64_t n = 0;
    for (; c->next < c->n && c->v[c->next].t <= base; c->next++, n++) {
        const cline *l = &c->v[c->next];
        if (fwrite(c->lines.p + l->off, 1, l->len, out) != l->len) return -1;
    }
    return n;
}

int gen_cases_write_truth(const gen_cases *c, FILE *truth) {
    return c->truth.len && fwrite(c->truth.p, 1, c->truth.len, truth) != c->truth.len ? -1 : 0;
}

void gen_cases_free(gen_cases *c) {
    if (!c) return;
    sw_buf_free(&c->lines);
    sw_buf_free(&c->truth);
    free(c->v);
    free(c);
}

int64_t sw_gen_run_rules(const sw_gen_opts *o, const sw_ruleset *rules, FILE *out, FILE *truth, FILE *notes) {
    if (!rules || rules->n_loaded == 0) return sw_gen_run(o, out, truth);
    plan_ctx ctx = {rules, notes};
    return gen_run(o, plan_all, &ctx, out, truth);
}

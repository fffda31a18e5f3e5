/* rule.c -- see rule.h. */
#include "rule.h"

#include <string.h>
#include <strings.h>

#include "timefmt.h"
#include "window.h"

void sw_config_defaults(sw_config *c) {
    memset(c, 0, sizeof *c);
    c->window_ms = 35LL * 60 * 1000;
    c->min_sessions = 3;
    c->lateness_ms = 10LL * 60 * 1000;
    c->max_alerts = 100;
    c->time_field = SW_TIME_AUTO;
    c->exclude_prefix[0] = "okta";
    c->n_exclude_prefix = 1;
    c->max_record_bytes = 8u << 20; /* a full Okta API page (1000 events) of up to ~8 KB each */
    c->max_tracked_users = 10000000; /* ~2.3 GB of window state at ~230 B per key */
    c->max_tenants = 100000;         /* ~20 MB of tenant state */
    c->max_clock_skew_ms = 0;        /* no clock bound: run sets its default, SW_DEFAULT_CLOCK_SKEW_MS */
    c->prefilter = true;
}

static const char *const names[SW_VERDICT_COUNT] = {
    [SW_ELIGIBLE] = "eligible",
    [SW_V_NOT_SESSION_START] = "not_session_start",
    [SW_V_WRONG_DATASET] = "wrong_dataset",
    [SW_V_NO_SESSION_ID] = "no_session_id",
    [SW_V_NO_ACTOR] = "no_actor_id",
    [SW_V_EXCLUDED_ACTOR] = "excluded_actor",
    [SW_V_NOT_SUCCESS] = "not_success",
    [SW_V_UNKNOWN_ACTOR] = "unknown_actor",
    [SW_R_MALFORMED] = "malformed_json",
    [SW_R_TOO_LARGE] = "too_large",
    [SW_R_WRONG_TYPE] = "wrong_type",
    [SW_R_DUPLICATE_KEY] = "duplicate_key",
    [SW_R_BAD_TIME] = "bad_time",
    [SW_R_TOO_LATE] = "too_late",
    [SW_R_TOO_EARLY] = "too_early",
    [SW_R_TOO_MANY_TENANTS] = "too_many_tenants",
};

const char *sw_verdict_name(sw_verdict v) {
    return (unsigned)v < SW_VERDICT_COUNT && names[v] ? names[v] : "unknown";
}

static int str_is(const sw_value *v, const char *s) {
    size_t n = strlen(s);
    return v->type == SW_STRING && v->n == n && memcmp(v->p, s, n) == 0;
}

static int has_prefix(const sw_config *c, const sw_value *v) {
    if (v->type != SW_STRING) return 0;
    for (size_t i = 0; i < c->n_exclude_prefix; i++) {
        const char *pre = c->exclude_prefix[i];
        size_t n = strlen(pre);
        if (v->n < n) continue;
        if (c->exclude_case_insensitive ? strncasecmp(v->p, pre, n) == 0 : memcmp(v->p, pre, n) == 0)
            return 1;
    }
    return 0;
}

/* The event's own time: published for a raw LogEvent (an EventBridge detail
 * is one), @timestamp for ECS, whatever else the record carries (the
 * extractor reads only the fields of the record's kind).  With
 * --time-field event.ingested, an ECS event's event.ingested when present. */
static const sw_value *time_value(bool ingested, const sw_event *e) {
    if (e->format != SW_FMT_ECS) return &e->f[SW_F_PUBLISHED];
    const sw_value *ing = &e->f[SW_F_INGESTED];
    if (ingested && ing->type != SW_ABSENT && ing->type != SW_NULL) return ing;
    return &e->f[SW_F_TIMESTAMP];
}

sw_verdict sw_rule_event_time(const sw_config *c, const sw_event *e, int64_t kafka_time_ms, bool ingested,
                              int64_t *t_ms) {
    if (c->time_field == SW_TIME_KAFKA) {
        if (kafka_time_ms == SW_TIME_NONE) return SW_R_BAD_TIME;
        *t_ms = kafka_time_ms;
        return SW_ELIGIBLE;
    }
    const sw_value *tv = time_value(ingested || c->time_field == SW_TIME_INGESTED, e);
    if (tv->type != SW_STRING || sw_time_parse(tv->p, tv->n, t_ms) != 0) return SW_R_BAD_TIME;
    return SW_ELIGIBLE;
}

sw_verdict sw_rule_check(const sw_config *c, const sw_event *e, int64_t kafka_time_ms, int64_t *t_ms) {
    if (e->not_object) return SW_R_WRONG_TYPE; /* an array element that is not an object */
    const sw_value *type = &e->f[SW_F_EVENT_TYPE];
    if (type->type == SW_OTHER) return SW_R_WRONG_TYPE;
    if (!str_is(type, "user.session.start")) return SW_V_NOT_SESSION_START;

    for (int f = SW_F_EVENT_DATASET; f <= SW_F_STREAM_DATASET; f++) {
        const sw_value *ds = &e->f[f];
        if (ds->type == SW_OTHER) return SW_R_WRONG_TYPE;
        if (ds->type == SW_STRING && !str_is(ds, "okta.system")) return SW_V_WRONG_DATASET;
    }

    const sw_value *sid = &e->f[SW_F_SESSION_ID];
    const sw_value *actor = &e->f[SW_F_ACTOR_ID];
    const sw_value *name = &e->f[SW_F_ACTOR_NAME];
    if (sid->type == SW_OTHER || actor->type == SW_OTHER || name->type == SW_OTHER)
        return SW_R_WRONG_TYPE;
    if (sid->type != SW_STRING || sid->n == 0) return SW_V_NO_SESSION_ID;
    if (actor->type != SW_STRING || actor->n == 0) return SW_V_NO_ACTOR;
    if (has_prefix(c, actor) || has_prefix(c, name)) return SW_V_EXCLUDED_ACTOR;
    if (c->require_success && !str_is(&e->f[SW_F_OUTCOME], "SUCCESS")) return SW_V_NOT_SUCCESS;
    if (c->exclude_unknown_actor && str_is(actor, "unknown")) return SW_V_UNKNOWN_ACTOR;

    return sw_rule_event_time(c, e, kafka_time_ms, false, t_ms);
}

sw_verdict sw_rule_tenant(const sw_config *c, const sw_event *e, const char **p, size_t *n) {
    *p = "";
    *n = 0;
    if (c->tenant) {
        *p = c->tenant;
        *n = strlen(c->tenant);
    } else if (c->tenant_field) {
        const sw_value *tv = &e->f[SW_F_TENANT];
        if (tv->type == SW_OTHER) return SW_R_WRONG_TYPE;
        if (tv->type == SW_STRING) *p = tv->p, *n = tv->n;
    }
    return SW_ELIGIBLE;
}

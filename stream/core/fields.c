/* fields.c -- the field catalogue (the one table of every field an Okta
 * query or threshold rule may name) and the pipeline's derivations.
 *
 * Sources of truth, read (not copied) when this table was written:
 *  - the fields: the 28 query, 5 threshold and 4 new_terms Okta rules of
 *    elastic/detection-rules (their query fields, threshold.field,
 *    threshold.cardinality.field, new_terms fields);
 *  - where each comes from: Elastic's Okta ingest pipeline,
 *    elastic/integrations packages/okta/data_stream/system/elasticsearch/
 *    ingest_pipeline/default.yml (stored version at commit 026f1c34), and
 *    its test output (the *.expected-ecs.json fixtures, which tests/
 *    test_fields.c compares against).
 *
 * The pipeline first drops every null and "" value, recursively (so does
 * the extractor for raw and EventBridge input: extract.cpp), then renames
 * LogEvent paths to okta.* (a plain copy here) and computes a few fields
 * (derive != SW_DERIVE_COPY).  Approximations of the pipeline, all of them:
 *  A1 user_agent.os.name: the pipeline runs Elasticsearch's user_agent
 *     processor (the uap-core regexes) on client.userAgent.rawUserAgent.
 *     Here it is Okta's own parse, client.userAgent.os.  They agree on
 *     the fixtures' "Mac OS X"; they differ where uap names the OS
 *     differently (Okta "Windows 10" vs uap "Windows", "Mac OS X" for
 *     modern macOS versions, unknown agents: Okta "Unknown" vs uap
 *     "Other").  A threshold rule counting distinct OS names counts the
 *     same distinctness on both for the common cases.
 *  A2 data_stream.dataset and event.dataset: the pipeline does not set
 *     them (the data stream and the agent do); every raw event is taken
 *     to be "okta.system" as the integration indexes it.
 *  A3 okta.debug_context.debug_data.risk_behaviors: derived only from the
 *     string form "{K=V, K=V}" of debugData.behaviors (dissect + kv +
 *     script, as the pipeline does); a behaviors given as a JSON object in
 *     the raw event is not read (the pipeline's kv fails on it, and the
 *     whole document then carries error.message).  Duplicate keys in the
 *     string are each taken (kv would make an array and drop them).  A
 *     piece without "=" is ignored.
 *  A4 okta.debug_context.debug_data.flattened.*: only the leaves listed
 *     below are in the catalogue (the ones rules use), each a plain copy
 *     of debugData.<leaf>.  The pipeline also rewrites flattened.behaviors,
 *     flattened.risk and flattened.logOnlySecurityData; none is listed.
 *  A5 okta.debug_context.debug_data.dt_hash: the stored pipeline version
 *     does not rename debugData.dtHash; the fixtures' output (a newer
 *     pipeline) has it as a copy of dtHash, which is what is done here.
 *  A6 cloud.account.id (a new_terms rule's field) comes from the agent's
 *     cloud metadata, not from the event: ECS input only.
 *  A7 event.outcome: the pipeline lower-cases outcome.result; a non-string
 *     result (a number, a boolean) gives "unknown" here.
 *  A8 values are kept as the JSON gave them (a number as its JSON text, a
 *     boolean as a boolean); the pipeline's convert processors (ip for
 *     client.ipAddress, string for event.action) are not applied, and the
 *     query's field type decides how they compare (kql.c).
 * Elasticsearch indexes an array of objects field by field, so
 * okta.target.alternate_id holds the alternateId of every target. */
#include "fields.h"

#include <string.h>

#define DD "debugContext.debugData."
#define FL "okta.debug_context.debug_data.flattened."

static const sw_catalogue_field CATALOGUE[] = {
    /* the dataset: every Okta rule filters on one of the two (A2) */
    {"data_stream.dataset", SW_KQL_KEYWORD, NULL, SW_DERIVE_DATASET},
    {"event.dataset", SW_KQL_KEYWORD, NULL, SW_DERIVE_DATASET},
    /* what happened */
    {"event.action", SW_KQL_KEYWORD, "eventType", SW_DERIVE_COPY},
    {"okta.event_type", SW_KQL_KEYWORD, "eventType", SW_DERIVE_COPY},
    {"event.category", SW_KQL_KEYWORD, "eventType", SW_DERIVE_CATEGORY},
    {"event.outcome", SW_KQL_KEYWORD, "outcome.result", SW_DERIVE_OUTCOME}, /* A7 */
    {"okta.outcome.result", SW_KQL_KEYWORD, "outcome.result", SW_DERIVE_COPY},
    {"okta.outcome.reason", SW_KQL_KEYWORD, "outcome.reason", SW_DERIVE_COPY},
    /* who */
    {"okta.actor.id", SW_KQL_KEYWORD, "actor.id", SW_DERIVE_COPY},
    {"okta.actor.alternate_id", SW_KQL_KEYWORD, "actor.alternateId", SW_DERIVE_COPY},
    {"okta.actor.display_name", SW_KQL_KEYWORD, "actor.displayName", SW_DERIVE_COPY},
    {"okta.actor.type", SW_KQL_KEYWORD, "actor.type", SW_DERIVE_COPY},
    {"client.user.name", SW_KQL_KEYWORD, "actor.alternateId", SW_DERIVE_USER_NAME},
    /* the session and its client */
    {"okta.authentication_context.external_session_id", SW_KQL_KEYWORD, "authenticationContext.externalSessionId",
     SW_DERIVE_COPY},
    {"okta.authentication_context.issuer.id", SW_KQL_KEYWORD, "authenticationContext.issuer.id", SW_DERIVE_COPY},
    {"okta.client.device", SW_KQL_KEYWORD, "client.device", SW_DERIVE_COPY},
    {"okta.client.user_agent.raw_user_agent", SW_KQL_KEYWORD, "client.userAgent.rawUserAgent", SW_DERIVE_COPY},
    {"user_agent.os.name", SW_KQL_KEYWORD, "client.userAgent.os", SW_DERIVE_COPY}, /* A1 */
    {"okta.security_context.is_proxy", SW_KQL_BOOLEAN, "securityContext.isProxy", SW_DERIVE_COPY},
    /* what it was done to */
    {"okta.target.alternate_id", SW_KQL_KEYWORD, "target.alternateId", SW_DERIVE_COPY},
    /* Okta's debug data */
    {"okta.debug_context.debug_data.dt_hash", SW_KQL_KEYWORD, DD "dtHash", SW_DERIVE_COPY}, /* A5 */
    {"okta.debug_context.debug_data.threat_suspected", SW_KQL_KEYWORD, DD "threatSuspected", SW_DERIVE_COPY},
    {"okta.debug_context.debug_data.risk_behaviors", SW_KQL_KEYWORD, DD "behaviors", SW_DERIVE_BEHAVIORS}, /* A3 */
    {FL "grantType", SW_KQL_FLATTENED, DD "grantType", SW_DERIVE_COPY},               /* A4 */
    {FL "privilegeGranted", SW_KQL_FLATTENED, DD "privilegeGranted", SW_DERIVE_COPY}, /* A4 */
    {FL "requestedScopes", SW_KQL_FLATTENED, DD "requestedScopes", SW_DERIVE_COPY},   /* A4 */
    /* not from the event */
    {"cloud.account.id", SW_KQL_KEYWORD, NULL, SW_DERIVE_NONE}, /* A6 */
};

#define N_CATALOGUE (sizeof CATALOGUE / sizeof CATALOGUE[0])
_Static_assert(N_CATALOGUE <= SW_CATALOGUE_MAX, "see SW_CATALOGUE_MAX");

const sw_catalogue_field *sw_catalogue(size_t *n) {
    *n = N_CATALOGUE;
    return CATALOGUE;
}

int sw_catalogue_find(const char *name, size_t len) {
    for (size_t i = 0; i < N_CATALOGUE; i++)
        if (strlen(CATALOGUE[i].ecs) == len && memcmp(CATALOGUE[i].ecs, name, len) == 0) return (int)i;
    return -1;
}

int sw_catalogue_resolve(void *ctx, const char *name, size_t len, uint32_t *index, sw_kql_ftype *type) {
    (void)ctx;
    int i = sw_catalogue_find(name, len);
    if (i < 0) return -1;
    *index = (uint32_t)i;
    *type = CATALOGUE[i].type;
    return 0;
}

/* ---- the pipeline's derivations ----------------------------------------- */

static sw_kql_value str_value(const char *p, size_t n) {
    sw_kql_value v;
    memset(&v, 0, sizeof v);
    v.p = p;
    v.n = (uint32_t)n;
    v.kind = SW_KQL_V_STRING;
    return v;
}

static int equals_lower(const sw_kql_value *v, const char *lower) {
    size_t n = strlen(lower);
    if (v->n != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = v->p[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c + ('a' - 'A'));
        if (c != lower[i]) return 0;
    }
    return 1;
}

static const char *outcome(const sw_kql_value *result) {
    if (!result) return "unknown";
    if (equals_lower(result, "success") || equals_lower(result, "allow")) return "success";
    if (equals_lower(result, "failure") || equals_lower(result, "deny")) return "failure";
    return "unknown";
}

/* A literal and its length (categories() runs on every event). */
typedef struct {
    const char *p;
    size_t n;
} lit;
#define LIT(s) {s, sizeof s - 1}

/* The pipeline's event.category lists, in the order it appends them. */
static const lit IAM[] = {LIT("group.user_membership.add"), LIT("group.user_membership.remove"),
                          LIT("user.lifecycle.activate"),   LIT("user.lifecycle.create"),
                          LIT("user.lifecycle.deactivate"), LIT("user.lifecycle.suspend"),
                          LIT("user.lifecycle.unsuspend"),  {NULL, 0}};
static const lit CONFIGURATION[] = {
    LIT("policy.lifecycle.activate"),      LIT("policy.lifecycle.create"),      LIT("policy.lifecycle.deactivate"),
    LIT("policy.lifecycle.delete"),        LIT("policy.lifecycle.update"),      LIT("policy.rule.activate"),
    LIT("policy.rule.add"),                LIT("policy.rule.deactivate"),       LIT("policy.rule.delete"),
    LIT("application.lifecycle.create"),   LIT("application.lifecycle.delete"), LIT("policy.rule.update"),
    LIT("application.lifecycle.activate"), LIT("application.lifecycle.deactivate"),
    LIT("application.lifecycle.update"),   {NULL, 0}};
static const lit AUTHENTICATION[] = {LIT("user.session.start"), LIT("user.session.end"),
                                     LIT("user.authentication.sso"), LIT("policy.evaluate_sign_on"), {NULL, 0}};
static const lit SESSION[] = {LIT("user.session.start"), LIT("user.session.end"), {NULL, 0}};
static const struct {
    const char *category;
    const lit *event_types;
} CATEGORIES[] = {
    {"iam", IAM}, {"configuration", CONFIGURATION}, {"authentication", AUTHENTICATION}, {"session", SESSION}};

static size_t categories(const sw_kql_value *event_type, sw_kql_value *out, size_t cap) {
    size_t n = 0;
    for (size_t c = 0; c < sizeof CATEGORIES / sizeof CATEGORIES[0]; c++)
        for (const lit *t = CATEGORIES[c].event_types; t->p; t++)
            if (event_type->n == t->n && memcmp(event_type->p, t->p, t->n) == 0) {
                if (n < cap) out[n++] = str_value(CATEGORIES[c].category, strlen(CATEGORIES[c].category));
                break;
            }
    return n;
}

/* grok %{USER} (USERNAME: [a-zA-Z0-9._-]+), unanchored: the leftmost run. */
static int user_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

static size_t user_name(const sw_kql_value *alt, sw_kql_value *out, size_t cap) {
    size_t i = 0;
    while (i < alt->n && !user_char(alt->p[i])) i++;
    size_t start = i;
    while (i < alt->n && user_char(alt->p[i])) i++;
    if (i == start || cap == 0) return 0;
    out[0] = str_value(alt->p + start, i - start);
    return 1;
}

/* dissect "{%{b}}" (only when both braces are there), kv with field_split
 * ", " and value_split "=", then the keys whose value is POSITIVE. */
static size_t positive_behaviors(const sw_kql_value *b, sw_kql_value *out, size_t cap) {
    const char *s = b->p, *end = b->p + b->n;
    if (b->n >= 2 && s[0] == '{' && end[-1] == '}') s++, end--;
    size_t n = 0;
    while (s < end) {
        const char *piece_end = s;
        while (piece_end < end && !(piece_end + 1 < end && piece_end[0] == ',' && piece_end[1] == ' ')) piece_end++;
        const char *eq = memchr(s, '=', (size_t)(piece_end - s));
        if (eq && (size_t)(piece_end - eq - 1) == 8 && memcmp(eq + 1, "POSITIVE", 8) == 0 && n < cap)
            out[n++] = str_value(s, (size_t)(eq - s));
        s = piece_end < end ? piece_end + 2 : end;
    }
    return n;
}

/* positive_behaviors() keeps only keys whose value is POSITIVE after '=':
 * the unescaped behaviors string holds "=POSITIVE". */
const char *sw_catalogue_raw_needle(uint8_t derive) { return derive == SW_DERIVE_BEHAVIORS ? "=POSITIVE" : NULL; }

size_t sw_catalogue_derive(uint8_t derive, const sw_kql_value *src, size_t n, sw_kql_value *out, size_t cap) {
    const sw_kql_value *one = n == 1 && src[0].kind == SW_KQL_V_STRING ? &src[0] : NULL;
    if (cap == 0) return 0;
    switch (derive) {
    case SW_DERIVE_DATASET: out[0] = str_value("okta.system", 11); return 1;
    case SW_DERIVE_OUTCOME: {
        const char *o = outcome(one);
        out[0] = str_value(o, strlen(o));
        return 1;
    }
    case SW_DERIVE_CATEGORY: return one ? categories(one, out, cap) : 0;
    case SW_DERIVE_USER_NAME: return one ? user_name(one, out, cap) : 0;
    case SW_DERIVE_BEHAVIORS: return one ? positive_behaviors(one, out, cap) : 0;
    default: return 0;
    }
}

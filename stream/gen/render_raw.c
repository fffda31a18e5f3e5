/* render_raw.c -- a record as the Okta LogEvent the System Log API returns
 * (key order and field shapes copied from real records in the Elastic
 * fixtures), and the EventBridge envelope that carries that LogEvent as its
 * "detail" (gen_internal.h).
 *
 * Renderers only write: every choice (kind, actor, session, client,
 * optional parts) was made in the ev_t before, so every format shows the
 * same content, and a record too long in raw form is re-rendered without
 * its optional parts by the caller (gen.c).  Strings go through jsonw.h's
 * escaper, times through timefmt.h; nothing here allocates beyond the
 * caller's reused sw_buf.  The two small writers the ECS renderer shares
 * (the optional top-level "tenant" field, times without milliseconds) live
 * here too. */
#include "gen_internal.h"

#include <string.h>

#include "timefmt.h"

static void w_url(sw_buf *b, const char *s) {
    sw_buf_putc(b, '"');
    for (;;) {
        size_t n = strcspn(s, "&");
        sw_json_str_body(b, s, n);
        if (!s[n]) break;
        W(b, "\\u0026");
        s += n + 1;
    }
    sw_buf_putc(b, '"');
}

/* A quoted RFC 3339 UTC time without milliseconds: "2026-01-05T08:00:00Z". */
void gen_w_time_s(sw_buf *b, int64_t ms) {
    char t[32];
    sw_time_format(ms, t); /* "2026-01-05T08:00:00.000Z" */
    t[19] = 'Z';
    sw_buf_putc(b, '"');
    sw_buf_put(b, t, 20);
    sw_buf_putc(b, '"');
}

void gen_w_tenant_field(const gen_t *g, sw_buf *b, uint32_t tenant) {
    if (g->o.tenants <= 1) return;
    sw_json_lit_int(b, ",\"tenant\":\"tenant-", tenant);
    W(b, "\"");
}

static const char *risk_name(int r) { return r == 2 ? "HIGH" : r == 1 ? "MEDIUM" : "LOW"; }

static void w_behaviors(sw_buf *b, const ev_t *e) {
    static const char *const names[] = {"New Geo-Location", "New Device", "New IP", "New State",
                                        "New Country", "Velocity", "New City"};
    W(b, "\"{");
    for (int i = 0; i < 7; i++) {
        if (i) W(b, ", ");
        sw_buf_puts(b, names[i]);
        if (e->newthings & (1 << i)) W(b, "=POSITIVE");
        else W(b, "=NEGATIVE");
    }
    W(b, "}\"");
}

static void w_risk(sw_buf *b, const ev_t *e) {
    W(b, "\"{");
    if (e->risk == 2) W(b, "reasons=Anomalous Location, New Device, New IP, level=HIGH");
    else if (e->risk == 1) W(b, "reasons=New Device, level=MEDIUM");
    else W(b, "level=LOW");
    W(b, "}\"");
}

/* logOnlySecurityData: JSON inside a JSON string.  The inner JSON is
 * written at the end of b, moved out to tmp (it is at most about 330 bytes)
 * and written back as one escaped string. */
static void w_logonly(sw_buf *b, const ev_t *e) {
    static const char *const names[] = {"New Geo-Location", "New Device", "New IP", "New State",
                                        "New Country", "Velocity", "New City"};
    size_t at = b->len;
    W(b, "{\"risk\":{\"level\":\"");
    sw_buf_puts(b, risk_name(e->risk));
    W(b, "\"");
    if (e->risk == 2) W(b, ",\"reasons\":\"Anomalous Geo-Distance, Anomalous Device\"");
    W(b, "},\"behaviors\":{");
    for (int i = 0; i < 7; i++) {
        if (i) sw_buf_putc(b, ',');
        sw_buf_putc(b, '"');
        sw_buf_puts(b, names[i]);
        W(b, "\":\"");
        if (e->newthings & (1 << i)) W(b, "POSITIVE\"");
        else W(b, "NEGATIVE\"");
    }
    sw_json_lit_int(b, "},\"network\":{\"asNumber\":", e->loc ? e->loc->asn : 0);
    W(b, ",\"domain\":\"");
    sw_buf_puts(b, e->loc ? e->loc->domain : "unknown");
    W(b, "\"}}");
    char tmp[640];
    size_t n = b->len - at;
    if (n > sizeof tmp) { /* cannot happen with the tables above */
        b->oom = 1;
        return;
    }
    memcpy(tmp, b->p + at, n);
    b->len = at;
    sw_json_str(b, tmp, n);
}

static void w_geo(sw_buf *b, const loc_t *L) {
    sw_json_lit_cstr(b, "{\"city\":", L->city);
    sw_json_lit_cstr(b, ",\"country\":", L->country);
    W(b, ",\"geolocation\":{\"lat\":");
    sw_buf_puts(b, L->lat);
    W(b, ",\"lon\":");
    sw_buf_puts(b, L->lon);
    sw_json_lit_cstr(b, "},\"postalCode\":", L->postal);
    sw_json_lit_cstr(b, ",\"state\":", L->state);
    W(b, "}");
}

static void w_debugdata(sw_buf *b, const ev_t *e) {
    int k = e->kind;
    int start = k == K_START_OK || k == K_START_FAIL || k == K_START_SYS;
    int logonly = e->o_logonly, behav = e->o_behav, dth = e->o_dth, sp = e->o_sp;
    W(b, "{");
    if (k == K_APPUM) {
        if ((e->h >> 7) & 1) W(b, "\"appname\":\"google\",\"importType\":\"INCREMENTAL\"");
        W(b, "}");
        return;
    }
    if (k == K_SYSTEM) {
        if (strcmp(e->etype, "system.import.complete") == 0) {
            W(b, "\"appInstanceId\":\"");
            sw_buf_puts(b, e->appid);
            W(b, "\",\"importId\":\"");
            sw_buf_puts(b, e->tid1);
            W(b, "\",\"importSource\":\"ACTIVE_DIRECTORY\",\"importType\":\"INCREMENTAL\",\"requestId\":\"");
            sw_buf_puts(b, e->req);
            sw_json_lit_int(b, "\",\"totalUsersScanned\":\"", (int64_t)(100 + (e->h >> 9) % 9000));
            W(b, "\"}");
            return;
        }
        if (strcmp(e->etype, "system.agent.ad.read_dirsync") == 0) {
            W(b, "\"agentId\":\"");
            sw_buf_puts(b, e->tid2);
            W(b, "\",\"agentVersion\":\"3.18.0.0\",\"changeType\":\"INCREMENTAL");
            sw_json_lit_int(b, "\",\"changesCount\":\"", (int64_t)((e->h >> 9) % 200));
            W(b, "\",\"requestId\":\"");
            sw_buf_puts(b, e->req);
            sw_json_lit_int(b, "\",\"syncDurationMs\":\"", (int64_t)(50 + (e->h >> 21) % 5000));
            W(b, "\"}");
            return;
        }
        sw_json_lit_int(b, "\"operationRateLimitScopeType\":\"ORG\",\"operationRateLimitSecondsToReset\":\"",
                        (int64_t)(1 + (e->h >> 9) % 59));
        W(b, "\",\"operationRateLimitSubtype\":\"ORG_API\",\"requestId\":\"");
        sw_buf_puts(b, e->req);
        sw_json_lit_cstr(b, "\",\"requestUri\":", e->uri);
        sw_json_lit_int(b, ",\"threshold\":\"", (int64_t)(60 + (e->h >> 9) % 40));
        W(b, "\",\"timeSpan\":\"1\",\"timeUnit\":\"MINUTES\",\"url\":");
        w_url(b, e->url);
        W(b, "}");
        return;
    }
    if (start || k == K_VERIFY) {
        W(b, "\"authnRequestId\":\"");
        sw_buf_puts(b, e->authn);
        W(b, "\",");
    }
    if (behav) {
        W(b, "\"behaviors\":");
        w_behaviors(b, e);
        W(b, ",");
    }
    if (k == K_TOKEN) W(b, "\"clientAuthType\":\"client_secret_basic\",");
    if (k == K_PROFILE) W(b, "\"changedAttributes\":\"title, mobilePhone, department\",");
    if (e->loc && (start || k == K_VERIFY || (k == K_POLICY && behav))) {
        W(b, "\"deviceFingerprint\":\"");
        sw_buf_puts(b, e->fp);
        W(b, "\",");
    }
    if (dth) {
        W(b, "\"dtHash\":\"");
        sw_buf_puts(b, e->dthash);
        W(b, "\",");
    }
    if (k == K_VERIFY || k == K_MFA || k == K_PUSH_DENY) W(b, "\"factor\":\"OKTA_VERIFY_PUSH\",");
    if (k == K_TOKEN) W(b, "\"grantType\":\"authorization_code\",\"grantedScopes\":\"openid, profile, email, offline_access\",");
    if (k == K_SSO) {
        if (sp) W(b, "\"initiationType\":\"SP_INITIATED\",");
        else W(b, "\"initiationType\":\"IDP_INITIATED\",");
    }
    if (logonly) {
        W(b, "\"logOnlySecurityData\":");
        w_logonly(b, e);
        W(b, ",");
    }
    W(b, "\"requestId\":\"");
    sw_buf_puts(b, e->req);
    sw_json_lit_cstr(b, "\",\"requestUri\":", e->uri);
    if (behav) {
        W(b, ",\"risk\":");
        w_risk(b, e);
    }
    if (k == K_SSO) {
        sw_json_lit_cstr(b, ",\"signOnMode\":",
                         strcmp(gen_apps[e->app].mode, "SAML_2_0") == 0 ? "SAML 2.0" : gen_apps[e->app].mode);
    }
    if (k != K_MFA && k != K_GROUPADD && k != K_PROFILE)
        W(b, ",\"threatSuspected\":\"false\"");
    W(b, ",\"url\":");
    w_url(b, e->url);
    W(b, "}");
}

static void w_target_user(sw_buf *b, const ev_t *e) {
    sw_json_lit_cstr(b, "{\"alternateId\":", e->hu->email);
    sw_json_lit_cstr(b, ",\"detailEntry\":null,\"displayName\":", e->hu->display);
    W(b, ",\"id\":\"");
    sw_buf_puts(b, e->hu->id);
    W(b, "\",\"type\":\"User\"}");
}

static void w_target(sw_buf *b, const ev_t *e) {
    const app_t *A = &gen_apps[e->app];
    switch (e->kind) {
    case K_START_OK:
        if (!e->o_tgt) {
            W(b, "null");
            return;
        }
        W(b, "[{\"alternateId\":\"unknown\",\"detailEntry\":{\"methodTypeUsed\":\"Password\",\"methodUsedVerifiedProperties\":\"[KNOWLEDGE]\"},\"displayName\":\"Password\",\"id\":\"");
        sw_buf_puts(b, e->tid1);
        W(b, "\",\"type\":\"AuthenticatorEnrollment\"},{\"alternateId\":\"Okta Dashboard\",\"detailEntry\":{\"signOnModeType\":\"OPENID_CONNECT\"},\"displayName\":\"Okta Dashboard\",\"id\":\"");
        sw_buf_puts(b, e->appid);
        W(b, "\",\"type\":\"AppInstance\"}]");
        return;
    case K_POLICY:
        W(b, "[{\"alternateId\":\"unknown\",\"detailEntry\":{\"policyType\":\"OktaSignOn\"},\"displayName\":\"Default Policy\",\"id\":\"");
        sw_buf_puts(b, e->tid1);
        W(b, "\",\"type\":\"PolicyEntity\"},{\"alternateId\":\"");
        sw_buf_puts(b, e->tid1);
        sw_json_lit_cstr(b, "\",\"detailEntry\":null,\"displayName\":",
                         (e->h >> 13) % 3 ? "Default Rule" : "Require MFA outside corporate network");
        W(b, ",\"id\":\"");
        sw_buf_puts(b, e->tid2);
        W(b, "\",\"type\":\"PolicyRule\"}]");
        return;
    case K_SSO:
        sw_json_lit_cstr(b, "[{\"alternateId\":", A->label);
        W(b, ",\"detailEntry\":{\"signOnModeType\":\"");
        sw_buf_puts(b, A->mode);
        sw_json_lit_cstr(b, "\"},\"displayName\":", A->label);
        W(b, ",\"id\":\"");
        sw_buf_puts(b, e->appid);
        sw_json_lit_cstr(b, "\",\"type\":\"AppInstance\"},{\"alternateId\":", e->hu->email);
        sw_json_lit_cstr(b, ",\"detailEntry\":null,\"displayName\":", e->hu->display);
        W(b, ",\"id\":\"");
        sw_buf_puts(b, e->tid1);
        W(b, "\",\"type\":\"AppUser\"}]");
        return;
    case K_MFA:
        W(b, "[");
        w_target_user(b, e);
        W(b, ",{\"alternateId\":\"unknown\",\"detailEntry\":{\"methodTypeUsed\":\"Get a push notification\",\"methodUsedVerifiedProperties\":\"[POSSESSION, USER_PRESENCE]\"},\"displayName\":\"Okta Verify\",\"id\":\"");
        sw_buf_puts(b, e->tid1);
        W(b, "\",\"type\":\"AuthenticatorEnrollment\"}]");
        return;
    case K_APPUM:
        sw_json_lit_cstr(b, "[{\"alternateId\":", e->hu->email);
        sw_json_lit_cstr(b, ",\"detailEntry\":null,\"displayName\":", e->hu->email);
        W(b, ",\"id\":\"");
        sw_buf_puts(b, e->tid1);
        sw_json_lit_cstr(b,
                         "\",\"type\":\"AppUser\"},{\"alternateId\":\"unknown\",\"detailEntry\":null,\"displayName\":",
                         gen_groups[(e->h >> 17) % gen_n_groups]);
        W(b, ",\"id\":\"");
        sw_buf_puts(b, e->tid2);
        W(b, "\",\"type\":\"AppGroup\"},");
        w_target_user(b, e);
        sw_json_lit_cstr(b, ",{\"alternateId\":", A->label);
        sw_json_lit_cstr(b, ",\"detailEntry\":null,\"displayName\":", A->label);
        W(b, ",\"id\":\"");
        sw_buf_puts(b, e->appid);
        W(b, "\",\"type\":\"AppInstance\"}]");
        return;
    case K_GROUPADD:
        W(b, "[");
        w_target_user(b, e);
        sw_json_lit_cstr(b, ",{\"alternateId\":\"unknown\",\"detailEntry\":null,\"displayName\":",
                         gen_groups[(e->h >> 17) % gen_n_groups]);
        W(b, ",\"id\":\"");
        sw_buf_puts(b, e->tid2);
        W(b, "\",\"type\":\"UserGroup\"}]");
        return;
    case K_PROFILE:
        W(b, "[");
        w_target_user(b, e);
        W(b, "]");
        return;
    case K_SYSTEM:
        if ((e->h >> 19) % 3 == 0) {
            W(b, "null");
            return;
        }
        sw_json_lit_cstr(b, "[{\"alternateId\":\"unknown\",\"detailEntry\":null,\"displayName\":", A->label);
        W(b, ",\"id\":\"");
        sw_buf_puts(b, e->appid);
        W(b, "\",\"type\":\"AppInstance\"}]");
        return;
    case K_TOKEN:
        W(b, "[{\"alternateId\":\"");
        sw_buf_puts(b, e->tid1);
        sw_json_lit_time(b, "\",\"detailEntry\":{\"expires\":", e->t + 3600000);
        W(b, ",\"hash\":\"");
        sw_buf_put(b, e->dthash, 22);
        W(b, "\",\"subject\":\"");
        sw_buf_puts(b, e->hu->id);
        W(b, "\"},\"displayName\":\"Access Token\",\"id\":\"AT.");
        sw_buf_puts(b, e->tid2);
        W(b, "\",\"type\":\"access_token\"}]");
        return;
    default:
        W(b, "null");
    }
}

void gen_render_raw(const gen_t *g, sw_buf *b, const ev_t *e, int with_tenant) {
    int start = e->kind == K_START_OK || e->kind == K_START_FAIL || e->kind == K_START_SYS;
    sw_json_lit_cstr(b, "{\"actor\":{\"alternateId\":", e->aalt);
    sw_json_lit_cstr(b, ",\"detailEntry\":null,\"displayName\":", e->aname);
    sw_json_lit_cstr(b, ",\"id\":", e->aid);
    sw_json_lit_cstr(b, ",\"type\":", e->atype);
    W(b, "},\"authenticationContext\":{\"authenticationProvider\":");
    if (start || e->kind == K_VERIFY) W(b, "\"OKTA_AUTHENTICATION_PROVIDER\"");
    else if (e->kind == K_MFA || e->kind == K_PUSH_DENY) W(b, "\"FACTOR_PROVIDER\"");
    else W(b, "null");
    W(b, ",\"authenticationStep\":0,\"credentialProvider\":");
    if (start) W(b, "\"OKTA_CREDENTIAL_PROVIDER\",\"credentialType\":\"PASSWORD\"");
    else W(b, "null,\"credentialType\":null");
    W(b, ",\"externalSessionId\":");
    if (e->sess) sw_json_cstr(b, e->sess);
    else W(b, "null");
    W(b, ",\"interface\":null,\"issuer\":null},\"client\":");
    if (e->loc) {
        sw_json_lit_cstr(b, "{\"device\":", e->ua->device);
        W(b, ",\"geographicalContext\":");
        w_geo(b, e->loc);
        W(b, ",\"id\":null,\"ipAddress\":\"");
        sw_buf_puts(b, e->ip);
        sw_json_lit_cstr(b, "\",\"userAgent\":{\"browser\":", e->ua->browser);
        sw_json_lit_cstr(b, ",\"os\":", e->ua->os);
        sw_json_lit_cstr(b, ",\"rawUserAgent\":", e->ua->raw);
        W(b, "},\"zone\":\"null\"}");
    } else {
        W(b, "{\"device\":null,\"geographicalContext\":null,\"id\":null,\"ipAddress\":null,\"userAgent\":null,\"zone\":null}");
    }
    W(b, ",\"debugContext\":{\"debugData\":");
    w_debugdata(b, e);
    sw_json_lit_cstr(b, "},\"displayMessage\":", e->msg);
    sw_json_lit_cstr(b, ",\"eventType\":", e->etype);
    W(b, ",\"legacyEventType\":");
    if (e->legacy) sw_json_cstr(b, e->legacy);
    else W(b, "null");
    W(b, ",\"outcome\":{\"reason\":");
    if (e->reason) sw_json_cstr(b, e->reason);
    else W(b, "null");
    sw_json_lit_cstr(b, ",\"result\":", e->result);
    sw_json_lit_time(b, "},\"published\":", e->t);
    W(b, ",\"request\":{\"ipChain\":[");
    if (e->loc) {
        W(b, "{\"geographicalContext\":");
        w_geo(b, e->loc);
        W(b, ",\"ip\":\"");
        sw_buf_puts(b, e->ip);
        W(b, "\",\"source\":null,\"version\":\"V4\"}");
        if (e->chain2) {
            W(b, ",{\"geographicalContext\":");
            w_geo(b, e->loc);
            W(b, ",\"ip\":\"");
            sw_buf_puts(b, e->ip2);
            W(b, "\",\"source\":null,\"version\":\"V4\"}");
        }
    }
    W(b, "]},\"securityContext\":");
    if (e->loc) {
        sw_json_lit_int(b, "{\"asNumber\":", e->loc->asn);
        sw_json_lit_cstr(b, ",\"asOrg\":", e->loc->as_org);
        sw_json_lit_cstr(b, ",\"domain\":", e->loc->domain);
        W(b, ",\"isProxy\":");
        if (e->proxy) W(b, "true");
        else W(b, "false");
        sw_json_lit_cstr(b, ",\"isp\":", e->loc->isp);
        W(b, "}");
    } else {
        W(b, "{\"asNumber\":null,\"asOrg\":null,\"domain\":null,\"isProxy\":null,\"isp\":null}");
    }
    sw_json_lit_cstr(b, ",\"severity\":", e->severity);
    W(b, ",\"target\":");
    w_target(b, e);
    W(b, ",\"transaction\":{\"detail\":{},\"id\":\"");
    sw_buf_puts(b, e->req);
    W(b, "\",\"type\":");
    if (e->kind == K_APPUM || e->kind == K_SYSTEM) W(b, "\"JOB\"");
    else W(b, "\"WEB\"");
    W(b, "},\"uuid\":\"");
    char u[40];
    gen_fmt_uuid(u, mix64(e->idx ^ hash2(g->k, D_UUID)), hash3(g->k, D_UUID, e->idx));
    sw_buf_puts(b, u);
    W(b, "\",\"version\":\"0\"");
    if (with_tenant) gen_w_tenant_field(g, b, e->tenant);
    W(b, "}");
}

void gen_render_eventbridge(const gen_t *g, sw_buf *b, const ev_t *e) {
    char u[40], dtmp[64];
    gen_fmt_uuid(u, mix64(~e->idx ^ hash2(g->k, D_UUID)), hash3(g->k, D_UUID + 100, e->idx));
    W(b, "{\"version\":\"0\",\"id\":\"");
    sw_buf_puts(b, u);
    W(b, "\",\"detail-type\":\"SystemLog\",\"source\":\"aws.partner/okta.com/");
    sw_buf_puts(b, gen_tenant_domain(e->tenant, dtmp, sizeof dtmp));
    W(b, "/okta-system-log\",\"account\":\"123456789012\",\"time\":");
    gen_w_time_s(b, e->t);
    W(b, ",\"region\":\"us-east-1\",\"resources\":[],\"detail\":");
    gen_render_raw(g, b, e, 0);
    gen_w_tenant_field(g, b, e->tenant);
    W(b, "}");
}

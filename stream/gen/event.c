/* event.c -- what one ordinary record holds (gen_internal.h): its kind
 * (the event-type mix), its actor (a human or an Okta system principal),
 * its session, its client, and the request ids, targets and URLs around
 * them.
 *
 * The session choice keeps the ground-truth contract of gen.h: a human has
 * a current session c and, once it has started a second one, a previous
 * session c-1.  A user.session.start reuses c or c-1, or starts session
 * c+1, which retires c-1; starting c+1 is only allowed when the last use
 * of c-1 is more than GUARD_MS (38 min) before the record's base time.
 * Record base times never decrease and a published time is at most 2
 * minutes before its base time (gen.c), so any use of a session and any
 * use of the session two or more after it are more than 36 minutes apart:
 * no 35-minute window ever holds 3 distinct sessions of an honest user.
 * The per-human state this needs is the 12-byte ustate (times in seconds,
 * rounded up so the guard stays safe). */
#include "gen_internal.h"

#include <stdio.h>
#include <string.h>

/* Share of user.session.start records from excluded system actors, and of
 * failed human sign-ins. */
#define SYS_START_SHARE 0.01
#define FAIL_START_SHARE 0.07
/* Probability that a human session start opens a new session when allowed,
 * and that it reuses the previous (second) session instead of the current. */
#define P_NEW_SESSION 0.25
#define P_PREV_SESSION 0.2
#define GUARD_MS (38 * 60000LL)

static const struct {
    const char *type, *msg, *legacy;
} KINFO[K_COUNT] = {
    [K_START_OK] = {"user.session.start", "User login to Okta", "core.user_auth.login_success"},
    [K_START_FAIL] = {"user.session.start", "User login to Okta", "core.user_auth.login_failed"},
    [K_START_SYS] = {"user.session.start", "User login to Okta", "core.user_auth.login_success"},
    [K_POLICY] = {"policy.evaluate_sign_on", "Evaluation of sign-on policy", NULL},
    [K_SSO] = {"user.authentication.sso", "User single sign on to app", "app.auth.sso"},
    [K_VERIFY] = {"user.authentication.verify", "Verify user identity", NULL},
    [K_END] = {"user.session.end", "User logout from Okta", "core.user_auth.logout_success"},
    [K_MFA] = {"user.authentication.auth_via_mfa", "Authentication of user via MFA", "core.user.factor.attempt_success"},
    [K_APPUM] = {"app.user_management", "Successfully imported new member to an app group", "app.user_management.app_group_member_import.insert_success"},
    [K_SYSTEM] = {"system.org.rate_limit.warning", "Rate limit warning", NULL},
    [K_GROUPADD] = {"group.user_membership.add", "Add user to group membership", "core.user_group_member.user_add"},
    [K_PROFILE] = {"user.account.update_profile", "Update user profile for Okta", "core.user.config.profile_update_success"},
    [K_TOKEN] = {"app.oauth2.token.grant.access_token", "OAuth2 access token is granted", NULL},
    [K_PUSH_DENY] = {"user.mfa.okta_verify.deny_push", "User rejected Okta push verify", NULL},
};

/* Mix of the records that are not user.session.start, per mille. */
static const struct {
    int kind, weight;
} OTHER_MIX[] = {
    {K_POLICY, 130}, {K_SSO, 160}, {K_VERIFY, 60}, {K_END, 120}, {K_MFA, 60}, {K_APPUM, 100},
    {K_SYSTEM, 230}, {K_GROUPADD, 60}, {K_PROFILE, 30}, {K_TOKEN, 40}, {K_PUSH_DENY, 10},
};

static uint32_t st_enc(const gen_t *g, int64_t t) {
    int64_t d = t - (g->o.start_ms - 3600000);
    if (d <= 0) return 0;
    int64_t s = (d + 999) / 1000;
    return s > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

static int64_t st_dec(const gen_t *g, uint32_t s) { return g->o.start_ms - 3600000 + (int64_t)s * 1000; }

/* Request ids look like "XkccyyMli2Uay2I93ZgRzQAAB0c". */
static void request_id(char *dst, uint64_t h) {
    gen_rstr(dst, 22, h, 62);
    memcpy(dst + 22, "AAA", 3);
    gen_rstr(dst + 25, 2, h ^ 0x77, 62);
}

/* Kind-specific URIs and URLs (SAML requests vary the record size).  The
 * URL is the URI and a query. */
static void fill_urls(const gen_t *g, ev_t *e, rng_t *r) {
    const app_t *A = &gen_apps[e->app];
    const char *query = "?";
    char q[400];
    (void)g;
    switch (e->kind) {
    case K_START_OK:
    case K_START_FAIL:
    case K_POLICY:
        snprintf(e->uri, sizeof e->uri, "%s", (e->h >> 23) & 1 ? "/idp/idx/identify" : "/api/v1/authn");
        break;
    case K_START_SYS:
        snprintf(e->uri, sizeof e->uri, "/api/v1/sessions");
        query = "?additionalFields=cookieToken";
        break;
    case K_VERIFY:
    case K_PUSH_DENY:
        snprintf(e->uri, sizeof e->uri, "/idp/idx/authenticators/poll");
        break;
    case K_MFA:
        snprintf(e->uri, sizeof e->uri, "/api/v1/authn/factors/%s/verify", e->tid1);
        query = "?autoPush=true&rememberDevice=false";
        break;
    case K_END:
        snprintf(e->uri, sizeof e->uri, "/login/signout");
        query = (e->h >> 24) & 1 ? "?message=login_page_messages.session_has_expired" : "?fromURI=%2Fapp%2FUserHome";
        break;
    case K_SSO:
        snprintf(e->uri, sizeof e->uri, "/app/%s/%s/sso/saml", A->slug, e->appid);
        if (e->o_sp) { /* SP-initiated: carries the SAML request */
            char req[300], relay[32];
            /* The seed before the length: one order on every compiler. */
            uint64_t h = rnd(r);
            gen_rstr(req, 60 + (int)rnd_below(r, 240), h, 62);
            h = rnd(r);
            gen_rstr(relay, 8 + (int)rnd_below(r, 24), h, 62);
            snprintf(q, sizeof q, "?SAMLRequest=%s%%3D&RelayState=%s", req, relay);
            query = q;
        }
        break;
    case K_GROUPADD:
        snprintf(e->uri, sizeof e->uri, "/api/v1/groups/%s/users/%s", e->tid2, e->hu->id);
        break;
    case K_PROFILE:
        snprintf(e->uri, sizeof e->uri, "/api/v1/users/%s", e->hu->id);
        query = "?strict=true";
        break;
    case K_TOKEN:
        snprintf(e->uri, sizeof e->uri, "/oauth2/v1/token");
        break;
    case K_SYSTEM:
        snprintf(e->uri, sizeof e->uri, "/api/v1/users");
        snprintf(q, sizeof q, "?limit=200&after=%s", e->tid1);
        query = q;
        break;
    default:
        snprintf(e->uri, sizeof e->uri, "/api/v1/internal");
    }
    snprintf(e->url, sizeof e->url, "%s%s", e->uri, query);
}

void gen_fill_common(const gen_t *g, ev_t *e, rng_t *r) {
    e->h = rnd(r);
    e->etype = KINFO[e->kind].type;
    e->msg = KINFO[e->kind].msg;
    e->legacy = KINFO[e->kind].legacy;
    e->result = "SUCCESS";
    e->reason = NULL;
    e->severity = "INFO";
    request_id(e->req, e->h);
    request_id(e->authn, e->h ^ 0xa5a5);
    gen_rhex(e->dthash, 64, e->h ^ 0x1234);
    e->app = (int)((e->h >> 28) % gen_n_apps);
    gen_okta_id(e->appid, "0oa", hash3(g->k, D_APP, (uint64_t)e->tenant * 64 + (uint64_t)e->app));
    gen_okta_id(e->tid1, e->kind == K_POLICY ? "00p" : e->kind == K_SSO ? "0ua" : e->kind == K_MFA ? "pfd" : "lae",
            e->kind == K_POLICY ? hash3(g->k, D_POLICY, e->tenant) : e->h ^ 0x9999);
    gen_okta_id(e->tid2, e->kind == K_POLICY ? "0pr" : "00g",
            hash3(g->k, D_GROUP, (uint64_t)e->tenant * 64 + (e->kind == K_POLICY ? 63 : (e->h >> 17) % gen_n_groups)));
    int k = e->kind, start = k == K_START_OK || k == K_START_FAIL || k == K_START_SYS;
    e->chain2 = e->loc && (e->h >> 40) % 100 < 4;
    e->o_logonly = (start || k == K_VERIFY) && (e->h >> 3) % 100 < 8;
    e->o_behav = k == K_VERIFY || (start && (e->h >> 5) % 3 == 0) || (k == K_POLICY && (e->h >> 5) % 5 == 0);
    e->o_dth = (start || k == K_VERIFY) && (e->h >> 6) % 3 == 0;
    e->o_sp = k == K_SSO && (e->h >> 33) % 5 == 0;
    e->o_tgt = k == K_START_OK && (e->h >> 11) % 10 < 3;
    e->ip2[0] = '\0';
    if (e->chain2) {
        unsigned char ip2[4] = {(unsigned char)(10 + (e->h >> 44) % 5), (unsigned char)((e->h >> 48) % 250),
                                (unsigned char)((e->h >> 52) % 250), 1};
        gen_fmt_ip(e->ip2, ip2);
    }
    switch (e->kind) {
    case K_START_FAIL:
        e->result = "FAILURE";
        e->reason = (e->h >> 30) % 4 == 0 ? "VERIFICATION_ERROR" : "INVALID_CREDENTIALS";
        e->severity = "WARN";
        break;
    case K_POLICY:
        if ((e->h >> 30) % 10 == 0) {
            e->result = "CHALLENGE";
            e->reason = "Sign-on policy evaluation resulted in CHALLENGE";
        } else {
            e->result = "ALLOW";
            e->reason = "Sign-on policy evaluation resulted in ALLOW";
        }
        break;
    case K_VERIFY:
        if ((e->h >> 30) % 20 == 0) {
            e->result = "FAILURE";
            e->reason = "INVALID_CREDENTIALS";
            e->severity = "WARN";
        }
        break;
    case K_PUSH_DENY:
        e->result = "FAILURE";
        e->reason = "User rejected Okta push verify";
        e->severity = "WARN";
        break;
    case K_SYSTEM: {
        static const char *const types[][2] = {
            {"system.org.rate_limit.warning", "Rate limit warning"},
            {"system.import.complete", "Import completed"},
            {"system.agent.ad.read_dirsync", "Read AD DirSync results"},
        };
        unsigned v = (unsigned)((e->h >> 30) % 3);
        e->etype = types[v][0];
        e->msg = types[v][1];
        break;
    }
    default:
        break;
    }
    fill_urls(g, e, r);
}

void gen_set_client(ev_t *e, const loc_t *L, const ua_t *ua, const unsigned char ip[4], int proxy,
                       uint64_t fp_hash) {
    e->loc = L;
    e->ua = ua;
    gen_fmt_ip(e->ip, ip);
    e->proxy = proxy;
    gen_rhex(e->fp, 32, fp_hash);
}

static int pick_other_kind(rng_t *r) {
    int v = (int)rnd_below(r, 1000);
    for (size_t i = 0; i < sizeof OTHER_MIX / sizeof OTHER_MIX[0]; i++) {
        if (v < OTHER_MIX[i].weight) return OTHER_MIX[i].kind;
        v -= OTHER_MIX[i].weight;
    }
    return K_SSO;
}

/* One ordinary (non-attack) record for time base / t. */
void gen_make_ordinary(gen_t *g, rng_t *r, ev_t *e, human_t *hu, sysactor_t *sa, char *sess,
                          int64_t base) {
    int kind;
    if (rnd_unit(r) < g->o.session_start_share) {
        double v = rnd_unit(r);
        kind = v < SYS_START_SHARE ? K_START_SYS : v < SYS_START_SHARE + FAIL_START_SHARE ? K_START_FAIL : K_START_OK;
    } else {
        kind = pick_other_kind(r);
    }
    e->kind = kind;
    uint64_t u = rnd_below(r, g->nhumans);
    e->tenant = (uint32_t)(u / g->o.users);
    gen_make_human(g, e->tenant, u % g->o.users, hu);
    e->hu = hu;
    e->loc = NULL;
    e->sess = NULL;

    if (kind == K_START_SYS || kind == K_APPUM || kind == K_SYSTEM || kind == K_GROUPADD) {
        /* System principal; the human is only the target. */
        int which = kind == K_START_SYS ? 1 + (int)rnd_below(r, 2) : (rnd_unit(r) < 0.85 ? 0 : 1 + (int)rnd_below(r, 2));
        gen_make_sysactor(g, e->tenant, which, sa);
        e->aid = sa->id;
        e->aname = sa->name;
        e->aalt = sa->alt;
        e->atype = "SystemPrincipal";
        if (kind == K_START_SYS) { /* a fresh session every time */
            gen_session_id(sess, hash3(g->k, D_SYSSESS, e->idx));
            e->sess = sess;
        }
        return;
    }

    e->aid = hu->id;
    e->aname = hu->display;
    e->aalt = hu->email;
    e->atype = "User";
    ustate *st = &g->st[u];
    uint32_t idx = st->cur;
    uint32_t t = st_enc(g, e->t);
    if (kind == K_START_OK) {
        int can_new = idx == 0 || base - st_dec(g, st->last_prev) > GUARD_MS;
        double v = rnd_unit(r);
        if (can_new && v < P_NEW_SESSION) {
            st->last_prev = st->last_cur;
            st->cur = ++idx;
            st->last_cur = t;
        } else if (idx >= 1 && v > 1.0 - P_PREV_SESSION) {
            idx--;
            if (t > st->last_prev) st->last_prev = t;
        } else if (t > st->last_cur) {
            st->last_cur = t;
        }
        gen_human_session(g, hu->ukey, idx, sess);
        e->sess = sess;
    } else if (kind == K_START_FAIL) {
        if (rnd_unit(r) < 0.5) {
            gen_human_session(g, hu->ukey, idx, sess);
            e->sess = sess;
            if (t > st->last_cur) st->last_cur = t;
        }
    } else {
        if (idx >= 1 && rnd_unit(r) < P_PREV_SESSION) idx--;
        gen_human_session(g, hu->ukey, idx, sess);
        e->sess = sess;
    }
    int dn = gen_session_device(g, hu, idx);
    const device_t *d = &hu->dev[dn];
    gen_set_client(e, &gen_home[d->loc], &gen_uas[d->ua], d->ip, 0, hash3(g->k, D_DEVICE, hu->ukey * 4 + (uint64_t)dn) ^ 0xf00d);
    /* Now and then Okta's risk engine flags a known user anyway. */
    if (rnd_unit(r) < 0.03) {
        e->newthings = 1 << (int)rnd_below(r, 7);
        e->risk = rnd_unit(r) < 0.2 ? 1 : 0;
    }
}

/* gen.c -- deterministic synthetic Okta System Log traffic (see gen.h).
 *
 * This file owns the synthetic workload that benchmarks and tests run on:
 * realistic LogEvent records (key order and field shapes copied from real
 * Okta records in the Elastic fixtures), a realistic event-type mix, human
 * users with 1-3 stable devices, Okta system principals, failed sign-ins,
 * out-of-order arrivals, and injected stolen-cookie attacks whose ground
 * truth is written beside the records.  It exists so that every benchmark and
 * test gets the same bytes for the same options on every machine: all
 * randomness comes from a splitmix64 generator seeded from the options (no
 * rand(), no clock), times are formatted by timefmt.h (not the C library's
 * time zone code), strings are escaped by jsonw.h's sw_json_str like every
 * other JSON the project writes, and the only heap allocations are made per
 * run (per-user session state, the attack schedule and one record sw_buf,
 * which grows over the first records and is then reused), never per record.
 *
 * How the ground truth is kept (gen.h states the contract):
 *   - a human user has a current session c and, once it has started a second
 *     one, a previous session c-1.  A user.session.start reuses c or c-1, or
 *     starts session c+1, which retires c-1.  Starting c+1 is only allowed
 *     when the last use of c-1 is more than GUARD_MS (38 min) before the
 *     record's base time.  Record base times never decrease and a published
 *     time is at most 2 minutes before its base time, so any use of a session
 *     and any use of the session two or more after it are more than 36
 *     minutes apart: no 35-minute window ever holds 3 distinct sessions.
 *   - attack events have their own session ids, never touch that state, and
 *     are emitted in place of ordinary records when they fall due. */
#include "gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "timefmt.h"

/* ------------------------------------------------------------------ */
/* Randomness                                                          */

static uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t hash2(uint64_t a, uint64_t b) { return mix64(a ^ mix64(b ^ 0x632be59bd9b4e019ULL)); }
static uint64_t hash3(uint64_t a, uint64_t b, uint64_t c) { return hash2(hash2(a, b), c); }

typedef struct {
    uint64_t s;
} rng_t;

static uint64_t rnd(rng_t *r) {
    r->s += 0x9e3779b97f4a7c15ULL;
    uint64_t z = r->s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0.  The modulo bias is below 2^-40 for the small
 * n used here. */
static uint64_t rnd_below(rng_t *r, uint64_t n) { return rnd(r) % n; }
static double rnd_unit(rng_t *r) { return (double)(rnd(r) >> 11) * 0x1p-53; }

/* Domain separators for hashes. */
enum {
    D_USER = 1, D_USER_ID, D_SESSION, D_DEVICE, D_SYSACTOR, D_SYSSESS, D_ATTACK, D_ATTSESS,
    D_APP, D_UUID, D_POLICY, D_GROUP, D_SESSDEV
};

/* ------------------------------------------------------------------ */
/* Output: jsonw.h's sw_buf and JSON writers, timefmt.h's times          */

/* A string literal. */
#define W(b, lit) sw_buf_put((b), (lit), sizeof(lit) - 1)

/* A URL as a JSON string, with '&' written as \u0026 the way Okta does. */
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
static void w_time_s(sw_buf *b, int64_t ms) {
    char t[32];
    sw_time_format(ms, t); /* "2026-01-05T08:00:00.000Z" */
    t[19] = 'Z';
    sw_buf_putc(b, '"');
    sw_buf_put(b, t, 20);
    sw_buf_putc(b, '"');
}

static const char HEX[] = "0123456789abcdef";

static const char B64U[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

/* n characters from alphabet B64U[0..alen) driven by h (NUL-terminated). */
static void rstr(char *dst, int n, uint64_t h, int alen) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (i % 8 == 0) v = h = mix64(h + (uint64_t)i);
        dst[i] = B64U[v % (uint64_t)alen];
        v /= (uint64_t)alen;
    }
    dst[n] = '\0';
}

static void rhex(char *dst, int n, uint64_t h) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (i % 16 == 0) v = h = mix64(h + (uint64_t)i);
        dst[i] = HEX[v & 15];
        v >>= 4;
    }
    dst[n] = '\0';
}

/* Okta-style id: prefix then base62 characters, 20 chars in all. */
static void okta_id(char *dst, const char *prefix, uint64_t h) {
    size_t pl = strlen(prefix);
    memcpy(dst, prefix, pl);
    rstr(dst + pl, (int)(20 - pl), h, 62);
}

/* 36-char uuid (v1 layout) that encodes all 64 bits of a, so distinct a give
 * distinct uuids; b fills the rest. */
static void fmt_uuid(char *dst, uint64_t a, uint64_t b) {
    char *p = dst;
    for (int i = 60; i >= 32; i -= 4) *p++ = HEX[(a >> i) & 15];
    *p++ = '-';
    for (int i = 28; i >= 16; i -= 4) *p++ = HEX[(a >> i) & 15];
    *p++ = '-';
    *p++ = '1';
    for (int i = 12; i >= 4; i -= 4) *p++ = HEX[(a >> i) & 15];
    *p++ = '-';
    unsigned clk = 0x8000u | (unsigned)((a & 15) << 10) | (unsigned)((b >> 50) & 0x3ff);
    for (int i = 12; i >= 0; i -= 4) *p++ = HEX[(clk >> i) & 15];
    *p++ = '-';
    for (int i = 44; i >= 0; i -= 4) *p++ = HEX[(b >> i) & 15];
    *p = '\0';
}

/* ------------------------------------------------------------------ */
/* Static world                                                        */

typedef struct {
    const char *city, *state, *country, *postal, *lat, *lon;
    unsigned char ip0, ip1;
    unsigned asn;
    const char *as_org, *domain, *isp;
    int proxy;
} loc_t;

static const loc_t HOME[] = {
    {"San Francisco", "California", "United States", "94107", "37.7642", "-122.3993", 104, 28, 7922, "comcast", "comcast.net", "comcast", 0},
    {"New York", "New York", "United States", "10001", "40.7506", "-73.9972", 72, 229, 701, "verizon business", "verizon.net", "verizon", 0},
    {"Seattle", "Washington", "United States", "98101", "47.6114", "-122.3305", 73, 97, 7922, "comcast", "comcast.net", "comcast", 0},
    {"Austin", "Texas", "United States", "78701", "30.2713", "-97.7426", 70, 113, 7018, "at&t services, inc.", "att.net", "at&t", 0},
    {"Chicago", "Illinois", "United States", "60601", "41.8858", "-87.6181", 98, 226, 7922, "comcast", "comcast.net", "comcast", 0},
    {"Boston", "Massachusetts", "United States", "02110", "42.3572", "-71.0537", 108, 7, 701, "verizon business", "verizon.net", "verizon", 0},
    {"Denver", "Colorado", "United States", "80202", "39.7525", "-104.9995", 67, 172, 209, "centurylink", "centurylink.net", "lumen", 0},
    {"Dublin", "California", "United States", "94568", "37.7201", "-121.919", 175, 16, 7922, "comcast", "comcast.net", "comcast", 0},
    {"London", "England", "United Kingdom", "EC1A", "51.5164", "-0.093", 81, 2, 2856, "british telecommunications plc", "bt.com", "bt", 0},
    {"Berlin", "Land Berlin", "Germany", "10115", "52.5323", "13.3846", 89, 160, 3320, "deutsche telekom ag", "telekom.de", "deutsche telekom", 0},
    {"Toronto", "Ontario", "Canada", "M5H", "43.6547", "-79.3623", 99, 224, 812, "rogers communications canada inc.", "rogers.com", "rogers", 0},
    {"Bengaluru", "Karnataka", "India", "560001", "12.9634", "77.5855", 49, 207, 24560, "bharti airtel ltd.", "airtel.in", "airtel", 0},
    {"Tokyo", "Tokyo", "Japan", "100-0001", "35.6893", "139.6899", 126, 3, 2516, "kddi corporation", "kddi.com", "kddi", 0},
    {"Sydney", "New South Wales", "Australia", "2000", "-33.8715", "151.2006", 1, 128, 1221, "telstra corporation", "telstra.com.au", "telstra", 0},
    {"Dublin", "Leinster", "Ireland", "D02", "53.3379", "-6.2591", 86, 40, 5466, "eircom", "eir.ie", "eir", 0},
    {"Munich", "Bavaria", "Germany", "80331", "48.1374", "11.5755", 91, 64, 3320, "deutsche telekom ag", "telekom.de", "deutsche telekom", 0},
};
#define N_HOME (sizeof HOME / sizeof HOME[0])

/* Countries none of the home locations use. */
static const loc_t AWAY[] = {
    {"Lagos", "Lagos", "Nigeria", "100001", "6.4474", "3.3903", 102, 89, 37148, "globacom limited", "gloworld.com", "globacom", 0},
    {"Moscow", "Moscow", "Russia", "101000", "55.7522", "37.6156", 95, 165, 12389, "rostelecom", "rt.ru", "rostelecom", 0},
    {"Hanoi", "Hanoi", "Vietnam", "100000", "21.0245", "105.8412", 14, 160, 45899, "vnpt corp", "vnpt.vn", "vnpt", 0},
    {"São Paulo", "São Paulo", "Brazil", "01000-000", "-23.5475", "-46.6361", 177, 32, 28573, "claro nxt telecomunicacoes ltda", "claro.com.br", "claro", 0},
    {"Bucharest", "București", "Romania", "010011", "44.4323", "26.1063", 86, 120, 8708, "rcs & rds", "rcs-rds.ro", "rcs & rds", 0},
    {"Amsterdam", "North Holland", "Netherlands", "1012", "52.374", "4.8897", 185, 107, 9009, "m247 europe srl", "m247.com", "m247", 1},
    {"Singapore", "Singapore", "Singapore", "018989", "1.2897", "103.8501", 45, 32, 14061, "digitalocean, llc", "digitalocean.com", "digitalocean", 1},
    {"Jakarta", "Jakarta", "Indonesia", "10110", "-6.2146", "106.8451", 36, 73, 7713, "pt telekomunikasi indonesia", "telkom.co.id", "telkom", 0},
};
#define N_AWAY (sizeof AWAY / sizeof AWAY[0])

typedef struct {
    const char *raw, *browser, *os, *device;
} ua_t;

/* 0..6 desktop, 7..10 mobile/tablet. */
static const ua_t UAS[] = {
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "CHROME", "Windows 10", "Computer"},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "CHROME", "Mac OS X", "Computer"},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0", "FIREFOX", "Mac OS X", "Computer"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "FIREFOX", "Windows 10", "Computer"},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "SAFARI", "Mac OS X", "Computer"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "EDGE_CHROMIUM", "Windows 10", "Computer"},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "CHROME", "Linux", "Computer"},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "SAFARI", "iOS", "Mobile"},
    {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36", "CHROME", "Android", "Mobile"},
    {"OktaVerify/9.30.0 (iPhone; iOS 18.1.1; Scale/3.00) DeviceSDK/1.6.0", "UNKNOWN", "iOS", "Mobile"},
    {"Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1", "SAFARI", "iOS", "Tablet"},
};
#define N_DESKTOP_UA 7
#define N_UA (sizeof UAS / sizeof UAS[0])

/* User agents no human device uses. */
static const ua_t ATTACK_UAS[] = {
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36", "CHROME", "Linux", "Computer"},
    {"python-requests/2.32.3", "UNKNOWN", "Unknown", "Unknown"},
    {"Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0", "FIREFOX", "Windows 7", "Computer"},
    {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "FIREFOX", "Linux", "Computer"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.5993.88 Safari/537.36 OPR/104.0.0.0", "OPERA", "Windows 10", "Computer"},
};
#define N_ATTACK_UA (sizeof ATTACK_UAS / sizeof ATTACK_UAS[0])

typedef struct {
    const char *display, *mail;
} name_t;

static const name_t FIRST[] = {
    {"James", "james"}, {"Mary", "mary"}, {"Robert", "robert"}, {"Patricia", "patricia"},
    {"Wei", "wei"}, {"Priya", "priya"}, {"José", "jose"}, {"Zoë", "zoe"},
    {"Søren", "soren"}, {"Łukasz", "lukasz"}, {"Ngozi", "ngozi"}, {"Aiko", "aiko"},
    {"François", "francois"}, {"Renée", "renee"}, {"Mohammed", "mohammed"}, {"Fatima", "fatima"},
    {"Olivia", "olivia"}, {"Liam", "liam"}, {"Emma", "emma"}, {"Noah", "noah"},
    {"Sofia", "sofia"}, {"Mateo", "mateo"}, {"Hannah", "hannah"}, {"Dmitri", "dmitri"},
    {"Ana", "ana"}, {"Kwame", "kwame"}, {"Ingrid", "ingrid"}, {"Rahul", "rahul"},
    {"Chloé", "chloe"}, {"Jamal", "jamal"}, {"Yuki", "yuki"}, {"Grace", "grace"},
};
static const name_t LAST[] = {
    {"Smith", "smith"}, {"Johnson", "johnson"}, {"Garcia", "garcia"}, {"Müller", "muller"},
    {"Nguyen", "nguyen"}, {"Patel", "patel"}, {"O'Brien", "obrien"}, {"Kowalski", "kowalski"},
    {"Okafor", "okafor"}, {"Tanaka", "tanaka"}, {"Rossi", "rossi"}, {"Dubois", "dubois"},
    {"Andersson", "andersson"}, {"Kim", "kim"}, {"Chen", "chen"}, {"Hernández", "hernandez"},
    {"Silva", "silva"}, {"Cohen", "cohen"}, {"Ivanova", "ivanova"}, {"Murphy", "murphy"},
    {"Schmidt", "schmidt"}, {"Singh", "singh"}, {"Lopez", "lopez"}, {"Williams", "williams"},
    {"Brown", "brown"}, {"Jones", "jones"}, {"Martin", "martin"}, {"Lee", "lee"},
    {"Walker", "walker"}, {"Young", "young"}, {"Nuñez", "nunez"}, {"Larsen", "larsen"},
};
#define N_FIRST (sizeof FIRST / sizeof FIRST[0])
#define N_LAST (sizeof LAST / sizeof LAST[0])

static const char *const DOMAINS[] = {
    "acme-corp.com", "globex.io", "initech.net", "umbrella.co",
    "hooli.xyz", "vandelay-industries.com", "wonka.io", "stark-industries.com",
};
#define N_DOMAINS (sizeof DOMAINS / sizeof DOMAINS[0])

typedef struct {
    const char *label, *slug, *mode;
} app_t;

static const app_t APPS[] = {
    {"Salesforce.com", "salesforce", "SAML_2_0"},
    {"Slack", "slack", "SAML_2_0"},
    {"Zoom", "zoomus", "SAML_2_0"},
    {"GitHub Enterprise Cloud - Organization", "githubcloud", "SAML_2_0"},
    {"Workday", "workday", "SAML_2_0"},
    {"Google Workspace", "google", "SAML_2_0"},
    {"AWS IAM Identity Center", "amazon_aws_sso", "SAML_2_0"},
    {"Atlassian Cloud", "atlassian", "SAML_2_0"},
    {"Box", "boxnet", "SAML_2_0"},
    {"ServiceNow UD", "servicenow_ud", "SAML_2_0"},
    {"Microsoft Office 365", "office365", "WS_FEDERATION"},
    {"Tableau Cloud", "tableauonline", "SAML_2_0"},
    {"Okta Dashboard", "okta_enduser", "OPENID_CONNECT"},
};
#define N_APPS (sizeof APPS / sizeof APPS[0])

static const char *const GROUPS[] = {"Engineering", "Sales", "Finance", "All Employees", "Contractors", "VPN Users"};
#define N_GROUPS (sizeof GROUPS / sizeof GROUPS[0])

/* ------------------------------------------------------------------ */
/* Event kinds                                                          */

enum {
    K_START_OK, K_START_FAIL, K_START_SYS, K_POLICY, K_SSO, K_VERIFY, K_END, K_MFA,
    K_APPUM, K_SYSTEM, K_GROUPADD, K_PROFILE, K_TOKEN, K_PUSH_DENY, K_COUNT
};

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

/* Share of user.session.start records from excluded system actors, and of
 * failed human sign-ins. */
#define SYS_START_SHARE 0.01
#define FAIL_START_SHARE 0.07
/* Probability that a human session start opens a new session when allowed,
 * and that it reuses the previous (second) session instead of the current. */
#define P_NEW_SESSION 0.25
#define P_PREV_SESSION 0.2
#define OOO_SHARE 0.01
#define OOO_MAX_MS 120000
#define GUARD_MS (38 * 60000LL)
#define ATTACK_SPAN_MS (20 * 60000LL)
/* Raw records longer than this lose their optional parts. */
#define MAX_RAW_BYTES 2560

/* ------------------------------------------------------------------ */
/* Run state                                                            */

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

static uint32_t st_enc(const gen_t *g, int64_t t) {
    int64_t d = t - (g->o.start_ms - 3600000);
    if (d <= 0) return 0;
    int64_t s = (d + 999) / 1000;
    return s > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

static int64_t st_dec(const gen_t *g, uint32_t s) { return g->o.start_ms - 3600000 + (int64_t)s * 1000; }

static uint64_t human_key(uint32_t tenant, uint64_t user) { return ((uint64_t)tenant << 40) | user; }

static const char *tenant_domain(uint32_t tenant, char *tmp, size_t cap) {
    if (tenant < N_DOMAINS) return DOMAINS[tenant];
    snprintf(tmp, cap, "t%u.%s", (unsigned)tenant, DOMAINS[tenant % N_DOMAINS]);
    return tmp;
}

static void make_human(const gen_t *g, uint32_t tenant, uint64_t user, human_t *h) {
    uint64_t key = human_key(tenant, user);
    uint64_t hh = hash3(g->k, D_USER, key);
    h->ukey = key;
    /* "00u" + 11 base62 digits of a bijection of the key (unique) + 6 more. */
    uint64_t v = mix64(key ^ hash2(g->k, D_USER_ID));
    memcpy(h->id, "00u", 3);
    for (int i = 0; i < 11; i++) {
        h->id[3 + i] = B64U[v % 62];
        v /= 62;
    }
    rstr(h->id + 14, 6, hh ^ 0x55, 62);
    const name_t *f = &FIRST[hh % N_FIRST];
    const name_t *l = &LAST[(hh >> 8) % N_LAST];
    unsigned style = (unsigned)((hh >> 16) % 1000);
    char dtmp[64];
    const char *dom = tenant_domain(tenant, dtmp, sizeof dtmp);
    if (style < 10) /* "Last, First" */
        snprintf(h->display, sizeof h->display, "%s, %s", l->display, f->display);
    else if (style < 20) /* nickname in quotes: needs escaping */
        snprintf(h->display, sizeof h->display, "%s \"%s\" %s", f->display, FIRST[(hh >> 24) % N_FIRST].display,
                 l->display);
    else
        snprintf(h->display, sizeof h->display, "%s %s", f->display, l->display);
    if (style >= 20 && style < 30) /* AD-style login: a backslash */
        snprintf(h->email, sizeof h->email, "CORP\\%.1s%s%u", f->mail, l->mail, (unsigned)(user % 97));
    else if (user >= N_FIRST * N_LAST) /* namesakes */
        snprintf(h->email, sizeof h->email, "%s.%s%llu@%s", f->mail, l->mail,
                 (unsigned long long)(user / (N_FIRST * N_LAST)), dom);
    else
        snprintf(h->email, sizeof h->email, "%s.%s@%s", f->mail, l->mail, dom);
    unsigned nd = (unsigned)((hh >> 32) % 100);
    h->ndev = nd < 45 ? 1 : nd < 85 ? 2 : 3;
    int home = (int)((hh >> 40) % N_HOME);
    for (int d = 0; d < h->ndev; d++) {
        uint64_t dh = hash3(g->k, D_DEVICE, key * 4 + (uint64_t)d);
        device_t *dv = &h->dev[d];
        dv->loc = (d == 0 || dh % 100 < 70) ? home : (int)((dh >> 8) % N_HOME);
        if (d == 1) dv->ua = N_DESKTOP_UA + (int)((dh >> 16) % (N_UA - N_DESKTOP_UA));
        else dv->ua = (int)((dh >> 16) % N_DESKTOP_UA);
        const loc_t *L = &HOME[dv->loc];
        dv->ip[0] = L->ip0;
        dv->ip[1] = L->ip1;
        dv->ip[2] = (unsigned char)((dh >> 24) % 254 + 1);
        dv->ip[3] = (unsigned char)((dh >> 32) % 254 + 1);
    }
}

static void fmt_ip(char dst[16], const unsigned char ip[4]) {
    snprintf(dst, 16, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
}

static void session_id(char *dst, uint64_t h) {
    memcpy(dst, "102", 3);
    rstr(dst + 3, 22, h, 64);
}

static void human_session(const gen_t *g, uint64_t ukey, uint32_t idx, char *dst) {
    session_id(dst, hash3(g->k, D_SESSION, hash2(ukey, idx)));
}

static int session_device(const gen_t *g, const human_t *h, uint32_t idx) {
    return (int)(hash3(g->k, D_SESSDEV, hash2(h->ukey, idx)) % (uint64_t)h->ndev);
}

static void attack_session(const gen_t *g, size_t a, unsigned j, char *dst) {
    session_id(dst, hash3(g->k, D_ATTSESS, (uint64_t)a * 8 + j));
}

/* System actors per tenant: 0 "Okta System" (spr..., not excluded by the
 * case-sensitive rule, never starts sessions); 1 id "okta..." and 2 display
 * name "okta_system": both excluded, both start fresh sessions. */
typedef struct {
    char id[24];
    const char *name, *alt;
} sysactor_t;

static void make_sysactor(const gen_t *g, uint32_t tenant, int which, sysactor_t *s) {
    uint64_t h = hash3(g->k, D_SYSACTOR, (uint64_t)tenant * 4 + (uint64_t)which);
    if (which == 1) {
        okta_id(s->id, "okta", h);
        s->name = "Okta System";
        s->alt = "system@okta.com";
    } else {
        okta_id(s->id, "spr", h);
        s->name = which == 0 ? "Okta System" : "okta_system";
        s->alt = which == 0 ? "system@okta.com" : "okta_system@okta.com";
    }
}

/* ------------------------------------------------------------------ */
/* Rendering                                                            */

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
    W(b, "},\"network\":{\"asNumber\":");
    sw_json_int(b, e->loc ? e->loc->asn : 0);
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
    W(b, "{\"city\":");
    sw_json_cstr(b, L->city);
    W(b, ",\"country\":");
    sw_json_cstr(b, L->country);
    W(b, ",\"geolocation\":{\"lat\":");
    sw_buf_puts(b, L->lat);
    W(b, ",\"lon\":");
    sw_buf_puts(b, L->lon);
    W(b, "},\"postalCode\":");
    sw_json_cstr(b, L->postal);
    W(b, ",\"state\":");
    sw_json_cstr(b, L->state);
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
            W(b, "\",\"totalUsersScanned\":\"");
            sw_json_int(b, (int64_t)(100 + (e->h >> 9) % 9000));
            W(b, "\"}");
            return;
        }
        if (strcmp(e->etype, "system.agent.ad.read_dirsync") == 0) {
            W(b, "\"agentId\":\"");
            sw_buf_puts(b, e->tid2);
            W(b, "\",\"agentVersion\":\"3.18.0.0\",\"changeType\":\"INCREMENTAL");
            W(b, "\",\"changesCount\":\"");
            sw_json_int(b, (int64_t)((e->h >> 9) % 200));
            W(b, "\",\"requestId\":\"");
            sw_buf_puts(b, e->req);
            W(b, "\",\"syncDurationMs\":\"");
            sw_json_int(b, (int64_t)(50 + (e->h >> 21) % 5000));
            W(b, "\"}");
            return;
        }
        W(b, "\"operationRateLimitScopeType\":\"ORG\",\"operationRateLimitSecondsToReset\":\"");
        sw_json_int(b, (int64_t)(1 + (e->h >> 9) % 59));
        W(b, "\",\"operationRateLimitSubtype\":\"ORG_API\",\"requestId\":\"");
        sw_buf_puts(b, e->req);
        W(b, "\",\"requestUri\":");
        sw_json_cstr(b, e->uri);
        W(b, ",\"threshold\":\"");
        sw_json_int(b, (int64_t)(60 + (e->h >> 9) % 40));
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
    W(b, "\",\"requestUri\":");
    sw_json_cstr(b, e->uri);
    if (behav) {
        W(b, ",\"risk\":");
        w_risk(b, e);
    }
    if (k == K_SSO) {
        W(b, ",\"signOnMode\":");
        sw_json_cstr(b, strcmp(APPS[e->app].mode, "SAML_2_0") == 0 ? "SAML 2.0" : APPS[e->app].mode);
    }
    if (k != K_MFA && k != K_GROUPADD && k != K_PROFILE)
        W(b, ",\"threatSuspected\":\"false\"");
    W(b, ",\"url\":");
    w_url(b, e->url);
    W(b, "}");
}

static void w_target_user(sw_buf *b, const ev_t *e) {
    W(b, "{\"alternateId\":");
    sw_json_cstr(b, e->hu->email);
    W(b, ",\"detailEntry\":null,\"displayName\":");
    sw_json_cstr(b, e->hu->display);
    W(b, ",\"id\":\"");
    sw_buf_puts(b, e->hu->id);
    W(b, "\",\"type\":\"User\"}");
}

static void w_target(sw_buf *b, const ev_t *e) {
    const app_t *A = &APPS[e->app];
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
        W(b, "\",\"detailEntry\":null,\"displayName\":");
        sw_json_cstr(b, (e->h >> 13) % 3 ? "Default Rule" : "Require MFA outside corporate network");
        W(b, ",\"id\":\"");
        sw_buf_puts(b, e->tid2);
        W(b, "\",\"type\":\"PolicyRule\"}]");
        return;
    case K_SSO:
        W(b, "[{\"alternateId\":");
        sw_json_cstr(b, A->label);
        W(b, ",\"detailEntry\":{\"signOnModeType\":\"");
        sw_buf_puts(b, A->mode);
        W(b, "\"},\"displayName\":");
        sw_json_cstr(b, A->label);
        W(b, ",\"id\":\"");
        sw_buf_puts(b, e->appid);
        W(b, "\",\"type\":\"AppInstance\"},{\"alternateId\":");
        sw_json_cstr(b, e->hu->email);
        W(b, ",\"detailEntry\":null,\"displayName\":");
        sw_json_cstr(b, e->hu->display);
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
        W(b, "[{\"alternateId\":");
        sw_json_cstr(b, e->hu->email);
        W(b, ",\"detailEntry\":null,\"displayName\":");
        sw_json_cstr(b, e->hu->email);
        W(b, ",\"id\":\"");
        sw_buf_puts(b, e->tid1);
        W(b, "\",\"type\":\"AppUser\"},{\"alternateId\":\"unknown\",\"detailEntry\":null,\"displayName\":");
        sw_json_cstr(b, GROUPS[(e->h >> 17) % N_GROUPS]);
        W(b, ",\"id\":\"");
        sw_buf_puts(b, e->tid2);
        W(b, "\",\"type\":\"AppGroup\"},");
        w_target_user(b, e);
        W(b, ",{\"alternateId\":");
        sw_json_cstr(b, A->label);
        W(b, ",\"detailEntry\":null,\"displayName\":");
        sw_json_cstr(b, A->label);
        W(b, ",\"id\":\"");
        sw_buf_puts(b, e->appid);
        W(b, "\",\"type\":\"AppInstance\"}]");
        return;
    case K_GROUPADD:
        W(b, "[");
        w_target_user(b, e);
        W(b, ",{\"alternateId\":\"unknown\",\"detailEntry\":null,\"displayName\":");
        sw_json_cstr(b, GROUPS[(e->h >> 17) % N_GROUPS]);
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
        W(b, "[{\"alternateId\":\"unknown\",\"detailEntry\":null,\"displayName\":");
        sw_json_cstr(b, A->label);
        W(b, ",\"id\":\"");
        sw_buf_puts(b, e->appid);
        W(b, "\",\"type\":\"AppInstance\"}]");
        return;
    case K_TOKEN:
        W(b, "[{\"alternateId\":\"");
        sw_buf_puts(b, e->tid1);
        W(b, "\",\"detailEntry\":{\"expires\":");
        sw_json_time(b, e->t + 3600000);
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

static void w_tenant_field(const gen_t *g, sw_buf *b, uint32_t tenant) {
    if (g->o.tenants <= 1) return;
    W(b, ",\"tenant\":\"tenant-");
    sw_json_int(b, tenant);
    W(b, "\"");
}

static void w_raw(const gen_t *g, sw_buf *b, const ev_t *e, int with_tenant) {
    int start = e->kind == K_START_OK || e->kind == K_START_FAIL || e->kind == K_START_SYS;
    W(b, "{\"actor\":{\"alternateId\":");
    sw_json_cstr(b, e->aalt);
    W(b, ",\"detailEntry\":null,\"displayName\":");
    sw_json_cstr(b, e->aname);
    W(b, ",\"id\":");
    sw_json_cstr(b, e->aid);
    W(b, ",\"type\":");
    sw_json_cstr(b, e->atype);
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
        W(b, "{\"device\":");
        sw_json_cstr(b, e->ua->device);
        W(b, ",\"geographicalContext\":");
        w_geo(b, e->loc);
        W(b, ",\"id\":null,\"ipAddress\":\"");
        sw_buf_puts(b, e->ip);
        W(b, "\",\"userAgent\":{\"browser\":");
        sw_json_cstr(b, e->ua->browser);
        W(b, ",\"os\":");
        sw_json_cstr(b, e->ua->os);
        W(b, ",\"rawUserAgent\":");
        sw_json_cstr(b, e->ua->raw);
        W(b, "},\"zone\":\"null\"}");
    } else {
        W(b, "{\"device\":null,\"geographicalContext\":null,\"id\":null,\"ipAddress\":null,\"userAgent\":null,\"zone\":null}");
    }
    W(b, ",\"debugContext\":{\"debugData\":");
    w_debugdata(b, e);
    W(b, "},\"displayMessage\":");
    sw_json_cstr(b, e->msg);
    W(b, ",\"eventType\":");
    sw_json_cstr(b, e->etype);
    W(b, ",\"legacyEventType\":");
    if (e->legacy) sw_json_cstr(b, e->legacy);
    else W(b, "null");
    W(b, ",\"outcome\":{\"reason\":");
    if (e->reason) sw_json_cstr(b, e->reason);
    else W(b, "null");
    W(b, ",\"result\":");
    sw_json_cstr(b, e->result);
    W(b, "},\"published\":");
    sw_json_time(b, e->t);
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
        W(b, "{\"asNumber\":");
        sw_json_int(b, e->loc->asn);
        W(b, ",\"asOrg\":");
        sw_json_cstr(b, e->loc->as_org);
        W(b, ",\"domain\":");
        sw_json_cstr(b, e->loc->domain);
        W(b, ",\"isProxy\":");
        if (e->proxy) W(b, "true");
        else W(b, "false");
        W(b, ",\"isp\":");
        sw_json_cstr(b, e->loc->isp);
        W(b, "}");
    } else {
        W(b, "{\"asNumber\":null,\"asOrg\":null,\"domain\":null,\"isProxy\":null,\"isp\":null}");
    }
    W(b, ",\"severity\":");
    sw_json_cstr(b, e->severity);
    W(b, ",\"target\":");
    w_target(b, e);
    W(b, ",\"transaction\":{\"detail\":{},\"id\":\"");
    sw_buf_puts(b, e->req);
    W(b, "\",\"type\":");
    if (e->kind == K_APPUM || e->kind == K_SYSTEM) W(b, "\"JOB\"");
    else W(b, "\"WEB\"");
    W(b, "},\"uuid\":\"");
    char u[40];
    fmt_uuid(u, mix64(e->idx ^ hash2(g->k, D_UUID)), hash3(g->k, D_UUID, e->idx));
    sw_buf_puts(b, u);
    W(b, "\",\"version\":\"0\"");
    if (with_tenant) w_tenant_field(g, b, e->tenant);
    W(b, "}");
}

static const char *ecs_outcome(const char *r) {
    if (strcmp(r, "SUCCESS") == 0 || strcmp(r, "ALLOW") == 0) return "success";
    if (strcmp(r, "FAILURE") == 0 || strcmp(r, "DENY") == 0) return "failure";
    return "unknown";
}

static void w_ecs(const gen_t *g, sw_buf *b, const ev_t *e) {
    int start = e->kind == K_START_OK || e->kind == K_START_FAIL || e->kind == K_START_SYS;
    char u[40];
    fmt_uuid(u, mix64(e->idx ^ hash2(g->k, D_UUID)), hash3(g->k, D_UUID, e->idx));
    W(b, "{\"@timestamp\":");
    sw_json_time(b, e->t);
    W(b, ",\"client\":{");
    if (e->loc) {
        W(b, "\"geo\":{\"city_name\":");
        sw_json_cstr(b, e->loc->city);
        W(b, ",\"country_name\":");
        sw_json_cstr(b, e->loc->country);
        W(b, ",\"location\":{\"lat\":");
        sw_buf_puts(b, e->loc->lat);
        W(b, ",\"lon\":");
        sw_buf_puts(b, e->loc->lon);
        W(b, "},\"region_name\":");
        sw_json_cstr(b, e->loc->state);
        W(b, "},\"ip\":\"");
        sw_buf_puts(b, e->ip);
        W(b, "\",");
    }
    W(b, "\"user\":{\"full_name\":");
    sw_json_cstr(b, e->aname);
    W(b, ",\"id\":");
    sw_json_cstr(b, e->aid);
    W(b, ",\"name\":");
    sw_json_cstr(b, e->aalt);
    W(b, "}},\"data_stream\":{\"dataset\":\"okta.system\",\"namespace\":\"default\",\"type\":\"logs\"},"
         "\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"action\":");
    sw_json_cstr(b, e->etype);
    if (start) W(b, ",\"category\":[\"authentication\",\"session\"]");
    else if (e->kind == K_APPUM || e->kind == K_GROUPADD || e->kind == K_PROFILE) W(b, ",\"category\":[\"iam\"]");
    else W(b, ",\"category\":[\"authentication\"]");
    W(b, ",\"created\":");
    sw_json_time(b, e->t + 1500 + (int64_t)((e->h >> 20) % 4000));
    W(b, ",\"dataset\":\"okta.system\",\"id\":\"");
    sw_buf_puts(b, u);
    W(b, "\",\"ingested\":");
    w_time_s(b, e->t + 3000 + (int64_t)((e->h >> 20) % 4000));
    W(b, ",\"kind\":\"event\",\"outcome\":\"");
    sw_buf_puts(b, ecs_outcome(e->result));
    W(b, "\"},\"okta\":{\"actor\":{\"alternate_id\":");
    sw_json_cstr(b, e->aalt);
    W(b, ",\"display_name\":");
    sw_json_cstr(b, e->aname);
    W(b, ",\"id\":");
    sw_json_cstr(b, e->aid);
    W(b, ",\"type\":");
    sw_json_cstr(b, e->atype);
    W(b, "},\"authentication_context\":{\"authentication_step\":0");
    if (e->sess) {
        W(b, ",\"external_session_id\":");
        sw_json_cstr(b, e->sess);
    }
    W(b, "},");
    if (e->loc) {
        W(b, "\"client\":{\"device\":");
        sw_json_cstr(b, e->ua->device);
        W(b, ",\"ip\":\"");
        sw_buf_puts(b, e->ip);
        W(b, "\",\"user_agent\":{\"browser\":");
        sw_json_cstr(b, e->ua->browser);
        W(b, ",\"os\":");
        sw_json_cstr(b, e->ua->os);
        W(b, ",\"raw_user_agent\":");
        sw_json_cstr(b, e->ua->raw);
        W(b, "},\"zone\":\"null\"},");
    }
    W(b, "\"debug_context\":{\"debug_data\":{\"request_id\":\"");
    sw_buf_puts(b, e->req);
    W(b, "\",\"request_uri\":");
    sw_json_cstr(b, e->uri);
    W(b, ",\"url\":");
    sw_json_cstr(b, e->url);
    W(b, "}},\"display_message\":");
    sw_json_cstr(b, e->msg);
    W(b, ",\"event_type\":");
    sw_json_cstr(b, e->etype);
    W(b, ",\"outcome\":{");
    if (e->reason) {
        W(b, "\"reason\":");
        sw_json_cstr(b, e->reason);
        W(b, ",");
    }
    W(b, "\"result\":");
    sw_json_cstr(b, e->result);
    W(b, "},\"transaction\":{\"id\":\"");
    sw_buf_puts(b, e->req);
    W(b, "\",\"type\":");
    if (e->kind == K_APPUM || e->kind == K_SYSTEM) W(b, "\"JOB\"");
    else W(b, "\"WEB\"");
    W(b, "},\"uuid\":\"");
    sw_buf_puts(b, u);
    W(b, "\"},\"related\":{");
    if (e->loc) {
        W(b, "\"ip\":[\"");
        sw_buf_puts(b, e->ip);
        W(b, "\"],");
    }
    W(b, "\"user\":[");
    sw_json_cstr(b, e->aname);
    W(b, "]},\"tags\":[\"forwarded\",\"okta-system\"],\"user\":{\"full_name\":");
    sw_json_cstr(b, e->aname);
    W(b, ",\"name\":");
    sw_json_cstr(b, e->aalt);
    W(b, "}");
    if (e->loc) {
        W(b, ",\"user_agent\":{\"device\":{\"name\":");
        sw_json_cstr(b, e->ua->device);
        W(b, "},\"name\":");
        sw_json_cstr(b, e->ua->browser);
        W(b, ",\"original\":");
        sw_json_cstr(b, e->ua->raw);
        W(b, ",\"os\":{\"name\":");
        sw_json_cstr(b, e->ua->os);
        W(b, "}}");
    }
    w_tenant_field(g, b, e->tenant);
    W(b, "}");
}

static void w_eventbridge(const gen_t *g, sw_buf *b, const ev_t *e) {
    char u[40], dtmp[64];
    fmt_uuid(u, mix64(~e->idx ^ hash2(g->k, D_UUID)), hash3(g->k, D_UUID + 100, e->idx));
    W(b, "{\"version\":\"0\",\"id\":\"");
    sw_buf_puts(b, u);
    W(b, "\",\"detail-type\":\"SystemLog\",\"source\":\"aws.partner/okta.com/");
    sw_buf_puts(b, tenant_domain(e->tenant, dtmp, sizeof dtmp));
    W(b, "/okta-system-log\",\"account\":\"123456789012\",\"time\":");
    w_time_s(b, e->t);
    W(b, ",\"region\":\"us-east-1\",\"resources\":[],\"detail\":");
    w_raw(g, b, e, 0);
    w_tenant_field(g, b, e->tenant);
    W(b, "}");
}

/* ------------------------------------------------------------------ */
/* Filling one event                                                    */

/* Request ids look like "XkccyyMli2Uay2I93ZgRzQAAB0c". */
static void request_id(char *dst, uint64_t h) {
    rstr(dst, 22, h, 62);
    memcpy(dst + 22, "AAA", 3);
    rstr(dst + 25, 2, h ^ 0x77, 62);
}

/* Kind-specific URIs and URLs (SAML requests vary the record size).  The
 * URL is the URI and a query. */
static void fill_urls(const gen_t *g, ev_t *e, rng_t *r) {
    const app_t *A = &APPS[e->app];
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
            rstr(req, 60 + (int)rnd_below(r, 240), h, 62);
            h = rnd(r);
            rstr(relay, 8 + (int)rnd_below(r, 24), h, 62);
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

static void fill_common(const gen_t *g, ev_t *e, rng_t *r) {
    e->h = rnd(r);
    e->etype = KINFO[e->kind].type;
    e->msg = KINFO[e->kind].msg;
    e->legacy = KINFO[e->kind].legacy;
    e->result = "SUCCESS";
    e->reason = NULL;
    e->severity = "INFO";
    request_id(e->req, e->h);
    request_id(e->authn, e->h ^ 0xa5a5);
    rhex(e->dthash, 64, e->h ^ 0x1234);
    e->app = (int)((e->h >> 28) % N_APPS);
    okta_id(e->appid, "0oa", hash3(g->k, D_APP, (uint64_t)e->tenant * 64 + (uint64_t)e->app));
    okta_id(e->tid1, e->kind == K_POLICY ? "00p" : e->kind == K_SSO ? "0ua" : e->kind == K_MFA ? "pfd" : "lae",
            e->kind == K_POLICY ? hash3(g->k, D_POLICY, e->tenant) : e->h ^ 0x9999);
    okta_id(e->tid2, e->kind == K_POLICY ? "0pr" : "00g",
            hash3(g->k, D_GROUP, (uint64_t)e->tenant * 64 + (e->kind == K_POLICY ? 63 : (e->h >> 17) % N_GROUPS)));
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
        fmt_ip(e->ip2, ip2);
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

static void set_client(ev_t *e, const loc_t *L, const ua_t *ua, const unsigned char ip[4], int proxy,
                       uint64_t fp_hash) {
    e->loc = L;
    e->ua = ua;
    fmt_ip(e->ip, ip);
    e->proxy = proxy;
    rhex(e->fp, 32, fp_hash);
}

/* ------------------------------------------------------------------ */
/* The run                                                              */

static int cmp_attack(const void *a, const void *b) {
    const attack_t *x = a, *y = b;
    if (x->a0 != y->a0) return x->a0 < y->a0 ? -1 : 1;
    if (x->tenant != y->tenant) return x->tenant < y->tenant ? -1 : 1;
    return x->user < y->user ? -1 : x->user > y->user;
}

static int cmp_aev(const void *a, const void *b) {
    const aev_t *x = a, *y = b;
    if (x->due != y->due) return x->due < y->due ? -1 : 1;
    if (x->att != y->att) return x->att < y->att ? -1 : 1;
    if (x->j != y->j) return x->j < y->j ? -1 : 1;
    return (int)x->sso - (int)y->sso;
}

static uint64_t gcd64(uint64_t a, uint64_t b) {
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int plan_attacks(gen_t *g, rng_t *r, int64_t span) {
    uint64_t users = g->o.users;
    double want = (double)users * g->o.attack_rate;
    uint64_t per = want <= 0 ? 0 : (uint64_t)llround(want);
    if (per > users) per = users;
    g->natt = (size_t)(per * g->o.tenants);
    if (g->natt == 0) return 0;
    g->att = calloc(g->natt, sizeof *g->att);
    g->aev = calloc(g->natt * 10, sizeof *g->aev);
    if (!g->att || !g->aev) return -1;
    int64_t dur = span / 2 < ATTACK_SPAN_MS ? span / 2 : ATTACK_SPAN_MS;
    int64_t lo = g->o.start_ms + span / 50;
    int64_t hi = g->o.start_ms + span - span / 20 - dur;
    size_t n = 0;
    for (uint32_t t = 0; t < g->o.tenants; t++) {
        /* Distinct victims: x, x+a, x+2a, ... mod users with gcd(a, users) = 1. */
        uint64_t a = 1 + rnd_below(r, users);
        while (gcd64(a, users) != 1) a = a % users + 1;
        uint64_t x = rnd_below(r, users);
        for (uint64_t k = 0; k < per; k++) {
            attack_t *A = &g->att[n++];
            A->tenant = t;
            A->user = x;
            x = (x + a) % users;
            A->a0 = hi > lo ? lo + (int64_t)rnd_below(r, (uint64_t)(hi - lo)) : lo;
            A->nstart = 3 + (uint32_t)rnd_below(r, 3);
        }
    }
    qsort(g->att, g->natt, sizeof *g->att, cmp_attack);
    for (size_t i = 0; i < g->natt; i++) {
        attack_t *A = &g->att[i];
        A->first = INT64_MAX;
        A->last = INT64_MIN;
        int64_t off[5];
        off[0] = 0;
        for (uint32_t j = 1; j < A->nstart; j++) off[j] = dur > 0 ? (int64_t)rnd_below(r, (uint64_t)dur) : 0;
        for (uint32_t j = 1; j < A->nstart; j++) /* sort */
            for (uint32_t m = j; m > 1 && off[m] < off[m - 1]; m--) {
                int64_t t = off[m];
                off[m] = off[m - 1];
                off[m - 1] = t;
            }
        for (uint32_t j = 0; j < A->nstart; j++) {
            aev_t *E = &g->aev[g->naev++];
            E->due = A->a0 + off[j];
            E->att = (uint32_t)i;
            E->j = (uint8_t)j;
            E->sso = 0;
            if (rnd_unit(r) < 0.7) { /* the attacker then uses the session */
                E = &g->aev[g->naev++];
                E->due = A->a0 + off[j] + 5000 + (int64_t)rnd_below(r, 85000);
                E->att = (uint32_t)i;
                E->j = (uint8_t)j;
                E->sso = 1;
            }
        }
    }
    qsort(g->aev, g->naev, sizeof *g->aev, cmp_aev);
    return 0;
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
static void make_ordinary(gen_t *g, rng_t *r, ev_t *e, human_t *hu, sysactor_t *sa, char *sess,
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
    make_human(g, e->tenant, u % g->o.users, hu);
    e->hu = hu;
    e->loc = NULL;
    e->sess = NULL;

    if (kind == K_START_SYS || kind == K_APPUM || kind == K_SYSTEM || kind == K_GROUPADD) {
        /* System principal; the human is only the target. */
        int which = kind == K_START_SYS ? 1 + (int)rnd_below(r, 2) : (rnd_unit(r) < 0.85 ? 0 : 1 + (int)rnd_below(r, 2));
        make_sysactor(g, e->tenant, which, sa);
        e->aid = sa->id;
        e->aname = sa->name;
        e->aalt = sa->alt;
        e->atype = "SystemPrincipal";
        if (kind == K_START_SYS) { /* a fresh session every time */
            session_id(sess, hash3(g->k, D_SYSSESS, e->idx));
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
        human_session(g, hu->ukey, idx, sess);
        e->sess = sess;
    } else if (kind == K_START_FAIL) {
        if (rnd_unit(r) < 0.5) {
            human_session(g, hu->ukey, idx, sess);
            e->sess = sess;
            if (t > st->last_cur) st->last_cur = t;
        }
    } else {
        if (idx >= 1 && rnd_unit(r) < P_PREV_SESSION) idx--;
        human_session(g, hu->ukey, idx, sess);
        e->sess = sess;
    }
    int dn = session_device(g, hu, idx);
    const device_t *d = &hu->dev[dn];
    set_client(e, &HOME[d->loc], &UAS[d->ua], d->ip, 0, hash3(g->k, D_DEVICE, hu->ukey * 4 + (uint64_t)dn) ^ 0xf00d);
    /* Now and then Okta's risk engine flags a known user anyway. */
    if (rnd_unit(r) < 0.03) {
        e->newthings = 1 << (int)rnd_below(r, 7);
        e->risk = rnd_unit(r) < 0.2 ? 1 : 0;
    }
}

static void make_attack(gen_t *g, rng_t *r, ev_t *e, const aev_t *E, human_t *hu, char *sess) {
    attack_t *A = &g->att[E->att];
    e->tenant = A->tenant;
    make_human(g, A->tenant, A->user, hu);
    e->hu = hu;
    e->kind = E->sso ? K_SSO : K_START_OK;
    e->aid = hu->id;
    e->aname = hu->display;
    e->aalt = hu->email;
    e->atype = "User";
    attack_session(g, E->att, E->j, sess);
    e->sess = sess;
    /* Per session: a stable foreign place, IP and user agent. */
    uint64_t h = hash3(g->k, D_ATTACK, (uint64_t)E->att * 8 + E->j);
    const loc_t *L = &AWAY[h % N_AWAY];
    unsigned char ip[4] = {L->ip0, L->ip1, (unsigned char)((h >> 8) % 254 + 1), (unsigned char)((h >> 16) % 254 + 1)};
    set_client(e, L, &ATTACK_UAS[(h >> 24) % N_ATTACK_UA], ip, L->proxy || (h >> 32) % 4 == 0, h ^ 0xbad);
    /* New country, device, IP, city, state; sometimes flagged as velocity. */
    e->newthings = 0x5f | (rnd_unit(r) < 0.5 ? 0x20 : 0);
    e->risk = rnd_unit(r) < 0.6 ? 2 : 1;
    if (!E->sso) {
        A->emitted++;
        if (e->t < A->first) A->first = e->t;
        if (e->t > A->last) A->last = e->t;
    }
}

void sw_gen_defaults(sw_gen_opts *o) {
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->users = 1000;
    o->tenants = 1;
    o->hours = 1.0;
    o->attack_rate = 0.01;
    o->session_start_share = 0.15;
    o->records = 0;
    o->start_ms = 1767600000000LL; /* 2026-01-05T08:00:00Z */
    o->format = 0;
}

static int write_truth(gen_t *g, FILE *truth) {
    sw_buf *b = &g->out;
    for (size_t i = 0; i < g->natt; i++) {
        const attack_t *A = &g->att[i];
        if (A->emitted < 3) continue;
        human_t hu;
        make_human(g, A->tenant, A->user, &hu);
        sw_buf_reset(b);
        W(b, "{\"tenant\":");
        if (g->o.tenants > 1) {
            W(b, "\"tenant-");
            sw_json_int(b, A->tenant);
            W(b, "\"");
        } else {
            W(b, "null");
        }
        W(b, ",\"actor_id\":");
        sw_json_cstr(b, hu.id);
        W(b, ",\"sessions\":[");
        for (uint32_t j = 0; j < A->emitted; j++) {
            char s[32];
            attack_session(g, i, j, s);
            if (j) W(b, ",");
            sw_json_cstr(b, s);
        }
        W(b, "],\"first\":");
        sw_json_time(b, A->first);
        W(b, ",\"last\":");
        sw_json_time(b, A->last);
        W(b, "}\n");
        if (b->oom || fwrite(b->p, 1, b->len, truth) != b->len) return -1;
    }
    return 0;
}

int64_t sw_gen_run(const sw_gen_opts *opts, FILE *out, FILE *truth) {
    gen_t g;
    memset(&g, 0, sizeof g);
    g.o = *opts;
    if (g.o.users == 0) g.o.users = 1;
    if (g.o.tenants == 0) g.o.tenants = 1;
    if (!(g.o.hours > 0)) g.o.hours = 1.0 / 3600000.0;
    if (!(g.o.attack_rate >= 0)) g.o.attack_rate = 0;
    if (!(g.o.session_start_share >= 0)) g.o.session_start_share = 0;
    if (g.o.users > (1ULL << 40) || g.o.tenants > (1U << 23)) return -1;
    g.nhumans = g.o.users * g.o.tenants;
    g.k = mix64(g.o.seed ^ 0x5357474e00000000ULL); /* "SWGN" */

    int64_t span = (int64_t)llround(g.o.hours * 3600000.0);
    if (span < 1) span = 1;
    uint64_t R = g.o.records;
    if (R == 0) {
        double d = (double)g.nhumans * g.o.hours * SW_GEN_EVENTS_PER_USER_HOUR;
        R = d < 1 ? 1 : d > 9e18 ? (uint64_t)9e18 : (uint64_t)llround(d);
    }
    double step = (double)span / (double)R;

    int64_t result = -1;
    rng_t r = {g.k};
    g.st = calloc((size_t)g.nhumans, sizeof *g.st);
    if (!g.st || plan_attacks(&g, &r, span) < 0) goto done;

    human_t hu;
    sysactor_t sa;
    char sess[32];
    ev_t e;
    size_t ap = 0;
    int64_t prev_base = g.o.start_ms;
    uint64_t i;
    for (i = 0; i < R; i++) {
        int64_t base = g.o.start_ms + (int64_t)floor((double)i * step);
        if (i > 0 && step >= 2) base += (int64_t)rnd_below(&r, (uint64_t)step);
        if (base < prev_base) base = prev_base;
        prev_base = base;
        int64_t t = base;
        if (i > 0 && rnd_unit(&r) < OOO_SHARE) {
            t = base - 1 - (int64_t)rnd_below(&r, OOO_MAX_MS);
            if (t < g.o.start_ms) t = g.o.start_ms;
        }
        memset(&e, 0, sizeof e);
        e.idx = i;
        e.t = t;
        if (ap < g.naev && g.aev[ap].due <= base) make_attack(&g, &r, &e, &g.aev[ap++], &hu, sess);
        else make_ordinary(&g, &r, &e, &hu, &sa, sess, base);
        fill_common(&g, &e, &r);
        sw_buf *b = &g.out;
        sw_buf_reset(b);
        w_raw(&g, b, &e, 1);
        if (b->oom) goto done;
        if (b->len > MAX_RAW_BYTES) {
            /* Rare pile-up of optional parts: drop them, keep the record. */
            e.o_logonly = e.o_tgt = e.chain2 = 0;
            sw_buf_reset(b);
            w_raw(&g, b, &e, 1);
        }
        if (g.o.format == 1 || g.o.format == 2) {
            sw_buf_reset(b);
            if (g.o.format == 1) w_ecs(&g, b, &e);
            else w_eventbridge(&g, b, &e);
        }
        sw_buf_putc(b, '\n');
        if (b->oom || fwrite(b->p, 1, b->len, out) != b->len) goto done;
    }
    if (truth && write_truth(&g, truth) < 0) goto done;
    if (fflush(out) != 0 || (truth && fflush(truth) != 0)) goto done;
    result = (int64_t)i;
done:
    sw_buf_free(&g.out);
    free(g.st);
    free(g.att);
    free(g.aev);
    return result;
}

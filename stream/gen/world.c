/* world.c -- the generator's static world and the identities drawn from
 * it (gen_internal.h).
 *
 * The tables are a small, realistic world: home places of devices (city,
 * region, country, postal code, coordinates, IP prefix, AS and ISP, as
 * Okta's geolocation shows them), foreign places none of them uses, user
 * agents of human devices and of attackers, first and last names (with
 * the characters that need escaping), tenants' mail domains, apps and
 * groups.  Identities are not stored: a human, its devices, a system
 * actor or a session id is recomputed from a hash of (seed key, domain,
 * index) whenever a record needs it, so a run keeps only 12 bytes per
 * human (event.c) and any piece can rebuild the same identity. */
#include "gen_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- strings from hashes ------------------------------------------------- */

static const char HEX[] = "0123456789abcdef";

static const char B64U[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

/* n characters from alphabet B64U[0..alen) driven by h (NUL-terminated). */
void gen_rstr(char *dst, int n, uint64_t h, int alen) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (i % 8 == 0) v = h = mix64(h + (uint64_t)i);
        dst[i] = B64U[v % (uint64_t)alen];
        v /= (uint64_t)alen;
    }
    dst[n] = '\0';
}

void gen_rhex(char *dst, int n, uint64_t h) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (i % 16 == 0) v = h = mix64(h + (uint64_t)i);
        dst[i] = HEX[v & 15];
        v >>= 4;
    }
    dst[n] = '\0';
}

/* Okta-style id: prefix then base62 characters, 20 chars in all. */
void gen_okta_id(char *dst, const char *prefix, uint64_t h) {
    size_t pl = strlen(prefix);
    memcpy(dst, prefix, pl);
    gen_rstr(dst + pl, (int)(20 - pl), h, 62);
}

/* 36-char uuid (v1 layout) that encodes all 64 bits of a, so distinct a give
 * distinct uuids; b fills the rest. */
void gen_fmt_uuid(char *dst, uint64_t a, uint64_t b) {
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

/* ---- tables -------------------------------------------------------------- */

const loc_t gen_home[] = {
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
const size_t gen_n_home = sizeof gen_home / sizeof gen_home[0];

/* Countries none of the home locations use. */
const loc_t gen_away[] = {
    {"Lagos", "Lagos", "Nigeria", "100001", "6.4474", "3.3903", 102, 89, 37148, "globacom limited", "gloworld.com", "globacom", 0},
    {"Moscow", "Moscow", "Russia", "101000", "55.7522", "37.6156", 95, 165, 12389, "rostelecom", "rt.ru", "rostelecom", 0},
    {"Hanoi", "Hanoi", "Vietnam", "100000", "21.0245", "105.8412", 14, 160, 45899, "vnpt corp", "vnpt.vn", "vnpt", 0},
    {"São Paulo", "São Paulo", "Brazil", "01000-000", "-23.5475", "-46.6361", 177, 32, 28573, "claro nxt telecomunicacoes ltda", "claro.com.br", "claro", 0},
    {"Bucharest", "București", "Romania", "010011", "44.4323", "26.1063", 86, 120, 8708, "rcs & rds", "rcs-rds.ro", "rcs & rds", 0},
    {"Amsterdam", "North Holland", "Netherlands", "1012", "52.374", "4.8897", 185, 107, 9009, "m247 europe srl", "m247.com", "m247", 1},
    {"Singapore", "Singapore", "Singapore", "018989", "1.2897", "103.8501", 45, 32, 14061, "digitalocean, llc", "digitalocean.com", "digitalocean", 1},
    {"Jakarta", "Jakarta", "Indonesia", "10110", "-6.2146", "106.8451", 36, 73, 7713, "pt telekomunikasi indonesia", "telkom.co.id", "telkom", 0},
};
const size_t gen_n_away = sizeof gen_away / sizeof gen_away[0];

/* 0..6 desktop, 7..10 mobile/tablet. */
const ua_t gen_uas[] = {
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
#define N_UA (sizeof gen_uas / sizeof gen_uas[0])

/* User agents no human device uses. */
const ua_t gen_attack_uas[] = {
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36", "CHROME", "Linux", "Computer"},
    {"python-requests/2.32.3", "UNKNOWN", "Unknown", "Unknown"},
    {"Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0", "FIREFOX", "Windows 7", "Computer"},
    {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "FIREFOX", "Linux", "Computer"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.5993.88 Safari/537.36 OPR/104.0.0.0", "OPERA", "Windows 10", "Computer"},
};
const size_t gen_n_attack_ua = sizeof gen_attack_uas / sizeof gen_attack_uas[0];

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

const app_t gen_apps[] = {
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
const size_t gen_n_apps = sizeof gen_apps / sizeof gen_apps[0];

const char *const gen_groups[] = {"Engineering", "Sales", "Finance", "All Employees", "Contractors", "VPN Users"};
const size_t gen_n_groups = sizeof gen_groups / sizeof gen_groups[0];

/* ---- identities ---------------------------------------------------------- */

static uint64_t human_key(uint32_t tenant, uint64_t user) { return ((uint64_t)tenant << 40) | user; }

const char *gen_tenant_domain(uint32_t tenant, char *tmp, size_t cap) {
    if (tenant < N_DOMAINS) return DOMAINS[tenant];
    snprintf(tmp, cap, "t%u.%s", (unsigned)tenant, DOMAINS[tenant % N_DOMAINS]);
    return tmp;
}

void gen_make_human(const gen_t *g, uint32_t tenant, uint64_t user, human_t *h) {
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
    gen_rstr(h->id + 14, 6, hh ^ 0x55, 62);
    const name_t *f = &FIRST[hh % N_FIRST];
    const name_t *l = &LAST[(hh >> 8) % N_LAST];
    unsigned style = (unsigned)((hh >> 16) % 1000);
    char dtmp[64];
    const char *dom = gen_tenant_domain(tenant, dtmp, sizeof dtmp);
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
    int home = (int)((hh >> 40) % gen_n_home);
    for (int d = 0; d < h->ndev; d++) {
        uint64_t dh = hash3(g->k, D_DEVICE, key * 4 + (uint64_t)d);
        device_t *dv = &h->dev[d];
        dv->loc = (d == 0 || dh % 100 < 70) ? home : (int)((dh >> 8) % gen_n_home);
        if (d == 1) dv->ua = N_DESKTOP_UA + (int)((dh >> 16) % (N_UA - N_DESKTOP_UA));
        else dv->ua = (int)((dh >> 16) % N_DESKTOP_UA);
        const loc_t *L = &gen_home[dv->loc];
        dv->ip[0] = L->ip0;
        dv->ip[1] = L->ip1;
        dv->ip[2] = (unsigned char)((dh >> 24) % 254 + 1);
        dv->ip[3] = (unsigned char)((dh >> 32) % 254 + 1);
    }
}

void gen_fmt_ip(char dst[16], const unsigned char ip[4]) {
    snprintf(dst, 16, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
}

void gen_session_id(char *dst, uint64_t h) {
    memcpy(dst, "102", 3);
    gen_rstr(dst + 3, 22, h, 64);
}

void gen_human_session(const gen_t *g, uint64_t ukey, uint32_t idx, char *dst) {
    gen_session_id(dst, hash3(g->k, D_SESSION, hash2(ukey, idx)));
}

int gen_session_device(const gen_t *g, const human_t *h, uint32_t idx) {
    return (int)(hash3(g->k, D_SESSDEV, hash2(h->ukey, idx)) % (uint64_t)h->ndev);
}

void gen_attack_session(const gen_t *g, size_t a, unsigned j, char *dst) {
    gen_session_id(dst, hash3(g->k, D_ATTSESS, (uint64_t)a * 8 + j));
}

void gen_make_sysactor(const gen_t *g, uint32_t tenant, int which, sysactor_t *s) {
    uint64_t h = hash3(g->k, D_SYSACTOR, (uint64_t)tenant * 4 + (uint64_t)which);
    if (which == 1) {
        gen_okta_id(s->id, "okta", h);
        s->name = "Okta System";
        s->alt = "system@okta.com";
    } else {
        gen_okta_id(s->id, "spr", h);
        s->name = which == 0 ? "Okta System" : "okta_system";
        s->alt = which == 0 ? "system@okta.com" : "okta_system@okta.com";
    }
}

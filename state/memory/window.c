/* window.c -- see window.h. */
#include "window.h"

#include <arpa/inet.h>
#include <string.h>

void sw_window_init(sw_user *u) {
    u->last_alert = SW_TIME_NONE;
    u->max_time = SW_TIME_NONE;
    u->nsessions = 0;
    u->sessions = NULL;
}

/* ---- binary forms of the ip and the uuid ---------------------------------
 * A field is stored in binary only when printing the binary back gives the
 * very bytes of the event; anything else stays text.  So the alert, the
 * checkpoint and `state inspect` show exactly what came in. */

static const char HEX[] = "0123456789abcdef";

/* A dotted quad with no leading zeros ("0" alone is fine), each part <= 255. */
static int ip4_parse(const char *p, size_t n, unsigned char out[4]) {
    if (n < 7 || n > 15) return 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || p[i] != '.') return 0;
            i++;
        }
        unsigned v = 0, nd = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            if (nd == 1 && v == 0) return 0; /* leading zero */
            v = v * 10 + (unsigned)(p[i] - '0');
            if (++nd > 3 || v > 255) return 0;
            i++;
        }
        if (nd == 0) return 0;
        out[part] = (unsigned char)v;
    }
    return i == n;
}

static size_t ip4_format(const unsigned char b[4], char *o) {
    char *start = o;
    for (int i = 0; i < 4; i++) {
        if (i) *o++ = '.';
        unsigned v = b[i];
        if (v >= 100) *o++ = (char)('0' + v / 100);
        if (v >= 10) *o++ = (char)('0' + v / 10 % 10);
        *o++ = (char)('0' + v % 10);
    }
    return (size_t)(o - start);
}

/* RFC 5952: lowercase, no leading zeros, the longest run (>= 2, the first
 * on a tie) of zero groups as "::".  (IPv4-mapped addresses print in hex
 * here, so their dotted form stays text.) */
static size_t ip6_format(const unsigned char b[16], char *o) {
    unsigned g[8];
    for (int i = 0; i < 8; i++) g[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
    int best = -1, bestlen = 0;
    for (int i = 0; i < 8;) {
        if (g[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0) j++;
        if (j - i > bestlen) {
            best = i;
            bestlen = j - i;
        }
        i = j;
    }
    if (bestlen < 2) best = -1, bestlen = 0;
    char *start = o;
    for (int i = 0; i < 8;) {
        if (i == best) {
            *o++ = ':';
            *o++ = ':';
            i += bestlen;
            continue;
        }
        if (i > 0 && i != best + bestlen) *o++ = ':';
        int started = 0;
        for (int sh = 12; sh >= 0; sh -= 4) {
            unsigned d = (g[i] >> sh) & 15;
            if (d || started || sh == 0) {
                *o++ = HEX[d];
                started = 1;
            }
        }
        i++;
    }
    return (size_t)(o - start);
}

static int ip6_parse(const char *p, size_t n, unsigned char out[16]) {
    if (n < 2 || n > 39 || !memchr(p, ':', n)) return 0;
    char z[40], back[SW_SESSION_TEXT_BUF];
    memcpy(z, p, n);
    z[n] = '\0';
    if (inet_pton(AF_INET6, z, out) != 1) return 0;
    return ip6_format(out, back) == n && memcmp(back, p, n) == 0;
}

/* 8-4-4-4-12 lowercase hex. */
static int uuid_parse(const char *p, size_t n, unsigned char out[16]) {
    if (n != 36) return 0;
    int k = 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (p[i] != '-') return 0;
            continue;
        }
        unsigned d;
        if (p[i] >= '0' && p[i] <= '9') d = (unsigned)(p[i] - '0');
        else if (p[i] >= 'a' && p[i] <= 'f') d = (unsigned)(p[i] - 'a' + 10);
        else return 0;
        if (k & 1) out[k / 2] |= (unsigned char)d;
        else out[k / 2] = (unsigned char)(d << 4);
        k++;
    }
    return 1;
}

static size_t uuid_format(const unsigned char b[16], char *o) {
    char *start = o;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
        *o++ = HEX[b[i] >> 4];
        *o++ = HEX[b[i] & 15];
    }
    return (size_t)(o - start);
}

const char *sw_session_ip_r(const sw_session *s, char *buf) {
    const char *p = s->data + s->id_len;
    switch (s->form & SW_FORM_IP_MASK) {
    case SW_FORM_IP4: ip4_format((const unsigned char *)p, buf); return buf;
    case SW_FORM_IP6: ip6_format((const unsigned char *)p, buf); return buf;
    default: return p;
    }
}

const char *sw_session_uuid_r(const sw_session *s, char *buf) {
    const char *p = s->data + s->id_len + sw_session_ip_size(s);
    if (!(s->form & SW_FORM_UUID)) return p;
    uuid_format((const unsigned char *)p, buf);
    return buf;
}

static _Thread_local char text_ring[8][SW_SESSION_TEXT_BUF];
static _Thread_local unsigned text_next;

const char *sw_session_ip(const sw_session *s) { return sw_session_ip_r(s, text_ring[text_next++ & 7]); }
const char *sw_session_uuid(const sw_session *s) { return sw_session_uuid_r(s, text_ring[text_next++ & 7]); }

/* ---- sessions ------------------------------------------------------------- */

size_t sw_utf8_cut(const char *p, size_t n, size_t max) {
    if (n <= max) return n;
    n = max;
    /* Step back over continuation bytes to the start of the cut character. */
    while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80) n--;
    return n;
}

static inline unsigned id_tag(uint64_t id_hash) { return (unsigned)(id_hash >> 58); }

sw_session *sw_session_new(sw_slab *slab, const sw_session_info *si, uint64_t id_hash, int64_t first_seen,
                           int64_t last_seen, uint32_t events) {
    size_t ip = sw_utf8_cut(si->ip.p, si->ip.n, SW_MAX_DETAIL);
    size_t ua = sw_utf8_cut(si->user_agent.p, si->user_agent.n, SW_MAX_UA);
    size_t co = sw_utf8_cut(si->country.p, si->country.n, SW_MAX_DETAIL);
    size_t ci = sw_utf8_cut(si->city.p, si->city.n, SW_MAX_DETAIL);
    size_t uu = sw_utf8_cut(si->uuid.p, si->uuid.n, SW_MAX_DETAIL);
    if (si->id.n > UINT32_MAX - 8192) return NULL;

    unsigned form = 0;
    unsigned char ipb[16], uub[16];
    size_t ip_size = ip, uu_size = uu, client_inline = 0;
    if (ip4_parse(si->ip.p, ip, ipb)) form |= SW_FORM_IP4, ip_size = 4;
    else if (ip6_parse(si->ip.p, ip, ipb)) form |= SW_FORM_IP6, ip_size = 16;
    if (uuid_parse(si->uuid.p, uu, uub)) form |= SW_FORM_UUID, uu_size = 16;
    sw_client *c = NULL;
    if (ua + co + ci) {
        c = sw_strtab_intern(slab, si->user_agent.p, ua, si->country.p, co, si->city.p, ci);
        if (!c) return NULL;
        if (((uintptr_t)c & 7) || ((uint64_t)(uintptr_t)c >> 47)) {
            /* An address the packed field cannot hold: keep the strings here. */
            sw_strtab_release(slab, c);
            c = NULL;
            form |= SW_FORM_CLIENT_INLINE;
            client_inline = ua + co + ci;
        }
    }
    size_t total = sizeof(sw_session) + si->id.n + ip_size + uu_size + client_inline;
    sw_session *s = sw_slab_alloc(slab, total);
    if (!s) {
        sw_strtab_release(slab, c);
        return NULL;
    }
    s->next = NULL;
    s->first_seen = first_seen;
    s->last_seen = last_seen;
    s->client = (uint64_t)((uintptr_t)c >> 3);
    s->ua_len = (uint64_t)ua;
    s->form = form;
    s->tag = id_tag(id_hash);
    s->events = events;
    s->id_len = (uint32_t)si->id.n;
    s->alloc = (uint32_t)total;
    s->ip_len = (uint8_t)ip;
    s->country_len = (uint8_t)co;
    s->city_len = (uint8_t)ci;
    s->uuid_len = (uint8_t)uu;
    char *d = s->data;
    if (si->id.n) memcpy(d, si->id.p, si->id.n);
    d += si->id.n;
    if (ip_size) memcpy(d, (form & SW_FORM_IP_MASK) ? (const char *)ipb : si->ip.p, ip_size);
    d += ip_size;
    if (uu_size) memcpy(d, (form & SW_FORM_UUID) ? (const char *)uub : si->uuid.p, uu_size);
    d += uu_size;
    if (client_inline) {
        if (ua) memcpy(d, si->user_agent.p, ua);
        if (co) memcpy(d + ua, si->country.p, co);
        if (ci) memcpy(d + ua + co, si->city.p, ci);
    }
    return s;
}

void sw_session_free(sw_slab *slab, sw_session *s) {
    sw_strtab_release(slab, (sw_client *)sw_session_client(s));
    sw_slab_free(slab, s, s->alloc);
}

static void free_sessions(sw_user *u, sw_slab *slab) {
    for (sw_session *s = u->sessions, *next; s; s = next) {
        next = s->next;
        sw_session_free(slab, s);
    }
    u->sessions = NULL;
    u->nsessions = 0;
}

void sw_window_clear(sw_user *u, sw_slab *slab) { free_sessions(u, slab); }

static sw_session *find_session(const sw_user *u, const sw_span *id, unsigned tag) {
    for (sw_session *s = u->sessions; s; s = s->next)
        if (s->tag == tag && s->id_len == id->n && memcmp(s->data, id->p, id->n) == 0) return s;
    return NULL;
}

/* Drops the sessions whose last event is before the window's start. */
static void drop_expired(sw_user *u, sw_slab *slab, int64_t start) {
    sw_session **pp = &u->sessions;
    while (*pp) {
        sw_session *s = *pp;
        if (s->last_seen < start) {
            *pp = s->next;
            sw_session_free(slab, s);
            u->nsessions--;
        } else {
            pp = &s->next;
        }
    }
}

/* maxT - W without overflow: INT64_MIN when maxT is none or too small. */
static int64_t window_start(int64_t max_time, int64_t window_ms) {
    if (max_time == SW_TIME_NONE || max_time < INT64_MIN + window_ms) return INT64_MIN;
    return max_time - window_ms;
}

sw_observe sw_window_observe(sw_user *u, sw_slab *slab, int64_t t, const sw_session_info *si,
                             uint64_t id_hash, int64_t window_ms, uint32_t min_sessions) {
    if (u->last_alert != SW_TIME_NONE && t <= u->last_alert) return SW_OBS_COVERED;

    int64_t max_time = (u->max_time == SW_TIME_NONE || t > u->max_time) ? t : u->max_time;
    int64_t start = window_start(max_time, window_ms);
    sw_session *s = find_session(u, &si->id, id_tag(id_hash));
    if (s) {
        if (t > s->last_seen) s->last_seen = t;
        if (t < s->first_seen) s->first_seen = t;
        if (s->events < UINT32_MAX) s->events++;
    } else {
        drop_expired(u, slab, start);
        s = sw_session_new(slab, si, id_hash, t, t, 1);
        if (!s) return SW_OBS_NOMEM;
        s->next = u->sessions;
        u->sessions = s;
        u->nsessions++;
    }
    u->max_time = max_time;

    uint32_t in_window = 0;
    for (sw_session *q = u->sessions; q; q = q->next)
        if (q->last_seen >= start) in_window++;
    return in_window >= min_sessions ? SW_OBS_ALERT : SW_OBS_COUNTED;
}

static int session_before(const sw_session *a, const sw_session *b) {
    if (a->last_seen != b->last_seen) return a->last_seen < b->last_seen;
    size_t n = a->id_len < b->id_len ? a->id_len : b->id_len;
    int c = memcmp(a->data, b->data, n);
    return c < 0 || (c == 0 && a->id_len < b->id_len);
}

/* Insertion sort: Q holds N (default 3) sessions. */
void sw_session_insert_ordered(const sw_session **out, size_t n, const sw_session *s) {
    size_t i = n;
    while (i > 0 && session_before(s, out[i - 1])) {
        out[i] = out[i - 1];
        i--;
    }
    out[i] = s;
}

size_t sw_window_collect(const sw_user *u, int64_t window_ms, const sw_session **out, size_t max) {
    int64_t start = window_start(u->max_time, window_ms);
    size_t n = 0;
    for (const sw_session *s = u->sessions; s && n < max; s = s->next) {
        if (s->last_seen < start) continue;
        sw_session_insert_ordered(out, n++, s);
    }
    return n;
}

void sw_window_reset(sw_user *u, sw_slab *slab) {
    u->last_alert = u->max_time;
    free_sessions(u, slab);
}

/* window.c -- see window.h. */
#include "window.h"

#include <string.h>

void sw_window_init(sw_user *u) {
    u->last_alert = SW_TIME_NONE;
    u->max_time = SW_TIME_NONE;
    u->nsessions = 0;
    u->sessions = NULL;
    u->names = NULL;
    u->name_len = u->alt_len = 0;
}

static void free_session(sw_session *s, sw_slab *slab) {
    sw_slab_free(slab, s, s->alloc);
}

static void free_sessions(sw_user *u, sw_slab *slab) {
    for (sw_session *s = u->sessions, *next; s; s = next) {
        next = s->next;
        free_session(s, slab);
    }
    u->sessions = NULL;
    u->nsessions = 0;
}

void sw_window_clear(sw_user *u, sw_slab *slab) {
    free_sessions(u, slab);
    if (u->names) sw_slab_free(slab, u->names, (size_t)u->name_len + u->alt_len);
    u->names = NULL;
    u->name_len = u->alt_len = 0;
}

size_t sw_utf8_cut(const char *p, size_t n, size_t max) {
    if (n <= max) return n;
    n = max;
    /* Step back over continuation bytes to the start of the cut character. */
    while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80) n--;
    return n;
}

void sw_window_set_names(sw_user *u, sw_slab *slab, sw_span name, sw_span alt) {
    if (u->names || (name.n == 0 && alt.n == 0)) return;
    size_t nl = sw_utf8_cut(name.p, name.n, SW_MAX_DETAIL);
    size_t al = sw_utf8_cut(alt.p, alt.n, SW_MAX_DETAIL);
    char *b = sw_slab_alloc(slab, nl + al);
    if (!b) return; /* names are decoration: the alert goes out without them */
    if (nl) memcpy(b, name.p, nl);
    if (al) memcpy(b + nl, alt.p, al);
    u->names = b;
    u->name_len = (uint16_t)nl;
    u->alt_len = (uint16_t)al;
}

static sw_session *new_session(sw_slab *slab, const sw_session_info *si, uint64_t id_hash, int64_t t) {
    size_t ip = sw_utf8_cut(si->ip.p, si->ip.n, SW_MAX_DETAIL);
    size_t ua = sw_utf8_cut(si->user_agent.p, si->user_agent.n, SW_MAX_UA);
    size_t co = sw_utf8_cut(si->country.p, si->country.n, SW_MAX_DETAIL);
    size_t ci = sw_utf8_cut(si->city.p, si->city.n, SW_MAX_DETAIL);
    size_t uu = sw_utf8_cut(si->uuid.p, si->uuid.n, SW_MAX_DETAIL);
    if (si->id.n > UINT32_MAX - 4096) return NULL;
    size_t total = sizeof(sw_session) + si->id.n + ip + ua + co + ci + uu;
    sw_session *s = sw_slab_alloc(slab, total);
    if (!s) return NULL;
    s->next = NULL;
    s->id_hash = id_hash;
    s->first_seen = s->last_seen = t;
    s->events = 1;
    s->id_len = (uint32_t)si->id.n;
    s->ip_len = (uint8_t)ip;
    s->ua_len = (uint16_t)ua;
    s->country_len = (uint8_t)co;
    s->city_len = (uint8_t)ci;
    s->uuid_len = (uint8_t)uu;
    s->alloc = (uint32_t)total;
    char *d = s->data;
    const sw_span parts[] = {{si->id.p, si->id.n}, {si->ip.p, ip},  {si->user_agent.p, ua},
                             {si->country.p, co},  {si->city.p, ci}, {si->uuid.p, uu}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (parts[i].n) memcpy(d, parts[i].p, parts[i].n);
        d += parts[i].n;
    }
    return s;
}

static sw_session *find_session(const sw_user *u, const sw_span *id, uint64_t id_hash) {
    for (sw_session *s = u->sessions; s; s = s->next)
        if (s->id_hash == id_hash && s->id_len == id->n && memcmp(s->data, id->p, id->n) == 0)
            return s;
    return NULL;
}

/* Drops the sessions whose last event is before the window's start. */
static void drop_expired(sw_user *u, sw_slab *slab, int64_t start) {
    sw_session **pp = &u->sessions;
    while (*pp) {
        sw_session *s = *pp;
        if (s->last_seen < start) {
            *pp = s->next;
            free_session(s, slab);
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
    sw_session *s = find_session(u, &si->id, id_hash);
    if (s) {
        if (t > s->last_seen) s->last_seen = t;
        if (t < s->first_seen) s->first_seen = t;
        if (s->events < UINT32_MAX) s->events++;
    } else {
        drop_expired(u, slab, start);
        s = new_session(slab, si, id_hash, t);
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

size_t sw_window_collect(const sw_user *u, int64_t window_ms, const sw_session **out, size_t max) {
    int64_t start = window_start(u->max_time, window_ms);
    size_t n = 0;
    for (const sw_session *s = u->sessions; s && n < max; s = s->next) {
        if (s->last_seen < start) continue;
        /* Insertion sort: Q holds N (default 3) sessions. */
        size_t i = n++;
        while (i > 0 && session_before(s, out[i - 1])) {
            out[i] = out[i - 1];
            i--;
        }
        out[i] = s;
    }
    return n;
}

void sw_window_reset(sw_user *u, sw_slab *slab) {
    u->last_alert = u->max_time;
    free_sessions(u, slab);
}

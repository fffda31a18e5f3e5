/* codec.c -- see codec.h. */
#include "codec.h"

#include <string.h>

#include "hash.h"

/* ---- writing ------------------------------------------------------------- */

static char *put(char *o, const void *p, size_t n) {
    if (n) memcpy(o, p, n);
    return o + n;
}
/* Fixed-width little-endian integers (the build targets little-endian
 * hosts; a static assert below says so). */
#define PUT(o, v) put((o), &(v), sizeof(v))

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "codec.c writes host order: little-endian only");

enum { USER_HEAD = 1 + 8 + 8 + 2 + 2 + 2, SESSION_HEAD = 8 + 8 + 4 + 4 + 1 + 2 + 1 + 1 + 1, TENANT_HEAD = 1 + 8 + 4,
       SLOT_SIZE = 8 + 4, TENANT2_HEAD = 1 + 1 + 4, TOP_SIZE = 8 + 8 };

/* The text the wire carries for a session: the same bytes the alert shows. */
static size_t session_text(const sw_session *s) {
    return (size_t)s->id_len + s->ip_len + s->ua_len + s->country_len + s->city_len + s->uuid_len;
}

size_t sw_codec_user_size(const sw_user *u) {
    size_t n = USER_HEAD;
    for (const sw_session *s = u->sessions; s; s = s->next) n += SESSION_HEAD + session_text(s);
    return n;
}

/* Writes exactly n bytes: src[0..avail) (avail capped at n), then zeros.
 * The fields always have their full text; the cap and the zeros only keep
 * a session edited behind the window's back (a test does that) from
 * making the value longer than sw_codec_user_size said. */
static char *put_exact(char *o, const char *src, size_t avail, size_t n) {
    size_t k = avail < n ? avail : n;
    if (k) memcpy(o, src, k);
    if (n > k) memset(o + k, 0, n - k);
    return o + n;
}

/* Bytes of s->data available from off, at most n. */
static size_t data_avail(const sw_session *s, size_t off, size_t n) {
    size_t d = sw_session_data_size(s);
    if (off >= d) return 0;
    return d - off < n ? d - off : n;
}

static char *put_session(char *o, const sw_session *s) {
    int64_t first = s->first_seen, last = s->last_seen;
    uint32_t events = s->events, id_len = s->id_len;
    uint8_t ip_len = s->ip_len, co_len = s->country_len, ci_len = s->city_len, uu_len = s->uuid_len;
    uint16_t ua_len = (uint16_t)s->ua_len;
    o = PUT(o, first);
    o = PUT(o, last);
    o = PUT(o, events);
    o = PUT(o, id_len);
    o = PUT(o, ip_len);
    o = PUT(o, ua_len);
    o = PUT(o, co_len);
    o = PUT(o, ci_len);
    o = PUT(o, uu_len);
    o = put_exact(o, s->data, data_avail(s, 0, id_len), id_len);

    /* A binary ip or uuid prints back to exactly its text (window.c); buf
     * starts zeroed so that strnlen gives the printed length. */
    char buf[SW_SESSION_TEXT_BUF];
    size_t off = id_len, size = sw_session_ip_size(s);
    if (s->form & SW_FORM_IP_MASK) {
        memset(buf, 0, sizeof buf);
        if (data_avail(s, off, size) == size) sw_session_ip_r(s, buf);
        o = put_exact(o, buf, strnlen(buf, sizeof buf), ip_len);
    } else {
        o = put_exact(o, s->data + off, data_avail(s, off, ip_len), ip_len);
    }
    off += size;
    size_t uu_size = sw_session_uuid_size(s);

    /* User agent, country, city: interned, or inline after the uuid. */
    if (s->form & SW_FORM_CLIENT_INLINE) {
        size_t c = off + uu_size;
        o = put_exact(o, s->data + c, data_avail(s, c, s->ua_len), s->ua_len);
        c += s->ua_len;
        o = put_exact(o, s->data + c, data_avail(s, c, co_len), co_len);
        c += co_len;
        o = put_exact(o, s->data + c, data_avail(s, c, ci_len), ci_len);
    } else {
        const sw_client *c = sw_session_client(s);
        o = put_exact(o, c ? c->data : "", c ? c->ua_len : 0, s->ua_len);
        o = put_exact(o, c ? c->data + c->ua_len : "", c ? c->country_len : 0, co_len);
        o = put_exact(o, c ? c->data + c->ua_len + c->country_len : "", c ? c->city_len : 0, ci_len);
    }

    if (s->form & SW_FORM_UUID) {
        memset(buf, 0, sizeof buf);
        if (data_avail(s, off, 16) == 16) sw_session_uuid_r(s, buf);
        o = put_exact(o, buf, strnlen(buf, sizeof buf), uu_len);
    } else {
        o = put_exact(o, s->data + off, data_avail(s, off, uu_len), uu_len);
    }
    return o;
}

void sw_codec_user_encode(const sw_user *u, char *o) {
    uint8_t version = SW_STATE_FORMAT;
    o = PUT(o, version);
    o = PUT(o, u->last_alert);
    o = PUT(o, u->max_time);
    uint16_t no_names = 0, nsessions = u->nsessions; /* name_len, alt_len: see codec.h */
    o = PUT(o, no_names);
    o = PUT(o, no_names);
    o = PUT(o, nsessions);
    for (const sw_session *s = u->sessions; s; s = s->next) o = put_session(o, s);
}

size_t sw_codec_tenant_size(const sw_tenant *t) {
    return TENANT2_HEAD + (size_t)t->ntop * TOP_SIZE + (size_t)t->ncap * SLOT_SIZE;
}

void sw_codec_tenant_encode(const sw_tenant *t, char *o) {
    uint8_t version = SW_TENANT_LAYOUT, ntop = t->ntop;
    uint32_t nslots = t->ncap;
    o = PUT(o, version);
    o = PUT(o, ntop);
    for (uint32_t i = 0; i < ntop; i++) {
        o = PUT(o, t->top[i].time);
        o = PUT(o, t->top[i].actor);
    }
    o = PUT(o, nslots);
    for (uint32_t i = 0; i < nslots; i++) {
        o = PUT(o, t->cap[i].bucket);
        o = PUT(o, t->cap[i].count);
    }
}

/* ---- reading: every read is bounds-checked ------------------------------- */

typedef struct {
    const char *p, *end;
    int bad;
} reader;

static void get(reader *r, void *v, size_t n) {
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        memset(v, 0, n);
        return;
    }
    memcpy(v, r->p, n);
    r->p += n;
}
#define GET(r, v) get((r), &(v), sizeof(v))

static const char *take(reader *r, size_t n) {
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const char *p = r->p;
    r->p += n;
    return p;
}

sw_codec_status sw_codec_user_decode(sw_user *u, sw_slab *slab, const char *p, size_t n, uint64_t id_seed) {
    reader r = {p, p + n, 0};
    uint8_t version = 0;
    int64_t last_alert, max_time;
    uint16_t name_len, alt_len, nsessions;
    GET(&r, version);
    GET(&r, last_alert);
    GET(&r, max_time);
    GET(&r, name_len);
    GET(&r, alt_len);
    take(&r, (size_t)name_len + alt_len); /* an older build's names: checked, not kept */
    GET(&r, nsessions);
    if (r.bad || version != SW_STATE_FORMAT || name_len > SW_MAX_DETAIL || alt_len > SW_MAX_DETAIL ||
        nsessions > SW_CODEC_MAX_SESSIONS)
        return SW_CODEC_CORRUPT;
    /* r <= maxT; a key with no event has neither. */
    if ((max_time == SW_TIME_NONE && (last_alert != SW_TIME_NONE || nsessions)) ||
        (last_alert != SW_TIME_NONE && last_alert > max_time))
        return SW_CODEC_CORRUPT;

    sw_codec_status st = SW_CODEC_OK;
    u->last_alert = last_alert;
    u->max_time = max_time;
    sw_session **tail = &u->sessions;
    for (uint16_t i = 0; i < nsessions && st == SW_CODEC_OK; i++) {
        int64_t first, last;
        uint32_t events, id_len;
        uint8_t ip_len, co_len, ci_len, uu_len;
        uint16_t ua_len;
        GET(&r, first);
        GET(&r, last);
        GET(&r, events);
        GET(&r, id_len);
        GET(&r, ip_len);
        GET(&r, ua_len);
        GET(&r, co_len);
        GET(&r, ci_len);
        GET(&r, uu_len);
        size_t data = (size_t)id_len + ip_len + ua_len + co_len + ci_len + uu_len;
        const char *d = id_len <= SW_CODEC_MAX_ID ? take(&r, data) : NULL;
        if (!d || ua_len > SW_MAX_UA || first == SW_TIME_NONE || first > last || last > max_time || events == 0) {
            st = SW_CODEC_CORRUPT;
            break;
        }
        for (const sw_session *q = u->sessions; q; q = q->next)
            if (q->id_len == id_len && memcmp(q->data, d, id_len) == 0) st = SW_CODEC_CORRUPT;
        if (st != SW_CODEC_OK) break;
        /* Every length is within the window's caps, so sw_session_new keeps
         * each string whole and the session re-encodes to these bytes. */
        const char *ip = d + id_len, *ua = ip + ip_len, *co = ua + ua_len, *ci = co + co_len, *uu = ci + ci_len;
        sw_session_info si = {
            .id = {d, id_len}, .ip = {ip, ip_len}, .user_agent = {ua, ua_len},
            .country = {co, co_len}, .city = {ci, ci_len}, .uuid = {uu, uu_len},
        };
        sw_session *s = sw_session_new(slab, &si, sw_hash64(d, id_len, id_seed), first, last, events);
        if (!s) {
            st = SW_CODEC_NOMEM;
            break;
        }
        *tail = s;
        tail = &s->next;
        u->nsessions++;
    }
    if (st == SW_CODEC_OK && r.p != r.end) st = SW_CODEC_CORRUPT; /* trailing bytes */
    if (st != SW_CODEC_OK) {
        sw_window_clear(u, slab);
        sw_window_init(u);
    }
    return st;
}

/* Copies n bytes from the reader to o; NULL when they are not there. */
static char *copy(reader *r, char *o, size_t n) {
    const char *p = take(r, n);
    return p ? put(o, p, n) : NULL;
}

sw_codec_status sw_codec_user_prefix_ids(const char *p, size_t n, char kind, char *out, size_t *out_len) {
    reader r = {p, p + n, 0};
    enum { NAMES_AT = 1 + 8 + 8, ID_LEN_AT = 8 + 8 + 4 };
    uint16_t name_len, alt_len, nsessions;
    char *o = copy(&r, out, NAMES_AT);
    GET(&r, name_len);
    GET(&r, alt_len);
    if (!o || r.bad || p[0] != SW_STATE_FORMAT) return SW_CODEC_CORRUPT;
    o = PUT(o, name_len);
    o = PUT(o, alt_len);
    if (!(o = copy(&r, o, (size_t)name_len + alt_len))) return SW_CODEC_CORRUPT;
    GET(&r, nsessions);
    if (r.bad || nsessions > SW_CODEC_MAX_SESSIONS) return SW_CODEC_CORRUPT;
    o = PUT(o, nsessions);
    for (uint16_t i = 0; i < nsessions; i++) {
        const char *head = take(&r, SESSION_HEAD);
        if (!head) return SW_CODEC_CORRUPT;
        uint32_t id_len;
        uint8_t ip_len, co_len, ci_len, uu_len;
        uint16_t ua_len;
        memcpy(&id_len, head + ID_LEN_AT, 4);
        memcpy(&ip_len, head + ID_LEN_AT + 4, 1);
        memcpy(&ua_len, head + ID_LEN_AT + 5, 2);
        memcpy(&co_len, head + ID_LEN_AT + 7, 1);
        memcpy(&ci_len, head + ID_LEN_AT + 8, 1);
        memcpy(&uu_len, head + ID_LEN_AT + 9, 1);
        if (id_len >= SW_CODEC_MAX_ID) return SW_CODEC_CORRUPT;
        uint32_t longer = id_len + 1;
        o = put(o, head, ID_LEN_AT);
        o = PUT(o, longer);
        o = put(o, head + ID_LEN_AT + 4, SESSION_HEAD - ID_LEN_AT - 4);
        *o++ = kind;
        if (!(o = copy(&r, o, (size_t)id_len + ip_len + ua_len + co_len + ci_len + uu_len))) return SW_CODEC_CORRUPT;
    }
    if (r.p != r.end) return SW_CODEC_CORRUPT; /* trailing bytes */
    *out_len = (size_t)(o - out);
    return SW_CODEC_OK;
}

/* The top list of a layout-2 value into top[]: newest first, no time
 * "none", no actor twice.  -1 when it breaks that. */
static int read_top(reader *r, sw_wm_actor *top, uint8_t *ntop) {
    GET(r, *ntop);
    if (r->bad || *ntop > SW_WM_ACTORS) return -1;
    for (uint32_t i = 0; i < *ntop; i++) {
        GET(r, top[i].time);
        GET(r, top[i].actor);
        if (r->bad || top[i].time == SW_TIME_NONE || (i && top[i].time > top[i - 1].time)) return -1;
        for (uint32_t k = 0; k < i; k++)
            if (top[k].actor == top[i].actor) return -1;
    }
    return 0;
}

sw_codec_status sw_codec_tenant_decode(sw_store *s, sw_tenant *t, const char *p, size_t n) {
    reader r = {p, p + n, 0};
    uint8_t version = 0, ntop = 0;
    sw_wm_actor top[SW_WM_ACTORS];
    uint32_t nslots;
    GET(&r, version);
    if (version == SW_TENANT_LAYOUT) {
        if (read_top(&r, top, &ntop) != 0) return SW_CODEC_CORRUPT;
    } else if (version == 1) {
        /* An older build's layout: a watermark (the newest event time, which
         * a forged record may have set) and no top list.  The watermark is
         * not kept; sw_store_restored rebuilds the list from the keys. */
        int64_t old_watermark;
        GET(&r, old_watermark);
    } else {
        return SW_CODEC_CORRUPT;
    }
    GET(&r, nslots);
    if (r.bad || nslots > UINT16_MAX || (size_t)(r.end - r.p) != (size_t)nslots * SLOT_SIZE) return SW_CODEC_CORRUPT;
    const char *slots = r.p;
    memcpy(t->top, top, sizeof(sw_wm_actor) * ntop);
    t->ntop = ntop;
    t->watermark = ntop == SW_WM_ACTORS ? top[SW_WM_ACTORS - 1].time : SW_TIME_NONE;
    for (uint32_t i = 0; i < nslots; i++) {
        int64_t bucket;
        uint32_t count;
        memcpy(&bucket, slots + (size_t)i * SLOT_SIZE, 8);
        memcpy(&count, slots + (size_t)i * SLOT_SIZE + 8, 4);
        if (sw_store_cap_restore(s, t, bucket, count) != 0) return SW_CODEC_NOMEM;
    }
    return SW_CODEC_OK;
}

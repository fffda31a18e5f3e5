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
       SLOT_SIZE = 8 + 4 };

static size_t session_data(const sw_session *s) {
    return (size_t)s->id_len + s->ip_len + s->ua_len + s->country_len + s->city_len + s->uuid_len;
}

size_t sw_codec_user_size(const sw_user *u) {
    size_t n = USER_HEAD + (size_t)u->name_len + u->alt_len;
    for (const sw_session *s = u->sessions; s; s = s->next) n += SESSION_HEAD + session_data(s);
    return n;
}

void sw_codec_user_encode(const sw_user *u, char *o) {
    uint8_t version = SW_STATE_FORMAT;
    o = PUT(o, version);
    o = PUT(o, u->last_alert);
    o = PUT(o, u->max_time);
    o = PUT(o, u->name_len);
    o = PUT(o, u->alt_len);
    o = put(o, u->names, (size_t)u->name_len + u->alt_len);
    o = PUT(o, u->nsessions);
    for (const sw_session *s = u->sessions; s; s = s->next) {
        o = PUT(o, s->first_seen);
        o = PUT(o, s->last_seen);
        o = PUT(o, s->events);
        o = PUT(o, s->id_len);
        o = PUT(o, s->ip_len);
        o = PUT(o, s->ua_len);
        o = PUT(o, s->country_len);
        o = PUT(o, s->city_len);
        o = PUT(o, s->uuid_len);
        o = put(o, s->data, session_data(s));
    }
}

size_t sw_codec_tenant_size(const sw_store *s) { return TENANT_HEAD + (size_t)s->cap_slots * SLOT_SIZE; }

void sw_codec_tenant_encode(const sw_store *s, const sw_tenant *t, char *o) {
    uint8_t version = SW_STATE_FORMAT;
    o = PUT(o, version);
    o = PUT(o, t->watermark);
    o = PUT(o, s->cap_slots);
    for (uint32_t i = 0; i < s->cap_slots; i++) {
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
    const char *names = take(&r, (size_t)name_len + alt_len);
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
    if (name_len || alt_len) {
        sw_window_set_names(u, slab, (sw_span){names, name_len}, (sw_span){names + name_len, alt_len});
        if (!u->names) return SW_CODEC_NOMEM;
    }
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
        uint64_t h = sw_hash64(d, id_len, id_seed);
        for (const sw_session *q = u->sessions; q; q = q->next)
            if (q->id_hash == h && q->id_len == id_len && memcmp(q->data, d, id_len) == 0) st = SW_CODEC_CORRUPT;
        if (st != SW_CODEC_OK) break;
        size_t total = sizeof(sw_session) + data;
        sw_session *s = sw_slab_alloc(slab, total);
        if (!s) {
            st = SW_CODEC_NOMEM;
            break;
        }
        *s = (sw_session){
            .next = NULL, .id_hash = h, .first_seen = first, .last_seen = last, .events = events,
            .id_len = id_len, .ua_len = ua_len, .ip_len = ip_len, .country_len = co_len, .city_len = ci_len,
            .uuid_len = uu_len, .alloc = (uint32_t)total,
        };
        memcpy(s->data, d, data);
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

sw_codec_status sw_codec_tenant_decode(sw_store *s, sw_tenant *t, const char *p, size_t n) {
    reader r = {p, p + n, 0};
    uint8_t version = 0;
    int64_t watermark;
    uint32_t nslots;
    GET(&r, version);
    GET(&r, watermark);
    GET(&r, nslots);
    if (r.bad || version != SW_STATE_FORMAT || (size_t)(r.end - r.p) != (size_t)nslots * SLOT_SIZE)
        return SW_CODEC_CORRUPT;
    for (uint32_t i = 0; i < nslots; i++) {
        int64_t bucket;
        uint32_t count;
        GET(&r, bucket);
        GET(&r, count);
        sw_store_cap_restore(s, t, bucket, count);
    }
    t->watermark = watermark;
    return SW_CODEC_OK;
}

/* fuzz_codec.c -- libFuzzer target: the Redis state decoder (state/format/codec.c).
 *
 * Checkpoint values come back from Redis, where anyone with access can
 * write anything, so the decoder must survive any bytes and never accept a
 * value that breaks the window's invariants.  The input goes to both
 * decoders, each into a fresh entry:
 *  - sw_codec_user_decode: on success the user holds what the value says
 *    (r <= maxT, every session first <= last <= maxT with events > 0, no
 *    repeated session id, at most SW_CODEC_MAX_SESSIONS), and re-encoding
 *    gives exactly the input bytes back, less the names an older build
 *    wrote (this build writes none); on failure the entry is empty.
 *  - sw_codec_tenant_decode (a store with the default window and
 *    lateness): on failure the tenant is untouched; on success its top
 *    list is newest first with distinct actors, the watermark is the
 *    list's last time when full, and re-encoding gives the input bytes
 *    back when the value is canonical (layout 2, every bucket distinct,
 *    set and non-empty, no more than the store remembers).  Any other
 *    accepted value is normalised: its re-encoding decodes and re-encodes
 *    to itself.
 *  - sw_codec_user_prefix_ids (the rolling upgrade's conversion): any
 *    bytes give OK (at most SW_CODEC_MAX_SESSIONS bytes longer) or
 *    CORRUPT; a value that decodes converts, and the conversion decodes to
 *    the same sessions in the same order, each id with the kind byte in
 *    front. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "fuzz.h"
#include "slab.h"
#include "store.h"
#include "window.h"

#define ID_SEED 0x5eed5eed5eed5eedULL

static void check_user(const uint8_t *data, size_t size) {
    sw_slab slab;
    sw_slab_init(&slab);
    sw_user u;
    memset(&u, 0, sizeof u);
    sw_window_init(&u);
    sw_codec_status st = sw_codec_user_decode(&u, &slab, (const char *)data, size, ID_SEED);
    FZ_CHECK(st == SW_CODEC_OK || st == SW_CODEC_CORRUPT);
    if (st == SW_CODEC_OK) {
        FZ_CHECK(u.max_time != SW_TIME_NONE || (u.last_alert == SW_TIME_NONE && u.nsessions == 0));
        FZ_CHECK(u.last_alert == SW_TIME_NONE || u.last_alert <= u.max_time);
        size_t count = 0;
        for (const sw_session *s = u.sessions; s; s = s->next, count++) {
            FZ_CHECK(s->first_seen != SW_TIME_NONE && s->first_seen <= s->last_seen && s->last_seen <= u.max_time);
            FZ_CHECK(s->events > 0);
            FZ_CHECK(s->ua_len <= SW_MAX_UA);
            for (const sw_session *t = s->next; t; t = t->next)
                FZ_CHECK(t->id_len != s->id_len || memcmp(sw_session_id(t), sw_session_id(s), s->id_len) != 0);
        }
        FZ_CHECK(count == u.nsessions && count <= SW_CODEC_MAX_SESSIONS);
        /* The value as this build writes it: names dropped (codec.h). */
        enum { HEAD = 1 + 8 + 8 };
        uint16_t lens[2];
        memcpy(lens, data + HEAD, sizeof lens);
        size_t names = (size_t)lens[0] + lens[1], n = sw_codec_user_size(&u);
        FZ_CHECK(n == size - names);
        char *want = malloc(n), *out = malloc(n);
        FZ_CHECK(want && out);
        memcpy(want, data, HEAD);
        memset(want + HEAD, 0, sizeof lens);
        memcpy(want + HEAD + sizeof lens, data + HEAD + sizeof lens + names, size - HEAD - sizeof lens - names);
        sw_codec_user_encode(&u, out);
        FZ_CHECK(memcmp(out, want, n) == 0);
        free(want);
        free(out);
    } else {
        FZ_CHECK(u.nsessions == 0 && !u.sessions);
        FZ_CHECK(u.last_alert == SW_TIME_NONE && u.max_time == SW_TIME_NONE);
    }
    sw_window_clear(&u, &slab);
    sw_slab_destroy(&slab);
}

/* data decoded into a fresh entry of slab; its status. */
static sw_codec_status decode(sw_user *u, sw_slab *slab, const char *data, size_t size) {
    memset(u, 0, sizeof *u);
    sw_window_init(u);
    return sw_codec_user_decode(u, slab, data, size, ID_SEED);
}

static void check_prefix_ids(const uint8_t *data, size_t size) {
    char *out = malloc(size + SW_CODEC_MAX_SESSIONS + 1);
    FZ_CHECK(out);
    size_t n = 0;
    sw_codec_status st = sw_codec_user_prefix_ids((const char *)data, size, 'v', out, &n);
    FZ_CHECK(st == SW_CODEC_OK || st == SW_CODEC_CORRUPT);
    if (st == SW_CODEC_OK) FZ_CHECK(n >= size && n <= size + SW_CODEC_MAX_SESSIONS);
    sw_slab slab;
    sw_slab_init(&slab);
    sw_user u, v;
    if (decode(&u, &slab, (const char *)data, size) == SW_CODEC_OK) {
        FZ_CHECK(st == SW_CODEC_OK && decode(&v, &slab, out, n) == SW_CODEC_OK);
        FZ_CHECK(n == size + u.nsessions && v.nsessions == u.nsessions);
        FZ_CHECK(v.last_alert == u.last_alert && v.max_time == u.max_time);
        for (const sw_session *a = u.sessions, *b = v.sessions; a || b; a = a->next, b = b->next) {
            FZ_CHECK(a && b && b->id_len == a->id_len + 1 && sw_session_id(b)[0] == 'v');
            FZ_CHECK(memcmp(sw_session_id(b) + 1, sw_session_id(a), a->id_len) == 0);
            FZ_CHECK(a->first_seen == b->first_seen && a->last_seen == b->last_seen && a->events == b->events);
        }
        sw_window_clear(&v, &slab);
    }
    sw_window_clear(&u, &slab);
    sw_slab_destroy(&slab);
    free(out);
}

/* A fresh store and its one tenant. */
static sw_tenant *fresh(sw_store *s) {
    FZ_CHECK(sw_store_init(s, 35LL * 60 * 1000, 10LL * 60 * 1000) == 0);
    sw_tenant *t = sw_store_tenant(s, "t", 1);
    FZ_CHECK(t);
    return t;
}

static void check_tenant(const uint8_t *data, size_t size) {
    sw_store s;
    sw_tenant *t = fresh(&s);
    sw_codec_status st = sw_codec_tenant_decode(&s, t, (const char *)data, size);
    FZ_CHECK(st == SW_CODEC_OK || st == SW_CODEC_CORRUPT);
    if (st != SW_CODEC_OK) {
        FZ_CHECK(t->watermark == SW_TIME_NONE && t->ntop == 0 && t->ncap == 0);
        sw_store_destroy(&s);
        return;
    }
    FZ_CHECK(size >= 1 && (data[0] == 1 || data[0] == SW_TENANT_LAYOUT));
    /* The top list: newest first, distinct actors; the watermark is its
     * last time when full. */
    FZ_CHECK(t->ntop <= SW_WM_ACTORS);
    for (uint32_t i = 1; i < t->ntop; i++) {
        FZ_CHECK(t->top[i].time <= t->top[i - 1].time);
        for (uint32_t k = 0; k < i; k++) FZ_CHECK(t->top[k].actor != t->top[i].actor);
    }
    FZ_CHECK(t->watermark == (t->ntop == SW_WM_ACTORS ? t->top[SW_WM_ACTORS - 1].time : SW_TIME_NONE));
    FZ_CHECK(t->ncap <= s.cap_slots);

    size_t n = sw_codec_tenant_size(t);
    char *y = malloc(n);
    FZ_CHECK(y);
    sw_codec_tenant_encode(t, y);

    /* A layout-2 value with at most cap_slots distinct set buckets of
     * non-zero counts, in order, re-encodes to itself. */
    bool canon = data[0] == SW_TENANT_LAYOUT;
    if (canon) {
        size_t off = 2 + (size_t)data[1] * 16;
        uint32_t nslots;
        memcpy(&nslots, data + off, 4);
        canon = nslots <= s.cap_slots;
        for (uint32_t i = 0; canon && i < nslots; i++) {
            int64_t b;
            uint32_t c;
            memcpy(&b, data + off + 4 + 12 * (size_t)i, 8);
            memcpy(&c, data + off + 4 + 12 * (size_t)i + 8, 4);
            if (b == SW_TIME_NONE || c == 0) canon = false;
            for (uint32_t k = 0; canon && k < i; k++) {
                int64_t o;
                memcpy(&o, data + off + 4 + 12 * (size_t)k, 8);
                if (o == b) canon = false;
            }
        }
    }
    if (canon) FZ_CHECK(n == size && memcmp(y, data, n) == 0);

    /* The normalised value is a fixed point. */
    sw_store s2;
    sw_tenant *t2 = fresh(&s2);
    FZ_CHECK(sw_codec_tenant_decode(&s2, t2, y, n) == SW_CODEC_OK);
    FZ_CHECK(sw_codec_tenant_size(t2) == n);
    char *z = malloc(n);
    FZ_CHECK(z);
    sw_codec_tenant_encode(t2, z);
    FZ_CHECK(memcmp(y, z, n) == 0);
    free(z);
    free(y);
    sw_store_destroy(&s2);
    sw_store_destroy(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_user(data, size);
    check_tenant(data, size);
    check_prefix_ids(data, size);
    return 0;
}

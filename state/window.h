/* window.h -- the rule's state machine for one key (tenant, actor id).
 *
 * A key holds r (time of its last alert), maxT (newest event time) and its
 * sessions: for each external session id its first and last event time,
 * event count and the client of its first event (what the alert shows).
 * sw_window_observe applies one eligible event:
 *   1. t <= r: ignored, the previous alert covers it;
 *   2. last(s) = max(last(s), t); maxT = max(maxT, t);
 *   3. Q = sessions with last(s) >= maxT - W (inclusive);
 *   4. |Q| >= N: alert with exactly Q, then r = maxT and the sessions go.
 * Sessions that fall out of the window are dropped when a new session needs
 * room: they can never count again (maxT only grows, and a later event for
 * the same id sets last(s) to a time newer than the forgotten one).  Since
 * an alert fires the moment N sessions are inside the window, a key never
 * holds more than N sessions: memory per key is bounded by N.
 *
 * Times are milliseconds since the Unix epoch. */
#ifndef SW_WINDOW_H
#define SW_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "slab.h"
#include "table.h"

#define SW_TIME_NONE INT64_MIN

/* Longest client strings kept for the alert (cut on a UTF-8 boundary);
 * session and actor ids are always kept whole. */
#define SW_MAX_DETAIL 255
#define SW_MAX_UA 512

typedef struct {
    const char *p;
    size_t n;
} sw_span;

typedef struct {
    sw_span id, ip, user_agent, country, city, uuid;
} sw_session_info;

typedef struct sw_session {
    struct sw_session *next;
    uint64_t id_hash;
    int64_t first_seen, last_seen;
    uint32_t events;
    uint32_t id_len;
    uint16_t ua_len;
    uint8_t ip_len, country_len, city_len, uuid_len;
    uint32_t alloc; /* bytes of this blob, for sw_slab_free */
    char data[];    /* id, ip, user agent, country, city, uuid */
} sw_session;

static inline const char *sw_session_id(const sw_session *s) { return s->data; }
static inline const char *sw_session_ip(const sw_session *s) { return s->data + s->id_len; }
static inline const char *sw_session_ua(const sw_session *s) { return sw_session_ip(s) + s->ip_len; }
static inline const char *sw_session_country(const sw_session *s) { return sw_session_ua(s) + s->ua_len; }
static inline const char *sw_session_city(const sw_session *s) { return sw_session_country(s) + s->country_len; }
static inline const char *sw_session_uuid(const sw_session *s) { return sw_session_city(s) + s->city_len; }

/* One key's state; lives in a sw_table (the key bytes are the tenant index
 * followed by the actor id). */
typedef struct {
    sw_tkey k;
    int64_t last_alert; /* r */
    int64_t max_time;   /* maxT */
    uint32_t tenant;    /* index of the tenant in the store */
    uint8_t dirty;      /* changed since the last checkpoint (store.h) */
    uint16_t nsessions;
    uint16_t name_len;  /* display name, then alternate id, in names */
    uint16_t alt_len;
    char *names;
    sw_session *sessions;
} sw_user;

typedef enum {
    SW_OBS_COVERED = 0, /* t <= r: ignored */
    SW_OBS_COUNTED,     /* state updated, no alert */
    SW_OBS_ALERT,       /* |Q| >= N: read Q, then call sw_window_reset */
    SW_OBS_NOMEM        /* state unchanged: out of memory */
} sw_observe;

/* Resets a fresh entry (r = maxT = none). */
void sw_window_init(sw_user *u);
/* Frees everything the key holds (not the table entry itself). */
void sw_window_clear(sw_user *u, sw_slab *slab);
/* Stores display name and alternate id if the key has none yet. */
void sw_window_set_names(sw_user *u, sw_slab *slab, sw_span name, sw_span alt);

sw_observe sw_window_observe(sw_user *u, sw_slab *slab, int64_t t, const sw_session_info *si,
                             uint64_t id_hash, int64_t window_ms, uint32_t min_sessions);

/* The sessions in Q after an ALERT, ordered by last_seen then id; returns
 * how many (at most max). */
size_t sw_window_collect(const sw_user *u, int64_t window_ms, const sw_session **out, size_t max);

/* After an alert: r = maxT, sessions forgotten. */
void sw_window_reset(sw_user *u, sw_slab *slab);

/* Cuts n so that p[0..n) ends on a UTF-8 character boundary and n <= max. */
size_t sw_utf8_cut(const char *p, size_t n, size_t max);

#endif

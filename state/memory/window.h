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
 * Memory layout (what a tracked user costs; bench/growth measures it):
 *   - sw_user is the users table's entry (64 bytes), with the key inline
 *     when it fits (table.h);
 *   - no names: the alert shows the display name and alternate id of the
 *     event that completes it, which the engine has in hand, so a key
 *     never pays for them;
 *   - one slab blob per session: a 48-byte header, then the session id as
 *     text, the IP and the event uuid in binary when they parse and print
 *     back to exactly the same text (IPv4 dotted quad, IPv6 in RFC 5952
 *     form, lowercase canonical uuid), as text otherwise;
 *   - the user agent, country and city are one interned, reference-counted
 *     entry of the store's client table (strtab.h), shared by every session
 *     that shows the same three strings.  The session holds its address
 *     packed in 44 bits (8-byte aligned, below 2^47, as user-space heap
 *     addresses on x86-64 Linux are); should an address ever not fit,
 *     that session keeps the three strings in its own blob instead.
 * The text the alert shows is therefore always the text of the event, byte
 * for byte; the accessors below give it back.
 *
 * Times are milliseconds since the Unix epoch. */
#ifndef SW_WINDOW_H
#define SW_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "slab.h"
#include "strtab.h"
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

/* How a session blob stores its fields (sw_session.form). */
#define SW_FORM_IP4 1u            /* ip: 4 bytes, prints as a dotted quad */
#define SW_FORM_IP6 2u            /* ip: 16 bytes, prints in RFC 5952 form */
#define SW_FORM_IP_MASK 3u        /* neither: ip_len bytes of text */
#define SW_FORM_UUID 4u           /* uuid: 16 bytes, prints as 8-4-4-4-12 lowercase hex */
#define SW_FORM_CLIENT_INLINE 8u  /* ua, country, city: text after the uuid, not interned */

typedef struct sw_session {
    struct sw_session *next;
    int64_t first_seen, last_seen;
    uint64_t client : 44; /* interned sw_client address >> 3; 0: none (all three strings empty) */
    uint64_t ua_len : 10; /* <= SW_MAX_UA */
    uint64_t form : 4;    /* SW_FORM_* */
    uint64_t tag : 6;     /* top 6 bits of the id's hash: most id compares stop here */
    uint32_t events;
    uint32_t id_len;
    uint32_t alloc;       /* bytes of this blob: sizeof(sw_session) + its data */
    uint8_t ip_len, country_len, city_len, uuid_len; /* text lengths, as the alert prints them */
    char data[];          /* id, ip, uuid, [ua, country, city when SW_FORM_CLIENT_INLINE] */
} sw_session;

_Static_assert(sizeof(sw_session) == 48, "sw_session header is 48 bytes");

/* Longest text of a binary ip or uuid, plus room. */
#define SW_SESSION_TEXT_BUF 48

static inline size_t sw_session_ip_size(const sw_session *s) {
    unsigned f = s->form & SW_FORM_IP_MASK;
    return f == SW_FORM_IP4 ? 4 : f == SW_FORM_IP6 ? 16 : s->ip_len;
}
static inline size_t sw_session_uuid_size(const sw_session *s) {
    return (s->form & SW_FORM_UUID) ? 16 : s->uuid_len;
}
static inline const sw_client *sw_session_client(const sw_session *s) {
    return (const sw_client *)(uintptr_t)((uint64_t)s->client << 3);
}
/* Bytes of data[] in use. */
static inline size_t sw_session_data_size(const sw_session *s) { return s->alloc - sizeof(sw_session); }

static inline const char *sw_session_id(const sw_session *s) { return s->data; }
static inline const char *sw_session_ua(const sw_session *s) {
    if (s->form & SW_FORM_CLIENT_INLINE) return s->data + s->id_len + sw_session_ip_size(s) + sw_session_uuid_size(s);
    const sw_client *c = sw_session_client(s);
    return c ? c->data : "";
}
static inline const char *sw_session_country(const sw_session *s) { return sw_session_ua(s) + s->ua_len; }
static inline const char *sw_session_city(const sw_session *s) { return sw_session_country(s) + s->country_len; }

/* The ip and uuid text (ip_len / uuid_len bytes).  The _r forms print a
 * binary field into buf (SW_SESSION_TEXT_BUF bytes) and return buf, or
 * return the stored text.  The plain forms use a small per-thread ring of
 * buffers instead: the text stays valid for the next 7 such calls on the
 * thread (enough for any one expression); prefer _r in loops. */
const char *sw_session_ip_r(const sw_session *s, char *buf);
const char *sw_session_uuid_r(const sw_session *s, char *buf);
const char *sw_session_ip(const sw_session *s);
const char *sw_session_uuid(const sw_session *s);

/* One key's state: the users table's entry, 64 bytes.  The key bytes are
 * the tenant index (4 bytes, = tenant) followed by the actor id; when they
 * fit in SW_USER_KEY_INLINE bytes the table keeps them in place, starting
 * at tenant (store.c), so a lookup needs no other memory.  A key holds at
 * most SW_MAX_SESSIONS sessions (SW_CODEC_MAX_SESSIONS in a checkpoint
 * value, codec.h), hence the narrow count. */
#define SW_USER_KEY_INLINE 24
/* The largest --min-sessions (N): an alert fires the moment N sessions are
 * in the window, so no key holds more; alerts list at most this many. */
#define SW_MAX_SESSIONS 64
typedef struct {
    sw_tkey k;
    uint32_t tenant;    /* index of the tenant in the store: the key's first 4 bytes */
    char key_tail[SW_USER_KEY_INLINE - 4]; /* the actor id, when the key is inline */
    uint16_t nsessions : 10;
    uint16_t dirty : 2; /* changed since the last checkpoint (store.h) */
    int64_t last_alert; /* r */
    int64_t max_time;   /* maxT */
    sw_session *sessions;
} sw_user;

_Static_assert(sizeof(sw_user) == 64, "sw_user is 64 bytes");
_Static_assert(offsetof(sw_user, key_tail) + sizeof(((sw_user *)0)->key_tail) - offsetof(sw_user, tenant) ==
                   SW_USER_KEY_INLINE,
               "the inline key is tenant + key_tail");

typedef enum {
    SW_OBS_COVERED = 0, /* t <= r: ignored */
    SW_OBS_COUNTED,     /* state updated, no alert */
    SW_OBS_ALERT,       /* |Q| >= N: read Q, then call sw_window_reset */
    SW_OBS_NOMEM        /* state unchanged: out of memory */
} sw_observe;

/* Resets a fresh entry (r = maxT = none).  Never touches k or tenant. */
void sw_window_init(sw_user *u);
/* Frees everything the key holds (not the table entry itself). */
void sw_window_clear(sw_user *u, sw_slab *slab);

sw_observe sw_window_observe(sw_user *u, sw_slab *slab, int64_t t, const sw_session_info *si,
                             uint64_t id_hash, int64_t window_ms, uint32_t min_sessions);

/* The sessions in Q after an ALERT, ordered by last_seen then id; returns
 * how many (at most max). */
size_t sw_window_collect(const sw_user *u, int64_t window_ms, const sw_session **out, size_t max);

/* Inserts s into out[0 .. n), kept ordered by last_seen then id bytes
 * (Q's order); out has room for n + 1. */
void sw_session_insert_ordered(const sw_session **out, size_t n, const sw_session *s);

/* After an alert: r = maxT, sessions forgotten. */
void sw_window_reset(sw_user *u, sw_slab *slab);

/* A session blob with the client of si (strings cut as the alert cuts
 * them), first/last seen and events as given; NULL when out of memory.
 * id_hash is the id's hash with the engine's seed.  (The codec builds
 * restored sessions with it; sw_window_observe makes new ones.) */
sw_session *sw_session_new(sw_slab *slab, const sw_session_info *si, uint64_t id_hash, int64_t first_seen,
                           int64_t last_seen, uint32_t events);
void sw_session_free(sw_slab *slab, sw_session *s);

/* Cuts n so that p[0..n) ends on a UTF-8 character boundary and n <= max. */
size_t sw_utf8_cut(const char *p, size_t n, size_t max);

#endif

/* codec.h -- the bytes a checkpoint stores for one key's window state and
 * for one tenant's state (state format version SW_STATE_FORMAT).
 *
 * Why a hand-written binary layout: a checkpoint writes every changed key
 * each second, so the encoding is on the write path of every eligible
 * user; fixed little-endian fields cost a memcpy each and decode without
 * a parser.  Everything read back is hostile until checked: the decoder
 * validates every length, every time and the invariants the window relies
 * on (no repeated session id, last_seen <= maxT, r <= maxT), and refuses
 * the whole value otherwise, so a corrupt value can neither crash the
 * worker nor invent an alert.
 *
 * User value, version 1 (all integers little-endian):
 *   u8 version, i64 r (last alert), i64 maxT, u16 name_len, u16 alt_len,
 *   name, alt, u16 nsessions, then per session:
 *   i64 first_seen, i64 last_seen, u32 events, u32 id_len, u8 ip_len,
 *   u16 ua_len, u8 country_len, u8 city_len, u8 uuid_len,
 *   id, ip, user agent, country, city, uuid.
 * name_len and alt_len are always 0 when this build writes: the alert
 * takes the names from the event that completes it (window.h).  A value
 * from an older build that carries names is accepted (lengths at most
 * 255), its names skipped, so workers of both builds can share a group
 * during a rolling upgrade.
 * Tenant value, layout 2 (SW_TENANT_LAYOUT):
 *   u8 layout (2), u8 ntop (<= SW_WM_ACTORS), then per entry of the
 *   tenant's top list, newest first: i64 time, u64 actor hash; then
 *   u32 nslots, per cap bucket holding alerts: i64 bucket, u32 count.
 *   The watermark is not stored: it is the last entry's time when the list
 *   is full (store.h).
 * Tenant value, layout 1 (older builds):
 *   u8 version (1), i64 watermark, u32 nslots, then per slot i64 bucket,
 *   u32 count.  Still read: the buckets are kept, the watermark is not
 *   (it was the newest event time, which one forged record could set);
 *   sw_store_restored rebuilds the top list from the restored keys.
 * Times are ms since the epoch; INT64_MIN is "none". */
#ifndef SW_CODEC_H
#define SW_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define SW_STATE_FORMAT 1

/* Longest session id a value may carry (ids longer than any record), and
 * most sessions (a key holds fewer than --min-sessions, at most SW_MAX_SESSIONS). */
#define SW_CODEC_MAX_ID (64u << 20)
#define SW_CODEC_MAX_SESSIONS 256

size_t sw_codec_user_size(const sw_user *u);
/* Writes exactly sw_codec_user_size(u) bytes. */
void sw_codec_user_encode(const sw_user *u, char *out);

typedef enum {
    SW_CODEC_OK = 0,
    SW_CODEC_CORRUPT, /* not a version-1 value, or one that breaks an invariant */
    SW_CODEC_NOMEM
} sw_codec_status;

/* Fills u (a fresh entry: sw_window_init'ed, no sessions) from p[0..n);
 * session id hashes are taken with id_seed.  On error u is left empty. */
sw_codec_status sw_codec_user_decode(sw_user *u, sw_slab *slab, const char *p, size_t n, uint64_t id_seed);

/* A user value with the byte kind written in front of every session id,
 * nothing else changed (the rolling upgrade of checkpoint.h: the built-in
 * seed engine's sessions become the rules engine's distinct values, whose
 * ids start with a kind byte).  out has room for n + SW_CODEC_MAX_SESSIONS
 * bytes; *out_len gets n + the number of sessions.  Only the layout is
 * checked (lengths, counts, no trailing bytes): SW_CODEC_CORRUPT when it
 * is not a version-1 value; sw_codec_user_decode checks the rest. */
sw_codec_status sw_codec_user_prefix_ids(const char *p, size_t n, char kind, char *out, size_t *out_len);

#define SW_TENANT_LAYOUT 2

size_t sw_codec_tenant_size(const sw_tenant *t);
/* Writes exactly sw_codec_tenant_size(t) bytes, layout 2. */
void sw_codec_tenant_encode(const sw_tenant *t, char *out);
/* Sets t's top list, watermark and cap buckets from p[0..n) (either
 * layout; t fresh).  On SW_CODEC_CORRUPT t is untouched. */
sw_codec_status sw_codec_tenant_decode(sw_store *s, sw_tenant *t, const char *p, size_t n);

#endif

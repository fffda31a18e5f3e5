/* alert.h -- the alert: its deterministic id and its JSON line, the contract
 * with downstream subscribers (schema: stream/core/alert.schema.json).
 *
 * The id hashes what makes an alert the same alert: rule, tenant, actor,
 * the key's maxT when it fired (r) and the sorted session ids of Q.  Every
 * run, worker and replay that sees the same events per user therefore emits
 * the same id, and subscribers can drop duplicates by it. */
#ifndef SW_ALERT_H
#define SW_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "jsonw.h"
#include "window.h"

#define SW_RULE_ID "621e92b6-7e54-11ee-bdc0-f661ea17fbcd"
#define SW_RULE_NAME "Multiple Okta Sessions Detected for a Single User"
#define SW_RULE_VERSION 207

/* Where a record came from: a file line (scan) or a Kafka message (run). */
typedef struct {
    const char *file;     /* scan: file name ("-" for stdin) */
    uint64_t line;        /* scan: 1-based line number */
    const char *topic;    /* run: topic, or NULL for a file source */
    int32_t partition;
    int64_t offset;
    int64_t kafka_time_ms;/* message timestamp, SW_TIME_NONE if none */
    uint32_t index;       /* element of a top-level array, or UINT32_MAX */
} sw_source;

typedef struct {
    const char *tenant;
    size_t tenant_len;
    const sw_user *user;       /* actor id = key bytes after the 4-byte tenant index */
    sw_span name, alt;         /* display name and alternate id of the event that
                                  completed the alert (cut at SW_MAX_DETAIL when written) */
    const sw_session *const *q;/* Q, as sw_window_collect orders it */
    size_t nq;
    int64_t event_time;        /* time of the event that completed the alert */
    int64_t detected_at;       /* wall clock, ms */
    const sw_source *source;
    const sw_config *config;
} sw_alert;

#define SW_ALERT_ID_LEN 32

/* Size bounds: an alert must always be deliverable (the producer's default
 * message.max.bytes is 1,000,000).  A session id, the actor id and the
 * tenant longer than SW_ALERT_MAX_ID bytes are cut on a character boundary
 * and the alert carries their full length and a 64-bit hash of the full
 * bytes (sw_hash64, seed SW_ALERT_CUT_HASH_SEED: equal ids, equal hashes);
 * an alert still over SW_ALERT_MAX_BYTES lists only the sessions of Q that
 * fit.  A "truncated" object then says what was cut; an alert within the
 * bounds is written exactly as before.  alert_id always hashes the full
 * ids.  The fixed part is at most ~32 KiB (ids and names escaped, 6 bytes
 * a byte at worst) plus the source (a topic name, or a file name of at most
 * 4 KiB escaped), so the bound holds even when no session fits. */
#define SW_ALERT_MAX_ID 1024
#define SW_ALERT_MAX_BYTES 65536
#define SW_ALERT_CUT_HASH_SEED 0x452821e638d01377ULL

/* 32 lowercase hex digits + NUL. scratch is reused for the hash input. */
void sw_alert_id(const sw_alert *a, sw_buf *scratch, char out[SW_ALERT_ID_LEN + 1]);

/* Appends {"file","line"} or {"topic","partition","offset"}, plus "index"
 * for an array element: the alert's "source", also used for rejects. */
void sw_source_write(sw_buf *b, const sw_source *src);

/* Appends the alert's JSON object (no newline) to b: at most
 * SW_ALERT_MAX_BYTES bytes, cut as described above when needed. */
void sw_alert_write(sw_buf *b, const sw_alert *a, const char *alert_id);

static inline const char *sw_alert_actor(const sw_alert *a) { return a->user->k.key + 4; }
static inline size_t sw_alert_actor_len(const sw_alert *a) { return a->user->k.key_len - 4; }

#endif

/* ralert.h -- the alert of a loaded rule (rulespec.h): its deterministic
 * id and its JSON line (schema: alert.schema.json, per rule type).
 *
 * Ids hash "sessionwatch/alert/v1" and the rule id, tenant, then
 *   threshold: each group-by value in order, r (the key's maxT when it
 *              fired) and the distinct values of the cardinality field in
 *              byte order (none for a rule without cardinality);
 *   query:     the event's identity: "uuid" + its uuid, or "raw" + its
 *              bytes when it has none.
 * For the seed rule's shape (group-by okta.actor.id, cardinality
 * external_session_id) that is alert.c's formula byte for byte, so the
 * seed rule loaded from TOML gives the built-in engine's ids. */
#ifndef SW_RALERT_H
#define SW_RALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "rulespec.h"
#include "window.h"

/* A query rule's alert carries the event as read, cut to this many bytes
 * (on a character boundary): escaped (6 bytes a byte at worst) it leaves
 * room for the rest within SW_ALERT_MAX_BYTES. */
#define SW_RALERT_ORIGINAL_MAX 8192

typedef struct {
    const sw_rulespec *rule;
    sw_span tenant;
    sw_span actor, name, alt;  /* of the event that completed the alert; actor.p NULL: none */
    int64_t event_time, detected_at;
    const sw_source *source;
    /* threshold */
    const sw_span *terms;      /* the key's group-by values, rule->n_group_by of them */
    int64_t r;                 /* the key's maxT when it fired */
    const sw_session *const *evidence; /* rkey.h entries in the window, in order */
    size_t nevidence;
    bool evidence_values;      /* 'v' entries (the rule has a cardinality), else 'e' */
    uint64_t count;            /* threshold_result.count */
    int64_t from;              /* threshold_result.from */
    const sw_session **sort_scratch; /* room for nevidence pointers (the id sorts them) */
    /* query */
    sw_span uuid;              /* the event's uuid, p NULL when it has none */
    sw_span original;          /* the event's JSON text as read */
} sw_ralert;

/* 32 lowercase hex digits + NUL; scratch holds the hash input. */
void sw_ralert_id(const sw_ralert *a, sw_buf *scratch, char out[SW_ALERT_ID_LEN + 1]);

/* Appends the alert's JSON object (no newline): at most SW_ALERT_MAX_BYTES
 * (evidence that does not fit is left out and counted in "truncated"). */
void sw_ralert_write(sw_buf *b, const sw_ralert *a, const char *alert_id);

#endif

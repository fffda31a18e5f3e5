/* rtypes.h -- the JSON types a loaded rule requires of the fields it reads,
 * so that the rules engine judges a hostile event as the built-in seed
 * rule does.
 *
 * The built-in rule rejects an event as wrong_type when a field it reads
 * holds a number, a boolean, an object or an array where Okta writes a
 * string (rule.c: the event type, the actor id and display name, the
 * external session id, an ECS document's datasets).  The field catalogue
 * reads the same fields as Elasticsearch indexes them (a number as its
 * JSON text, an array as one value per element: fields.c, A8), so without
 * this check `--rules` would count a numeric actor id as the actor "5".
 * Here each catalogue row that is read from the same path as one of those
 * seed fields is tied to it; a rule that reads such a row requires that
 * seed field to be a string (or absent, or null) in the event.  The
 * catalogue's other rows follow Elasticsearch's mapping, unchecked.
 *
 * The rows are tied per input kind: event.action is the raw eventType (as
 * okta.event_type is), but an ECS document's own event.action, not its
 * okta.event_type (the seed field there). */
#ifndef SW_RTYPES_H
#define SW_RTYPES_H

#include <stdint.h>

#include "event.h"
#include "rule.h"

/* Which seed fields (bit sw_field) must be strings for a rule that reads
 * the catalogue rows in rows (bit i: row i), per input kind. */
typedef struct {
    uint32_t raw; /* raw LogEvent and EventBridge */
    uint32_t ecs;
} sw_rtypes;

#define SW_RTYPES_EVENT_TYPE (1u << SW_F_EVENT_TYPE)

/* Load time: the seed fields the rows are read from. */
sw_rtypes sw_rtypes_of_rows(uint64_t rows);

/* SW_R_WRONG_TYPE when one of t's fields of ev's kind holds a value that
 * is not a string (SW_OTHER), else SW_ELIGIBLE.  No allocation. */
static inline sw_verdict sw_rtypes_check(const sw_event *ev, sw_rtypes t) {
    uint32_t m = ev->format == SW_FMT_ECS ? t.ecs : t.raw;
    while (m) {
        int f = __builtin_ctz(m);
        m &= m - 1;
        if (ev->f[f].type == SW_OTHER) return SW_R_WRONG_TYPE;
    }
    return SW_ELIGIBLE;
}

#endif

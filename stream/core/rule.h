/* rule.h -- the seed rule's query, as a pure function of one event:
 *
 *   event.dataset:okta.system and okta.event_type:user.session.start
 *     and okta.authentication_context.external_session_id:*
 *     and not (okta.actor.id: okta* or okta.actor.display_name: okta*)
 *
 * plus the event time and the opt-in hardening clauses.  It says whether an
 * event is eligible and, if not, why: "filtered" reasons are events the rule
 * simply does not count; "rejected" reasons are bad input, counted and
 * written to the dead-letter output. */
#ifndef SW_RULE_H
#define SW_RULE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "event.h"

typedef enum {
    SW_ELIGIBLE = 0,
    /* filtered: not what the rule counts */
    SW_V_NOT_SESSION_START, /* event type absent, null or another type (incl. prefilter skips) */
    SW_V_WRONG_DATASET,     /* event.dataset / data_stream.dataset present and not okta.system */
    SW_V_NO_SESSION_ID,     /* external session id absent, null or "" */
    SW_V_NO_ACTOR,          /* actor id absent, null or "" */
    SW_V_EXCLUDED_ACTOR,    /* actor id or display name starts with an excluded prefix */
    SW_V_NOT_SUCCESS,       /* --require-success and outcome.result is not SUCCESS */
    SW_V_UNKNOWN_ACTOR,     /* --exclude-unknown-actor and actor id is "unknown" */
    SW_V_FILTER_END,
    /* rejected: bad input */
    SW_R_MALFORMED = SW_V_FILTER_END, /* not JSON, truncated, invalid UTF-8, too deep */
    SW_R_TOO_LARGE,         /* over --max-record-bytes, or over 1000 events in an array */
    SW_R_WRONG_TYPE,        /* a field the rule reads has the wrong JSON type */
    SW_R_DUPLICATE_KEY,     /* a field the rule reads appears twice */
    SW_R_BAD_TIME,          /* the event time is missing or does not parse */
    SW_R_TOO_LATE,          /* older than the tenant's watermark - (W + lateness) */
    SW_R_TOO_EARLY,         /* run: newer than the processing clock + --max-clock-skew */
    SW_R_TOO_MANY_TENANTS,  /* a new tenant while --max-tenants are tracked */
    SW_VERDICT_COUNT
} sw_verdict;

static inline int sw_verdict_is_reject(sw_verdict v) { return v >= SW_R_MALFORMED; }

/* Stable snake_case name, used in the summary, the rejects file and metrics. */
const char *sw_verdict_name(sw_verdict v);

/* Applies the query and parses the event time.  SW_ELIGIBLE sets *t_ms.
 * kafka_time_ms is used with SW_TIME_KAFKA (SW_TIME_NONE if unknown). */
sw_verdict sw_rule_check(const sw_config *c, const sw_event *e, int64_t kafka_time_ms, int64_t *t_ms);

/* The event's time as the rules read it: the Kafka timestamp with
 * --time-field kafka; else published (raw, EventBridge) or @timestamp
 * (ECS), or an ECS event's event.ingested when present and ingested (a
 * rule's timestamp_override) or --time-field event.ingested is set.
 * SW_R_BAD_TIME when missing or unparsable. */
sw_verdict sw_rule_event_time(const sw_config *c, const sw_event *e, int64_t kafka_time_ms, bool ingested,
                              int64_t *t_ms);

/* The event's tenant: --tenant if given, else the --tenant-field value (""
 * when absent or null), else "".  SW_R_WRONG_TYPE when the field holds a
 * non-string.  The one definition, so that repartition's keys and run's
 * state agree on it. */
sw_verdict sw_rule_tenant(const sw_config *c, const sw_event *e, const char **p, size_t *n);

#endif

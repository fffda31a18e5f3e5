/* rulespec.h -- a detection rule as the rules engine (rengine.h) runs it.
 *
 * The core layer does not know rule files: the rules layer (stream/rules)
 * reads Elastic's TOML into an sw_ruledef and converts it into this plain
 * description (sw_ruledef_spec), which is all the evaluator needs: what to
 * match (a compiled KQL query over the field catalogue's rows), how to
 * group and count (threshold rules), the window, the alert cap and the
 * rule's own JSON object, rendered once at load and copied into every
 * alert.  Nothing here is owned: the pointers are the loader's, and must
 * outlive the engine. */
#ifndef SW_RULESPEC_H
#define SW_RULESPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kql.h"

typedef enum { SW_SPEC_QUERY = 0, SW_SPEC_THRESHOLD } sw_spec_type;

#define SW_SPEC_MAX_GROUP_BY 5

typedef struct {
    const char *rule_id;
    const char *name;
    sw_spec_type type;
    int64_t window_ms;         /* from: now-35m is 35 min (threshold: W) */
    int64_t interval_ms;       /* the alert-cap bucket of event time */
    uint32_t max_signals;      /* alerts per tenant per interval bucket (0: no cap) */
    /* threshold rules only */
    uint32_t group_by[SW_SPEC_MAX_GROUP_BY]; /* catalogue rows of threshold.field, in order */
    size_t n_group_by;
    uint32_t threshold;        /* threshold.value, >= 1 */
    int32_t cardinality_row;   /* catalogue row of cardinality[0].field; -1: none */
    uint32_t cardinality;      /* cardinality[0].value */
    /* the query, compiled over the catalogue's rows */
    const sw_kql *kql;
    uint64_t rows;             /* every catalogue row the rule reads (bit i: row i) */
    bool time_ingested;        /* timestamp_override = event.ingested (rengine.h) */
    /* The alert's "rule" object, complete ({...}), valid JSON, every string
     * escaped; the engine copies it as it is. */
    const char *rule_json;
    size_t rule_json_len;
} sw_rulespec;

#endif

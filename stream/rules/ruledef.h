/* ruledef.h -- one detection rule as read from one Elastic rule TOML file
 * (elastic/detection-rules' format: a [rule] table, [[rule.threat]],
 * [rule.threshold]), validated, with its KQL query compiled.
 *
 * sessionwatch supports type "query" and "threshold" with language
 * "kuery"; every other rule is refused with the reason.  The values read,
 * their defaults and limits are in ruledef.c's top comment.  This is the
 * in-memory entry (TOML text in, rule or refusal out) that the loader
 * (ruleset.h) and the fuzzer use; it knows no files. */
#ifndef SW_RULEDEF_H
#define SW_RULEDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"
#include "kql.h"

typedef enum { SW_RULE_QUERY = 0, SW_RULE_THRESHOLD } sw_rule_type;

#define SW_RULE_MAX_WINDOW_MS (7LL * 24 * 3600 * 1000) /* a week */
#define SW_RULE_MAX_THRESHOLD 10000
#define SW_RULE_MAX_CARDINALITY 10000
#define SW_RULE_MAX_GROUP_BY 5
#define SW_RULE_DEFAULT_FROM_MS (6LL * 60 * 1000)     /* Elastic's default from: now-6m */
#define SW_RULE_DEFAULT_INTERVAL_MS (5LL * 60 * 1000) /* Elastic's default interval: 5m */
#define SW_RULE_DEFAULT_MAX_SIGNALS 100

/* An id, name and reference URL of the MITRE ATT&CK framework (tactic,
 * technique, subtechnique); reference is NULL when absent. */
typedef struct {
    char *id, *name, *reference;
} sw_rule_ref;

typedef struct {
    sw_rule_ref ref;
    sw_rule_ref *subtechniques;
    size_t n_subtechniques;
} sw_rule_technique;

/* One [[rule.threat]] entry. */
typedef struct {
    char *framework; /* "MITRE ATT&CK" */
    sw_rule_ref tactic;
    sw_rule_technique *techniques;
    size_t n_techniques;
} sw_rule_threat;

typedef struct {
    /* Known as soon as read, so a refusal can still show them (NULL when
     * not read). */
    char *rule_id, *name, *type_name;
    /* The rest is set only for a loaded rule. */
    sw_rule_type type;
    char *language, *severity;
    int64_t risk_score;  /* 0 .. 100 */
    int64_t version;     /* 0 when the file has none (Elastic keeps it in a lock file) */
    char *building_block_type;   /* NULL when not a building block */
    char *timestamp_override;    /* NULL when absent */
    int64_t window_ms;           /* from "now-35m": 35 min; 1 ms .. a week */
    int64_t interval_ms;         /* the alert-cap bucket */
    int64_t max_signals;
    sw_rule_threat *threats;
    size_t n_threats;
    /* threshold rules only */
    char **group_by; /* threshold.field, in order; may be empty */
    size_t n_group_by;
    int64_t threshold;           /* threshold.value, 1 .. 10,000 */
    uint32_t group_by_rows[SW_RULE_MAX_GROUP_BY]; /* their field catalogue rows */
    char *cardinality_field;     /* threshold.cardinality[0].field, NULL when none */
    int32_t cardinality_row;     /* its catalogue row; -1 when none */
    int64_t cardinality;         /* threshold.cardinality[0].value, 1 .. 10,000 */
    /* the query */
    char *query;                 /* as in the file */
    uint32_t query_line, query_column; /* where its first character is in the file */
    sw_kql *kql;
    uint64_t rows;               /* every catalogue row the rule reads (bit i: row i of
                                    fields.h's table): query, group-by, cardinality */
} sw_ruledef;

/* Why a rule was refused.  line 0: not about one place in the file. */
typedef struct {
    uint32_t line, column;
    char message[512];
} sw_rule_refusal;

/* Reads one rule from text[0 .. len).  0: *def is a loaded rule.  -1:
 * refused, *why says why; *def holds what was read before (rule_id, name,
 * type_name may be set) and must still be freed.  Never crashes on any
 * input. */
int sw_ruledef_parse(const char *text, size_t len, sw_ruledef *def, sw_rule_refusal *why);
void sw_ruledef_free(sw_ruledef *def);

/* "35m", "6h", "90s", "1500ms": the largest unit that divides ms. */
void sw_rule_duration_format(int64_t ms, char *out, size_t cap);

#endif

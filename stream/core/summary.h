/* summary.h -- the end-of-run report every front end prints: what came in,
 * what the rule counted, what it alerted on, and each rejected or filtered
 * record by reason.  Text for people, one JSON line for scripts and tests. */
#ifndef SW_SUMMARY_H
#define SW_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "rengine.h"

/* run with internal topics: one key family's numbers (the JSON summary's
 * "internal" list). */
typedef struct {
    const char *family, *topic;
    uint64_t records, bytes, replays;
} sw_internal_summary;

typedef struct {
    const sw_counters *c;
    uint64_t bytes;
    double elapsed_s;
    uint64_t tracked_users;
    uint64_t evicted;
    const sw_internal_summary *internal; /* n_internal of them, or none: no "internal" key */
    size_t n_internal;
} sw_summary;

void sw_summary_text(FILE *out, const char *cmd, const sw_summary *s);
void sw_summary_json(FILE *out, const sw_summary *s);
/* One of the two, as --summary text|json asked. */
void sw_summary_print(FILE *out, const char *cmd, bool json, const sw_summary *s);

/* Adds b's counters into a. */
void sw_counters_add(sw_counters *a, const sw_counters *b);

/* With --rules: each rule's counters (c[i] for specs[i]) and the events
 * no rule matched, printed after the summary: one line per rule (text),
 * or one JSON line {"unmatched":N,"rules":[{"rule_id":..},..]}. */
typedef struct {
    const sw_rulespec *specs;
    const sw_rule_counters *c;
    size_t n;
    uint64_t unmatched;
} sw_rules_summary;
void sw_rules_summary_print(FILE *out, bool json, const sw_rules_summary *s);
/* Adds b's counters into a. */
void sw_rule_counters_add(sw_rule_counters *a, const sw_rule_counters *b);

#endif

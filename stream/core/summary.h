/* summary.h -- the end-of-run report every front end prints: what came in,
 * what the rule counted, what it alerted on, and each rejected or filtered
 * record by reason.  Text for people, one JSON line for scripts and tests. */
#ifndef SW_SUMMARY_H
#define SW_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"

typedef struct {
    const sw_counters *c;
    uint64_t bytes;
    double elapsed_s;
    uint64_t tracked_users;
    uint64_t evicted;
} sw_summary;

void sw_summary_text(FILE *out, const char *cmd, const sw_summary *s);
void sw_summary_json(FILE *out, const sw_summary *s);
/* One of the two, as --summary text|json asked. */
void sw_summary_print(FILE *out, const char *cmd, bool json, const sw_summary *s);

/* Adds b's counters into a. */
void sw_counters_add(sw_counters *a, const sw_counters *b);

#endif

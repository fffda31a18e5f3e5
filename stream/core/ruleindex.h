/* ruleindex.h -- the prefilter of a rule set: the loaded rules indexed by
 * the event types their queries require, and by what else a record's raw
 * bytes must show for them to match.
 *
 * Most Okta rules filter on one event type or a short list of them
 * (event.action:policy.rule.update), and most records are of other types.
 * At load time each rule's query gives, through sw_kql_required() over the
 * catalogue rows event.action and okta.event_type, either the event types
 * one of which a matching event must hold, or "unconstrained" (no event
 * type clause, a wildcard, a NOT, an OR with another field...).  A rule
 * without event types gets a raw condition instead (ruleindex.c: values
 * and key names its query needs, as clauses of which each must show one),
 * or none when its query needs nothing a record's bytes show.  Then:
 *
 *  (a) before parsing, sw_ruleindex_may_match() looks at a record's raw
 *      bytes: when no rule's condition can be met by them (its event types
 *      or values neither literally there nor possibly spelt by an escape),
 *      no rule can match any event of the record and it is skipped
 *      unparsed.  Sound as prefilter.h is for the seed rule.  One rule with
 *      no condition disables this (may_match is then always true);
 *  (b) after extraction, sw_ruleindex_select() gives the rules an event can
 *      match from its event type values: the rules requiring one of them,
 *      plus the ones without event types.  The others need not be
 *      evaluated.
 *
 * Rules are numbered 0 .. n-1 as given; a set of rules is a bit mask of
 * sw_ruleindex_words() uint64_t words (bit i of word i / 64).  Built once
 * (it allocates); the queries are copied from, not kept.  Lookups do not
 * allocate and are safe from several threads on one index. */
#ifndef SW_RULEINDEX_H
#define SW_RULEINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kql.h"

typedef struct sw_ruleindex sw_ruleindex;

/* The catalogue rows the index reads from every event (event.action and
 * okta.event_type): add them to sw_parser_want_fields() for select. */
uint64_t sw_ruleindex_rows(void);

/* Indexes queries[0 .. n); a NULL query is an unconstrained rule.  NULL
 * when out of memory. */
sw_ruleindex *sw_ruleindex_new(const sw_kql *const *queries, size_t n);
void sw_ruleindex_free(sw_ruleindex *ix);

/* uint64_t words in a rule mask. */
size_t sw_ruleindex_words(const sw_ruleindex *ix);

/* How many event types rule i requires (>= 1), or SW_KQL_UNCONSTRAINED. */
long sw_ruleindex_event_types(const sw_ruleindex *ix, size_t rule);

/* The clauses of rule i's raw condition: 1 for a rule with event types
 * (they are its one clause), 0 for a rule with no condition (it turns
 * the skip off), up to 4 for a rule whose query needs other values. */
size_t sw_ruleindex_raw_clauses(const sw_ruleindex *ix, size_t rule);

/* Whether records can be skipped unparsed: every rule has a raw condition
 * (and there is at least one rule). */
bool sw_ruleindex_can_skip(const sw_ruleindex *ix);

/* False only when no event of rec[0 .. len) can match any rule. */
bool sw_ruleindex_may_match(const sw_ruleindex *ix, const char *rec, size_t len);

/* The rules an event can match, into mask (sw_ruleindex_words words):
 * fields is its sw_event.fields (it must hold the rows of
 * sw_ruleindex_rows()); NULL gives every rule. */
void sw_ruleindex_select(const sw_ruleindex *ix, const sw_kql_field *fields, uint64_t *mask);

#endif

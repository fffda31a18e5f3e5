/* gen.h -- deterministic synthetic Okta System Log traffic (gen.c, with the
 * world, event, attack and render pieces of gen_internal.h).
 *
 * Owns the benchmark and test workload: NDJSON records shaped like real Okta
 * LogEvents (or their ECS / EventBridge renderings), with a known set of
 * injected stolen-cookie attacks written to a ground-truth file.  The output
 * is a pure function of the options: same options, same bytes.
 *
 * Ground-truth contract (what the tests and benchmarks rely on):
 *   - a user who is not attacked never has 3 distinct externalSessionIds in
 *     user.session.start events within any 35 minutes of event time (it
 *     keeps at least 36 minutes between the last use of a retired session
 *     and the first use of the session after next, out-of-order delays
 *     included);
 *   - an attacked user gets 3-5 user.session.start events with distinct new
 *     session ids within 20 minutes (less when the whole span is shorter),
 *     from countries, IPs and user agents none of its devices use;
 *   - user.session.start records of excluded system actors (actor.id
 *     starting "okta", or displayName "okta_system") carry a fresh session
 *     id every time, so a rule that fails to exclude them alerts on them;
 *     the "Okta System" principal (id "spr...") never emits
 *     user.session.start (the rule's "okta" prefix test is case-sensitive);
 *   - about 1% of records are published up to 2 minutes earlier than their
 *     neighbours (out of order), never before start_ms. */
#ifndef SW_GEN_H
#define SW_GEN_H

#include <stdint.h>
#include <stdio.h>

typedef struct {
    uint64_t seed;          /* default 1 */
    uint64_t users;         /* distinct human users per tenant, default 1000 */
    uint32_t tenants;       /* default 1; tenant names "tenant-0".."tenant-<n-1>" written in a
                               top-level "tenant" field when tenants > 1 */
    double hours;           /* span of event time, default 1.0 */
    double attack_rate;     /* fraction of users that suffer a stolen-cookie attack, default 0.01 */
    double session_start_share; /* fraction of records that are user.session.start, default 0.15 */
    uint64_t records;       /* stop after this many records (0 = derived from users*hours, about
                               40 events per user per hour, all tenants together) */
    int64_t start_ms;       /* event time of the first record, default 2026-01-05T08:00:00Z */
    int format;             /* 0 raw LogEvent (default), 1 ECS nested, 2 EventBridge envelope */
} sw_gen_opts;

/* Events per user per hour when records == 0. */
#define SW_GEN_EVENTS_PER_USER_HOUR 40.0

void sw_gen_defaults(sw_gen_opts *o);

/* Writes NDJSON records to out and, when truth != NULL, one JSON line per
 * injected attack ({"tenant":..,"actor_id":..,"sessions":[ids],"first":
 * "RFC3339","last":"RFC3339"}; tenant is null when tenants == 1), in order
 * of the attack's first event.  An attack is listed when at least 3 of its
 * session starts were written (all of them, unless records is too small to
 * hold every attack event).  Returns records written, or -1 on a write error
 * (or when the per-run state cannot be allocated). */
int64_t sw_gen_run(const sw_gen_opts *o, FILE *out, FILE *truth);

/* The greatest common divisor: a multiplier a with gcd(a, n) == 1 walks all
 * of 0..n-1 once (the attack planner's and bench/growth's permutations). */
uint64_t sw_gen_gcd(uint64_t a, uint64_t b);

#endif

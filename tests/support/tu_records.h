/* tu_records.h -- Okta records for the black-box tests: one place that
 * writes the raw System Log LogEvent line a test feeds to scan, replay or
 * run, so that the tests agree on what a plain session start looks like.
 * (test_rule's engine harness builds richer variants field by field:
 * tests/unit/rule_harness.h.) */
#ifndef SW_TEST_RECORDS_H
#define SW_TEST_RECORDS_H

#include <stddef.h>

/* A raw Okta LogEvent session start (user.session.start, outcome SUCCESS)
 * of actor with session sid at time (RFC 3339), uuid "u-ACTOR-SID", one
 * NDJSON line with its newline, into out (cap bytes).  Its length; fails
 * the test if it does not fit. */
size_t tu_session_start(char *out, size_t cap, const char *actor, const char *sid, const char *time);

#endif

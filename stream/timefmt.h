/* timefmt.h -- RFC 3339 / ISO 8601 timestamps <-> milliseconds since the
 * Unix epoch.  Hand-written because it runs once per candidate event and
 * must neither allocate nor depend on the locale or the TZ variable
 * (strptime/timegm do both). */
#ifndef SW_TIMEFMT_H
#define SW_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Accepts YYYY-MM-DD('T'|'t'|' ')hh:mm:ss[.fraction](Z|z|+hh:mm|-hh:mm|+hhmm|-hhmm)
 * with any number of fraction digits (truncated to milliseconds, towards the
 * past) and seconds 60 (a leap second).  The offset is mandatory: a time
 * without one is ambiguous and rejected.  Returns 0 and sets *ms, or -1. */
int sw_time_parse(const char *p, size_t n, int64_t *ms);

/* Writes "YYYY-MM-DDThh:mm:ss.mmmZ" (24 bytes + NUL) and returns 24; years
 * outside 0000..9999 are clamped to that range. */
size_t sw_time_format(int64_t ms, char out[32]);

#endif

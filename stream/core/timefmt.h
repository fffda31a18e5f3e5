/* timefmt.h -- RFC 3339 / ISO 8601 timestamps <-> milliseconds since the
 * Unix epoch.  Hand-written because it runs once per candidate event and
 * must neither allocate nor depend on the locale or the TZ variable
 * (strptime/timegm do both). */
#ifndef SW_TIMEFMT_H
#define SW_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Accepts exactly the RFC 3339 date-times that Elasticsearch's
 * strict_date_optional_time also reads (so an event Elasticsearch could not
 * index is never counted):
 *   YYYY-MM-DD'T'hh:mm:ss[.f](Z|+hh:mm|-hh:mm)
 * with 'T' and 'Z' upper case, years 0000..9999, real days (leap years),
 * seconds 00..59 (no leap second: Java's time API has none), 1 to 9
 * fraction digits after a '.' (truncated to milliseconds, towards the
 * past), and an offset with a colon no further than 18:00 from UTC.
 * Rejected: no offset (ambiguous), +hhmm, a ',' before the fraction, a
 * space or 't' between date and time, 'z', :60, offsets beyond 18:00,
 * epoch milliseconds.  Returns 0 and sets *ms, or -1. */
int sw_time_parse(const char *p, size_t n, int64_t *ms);

/* Writes "YYYY-MM-DDThh:mm:ss.mmmZ" (24 bytes + NUL) and returns 24; years
 * outside 0000..9999 are clamped to that range. */
size_t sw_time_format(int64_t ms, char out[32]);

#endif

/* extract.h -- C API of the simdjson On-Demand extractor (extract.cpp).
 *
 * One sw_parser per thread.  It owns a simdjson ondemand::parser sized once
 * for the largest record, so extraction never allocates.  It reads only the
 * fields listed in event.h, in one pass over each object's keys, and never
 * builds a DOM.
 *
 * Input formats, detected per record (and per element of a top-level array):
 *   raw LogEvent      {"eventType":..,"actor":{..},"authenticationContext":{..},..}
 *   ECS nested        {"okta":{"event_type":..,"actor":{"id":..}},"@timestamp":..}
 *   ECS dotted/mixed  {"okta.actor.id":..,"okta":{"event_type":..},"event.dataset":..}
 *   EventBridge       {"detail-type":..,"detail":{<LogEvent>},..}: detail is read
 *                     as the record; the tenant path is looked up on the
 *                     envelope first, then on detail
 *   JSON array        [<any of the above>, ...] (one Okta API page)
 * A key path matches whatever mix of nesting and dots spells it: "a.b.c",
 * {"a":{"b.c":..}} and {"a.b":{"c":..}} are the same field.
 *
 * Keys are compared after unescaping.  A field the rule reads that appears
 * twice (two "eventType" keys, or okta.actor.id both nested and dotted) makes
 * the record ambiguous: it is rejected as SW_X_DUPLICATE_KEY, as
 * Elasticsearch rejects documents with duplicate fields.  Values of fields
 * that are not read are skipped and are only validated structurally. */
#ifndef SW_EXTRACT_H
#define SW_EXTRACT_H

#include <stddef.h>

#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes that must be readable (any content) after the end of a record for
 * the parser to read it in place; with less, it copies the record into its
 * own padded buffer. */
#define SW_PADDING 64

/* The most events one record (a JSON array) may hold: an Okta API page holds
 * at most 1000. */
#define SW_MAX_EVENTS_PER_RECORD 1000

typedef enum {
    SW_X_OK = 0,
    SW_X_MALFORMED,     /* not JSON, truncated, invalid UTF-8, too deep, trailing garbage */
    SW_X_NOT_OBJECT,    /* top level (or an array element) is not an object */
    SW_X_DUPLICATE_KEY, /* a field the rule reads appears twice */
    SW_X_TOO_MANY,      /* a top-level array with more than max_out elements */
    SW_X_TOO_LARGE      /* longer than the parser's max_record_bytes */
} sw_xstatus;

typedef struct sw_parser sw_parser;

/* NULL when out of memory. */
sw_parser *sw_parser_new(size_t max_record_bytes);
void sw_parser_free(sw_parser *p);

/* Extract the events of one record (one NDJSON line, without its newline).
 * rec[0 .. cap) must be readable; cap >= len.  tenant_path is a dotted path
 * or NULL.  On SW_X_OK, out[0 .. *n_out) hold the events (views into the
 * parser, valid until its next call); for a plain object *n_out is 1, for
 * an array it is the element count (0 for []).  On any other status *n_out
 * is 0 and nothing of the record may be used. */
sw_xstatus sw_parser_extract(sw_parser *p, const char *rec, size_t len, size_t cap,
                             const char *tenant_path, sw_event *out, size_t max_out,
                             size_t *n_out);

#ifdef __cplusplus
}
#endif

#endif

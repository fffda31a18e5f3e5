/* extract.h -- C API of the simdjson On-Demand extractor (extract.cpp).
 *
 * One sw_parser per thread.  It owns a simdjson ondemand::parser sized once
 * for the largest record, so extraction never allocates.  It reads only the
 * fields listed in event.h, and the field-catalogue rows the loaded rules
 * need (sw_parser_want_fields, below), in one pass over each object's keys,
 * and never builds a DOM.
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
 * that are not read are skipped and are only validated structurally.
 *
 * The exact rules:
 *  - Kind: decided once per object (the record, or each element of a
 *    top-level array), from its top-level keys after unescaping:
 *    SW_FMT_EVENTBRIDGE when it has a "detail" whose value is an object and
 *    a "detail-type" (any value, any order); else SW_FMT_RAW when it has an
 *    "eventType" or a "published" key (any value, null included); else
 *    SW_FMT_ECS when it has a key "okta" or one starting with "okta." (any
 *    value); else SW_FMT_RAW.  A mixed record (eventType beside okta.*) is
 *    therefore raw.  An EventBridge detail is read as a raw LogEvent,
 *    whatever keys it holds.
 *  - Sources: every field is read from the source paths of the object's
 *    kind only (event.h lists them, raw LogEvent spelling before the ECS
 *    ones); the other kind's fields are ABSENT whatever the record holds.
 *    Where a field has several source paths in one kind, the first one
 *    listed that is present wins, whatever its type and wherever it is in
 *    the record.  The tenant path is read in every kind.  Different source
 *    paths of one field are never duplicates of each other; one source
 *    path seen twice, in any spellings, is.  Two objects under one key
 *    ("actor":{"id":..} twice) are merged like dotted keys: only a wanted
 *    path inside both is a duplicate.  Duplicates matter only where they
 *    are read: those of the other kind's paths, those inside a skipped
 *    value, and those in an EventBridge envelope other than the tenant, are
 *    ignored.
 *  - Intermediates: if a key on the way to a wanted path has a non-object
 *    value ("actor":"bob", "client":[..], "okta":5), every field below it
 *    is SW_OTHER; if it is null, they are SW_NULL.  Either counts as an
 *    occurrence of those fields (so {"actor":null,"actor.id":"x"} is a
 *    duplicate).
 *  - Tenant: tenant_path is matched like any other path; NULL or "" means
 *    no tenant field; a path longer than 255 bytes never matches.  See
 *    SW_F_TENANT in event.h for the value.
 *  - Validation: the whole record is checked as far as On-Demand checks it:
 *    UTF-8, unescaped control characters and NULs in strings, brackets
 *    balanced to the end, nothing after the top-level value except JSON
 *    whitespace, at most 1024 nested arrays/objects (simdjson's default
 *    max depth, enforced here because On-Demand does not in release
 *    builds).  Every value that is walked (the fields of both kinds, the
 *    tenant, the keys of every object on their paths, the top level
 *    included) is fully validated: keys and string values are unescaped
 *    (a bad escape is MALFORMED, \u0000 is a NUL byte in the value),
 *    numbers must follow the JSON grammar (any size), true/false/null must
 *    be exact.  Lone UTF-16 surrogate escapes are valid JSON (RFC 8259
 *    section 8.2): in a string value that is read each becomes U+FFFD (as
 *    Lucene stores it in an Elasticsearch keyword), and a key holding one
 *    matches no path.  Skipped values are only checked structurally
 *    (On-Demand's skip: brackets, string boundaries, and the whole-record
 *    checks above), so {"x":[1,,2]}, {"x":tru}, {"x":01}, {"x":0x10} and
 *    {"x":"\x41"} are accepted.  Checking every token of skipped values
 *    was measured at about a third more time per record on the benchmark
 *    mix (1.7x on extraction alone), so it is not done.
 *  - Arrays: an element that is not an object ([null, {..}]) is an event
 *    of its own with not_object set and every field ABSENT (the rule
 *    rejects it); a scalar element must be exactly one JSON value (string
 *    escapes, number grammar, literals), an array element is checked like
 *    a skipped value.  A top-level scalar is SW_X_NOT_OBJECT (a string
 *    with a lone surrogate too).
 *  - Status when several apply: MALFORMED, then NOT_OBJECT (top-level
 *    scalars only), then TOO_MANY, then DUPLICATE_KEY.  Elements past
 *    max_out are not checked for duplicates. */
#ifndef SW_EXTRACT_H
#define SW_EXTRACT_H

#include <stddef.h>

#include <stdint.h>

#include "event.h"
#include "fields.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes that must be readable (any content) after the end of a record for
 * the parser to read it in place; with less, it copies the record into its
 * own padded buffer.  simdjson reads into them, so Valgrind may report
 * uninitialised padding; the result never depends on it. */
#define SW_PADDING 64

/* The most events one record (a JSON array) may hold: an Okta API page holds
 * at most 1000. */
#define SW_MAX_EVENTS_PER_RECORD 1000

typedef enum {
    SW_X_OK = 0,
    SW_X_MALFORMED,     /* not JSON, truncated, invalid UTF-8, too deep, trailing garbage */
    SW_X_NOT_OBJECT,    /* the top level is a scalar (an array element that is not
                           an object is an event with not_object set) */
    SW_X_DUPLICATE_KEY, /* a field the rule reads appears twice */
    SW_X_TOO_MANY,      /* a top-level array with more than max_out elements */
    SW_X_TOO_LARGE      /* longer than the parser's max_record_bytes */
} sw_xstatus;

typedef struct sw_parser sw_parser;

/* NULL when out of memory, or when max_record_bytes is above 4 GiB - 65
 * (simdjson's limit).  Allocates about 7 x max_record_bytes and the event
 * array of one record (SW_MAX_EVENTS_PER_RECORD events, about 300 KB),
 * once. */
sw_parser *sw_parser_new(size_t max_record_bytes);
void sw_parser_free(sw_parser *p);

/* Extract the events of one record (one NDJSON line, without its newline).
 * rec[0 .. cap) must be readable; cap >= len.  tenant_path is a dotted path
 * or NULL.  On SW_X_OK, out[0 .. *n_out) hold the events (views into the
 * parser, valid until its next call); for a plain object *n_out is 1, for
 * an array it is the element count (0 for []).  On any other status *n_out
 * is 0 and nothing of the record may be used.  An element that is not an
 * object is in out[] with not_object set.  A plain object with
 * max_out == 0 is SW_X_TOO_MANY.  Views never point into rec (numeric
 * tenant tokens are copied into the parser), so rec may be reused at once.
 * A NULL p or n_out, or out NULL with max_out > 0, is SW_X_MALFORMED. */
sw_xstatus sw_parser_extract(sw_parser *p, const char *rec, size_t len, size_t cap,
                             const char *tenant_path, sw_event *out, size_t max_out,
                             size_t *n_out);

/* As sw_parser_extract, into the parser's own array of
 * SW_MAX_EVENTS_PER_RECORD events: *events points at it, and the events,
 * like the views they hold, belong to the parser (so to its one thread)
 * and are valid until its next call.  Callers that keep many engines (a
 * consumer with thousands of partitions) thus pay for one array per
 * thread, not one per engine.  A NULL p or events is SW_X_MALFORMED. */
sw_xstatus sw_parser_extract_events(sw_parser *p, const char *rec, size_t len, size_t cap,
                                    const char *tenant_path, const sw_event **events, size_t *n_out);

/* The catalogue rows (bit i: row i of fields.h) extracted with every event
 * from now on, in the same walk; 0 (the default) extracts none and costs
 * nothing.  Load time, not per record (it resets the parser's field
 * arrays, about 0.5 MB when rows is not 0).
 *
 * Each event's sw_event.fields then holds SW_CATALOGUE_MAX entries indexed
 * by row, the rows not wanted empty; it is NULL when rows is 0.  The kind
 * of each object is decided as above.  A raw LogEvent or EventBridge
 * detail gives each row from its raw path with the pipeline's derivations
 * (fields.c), "" dropped as the pipeline drops it; an ECS document gives
 * each at its ECS path (nested, dotted or mixed).  An array on the way to
 * a path is walked element by element; an array at a path gives each
 * scalar element (nested arrays up to 8 deep); null gives nothing; an
 * object where a value belongs is counted in fields_skipped.  Duplicate
 * keys are not refused for the catalogue (each occurrence adds its
 * values); only the rule's fields make a record SW_X_DUPLICATE_KEY.
 * Values beyond SW_FIELD_MAX_VALUES per field, or beyond 32 per event on
 * average over a record (SW_MAX_EVENTS_PER_RECORD x 32 per record, the
 * parser's pool), are counted in fields_dropped and not kept; so are all
 * the values of the events sw_parser_extract returns past the first
 * SW_MAX_EVENTS_PER_RECORD (their fields are empty).
 *
 * Validation follows "Validation" above: a wanted row's path is walked,
 * so its values (and those of arrays on its way) are checked as read
 * values are; a record may therefore be MALFORMED with rows wanted and
 * accepted without ({"securityContext":{"isProxy":tru}}).
 *
 * Memory: every parser holds about 1.3 MB for this (two 24 KB scratch
 * accumulators, the field arrays of SW_MAX_EVENTS_PER_RECORD + 1 events,
 * 0.5 MB, and a pool of 32,000 values, 0.77 MB), allocated zeroed in
 * sw_parser_new and touched only when rows are wanted. */
void sw_parser_want_fields(sw_parser *p, uint64_t rows);
/* The rows the parser extracts now (0 for a NULL p). */
uint64_t sw_parser_fields_wanted(const sw_parser *p);

#ifdef __cplusplus
}
#endif

#endif

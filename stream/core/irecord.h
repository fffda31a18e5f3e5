/* irecord.h -- the internal record: ONE event for ONE group (one
 * combination of group-by values) of ONE key family, as the routing stage
 * of the rules engine (rengine.h) hands it to the stateful stage, across
 * an internal (re-keyed) topic (ISSUE15).  It carries only what the
 * family's threshold rules read downstream: no JSON, no other fields.
 *
 * Layout, version 1 (varint = unsigned LEB128, little-endian, canonical:
 * no overlong form; zz = zigzag varint; text = varint length + bytes):
 *
 *   'S' 'i'        magic
 *   0x01           version (a larger one is refused as SW_IREC_VERSION)
 *   present        byte: bit f set when evidence field f is there (below)
 *   flags          byte: bit0 the identity is the uuid (not repeated),
 *                  bit1 the source is Kafka (else a file), bit2 a file
 *                  source without a name; other bits zero
 *   text           tenant
 *   varint n       group-by values, 1 .. SW_SPEC_MAX_GROUP_BY; then n texts
 *   [text]         identity (uuid, or the 16 hex digits rengine makes),
 *                  absent when flags bit0
 *   text x k       the present evidence fields in order: actor id, display
 *                  name, alternate id, client ip, user agent, country,
 *                  city, uuid ("" and absent differ: the alert writes null)
 *   source         [text name] (topic, or file unless flags bit2); Kafka:
 *                  zz partition, zz offset; file: varint line; then zz
 *                  Kafka timestamp (SW_TIME_NONE allowed), varint index+1
 *                  (0: not in an array)
 *   varint m       rules, 1 .. SW_IREC_MAX_RULES; each: 8 bytes LE hash of
 *                  its rule_id (sw_irecord_rule_hash), zz event time (the
 *                  rule's own: published or event.ingested; within
 *                  SW_IREC_MIN_TIME .. SW_IREC_MAX_TIME), varint v
 *                  (0 .. SW_FIELD_MAX_VALUES) and v texts: its cardinality
 *                  field's values
 *
 * and nothing after.  Every count and length is bounded and checked
 * against the bytes left before it is used; fields with only one
 * canonical form (flag bits, varints) are refused otherwise, so a record
 * that decodes re-encodes to the same bytes (fuzz_irecord checks it).
 * Decoded texts are views into the input.
 *
 * Why this shape: the stateful stage needs the key (tenant + values, for
 * the key state and the alert id), the event's identity and client (the
 * evidence entries), the actor (the alert's okta.actor), the original
 * record's source (the alert names the raw record, as scan/run do) and,
 * per rule, the time and cardinality values.  Everything else of the raw
 * record (1-3 KB of Okta JSON) stays upstream.  Measured by
 * test_rengine_route on `gen --rules` data (seed 3, 120 users, 1.5 h,
 * 2 tenants): 337 bytes per internal record against 2020 bytes for its
 * raw record (17%, deploy/rules), 331 against 2013 (Elastic's Okta rules);
 * the texts (user agent, uuid, ids, names, cardinality values) make
 * nearly all of it: the framing is under 30 bytes.
 *
 * The rule identity is a 64-bit hash of rule_id (fixed seed): a rule set
 * of n rules collides with probability about n^2 / 2^65 (1e-16 for 100
 * rules); the engine also refuses to load two rules of one hash, so a
 * collision can never route one rule's events to another silently. */
#ifndef SW_IRECORD_H
#define SW_IRECORD_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "fields.h"
#include "jsonw.h"
#include "rulespec.h"

#define SW_IREC_VERSION_1 1
#define SW_IREC_MAX_RULES 64
#define SW_IREC_MAX_VALUES (SW_IREC_MAX_RULES * SW_FIELD_MAX_VALUES)
#define SW_IREC_MAX_TEXT (16u << 20) /* any one text, bytes */
/* A rule's event time: the range of RFC 3339 years 0000..9999 (timefmt.h),
 * so that no window arithmetic downstream can overflow. */
#define SW_IREC_MIN_TIME (-62167219200000LL)  /* 0000-01-01T00:00:00Z */
#define SW_IREC_MAX_TIME 253402300799999LL    /* 9999-12-31T23:59:59.999Z */

typedef enum {
    SW_IREC_ACTOR = 0, SW_IREC_NAME, SW_IREC_ALT, SW_IREC_IP, SW_IREC_USER_AGENT, SW_IREC_COUNTRY, SW_IREC_CITY,
    SW_IREC_UUID, SW_IREC_FIELDS
} sw_irec_field;

typedef enum { SW_IREC_OK = 0, SW_IREC_MALFORMED, SW_IREC_VERSION } sw_irec_status;

typedef struct {
    uint64_t rule;          /* sw_irecord_rule_hash(rule_id) */
    int64_t time;           /* the event time this rule uses */
    uint32_t first, n;      /* its cardinality values: values[first .. first + n) */
} sw_irec_rule;

typedef struct {
    int kafka;              /* 1: topic/partition/offset, 0: file/line */
    sw_span name;           /* topic or file; p NULL: a file source without a name */
    uint64_t line;
    int32_t partition;
    int64_t offset;
    int64_t kafka_time_ms;
    uint32_t index;         /* UINT32_MAX: not in an array */
} sw_irec_source;

typedef struct {
    sw_span tenant;
    uint32_t nterms;
    sw_span terms[SW_SPEC_MAX_GROUP_BY];
    sw_span identity;
    sw_span field[SW_IREC_FIELDS]; /* p NULL: absent */
    sw_irec_source src;
    uint32_t nrules;
    sw_irec_rule rules[SW_IREC_MAX_RULES];
    uint32_t nvalues;
    sw_span values[SW_IREC_MAX_VALUES];
} sw_irecord;

/* Appends r's encoding to b; -1 (b unchanged in length) when r is out of
 * bounds, or b->oom when memory ran out. */
int sw_irecord_encode(sw_buf *b, const sw_irecord *r);
/* Decodes p[0 .. n) into r (texts are views into p). */
sw_irec_status sw_irecord_decode(sw_irecord *r, const void *p, size_t n);
/* The identity of a rule in an internal record. */
uint64_t sw_irecord_rule_hash(const char *rule_id);
/* r's source as an sw_source; name_buf receives its name NUL-terminated
 * (the decoder refuses names holding a NUL). */
void sw_irecord_source(const sw_irecord *r, sw_buf *name_buf, sw_source *out);
/* The inverse: src as r's source (views into src). */
void sw_irecord_set_source(sw_irecord *r, const sw_source *src);

#endif

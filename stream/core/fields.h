/* fields.h -- the field catalogue: every field an Okta query or threshold
 * rule may name, as data (one table, in fields.c), and the values of a set
 * of those fields in one record.
 *
 * A rule names ECS fields as Elastic's Okta integration indexes them
 * (event.action, okta.actor.alternate_id, user_agent.os.name, ...).  A raw
 * Okta LogEvent spells them differently (eventType, actor.alternateId,
 * client.userAgent.os), and some exist only because Elastic's ingest
 * pipeline computes them (data_stream.dataset, event.category,
 * event.outcome).  Each catalogue row says, for one ECS field: its mapping
 * type, the raw LogEvent path it comes from (an EventBridge envelope reads
 * the same path under "detail"), and how the pipeline derives it from that
 * path.  An ECS document is read at the ECS path itself (nested, dotted or
 * mixed).  fields.c lists every approximation of the pipeline next to its
 * row.
 *
 * The index of a field is its row in the table (stable for a build); it is
 * what a compiled KQL query (kql.h) uses.  The extractor reads a set of
 * rows with every event, in its one walk: sw_parser_want_fields() in
 * extract.h, the values in sw_event.fields. */
#ifndef SW_FIELDS_H
#define SW_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "kql.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a raw LogEvent (or an EventBridge detail) gives the field. */
typedef enum {
    SW_DERIVE_COPY = 0,     /* the values at the raw path, as they are */
    SW_DERIVE_NONE,         /* not in a raw event (ECS documents only) */
    SW_DERIVE_DATASET,      /* always "okta.system" */
    SW_DERIVE_OUTCOME,      /* outcome.result lower-cased: success/allow ->
                               "success", failure/deny -> "failure", else
                               (missing too) "unknown" */
    SW_DERIVE_CATEGORY,     /* from eventType, the pipeline's lists */
    SW_DERIVE_USER_NAME,    /* grok %{USER} on actor.alternateId: the first
                               run of [A-Za-z0-9._-] */
    SW_DERIVE_BEHAVIORS     /* debugData.behaviors "{K=V, K=V}": the keys
                               whose value is POSITIVE, in order */
} sw_derive;

typedef struct {
    const char *ecs;      /* the name rules use; also the path read in ECS input */
    sw_kql_ftype type;    /* the integration's mapping type */
    const char *raw;      /* dotted LogEvent path (arrays on the way are
                             walked element by element); NULL when none */
    uint8_t derive;       /* sw_derive */
} sw_catalogue_field;

/* The most rows the catalogue may hold.  A set of fields is a uint64_t
 * with bit i for row i; the extractor matches each row's raw and ECS path
 * in one 64-bit set, hence 32. */
#define SW_CATALOGUE_MAX 32

/* The table and its number of rows. */
const sw_catalogue_field *sw_catalogue(size_t *n);

/* The row of an ECS name, or -1.  name[0 .. len) need not be NUL-terminated. */
int sw_catalogue_find(const char *name, size_t len);

/* An sw_kql_resolve_fn over the catalogue (ctx unused): the row index and
 * its type, -1 for a name not in the catalogue. */
int sw_catalogue_resolve(void *ctx, const char *name, size_t len, uint32_t *index, sw_kql_ftype *type);

/* For a row whose derive is not COPY or NONE: its values computed from
 * the values src[0 .. n) its raw path gave, into out[0 .. cap); returns
 * how many.  Derived values point into src's strings or static storage.
 * The pipeline's processors see a list as a list, so every derivation but
 * DATASET needs exactly one string value (else none; OUTCOME "unknown"). */
size_t sw_catalogue_derive(uint8_t derive, const sw_kql_value *src, size_t n, sw_kql_value *out, size_t cap);

/* For the rule index's raw skip (ruleindex.c): bytes that a raw record
 * (or EventBridge detail) must hold, possibly escaped, for a row of this
 * derive to have a value there; NULL when that is the key of its raw
 * path (or nothing, for DATASET and OUTCOME, which every raw record has). */
const char *sw_catalogue_raw_needle(uint8_t derive);

/* The most values kept per field per event; more are counted in
 * sw_event.fields_dropped and not kept (an Okta event has a handful of
 * targets; 16 leaves room). */
#define SW_FIELD_MAX_VALUES 16

#ifdef __cplusplus
}
#endif

#endif

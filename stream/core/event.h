/* event.h -- the fields of one Okta event that the rule and the alert read
 * (sw_field, below) and, when the parser is asked for them, the values of
 * the field-catalogue rows the loaded rules read (fields).
 *
 * An sw_event is a set of views (pointer + length) into memory owned by the
 * parser that filled it: nothing is copied, nothing is allocated.  The views
 * stay valid until that parser parses its next record.  Strings are already
 * JSON-unescaped, so "102ab" and "102\u0061b" compare equal byte for byte
 * (a lone surrogate escape reads as U+FFFD).
 *
 * Every field carries the JSON type it was found with, because the rule must
 * tell "absent" from "null" from "a number where a string belongs".  A key
 * on the way to a field that is not an object ("actor":"bob" for actor.id)
 * makes the field SW_OTHER, or SW_NULL if that key is null. */
#ifndef SW_EVENT_H
#define SW_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "kql.h"

typedef enum {
    SW_ABSENT = 0, /* key not in the record */
    SW_NULL,       /* key present, value null */
    SW_STRING,     /* key present, value a string (p, n hold it unescaped) */
    SW_OTHER       /* key present, value a number, bool, object or array */
} sw_vtype;

typedef struct {
    const char *p; /* unescaped bytes; may contain NUL; not NUL-terminated;
                      NULL (and n 0) unless type is SW_STRING */
    uint32_t n;
    uint8_t type; /* sw_vtype */
} sw_value;

/* Which field.  "raw | ECS" gives the sources in a raw LogEvent (or an
 * EventBridge detail) and in an ECS document; only those of the record's
 * kind are read (extract.h).  Where one kind offers several sources for a
 * field, the first one listed below that is present wins. */
typedef enum {
    SW_F_EVENT_TYPE,     /* eventType | okta.event_type */
    SW_F_ACTOR_ID,       /* actor.id | okta.actor.id */
    SW_F_ACTOR_NAME,     /* actor.displayName | okta.actor.display_name */
    SW_F_ACTOR_ALT,      /* actor.alternateId | okta.actor.alternate_id */
    SW_F_SESSION_ID,     /* authenticationContext.externalSessionId |
                            okta.authentication_context.external_session_id */
    SW_F_PUBLISHED,      /* published (raw LogEvent time; raw only) */
    SW_F_TIMESTAMP,      /* @timestamp (ECS time; ECS only) */
    SW_F_INGESTED,       /* event.ingested (ECS only) */
    SW_F_EVENT_DATASET,  /* event.dataset (ECS only) */
    SW_F_STREAM_DATASET, /* data_stream.dataset (ECS only) */
    SW_F_UUID,           /* uuid | okta.uuid, else event.id */
    SW_F_CLIENT_IP,      /* client.ipAddress | client.ip, else okta.client.ip */
    SW_F_USER_AGENT,     /* client.userAgent.rawUserAgent |
                            okta.client.user_agent.raw_user_agent, else user_agent.original */
    SW_F_COUNTRY,        /* client.geographicalContext.country | client.geo.country_name */
    SW_F_CITY,           /* client.geographicalContext.city | client.geo.city_name */
    SW_F_OUTCOME,        /* outcome.result | okta.outcome.result */
    SW_F_TENANT,         /* the --tenant-field path (envelope first, then detail).
                            A string is SW_STRING; a NUMBER is also SW_STRING,
                            holding its JSON text as written (12345, -1.5e3:
                            organization ids are sometimes numeric); null is
                            SW_NULL; true/false/objects/arrays are SW_OTHER */
    SW_F_COUNT
} sw_field;

typedef enum {
    SW_FMT_RAW = 0,     /* Okta System Log LogEvent (top-level eventType or published) */
    SW_FMT_ECS,         /* ECS document (okta.* keys, nested, dotted or mixed; no
                           top-level eventType or published) */
    SW_FMT_EVENTBRIDGE  /* AWS EventBridge envelope whose detail is a LogEvent */
} sw_format;

typedef struct {
    sw_value f[SW_F_COUNT];
    uint8_t format;     /* sw_format */
    uint8_t not_object; /* 1: an element of a top-level array that is not an
                           object ([null, {..}]); every field is ABSENT and
                           the rule rejects it as wrong_type */
    /* The event's own JSON text, unparsed: the whole record for a plain
     * object (an EventBridge envelope included), the element's bytes for a
     * member of a top-level array.  Used to split an Okta API page into one
     * Kafka record per event.  Same lifetime as the views above. */
    const char *raw;
    uint32_t raw_len;
    /* The values of the catalogue rows the parser was asked for
     * (sw_parser_want_fields, extract.h): SW_CATALOGUE_MAX entries indexed
     * by row (fields.h), the rows not asked for empty; pass it with
     * SW_CATALOGUE_MAX to sw_kql_match.  NULL when no rows are asked for.
     * Owned by the parser, same lifetime as the views above. */
    const sw_kql_field *fields;
    uint32_t fields_dropped; /* values not kept: beyond SW_FIELD_MAX_VALUES
                                for one field, or beyond the parser's pool */
    uint32_t fields_skipped; /* values of a shape no field holds (an object
                                where a value belongs, arrays nested too
                                deep): not kept */
} sw_event;

#endif

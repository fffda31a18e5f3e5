/* rtypes.c -- see rtypes.h: the catalogue rows read from the paths of the
 * seed fields that rule.c type-checks. */
#include "rtypes.h"

#include <string.h>

#include "fields.h"

enum { RAW = 1, ECS = 2 };

static const struct {
    const char *row; /* its ECS name in the catalogue */
    sw_field seed;
    int kinds;       /* where the row is read from the seed field's path */
} TIES[] = {
    {"okta.event_type", SW_F_EVENT_TYPE, RAW | ECS},
    {"event.action", SW_F_EVENT_TYPE, RAW}, /* ECS: event.action itself */
    {"okta.actor.id", SW_F_ACTOR_ID, RAW | ECS},
    {"okta.actor.display_name", SW_F_ACTOR_NAME, RAW | ECS},
    {"okta.authentication_context.external_session_id", SW_F_SESSION_ID, RAW | ECS},
    {"event.dataset", SW_F_EVENT_DATASET, ECS},       /* raw: derived, always okta.system */
    {"data_stream.dataset", SW_F_STREAM_DATASET, ECS}, /* the same */
};

sw_rtypes sw_rtypes_of_rows(uint64_t rows) {
    sw_rtypes t = {0, 0};
    for (size_t i = 0; i < sizeof TIES / sizeof TIES[0]; i++) {
        int row = sw_catalogue_find(TIES[i].row, strlen(TIES[i].row));
        if (row < 0 || !(rows >> row & 1)) continue;
        if (TIES[i].kinds & RAW) t.raw |= 1u << TIES[i].seed;
        if (TIES[i].kinds & ECS) t.ecs |= 1u << TIES[i].seed;
    }
    return t;
}

/* alert_parts.h -- the pieces of an alert's JSON that the seed rule's
 * alert (alert.c) and the loaded rules' alerts (ralert.c) write alike, so
 * that both keep one schema for the actor, the sessions and what a size
 * bound cut (alert.h gives the bounds). */
#ifndef SW_ALERT_PARTS_H
#define SW_ALERT_PARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "jsonw.h"
#include "window.h"

/* The alert id's hash input: appends one length-prefixed part, so that no
 * two inputs hash alike by concatenation ("ab"+"c" vs "a"+"bc"). */
void sw_alert_id_part(sw_buf *s, const void *p, size_t n);
/* The 32 hex digits of the id of the hash input s (+ NUL). */
void sw_alert_id_finish(const sw_buf *s, char out[33]);

/* A string, or null when it is empty (the input did not carry it). */
void sw_alert_put_text(sw_buf *b, const char *p, size_t n);
/* An id (session, actor, tenant, a group-by value) as a JSON string, cut
 * at SW_ALERT_MAX_ID bytes on a character boundary; true when it was cut. */
bool sw_alert_put_id(sw_buf *b, const char *p, size_t n);
/* {"bytes":N,"hash":"16 hex"}: what a cut id was, whole. */
void sw_alert_put_cut_note(sw_buf *b, const char *p, size_t n);
/* ,"okta":{"actor":{"id","display_name","alternate_id"}},"user":{"id",
 * "name","email"}: names cut at SW_MAX_DETAIL; a NULL id is null; true
 * when the id was cut. */
bool sw_alert_put_actor(sw_buf *b, const char *id, size_t id_len, sw_span name, sw_span alt);
/* One session (or distinct value) object: {"id","first_seen","last_seen",
 * "events","client","event_uuid"} with id[0 .. id_len) as its id;
 * *ids_cut counts an id that was cut. */
void sw_alert_put_session(sw_buf *b, const sw_session *s, const char *id, size_t id_len, uint32_t *ids_cut);
/* ,"source":{..}} -- the alert's last member and its closing brace;
 * returns the bytes the source object took. */
size_t sw_alert_put_source_end(sw_buf *b, const sw_source *src);

/* An alert writer: appends the alert (from start = b->len), leaving out
 * the evidence (sessions, events) that would take it past budget bytes
 * with room_after bytes still to come; returns the bytes of its source. */
typedef size_t (*sw_alert_writer)(sw_buf *b, const void *alert, const char *alert_id, size_t start, size_t budget,
                                  size_t room_after);
/* Writes the alert once; when that passes SW_ALERT_MAX_BYTES, again with
 * as much evidence as fits before the "truncated" note (under 256 bytes)
 * and the source. */
void sw_alert_write_bounded(sw_buf *b, sw_alert_writer write, const void *alert, const char *alert_id);

#endif

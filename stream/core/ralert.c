/* ralert.c -- see ralert.h.
 *
 * The JSON keeps the seed alert's top-level keys (alert_id, @timestamp,
 * detected_at, rule, tenant, okta, user, threshold_result, sessions,
 * truncated, source) where the rule type has them:
 *   threshold with a cardinality: "sessions" lists the distinct values of
 *     the cardinality field in the window (the seed rule's sessions);
 *   threshold without: "events" lists the counted events (id = the
 *     event's identity) instead, and threshold_result has no cardinality;
 *   query: no threshold_result; "event" holds {"original": the event's
 *     JSON text as read (an escaped string), "bytes": its length,
 *     "truncated": true when cut at SW_RALERT_ORIGINAL_MAX}.
 * The evidence objects are alert_parts.h's session objects. */
#include "ralert.h"

#include <stdlib.h>
#include <string.h>

#include "alert_parts.h"
#include "fields.h"

static const char PREFIX[] = "sessionwatch/alert/v1";

static int text_cmp(const void *pa, const void *pb) {
    const sw_session *a = *(const sw_session *const *)pa, *b = *(const sw_session *const *)pb;
    size_t n = a->id_len < b->id_len ? a->id_len : b->id_len;
    int c = memcmp(sw_session_id(a), sw_session_id(b), n);
    return c ? c : (a->id_len > b->id_len) - (a->id_len < b->id_len);
}

void sw_ralert_id(const sw_ralert *a, sw_buf *s, char out[SW_ALERT_ID_LEN + 1]) {
    const sw_rulespec *rule = a->rule;
    sw_buf_reset(s);
    sw_alert_id_part(s, PREFIX, sizeof PREFIX - 1);
    sw_alert_id_part(s, rule->rule_id, strlen(rule->rule_id));
    sw_alert_id_part(s, a->tenant.p, a->tenant.n);
    if (rule->type == SW_SPEC_QUERY) {
        if (a->uuid.p) {
            sw_alert_id_part(s, "uuid", 4);
            sw_alert_id_part(s, a->uuid.p, a->uuid.n);
        } else {
            sw_alert_id_part(s, "raw", 3);
            sw_alert_id_part(s, a->original.p, a->original.n);
        }
        sw_alert_id_finish(s, out);
        return;
    }
    for (size_t i = 0; i < rule->n_group_by; i++) sw_alert_id_part(s, a->terms[i].p, a->terms[i].n);
    sw_alert_id_part(s, &a->r, sizeof a->r);
    if (a->evidence_values) {
        /* Distinct values in byte order (all carry the same kind byte). */
        memcpy(a->sort_scratch, a->evidence, a->nevidence * sizeof *a->evidence);
        qsort(a->sort_scratch, a->nevidence, sizeof *a->sort_scratch, text_cmp);
        for (size_t i = 0; i < a->nevidence; i++)
            sw_alert_id_part(s, sw_session_id(a->sort_scratch[i]) + 1, a->sort_scratch[i]->id_len - 1);
    }
    sw_alert_id_finish(s, out);
}

static const char *field_name(uint32_t row) {
    size_t n;
    const sw_catalogue_field *cat = sw_catalogue(&n);
    return row < n ? cat[row].ecs : "?";
}

typedef struct {
    uint32_t ids_cut, omitted, terms_cut;
    bool actor_cut, tenant_cut, original_cut;
} cuts;

static void write_threshold_result(sw_buf *b, const sw_ralert *a, cuts *c) {
    const sw_rulespec *rule = a->rule;
    sw_buf_puts(b, ",\"threshold_result\":{\"terms\":[");
    for (size_t i = 0; i < rule->n_group_by; i++) {
        sw_json_lit_cstr(b, i ? ",{\"field\":" : "{\"field\":", field_name(rule->group_by[i]));
        sw_buf_puts(b, ",\"value\":");
        if (sw_alert_put_id(b, a->terms[i].p, a->terms[i].n)) c->terms_cut++;
        sw_buf_putc(b, '}');
    }
    sw_json_lit_int(b, "],\"count\":", (int64_t)a->count);
    sw_json_lit_time(b, ",\"from\":", a->from);
    if (rule->cardinality_row >= 0) {
        sw_json_lit_cstr(b, ",\"cardinality\":[{\"field\":", field_name((uint32_t)rule->cardinality_row));
        sw_json_lit_int(b, ",\"value\":", (int64_t)a->nevidence);
        sw_buf_puts(b, "}]");
    }
    sw_buf_putc(b, '}');
}

/* The evidence list; entries that would pass budget (with room_after
 * still to come) are left out and counted. */
static void write_evidence(sw_buf *b, const sw_ralert *a, cuts *c, size_t start, size_t budget, size_t room_after) {
    sw_buf_puts(b, a->evidence_values ? ",\"sessions\":[" : ",\"events\":[");
    for (size_t i = 0; i < a->nevidence; i++) {
        size_t before = b->len;
        uint32_t kept = c->ids_cut;
        if (i) sw_buf_putc(b, ',');
        const sw_session *s = a->evidence[i];
        sw_alert_put_session(b, s, sw_session_id(s) + 1, s->id_len - 1, &c->ids_cut);
        if (b->len - start + room_after > budget) {
            b->len = before;
            c->ids_cut = kept;
            c->omitted = (uint32_t)(a->nevidence - i);
            break;
        }
    }
    sw_buf_putc(b, ']');
}

static void write_original(sw_buf *b, const sw_ralert *a, cuts *c) {
    size_t keep = sw_utf8_cut(a->original.p, a->original.n, SW_RALERT_ORIGINAL_MAX);
    c->original_cut = keep < a->original.n;
    sw_buf_puts(b, ",\"event\":{\"original\":");
    sw_json_str(b, a->original.p, keep);
    sw_json_lit_int(b, ",\"bytes\":", (int64_t)a->original.n);
    if (c->original_cut) sw_buf_puts(b, ",\"truncated\":true");
    sw_buf_putc(b, '}');
}

static void write_cuts(sw_buf *b, const sw_ralert *a, const cuts *c) {
    if (!c->ids_cut && !c->omitted && !c->terms_cut && !c->actor_cut && !c->tenant_cut) return;
    sw_json_lit_int(b, ",\"truncated\":{\"session_ids\":", c->ids_cut);
    sw_json_lit_int(b, ",\"sessions_omitted\":", c->omitted);
    if (c->terms_cut) sw_json_lit_int(b, ",\"terms\":", c->terms_cut);
    if (c->actor_cut) {
        sw_buf_puts(b, ",\"actor_id\":");
        sw_alert_put_cut_note(b, a->actor.p, a->actor.n);
    }
    if (c->tenant_cut) {
        sw_buf_puts(b, ",\"tenant\":");
        sw_alert_put_cut_note(b, a->tenant.p, a->tenant.n);
    }
    sw_buf_putc(b, '}');
}

static size_t write_alert(sw_buf *b, const void *alert, const char *id, size_t start, size_t budget,
                          size_t room_after) {
    const sw_ralert *a = alert;
    cuts c = {0};
    sw_buf_puts(b, "{\"alert_id\":\"");
    sw_buf_puts(b, id);
    sw_json_lit_time(b, "\",\"@timestamp\":", a->event_time);
    sw_json_lit_time(b, ",\"detected_at\":", a->detected_at);
    sw_buf_puts(b, ",\"rule\":");
    sw_buf_put(b, a->rule->rule_json, a->rule->rule_json_len);
    sw_buf_puts(b, ",\"tenant\":");
    c.tenant_cut = sw_alert_put_id(b, a->tenant.p, a->tenant.n);
    c.actor_cut = sw_alert_put_actor(b, a->actor.p, a->actor.n, a->name, a->alt);
    if (a->rule->type == SW_SPEC_THRESHOLD) {
        write_threshold_result(b, a, &c);
        write_evidence(b, a, &c, start, budget, room_after);
    } else {
        write_original(b, a, &c);
    }
    write_cuts(b, a, &c);
    return sw_alert_put_source_end(b, a->source);
}

void sw_ralert_write(sw_buf *b, const sw_ralert *a, const char *alert_id) {
    sw_alert_write_bounded(b, write_alert, a, alert_id);
}

/* rulespec_of.c -- see rulespec_of.h.
 *
 * The "rule" object: id, name, version, type, severity, risk_score,
 * building_block_type (only when the file sets it), threat (Elastic's
 * shape: framework, tactic, technique[].subtechnique[], each with id, name
 * and reference when the file has one), parameters.  For the seed rule's
 * TOML this is the built-in rule's object (alert.c's RULE_JSON) with more
 * parameters.  Strings are cut at SW_RULE_TEXT_MAX bytes on a character
 * boundary and escaped. */
#include "rulespec_of.h"

#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "window.h"

#define SW_RULE_TEXT_MAX 1024

static void text(sw_buf *b, const char *lit, const char *s) {
    sw_buf_puts(b, lit);
    size_t n = strlen(s);
    sw_json_str(b, s, sw_utf8_cut(s, n, SW_RULE_TEXT_MAX));
}

/* One {id, name, reference} object (reference only when the file has one). */
static void ref(sw_buf *b, const sw_rule_ref *r) {
    text(b, "{\"id\":", r->id ? r->id : "");
    text(b, ",\"name\":", r->name ? r->name : "");
    if (r->reference) text(b, ",\"reference\":", r->reference);
}

/* lit, then each of the n items (size bytes apart) written by one and
 * separated by commas, then ']'. */
static void list(sw_buf *b, const char *lit, const void *items, size_t n, size_t size,
                 void (*one)(sw_buf *, const void *)) {
    sw_buf_puts(b, lit);
    for (size_t i = 0; i < n; i++) {
        if (i) sw_buf_putc(b, ',');
        one(b, (const char *)items + i * size);
    }
    sw_buf_putc(b, ']');
}

static void subtechnique(sw_buf *b, const void *r) {
    ref(b, r);
    sw_buf_putc(b, '}');
}

static void technique(sw_buf *b, const void *item) {
    const sw_rule_technique *t = item;
    ref(b, &t->ref);
    if (t->n_subtechniques)
        list(b, ",\"subtechnique\":[", t->subtechniques, t->n_subtechniques, sizeof *t->subtechniques, subtechnique);
    sw_buf_putc(b, '}');
}

static void threat(sw_buf *b, const void *item) {
    const sw_rule_threat *t = item;
    sw_buf_putc(b, '{');
    if (t->framework) text(b, "\"framework\":", t->framework), sw_buf_putc(b, ',');
    sw_buf_puts(b, "\"tactic\":");
    ref(b, &t->tactic);
    list(b, "},\"technique\":[", t->techniques, t->n_techniques, sizeof *t->techniques, technique);
    sw_buf_putc(b, '}');
}

static void parameters(sw_buf *b, const sw_ruledef *d) {
    sw_json_lit_int(b, ",\"parameters\":{\"window_ms\":", d->window_ms);
    if (d->type == SW_RULE_THRESHOLD && d->cardinality_field)
        sw_json_lit_int(b, ",\"min_sessions\":", d->cardinality);
    if (d->type == SW_RULE_THRESHOLD) sw_json_lit_int(b, ",\"threshold\":", d->threshold);
    sw_json_lit_int(b, ",\"interval_ms\":", d->interval_ms);
    sw_json_lit_int(b, ",\"max_signals\":", d->max_signals);
    sw_buf_putc(b, '}');
}

static void render(sw_buf *b, const sw_ruledef *d, int with_threats) {
    sw_buf_reset(b);
    text(b, "{\"id\":", d->rule_id);
    text(b, ",\"name\":", d->name);
    sw_json_lit_int(b, ",\"version\":", d->version);
    sw_json_lit_cstr(b, ",\"type\":", d->type == SW_RULE_THRESHOLD ? "threshold" : "query");
    text(b, ",\"severity\":", d->severity);
    sw_json_lit_int(b, ",\"risk_score\":", d->risk_score);
    if (d->building_block_type) text(b, ",\"building_block_type\":", d->building_block_type);
    if (with_threats) list(b, ",\"threat\":[", d->threats, d->n_threats, sizeof *d->threats, threat);
    else sw_buf_puts(b, ",\"threat\":[],\"threat_omitted\":true");
    parameters(b, d);
    sw_buf_putc(b, '}');
}

int sw_ruledef_spec(const sw_ruledef *d, sw_rulespec *out) {
    memset(out, 0, sizeof *out);
    sw_buf b = {0};
    render(&b, d, 1);
    if (!b.oom && b.len > SW_RULE_JSON_MAX) render(&b, d, 0);
    if (b.oom) {
        sw_buf_free(&b);
        return -1;
    }
    out->rule_id = d->rule_id;
    out->name = d->name;
    out->type = d->type == SW_RULE_THRESHOLD ? SW_SPEC_THRESHOLD : SW_SPEC_QUERY;
    out->window_ms = d->window_ms;
    out->interval_ms = d->interval_ms;
    out->max_signals = d->max_signals > UINT32_MAX ? UINT32_MAX : (uint32_t)d->max_signals;
    out->n_group_by = d->n_group_by;
    for (size_t i = 0; i < d->n_group_by && i < SW_SPEC_MAX_GROUP_BY; i++) out->group_by[i] = d->group_by_rows[i];
    out->threshold = (uint32_t)(d->threshold > 0 ? d->threshold : 1);
    out->cardinality_row = d->cardinality_field ? d->cardinality_row : -1;
    out->cardinality = d->cardinality_field ? (uint32_t)d->cardinality : 0;
    out->kql = d->kql;
    out->rows = d->rows;
    out->time_ingested = d->timestamp_override && strcmp(d->timestamp_override, "event.ingested") == 0;
    out->rule_json = b.p;
    out->rule_json_len = b.len;
    return 0;
}

void sw_rulespec_release(sw_rulespec *s) {
    free((char *)s->rule_json);
    memset(s, 0, sizeof *s);
}

/* summary.c -- see summary.h. */
#include "summary.h"

#include <string.h>

#include "rule.h"

void sw_counters_add(sw_counters *a, const sw_counters *b) {
    a->records += b->records;
    a->events += b->events;
    a->prefiltered += b->prefiltered;
    a->eligible += b->eligible;
    a->covered += b->covered;
    a->alerts += b->alerts;
    a->alerts_capped += b->alerts_capped;
    a->nomem += b->nomem;
    a->cap_evicted += b->cap_evicted;
    for (int i = 0; i < SW_VERDICT_COUNT; i++) a->verdict[i] += b->verdict[i];
}

static uint64_t sum(const sw_counters *c, int from, int to) {
    uint64_t n = 0;
    for (int i = from; i < to; i++) n += c->verdict[i];
    return n;
}

void sw_summary_text(FILE *out, const char *cmd, const sw_summary *s) {
    const sw_counters *c = s->c;
    double mb = (double)s->bytes / 1e6;
    fprintf(out,
            "sessionwatch %s: %llu records (%.1f MB in %.2f s), %llu eligible, %llu alerts "
            "(%llu capped), %llu covered by an earlier alert, %llu users tracked\n",
            cmd, (unsigned long long)c->records, mb, s->elapsed_s, (unsigned long long)c->eligible,
            (unsigned long long)c->alerts, (unsigned long long)c->alerts_capped,
            (unsigned long long)c->covered, (unsigned long long)s->tracked_users);
    fprintf(out, "  filtered %llu:", (unsigned long long)sum(c, 1, SW_V_FILTER_END));
    for (int i = 1; i < SW_V_FILTER_END; i++)
        fprintf(out, " %s=%llu", sw_verdict_name(i), (unsigned long long)c->verdict[i]);
    fprintf(out, "\n  rejected %llu:", (unsigned long long)sum(c, SW_R_MALFORMED, SW_VERDICT_COUNT));
    for (int i = SW_R_MALFORMED; i < SW_VERDICT_COUNT; i++)
        fprintf(out, " %s=%llu", sw_verdict_name(i), (unsigned long long)c->verdict[i]);
    fputc('\n', out);
    if (c->nomem) fprintf(out, "  WARNING: %llu events dropped: out of memory\n", (unsigned long long)c->nomem);
    if (c->cap_evicted)
        fprintf(out, "  WARNING: %llu keys evicted at --max-tracked-users (least recently active first)\n",
                (unsigned long long)c->cap_evicted);
}

/* b's JSON to out unless it ran out of memory; frees b. */
static void json_out(FILE *out, sw_buf *b) {
    if (!b->oom) fwrite(b->p, 1, b->len, out);
    sw_buf_free(b);
}

/* ,"internal":[{"family":..,"topic":..,"records":..,"bytes":..,"replays":..},..]
 * when the run has internal topics. */
static void internal_json(FILE *out, const sw_summary *s) {
    if (!s->n_internal) return;
    sw_buf b = {0};
    for (size_t i = 0; i < s->n_internal; i++) {
        const sw_internal_summary *f = &s->internal[i];
        const struct { const char *lit; uint64_t v; } counts[] = {
            {",\"records\":", f->records}, {",\"bytes\":", f->bytes}, {",\"replays\":", f->replays}};
        sw_json_lit_cstr(&b, i ? "},{\"family\":" : ",\"internal\":[{\"family\":", f->family);
        sw_json_lit_cstr(&b, ",\"topic\":", f->topic);
        for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++)
            sw_json_lit_int(&b, counts[k].lit, (int64_t)counts[k].v);
    }
    sw_buf_puts(&b, "}]");
    json_out(out, &b);
}

void sw_summary_json(FILE *out, const sw_summary *s) {
    const sw_counters *c = s->c;
    fprintf(out,
            "{\"records\":%llu,\"events\":%llu,\"prefiltered\":%llu,\"eligible\":%llu,"
            "\"covered\":%llu,\"alerts\":%llu,\"alerts_capped\":%llu,\"nomem\":%llu,"
            "\"tracked_users\":%llu,\"evicted\":%llu,\"cap_evicted\":%llu,\"bytes\":%llu,\"elapsed_s\":%.3f,",
            (unsigned long long)c->records, (unsigned long long)c->events,
            (unsigned long long)c->prefiltered, (unsigned long long)c->eligible,
            (unsigned long long)c->covered, (unsigned long long)c->alerts,
            (unsigned long long)c->alerts_capped, (unsigned long long)c->nomem,
            (unsigned long long)s->tracked_users, (unsigned long long)s->evicted,
            (unsigned long long)c->cap_evicted, (unsigned long long)s->bytes, s->elapsed_s);
    fprintf(out, "\"filtered\":{");
    for (int i = 1; i < SW_V_FILTER_END; i++)
        fprintf(out, "%s\"%s\":%llu", i > 1 ? "," : "", sw_verdict_name(i), (unsigned long long)c->verdict[i]);
    fprintf(out, "},\"rejected\":{");
    for (int i = SW_R_MALFORMED; i < SW_VERDICT_COUNT; i++)
        fprintf(out, "%s\"%s\":%llu", i > SW_R_MALFORMED ? "," : "", sw_verdict_name(i),
                (unsigned long long)c->verdict[i]);
    fputc('}', out);
    internal_json(out, s);
    fprintf(out, "}\n");
}

void sw_summary_print(FILE *out, const char *cmd, bool json, const sw_summary *s) {
    if (json) sw_summary_json(out, s);
    else sw_summary_text(out, cmd, s);
}

/* Every field of sw_rule_counters is a uint64_t count, added one by one. */
#define RULE_COUNTS (sizeof(sw_rule_counters) / sizeof(uint64_t))
_Static_assert(sizeof(sw_rule_counters) == RULE_COUNTS * sizeof(uint64_t), "sw_rule_counters holds counts only");

void sw_rule_counters_add(sw_rule_counters *a, const sw_rule_counters *b) {
    uint64_t x[RULE_COUNTS], y[RULE_COUNTS];
    memcpy(x, a, sizeof x);
    memcpy(y, b, sizeof y);
    for (size_t i = 0; i < RULE_COUNTS; i++) x[i] += y[i];
    memcpy(a, x, sizeof x);
}

static void rules_text(FILE *out, const sw_rules_summary *s) {
    fprintf(out, "  rules %zu: %llu events matched no rule\n", s->n, (unsigned long long)s->unmatched);
    for (size_t i = 0; i < s->n; i++) {
        const sw_rule_counters *c = &s->c[i];
        fprintf(out,
                "  rule %s (%s): %llu alerts (%llu capped), %llu matched, %llu counted, %llu too_late, "
                "%llu covered, %llu without a group-by field\n",
                s->specs[i].rule_id, s->specs[i].name, (unsigned long long)c->alerts,
                (unsigned long long)c->alerts_capped, (unsigned long long)c->matched,
                (unsigned long long)c->counted, (unsigned long long)c->too_late, (unsigned long long)c->covered,
                (unsigned long long)c->no_group);
    }
}

static void rules_json(FILE *out, const sw_rules_summary *s) {
    sw_buf b = {0};
    sw_json_lit_int(&b, "{\"unmatched\":", (int64_t)s->unmatched);
    sw_buf_puts(&b, ",\"rules\":[");
    for (size_t i = 0; i < s->n; i++) {
        const sw_rule_counters *c = &s->c[i];
        sw_json_lit_cstr(&b, i ? ",{\"rule_id\":" : "{\"rule_id\":", s->specs[i].rule_id);
        sw_json_lit_cstr(&b, ",\"name\":", s->specs[i].name);
        sw_json_lit_int(&b, ",\"alerts\":", (int64_t)c->alerts);
        sw_json_lit_int(&b, ",\"alerts_capped\":", (int64_t)c->alerts_capped);
        sw_json_lit_int(&b, ",\"matched\":", (int64_t)c->matched);
        sw_json_lit_int(&b, ",\"counted\":", (int64_t)c->counted);
        sw_json_lit_int(&b, ",\"too_late\":", (int64_t)c->too_late);
        sw_json_lit_int(&b, ",\"covered\":", (int64_t)c->covered);
        sw_json_lit_int(&b, ",\"no_group\":", (int64_t)c->no_group);
        sw_json_lit_int(&b, ",\"groups_dropped\":", (int64_t)c->groups_dropped);
        sw_json_lit_int(&b, ",\"nomem\":", (int64_t)c->nomem);
        sw_buf_putc(&b, '}');
    }
    sw_buf_puts(&b, "]}\n");
    json_out(out, &b);
}

void sw_rules_summary_print(FILE *out, bool json, const sw_rules_summary *s) {
    if (json) rules_json(out, s);
    else rules_text(out, s);
}

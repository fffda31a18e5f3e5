/* ruledef.c -- reads and validates one rule of ruledef.h from TOML text.
 *
 * What is read, all from the [rule] table ([metadata] is not needed):
 *   rule_id, name, type        strings, required, non-empty
 *   type                       "query" or "threshold"; any other type
 *                              (eql, esql, new_terms, machine_learning,
 *                              threat_match, ...) is refused by name
 *   language                   required, "kuery" (lucene, eql... refused)
 *   query                      required string, compiled as KQL (kql.h)
 *                              over the field catalogue (fields.h):
 *                              a field not in it is refused by name
 *   severity                   required: low, medium, high or critical
 *   risk_score                 required integer 0 .. 100
 *   version                    optional integer >= 1 (0 when absent)
 *   from                       optional "now-N" + s/m/h/d, the window,
 *                              1 s .. a week; default now-6m (Elastic's)
 *   interval                   optional N + s/m/h/d, 1 s .. a week;
 *                              default 5m (Elastic's)
 *   max_signals                optional integer >= 1; default 100
 *   building_block_type        optional string
 *   timestamp_override         optional string
 *   threat                     optional array of tables: framework
 *                              (optional string), tactic {id, name}
 *                              (required), technique [{id, name,
 *                              subtechnique [{id, name}]}] (optional);
 *                              each with an optional reference (URL)
 *   threshold (threshold rules) field: string or array of strings (at
 *                              most 5, each non-empty; may be empty),
 *                              value: integer 1 .. 10,000, cardinality:
 *                              optional array of at most one {field,
 *                              value 1 .. 10,000}
 * Keys not listed are ignored (Elastic's files carry many: note, tags...).
 * A string holding a NUL character is refused (the rest of the program
 * uses C strings).
 *
 * Refusal positions are lines and columns in the file.  A KQL error's
 * position is relative to the query (its line 1 is the query's first
 * line); it is moved into the file from where the query string starts:
 * after `'''` or `"""` and the newline TOML drops right after them, or
 * after a one-line string's quote.  Exact for literal strings (what
 * Elastic's files use); in a basic string ("...") an escape sequence
 * before the error shifts the column. */
#include "ruledef.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

#define WEEK_MS SW_RULE_MAX_WINDOW_MS

static int refuse(sw_rule_refusal *why, sw_toml_node at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->message, sizeof why->message, fmt, ap);
    va_end(ap);
    sw_toml_where(at, &why->line, &why->column);
    return -1;
}

static const sw_toml_node NOWHERE = {NULL};

/* ---- typed values -------------------------------------------------------- */

/* A string value: 0 with *out (malloc'd; NULL when absent and optional),
 * -1 refused.  what names the key for messages ("rule.name"). */
static int get_text(sw_toml_node n, const char *what, bool required, bool nonempty, char **out,
                    sw_rule_refusal *why) {
    *out = NULL;
    sw_toml_kind k = sw_toml_kind_of(n);
    if (k == SW_TOML_NONE) return required ? refuse(why, NOWHERE, "missing %s", what) : 0;
    const char *p;
    size_t len;
    if (sw_toml_string(n, &p, &len) != 0)
        return refuse(why, n, "%s must be a string, not %s %s", what, k == SW_TOML_INTEGER ? "an" : "a",
                      sw_toml_kind_name(k));
    if (memchr(p, '\0', len)) return refuse(why, n, "%s holds a NUL character", what);
    if (nonempty && len == 0) return refuse(why, n, "%s is empty", what);
    char *s = malloc(len + 1);
    if (!s) return refuse(why, n, "out of memory");
    memcpy(s, p, len);
    s[len] = '\0';
    *out = s;
    return 0;
}

/* An integer value in [min, max]: 0 with *v (dflt when absent and
 * optional), -1 refused. */
static int get_int(sw_toml_node n, const char *what, bool required, int64_t dflt, int64_t min, int64_t max,
                   int64_t *v, sw_rule_refusal *why) {
    sw_toml_kind k = sw_toml_kind_of(n);
    if (k == SW_TOML_NONE) {
        *v = dflt;
        return required ? refuse(why, NOWHERE, "missing %s", what) : 0;
    }
    if (sw_toml_int(n, v) != 0)
        return refuse(why, n, "%s must be an integer, not %s %s", what, k == SW_TOML_ARRAY ? "an" : "a",
                      sw_toml_kind_name(k));
    if (*v < min || *v > max)
        return refuse(why, n, "%s = %lld is out of range (%lld .. %lld)", what, (long long)*v, (long long)min,
                      (long long)max);
    return 0;
}

/* "N" + s/m/h/d as milliseconds; -1 when s is not that or overflows. */
static int parse_duration(const char *s, int64_t *ms) {
    int64_t x = 0;
    size_t i = 0;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        if (x > 1000000000LL) return -1; /* far beyond a week in any unit */
        x = x * 10 + (s[i] - '0');
    }
    if (i == 0 || s[i] == '\0' || s[i + 1] != '\0') return -1;
    int64_t unit = s[i] == 's' ? 1000 : s[i] == 'm' ? 60000 : s[i] == 'h' ? 3600000 : s[i] == 'd' ? 86400000 : 0;
    if (!unit) return -1;
    *ms = x * unit;
    return 0;
}

/* from / interval: a duration between 1 ms and a week. */
static int get_duration(sw_toml_node n, const char *what, bool with_now, int64_t dflt, int64_t *ms,
                        sw_rule_refusal *why) {
    char *s;
    if (get_text(n, what, false, false, &s, why) != 0) return -1;
    if (!s) {
        *ms = dflt;
        return 0;
    }
    const char *d = s;
    int bad = with_now && strncmp(s, "now-", 4) != 0;
    if (!bad && with_now) d += 4;
    bad = bad || parse_duration(d, ms) != 0;
    int rc = 0;
    if (bad)
        rc = refuse(why, n, "%s = \"%.64s\" is not %sa number followed by s, m, h or d", what, s,
                    with_now ? "now- and " : "");
    else if (*ms == 0)
        rc = refuse(why, n, "%s = \"%.64s\" is %s", what, s, with_now ? "a window of zero" : "zero");
    else if (*ms > WEEK_MS)
        rc = refuse(why, n, "%s = \"%.64s\" is longer than a week (7d)", what, s);
    free(s);
    return rc;
}

/* One {id, name} at n ("rule.threat[0].tactic"). */
static int get_ref(sw_toml_node n, const char *what, sw_rule_ref *r, sw_rule_refusal *why) {
    char w[288];
    if (sw_toml_kind_of(n) != SW_TOML_TABLE)
        return sw_toml_kind_of(n) == SW_TOML_NONE ? refuse(why, NOWHERE, "missing %s", what)
                                                  : refuse(why, n, "%s must be a table", what);
    snprintf(w, sizeof w, "%s.id", what);
    if (get_text(sw_toml_get(n, "id"), w, true, true, &r->id, why) != 0) return -1;
    snprintf(w, sizeof w, "%s.name", what);
    if (get_text(sw_toml_get(n, "name"), w, true, true, &r->name, why) != 0) return -1;
    snprintf(w, sizeof w, "%s.reference", what);
    return get_text(sw_toml_get(n, "reference"), w, false, true, &r->reference, why);
}

/* An optional array of tables at n: its length, or -1 refused when it is
 * something else. */
static long table_array(sw_toml_node n, const char *what, sw_rule_refusal *why) {
    sw_toml_kind k = sw_toml_kind_of(n);
    if (k == SW_TOML_NONE) return 0;
    if (k != SW_TOML_ARRAY) return refuse(why, n, "%s must be an array of tables", what);
    size_t len = sw_toml_len(n);
    for (size_t i = 0; i < len; i++)
        if (sw_toml_kind_of(sw_toml_at(n, i)) != SW_TOML_TABLE)
            return refuse(why, sw_toml_at(n, i), "%s[%zu] must be a table", what, i);
    return (long)len;
}

/* ---- the threat ----------------------------------------------------------- */

/* Reads one element of an array of tables into item. */
typedef int (*get_item_fn)(sw_toml_node n, const char *what, void *item, sw_rule_refusal *why);

/* The optional array of tables parent.key (named what in refusals) into a
 * new array of size-byte elements, element i read by get as "what[i]".
 * The array is stored at once in the pointer at slot (the rule's member,
 * so that the rule frees it), and *count counts every element started,
 * so that a refused one is freed too.  0, or -1 refused. */
static int get_tables(sw_toml_node parent, const char *key, const char *what, size_t size, void *slot,
                      size_t *count, get_item_fn get, sw_rule_refusal *why) {
    sw_toml_node arr = sw_toml_get(parent, key);
    long n = table_array(arr, what, why);
    if (n <= 0) return (int)n;
    char *items = calloc((size_t)n, size);
    if (!items) return refuse(why, parent, "out of memory");
    memcpy(slot, &items, sizeof items);
    for (long i = 0; i < n; i++) {
        char w[128]; /* names such as "rule.threat[0].technique[1].subtechnique[2]" */
        (*count)++;
        snprintf(w, sizeof w, "%.80s[%ld]", what, i);
        if (get(sw_toml_at(arr, (size_t)i), w, items + (size_t)i * size, why) != 0) return -1;
    }
    return 0;
}

static int get_subtechnique(sw_toml_node n, const char *what, void *item, sw_rule_refusal *why) {
    return get_ref(n, what, item, why);
}

static int get_technique(sw_toml_node n, const char *what, void *item, sw_rule_refusal *why) {
    sw_rule_technique *t = item;
    if (get_ref(n, what, &t->ref, why) != 0) return -1;
    char w[128];
    snprintf(w, sizeof w, "%.100s.subtechnique", what);
    return get_tables(n, "subtechnique", w, sizeof *t->subtechniques, &t->subtechniques,
                      &t->n_subtechniques, get_subtechnique, why);
}

static int get_threat(sw_toml_node n, const char *what, void *item, sw_rule_refusal *why) {
    sw_rule_threat *t = item;
    char w[128];
    snprintf(w, sizeof w, "%.100s.framework", what);
    if (get_text(sw_toml_get(n, "framework"), w, false, true, &t->framework, why) != 0) return -1;
    snprintf(w, sizeof w, "%.100s.tactic", what);
    if (get_ref(sw_toml_get(n, "tactic"), w, &t->tactic, why) != 0) return -1;
    snprintf(w, sizeof w, "%.100s.technique", what);
    return get_tables(n, "technique", w, sizeof *t->techniques, &t->techniques, &t->n_techniques,
                      get_technique, why);
}

static int get_threats(sw_toml_node rule, sw_ruledef *d, sw_rule_refusal *why) {
    return get_tables(rule, "threat", "rule.threat", sizeof *d->threats, &d->threats, &d->n_threats,
                      get_threat, why);
}

/* ---- the threshold -------------------------------------------------------- */

/* The catalogue row of a field a threshold names: refused when the
 * catalogue (fields.h) does not know it, as an unknown query field is. */
static int catalogue_row(sw_toml_node at, const char *what, const char *name, uint32_t *row, sw_rule_refusal *why) {
    int r = sw_catalogue_find(name, strlen(name));
    if (r < 0) return refuse(why, at, "%s: unknown field `%.128s` (not in the field catalogue)", what, name);
    *row = (uint32_t)r;
    return 0;
}

static int get_group_by(sw_toml_node f, sw_ruledef *d, sw_rule_refusal *why) {
    sw_toml_kind k = sw_toml_kind_of(f);
    if (k == SW_TOML_NONE) return refuse(why, NOWHERE, "missing rule.threshold.field");
    if (k != SW_TOML_STRING && k != SW_TOML_ARRAY)
        return refuse(why, f, "rule.threshold.field must be an array of strings");
    size_t n = k == SW_TOML_STRING ? 1 : sw_toml_len(f);
    if (n > SW_RULE_MAX_GROUP_BY)
        return refuse(why, f, "rule.threshold.field has %zu fields; at most %d are supported", n,
                      SW_RULE_MAX_GROUP_BY);
    d->group_by = calloc(n ? n : 1, sizeof *d->group_by);
    if (!d->group_by) return refuse(why, f, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char w[64];
        snprintf(w, sizeof w, "rule.threshold.field[%zu]", i);
        sw_toml_node e = k == SW_TOML_STRING ? f : sw_toml_at(f, i);
        if (get_text(e, w, true, true, &d->group_by[i], why) != 0) return -1;
        d->n_group_by++; /* owned from here, even when the name is refused below */
        if (catalogue_row(e, w, d->group_by[i], &d->group_by_rows[i], why) != 0) return -1;
        d->rows |= 1ULL << d->group_by_rows[i];
    }
    return 0;
}

static int get_cardinality(sw_toml_node th, sw_ruledef *d, sw_rule_refusal *why) {
    sw_toml_node card = sw_toml_get(th, "cardinality");
    long n = table_array(card, "rule.threshold.cardinality", why);
    if (n <= 0) return (int)n;
    if (n > 1) return refuse(why, card, "rule.threshold.cardinality has %ld entries; at most one is supported", n);
    sw_toml_node c = sw_toml_at(card, 0);
    const char *what = "rule.threshold.cardinality[0].field";
    sw_toml_node field = sw_toml_get(c, "field");
    uint32_t row = 0;
    if (get_text(field, what, true, true, &d->cardinality_field, why) != 0) return -1;
    if (catalogue_row(field, what, d->cardinality_field, &row, why) != 0) return -1;
    d->cardinality_row = (int32_t)row;
    d->rows |= 1ULL << row;
    return get_int(sw_toml_get(c, "value"), "rule.threshold.cardinality[0].value", true, 0, 1,
                   SW_RULE_MAX_CARDINALITY, &d->cardinality, why);
}

static int get_threshold(sw_toml_node rule, sw_ruledef *d, sw_rule_refusal *why) {
    sw_toml_node th = sw_toml_get(rule, "threshold");
    if (sw_toml_kind_of(th) == SW_TOML_NONE) return refuse(why, NOWHERE, "missing rule.threshold (a threshold rule)");
    if (sw_toml_kind_of(th) != SW_TOML_TABLE) return refuse(why, th, "rule.threshold must be a table");
    if (get_group_by(sw_toml_get(th, "field"), d, why) != 0) return -1;
    if (get_int(sw_toml_get(th, "value"), "rule.threshold.value", true, 0, 1, SW_RULE_MAX_THRESHOLD, &d->threshold,
                why) != 0)
        return -1;
    return get_cardinality(th, d, why);
}

/* ---- the query -------------------------------------------------------------- */

/* Byte offset of (line, column) in text; len when past the end. */
static size_t offset_of(const char *text, size_t len, uint32_t line, uint32_t column) {
    size_t i = 0;
    for (uint32_t l = 1; l < line && i < len; i++)
        if (text[i] == '\n') l++;
    for (uint32_t c = 1; c < column && i < len; c++) {
        i++;
        while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80) i++; /* UTF-8 continuation bytes */
    }
    return i;
}

/* Where the query's first character is in the file, from where its string
 * value starts (its opening quote). */
static void locate_query(const char *text, size_t len, sw_toml_node q, sw_ruledef *d) {
    uint32_t line, col;
    sw_toml_where(q, &line, &col);
    d->query_line = line;
    d->query_column = col;
    if (!line) return;
    size_t off = offset_of(text, len, line, col);
    const char *p = text + off;
    size_t left = len - off;
    if (left >= 3 && (memcmp(p, "'''", 3) == 0 || memcmp(p, "\"\"\"", 3) == 0)) {
        if (left >= 4 && p[3] == '\n') {
            d->query_line = line + 1, d->query_column = 1;
        } else if (left >= 5 && p[3] == '\r' && p[4] == '\n') {
            d->query_line = line + 1, d->query_column = 1;
        } else {
            d->query_column = col + 3;
        }
    } else {
        d->query_column = col + 1;
    }
}

static int compile_query(const char *text, size_t len, sw_toml_node rule, sw_ruledef *d, sw_rule_refusal *why) {
    sw_toml_node q = sw_toml_get(rule, "query");
    if (get_text(q, "rule.query", true, false, &d->query, why) != 0) return -1;
    locate_query(text, len, q, d);
    sw_kql_error e;
    d->kql = sw_kql_compile(d->query, strlen(d->query), sw_catalogue_resolve, NULL, &e);
    if (d->kql) {
        const uint32_t *rows;
        size_t n = sw_kql_fields(d->kql, &rows);
        for (size_t i = 0; i < n; i++) d->rows |= 1ULL << rows[i];
        return 0;
    }
    if (e.line == 0) return refuse(why, q, "out of memory compiling the query");
    if (d->query_line) {
        why->line = d->query_line + e.line - 1;
        why->column = e.line == 1 ? d->query_column + e.column - 1 : e.column;
    } else {
        why->line = 0, why->column = 0;
    }
    snprintf(why->message, sizeof why->message, "KQL not supported: %s (query line %u, column %u)", e.message,
             (unsigned)e.line, (unsigned)e.column);
    return -1;
}

/* ---- the rule ----------------------------------------------------------------- */

static int get_type(sw_toml_node rule, sw_ruledef *d, sw_rule_refusal *why) {
    sw_toml_node t = sw_toml_get(rule, "type");
    if (get_text(t, "rule.type", true, true, &d->type_name, why) != 0) return -1;
    if (strcmp(d->type_name, "query") == 0) {
        d->type = SW_RULE_QUERY;
    } else if (strcmp(d->type_name, "threshold") == 0) {
        d->type = SW_RULE_THRESHOLD;
    } else {
        return refuse(why, t, "type \"%.64s\" is not supported (sessionwatch runs query and threshold rules)",
                      d->type_name);
    }
    sw_toml_node l = sw_toml_get(rule, "language");
    if (get_text(l, "rule.language", true, true, &d->language, why) != 0) return -1;
    if (strcmp(d->language, "kuery") != 0)
        return refuse(why, l, "language \"%.64s\" is not supported (sessionwatch reads KQL: language = \"kuery\")",
                      d->language);
    return 0;
}

static int get_severity(sw_toml_node rule, sw_ruledef *d, sw_rule_refusal *why) {
    sw_toml_node s = sw_toml_get(rule, "severity");
    if (get_text(s, "rule.severity", true, true, &d->severity, why) != 0) return -1;
    static const char *const ok[] = {"low", "medium", "high", "critical"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(d->severity, ok[i]) == 0) return 0;
    return refuse(why, s, "rule.severity = \"%.64s\" is not low, medium, high or critical", d->severity);
}

static int get_scalars(sw_toml_node rule, sw_ruledef *d, sw_rule_refusal *why) {
    if (get_severity(rule, d, why) != 0) return -1;
    if (get_int(sw_toml_get(rule, "risk_score"), "rule.risk_score", true, 0, 0, 100, &d->risk_score, why) != 0)
        return -1;
    if (get_int(sw_toml_get(rule, "version"), "rule.version", false, 0, 1, INT32_MAX, &d->version, why) != 0)
        return -1;
    if (get_int(sw_toml_get(rule, "max_signals"), "rule.max_signals", false, SW_RULE_DEFAULT_MAX_SIGNALS, 1,
                INT32_MAX, &d->max_signals, why) != 0)
        return -1;
    if (get_duration(sw_toml_get(rule, "from"), "rule.from", true, SW_RULE_DEFAULT_FROM_MS, &d->window_ms, why) != 0)
        return -1;
    if (get_duration(sw_toml_get(rule, "interval"), "rule.interval", false, SW_RULE_DEFAULT_INTERVAL_MS,
                     &d->interval_ms, why) != 0)
        return -1;
    if (get_text(sw_toml_get(rule, "building_block_type"), "rule.building_block_type", false, true,
                 &d->building_block_type, why) != 0)
        return -1;
    return get_text(sw_toml_get(rule, "timestamp_override"), "rule.timestamp_override", false, true,
                    &d->timestamp_override, why);
}

static int read_rule(const char *text, size_t len, sw_toml_node root, sw_ruledef *d, sw_rule_refusal *why) {
    sw_toml_node rule = sw_toml_get(root, "rule");
    if (sw_toml_kind_of(rule) == SW_TOML_NONE) return refuse(why, NOWHERE, "no [rule] table");
    if (sw_toml_kind_of(rule) != SW_TOML_TABLE) return refuse(why, rule, "rule must be a table ([rule])");
    if (get_text(sw_toml_get(rule, "rule_id"), "rule.rule_id", true, true, &d->rule_id, why) != 0) return -1;
    if (get_text(sw_toml_get(rule, "name"), "rule.name", true, true, &d->name, why) != 0) return -1;
    if (get_type(rule, d, why) != 0) return -1;
    if (get_scalars(rule, d, why) != 0) return -1;
    if (get_threats(rule, d, why) != 0) return -1;
    if (d->type == SW_RULE_THRESHOLD && get_threshold(rule, d, why) != 0) return -1;
    return compile_query(text, len, rule, d, why);
}

int sw_ruledef_parse(const char *text, size_t len, sw_ruledef *def, sw_rule_refusal *why) {
    memset(def, 0, sizeof *def);
    def->cardinality_row = -1;
    memset(why, 0, sizeof *why);
    sw_toml_error te;
    sw_toml *doc = sw_toml_parse(text, len, &te);
    if (!doc) {
        why->line = te.line, why->column = te.column;
        snprintf(why->message, sizeof why->message, "not TOML: %s", te.message);
        return -1;
    }
    int rc = read_rule(text, len, sw_toml_root(doc), def, why);
    sw_toml_free(doc);
    return rc;
}

/* ---- freeing and formatting ---------------------------------------------------- */

static void free_ref(sw_rule_ref *r) {
    free(r->id);
    free(r->name);
    free(r->reference);
}

static void free_threat(sw_rule_threat *t) {
    free(t->framework);
    free_ref(&t->tactic);
    for (size_t i = 0; i < t->n_techniques; i++) {
        sw_rule_technique *x = &t->techniques[i];
        free_ref(&x->ref);
        for (size_t j = 0; j < x->n_subtechniques; j++) free_ref(&x->subtechniques[j]);
        free(x->subtechniques);
    }
    free(t->techniques);
}

void sw_ruledef_free(sw_ruledef *d) {
    /* The rule's own strings, one list. */
    char *const strings[] = {d->rule_id,  d->name,     d->type_name,         d->language, d->severity,
                             d->building_block_type, d->timestamp_override, d->cardinality_field, d->query};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) free(strings[i]);
    for (size_t i = 0; i < d->n_threats; i++) free_threat(&d->threats[i]);
    free(d->threats);
    for (size_t i = 0; i < d->n_group_by; i++) free(d->group_by[i]);
    free(d->group_by);
    sw_kql_free(d->kql);
    memset(d, 0, sizeof *d);
    d->cardinality_row = -1;
}

void sw_rule_duration_format(int64_t ms, char *out, size_t cap) {
    static const struct {
        int64_t ms;
        const char *unit;
    } units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ms > 0 && ms % units[i].ms == 0) {
            snprintf(out, cap, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
            return;
        }
    }
    snprintf(out, cap, "%lldms", (long long)ms);
}

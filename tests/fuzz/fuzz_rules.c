/* fuzz_rules.c -- libFuzzer target: the rule loader's in-memory entry
 * (stream/rules: TOML text -> a validated rule or a refusal), which reads
 * files a user points the program at.
 *
 * The input, as it is (not NUL-terminated: a read past its end is a bug),
 * is parsed twice, and also added twice to a rule set.
 *  - The same answer both times (rc and message).
 *  - A refusal has a non-empty, NUL-terminated message; a position has a
 *    line and a column >= 1 or neither.
 *  - A loaded rule holds every promise of ruledef.h: non-empty rule_id and
 *    name, type query or threshold, language kuery, severity one of four,
 *    risk 0..100, window and interval in (0, a week], max_signals >= 1,
 *    threshold 1..10,000 with at most 5 non-empty group-by fields and a
 *    cardinality 1..10,000 exactly when it has a field, a compiled query
 *    whose field indices are the resolver's names, a query position.
 *  - In a set, the second copy of a loaded rule is refused as a duplicate
 *    naming the first file; a refused rule is refused again. */
#include <string.h>

#include "fuzz.h"
#include "ruleset.h"

#define WEEK_MS (7LL * 24 * 3600 * 1000)

static void check_refusal(const sw_rule_refusal *why) {
    FZ_CHECK(memchr(why->message, '\0', sizeof why->message) != NULL);
    FZ_CHECK(why->message[0] != '\0');
    FZ_CHECK((why->line == 0) == (why->column == 0));
}

static int is_severity(const char *s) {
    return strcmp(s, "low") == 0 || strcmp(s, "medium") == 0 || strcmp(s, "high") == 0 || strcmp(s, "critical") == 0;
}

static void check_threshold(const sw_ruledef *d) {
    if (d->type != SW_RULE_THRESHOLD) {
        FZ_CHECK(d->n_group_by == 0 && d->cardinality_field == NULL);
        return;
    }
    FZ_CHECK(d->threshold >= 1 && d->threshold <= 10000);
    FZ_CHECK(d->n_group_by <= 5);
    for (size_t i = 0; i < d->n_group_by; i++) {
        FZ_CHECK(d->group_by[i][0] != '\0');
        FZ_CHECK(sw_catalogue_find(d->group_by[i], strlen(d->group_by[i])) == (int)d->group_by_rows[i]);
    }
    if (d->cardinality_field) {
        FZ_CHECK(d->cardinality >= 1 && d->cardinality <= 10000);
        FZ_CHECK(sw_catalogue_find(d->cardinality_field, strlen(d->cardinality_field)) == d->cardinality_row);
    } else {
        FZ_CHECK(d->cardinality == 0 && d->cardinality_row == -1);
    }
}

static void check_loaded(const sw_ruledef *d) {
    FZ_CHECK(d->rule_id && d->rule_id[0] && d->name && d->name[0]);
    FZ_CHECK(strcmp(d->type_name, d->type == SW_RULE_QUERY ? "query" : "threshold") == 0);
    FZ_CHECK(strcmp(d->language, "kuery") == 0);
    FZ_CHECK(is_severity(d->severity));
    FZ_CHECK(d->risk_score >= 0 && d->risk_score <= 100);
    FZ_CHECK(d->version >= 0);
    FZ_CHECK(d->window_ms > 0 && d->window_ms <= WEEK_MS);
    FZ_CHECK(d->interval_ms > 0 && d->interval_ms <= WEEK_MS);
    FZ_CHECK(d->max_signals >= 1);
    check_threshold(d);
    for (size_t i = 0; i < d->n_threats; i++) FZ_CHECK(d->threats[i].tactic.id && d->threats[i].tactic.name);
    FZ_CHECK(d->kql != NULL && d->query != NULL);
    FZ_CHECK(d->query_line >= 1 && d->query_column >= 1);
    const uint32_t *fi;
    size_t nf = sw_kql_fields(d->kql, &fi);
    size_t n_rows;
    sw_catalogue(&n_rows);
    for (size_t i = 0; i < nf; i++) FZ_CHECK(fi[i] < n_rows && (d->rows >> fi[i] & 1));
}

static void check_set(const char *text, size_t size, int loaded) {
    sw_ruleset rs = {0};
    if (sw_ruleset_add_text(&rs, "a.toml", text, size) != 0 || sw_ruleset_add_text(&rs, "b.toml", text, size) != 0) {
        sw_ruleset_free(&rs);
        return; /* out of memory */
    }
    FZ_CHECK(rs.n == 2 && rs.n_loaded == (size_t)loaded);
    FZ_CHECK(rs.v[0].loaded == (loaded == 1) && !rs.v[1].loaded);
    FZ_CHECK(rs.v[1].why != NULL && strncmp(rs.v[1].why, "b.toml", 6) == 0);
    if (loaded) FZ_CHECK(strstr(rs.v[1].why, " is already loaded from a.toml") != NULL);
    sw_ruleset_free(&rs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    sw_ruledef d1, d2;
    sw_rule_refusal w1, w2;
    int rc1 = sw_ruledef_parse(text, size, &d1, &w1);
    int rc2 = sw_ruledef_parse(text, size, &d2, &w2);
    FZ_CHECK(rc1 == rc2);
    if (rc1 == 0) {
        check_loaded(&d1);
    } else {
        check_refusal(&w1);
        FZ_CHECK(strcmp(w1.message, w2.message) == 0 && w1.line == w2.line && w1.column == w2.column);
    }
    sw_ruledef_free(&d1);
    sw_ruledef_free(&d2);
    check_set(text, size, rc1 == 0);
    return 0;
}

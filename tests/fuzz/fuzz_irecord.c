/* fuzz_irecord.c -- libFuzzer target: the internal record's decoder
 * (stream/core/irecord.c) and the rules engine's stateful stage
 * (sw_rengine_feed_internal, rengine.h).
 *
 * Internal records come back from a Kafka topic that any producer with
 * access can write to, so any bytes must decode or be refused, never read
 * past the input.  A record that decodes must hold what the layout bounds
 * (irecord.h): 1 .. SW_SPEC_MAX_GROUP_BY group values, 1 ..
 * SW_IREC_MAX_RULES rules, each with at most SW_FIELD_MAX_VALUES values
 * and a time within SW_IREC_MIN_TIME .. SW_IREC_MAX_TIME, every text inside
 * the input; and it must re-encode to exactly the input bytes (the
 * encoding is canonical).  A refused record is refused as malformed or as
 * a future version, the only two reasons.
 *
 * Then the input goes to a fresh stateful engine holding two threshold
 * rules (compiled from TOML text: one group-by field with a cardinality,
 * two group-by fields counting events), as it is and with each entry's
 * rule hash remapped onto one of them (hash % 3: rule 0, rule 1, or left
 * as it is), so that hostile keys, values and times reach the key state:
 * every alert is strict JSON (json_check.h) within SW_ALERT_MAX_BYTES,
 * a record that does not decode is one malformed_json reject, and the
 * entries the engine does not hold are counted, never run. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "irecord.h"
#include "json_check.h"
#include "rengine.h"
#include "fuzz_rulespecs.h"

#define HEAD(id) "[rule]\nrule_id = \"" id "\"\nname = \"" id "\"\ntype = \"threshold\"\nlanguage = \"kuery\"\n" \
                 "severity = \"medium\"\nrisk_score = 47\nfrom = \"now-35m\"\nquery = '''\nevent.action:*\n'''\n"

static const char *const RULES[] = {
    HEAD("card") "[rule.threshold]\nfield = [\"okta.actor.id\"]\nvalue = 1\n"
                 "[[rule.threshold.cardinality]]\nfield = \"okta.authentication_context.external_session_id\"\n"
                 "value = 3\n",
    HEAD("pair") "[rule.threshold]\nfield = [\"okta.actor.alternate_id\", \"okta.event_type\"]\nvalue = 2\n",
};
#define NRULES (sizeof RULES / sizeof RULES[0])

static sw_ruleset rules;
static sw_rulespec spec[NRULES];
static uint64_t hash[NRULES];
static sw_config cfg;
static sw_irecord rec, mapped;
static sw_buf bytes;

/* Once per process: the rules compiled, and their hashes. */
static void setup(void) {
    sw_config_defaults(&cfg);
    fz_compile_rules(&rules, spec, RULES, NRULES);
    for (size_t i = 0; i < NRULES; i++) hash[i] = sw_irecord_rule_hash(spec[i].rule_id);
}

static int inside(sw_span s, const uint8_t *data, size_t size) {
    if (s.n == 0) return 1;
    const char *lo = (const char *)data;
    return s.p >= lo && s.n <= size && s.p - lo <= (ptrdiff_t)(size - s.n);
}

static void check_decoded(const sw_irecord *d, const uint8_t *data, size_t size, sw_buf *b) {
    FZ_CHECK(d->nterms >= 1 && d->nterms <= SW_SPEC_MAX_GROUP_BY);
    FZ_CHECK(d->nrules >= 1 && d->nrules <= SW_IREC_MAX_RULES && d->nvalues <= SW_IREC_MAX_VALUES);
    FZ_CHECK(inside(d->tenant, data, size) && inside(d->identity, data, size));
    for (uint32_t i = 0; i < d->nterms; i++) FZ_CHECK(inside(d->terms[i], data, size));
    for (int f = 0; f < SW_IREC_FIELDS; f++) FZ_CHECK(inside(d->field[f], data, size));
    for (uint32_t i = 0; i < d->nvalues; i++) FZ_CHECK(inside(d->values[i], data, size));
    for (uint32_t i = 0; i < d->nrules; i++)
        FZ_CHECK(d->rules[i].n <= SW_FIELD_MAX_VALUES && d->rules[i].time >= SW_IREC_MIN_TIME &&
                 d->rules[i].time <= SW_IREC_MAX_TIME);
    sw_buf_reset(b);
    FZ_CHECK(sw_irecord_encode(b, d) == 0 && !b->oom);
    FZ_CHECK(b->len == size && memcmp(b->p, data, size) == 0);
}

typedef struct {
    uint64_t alerts, malformed;
} sink;

static void on_alert(void *ud, const sw_alert_out *a) {
    FZ_CHECK(a->json_len <= SW_ALERT_MAX_BYTES);
    jc_node *root = jc_parse(a->json, a->json_len, NULL);
    FZ_CHECK(root != NULL);
    jc_free(root);
    ((sink *)ud)->alerts++;
}

static void on_reject(void *ud, sw_verdict why, const char *rec, size_t len, const sw_source *src) {
    (void)rec, (void)len, (void)src;
    if (why == SW_R_MALFORMED) ((sink *)ud)->malformed++;
}

/* The input, then (when it decodes) its entries remapped onto the
 * engine's rules, through one fresh stateful engine. */
static void run_stateful(const uint8_t *data, size_t size, int decoded) {
    sink s = {0};
    sw_rengine *e = sw_rengine_new(&cfg, spec, NRULES, -1, on_alert, on_reject, &s);
    FZ_CHECK(e != NULL);
    sw_source in = {.topic = "internal", .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
    sw_rengine_feed_internal(e, (const char *)data, size, &in);
    FZ_CHECK(s.malformed == (decoded ? 0u : 1u));
    uint64_t skipped = decoded ? rec.nrules : 0;
    FZ_CHECK(sw_rengine_internal_skipped(e) <= skipped);
    if (decoded) {
        mapped = rec;
        for (uint32_t i = 0; i < mapped.nrules; i++) {
            uint64_t *h = &mapped.rules[i].rule;
            if (*h % 3 < NRULES) *h = hash[*h % 3];
        }
        sw_buf_reset(&bytes);
        FZ_CHECK(sw_irecord_encode(&bytes, &mapped) == 0 && !bytes.oom);
        for (int k = 0; k < 3; k++) sw_rengine_feed_internal(e, bytes.p, bytes.len, &in); /* repeats count */
        FZ_CHECK(s.malformed == 0);
    }
    FZ_CHECK(sw_rengine_counters(e)->alerts == s.alerts);
    sw_rengine_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) setup(), ready = 1;
    sw_irec_status st = sw_irecord_decode(&rec, data, size);
    FZ_CHECK(st == SW_IREC_OK || st == SW_IREC_MALFORMED || st == SW_IREC_VERSION);
    if (st == SW_IREC_OK) check_decoded(&rec, data, size, &bytes);
    run_stateful(data, size, st == SW_IREC_OK);
    return 0;
}

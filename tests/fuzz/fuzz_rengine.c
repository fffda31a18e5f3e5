/* fuzz_rengine.c -- libFuzzer target: records through the rules engine
 * (stream/core/rengine.h), with three rules compiled in memory from TOML
 * text: the seed rule (threshold, a cardinality), a count-only threshold
 * rule grouped by an array field and a second field, and a query rule.
 *
 * The input is NDJSON: each line is one record, fed as it is (not
 * NUL-terminated, exactly its bytes: a read past its end is a bug), to two
 * engines.
 *  - Every alert is strict JSON (json_check.h), at most SW_ALERT_MAX_BYTES,
 *    with a 32-hex-digit id.
 *  - The two engines give the same alert ids in the same order (the ids
 *    do not depend on an engine's random seeds).
 *  - The engine's alert total is the sum of the rules' alerts. */
#include <string.h>

#include "fuzz.h"
#include "json_check.h"
#include "rengine.h"
#include "fuzz_rulespecs.h"

#define HEAD(id, type) "[rule]\nrule_id = \"" id "\"\nname = \"" id "\"\ntype = \"" type "\"\nlanguage = \"kuery\"\n" \
                       "severity = \"medium\"\nrisk_score = 47\n"

static const char *const RULES[] = {
    HEAD("621e92b6-7e54-11ee-bdc0-f661ea17fbcd", "threshold")
    "from = \"now-35m\"\nquery = '''\nevent.dataset:okta.system and okta.event_type:user.session.start\n"
    "  and okta.authentication_context.external_session_id:*\n"
    "  and not (okta.actor.id: okta* or okta.actor.display_name: okta*)\n'''\n"
    "[rule.threshold]\nfield = [\"okta.actor.id\"]\nvalue = 1\n"
    "[[rule.threshold.cardinality]]\nfield = \"okta.authentication_context.external_session_id\"\nvalue = 3\n",
    HEAD("count", "threshold")
    "from = \"now-10m\"\nbuilding_block_type = \"default\"\nquery = '''\nevent.action:*\n'''\n"
    "[rule.threshold]\nfield = [\"okta.target.alternate_id\", \"okta.security_context.is_proxy\"]\nvalue = 2\n",
    HEAD("query", "query") "max_signals = 3\nquery = '''\nevent.action:user.* and not okta.actor.id:okta*\n'''\n",
};
#define NRULES (sizeof RULES / sizeof RULES[0])

typedef struct {
    uint64_t ids;  /* a running hash of the alert ids, in order */
    uint64_t n;
} sink;

static void on_alert(void *ud, const sw_alert_out *a) {
    sink *s = ud;
    FZ_CHECK(a->json_len <= SW_ALERT_MAX_BYTES);
    FZ_CHECK(strlen(a->alert_id) == SW_ALERT_ID_LEN);
    for (size_t i = 0; i < SW_ALERT_ID_LEN; i++) {
        char c = a->alert_id[i];
        FZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
        s->ids = (s->ids ^ (uint8_t)c) * 0x100000001b3ULL;
    }
    jc_node *root = jc_parse(a->json, a->json_len, NULL);
    FZ_CHECK(root != NULL);
    jc_free(root);
    s->n++;
}

typedef struct {
    sw_ruleset rs;
    sw_rulespec spec[NRULES];
    sw_config cfg;
    sw_parser *p;
} world;

static world *world_get(void) {
    static world w;
    static int ready;
    if (ready) return &w;
    sw_config_defaults(&w.cfg);
    w.cfg.max_record_bytes = 1 << 16;
    fz_compile_rules(&w.rs, w.spec, RULES, NRULES);
    FZ_CHECK((w.p = sw_parser_new(w.cfg.max_record_bytes)) != NULL);
    ready = 1;
    return &w;
}

static int64_t fixed_clock(void) { return 1767600000000LL; }

static void run(world *w, const uint8_t *data, size_t size, sink *out) {
    sw_rengine *e = sw_rengine_new(&w->cfg, w->spec, NRULES, -1, on_alert, NULL, out);
    FZ_CHECK(e != NULL);
    sw_rengine_set_clock(e, fixed_clock);
    sw_source src = {.file = "fuzz", .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
    for (size_t at = 0; at < size;) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (data + at)) : size - at;
        src.line++;
        sw_rengine_feed(e, w->p, (const char *)data + at, len, len, &src);
        at += len + 1;
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < NRULES; i++) sum += sw_rengine_rule_counters(e, i)->alerts;
    FZ_CHECK(sum == sw_rengine_counters(e)->alerts);
    FZ_CHECK(sum == out->n);
    sw_rengine_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    world *w = world_get();
    sink a = {0}, b = {0};
    run(w, data, size, &a);
    run(w, data, size, &b);
    FZ_CHECK(a.n == b.n && a.ids == b.ids);
    return 0;
}

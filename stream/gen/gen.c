/* gen.c -- deterministic synthetic Okta System Log traffic (see gen.h): the
 * run, one record after another.
 *
 * This is the synthetic workload that benchmarks and tests run on:
 * realistic LogEvent records, a realistic event-type mix, human users with
 * 1-3 stable devices, Okta system principals, failed sign-ins,
 * out-of-order arrivals, and injected stolen-cookie attacks whose ground
 * truth is written beside the records.  It exists so that every benchmark
 * and test gets the same bytes for the same options on every machine: all
 * randomness comes from a splitmix64 generator seeded from the options (no
 * rand(), no clock), times are formatted by timefmt.h (not the C library's
 * time zone code), strings are escaped by jsonw.h's sw_json_str like every
 * other JSON the project writes, and the only heap allocations are made per
 * run (per-user session state, the attack schedule and one record sw_buf,
 * which grows over the first records and is then reused), never per record.
 *
 * The pieces (gen_internal.h): world.c (places, agents, names and the
 * identities drawn from them), event.c (what an ordinary record holds, and
 * the session guard that keeps honest users below the rule), attack.c (the
 * attacks and their truth), render_raw.c and render_ecs.c (raw LogEvent,
 * EventBridge and ECS JSON).
 * Here: the record clock (base times spread evenly over the span, never
 * decreasing; about OOO_SHARE of records published up to OOO_MAX_MS
 * earlier), the choice between an attack event that is due and an
 * ordinary record, and the output; with rule cases (rulecases.c), their
 * planned records written in between, when the record clock reaches
 * their time, without touching the random stream of the others. */
#include "gen_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OOO_SHARE 0.01
#define OOO_MAX_MS 120000
/* Raw records longer than this lose their optional parts. */
#define MAX_RAW_BYTES 2560

void sw_gen_defaults(sw_gen_opts *o) {
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->users = 1000;
    o->tenants = 1;
    o->hours = 1.0;
    o->attack_rate = 0.01;
    o->session_start_share = 0.15;
    o->records = 0;
    o->start_ms = 1767600000000LL; /* 2026-01-05T08:00:00Z */
    o->format = 0;
}

int64_t sw_gen_run(const sw_gen_opts *opts, FILE *out, FILE *truth) { return gen_run(opts, NULL, NULL, out, truth); }

int64_t gen_run(const sw_gen_opts *opts, gen_plan_fn plan, void *ctx, FILE *out, FILE *truth) {
    gen_t g;
    memset(&g, 0, sizeof g);
    g.o = *opts;
    if (g.o.users == 0) g.o.users = 1;
    if (g.o.tenants == 0) g.o.tenants = 1;
    if (!(g.o.hours > 0)) g.o.hours = 1.0 / 3600000.0;
    if (!(g.o.attack_rate >= 0)) g.o.attack_rate = 0;
    if (!(g.o.session_start_share >= 0)) g.o.session_start_share = 0;
    if (g.o.users > (1ULL << 40) || g.o.tenants > (1U << 23)) return -1;
    g.nhumans = g.o.users * g.o.tenants;
    g.k = mix64(g.o.seed ^ 0x5357474e00000000ULL); /* "SWGN" */

    int64_t span = (int64_t)llround(g.o.hours * 3600000.0);
    if (span < 1) span = 1;
    uint64_t R = g.o.records;
    if (R == 0) {
        double d = (double)g.nhumans * g.o.hours * SW_GEN_EVENTS_PER_USER_HOUR;
        R = d < 1 ? 1 : d > 9e18 ? (uint64_t)9e18 : (uint64_t)llround(d);
    }
    double step = (double)span / (double)R;

    int64_t result = -1;
    gen_cases *cases = NULL;
    rng_t r = {g.k};
    g.st = calloc((size_t)g.nhumans, sizeof *g.st);
    if (!g.st || gen_plan_attacks(&g, &r, span) < 0) goto done;
    int plan_failed = 0;
    if (plan && !(cases = plan(&g, span, ctx, &plan_failed)) && plan_failed) goto done;
    int64_t extra = 0, w;

    human_t hu;
    sysactor_t sa;
    char sess[32];
    ev_t e;
    size_t ap = 0;
    int64_t prev_base = g.o.start_ms;
    uint64_t i;
    for (i = 0; i < R; i++) {
        int64_t base = g.o.start_ms + (int64_t)floor((double)i * step);
        if (i > 0 && step >= 2) base += (int64_t)rnd_below(&r, (uint64_t)step);
        if (base < prev_base) base = prev_base;
        prev_base = base;
        if (cases && (w = gen_cases_write_due(cases, base, out)) < 0) goto done;
        if (cases) extra += w;
        int64_t t = base;
        if (i > 0 && rnd_unit(&r) < OOO_SHARE) {
            t = base - 1 - (int64_t)rnd_below(&r, OOO_MAX_MS);
            if (t < g.o.start_ms) t = g.o.start_ms;
        }
        memset(&e, 0, sizeof e);
        e.idx = i;
        e.t = t;
        if (ap < g.naev && g.aev[ap].due <= base) gen_make_attack(&g, &r, &e, &g.aev[ap++], &hu, sess);
        else gen_make_ordinary(&g, &r, &e, &hu, &sa, sess, base);
        gen_fill_common(&g, &e, &r);
        sw_buf *b = &g.out;
        sw_buf_reset(b);
        gen_render_raw(&g, b, &e, 1);
        if (b->oom) goto done;
        if (b->len > MAX_RAW_BYTES) {
            /* Rare pile-up of optional parts: drop them, keep the record. */
            e.o_logonly = e.o_tgt = e.chain2 = 0;
            sw_buf_reset(b);
            gen_render_raw(&g, b, &e, 1);
        }
        if (g.o.format == 1 || g.o.format == 2) {
            sw_buf_reset(b);
            if (g.o.format == 1) gen_render_ecs(&g, b, &e);
            else gen_render_eventbridge(&g, b, &e);
        }
        sw_buf_putc(b, '\n');
        if (b->oom || fwrite(b->p, 1, b->len, out) != b->len) goto done;
    }
    if (cases && (w = gen_cases_write_due(cases, INT64_MAX, out)) < 0) goto done;
    if (cases) extra += w;
    if (truth && gen_write_truth(&g, truth) < 0) goto done;
    if (truth && cases && gen_cases_write_truth(cases, truth) < 0) goto done;
    if (fflush(out) != 0 || (truth && fflush(truth) != 0)) goto done;
    result = (int64_t)i + extra;
done:
    gen_cases_free(cases);
    sw_buf_free(&g.out);
    free(g.st);
    free(g.att);
    free(g.aev);
    return result;
}

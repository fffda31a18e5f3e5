/* attack.c -- the injected stolen-cookie attacks and their ground truth
 * (gen_internal.h; the contract is in gen.h).
 *
 * Planning happens once, before the first record: attack_rate of each
 * tenant's users become victims (distinct users: a walk x, x+a, x+2a, ...
 * with gcd(a, users) = 1), each with 3-5 session starts at random offsets
 * within ATTACK_SPAN_MS (less when the span is shorter), and after most
 * starts an SSO that uses the stolen session.  The events are sorted by
 * due time; the run emits each in place of the ordinary record whose base
 * time reaches it.  An attack's sessions, places, IPs and user agents are
 * its own (foreign places, attacker user agents), derived from hashes, and
 * never touch the victim's ordinary session state.  The truth file lists
 * each attack whose session starts were written, with their ids and the
 * first and last time. */
#include "gen_internal.h"

#include <math.h>
#include <stdlib.h>

#define ATTACK_SPAN_MS (20 * 60000LL)

static int cmp_attack(const void *a, const void *b) {
    const attack_t *x = a, *y = b;
    if (x->a0 != y->a0) return x->a0 < y->a0 ? -1 : 1;
    if (x->tenant != y->tenant) return x->tenant < y->tenant ? -1 : 1;
    return x->user < y->user ? -1 : x->user > y->user;
}

static int cmp_aev(const void *a, const void *b) {
    const aev_t *x = a, *y = b;
    if (x->due != y->due) return x->due < y->due ? -1 : 1;
    if (x->att != y->att) return x->att < y->att ? -1 : 1;
    if (x->j != y->j) return x->j < y->j ? -1 : 1;
    return (int)x->sso - (int)y->sso;
}

uint64_t sw_gen_gcd(uint64_t a, uint64_t b) {
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int gen_plan_attacks(gen_t *g, rng_t *r, int64_t span) {
    uint64_t users = g->o.users;
    double want = (double)users * g->o.attack_rate;
    uint64_t per = want <= 0 ? 0 : (uint64_t)llround(want);
    if (per > users) per = users;
    g->natt = (size_t)(per * g->o.tenants);
    if (g->natt == 0) return 0;
    g->att = calloc(g->natt, sizeof *g->att);
    g->aev = calloc(g->natt * 10, sizeof *g->aev);
    if (!g->att || !g->aev) return -1;
    int64_t dur = span / 2 < ATTACK_SPAN_MS ? span / 2 : ATTACK_SPAN_MS;
    int64_t lo = g->o.start_ms + span / 50;
    int64_t hi = g->o.start_ms + span - span / 20 - dur;
    size_t n = 0;
    for (uint32_t t = 0; t < g->o.tenants; t++) {
        /* Distinct victims: x, x+a, x+2a, ... mod users with gcd(a, users) = 1. */
        uint64_t a = 1 + rnd_below(r, users);
        while (sw_gen_gcd(a, users) != 1) a = a % users + 1;
        uint64_t x = rnd_below(r, users);
        for (uint64_t k = 0; k < per; k++) {
            attack_t *A = &g->att[n++];
            A->tenant = t;
            A->user = x;
            x = (x + a) % users;
            A->a0 = hi > lo ? lo + (int64_t)rnd_below(r, (uint64_t)(hi - lo)) : lo;
            A->nstart = 3 + (uint32_t)rnd_below(r, 3);
        }
    }
    qsort(g->att, g->natt, sizeof *g->att, cmp_attack);
    for (size_t i = 0; i < g->natt; i++) {
        attack_t *A = &g->att[i];
        A->first = INT64_MAX;
        A->last = INT64_MIN;
        int64_t off[5];
        off[0] = 0;
        for (uint32_t j = 1; j < A->nstart; j++) off[j] = dur > 0 ? (int64_t)rnd_below(r, (uint64_t)dur) : 0;
        for (uint32_t j = 1; j < A->nstart; j++) /* sort */
            for (uint32_t m = j; m > 1 && off[m] < off[m - 1]; m--) {
                int64_t t = off[m];
                off[m] = off[m - 1];
                off[m - 1] = t;
            }
        for (uint32_t j = 0; j < A->nstart; j++) {
            aev_t *E = &g->aev[g->naev++];
            E->due = A->a0 + off[j];
            E->att = (uint32_t)i;
            E->j = (uint8_t)j;
            E->sso = 0;
            if (rnd_unit(r) < 0.7) { /* the attacker then uses the session */
                E = &g->aev[g->naev++];
                E->due = A->a0 + off[j] + 5000 + (int64_t)rnd_below(r, 85000);
                E->att = (uint32_t)i;
                E->j = (uint8_t)j;
                E->sso = 1;
            }
        }
    }
    qsort(g->aev, g->naev, sizeof *g->aev, cmp_aev);
    return 0;
}

void gen_make_attack(gen_t *g, rng_t *r, ev_t *e, const aev_t *E, human_t *hu, char *sess) {
    attack_t *A = &g->att[E->att];
    e->tenant = A->tenant;
    gen_make_human(g, A->tenant, A->user, hu);
    e->hu = hu;
    e->kind = E->sso ? K_SSO : K_START_OK;
    e->aid = hu->id;
    e->aname = hu->display;
    e->aalt = hu->email;
    e->atype = "User";
    gen_attack_session(g, E->att, E->j, sess);
    e->sess = sess;
    /* Per session: a stable foreign place, IP and user agent. */
    uint64_t h = hash3(g->k, D_ATTACK, (uint64_t)E->att * 8 + E->j);
    const loc_t *L = &gen_away[h % gen_n_away];
    unsigned char ip[4] = {L->ip0, L->ip1, (unsigned char)((h >> 8) % 254 + 1), (unsigned char)((h >> 16) % 254 + 1)};
    gen_set_client(e, L, &gen_attack_uas[(h >> 24) % gen_n_attack_ua], ip, L->proxy || (h >> 32) % 4 == 0, h ^ 0xbad);
    /* New country, device, IP, city, state; sometimes flagged as velocity. */
    e->newthings = 0x5f | (rnd_unit(r) < 0.5 ? 0x20 : 0);
    e->risk = rnd_unit(r) < 0.6 ? 2 : 1;
    if (!E->sso) {
        A->emitted++;
        if (e->t < A->first) A->first = e->t;
        if (e->t > A->last) A->last = e->t;
    }
}

int gen_write_truth(gen_t *g, FILE *truth) {
    sw_buf *b = &g->out;
    for (size_t i = 0; i < g->natt; i++) {
        const attack_t *A = &g->att[i];
        if (A->emitted < 3) continue;
        human_t hu;
        gen_make_human(g, A->tenant, A->user, &hu);
        sw_buf_reset(b);
        W(b, "{\"tenant\":");
        if (g->o.tenants > 1) {
            sw_json_lit_int(b, "\"tenant-", A->tenant);
            W(b, "\"");
        } else {
            W(b, "null");
        }
        sw_json_lit_cstr(b, ",\"actor_id\":", hu.id);
        W(b, ",\"sessions\":[");
        for (uint32_t j = 0; j < A->emitted; j++) {
            char s[32];
            gen_attack_session(g, i, j, s);
            if (j) W(b, ",");
            sw_json_cstr(b, s);
        }
        sw_json_lit_time(b, "],\"first\":", A->first);
        sw_json_lit_time(b, ",\"last\":", A->last);
        W(b, "}\n");
        if (b->oom || fwrite(b->p, 1, b->len, truth) != b->len) return -1;
    }
    return 0;
}

/* fuzz_kql.c -- libFuzzer target: the KQL subset compiler and evaluator
 * (stream/core/kql.c), which read rule files a user points the program at.
 *
 * The input, as it is (not NUL-terminated: a read past its end is a bug),
 * is compiled with a resolver that knows every name except those starting
 * with 'u', typed by the first byte (b boolean, l long, i ip, f flattened,
 * else keyword) and indexed by a hash of the name into 6 fields.
 *  - A refusal has a position inside the query (line and column >= 1,
 *    offset <= size) and a non-empty message.
 *  - An accepted query is evaluated against 4 fixed records (strings,
 *    booleans, integers, addresses, arrays, empty arrays, missing fields):
 *    the same answer twice; sw_kql_fields lists distinct indices < 6.
 *  - sw_kql_required over fields 0 and 1, when it constrains them, holds
 *    on every record that matches: one of the record's values of those
 *    fields (by its keyword text) is one of the required values.
 *  - When the input has no ( ) " or backslash, "not (" input ")" compiles
 *    to the complement wherever both compile. */
#include <string.h>

#include "fuzz.h"
#include "kql.h"

#define NFIELDS 6
#define NRECS 4

static int resolve(void *ctx, const char *name, size_t len, uint32_t *index, sw_kql_ftype *type) {
    (void)ctx;
    FZ_CHECK(name[len] == '\0');
    if (len > 0 && name[0] == 'u') return -1;
    uint32_t h = 0;
    for (size_t i = 0; i < len; i++) h = h * 31 + (unsigned char)name[i];
    *index = h % NFIELDS;
    char c = len ? name[0] : 'k';
    *type = c == 'b'   ? SW_KQL_BOOLEAN
            : c == 'l' ? SW_KQL_LONG
            : c == 'i' ? SW_KQL_IP
            : c == 'f' ? SW_KQL_FLATTENED
                       : SW_KQL_KEYWORD;
    return 0;
}

#define S(s) {.p = s, .n = sizeof s - 1, .kind = SW_KQL_V_STRING}
#define B(x) {.kind = SW_KQL_V_BOOL, .b = x}
#define I(x) {.kind = SW_KQL_V_INT, .i = x}

static const sw_kql_value V0a[] = {S("a")}, V0b[] = {S("x"), S("okta1"), S("user.session.start")}, V0c[] = {B(1)},
                          V0d[] = {I(5)}, V0e[] = {S("1.2.3.4")};
static const sw_kql_value V1c[] = {S("true")}, V1d[] = {S("5")}, V1e[] = {S("::1")}, V1f[] = {S(""), S("*")};
static const sw_kql_value V2a[] = {S("a"), S("b")}, V2b[] = {I(-1)}, V2c[] = {B(0)}, V2d[] = {I(0)}, V2e[] = {S("x")},
                          V2f[] = {S("a b"), S("a\0b")};

static const sw_kql_field RECS[NRECS][NFIELDS] = {
    {{V0a, 1}, {V0b, 3}, {V0c, 1}, {V0d, 1}, {V0e, 1}, {NULL, 0}},
    {{NULL, 0}, {V1f, 0}, {V1c, 1}, {V1d, 1}, {V1e, 1}, {V1f, 2}},
    {{V2a, 2}, {V2b, 1}, {V2c, 1}, {V2d, 1}, {V2e, 1}, {V2f, 2}},
    {{NULL, 0}},
};

/* The text a keyword field indexes for v (as kql.c defines it). */
static size_t text_of(const sw_kql_value *v, char *buf, const char **p) {
    if (v->kind == SW_KQL_V_STRING) return *p = v->p, v->n;
    if (v->kind == SW_KQL_V_BOOL) return *p = v->b ? "true" : "false", v->b ? 4 : 5;
    *p = buf;
    return (size_t)snprintf(buf, 32, "%lld", (long long)v->i);
}

static int holds_one_of(const sw_kql_field *rec, const sw_kql_str *req, long n) {
    for (uint32_t f = 0; f < 2; f++) {
        for (uint32_t k = 0; k < rec[f].n; k++) {
            char buf[32];
            const char *p;
            size_t len = text_of(&rec[f].v[k], buf, &p);
            for (long j = 0; j < n; j++)
                if (req[j].n == len && memcmp(req[j].p, p, len) == 0) return 1;
        }
    }
    return 0;
}

static void check_accepted(const sw_kql *q, int answers[NRECS]) {
    const uint32_t *fi;
    size_t nf = sw_kql_fields(q, &fi);
    FZ_CHECK(nf <= NFIELDS);
    for (size_t i = 0; i < nf; i++) {
        FZ_CHECK(fi[i] < NFIELDS);
        for (size_t j = 0; j < i; j++) FZ_CHECK(fi[i] != fi[j]);
    }
    static const uint32_t ev[2] = {0, 1};
    sw_kql_str req[64];
    long n = sw_kql_required(q, ev, 2, req, 64);
    FZ_CHECK(n == SW_KQL_UNCONSTRAINED || n >= 1);
    for (int r = 0; r < NRECS; r++) {
        answers[r] = sw_kql_match(q, RECS[r], NFIELDS);
        FZ_CHECK(answers[r] == sw_kql_match(q, RECS[r], NFIELDS));
        if (answers[r] && n >= 1 && n <= 64) FZ_CHECK(holds_one_of(RECS[r], req, n));
    }
}

static void check_refused(const sw_kql_error *e, size_t size) {
    FZ_CHECK(e->line >= 1 && e->column >= 1 && e->offset <= size);
    FZ_CHECK(e->message[0] != '\0' && memchr(e->message, '\0', sizeof e->message));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sw_kql_error e;
    sw_kql *q = sw_kql_compile((const char *)data, size, resolve, NULL, &e);
    if (!q) {
        check_refused(&e, size);
        return 0;
    }
    int answers[NRECS];
    check_accepted(q, answers);
    sw_kql_free(q);
    if (size > 4096 || memchr(data, '(', size) || memchr(data, ')', size) || memchr(data, '"', size) ||
        memchr(data, '\\', size))
        return 0;
    uint8_t wrapped[4096 + 6];
    memcpy(wrapped, "not (", 5);
    memcpy(wrapped + 5, data, size);
    wrapped[size + 5] = ')';
    q = sw_kql_compile((const char *)wrapped, size + 6, resolve, NULL, &e);
    if (!q) return 0;
    int negated[NRECS];
    check_accepted(q, negated);
    for (int r = 0; r < NRECS; r++) FZ_CHECK(negated[r] == !answers[r]);
    sw_kql_free(q);
    return 0;
}

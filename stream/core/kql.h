/* kql.h -- a subset of Kibana's KQL ("kuery"), compiled once into a
 * predicate over extracted field values, evaluated per record without
 * allocating.
 *
 * The subset is what Elastic's Okta query and threshold rules use:
 *   f:value  f:"quoted value"  f:*  f:(a or b and not "c")  f:pre*fix
 *   AND / OR / NOT (case-insensitive; NOT binds tighter than AND, AND
 *   tighter than OR), parentheses, true/false, integers.
 * Everything else Kibana accepts (ranges, CIDR, nested f:{..}, free text,
 * field-name wildcards, null) is refused with the construct named and its
 * line and column.  kql.c's top comment gives the exact grammar and the
 * semantics, which follow Elasticsearch on the Okta integration's mapping. */
#ifndef SW_KQL_H
#define SW_KQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The mapping type of a field, as the field catalogue gives it. */
typedef enum {
    SW_KQL_KEYWORD = 0, /* exact, case-sensitive strings; wildcards allowed */
    SW_KQL_BOOLEAN,     /* true / false */
    SW_KQL_LONG,        /* 64-bit integers */
    SW_KQL_IP,          /* IPv4 / IPv6 addresses, compared as addresses */
    SW_KQL_FLATTENED    /* leaves of a flattened object: keyword semantics */
} sw_kql_ftype;

/* Field resolution, called while compiling for every field name in the
 * query (possibly more than once per name).  name[0 .. len) is the name
 * after unescaping (it may hold any byte); it is NUL-terminated at len.
 * Returns 0 and sets *index and *type for a known field, -1 for an unknown
 * one (the query is refused, naming the field). */
typedef int (*sw_kql_resolve_fn)(void *ctx, const char *name, size_t len, uint32_t *index,
                                 sw_kql_ftype *type);

/* One extracted value of a field. */
typedef enum { SW_KQL_V_STRING = 0, SW_KQL_V_BOOL, SW_KQL_V_INT } sw_kql_vkind;
typedef struct {
    const char *p; /* SW_KQL_V_STRING: the unescaped bytes, not NUL-terminated */
    uint32_t n;
    uint8_t kind;  /* sw_kql_vkind */
    uint8_t b;     /* SW_KQL_V_BOOL: 0 or 1 */
    int64_t i;     /* SW_KQL_V_INT */
} sw_kql_value;

/* The values of one field in one record: v[0 .. n).  n == 0 means missing,
 * null or an empty array, which Elasticsearch does not tell apart (none of
 * them is indexed).  A single value is an array of one. */
typedef struct {
    const sw_kql_value *v;
    uint32_t n;
} sw_kql_field;

/* Why a query was refused.  line and column are 1-based and point at the
 * start of the construct (column counts UTF-8 characters); offset is the
 * byte offset.  line 0: not about a place (out of memory). */
typedef struct {
    uint32_t line, column, offset;
    char message[256];
} sw_kql_error;

typedef struct sw_kql sw_kql;

/* Compiles query[0 .. len) (not NUL-terminated; any bytes).  Allocates once.
 * NULL on refusal or out of memory, with *err filled (err may be NULL). */
sw_kql *sw_kql_compile(const char *query, size_t len, sw_kql_resolve_fn resolve, void *ctx,
                       sw_kql_error *err);
void sw_kql_free(sw_kql *q);

/* Whether the record matches.  fields[i] holds the values of field index i;
 * an index >= n_fields is missing.  No allocation, no system call; safe to
 * call from several threads on one sw_kql. */
bool sw_kql_match(const sw_kql *q, const sw_kql_field *fields, size_t n_fields);

/* The distinct field indices the query reads, in order of first use. */
size_t sw_kql_fields(const sw_kql *q, const uint32_t **indices);

/* For the prefilter: the values one of which every matching record must
 * hold in one of the fields fields[0 .. n) (e.g. event.action and
 * okta.event_type, which hold the same value).  Returns SW_KQL_UNCONSTRAINED
 * when the query does not constrain them, else the number n >= 1 of
 * distinct values, of which out[0 .. min(n, cap)) are filled (views into q,
 * valid while q lives); -2 when out of memory (it allocates a scratch
 * list: call it at load time, not per record).  Conservative: a clause on
 * those fields under NOT, a wildcard, or a non-keyword type constrains
 * nothing.  A keyword field's value matches a JSON number or boolean by
 * its text (5, true), so the values are compared with the value's text. */
#define SW_KQL_UNCONSTRAINED (-1)
typedef struct {
    const char *p;
    size_t n;
} sw_kql_str;
long sw_kql_required(const sw_kql *q, const uint32_t *fields, size_t n, sw_kql_str *out, size_t cap);

/* For the raw skip of rules that constrain no event type: a necessary
 * condition of q in conjunctive normal form over its own positive leaves.
 * Every matching record satisfies, for each clause, at least one leaf of
 * that clause (the leaf's field holds a value it matches, or for EXISTS,
 * any value).  A leaf under NOT gives no condition; AND joins its
 * children's clauses, OR multiplies them out (at most SW_KQL_CLAUSES
 * clauses of at most SW_KQL_CLAUSE_LEAVES leaves: beyond, clauses are
 * dropped, which only weakens the condition).  Writes min(total, cap)
 * leaves to out (views into q) and returns the total; 0 means no
 * condition.  Load time only (it recurses over the query). */
#define SW_KQL_CLAUSES 8
#define SW_KQL_CLAUSE_LEAVES 16
typedef enum {
    SW_KQL_R_EXACT = 0, /* p, n: the value (keyword text) */
    SW_KQL_R_GLOB,      /* p, n: its longest literal run (may be empty) */
    SW_KQL_R_BOOL,      /* b: the boolean */
    SW_KQL_R_OTHER      /* exists, long, ip: no text */
} sw_kql_rkind;
typedef struct {
    uint32_t clause; /* 0 .. number of clauses - 1 */
    uint32_t field;
    uint8_t kind;    /* sw_kql_rkind */
    uint8_t b;
    const char *p;
    size_t n;
} sw_kql_req;
size_t sw_kql_clauses(const sw_kql *q, sw_kql_req *out, size_t cap);

/* ---- witnesses (load time: rule tests and `gen --rules`) -------------------
 * A witness is an assignment of values to the fields a query reads that
 * makes it true; a near miss is one that makes it false while as close as
 * possible to a witness: one required clause flipped (a value one character
 * off, `f:v` turned into a missing f, `not f:v` given f:v, a boolean turned
 * over, an integer plus one), every other clause still holding.
 *
 * Candidates come from the query's disjunctive normal form, term by term in
 * query order (a value list is a disjunction; `*` in a value is filled with
 * "x"); a field two clauses of a term want different values of is tried
 * with each clause's value in turn, and a term no value satisfies is
 * skipped.  Every candidate returned was checked with sw_kql_match itself,
 * reading each field as one value (FREE and ABSENT fields missing, ANY as
 * the placeholder "x").  k selects the k-th candidate (from 0): a caller
 * that cannot use one (say, a value it cannot render) asks for the next. */
#define SW_KQL_WITNESS_FIELDS 64 /* field indices the witness can hold */
typedef enum {
    SW_KQL_W_FREE = 0, /* no clause needs it; missing in the check (negated clauses on it hold) */
    SW_KQL_W_ANY,      /* must have a value, any one (f:*): value is the placeholder "x" */
    SW_KQL_W_VALUE,    /* must hold value */
    SW_KQL_W_ABSENT    /* must be missing (not f:*, or a flipped f:*) */
} sw_kql_wstate;

typedef struct {
    uint8_t state[SW_KQL_WITNESS_FIELDS]; /* sw_kql_wstate per field index */
    sw_kql_value value[SW_KQL_WITNESS_FIELDS];
    sw_kql_field fields[SW_KQL_WITNESS_FIELDS]; /* the view the check used: pass to sw_kql_match */
    int32_t flipped;      /* near miss: the field of the flipped clause; -1 for a witness */
    uint32_t term;        /* the term of the normal form it came from */
    uint32_t arena_len;
    char arena[8192];     /* storage of the values that are not the query's own text */
} sw_kql_witness;

/* The k-th witness (near_miss false) or near miss (true) of q into *w (value
 * views point into q and into w: valid while both live; w must not be
 * copied).  0: found and checked.  1: there is no k-th one (k = 0: the query
 * has none, within the 4096 terms tried).  -1: the query reads a field index
 * >= SW_KQL_WITNESS_FIELDS.  Allocates nothing. */
int sw_kql_witness_find(const sw_kql *q, bool near_miss, unsigned k, sw_kql_witness *w);

#endif

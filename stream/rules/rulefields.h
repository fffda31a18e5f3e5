/* rulefields.h -- how the field names of a rule's query are resolved when
 * the query is compiled (sw_kql_compile's resolver).
 *
 * PLACEHOLDER.  There is no field catalogue yet (issue 14, "Fields: one
 * catalogue, as data"), so this resolver accepts EVERY field name, types
 * it as a keyword, and gives each distinct name its own index in order of
 * first use.  Nothing is checked: an unknown or misspelt field is not
 * refused today, and a wildcard on what will be a boolean compiles.  The
 * catalogue replaces sw_rule_fields_resolve (same signature, same
 * context), and with it comes the refusal of unknown fields and the real
 * types; rules list must not claim field checking before then. */
#ifndef SW_RULEFIELDS_H
#define SW_RULEFIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kql.h"

#define SW_RULE_MAX_FIELDS 64u

/* The distinct field names one query read, in order of first use. */
typedef struct {
    char *names[SW_RULE_MAX_FIELDS]; /* NUL-terminated; a name may hold NUL */
    size_t lens[SW_RULE_MAX_FIELDS];
    uint32_t n;
    bool too_many; /* the query names more than SW_RULE_MAX_FIELDS fields */
    bool oom;
} sw_rule_fields;

/* sw_kql_resolve_fn over a sw_rule_fields (ctx).  Load time only: it
 * allocates a copy of each new name. */
int sw_rule_fields_resolve(void *ctx, const char *name, size_t len, uint32_t *index, sw_kql_ftype *type);
void sw_rule_fields_free(sw_rule_fields *f);

#endif

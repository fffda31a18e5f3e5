/* rulefields.c -- the placeholder resolver of rulefields.h: every name is
 * a keyword field; indices are the order of first use. */
#include "rulefields.h"

#include <stdlib.h>
#include <string.h>

int sw_rule_fields_resolve(void *ctx, const char *name, size_t len, uint32_t *index, sw_kql_ftype *type) {
    sw_rule_fields *f = ctx;
    for (uint32_t i = 0; i < f->n; i++) {
        if (f->lens[i] == len && memcmp(f->names[i], name, len) == 0) {
            *index = i;
            *type = SW_KQL_KEYWORD;
            return 0;
        }
    }
    if (f->n == SW_RULE_MAX_FIELDS) {
        f->too_many = true;
        return -1;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        f->oom = true;
        return -1;
    }
    memcpy(copy, name, len);
    copy[len] = '\0';
    f->names[f->n] = copy;
    f->lens[f->n] = len;
    *index = f->n++;
    *type = SW_KQL_KEYWORD;
    return 0;
}

void sw_rule_fields_free(sw_rule_fields *f) {
    for (uint32_t i = 0; i < f->n; i++) free(f->names[i]);
    f->n = 0;
}

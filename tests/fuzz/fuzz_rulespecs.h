/* fuzz_rulespecs.h -- what the fuzz targets that run the rules engine
 * share: their rules compiled once from TOML text (each must load), into
 * rulespecs for sw_rengine_new.  A failure is a broken invariant
 * (FZ_CHECK): the texts are the targets' own. */
#ifndef SW_FUZZ_RULESPECS_H
#define SW_FUZZ_RULESPECS_H

#include <string.h>

#include "fuzz.h"
#include "ruleset.h"
#include "rulespec_of.h"

static inline void fz_compile_rules(sw_ruleset *rs, sw_rulespec *spec, const char *const *texts, size_t n) {
    for (size_t i = 0; i < n; i++) {
        FZ_CHECK(sw_ruleset_add_text(rs, "fuzz.toml", texts[i], strlen(texts[i])) == 0);
        FZ_CHECK(rs->v[i].loaded);
        FZ_CHECK(sw_ruledef_spec(&rs->v[i].def, &spec[i]) == 0);
    }
}

#endif

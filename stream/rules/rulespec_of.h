/* rulespec_of.h -- a loaded rule (ruledef.h) as the rules engine runs it
 * (core's rulespec.h): the conversion, and the alert's "rule" object
 * rendered once from the TOML's values. */
#ifndef SW_RULESPEC_OF_H
#define SW_RULESPEC_OF_H

#include "ruledef.h"
#include "rulespec.h"

/* The longest "rule" object an alert carries: a rule whose threat list
 * would make it longer is written with "threat":[] and
 * "threat_omitted":true (a hostile file may list thousands). */
#define SW_RULE_JSON_MAX 16384

/* Fills *out from a loaded rule d (which must outlive it).  The rendered
 * JSON is allocated: free it with sw_rulespec_release.  0, or -1 when out
 * of memory. */
int sw_ruledef_spec(const sw_ruledef *d, sw_rulespec *out);
void sw_rulespec_release(sw_rulespec *s);

#endif

/* rulecases.h -- `gen --rules`: the synthetic traffic of gen.h plus, for
 * every loaded rule, one positive case (events the rule must alert on
 * once) and one near miss (events it must not alert on), with their
 * ground truth.  rulecases.c's top comment says how each case is made and
 * what the truth lines hold. */
#ifndef SW_RULECASES_H
#define SW_RULECASES_H

#include <stdint.h>
#include <stdio.h>

#include "gen.h"
#include "ruleset.h"

/* As sw_gen_run, with the cases of every loaded rule of rules written in
 * between the ordinary records (at times spread over the run) and one
 * truth line per case after the attacks' lines.  A rule no case can be
 * made for gets a "skipped" truth line and a line on notes (when not
 * NULL).  Every format: raw and eventbridge cases are raw LogEvents, ecs
 * cases ECS documents.  Returns the records written (cases included), or
 * -1. */
int64_t sw_gen_run_rules(const sw_gen_opts *o, const sw_ruleset *rules, FILE *out, FILE *truth, FILE *notes);

#endif

/* tu_parsers.h -- the two parsers an extraction test compares (in place
 * and copied, raw and ECS, a record and its Elastic twin), made and freed
 * in one place: pass tu_parsers_setup and tu_parsers_teardown to
 * cmocka_run_group_tests. */
#ifndef SW_TEST_PARSERS_H
#define SW_TEST_PARSERS_H

#include "extract.h"

/* The most bytes a record may have for them. */
#define TU_PARSER_MAX_RECORD (1u << 20)

/* Two parsers, made by the setup (cmocka's group setup: 0, or -1 when out
 * of memory) and freed by the teardown. */
extern sw_parser *tu_parser[2];
int tu_parsers_setup(void **state);
int tu_parsers_teardown(void **state);

#endif

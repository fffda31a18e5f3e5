/* tu_parsers.c -- see tu_parsers.h. */
#include "tu_parsers.h"

sw_parser *tu_parser[2];

int tu_parsers_setup(void **state) {
    (void)state;
    tu_parser[0] = sw_parser_new(TU_PARSER_MAX_RECORD);
    tu_parser[1] = sw_parser_new(TU_PARSER_MAX_RECORD);
    return tu_parser[0] && tu_parser[1] ? 0 : -1;
}

int tu_parsers_teardown(void **state) {
    (void)state;
    sw_parser_free(tu_parser[0]);
    sw_parser_free(tu_parser[1]);
    return 0;
}

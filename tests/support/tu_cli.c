/* tu_cli.c -- see tu_cli.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "tu_cli.h"

void tu_expect_usage_error(const char *const *argv, const char *n1, const char *n2) {
    tu_result r = tu_run(argv, NULL, 0);
    if (r.status != 2) fail_msg("%s %s: exit %d, want 2; stderr: %s", argv[0], argv[1], r.status, r.err);
    assert_contains(r.err, n1);
    if (n2) assert_contains(r.err, n2);
    assert_int_equal(r.out_len, 0);
    tu_result_free(&r);
}

void tu_expect_help(const char *const *argv, const char *usage, const char *const *flags, size_t n) {
    tu_result r = tu_run(argv, NULL, 0);
    assert_int_equal(r.status, 0);
    if (usage) assert_contains(r.out, usage);
    for (size_t i = 0; i < n; i++) assert_contains(r.out, flags[i]);
    assert_int_equal(r.err_len, 0);
    tu_result_free(&r);
}

/* tu_cli.h -- checks of the sessionwatch command line as a black box
 * (through tu_run), shared by the CLI tests so that each states a usage
 * error the same way.  Assert with cmocka. */
#ifndef SW_TEST_CLI_H
#define SW_TEST_CLI_H

#include <stddef.h>

/* argv (NULL-terminated, argv[0] the subcommand) is a usage error: exit 2,
 * nothing on stdout, and stderr names n1 (and n2 unless NULL). */
void tu_expect_usage_error(const char *const *argv, const char *n1, const char *n2);

/* argv is a request for help: exit 0, nothing on stderr, and stdout holds
 * usage (unless NULL) and each of flags[0..n). */
void tu_expect_help(const char *const *argv, const char *usage, const char *const *flags, size_t n);

#endif

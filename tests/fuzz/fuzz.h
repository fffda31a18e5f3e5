/* fuzz.h -- what every fuzz target in tests/fuzz shares: the libFuzzer entry
 * point's prototype and FZ_CHECK, the assertion that turns a broken
 * invariant into a crash.
 *
 * A target must not only survive any input but also check what it can about
 * the result; libFuzzer (and tests/fuzz/replay_main.c in the normal build)
 * only notices a crash, so a violated invariant prints what failed and
 * aborts.  FZ_CHECK is always on (no NDEBUG), in every build type. */
#ifndef SW_FUZZ_H
#define SW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                     \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

#endif

/* hash.h -- one 64-bit hash for every table and for alert ids.
 *
 * Word-at-a-time multiply/rotate with a strong final mix.  Tables seed it
 * per process (getrandom) so that hostile actor ids cannot be chosen to
 * collide; alert ids use fixed seeds so that they are the same on every run,
 * worker and replay.  Changing this function changes every alert_id: treat
 * it as part of the alert contract. */
#ifndef SW_HASH_H
#define SW_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t sw_hash64(const void *data, size_t len, uint64_t seed);

/* A random seed from the kernel (falls back to time and address bits). */
uint64_t sw_random_seed(void);

#endif

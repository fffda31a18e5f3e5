/* clock.h -- the clocks of the stream layers, named for the clock they read.
 *
 * Two questions decide which one a caller wants:
 *
 *   wall or monotonic?  Wall time (CLOCK_REALTIME) is what event times,
 *     Kafka timestamps and log lines are written in: use it to compare with
 *     them (an alert's detected_at, the too_early bound, record latency).
 *     It jumps when the host's clock is set, so never measure an interval
 *     with it: intervals, deadlines and backoffs use the monotonic clock.
 *
 *   precise or coarse?  The _coarse variants read the kernel's tick-
 *     granular copies (CLOCK_*_COARSE: a few milliseconds of resolution),
 *     which the vDSO returns without touching the hardware counter: a plain
 *     load, the cheapest clock read there is, and never a syscall.  The Kafka
 *     worker reads a clock around every record (the latency histogram) and
 *     every housekeeping turn (commit, publish and checkpoint intervals of
 *     100 ms and more, the stop's deadlines), where a few milliseconds do not
 *     matter: it uses the coarse clocks.  Timings that are reported (the
 *     checkpoint histogram, scan's elapsed time, the producers' pacing and
 *     delivery progress) use the precise ones.
 *
 * Header-only (static inline): the hot path pays no call.  The state/
 * layers, below this one, keep their own two reads (state/redis's wall
 * clock for a checkpoint's timestamp, state/memory's seed fallback). */
#ifndef SW_CLOCK_H
#define SW_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t sw_clock_read_ms(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wall time, ms since the Unix epoch. */
static inline int64_t sw_wall_ms(void) { return sw_clock_read_ms(CLOCK_REALTIME); }
/* Wall time at tick resolution (a few ms): no syscall, no counter read. */
static inline int64_t sw_wall_coarse_ms(void) { return sw_clock_read_ms(CLOCK_REALTIME_COARSE); }

/* Monotonic time, ms since an arbitrary start (boot). */
static inline int64_t sw_mono_ms(void) { return sw_clock_read_ms(CLOCK_MONOTONIC); }
/* Monotonic time at tick resolution (a few ms). */
static inline int64_t sw_mono_coarse_ms(void) { return sw_clock_read_ms(CLOCK_MONOTONIC_COARSE); }

/* Monotonic time in seconds, to the nanosecond: for measured durations. */
static inline double sw_mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif

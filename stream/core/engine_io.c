/* engine_io.c -- an engine's outputs, clock and hash seed (engine.h's
 * sw_engine_io): one copy for the seed engine and the rules engine, so
 * that both reject, read the clock and bound the future alike. */
#include "engine.h"

#include "clock.h"
#include "hash.h"

void sw_engine_io_init(sw_engine_io *io, const sw_config *cfg, sw_alert_fn on_alert, sw_reject_fn on_reject,
                       void *ud) {
    *io = (sw_engine_io){
        .on_alert = on_alert, .on_reject = on_reject, .ud = ud, .now_ms = sw_wall_ms,
        .cfg = cfg, .future_limit = INT64_MIN, .id_seed = sw_random_seed(),
    };
}

void sw_engine_io_set_clock(sw_engine_io *io, int64_t (*now_ms)(void)) {
    io->now_ms = now_ms ? now_ms : sw_wall_ms;
    io->future_limit = INT64_MIN;
}

int64_t sw_engine_io_future_limit(sw_engine_io *io) {
    int64_t skew = io->cfg->max_clock_skew_ms;
    if (!skew) return INT64_MAX;
    int64_t now = io->now_ms();
    io->future_limit = now > INT64_MAX - skew ? INT64_MAX : now + skew;
    return io->future_limit;
}

int sw_engine_io_too_early(sw_engine_io *io, int64_t t) {
    return io->cfg->max_clock_skew_ms && t > io->future_limit && t > sw_engine_io_future_limit(io);
}

void sw_engine_io_reject(const sw_engine_io *io, sw_counters *c, sw_verdict why, const char *rec, size_t len,
                         const sw_source *src) {
    c->verdict[why]++;
    if (io->on_reject) io->on_reject(io->ud, why, rec, len, src);
}

/* log.h -- the process's log lines on stderr: levels, and two formats.
 *
 * Text (the default, for people at a terminal): "sessionwatch CMD: message",
 * the form every message had before levels existed, so operators and tests
 * read the same lines.  JSON (--log-format json, for collectors): one object
 * per line, {"ts","level","cmd","msg"}, every string escaped.
 *
 * Rate limits.  Lines that a failing dependency repeats (a broker down,
 * Redis failing, deliveries failing) go through an sw_log_limit: at most
 * one line per interval for each limit, and the others are not written
 * (the counters and metrics still count every failure).  A limit with
 * SW_LOG_ONCE says its line once per process (a rare condition that needs
 * the operator, e.g. more tenants than --max-tenants).  A limit is
 * lock-free and may be shared by threads: exactly one of the threads that
 * race for a due slot gets it.  It reads the coarse monotonic clock
 * (clock.h): a few milliseconds do not matter to a one-second limit.
 *
 * Messages never carry secrets: callers pass masked values (kafka.c masks
 * SASL and SSL secrets, redis.c masks the Redis password).  Thread-safe:
 * a line is formatted into a local buffer and written with one fwrite. */
#ifndef SW_LOG_H
#define SW_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum { SW_LOG_ERROR = 0, SW_LOG_WARN, SW_LOG_INFO, SW_LOG_DEBUG } sw_log_level;

/* cmd names the subcommand in every line. */
void sw_log_setup(const char *cmd, bool json, sw_log_level level);
/* "text" / "json" and "error" / "warn" / "info" / "debug"; -1 when unknown. */
int sw_log_parse_format(const char *s, bool *json);
int sw_log_parse_level(const char *s, sw_log_level *level);

void sw_log(sw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define SW_LOG_ONCE INT64_MAX

/* One kind of rate-limited line: SW_LOG_LIMIT(1000) (one a second) or
 * SW_LOG_LIMIT(SW_LOG_ONCE); zero-initialised fields otherwise. */
typedef struct {
    int64_t interval_ms;
    atomic_int_fast64_t next_ms; /* monotonic ms the next line may go at; 0: now */
} sw_log_limit;
#define SW_LOG_LIMIT(ms) {.interval_ms = (ms)}

/* Whether a line limited by l may go now; if so the slot is taken (the
 * caller writes the line itself, e.g. one not written with sw_log). */
bool sw_log_due(sw_log_limit *l);
/* sw_log, when l lets it. */
void sw_log_limited(sw_log_limit *l, sw_log_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif

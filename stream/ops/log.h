/* log.h -- the process's log lines on stderr: levels, and two formats.
 *
 * Text (the default, for people at a terminal): "sessionwatch CMD: message",
 * the form every message had before levels existed, so operators and tests
 * read the same lines.  JSON (--log-format json, for collectors): one object
 * per line, {"ts","level","cmd","msg"}, every string escaped.
 *
 * Messages never carry secrets: callers pass masked values (kafka.c masks
 * SASL and SSL secrets, redis.c masks the Redis password).  Thread-safe:
 * a line is formatted into a local buffer and written with one fwrite. */
#ifndef SW_LOG_H
#define SW_LOG_H

#include <stdbool.h>

typedef enum { SW_LOG_ERROR = 0, SW_LOG_WARN, SW_LOG_INFO, SW_LOG_DEBUG } sw_log_level;

/* cmd names the subcommand in every line. */
void sw_log_setup(const char *cmd, bool json, sw_log_level level);
/* "text" / "json" and "error" / "warn" / "info" / "debug"; -1 when unknown. */
int sw_log_parse_format(const char *s, bool *json);
int sw_log_parse_level(const char *s, sw_log_level *level);

void sw_log(sw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

/* log.c -- see log.h: the line formats, and the rate limits. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "jsonw.h"
#include "timefmt.h"

static const char *log_cmd = "run"; /* the run machinery logs here, also when demo drives it */
static bool log_json;
static sw_log_level log_max = SW_LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void sw_log_setup(const char *cmd, bool json, sw_log_level level) {
    log_cmd = cmd;
    log_json = json;
    log_max = level;
}

int sw_log_parse_format(const char *s, bool *json) {
    if (strcmp(s, "text") == 0) *json = false;
    else if (strcmp(s, "json") == 0) *json = true;
    else return -1;
    return 0;
}

int sw_log_parse_level(const char *s, sw_log_level *level) {
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0) {
            *level = (sw_log_level)i;
            return 0;
        }
    return -1;
}

static void log_v(sw_log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

void sw_log(sw_log_level level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    log_v(level, fmt, ap);
    va_end(ap);
}

bool sw_log_due(sw_log_limit *l) {
    int64_t now = sw_mono_coarse_ms();
    int_fast64_t next = atomic_load_explicit(&l->next_ms, memory_order_relaxed);
    if (next != 0 && now < next) return false;
    int64_t then = l->interval_ms >= INT64_MAX - now ? INT64_MAX : now + (l->interval_ms > 0 ? l->interval_ms : 0);
    /* Of the threads that saw the slot free, the one that moves it on writes. */
    return atomic_compare_exchange_strong(&l->next_ms, &next, then);
}

void sw_log_limited(sw_log_limit *l, sw_log_level level, const char *fmt, ...) {
    if (level > log_max || !sw_log_due(l)) return;
    va_list ap;
    va_start(ap, fmt);
    log_v(level, fmt, ap);
    va_end(ap);
}

static void log_v(sw_log_level level, const char *fmt, va_list ap) {
    if (level > log_max) return;
    char msg[2048];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    while (len > 0 && msg[len - 1] == '\n') len--;
    if (!log_json) {
        char line[2200];
        int k = snprintf(line, sizeof line, "sessionwatch %s: %.*s\n", log_cmd, (int)len, msg);
        fwrite(line, 1, k < 0 ? 0 : (size_t)k < sizeof line ? (size_t)k : sizeof line - 1, stderr);
        return;
    }
    char when[32];
    when[sw_time_format(sw_wall_ms(), when)] = '\0';
    sw_buf b = {0};
    sw_buf_puts(&b, "{\"ts\":\"");
    sw_buf_puts(&b, when);
    sw_buf_puts(&b, "\",\"level\":\"");
    sw_buf_puts(&b, level_names[level]);
    sw_buf_puts(&b, "\",\"cmd\":");
    sw_json_str(&b, log_cmd, strlen(log_cmd));
    sw_buf_puts(&b, ",\"msg\":");
    sw_json_str(&b, msg, len);
    sw_buf_puts(&b, "}\n");
    if (!b.oom) fwrite(b.p, 1, b.len, stderr);
    sw_buf_free(&b);
}

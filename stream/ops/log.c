/* log.c -- see log.h. */
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

void sw_log(sw_log_level level, const char *fmt, ...) {
    if (level > log_max) return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
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

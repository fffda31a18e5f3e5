/* fuzz_cli.c -- libFuzzer target: the command-line value parsers
 * (stream/core/values.c: durations, sizes, counts) and the Redis URL parser
 * (state/format/redis_url.c), which read operator input and, for --state, a URL that
 * may carry a password.
 *
 * The input up to its first NUL is the argument.  Each parser must either
 * refuse it or accept it with a result that obeys its contract:
 *  - sw_parse_u64 accepts exactly the strings of decimal digits whose value
 *    fits in 64 bits and lies in [min, max] (checked against a reference);
 *  - sw_parse_size accepts exactly digits followed by "", B, k, K, KiB, M,
 *    MiB, G or GiB whose product fits in size_t (checked against a
 *    reference), and sw_format_size's spelling of it reads back the same;
 *  - sw_parse_duration accepts only strings that start with a digit and end
 *    in ms, s, m, min, h or d, with a result in [0, 1e15] ms that its own
 *    "<N>ms" spelling and sw_format_duration's give back;
 *  - sw_redis_parse_url yields either a TCP host (port 1..65535) or a unix
 *    socket path starting with '/', a db in [0, 2^20], the error text never
 *    repeats the URL (which may hold a password), and the description
 *    shows every part but the password, which is masked; a URL without
 *    credentials describes itself as a URL that parses to the same target. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "values.h"
#include "fuzz.h"
#include "redis_url.h"

/* Decimal digits only, no overflow: 0 and *v, else -1. */
static int ref_digits(const char *s, size_t n, uint64_t *v) {
    if (n == 0) return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        if (__builtin_mul_overflow(x, 10, &x) || __builtin_add_overflow(x, (uint64_t)(s[i] - '0'), &x)) return -1;
    }
    *v = x;
    return 0;
}

static void check_u64(const char *s) {
    static const uint64_t ranges[][2] = {{0, UINT64_MAX}, {1, 64}, {0, UINT32_MAX}};
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        uint64_t v = 12345, want;
        int ok = sw_parse_u64(s, ranges[r][0], ranges[r][1], &v) == 0;
        int ref = ref_digits(s, strlen(s), &want) == 0 && want >= ranges[r][0] && want <= ranges[r][1];
        FZ_CHECK(ok == ref);
        if (ok) FZ_CHECK(v == want);
        else FZ_CHECK(v == 12345); /* untouched on error */
    }
}

static void check_size(const char *s) {
    static const struct {
        const char *unit;
        uint64_t mult;
    } units[] = {{"", 1}, {"B", 1}, {"k", 1024}, {"K", 1024}, {"KiB", 1024},
                 {"M", 1u << 20}, {"MiB", 1u << 20}, {"G", 1u << 30}, {"GiB", 1u << 30}};
    size_t digits = strspn(s, "0123456789");
    uint64_t v, want = 0;
    bool ref = false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(s + digits, units[i].unit) == 0 && ref_digits(s, digits, &v) == 0 &&
            !__builtin_mul_overflow(v, units[i].mult, &want) && want <= SIZE_MAX)
            ref = true;
    }
    size_t got = 777;
    int ok = sw_parse_size(s, &got) == 0;
    FZ_CHECK(ok == ref);
    if (ok) FZ_CHECK(got == want);
    else FZ_CHECK(got == 777);
    if (!ok) return;
    /* `config print` shows a size as sw_format_size spells it: it reads back. */
    char shown[32];
    size_t back = 777;
    sw_format_size(got, shown, sizeof shown);
    FZ_CHECK(sw_parse_size(shown, &back) == 0 && back == got);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void check_duration(const char *s) {
    int64_t ms = -7;
    if (sw_parse_duration(s, &ms) != 0) {
        FZ_CHECK(ms == -7);
        return;
    }
    FZ_CHECK(s[0] >= '0' && s[0] <= '9');
    FZ_CHECK(ends_with(s, "ms") || ends_with(s, "s") || ends_with(s, "m") || ends_with(s, "min") ||
             ends_with(s, "h") || ends_with(s, "d"));
    FZ_CHECK(ms >= 0 && ms <= (int64_t)1e15);
    char again[32];
    snprintf(again, sizeof again, "%lldms", (long long)ms);
    int64_t back = -1;
    FZ_CHECK(sw_parse_duration(again, &back) == 0 && back == ms);
    /* `config print` shows a duration as sw_format_duration spells it: it reads back. */
    back = -1;
    sw_format_duration(ms, again, sizeof again);
    FZ_CHECK(sw_parse_duration(again, &back) == 0 && back == ms);
}

/* The error for what is no URL at all: the forms it lists are fixed text. */
static const char *url_forms(void) {
    static char forms[256];
    if (!forms[0]) {
        sw_redis_target t;
        FZ_CHECK(sw_redis_parse_url("?", &t, forms, sizeof forms) != 0 && forms[0]);
    }
    return forms;
}

static void check_url(const char *s) {
    sw_redis_target t;
    char err[256] = "";
    if (sw_redis_parse_url(s, &t, err, sizeof err) != 0) {
        FZ_CHECK(err[0] != '\0');
        /* Never echoes the URL (only the fixed text of the forms may hold it). */
        FZ_CHECK(strlen(s) < 12 || !strstr(err, s) || strstr(url_forms(), s));
        FZ_CHECK(!t.host && !t.socket && !t.user && !t.password && !t.master && t.nsentinels == 0);
        return;
    }
    /* One kind of target: a host, a unix socket, or Sentinels and a primary's name. */
    FZ_CHECK((t.host != NULL) + (t.socket != NULL) + (t.master != NULL) == 1);
    FZ_CHECK((t.master != NULL) == (t.nsentinels > 0));
    FZ_CHECK(t.db >= 0 && t.db <= (1 << 20));
    if (t.host) FZ_CHECK(t.host[0] != '\0' && t.port >= 1 && t.port <= 65535);
    if (t.socket) FZ_CHECK(t.socket[0] == '/');
    if (t.master) FZ_CHECK(t.master[0] != '\0');
    for (int i = 0; i < t.nsentinels; i++)
        FZ_CHECK(t.sentinel_host[i][0] != '\0' && t.sentinel_port[i] >= 1 && t.sentinel_port[i] <= 65535);
    /* The description is the URL's parts with the password masked: built
     * here from the parts, it must match exactly, so the password can show
     * only where it is also part of the host, socket or user. */
    char desc[8192], want[8192];
    sw_redis_describe(&t, desc, sizeof desc);
    if (t.socket) {
        snprintf(want, sizeof want, "unix://%s?db=%d%s", t.socket, t.db, t.password ? " (with a password)" : "");
    } else if (t.master) {
        size_t k = (size_t)snprintf(want, sizeof want, "redis-sentinel://%s%s%s", t.user ? t.user : "",
                                    t.password ? ":***" : "", t.user || t.password ? "@" : "");
        for (int i = 0; i < t.nsentinels && k < sizeof want; i++)
            k += (size_t)snprintf(want + k, sizeof want - k, "%s%s:%d", i ? "," : "", t.sentinel_host[i],
                                  t.sentinel_port[i]);
        if (k < sizeof want) snprintf(want + k, sizeof want - k, "/%s/%d", t.master, t.db);
    } else
        snprintf(want, sizeof want, "redis://%s%s%s%s:%d/%d", t.user ? t.user : "", t.password ? ":***" : "",
                 t.user || t.password ? "@" : "", t.host, t.port, t.db);
    FZ_CHECK(strcmp(desc, want) == 0);
    if (!t.user && !t.password && strlen(desc) < sizeof desc - 1) {
        sw_redis_target t2;
        FZ_CHECK(sw_redis_parse_url(desc, &t2, err, sizeof err) == 0);
        FZ_CHECK((t.host && t2.host && strcmp(t.host, t2.host) == 0) ||
                 (t.socket && t2.socket && strcmp(t.socket, t2.socket) == 0) ||
                 (t.master && t2.master && strcmp(t.master, t2.master) == 0 && t.nsentinels == t2.nsentinels));
        FZ_CHECK(t.port == t2.port && t.db == t2.db && !t2.user && !t2.password);
        sw_redis_target_free(&t2);
    }
    sw_redis_target_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0; /* command-line arguments */
    char *s = malloc(size + 1);
    FZ_CHECK(s);
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    check_u64(s);
    check_size(s);
    check_duration(s);
    check_url(s);
    free(s);
    return 0;
}

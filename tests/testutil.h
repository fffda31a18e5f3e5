/* testutil.h -- helpers shared by the cmocka test programs: reading files,
 * finding the shared Okta fixtures, running the sessionwatch binary as a
 * black box with given stdin, capturing stdout, stderr and the exit code,
 * starting a private redis-server, and the assert_contains / assert_lacks
 * checks on text.  Child processes themselves: support/tu_proc.h. */
#ifndef SW_TESTUTIL_H
#define SW_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Whole file, NUL-terminated (the NUL is not counted in *len); NULL if it
 * cannot be read. Free with free(). */
char *tu_read_file(const char *path, size_t *len);

/* Writes data to a fresh temporary file; returns its path (static storage
 * per call slot: copy it if you need several at once). */
const char *tu_write_temp(const char *data, size_t len);

/* Directory of the real Okta fixtures (../shared/testdata/okta beside the
 * checkout, or $SW_TESTDATA); NULL when absent (the caller skips, saying so). */
const char *tu_fixture_dir(void);

/* For a program whose every case needs the fixtures: the directory, or (when
 * absent) "SKIP: ../shared/testdata/okta not found<note>" on stdout and
 * exit status 77, which ctest reports as skipped. */
const char *tu_fixture_dir_or_exit(const char *note);

/* xorshift64: a fast, reproducible pseudo-random sequence for model and
 * hostile-input tests (state: any non-zero seed, advanced in place). */
uint64_t tu_xorshift64(uint64_t *state);

/* The fixtures' directory; when absent, prints "SKIP: ../shared/testdata/okta
 * not found (set SW_TESTDATA)<note>" and skips the running (cmocka) test. */
const char *tu_fixture_dir_or_skip(const char *note);

/* Elastic's Okta detection rules beside the fixtures (<fixtures>/../rules/okta);
 * when absent, says so and skips the running (cmocka) test. */
const char *tu_okta_rules_dir_or_skip(void);

/* A piece of a buffer (not NUL-terminated). */
typedef struct {
    const char *p;
    size_t n;
} tu_span;

/* The non-empty lines of buf (LF-terminated), at most max (more fails). */
size_t tu_split_lines(const char *buf, size_t len, tu_span *out, size_t max);
/* The objects of the JSON array that starts at the first '[' after key
 * (after the start of buf when key is NULL or absent): at most max (more
 * fails).  String- and escape-aware, for fixture files. */
size_t tu_json_array_objects(const char *buf, size_t len, const char *key, tu_span *out, size_t max);

typedef struct {
    int status;  /* exit code, or 128+signal */
    char *out;   /* NUL-terminated captured stdout */
    size_t out_len;
    char *err;   /* NUL-terminated captured stderr */
    size_t err_len;
} tu_result;

/* Runs the sessionwatch binary with argv (NULL-terminated, argv[0] not
 * included) and input on stdin (NULL: empty stdin). */
tu_result tu_run(const char *const *argv, const char *input, size_t input_len);
void tu_result_free(tu_result *r);

/* A redis-server of this test's own (Debian's package) on a free
 * 127.0.0.1 port, with its data in a fresh directory under /tmp. */
typedef struct {
    int pid;          /* 0 when not running */
    int port;
    char dir[64];     /* its working directory (appendonly file, dump) */
    char url[64];     /* redis://127.0.0.1:PORT */
    int aof;          /* persistence: appendonly yes, fsync always */
    int replica_of;   /* nonzero: starts as a replica of 127.0.0.1:replica_of */
} tu_redis;

/* Starts it (on r->port if nonzero, else a free port) and waits until it
 * answers PING (at most 10 s).  0 on success; -1 when redis-server is not
 * installed or does not come up (the caller skips or fails, saying why). */
int tu_redis_start(tu_redis *r, int aof);
/* Stops it by pid (SIGTERM, then SIGKILL after 5 s) and waits for it; the
 * data directory stays so that tu_redis_start can restart on it. */
void tu_redis_stop(tu_redis *r);
/* Kills it with SIGKILL (a crash: nothing is flushed) and waits for it. */
void tu_redis_kill(tu_redis *r);
/* Stops it if running and removes its directory. */
void tu_redis_destroy(tu_redis *r);

/* A redis-sentinel (Debian's package) of this test's own on a free
 * 127.0.0.1 port, watching the primary on primary_port under name with
 * quorum 1, down-after-milliseconds 2000 and failover-timeout 6000. */
typedef struct {
    int pid;
    int port;
    char dir[64]; /* its config file (Sentinel rewrites it) */
} tu_sentinel;

/* 0 once it answers PING (at most 10 s); -1 when redis-sentinel is not
 * installed or does not come up (the caller skips, saying why). */
int tu_sentinel_start(tu_sentinel *s, int primary_port, const char *name);
/* Kills it by pid and removes its directory. */
void tu_sentinel_destroy(tu_sentinel *s);

/* Sends line to 127.0.0.1:port every 100 ms until the reply holds needle
 * (at most seconds): 0, or -1 on timeout. */
int tu_wait_reply(int port, const char *line, const char *needle, int seconds);

/* One inline command (e.g. "FLUSHALL") to the Redis (or Sentinel) on
 * 127.0.0.1:port; reply gets the answer's first line, or a bulk string's
 * whole payload (INFO; room for n bytes).  0 unless nothing answered or
 * the answer is an error. */
int tu_redis_command(int port, const char *line, char *reply, size_t n);

/* GET http://127.0.0.1:port/path: the status (-1 when nothing answers) and
 * the body (NUL-terminated, free with free(); NULL on -1). */
int tu_http_get(int port, const char *path, char **body);

/* The alert_id of the first alert in out (32 hex digits; fails the test
 * when there is none); free with free(). */
char *tu_first_alert_id(const char *out);

/* GETs path ten times a second until the status is want_status and the body
 * has needle (at most 60 s, a hang guard; then the test fails showing the
 * last answer); returns the body (free with free()). */
char *tu_http_get_until(int port, const char *path, int want_status, const char *needle);

/* Fail the (cmocka) test unless hay holds needle / unless it lacks it,
 * showing needle and the end of hay (where a summary is). */
#define assert_contains(hay, needle)                                                          \
    do {                                                                                      \
        const char *hay_ = (hay);                                                             \
        size_t len_ = strlen(hay_);                                                           \
        if (!strstr(hay_, (needle)))                                                          \
            fail_msg("line %d: expected\n  %s\nin\n  %s", __LINE__, (needle),                  \
                     hay_ + (len_ > 6000 ? len_ - 6000 : 0));                                   \
    } while (0)
/* assert_contains for each needle of a list: a table of expected pieces. */
#define assert_contains_all(hay, ...)                                                         \
    do {                                                                                      \
        const char *const needles_[] = {__VA_ARGS__};                                         \
        for (size_t k_ = 0; k_ < sizeof needles_ / sizeof needles_[0]; k_++)                  \
            assert_contains((hay), needles_[k_]);                                             \
    } while (0)
#define assert_lacks(hay, needle)                                                             \
    do {                                                                                      \
        const char *hay_ = (hay);                                                             \
        if (strstr(hay_, (needle)))                                                           \
            fail_msg("line %d: did not expect\n  %s\nin\n  %s", __LINE__, (needle), hay_);      \
    } while (0)

/* What f(arg) wrote to stderr (fd 2, redirected to a temporary file while
 * it runs), to free; *rc is f's return value. */
char *tu_captured_stderr(int (*f)(void *), void *arg, int *rc);

/* Number of non-overlapping occurrences of needle in hay. */
size_t tu_count(const char *hay, const char *needle);

/* a[0 .. an) and b[0 .. bn) hold the same bytes (asserted with cmocka). */
void tu_assert_same_bytes(const char *a, size_t an, const char *b, size_t bn);

#endif

/* testutil.c -- see testutil.h. Plain POSIX: children started by
 * support/tu_proc.c on pipes, polled so that a large stdin and large outputs
 * cannot deadlock. */
#include "testutil.h"

#include "tu_proc.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* Everything fd gives until end of file (or an error), NUL-terminated;
 * NULL when out of memory. */
static char *read_all(int fd, size_t *len) {
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    ssize_t got;
    while (buf && (got = read(fd, buf + n, cap - n)) > 0) {
        n += (size_t)got;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    if (!buf) return NULL;
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

char *tu_read_file(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    char *buf = read_all(fd, len);
    close(fd);
    return buf;
}

const char *tu_write_temp(const char *data, size_t len) {
    static char paths[8][64];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, 64, "/tmp/sw-test-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w <= 0) { close(fd); return NULL; }
        off += (size_t)w;
    }
    close(fd);
    return path;
}

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *tu_fixture_dir(void) {
    static char dir[4096];
    const char *env = getenv("SW_TESTDATA");
    if (env && *env) snprintf(dir, sizeof dir, "%s", env);
    else snprintf(dir, sizeof dir, "%s/../shared/testdata/okta", SW_SOURCE_DIR);
    return is_dir(dir) ? dir : NULL;
}

const char *tu_fixture_dir_or_exit(const char *note) {
    const char *dir = tu_fixture_dir();
    if (!dir) {
        printf("SKIP: ../shared/testdata/okta not found%s\n", note);
        exit(77);
    }
    return dir;
}

uint64_t tu_xorshift64(uint64_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

const char *tu_fixture_dir_or_skip(const char *note) {
    const char *dir = tu_fixture_dir();
    if (!dir) {
        printf("SKIP: ../shared/testdata/okta not found (set SW_TESTDATA)%s\n", note);
        skip();
    }
    return dir;
}

const char *tu_okta_rules_dir_or_skip(void) {
    static char dir[4200];
    const char *fx = tu_fixture_dir();
    if (fx) snprintf(dir, sizeof dir, "%s/../rules/okta", fx);
    if (!fx || !is_dir(dir)) {
        printf("SKIP: ../shared/testdata/rules/okta not found (set SW_TESTDATA); Elastic rule tests skipped\n");
        skip();
    }
    return dir;
}

static void append(char **buf, size_t *len, size_t *cap, const char *p, size_t n) {
    if (*len + n + 1 > *cap) {
        size_t nc = *cap ? *cap : 4096;
        while (nc < *len + n + 1) nc *= 2;
        *buf = realloc(*buf, nc);
        if (!*buf) abort();
        *cap = nc;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = '\0';
}

tu_result tu_run(const char *const *argv, const char *input, size_t input_len) {
    tu_result r = {0};
    int in[2], out[2], err[2];
    /* (the test's ends close on exec: the child holds only its own) */
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) abort();
    pid_t pid = tu_spawn_sw(argv ? argv : (const char *const[]){NULL}, in[0], out[1], err[1]);
    if (pid < 0) abort();
    close(in[0]); close(out[1]); close(err[1]);
    signal(SIGPIPE, SIG_IGN);
    size_t in_off = 0, out_cap = 0, err_cap = 0;
    if (!input || input_len == 0) { close(in[1]); in[1] = -1; }
    else fcntl(in[1], F_SETFL, O_NONBLOCK);
    append(&r.out, &r.out_len, &out_cap, "", 0);
    append(&r.err, &r.err_len, &err_cap, "", 0);
    int open_fds = 2;
    while (open_fds > 0 || in[1] >= 0) {
        struct pollfd p[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
        if (poll(p, 3, 60000) <= 0) break; /* bounded: a hung child fails the test below */
        char buf[65536];
        for (int i = 0; i < 2; i++) {
            if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP))) {
                ssize_t got = read(p[i].fd, buf, sizeof buf);
                if (got > 0) {
                    if (i == 0) append(&r.out, &r.out_len, &out_cap, buf, (size_t)got);
                    else append(&r.err, &r.err_len, &err_cap, buf, (size_t)got);
                } else {
                    close(p[i].fd);
                    if (i == 0) out[0] = -1; else err[0] = -1;
                    open_fds--;
                }
            }
        }
        if (in[1] >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            /* At most a pipe's worth per call: Valgrind checks every byte a
             * write() is given, so whole-remainder writes cost O(n^2). */
            size_t chunk = input_len - in_off < 65536 ? input_len - in_off : 65536;
            ssize_t w = write(in[1], input + in_off, chunk);
            if (w > 0) in_off += (size_t)w;
            if (w < 0 && errno != EAGAIN) in_off = input_len;
            if (in_off >= input_len) { close(in[1]); in[1] = -1; }
        }
    }
    if (in[1] >= 0) close(in[1]);
    if (out[0] >= 0) { close(out[0]); kill(pid, SIGKILL); }
    if (err[0] >= 0) close(err[0]);
    r.status = tu_wait(pid, -1); /* its output ended (or it was killed above) */
    return r;
}

void tu_result_free(tu_result *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* One pass over hay, not strstr from each match: ASan's strstr checks the
 * whole rest of the string on every call, which made counting the lines
 * of a 20 MB gen output quadratic (minutes) in the sanitizer build. */
size_t tu_count(const char *hay, const char *needle) {
    size_t n = 0, nl = strlen(needle);
    if (nl == 0) return 0;
    for (const char *p = hay; *p;) {
        if (*p == needle[0] && strncmp(p, needle, nl) == 0) {
            n++;
            p += nl;
        } else {
            p++;
        }
    }
    return n;
}

/* ---- a private redis-server ---------------------------------------------- */

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* Whether something answers "+PONG" on the port. */
static int pong(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[16] = {0};
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && write(fd, "PING\r\n", 6) == 6 &&
             read(fd, buf, sizeof buf - 1) >= 5 && strncmp(buf, "+PONG", 5) == 0;
    close(fd);
    return ok;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

int tu_redis_start(tu_redis *r, int aof) {
    if (!r->dir[0]) {
        snprintf(r->dir, sizeof r->dir, "/tmp/sw-redis-XXXXXX");
        if (!mkdtemp(r->dir)) return -1;
    }
    r->aof = aof;
    for (int attempt = 0; attempt < 5; attempt++) {
        int keep_port = r->port != 0;
        if (!keep_port) r->port = free_port();
        if (r->port <= 0) return -1;
        char port[16];
        snprintf(port, sizeof port, "%d", r->port);
        char of[16];
        snprintf(of, sizeof of, "%d", r->replica_of);
        /* (the --replicaof pair last, left off for a primary) */
        const char *argv[] = {"redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", r->dir,
                              "--save", "", "--appendonly", aof ? "yes" : "no", "--appendfsync", "always",
                              "--protected-mode", "no", "--daemonize", "no", "--repl-diskless-sync-delay", "0",
                              r->replica_of ? "--replicaof" : NULL, "127.0.0.1", of, NULL};
        pid_t pid = tu_spawn(argv, TU_INHERIT, TU_DEVNULL, TU_DEVNULL);
        if (pid < 0) return -1;
        r->pid = pid;
        for (int i = 0; i < 200; i++) {
            int status = tu_wait(pid, 0);
            if (status >= 0) { /* died: not installed, or the port was taken */
                r->pid = 0;
                if (status == 127) return -1;
                break;
            }
            if (pong(r->port)) {
                snprintf(r->url, sizeof r->url, "redis://127.0.0.1:%d", r->port);
                return 0;
            }
            sleep_ms(50);
        }
        if (r->pid) tu_redis_stop(r);
        if (keep_port) sleep_ms(500); /* the old server's port may still be closing */
    }
    return -1;
}

void tu_redis_stop(tu_redis *r) {
    if (!r->pid) return;
    tu_stop(r->pid, SIGTERM, 5000);
    r->pid = 0;
}

void tu_redis_kill(tu_redis *r) {
    if (!r->pid) return;
    tu_kill(r->pid);
    r->pid = 0;
}

/* Removes a test server's directory. */
static void remove_dir(char *dir) {
    if (!dir[0]) return;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "testutil: could not remove %s\n", dir);
    dir[0] = '\0';
}

int tu_sentinel_start(tu_sentinel *s, int primary_port, const char *name) {
    snprintf(s->dir, sizeof s->dir, "/tmp/sw-sentinel-XXXXXX");
    if (!mkdtemp(s->dir)) return -1;
    for (int attempt = 0; attempt < 5; attempt++) {
        s->port = free_port();
        if (s->port <= 0) return -1;
        char conf[128];
        snprintf(conf, sizeof conf, "%s/sentinel.conf", s->dir);
        FILE *f = fopen(conf, "w");
        if (!f) return -1;
        /* Quick: down after 2 s (a replica may be promoted if its link to
         * the primary was down for at most 10 times that). */
        fprintf(f, "port %d\nbind 127.0.0.1\nprotected-mode no\ndaemonize no\ndir %s\nlogfile %s/sentinel.log\n"
                   "sentinel monitor %s 127.0.0.1 %d 1\nsentinel down-after-milliseconds %s 2000\n"
                   "sentinel failover-timeout %s 6000\nsentinel parallel-syncs %s 1\n",
                s->port, s->dir, s->dir, name, primary_port, name, name, name);
        fclose(f);
        const char *argv[] = {"redis-sentinel", conf, NULL};
        pid_t pid = tu_spawn(argv, TU_INHERIT, TU_DEVNULL, TU_DEVNULL);
        if (pid < 0) return -1;
        s->pid = pid;
        for (int i = 0; i < 200; i++) {
            int status = tu_wait(pid, 0);
            if (status >= 0) {
                s->pid = 0;
                if (status == 127) return -1;
                break;
            }
            if (pong(s->port)) return 0;
            sleep_ms(50);
        }
        tu_sentinel_destroy(s);
        if (!mkdtemp(strcpy(s->dir, "/tmp/sw-sentinel-XXXXXX"))) return -1;
    }
    return -1;
}

void tu_sentinel_destroy(tu_sentinel *s) {
    if (s->pid) {
        tu_kill(s->pid);
        s->pid = 0;
    }
    remove_dir(s->dir);
}

int tu_wait_reply(int port, const char *line, const char *needle, int seconds) {
    char reply[4096];
    for (int i = 0; i < seconds * 10; i++) {
        if (tu_redis_command(port, line, reply, sizeof reply) == 0 && strstr(reply, needle)) return 0;
        sleep_ms(100);
    }
    return -1;
}

void tu_redis_destroy(tu_redis *r) {
    tu_redis_stop(r);
    remove_dir(r->dir);
}

/* A TCP connection to 127.0.0.1:port with a 5 s read timeout, the
 * request written; the socket, or -1 (nothing left open). */
static int loopback_request(int port, const char *req, size_t len) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || write(fd, req, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    return fd;
}

int tu_redis_command(int port, const char *line, char *reply, size_t n) {
    if (n) reply[0] = '\0';
    char req[512];
    int len = snprintf(req, sizeof req, "%s\r\n", line);
    if (len <= 0 || (size_t)len >= sizeof req) return -1;
    int fd = loopback_request(port, req, (size_t)len);
    if (fd < 0) return -1;
    size_t got = 0, want = 0; /* want: a bulk reply's whole length, once its header came */
    while (got + 1 < n) {
        char *nl = memchr(reply, '\n', got);
        if (nl && reply[0] == '$' && !want) want = (size_t)(nl + 1 - reply) + (size_t)atol(reply + 1) + 2;
        if (nl && (reply[0] != '$' || reply[1] == '-' || got >= want)) break;
        ssize_t k = read(fd, reply + got, n - 1 - got);
        if (k <= 0) break;
        got += (size_t)k;
        reply[got] = '\0';
    }
    close(fd);
    if (got && reply[0] == '$') { /* the payload, without the header */
        char *nl = strchr(reply, '\n');
        if (nl) memmove(reply, nl + 1, strlen(nl + 1) + 1);
    } else {
        char *nl = strpbrk(reply, "\r\n");
        if (nl) *nl = '\0';
    }
    return got > 0 && reply[0] != '-' ? 0 : -1;
}

/* ---- a minimal HTTP GET (the test side of --metrics-addr) ----------------- */

int tu_http_get(int port, const char *path, char **body) {
    *body = NULL;
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (n <= 0 || (size_t)n >= sizeof req) return -1;
    int fd = loopback_request(port, req, (size_t)n);
    if (fd < 0) return -1;
    size_t len = 0;
    char *buf = read_all(fd, &len);
    close(fd);
    if (!buf) return -1;
    int status = -1;
    if (sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1) status = -1;
    const char *sep = strstr(buf, "\r\n\r\n");
    size_t off = sep ? (size_t)(sep + 4 - buf) : len;
    *body = malloc(len - off + 1);
    if (*body) {
        memcpy(*body, buf + off, len - off);
        (*body)[len - off] = '\0';
    }
    free(buf);
    return status;
}

char *tu_first_alert_id(const char *out) {
    const char *p = strstr(out, "\"alert_id\":\"");
    assert_non_null(p);
    return strndup(p + 12, 32);
}

char *tu_http_get_until(int port, const char *path, int want_status, const char *needle) {
    char *body = NULL;
    int status = -1;
    for (int i = 0; i < 600; i++) { /* 60 s: a hang guard */
        free(body);
        status = tu_http_get(port, path, &body);
        if (status == want_status && body && strstr(body, needle)) return body;
        usleep(100000);
    }
    fail_msg("GET %s: status %d, want %d with '%s'; body:\n%.3000s", path, status, want_status, needle,
             body ? body : "(none)");
    return NULL;
}

size_t tu_split_lines(const char *buf, size_t len, tu_span *out, size_t max) {
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || buf[i] == '\n') {
            if (i > start) {
                assert_true(n < max);
                out[n++] = (tu_span){buf + start, i - start};
            }
            start = i + 1;
        }
    }
    return n;
}

/* End of the JSON object or array starting at s[i] ('{' or '['): the
 * index just past its closing bracket.  String- and escape-aware. */
static size_t json_match_close(const char *s, size_t len, size_t i) {
    int depth = 0, in_str = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) return i + 1;
        }
    }
    fail_msg("unbalanced JSON at %zu", i);
    return len;
}

size_t tu_json_array_objects(const char *buf, size_t len, const char *key, tu_span *out, size_t max) {
    const char *k = key ? strstr(buf, key) : NULL;
    size_t i = k ? (size_t)(k - buf) + strlen(key) : 0, n = 0;
    while (i < len && buf[i] != '[') i++;
    assert_true(i < len);
    size_t end = json_match_close(buf, len, i);
    for (i++; i < end - 1; i++) {
        if (buf[i] != '{') continue;
        size_t e = json_match_close(buf, len, i);
        assert_true(n < max);
        out[n++] = (tu_span){buf + i, e - i};
        i = e - 1;
    }
    return n;
}

void tu_assert_same_bytes(const char *a, size_t an, const char *b, size_t bn) {
    assert_int_equal(an, bn);
    assert_memory_equal(a, b, an);
}

char *tu_captured_stderr(int (*f)(void *), void *arg, int *rc) {
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(2);
    dup2(fileno(tmp), 2);
    *rc = f(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    long n = ftell(tmp);
    char *buf = calloc(1, (size_t)n + 1);
    rewind(tmp);
    if (n > 0 && fread(buf, 1, (size_t)n, tmp) != (size_t)n) buf[0] = '\0';
    fclose(tmp);
    return buf;
}

/* redis.c -- see redis.h. */
#include "redis.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static char *dupn(const char *p, size_t n) {
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

static int parse_int(const char *p, size_t n, long lo, long hi, long *out) {
    if (n == 0 || n > 10) return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (p[i] - '0');
    }
    if (v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

#define URL_HELP "expected redis://[[user]:password@]host[:port][/db] or unix:///path/to/redis.sock[?db=N]"

int sw_redis_parse_url(const char *url, sw_redis_target *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    t->port = 6379;
    long v;
    if (strncmp(url, "unix://", 7) == 0) {
        const char *path = url + 7, *q = strchr(path, '?');
        size_t n = q ? (size_t)(q - path) : strlen(path);
        if (n == 0 || path[0] != '/') goto bad;
        if (q) {
            if (strncmp(q, "?db=", 4) != 0 || parse_int(q + 4, strlen(q + 4), 0, 1 << 20, &v)) goto bad;
            t->db = (int)v;
        }
        if (!(t->socket = dupn(path, n))) goto oom;
    } else if (strncmp(url, "redis://", 8) == 0) {
        /* The last @ ends the credentials: passwords may hold '@' and '/'. */
        const char *s = url + 8, *at = strrchr(s, '@');
        const char *host = at ? at + 1 : s, *slash = strchr(host, '/');
        const char *end = slash ? slash : host + strlen(host);
        if (at) {
            const char *colon = memchr(s, ':', (size_t)(at - s));
            if (!colon) goto bad;
            if (colon > s && !(t->user = dupn(s, (size_t)(colon - s)))) goto oom;
            if (at > colon + 1 && !(t->password = dupn(colon + 1, (size_t)(at - colon - 1)))) goto oom;
        }
        const char *colon = NULL;
        for (const char *p = host; p < end; p++)
            if (*p == ':') colon = p;
        size_t hn = (size_t)((colon ? colon : end) - host);
        if (hn == 0) goto bad;
        if (colon) {
            if (parse_int(colon + 1, (size_t)(end - colon - 1), 1, 65535, &v)) goto bad;
            t->port = (int)v;
        }
        if (slash && slash[1]) {
            if (parse_int(slash + 1, strlen(slash + 1), 0, 1 << 20, &v)) goto bad;
            t->db = (int)v;
        }
        if (!(t->host = dupn(host, hn))) goto oom;
    } else {
        goto bad;
    }
    if (!t->password) {
        const char *env = getenv(SW_REDIS_PASSWORD_ENV);
        if (env && *env && !(t->password = dupn(env, strlen(env)))) goto oom;
    }
    return 0;
bad:
    /* The URL may hold a password: never echo it. */
    snprintf(err, errlen, "--state: cannot parse the Redis URL; " URL_HELP);
    sw_redis_target_free(t);
    return -1;
oom:
    snprintf(err, errlen, "--state: out of memory");
    sw_redis_target_free(t);
    return -1;
}

void sw_redis_target_free(sw_redis_target *t) {
    free(t->host);
    free(t->socket);
    free(t->user);
    free(t->password);
    memset(t, 0, sizeof *t);
}

void sw_redis_describe(const sw_redis_target *t, char *out, size_t n) {
    const char *pw = t->password ? (t->socket ? " (with a password)" : ":***") : "";
    if (t->socket) {
        snprintf(out, n, "unix://%s?db=%d%s", t->socket, t->db, pw);
        return;
    }
    snprintf(out, n, "redis://%s%s%s%s:%d/%d", t->user ? t->user : "", pw, t->user || t->password ? "@" : "",
             t->host, t->port, t->db);
}

void sw_redis_init(sw_redis *r, const sw_redis_target *t, int timeout_ms) {
    memset(r, 0, sizeof *r);
    r->target = t;
    r->timeout_ms = timeout_ms;
}

void sw_redis_close(sw_redis *r) {
    if (r->c) redisFree(r->c);
    r->c = NULL;
}

static int starts(const char *s, size_t n, const char *word) {
    size_t k = strlen(word);
    return n >= k && memcmp(s, word, k) == 0;
}

sw_redis_fault sw_redis_error_fault(const char *s, size_t n) {
    if (!s) return SW_REDIS_FAULT_DOWN;
    if (starts(s, n, "NOAUTH") || starts(s, n, "WRONGPASS") || starts(s, n, "NOPERM")) return SW_REDIS_FAULT_DENIED;
    /* Redis 6+: "ERR AUTH <password> called without any password configured ..." */
    if (starts(s, n, "ERR AUTH") || starts(s, n, "ERR invalid password")) return SW_REDIS_FAULT_DENIED;
    return SW_REDIS_FAULT_DOWN;
}

static void drop(sw_redis *r, const char *what) {
    r->fault = SW_REDIS_FAULT_DOWN;
    snprintf(r->err, sizeof r->err, "%s: %s", what, r->c && r->c->errstr[0] ? r->c->errstr : strerror(errno));
    sw_redis_close(r);
}

/* A command on a fresh connection (AUTH, SELECT): 0 when it says OK. */
static int setup(sw_redis *r, int argc, const char **argv, const char *what) {
    redisReply *rep = redisCommandArgv(r->c, argc, argv, NULL);
    if (!rep) {
        drop(r, what);
        return -1;
    }
    int ok = rep->type == REDIS_REPLY_STATUS;
    if (!ok) {
        snprintf(r->err, sizeof r->err, "%s refused: %.*s", what, (int)(rep->str ? rep->len : 0), rep->str ? rep->str : "");
        /* A refused AUTH or SELECT is ours to fix, unless Redis is still
         * starting (LOADING) or busy. */
        int transient = rep->str && (starts(rep->str, rep->len, "LOADING") || starts(rep->str, rep->len, "BUSY") ||
                                     starts(rep->str, rep->len, "MASTERDOWN"));
        r->fault = transient ? SW_REDIS_FAULT_DOWN : SW_REDIS_FAULT_DENIED;
    }
    freeReplyObject(rep);
    if (!ok) sw_redis_close(r);
    return ok ? 0 : -1;
}

int sw_redis_connect(sw_redis *r) {
    if (r->c) return 0;
    const sw_redis_target *t = r->target;
    struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
    r->c = t->socket ? redisConnectUnixWithTimeout(t->socket, tv) : redisConnectWithTimeout(t->host, t->port, tv);
    if (!r->c || r->c->err) {
        char where[256];
        sw_redis_describe(t, where, sizeof where);
        snprintf(r->err, sizeof r->err, "cannot connect to %s: %s", where, r->c ? r->c->errstr : "out of memory");
        r->fault = SW_REDIS_FAULT_DOWN;
        sw_redis_close(r);
        return -1;
    }
    if (redisSetTimeout(r->c, tv) != REDIS_OK) {
        drop(r, "setting the Redis timeout");
        return -1;
    }
    if (!t->socket) redisEnableKeepAlive(r->c);
    if (t->password) {
        const char *a[] = {"AUTH", t->user ? t->user : t->password, t->password};
        if (setup(r, t->user ? 3 : 2, a, "Redis AUTH") != 0) return -1;
    }
    if (t->db) {
        char db[16];
        snprintf(db, sizeof db, "%d", t->db);
        const char *a[] = {"SELECT", db};
        if (setup(r, 2, a, "Redis SELECT") != 0) return -1;
    }
    return 0;
}

redisReply *sw_redis_cmd(sw_redis *r, int argc, const char **argv, const size_t *lens) {
    if (sw_redis_connect(r) != 0) return NULL;
    redisReply *rep = redisCommandArgv(r->c, argc, argv, lens);
    if (!rep) drop(r, "Redis");
    return rep;
}

int sw_redis_append(sw_redis *r, int argc, const char **argv, const size_t *lens) {
    if (sw_redis_connect(r) != 0) return -1;
    if (redisAppendCommandArgv(r->c, argc, argv, lens) != REDIS_OK) {
        drop(r, "Redis");
        return -1;
    }
    return 0;
}

redisReply *sw_redis_reply(sw_redis *r) {
    if (!r->c) {
        /* A fresh connection would not hold the queued command's reply. */
        if (!r->err[0]) {
            snprintf(r->err, sizeof r->err, "Redis: connection lost");
            r->fault = SW_REDIS_FAULT_DOWN;
        }
        return NULL;
    }
    void *rep = NULL;
    if (redisGetReply(r->c, &rep) != REDIS_OK || !rep) {
        drop(r, "Redis");
        return NULL;
    }
    return rep;
}

redisReply *sw_redis_cmdv(sw_redis *r, const char *arg0, ...) {
    const char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && argc < 16; a = va_arg(ap, const char *)) argv[argc++] = a;
    va_end(ap);
    return sw_redis_cmd(r, argc, argv, NULL);
}

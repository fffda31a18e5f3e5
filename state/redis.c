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

#define URL_HELP "expected redis://[[user]:password@]host[:port][/db], unix:///path/to/redis.sock[?db=N] or " \
                 "redis-sentinel://[[user]:password@]host[:port][,host[:port]...]/master-name[/db]"

/* user:password@ before `at` (the last '@' of the authority). */
static int parse_credentials(const char *s, const char *at, sw_redis_target *t) {
    const char *colon = memchr(s, ':', (size_t)(at - s));
    if (!colon) return -1;
    if (colon > s && !(t->user = dupn(s, (size_t)(colon - s)))) return -2;
    if (at > colon + 1 && !(t->password = dupn(colon + 1, (size_t)(at - colon - 1)))) return -2;
    return 0;
}

/* host[:port] in [p, end): 0, -1 when malformed, -2 out of memory. */
static int parse_host_port(const char *p, const char *end, int dflt, char **host, int *port) {
    const char *colon = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == ':') colon = q;
    size_t hn = (size_t)((colon ? colon : end) - p);
    long v = dflt;
    if (hn == 0 || memchr(p, '/', hn) || (colon && parse_int(colon + 1, (size_t)(end - colon - 1), 1, 65535, &v)))
        return -1;
    *port = (int)v;
    return (*host = dupn(p, hn)) ? 0 : -2;
}

/* The part of a redis-sentinel:// URL after the credentials:
 * host[:port][,host[:port]...]/master[/db]. */
static int parse_sentinels(const char *p, sw_redis_target *t) {
    const char *slash = strchr(p, '/');
    if (!slash || slash == p) return -1;
    int n = 1;
    for (const char *q = p; q < slash; q++) n += *q == ',';
    if (n > 64) return -1;
    t->sentinel_host = calloc((size_t)n, sizeof *t->sentinel_host);
    t->sentinel_port = calloc((size_t)n, sizeof *t->sentinel_port);
    if (!t->sentinel_host || !t->sentinel_port) return -2;
    for (const char *q = p; q < slash;) {
        const char *comma = memchr(q, ',', (size_t)(slash - q));
        const char *end = comma ? comma : slash;
        int rc = parse_host_port(q, end, 26379, &t->sentinel_host[t->nsentinels], &t->sentinel_port[t->nsentinels]);
        if (rc) return rc;
        t->nsentinels++; /* (freed by sw_redis_target_free from here on) */
        q = comma ? comma + 1 : slash;
        if (comma && q == slash) return -1;
    }
    const char *name = slash + 1, *db = strchr(name, '/');
    size_t nn = db ? (size_t)(db - name) : strlen(name);
    long v;
    if (nn == 0 || (db && parse_int(db + 1, strlen(db + 1), 0, 1 << 20, &v))) return -1;
    if (db) t->db = (int)v;
    return (t->master = dupn(name, nn)) ? 0 : -2;
}

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
    } else if (strncmp(url, "redis-sentinel://", 17) == 0) {
        const char *s = url + 17, *at = strrchr(s, '@');
        int rc = at ? parse_credentials(s, at, t) : 0;
        if (rc == 0) rc = parse_sentinels(at ? at + 1 : s, t);
        if (rc == -1) goto bad;
        if (rc == -2) goto oom;
        const char *env = getenv(SW_REDIS_SENTINEL_PASSWORD_ENV);
        if (env && *env && !(t->sentinel_password = dupn(env, strlen(env)))) goto oom;
    } else if (strncmp(url, "redis://", 8) == 0) {
        /* The last @ ends the credentials: passwords may hold '@' and '/'. */
        const char *s = url + 8, *at = strrchr(s, '@');
        const char *host = at ? at + 1 : s, *slash = strchr(host, '/');
        const char *end = slash ? slash : host + strlen(host);
        if (at) {
            int rc = parse_credentials(s, at, t);
            if (rc == -1) goto bad;
            if (rc == -2) goto oom;
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
    for (int i = 0; i < t->nsentinels; i++) free(t->sentinel_host[i]);
    free(t->sentinel_host);
    free(t->sentinel_port);
    free(t->master);
    free(t->sentinel_password);
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
    if (t->master) {
        size_t k = (size_t)snprintf(out, n, "redis-sentinel://%s%s%s", t->user ? t->user : "", pw,
                                    t->user || t->password ? "@" : "");
        for (int i = 0; i < t->nsentinels && k < n; i++)
            k += (size_t)snprintf(out + k, n - k, "%s%s:%d", i ? "," : "", t->sentinel_host[i], t->sentinel_port[i]);
        if (k < n) snprintf(out + k, n - k, "/%s/%d", t->master, t->db);
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

static struct timeval timeout_tv(const sw_redis *r) {
    return (struct timeval){r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
}

/* A fresh connection to host:port (or the unix socket) with the command
 * timeout and keep-alive set; 0, or -1 with r->err naming `what`. */
static int open_conn(sw_redis *r, const char *socket_path, const char *host, int port, const char *what) {
    struct timeval tv = timeout_tv(r);
    r->c = socket_path ? redisConnectUnixWithTimeout(socket_path, tv) : redisConnectWithTimeout(host, port, tv);
    if (!r->c || r->c->err) {
        snprintf(r->err, sizeof r->err, "cannot connect to %s: %s", what, r->c ? r->c->errstr : "out of memory");
        r->fault = SW_REDIS_FAULT_DOWN;
        sw_redis_close(r);
        return -1;
    }
    if (redisSetTimeout(r->c, tv) != REDIS_OK) {
        drop(r, "setting the Redis timeout");
        return -1;
    }
    if (!socket_path) redisEnableKeepAlive(r->c);
    return 0;
}

/* Asks the Sentinels in turn for the primary's address; 0 with host
 * (room for hn bytes) and port, or -1 with r->err. */
static int ask_sentinels(sw_redis *r, char *host, size_t hn, int *port) {
    const sw_redis_target *t = r->target;
    for (int k = 0; k < t->nsentinels; k++) {
        int i = (r->sentinel_at + k) % t->nsentinels;
        char what[320];
        snprintf(what, sizeof what, "Sentinel %s:%d", t->sentinel_host[i], t->sentinel_port[i]);
        if (open_conn(r, NULL, t->sentinel_host[i], t->sentinel_port[i], what) != 0) continue;
        if (t->sentinel_password) {
            const char *a[] = {"AUTH", t->sentinel_password};
            if (setup(r, 2, a, "Sentinel AUTH") != 0) continue;
        }
        const char *a[] = {"SENTINEL", "get-master-addr-by-name", t->master};
        redisReply *rep = redisCommandArgv(r->c, 3, a, NULL);
        if (!rep) {
            drop(r, what);
            continue;
        }
        int ok = rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 && rep->element[0]->type == REDIS_REPLY_STRING &&
                 rep->element[1]->type == REDIS_REPLY_STRING && rep->element[0]->len > 0 &&
                 rep->element[0]->len < hn && rep->element[1]->len < 8;
        if (ok) {
            memcpy(host, rep->element[0]->str, rep->element[0]->len);
            host[rep->element[0]->len] = '\0';
            *port = atoi(rep->element[1]->str);
            ok = *port > 0 && *port < 65536;
        }
        if (!ok) {
            snprintf(r->err, sizeof r->err, "%s does not know a primary named '%s'", what, t->master);
            r->fault = SW_REDIS_FAULT_DOWN;
        }
        freeReplyObject(rep);
        sw_redis_close(r);
        if (ok) {
            r->sentinel_at = i;
            return 0;
        }
    }
    return -1;
}

/* Whether the connected node says ROLE master; else r->err says why. */
static int is_primary(sw_redis *r, const char *where) {
    redisReply *rep = redisCommand(r->c, "ROLE");
    if (!rep) {
        drop(r, "Redis ROLE");
        return 0;
    }
    const redisReply *role = rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
                             rep->element[0]->type == REDIS_REPLY_STRING ? rep->element[0] : NULL;
    int ok = role && role->len == 6 && memcmp(role->str, "master", 6) == 0;
    if (!ok) {
        snprintf(r->err, sizeof r->err, "%s, which Sentinel named the primary, is not one (ROLE: %.*s); asking again",
                 where, role ? (int)(role->len > 32 ? 32 : role->len) : 1, role ? role->str : "?");
        r->fault = SW_REDIS_FAULT_DOWN;
    }
    freeReplyObject(rep);
    return ok;
}

int sw_redis_connect(sw_redis *r) {
    if (r->c && r->stale) sw_redis_close(r);
    r->stale = 0;
    if (r->c) return 0;
    const sw_redis_target *t = r->target;
    char where[300], host[256];
    int port = t->port;
    if (t->master) {
        if (ask_sentinels(r, host, sizeof host, &port) != 0) return -1;
        snprintf(where, sizeof where, "%s:%d (primary '%s')", host, port, t->master);
    } else {
        sw_redis_describe(t, where, sizeof where);
    }
    if (open_conn(r, t->socket, t->master ? host : t->host, port, where) != 0) return -1;
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
    if (t->master && !is_primary(r, where)) {
        sw_redis_close(r);
        r->sentinel_at = (r->sentinel_at + 1) % t->nsentinels; /* another opinion next time */
        return -1;
    }
    r->connects++;
    return 0;
}

/* A primary demoted under us answers writes with READONLY: reconnect
 * (rediscover) before the next command. */
static void note_readonly(sw_redis *r, const redisReply *rep) {
    if (rep && rep->type == REDIS_REPLY_ERROR && rep->str &&
        (strncmp(rep->str, "READONLY", 8) == 0 || strstr(rep->str, "-READONLY") ||
         strstr(rep->str, "write against a read only replica")))
        r->stale = 1;
}

redisReply *sw_redis_cmd(sw_redis *r, int argc, const char **argv, const size_t *lens) {
    if (sw_redis_connect(r) != 0) return NULL;
    redisReply *rep = redisCommandArgv(r->c, argc, argv, lens);
    if (!rep) drop(r, "Redis");
    note_readonly(r, rep);
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
    note_readonly(r, rep);
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

int sw_redis_wait(sw_redis *r, int replicas, int timeout_ms) {
    if (!r->c) {
        snprintf(r->err, sizeof r->err, "Redis: connection lost");
        return -1;
    }
    char n[16], ms[16];
    snprintf(n, sizeof n, "%d", replicas);
    snprintf(ms, sizeof ms, "%d", timeout_ms);
    const char *a[] = {"WAIT", n, ms};
    redisReply *rep = redisCommandArgv(r->c, 3, a, NULL);
    if (!rep) {
        drop(r, "Redis WAIT");
        return -1;
    }
    int got = rep->type == REDIS_REPLY_INTEGER && rep->integer >= 0 && rep->integer < 1 << 20 ? (int)rep->integer : -1;
    if (got < 0) snprintf(r->err, sizeof r->err, "WAIT: %.*s", rep->str ? (int)rep->len : 0, rep->str ? rep->str : "");
    freeReplyObject(rep);
    return got;
}

/* redis_url.c -- see redis_url.h. */
#include "redis_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

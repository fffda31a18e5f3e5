/* redis.c -- see redis.h. */
#include "redis.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

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
    /* A command of more than 10 arguments before AUTH (a rules-layout
     * checkpoint's): Redis answers this instead of NOAUTH. */
    if (starts(s, n, "ERR Protocol error: unauthenticated")) return SW_REDIS_FAULT_DENIED;
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

/* redis.h -- one connection to the Redis that holds checkpoints:
 * connecting to the --state target (redis_url.h) with AUTH and SELECT,
 * timeouts and reconnecting.
 *
 * Sentinel.  Every (re)connect asks the Sentinels in turn, starting with
 * the one that answered last, for the primary's address
 * (SENTINEL get-master-addr-by-name), connects there and checks with ROLE
 * that it is a primary: a Sentinel's stale answer or a demoted primary is
 * never written, the attempt fails and the next one asks again.  A
 * READONLY error reply (a primary demoted while connected) drops the
 * connection after the replies already queued are read, so the next
 * command rediscovers.
 *
 * A connection belongs to one thread (hiredis contexts are not shared).
 * Every command has a timeout; after an I/O error or a timeout the
 * connection is dropped and the next command reconnects, so a Redis that
 * restarts is picked up again without the caller doing anything.
 *
 * Every failure is classified (sw_redis_fault), so that the caller can say
 * what is wrong: Redis unreachable or slow (retrying helps) is not Redis
 * refusing our credentials (retrying does not, until someone fixes the
 * password, the ACL or the database number). */
#ifndef SW_REDIS_H
#define SW_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "redis_url.h"

typedef enum {
    SW_REDIS_FAULT_NONE = 0,
    SW_REDIS_FAULT_DOWN,   /* cannot connect, I/O error, timeout, LOADING: retry */
    SW_REDIS_FAULT_DENIED  /* AUTH or SELECT refused, NOAUTH, WRONGPASS, NOPERM: fix the credentials */
} sw_redis_fault;

typedef struct {
    const sw_redis_target *target;
    int timeout_ms;
    redisContext *c;
    char err[512];  /* the last error, for logs */
    sw_redis_fault fault; /* of the last failure (NULL reply or failed connect) */
    uint64_t connects;  /* connections made so far: names the current one */
    int sentinel_at;    /* the Sentinel to ask first */
    int stale;          /* a READONLY reply: reconnect (rediscover) before the next command */
} sw_redis;

/* The fault an error reply's text stands for: DENIED for NOAUTH,
 * WRONGPASS and NOPERM (and ERR ... AUTH ...), DOWN for anything else. */
sw_redis_fault sw_redis_error_fault(const char *s, size_t n);

void sw_redis_init(sw_redis *r, const sw_redis_target *t, int timeout_ms);
void sw_redis_close(sw_redis *r);
/* Connects now if not connected; 0, or -1 with r->err. */
int sw_redis_connect(sw_redis *r);

/* Sends one command and waits for its reply.  NULL on an I/O error or a
 * timeout (r->err says which; the connection is dropped); an error reply
 * is returned as a reply of type REDIS_REPLY_ERROR.  Free with
 * freeReplyObject. */
redisReply *sw_redis_cmd(sw_redis *r, int argc, const char **argv, const size_t *lens);
/* Pipelining: sw_redis_append queues a command (0, or -1 with r->err);
 * sw_redis_reply reads the next queued reply (NULL as sw_redis_cmd, and
 * also when the connection was lost after the command was queued). */
int sw_redis_append(sw_redis *r, int argc, const char **argv, const size_t *lens);
redisReply *sw_redis_reply(sw_redis *r);
/* WAIT replicas timeout_ms: how many replicas have every write sent on
 * this connection so far, or -1 (r->err) when Redis failed. */
int sw_redis_wait(sw_redis *r, int replicas, int timeout_ms);
/* The same with NUL-terminated arguments, at most 16. */
redisReply *sw_redis_cmdv(sw_redis *r, const char *arg0, ...);

#endif

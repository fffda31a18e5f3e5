/* redis_url.h -- the --state target: where the Redis that holds the
 * checkpoints is and how to log in, parsed from a URL.  Pure (no I/O, no
 * hiredis), so that the CLI fuzzer covers it without a network library.
 *
 * URLs: redis://[[user]:password@]host[:port][/db],
 * unix:///path/to/redis.sock[?db=N] and
 * redis-sentinel://[[user]:password@]host[:port][,host[:port]...]/master[/db]
 * (Sentinels, 26379 by default, and the name of the primary they watch);
 * the password (of the data nodes) may instead come from the environment
 * (SESSIONWATCH_REDIS_PASSWORD), so it need not appear on a command line.
 * It is never printed: sw_redis_describe masks it.  Sentinels take no
 * password unless SESSIONWATCH_REDIS_SENTINEL_PASSWORD gives one. */
#ifndef SW_REDIS_URL_H
#define SW_REDIS_URL_H

#include <stddef.h>

#define SW_REDIS_PASSWORD_ENV "SESSIONWATCH_REDIS_PASSWORD"
#define SW_REDIS_SENTINEL_PASSWORD_ENV "SESSIONWATCH_REDIS_SENTINEL_PASSWORD"

typedef struct {
    char *host;     /* TCP host, or NULL for a unix socket */
    int port;       /* 6379 by default */
    char *socket;   /* unix socket path, or NULL */
    char *user;     /* ACL user, or NULL */
    char *password; /* NULL: none (or from the environment) */
    int db;
    /* redis-sentinel:// only (nsentinels > 0): where to ask, and what. */
    int nsentinels;
    char **sentinel_host;
    int *sentinel_port;
    char *master;            /* the name Sentinel knows the primary by */
    char *sentinel_password; /* from SESSIONWATCH_REDIS_SENTINEL_PASSWORD, or NULL */
} sw_redis_target;

/* 0, or -1 with a message naming what is wrong in err. */
int sw_redis_parse_url(const char *url, sw_redis_target *t, char *err, size_t errlen);
void sw_redis_target_free(sw_redis_target *t);
/* The target as a URL with the password masked (***). */
void sw_redis_describe(const sw_redis_target *t, char *out, size_t n);

#endif

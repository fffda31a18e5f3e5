/* scan.h -- reading a keyspace or a hash page by page, with SCAN and
 * HSCAN and their cursor: never KEYS or HGETALL, which block Redis for the
 * whole keyspace or hash and build one reply as big as it.  The worker
 * loads a partition's hashes with it (checkpoint.c), `state inspect`
 * lists partitions and searches users with it.
 *
 * The reader owns the cursor and the page's reply and checks the reply's
 * shape; what an error or a missing reply means is the caller's to say
 * (the worker classifies it, the operator command prints advice), so the
 * reader only reports which it was.  Redis may return a key or a field
 * more than once across pages: callers that care drop the duplicates. */
#ifndef SW_SCAN_H
#define SW_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "redis.h"

/* COUNT: how many keys or fields Redis looks at per page. */
#define SW_SCAN_COUNT "1000"

typedef enum {
    SW_SCAN_PAGE,     /* items: the page's keys (SCAN) or field, value, ... (HSCAN) */
    SW_SCAN_DONE,     /* the cursor came back to 0: every page was read */
    SW_SCAN_NO_REPLY, /* Redis unreachable or slow: r->err and r->fault say why */
    SW_SCAN_ERROR,    /* an error reply (WRONGTYPE, NOPERM, ...): in s->reply */
    SW_SCAN_MALFORMED /* a reply that is not a SCAN reply */
} sw_scan_status;

typedef struct {
    sw_redis *r;
    const char *key;   /* the hash (HSCAN), or NULL (SCAN) */
    size_t key_len;
    const char *match; /* the MATCH pattern, or NULL */
    size_t match_len;
    char cursor[32];
    bool started;
    redisReply *reply; /* the page being read (or the error reply) */
} sw_scan;

/* A scan of the keyspace (key NULL) or of the hash key, over the names
 * matching match (NULL: all).  key and match must outlive the scan. */
void sw_scan_init(sw_scan *s, sw_redis *r, const char *key, size_t key_len, const char *match, size_t match_len);
/* Reads the next page (the previous page's items are then gone). */
sw_scan_status sw_scan_next(sw_scan *s, const redisReply **items);
/* Frees the last reply; the scan may be dropped after it. */
void sw_scan_end(sw_scan *s);

#endif

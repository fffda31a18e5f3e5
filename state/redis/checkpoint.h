/* checkpoint.h -- one Kafka partition's window state in Redis: claiming
 * it, loading it on assign, and writing its changes (checkpoints).
 *
 * Layout.  Each (group, topic, partition) owns hashes that share the
 * Redis Cluster hash tag {group:topic:partition} (so one slot holds them
 * and one Lua script may touch all of them):
 *   sw:{G:T:P}:meta     version (SW_STATE_FORMAT), offset (the next input
 *                       offset to consume), owner (the claiming worker),
 *                       updated_ms (wall clock of the last checkpoint),
 *                       seq (checkpoints written, see Losses), rules_seq
 *                       (the seq of the last checkpoint in the rules
 *                       layout, see Rules), rules (the rule ids that
 *                       checkpoint wrote, each escaped as RULE below,
 *                       joined by ':'), extra (bytes the caller keeps
 *                       with the state, written by the same script:
 *                       run's stateful stage keeps its replay guard
 *                       there; absent when none)
 *   sw:{G:T:P}:tenants  tenant name -> tenant value (codec.h)
 *   sw:{G:T:P}:users    tenant %-escaped, 0x1F, actor id -> user value
 * '%', '{', '}', ':' and control bytes in G and T, and '%' and 0x1F in a
 * tenant name inside a user field, are written %XX, so names cannot collide
 * or break the hash tag.  keys.h builds and parses these names (for this
 * file and for `state inspect`); scan.h reads the hashes page by page.
 * Every key gets a TTL (state_ttl) refreshed by every checkpoint: the
 * state of a partition nobody checkpoints any more vanishes, and inside a
 * live partition the sweep's evictions delete keys as they fall behind
 * the watermark, so Redis holds the live window.
 *
 * Rules.  A checkpoint holds one or more stores (store.h): the built-in
 * seed engine's one store, unnamed, in the tenants and users keys above
 * (the built-in layout: exactly what earlier releases wrote), or, with
 * `run --rules`, one store per rule, named by its rule id, in
 *   sw:{G:T:P}:r:RULE:tenants, sw:{G:T:P}:r:RULE:users
 * (RULE escaped as G and T are; the rules layout), with one meta for all:
 * one offset, owner and seq per partition, and every rule's changes
 * written by the same script, all or nothing.  A checkpoint in the rules
 * layout also sets meta.rules_seq = seq and meta.rules to its rules, and
 * deletes the built-in layout's tenants and users keys; a checkpoint in
 * the built-in layout (this build without --rules, or an older build)
 * leaves both behind.  A rules-layout owner's claim deletes every rule
 * key the last checkpoint did not write, since it is older than that
 * checkpoint (a state is only ever the state at its offset): all of them
 * when meta.rules_seq is not meta.seq (the last checkpoint is in the
 * built-in layout; the next write is then a whole one), else those of
 * the rules meta.rules does not name (a rule added, or removed and added
 * again before its keys expired: it starts empty).  The keys of a rule
 * removed from the set are left to their TTL.
 *
 * Rolling upgrade.  With sw_ckpt_adopt_legacy, one named store (the seed
 * rule run by the rules engine) takes over the built-in layout's state in
 * that case: its tenants are loaded as they are (except the alert cap's
 * buckets when the rule's interval is not the built-in's 30 minutes: the
 * two count different buckets, so the rule's cap counts afresh), its users
 * with every session id prefixed by the given kind byte
 * (sw_codec_user_prefix_ids), and the next (whole) write moves them to
 * the rule's keys and deletes the built-in keys, in one script.  The other
 * way (a partition in the rules layout taken by a built-in owner) finds
 * no tenants and users keys: its windows start empty at the stored offset
 * (nothing is skipped or read twice), and the rule-qualified keys, which
 * it does not know, expire by their TTL (or are deleted by the next
 * rules-layout claim, as above).
 *
 * Consistency.  A checkpoint is one Lua script: the changed users, the
 * evicted ones, the changed tenants and the offset are applied together or
 * not at all (as far as Redis promises: run it with maxmemory-policy
 * noeviction), so the stored state is always exactly the state after
 * consuming everything before the stored offset.  The caller writes a
 * checkpoint only when no alert for a record before that offset is still
 * unacknowledged, and never commits a Kafka offset past the stored one.
 *
 * Fencing.  Claiming sets meta.owner to a token unique to this
 * assignment; a checkpoint whose token is no longer the owner fails with
 * SW_CKPT_FENCED and changes nothing, so a worker that lost its partition
 * without knowing (a stall, a network split) cannot overwrite the state of
 * the worker that took over.  A meta hash without an owner is fenced too.
 *
 * Losses.  Each write increments meta.seq and the owner remembers the seq
 * it last claimed or wrote.  A delta is applied only onto exactly that
 * state: when meta is gone (FLUSHALL, a restart without persistence, a
 * failover to a replica that never had it) or holds another seq (an older
 * copy: a lagging replica promoted, a restored backup), the write fails
 * with SW_CKPT_LOST and changes nothing, and the next write of this
 * checkpoint replaces the partition's keys with the whole store (a full
 * write, one script: all or nothing), re-creating meta with this owner. */
#ifndef SW_CHECKPOINT_H
#define SW_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "redis.h"
#include "store.h"

typedef enum {
    SW_CKPT_OK = 0,
    SW_CKPT_UNAVAILABLE, /* Redis unreachable, slow or failing: retry later */
    SW_CKPT_FENCED,      /* another worker claimed the partition */
    SW_CKPT_REFUSED,     /* the keys hold something else (another type, another format version) */
    SW_CKPT_LOST,        /* the stored state is gone or older than this owner's last write */
    SW_CKPT_NOMEM,
    SW_CKPT_DENIED       /* Redis refuses our credentials or permissions (AUTH, NOAUTH, NOPERM, SELECT) */
} sw_ckpt_status;

typedef struct {
    uint64_t users, tenants, deleted; /* written (checkpoint) or loaded, over every store */
    uint64_t adopted;                 /* load: users and tenants taken from the built-in layout */
    uint64_t corrupt;                 /* values that failed to decode (load: skipped) */
    uint64_t bytes;                   /* argument or reply bytes */
} sw_ckpt_stats;

typedef struct sw_ckpt sw_ckpt;

/* The checkpoint of partition `partition` of topic in group, in the
 * built-in layout (one unnamed store); owner is this assignment's fencing
 * token.  NULL when out of memory. */
sw_ckpt *sw_ckpt_new(const char *group, const char *topic, int32_t partition, const char *owner);
/* The same for n stores named names[0..n) (see Rules): n == 1 with
 * names[0] NULL is the built-in layout, else every name is a rule id
 * (the rules layout).  The load and write calls below take n stores in
 * this order. */
sw_ckpt *sw_ckpt_new_stores(const char *group, const char *topic, int32_t partition, const char *owner,
                            const char *const *names, size_t n);
void sw_ckpt_free(sw_ckpt *c);

/* Rules layout: store `store` takes over a checkpoint written in the
 * built-in layout, each session id with `kind` in front (Rolling upgrade). */
void sw_ckpt_adopt_legacy(sw_ckpt *c, size_t store, char kind);

/* The partition's key names (for error messages and tests): key 0 is
 * meta (SW_KEY_META), then each store's tenants and users (store 0's are
 * SW_KEY_TENANTS and SW_KEY_USERS), then, in the rules layout, the
 * built-in layout's tenants and users; NULL past the last. */
const char *sw_ckpt_key(const sw_ckpt *c, int which);
size_t sw_ckpt_keys(const sw_ckpt *c);

/* The redis-cli command that deletes this partition's keys on
 * target (host, port or socket, ACL user, database; never the password:
 * --askpass when there is one), shell-quoted, into out. */
void sw_ckpt_clear_hint(const sw_ckpt *c, const sw_redis_target *t, char *out, size_t n);

/* Claims the partition for this owner and reads where to resume:
 * *offset is the stored next offset, or -1 when Redis holds no checkpoint
 * (then any leftover state is deleted; in the rules layout, also the
 * rule-qualified keys older than the last checkpoint, see Rules).  err
 * gets the reason on failure. */
sw_ckpt_status sw_ckpt_claim(sw_ckpt *c, sw_redis *r, int64_t ttl_ms, int64_t *offset, char *err, size_t errlen);

/* Where a restored checkpoint offset stands against Kafka: the
 * partition's low and high watermarks and the group's committed offset
 * (negative: none).  Commits only ever follow checkpoints, so Kafka never
 * gets ahead of the checkpoint it came from; a lost commit leaves Kafka
 * behind, which is normal.  Checked in this order: */
typedef enum {
    SW_OFFSET_OK,            /* low <= ckpt <= high, committed <= ckpt: resume at the checkpoint */
    SW_OFFSET_BEYOND_END,    /* ckpt > high: the topic was deleted and recreated, or truncated */
    SW_OFFSET_KAFKA_AHEAD,   /* committed > ckpt: this state did not produce Kafka's commit */
    SW_OFFSET_NO_COMMIT,     /* Kafka has no commit for the group (deleted with the topic, reset) */
    SW_OFFSET_GAP            /* ckpt < low: retention deleted records before anyone read them */
} sw_offset_verdict;
sw_offset_verdict sw_ckpt_check_offset(int64_t ckpt, int64_t committed, int64_t low, int64_t high);
/* Why, in words (for logs). */
const char *sw_offset_verdict_reason(sw_offset_verdict v);

/* Throws away the claimed partition's state, keeping the claim: as if
 * Redis had held no checkpoint (used when the checkpoint is refused, so
 * that its keys are never merged into the fresh state).  Fenced like a
 * checkpoint. */
sw_ckpt_status sw_ckpt_discard(sw_ckpt *c, sw_redis *r, int64_t ttl_ms, char *err, size_t errlen);

/* Loads the claimed partition into empty stores s[0..n) (cursor by
 * cursor, never one big reply); values that do not decode are skipped and
 * counted.  sw_ckpt_load is the one-store case. */
sw_ckpt_status sw_ckpt_load_stores(sw_ckpt *c, sw_redis *r, sw_store *const *s, uint64_t id_seed,
                                   sw_ckpt_stats *st, char *err, size_t errlen);
sw_ckpt_status sw_ckpt_load(sw_ckpt *c, sw_redis *r, sw_store *s, uint64_t id_seed, sw_ckpt_stats *st,
                            char *err, size_t errlen);

/* meta.extra: what the last claim read (NULL, *len 0: none; valid until
 * the next claim or sw_ckpt_free), and what the next writes store with
 * the state, in the same script (p NULL: none, the field is deleted; p
 * must stay valid until each write is sent). */
const void *sw_ckpt_claimed_extra(const sw_ckpt *c, size_t *len);
void sw_ckpt_set_extra(sw_ckpt *c, const void *p, size_t len);

/* Writes what changed in the stores s[0..n) since the last successful
 * checkpoint (all of them after a loss) and the next offset, in one
 * script; on SW_CKPT_OK their change tracking is cleared.  sw_ckpt_write
 * is the one-store case. */
sw_ckpt_status sw_ckpt_write_stores(sw_ckpt *c, sw_redis *r, sw_store *const *s, int64_t next_offset,
                                    int64_t ttl_ms, sw_ckpt_stats *st, char *err, size_t errlen);
sw_ckpt_status sw_ckpt_write(sw_ckpt *c, sw_redis *r, sw_store *s, int64_t next_offset, int64_t ttl_ms,
                             sw_ckpt_stats *st, char *err, size_t errlen);
/* The same in two halves, so that one round trip serves the checkpoints
 * of many partitions: _send queues it on r, _recv reads its reply (in the
 * order sent).  The stores must not change in between. */
sw_ckpt_status sw_ckpt_write_send(sw_ckpt *c, sw_redis *r, sw_store *const *s, int64_t next_offset,
                                  int64_t ttl_ms, sw_ckpt_stats *st, char *err, size_t errlen);
sw_ckpt_status sw_ckpt_write_recv(sw_ckpt *c, sw_redis *r, sw_store *const *s, char *err, size_t errlen);

/* A cheap check of an idle partition (nothing to write): whether meta
 * still holds this owner's seq.  _send queues HMGET on r, _recv reads its
 * reply: SW_CKPT_LOST (and the next write is a full one) when meta is gone
 * or holds another seq under this owner; SW_CKPT_OK otherwise (another
 * owner is left to the next write, which is fenced). */
int sw_ckpt_probe_send(sw_ckpt *c, sw_redis *r);
sw_ckpt_status sw_ckpt_probe_recv(sw_ckpt *c, sw_redis *r, char *err, size_t errlen);

/* The seq this owner last claimed or wrote; whether the next write is a
 * full one (after SW_CKPT_LOST). */
int64_t sw_ckpt_seq(const sw_ckpt *c);
int sw_ckpt_full_pending(const sw_ckpt *c);

#endif

/* worker_dedup.c -- the stateful stage's guard against replays: an
 * internal record counted once, however often it is produced.
 *
 * Why.  A routing member that dies before committing its input leaves the
 * records after its last commit to the next owner, which routes them
 * again: their internal records reach the internal topics a second time,
 * and the stateful stage would count those events twice (a threshold
 * reached by one event seen twice: an alert scan never gives).
 *
 * How.  The records one input partition yields reach one internal
 * partition in their original offset order: one routing member owns the
 * input partition at a time, it produces through one idempotent producer
 * (ordered, no duplicates of its own), and a replay starts again from an
 * offset at or before the last one produced.  So per internal partition
 * and per ORIGINAL input partition (the record's source partition) it is
 * enough to keep the last original offset counted and the records already
 * counted at it (one input record yields up to SW_RENGINE_MAX_GROUPS
 * internal records per family, one per group, with different keys): a
 * record at an older offset, or at the same offset and already counted
 * (the same hash of key and bytes: routing is deterministic), is a
 * duplicate, counted in w->duplicates and skipped.
 *
 * Original offsets going backwards for another reason (the input topic
 * deleted and made again under the same group) look like a replay: they
 * are skipped as duplicates until they pass the last offset counted, and
 * a warning says so.  Recreating the input topic therefore needs a new
 * --group (or the group's state deleted), as the rest of the group's
 * offsets and state do.
 *
 * A record that does not decode, or whose source is not a Kafka partition
 * (a foreign producer), is never a duplicate here: the rules engine
 * rejects or runs it.  Two records that are identical byte for byte at
 * one offset (an array field listing one value twice: the same group
 * twice) count once; the local path would count that event twice.
 *
 * The table grows (allocates) only when a new original partition shows
 * up; past that, nothing on this path allocates.
 *
 * With --state redis:// the table is part of the internal partition's
 * checkpoint (checkpoint.h's meta.extra, written by the same script as
 * its windows, so the two always agree) and restored with it: a member
 * taking an internal partition over skips the replays its predecessor
 * counted.  Encoding: 'D' '1', then per original partition seen, u32
 * partition, i64 last offset, u8 n, n u64 hashes (little-endian).  A
 * stored table that does not decode is dropped with a warning (the
 * partition then counts replays, as without the guard). */
#include "worker_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define DEDUP_KEYS SW_RENGINE_MAX_GROUPS
#define DEDUP_SEED 0x5377646564757031ULL

typedef struct {
    int64_t offset;            /* the last original offset counted; -1 none */
    uint32_t n;                /* records counted at it */
    uint64_t seen[DEDUP_KEYS]; /* their hashes */
} origin;

struct part_dedup {
    origin *by_partition; /* indexed by original partition */
    int32_t cap;
    sw_buf encoded;       /* the last part_dedup_encode */
};

part_dedup *part_dedup_new(void) { return calloc(1, sizeof(part_dedup)); }

void part_dedup_free(part_dedup *d) {
    if (!d) return;
    free(d->by_partition);
    sw_buf_free(&d->encoded);
    free(d);
}

/* The origin entry of partition id, grown into place; NULL out of memory. */
static origin *origin_of(part_dedup *d, int32_t id) {
    if (id >= d->cap) {
        int32_t cap = d->cap ? d->cap : 8;
        while (cap <= id) cap *= 2;
        origin *n = realloc(d->by_partition, (size_t)cap * sizeof *n);
        if (!n) return NULL;
        for (int32_t i = d->cap; i < cap; i++) n[i] = (origin){.offset = -1};
        d->by_partition = n;
        d->cap = cap;
    }
    return &d->by_partition[id];
}

static bool counted_at(const origin *o, uint64_t h) {
    for (uint32_t i = 0; i < o->n; i++)
        if (o->seen[i] == h) return true;
    return false;
}

bool part_dedup_seen(worker *w, part *p, const char *key, size_t key_len, const char *rec, size_t len) {
    sw_irecord *r = w->irec;
    if (!r || sw_irecord_decode(r, rec, len) != SW_IREC_OK || !r->src.kafka) return false;
    if (r->src.partition < 0 || r->src.partition >= MAX_PARTITION || r->src.offset < 0) return false;
    origin *o = origin_of(p->dedup, r->src.partition);
    if (!o) return false; /* out of memory: counted, as without the guard */
    uint64_t h = sw_hash64(rec, len, sw_hash64(key ? key : "", key_len, DEDUP_SEED));
    bool dup = r->src.offset < o->offset || (r->src.offset == o->offset && counted_at(o, h));
    if (dup) {
        w->duplicates++;
        w->fam[w->run->topics[p->topic].family].replays++;
        if (r->src.offset < o->offset)
            worker_log_limited(w, "%s partition %" PRId32 ": an internal record of input partition %" PRId32
                               " offset %" PRId64 " after offset %" PRId64 ": a replay (skipped; or the input "
                               "topic was made again: then use a new --group)", p->topic_name, p->id,
                               r->src.partition, r->src.offset, o->offset);
        return true;
    }
    if (r->src.offset != o->offset) o->offset = r->src.offset, o->n = 0;
    if (o->n < DEDUP_KEYS) o->seen[o->n++] = h;
    else memmove(o->seen, o->seen + 1, (DEDUP_KEYS - 1) * sizeof *o->seen), o->seen[DEDUP_KEYS - 1] = h;
    return false;
}

/* ---- the checkpoint's copy -------------------------------------------------- */

static void put_le(sw_buf *b, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) sw_buf_putc(b, (char)(v >> (8 * i)));
}

static uint64_t get_le(const unsigned char *p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

const void *part_dedup_encode(part_dedup *d, size_t *len) {
    sw_buf *b = &d->encoded;
    sw_buf_reset(b);
    sw_buf_put(b, "D1", 2);
    for (int32_t i = 0; i < d->cap; i++) {
        const origin *o = &d->by_partition[i];
        if (o->offset < 0) continue;
        put_le(b, (uint32_t)i, 4);
        put_le(b, (uint64_t)o->offset, 8);
        put_le(b, o->n, 1);
        for (uint32_t k = 0; k < o->n; k++) put_le(b, o->seen[k], 8);
    }
    *len = b->oom ? 0 : b->len;
    return b->oom ? NULL : b->p;
}

static void clear(part_dedup *d) {
    for (int32_t i = 0; i < d->cap; i++) d->by_partition[i] = (origin){.offset = -1};
}

/* The entries of s[0 .. len) (after the magic) into d; -1 at the first
 * that is out of bounds or cut short. */
static int decode_entries(part_dedup *d, const unsigned char *s, const unsigned char *end) {
    while (s < end) {
        if (end - s < 13) return -1;
        uint32_t id = (uint32_t)get_le(s, 4);
        int64_t off = (int64_t)get_le(s + 4, 8);
        uint32_t n = s[12];
        s += 13;
        if (id >= MAX_PARTITION || off < 0 || n > DEDUP_KEYS || (size_t)(end - s) < 8u * n) return -1;
        origin *o = origin_of(d, (int32_t)id);
        if (!o) return -1;
        o->offset = off;
        o->n = n;
        for (uint32_t k = 0; k < n; k++, s += 8) o->seen[k] = get_le(s, 8);
    }
    return 0;
}

int part_dedup_decode(part_dedup *d, const void *p, size_t len) {
    const unsigned char *s = p;
    clear(d);
    if (len == 0) return 0;
    if (len < 2 || memcmp(s, "D1", 2) != 0 || decode_entries(d, s + 2, s + len) != 0) {
        clear(d);
        return -1;
    }
    return 0;
}

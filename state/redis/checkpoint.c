/* checkpoint.c -- see checkpoint.h. */
#include "checkpoint.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "keys.h"
#include "scan.h"

#define LUA_BATCH "500" /* fields per HSET / HDEL inside the scripts */

/* The scripts' first step: refuse (before any write) a key that holds
 * something other than a hash, so foreign data is never overwritten. */
#define LUA_REFUSE_NON_HASH                                                                     \
    "for _, k in ipairs(KEYS) do\n"                                                               \
    "  local t = redis.call('TYPE', k).ok\n"                                                      \
    "  if t ~= 'none' and t ~= 'hash' then\n"                                                     \
    "    return redis.error_reply('REFUSED ' .. k .. ' holds a ' .. t .. ', not sessionwatch state')\n" \
    "  end\n"                                                                                      \
    "end\n"

/* KEYS: meta tenants users.  ARGV: owner, version, ttl_ms.  Returns
 * {offset, previous owner, updated_ms, seq} as they were before the claim. */
static const char CLAIM_LUA[] =
    LUA_REFUSE_NON_HASH
    "local v = redis.call('HGET', KEYS[1], 'version')\n"
    "if v and v ~= ARGV[2] then\n"
    "  return redis.error_reply('REFUSED ' .. KEYS[1] .. ' has state format version ' .. v ..\n"
    "                           ', this build reads version ' .. ARGV[2])\n"
    "end\n"
    "local prev = redis.call('HMGET', KEYS[1], 'offset', 'owner', 'updated_ms', 'seq')\n"
    "if not prev[1] then redis.call('DEL', KEYS[2], KEYS[3]) end\n"
    "redis.call('HSET', KEYS[1], 'owner', ARGV[1])\n"
    "for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[3]) end\n"
    "return prev\n";

/* KEYS: meta tenants users.  ARGV: owner, ttl_ms.  Deletes the state and
 * keeps the claim (meta holds only the owner). */
static const char DISCARD_LUA[] =
    "local owner = redis.call('HGET', KEYS[1], 'owner')\n"
    "if owner and owner ~= ARGV[1] then\n"
    "  return redis.error_reply('FENCED ' .. KEYS[1] .. ' was claimed by ' .. owner)\n"
    "end\n"
    "redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])\n"
    "redis.call('HSET', KEYS[1], 'owner', ARGV[1])\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
    "return 'OK'\n";

/* KEYS: meta tenants users.  ARGV: owner, version, offset, ttl_ms, now_ms,
 * ndel, nusers, ntenants, seq (the one this owner last saw: claimed or
 * wrote), full (1: the whole partition, replacing what is stored), then
 * the deleted user fields, the user field/value pairs and the tenant
 * field/value pairs.  Returns the new seq. */
static const char WRITE_LUA[] =
    /* Every check before the first write: Redis does not roll a script back. */
    LUA_REFUSE_NON_HASH
    "local exists = redis.call('EXISTS', KEYS[1]) == 1\n"
    "local owner = redis.call('HGET', KEYS[1], 'owner')\n"
    /* A meta without an owner is fenced too: only a missing meta is a loss. */
    "if exists and owner ~= ARGV[1] then\n"
    "  return redis.error_reply('FENCED ' .. KEYS[1] .. ' was claimed by ' .. (owner or 'nobody'))\n"
    "end\n"
    "local v = redis.call('HGET', KEYS[1], 'version')\n"
    "if v and v ~= ARGV[2] then\n"
    "  return redis.error_reply('REFUSED ' .. KEYS[1] .. ' has state format version ' .. v)\n"
    "end\n"
    "local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0') or 0\n"
    "local full = ARGV[10] == '1'\n"
    "if not full then\n"
    "  if not exists then\n"
    "    return redis.error_reply('LOST ' .. KEYS[1] .. ' is gone (Redis flushed, restarted empty or failed over)')\n"
    "  end\n"
    "  if seq ~= tonumber(ARGV[9]) then\n"
    "    return redis.error_reply('LOST ' .. KEYS[1] .. ' holds checkpoint ' .. seq .. ', this owner wrote ' ..\n"
    "                             ARGV[9] .. ' (an older copy: a lagging replica promoted, or a restore)')\n"
    "  end\n"
    "else\n"
    "  redis.call('DEL', KEYS[2], KEYS[3])\n"
    "  seq = math.max(seq, tonumber(ARGV[9]))\n"
    "end\n"
    "seq = seq + 1\n"
    "local i = 11\n"
    "local function batch(cmd, key, n, width)\n"
    "  local done = 0\n"
    "  while done < n do\n"
    "    local m = math.min(n - done, " LUA_BATCH ")\n"
    "    redis.call(cmd, key, unpack(ARGV, i, i + m * width - 1))\n"
    "    i = i + m * width\n"
    "    done = done + m\n"
    "  end\n"
    "end\n"
    "batch('HDEL', KEYS[3], tonumber(ARGV[6]), 1)\n"
    "batch('HSET', KEYS[3], tonumber(ARGV[7]), 2)\n"
    "batch('HSET', KEYS[2], tonumber(ARGV[8]), 2)\n"
    "redis.call('HSET', KEYS[1], 'version', ARGV[2], 'offset', ARGV[3], 'updated_ms', ARGV[5], 'owner', ARGV[1],\n"
    "           'seq', seq)\n"
    "for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[4]) end\n"
    "return seq\n";

typedef struct {
    size_t off, len;
} arg;

struct sw_ckpt {
    char *key[SW_KEY_COUNT];
    char *owner;
    /* The arguments of the last write, reused: their bytes in buf. */
    char *buf;
    size_t len, cap;
    arg *args;
    size_t nargs, args_cap;
    const char **argv;
    size_t *lens;
    size_t argv_cap;
    int oom;
    int64_t seq;  /* the checkpoint sequence number this owner last claimed or wrote */
    int full;     /* the next write rewrites the whole partition (after a loss) */
};

/* ---- names (keys.h) ------------------------------------------------------ */

sw_ckpt *sw_ckpt_new(const char *group, const char *topic, int32_t partition, const char *owner) {
    sw_ckpt *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (sw_keys_new(group, topic, partition, c->key) != 0 || !(c->owner = strdup(owner))) {
        sw_ckpt_free(c);
        return NULL;
    }
    return c;
}

void sw_ckpt_free(sw_ckpt *c) {
    if (!c) return;
    sw_keys_free(c->key);
    void *owned[] = {c->owner, c->buf, c->args, c->argv, c->lens, c};
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++) free(owned[i]);
}

const char *sw_ckpt_key(const sw_ckpt *c, int which) {
    return which >= 0 && which < SW_KEY_COUNT ? c->key[which] : NULL;
}

/* ---- replies ------------------------------------------------------------- */

/* Maps an error reply to a status: the scripts start their refusals with
 * a word saying which. */
static sw_ckpt_status reply_error(const redisReply *rep, const char *what, char *err, size_t errlen) {
    const char *s = rep->str ? rep->str : "";
    int n = (int)(rep->str ? rep->len : 0);
    sw_ckpt_status st = SW_CKPT_UNAVAILABLE;
    if (strstr(s, "FENCED")) st = SW_CKPT_FENCED;
    else if (strncmp(s, "LOST ", 5) == 0) st = SW_CKPT_LOST;
    else if (strstr(s, "REFUSED") || strstr(s, "WRONGTYPE")) st = SW_CKPT_REFUSED;
    else if (sw_redis_error_fault(s, (size_t)n) == SW_REDIS_FAULT_DENIED) st = SW_CKPT_DENIED;
    snprintf(err, errlen, "%s: %.*s", what, n > 400 ? 400 : n, s);
    return st;
}

static sw_ckpt_status no_reply(const sw_redis *r, const char *what, char *err, size_t errlen) {
    snprintf(err, errlen, "%s: %s", what, r->err);
    return r->fault == SW_REDIS_FAULT_DENIED ? SW_CKPT_DENIED : SW_CKPT_UNAVAILABLE;
}

/* Appends to a refusal how to clear it. */
static void append_hint(const sw_ckpt *c, const sw_redis *r, char *err, size_t errlen) {
    char hint[1200];
    sw_ckpt_clear_hint(c, r->target, hint, sizeof hint);
    size_t k = strlen(err);
    if (k < errlen) snprintf(err + k, errlen - k, "; to start the partition afresh (empty windows, from the "
                             "group's committed offset) delete its state: %s", hint);
}

/* s in single quotes for a POSIX shell ('\'' for a quote); 0 when it does not fit. */
static size_t shell_quote(const char *s, char *out, size_t n) {
    size_t k = 0;
    if (n < 3) return 0;
    out[k++] = '\'';
    for (; *s; s++) {
        if (k + 6 >= n) return 0;
        if (*s == '\'') {
            memcpy(out + k, "'\\''", 4);
            k += 4;
        } else {
            out[k++] = *s;
        }
    }
    out[k++] = '\'';
    out[k] = '\0';
    return k;
}

void sw_ckpt_clear_hint(const sw_ckpt *c, const sw_redis_target *t, char *out, size_t n) {
    char q[4][600];
    int ok = shell_quote(t->socket ? t->socket : t->host ? t->host : "", q[3], sizeof q[3]) != 0;
    for (int i = 0; i < 3; i++) ok &= shell_quote(c->key[i], q[i], sizeof q[i]) != 0;
    if (!ok) {
        snprintf(out, n, "redis-cli DEL on the partition's meta, tenants and users keys");
        return;
    }
    char where[700], user[300] = "";
    if (t->socket) snprintf(where, sizeof where, "-s %s", q[3]);
    else snprintf(where, sizeof where, "-h %s -p %d", q[3], t->port);
    if (t->user) {
        char qu[260];
        if (shell_quote(t->user, qu, sizeof qu)) snprintf(user, sizeof user, " --user %s", qu);
    }
    snprintf(out, n, "redis-cli %s%s%s -n %d DEL %s %s %s", where, user, t->password ? " --askpass" : "", t->db,
             q[0], q[1], q[2]);
}

static int reply_int64(const redisReply *e, int64_t *v) {
    if (!e || e->type != REDIS_REPLY_STRING || e->len == 0 || e->len > 19) return -1;
    int64_t x = 0;
    for (size_t i = 0; i < e->len; i++) {
        int d = e->str[i] - '0';
        if (d < 0 || d > 9 || x > (INT64_MAX - d) / 10) return -1;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

/* ---- claim and load ------------------------------------------------------ */

sw_ckpt_status sw_ckpt_claim(sw_ckpt *c, sw_redis *r, int64_t ttl_ms, int64_t *offset, char *err, size_t errlen) {
    char version[8], ttl[24];
    snprintf(version, sizeof version, "%d", SW_STATE_FORMAT);
    snprintf(ttl, sizeof ttl, "%" PRId64, ttl_ms);
    redisReply *rep = sw_redis_cmdv(r, "EVAL", CLAIM_LUA, "3", c->key[0], c->key[1], c->key[2], c->owner, version,
                                    ttl, (const char *)NULL);
    if (!rep) return no_reply(r, "claiming the partition's state", err, errlen);
    sw_ckpt_status st = SW_CKPT_OK;
    c->seq = 0; /* none yet (a state an older build wrote has none either) */
    c->full = 0;
    if (rep->type == REDIS_REPLY_ERROR) {
        st = reply_error(rep, "claiming the partition's state", err, errlen);
    } else if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 4) {
        snprintf(err, errlen, "claiming the partition's state: unexpected reply from Redis");
        st = SW_CKPT_UNAVAILABLE;
    } else if (rep->element[3]->type != REDIS_REPLY_NIL && reply_int64(rep->element[3], &c->seq) != 0) {
        snprintf(err, errlen, "%s: seq is not a checkpoint number; delete the partition's state with "
                 "redis-cli DEL '%s' '%s' '%s' to start it afresh", c->key[0], c->key[0], c->key[1], c->key[2]);
        st = SW_CKPT_REFUSED;
    } else if (rep->element[0]->type == REDIS_REPLY_NIL) {
        *offset = -1;
    } else if (reply_int64(rep->element[0], offset) != 0) {
        snprintf(err, errlen, "%s: offset is not a Kafka offset", c->key[0]);
        st = SW_CKPT_REFUSED;
    }
    freeReplyObject(rep);
    if (st == SW_CKPT_REFUSED) append_hint(c, r, err, errlen);
    return st;
}

sw_offset_verdict sw_ckpt_check_offset(int64_t ckpt, int64_t committed, int64_t low, int64_t high) {
    if (ckpt > high) return SW_OFFSET_BEYOND_END;
    if (committed >= 0 && committed > ckpt) return SW_OFFSET_KAFKA_AHEAD;
    if (committed < 0) return SW_OFFSET_NO_COMMIT;
    if (ckpt < low) return SW_OFFSET_GAP;
    return SW_OFFSET_OK;
}

const char *sw_offset_verdict_reason(sw_offset_verdict v) {
    switch (v) {
    case SW_OFFSET_OK: return "it agrees with Kafka";
    case SW_OFFSET_BEYOND_END: return "it is past the partition's end: the topic was deleted and recreated, or "
                                      "truncated";
    case SW_OFFSET_KAFKA_AHEAD: return "Kafka's committed offset is past it, and commits only follow checkpoints: "
                                       "this state is not the one that produced the commit (another topic "
                                       "incarnation, another Redis, or Redis lost writes)";
    case SW_OFFSET_NO_COMMIT: return "Kafka has no committed offset for the group: the topic was deleted and "
                                     "recreated (Kafka drops its commits), the group's offsets were deleted or "
                                     "expired, or this Redis holds another cluster's state";
    case SW_OFFSET_GAP: return "it is before the partition's start: retention deleted records before they were read";
    }
    return "?";
}

sw_ckpt_status sw_ckpt_discard(sw_ckpt *c, sw_redis *r, int64_t ttl_ms, char *err, size_t errlen) {
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%" PRId64, ttl_ms);
    redisReply *rep = sw_redis_cmdv(r, "EVAL", DISCARD_LUA, "3", c->key[0], c->key[1], c->key[2], c->owner, ttl,
                                    (const char *)NULL);
    if (!rep) return no_reply(r, "discarding the partition's state", err, errlen);
    sw_ckpt_status st = rep->type == REDIS_REPLY_ERROR ? reply_error(rep, "discarding the partition's state", err, errlen)
                                                       : SW_CKPT_OK;
    freeReplyObject(rep);
    /* Meta now holds only the owner (no seq): the next write is a whole
     * one, which a delta's loss check would otherwise take for a loss. */
    if (st == SW_CKPT_OK) c->full = 1;
    return st;
}

typedef sw_ckpt_status (*pair_fn)(void *ud, const char *f, size_t fn, const char *v, size_t vn);

/* HSCANs key, calling fn for every field/value pair. */
static sw_ckpt_status scan_hash(sw_redis *r, const char *key, pair_fn fn, void *ud, sw_ckpt_stats *st,
                                char *err, size_t errlen) {
    static const char what[] = "loading the partition's state";
    sw_scan sc;
    sw_scan_init(&sc, r, key, strlen(key), NULL, 0);
    const redisReply *kv;
    sw_ckpt_status s = SW_CKPT_OK;
    sw_scan_status ss;
    while (s == SW_CKPT_OK && (ss = sw_scan_next(&sc, &kv)) != SW_SCAN_DONE) {
        if (ss == SW_SCAN_NO_REPLY) return no_reply(r, what, err, errlen);
        if (ss == SW_SCAN_ERROR) {
            s = reply_error(sc.reply, what, err, errlen);
            break;
        }
        if (ss == SW_SCAN_MALFORMED || kv->elements % 2) {
            snprintf(err, errlen, "%s: unexpected HSCAN reply", what);
            s = SW_CKPT_UNAVAILABLE;
            break;
        }
        for (size_t i = 0; i + 1 < kv->elements && s == SW_CKPT_OK; i += 2) {
            const redisReply *f = kv->element[i], *v = kv->element[i + 1];
            if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
                st->corrupt++;
                continue;
            }
            st->bytes += f->len + v->len;
            s = fn(ud, f->str, f->len, v->str, v->len);
        }
        if (s != SW_CKPT_OK) snprintf(err, errlen, "%s: out of memory", what);
    }
    sw_scan_end(&sc);
    return s;
}

typedef struct {
    sw_store *s;
    uint64_t id_seed;
    sw_ckpt_stats *st;
    char *tenant; /* scratch, as long as the longest field */
    size_t tenant_cap;
} loader;

static sw_ckpt_status load_tenant(void *ud, const char *f, size_t fn, const char *v, size_t vn) {
    loader *l = ud;
    int over_budget;
    sw_tenant *t = sw_store_tenant_get(l->s, f, fn, &over_budget);
    if (!t) return over_budget ? SW_CKPT_OK : SW_CKPT_NOMEM; /* over --max-tenants: not restored (tenants_refused) */
    if (sw_codec_tenant_decode(l->s, t, v, vn) == SW_CODEC_OK) l->st->tenants++;
    else l->st->corrupt++;
    t->dirty = 0;
    return SW_CKPT_OK;
}

static sw_ckpt_status load_user(void *ud, const char *f, size_t fn, const char *v, size_t vn) {
    loader *l = ud;
    if (fn > l->tenant_cap) {
        char *b = realloc(l->tenant, fn);
        if (!b) return SW_CKPT_NOMEM;
        l->tenant = b;
        l->tenant_cap = fn;
    }
    size_t tn, an;
    const char *actor;
    if (sw_key_user_field_split(f, fn, l->tenant, &tn, &actor, &an) != 0) {
        l->st->corrupt++;
        return SW_CKPT_OK;
    }
    int over_budget;
    sw_tenant *t = sw_store_tenant_get(l->s, l->tenant, tn, &over_budget);
    if (!t && over_budget) return SW_CKPT_OK; /* its tenant is over --max-tenants: not restored */
    sw_user *u = t ? sw_store_user(l->s, t, actor, an) : NULL;
    if (!u) return SW_CKPT_NOMEM;
    sw_window_clear(u, &l->s->slab);
    sw_window_init(u);
    switch (sw_codec_user_decode(u, &l->s->slab, v, vn, l->id_seed)) {
    case SW_CODEC_OK: l->st->users++; break;
    case SW_CODEC_CORRUPT: l->st->corrupt++; break; /* the key stays, empty: as if never seen */
    case SW_CODEC_NOMEM: return SW_CKPT_NOMEM;
    }
    return SW_CKPT_OK;
}

sw_ckpt_status sw_ckpt_load(sw_ckpt *c, sw_redis *r, sw_store *s, uint64_t id_seed, sw_ckpt_stats *st,
                            char *err, size_t errlen) {
    memset(st, 0, sizeof *st);
    loader l = {.s = s, .id_seed = id_seed, .st = st};
    /* Tenants first: their watermarks decide which users are stale. */
    sw_ckpt_status rc = scan_hash(r, c->key[1], load_tenant, &l, st, err, errlen);
    if (rc == SW_CKPT_OK) rc = scan_hash(r, c->key[2], load_user, &l, st, err, errlen);
    free(l.tenant);
    if (rc == SW_CKPT_REFUSED) append_hint(c, r, err, errlen);
    return rc;
}

/* ---- write --------------------------------------------------------------- */

static char *arg_space(sw_ckpt *c, size_t n) {
    if (c->oom) return NULL;
    if (c->nargs == c->args_cap) {
        size_t cap = c->args_cap ? c->args_cap * 2 : 256;
        arg *a = realloc(c->args, cap * sizeof *a);
        if (!a) {
            c->oom = 1;
            return NULL;
        }
        c->args = a;
        c->args_cap = cap;
    }
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : 65536;
        while (cap < c->len + n) cap *= 2;
        char *b = realloc(c->buf, cap);
        if (!b) {
            c->oom = 1;
            return NULL;
        }
        c->buf = b;
        c->cap = cap;
    }
    c->args[c->nargs++] = (arg){c->len, n};
    c->len += n;
    return c->buf + c->len - n;
}

static void arg_str(sw_ckpt *c, const char *s) {
    char *o = arg_space(c, strlen(s));
    if (o) memcpy(o, s, strlen(s));
}

static void arg_i64(sw_ckpt *c, int64_t v) {
    char b[24];
    snprintf(b, sizeof b, "%" PRId64, v);
    arg_str(c, b);
}

/* The user field of a table key (tenant index + actor id). */
static void arg_user_field(sw_ckpt *c, const sw_store *s, const char *key, uint32_t len) {
    uint32_t ti;
    memcpy(&ti, key, 4);
    const sw_tenant *t = sw_store_tenant_at(s, ti);
    size_t tn = t ? t->k.key_len : 0, an = len - 4;
    char *o = arg_space(c, 3 * tn + 1 + an);
    if (!o) return;
    size_t n = sw_key_user_field(t ? t->k.key : "", tn, key + 4, an, o, 3 * tn + 1 + an);
    c->len -= 3 * tn + 1 + an - n; /* give back what escaping did not use */
    c->args[c->nargs - 1].len = n;
}

typedef struct {
    sw_ckpt *c;
    const sw_store *s;
    int pass; /* 0: gone keys, 1: users */
    uint64_t n;
} writer;

/* Every user of s (a full write), as add_change's pass 1. */
static void add_all_users(writer *w) {
    for (uint32_t i = 0; i < w->s->users.count; i++) {
        const sw_user *u = sw_table_at(&w->s->users, i);
        arg_user_field(w->c, w->s, u->k.key, u->k.key_len);
        char *o = arg_space(w->c, sw_codec_user_size(u));
        if (o) sw_codec_user_encode(u, o);
        w->n++;
    }
}

static void add_change(void *ud, const sw_user *u, const char *gone, uint32_t gone_len) {
    writer *w = ud;
    if (w->pass == 0 && !u) {
        arg_user_field(w->c, w->s, gone, gone_len);
        w->n++;
    } else if (w->pass == 1 && u) {
        arg_user_field(w->c, w->s, u->k.key, u->k.key_len);
        char *o = arg_space(w->c, sw_codec_user_size(u));
        if (o) sw_codec_user_encode(u, o);
        w->n++;
    }
}

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sw_ckpt_status sw_ckpt_write_send(sw_ckpt *c, sw_redis *r, sw_store *s, int64_t next_offset, int64_t ttl_ms,
                                  sw_ckpt_stats *st, char *err, size_t errlen) {
    memset(st, 0, sizeof *st);
    c->len = c->nargs = 0;
    c->oom = 0;
    arg_str(c, "EVAL");
    arg_str(c, WRITE_LUA);
    arg_str(c, "3");
    for (int i = 0; i < 3; i++) arg_str(c, c->key[i]);
    arg_str(c, c->owner);
    arg_i64(c, SW_STATE_FORMAT);
    arg_i64(c, next_offset);
    arg_i64(c, ttl_ms);
    arg_i64(c, wall_ms());
    size_t counts = c->nargs; /* ndel, nusers, ntenants: filled in below */
    arg_str(c, "0");
    arg_str(c, "0");
    arg_str(c, "0");
    arg_i64(c, c->seq);
    arg_str(c, c->full ? "1" : "0");
    writer w = {.c = c, .s = s};
    if (!c->full) sw_store_changes(s, add_change, &w);
    st->deleted = w.n;
    w.pass = 1;
    w.n = 0;
    if (c->full) add_all_users(&w);
    else sw_store_changes(s, add_change, &w);
    st->users = w.n;
    for (uint32_t i = 0; i < s->tenants.count; i++) {
        const sw_tenant *t = sw_store_tenant_at(s, i);
        if (!t->dirty && !c->full) continue;
        char *o = arg_space(c, t->k.key_len);
        if (o) memcpy(o, t->k.key, t->k.key_len);
        o = arg_space(c, sw_codec_tenant_size(t));
        if (o) sw_codec_tenant_encode(t, o);
        st->tenants++;
    }
    if (c->oom) {
        snprintf(err, errlen, "checkpoint: out of memory");
        return SW_CKPT_NOMEM;
    }
    /* The three counts, now known: appended, then moved into the slots
     * reserved for them above. */
    uint64_t n3[3] = {st->deleted, st->users, st->tenants};
    for (int i = 0; i < 3; i++) {
        char b[24];
        int k = snprintf(b, sizeof b, "%" PRIu64, n3[i]);
        char *o = arg_space(c, (size_t)k);
        if (!o) break;
        memcpy(o, b, (size_t)k);
        c->args[counts + (size_t)i] = c->args[--c->nargs];
    }
    if (c->nargs > c->argv_cap) {
        const char **av = realloc(c->argv, c->nargs * sizeof *av);
        size_t *lv = av ? realloc(c->lens, c->nargs * sizeof *lv) : NULL;
        if (av) c->argv = av;
        if (lv) c->lens = lv;
        if (!av || !lv) c->oom = 1;
        else c->argv_cap = c->nargs;
    }
    if (c->oom || c->nargs > INT32_MAX) {
        snprintf(err, errlen, "checkpoint: out of memory");
        return SW_CKPT_NOMEM;
    }
    for (size_t i = 0; i < c->nargs; i++) {
        c->argv[i] = c->buf + c->args[i].off;
        c->lens[i] = c->args[i].len;
    }
    st->bytes = c->len;
    if (sw_redis_append(r, (int)c->nargs, c->argv, c->lens) != 0) return no_reply(r, "checkpoint", err, errlen);
    return SW_CKPT_OK;
}

sw_ckpt_status sw_ckpt_write_recv(sw_ckpt *c, sw_redis *r, sw_store *s, char *err, size_t errlen) {
    redisReply *rep = sw_redis_reply(r);
    if (!rep) return no_reply(r, "checkpoint", err, errlen);
    sw_ckpt_status rc = SW_CKPT_OK;
    if (rep->type == REDIS_REPLY_ERROR) {
        rc = reply_error(rep, "checkpoint", err, errlen);
    } else if (rep->type != REDIS_REPLY_INTEGER || rep->integer <= c->seq) {
        snprintf(err, errlen, "checkpoint: unexpected reply from Redis");
        rc = SW_CKPT_UNAVAILABLE;
    } else {
        c->seq = rep->integer;
    }
    freeReplyObject(rep);
    /* After a loss only the whole partition may be written: a delta onto
     * nothing (or onto an older copy) would store a partial state. */
    if (rc == SW_CKPT_LOST) c->full = 1;
    if (rc == SW_CKPT_OK) {
        c->full = 0;
        sw_store_tracked_clear(s);
    }
    return rc;
}

/* ---- probe --------------------------------------------------------------- */

int sw_ckpt_probe_send(sw_ckpt *c, sw_redis *r) {
    const char *a[] = {"HMGET", c->key[0], "seq", "owner"};
    return sw_redis_append(r, 4, a, NULL);
}

sw_ckpt_status sw_ckpt_probe_recv(sw_ckpt *c, sw_redis *r, char *err, size_t errlen) {
    redisReply *rep = sw_redis_reply(r);
    if (!rep) return no_reply(r, "checking the partition's state", err, errlen);
    sw_ckpt_status rc = SW_CKPT_OK;
    if (rep->type == REDIS_REPLY_ERROR) {
        rc = reply_error(rep, "checking the partition's state", err, errlen);
    } else if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
        snprintf(err, errlen, "checking the partition's state: unexpected reply from Redis");
        rc = SW_CKPT_UNAVAILABLE;
    } else if (rep->element[1]->type != REDIS_REPLY_STRING) {
        /* No owner: meta is gone (or holds no owner, which the write fences). */
        if (rep->element[0]->type == REDIS_REPLY_NIL) {
            snprintf(err, errlen, "%s is gone (Redis flushed, restarted empty or failed over)", c->key[0]);
            rc = SW_CKPT_LOST;
        }
    } else if (rep->element[1]->len == strlen(c->owner) && memcmp(rep->element[1]->str, c->owner, rep->element[1]->len) == 0) {
        int64_t seq = 0; /* none: 0, as the write script reads it */
        if (rep->element[0]->type != REDIS_REPLY_NIL && reply_int64(rep->element[0], &seq) != 0) seq = -1;
        if (seq != c->seq) {
            snprintf(err, errlen, "%s holds checkpoint %" PRId64 ", this owner wrote %" PRId64
                     " (an older copy: a lagging replica promoted, or a restore)", c->key[0], seq, c->seq);
            rc = SW_CKPT_LOST;
        }
    }
    /* Another owner: the next write says FENCED. */
    freeReplyObject(rep);
    if (rc == SW_CKPT_LOST) c->full = 1;
    return rc;
}

int64_t sw_ckpt_seq(const sw_ckpt *c) { return c->seq; }
int sw_ckpt_full_pending(const sw_ckpt *c) { return c->full; }

sw_ckpt_status sw_ckpt_write(sw_ckpt *c, sw_redis *r, sw_store *s, int64_t next_offset, int64_t ttl_ms,
                             sw_ckpt_stats *st, char *err, size_t errlen) {
    sw_ckpt_status rc = sw_ckpt_write_send(c, r, s, next_offset, ttl_ms, st, err, errlen);
    return rc == SW_CKPT_OK ? sw_ckpt_write_recv(c, r, s, err, errlen) : rc;
}

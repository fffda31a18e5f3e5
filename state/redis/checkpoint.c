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

/* KEYS: meta, then every state key (sw_ckpt.key).  ARGV: owner, version,
 * ttl_ms, nrule (how many of the state keys, from KEYS[2] on, are
 * rule-qualified: 0 in the built-in layout), then in the rules layout each
 * store's rule id, escaped (as in meta.rules).  Deletes the rule keys that
 * the last checkpoint did not write: all of them when it is in the
 * built-in layout, else those of rules meta.rules does not name (a rule
 * added, or removed and added again: its keys are older than the
 * checkpoint).  Returns {offset, previous owner, updated_ms, seq,
 * rules_seq, rules, extra} as they were before the claim. */
static const char CLAIM_LUA[] =
    LUA_REFUSE_NON_HASH
    "local v = redis.call('HGET', KEYS[1], 'version')\n"
    "if v and v ~= ARGV[2] then\n"
    "  return redis.error_reply('REFUSED ' .. KEYS[1] .. ' has state format version ' .. v ..\n"
    "                           ', this build reads version ' .. ARGV[2])\n"
    "end\n"
    "local prev = redis.call('HMGET', KEYS[1], 'offset', 'owner', 'updated_ms', 'seq', 'rules_seq', 'rules', 'extra')\n"
    "local nrule = tonumber(ARGV[4])\n"
    "if not prev[1] then\n"
    "  redis.call('DEL', unpack(KEYS, 2))\n"
    "elseif nrule > 0 then\n"
    "  local written = {}\n"
    "  if prev[5] and prev[5] == prev[4] and prev[6] then\n"
    "    for id in string.gmatch(prev[6], '[^:]+') do written[id] = true end\n"
    "  end\n"
    "  for s = 0, nrule / 2 - 1 do\n"
    "    if not written[ARGV[5 + s]] then redis.call('DEL', KEYS[2 + 2 * s], KEYS[3 + 2 * s]) end\n"
    "  end\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'owner', ARGV[1])\n"
    "for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[3]) end\n"
    "return prev\n";

/* KEYS: as CLAIM_LUA.  ARGV: owner, ttl_ms.  Deletes the state and keeps
 * the claim (meta holds only the owner). */
static const char DISCARD_LUA[] =
    "local owner = redis.call('HGET', KEYS[1], 'owner')\n"
    "if owner and owner ~= ARGV[1] then\n"
    "  return redis.error_reply('FENCED ' .. KEYS[1] .. ' was claimed by ' .. owner)\n"
    "end\n"
    "redis.call('DEL', unpack(KEYS))\n"
    "redis.call('HSET', KEYS[1], 'owner', ARGV[1])\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
    "return 'OK'\n";

/* KEYS: as CLAIM_LUA.  ARGV: owner, version, offset, ttl_ms, now_ms, seq
 * (the one this owner last saw: claimed or wrote), full (1: the whole
 * partition, replacing what is stored), nstores, rules (1: the rules
 * layout, whose last two KEYS are the built-in layout's tenants and
 * users), the rule ids (meta.rules; "" in the built-in layout), the
 * caller's extra bytes (meta.extra; "": none, the field is deleted), then
 * per store: ndel, nusers, ntenants, the deleted user fields, the user
 * field/value pairs and the tenant field/value pairs.  Returns the new
 * seq. */
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
    "local full = ARGV[7] == '1'\n"
    "if not full then\n"
    "  if not exists then\n"
    "    return redis.error_reply('LOST ' .. KEYS[1] .. ' is gone (Redis flushed, restarted empty or failed over)')\n"
    "  end\n"
    "  if seq ~= tonumber(ARGV[6]) then\n"
    "    return redis.error_reply('LOST ' .. KEYS[1] .. ' holds checkpoint ' .. seq .. ', this owner wrote ' ..\n"
    "                             ARGV[6] .. ' (an older copy: a lagging replica promoted, or a restore)')\n"
    "  end\n"
    "else\n"
    "  redis.call('DEL', unpack(KEYS, 2))\n"
    "  seq = math.max(seq, tonumber(ARGV[6]))\n"
    "end\n"
    "seq = seq + 1\n"
    "local i = 12\n"
    "local function batch(cmd, key, n, width)\n"
    "  local done = 0\n"
    "  while done < n do\n"
    "    local m = math.min(n - done, " LUA_BATCH ")\n"
    "    redis.call(cmd, key, unpack(ARGV, i, i + m * width - 1))\n"
    "    i = i + m * width\n"
    "    done = done + m\n"
    "  end\n"
    "end\n"
    "for s = 0, tonumber(ARGV[8]) - 1 do\n"
    "  local tenants, users = KEYS[2 + 2 * s], KEYS[3 + 2 * s]\n"
    "  local ndel, nusers, ntenants = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])\n"
    "  i = i + 3\n"
    "  batch('HDEL', users, ndel, 1)\n"
    "  batch('HSET', users, nusers, 2)\n"
    "  batch('HSET', tenants, ntenants, 2)\n"
    "end\n"
    "if ARGV[9] == '1' then\n"
    "  redis.call('DEL', KEYS[#KEYS - 1], KEYS[#KEYS])\n"
    "  redis.call('HSET', KEYS[1], 'rules_seq', seq, 'rules', ARGV[10])\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'version', ARGV[2], 'offset', ARGV[3], 'updated_ms', ARGV[5], 'owner', ARGV[1],\n"
    "           'seq', seq)\n"
    "if ARGV[11] == '' then redis.call('HDEL', KEYS[1], 'extra') else redis.call('HSET', KEYS[1], 'extra', ARGV[11]) end\n"
    "for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[4]) end\n"
    "return seq\n";

typedef struct {
    size_t off, len;
} arg;

struct sw_ckpt {
    /* meta, each store's tenants and users, and in the rules layout the
     * built-in layout's tenants and users (checkpoint.h's Rules). */
    char **key;
    size_t nkeys, nstores;
    int rules;      /* the rules layout */
    long adopt;     /* the store that takes over a built-in checkpoint, or -1 */
    char adopt_kind;
    char *rule_ids;    /* meta.rules: the rule ids escaped, each ended by ':' ("" in the built-in layout) */
    int layout_switch; /* claimed a checkpoint written in the built-in layout (rules layout only) */
    char *owner;
    /* The arguments of the last command, reused: their bytes in buf. */
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
    /* meta.extra: as claimed (owned), and what the next write stores (the caller's). */
    char *claimed_extra;
    size_t claimed_extra_len;
    const void *extra;
    size_t extra_len;
};

/* ---- names (keys.h) ------------------------------------------------------ */

static const char *tenants_key(const sw_ckpt *c, size_t store) { return c->key[1 + 2 * store]; }
static const char *users_key(const sw_ckpt *c, size_t store) { return c->key[2 + 2 * store]; }

/* Moves the three built-in keys into c->key: all of them (built-in
 * layout), or meta first and tenants, users last (rules layout). */
static void take_builtin_keys(sw_ckpt *c, char *k[SW_KEY_COUNT]) {
    c->key[0] = k[SW_KEY_META];
    c->key[c->nkeys - 2] = k[SW_KEY_TENANTS];
    c->key[c->nkeys - 1] = k[SW_KEY_USERS];
}

sw_ckpt *sw_ckpt_new_stores(const char *group, const char *topic, int32_t partition, const char *owner,
                            const char *const *names, size_t n) {
    int rules = !(n == 1 && names[0] == NULL);
    for (size_t i = 0; rules && i < n; i++)
        if (!names[i]) return NULL;
    sw_ckpt *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->rules = rules;
    c->nstores = n;
    c->adopt = -1;
    c->nkeys = 1 + 2 * n + (rules ? 2 : 0);
    char *k[SW_KEY_COUNT];
    if (!(c->key = calloc(c->nkeys, sizeof *c->key)) || sw_keys_new(group, topic, partition, k) != 0) {
        sw_ckpt_free(c);
        return NULL;
    }
    take_builtin_keys(c, k);
    size_t len = 1;
    for (size_t i = 0; rules && i < n; i++) len += 3 * strlen(names[i]) + 1;
    int ok = (c->owner = strdup(owner)) != NULL && (c->rule_ids = malloc(len)) != NULL;
    size_t at = 0;
    for (size_t i = 0; rules && ok && i < n; i++) {
        at += sw_key_escape(SW_ESC_TAG, names[i], strlen(names[i]), c->rule_ids + at);
        c->rule_ids[at++] = ':'; /* after each id: a store's id is rule_ids up to its ':' */
        ok = sw_keys_rule_new(group, topic, partition, names[i], c->key + 1 + 2 * i) == 0;
    }
    if (ok) c->rule_ids[at] = '\0';
    if (!ok) {
        sw_ckpt_free(c);
        return NULL;
    }
    return c;
}

sw_ckpt *sw_ckpt_new(const char *group, const char *topic, int32_t partition, const char *owner) {
    const char *builtin[] = {NULL};
    return sw_ckpt_new_stores(group, topic, partition, owner, builtin, 1);
}

void sw_ckpt_free(sw_ckpt *c) {
    if (!c) return;
    for (size_t i = 0; c->key && i < c->nkeys; i++) free(c->key[i]);
    void *owned[] = {c->key, c->owner, c->rule_ids, c->buf, c->args, c->argv, c->lens, c->claimed_extra, c};
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++) free(owned[i]);
}

void sw_ckpt_adopt_legacy(sw_ckpt *c, size_t store, char kind) {
    if (!c->rules || store >= c->nstores) return;
    c->adopt = (long)store;
    c->adopt_kind = kind;
}

const char *sw_ckpt_key(const sw_ckpt *c, int which) {
    return which >= 0 && (size_t)which < c->nkeys ? c->key[which] : NULL;
}
size_t sw_ckpt_keys(const sw_ckpt *c) { return c->nkeys; }

/* ---- arguments: one command's, built in c->buf ------------------------------ */

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

/* Starts an EVAL of script over every key of the partition. */
static void args_eval(sw_ckpt *c, const char *script) {
    c->len = c->nargs = 0;
    c->oom = 0;
    arg_str(c, "EVAL");
    arg_str(c, script);
    arg_i64(c, (int64_t)c->nkeys);
    for (size_t i = 0; i < c->nkeys; i++) arg_str(c, c->key[i]);
}

/* Points c->argv and c->lens at the arguments; -1 when out of memory. */
static int args_ready(sw_ckpt *c) {
    if (c->nargs > c->argv_cap) {
        const char **av = realloc(c->argv, c->nargs * sizeof *av);
        size_t *lv = av ? realloc(c->lens, c->nargs * sizeof *lv) : NULL;
        if (av) c->argv = av;
        if (lv) c->lens = lv;
        if (!av || !lv) c->oom = 1;
        else c->argv_cap = c->nargs;
    }
    if (c->oom || c->nargs > INT32_MAX) return -1;
    for (size_t i = 0; i < c->nargs; i++) {
        c->argv[i] = c->buf + c->args[i].off;
        c->lens[i] = c->args[i].len;
    }
    return 0;
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

/* Appends " " and s shell-quoted to out[*k..n); 0 when it does not fit. */
static int put_quoted(char *out, size_t n, size_t *k, const char *s) {
    if (*k + 1 >= n) return 0;
    out[(*k)++] = ' ';
    size_t q = shell_quote(s, out + *k, n - *k);
    *k += q;
    return q != 0;
}

void sw_ckpt_clear_hint(const sw_ckpt *c, const sw_redis_target *t, char *out, size_t n) {
    char where[700], user[300] = "", host[600];
    int ok = shell_quote(t->socket ? t->socket : t->host ? t->host : "", host, sizeof host) != 0;
    if (t->socket) snprintf(where, sizeof where, "-s %s", host);
    else snprintf(where, sizeof where, "-h %s -p %d", host, t->port);
    if (t->user) {
        char qu[260];
        if (shell_quote(t->user, qu, sizeof qu)) snprintf(user, sizeof user, " --user %s", qu);
    }
    int k0 = ok ? snprintf(out, n, "redis-cli %s%s%s -n %d DEL", where, user, t->password ? " --askpass" : "", t->db)
                : -1;
    size_t k = k0 > 0 ? (size_t)k0 : n;
    for (size_t i = 0; k < n && i < c->nkeys; i++) ok &= put_quoted(out, n, &k, c->key[i]);
    if (!ok || k >= n)
        snprintf(out, n, "redis-cli DEL on the partition's keys: %s and every key of the same {..} hash tag",
                 c->key[0]);
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

/* Whether reply element e holds the same string as f (both present). */
static int same_string(const redisReply *e, const redisReply *f) {
    return e->type == REDIS_REPLY_STRING && f->type == REDIS_REPLY_STRING && e->len == f->len &&
           memcmp(e->str, f->str, e->len) == 0;
}

/* Keeps meta.extra as claimed (nil: none); -1 out of memory. */
static int claim_extra(sw_ckpt *c, const redisReply *e) {
    free(c->claimed_extra);
    c->claimed_extra = NULL;
    c->claimed_extra_len = 0;
    if (e->type != REDIS_REPLY_STRING || e->len == 0) return 0;
    if (!(c->claimed_extra = malloc(e->len))) return -1;
    memcpy(c->claimed_extra, e->str, e->len);
    c->claimed_extra_len = e->len;
    return 0;
}

const void *sw_ckpt_claimed_extra(const sw_ckpt *c, size_t *len) {
    *len = c->claimed_extra_len;
    return c->claimed_extra;
}

void sw_ckpt_set_extra(sw_ckpt *c, const void *p, size_t len) {
    c->extra = p;
    c->extra_len = p ? len : 0;
}

sw_ckpt_status sw_ckpt_claim(sw_ckpt *c, sw_redis *r, int64_t ttl_ms, int64_t *offset, char *err, size_t errlen) {
    static const char what[] = "claiming the partition's state";
    args_eval(c, CLAIM_LUA);
    arg_str(c, c->owner);
    arg_i64(c, SW_STATE_FORMAT);
    arg_i64(c, ttl_ms);
    arg_i64(c, c->rules ? (int64_t)(2 * c->nstores) : 0);
    /* (None in the built-in layout: its claim stays at 10 arguments, the
     * most Redis reads before AUTH, so that a missing password is told
     * apart from Redis failing: NOAUTH, not a protocol error.) */
    for (const char *id = c->rule_ids; *id;) {
        const char *end = strchr(id, ':');
        char *o = arg_space(c, (size_t)(end - id));
        if (o) memcpy(o, id, (size_t)(end - id));
        id = end + 1;
    }
    if (args_ready(c) != 0) {
        snprintf(err, errlen, "%s: out of memory", what);
        return SW_CKPT_NOMEM;
    }
    redisReply *rep = sw_redis_cmd(r, (int)c->nargs, c->argv, c->lens);
    if (!rep) return no_reply(r, what, err, errlen);
    sw_ckpt_status st = SW_CKPT_OK;
    c->seq = 0; /* none yet (a state an older build wrote has none either) */
    c->full = 0;
    c->layout_switch = 0;
    if (rep->type == REDIS_REPLY_ERROR) {
        st = reply_error(rep, what, err, errlen);
    } else if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 7) {
        snprintf(err, errlen, "%s: unexpected reply from Redis", what);
        st = SW_CKPT_UNAVAILABLE;
    } else if (rep->element[3]->type != REDIS_REPLY_NIL && reply_int64(rep->element[3], &c->seq) != 0) {
        snprintf(err, errlen, "%s: seq is not a checkpoint number", c->key[0]);
        st = SW_CKPT_REFUSED;
    } else if (rep->element[0]->type == REDIS_REPLY_NIL) {
        *offset = -1;
    } else if (reply_int64(rep->element[0], offset) != 0) {
        snprintf(err, errlen, "%s: offset is not a Kafka offset", c->key[0]);
        st = SW_CKPT_REFUSED;
    } else if (c->rules && !same_string(rep->element[4], rep->element[3])) {
        /* Written in the built-in layout: the script deleted the older rule
         * keys; the whole state is written next (adopted or empty). */
        c->layout_switch = 1;
        c->full = 1;
    }
    if (st == SW_CKPT_OK && claim_extra(c, rep->element[6]) != 0) {
        snprintf(err, errlen, "%s: out of memory", what);
        st = SW_CKPT_NOMEM;
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
    static const char what[] = "discarding the partition's state";
    args_eval(c, DISCARD_LUA);
    arg_str(c, c->owner);
    arg_i64(c, ttl_ms);
    if (args_ready(c) != 0) {
        snprintf(err, errlen, "%s: out of memory", what);
        return SW_CKPT_NOMEM;
    }
    redisReply *rep = sw_redis_cmd(r, (int)c->nargs, c->argv, c->lens);
    if (!rep) return no_reply(r, what, err, errlen);
    sw_ckpt_status st = rep->type == REDIS_REPLY_ERROR ? reply_error(rep, what, err, errlen) : SW_CKPT_OK;
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
    int adopting;  /* the built-in layout's values, taken over by a rule's store (checkpoint.h) */
    char kind;     /* adopting: the byte in front of every session id */
    char *tenant;  /* scratch, as long as the longest field */
    size_t tenant_cap;
    char *value;   /* adopting: scratch for a converted user value */
    size_t value_cap;
} loader;

/* Room for n bytes in *buf; -1 when out of memory. */
static int scratch(char **buf, size_t *cap, size_t n) {
    if (n <= *cap) return 0;
    char *b = realloc(*buf, n);
    if (!b) return -1;
    *buf = b;
    *cap = n;
    return 0;
}

static sw_ckpt_status load_tenant(void *ud, const char *f, size_t fn, const char *v, size_t vn) {
    loader *l = ud;
    int over_budget;
    sw_tenant *t = sw_store_tenant_get(l->s, f, fn, &over_budget);
    if (!t) return over_budget ? SW_CKPT_OK : SW_CKPT_NOMEM; /* over --max-tenants: not restored (tenants_refused) */
    if (sw_codec_tenant_decode(l->s, t, v, vn) == SW_CODEC_OK) l->st->tenants++, l->st->adopted += l->adopting;
    else l->st->corrupt++;
    /* The built-in engine's cap counts 30-minute buckets; a rule whose
     * interval differs counts its own from here (checkpoint.h). */
    if (l->adopting && l->s->cap_bucket_ms != SW_CAP_BUCKET_MS) t->ncap = 0;
    t->dirty = 0;
    return SW_CKPT_OK;
}

static sw_ckpt_status load_user(void *ud, const char *f, size_t fn, const char *v, size_t vn) {
    loader *l = ud;
    if (scratch(&l->tenant, &l->tenant_cap, fn) != 0) return SW_CKPT_NOMEM;
    size_t tn, an;
    const char *actor;
    if (sw_key_user_field_split(f, fn, l->tenant, &tn, &actor, &an) != 0) {
        l->st->corrupt++;
        return SW_CKPT_OK;
    }
    if (l->adopting) {
        if (scratch(&l->value, &l->value_cap, vn + SW_CODEC_MAX_SESSIONS) != 0) return SW_CKPT_NOMEM;
        if (sw_codec_user_prefix_ids(v, vn, l->kind, l->value, &vn) != SW_CODEC_OK) {
            l->st->corrupt++;
            return SW_CKPT_OK;
        }
        v = l->value;
    }
    int over_budget;
    sw_tenant *t = sw_store_tenant_get(l->s, l->tenant, tn, &over_budget);
    if (!t && over_budget) return SW_CKPT_OK; /* its tenant is over --max-tenants: not restored */
    sw_user *u = t ? sw_store_user(l->s, t, actor, an) : NULL;
    if (!u) return SW_CKPT_NOMEM;
    sw_window_clear(u, &l->s->slab);
    sw_window_init(u);
    switch (sw_codec_user_decode(u, &l->s->slab, v, vn, l->id_seed)) {
    case SW_CODEC_OK: l->st->users++, l->st->adopted += l->adopting; break;
    case SW_CODEC_CORRUPT: l->st->corrupt++; break; /* the key stays, empty: as if never seen */
    case SW_CODEC_NOMEM: return SW_CKPT_NOMEM;
    }
    return SW_CKPT_OK;
}

/* One store from its tenants and users keys; tenants first: their
 * watermarks decide which users are stale. */
static sw_ckpt_status load_store(sw_redis *r, const char *tenants, const char *users, loader *l, char *err,
                                 size_t errlen) {
    sw_ckpt_status rc = scan_hash(r, tenants, load_tenant, l, l->st, err, errlen);
    return rc == SW_CKPT_OK ? scan_hash(r, users, load_user, l, l->st, err, errlen) : rc;
}

sw_ckpt_status sw_ckpt_load_stores(sw_ckpt *c, sw_redis *r, sw_store *const *s, uint64_t id_seed,
                                   sw_ckpt_stats *st, char *err, size_t errlen) {
    memset(st, 0, sizeof *st);
    loader l = {.id_seed = id_seed, .st = st, .kind = c->adopt_kind};
    sw_ckpt_status rc = SW_CKPT_OK;
    for (size_t i = 0; i < c->nstores && rc == SW_CKPT_OK; i++) {
        l.s = s[i];
        l.adopting = c->layout_switch && c->adopt == (long)i;
        if (l.adopting) rc = load_store(r, c->key[c->nkeys - 2], c->key[c->nkeys - 1], &l, err, errlen);
        else if (!c->layout_switch) rc = load_store(r, tenants_key(c, i), users_key(c, i), &l, err, errlen);
        /* (after a layout switch the claim deleted the rule keys: nothing to load) */
    }
    free(l.tenant);
    free(l.value);
    if (rc == SW_CKPT_REFUSED) append_hint(c, r, err, errlen);
    return rc;
}

sw_ckpt_status sw_ckpt_load(sw_ckpt *c, sw_redis *r, sw_store *s, uint64_t id_seed, sw_ckpt_stats *st,
                            char *err, size_t errlen) {
    return sw_ckpt_load_stores(c, r, &s, id_seed, st, err, errlen);
}

/* ---- write --------------------------------------------------------------- */

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

/* Store s's section of the write's arguments: ndel, nusers, ntenants
 * (reserved first, filled in once known), then its deleted fields, its
 * users and its tenants (every one of them in a full write); adds its
 * counts to st. */
static void add_store(sw_ckpt *c, sw_store *s, sw_ckpt_stats *st) {
    size_t counts = c->nargs;
    for (int i = 0; i < 3; i++) arg_str(c, "0");
    writer w = {.c = c, .s = s};
    if (!c->full) sw_store_changes(s, add_change, &w);
    uint64_t n3[3] = {w.n, 0, 0};
    w.pass = 1;
    w.n = 0;
    if (c->full) add_all_users(&w);
    else sw_store_changes(s, add_change, &w);
    n3[1] = w.n;
    for (uint32_t i = 0; i < s->tenants.count; i++) {
        const sw_tenant *t = sw_store_tenant_at(s, i);
        if (!t->dirty && !c->full) continue;
        char *o = arg_space(c, t->k.key_len);
        if (o) memcpy(o, t->k.key, t->k.key_len);
        o = arg_space(c, sw_codec_tenant_size(t));
        if (o) sw_codec_tenant_encode(t, o);
        n3[2]++;
    }
    /* The three counts, now known: appended, then moved into the slots
     * reserved for them above. */
    for (int i = 0; i < 3 && !c->oom; i++) {
        arg_i64(c, (int64_t)n3[i]);
        if (!c->oom) c->args[counts + (size_t)i] = c->args[--c->nargs];
    }
    st->deleted += n3[0];
    st->users += n3[1];
    st->tenants += n3[2];
}

sw_ckpt_status sw_ckpt_write_send(sw_ckpt *c, sw_redis *r, sw_store *const *s, int64_t next_offset,
                                  int64_t ttl_ms, sw_ckpt_stats *st, char *err, size_t errlen) {
    memset(st, 0, sizeof *st);
    args_eval(c, WRITE_LUA);
    arg_str(c, c->owner);
    arg_i64(c, SW_STATE_FORMAT);
    arg_i64(c, next_offset);
    arg_i64(c, ttl_ms);
    arg_i64(c, wall_ms());
    arg_i64(c, c->seq);
    arg_str(c, c->full ? "1" : "0");
    arg_i64(c, (int64_t)c->nstores);
    arg_str(c, c->rules ? "1" : "0");
    size_t ids = strlen(c->rule_ids); /* meta.rules: joined, without the last ':' */
    char *o = arg_space(c, ids ? ids - 1 : 0);
    if (o && ids) memcpy(o, c->rule_ids, ids - 1);
    o = arg_space(c, c->extra_len);
    if (o && c->extra_len) memcpy(o, c->extra, c->extra_len);
    for (size_t i = 0; i < c->nstores; i++) add_store(c, s[i], st);
    if (args_ready(c) != 0) {
        snprintf(err, errlen, "checkpoint: out of memory");
        return SW_CKPT_NOMEM;
    }
    st->bytes = c->len;
    if (sw_redis_append(r, (int)c->nargs, c->argv, c->lens) != 0) return no_reply(r, "checkpoint", err, errlen);
    return SW_CKPT_OK;
}

sw_ckpt_status sw_ckpt_write_recv(sw_ckpt *c, sw_redis *r, sw_store *const *s, char *err, size_t errlen) {
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
        c->layout_switch = 0;
        for (size_t i = 0; i < c->nstores; i++) sw_store_tracked_clear(s[i]);
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

sw_ckpt_status sw_ckpt_write_stores(sw_ckpt *c, sw_redis *r, sw_store *const *s, int64_t next_offset,
                                    int64_t ttl_ms, sw_ckpt_stats *st, char *err, size_t errlen) {
    sw_ckpt_status rc = sw_ckpt_write_send(c, r, s, next_offset, ttl_ms, st, err, errlen);
    return rc == SW_CKPT_OK ? sw_ckpt_write_recv(c, r, s, err, errlen) : rc;
}

sw_ckpt_status sw_ckpt_write(sw_ckpt *c, sw_redis *r, sw_store *s, int64_t next_offset, int64_t ttl_ms,
                             sw_ckpt_stats *st, char *err, size_t errlen) {
    return sw_ckpt_write_stores(c, r, &s, next_offset, ttl_ms, st, err, errlen);
}

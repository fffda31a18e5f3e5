/* cmd_state.c -- `sessionwatch state inspect`: what Redis holds of the
 * window state `run --state redis://..` checkpoints (layout in
 * checkpoint.h), for operators: every partition with its offset, owner,
 * last checkpoint, key counts and TTL, or, with --user, one user's decoded
 * window (r, maxT, sessions) in every partition that holds it.
 *
 * Read-only by construction: it sends only SCAN, TYPE, HMGET, HLEN, PTTL,
 * HSCAN and HGET, so it is safe against a live deployment.  Keys are found
 * with SCAN, never KEYS (which blocks Redis for the whole keyspace).
 * Everything read back is foreign until checked: a key name must
 * be exactly the name the worker writes (keys.h), a meta key of another type or another
 * format version is listed as refused, and a user value is decoded by the
 * worker's own decoder (sw_codec_user_decode validates every length) into
 * a throwaway store; a value that does not decode is reported as corrupt.
 * A partition in the rules layout (checkpoint.h: `run --rules`) is found by
 * its meta key as any other; meta.rules names its rules, whose keys are
 * counted (and listed per rule in JSON); --user searches only the built-in
 * layout's users hash.
 * State holds attacker-controlled strings (user agents, display names), so
 * every string, in text as in JSON, goes through the one JSON escaper: no
 * control byte reaches the terminal and no line or field can be injected. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "cli.h"
#include "codec.h"
#include "commands.h"
#include "jsonw.h"
#include "keys.h"
#include "redis.h"
#include "scan.h"
#include "store.h"
#include "timefmt.h"

static void usage(FILE *out) {
    fputs("Usage: sessionwatch state inspect --state redis://.. [OPTIONS]\n"
          "\n"
          "Prints the window state that `run --state` checkpoints to Redis, for operators.\n"
          "Without --user: every partition Redis holds (group, topic, partition, state\n"
          "format version, next input offset, owning worker, time of the last checkpoint,\n"
          "number of tracked users and tenants, time left before the keys expire), sorted\n"
          "by group, topic and partition.  With --user: that user's window in every\n"
          "matching partition (tenant, actor, r = last alert, maxT = newest event, display\n"
          "name, alternate id, the tenant's watermark, and each session).  Keys are found\n"
          "with SCAN, never KEYS; nothing is written.  Keys that are not sessionwatch state\n"
          "(another type, another format version) are listed as refused; a user value\n"
          "that does not decode is reported as corrupt.  A partition `run --rules` checkpoints\n"
          "keeps each rule's state in keys of its own: USERS and TENANTS are then summed\n"
          "over its rules, and --json lists them per rule (\"rules\"); --user reads only the\n"
          "built-in rule's users.\n"
          "\n"
          "Options:\n"
          "  --state URL               the Redis holding the state (default $SESSIONWATCH_STATE):\n"
          "                            redis://[[user]:password@]host[:port][/db],\n"
          "                            unix:///path/to/redis.sock[?db=N] or (the primary Sentinel\n"
          "                            names) redis-sentinel://[[user]:password@]host[:port][,...]/name[/db];\n"
          "                            the password may come from $" SW_REDIS_PASSWORD_ENV " instead,\n"
          "                            and is never printed\n"
          "  --group G                 only partitions of consumer group G\n"
          "  --topic T                 only partitions of input topic T\n"
          "  --partition P             only partition P (needs --group and --topic)\n"
          "  --user ID                 print the window of actor id ID (every tenant) instead of\n"
          "                            the partition list; it scans each partition's users hash\n"
          "                            (HSCAN), so narrow big deployments with the filters above\n"
          "  --json                    one JSON object per line instead of text: a partition\n"
          "                            ({\"type\":\"partition\",...}) or, with --user, a user\n"
          "                            ({\"type\":\"user\",...}); refused partitions are listed\n"
          "                            in both modes\n"
          "  --timeout DUR             give up on a Redis command after DUR (default 5s)\n"
          "  -h, --help                this help\n"
          "\n"
          "Times are ISO-8601 UTC; \"none\" (null in JSON) is a time never set.  Strings are\n"
          "printed JSON-escaped, so control characters in them show as \\uXXXX.\n"
          "Exit status: 0 when the listing or search ran (also when it found nothing),\n"
          "1 when Redis is unreachable or replies with an error, 2 on a usage error.\n",
          out);
}

/* ---- small pieces -------------------------------------------------------- */

/* Out of memory in a one-shot operator command: say so and exit 1. */
static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("sessionwatch state: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

static char *dupn(const char *p, size_t n) {
    char *s = xmalloc(n + 1);
    if (n) memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn) {
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

/* A non-negative decimal int64 (offsets, times); -1 when it is not one. */
static int parse_i64(const char *s, size_t n, int64_t *v) {
    if (n == 0 || n > 19) return -1;
    int64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        if (x > (INT64_MAX - (s[i] - '0')) / 10) return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

static void put_time_text(sw_buf *b, int64_t ms) {
    if (ms == SW_TIME_NONE) {
        sw_buf_puts(b, "none");
        return;
    }
    char t[32];
    sw_buf_put(b, t, sw_time_format(ms, t));
}

static void put_time_json(sw_buf *b, int64_t ms) {
    if (ms == SW_TIME_NONE) sw_buf_puts(b, "null");
    else sw_json_time(b, ms);
}

/* "1h2m3s", "59m59s", "250ms". */
static void put_duration(sw_buf *b, int64_t ms) {
    char t[64];
    if (ms < 1000) {
        snprintf(t, sizeof t, "%lldms", (long long)ms);
        sw_buf_puts(b, t);
        return;
    }
    int64_t s = ms / 1000;
    const int64_t unit[] = {86400, 3600, 60, 1};
    const char *name[] = {"d", "h", "m", "s"};
    for (int i = 0; i < 4; i++) {
        if (s >= unit[i]) {
            snprintf(t, sizeof t, "%lld%s", (long long)(s / unit[i]), name[i]);
            sw_buf_puts(b, t);
            s %= unit[i];
        }
    }
}

/* ---- Redis ---------------------------------------------------------------- */

typedef struct {
    sw_redis r;
    char where[320]; /* the URL, password masked */
    sw_buf out;
    bool json;
} insp;

/* Redis did not reply to `what` (unreachable, or no reply in time). */
static void report_no_reply(const insp *x, const char *what) {
    /* hiredis reports a read timeout as EAGAIN. */
    bool slow = strstr(x->r.err, "temporarily unavailable") || strstr(x->r.err, "timed out");
    fprintf(stderr,
            "sessionwatch state: %s: %s%s\n"
            "(is redis-server running at %s? check --state or $SESSIONWATCH_STATE%s)\n",
            what, x->r.err, slow ? " (no reply in time)" : "", x->where, slow ? ", or raise --timeout" : "");
}

/* Redis replied to `what` with an error (escaped: it may echo key names). */
static void report_error_reply(const insp *x, const char *what, const redisReply *rep) {
    int n = rep->str ? (int)(rep->len > 300 ? 300 : rep->len) : 0;
    sw_buf e = {0};
    sw_json_str_body(&e, rep->str ? rep->str : "", (size_t)n);
    fprintf(stderr,
            "sessionwatch state: %s: Redis at %s replied: %.*s\n"
            "(check --state: user, password ($" SW_REDIS_PASSWORD_ENV ") and database)\n",
            what, x->where, e.oom ? 0 : (int)e.len, e.p ? e.p : "");
    sw_buf_free(&e);
}

static bool is_wrongtype(const redisReply *rep) {
    return rep->type == REDIS_REPLY_ERROR && rep->str && strncmp(rep->str, "WRONGTYPE", 9) == 0;
}

/* One command; NULL (reported: exit 1) when Redis is unreachable or
 * replies with an error other than WRONGTYPE, which the caller treats as
 * foreign data. */
static redisReply *call(insp *x, const char *what, int argc, const char **argv, const size_t *lens) {
    redisReply *rep = sw_redis_cmd(&x->r, argc, argv, lens);
    if (!rep) {
        report_no_reply(x, what);
        return NULL;
    }
    if (rep->type == REDIS_REPLY_ERROR && !is_wrongtype(rep)) {
        report_error_reply(x, what, rep);
        freeReplyObject(rep);
        return NULL;
    }
    return rep;
}

/* ---- partitions ----------------------------------------------------------- */

typedef struct {
    char *id; /* NUL-terminated (a rule id holds no NUL) */
    long long users, tenants;
} rule_count;

typedef struct {
    char *key; /* the meta key */
    size_t key_len;
    bool named; /* group, topic, partition parsed from the key name */
    char *group, *topic;
    size_t gn, tn;
    int32_t partition;
    char *keys[SW_KEY_COUNT]; /* meta, tenants, users (named only) */
    /* What inspecting it found. */
    bool gone;      /* vanished since SCAN (expired) */
    char *refused;  /* why it is not sessionwatch state, or NULL */
    bool has_version;
    int64_t offset; /* -1: none (claimed, never checkpointed) */
    char *owner;
    size_t owner_len;
    int64_t updated_ms; /* SW_TIME_NONE: none */
    bool updated_bad;
    long long users, tenants, pttl; /* the rules layout: summed over its rules */
    /* The rules layout (checkpoint.h: meta.rules_seq == meta.seq): each
     * rule named in meta.rules with its own key counts. */
    size_t nrules;
    rule_count *rules;
} part;

static void part_free(part *p) {
    char *owned[] = {p->key, p->group, p->topic, p->refused, p->owner};
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++) free(owned[i]);
    for (size_t i = 0; i < p->nrules; i++) free(p->rules[i].id);
    free(p->rules);
    sw_keys_free(p->keys);
}

/* Parses sw:{G:T:P}:meta (keys.h): the name counts as sessionwatch's only
 * if it is exactly the name the worker writes for what was parsed. */
static void parse_key(part *p) {
    int nomem;
    if (sw_key_meta_parse(p->key, p->key_len, &p->group, &p->gn, &p->topic, &p->tn, &p->partition, &nomem) != 0 ||
        sw_keys_new(p->group, p->topic, p->partition, p->keys) != 0) {
        if (nomem || p->group) {
            fputs("sessionwatch state: out of memory\n", stderr);
            exit(1);
        }
        return;
    }
    p->named = true;
}

static void refuse(part *p, const char *fmt, const char *a, size_t an, const char *b, size_t bn) {
    sw_buf m = {0};
    const char *s = fmt;
    for (; *s; s++) {
        if (s[0] == '%' && (s[1] == 'A' || s[1] == 'B')) {
            if (s[1] == 'A') sw_buf_put(&m, a, an);
            else sw_buf_put(&m, b, bn);
            s++;
        } else {
            sw_buf_putc(&m, *s);
        }
    }
    free(p->refused);
    p->refused = dupn(m.p ? m.p : "", m.oom ? 0 : m.len);
    sw_buf_free(&m);
}

/* TYPE key into out ("none", "hash", ...); -1 on failure (reported). */
static int key_type(insp *x, const char *key, char *out, size_t cap) {
    const char *argv[] = {"TYPE", key};
    redisReply *rep = call(x, "TYPE", 2, argv, NULL);
    if (!rep) return -1;
    int ok = (rep->type == REDIS_REPLY_STATUS || rep->type == REDIS_REPLY_STRING) && rep->len < cap;
    if (ok) {
        memcpy(out, rep->str, rep->len);
        out[rep->len] = '\0';
    } else {
        fprintf(stderr, "sessionwatch state: unexpected reply to TYPE from %s\n", x->where);
    }
    freeReplyObject(rep);
    return ok ? 0 : -1;
}

static int hlen(insp *x, part *p, int which, long long *n) {
    const char *argv[] = {"HLEN", p->keys[which]};
    redisReply *rep = call(x, "HLEN", 2, argv, NULL);
    if (!rep) return -1;
    if (is_wrongtype(rep))
        refuse(p, "%A is not a hash (it changed while being read)", p->keys[which], strlen(p->keys[which]), NULL, 0);
    else
        *n = rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
    freeReplyObject(rep);
    return 0;
}

/* meta.rules (checkpoint.h: rule ids escaped as in the key names, joined
 * by ':') into p->rules; refused when it is not that. */
static void parse_rules(part *p, const char *f, size_t n) {
    size_t cap = 1;
    for (size_t i = 0; i < n; i++) cap += f[i] == ':';
    p->rules = calloc(cap, sizeof *p->rules);
    if (!p->rules) {
        fputs("sessionwatch state: out of memory\n", stderr);
        exit(1);
    }
    for (size_t at = 0; at <= n && !p->refused;) {
        const char *end = memchr(f + at, ':', n - at);
        size_t len = end ? (size_t)(end - (f + at)) : n - at, idn;
        char *id = xmalloc(len + 1);
        if (sw_key_unescape(SW_ESC_TAG, f + at, len, id, &idn) != 0 || memchr(id, '\0', idn)) {
            free(id);
            refuse(p, "%A: its rules field is not a list of rule ids as sessionwatch writes it",
                   p->keys[SW_KEY_META], strlen(p->keys[SW_KEY_META]), NULL, 0);
            break;
        }
        id[idn] = '\0';
        p->rules[p->nrules++] = (rule_count){.id = id, .users = -1, .tenants = -1};
        at += len + 1;
    }
}

/* HLEN of a rule's key (TYPE first: a hash, or none); -1 when Redis failed. */
static int rule_hlen(insp *x, part *p, const char *key, long long *n) {
    char type[64];
    if (key_type(x, key, type, sizeof type) != 0) return -1;
    if (strcmp(type, "none") != 0 && strcmp(type, "hash") != 0) {
        refuse(p, "%A holds a %B, not sessionwatch state", key, strlen(key), type, strlen(type));
        return 0;
    }
    const char *argv[] = {"HLEN", key};
    redisReply *rep = call(x, "HLEN", 2, argv, NULL);
    if (!rep) return -1;
    *n = rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
    freeReplyObject(rep);
    return 0;
}

/* Each rule's users and tenants, and their sums in p. */
static int count_rules(insp *x, part *p) {
    p->users = p->tenants = 0;
    for (size_t i = 0; i < p->nrules && !p->refused; i++) {
        rule_count *r = &p->rules[i];
        char *k[SW_KEY_RULE_COUNT];
        if (sw_keys_rule_new(p->group, p->topic, p->partition, r->id, k) != 0) {
            fputs("sessionwatch state: out of memory\n", stderr);
            exit(1);
        }
        int rc = rule_hlen(x, p, k[0], &r->tenants);
        if (rc == 0 && !p->refused) rc = rule_hlen(x, p, k[1], &r->users);
        free(k[0]);
        free(k[1]);
        if (rc != 0) return -1;
        p->users += r->users > 0 ? r->users : 0;
        p->tenants += r->tenants > 0 ? r->tenants : 0;
    }
    return 0;
}

/* Reads what Redis holds for p: 0, or -1 when Redis failed (reported). */
static int inspect_part(insp *x, part *p) {
    p->offset = -1;
    p->updated_ms = SW_TIME_NONE;
    p->users = p->tenants = p->pttl = -1;
    if (!p->named) {
        refuse(p, "%A: the key name is not sw:{GROUP:TOPIC:PARTITION}:meta as sessionwatch writes it", p->key,
               p->key_len, NULL, 0);
        return 0;
    }
    char type[64];
    for (int i = 0; i < SW_KEY_COUNT; i++) {
        if (key_type(x, p->keys[i], type, sizeof type) != 0) return -1;
        if (i == 0 && strcmp(type, "none") == 0) {
            p->gone = true; /* expired since SCAN listed it */
            return 0;
        }
        if (strcmp(type, "none") != 0 && strcmp(type, "hash") != 0) {
            refuse(p, "%A holds a %B, not sessionwatch state", p->keys[i], strlen(p->keys[i]), type, strlen(type));
            return 0;
        }
    }
    const char *argv[] = {"HMGET", p->keys[SW_KEY_META], "version", "offset", "owner", "updated_ms", "seq",
                          "rules_seq", "rules"};
    redisReply *rep = call(x, "HMGET", 9, argv, NULL);
    if (!rep) return -1;
    if (is_wrongtype(rep)) {
        refuse(p, "%A is not a hash (it changed while being read)", p->keys[SW_KEY_META], strlen(p->keys[SW_KEY_META]), NULL, 0);
        freeReplyObject(rep);
        return 0;
    }
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 7) {
        fprintf(stderr, "sessionwatch state: unexpected reply to HMGET from %s\n", x->where);
        freeReplyObject(rep);
        return -1;
    }
    redisReply *const *e = rep->element;
    char version[8];
    snprintf(version, sizeof version, "%d", SW_STATE_FORMAT);
    if (e[0]->type == REDIS_REPLY_STRING) {
        p->has_version = true;
        if (e[0]->len != strlen(version) || memcmp(e[0]->str, version, e[0]->len) != 0)
            refuse(p, "state format version %A; this build reads version %B", e[0]->str,
                   e[0]->len > 40 ? 40 : e[0]->len, version, strlen(version));
    }
    if (!p->refused && e[1]->type == REDIS_REPLY_STRING && parse_i64(e[1]->str, e[1]->len, &p->offset) != 0)
        refuse(p, "offset '%A' is not a Kafka offset", e[1]->str, e[1]->len > 40 ? 40 : e[1]->len, NULL, 0);
    if (e[2]->type == REDIS_REPLY_STRING) {
        p->owner = dupn(e[2]->str, e[2]->len);
        p->owner_len = e[2]->len;
    }
    if (e[3]->type == REDIS_REPLY_STRING && parse_i64(e[3]->str, e[3]->len, &p->updated_ms) != 0) {
        p->updated_ms = SW_TIME_NONE;
        p->updated_bad = true;
    }
    bool rules = e[4]->type == REDIS_REPLY_STRING && e[5]->type == REDIS_REPLY_STRING && e[6]->type == REDIS_REPLY_STRING &&
                 e[4]->len == e[5]->len && memcmp(e[4]->str, e[5]->str, e[4]->len) == 0;
    if (!p->refused && rules) parse_rules(p, e[6]->str, e[6]->len);
    freeReplyObject(rep);
    if (p->refused) return 0;
    if (rules) {
        if (count_rules(x, p) != 0) return -1;
    } else if (hlen(x, p, SW_KEY_USERS, &p->users) != 0 || hlen(x, p, SW_KEY_TENANTS, &p->tenants) != 0) {
        return -1;
    }
    if (p->refused) return 0;
    const char *pt[] = {"PTTL", p->keys[SW_KEY_META]};
    if (!(rep = call(x, "PTTL", 2, pt, NULL))) return -1;
    if (rep->type == REDIS_REPLY_INTEGER) p->pttl = rep->integer;
    freeReplyObject(rep);
    return 0;
}

static int part_cmp(const void *a, const void *b) {
    const part *p = a, *q = b;
    if (p->named != q->named) return p->named ? -1 : 1;
    if (!p->named) return bytes_cmp(p->key, p->key_len, q->key, q->key_len);
    int c = bytes_cmp(p->group, p->gn, q->group, q->gn);
    if (!c) c = bytes_cmp(p->topic, p->tn, q->topic, q->tn);
    if (!c) c = (p->partition > q->partition) - (p->partition < q->partition);
    return c;
}

static int key_cmp(const void *a, const void *b) {
    const part *p = a, *q = b;
    return bytes_cmp(p->key, p->key_len, q->key, q->key_len);
}

typedef struct {
    const char *group, *topic;
    bool has_partition;
    int32_t partition;
} filter;

static bool matches(const filter *f, const part *p) {
    if (!f->group && !f->topic) return true;
    if (!p->named) return false;
    if (f->group && bytes_cmp(f->group, strlen(f->group), p->group, p->gn) != 0) return false;
    if (f->topic && bytes_cmp(f->topic, strlen(f->topic), p->topic, p->tn) != 0) return false;
    return !f->has_partition || f->partition == p->partition;
}

typedef struct {
    part *v;
    size_t n, cap;
} parts;

static void add_key(parts *ps, const char *k, size_t n) {
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 64;
        part *v = realloc(ps->v, ps->cap * sizeof *v);
        if (!v) {
            fputs("sessionwatch state: out of memory\n", stderr);
            exit(1);
        }
        ps->v = v;
    }
    ps->v[ps->n++] = (part){.key = dupn(k, n), .key_len = n};
}

/* Every meta key matching the filter (a superset: SCAN's MATCH narrows
 * what Redis sends, matches() decides). */
static int list_keys(insp *x, const filter *f, parts *ps) {
    if (f->group && f->topic && f->has_partition) {
        char *k[SW_KEY_COUNT];
        if (sw_keys_new(f->group, f->topic, f->partition, k) != 0) {
            fputs("sessionwatch state: out of memory\n", stderr);
            return -1;
        }
        add_key(ps, k[SW_KEY_META], strlen(k[SW_KEY_META]));
        sw_keys_free(k);
        return 0;
    }
    size_t pat_len;
    char *pat = sw_key_meta_pattern(f->group, f->topic, &pat_len);
    if (!pat) {
        fputs("sessionwatch state: out of memory\n", stderr);
        return -1;
    }
    static const char what[] = "listing partitions (SCAN)";
    sw_scan sc;
    sw_scan_init(&sc, &x->r, NULL, 0, pat, pat_len);
    const redisReply *keys;
    sw_scan_status ss;
    int rc = 0;
    while (rc == 0 && (ss = sw_scan_next(&sc, &keys)) != SW_SCAN_DONE) {
        rc = -1;
        if (ss == SW_SCAN_NO_REPLY) report_no_reply(x, what);
        else if (ss == SW_SCAN_ERROR && !is_wrongtype(sc.reply)) report_error_reply(x, what, sc.reply);
        else if (ss != SW_SCAN_PAGE) fprintf(stderr, "sessionwatch state: unexpected reply to SCAN from %s\n", x->where);
        else rc = 0;
        for (size_t i = 0; rc == 0 && i < keys->elements; i++) {
            const redisReply *k = keys->element[i];
            if (k->type == REDIS_REPLY_STRING) add_key(ps, k->str, k->len);
        }
    }
    sw_scan_end(&sc);
    free(pat);
    if (rc != 0) return rc;
    /* SCAN may return a key more than once. */
    if (ps->n) qsort(ps->v, ps->n, sizeof *ps->v, key_cmp);
    size_t k = 0;
    for (size_t i = 0; i < ps->n; i++) {
        if (k && key_cmp(&ps->v[k - 1], &ps->v[i]) == 0) {
            part_free(&ps->v[i]);
            continue;
        }
        ps->v[k++] = ps->v[i];
    }
    ps->n = k;
    return 0;
}

/* ---- printing partitions -------------------------------------------------- */

static void put_opt_json(sw_buf *b, const char *key, const char *p, size_t n, bool present) {
    sw_buf_putc(b, ',');
    sw_json_key(b, key);
    if (present) sw_json_str(b, p, n);
    else sw_buf_puts(b, "null");
}

static void put_int_json(sw_buf *b, const char *key, long long v, bool present) {
    sw_buf_putc(b, ',');
    sw_json_key(b, key);
    if (present) sw_json_int(b, v);
    else sw_buf_puts(b, "null");
}

static void part_json_head(sw_buf *b, const part *p, const char *type) {
    sw_buf_puts(b, "{\"type\":");
    sw_json_cstr(b, type);
    put_opt_json(b, "group", p->group, p->gn, p->named);
    put_opt_json(b, "topic", p->topic, p->tn, p->named);
    put_int_json(b, "partition", p->partition, p->named);
}

static void part_json(sw_buf *b, const part *p) {
    part_json_head(b, p, "partition");
    put_opt_json(b, "key", p->key, p->key_len, true);
    if (p->refused) {
        put_opt_json(b, "refused", p->refused, strlen(p->refused), true);
    } else {
        put_int_json(b, "version", SW_STATE_FORMAT, p->has_version);
        put_int_json(b, "offset", p->offset, p->offset >= 0);
        put_opt_json(b, "owner", p->owner, p->owner_len, p->owner != NULL);
        sw_buf_puts(b, ",\"updated\":");
        put_time_json(b, p->updated_ms);
        put_int_json(b, "updated_ms", p->updated_ms, p->updated_ms != SW_TIME_NONE);
        put_int_json(b, "users", p->users, p->users >= 0);
        put_int_json(b, "tenants", p->tenants, p->tenants >= 0);
        put_int_json(b, "ttl_ms", p->pttl, p->pttl >= 0);
        if (p->rules) { /* the rules layout: per rule */
            sw_buf_puts(b, ",\"rules\":[");
            for (size_t i = 0; i < p->nrules; i++) {
                sw_buf_puts(b, i ? ",{" : "{");
                sw_json_key(b, "id");
                sw_json_cstr(b, p->rules[i].id);
                put_int_json(b, "users", p->rules[i].users, p->rules[i].users >= 0);
                put_int_json(b, "tenants", p->rules[i].tenants, p->rules[i].tenants >= 0);
                sw_buf_putc(b, '}');
            }
            sw_buf_putc(b, ']');
        }
    }
    sw_buf_puts(b, "}\n");
}

enum { COL_GROUP, COL_TOPIC, COL_PART, COL_VERSION, COL_OFFSET, COL_OWNER, COL_UPDATED, COL_USERS, COL_TENANTS,
       COL_TTL, NCOL };
static const char *const col_name[NCOL] = {"GROUP", "TOPIC", "PARTITION", "VERSION", "OFFSET", "OWNER",
                                           "UPDATED", "USERS", "TENANTS", "TTL"};

/* Characters on screen (UTF-8 continuation bytes take no column). */
static size_t width(const char *s) {
    size_t w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static char *cell_str(const char *p, size_t n, bool present) {
    if (!present) return dupn("-", 1);
    if (n == 0) return dupn("\"\"", 2);
    sw_buf b = {0};
    sw_json_str_body(&b, p, n);
    char *s = dupn(b.p ? b.p : "", b.oom ? 0 : b.len);
    sw_buf_free(&b);
    return s;
}

static char *cell_int(long long v, bool present) {
    char t[32];
    snprintf(t, sizeof t, "%lld", v);
    return present ? dupn(t, strlen(t)) : dupn("-", 1);
}

static void parts_text(sw_buf *b, const part *v, size_t n) {
    char *(*cells)[NCOL] = calloc(n ? n : 1, sizeof *cells);
    if (!cells) {
        fputs("sessionwatch state: out of memory\n", stderr);
        exit(1);
    }
    size_t w[NCOL];
    for (int c = 0; c < NCOL; c++) w[c] = strlen(col_name[c]);
    for (size_t i = 0; i < n; i++) {
        const part *p = &v[i];
        cells[i][COL_GROUP] = cell_str(p->group, p->gn, p->named);
        cells[i][COL_TOPIC] = cell_str(p->topic, p->tn, p->named);
        cells[i][COL_PART] = cell_int(p->partition, p->named);
        if (p->refused) {
            sw_buf r = {0};
            sw_buf_puts(&r, "refused: ");
            sw_json_str_body(&r, p->refused, strlen(p->refused));
            cells[i][COL_VERSION] = dupn(r.p ? r.p : "", r.oom ? 0 : r.len);
            sw_buf_free(&r);
        } else {
            cells[i][COL_VERSION] = cell_int(SW_STATE_FORMAT, p->has_version);
            cells[i][COL_OFFSET] = cell_int(p->offset, p->offset >= 0);
            cells[i][COL_OWNER] = cell_str(p->owner, p->owner_len, p->owner != NULL);
            sw_buf t = {0};
            if (p->updated_bad) sw_buf_puts(&t, "invalid");
            else if (p->updated_ms == SW_TIME_NONE) sw_buf_puts(&t, "-");
            else put_time_text(&t, p->updated_ms);
            cells[i][COL_UPDATED] = dupn(t.p ? t.p : "", t.oom ? 0 : t.len);
            sw_buf_reset(&t);
            if (p->pttl >= 0) put_duration(&t, p->pttl);
            else sw_buf_puts(&t, "none"); /* no expiry */
            cells[i][COL_TTL] = dupn(t.p ? t.p : "", t.oom ? 0 : t.len);
            sw_buf_free(&t);
            cells[i][COL_USERS] = cell_int(p->users, p->users >= 0);
            cells[i][COL_TENANTS] = cell_int(p->tenants, p->tenants >= 0);
        }
        for (int c = 0; c < NCOL; c++) {
            if (!cells[i][c] || (p->refused && c == COL_VERSION)) continue;
            size_t cw = width(cells[i][c]);
            if (cw > w[c]) w[c] = cw;
        }
    }
    for (size_t i = 0; i <= n; i++) {
        for (int c = 0; c < NCOL; c++) {
            const char *s = i == 0 ? col_name[c] : cells[i - 1][c];
            if (!s) break;
            sw_buf_puts(b, s);
            bool last = c == NCOL - 1 || (i > 0 && !cells[i - 1][c + 1]);
            if (last) break;
            for (size_t k = width(s); k < w[c] + 2; k++) sw_buf_putc(b, ' ');
        }
        sw_buf_putc(b, '\n');
    }
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < NCOL; c++) free(cells[i][c]);
    free(cells);
}

/* ---- users ---------------------------------------------------------------- */

typedef struct {
    char *tenant;
    size_t tn;
    char *value;
    size_t vn;
} found;

static int found_cmp(const void *a, const void *b) {
    const found *p = a, *q = b;
    return bytes_cmp(p->tenant, p->tn, q->tenant, q->tn);
}

/* Adds the found (tenant, value) unless HSCAN returned it already. */
static void add_found(found **v, size_t *n, size_t *cap, const char *tenant, size_t tn, const redisReply *val) {
    for (size_t j = 0; j < *n; j++)
        if (bytes_cmp((*v)[j].tenant, (*v)[j].tn, tenant, tn) == 0) return;
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        found *nv = realloc(*v, *cap * sizeof *nv);
        if (!nv) {
            fputs("sessionwatch state: out of memory\n", stderr);
            exit(1);
        }
        *v = nv;
    }
    (*v)[(*n)++] = (found){dupn(tenant, tn), tn, dupn(val->str, val->len), val->len};
}

/* The user fields of p whose actor is exactly id.  -1 when Redis failed. */
static int find_user(insp *x, part *p, const char *id, found **out, size_t *nout) {
    size_t pat_len;
    char *pat = sw_key_user_pattern(id, strlen(id), &pat_len);
    if (!pat) {
        fputs("sessionwatch state: out of memory\n", stderr);
        return -1;
    }
    static const char what[] = "searching users (HSCAN)";
    const char *users = p->keys[SW_KEY_USERS];
    sw_scan sc;
    sw_scan_init(&sc, &x->r, users, strlen(users), pat, pat_len);
    size_t n = 0, cap = 0;
    found *v = NULL;
    char *tenant = NULL;
    size_t tenant_cap = 0;
    const redisReply *kv;
    sw_scan_status ss;
    int rc = 0;
    while ((ss = sw_scan_next(&sc, &kv)) != SW_SCAN_DONE) {
        if (ss == SW_SCAN_ERROR && is_wrongtype(sc.reply)) { /* changed type while being read */
            refuse(p, "%A is not a hash (it changed while being read)", users, strlen(users), NULL, 0);
            break;
        }
        if (ss != SW_SCAN_PAGE) {
            if (ss == SW_SCAN_NO_REPLY) report_no_reply(x, what);
            else if (ss == SW_SCAN_ERROR) report_error_reply(x, what, sc.reply);
            else fprintf(stderr, "sessionwatch state: unexpected reply to HSCAN from %s\n", x->where);
            rc = -1;
            break;
        }
        for (size_t i = 0; i + 1 < kv->elements; i += 2) {
            const redisReply *f = kv->element[i], *val = kv->element[i + 1];
            if (f->type != REDIS_REPLY_STRING || val->type != REDIS_REPLY_STRING) continue;
            if (f->len > tenant_cap) {
                free(tenant);
                tenant = xmalloc(f->len);
                tenant_cap = f->len;
            }
            size_t tn, an;
            const char *actor;
            if (sw_key_user_field_split(f->str, f->len, tenant, &tn, &actor, &an) != 0) continue;
            if (an == strlen(id) && memcmp(actor, id, an) == 0) add_found(&v, &n, &cap, tenant, tn, val);
        }
    }
    sw_scan_end(&sc);
    free(tenant);
    free(pat);
    if (v) qsort(v, n, sizeof *v, found_cmp);
    *out = v;
    *nout = n;
    return rc;
}

/* The tenant's watermark from p's tenants hash; SW_TIME_NONE when absent
 * or corrupt. -1 when Redis failed. */
static int tenant_watermark(insp *x, const part *p, sw_store *s, const found *f, int64_t *wm) {
    *wm = SW_TIME_NONE;
    const char *argv[] = {"HGET", p->keys[SW_KEY_TENANTS], f->tenant};
    size_t lens[] = {4, strlen(p->keys[SW_KEY_TENANTS]), f->tn};
    redisReply *rep = call(x, "HGET", 3, argv, lens);
    if (!rep) return -1;
    if (rep->type == REDIS_REPLY_STRING) {
        sw_tenant *t = sw_store_tenant(s, f->tenant, f->tn);
        if (t) {
            t->watermark = SW_TIME_NONE;
            if (sw_codec_tenant_decode(s, t, rep->str, rep->len) == SW_CODEC_OK) *wm = t->watermark;
        }
    }
    freeReplyObject(rep);
    return 0;
}

/* Sessions in the order alerts list them: by last_seen, then id. */
static int session_cmp(const void *a, const void *b) {
    const sw_session *p = *(const sw_session *const *)a, *q = *(const sw_session *const *)b;
    if (p->last_seen != q->last_seen) return p->last_seen < q->last_seen ? -1 : 1;
    return bytes_cmp(sw_session_id(p), p->id_len, sw_session_id(q), q->id_len);
}

static const sw_session **sorted_sessions(const sw_user *u, size_t *n) {
    const sw_session **v = xmalloc(((size_t)u->nsessions + 1) * sizeof *v);
    *n = 0;
    for (const sw_session *s = u->sessions; s && *n < u->nsessions; s = s->next) v[(*n)++] = s;
    qsort(v, *n, sizeof *v, session_cmp);
    return v;
}

static void kv_text(sw_buf *b, const char *indent, const char *key, const char *p, size_t n) {
    sw_buf_puts(b, indent);
    sw_buf_puts(b, key);
    sw_buf_puts(b, ": ");
    sw_json_str(b, p, n);
    sw_buf_putc(b, '\n');
}

static void time_text(sw_buf *b, const char *indent, const char *key, int64_t ms) {
    sw_buf_puts(b, indent);
    sw_buf_puts(b, key);
    sw_buf_puts(b, ": ");
    put_time_text(b, ms);
    sw_buf_putc(b, '\n');
}

static void user_text_head(sw_buf *b, const part *p, const char *id, const found *f) {
    sw_buf_puts(b, "user ");
    sw_json_cstr(b, id);
    sw_buf_puts(b, " in tenant ");
    sw_json_str(b, f->tenant, f->tn);
    sw_buf_putc(b, '\n');
    kv_text(b, "  ", "group", p->group, p->gn);
    kv_text(b, "  ", "topic", p->topic, p->tn);
    char t[64];
    snprintf(t, sizeof t, "  partition: %d\n", (int)p->partition);
    sw_buf_puts(b, t);
}

static void user_text(sw_buf *b, const part *p, const char *id, const found *f, const sw_user *u, int64_t wm) {
    user_text_head(b, p, id, f);
    time_text(b, "  ", "last_alert (r)", u->last_alert);
    time_text(b, "  ", "max_time (maxT)", u->max_time);
    time_text(b, "  ", "tenant_watermark", wm);
    char t[64];
    snprintf(t, sizeof t, "  sessions: %u\n", (unsigned)u->nsessions);
    sw_buf_puts(b, t);
    size_t nv;
    const sw_session **v = sorted_sessions(u, &nv);
    for (size_t i = 0; i < nv; i++) {
        const sw_session *s = v[i];
        sw_buf_puts(b, "  - id: ");
        sw_json_str(b, sw_session_id(s), s->id_len);
        sw_buf_putc(b, '\n');
        time_text(b, "    ", "first_seen", s->first_seen);
        time_text(b, "    ", "last_seen", s->last_seen);
        snprintf(t, sizeof t, "    events: %u\n", (unsigned)s->events);
        sw_buf_puts(b, t);
        kv_text(b, "    ", "ip", sw_session_ip(s), s->ip_len);
        kv_text(b, "    ", "user_agent", sw_session_ua(s), s->ua_len);
        kv_text(b, "    ", "country", sw_session_country(s), s->country_len);
        kv_text(b, "    ", "city", sw_session_city(s), s->city_len);
        kv_text(b, "    ", "uuid", sw_session_uuid(s), s->uuid_len);
    }
    free(v);
}

static void user_json_head(sw_buf *b, const part *p, const char *id, const found *f) {
    part_json_head(b, p, "user");
    put_opt_json(b, "tenant", f->tenant, f->tn, true);
    put_opt_json(b, "actor", id, strlen(id), true);
}

static void user_json(sw_buf *b, const part *p, const char *id, const found *f, const sw_user *u, int64_t wm) {
    user_json_head(b, p, id, f);
    sw_buf_puts(b, ",\"last_alert\":");
    put_time_json(b, u->last_alert);
    sw_buf_puts(b, ",\"max_time\":");
    put_time_json(b, u->max_time);
    sw_buf_puts(b, ",\"tenant_watermark\":");
    put_time_json(b, wm);
    sw_buf_puts(b, ",\"sessions\":[");
    size_t nv;
    const sw_session **v = sorted_sessions(u, &nv);
    for (size_t i = 0; i < nv; i++) {
        const sw_session *s = v[i];
        if (i) sw_buf_putc(b, ',');
        sw_buf_puts(b, "{\"id\":");
        sw_json_str(b, sw_session_id(s), s->id_len);
        sw_buf_puts(b, ",\"first_seen\":");
        put_time_json(b, s->first_seen);
        sw_buf_puts(b, ",\"last_seen\":");
        put_time_json(b, s->last_seen);
        put_int_json(b, "events", s->events, true);
        put_opt_json(b, "ip", sw_session_ip(s), s->ip_len, true);
        put_opt_json(b, "user_agent", sw_session_ua(s), s->ua_len, true);
        put_opt_json(b, "country", sw_session_country(s), s->country_len, true);
        put_opt_json(b, "city", sw_session_city(s), s->city_len, true);
        put_opt_json(b, "uuid", sw_session_uuid(s), s->uuid_len, true);
        sw_buf_putc(b, '}');
    }
    free(v);
    sw_buf_puts(b, "]}\n");
}

static void corrupt_out(insp *x, const part *p, const char *id, const found *f) {
    char t[64];
    if (x->json) {
        user_json_head(&x->out, p, id, f);
        snprintf(t, sizeof t, ",\"corrupt\":true,\"bytes\":%zu}\n", f->vn);
    } else {
        user_text_head(&x->out, p, id, f);
        snprintf(t, sizeof t, "  corrupt (%zu bytes)\n", f->vn);
    }
    sw_buf_puts(&x->out, t);
}

/* ---- output --------------------------------------------------------------- */

/* Writes and empties the output buffer; -1 when stdout fails. */
static int flush_out(insp *x) {
    if (x->out.oom) {
        fputs("sessionwatch state: out of memory\n", stderr);
        return -1;
    }
    if (x->out.len && fwrite(x->out.p, 1, x->out.len, stdout) != x->out.len) {
        fputs("sessionwatch state: cannot write to stdout\n", stderr);
        return -1;
    }
    sw_buf_reset(&x->out);
    return 0;
}

/* "no sessionwatch state [matching --group ..] in URL", or "no user "ID" in
 * the N partitions searched [(--group ..)] in URL": on stdout in text
 * mode, on stderr with --json (stdout holds only JSON lines). */
static void nothing(insp *x, const filter *f, const char *user, size_t searched) {
    sw_buf m = {0};
    if (user) {
        sw_buf_puts(&m, "no user ");
        sw_json_cstr(&m, user);
        char t[64];
        snprintf(t, sizeof t, " in the %zu partition%s searched", searched, searched == 1 ? "" : "s");
        sw_buf_puts(&m, t);
    } else {
        sw_buf_puts(&m, "no sessionwatch state");
    }
    if (f->group || f->topic) {
        sw_buf_puts(&m, user ? " (" : " matching ");
        if (f->group) {
            sw_buf_puts(&m, "--group ");
            sw_json_cstr(&m, f->group);
        }
        if (f->topic) {
            sw_buf_puts(&m, f->group ? " --topic " : "--topic ");
            sw_json_cstr(&m, f->topic);
        }
        if (f->has_partition) {
            char t[32];
            snprintf(t, sizeof t, " --partition %d", (int)f->partition);
            sw_buf_puts(&m, t);
        }
        if (user) sw_buf_putc(&m, ')');
    }
    sw_buf_puts(&m, " in ");
    sw_buf_puts(&m, x->where);
    sw_buf_putc(&m, '\n');
    if (!m.oom) fwrite(m.p, 1, m.len, x->json ? stderr : stdout);
    sw_buf_free(&m);
}

static int inspect(insp *x, const filter *f, const char *user) {
    parts ps = {0};
    int rc = list_keys(x, f, &ps) == 0 ? 0 : 1;
    size_t k = 0;
    for (size_t i = 0; i < ps.n; i++) {
        part *p = &ps.v[i];
        bool keep = false;
        if (rc == 0) {
            parse_key(p);
            if (matches(f, p)) {
                if (inspect_part(x, p) != 0) rc = 1; /* reported */
                else keep = !p->gone;
            }
        }
        if (keep) ps.v[k++] = *p;
        else part_free(p);
    }
    ps.n = k;
    if (rc != 0) {
        for (size_t i = 0; i < ps.n; i++) part_free(&ps.v[i]);
        free(ps.v);
        return rc;
    }
    if (ps.v) qsort(ps.v, ps.n, sizeof *ps.v, part_cmp);

    if (!user) {
        if (ps.n == 0) {
            nothing(x, f, NULL, 0);
        } else if (x->json) {
            for (size_t i = 0; i < ps.n; i++) part_json(&x->out, &ps.v[i]);
        } else {
            char t[64];
            snprintf(t, sizeof t, "%zu partition%s in ", ps.n, ps.n == 1 ? "" : "s");
            sw_buf_puts(&x->out, t);
            sw_buf_puts(&x->out, x->where);
            sw_buf_puts(&x->out, "\n");
            parts_text(&x->out, ps.v, ps.n);
        }
        if (flush_out(x) != 0) rc = 1;
    } else {
        sw_store s;
        if (sw_store_init(&s, 0, 0) != 0) {
            fputs("sessionwatch state: out of memory\n", stderr);
            exit(1);
        }
        size_t users = 0, searched = 0;
        for (size_t i = 0; i < ps.n && rc == 0; i++) {
            part *p = &ps.v[i];
            found *fv = NULL;
            size_t nf = 0;
            if (!p->refused && find_user(x, p, user, &fv, &nf) != 0) rc = 1;
            if (p->refused && !p->named) continue; /* not a partition at all */
            if (p->refused) { /* also when it changed type during the search */
                if (x->json) part_json(&x->out, p);
                else {
                    sw_buf_puts(&x->out, "partition ");
                    sw_json_str(&x->out, p->key, p->key_len);
                    sw_buf_puts(&x->out, " not searched: refused: ");
                    sw_json_str_body(&x->out, p->refused, strlen(p->refused));
                    sw_buf_putc(&x->out, '\n');
                }
            } else {
                searched++;
            }
            for (size_t j = 0; j < nf && rc == 0 && !p->refused; j++) {
                int64_t wm;
                if (tenant_watermark(x, p, &s, &fv[j], &wm) != 0) {
                    rc = 1;
                    break;
                }
                sw_tenant *t = sw_store_tenant(&s, fv[j].tenant, fv[j].tn);
                sw_user *u = t ? sw_store_user(&s, t, user, strlen(user)) : NULL;
                if (!u) {
                    fputs("sessionwatch state: out of memory\n", stderr);
                    exit(1);
                }
                sw_window_clear(u, &s.slab);
                sw_window_init(u);
                sw_codec_status cs = sw_codec_user_decode(u, &s.slab, fv[j].value, fv[j].vn, 0);
                if (cs == SW_CODEC_NOMEM) {
                    fputs("sessionwatch state: out of memory\n", stderr);
                    exit(1);
                }
                if (cs == SW_CODEC_OK && x->json) user_json(&x->out, p, user, &fv[j], u, wm);
                else if (cs == SW_CODEC_OK) user_text(&x->out, p, user, &fv[j], u, wm);
                else corrupt_out(x, p, user, &fv[j]);
                sw_window_clear(u, &s.slab);
                sw_window_init(u);
                users++;
                if (flush_out(x) != 0) rc = 1;
            }
            for (size_t j = 0; j < nf; j++) {
                free(fv[j].tenant);
                free(fv[j].value);
            }
            free(fv);
            if (rc == 0 && flush_out(x) != 0) rc = 1;
        }
        sw_store_destroy(&s);
        if (rc == 0 && users == 0) nothing(x, f, user, searched);
    }
    for (size_t i = 0; i < ps.n; i++) part_free(&ps.v[i]);
    free(ps.v);
    return rc;
}

/* ---- command line --------------------------------------------------------- */

int sw_cmd_state(int argc, char **argv) {
    sw_args a = {argc, argv, 1, "state"};
    const char *state = getenv("SESSIONWATCH_STATE"), *group = NULL, *topic = NULL, *partition_s = NULL;
    const char *user = NULL, *timeout_s = "5s", *sub = NULL;
    bool json = false;
    while (a.i < argc) {
        const char *arg = argv[a.i];
        int r;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if ((r = sw_arg_value(&a, "--state", &state)) != 0 || (r = sw_arg_value(&a, "--group", &group)) != 0 ||
            (r = sw_arg_value(&a, "--topic", &topic)) != 0 ||
            (r = sw_arg_value(&a, "--partition", &partition_s)) != 0 ||
            (r = sw_arg_value(&a, "--user", &user)) != 0 || (r = sw_arg_value(&a, "--timeout", &timeout_s)) != 0) {
            if (r < 0) return 2;
            continue;
        }
        if (sw_arg_flag(&a, "--json")) {
            json = true;
            continue;
        }
        if (arg[0] == '-') return sw_cli_error("state", "unknown option '%s'", arg);
        if (sub) return sw_cli_error("state", "unexpected argument '%s'", arg);
        sub = arg;
        a.i++;
    }
    if (!sub) return sw_cli_error("state", "a subcommand is required: 'sessionwatch state inspect'");
    if (strcmp(sub, "inspect") != 0)
        return sw_cli_error("state", "unknown subcommand '%s' (the one subcommand is inspect)", sub);
    if (!state || !*state)
        return sw_cli_error("state", "--state redis://HOST:PORT is required (or set SESSIONWATCH_STATE)");
    if (strcmp(state, "memory") == 0)
        return sw_cli_error("state", "--state memory keeps state inside the worker; inspect reads Redis "
                                     "(--state redis://HOST:PORT)");
    if (group && !*group) return sw_cli_error("state", "--group needs a non-empty value");
    if (topic && !*topic) return sw_cli_error("state", "--topic needs a non-empty value");
    if (user && !*user) return sw_cli_error("state", "--user needs a non-empty actor id");
    filter f = {.group = group, .topic = topic};
    if (partition_s) {
        uint64_t p;
        if (sw_parse_u64(partition_s, 0, INT32_MAX, &p) != 0)
            return sw_cli_error("state", "--partition: '%s' is not a partition number (0 to 2147483647)",
                                partition_s);
        if (!group || !topic) return sw_cli_error("state", "--partition needs --group and --topic");
        f.has_partition = true;
        f.partition = (int32_t)p;
    }
    int64_t timeout_ms;
    if (sw_parse_duration(timeout_s, &timeout_ms) != 0 || timeout_ms < 100 || timeout_ms > 600000)
        return sw_cli_error("state", "--timeout: '%s' is not a duration from 100ms to 10m (e.g. 5s)", timeout_s);

    sw_redis_target target;
    char err[512];
    if (sw_redis_parse_url(state, &target, err, sizeof err) != 0) {
        fprintf(stderr, "sessionwatch state: %s\n(see 'sessionwatch state --help')\n", err);
        return 2;
    }
    insp x = {.json = json};
    sw_redis_describe(&target, x.where, sizeof x.where);
    sw_redis_init(&x.r, &target, (int)timeout_ms);
    int rc;
    if (sw_redis_connect(&x.r) != 0) {
        /* Not reachable, or reachable but AUTH / SELECT refused. */
        if (strncmp(x.r.err, "cannot connect", 14) == 0)
            fprintf(stderr,
                    "sessionwatch state: %s\n"
                    "(is redis-server running at %s? check --state or $SESSIONWATCH_STATE)\n",
                    x.r.err, x.where);
        else
            fprintf(stderr,
                    "sessionwatch state: %s: %s\n"
                    "(check --state: user, password ($" SW_REDIS_PASSWORD_ENV ") and database)\n",
                    x.where, x.r.err);
        rc = 1;
    } else {
        rc = inspect(&x, &f, user);
    }
    if (fflush(stdout) != 0 && rc == 0) {
        fputs("sessionwatch state: cannot write to stdout\n", stderr);
        rc = 1;
    }
    sw_buf_free(&x.out);
    sw_redis_close(&x.r);
    sw_redis_target_free(&target);
    return rc;
}

/* irecord.c -- see irecord.h: the internal record's encoder and its
 * validating decoder (every length checked against the bytes left). */
#include "irecord.h"

#include <string.h>

#include "hash.h"

#define MAGIC0 'S'
#define MAGIC1 'i'
#define RULE_HASH_SEED 0x5357697265633031ULL /* "SWirec01" */
#define FLAG_ID_IS_UUID 1u
#define FLAG_KAFKA 2u
#define FLAG_NO_NAME 4u
#define FLAGS_KNOWN 7u

/* ---- encoding ---------------------------------------------------------------- */

static void put_varint(sw_buf *b, uint64_t v) {
    uint8_t out[10];
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    sw_buf_put(b, out, n);
}

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static void put_text(sw_buf *b, sw_span s) {
    put_varint(b, s.n);
    sw_buf_put(b, s.p, s.n);
}

static int same(sw_span a, sw_span b) { return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0); }

static int in_bounds(const sw_irecord *r) {
    if (r->nterms < 1 || r->nterms > SW_SPEC_MAX_GROUP_BY) return 0;
    if (r->nrules < 1 || r->nrules > SW_IREC_MAX_RULES || r->nvalues > SW_IREC_MAX_VALUES) return 0;
    for (uint32_t i = 0; i < r->nrules; i++)
        if (r->rules[i].n > SW_FIELD_MAX_VALUES || r->rules[i].first > r->nvalues ||
            r->rules[i].n > r->nvalues - r->rules[i].first || r->rules[i].time < SW_IREC_MIN_TIME ||
            r->rules[i].time > SW_IREC_MAX_TIME)
            return 0;
    if (r->tenant.n > SW_IREC_MAX_TEXT || r->identity.n > SW_IREC_MAX_TEXT || r->src.name.n > SW_IREC_MAX_TEXT)
        return 0;
    for (uint32_t i = 0; i < r->nterms; i++)
        if (r->terms[i].n > SW_IREC_MAX_TEXT) return 0;
    for (int f = 0; f < SW_IREC_FIELDS; f++)
        if (r->field[f].n > SW_IREC_MAX_TEXT) return 0;
    for (uint32_t i = 0; i < r->nvalues; i++)
        if (r->values[i].n > SW_IREC_MAX_TEXT) return 0;
    return 1;
}

static void put_source(sw_buf *b, const sw_irec_source *s) {
    if (s->name.p) put_text(b, s->name);
    if (s->kafka) {
        put_varint(b, zigzag(s->partition));
        put_varint(b, zigzag(s->offset));
    } else {
        put_varint(b, s->line);
    }
    put_varint(b, zigzag(s->kafka_time_ms));
    put_varint(b, s->index == UINT32_MAX ? 0 : (uint64_t)s->index + 1);
}

int sw_irecord_encode(sw_buf *b, const sw_irecord *r) {
    if (!in_bounds(r)) return -1;
    const sw_span *uuid = &r->field[SW_IREC_UUID];
    uint8_t present = 0, flags = 0;
    for (int f = 0; f < SW_IREC_FIELDS; f++)
        if (r->field[f].p) present |= (uint8_t)(1u << f);
    if (uuid->p && same(*uuid, r->identity)) flags |= FLAG_ID_IS_UUID;
    if (r->src.kafka) flags |= FLAG_KAFKA;
    if (!r->src.name.p) flags |= FLAG_NO_NAME;
    uint8_t head[5] = {MAGIC0, MAGIC1, SW_IREC_VERSION_1, present, flags};
    sw_buf_put(b, head, sizeof head);
    put_text(b, r->tenant);
    put_varint(b, r->nterms);
    for (uint32_t i = 0; i < r->nterms; i++) put_text(b, r->terms[i]);
    if (!(flags & FLAG_ID_IS_UUID)) put_text(b, r->identity);
    for (int f = 0; f < SW_IREC_FIELDS; f++)
        if (r->field[f].p) put_text(b, r->field[f]);
    put_source(b, &r->src);
    put_varint(b, r->nrules);
    for (uint32_t i = 0; i < r->nrules; i++) {
        const sw_irec_rule *ru = &r->rules[i];
        uint8_t h[8];
        for (int k = 0; k < 8; k++) h[k] = (uint8_t)(ru->rule >> (8 * k));
        sw_buf_put(b, h, sizeof h);
        put_varint(b, zigzag(ru->time));
        put_varint(b, ru->n);
        for (uint32_t k = 0; k < ru->n; k++) put_text(b, r->values[ru->first + k]);
    }
    return 0;
}

/* ---- decoding ---------------------------------------------------------------- */

typedef struct {
    const uint8_t *p, *end;
    int bad;
} reader;

/* A canonical varint of at most 10 bytes that fits 64 bits. */
static uint64_t get_varint(reader *rd) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (rd->p == rd->end) break;
        uint8_t byte = *rd->p++;
        if (shift == 63 && byte > 1) break;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            if (byte == 0 && shift > 0) break; /* overlong */
            return v;
        }
    }
    rd->bad = 1;
    return 0;
}

static uint64_t get_bounded(reader *rd, uint64_t lo, uint64_t hi) {
    uint64_t v = get_varint(rd);
    if (v < lo || v > hi) rd->bad = 1;
    return rd->bad ? lo : v;
}

static sw_span get_text(reader *rd) {
    uint64_t n = get_bounded(rd, 0, SW_IREC_MAX_TEXT);
    if (rd->bad || n > (uint64_t)(rd->end - rd->p)) {
        rd->bad = 1;
        return (sw_span){"", 0};
    }
    sw_span s = {(const char *)rd->p, (size_t)n};
    rd->p += n;
    return s;
}

static int64_t get_zz(reader *rd) { return unzigzag(get_varint(rd)); }

static void get_source(reader *rd, uint8_t flags, sw_irec_source *s) {
    s->kafka = (flags & FLAG_KAFKA) != 0;
    s->name = (sw_span){NULL, 0};
    if (!(flags & FLAG_NO_NAME)) {
        s->name = get_text(rd);
        if (memchr(s->name.p, '\0', s->name.n)) rd->bad = 1; /* it becomes a C string */
    }
    s->line = 0, s->partition = 0, s->offset = 0;
    if (s->kafka) {
        int64_t part = get_zz(rd);
        if (part < INT32_MIN || part > INT32_MAX) rd->bad = 1;
        s->partition = (int32_t)part;
        s->offset = get_zz(rd);
    } else {
        s->line = get_varint(rd);
    }
    s->kafka_time_ms = get_zz(rd);
    uint64_t index = get_bounded(rd, 0, UINT32_MAX);
    s->index = index == 0 ? UINT32_MAX : (uint32_t)(index - 1);
}

static void get_rules(reader *rd, sw_irecord *r) {
    r->nrules = (uint32_t)get_bounded(rd, 1, SW_IREC_MAX_RULES);
    r->nvalues = 0;
    for (uint32_t i = 0; i < r->nrules && !rd->bad; i++) {
        sw_irec_rule *ru = &r->rules[i];
        if (rd->end - rd->p < 8) {
            rd->bad = 1;
            return;
        }
        ru->rule = 0;
        for (int k = 0; k < 8; k++) ru->rule |= (uint64_t)rd->p[k] << (8 * k);
        rd->p += 8;
        ru->time = get_zz(rd);
        if (ru->time < SW_IREC_MIN_TIME || ru->time > SW_IREC_MAX_TIME) rd->bad = 1;
        ru->first = r->nvalues;
        ru->n = (uint32_t)get_bounded(rd, 0, SW_FIELD_MAX_VALUES);
        for (uint32_t k = 0; k < ru->n && !rd->bad; k++) r->values[r->nvalues++] = get_text(rd);
    }
}

sw_irec_status sw_irecord_decode(sw_irecord *r, const void *p, size_t n) {
    const uint8_t *b = p;
    if (n < 5 || b[0] != MAGIC0 || b[1] != MAGIC1) return SW_IREC_MALFORMED;
    if (b[2] > SW_IREC_VERSION_1) return SW_IREC_VERSION;
    if (b[2] != SW_IREC_VERSION_1) return SW_IREC_MALFORMED;
    uint8_t present = b[3], flags = b[4];
    if (flags & ~FLAGS_KNOWN) return SW_IREC_MALFORMED;
    if ((flags & FLAG_ID_IS_UUID) && !(present & (1u << SW_IREC_UUID))) return SW_IREC_MALFORMED;
    if ((flags & FLAG_KAFKA) && (flags & FLAG_NO_NAME)) return SW_IREC_MALFORMED;
    reader rd = {b + 5, b + n, 0};
    r->tenant = get_text(&rd);
    r->nterms = (uint32_t)get_bounded(&rd, 1, SW_SPEC_MAX_GROUP_BY);
    for (uint32_t i = 0; i < r->nterms && !rd.bad; i++) r->terms[i] = get_text(&rd);
    if (!(flags & FLAG_ID_IS_UUID)) r->identity = get_text(&rd);
    for (int f = 0; f < SW_IREC_FIELDS && !rd.bad; f++)
        r->field[f] = present >> f & 1 ? get_text(&rd) : (sw_span){NULL, 0};
    if (flags & FLAG_ID_IS_UUID) r->identity = r->field[SW_IREC_UUID];
    else if (!rd.bad && r->field[SW_IREC_UUID].p && same(r->field[SW_IREC_UUID], r->identity))
        rd.bad = 1; /* the encoder would have set the flag */
    if (!rd.bad) get_source(&rd, flags, &r->src);
    if (!rd.bad) get_rules(&rd, r);
    return rd.bad || rd.p != rd.end ? SW_IREC_MALFORMED : SW_IREC_OK;
}

uint64_t sw_irecord_rule_hash(const char *rule_id) { return sw_hash64(rule_id, strlen(rule_id), RULE_HASH_SEED); }

/* ---- sources ----------------------------------------------------------------- */

void sw_irecord_source(const sw_irecord *r, sw_buf *name_buf, sw_source *out) {
    const sw_irec_source *s = &r->src;
    const char *name = NULL;
    if (s->name.p) {
        sw_buf_reset(name_buf);
        sw_buf_put(name_buf, s->name.p, s->name.n);
        sw_buf_putc(name_buf, '\0');
        name = name_buf->oom ? "" : name_buf->p;
    }
    *out = (sw_source){.file = s->kafka ? NULL : name, .line = s->line, .topic = s->kafka ? (name ? name : "") : NULL,
                       .partition = s->partition, .offset = s->offset, .kafka_time_ms = s->kafka_time_ms,
                       .index = s->index};
}

void sw_irecord_set_source(sw_irecord *r, const sw_source *src) {
    const char *name = src->topic ? src->topic : src->file;
    r->src = (sw_irec_source){.kafka = src->topic != NULL, .name = {name, name ? strlen(name) : 0},
                              .line = src->topic ? 0 : src->line, .partition = src->topic ? src->partition : 0,
                              .offset = src->topic ? src->offset : 0, .kafka_time_ms = src->kafka_time_ms,
                              .index = src->index};
}

/* extract.cpp -- the only C++ in sessionwatch: all JSON parsing, as a C API
 * over simdjson's On-Demand parser (one record in, sw_events out).
 *
 * C++ only because simdjson is.  Built with -fno-exceptions -fno-rtti, it
 * uses simdjson's error codes everywhere and exports extern "C" functions,
 * so nothing C++ reaches the C side.
 *
 * It runs on every candidate record, hence:
 *  - nothing is allocated per record: the parser, its string buffer, one
 *    padded copy buffer and the event array of one record are sized once in
 *    sw_parser_new();
 *  - records are parsed in place when the caller promises SW_PADDING bytes
 *    after them, copied only otherwise;
 *  - each object is walked once; a key is unescaped and matched against a
 *    static table of dotted paths, and only keys that lead to a wanted path
 *    are descended into.  simdjson skips the rest without recursion.
 *    The paths of both kinds (raw LogEvent, ECS) are matched in that one
 *    walk; the record's kind is decided from its top-level keys at the end
 *    and only its kind's values are copied out (extract.h, "Kind");
 *  - the catalogue rows the loaded rules read (sw_parser_want_fields) are
 *    matched in the same walk, in a second set of entries beside the
 *    rule's (the two do not fit one 64-bit set), with their own rules for
 *    arrays (walked into, where the rule's entries take an array as one
 *    SW_OTHER value).  walk() is a template on "are catalogue rows
 *    wanted", so with none the rule's walk is compiled exactly as alone.
 *
 * Paths are matched without building them: a walk keeps a cursor (the
 * table entries whose paths start with the keys above, and how many bytes
 * of those paths the keys used).  A key continues entry e if it equals
 * e.path[off..off+klen) and e.path ends or has a '.' right after, so
 * {"a":{"b.c":..}}, {"a.b":{"c":..}} and {"a.b.c":..} reach the same entry
 * and an overlong key matches nothing.  The candidate paths are the
 * bounded "path buffer".
 *
 * On-Demand enforces no nesting limit in release builds, so depth is
 * checked here: a vectorised count of '[' and '{', then an exact
 * string-aware scan only when the count exceeds the limit. */
#include "extract.h"
#include "fields.h"

#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace od = simdjson::ondemand;

static_assert(SW_PADDING >= simdjson::SIMDJSON_PADDING, "SW_PADDING below simdjson's padding");

namespace {

/* simdjson's default max depth: nesting beyond this is malformed. */
constexpr int SW_MAX_DEPTH = 1024;
/* A tenant path longer than this can never match (it also bounds how deep
 * the walker recurses: each level consumes at least two path bytes). */
constexpr size_t SW_MAX_TENANT_PATH = 255;

/* Which kind of record a source path belongs to (see "Kind" in extract.h). */
enum kind : uint8_t { K_RAW = 0, K_ECS = 1 };

struct want {
    const char *path;
    uint32_t len;  /* strlen(path), filled in by sw_parser_new */
    uint8_t field; /* sw_field */
    uint8_t kind;  /* K_RAW or K_ECS: read only in records of that kind */
    bool marker;   /* present at the top level: the record is raw */
};

/* Every source path the rule reads, per kind.  Among the sources of one
 * field in one kind, the earlier entry wins when more than one is present,
 * so entries of one field and kind are listed in order of preference. */
const want kWants[] = {
    {"eventType", 0, SW_F_EVENT_TYPE, K_RAW, true},
    {"okta.event_type", 0, SW_F_EVENT_TYPE, K_ECS, false},
    {"actor.id", 0, SW_F_ACTOR_ID, K_RAW, false},
    {"okta.actor.id", 0, SW_F_ACTOR_ID, K_ECS, false},
    {"actor.displayName", 0, SW_F_ACTOR_NAME, K_RAW, false},
    {"okta.actor.display_name", 0, SW_F_ACTOR_NAME, K_ECS, false},
    {"actor.alternateId", 0, SW_F_ACTOR_ALT, K_RAW, false},
    {"okta.actor.alternate_id", 0, SW_F_ACTOR_ALT, K_ECS, false},
    {"authenticationContext.externalSessionId", 0, SW_F_SESSION_ID, K_RAW, false},
    {"okta.authentication_context.external_session_id", 0, SW_F_SESSION_ID, K_ECS, false},
    {"published", 0, SW_F_PUBLISHED, K_RAW, true},
    {"@timestamp", 0, SW_F_TIMESTAMP, K_ECS, false},
    {"event.ingested", 0, SW_F_INGESTED, K_ECS, false},
    {"event.dataset", 0, SW_F_EVENT_DATASET, K_ECS, false},
    {"data_stream.dataset", 0, SW_F_STREAM_DATASET, K_ECS, false},
    {"uuid", 0, SW_F_UUID, K_RAW, false},
    {"okta.uuid", 0, SW_F_UUID, K_ECS, false},
    {"event.id", 0, SW_F_UUID, K_ECS, false},
    {"client.ipAddress", 0, SW_F_CLIENT_IP, K_RAW, false},
    {"client.ip", 0, SW_F_CLIENT_IP, K_ECS, false},
    {"okta.client.ip", 0, SW_F_CLIENT_IP, K_ECS, false},
    {"client.userAgent.rawUserAgent", 0, SW_F_USER_AGENT, K_RAW, false},
    {"okta.client.user_agent.raw_user_agent", 0, SW_F_USER_AGENT, K_ECS, false},
    {"user_agent.original", 0, SW_F_USER_AGENT, K_ECS, false},
    {"client.geographicalContext.country", 0, SW_F_COUNTRY, K_RAW, false},
    {"client.geo.country_name", 0, SW_F_COUNTRY, K_ECS, false},
    {"client.geographicalContext.city", 0, SW_F_CITY, K_RAW, false},
    {"client.geo.city_name", 0, SW_F_CITY, K_ECS, false},
    {"outcome.result", 0, SW_F_OUTCOME, K_RAW, false},
    {"okta.outcome.result", 0, SW_F_OUTCOME, K_ECS, false},
};
constexpr int kNWants = int(sizeof kWants / sizeof kWants[0]);
constexpr int kTenant = kNWants; /* index of the per-call tenant entry */
static_assert(kNWants + 1 <= 64, "entries are tracked in a uint64_t");

/* The catalogue's entries (fields.h): row i's raw path is entry i, its ECS
 * path entry kRowsMax + i.  Both kinds are matched in the one walk, beside
 * the rule's entries, and the record's kind picks one at the end. */
constexpr int kRowsMax = SW_CATALOGUE_MAX;
static_assert(2 * kRowsMax <= 64, "catalogue entries are tracked in a uint64_t");
static_assert(sizeof(sw_kql_field) % 8 == 0 && sizeof(sw_kql_value) % 8 == 0, "catalogue_new's block");
/* Arrays nested below a catalogue path deeper than this are not read. */
constexpr int kMaxArrayNesting = 8;
/* Catalogue values kept per record (every event of a page): 32 per event
 * on average; more are counted in sw_event.fields_dropped. */
constexpr uint32_t kPoolValues = uint32_t(32) * SW_MAX_EVENTS_PER_RECORD;
/* Per-event field arrays: one per event of a page, and one always empty
 * for the events sw_parser_extract returns beyond them. */
constexpr size_t kSlots = size_t(SW_MAX_EVENTS_PER_RECORD) + 1;

struct fentry {
    const char *path; /* NULL: no such entry */
    uint32_t len;
};

/* One object's catalogue values, per entry, before its kind is known. */
struct facc {
    sw_kql_value v[2 * kRowsMax][SW_FIELD_MAX_VALUES];
    uint8_t n[2 * kRowsMax];
    uint32_t dropped, skipped;
};

} // namespace

struct sw_parser {
    od::parser parser;
    size_t max;        /* max_record_bytes */
    char *buf;         /* max + SW_PADDING: copy of short-padded records, or
                          scratch for numeric tenant tokens when in place */
    char *dec;         /* max: read strings holding a lone surrogate, decoded */
    sw_event *events;  /* SW_MAX_EVENTS_PER_RECORD: sw_parser_extract_events' output */
    want wants[kNWants + 1];
    uint64_t first[256];   /* static entries by first byte of the path */
    uint64_t of_kind[2];   /* static entries by kind (K_RAW, K_ECS) */
    uint64_t markers;      /* entries whose presence makes a record raw */
    /* The catalogue rows wanted (sw_parser_want_fields) and their output. */
    uint64_t rows;          /* rows wanted; 0: the catalogue is not walked */
    uint64_t fall;          /* their entries */
    fentry fe[2 * kRowsMax];
    uint8_t canon[2 * kRowsMax]; /* the first entry with the same path: the one
                                    matched, whose values every row of that
                                    path reads (eventType gives three rows) */
    uint8_t readers[2 * kRowsMax]; /* wanted entries whose canon it is */
    uint64_t ffirst[256];   /* catalogue entries by first byte of the path */
    facc *fscratch;         /* [2]: the object walked, an EventBridge detail;
                               the start of the block holding the next two */
    sw_kql_field *fout;     /* kSlots x SW_CATALOGUE_MAX: each event's fields */
    sw_kql_value *pool;     /* kPoolValues: the values they point at */
    explicit sw_parser(size_t cap) noexcept
        : parser(cap), max(0), buf(nullptr), dec(nullptr), events(nullptr), wants(), first(), of_kind(), markers(0),
          rows(0), fall(0), fe(), canon(), readers(), ffirst(), fscratch(nullptr), fout(nullptr), pool(nullptr) {}
};

namespace {

/* One record being assembled (the whole record, or an EventBridge detail):
 * the value of every entry matched, of both kinds.  Which kind is read is
 * decided once the whole object has been walked. */
struct acc {
    sw_value v[kNWants + 1]; /* v[i] is meaningful only where seen has bit i */
    uint64_t seen;           /* entries matched so far */
    uint64_t dup;            /* entries matched more than once */
};

/* Where one walk stands in the table: entries still possible and how many
 * bytes of their paths the enclosing keys have consumed. */
struct cursor {
    acc *a;
    uint64_t cand;
    uint32_t off;
};

/* The same for the catalogue's entries.  At most one walk of an object
 * carries catalogue entries: no catalogue path starts with "detail"
 * (sw_parser_new checks it), so an EventBridge envelope's entries never
 * continue into its detail, which has its own. */
struct fcursor {
    facc *a;
    uint64_t cand;
    uint32_t off;
};

/* Per-element facts about the top-level object (its kind). */
struct top {
    acc *detail;
    facc *fdetail; /* the detail's catalogue values (when wanted) */
    bool has_detail_type;
    bool has_detail_obj;
    bool has_okta; /* a key "okta" or "okta.<anything>" */
};

/* Per-call state. */
struct run {
    sw_parser *p;
    uint64_t all;      /* every entry in use this call */
    uint64_t tbit;     /* the tenant entry's bit, 0 if no tenant */
    char tfirst;       /* tenant path's first byte */
    bool inplace;
    size_t scratch;    /* bytes of p->buf used for tenant tokens (in place) */
    size_t dec;        /* bytes of p->dec used */
    uint32_t pool;     /* values of p->pool used */
};

void acc_init(acc *a) {
    a->seen = 0;
    a->dup = 0;
}

inline bool is_okta_key(std::string_view key) {
    return key.size() >= 4 && memcmp(key.data(), "okta", 4) == 0 && (key.size() == 4 || key[4] == '.');
}

inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The JSON number grammar (RFC 8259 section 6); accepts integers of any
 * size, which simdjson's get_number() refuses beyond 64 bits. */
bool json_number(const char *s, size_t n) {
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i >= n) return false;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    } else {
        return false;
    }
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == d) return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == d) return false;
    }
    return i == n;
}

std::string_view trim_right(std::string_view t) {
    size_t n = t.size();
    while (n > 0 && is_ws(t[n - 1])) n--;
    return t.substr(0, n);
}

/* How many '[' and '{' bytes (in strings too): 16 at a time with the
 * compiler's generic vectors.  '[' is 0x5b and '{' 0x7b, so c | 0x20 ==
 * 0x7b matches exactly those two. */
size_t count_opens(const char *s, size_t n) {
    typedef unsigned char u8x16 __attribute__((vector_size(16)));
    size_t total = 0, i = 0;
    while (n - i >= 16) {
        u8x16 acc = {};
        size_t blocks = (n - i) / 16;
        if (blocks > 255) blocks = 255; /* a lane counts to 255 at most */
        for (size_t b = 0; b < blocks; b++, i += 16) {
            u8x16 v;
            memcpy(&v, s + i, 16);
            acc -= (u8x16)((v | 0x20) == 0x7b); /* true lanes are 0xff: -(-1) */
        }
        for (int k = 0; k < 16; k++) total += acc[k];
    }
    for (; i < n; i++) total += ((unsigned char)s[i] | 0x20) == 0x7b;
    return total;
}

/* More than SW_MAX_DEPTH nested arrays/objects?  That needs more opening
 * brackets than SW_MAX_DEPTH (and as many closing ones), so the exact,
 * string-aware scan runs only on unusual records. */
bool too_deep(const char *s, size_t n) {
    if (n < 2 * size_t(SW_MAX_DEPTH + 1)) return false;
    if (count_opens(s, n) <= size_t(SW_MAX_DEPTH)) return false;
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++depth > SW_MAX_DEPTH) return true;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return false;
}

/* Records v for the entries in mask; an entry seen before is a duplicate
 * and keeps its first value. */
void assign(acc *a, uint64_t mask, sw_value v) {
    uint64_t again = a->seen & mask;
    a->dup |= again;
    mask &= ~again;
    a->seen |= mask;
    while (mask) {
        a->v[__builtin_ctzll(mask)] = v;
        mask &= mask - 1;
    }
}

/* Which candidate entries does key continue, as a leaf (ex) or as an
 * intermediate (pre)? */
inline void match(const run &r, const cursor &c, std::string_view key, uint64_t *ex, uint64_t *pre) {
    size_t klen = key.size();
    const char *k = key.data();
    uint64_t m = c.cand;
    if (c.off == 0) {
        if (klen == 0) return;
        unsigned char k0 = (unsigned char)k[0];
        m &= r.p->first[k0] | (k[0] == r.tfirst ? r.tbit : 0);
    }
    const want *w = r.p->wants;
    size_t end = c.off + klen;
    while (m) {
        int i = __builtin_ctzll(m);
        m &= m - 1;
        /* Cheap rejections first: the path must end or have a '.' right
         * after the key, and agree on the key's first and last bytes. */
        if (end > w[i].len) continue;
        char after = w[i].path[end]; /* '\0' when end == len */
        if (after != '\0' && after != '.') continue;
        const char *wp = w[i].path + c.off;
        if (klen && (wp[0] != k[0] || wp[klen - 1] != k[klen - 1] || memcmp(wp, k, klen) != 0)) continue;
        if (after == '\0') *ex |= uint64_t(1) << i;
        else *pre |= uint64_t(1) << i;
    }
}

/* A number's raw token as the tenant string, owned by the parser. */
inline __attribute__((always_inline)) bool number_token(run &r, simdjson::simdjson_result<od::value> &v,
                                                       sw_value *out) {
    std::string_view tok;
    if (v.raw_json_token().get(tok)) return false;
    tok = trim_right(tok);
    if (!json_number(tok.data(), tok.size())) return false;
    const char *ptr = tok.data();
    if (r.inplace && r.scratch + tok.size() <= r.p->max) {
        /* The record is the caller's memory: keep a copy in ours.  Tokens
         * are disjoint parts of the record, so they all fit in max. */
        memcpy(r.p->buf + r.scratch, tok.data(), tok.size());
        ptr = r.p->buf + r.scratch;
        r.scratch += tok.size();
    }
    out->p = ptr;
    out->n = uint32_t(tok.size());
    out->type = SW_STRING;
    return true;
}

inline int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = char(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* \uXXXX at s (s[0] == '\\', s[1] == 'u'): its code unit, or -1. */
inline int32_t u_escape(const char *s, size_t n) {
    if (n < 6) return -1;
    int32_t v = 0;
    for (int k = 2; k < 6; k++) {
        int h = hexval(s[k]);
        if (h < 0) return -1;
        v = v << 4 | h;
    }
    return v;
}

/* Are the escapes of a string's content (the bytes between its quotes)
 * valid JSON?  Lone surrogates are (RFC 8259 section 8.2 leaves them to
 * the reader); only \uXXXX with 4 hex digits and the 8 short escapes are
 * escapes. */
bool valid_escapes(const char *s, size_t n) {
    const char *end = s + n;
    for (const char *b = static_cast<const char *>(memchr(s, '\\', n)); b;
         b = static_cast<const char *>(memchr(b, '\\', size_t(end - b)))) {
        if (b + 1 >= end) return false;
        switch (b[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            b += 2;
            break;
        case 'u':
            if (u_escape(b, size_t(end - b)) < 0) return false;
            b += 6;
            break;
        default:
            return false;
        }
    }
    return true;
}

/* Where the string whose content starts at s ends (its closing quote).
 * The structural pass has already matched the quotes. */
const char *string_end(const char *s) {
    for (;;) {
        if (*s == '\\') s += 2;
        else if (*s == '"') return s;
        else s++;
    }
}

/* Appends code point cp as UTF-8. */
char *put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) {
        *o++ = char(cp);
    } else if (cp < 0x800) {
        *o++ = char(0xC0 | cp >> 6);
        *o++ = char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = char(0xE0 | cp >> 12);
        *o++ = char(0x80 | (cp >> 6 & 0x3F));
        *o++ = char(0x80 | (cp & 0x3F));
    } else {
        *o++ = char(0xF0 | cp >> 18);
        *o++ = char(0x80 | (cp >> 12 & 0x3F));
        *o++ = char(0x80 | (cp >> 6 & 0x3F));
        *o++ = char(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Unescapes a string's content into o, each lone surrogate becoming U+FFFD
 * (as Lucene stores it in a keyword term).  Used only when simdjson refused
 * the string; the escapes are known valid.  Returns the end of the output,
 * never longer than the input. */
char *unescape_replacing(const char *s, size_t n, char *o) {
    const char *end = s + n;
    while (s < end) {
        if (*s != '\\') {
            *o++ = *s++;
            continue;
        }
        char c = s[1];
        if (c != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            *o++ = to[strchr(from, c) - from];
            s += 2;
            continue;
        }
        uint32_t u = uint32_t(u_escape(s, size_t(end - s)));
        s += 6;
        if (u >= 0xD800 && u < 0xDC00 && end - s >= 6 && s[0] == '\\' && s[1] == 'u') {
            int32_t lo = u_escape(s, size_t(end - s));
            if (lo >= 0xDC00 && lo < 0xE000) {
                o = put_utf8(o, 0x10000 + ((u - 0xD800) << 10) + uint32_t(lo - 0xDC00));
                s += 6;
                continue;
            }
        }
        o = put_utf8(o, u >= 0xD800 && u < 0xE000 ? 0xFFFD : u);
    }
    return o;
}

/* A string value that is read: unescaped into the parser's memory.  A
 * string whose escapes are valid but hold a lone surrogate (simdjson
 * refuses those) is decoded with U+FFFD in its place. */
/* Always inlined (as number_token): walk() is faster with them inline,
 * and a second caller (fvalue) made the compiler stop inlining them (ECS
 * extraction was 8% slower). */
inline __attribute__((always_inline)) bool read_string(run &r, simdjson::simdjson_result<od::value> &v, sw_value *out) {
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) {
        std::string_view tok;
        if (v.raw_json_token().get(tok)) return false;
        tok = trim_right(tok);
        if (tok.size() < 2) return false;
        const char *c = tok.data() + 1;
        size_t n = tok.size() - 2;
        if (string_end(c) != c + n) return false; /* one string, nothing after it */
        if (!valid_escapes(c, n) || r.dec + n > r.p->max) return false;
        char *o = r.p->dec + r.dec;
        s = std::string_view(o, size_t(unescape_replacing(c, n, o) - o));
        r.dec += s.size();
    }
    *out = sw_value{s.data(), uint32_t(s.size()), SW_STRING};
    return true;
}

/* Moves past a value that is not read.  On-Demand skips a value nobody
 * started by bracket depth, and takes a string followed by ':' for a key
 * (simdjson's json_iterator::skip_child), so in {"x":"a":"b"}} the skip of
 * "a" swallowed "b" and the object's '}', the extra '}' closed the record,
 * and the malformed record was accepted.  A string is therefore consumed
 * here (without unescaping), so the next token must be ',' or the closing
 * bracket; scalars and containers are skipped by the loop, which counts
 * their depth correctly.  Nothing inside the value is checked beyond what
 * the structural pass checks (see "Validation" in extract.h): checking
 * every token of unread values cost a third more per record on the
 * benchmark mix. */
inline bool pass_over(simdjson::simdjson_result<od::value> &v) {
    od::json_type type;
    if (v.type().get(type)) return false;
    if (type != od::json_type::string) return true;
    od::raw_json_string s;
    return v.get_raw_json_string().get(s) == simdjson::SUCCESS;
}

/* An array element that is not an object, consumed: a scalar must be
 * exactly one JSON value (string escapes, number grammar, literal
 * spelling); an array is checked like any unread value.  *tok is its
 * text. */
bool non_object(simdjson::simdjson_result<od::value> &el, od::json_type type, std::string_view *tok) {
    if (type == od::json_type::array) {
        od::array a;
        return el.get_array().get(a) == simdjson::SUCCESS && a.raw_json().get(*tok) == simdjson::SUCCESS;
    }
    if (el.raw_json_token().get(*tok)) return false;
    *tok = trim_right(*tok);
    switch (type) {
    case od::json_type::string:
        return tok->size() >= 2 && valid_escapes(tok->data() + 1, tok->size() - 2) && pass_over(el);
    case od::json_type::number: return json_number(tok->data(), tok->size());
    case od::json_type::boolean: return *tok == "true" || *tok == "false";
    case od::json_type::null: return *tok == "null";
    default: return false;
    }
}

/* A field's key, unescaped.  Valid escapes holding a lone surrogate give
 * the empty key (a key no path has); false for invalid escapes. */
inline __attribute__((always_inline)) bool field_key(od::field &field, std::string_view *key) {
    const char *kraw = field.key().raw();
    if (field.unescaped_key().get(*key)) {
        if (!valid_escapes(kraw, size_t(string_end(kraw) - kraw))) return false;
        *key = std::string_view();
    }
    return true;
}

/* As match(), over the catalogue's entries. */
inline void fmatch(const sw_parser &p, const fcursor &c, std::string_view key, uint64_t *ex, uint64_t *pre) {
    size_t klen = key.size();
    uint64_t m = c.cand;
    if (c.off == 0) {
        if (klen == 0) return;
        m &= p.ffirst[(unsigned char)key[0]];
    }
    size_t end = c.off + klen;
    while (m) {
        int i = __builtin_ctzll(m);
        m &= m - 1;
        const fentry &e = p.fe[i];
        if (end > e.len) continue;
        char after = e.path[end];
        if (after != '\0' && after != '.') continue;
        const char *ep = e.path + c.off, *k = key.data();
        if (klen && (ep[0] != k[0] || ep[klen - 1] != k[klen - 1] || memcmp(ep, k, klen) != 0)) continue;
        if (after == '\0') *ex |= uint64_t(1) << i;
        else *pre |= uint64_t(1) << i;
    }
}

/* Adds v to the catalogue entries in mask, at most SW_FIELD_MAX_VALUES
 * each; a value beyond is dropped once for every wanted row reading the
 * entry. */
void fadd(const sw_parser &p, facc *a, uint64_t mask, const sw_kql_value &v) {
    while (mask) {
        int i = __builtin_ctzll(mask);
        mask &= mask - 1;
        if (a->n[i] < SW_FIELD_MAX_VALUES) a->v[i][a->n[i]++] = v;
        else a->dropped += p.readers[i];
    }
}

inline sw_kql_value kql_string(const sw_value &s) {
    sw_kql_value kv{};
    kv.p = s.p;
    kv.n = s.n;
    kv.kind = SW_KQL_V_STRING;
    return kv;
}

inline sw_kql_value kql_bool(bool b) {
    sw_kql_value kv{};
    kv.kind = SW_KQL_V_BOOL;
    kv.b = b;
    return kv;
}

template <bool kCat> bool walk(run &r, od::object obj, const cursor *cs, int nc, const fcursor *fc, top *t);

/* A value below a catalogue path that the rule's entries do not read (an
 * array on the way to a path or at one, and what is inside it): ex end
 * here, child.cand go on below.  An array on the way is walked element by
 * element (Elasticsearch indexes an array of objects field by field); an
 * array at a path gives one value per scalar element (nested arrays
 * flattened, at most kMaxArrayNesting deep).  Consumes it. */
bool fvalue(run &r, simdjson::simdjson_result<od::value> &v, od::json_type type, const fcursor &child, uint64_t ex,
            int nest) {
    facc *a = child.a;
    switch (type) {
    case od::json_type::object: {
        if (ex) a->skipped++; /* an object where a value belongs */
        if (!child.cand) return pass_over(v);
        od::object o;
        if (v.get_object().get(o)) return false;
        return walk<true>(r, o, nullptr, 0, &child, nullptr);
    }
    case od::json_type::array: {
        if (nest >= kMaxArrayNesting) {
            a->skipped++;
            return pass_over(v);
        }
        od::array arr;
        if (v.get_array().get(arr)) return false;
        for (auto el : arr) {
            od::json_type et;
            if (el.type().get(et)) return false;
            if (!fvalue(r, el, et, child, ex, nest + 1)) return false;
        }
        return true;
    }
    case od::json_type::string: {
        if (!ex) return pass_over(v); /* "actor":"bob" */
        sw_value s;
        if (!read_string(r, v, &s)) return false;
        fadd(*r.p, a, ex, kql_string(s));
        return true;
    }
    case od::json_type::number: {
        if (!ex) { /* "actor":5: checked, not kept */
            std::string_view tok;
            if (v.raw_json_token().get(tok)) return false;
            tok = trim_right(tok);
            return json_number(tok.data(), tok.size());
        }
        sw_value s;
        if (!number_token(r, v, &s)) return false;
        fadd(*r.p, a, ex, kql_string(s)); /* its JSON text (fields.c, A8) */
        return true;
    }
    case od::json_type::boolean: {
        bool b;
        if (v.get_bool().get(b)) return false;
        if (ex) fadd(*r.p, a, ex, kql_bool(b));
        return true;
    }
    case od::json_type::null: {
        bool isnull = false;
        return v.is_null().get(isnull) == simdjson::SUCCESS && isnull; /* no value */
    }
    default:
        return false;
    }
}

/* Walks one object for up to two cursors of the rule's entries (the record
 * and, inside an EventBridge "detail", the envelope's view of the same
 * keys) and, when kCat, the catalogue's cursor fc (NULL: none).  Returns
 * false on any simdjson error; duplicates are only recorded.  A key that
 * both read is read once (one unescaping, one number token).  Compiled
 * twice: walk<false> is the rule's walk alone, so asking for no catalogue
 * row costs nothing. */
template <bool kCat>
bool walk(run &r, od::object obj, const cursor *cs, int nc, const fcursor *fc, top *t) {
    for (auto fr : obj) {
        if (fr.error()) return false;
        od::field &field = fr.value_unsafe();
        std::string_view key;
        if (!field_key(field, &key)) return false;
        uint64_t ex[2] = {0, 0}, pre[2] = {0, 0}, any = 0;
        for (int i = 0; i < nc; i++) {
            match(r, cs[i], key, &ex[i], &pre[i]);
            any |= ex[i] | pre[i];
        }
        uint64_t fex = 0, fpre = 0;
        if (kCat && fc) fmatch(*r.p, *fc, key, &fex, &fpre);
        const bool cat = kCat && (fex | fpre);
        bool is_detail = false;
        if (t) {
            if (key == "detail-type") t->has_detail_type = true;
            else if (key == "detail") is_detail = true;
            else if (is_okta_key(key)) t->has_okta = true;
        }
        if (!any && !cat && !is_detail) {
            simdjson::simdjson_result<od::value> skipped = od::value(field.value());
            if (!pass_over(skipped)) return false;
            continue;
        }

        simdjson::simdjson_result<od::value> v = od::value(field.value());
        od::json_type type;
        if (v.type().get(type)) return false;
        const uint32_t below = uint32_t(key.size()) + 1;

        if (type == od::json_type::object) {
            cursor child[3];
            int n = 0;
            for (int i = 0; i < nc; i++) {
                if (ex[i]) assign(cs[i].a, ex[i], sw_value{nullptr, 0, SW_OTHER});
                if (pre[i]) child[n++] = cursor{cs[i].a, pre[i], cs[i].off + below};
            }
            fcursor fchild{nullptr, 0, 0};
            if (kCat && fex) fc->a->skipped++; /* an object where a value belongs */
            if (kCat && fpre) fchild = fcursor{fc->a, fpre, fc->off + below};
            if (is_detail) {
                t->has_detail_obj = true;
                child[n++] = cursor{t->detail, r.all, 0};
                if (kCat) fchild = fcursor{t->fdetail, r.p->fall, 0};
            }
            if (n || fchild.cand) {
                od::object o;
                if (v.get_object().get(o)) return false;
                if (!walk<kCat>(r, o, child, n, fchild.cand ? &fchild : nullptr, nullptr)) return false;
            }
            continue;
        }
        if (cat && type == od::json_type::array) {
            /* The rule's entries take an array as SW_OTHER (as below); the
             * catalogue's read into it. */
            for (int i = 0; i < nc; i++)
                if (ex[i] | pre[i]) assign(cs[i].a, ex[i] | pre[i], sw_value{nullptr, 0, SW_OTHER});
            if (!fvalue(r, v, type, fcursor{fc->a, fpre, fc->off + below}, fex, 0)) return false;
            continue;
        }
        if (!any && !cat) { /* a non-object "detail" */
            if (!pass_over(v)) return false;
            continue;
        }

        uint64_t exall = ex[0] | ex[1];
        sw_value leaf{nullptr, 0, SW_OTHER};  /* for entries ending here */
        sw_value under{nullptr, 0, SW_OTHER}; /* for entries below this key */
        sw_value tenant{nullptr, 0, SW_OTHER};
        switch (type) {
        case od::json_type::string:
            if (exall || (kCat && fex)) {
                if (!read_string(r, v, &leaf)) return false;
                tenant = leaf;
                if (kCat && fex) fadd(*r.p, fc->a, fex, kql_string(leaf));
            } else if (!pass_over(v)) { /* "actor":"bob" */
                return false;
            }
            break;
        case od::json_type::number:
            if ((exall & r.tbit) || (kCat && fex)) {
                sw_value tok;
                if (!number_token(r, v, &tok)) return false;
                if (exall & r.tbit) tenant = tok;
                if (kCat && fex) fadd(*r.p, fc->a, fex, kql_string(tok)); /* its JSON text (fields.c, A8) */
            } else {
                std::string_view tok;
                if (v.raw_json_token().get(tok)) return false;
                tok = trim_right(tok);
                if (!json_number(tok.data(), tok.size())) return false;
            }
            break;
        case od::json_type::boolean: {
            bool b;
            if (v.get_bool().get(b)) return false;
            if (kCat && fex) fadd(*r.p, fc->a, fex, kql_bool(b));
            break;
        }
        case od::json_type::null: {
            bool isnull = false;
            if (v.is_null().get(isnull) || !isnull) return false;
            leaf = under = tenant = sw_value{nullptr, 0, SW_NULL};
            break;
        }
        case od::json_type::array:
            break; /* skipped whole by the loop */
        default:
            return false;
        }
        for (int i = 0; i < nc; i++) {
            if (ex[i] & ~r.tbit) assign(cs[i].a, ex[i] & ~r.tbit, leaf);
            if (ex[i] & r.tbit) assign(cs[i].a, r.tbit, tenant);
            if (pre[i]) assign(cs[i].a, pre[i], under);
        }
    }
    return true;
}

/* The fields of one kind: for each field, the first of its entries (table
 * order) that was seen.  Seen entries always hold a non-ABSENT type. */
void resolve(const run &r, const acc &a, int k, sw_value *f) {
    memset(f, 0, sizeof(sw_value) * SW_F_COUNT); /* SW_ABSENT == 0, p = NULL, n = 0 */
    uint64_t use = a.seen & r.p->of_kind[k];
    while (use) {
        int i = __builtin_ctzll(use);
        use &= use - 1;
        sw_value *slot = &f[r.p->wants[i].field];
        if (slot->type == SW_ABSENT) *slot = a.v[i];
    }
}

void facc_reset(facc *a) {
    memset(a->n, 0, sizeof a->n);
    a->dropped = a->skipped = 0;
}

/* Row i's values from a, for an object of kind raw (the pipeline's
 * derivation applied, "" dropped as the pipeline drops it) or ECS, into
 * out[0 .. SW_FIELD_MAX_VALUES); returns how many. */
uint32_t row_values(const sw_parser &p, const sw_catalogue_field &row, int i, const facc &a, bool raw,
                    sw_kql_value *out) {
    if (!raw) {
        int e = p.canon[kRowsMax + i];
        memcpy(out, a.v[e], sizeof(sw_kql_value) * a.n[e]);
        return a.n[e];
    }
    const int e = p.canon[i];
    sw_kql_value src[SW_FIELD_MAX_VALUES];
    uint32_t ns = 0;
    for (uint32_t k = 0; k < a.n[e]; k++)
        if (!(a.v[e][k].kind == SW_KQL_V_STRING && a.v[e][k].n == 0)) src[ns++] = a.v[e][k];
    if (row.derive == SW_DERIVE_COPY) {
        memcpy(out, src, sizeof(sw_kql_value) * ns);
        return ns;
    }
    if (row.derive == SW_DERIVE_NONE) return 0;
    return uint32_t(sw_catalogue_derive(row.derive, src, ns, out, SW_FIELD_MAX_VALUES));
}

/* The event's field array: its slot (the overflow slot, always empty, past
 * the last), or NULL when no row is wanted. */
sw_kql_field *slot_of(const run &r, size_t i) {
    if (!r.p->rows) return nullptr;
    if (i > SW_MAX_EVENTS_PER_RECORD) i = SW_MAX_EVENTS_PER_RECORD;
    return r.p->fout + i * SW_CATALOGUE_MAX;
}

/* The wanted rows of one event from a, into its slot and the pool.  The
 * rows not wanted stay empty from sw_parser_want_fields. */
void assemble(run &r, const facc &a, bool raw, sw_kql_field *slot, sw_event *out) {
    size_t nrows;
    const sw_catalogue_field *cat = sw_catalogue(&nrows);
    const bool overflow = slot == r.p->fout + SW_MAX_EVENTS_PER_RECORD * SW_CATALOGUE_MAX;
    uint32_t dropped = a.dropped;
    for (uint64_t rows = r.p->rows; rows; rows &= rows - 1) {
        int i = __builtin_ctzll(rows);
        sw_kql_value vals[SW_FIELD_MAX_VALUES];
        uint32_t n = row_values(*r.p, cat[i], i, a, raw, vals);
        uint32_t keep = overflow ? 0 : n < kPoolValues - r.pool ? n : kPoolValues - r.pool;
        dropped += n - keep;
        if (overflow) continue;
        sw_kql_value *dst = r.p->pool + r.pool;
        memcpy(dst, vals, sizeof(sw_kql_value) * keep);
        r.pool += keep;
        slot[i] = sw_kql_field{dst, keep};
    }
    out->fields = slot;
    out->fields_dropped = dropped;
    out->fields_skipped = a.skipped;
}

/* An event with no fields (an array element that is not an object). */
void no_fields(const run &r, sw_kql_field *slot, sw_event *out) {
    out->fields = slot;
    if (!slot) return;
    for (uint64_t rows = r.p->rows; rows; rows &= rows - 1) slot[__builtin_ctzll(rows)].n = 0;
}

/* One object of the record (the record itself or an array element).  Its
 * kind is decided once, then only the fields of that kind are read; the
 * catalogue's values go to slot (kCat). */
template <bool kCat>
bool one_event(run &r, od::object obj, sw_event *out, sw_kql_field *slot, bool *dup) {
    acc e, d;
    acc_init(&e);
    acc_init(&d);
    top t{&d, nullptr, false, false, false};
    cursor c{&e, r.all, 0};
    fcursor fc{nullptr, 0, 0};
    if (kCat) {
        facc_reset(&r.p->fscratch[0]);
        facc_reset(&r.p->fscratch[1]);
        fc = fcursor{&r.p->fscratch[0], r.p->fall, 0};
        t.fdetail = &r.p->fscratch[1];
    }
    if (!walk<kCat>(r, obj, &c, 1, kCat ? &fc : nullptr, &t)) return false;
    bool eb = t.has_detail_type && t.has_detail_obj;
    int k = K_RAW; /* an EventBridge detail is a LogEvent */
    if (!eb && !(e.seen & r.p->markers) && t.has_okta) k = K_ECS;
    const acc &rec = eb ? d : e;
    resolve(r, rec, k, out->f);
    /* The tenant is read in every kind: the envelope's first, then detail's. */
    const acc &ten = eb && (e.seen & r.tbit) ? e : rec;
    if (ten.seen & r.tbit) out->f[SW_F_TENANT] = ten.v[kTenant];
    out->format = uint8_t(eb ? SW_FMT_EVENTBRIDGE : k == K_ECS ? SW_FMT_ECS : SW_FMT_RAW);
    out->not_object = 0;
    out->fields = nullptr;
    out->fields_dropped = out->fields_skipped = 0;
    if (kCat) assemble(r, r.p->fscratch[eb ? 1 : 0], k == K_RAW, slot, out);
    /* Only duplicates of what is read count. */
    uint64_t read = r.p->of_kind[k] | r.tbit;
    *dup = (rec.dup & read) != 0 || (eb && (e.dup & r.tbit) != 0);
    return true;
}

bool one_event_of(run &r, od::object obj, sw_event *out, size_t i, bool *dup) {
    if (r.p->rows) return one_event<true>(r, obj, out, slot_of(r, i), dup);
    return one_event<false>(r, obj, out, nullptr, dup);
}

/* A top-level scalar: NOT_OBJECT if it is one valid JSON value, else
 * MALFORMED.  On-Demand checks root scalars lazily, so check here. */
sw_xstatus root_scalar(od::document &doc, od::json_type type, const char *base, size_t len) {
    std::string_view raw;
    if (doc.raw_json_token().get(raw)) return SW_X_MALFORMED;
    /* The raw token runs to the next token or the end: anything after it
     * is a second value. */
    if (raw.data() + raw.size() != base + len) return SW_X_MALFORMED;
    std::string_view tok = trim_right(raw);
    switch (type) {
    case od::json_type::string:
        return tok.size() >= 2 && valid_escapes(tok.data() + 1, tok.size() - 2) ? SW_X_NOT_OBJECT : SW_X_MALFORMED;
    case od::json_type::number:
        return json_number(tok.data(), tok.size()) ? SW_X_NOT_OBJECT : SW_X_MALFORMED;
    case od::json_type::boolean:
        return tok == "true" || tok == "false" ? SW_X_NOT_OBJECT : SW_X_MALFORMED;
    case od::json_type::null:
        return tok == "null" ? SW_X_NOT_OBJECT : SW_X_MALFORMED;
    default:
        return SW_X_MALFORMED;
    }
}

/* The JSON text [start, end) trimmed of trailing whitespace, as a view into
 * the caller's record (orig), whichever buffer was parsed (base). */
void set_raw(sw_event *ev, const char *orig, const char *base, const char *start, const char *end) {
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r')) end--;
    ev->raw = orig + (start - base);
    ev->raw_len = uint32_t(end - start);
}

sw_xstatus extract(run &r, const char *orig, const char *base, size_t len, size_t cap, sw_event *out,
                   size_t max_out, size_t *n_out) {
    od::document doc;
    if (r.p->parser.iterate(base, len, cap).get(doc)) return SW_X_MALFORMED;
    od::json_type type;
    if (doc.type().get(type)) return SW_X_MALFORMED;

    bool dup = false, too_many = false;
    size_t n = 0;
    if (type == od::json_type::object) {
        od::object obj;
        if (doc.get_object().get(obj)) return SW_X_MALFORMED;
        sw_event ev;
        if (!one_event_of(r, obj, &ev, 0, &dup)) return SW_X_MALFORMED;
        ev.raw = orig;
        ev.raw_len = uint32_t(len);
        if (max_out < 1) too_many = true;
        else out[n++] = ev;
    } else if (type == od::json_type::array) {
        od::array arr;
        if (doc.get_array().get(arr)) return SW_X_MALFORMED;
        size_t count = 0;
        for (auto el : arr) {
            od::json_type et;
            if (el.type().get(et)) return SW_X_MALFORMED;
            count++;
            if (count > max_out) {
                if (!pass_over(el)) return SW_X_MALFORMED;
                too_many = true;
                continue; /* skipped, so the rest is still checked */
            }
            if (et != od::json_type::object) {
                /* Not an object: an event of its own, with no fields. */
                std::string_view tok;
                if (!non_object(el, et, &tok)) return SW_X_MALFORMED;
                memset(&out[n], 0, sizeof out[n]);
                out[n].not_object = 1;
                no_fields(r, slot_of(r, n), &out[n]);
                set_raw(&out[n], orig, base, tok.data(), tok.data() + tok.size());
                n++;
                continue;
            }
            const char *start, *end;
            if (el.current_location().get(start)) return SW_X_MALFORMED;
            od::object obj;
            if (el.get_object().get(obj)) return SW_X_MALFORMED;
            bool d = false;
            if (!one_event_of(r, obj, &out[n], n, &d)) return SW_X_MALFORMED;
            /* The object is consumed: the iterator stands on the ',' or ']'. */
            if (doc.current_location().get(end)) return SW_X_MALFORMED;
            set_raw(&out[n], orig, base, start, end);
            n++;
            dup |= d;
        }
    } else {
        return root_scalar(doc, type, base, len);
    }

    /* Trailing content: {"a":1}{"b":2} or {"a":1}} */
    const char *loc;
    if (doc.current_location().get(loc) == simdjson::SUCCESS) return SW_X_MALFORMED;
    if (too_deep(base, len)) return SW_X_MALFORMED;
    if (too_many) return SW_X_TOO_MANY;
    if (dup) return SW_X_DUPLICATE_KEY;
    *n_out = n;
    return SW_X_OK;
}

} // namespace

/* The catalogue's entries and its output buffers, in p.  False when out
 * of memory, or when a catalogue path starts with "detail" (the walk
 * relies on none doing so: see fcursor). */
static bool catalogue_new(sw_parser *p) {
    /* One zeroed block: the scratch, then the field arrays, then the pool
     * (each a multiple of 8 bytes).  fscratch owns it. */
    const size_t scratch = 2 * sizeof(facc), out = kSlots * SW_CATALOGUE_MAX * sizeof(sw_kql_field);
    char *block = static_cast<char *>(calloc(1, scratch + out + kPoolValues * sizeof(sw_kql_value)));
    if (!block) return false;
    p->fscratch = reinterpret_cast<facc *>(block);
    p->fout = reinterpret_cast<sw_kql_field *>(block + scratch);
    p->pool = reinterpret_cast<sw_kql_value *>(block + scratch + out);
    size_t n;
    const sw_catalogue_field *cat = sw_catalogue(&n); /* n <= SW_CATALOGUE_MAX: fields.c asserts it */
    for (int i = 0; i < int(n); i++) {
        const char *paths[2] = {cat[i].raw, cat[i].ecs};
        for (int k = 0; k < 2; k++) {
            if (!paths[k]) continue;
            if (strncmp(paths[k], "detail", 6) == 0 && (paths[k][6] == '\0' || paths[k][6] == '.')) return false;
            int e = k * kRowsMax + i;
            p->fe[e] = fentry{paths[k], uint32_t(strlen(paths[k]))};
            p->ffirst[(unsigned char)paths[k][0]] |= uint64_t(1) << e;
        }
    }
    for (int e = 0; e < 2 * kRowsMax; e++) {
        p->canon[e] = uint8_t(e);
        for (int c = 0; c < e && p->fe[e].path; c++)
            if (p->fe[c].path && strcmp(p->fe[c].path, p->fe[e].path) == 0) {
                p->canon[e] = uint8_t(c);
                break;
            }
    }
    return true;
}

extern "C" sw_parser *sw_parser_new(size_t max_record_bytes) {
    /* simdjson indexes with 32 bits; sw_value.n is 32 bits. */
    if (max_record_bytes > size_t(0xffffffffu) - SW_PADDING) return nullptr;
    size_t cap = max_record_bytes < SW_PADDING ? SW_PADDING : max_record_bytes;
    sw_parser *p = new (std::nothrow) sw_parser(cap);
    if (!p) return nullptr;
    p->max = max_record_bytes;
    p->buf = static_cast<char *>(malloc(max_record_bytes + SW_PADDING));
    p->dec = static_cast<char *>(malloc(max_record_bytes + 1));
    p->events = static_cast<sw_event *>(calloc(SW_MAX_EVENTS_PER_RECORD, sizeof(sw_event)));
    if (!p->buf || !p->dec || !p->events || !catalogue_new(p) || p->parser.allocate(cap) != simdjson::SUCCESS) {
        sw_parser_free(p);
        return nullptr;
    }
    for (int i = 0; i < kNWants; i++) {
        p->wants[i] = kWants[i];
        p->wants[i].len = uint32_t(strlen(kWants[i].path));
        p->first[(unsigned char)kWants[i].path[0]] |= uint64_t(1) << i;
        p->of_kind[kWants[i].kind] |= uint64_t(1) << i;
        if (kWants[i].marker) p->markers |= uint64_t(1) << i;
    }
    p->wants[kTenant] = want{"", 0, SW_F_TENANT, K_RAW, false};
    return p;
}

extern "C" void sw_parser_free(sw_parser *p) {
    if (!p) return;
    free(p->buf);
    free(p->dec);
    free(p->events);
    free(p->fscratch); /* the catalogue's block */
    delete p;
}

extern "C" void sw_parser_want_fields(sw_parser *p, uint64_t rows) {
    if (!p) return;
    size_t n;
    sw_catalogue(&n);
    if (n < 64) rows &= (uint64_t(1) << n) - 1;
    p->rows = rows;
    p->fall = 0;
    memset(p->readers, 0, sizeof p->readers);
    for (uint64_t m = rows; m; m &= m - 1) {
        int i = __builtin_ctzll(m);
        for (int e : {i, kRowsMax + i}) {
            if (!p->fe[e].path) continue;
            p->fall |= uint64_t(1) << p->canon[e];
            p->readers[p->canon[e]]++;
        }
    }
    if (!rows) return;
    for (size_t k = 0; k < kSlots * SW_CATALOGUE_MAX; k++) p->fout[k] = sw_kql_field{p->pool, 0};
}

extern "C" uint64_t sw_parser_fields_wanted(const sw_parser *p) { return p ? p->rows : 0; }

extern "C" sw_xstatus sw_parser_extract_events(sw_parser *p, const char *rec, size_t len, size_t cap,
                                               const char *tenant_path, const sw_event **events,
                                               size_t *n_out) {
    if (events) *events = p ? p->events : nullptr;
    if (!p || !events) {
        if (n_out) *n_out = 0;
        return SW_X_MALFORMED;
    }
    return sw_parser_extract(p, rec, len, cap, tenant_path, p->events, SW_MAX_EVENTS_PER_RECORD, n_out);
}

extern "C" sw_xstatus sw_parser_extract(sw_parser *p, const char *rec, size_t len, size_t cap,
                                        const char *tenant_path, sw_event *out, size_t max_out,
                                        size_t *n_out) {
    if (n_out) *n_out = 0;
    if (!p || !n_out || (!out && max_out)) return SW_X_MALFORMED;
    if (len > p->max) return SW_X_TOO_LARGE;
    if (!rec || len == 0) return SW_X_MALFORMED;

    run r{p, (uint64_t(1) << kNWants) - 1, 0, 0, false, 0, 0, 0};
    size_t tlen = tenant_path ? strlen(tenant_path) : 0;
    if (tlen > 0 && tlen <= SW_MAX_TENANT_PATH) {
        p->wants[kTenant].path = tenant_path;
        p->wants[kTenant].len = uint32_t(tlen);
        r.tbit = uint64_t(1) << kTenant;
        r.all |= r.tbit;
        r.tfirst = tenant_path[0];
    }

    r.inplace = cap >= len && cap - len >= SW_PADDING;
    sw_xstatus s;
    if (r.inplace) {
        s = extract(r, rec, rec, len, cap, out, max_out, n_out);
    } else {
        memcpy(p->buf, rec, len);
        memset(p->buf + len, 0, SW_PADDING);
        s = extract(r, rec, p->buf, len, len + SW_PADDING, out, max_out, n_out);
    }
    p->wants[kTenant].path = ""; /* never keep the caller's pointer */
    p->wants[kTenant].len = 0;
    return s;
}

/* alert.c -- see alert.h. */
#include "alert.h"

#include <stdbool.h>
#include <string.h>

#include "alert_parts.h"
#include "hash.h"

void sw_alert_id_part(sw_buf *s, const void *p, size_t n) {
    uint64_t len = n;
    sw_buf_put(s, &len, sizeof len);
    sw_buf_put(s, p, n);
}

static int id_before(const sw_session *a, const sw_session *b) {
    size_t n = a->id_len < b->id_len ? a->id_len : b->id_len;
    int c = memcmp(sw_session_id(a), sw_session_id(b), n);
    return c < 0 || (c == 0 && a->id_len < b->id_len);
}

void sw_alert_id(const sw_alert *a, sw_buf *s, char out[SW_ALERT_ID_LEN + 1]) {
    sw_buf_reset(s);
    sw_alert_id_part(s, "sessionwatch/alert/v1", 21);
    sw_alert_id_part(s, SW_RULE_ID, strlen(SW_RULE_ID));
    sw_alert_id_part(s, a->tenant, a->tenant_len);
    sw_alert_id_part(s, sw_alert_actor(a), sw_alert_actor_len(a));
    int64_t r = a->user->max_time;
    sw_alert_id_part(s, &r, sizeof r);
    /* Session ids in byte order: the id does not depend on arrival order. */
    const sw_session *sorted[SW_MAX_SESSIONS];
    size_t n = a->nq < SW_MAX_SESSIONS ? a->nq : SW_MAX_SESSIONS;
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && id_before(a->q[i], sorted[j - 1])) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = a->q[i];
    }
    for (size_t i = 0; i < n; i++) sw_alert_id_part(s, sw_session_id(sorted[i]), sorted[i]->id_len);
    sw_alert_id_finish(s, out);
}

void sw_alert_id_finish(const sw_buf *s, char out[SW_ALERT_ID_LEN + 1]) {
    static const char hex[] = "0123456789abcdef";
    uint64_t h[2] = {sw_hash64(s->p, s->len, 0x243f6a8885a308d3ULL),
                     sw_hash64(s->p, s->len, 0x13198a2e03707344ULL)};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 16; i++) out[k * 16 + i] = hex[(h[k] >> (60 - 4 * i)) & 15];
    out[SW_ALERT_ID_LEN] = '\0';
}

void sw_alert_put_text(sw_buf *b, const char *p, size_t n) {
    if (n) sw_json_str(b, p, n);
    else sw_buf_puts(b, "null");
}

static const char RULE_JSON[] =
    "{\"id\":\"" SW_RULE_ID "\",\"name\":\"" SW_RULE_NAME "\",\"version\":" SW_STR(SW_RULE_VERSION) ","
    "\"type\":\"threshold\",\"severity\":\"medium\",\"risk_score\":47,"
    "\"threat\":[{\"framework\":\"MITRE ATT&CK\","
    "\"tactic\":{\"id\":\"TA0008\",\"name\":\"Lateral Movement\","
    "\"reference\":\"https://attack.mitre.org/tactics/TA0008/\"},"
    "\"technique\":[{\"id\":\"T1550\",\"name\":\"Use Alternate Authentication Material\","
    "\"reference\":\"https://attack.mitre.org/techniques/T1550/\","
    "\"subtechnique\":[{\"id\":\"T1550.004\",\"name\":\"Web Session Cookie\","
    "\"reference\":\"https://attack.mitre.org/techniques/T1550/004/\"}]}]}]";

void sw_source_write(sw_buf *b, const sw_source *src) {
    sw_buf_putc(b, '{');
    if (src->topic) {
        sw_json_key(b, "topic");
        sw_json_cstr(b, src->topic);
        sw_json_lit_int(b, ",\"partition\":", src->partition);
        sw_json_lit_int(b, ",\"offset\":", src->offset);
        if (src->kafka_time_ms != SW_TIME_NONE) {
            sw_json_lit_time(b, ",\"timestamp\":", src->kafka_time_ms);
        }
    } else {
        sw_json_key(b, "file");
        sw_json_cstr(b, src->file ? src->file : "-");
        sw_json_lit_int(b, ",\"line\":", (int64_t)src->line);
    }
    if (src->index != UINT32_MAX) {
        sw_json_lit_int(b, ",\"index\":", src->index);
    }
    sw_buf_putc(b, '}');
}

/* What the size bounds cut from one alert (alert.h). */
typedef struct {
    uint32_t ids_cut;          /* session ids cut at SW_ALERT_MAX_ID */
    uint32_t sessions_omitted; /* sessions of Q left out to stay within SW_ALERT_MAX_BYTES */
    bool actor_cut, tenant_cut;
} alert_cuts;

bool sw_alert_put_id(sw_buf *b, const char *p, size_t n) {
    size_t keep = n > SW_ALERT_MAX_ID ? sw_utf8_cut(p, n, SW_ALERT_MAX_ID) : n;
    sw_json_str(b, p, keep);
    return keep < n;
}

/* The actor's id, display name and alternate id (cut to size), written
 * twice: under okta.actor with Okta's names and under user with ECS's. */
typedef struct {
    const char *id, *name, *alt;
    size_t id_len, name_len, alt_len;
} person;

/* Each key comes with the punctuation before it; true when the id was cut.
 * A NULL id is written null. */
static bool write_person(sw_buf *b, const person *p, const char *id_key, const char *name_key, const char *alt_key) {
    sw_buf_puts(b, id_key);
    bool cut = false;
    if (p->id) cut = sw_alert_put_id(b, p->id, p->id_len);
    else sw_buf_puts(b, "null");
    sw_buf_puts(b, name_key);
    sw_alert_put_text(b, p->name, p->name_len);
    sw_buf_puts(b, alt_key);
    sw_alert_put_text(b, p->alt, p->alt_len);
    return cut;
}

bool sw_alert_put_actor(sw_buf *b, const char *id, size_t id_len, sw_span name, sw_span alt) {
    const person who = {id, name.p, alt.p, id_len, sw_utf8_cut(name.p, name.n, SW_MAX_DETAIL),
                        sw_utf8_cut(alt.p, alt.n, SW_MAX_DETAIL)};
    bool cut = write_person(b, &who, ",\"okta\":{\"actor\":{\"id\":", ",\"display_name\":", ",\"alternate_id\":");
    write_person(b, &who, "}},\"user\":{\"id\":", ",\"name\":", ",\"email\":");
    sw_buf_putc(b, '}');
    return cut;
}

void sw_alert_put_cut_note(sw_buf *b, const char *p, size_t n) {
    static const char hex[] = "0123456789abcdef";
    uint64_t h = sw_hash64(p, n, SW_ALERT_CUT_HASH_SEED);
    char text[17];
    for (int i = 0; i < 16; i++) text[i] = hex[(h >> (60 - 4 * i)) & 15];
    text[16] = '\0';
    sw_json_lit_int(b, "{\"bytes\":", (int64_t)n);
    sw_buf_puts(b, ",\"hash\":\"");
    sw_buf_puts(b, text);
    sw_buf_puts(b, "\"}");
}

void sw_alert_put_session(sw_buf *b, const sw_session *s, const char *id, size_t id_len, uint32_t *ids_cut) {
    sw_buf_puts(b, "{\"id\":");
    if (sw_alert_put_id(b, id, id_len)) {
        (*ids_cut)++;
        sw_buf_puts(b, ",\"id_truncated\":");
        sw_alert_put_cut_note(b, id, id_len);
    }
    sw_json_lit_time(b, ",\"first_seen\":", s->first_seen);
    sw_json_lit_time(b, ",\"last_seen\":", s->last_seen);
    sw_json_lit_int(b, ",\"events\":", s->events);
    char text[SW_SESSION_TEXT_BUF]; /* a binary ip or uuid, printed back (window.h) */
    sw_buf_puts(b, ",\"client\":{\"ip\":");
    sw_alert_put_text(b, sw_session_ip_r(s, text), s->ip_len);
    sw_buf_puts(b, ",\"user_agent\":");
    sw_alert_put_text(b, sw_session_ua(s), s->ua_len);
    sw_buf_puts(b, ",\"geo\":{\"country_name\":");
    sw_alert_put_text(b, sw_session_country(s), s->country_len);
    sw_buf_puts(b, ",\"city_name\":");
    sw_alert_put_text(b, sw_session_city(s), s->city_len);
    sw_buf_puts(b, "}},\"event_uuid\":");
    sw_alert_put_text(b, sw_session_uuid_r(s, text), s->uuid_len);
    sw_buf_putc(b, '}');
}

/* "truncated": present only when a bound cut something. */
static void write_cuts(sw_buf *b, const sw_alert *a, const alert_cuts *cuts) {
    if (!cuts->ids_cut && !cuts->sessions_omitted && !cuts->actor_cut && !cuts->tenant_cut) return;
    sw_json_lit_int(b, ",\"truncated\":{\"session_ids\":", cuts->ids_cut);
    sw_json_lit_int(b, ",\"sessions_omitted\":", cuts->sessions_omitted);
    if (cuts->actor_cut) {
        sw_buf_puts(b, ",\"actor_id\":");
        sw_alert_put_cut_note(b, sw_alert_actor(a), sw_alert_actor_len(a));
    }
    if (cuts->tenant_cut) {
        sw_buf_puts(b, ",\"tenant\":");
        sw_alert_put_cut_note(b, a->tenant, a->tenant_len);
    }
    sw_buf_putc(b, '}');
}

/* The alert; with budget (bytes from start), sessions that would not fit
 * with room_after bytes still to come are left out and counted.  Returns
 * the bytes its "source" took. */
static size_t write_alert(sw_buf *b, const void *alert, const char *alert_id, size_t start, size_t budget,
                          size_t room_after) {
    const sw_alert *a = alert;
    alert_cuts cuts = {0};
    const char *actor = sw_alert_actor(a);
    size_t actor_len = sw_alert_actor_len(a);

    uint64_t count = 0;
    int64_t from = a->q[0]->first_seen;
    for (size_t i = 0; i < a->nq; i++) {
        count += a->q[i]->events;
        if (a->q[i]->first_seen < from) from = a->q[i]->first_seen;
    }

    sw_buf_puts(b, "{\"alert_id\":\"");
    sw_buf_puts(b, alert_id);
    sw_json_lit_time(b, "\",\"@timestamp\":", a->event_time);
    sw_json_lit_time(b, ",\"detected_at\":", a->detected_at);
    sw_buf_puts(b, ",\"rule\":");
    sw_buf_put(b, RULE_JSON, sizeof RULE_JSON - 1);
    sw_json_lit_int(b, ",\"parameters\":{\"window_ms\":", a->config->window_ms);
    sw_json_lit_int(b, ",\"min_sessions\":", a->config->min_sessions);
    sw_buf_puts(b, "}},\"tenant\":");
    cuts.tenant_cut = sw_alert_put_id(b, a->tenant, a->tenant_len);
    cuts.actor_cut = sw_alert_put_actor(b, actor, actor_len, a->name, a->alt);
    sw_buf_puts(b, ",\"threshold_result\":{\"terms\":[{\"field\":\"okta.actor.id\",\"value\":");
    sw_alert_put_id(b, actor, actor_len);
    sw_json_lit_int(b, "}],\"count\":", (int64_t)count);
    sw_json_lit_time(b, ",\"from\":", from);
    sw_buf_puts(b, ",\"cardinality\":[{\"field\":\"okta.authentication_context.external_session_id\","
                   "\"value\":");
    sw_json_int(b, (int64_t)a->nq);
    sw_buf_puts(b, "}]},\"sessions\":[");
    for (size_t i = 0; i < a->nq; i++) {
        size_t before = b->len;
        alert_cuts kept = cuts;
        if (i) sw_buf_putc(b, ',');
        sw_alert_put_session(b, a->q[i], sw_session_id(a->q[i]), a->q[i]->id_len, &cuts.ids_cut);
        if (b->len - start + room_after > budget) {
            b->len = before;
            cuts = kept;
            cuts.sessions_omitted = (uint32_t)(a->nq - i);
            break;
        }
    }
    sw_buf_putc(b, ']');
    write_cuts(b, a, &cuts);
    return sw_alert_put_source_end(b, a->source);
}

size_t sw_alert_put_source_end(sw_buf *b, const sw_source *src) {
    sw_buf_puts(b, ",\"source\":");
    size_t source_at = b->len;
    sw_source_write(b, src);
    size_t source_len = b->len - source_at;
    sw_buf_putc(b, '}');
    return source_len;
}

void sw_alert_write_bounded(sw_buf *b, sw_alert_writer write, const void *alert, const char *alert_id) {
    size_t start = b->len;
    size_t source_len = write(b, alert, alert_id, start, SIZE_MAX, 0);
    if (b->oom || b->len - start <= SW_ALERT_MAX_BYTES) return;
    /* Too big even with its ids cut: again, with as many sessions as fit
     * before the "truncated" note (under 256 bytes) and the source. */
    b->len = start;
    write(b, alert, alert_id, start, SW_ALERT_MAX_BYTES, source_len + 256);
}

void sw_alert_write(sw_buf *b, const sw_alert *a, const char *alert_id) {
    sw_alert_write_bounded(b, write_alert, a, alert_id);
}

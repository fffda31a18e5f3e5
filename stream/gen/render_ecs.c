/* render_ecs.c -- a record as the nested ECS document Elastic's Okta
 * integration indexes (@timestamp, client, event, okta, related, user, as
 * the integration maps a LogEvent), written from the same ev_t as the raw
 * LogEvent (render_raw.c), so the ECS and the raw output of one seed
 * describe the same events.  Write-only like every renderer; strings go
 * through jsonw.h's escaper. */
#include "gen_internal.h"

#include <string.h>

static const char *ecs_outcome(const char *r) {
    if (strcmp(r, "SUCCESS") == 0 || strcmp(r, "ALLOW") == 0) return "success";
    if (strcmp(r, "FAILURE") == 0 || strcmp(r, "DENY") == 0) return "failure";
    return "unknown";
}

void gen_render_ecs(const gen_t *g, sw_buf *b, const ev_t *e) {
    int start = e->kind == K_START_OK || e->kind == K_START_FAIL || e->kind == K_START_SYS;
    char u[40];
    gen_fmt_uuid(u, mix64(e->idx ^ hash2(g->k, D_UUID)), hash3(g->k, D_UUID, e->idx));
    sw_json_lit_time(b, "{\"@timestamp\":", e->t);
    W(b, ",\"client\":{");
    if (e->loc) {
        sw_json_lit_cstr(b, "\"geo\":{\"city_name\":", e->loc->city);
        sw_json_lit_cstr(b, ",\"country_name\":", e->loc->country);
        W(b, ",\"location\":{\"lat\":");
        sw_buf_puts(b, e->loc->lat);
        W(b, ",\"lon\":");
        sw_buf_puts(b, e->loc->lon);
        sw_json_lit_cstr(b, "},\"region_name\":", e->loc->state);
        W(b, "},\"ip\":\"");
        sw_buf_puts(b, e->ip);
        W(b, "\",");
    }
    sw_json_lit_cstr(b, "\"user\":{\"full_name\":", e->aname);
    sw_json_lit_cstr(b, ",\"id\":", e->aid);
    sw_json_lit_cstr(b, ",\"name\":", e->aalt);
    W(b, "}},\"data_stream\":{\"dataset\":\"okta.system\",\"namespace\":\"default\",\"type\":\"logs\"},"
         "\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"action\":");
    sw_json_cstr(b, e->etype);
    if (start) W(b, ",\"category\":[\"authentication\",\"session\"]");
    else if (e->kind == K_APPUM || e->kind == K_GROUPADD || e->kind == K_PROFILE) W(b, ",\"category\":[\"iam\"]");
    else W(b, ",\"category\":[\"authentication\"]");
    sw_json_lit_time(b, ",\"created\":", e->t + 1500 + (int64_t)((e->h >> 20) % 4000));
    W(b, ",\"dataset\":\"okta.system\",\"id\":\"");
    sw_buf_puts(b, u);
    W(b, "\",\"ingested\":");
    gen_w_time_s(b, e->t + 3000 + (int64_t)((e->h >> 20) % 4000));
    W(b, ",\"kind\":\"event\",\"outcome\":\"");
    sw_buf_puts(b, ecs_outcome(e->result));
    sw_json_lit_cstr(b, "\"},\"okta\":{\"actor\":{\"alternate_id\":", e->aalt);
    sw_json_lit_cstr(b, ",\"display_name\":", e->aname);
    sw_json_lit_cstr(b, ",\"id\":", e->aid);
    sw_json_lit_cstr(b, ",\"type\":", e->atype);
    W(b, "},\"authentication_context\":{\"authentication_step\":0");
    if (e->sess) {
        sw_json_lit_cstr(b, ",\"external_session_id\":", e->sess);
    }
    W(b, "},");
    if (e->loc) {
        sw_json_lit_cstr(b, "\"client\":{\"device\":", e->ua->device);
        W(b, ",\"ip\":\"");
        sw_buf_puts(b, e->ip);
        sw_json_lit_cstr(b, "\",\"user_agent\":{\"browser\":", e->ua->browser);
        sw_json_lit_cstr(b, ",\"os\":", e->ua->os);
        sw_json_lit_cstr(b, ",\"raw_user_agent\":", e->ua->raw);
        W(b, "},\"zone\":\"null\"},");
    }
    W(b, "\"debug_context\":{\"debug_data\":{\"request_id\":\"");
    sw_buf_puts(b, e->req);
    sw_json_lit_cstr(b, "\",\"request_uri\":", e->uri);
    sw_json_lit_cstr(b, ",\"url\":", e->url);
    sw_json_lit_cstr(b, "}},\"display_message\":", e->msg);
    sw_json_lit_cstr(b, ",\"event_type\":", e->etype);
    W(b, ",\"outcome\":{");
    if (e->reason) {
        sw_json_lit_cstr(b, "\"reason\":", e->reason);
        W(b, ",");
    }
    sw_json_lit_cstr(b, "\"result\":", e->result);
    W(b, "},\"transaction\":{\"id\":\"");
    sw_buf_puts(b, e->req);
    W(b, "\",\"type\":");
    if (e->kind == K_APPUM || e->kind == K_SYSTEM) W(b, "\"JOB\"");
    else W(b, "\"WEB\"");
    W(b, "},\"uuid\":\"");
    sw_buf_puts(b, u);
    W(b, "\"},\"related\":{");
    if (e->loc) {
        W(b, "\"ip\":[\"");
        sw_buf_puts(b, e->ip);
        W(b, "\"],");
    }
    sw_json_lit_cstr(b, "\"user\":[", e->aname);
    sw_json_lit_cstr(b, "]},\"tags\":[\"forwarded\",\"okta-system\"],\"user\":{\"full_name\":", e->aname);
    sw_json_lit_cstr(b, ",\"name\":", e->aalt);
    W(b, "}");
    if (e->loc) {
        sw_json_lit_cstr(b, ",\"user_agent\":{\"device\":{\"name\":", e->ua->device);
        sw_json_lit_cstr(b, "},\"name\":", e->ua->browser);
        sw_json_lit_cstr(b, ",\"original\":", e->ua->raw);
        sw_json_lit_cstr(b, ",\"os\":{\"name\":", e->ua->os);
        W(b, "}}");
    }
    gen_w_tenant_field(g, b, e->tenant);
    W(b, "}");
}


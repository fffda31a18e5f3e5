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
    W(b, "{\"@timestamp\":");
    sw_json_time(b, e->t);
    W(b, ",\"client\":{");
    if (e->loc) {
        W(b, "\"geo\":{\"city_name\":");
        sw_json_cstr(b, e->loc->city);
        W(b, ",\"country_name\":");
        sw_json_cstr(b, e->loc->country);
        W(b, ",\"location\":{\"lat\":");
        sw_buf_puts(b, e->loc->lat);
        W(b, ",\"lon\":");
        sw_buf_puts(b, e->loc->lon);
        W(b, "},\"region_name\":");
        sw_json_cstr(b, e->loc->state);
        W(b, "},\"ip\":\"");
        sw_buf_puts(b, e->ip);
        W(b, "\",");
    }
    W(b, "\"user\":{\"full_name\":");
    sw_json_cstr(b, e->aname);
    W(b, ",\"id\":");
    sw_json_cstr(b, e->aid);
    W(b, ",\"name\":");
    sw_json_cstr(b, e->aalt);
    W(b, "}},\"data_stream\":{\"dataset\":\"okta.system\",\"namespace\":\"default\",\"type\":\"logs\"},"
         "\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"action\":");
    sw_json_cstr(b, e->etype);
    if (start) W(b, ",\"category\":[\"authentication\",\"session\"]");
    else if (e->kind == K_APPUM || e->kind == K_GROUPADD || e->kind == K_PROFILE) W(b, ",\"category\":[\"iam\"]");
    else W(b, ",\"category\":[\"authentication\"]");
    W(b, ",\"created\":");
    sw_json_time(b, e->t + 1500 + (int64_t)((e->h >> 20) % 4000));
    W(b, ",\"dataset\":\"okta.system\",\"id\":\"");
    sw_buf_puts(b, u);
    W(b, "\",\"ingested\":");
    gen_w_time_s(b, e->t + 3000 + (int64_t)((e->h >> 20) % 4000));
    W(b, ",\"kind\":\"event\",\"outcome\":\"");
    sw_buf_puts(b, ecs_outcome(e->result));
    W(b, "\"},\"okta\":{\"actor\":{\"alternate_id\":");
    sw_json_cstr(b, e->aalt);
    W(b, ",\"display_name\":");
    sw_json_cstr(b, e->aname);
    W(b, ",\"id\":");
    sw_json_cstr(b, e->aid);
    W(b, ",\"type\":");
    sw_json_cstr(b, e->atype);
    W(b, "},\"authentication_context\":{\"authentication_step\":0");
    if (e->sess) {
        W(b, ",\"external_session_id\":");
        sw_json_cstr(b, e->sess);
    }
    W(b, "},");
    if (e->loc) {
        W(b, "\"client\":{\"device\":");
        sw_json_cstr(b, e->ua->device);
        W(b, ",\"ip\":\"");
        sw_buf_puts(b, e->ip);
        W(b, "\",\"user_agent\":{\"browser\":");
        sw_json_cstr(b, e->ua->browser);
        W(b, ",\"os\":");
        sw_json_cstr(b, e->ua->os);
        W(b, ",\"raw_user_agent\":");
        sw_json_cstr(b, e->ua->raw);
        W(b, "},\"zone\":\"null\"},");
    }
    W(b, "\"debug_context\":{\"debug_data\":{\"request_id\":\"");
    sw_buf_puts(b, e->req);
    W(b, "\",\"request_uri\":");
    sw_json_cstr(b, e->uri);
    W(b, ",\"url\":");
    sw_json_cstr(b, e->url);
    W(b, "}},\"display_message\":");
    sw_json_cstr(b, e->msg);
    W(b, ",\"event_type\":");
    sw_json_cstr(b, e->etype);
    W(b, ",\"outcome\":{");
    if (e->reason) {
        W(b, "\"reason\":");
        sw_json_cstr(b, e->reason);
        W(b, ",");
    }
    W(b, "\"result\":");
    sw_json_cstr(b, e->result);
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
    W(b, "\"user\":[");
    sw_json_cstr(b, e->aname);
    W(b, "]},\"tags\":[\"forwarded\",\"okta-system\"],\"user\":{\"full_name\":");
    sw_json_cstr(b, e->aname);
    W(b, ",\"name\":");
    sw_json_cstr(b, e->aalt);
    W(b, "}");
    if (e->loc) {
        W(b, ",\"user_agent\":{\"device\":{\"name\":");
        sw_json_cstr(b, e->ua->device);
        W(b, "},\"name\":");
        sw_json_cstr(b, e->ua->browser);
        W(b, ",\"original\":");
        sw_json_cstr(b, e->ua->raw);
        W(b, ",\"os\":{\"name\":");
        sw_json_cstr(b, e->ua->os);
        W(b, "}}");
    }
    gen_w_tenant_field(g, b, e->tenant);
    W(b, "}");
}


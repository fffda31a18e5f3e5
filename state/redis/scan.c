/* scan.c -- see scan.h. */
#include "scan.h"

#include <string.h>

void sw_scan_init(sw_scan *s, sw_redis *r, const char *key, size_t key_len, const char *match, size_t match_len) {
    *s = (sw_scan){.r = r, .key = key, .key_len = key_len, .match = match, .match_len = match_len, .cursor = "0"};
}

/* Sends the command for the current cursor: [H]SCAN [key] cursor [MATCH m] COUNT n. */
static redisReply *send_page(sw_scan *s) {
    const char *argv[8];
    size_t lens[8];
    int n = 0;
#define ARG(p, len) (argv[n] = (p), lens[n++] = (len))
    if (s->key) {
        ARG("HSCAN", 5);
        ARG(s->key, s->key_len);
    } else {
        ARG("SCAN", 4);
    }
    ARG(s->cursor, strlen(s->cursor));
    if (s->match) {
        ARG("MATCH", 5);
        ARG(s->match, s->match_len);
    }
    ARG("COUNT", 5);
    ARG(SW_SCAN_COUNT, sizeof SW_SCAN_COUNT - 1);
#undef ARG
    return sw_redis_cmd(s->r, n, argv, lens);
}

static bool well_formed(const redisReply *rep, size_t cursor_cap) {
    return rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 && rep->element[0]->type == REDIS_REPLY_STRING &&
           rep->element[0]->len < cursor_cap && rep->element[1]->type == REDIS_REPLY_ARRAY;
}

sw_scan_status sw_scan_next(sw_scan *s, const redisReply **items) {
    sw_scan_end(s);
    if (s->started && strcmp(s->cursor, "0") == 0) return SW_SCAN_DONE;
    s->started = true;
    if (!(s->reply = send_page(s))) return SW_SCAN_NO_REPLY;
    if (s->reply->type == REDIS_REPLY_ERROR) return SW_SCAN_ERROR;
    if (!well_formed(s->reply, sizeof s->cursor)) return SW_SCAN_MALFORMED;
    memcpy(s->cursor, s->reply->element[0]->str, s->reply->element[0]->len);
    s->cursor[s->reply->element[0]->len] = '\0';
    *items = s->reply->element[1];
    return SW_SCAN_PAGE;
}

void sw_scan_end(sw_scan *s) {
    if (s->reply) freeReplyObject(s->reply);
    s->reply = NULL;
}

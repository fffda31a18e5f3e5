/* tu_records.c -- see tu_records.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "tu_records.h"

size_t tu_session_start(char *out, size_t cap, const char *actor, const char *sid, const char *time) {
    int n = snprintf(out, cap,
                     "{\"uuid\":\"u-%s-%s\",\"published\":\"%s\",\"eventType\":"
                     "\"user.session.start\",\"actor\":{\"id\":\"%s\",\"displayName\":\"User\","
                     "\"alternateId\":\"user@example.com\"},\"client\":{\"ipAddress\":\"203.0.113.9\"},"
                     "\"outcome\":{\"result\":\"SUCCESS\"},\"authenticationContext\":{\"externalSessionId\":\"%s\"}}\n",
                     actor, sid, time, actor, sid);
    assert_true(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

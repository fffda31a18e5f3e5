/* http.c -- see http.h. */
#include "http.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct sw_http {
    struct MHD_Daemon *d;
    sw_http_fn fn;
    void *ud;
    int port;
};

static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                             const char *version, const char *upload, size_t *upload_size, void **con_cls) {
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    sw_http *h = cls;
    sw_buf body = {0};
    const char *type = "text/plain; charset=utf-8";
    int status;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        sw_buf_puts(&body, "only GET\n");
    } else {
        status = h->fn(h->ud, url, &body, &type);
    }
    if (body.oom) {
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        sw_buf_reset(&body);
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(body.len, body.len ? body.p : (void *)"",
                                                             MHD_RESPMEM_MUST_COPY);
    sw_buf_free(&body);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, "Allow", "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

sw_http *sw_http_start(const char *addr, sw_http_fn fn, void *ud, char *err, size_t errlen) {
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || !colon[1]) {
        snprintf(err, errlen, "'%s' is not HOST:PORT (e.g. 0.0.0.0:9400)", addr);
        return NULL;
    }
    char host[256];
    size_t hn = (size_t)(colon - addr);
    if (addr[0] == '[' && colon[-1] == ']') addr++, hn -= 2; /* [::1]:9400 */
    if (hn >= sizeof host) {
        snprintf(err, errlen, "host name too long");
        return NULL;
    }
    memcpy(host, addr, hn);
    host[hn] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "'%s': %s", addr, gai_strerror(rc));
        return NULL;
    }
    sw_http *h = calloc(1, sizeof *h);
    if (!h) {
        freeaddrinfo(ai);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->fn = fn;
    h->ud = ud;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, serve, h, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)32, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                            MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->d) {
        snprintf(err, errlen, "cannot listen on %s (in use, or not an address of this host?)", addr);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : 0;
    return h;
}

int sw_http_port(const sw_http *h) { return h->port; }

void sw_http_stop(sw_http *h) {
    if (!h) return;
    MHD_stop_daemon(h->d);
    free(h);
}

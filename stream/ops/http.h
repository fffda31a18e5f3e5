/* http.h -- the small HTTP server behind --metrics-addr: GET-only, a few
 * paths, served by libmicrohttpd's own thread (no hand-written HTTP
 * parsing in this project).  The handler runs on that thread and must only
 * read state its owners publish for it (metrics.h). */
#ifndef SW_HTTP_H
#define SW_HTTP_H

#include <stddef.h>

#include "jsonw.h"

typedef struct sw_http sw_http;

/* Fills body for path and returns the HTTP status; *content_type may be
 * set (default text/plain). */
typedef int (*sw_http_fn)(void *ud, const char *path, sw_buf *body, const char **content_type);

/* Listens on addr "HOST:PORT" ("0.0.0.0:9400", "[::]:9400", port 0 picks
 * a free one).  NULL with err. */
sw_http *sw_http_start(const char *addr, sw_http_fn fn, void *ud, char *err, size_t errlen);
/* The port it listens on. */
int sw_http_port(const sw_http *h);
void sw_http_stop(sw_http *h);

#endif

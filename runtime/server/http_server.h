/* http_server.h - HTTP/1.1 and HTTP/2 for the Kinesis API on a libuv loop: keep-alive, requests parsed by
 * Debian's http-parser, or nghttp2 for a connection that opens with HTTP/2's preface or chose ALPN h2
 * (server/http2.h), bodies bounded (413 past the limit), every complete request answered by sl_api_handle;
 * HTTPS when the config has a TLS context. */
#ifndef SHARDLAB_HTTP_SERVER_H
#define SHARDLAB_HTTP_SERVER_H

#include <stddef.h>
#include <uv.h>

#include "shardlab/api.h"
#include "shardlab/error.h"

typedef struct sl_server_s sl_server_t;

typedef struct sl_server_config_s {
  const char *host;        /* default 127.0.0.1 */
  int port;                /* 0: any free port */
  size_t max_body;         /* bytes (default 8 MiB: PutRecords of 500 records of up to 5 MiB in all, base64) */
  int64_t sync_interval_ms; /* > 0: sl_api_sync and retention this often (durable streams' group commit when
                             * puts pause); 0: retention once a second */
  const struct sl_sigv4_keys_s *auth; /* NULL: any request is taken; else each must be signed (SigV4) by a key */
  struct sl_tls_s *tls;    /* NULL: plain HTTP; else every connection speaks TLS with this context (server/tls.h,
                            * the caller's: it outlives the server) */
  int64_t request_timeout_ms; /* a connection whose request is not complete this long after it began (or
                               * after the connection opened) is closed (default 30000) */
  uint32_t max_connections;   /* connections open at once; the next one is closed at once (default 1024) */
} sl_server_config_t;

void sl_server_config_init(sl_server_config_t *c);

/* Listens on loop; *port receives the port bound. */
int sl_server_start(uv_loop_t *loop, sl_api_t *api, const sl_server_config_t *c, sl_server_t **out, int *port,
                    sl_error_t *err);
/* Stops listening and closes every connection (run the loop to finish); frees itself once all are closed. */
void sl_server_close(sl_server_t *s);

#endif

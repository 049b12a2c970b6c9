/* feeds.h - SubscribeToShard's answers while they run: each feed is a subscription of the API
 * (sl_api_subscription_t) whose events go, as AWS event-stream messages, down an HTTP/2 stream or an HTTP/1.1
 * chunked body. The server's timer polls them; the connection's send callback frames and writes. No libuv
 * here. Private to the server. */
#ifndef SHARDLAB_FEEDS_H
#define SHARDLAB_FEEDS_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/api.h"

typedef struct sl__feeds_s sl__feeds_t;

/* Sends data (malloc'd, taken) on the feed's connection and stream (0: HTTP/1.1); end: the answer ends after
 * it (data may then be NULL). 0, or -1 when the connection or stream is gone. */
typedef int (*sl__feed_send_fn)(void *conn, int32_t stream_id, char *data, size_t len, int end);

sl__feeds_t *sl__feeds_new(sl_api_t *api, sl__feed_send_fn send);
/* Ends every feed (their subscriptions) and frees the list. */
void sl__feeds_free(sl__feeds_t *f);
/* A subscription now answered on conn's stream_id: polled from now on. 0, or -1 out of memory (then ended). */
int sl__feeds_add(sl__feeds_t *f, void *conn, int32_t stream_id, sl_api_subscription_t *sub);
/* conn closed: its feeds end. */
void sl__feeds_drop(sl__feeds_t *f, const void *conn);
/* Sends each feed what is due at now_ms; ends those whose subscription or connection ended. */
void sl__feeds_poll(sl__feeds_t *f, int64_t now_ms);
/* The first message of every SubscribeToShard answer (JSON protocol): an "initial-response" event, as AWS's
 * SDKs expect before the events. malloc'd in *out; SL_OK or SL_ENOMEM. */
int sl__feeds_initial(char **out, size_t *len);

#endif

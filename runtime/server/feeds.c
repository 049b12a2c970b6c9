/* feeds.c - the running SubscribeToShard answers (server/feeds.h): a list of (connection, stream,
 * subscription), polled; each event the API yields is encoded as an event-stream message and sent. */
#include "server/feeds.h"

#include <stdlib.h>

#include "server/event_stream.h"
#include "shardlab/error.h"

enum { EVENTS_PER_POLL = 8 }; /* a busy subscription does not hold the loop: the rest waits for the next poll */

typedef struct feed_s {
  void *conn;
  int32_t stream_id;
  sl_api_subscription_t *sub;
} feed_t;

struct sl__feeds_s {
  sl_api_t *api;
  sl__feed_send_fn send;
  feed_t *v;
  size_t n, cap;
};

sl__feeds_t *sl__feeds_new(sl_api_t *api, sl__feed_send_fn send) {
  sl__feeds_t *f = calloc(1, sizeof *f);
  if (f != NULL) *f = (sl__feeds_t){.api = api, .send = send};
  return f;
}

static void end_at(sl__feeds_t *f, size_t i) {
  sl_api_subscription_end(f->api, f->v[i].sub);
  f->v[i] = f->v[--f->n];
}

void sl__feeds_free(sl__feeds_t *f) {
  if (f == NULL) return;
  while (f->n > 0) end_at(f, f->n - 1);
  free(f->v);
  free(f);
}

int sl__feeds_add(sl__feeds_t *f, void *conn, int32_t stream_id, sl_api_subscription_t *sub) {
  if (f->n == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 8;
    feed_t *grown = realloc(f->v, cap * sizeof *grown);
    if (grown == NULL) {
      sl_api_subscription_end(f->api, sub);
      return -1;
    }
    f->v = grown;
    f->cap = cap;
  }
  f->v[f->n++] = (feed_t){conn, stream_id, sub};
  return 0;
}

void sl__feeds_drop(sl__feeds_t *f, const void *conn) {
  for (size_t i = f->n; i-- > 0;)
    if (f->v[i].conn == conn) end_at(f, i);
}

int sl__feeds_initial(char **out, size_t *len) {
  return sl_event_stream_event("initial-response", "{}", 2, (unsigned char **)out, len);
}

/* One feed's due events: 1 when it goes on, 0 when it ended. */
static int poll_one(sl__feeds_t *f, feed_t *feed, int64_t now_ms) {
  for (int k = 0; k < EVENTS_PER_POLL; k++) {
    sl_api_event_t ev;
    if (!sl_api_subscription_poll(f->api, feed->sub, now_ms, &ev)) break;
    unsigned char *msg = NULL;
    size_t len = 0;
    int rc = ev.exception ? sl_event_stream_exception(ev.type, ev.json, ev.len, &msg, &len)
                          : sl_event_stream_event(ev.type, ev.json, ev.len, &msg, &len);
    free(ev.json);
    if (rc != SL_OK || f->send(feed->conn, feed->stream_id, (char *)msg, len, ev.last) != 0 || ev.last) return 0;
  }
  if (!sl_api_subscription_ended(feed->sub)) return 1;
  f->send(feed->conn, feed->stream_id, NULL, 0, 1); /* its 5 minutes are over: the answer ends */
  return 0;
}

void sl__feeds_poll(sl__feeds_t *f, int64_t now_ms) {
  for (size_t i = f->n; i-- > 0;)
    if (!poll_one(f, &f->v[i], now_ms)) end_at(f, i);
}

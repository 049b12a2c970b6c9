/* api_state.c - the status of served streams, computed from times rather than timers (the API has no clock
 * of its own: every call brings now_ms). A stream is CREATING for create_stream_ms after CreateStream, UPDATING
 * for update_stream_ms after a change that AWS makes asynchronously (resharding, the capacity mode, the
 * encryption), DELETING for delete_stream_ms after DeleteStream and then gone: the first call after that time
 * removes it (and its folder with --data). The changes themselves take effect at the call; only the status
 * says the stream is busy (docs/api.md). */
#include <string.h>

#include "api/api_internal.h"

api_status_t sl__api_status(const api_stream_t *st, int64_t now_ms) {
  if (st->deleting) return API_DELETING;
  if (now_ms < st->active_ms) return API_CREATING;
  if (now_ms < st->updating_ms) return API_UPDATING;
  return API_ACTIVE_STATUS;
}

const char *sl__api_status_name(api_status_t status) {
  static const char *const names[] = {"CREATING", "ACTIVE", "UPDATING", "DELETING"};
  return names[status];
}

void sl__api_state_created(sl_api_t *api, api_stream_t *st, int64_t now_ms) {
  st->active_ms = now_ms + api->config.create_stream_ms;
}

void sl__api_state_updating(sl_api_t *api, api_stream_t *st, int64_t now_ms) {
  if (api->config.update_stream_ms > 0) st->updating_ms = now_ms + api->config.update_stream_ms;
}

static void remove_stream(sl_api_t *api, api_stream_t *st) {
  sl__api_store_release(api, st, 1);
  size_t i = (size_t)(st - api->streams);
  memmove(st, st + 1, (api->count - i - 1) * sizeof *st);
  api->count--;
}

void sl__api_state_delete(sl_api_t *api, api_stream_t *st, int64_t now_ms) {
  if (st->deleting) return; /* deleted twice: the first DeleteStream's time stands */
  if (api->config.delete_stream_ms <= 0) {
    remove_stream(api, st);
    return;
  }
  st->deleting = 1;
  st->deleted_ms = now_ms + api->config.delete_stream_ms;
}

void sl__api_state_expire(sl_api_t *api, int64_t now_ms) {
  for (size_t i = 0; i < api->count;) {
    api_stream_t *st = &api->streams[i];
    if (st->deleting && now_ms >= st->deleted_ms)
      remove_stream(api, st); /* the next one moved into i */
    else
      i++;
  }
}

api_stream_t *sl__api_find(sl_api_t *api, const char *name) {
  for (size_t i = 0; i < api->count; i++)
    if (strcmp(sl_stream_name(api->streams[i].stream), name) == 0) return &api->streams[i];
  return NULL;
}

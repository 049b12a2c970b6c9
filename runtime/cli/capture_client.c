/* capture_client.c - Kinesis API calls for `shardlab capture` (capture_client.h) through libcurl, Debian's
 * well-kept HTTP client (connection reuse, timeouts, chunked and keep-alive responses handled), rather than an
 * HTTP client of our own. One easy handle, reused for every call. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/capture_client.h"

enum { MAX_TRIES = 12 };               /* a throttled call: tried again up to this often ... */
#define FIRST_BACKOFF_MS 100           /* ... after 100 ms, doubled each time ... */
#define MAX_BACKOFF_MS 5000            /* ... up to 5 s */

struct capture_client_s {
  CURL *curl;
  struct curl_slist *headers;
  char *endpoint;
  char *body;                          /* the last response */
  size_t len, cap;
};

static size_t on_data(char *data, size_t size, size_t n, void *ctx) {
  capture_client_t *c = ctx;
  size_t add = size * n;
  if (c->len + add + 1 > c->cap) {
    size_t cap = (c->len + add + 1) * 2;
    char *b = realloc(c->body, cap);
    if (b == NULL) return 0; /* curl fails the transfer */
    c->body = b;
    c->cap = cap;
  }
  memcpy(c->body + c->len, data, add);
  c->len += add;
  c->body[c->len] = '\0';
  return add;
}

capture_client_t *capture_client_create(const char *endpoint) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return NULL;
  capture_client_t *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->curl = curl_easy_init();
  c->endpoint = strdup(endpoint);
  c->headers = curl_slist_append(NULL, "Content-Type: application/x-amz-json-1.1");
  if (c->curl == NULL || c->endpoint == NULL || c->headers == NULL) {
    capture_client_destroy(c);
    return NULL;
  }
  curl_easy_setopt(c->curl, CURLOPT_URL, c->endpoint);
  curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
  return c;
}

void capture_client_destroy(capture_client_t *c) {
  if (c == NULL) return;
  if (c->curl) curl_easy_cleanup(c->curl);
  curl_slist_free_all(c->headers);
  free(c->endpoint);
  free(c->body);
  free(c);
  curl_global_cleanup();
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* One POST; the HTTP status, or -1 with why. */
static long post(capture_client_t *c, const char *action, const char *text, char *why, size_t why_size) {
  char target[96];
  snprintf(target, sizeof target, "X-Amz-Target: Kinesis_20131202.%s", action);
  struct curl_slist *headers = curl_slist_append(NULL, target);
  for (struct curl_slist *h = c->headers; headers && h; h = h->next) curl_slist_append(headers, h->data);
  if (headers == NULL) {
    snprintf(why, why_size, "out of memory");
    return -1;
  }
  c->len = 0;
  curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, text);
  CURLcode rc = curl_easy_perform(c->curl);
  curl_slist_free_all(headers);
  long status = -1;
  if (rc != CURLE_OK)
    snprintf(why, why_size, "%s to %s failed: %s", action, c->endpoint, curl_easy_strerror(rc));
  else
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

int capture_call(capture_client_t *c, const char *action, json_t *request, json_t **response, char *why,
                 size_t why_size) {
  *response = NULL;
  char *text = json_dumps(request, JSON_COMPACT);
  json_decref(request);
  if (text == NULL) return snprintf(why, why_size, "out of memory"), -1;
  int rc = -1;
  long backoff = FIRST_BACKOFF_MS;
  for (int tries = 1; tries <= MAX_TRIES; tries++) {
    long status = post(c, action, text, why, why_size);
    if (status < 0) break;
    json_t *body = c->len ? json_loadb(c->body, c->len, 0, NULL) : json_object();
    if (status == 200 && body != NULL) {
      *response = body;
      rc = 0;
      break;
    }
    const char *type = json_string_value(json_object_get(body, "__type"));
    const char *message = json_string_value(json_object_get(body, "message"));
    if (type && strchr(type, '#')) type = strchr(type, '#') + 1; /* "com.amazonaws...#Name" as some give it */
    int throttled = type && (strcmp(type, "ProvisionedThroughputExceededException") == 0 ||
                             strcmp(type, "LimitExceededException") == 0);
    snprintf(why, why_size, "%s to %s: HTTP %ld %s: %s", action, c->endpoint, status, type ? type : "(no __type)",
             message ? message : (body ? "" : "(a response that is not JSON)"));
    json_decref(body);
    if (!throttled) break;
    if (tries == MAX_TRIES) {
      size_t n = strlen(why);
      snprintf(why + n, why_size - n, " (still throttled after %d tries)", MAX_TRIES);
      break;
    }
    sleep_ms(backoff); /* throttled: back off and try again */
    backoff = backoff * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : backoff * 2;
  }
  free(text);
  return rc;
}

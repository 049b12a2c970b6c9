/* capture_client.h - the Kinesis JSON API over HTTP for `shardlab capture`, with libcurl: POST with
 * X-Amz-Target: Kinesis_20131202.<Action> and Content-Type application/x-amz-json-1.1 to an endpoint that takes
 * requests without signatures (shardlab serve, kinesalite). Throttling (ProvisionedThroughputExceededException,
 * LimitExceededException) is retried with exponential backoff. */
#ifndef SHARDLAB_CAPTURE_CLIENT_H
#define SHARDLAB_CAPTURE_CLIENT_H

#include <jansson.h>
#include <stddef.h>

typedef struct capture_client_s capture_client_t;

/* NULL when libcurl cannot be set up. */
capture_client_t *capture_client_create(const char *endpoint);
void capture_client_destroy(capture_client_t *c);

/* Calls action with request (its reference is taken). 0 with *response (a new reference) on HTTP 200; -1 with
 * why (naming the action, the endpoint and AWS's __type and message, or curl's error) otherwise. */
int capture_call(capture_client_t *c, const char *action, json_t *request, json_t **response, char *why,
                 size_t why_size);

#endif

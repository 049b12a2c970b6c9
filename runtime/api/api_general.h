/* api_general.h - the door to the API's general path from outside runtime/api/: sl_api_handle without
 * PutRecords' fast path (api_put_fast.c), every operation answered from a parsed JSON body. For tests that
 * check the fast path answers exactly as the general one (tests/unit/test_api.c); everyone else calls
 * sl_api_handle. Library-private (sl__), not installed. */
#ifndef SHARDLAB_API_GENERAL_H
#define SHARDLAB_API_GENERAL_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/api.h"

/* As sl_api_handle (include/shardlab/api.h), but never through the fast path. */
void sl__api_handle_general(sl_api_t *api, const char *target, size_t target_len, const char *body, size_t body_len,
                            int64_t now_ms, sl_api_response_t *out);

#endif

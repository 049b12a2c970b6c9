/* filter.h - event filtering for the event source mapping (AWS Lambda guide, "Lambda event filtering"):
 * up to 5 patterns, ORed; a record that matches none is not delivered (it is checkpointed and counted as
 * filtered). Patterns use EventBridge's syntax on the record's fields:
 *   {"data": {"type": ["order"], "total": [{"numeric": [">", 100]}]}, "partitionKey": [{"prefix": "eu-"}]}
 * Fields of one pattern are ANDed; the values listed for a field are ORed. Leaf matchers: exact values
 * (strings, numbers, true/false, null), {"prefix": s}, {"suffix": s}, {"anything-but": v | [v...] | {"prefix":
 * s} | {"suffix": s}}, {"numeric": [op, n (, op, n)]} with op one of = < <= > >=, {"exists": true|false}.
 * Nested objects go down into the data; an array in the data matches when any element does. Data that is not
 * JSON never matches a data pattern. Core code (jansson, no Lua). */
#ifndef SHARDLAB_FILTER_H
#define SHARDLAB_FILTER_H

#include <stddef.h>

#include "shardlab/error.h"

#define SL_FILTER_MAX_PATTERNS 5  /* AWS: up to 5 filters per event source mapping (default quota) */

typedef struct sl_filter_s sl_filter_t;

/* Compiles patterns (JSON texts). Invalid patterns are refused with the pattern's number and the path of the
 * bad part ("filters[2]: data.total: numeric expects ..."). */
int sl_filter_create(const char *const *patterns, size_t count, sl_filter_t **out, sl_error_t *err);
void sl_filter_destroy(sl_filter_t *filter);

/* Nonzero when the record (partition key, data bytes) matches at least one pattern. */
int sl_filter_match(const sl_filter_t *filter, const char *key, size_t key_len, const void *data, size_t data_len);

#endif

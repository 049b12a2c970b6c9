/* filter.h - event filtering for the event source mapping (AWS Lambda guide, "Control which events Lambda sends
 * to your function" / "Lambda event filtering"): up to SL_FILTER_MAX_PATTERNS patterns, ORed; a record that
 * matches none is not delivered (it is checkpointed and counted as filtered). Patterns use EventBridge's syntax
 * (EventBridge user guide, "Comparison operators for use in event patterns in Amazon EventBridge") on the
 * record's JSON data, and only on it (AWS Lambda guide, "Using event filtering with a Kinesis event source":
 * "Kinesis event source mappings only support filtering on the data key"):
 *   {"data": {"type": ["order"], "total": [{"numeric": [">", 100]}], "region": [{"prefix": "eu-"}]}}
 * Fields of one pattern are ANDed; the values listed for a field are ORed; {"$or": [pattern, pattern...]} at
 * any level ORs whole sub-patterns. Leaf matchers: exact values (strings, numbers, true/false, null, "" for
 * empty), {"equals-ignore-case": s}, {"prefix": s | {"equals-ignore-case": s}}, {"suffix": s |
 * {"equals-ignore-case": s}}, {"wildcard": s} (* is any run of characters, \* and \\ are literal, ** is
 * refused), {"anything-but": v | [v...] | {"prefix": s} | {"suffix": s} | {"equals-ignore-case": s | [s...]} |
 * {"wildcard": s | [s...]}}, {"numeric": [op, n (, op, n)]} with op one of = < <= > >=, {"exists": true|false}.
 * Nested objects go down into the data; an array in the data matches when any element does. Data that is not
 * JSON never matches. docs/filters.md is the reference. Core code (jansson, no Lua). */
#ifndef SHARDLAB_FILTER_H
#define SHARDLAB_FILTER_H

#include <stddef.h>

#include "shardlab/error.h"

/* AWS: 5 filters per event source mapping by default, raisable to 10 on request (Lambda guide, "Control which
 * events Lambda sends to your function"). sl_filter_create takes up to the raised limit; the experiment's
 * mapping.max_filters (default SL_FILTER_DEFAULT_QUOTA) picks the quota in force. */
#define SL_FILTER_MAX_PATTERNS 10
#define SL_FILTER_DEFAULT_QUOTA 5

typedef struct sl_filter_s sl_filter_t;

/* Compiles patterns (JSON texts). Invalid patterns are refused with the pattern's number and the path of the
 * bad part ("filters[2]: data.total: numeric expects ..."); a top-level key other than "data" (or "$or" of
 * data patterns) is refused with AWS's sentence. */
int sl_filter_create(const char *const *patterns, size_t count, sl_filter_t **out, sl_error_t *err);
void sl_filter_destroy(sl_filter_t *filter);

/* Nonzero when the record's data matches at least one pattern. The partition key is not looked at (Kinesis
 * mappings filter on data only); it stays in the signature for the reader. */
int sl_filter_match(const sl_filter_t *filter, const char *key, size_t key_len, const void *data, size_t data_len);

#endif

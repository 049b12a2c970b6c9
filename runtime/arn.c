/* arn.c - stream and function ARNs (arn.h). */
#include "shardlab/arn.h"

#include <stdio.h>

size_t sl_arn_stream(char *buf, size_t size, const char *region, const char *account, const char *stream) {
  int n = snprintf(buf, size, "arn:aws:kinesis:%s:%s:stream/%s", region, account, stream);
  return n < 0 ? 0 : (size_t)n;
}

size_t sl_arn_function(char *buf, size_t size, const char *region, const char *account, const char *function) {
  int n = snprintf(buf, size, "arn:aws:lambda:%s:%s:function:%s", region, account, function);
  return n < 0 ? 0 : (size_t)n;
}

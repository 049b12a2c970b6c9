/* error.c - error codes to text and to AWS exception names, and the helper that fills an sl_error_t. */
#include "shardlab/error.h"

#include <stdarg.h>
#include <stdio.h>

const char *sl_strerror(int code) {
  switch (code) {
  case SL_OK: return "success";
  case SL_EINVAL: return "invalid argument";
  case SL_ENOMEM: return "out of memory";
  case SL_ETHROTTLED: return "rate exceeded";
  case SL_ENOTFOUND: return "not found";
  case SL_ELIMIT: return "limit exceeded";
  case SL_ECLOSED: return "shard closed and fully read";
  case SL_EEXPIRED: return "trimmed by retention";
  case SL_EIO: return "input/output error";
  case SL_ENOSPACE: return "no space left";
  case SL_PENDING: return "in progress";
  default: return "unknown error";
  }
}

const char *sl_error_name(int code) {
  switch (code) {
  case SL_EINVAL: return "InvalidArgumentException";
  case SL_ETHROTTLED: return "ProvisionedThroughputExceededException";
  case SL_ENOTFOUND: return "ResourceNotFoundException";
  case SL_ELIMIT: return "LimitExceededException";
  case SL_EEXPIRED: return "ExpiredIteratorException";
  default: return NULL;
  }
}

int sl_error_set(sl_error_t *err, int code, const char *fmt, ...) {
  if (err != NULL) {
    va_list ap;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

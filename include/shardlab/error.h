/* error.h - shardlab's error codes and the error record that carries a message to the user.
 *
 * As in libuv, failures are negative integers (SL_E*), never errno. Calls that validate user input also take
 * an optional sl_error_t* that receives a message naming the field and the value at fault, and, where the
 * failure is one Kinesis reports, the AWS exception name (sl_error_name). */
#ifndef SHARDLAB_ERROR_H
#define SHARDLAB_ERROR_H

#include <stddef.h>

enum {
  SL_OK = 0,
  SL_EINVAL = -1,      /* invalid argument: AWS InvalidArgumentException (or a validation error) */
  SL_ENOMEM = -2,      /* allocation failed */
  SL_ETHROTTLED = -3,  /* AWS ProvisionedThroughputExceededException */
  SL_ENOTFOUND = -4,   /* AWS ResourceNotFoundException */
  SL_ELIMIT = -5,      /* AWS LimitExceededException */
  SL_ECLOSED = -6,     /* read past the end of a closed shard: its children hold what follows */
  SL_EEXPIRED = -7,    /* the requested position has been trimmed by retention */
  SL_EIO = -8,         /* an operating-system I/O failure: AWS InternalFailure (HTTP 500) */
  SL_ENOSPACE = -9,    /* the disk (or the file size limit) is full: AWS ServiceUnavailable (HTTP 503) */
  SL_PENDING = 1       /* not a failure: the operation was started and completes later (real clock) */
};

/* Where a failing call leaves its explanation. Caller-owned; pass NULL when the message is not wanted. */
typedef struct sl_error_s {
  int code;           /* the negative SL_E* code, SL_OK when nothing failed */
  char message[512];  /* one line for the user, naming what is wrong and where */
} sl_error_t;

/* A short description of an error code ("invalid argument"). Never NULL. */
const char *sl_strerror(int code);

/* The AWS exception a code corresponds to ("InvalidArgumentException"); NULL when AWS has none. */
const char *sl_error_name(int code);

/* Fills err (when not NULL) with code and a printf-formatted message, and returns code, so callers can write
 * `return sl_error_set(err, SL_EINVAL, "...", ...);`. */
int sl_error_set(sl_error_t *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif

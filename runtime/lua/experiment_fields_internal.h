/* experiment_fields_internal.h - reading one field of an experiment table (experiment_fields.c), shared by
 * the readers of its parts (experiment_read.c, experiment_producers.c): each checks the type and range and
 * refuses a bad value with the experiment's name and the field's path. Internal to runtime/lua. */
#ifndef SHARDLAB_EXPERIMENT_FIELDS_INTERNAL_H
#define SHARDLAB_EXPERIMENT_FIELDS_INTERNAL_H

#include <lua.h>
#include <stdint.h>

#include "lua/experiment.h"

typedef struct reader_s {
  lua_State *L;
  const sl_experiment_t *e;
  const char *dir;  /* the experiment file's folder: relative paths start there */
  sl_error_t *err;
} reader_t;

/* "experiment 'NAME': PATH.FIELD WHAT": SL_EINVAL. */
int sl__field_bad(reader_t *r, const char *path, const char *field, const char *what);
/* Refuses fields of the table at idx that are not in allowed (NULL-terminated), naming the closest known one. */
int sl__field_only(reader_t *r, int idx, const char *path, const char *const *allowed);
/* Refuses the first of fields that table p gives, saying why. */
int sl__field_refuse_given(reader_t *r, int p, const char *path, const char *const *fields, const char *why);
/* Numbers within [lo, hi]; an absent field leaves *out. whole: an integer; seconds: into microseconds;
 * whole_seconds: 0..hi whole seconds, as AWS's Integer field `aws` takes them. */
int sl__field_number(reader_t *r, int idx, const char *path, const char *field, double lo, double hi, double *out);
int sl__field_whole(reader_t *r, int idx, const char *path, const char *field, double lo, double hi, uint32_t *out);
int sl__field_seconds(reader_t *r, int idx, const char *path, const char *field, double lo, double hi, int64_t *us);
int sl__field_whole_seconds(reader_t *r, int idx, const char *path, const char *field, const char *aws, double hi,
                            int64_t *us);
int sl__field_boolean(reader_t *r, int idx, const char *path, const char *field, int *out);
/* A string field; *out points into the Lua string (valid while the experiment table lives). */
int sl__field_text(reader_t *r, int idx, const char *path, const char *field, const char **out);
/* A path relative to the experiment file's folder (absolute paths stay), malloc'd; NULL when out of memory. */
char *sl__field_beside(const char *dir, const char *path);

/* The producers = { ... } list (experiment_producers.c), and what can be known of them once all are read. */
int sl__experiment_read_producers(reader_t *r, int idx, sl_experiment_t *e);
int sl__experiment_finish_producers(reader_t *r, int idx, sl_experiment_t *e);

#endif

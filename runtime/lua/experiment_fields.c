/* experiment_fields.c - one field of an experiment table read and checked: known names only (with "did you
 * mean"), numbers in range, whole numbers and seconds, booleans, strings, paths beside the experiment file. */
#define _POSIX_C_SOURCE 200809L

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/experiment_fields_internal.h"

int sl__field_bad(reader_t *r, const char *path, const char *field, const char *what) {
  return sl_error_set(r->err, SL_EINVAL, "experiment '%s': %s%s%s %s", r->e->name, path, *path ? "." : "", field, what);
}

/* The known field closest to the unknown name k, for "did you mean": an edit distance (insertions, deletions,
 * substitutions and swaps of neighbours) of at most 2 and less than k's length, or else a name that k begins
 * (or that begins k), at least 3 characters long. NULL when none is close. */
static const char *closest(const char *k, const char *const *allowed) {
  enum { MAX = 64 };
  size_t n = strlen(k);
  if (n == 0 || n > MAX) return NULL;
  const char *best = NULL;
  size_t best_score = 3; /* 0..2: the distance; 3: a prefix match */
  for (const char *const *a = allowed; *a; a++) {
    size_t m = strlen(*a);
    if (m > MAX) continue;
    unsigned char d[MAX + 1][MAX + 1];
    for (size_t i = 0; i <= n; i++) d[i][0] = (unsigned char)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (unsigned char)j;
    for (size_t i = 1; i <= n; i++)
      for (size_t j = 1; j <= m; j++) {
        size_t v = d[i - 1][j - 1] + (k[i - 1] != (*a)[j - 1]);
        if (d[i - 1][j] + 1u < v) v = d[i - 1][j] + 1u;
        if (d[i][j - 1] + 1u < v) v = d[i][j - 1] + 1u;
        if (i > 1 && j > 1 && k[i - 1] == (*a)[j - 2] && k[i - 2] == (*a)[j - 1] && d[i - 2][j - 2] + 1u < v)
          v = d[i - 2][j - 2] + 1u;
        d[i][j] = (unsigned char)v;
      }
    size_t score = d[n][m] <= 2 && d[n][m] < n ? d[n][m] : 4;
    size_t shorter = n < m ? n : m;
    if (score == 4 && shorter >= 3 && strncmp(k, *a, shorter) == 0) score = 3;
    if (score < best_score || (score == 3 && best == NULL)) {
      best = *a;
      best_score = score;
    }
  }
  return best;
}

/* Refuses fields of the table at idx that are not in allowed (NULL-terminated), naming the closest known one. */
int sl__field_only(reader_t *r, int idx, const char *path, const char *const *allowed) {
  lua_State *L = r->L;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      lua_pop(L, 1);
      return sl_error_set(r->err, SL_EINVAL, "experiment '%s': %s has a field that is not a name", r->e->name,
                          *path ? path : "the experiment table");
    }
    const char *k = lua_tostring(L, -1);
    int ok = 0;
    for (const char *const *a = allowed; *a && !ok; a++) ok = strcmp(*a, k) == 0;
    if (!ok) {
      char what[64], why[128] = "is not a known field";
      snprintf(what, sizeof what, "%s", k);
      const char *near = closest(k, allowed);
      if (near != NULL) snprintf(why, sizeof why, "is not a known field; did you mean \"%s\"?", near);
      lua_pop(L, 1);
      return sl__field_bad(r, path, what, why);
    }
  }
  return SL_OK;
}

/* Reads a number field within [lo, hi]; absent leaves *out. */
int sl__field_number(reader_t *r, int idx, const char *path, const char *field, double lo, double hi, double *out) {
  lua_State *L = r->L;
  int t = lua_getfield(L, idx, field);
  int rc = SL_OK;
  if (t != LUA_TNIL) {
    double v = lua_tonumber(L, -1);
    if (t != LUA_TNUMBER || !isfinite(v)) {
      rc = sl__field_bad(r, path, field, "must be a number");
    } else if (v < lo || v > hi) {
      char what[128];
      snprintf(what, sizeof what, "%g is out of range: it must be between %g and %g", v, lo, hi);
      rc = sl__field_bad(r, path, field, what);
    } else {
      *out = v;
    }
  }
  lua_pop(L, 1);
  return rc;
}

int sl__field_whole(reader_t *r, int idx, const char *path, const char *field, double lo, double hi, uint32_t *out) {
  double v = *out;
  int rc = sl__field_number(r, idx, path, field, lo, hi, &v);
  if (rc == SL_OK && v != floor(v)) return sl__field_bad(r, path, field, "must be a whole number");
  if (rc == SL_OK) *out = (uint32_t)v;
  return rc;
}

int sl__field_seconds(reader_t *r, int idx, const char *path, const char *field, double lo, double hi, int64_t *us) {
  double v = (double)*us / 1e6;
  int rc = sl__field_number(r, idx, path, field, lo, hi, &v);
  if (rc == SL_OK) *us = (int64_t)llround(v * 1e6);
  return rc;
}

/* Whole seconds 0..hi, as AWS's API takes them (its field `aws`, an Integer): a fraction is refused, not rounded. */
int sl__field_whole_seconds(reader_t *r, int idx, const char *path, const char *field, const char *aws, double hi,
                         int64_t *us) {
  double v = (double)*us / 1e6;
  int rc = sl__field_number(r, idx, path, field, 0, hi, &v);
  if (rc == SL_OK && v != floor(v)) {
    char what[160];
    snprintf(what, sizeof what, "%g must be whole seconds: AWS's %s is an integer from 0 to %g", v, aws, hi);
    return sl__field_bad(r, path, field, what);
  }
  if (rc == SL_OK) *us = (int64_t)v * 1000000;
  return rc;
}

int sl__field_boolean(reader_t *r, int idx, const char *path, const char *field, int *out) {
  int t = lua_getfield(r->L, idx, field), rc = SL_OK;
  if (t == LUA_TBOOLEAN)
    *out = lua_toboolean(r->L, -1);
  else if (t != LUA_TNIL)
    rc = sl__field_bad(r, path, field, "must be true or false");
  lua_pop(r->L, 1);
  return rc;
}

/* A string field; *out points into the Lua string (valid while the experiment table lives). */
int sl__field_text(reader_t *r, int idx, const char *path, const char *field, const char **out) {
  int t = lua_getfield(r->L, idx, field), rc = SL_OK;
  if (t == LUA_TSTRING)
    *out = lua_tostring(r->L, -1);
  else if (t != LUA_TNIL)
    rc = sl__field_bad(r, path, field, "must be a string");
  lua_pop(r->L, 1);
  return rc;
}


/* A path relative to the experiment file's folder (absolute paths stay), malloc'd; NULL when out of memory. */
char *sl__field_beside(const char *dir, const char *path) {
  size_t len = strlen(dir) + strlen(path) + 2;
  char *out = malloc(len);
  if (out == NULL) return NULL;
  if (path[0] == '/')
    snprintf(out, len, "%s", path);
  else
    snprintf(out, len, "%s/%s", dir, path);
  return out;
}

/* Refuses the first of fields that table p gives, saying why. */
int sl__field_refuse_given(reader_t *r, int p, const char *path, const char *const *fields, const char *why) {
  for (int i = 0; fields[i]; i++) {
    int given = lua_getfield(r->L, p, fields[i]) != LUA_TNIL;
    lua_pop(r->L, 1);
    if (given) return sl__field_bad(r, path, fields[i], why);
  }
  return SL_OK;
}


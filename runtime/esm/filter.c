/* filter.c - EventBridge-style filter patterns (filter.h): validated once when compiled, then matched against
 * each record's partition key and JSON data. Patterns are kept as jansson values. */
#include "shardlab/filter.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sl_filter_s {
  json_t *patterns[SL_FILTER_MAX_PATTERNS];
  size_t count;
  int uses_data;  /* some pattern looks into the data: parse it */
};

/* --- validation ----------------------------------------------------------------------------------------- */

typedef struct check_s {
  size_t number;   /* 1-based pattern number */
  char path[200];  /* "data.total" */
  sl_error_t *err;
} check_t;

static int refuse(check_t *c, const char *what) {
  return sl_error_set(c->err, SL_EINVAL, "filters[%zu]: %s%s%s", c->number, c->path, *c->path ? ": " : "", what);
}

static int is_numeric_op(const char *op) {
  return !strcmp(op, "=") || !strcmp(op, "<") || !strcmp(op, "<=") || !strcmp(op, ">") || !strcmp(op, ">=");
}

static int check_matcher(check_t *c, const json_t *m) {
  if (!json_is_object(m)) {
    if (json_is_array(m)) return refuse(c, "a list inside a list of values");
    return SL_OK; /* an exact value */
  }
  if (json_object_size(m) != 1) return refuse(c, "a matcher object must have exactly one operator");
  const char *op = json_object_iter_key(json_object_iter((json_t *)m));
  const json_t *v = json_object_iter_value(json_object_iter((json_t *)m));
  if (!strcmp(op, "prefix") || !strcmp(op, "suffix")) {
    if (!json_is_string(v)) return refuse(c, "prefix and suffix take a string");
  } else if (!strcmp(op, "exists")) {
    if (!json_is_boolean(v)) return refuse(c, "exists takes true or false");
  } else if (!strcmp(op, "anything-but")) {
    if (json_is_object(v)) {
      const char *inner = json_object_size(v) == 1 ? json_object_iter_key(json_object_iter((json_t *)v)) : "";
      if ((strcmp(inner, "prefix") && strcmp(inner, "suffix")) ||
          !json_is_string(json_object_iter_value(json_object_iter((json_t *)v))))
        return refuse(c, "anything-but takes a value, a list of values, or {\"prefix\"|\"suffix\": string}");
    } else if (json_is_array(v)) {
      size_t i;
      json_t *x;
      json_array_foreach(v, i, x) if (json_is_object(x) || json_is_array(x)) return refuse(c, "anything-but lists plain values");
    }
  } else if (!strcmp(op, "numeric")) {
    size_t n = json_array_size(v);
    if (!json_is_array(v) || (n != 2 && n != 4)) return refuse(c, "numeric expects [op, number] or [op, number, op, number]");
    for (size_t i = 0; i < n; i += 2) {
      const json_t *o = json_array_get(v, i), *x = json_array_get(v, i + 1);
      if (!json_is_string(o) || !is_numeric_op(json_string_value(o)) || !json_is_number(x))
        return refuse(c, "numeric expects operators = < <= > >= each followed by a number");
    }
  } else {
    char what[96];
    snprintf(what, sizeof what, "unknown operator '%.40s'", op);
    return refuse(c, what);
  }
  return SL_OK;
}

static int check_fields(check_t *c, const json_t *obj, int depth) {
  if (depth > 32) return refuse(c, "nested too deep");
  if (json_object_size(obj) == 0) return refuse(c, "an empty object matches nothing");
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    size_t len = strlen(c->path);
    snprintf(c->path + len, sizeof c->path - len, "%s%s", len ? "." : "", key);
    int rc = SL_OK;
    if (json_is_object(v)) {
      rc = check_fields(c, v, depth + 1);
    } else if (!json_is_array(v) || json_array_size(v) == 0) {
      rc = refuse(c, "a field's pattern is a non-empty list of values or matchers, or an object of fields");
    } else {
      size_t i;
      json_t *m;
      json_array_foreach(v, i, m) if (rc == SL_OK) rc = check_matcher(c, m);
    }
    if (rc != SL_OK) return rc;
    c->path[len] = '\0';
  }
  return SL_OK;
}

int sl_filter_create(const char *const *patterns, size_t count, sl_filter_t **out, sl_error_t *err) {
  *out = NULL;
  if (count > SL_FILTER_MAX_PATTERNS)
    return sl_error_set(err, SL_EINVAL, "filters: %zu patterns, at most %d are allowed", count, SL_FILTER_MAX_PATTERNS);
  sl_filter_t *f = calloc(1, sizeof *f);
  if (f == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  for (size_t i = 0; i < count; i++) {
    check_t c = {i + 1, "", err};
    json_error_t jerr;
    json_t *p = json_loads(patterns[i], 0, &jerr);
    int rc = SL_OK;
    if (p == NULL) {
      rc = sl_error_set(err, SL_EINVAL, "filters[%zu]: not JSON: %s", i + 1, jerr.text);
    } else if (!json_is_object(p)) {
      rc = refuse(&c, "a pattern is an object such as {\"data\": {...}}");
    } else {
      const char *key;
      json_t *v;
      json_object_foreach(p, key, v) {
        if (rc != SL_OK) break;
        if (strcmp(key, "data") != 0 && strcmp(key, "partitionKey") != 0) {
          char what[96];
          snprintf(what, sizeof what, "'%.40s' cannot be filtered on: use \"data\" or \"partitionKey\"", key);
          rc = refuse(&c, what);
        } else {
          json_t *wrapped = json_pack("{s:O}", key, v); /* checked as a field of the record */
          rc = wrapped ? check_fields(&c, wrapped, 0) : sl_error_set(err, SL_ENOMEM, "out of memory");
          json_decref(wrapped);
          if (!strcmp(key, "data")) f->uses_data = 1;
          if (rc == SL_OK && !strcmp(key, "data") && !json_is_object(v))
            rc = refuse(&c, "data takes an object of fields");
        }
      }
    }
    if (rc != SL_OK) {
      json_decref(p);
      sl_filter_destroy(f);
      return rc;
    }
    f->patterns[f->count++] = p;
  }
  *out = f;
  return SL_OK;
}

void sl_filter_destroy(sl_filter_t *f) {
  if (f == NULL) return;
  for (size_t i = 0; i < f->count; i++) json_decref(f->patterns[i]);
  free(f);
}

/* --- matching ------------------------------------------------------------------------------------------- */

static int equal_values(const json_t *a, const json_t *b) {
  if (json_is_number(a) && json_is_number(b)) return json_number_value(a) == json_number_value(b);
  return json_equal((json_t *)a, (json_t *)b);
}

static int affix(const json_t *v, const char *op, const json_t *arg) {
  if (!json_is_string(v)) return 0;
  const char *s = json_string_value(v), *a = json_string_value(arg);
  size_t n = json_string_length(v), k = strlen(a);
  if (k > n) return 0;
  return !strcmp(op, "prefix") ? memcmp(s, a, k) == 0 : memcmp(s + n - k, a, k) == 0;
}

static int numeric(const json_t *v, const json_t *spec) {
  if (!json_is_number(v)) return 0;
  double x = json_number_value(v);
  for (size_t i = 0; i < json_array_size(spec); i += 2) {
    const char *op = json_string_value(json_array_get(spec, i));
    double y = json_number_value(json_array_get(spec, i + 1));
    int ok = !strcmp(op, "=") ? x == y : !strcmp(op, "<") ? x < y : !strcmp(op, "<=") ? x <= y
                                                              : !strcmp(op, ">") ? x > y : x >= y;
    if (!ok) return 0;
  }
  return 1;
}

/* One present value against one matcher (exists handled by the caller). */
static int match_value(const json_t *v, const json_t *m) {
  if (!json_is_object(m)) return equal_values(v, m);
  const char *op = json_object_iter_key(json_object_iter((json_t *)m));
  const json_t *arg = json_object_iter_value(json_object_iter((json_t *)m));
  if (!strcmp(op, "prefix") || !strcmp(op, "suffix")) return affix(v, op, arg);
  if (!strcmp(op, "numeric")) return numeric(v, arg);
  if (!strcmp(op, "anything-but")) {
    if (json_is_object(arg)) {
      const char *inner = json_object_iter_key(json_object_iter((json_t *)arg));
      return json_is_string(v) && !affix(v, inner, json_object_iter_value(json_object_iter((json_t *)arg)));
    }
    if (json_is_array(arg)) {
      size_t i;
      json_t *x;
      json_array_foreach(arg, i, x) if (equal_values(v, x)) return 0;
      return 1;
    }
    return !equal_values(v, arg);
  }
  return 0; /* exists: not a value matcher */
}

/* A field's list of matchers against the field's value (NULL when absent). */
static int match_leaf(const json_t *matchers, const json_t *v) {
  size_t i;
  json_t *m;
  json_array_foreach(matchers, i, m) {
    const json_t *exists = json_is_object(m) ? json_object_get(m, "exists") : NULL;
    if (exists != NULL) {
      if (json_is_true(exists) == (v != NULL)) return 1;
      continue;
    }
    if (v == NULL) continue;
    if (json_is_array(v)) { /* an array matches when any element does */
      size_t k;
      json_t *x;
      json_array_foreach(v, k, x) if (match_value(x, m)) return 1;
    } else if (match_value(v, m)) {
      return 1;
    }
  }
  return 0;
}

static int match_fields(const json_t *pattern, const json_t *value) {
  const char *key;
  json_t *p;
  json_object_foreach((json_t *)pattern, key, p) {
    const json_t *v = json_is_object(value) ? json_object_get(value, key) : NULL;
    if (json_is_object(p) ? !match_fields(p, v) : !match_leaf(p, v)) return 0;
  }
  return 1;
}

int sl_filter_match(const sl_filter_t *f, const char *key, size_t key_len, const void *data, size_t data_len) {
  json_t *record = json_object();
  if (record == NULL) return 0;
  json_object_set_new(record, "partitionKey", json_stringn(key, key_len));
  if (f->uses_data) {
    json_t *d = json_loadb(data, data_len, JSON_DECODE_ANY, NULL);
    if (d != NULL) json_object_set_new(record, "data", d); /* not JSON: no "data", so data patterns fail */
  }
  int matched = 0, has_data = json_object_get(record, "data") != NULL;
  for (size_t i = 0; i < f->count && !matched; i++) /* data that is not JSON never matches a data pattern */
    matched = (has_data || json_object_get(f->patterns[i], "data") == NULL) && match_fields(f->patterns[i], record);
  json_decref(record);
  return matched;
}

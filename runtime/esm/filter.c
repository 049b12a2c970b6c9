/* filter.c - EventBridge-style filter patterns (filter.h): validated once when compiled, then matched against
 * each record's JSON data. Patterns are kept as jansson values. The operators are those of the comparison
 * operator tables in the AWS Lambda guide ("Control which events Lambda sends to your function") and the
 * EventBridge user guide ("Comparison operators for use in event patterns in Amazon EventBridge"). */
#include "shardlab/filter.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sl_filter_s {
  json_t *patterns[SL_FILTER_MAX_PATTERNS];
  size_t count;
};

/* AWS Lambda guide, "Using event filtering with a Kinesis event source". */
#define DATA_ONLY                                                                                               \
  "Kinesis event source mappings only support filtering on the data key (AWS Lambda guide, event filtering " \
  "with Kinesis)"

/* --- validation ----------------------------------------------------------------------------------------- */

typedef struct check_s {
  size_t number;   /* 1-based pattern number */
  char path[200];  /* "data.total" */
  sl_error_t *err;
} check_t;

static int refuse(check_t *c, const char *what) {
  return sl_error_set(c->err, SL_EINVAL, "filters[%zu]: %s%s%s", c->number, c->path, *c->path ? ": " : "", what);
}

static const char *only_key(const json_t *obj) {
  return json_object_iter_key(json_object_iter((json_t *)obj));
}

static const json_t *only_value(const json_t *obj) {
  return json_object_iter_value(json_object_iter((json_t *)obj));
}

static int is_numeric_op(const char *op) {
  return !strcmp(op, "=") || !strcmp(op, "<") || !strcmp(op, "<=") || !strcmp(op, ">") || !strcmp(op, ">=");
}

/* EventBridge wildcard rules: * matches any run of characters; a backslash escapes * or a backslash;
 * consecutive wildcards (**) are not supported. */
static int check_wildcard(check_t *c, const json_t *v) {
  if (!json_is_string(v)) return refuse(c, "wildcard takes a string");
  const char *s = json_string_value(v);
  size_t n = json_string_length(v);
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\\') {
      if (i + 1 == n || (s[i + 1] != '*' && s[i + 1] != '\\'))
        return refuse(c, "wildcard: a backslash escapes only * or a backslash");
      i++;
    } else if (s[i] == '*' && i + 1 < n && s[i + 1] == '*') {
      return refuse(c, "wildcard: consecutive wildcard characters (**) are not supported");
    }
  }
  return SL_OK;
}

/* A string, or (with_list) a non-empty list of strings; wildcard strings are checked too. */
static int check_strings(check_t *c, const json_t *v, int with_list, int wildcard, const char *what) {
  if (json_is_array(v) && with_list && json_array_size(v) > 0) {
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
      if (!json_is_string(x)) return refuse(c, what);
      if (wildcard && check_wildcard(c, x) != SL_OK) return SL_EINVAL;
    }
    return SL_OK;
  }
  if (!json_is_string(v)) return refuse(c, what);
  return wildcard ? check_wildcard(c, v) : SL_OK;
}

/* prefix and suffix: a string, or {"equals-ignore-case": string}. */
static int check_affix(check_t *c, const json_t *v) {
  if (json_is_object(v) && json_object_size(v) == 1 && !strcmp(only_key(v), "equals-ignore-case"))
    v = only_value(v);
  if (!json_is_string(v)) return refuse(c, "prefix and suffix take a string or {\"equals-ignore-case\": string}");
  return SL_OK;
}

static int check_anything_but(check_t *c, const json_t *v) {
  if (json_is_object(v)) {
    const char *inner = json_object_size(v) == 1 ? only_key(v) : "";
    const json_t *arg = only_value(v);
    if (!strcmp(inner, "prefix") || !strcmp(inner, "suffix"))
      return check_strings(c, arg, 0, 0, "anything-but: prefix and suffix take a string");
    if (!strcmp(inner, "equals-ignore-case"))
      return check_strings(c, arg, 1, 0, "anything-but: equals-ignore-case takes a string or a list of strings");
    if (!strcmp(inner, "wildcard"))
      return check_strings(c, arg, 1, 1, "anything-but: wildcard takes a string or a list of strings");
    return refuse(c, "anything-but takes a value, a list of values, or {\"prefix\"|\"suffix\"|"
                     "\"equals-ignore-case\"|\"wildcard\": ...}");
  }
  if (json_is_array(v)) {
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) if (json_is_object(x) || json_is_array(x)) return refuse(c, "anything-but lists plain values");
  }
  return SL_OK;
}

static int check_numeric(check_t *c, const json_t *v) {
  size_t n = json_array_size(v);
  if (!json_is_array(v) || (n != 2 && n != 4)) return refuse(c, "numeric expects [op, number] or [op, number, op, number]");
  for (size_t i = 0; i < n; i += 2) {
    const json_t *o = json_array_get(v, i), *x = json_array_get(v, i + 1);
    if (!json_is_string(o) || !is_numeric_op(json_string_value(o)) || !json_is_number(x))
      return refuse(c, "numeric expects operators = < <= > >= each followed by a number");
  }
  return SL_OK;
}

static int check_matcher(check_t *c, const json_t *m) {
  if (!json_is_object(m)) {
    if (json_is_array(m)) return refuse(c, "a list inside a list of values");
    return SL_OK; /* an exact value */
  }
  if (json_object_size(m) != 1) return refuse(c, "a matcher object must have exactly one operator");
  const char *op = only_key(m);
  const json_t *v = only_value(m);
  if (!strcmp(op, "prefix") || !strcmp(op, "suffix")) return check_affix(c, v);
  if (!strcmp(op, "equals-ignore-case")) return check_strings(c, v, 0, 0, "equals-ignore-case takes a string");
  if (!strcmp(op, "wildcard")) return check_wildcard(c, v);
  if (!strcmp(op, "exists")) return json_is_boolean(v) ? SL_OK : refuse(c, "exists takes true or false");
  if (!strcmp(op, "anything-but")) return check_anything_but(c, v);
  if (!strcmp(op, "numeric")) return check_numeric(c, v);
  char what[96];
  snprintf(what, sizeof what, "unknown operator '%.40s'", op);
  return refuse(c, what);
}

static int check_fields(check_t *c, const json_t *obj, int depth);

/* {"$or": [pattern, pattern, ...]}: each branch is checked as the fields of this level. top: the branches are
 * whole patterns, so their keys must be "data" (or "$or") too. */
static int check_or(check_t *c, const json_t *v, int depth, int top);

static int check_top(check_t *c, const json_t *p, int depth) {
  if (json_object_size(p) == 0) return refuse(c, "an empty object matches nothing");
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)p, key, v) {
    int rc;
    if (!strcmp(key, "$or")) {
      rc = check_or(c, v, depth + 1, 1);
    } else if (strcmp(key, "data") != 0) {
      char what[200];
      snprintf(what, sizeof what, "%s; \"%.60s\" is not allowed", DATA_ONLY, key);
      rc = refuse(c, what);
    } else if (!json_is_object(v)) {
      rc = refuse(c, "data takes an object of fields");
    } else {
      size_t len = strlen(c->path);
      snprintf(c->path + len, sizeof c->path - len, "%sdata", len ? "." : "");
      rc = check_fields(c, v, depth + 1);
      c->path[len] = '\0';
    }
    if (rc != SL_OK) return rc;
  }
  return SL_OK;
}

static int check_or(check_t *c, const json_t *v, int depth, int top) {
  size_t len = strlen(c->path);
  if (!json_is_array(v) || json_array_size(v) < 2) {
    snprintf(c->path + len, sizeof c->path - len, "%s$or", len ? "." : "");
    return refuse(c, "$or takes a list of at least two patterns");
  }
  size_t i;
  json_t *branch;
  json_array_foreach(v, i, branch) {
    snprintf(c->path + len, sizeof c->path - len, "%s$or[%zu]", len ? "." : "", i + 1);
    int rc = !json_is_object(branch) ? refuse(c, "each $or branch is an object of fields")
             : top                   ? check_top(c, branch, depth)
                                     : check_fields(c, branch, depth);
    if (rc != SL_OK) return rc;
  }
  c->path[len] = '\0';
  return SL_OK;
}

static int check_fields(check_t *c, const json_t *obj, int depth) {
  if (depth > 32) return refuse(c, "nested too deep");
  if (json_object_size(obj) == 0) return refuse(c, "an empty object matches nothing");
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    if (!strcmp(key, "$or")) {
      if (check_or(c, v, depth + 1, 0) != SL_OK) return SL_EINVAL;
      continue;
    }
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
    int rc;
    if (p == NULL) rc = sl_error_set(err, SL_EINVAL, "filters[%zu]: not JSON: %s", i + 1, jerr.text);
    else if (!json_is_object(p)) rc = refuse(&c, "a pattern is an object such as {\"data\": {...}}");
    else rc = check_top(&c, p, 0);
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

static int lower(int ch) {
  return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Compares k bytes, ASCII letters without regard to case when fold. */
static int same_bytes(const char *a, const char *b, size_t k, int fold) {
  if (!fold) return memcmp(a, b, k) == 0;
  for (size_t i = 0; i < k; i++)
    if (lower((unsigned char)a[i]) != lower((unsigned char)b[i])) return 0;
  return 1;
}

/* v starts (prefix) or ends (suffix) with arg, a string or {"equals-ignore-case": string}. */
static int affix(const json_t *v, int prefix, const json_t *arg) {
  if (!json_is_string(v)) return 0;
  int fold = json_is_object(arg);
  if (fold) arg = only_value(arg);
  const char *s = json_string_value(v), *a = json_string_value(arg);
  size_t n = json_string_length(v), k = json_string_length(arg);
  if (k > n) return 0;
  return same_bytes(prefix ? s : s + n - k, a, k, fold);
}

static int equals_ignore_case(const json_t *v, const json_t *arg) {
  return json_is_string(v) && json_string_length(v) == json_string_length(arg) &&
         same_bytes(json_string_value(v), json_string_value(arg), json_string_length(v), 1);
}

/* The whole of s against a checked wildcard pattern: * any run, \x the literal x. */
static int wildcard(const json_t *v, const json_t *arg) {
  if (!json_is_string(v)) return 0;
  const char *p = json_string_value(arg), *s = json_string_value(v);
  size_t pn = json_string_length(arg), sn = json_string_length(v), pi = 0, si = 0, star = SIZE_MAX, from = 0;
  while (si < sn) {
    if (pi < pn && p[pi] == '*') {
      star = ++pi;
      from = si;
      continue;
    }
    if (pi < pn) {
      size_t w = p[pi] == '\\' ? 2 : 1;
      if (p[pi + w - 1] == s[si]) {
        pi += w;
        si++;
        continue;
      }
    }
    if (star == SIZE_MAX) return 0;
    pi = star;
    si = ++from;
  }
  while (pi < pn && p[pi] == '*') pi++;
  return pi == pn;
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

/* Applies test(v, s) for s the string arg or each string of the list arg: nonzero when any matches. */
static int any_string(const json_t *v, const json_t *arg, int (*test)(const json_t *, const json_t *)) {
  if (!json_is_array(arg)) return test(v, arg);
  size_t i;
  json_t *x;
  json_array_foreach(arg, i, x) if (test(v, x)) return 1;
  return 0;
}

static int anything_but(const json_t *v, const json_t *arg) {
  if (json_is_object(arg)) {
    const char *inner = only_key(arg);
    const json_t *a = only_value(arg);
    if (!json_is_string(v)) return 0;
    if (!strcmp(inner, "prefix")) return !affix(v, 1, a);
    if (!strcmp(inner, "suffix")) return !affix(v, 0, a);
    if (!strcmp(inner, "equals-ignore-case")) return !any_string(v, a, equals_ignore_case);
    return !any_string(v, a, wildcard);
  }
  if (json_is_array(arg)) {
    size_t i;
    json_t *x;
    json_array_foreach(arg, i, x) if (equal_values(v, x)) return 0;
    return 1;
  }
  return !equal_values(v, arg);
}

/* One present value against one matcher (exists handled by the caller). */
static int match_value(const json_t *v, const json_t *m) {
  if (!json_is_object(m)) return equal_values(v, m);
  const char *op = only_key(m);
  const json_t *arg = only_value(m);
  if (!strcmp(op, "prefix")) return affix(v, 1, arg);
  if (!strcmp(op, "suffix")) return affix(v, 0, arg);
  if (!strcmp(op, "equals-ignore-case")) return equals_ignore_case(v, arg);
  if (!strcmp(op, "wildcard")) return wildcard(v, arg);
  if (!strcmp(op, "numeric")) return numeric(v, arg);
  if (!strcmp(op, "anything-but")) return anything_but(v, arg);
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
    if (!strcmp(key, "$or")) { /* any branch, against this same level */
      int any = 0;
      size_t i;
      json_t *branch;
      json_array_foreach(p, i, branch) if (!any) any = match_fields(branch, value);
      if (!any) return 0;
      continue;
    }
    const json_t *v = json_is_object(value) ? json_object_get(value, key) : NULL;
    if (json_is_object(p) ? !match_fields(p, v) : !match_leaf(p, v)) return 0;
  }
  return 1;
}

int sl_filter_match(const sl_filter_t *f, const char *key, size_t key_len, const void *data, size_t data_len) {
  (void)key;
  (void)key_len;
  json_t *d = json_loadb(data, data_len, JSON_DECODE_ANY, NULL);
  if (d == NULL) return 0; /* data that is not JSON never matches: every pattern is on data */
  json_t *record = json_pack("{s:o}", "data", d);
  if (record == NULL) return 0;
  int matched = 0;
  for (size_t i = 0; i < f->count && !matched; i++) matched = match_fields(f->patterns[i], record);
  json_decref(record);
  return matched;
}

/* sigv4_canonical.c - the steps of Signature Version 4 that need no key file (sigv4.h): a header's canonical
 * value, the canonical request (path normalized and URI-encoded, query parameters re-encoded and sorted, the
 * signed headers, the payload's hash), the string to sign and the signature under the derived key (AWS General
 * Reference, "Create a signed AWS API request"). tests/unit/test_sigv4_vectors.c holds them to AWS's published
 * test suite byte for byte. */
#include "server/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated text growing in a caller's buffer; ok turns 0 for good once something did not fit. */
typedef struct text_s {
  char *buf;
  size_t size, len;
  int ok;
} text_t;

static void put(text_t *t, const char *s, size_t n) {
  if (!t->ok || t->len + n >= t->size) {
    t->ok = 0;
    return;
  }
  memcpy(t->buf + t->len, s, n);
  t->len += n;
  t->buf[t->len] = '\0';
}

static void put_str(text_t *t, const char *s) { put(t, s, strlen(s)); }

static void hex(const unsigned char *d, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[d[i] >> 4];
    out[2 * i + 1] = digits[d[i] & 15];
  }
  out[2 * n] = '\0';
}

static void sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char d[32];
  unsigned int n = 0;
  EVP_Digest(len ? data : "", len, d, &n, EVP_sha256(), NULL);
  hex(d, 32, out);
}

static void hmac(const void *key, size_t key_len, const char *data, size_t len, unsigned char out[32]) {
  unsigned int n = 32;
  HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)data, len, out, &n);
}

/* --- header values ---------------------------------------------------------------------------------------- */

/* White space within a header value; CR and LF are what a folded line (obs-fold) leaves. */
static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* One occurrence of a header: trimmed, each inner run of white space as one space ("Canonical headers"). */
static void put_value(text_t *t, const char *v, size_t n) {
  size_t i = 0;
  while (i < n && is_space(v[i])) i++;
  while (n > i && is_space(v[n - 1])) n--;
  for (int space = 0; i < n; i++) {
    if (is_space(v[i]) && space) continue;
    space = is_space(v[i]);
    put(t, space ? " " : v + i, 1);
  }
}

long sl_sigv4_header_value(const sl_sigv4_request_t *r, const char *name, char *buf, size_t size) {
  text_t t = {buf, size, 0, size > 0};
  if (size > 0) buf[0] = '\0';
  size_t name_len = strlen(name), found = 0;
  for (size_t i = 0; i < r->header_count; i++) {
    const sl_sigv4_header_t *h = &r->headers[i];
    if (h->name_len != name_len || memcmp(h->name, name, name_len) != 0) continue;
    if (found++ > 0) put(&t, ",", 1); /* a repeated header: its values in the order received */
    put_value(&t, h->value, h->value_len);
  }
  if (found == 0) return -1;
  return t.ok ? (long)t.len : -2;
}

/* --- the canonical URI and query -------------------------------------------------------------------------- */

/* Byte c as AWS's URI encoding has it (unreserved characters as they are, any other byte %XX in capitals)
 * into out; how many characters that is. */
static size_t encode_byte(unsigned char c, char out[3]) {
  static const char digits[] = "0123456789ABCDEF";
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
      c == '_' || c == '~') {
    out[0] = (char)c;
    return 1;
  }
  out[0] = '%';
  out[1] = digits[c >> 4];
  out[2] = digits[c & 15];
  return 3;
}

/* The path's segments with the empty and "." ones dropped and each ".." taking the one before it away (as
 * far as the root), a trailing '/' kept, each segment URI-encoded: the path as sent encoded once more, as
 * every AWS service but S3 signs it. */
static void put_path(text_t *t, const char *path) {
  size_t n = strlen(path), count = 0;
  struct segment_s {
    size_t at, len;
  } *kept = malloc((n / 2 + 1) * sizeof *kept);
  if (kept == NULL) {
    t->ok = 0;
    return;
  }
  for (size_t i = 0; i < n; i++) {
    size_t len = strcspn(path + i, "/");
    if (len == 2 && path[i] == '.' && path[i + 1] == '.') count -= count > 0;
    else if (len > 0 && !(len == 1 && path[i] == '.')) kept[count++] = (struct segment_s){i, len};
    i += len;
  }
  for (size_t s = 0; s < count; s++) {
    put(t, "/", 1);
    for (size_t i = 0; i < kept[s].len; i++) {
      char e[3];
      put(t, e, encode_byte((unsigned char)path[kept[s].at + i], e));
    }
  }
  if (count == 0 || path[n - 1] == '/') put(t, "/", 1);
  free(kept);
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* s (n bytes) percent-decoded ('%' without two hex digits stays itself) and encoded again, NUL-terminated at
 * out; where the next one goes. At most 3 n + 1 bytes. */
static char *reencode(const char *s, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '%' && i + 2 < n && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
      c = (unsigned char)(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    }
    out += encode_byte(c, out);
  }
  *out++ = '\0';
  return out;
}

typedef struct param_s {
  const char *name, *value;
} param_t;

static int param_order(const void *a, const void *b) {
  const param_t *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c != 0 ? c : strcmp(x->value, y->value);
}

/* The canonical query string: name=value pairs, each side decoded and encoded AWS's way, sorted by name and
 * then value (byte order of the encoded text), joined with '&'; a name without '=' gets an empty value. */
static void put_query(text_t *t, const char *q) {
  size_t n = strlen(q), count = 1, m = 0;
  for (size_t i = 0; i < n; i++) count += q[i] == '&';
  param_t *p = malloc(count * sizeof *p);
  char *store = malloc(3 * n + 2 * count + 1), *at = store;
  if (p == NULL || store == NULL) t->ok = 0;
  for (size_t i = 0; t->ok && i < n; i++) {
    size_t len = strcspn(q + i, "&");
    const char *eq = memchr(q + i, '=', len);
    size_t name_len = eq != NULL ? (size_t)(eq - (q + i)) : len;
    if (len > 0) {
      p[m].name = at;
      at = reencode(q + i, name_len, at);
      p[m].value = at;
      at = reencode(eq != NULL ? eq + 1 : "", eq != NULL ? len - name_len - 1 : 0, at);
      m++;
    }
    i += len;
  }
  if (t->ok) qsort(p, m, sizeof *p, param_order);
  for (size_t j = 0; t->ok && j < m; j++) {
    if (j > 0) put(t, "&", 1);
    put_str(t, p[j].name);
    put(t, "=", 1);
    put_str(t, p[j].value);
  }
  free(p);
  free(store);
}

/* --- the canonical request, the string to sign, the signature --------------------------------------------- */

/* A name:value line for each name of SIGNED_HEADERS; 0 when r lacks one of them. */
static int put_headers(text_t *t, const sl_sigv4_request_t *r, const char *signed_headers) {
  for (const char *s = signed_headers; *s != '\0';) {
    size_t len = strcspn(s, ";");
    char name[256];
    if (len == 0 || len >= sizeof name) return 0;
    memcpy(name, s, len);
    name[len] = '\0';
    put_str(t, name);
    put(t, ":", 1);
    long v = sl_sigv4_header_value(r, name, t->buf + t->len, t->size - t->len);
    if (v == -1) return 0;
    if (v == -2) t->ok = 0;
    else t->len += (size_t)v;
    put(t, "\n", 1);
    s += len + (s[len] == ';');
  }
  return 1;
}

size_t sl_sigv4_canonical_request(const sl_sigv4_request_t *r, const char *signed_headers, char *buf, size_t size,
                                  sl_sigv4_refusal_t *why) {
  text_t t = {buf, size, 0, size > 0};
  put_str(&t, r->method);
  put(&t, "\n", 1);
  put_path(&t, r->path);
  put(&t, "\n", 1);
  put_query(&t, r->query);
  put(&t, "\n", 1);
  if (!put_headers(&t, r, signed_headers)) {
    why->type = "InvalidSignatureException";
    snprintf(why->message, sizeof why->message, "%s", "A signed header is missing from the request.");
    return 0;
  }
  put(&t, "\n", 1);
  put_str(&t, signed_headers);
  put(&t, "\n", 1);
  char body_hash[65];
  sha256_hex(r->body, r->body_len, body_hash);
  put(&t, body_hash, 64);
  if (t.ok) return t.len;
  why->type = "InvalidSignatureException";
  snprintf(why->message, sizeof why->message, "%s", "The request is too long to sign.");
  return 0;
}

size_t sl_sigv4_string_to_sign(const char *amz_date, const sl_sigv4_authorization_t *a, const char *canonical,
                               size_t canonical_len, char *buf, size_t size) {
  char hash[65];
  sha256_hex(canonical, canonical_len, hash);
  int n = snprintf(buf, size, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, a->date, a->region,
                   a->service, hash);
  return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

void sl_sigv4_signature(const char *secret, const sl_sigv4_authorization_t *a, const char *string_to_sign,
                        size_t len, char out[65]) {
  char key[4 + 256];
  int kl = snprintf(key, sizeof key, "AWS4%s", secret);
  size_t key_len = kl < 0 ? 0 : (size_t)kl >= sizeof key ? sizeof key - 1 : (size_t)kl;
  unsigned char kd[32], kr[32], ks[32], kk[32], sig[32];
  hmac(key, key_len, a->date, strlen(a->date), kd);
  hmac(kd, 32, a->region, strlen(a->region), kr);
  hmac(kr, 32, a->service, strlen(a->service), ks);
  hmac(ks, 32, "aws4_request", 12, kk);
  hmac(kk, 32, string_to_sign, len, sig);
  OPENSSL_cleanse(key, sizeof key);
  OPENSSL_cleanse(kk, sizeof kk);
  hex(sig, 32, out);
}

/* sigv4.c - the server's check of AWS Signature Version 4 (sigv4.h): the credentials file, then for each
 * request the canonical request, the string to sign and the signature recomputed with OpenSSL's HMAC-SHA256
 * and compared (AWS General Reference, "Create a signed AWS API request" and "Elements of an AWS API request
 * signature"), and the request time within 5 minutes of the server's clock. */
#define _DEFAULT_SOURCE /* timegm */

#include "server/sigv4.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct key_s {
  char id[129], secret[129];
} key_t_;

struct sl_sigv4_keys_s {
  key_t_ *keys;
  size_t count;
};

/* --- the credentials file --------------------------------------------------------------------------------- */

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
  return s;
}

/* The end of a profile (at line n, or the file's end): a complete key is kept, half of one is refused. */
static int end_profile(sl_sigv4_keys_t *k, key_t_ *cur, const char *path, int n, sl_error_t *err) {
  int rc = SL_OK;
  if ((cur->id[0] == '\0') != (cur->secret[0] == '\0'))
    rc = sl_error_set(err, SL_EIO, "%s:%d: a profile has only half a key (aws_access_key_id and "
                      "aws_secret_access_key go together)", path, n);
  if (rc == SL_OK && cur->id[0]) {
    key_t_ *grown = realloc(k->keys, (k->count + 1) * sizeof *grown);
    if (grown == NULL) rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    else (k->keys = grown)[k->count++] = *cur;
  }
  OPENSSL_cleanse(cur, sizeof *cur);
  return rc;
}

int sl_sigv4_keys_load(const char *path, sl_sigv4_keys_t **out, sl_error_t *err) {
  *out = NULL;
  FILE *f = fopen(path, "r");
  if (f == NULL) return sl_error_set(err, SL_EIO, "--auth %s cannot be read", path);
  sl_sigv4_keys_t *k = calloc(1, sizeof *k);
  if (k == NULL) {
    fclose(f);
    return sl_error_set(err, SL_ENOMEM, "out of memory");
  }
  char line[1024];
  int n = 0, rc = SL_OK, in_profile = 0;
  key_t_ cur = {{0}, {0}};
  while (rc == SL_OK && fgets(line, sizeof line, f) != NULL) {
    n++;
    char *s = trim(line);
    if (*s == '\0' || *s == '#' || *s == ';') continue;
    if (*s == '[') { /* a new profile: the previous one ends */
      rc = end_profile(k, &cur, path, n, err);
      in_profile = 1;
      continue;
    }
    char *eq = strchr(s, '=');
    if (eq == NULL) {
      rc = sl_error_set(err, SL_EIO, "%s:%d: expected NAME = VALUE or [profile]", path, n);
      break;
    }
    *eq = '\0';
    char *name = trim(s), *value = trim(eq + 1);
    if (strcmp(name, "aws_access_key_id") == 0 || strcmp(name, "aws_secret_access_key") == 0) {
      if (!in_profile) rc = sl_error_set(err, SL_EIO, "%s:%d: %s outside a [profile]", path, n, name);
      else if (strlen(value) == 0 || strlen(value) >= sizeof cur.id)
        rc = sl_error_set(err, SL_EIO, "%s:%d: %s must be 1 to 128 characters", path, n, name);
      else snprintf(strcmp(name, "aws_access_key_id") == 0 ? cur.id : cur.secret, sizeof cur.id, "%s", value);
    }
  }
  fclose(f);
  if (rc == SL_OK) rc = end_profile(k, &cur, path, n, err);
  if (rc == SL_OK && k->count == 0)
    rc = sl_error_set(err, SL_EIO, "%s: no profile with both aws_access_key_id and aws_secret_access_key", path);
  if (rc != SL_OK) {
    sl_sigv4_keys_free(k);
    return rc;
  }
  *out = k;
  return SL_OK;
}

void sl_sigv4_keys_free(sl_sigv4_keys_t *k) {
  if (k == NULL) return;
  OPENSSL_cleanse(k->keys, k->count * sizeof *k->keys);
  free(k->keys);
  free(k);
}

size_t sl_sigv4_keys_count(const sl_sigv4_keys_t *k) { return k->count; }

/* --- the signature ---------------------------------------------------------------------------------------- */

static void hex(const unsigned char *d, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char d[32];
  unsigned int n = 0;
  EVP_Digest(data, len, d, &n, EVP_sha256(), NULL);
  hex(d, 32, out);
}

static void hmac(const void *key, size_t key_len, const char *data, size_t len, unsigned char out[32]) {
  unsigned int n = 32;
  HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)data, len, out, &n);
}

static const sl_sigv4_header_t *header(const sl_sigv4_request_t *r, const char *name) {
  for (size_t i = 0; i < r->header_count; i++)
    if (r->headers[i].name_len == strlen(name) && memcmp(r->headers[i].name, name, r->headers[i].name_len) == 0)
      return &r->headers[i];
  return NULL;
}

/* Appends s (n bytes) to the buffer, 0 when it would not fit. */
static int put(char *buf, size_t size, size_t *len, const char *s, size_t n) {
  if (*len + n >= size) return 0;
  memcpy(buf + *len, s, n);
  *len += n;
  buf[*len] = '\0';
  return 1;
}

/* A canonical header value: trimmed, runs of spaces as one ("Canonical headers"). */
static int put_value(char *buf, size_t size, size_t *len, const char *v, size_t n) {
  size_t i = 0;
  while (i < n && (v[i] == ' ' || v[i] == '\t')) i++;
  while (n > i && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  for (int space = 0; i < n; i++) {
    int is_space = v[i] == ' ' || v[i] == '\t';
    if (is_space && space) continue;
    space = is_space;
    if (!put(buf, size, len, is_space ? " " : v + i, 1)) return 0;
  }
  return 1;
}

static int refuse(sl_sigv4_refusal_t *why, const char *type, const char *message) {
  why->type = type;
  snprintf(why->message, sizeof why->message, "%s", message);
  return 0;
}

/* The value of NAME= in the Authorization header's comma-separated parameters, into out. */
static int param(const char *auth, const char *name, char *out, size_t size) {
  const char *p = strstr(auth, name);
  if (p == NULL) return 0;
  p += strlen(name);
  size_t n = strcspn(p, ", ");
  if (n == 0 || n >= size) return 0;
  memcpy(out, p, n);
  out[n] = '\0';
  return 1;
}

static void amz_time(int64_t s, char out[17]) {
  time_t t = (time_t)s;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* The Authorization header's parts: Credential's five (key, date, region, service, "aws4_request"),
 * SignedHeaders and Signature. 0 with *why filled when it is missing or incomplete. */
typedef struct authorization_s {
  char credential[512], signed_headers[1024], signature[128];
  char *parts[5];
} authorization_t;

static int parse_authorization(const sl_sigv4_request_t *r, authorization_t *a, sl_sigv4_refusal_t *why) {
  const sl_sigv4_header_t *h = header(r, "authorization");
  if (h == NULL) return refuse(why, "MissingAuthenticationTokenException", "Missing Authentication Token");
  char auth[2048];
  if (h->value_len >= sizeof auth) return refuse(why, "IncompleteSignatureException", "Authorization header too long");
  memcpy(auth, h->value, h->value_len);
  auth[h->value_len] = '\0';
  if (strncmp(auth, "AWS4-HMAC-SHA256 ", 17) != 0 || !param(auth, "Credential=", a->credential, sizeof a->credential) ||
      !param(auth, "SignedHeaders=", a->signed_headers, sizeof a->signed_headers) ||
      !param(auth, "Signature=", a->signature, sizeof a->signature))
    return refuse(why, "IncompleteSignatureException",
                  "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters of the "
                  "AWS4-HMAC-SHA256 algorithm.");
  int n = 0;
  char *save = NULL;
  for (char *t = strtok_r(a->credential, "/", &save); t != NULL && n < 5; t = strtok_r(NULL, "/", &save)) a->parts[n++] = t;
  if (n != 5 || strcmp(a->parts[4], "aws4_request") != 0)
    return refuse(why, "IncompleteSignatureException", "Credential must be ACCESS_KEY/DATE/REGION/SERVICE/aws4_request");
  return 1;
}

/* X-Amz-Date, within AWS's 5 minutes of now (its messages for either side). */
static int check_time(const sl_sigv4_request_t *r, int64_t now_ms, char amzdate[17], sl_sigv4_refusal_t *why) {
  const sl_sigv4_header_t *date = header(r, "x-amz-date");
  struct tm tm = {0};
  if (date == NULL || date->value_len != 16 ||
      (memcpy(amzdate, date->value, 16), amzdate[16] = '\0',
       sscanf(amzdate, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
              &tm.tm_sec)) != 6)
    return refuse(why, "IncompleteSignatureException", "Authorization requires an X-Amz-Date header of the form "
                  "YYYYMMDD'T'HHMMSS'Z'");
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t at = (int64_t)timegm(&tm), now = now_ms / 1000;
  if (at >= now - 300 && at <= now + 300) return 1;
  char now_text[17], edge[17];
  amz_time(now, now_text);
  amz_time(at < now ? now - 300 : now + 300, edge);
  why->type = "InvalidSignatureException";
  if (at < now)
    snprintf(why->message, sizeof why->message, "Signature expired: %s is now earlier than %s (%s - 5 min.)", amzdate,
             edge, now_text);
  else
    snprintf(why->message, sizeof why->message, "Signature not yet current: %s is still later than %s (%s + 5 min.)",
             amzdate, edge, now_text);
  return 0;
}

/* The canonical request's SHA-256 in hex: method, path, query, the signed headers as name:value lines, the
 * signed header names, the body's SHA-256. 0 with *why filled when a signed header is missing. */
static int canonical_hash(const sl_sigv4_request_t *r, const char *signed_headers, char out[65],
                          sl_sigv4_refusal_t *why) {
  char canon[65536];
  size_t len = 0;
  int ok = put(canon, sizeof canon, &len, r->method, strlen(r->method)) && put(canon, sizeof canon, &len, "\n", 1) &&
           put(canon, sizeof canon, &len, r->path, strlen(r->path)) && put(canon, sizeof canon, &len, "\n", 1) &&
           put(canon, sizeof canon, &len, r->query, strlen(r->query)) && put(canon, sizeof canon, &len, "\n", 1);
  char names[1024], *save = NULL;
  snprintf(names, sizeof names, "%s", signed_headers);
  for (char *name = strtok_r(names, ";", &save); ok && name != NULL; name = strtok_r(NULL, ";", &save)) {
    const sl_sigv4_header_t *sh = header(r, name);
    if (sh == NULL) return refuse(why, "InvalidSignatureException", "A signed header is missing from the request.");
    ok = put(canon, sizeof canon, &len, name, strlen(name)) && put(canon, sizeof canon, &len, ":", 1) &&
         put_value(canon, sizeof canon, &len, sh->value, sh->value_len) && put(canon, sizeof canon, &len, "\n", 1);
  }
  char body_hash[65];
  sha256_hex(r->body, r->body_len, body_hash);
  ok = ok && put(canon, sizeof canon, &len, "\n", 1) &&
       put(canon, sizeof canon, &len, signed_headers, strlen(signed_headers)) &&
       put(canon, sizeof canon, &len, "\n", 1) && put(canon, sizeof canon, &len, body_hash, 64);
  if (!ok) return refuse(why, "InvalidSignatureException", "The request's headers are too long to sign.");
  sha256_hex(canon, len, out);
  return 1;
}

/* The signature in hex: the string to sign (algorithm, time, scope, canonical hash) under the key derived
 * from the secret, the date, region and service. */
static void signature_of(const char *secret_key, const authorization_t *a, const char *amzdate,
                         const char *canon_hash, char out[65]) {
  char to_sign[512], secret[140];
  int sl = snprintf(to_sign, sizeof to_sign, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amzdate, a->parts[1],
                    a->parts[2], a->parts[3], canon_hash);
  int kl = snprintf(secret, sizeof secret, "AWS4%s", secret_key);
  unsigned char kd[32], kr[32], ks[32], kk[32], sig[32];
  hmac(secret, (size_t)kl, a->parts[1], strlen(a->parts[1]), kd);
  hmac(kd, 32, a->parts[2], strlen(a->parts[2]), kr);
  hmac(kr, 32, a->parts[3], strlen(a->parts[3]), ks);
  hmac(ks, 32, "aws4_request", 12, kk);
  hmac(kk, 32, to_sign, (size_t)sl, sig);
  OPENSSL_cleanse(secret, sizeof secret);
  hex(sig, 32, out);
}

int sl_sigv4_check(const sl_sigv4_keys_t *k, const sl_sigv4_request_t *r, int64_t now_ms, sl_sigv4_refusal_t *why) {
  authorization_t a;
  if (!parse_authorization(r, &a, why)) return 0;
  const key_t_ *key = NULL;
  for (size_t i = 0; i < k->count && key == NULL; i++)
    if (strcmp(k->keys[i].id, a.parts[0]) == 0) key = &k->keys[i];
  if (key == NULL) return refuse(why, "UnrecognizedClientException", "The security token included in the request is invalid.");
  char amzdate[17], canon[65], sig[65];
  if (!check_time(r, now_ms, amzdate, why) || !canonical_hash(r, a.signed_headers, canon, why)) return 0;
  signature_of(key->secret, &a, amzdate, canon, sig);
  if (strlen(a.signature) != 64 || CRYPTO_memcmp(sig, a.signature, 64) != 0)
    return refuse(why, "InvalidSignatureException",
                  "The request signature we calculated does not match the signature you provided. Check your AWS "
                  "Secret Access Key and signing method. Consult the service documentation for details.");
  return 1;
}

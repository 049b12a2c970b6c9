/* sigv4.c - the server's check of AWS Signature Version 4 (sigv4.h): the credentials file, then for each
 * request the Authorization header's parts, the key and its session token, the request time within 5 minutes
 * of the server's clock, and the signature recomputed (sigv4_canonical.c) and compared (AWS General
 * Reference, "Create a signed AWS API request" and "Elements of an AWS API request signature"). */
#define _DEFAULT_SOURCE /* timegm */

#include "server/sigv4.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct key_s {
  char id[129], secret[129];
  char *token; /* aws_session_token: temporary credentials, which requests must carry signed; NULL for none */
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

static void free_token(char *token) {
  if (token == NULL) return;
  OPENSSL_cleanse(token, strlen(token));
  free(token);
}

/* The end of a profile (at line n, or the file's end): a complete key is kept (its token with it), half of
 * one, or a token without a key, is refused. */
static int end_profile(sl_sigv4_keys_t *k, key_t_ *cur, const char *path, int n, sl_error_t *err) {
  int rc = SL_OK;
  if ((cur->id[0] == '\0') != (cur->secret[0] == '\0'))
    rc = sl_error_set(err, SL_EIO, "%s:%d: a profile has only half a key (aws_access_key_id and "
                      "aws_secret_access_key go together)", path, n);
  else if (cur->id[0] == '\0' && cur->token != NULL)
    rc = sl_error_set(err, SL_EIO, "%s:%d: a profile has an aws_session_token but no key", path, n);
  if (rc == SL_OK && cur->id[0]) {
    key_t_ *grown = realloc(k->keys, (k->count + 1) * sizeof *grown);
    if (grown == NULL) rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    else {
      (k->keys = grown)[k->count++] = *cur;
      cur->token = NULL; /* the kept key owns it now */
    }
  }
  free_token(cur->token);
  OPENSSL_cleanse(cur, sizeof *cur);
  cur->token = NULL;
  return rc;
}

/* NAME = VALUE in a profile: the key's two halves (1 to 128 characters) and its session token. */
static int set_field(key_t_ *cur, const char *name, const char *value, int in_profile, const char *path, int n,
                     sl_error_t *err) {
  int token = strcmp(name, "aws_session_token") == 0;
  if (!token && strcmp(name, "aws_access_key_id") != 0 && strcmp(name, "aws_secret_access_key") != 0)
    return SL_OK; /* region, output and the like: not ours */
  if (!in_profile) return sl_error_set(err, SL_EIO, "%s:%d: %s outside a [profile]", path, n, name);
  size_t len = strlen(value), max = token ? 8000 : sizeof cur->id - 1;
  if (len == 0 || len > max)
    return sl_error_set(err, SL_EIO, "%s:%d: %s must be 1 to %zu characters", path, n, name, max);
  if (!token) {
    snprintf(strcmp(name, "aws_access_key_id") == 0 ? cur->id : cur->secret, sizeof cur->id, "%s", value);
    return SL_OK;
  }
  free_token(cur->token);
  cur->token = strdup(value);
  return cur->token == NULL ? sl_error_set(err, SL_ENOMEM, "out of memory") : SL_OK;
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
  char line[8192];
  int n = 0, rc = SL_OK, in_profile = 0;
  key_t_ cur = {{0}, {0}, NULL};
  while (rc == SL_OK && fgets(line, sizeof line, f) != NULL) {
    n++;
    if (strchr(line, '\n') == NULL && !feof(f)) {
      rc = sl_error_set(err, SL_EIO, "%s:%d: line longer than %zu characters", path, n, sizeof line - 2);
      break;
    }
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
    rc = set_field(&cur, trim(s), trim(eq + 1), in_profile, path, n, err);
  }
  fclose(f);
  if (rc == SL_OK) rc = end_profile(k, &cur, path, n, err);
  free_token(cur.token); /* what an error left */
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
  for (size_t i = 0; i < k->count; i++) free_token(k->keys[i].token);
  OPENSSL_cleanse(k->keys, k->count * sizeof *k->keys);
  free(k->keys);
  free(k);
}

size_t sl_sigv4_keys_count(const sl_sigv4_keys_t *k) { return k->count; }

/* --- the check ------------------------------------------------------------------------------------------- */

static const char TOKEN_INVALID[] = "The security token included in the request is invalid.";

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

/* The next '/'-separated part of the credential at *s into out (1 to size - 1 characters); 0 otherwise. */
static int credential_part(const char **s, char *out, size_t size) {
  size_t n = strcspn(*s, "/");
  if (n == 0 || n >= size) return 0;
  memcpy(out, *s, n);
  out[n] = '\0';
  *s += n + ((*s)[n] == '/');
  return 1;
}

int sl_sigv4_parse_authorization(const sl_sigv4_request_t *r, sl_sigv4_authorization_t *a, sl_sigv4_refusal_t *why) {
  char auth[2048], credential[512], scope_end[16];
  long n = sl_sigv4_header_value(r, "authorization", auth, sizeof auth);
  if (n == -1) return refuse(why, "MissingAuthenticationTokenException", "Missing Authentication Token");
  if (n == -2) return refuse(why, "IncompleteSignatureException", "Authorization header too long");
  if (strncmp(auth, "AWS4-HMAC-SHA256 ", 17) != 0 || !param(auth, "Credential=", credential, sizeof credential) ||
      !param(auth, "SignedHeaders=", a->signed_headers, sizeof a->signed_headers) ||
      !param(auth, "Signature=", a->signature, sizeof a->signature))
    return refuse(why, "IncompleteSignatureException",
                  "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters of the "
                  "AWS4-HMAC-SHA256 algorithm.");
  const char *c = credential;
  if (!credential_part(&c, a->access_key, sizeof a->access_key) || !credential_part(&c, a->date, sizeof a->date) ||
      !credential_part(&c, a->region, sizeof a->region) || !credential_part(&c, a->service, sizeof a->service) ||
      !credential_part(&c, scope_end, sizeof scope_end) || *c != '\0' || strcmp(scope_end, "aws4_request") != 0)
    return refuse(why, "IncompleteSignatureException",
                  "Credential must be ACCESS_KEY/DATE/REGION/SERVICE/aws4_request");
  return 1;
}

static void amz_time(int64_t s, char out[17]) {
  time_t t = (time_t)s;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* X-Amz-Date into amzdate, within AWS's 5 minutes of now (its messages for either side). */
static int check_time(const sl_sigv4_request_t *r, int64_t now_ms, char amzdate[17], sl_sigv4_refusal_t *why) {
  struct tm tm = {0};
  if (sl_sigv4_header_value(r, "x-amz-date", amzdate, 17) != 16 ||
      sscanf(amzdate, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
             &tm.tm_sec) != 6)
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

/* Whether ';'-separated NAMES lists name. */
static int listed(const char *names, const char *name) {
  size_t n = strlen(name);
  for (const char *s = names; *s != '\0';) {
    size_t len = strcspn(s, ";");
    if (len == n && memcmp(s, name, n) == 0) return 1;
    s += len + (s[len] == ';');
  }
  return 0;
}

/* The session token: none sent for a long-term key; for temporary credentials the key's own, signed. */
static int token_matches(const key_t_ *key, const sl_sigv4_request_t *r, const sl_sigv4_authorization_t *a) {
  char sent[8192];
  long n = sl_sigv4_header_value(r, "x-amz-security-token", sent, sizeof sent);
  if (n == -1 || key->token == NULL) return n == -1 && key->token == NULL;
  return n >= 0 && listed(a->signed_headers, "x-amz-security-token") && (size_t)n == strlen(key->token) &&
         CRYPTO_memcmp(sent, key->token, (size_t)n) == 0;
}

int sl_sigv4_check(const sl_sigv4_keys_t *k, const sl_sigv4_request_t *r, int64_t now_ms, sl_sigv4_refusal_t *why) {
  sl_sigv4_authorization_t a;
  if (!sl_sigv4_parse_authorization(r, &a, why)) return 0;
  const key_t_ *key = NULL;
  for (size_t i = 0; i < k->count && key == NULL; i++)
    if (strcmp(k->keys[i].id, a.access_key) == 0) key = &k->keys[i];
  if (key == NULL || !token_matches(key, r, &a)) return refuse(why, "UnrecognizedClientException", TOKEN_INVALID);
  char amzdate[17], canon[65536], to_sign[512], sig[65];
  if (!check_time(r, now_ms, amzdate, why)) return 0;
  size_t canon_len = sl_sigv4_canonical_request(r, a.signed_headers, canon, sizeof canon, why);
  if (canon_len == 0) return 0;
  size_t sign_len = sl_sigv4_string_to_sign(amzdate, &a, canon, canon_len, to_sign, sizeof to_sign);
  if (sign_len == 0) return refuse(why, "IncompleteSignatureException", "The credential scope is too long.");
  sl_sigv4_signature(key->secret, &a, to_sign, sign_len, sig);
  if (strlen(a.signature) != 64 || CRYPTO_memcmp(sig, a.signature, 64) != 0)
    return refuse(why, "InvalidSignatureException",
                  "The request signature we calculated does not match the signature you provided. Check your AWS "
                  "Secret Access Key and signing method. Consult the service documentation for details.");
  return 1;
}

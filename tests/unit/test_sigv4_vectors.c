/* test_sigv4_vectors.c - the server's Signature Version 4 check (server/sigv4.h) against AWS's published test
 * suite (tests/data/sigv4, README there): for every vector, the request of its .req gives, byte for byte, the
 * .creq (canonical request) and .sts (string to sign), and the signature of its .authz under the suite's key;
 * sl_sigv4_check accepts the signed request at the suite's time and refuses it (InvalidSignatureException)
 * with one byte of a header or the body changed. Then session tokens (the post-sts-token vectors; a profile's
 * aws_session_token), the time window and its messages, and the credentials file's token lines. All vectors
 * sign with the Authorization header: the suite has no presigned (query-string) ones, and sl_sigv4_check
 * takes none. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/sigv4.h"

#define VECTORS SHARDLAB_TEST_DATA_DIR "/sigv4/"
#define SUITE_TIME_MS INT64_C(1440938160000) /* 20150830T123600Z */
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
/* post-sts-token/readme.txt's token, and the one botocore's get-vanilla-with-session-token adds */
#define STS_TOKEN                                                                                                   \
  "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuw" \
  "thAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcH" \
  "NVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oL" \
  "xBA=="
#define VANILLA_TOKEN "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
#define MISMATCH                                                                                                    \
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access " \
  "Key and signing method. Consult the service documentation for details."
#define TOKEN_INVALID "The security token included in the request is invalid."

/* The suite's key, as a credentials file holds it: long-term, or temporary with one of the two tokens. */
enum { PLAIN, WITH_STS_TOKEN, WITH_VANILLA_TOKEN, KEY_SETS };
static sl_sigv4_keys_t *keys[KEY_SETS];

typedef struct vector_s {
  const char *name;      /* the folder and file stem under tests/data/sigv4 */
  int keys;              /* the key set its requests are checked against */
  const char *add_token; /* a token the signer added to the .req (botocore's session-token vector) */
  const char *sreq;      /* what sl_sigv4_check says of the .sreq: NULL accepted, or the exception */
} vector_t;

static const vector_t vectors[] = {
    {"get-header-key-duplicate/get-header-key-duplicate", PLAIN, NULL, NULL},
    {"get-header-value-multiline/get-header-value-multiline", PLAIN, NULL, NULL},
    {"get-header-value-order/get-header-value-order", PLAIN, NULL, NULL},
    {"get-header-value-trim/get-header-value-trim", PLAIN, NULL, NULL},
    {"get-unreserved/get-unreserved", PLAIN, NULL, NULL},
    {"get-utf8/get-utf8", PLAIN, NULL, NULL},
    {"get-vanilla/get-vanilla", PLAIN, NULL, NULL},
    {"get-vanilla-empty-query-key/get-vanilla-empty-query-key", PLAIN, NULL, NULL},
    {"get-vanilla-query/get-vanilla-query", PLAIN, NULL, NULL},
    {"get-vanilla-query-order-encoded/get-vanilla-query-order-encoded", PLAIN, NULL, NULL},
    {"get-vanilla-query-order-key/get-vanilla-query-order-key", PLAIN, NULL, NULL},
    {"get-vanilla-query-order-key-case/get-vanilla-query-order-key-case", PLAIN, NULL, NULL},
    {"get-vanilla-query-order-value/get-vanilla-query-order-value", PLAIN, NULL, NULL},
    {"get-vanilla-query-unreserved/get-vanilla-query-unreserved", PLAIN, NULL, NULL},
    {"get-vanilla-utf8-query/get-vanilla-utf8-query", PLAIN, NULL, NULL},
    /* botocore's own vector: its .sreq carries get-vanilla's signature, not the one of its .authz */
    {"get-vanilla-with-session-token/get-vanilla-with-session-token", WITH_VANILLA_TOKEN, VANILLA_TOKEN,
     "InvalidSignatureException"},
    {"normalize-path/get-relative/get-relative", PLAIN, NULL, NULL},
    {"normalize-path/get-relative-relative/get-relative-relative", PLAIN, NULL, NULL},
    {"normalize-path/get-slash/get-slash", PLAIN, NULL, NULL},
    {"normalize-path/get-slash-dot-slash/get-slash-dot-slash", PLAIN, NULL, NULL},
    {"normalize-path/get-slash-pointless-dot/get-slash-pointless-dot", PLAIN, NULL, NULL},
    {"normalize-path/get-slashes/get-slashes", PLAIN, NULL, NULL},
    {"normalize-path/get-space/get-space", PLAIN, NULL, NULL},
    {"normalize-path/get-special-character/get-special-character", PLAIN, NULL, NULL},
    {"post-header-key-case/post-header-key-case", PLAIN, NULL, NULL},
    {"post-header-key-sort/post-header-key-sort", PLAIN, NULL, NULL},
    {"post-header-value-case/post-header-value-case", PLAIN, NULL, NULL},
    /* the token added after signing: its .req is signed as a long-term key's request; the .sreq is refused,
     * a token must be signed here (and this key has none; session_tokens tries the one with it) */
    {"post-sts-token/post-sts-header-after/post-sts-header-after", PLAIN, NULL, "UnrecognizedClientException"},
    {"post-sts-token/post-sts-header-before/post-sts-header-before", WITH_STS_TOKEN, NULL, NULL},
    {"post-vanilla/post-vanilla", PLAIN, NULL, NULL},
    {"post-vanilla-empty-query-value/post-vanilla-empty-query-value", PLAIN, NULL, NULL},
    {"post-vanilla-query/post-vanilla-query", PLAIN, NULL, NULL},
    {"post-x-www-form-urlencoded/post-x-www-form-urlencoded", PLAIN, NULL, NULL},
    {"post-x-www-form-urlencoded-parameters/post-x-www-form-urlencoded-parameters", PLAIN, NULL, NULL},
};

/* --- the suite's files ------------------------------------------------------------------------------------ */

static char *slurp(const char *name, const char *ext) {
  char path[512];
  snprintf(path, sizeof path, VECTORS "%s.%s", name, ext);
  FILE *f = fopen(path, "rb");
  if (f == NULL) fail_msg("cannot read %s", path);
  char *text = NULL;
  size_t len = 0, cap = 0, n;
  do {
    if (len + 4096 + 1 > cap) text = realloc(text, cap = (len + 4096 + 1) * 2);
    assert_non_null(text);
    n = fread(text + len, 1, 4096, f);
    len += n;
  } while (n > 0);
  fclose(f);
  text[len] = '\0';
  return text;
}

/* A raw HTTP request of the suite (.req, .sreq): the request line, headers (a line starting with white space
 * continues the one before: an obs-fold, kept as sent), a blank line and the body. */
typedef struct parsed_s {
  char *text;            /* the file; the values point into it */
  char method[16], target[1024];
  char names[32][64];    /* the header names, lowercased */
  sl_sigv4_header_t headers[34];
  sl_sigv4_request_t r;
} parsed_t;

static void parse_request_line(parsed_t *p, const char *line, size_t len) {
  const char *sp = memchr(line, ' ', len), *last = NULL; /* the target runs to the last space: " HTTP/1.1" */
  for (const char *c = line; c < line + len; c++)
    if (*c == ' ') last = c;
  assert_true(sp != NULL && last > sp && (size_t)(sp - line) < sizeof p->method &&
              (size_t)(last - sp) < sizeof p->target);
  memcpy(p->method, line, (size_t)(sp - line));
  p->method[sp - line] = '\0';
  memcpy(p->target, sp + 1, (size_t)(last - sp - 1));
  p->target[last - sp - 1] = '\0';
  char *q = strchr(p->target, '?');
  if (q != NULL) *q++ = '\0';
  p->r.method = p->method;
  p->r.path = p->target;
  p->r.query = q != NULL ? q : "";
}

static void parse(parsed_t *p, const char *name, const char *ext) {
  memset(p, 0, sizeof *p);
  p->text = slurp(name, ext);
  p->r.headers = p->headers;
  char *s = p->text, *e = s + strcspn(s, "\n");
  parse_request_line(p, s, (size_t)(e - s));
  p->r.body = "";
  for (s = *e ? e + 1 : e; *s != '\0'; s = *e ? e + 1 : e) {
    e = s + strcspn(s, "\n");
    if (e == s) { /* the blank line: the body follows */
      p->r.body = e + 1;
      p->r.body_len = strlen(e + 1);
      break;
    }
    sl_sigv4_header_t *h = &p->headers[p->r.header_count];
    if ((*s == ' ' || *s == '\t') && p->r.header_count > 0) {
      h[-1].value_len = (size_t)(e - h[-1].value);
      continue;
    }
    char *colon = memchr(s, ':', (size_t)(e - s));
    assert_non_null(colon);
    assert_true(p->r.header_count < 32 && colon - s < 64);
    for (char *c = s; c < colon; c++)
      p->names[p->r.header_count][c - s] = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    *h = (sl_sigv4_header_t){p->names[p->r.header_count], colon + 1, (size_t)(colon - s), (size_t)(e - colon - 1)};
    p->r.header_count++;
  }
}

static void add_header(parsed_t *p, const char *name, const char *value) {
  assert_true(p->r.header_count < sizeof p->headers / sizeof *p->headers);
  p->headers[p->r.header_count++] = (sl_sigv4_header_t){name, value, strlen(name), strlen(value)};
}

static int name_order(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* What a signer signs of the .req: every header's name, lowercased, sorted, once each. */
static void signed_headers_of(const parsed_t *p, char *out, size_t size) {
  const char *names[34];
  size_t n = 0, len = 0;
  for (size_t i = 0; i < p->r.header_count; i++) names[n++] = p->headers[i].name;
  qsort(names, n, sizeof *names, name_order);
  out[0] = '\0';
  for (size_t i = 0; i < n; i++)
    if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
      len += (size_t)snprintf(out + len, size - len, "%s%s", len ? ";" : "", names[i]);
}

/* TEXT as a credentials file, loaded into *k (NULL on an error). */
static int load_text(const char *text, sl_sigv4_keys_t **k, sl_error_t *err) {
  char path[] = "/tmp/test_sigv4_keysXXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  int rc = sl_sigv4_keys_load(path, k, err);
  unlink(path);
  return rc;
}

/* The suite's key, with TOKEN when not NULL, loaded. */
static sl_sigv4_keys_t *keys_with(const char *token) {
  char text[1024];
  snprintf(text, sizeof text, "[suite]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = " SECRET "\n%s%s\n",
           token != NULL ? "aws_session_token = " : "", token != NULL ? token : "");
  sl_sigv4_keys_t *k = NULL;
  sl_error_t err;
  if (load_text(text, &k, &err) != SL_OK) fail_msg("%s", err.message);
  return k;
}

static int setup(void **state) {
  keys[PLAIN] = keys_with(NULL);
  keys[WITH_STS_TOKEN] = keys_with(STS_TOKEN);
  keys[WITH_VANILLA_TOKEN] = keys_with(VANILLA_TOKEN);
  return 0;
}

static int teardown(void **state) {
  for (int i = 0; i < KEY_SETS; i++) sl_sigv4_keys_free(keys[i]);
  return 0;
}

/* sl_sigv4_check's answer: NULL when accepted, else the exception, its message into message. */
static const char *check(int set, const sl_sigv4_request_t *r, int64_t now_ms, char message[512]) {
  sl_sigv4_refusal_t why = {NULL, ""};
  int ok = sl_sigv4_check(keys[set], r, now_ms, &why);
  snprintf(message, 512, "%s", why.message);
  if (ok) assert_null(why.type);
  else assert_non_null(why.type);
  return ok ? NULL : why.type;
}

/* --- the vectors ------------------------------------------------------------------------------------------ */

/* .creq, .sts and .authz from the .req (the token a signer adds, added). */
static void canonical_matches(const vector_t *v, char *authz) {
  parsed_t p;
  parse(&p, v->name, "req");
  if (v->add_token != NULL) add_header(&p, "x-amz-security-token", v->add_token);
  char signed_headers[512], canon[8192], to_sign[512], sig[65], date[32], built[1024];
  signed_headers_of(&p, signed_headers, sizeof signed_headers);
  sl_sigv4_refusal_t why;
  size_t canon_len = sl_sigv4_canonical_request(&p.r, signed_headers, canon, sizeof canon, &why);
  char *creq = slurp(v->name, "creq"), *sts = slurp(v->name, "sts");
  assert_string_equal(canon, creq);
  assert_int_equal(canon_len, strlen(creq));
  assert_int_equal(sl_sigv4_header_value(&p.r, "x-amz-date", date, sizeof date), 16);
  sl_sigv4_authorization_t scope = {"AKIDEXAMPLE", "20150830", "us-east-1", "service", "", ""};
  size_t sign_len = sl_sigv4_string_to_sign(date, &scope, canon, canon_len, to_sign, sizeof to_sign);
  assert_string_equal(to_sign, sts);
  assert_int_equal(sign_len, strlen(sts));
  sl_sigv4_signature(SECRET, &scope, to_sign, sign_len, sig);
  snprintf(built, sizeof built, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
           "SignedHeaders=%s, Signature=%s", signed_headers, sig);
  assert_string_equal(built, authz);
  free(creq);
  free(sts);
  free(p.text);
}

/* The .req signed with its .authz is accepted at the suite's time; with a byte of Host or of the body
 * changed it is refused. */
static void signed_request_checks(const vector_t *v, const char *authz) {
  parsed_t p;
  char message[512], host[256], body[256];
  parse(&p, v->name, "req");
  if (v->add_token != NULL) add_header(&p, "x-amz-security-token", v->add_token);
  add_header(&p, "authorization", authz);
  assert_null(check(v->keys, &p.r, SUITE_TIME_MS, message));
  for (size_t i = 0; i < p.r.header_count; i++) {
    sl_sigv4_header_t *h = &p.headers[i], kept = *h;
    if (strcmp(h->name, "host") != 0) continue;
    assert_true(h->value_len > 2 && h->value_len < sizeof host);
    memcpy(host, h->value, h->value_len);
    host[h->value_len / 2] ^= 1;
    h->value = host;
    assert_string_equal(check(v->keys, &p.r, SUITE_TIME_MS, message), "InvalidSignatureException");
    assert_string_equal(message, MISMATCH);
    *h = kept;
  }
  if (p.r.body_len > 0) {
    assert_true(p.r.body_len < sizeof body);
    memcpy(body, p.r.body, p.r.body_len);
    body[p.r.body_len - 1] ^= 1;
    p.r.body = body;
    assert_string_equal(check(v->keys, &p.r, SUITE_TIME_MS, message), "InvalidSignatureException");
    assert_string_equal(message, MISMATCH);
  }
  free(p.text);
}

static void vectors_match(void **state) {
  for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
    const vector_t *v = &vectors[i];
    print_message("%s\n", v->name);
    char *authz = slurp(v->name, "authz"), message[512];
    canonical_matches(v, authz);
    signed_request_checks(v, authz);
    parsed_t sreq;
    parse(&sreq, v->name, "sreq");
    const char *got = check(v->keys, &sreq.r, SUITE_TIME_MS, message);
    if (v->sreq == NULL) assert_null(got);
    else assert_string_equal(got != NULL ? got : "accepted", v->sreq);
    free(sreq.text);
    free(authz);
  }
}

/* --- session tokens ------------------------------------------------------------------------------------- */

static void session_tokens(void **state) {
  parsed_t before, after, vanilla;
  char message[512];
  parse(&before, "post-sts-token/post-sts-header-before/post-sts-header-before", "sreq");
  parse(&after, "post-sts-token/post-sts-header-after/post-sts-header-after", "sreq");
  parse(&vanilla, "get-vanilla/get-vanilla", "sreq");
  /* the key's token, signed: accepted; a token to a key without one, another token, none: refused */
  assert_null(check(WITH_STS_TOKEN, &before.r, SUITE_TIME_MS, message));
  assert_string_equal(check(PLAIN, &before.r, SUITE_TIME_MS, message), "UnrecognizedClientException");
  assert_string_equal(message, TOKEN_INVALID);
  assert_string_equal(check(WITH_VANILLA_TOKEN, &before.r, SUITE_TIME_MS, message), "UnrecognizedClientException");
  assert_string_equal(check(WITH_STS_TOKEN, &vanilla.r, SUITE_TIME_MS, message), "UnrecognizedClientException");
  assert_string_equal(message, TOKEN_INVALID);
  /* the right token, but added after signing */
  assert_string_equal(check(WITH_STS_TOKEN, &after.r, SUITE_TIME_MS, message), "UnrecognizedClientException");
  assert_string_equal(check(PLAIN, &after.r, SUITE_TIME_MS, message), "UnrecognizedClientException");
  /* one byte of the signed token changed: not the key's token any more */
  for (size_t i = 0; i < before.r.header_count; i++)
    if (strcmp(before.headers[i].name, "x-amz-security-token") == 0)
      before.text[before.headers[i].value - before.text + 5] ^= 1;
  assert_string_equal(check(WITH_STS_TOKEN, &before.r, SUITE_TIME_MS, message), "UnrecognizedClientException");
  free(before.text);
  free(after.text);
  free(vanilla.text);
}

/* --- the time window ------------------------------------------------------------------------------------ */

static void time_window(void **state) {
  parsed_t p;
  char message[512];
  parse(&p, "get-vanilla/get-vanilla", "sreq");
  assert_null(check(PLAIN, &p.r, SUITE_TIME_MS + 300000, message));
  assert_null(check(PLAIN, &p.r, SUITE_TIME_MS - 300000, message));
  assert_string_equal(check(PLAIN, &p.r, SUITE_TIME_MS + 301000, message), "InvalidSignatureException");
  assert_string_equal(message, "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
                               "(20150830T124101Z - 5 min.)");
  assert_string_equal(check(PLAIN, &p.r, SUITE_TIME_MS + 3600000, message), "InvalidSignatureException");
  assert_string_equal(message, "Signature expired: 20150830T123600Z is now earlier than 20150830T133100Z "
                               "(20150830T133600Z - 5 min.)");
  assert_string_equal(check(PLAIN, &p.r, SUITE_TIME_MS - 301000, message), "InvalidSignatureException");
  assert_string_equal(message, "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z "
                               "(20150830T123059Z + 5 min.)");
  free(p.text);
}

/* --- the credentials file's tokens ---------------------------------------------------------------------- */

/* TEXT loaded as a credentials file: SL_OK with its two keys, or the error. */
static int load(const char *text, sl_error_t *err) {
  sl_sigv4_keys_t *k = NULL;
  int rc = load_text(text, &k, err);
  if (rc == SL_OK) assert_int_equal(sl_sigv4_keys_count(k), 2);
  sl_sigv4_keys_free(k);
  return rc;
}

static void credentials_file_tokens(void **state) {
  sl_error_t err;
  assert_int_equal(load("[a]\naws_access_key_id=A\naws_secret_access_key=s\naws_session_token=t\n[b]\n"
                        "aws_access_key_id=B\naws_secret_access_key=s\nregion=us-east-1\n", &err), SL_OK);
  assert_int_equal(load("[a]\naws_access_key_id=A\naws_secret_access_key=s\n[b]\naws_session_token=t\n", &err),
                   SL_EIO);
  assert_non_null(strstr(err.message, ":5: a profile has an aws_session_token but no key"));
  assert_int_equal(load("[a]\naws_access_key_id=A\naws_secret_access_key=s\naws_session_token=\n", &err), SL_EIO);
  assert_non_null(strstr(err.message, ":4: aws_session_token must be 1 to 8000 characters"));
  static char big[9200];
  int n = snprintf(big, sizeof big, "[a]\naws_access_key_id=A\naws_secret_access_key=s\naws_session_token=");
  memset(big + n, 'x', 9000);
  big[n + 9000] = '\0';
  assert_int_equal(load(big, &err), SL_EIO);
  assert_non_null(strstr(err.message, ":4: line longer than 8190 characters"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(vectors_match),
      cmocka_unit_test(session_tokens),
      cmocka_unit_test(time_window),
      cmocka_unit_test(credentials_file_tokens),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

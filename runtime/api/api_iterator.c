/* api_iterator.c - sealing and opening shard iterator tokens (layout: version 1, stream name length and
 * bytes, shard index u32, next counter u64, issue time i64, then the first 16 bytes of the HMAC-SHA256 of all
 * that; base64). */
#include "api/api_iterator.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "shardlab/base64.h"

enum { MAC_LEN = 16, MAX_RAW = 1 + 1 + 128 + 4 + 8 + 8 + MAC_LEN };

static void put(unsigned char *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t get(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static void seal(const sl_api_t *api, const unsigned char *data, size_t len, unsigned char mac[MAC_LEN]) {
  unsigned char full[EVP_MAX_MD_SIZE];
  unsigned int full_len = 0;
  HMAC(EVP_sha256(), api->iterator_key, sizeof api->iterator_key, data, len, full, &full_len);
  memcpy(mac, full, MAC_LEN);
}

json_t *sl__api_iterator_token(const sl_api_t *api, const api_iterator_t *it) {
  unsigned char raw[MAX_RAW];
  size_t name = strlen(it->stream), n = 0;
  raw[n++] = 1;
  raw[n++] = (unsigned char)name;
  memcpy(raw + n, it->stream, name);
  n += name;
  put(raw + n, it->shard, 4);
  put(raw + n + 4, it->next, 8);
  put(raw + n + 12, (uint64_t)it->issued_ms, 8);
  n += 20;
  seal(api, raw, n, raw + n);
  n += MAC_LEN;
  char text[SL_BASE64_ENCODED_LEN(MAX_RAW) + 1];
  sl_base64_encode(raw, n, text);
  return json_string(text);
}

int sl__api_iterator_parse(const sl_api_t *api, const char *token, api_iterator_t *it) {
  size_t len = strlen(token), n;
  unsigned char raw[MAX_RAW + 3], mac[MAC_LEN];
  if (len > SL_BASE64_ENCODED_LEN(MAX_RAW) || sl_base64_decode(token, len, "ShardIterator", raw, &n, NULL) != SL_OK)
    return SL_EINVAL;
  if (n < 2 + 20 + MAC_LEN || raw[0] != 1 || raw[1] > 128 || n != (size_t)2 + raw[1] + 20 + MAC_LEN) return SL_EINVAL;
  seal(api, raw, n - MAC_LEN, mac);
  if (CRYPTO_memcmp(mac, raw + n - MAC_LEN, MAC_LEN) != 0) return SL_EINVAL;
  size_t name = raw[1];
  memcpy(it->stream, raw + 2, name);
  it->stream[name] = '\0';
  const unsigned char *p = raw + 2 + name;
  it->shard = (uint32_t)get(p, 4);
  it->next = get(p + 4, 8);
  it->issued_ms = (int64_t)get(p + 12, 8);
  return SL_OK;
}

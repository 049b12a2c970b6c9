/* tls.c - owns everything shardlab does with OpenSSL's TLS: the SSL_CTX made from --tls-cert and --tls-key
 * (files checked one by one, so a startup error says which file is wrong and how), the protocol settings
 * (TLS 1.2 and 1.3 only, no renegotiation, ALPN: h2, then http/1.1), and each connection's SSL object over
 * two memory BIOs. libuv owns the socket: the server feeds the ciphertext it reads into the read BIO, SSL_read
 * gives the plaintext for http-parser or nghttp2 (driving the handshake first), SSL_write puts answers into the
 * write BIO, and the server takes that BIO's ciphertext to uv_write. OpenSSL's error queue is cleared after
 * every failure, so nothing of one connection leaks into another's (or into the log: nothing is printed
 * here). */
#define _POSIX_C_SOURCE 200809L

#include "server/tls.h"

#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sl_tls_s {
  SSL_CTX *ctx;
};

struct sl_tls_conn_s {
  SSL *ssl;
  BIO *in;  /* ciphertext from the peer, read by SSL (owned by ssl) */
  BIO *out; /* ciphertext for the peer, written by SSL (owned by ssl) */
};

/* The application protocols this server speaks, in its order of preference, in ALPN's wire format (each name
 * after its length byte): HTTP/2 first, then HTTP/1.1. A client that offers neither is not acknowledged and
 * speaks HTTP/1.1 (or HTTP/2 with prior knowledge), as without ALPN. */
static const unsigned char alpn_protocols[] = "\x02h2\x08http/1.1";

static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *out_len, const unsigned char *in,
                       unsigned int in_len, void *arg) {
  (void)ssl;
  (void)arg;
  unsigned char *chosen;
  if (SSL_select_next_proto(&chosen, out_len, alpn_protocols, sizeof alpn_protocols - 1, in, in_len) !=
      OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

/* OpenSSL's reason for the last failure ("no start line"), and the error queue emptied. */
static const char *openssl_reason(char *buf, size_t cap) {
  unsigned long e = ERR_peek_last_error();
  const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
  snprintf(buf, cap, "%s", reason != NULL ? reason : "unknown error");
  ERR_clear_error();
  return buf;
}

/* An encrypted key would make OpenSSL ask for its passphrase on the terminal: refused instead. */
static int no_passphrase(char *buf, int size, int rwflag, void *u) {
  (void)buf;
  (void)size;
  (void)rwflag;
  (void)u;
  return -1;
}

/* The first PEM certificate (key 0: an X509) or private key (key 1: an EVP_PKEY) of path, or NULL with err
 * naming the option and the file and saying what is wrong. */
static void *read_pem(const char *path, int key, sl_error_t *err) {
  const char *option = key ? "--tls-key" : "--tls-cert";
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    sl_error_set(err, SL_EIO, "%s %s cannot be read: %s", option, path, strerror(errno));
    return NULL;
  }
  void *pem = key ? (void *)PEM_read_PrivateKey(f, NULL, no_passphrase, NULL)
                  : (void *)PEM_read_X509(f, NULL, no_passphrase, NULL);
  fclose(f);
  char why[160];
  if (pem == NULL)
    sl_error_set(err, SL_EIO, "%s %s holds no %s (%s)", option, path,
                 key ? "unencrypted PEM private key" : "PEM certificate", openssl_reason(why, sizeof why));
  return pem;
}

/* The certificate chain of path into ctx: the first PEM certificate is the server's, the rest its chain. */
static int use_chain(SSL_CTX *ctx, const char *path, sl_error_t *err) {
  X509 *cert = read_pem(path, 0, err);
  if (cert == NULL) return err->code;
  X509_free(cert);
  char why[160];
  if (SSL_CTX_use_certificate_chain_file(ctx, path) != 1)
    return sl_error_set(err, SL_EIO, "--tls-cert %s: its certificate chain is not usable (%s)", path,
                        openssl_reason(why, sizeof why));
  return SL_OK;
}

/* The private key of path into ctx, after checking that it is the key of ctx's certificate. */
static int use_key(SSL_CTX *ctx, const char *path, const char *cert_file, sl_error_t *err) {
  EVP_PKEY *key = read_pem(path, 1, err);
  if (key == NULL) return err->code;
  int rc = SL_OK;
  char why[160];
  if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), key) != 1) {
    ERR_clear_error();
    rc = sl_error_set(err, SL_EIO, "--tls-key %s does not match the certificate of --tls-cert %s", path, cert_file);
  } else if (SSL_CTX_use_PrivateKey(ctx, key) != 1) {
    rc = sl_error_set(err, SL_EIO, "--tls-key %s is not usable (%s)", path, openssl_reason(why, sizeof why));
  }
  EVP_PKEY_free(key);
  return rc;
}

int sl_tls_load(const char *cert_file, const char *key_file, sl_tls_t **out, sl_error_t *err) {
  *out = NULL;
  sl_tls_t *t = calloc(1, sizeof *t);
  if (t == NULL || (t->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
    free(t);
    ERR_clear_error();
    return sl_error_set(err, SL_ENOMEM, "TLS: cannot create OpenSSL's context");
  }
  SSL_CTX_set_default_passwd_cb(t->ctx, no_passphrase);
  /* No renegotiation in TLS 1.2 (OpenSSL 3 refuses the client's by default; this refuses it whatever the
   * version or configuration), nothing older than TLS 1.2. */
  SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(t->ctx, SSL_MODE_RELEASE_BUFFERS); /* idle keep-alive connections keep no record buffers */
  SSL_CTX_set_alpn_select_cb(t->ctx, select_alpn, NULL);
  int rc = use_chain(t->ctx, cert_file, err);
  if (rc == SL_OK) rc = use_key(t->ctx, key_file, cert_file, err);
  if (rc == SL_OK) *out = t;
  else sl_tls_free(t);
  return rc;
}

void sl_tls_free(sl_tls_t *t) {
  if (t == NULL) return;
  SSL_CTX_free(t->ctx);
  free(t);
}

sl_tls_conn_t *sl_tls_conn_new(sl_tls_t *t) {
  sl_tls_conn_t *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->ssl = SSL_new(t->ctx);
  c->in = BIO_new(BIO_s_mem());
  c->out = BIO_new(BIO_s_mem());
  if (c->ssl == NULL || c->in == NULL || c->out == NULL) {
    BIO_free(c->in);
    BIO_free(c->out);
    SSL_free(c->ssl);
    free(c);
    ERR_clear_error();
    return NULL;
  }
  BIO_set_mem_eof_return(c->in, -1); /* empty is "wait for more", never the end of the stream */
  BIO_set_mem_eof_return(c->out, -1);
  SSL_set_bio(c->ssl, c->in, c->out); /* ssl owns both BIOs from here */
  SSL_set_accept_state(c->ssl);
  return c;
}

void sl_tls_conn_free(sl_tls_conn_t *c) {
  if (c == NULL) return;
  SSL_free(c->ssl);
  free(c);
}

int sl_tls_conn_feed(sl_tls_conn_t *c, const char *data, size_t len) {
  if (len == 0) return 0;
  if (len > INT_MAX || BIO_write(c->in, data, (int)len) != (int)len) { /* a memory BIO takes all, or fails */
    ERR_clear_error();
    return -1;
  }
  return 0;
}

ssize_t sl_tls_conn_read(sl_tls_conn_t *c, char *buf, size_t cap) {
  int n = SSL_read(c->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
  if (n > 0) return n;
  switch (SSL_get_error(c->ssl, n)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE: /* never with a memory BIO for output, which grows */
    return 0;
  case SSL_ERROR_ZERO_RETURN: /* close_notify: answered with ours */
    SSL_shutdown(c->ssl);
    ERR_clear_error();
    return SL_TLS_CLOSED;
  default: /* plaintext HTTP on the TLS port, a failed handshake, a forged record */
    ERR_clear_error();
    return SL_TLS_FAILED;
  }
}

int sl_tls_conn_write(sl_tls_conn_t *c, const char *data, size_t len) {
  if (len == 0) return 0;
  if (len > INT_MAX || SSL_write(c->ssl, data, (int)len) != (int)len) { /* no partial writes: all, or fails */
    ERR_clear_error();
    return -1;
  }
  return 0;
}

void sl_tls_conn_shutdown(sl_tls_conn_t *c) {
  SSL_shutdown(c->ssl);
  ERR_clear_error();
}

int sl_tls_conn_take(sl_tls_conn_t *c, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  size_t pending = BIO_ctrl_pending(c->out);
  if (pending == 0) return 0;
  char *data = malloc(pending);
  if (data == NULL) return -1;
  size_t got = 0;
  while (got < pending) {
    size_t want = pending - got;
    int n = BIO_read(c->out, data + got, want > INT_MAX ? INT_MAX : (int)want);
    if (n <= 0) break;
    got += (size_t)n;
  }
  *out = data;
  *len = got;
  return 0;
}

int sl_tls_conn_h2(const sl_tls_conn_t *c) {
  const unsigned char *proto;
  unsigned int len;
  SSL_get0_alpn_selected(c->ssl, &proto, &len);
  return len == 2 && memcmp(proto, "h2", 2) == 0;
}

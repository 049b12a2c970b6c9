/* tls.h - TLS for `shardlab serve --tls-cert FILE --tls-key FILE` (OpenSSL): the server's context (the PEM
 * certificate chain and its key, TLS 1.2 and 1.3 without renegotiation, ALPN) and each connection's TLS state
 * over memory buffers. The caller owns the socket: it hands over the ciphertext it reads, gets plaintext back,
 * and sends whatever ciphertext the connection has to send (handshake, alerts, encrypted answers,
 * close_notify) in the order it is taken. No output of its own. Private to the server. */
#ifndef SHARDLAB_TLS_H
#define SHARDLAB_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "shardlab/error.h"

typedef struct sl_tls_s sl_tls_t;           /* the certificate chain, the key, the protocol settings */
typedef struct sl_tls_conn_s sl_tls_conn_t; /* one connection's TLS session and its two buffers */

/* Reads the PEM certificate chain (the server's certificate first, then its intermediates) and the PEM
 * private key. SL_EIO naming the option and the file for a file that cannot be read, that holds no PEM
 * certificate or unencrypted PEM key, or a key that is not the certificate's. Free *out with sl_tls_free. */
int sl_tls_load(const char *cert_file, const char *key_file, sl_tls_t **out, sl_error_t *err);
void sl_tls_free(sl_tls_t *t);

/* A server-side session on t (which must outlive it); NULL when out of memory. */
sl_tls_conn_t *sl_tls_conn_new(sl_tls_t *t);
void sl_tls_conn_free(sl_tls_conn_t *c);

/* 1 when the handshake chose HTTP/2 by ALPN ("h2"), else 0 (HTTP/1.1 chosen, no ALPN, or not done yet). */
int sl_tls_conn_h2(const sl_tls_conn_t *c);

/* Ciphertext read from the peer (any piece of it: partial records wait for the rest). 0, or -1 out of memory. */
int sl_tls_conn_feed(sl_tls_conn_t *c, const char *data, size_t len);

/* Plaintext of what was fed, advancing the handshake first: > 0 bytes put in buf, 0 when nothing more until more
 * is fed, SL_TLS_CLOSED when the peer sent close_notify (its own close_notify then waits in the output),
 * SL_TLS_FAILED when the peer does not speak TLS or the handshake or a record failed (an alert may wait). */
#define SL_TLS_CLOSED (-1)
#define SL_TLS_FAILED (-2)
ssize_t sl_tls_conn_read(sl_tls_conn_t *c, char *buf, size_t cap);

/* Encrypts len bytes of plaintext (after the handshake) into the output. 0, or -1 when the session cannot. */
int sl_tls_conn_write(sl_tls_conn_t *c, const char *data, size_t len);
/* Puts close_notify in the output: nothing may be written after it. */
void sl_tls_conn_shutdown(sl_tls_conn_t *c);

/* Moves the ciphertext waiting to be sent into a new buffer: *out (malloc'd, the caller frees it) and *len; *out
 * NULL and *len 0 when there is none. 0, or -1 out of memory. */
int sl_tls_conn_take(sl_tls_conn_t *c, char **out, size_t *len);

#endif

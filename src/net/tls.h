/* tls.h - server-side TLS for the data plane (wss:// channels) and the admin
 * listener, over OpenSSL 3: a context per certificate (TLS 1.2 minimum, ALPN
 * http/1.1) and a non-blocking session per connection, with read/write calls
 * shaped like recv/send so a connection branches once on "is this TLS".
 *
 * Ownership: a context is reference-counted by OpenSSL. tls_ctx_load returns one
 * reference, owned by the caller and dropped with tls_ctx_free; each session
 * holds its own, so a context may be replaced (a SIGHUP reload) and freed while
 * the connections made with it keep going. Sessions live on one thread; a
 * context may be shared by threads (SSL_new on it is thread-safe).
 *
 * The private key file is read here and nowhere else; its contents are never
 * logged or returned, errors name its path only. */
#ifndef WSX_TLS_H
#define WSX_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct ssl_ctx_st tls_ctx_t; /* OpenSSL's SSL_CTX */
typedef struct ssl_st tls_t;         /* OpenSSL's SSL */

/* Load a PEM certificate chain and private key into a new server context. Returns
 * it, or NULL with a sentence in err naming the file at fault (missing,
 * unreadable, not PEM, or the key does not match the certificate). */
tls_ctx_t *tls_ctx_load(const char *cert, const char *key, char *err, size_t errlen);
/* Drop the caller's reference (NULL is fine). */
void tls_ctx_free(tls_ctx_t *ctx);
/* The SHA-256 fingerprint of the context's certificate as 64 hex digits, for logs. */
void tls_ctx_fingerprint(tls_ctx_t *ctx, char out[65]);

/* The client side, for `wsx bench` against wss://: a context offering ALPN
 * http/1.1 with TLS 1.2 minimum that verifies the server against the PEM CA
 * certificates in cafile, or verifies nothing when cafile is NULL (a load
 * generator pointed at a test server). NULL with a sentence in err. */
tls_ctx_t *tls_client_ctx(const char *cafile, char *err, size_t errlen);
/* A client session on the socket fd (not owned), connecting to host (SNI, and the
 * name checked when verifying). The handshake happens inside the first
 * tls_write/tls_read calls. NULL when out of memory. */
tls_t *tls_client_new(tls_ctx_t *ctx, int fd, const char *host);

/* A server session on the connected non-blocking socket fd (not owned: the caller
 * still closes it). The handshake happens inside the first tls_read calls.
 * NULL when out of memory. */
tls_t *tls_new(tls_ctx_t *ctx, int fd);
/* Free a session (no close_notify: call tls_shutdown first for a clean close). */
void tls_free(tls_t *t);

/* Read decrypted bytes: > 0 bytes read, 0 for the peer's close (or EOF),
 * WSX_EAGAIN when the session needs the socket first (*want is EV_READ or
 * EV_WRITE: the event to wait for before calling again), or WSX_EIO/WSX_EPROTO
 * (a failed handshake, a bad record): drop the connection. */
ssize_t tls_read(tls_t *t, void *buf, size_t len, uint32_t *want);
/* Write: bytes taken (> 0, maybe fewer than len), or WSX_EAGAIN with *want as
 * above, or a negative WSX_E* (drop the connection). After WSX_EAGAIN or a short
 * write, the next call must start with the same bytes (they may have moved). */
ssize_t tls_write(tls_t *t, const void *buf, size_t len, uint32_t *want);
/* Decrypted bytes held by the session that no socket event will announce. */
int tls_pending(const tls_t *t);
/* Why the last failed tls_read/tls_write on this thread failed (a sentence, e.g.
 * "certificate verify failed: ..." or OpenSSL's reason). */
const char *tls_last_error(void);
/* Send close_notify, best effort (the caller half-closes the socket after it). */
void tls_shutdown(tls_t *t);

#endif

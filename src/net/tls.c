/* tls.c - see tls.h. OpenSSL keeps a per-thread error queue that SSL_get_error
 * reads: every failure path here empties it, so a stale error never makes the
 * next connection's "would block" look like a failure. */
#include "net/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "ev/ev.h"

/* The one application protocol wsx speaks over TLS (RFC 7301 wire format). */
static const unsigned char ALPN_HTTP11[] = "\x08http/1.1";

/* ALPN: http/1.1 if the client offers it; a client that offers only others
 * (h2) gets the no_application_protocol alert RFC 7301 asks for. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    unsigned char *sel;
    if (SSL_select_next_proto(&sel, outlen, ALPN_HTTP11, sizeof ALPN_HTTP11 - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

/* The first OpenSSL reason on the queue, as text, and the queue emptied. */
static const char *ossl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return r ? r : "unknown error";
}

static int readable(const char *field, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return wsx_errf(err, errlen, WSX_EIO, "cannot read %s %s: %s", field, path,
                        strerror(errno));
    fclose(f);
    return 0;
}

tls_ctx_t *tls_ctx_load(const char *cert, const char *key, char *err, size_t errlen)
{
    if (readable("tls_cert", cert, err, errlen) < 0 || readable("tls_key", key, err, errlen) < 0)
        return NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        wsx_errf(err, errlen, WSX_ENOMEM, "cannot create a TLS context: %s", ossl_reason());
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* renegotiation would let a client make us do handshakes at will; compression
     * is CRIME */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* partial writes: SSL_write returns per record, like send() does per chunk;
     * moving buffer: a write retried after WANT_WRITE may come from c->out, not
     * from the buffer that first held the bytes */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        wsx_errf(err, errlen, WSX_EINVAL, "tls_cert %s holds no usable PEM certificate (%s)", cert,
                 ossl_reason());
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        /* the reason only (e.g. "no start line", "key values mismatch"): never
         * anything read from the file */
        wsx_errf(err, errlen, WSX_EINVAL,
                 "tls_key %s holds no usable PEM private key for tls_cert %s (%s)", key, cert,
                 ossl_reason());
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        wsx_errf(err, errlen, WSX_EINVAL,
                 "tls_key %s does not match the certificate in tls_cert %s", key, cert);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

void tls_ctx_free(tls_ctx_t *ctx)
{
    SSL_CTX_free(ctx);
}

void tls_ctx_fingerprint(tls_ctx_t *ctx, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509 *x = SSL_CTX_get0_certificate(ctx);
    out[0] = '\0';
    if (!x || X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32) {
        ERR_clear_error();
        return;
    }
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

tls_ctx_t *tls_client_ctx(const char *cafile, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        wsx_errf(err, errlen, WSX_ENOMEM, "cannot create a TLS context: %s", ossl_reason());
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_set_alpn_protos(ctx, ALPN_HTTP11, sizeof ALPN_HTTP11 - 1) != 0) {
        SSL_CTX_free(ctx);
        wsx_errf(err, errlen, WSX_ENOMEM, "cannot set ALPN: %s", ossl_reason());
        return NULL;
    }
    if (cafile) {
        if (SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1) {
            wsx_errf(err, errlen, WSX_EINVAL, "cannot load CA certificates from %s (%s)", cafile,
                     ossl_reason());
            SSL_CTX_free(ctx);
            return NULL;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    return ctx;
}

tls_t *tls_client_new(tls_ctx_t *ctx, int fd, const char *host)
{
    SSL *s = SSL_new(ctx);
    unsigned char ip[16];
    int is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
    int verify = SSL_CTX_get_verify_mode(ctx) != SSL_VERIFY_NONE;
    /* an address is checked against the certificate's IP names, and is no SNI name */
    if (!s || SSL_set_fd(s, fd) != 1 || (!is_ip && SSL_set_tlsext_host_name(s, host) != 1) ||
        (verify && !is_ip && SSL_set1_host(s, host) != 1) ||
        (verify && is_ip && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), host) != 1)) {
        ERR_clear_error();
        SSL_free(s);
        return NULL;
    }
    SSL_set_connect_state(s);
    return s;
}

tls_t *tls_new(tls_ctx_t *ctx, int fd)
{
    SSL *s = SSL_new(ctx);
    if (!s) {
        ERR_clear_error();
        return NULL;
    }
    if (SSL_set_fd(s, fd) != 1) {
        ERR_clear_error();
        SSL_free(s);
        return NULL;
    }
    SSL_set_accept_state(s);
    return s;
}

void tls_free(tls_t *t)
{
    SSL_free(t);
}

/* Why the last session call on this thread failed, for logs and `wsx bench`. */
static __thread char t_last_error[160];

const char *tls_last_error(void)
{
    return t_last_error[0] ? t_last_error : "no TLS error";
}

/* Map a failed SSL_read/SSL_write. */
static ssize_t failed(tls_t *t, int rc, uint32_t *want)
{
    switch (SSL_get_error(t, rc)) {
    case SSL_ERROR_WANT_READ:
        *want = EV_READ;
        return WSX_EAGAIN;
    case SSL_ERROR_WANT_WRITE:
        *want = EV_WRITE;
        return WSX_EAGAIN;
    case SSL_ERROR_ZERO_RETURN: /* close_notify */
        return 0;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (errno == EAGAIN || errno == EINTR) {
            *want = EV_READ;
            return WSX_EAGAIN;
        }
        snprintf(t_last_error, sizeof t_last_error, "%s",
                 errno ? strerror(errno) : "the peer closed the connection");
        return WSX_EIO;
    default: { /* a failed handshake (old protocol, untrusted client alert), a bad record */
        long v = SSL_get_verify_result(t);
        if (v != X509_V_OK)
            snprintf(t_last_error, sizeof t_last_error, "certificate verify failed: %s",
                     X509_verify_cert_error_string(v));
        else
            snprintf(t_last_error, sizeof t_last_error, "%s", ossl_reason());
        ERR_clear_error();
        return WSX_EPROTO;
    }
    }
}

ssize_t tls_read(tls_t *t, void *buf, size_t len, uint32_t *want)
{
    size_t n = 0;
    if (SSL_read_ex(t, buf, len, &n) == 1)
        return (ssize_t)n;
    return failed(t, 0, want);
}

ssize_t tls_write(tls_t *t, const void *buf, size_t len, uint32_t *want)
{
    /* partial-write mode returns after each record: go on until the socket is full */
    size_t done = 0;
    while (done < len) {
        size_t n = 0;
        if (SSL_write_ex(t, (const char *)buf + done, len - done, &n) != 1) {
            ssize_t rc = failed(t, 0, want);
            if (rc == 0)
                rc = WSX_ECLOSED; /* the peer's close_notify: nobody reads any more */
            return done ? (ssize_t)done : rc;
        }
        done += n;
    }
    return (ssize_t)done;
}

int tls_pending(const tls_t *t)
{
    return SSL_pending(t) > 0;
}

void tls_shutdown(tls_t *t)
{
    if (SSL_is_init_finished(t) && SSL_shutdown(t) < 0)
        ERR_clear_error();
}

/* test_tls.c - net/tls.c: loading a certificate and key (errors naming the file at
 * fault), and a server and a client session over a non-blocking socketpair: the
 * handshake through tls_read/tls_write's "wait" answers, ALPN, data both ways,
 * pending plaintext, close_notify. Certificates are made here with OpenSSL. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "ev/ev.h"
#include "net/tls.h"

static char dir[64];
static char cert_a[128], key_a[128], key_b[128], junk[128];

static void write_key(EVP_PKEY *k, const char *path)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert_eq(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
}

/* A self-signed certificate for localhost with a fresh P-256 key. */
static void make_cert(const char *cert_path, const char *key_path)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    cr_assert_not_null(k);
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(x, n);
    cr_assert_gt(X509_sign(x, k, EVP_sha256()), 0);
    FILE *f = fopen(cert_path, "w");
    cr_assert_not_null(f);
    PEM_write_X509(f, x);
    fclose(f);
    write_key(k, key_path);
    X509_free(x);
    EVP_PKEY_free(k);
}

static void setup(void)
{
    strcpy(dir, "/tmp/wsx-test-tls.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(cert_a, sizeof cert_a, "%s/a.crt", dir);
    snprintf(key_a, sizeof key_a, "%s/a.key", dir);
    snprintf(key_b, sizeof key_b, "%s/b.key", dir);
    snprintf(junk, sizeof junk, "%s/junk.pem", dir);
    make_cert(cert_a, key_a);
    char cert_b[128];
    snprintf(cert_b, sizeof cert_b, "%s/b.crt", dir);
    make_cert(cert_b, key_b);
    FILE *f = fopen(junk, "w");
    fputs("not a PEM file\n", f);
    fclose(f);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(tls, .init = setup, .fini = teardown);

Test(tls, load_errors_name_the_file)
{
    char err[600], missing[160];
    snprintf(missing, sizeof missing, "%s/missing.crt", dir);
    cr_assert_null(tls_ctx_load(missing, key_a, err, sizeof err));
    cr_assert(strstr(err, "tls_cert") && strstr(err, missing) && strstr(err, "No such file"), "%s",
              err);
    cr_assert_null(tls_ctx_load(cert_a, missing, err, sizeof err));
    cr_assert(strstr(err, "tls_key") && strstr(err, missing), "%s", err);
    cr_assert_null(tls_ctx_load(junk, key_a, err, sizeof err));
    cr_assert(strstr(err, "tls_cert") && strstr(err, junk), "%s", err);
    cr_assert_null(tls_ctx_load(cert_a, junk, err, sizeof err));
    cr_assert(strstr(err, "tls_key") && strstr(err, junk), "%s", err);
    cr_assert_null(tls_ctx_load(cert_a, key_b, err, sizeof err));
    cr_assert(strstr(err, key_b) && strstr(err, cert_a), "a mismatch names both: %s", err);
    cr_assert_null(strstr(err, "PRIVATE KEY"), "nothing read from the key: %s", err);
}

Test(tls, load_and_fingerprint)
{
    char err[600], fp[65];
    tls_ctx_t *ctx = tls_ctx_load(cert_a, key_a, err, sizeof err);
    cr_assert_not_null(ctx, "%s", err);
    tls_ctx_fingerprint(ctx, fp);
    cr_assert_eq(strlen(fp), 64, "%s", fp);
    cr_assert_eq(strspn(fp, "0123456789abcdef"), 64, "%s", fp);
    tls_ctx_free(ctx);
}

/* Drive both sides until each has done what it wants: the client writes msg, the
 * server reads it. Returns the bytes the server read. */
static size_t pump(tls_t *srv, tls_t *cli, const char *msg, char *got, size_t cap)
{
    size_t sent = 0, have = 0, len = strlen(msg);
    for (int i = 0; i < 200 && have < len; i++) {
        uint32_t want = 0;
        if (sent < len) {
            ssize_t n = tls_write(cli, msg + sent, len - sent, &want);
            cr_assert(n > 0 || n == WSX_EAGAIN, "client write: %zd %s", n, tls_last_error());
            if (n > 0)
                sent += (size_t)n;
            else
                cr_assert(want == EV_READ || want == EV_WRITE);
        }
        ssize_t n = tls_read(srv, got + have, cap - have, &want);
        cr_assert(n > 0 || n == WSX_EAGAIN, "server read: %zd %s", n, tls_last_error());
        if (n > 0)
            have += (size_t)n;
    }
    return have;
}

Test(tls, a_session_over_a_socketpair)
{
    char err[600];
    tls_ctx_t *sctx = tls_ctx_load(cert_a, key_a, err, sizeof err);
    cr_assert_not_null(sctx, "%s", err);
    tls_ctx_t *cctx = tls_client_ctx(cert_a, err, sizeof err); /* self-signed: its own CA */
    cr_assert_not_null(cctx, "%s", err);
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    tls_t *srv = tls_new(sctx, sv[0]);
    tls_t *cli = tls_client_new(cctx, sv[1], "localhost");
    cr_assert(srv && cli);
    /* the server's context may go now: the session holds its own reference */
    tls_ctx_free(sctx);

    uint32_t want = 0;
    char buf[64];
    cr_assert_eq(tls_read(srv, buf, sizeof buf, &want), WSX_EAGAIN, "nothing yet");
    cr_assert_eq(want, EV_READ);

    char got[256] = "";
    cr_assert_eq(pump(srv, cli, "GET / HTTP/1.1\r\n\r\n", got, sizeof got), 18);
    cr_assert_str_eq(got, "GET / HTTP/1.1\r\n\r\n");
    const unsigned char *alpn;
    unsigned alen;
    SSL_get0_alpn_selected(srv, &alpn, &alen);
    cr_assert(alen == 8 && memcmp(alpn, "http/1.1", 8) == 0, "ALPN http/1.1");
    cr_assert_geq(SSL_version(srv), TLS1_2_VERSION);

    /* server to client, then plaintext held inside OpenSSL: a short read leaves
     * the rest of the record pending, which no socket event would announce */
    cr_assert_eq(tls_write(srv, "0123456789", 10, &want), 10);
    char two[4];
    ssize_t n;
    for (int i = 0; i < 50 && (n = tls_read(cli, two, 2, &want)) == WSX_EAGAIN; i++)
        ;
    cr_assert_eq(n, 2);
    cr_assert(tls_pending(cli), "8 bytes are pending in the session");
    char rest[16];
    cr_assert_eq(tls_read(cli, rest, sizeof rest, &want), 8);
    cr_assert(!tls_pending(cli));

    /* close_notify: the other side reads 0 */
    tls_shutdown(cli);
    for (int i = 0; i < 50 && (n = tls_read(srv, buf, sizeof buf, &want)) == WSX_EAGAIN; i++)
        ;
    cr_assert_eq(n, 0, "the peer's close");
    tls_free(srv);
    tls_free(cli);
    tls_ctx_free(cctx);
    close(sv[0]);
    close(sv[1]);
}

Test(tls, a_client_that_does_not_trust_us_fails_the_handshake)
{
    char err[600], other_cert[160], other_key[160];
    snprintf(other_cert, sizeof other_cert, "%s/other.crt", dir);
    snprintf(other_key, sizeof other_key, "%s/other.key", dir);
    make_cert(other_cert, other_key);
    tls_ctx_t *sctx = tls_ctx_load(cert_a, key_a, err, sizeof err);
    tls_ctx_t *cctx = tls_client_ctx(other_cert, err, sizeof err);
    cr_assert(sctx && cctx);
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    tls_t *srv = tls_new(sctx, sv[0]);
    tls_t *cli = tls_client_new(cctx, sv[1], "localhost");
    uint32_t want;
    char buf[16];
    ssize_t c = WSX_EAGAIN, s = WSX_EAGAIN;
    for (int i = 0; i < 50 && (c == WSX_EAGAIN || s == WSX_EAGAIN); i++) {
        if (c == WSX_EAGAIN)
            c = tls_write(cli, "x", 1, &want);
        if (s == WSX_EAGAIN)
            s = tls_read(srv, buf, sizeof buf, &want);
    }
    cr_assert(c < 0 && c != WSX_EAGAIN, "the client refuses: %zd", c);
    cr_assert(s < 0 && s != WSX_EAGAIN, "and the server sees the failure: %zd", s);
    tls_free(srv);
    tls_free(cli);
    tls_ctx_free(sctx);
    tls_ctx_free(cctx);
    close(sv[0]);
    close(sv[1]);
}

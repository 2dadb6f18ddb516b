/* ws_handshake.c - the server side of the RFC 6455 opening handshake: decide whether
 * a parsed request is a valid upgrade, compute Sec-WebSocket-Accept (SHA-1 and
 * base64 from OpenSSL) and write the 101 answer. No I/O; the caller matches the
 * path and sends the bytes. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

#include "ws/ws_handshake.h"
#include "common/err.h"

static const char WS_GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* Does any header called `name` list `token`? Connection and Upgrade are list
 * headers, and a client or proxy may split them over several lines. */
static int any_header_has_token(const http_request_t *req, const char *name, const char *token)
{
    for (size_t i = 0; i < req->num_headers; i++)
        if (wsx_slice_ieq(req->headers[i].name, name) &&
            wsx_slice_has_token(req->headers[i].value, token))
            return 1;
    return 0;
}

/* The only header called `name`: returns 1 and sets *out, 0 when absent, -1 when
 * it appears more than once (RFC 6455 11.3.1 and 11.3.5 forbid repeating the key
 * and the version). */
static int single_header(const http_request_t *req, const char *name, wsx_slice_t *out)
{
    int found = 0;
    for (size_t i = 0; i < req->num_headers; i++) {
        if (!wsx_slice_ieq(req->headers[i].name, name))
            continue;
        if (found)
            return -1;
        *out = req->headers[i].value;
        found = 1;
    }
    return found;
}

static int is_base64_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* base64 of exactly 16 bytes: 22 alphabet characters then "==". */
static int key_is_valid(wsx_slice_t k)
{
    if (k.len != 24 || k.ptr[22] != '=' || k.ptr[23] != '=')
        return 0;
    for (size_t i = 0; i < 22; i++)
        if (!is_base64_char(k.ptr[i]))
            return 0;
    return 1;
}

int ws_handshake_check(const http_request_t *req, wsx_slice_t *key)
{
    wsx_slice_t k, v;

    if (!wsx_slice_eq(req->method, "GET") || req->minor_version != 1)
        return WSX_EINVAL;
    if (!any_header_has_token(req, "Upgrade", "websocket") ||
        !any_header_has_token(req, "Connection", "Upgrade"))
        return WSX_EINVAL;
    if (single_header(req, "Sec-WebSocket-Key", &k) != 1 || !key_is_valid(k))
        return WSX_EINVAL;

    /* Checked last so that EPROTO means "only the version is wrong": the caller
     * then answers with the versions it speaks (RFC 6455 4.4). */
    int n = single_header(req, "Sec-WebSocket-Version", &v);
    if (n < 0)
        return WSX_EINVAL;
    if (n == 0 || !(wsx_slice_eq(v, "13") || wsx_slice_eq(v, "8")))
        return WSX_EPROTO;
    *key = k;
    return 0;
}

void ws_handshake_accept(wsx_slice_t key, char out[29])
{
    uint8_t digest[SHA_DIGEST_LENGTH];
    uint8_t in[24 + sizeof(WS_GUID) - 1];

    if (key.len <= 24) {
        /* Every key ws_handshake_check accepts: hash from the stack. */
        if (key.len)
            memcpy(in, key.ptr, key.len);
        memcpy(in + key.len, WS_GUID, sizeof(WS_GUID) - 1);
        SHA1(in, key.len + sizeof(WS_GUID) - 1, digest);
    } else {
        /* An unchecked longer key: stream it rather than copy it. */
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) ||
            !EVP_DigestUpdate(ctx, key.ptr, key.len) ||
            !EVP_DigestUpdate(ctx, WS_GUID, sizeof(WS_GUID) - 1) ||
            !EVP_DigestFinal_ex(ctx, digest, NULL)) {
            /* Out of memory: an empty accept value fails the client's check. */
            EVP_MD_CTX_free(ctx);
            out[0] = '\0';
            return;
        }
        EVP_MD_CTX_free(ctx);
    }
    /* 20 bytes -> 28 characters and a NUL. */
    EVP_EncodeBlock((unsigned char *)out, digest, SHA_DIGEST_LENGTH);
}

size_t ws_handshake_response(char *out, size_t cap, wsx_slice_t key)
{
    static const char head[] = "HTTP/1.1 101 Switching Protocols\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: ";
    static const char tail[] = "\r\n\r\n";
    char accept[29];

    size_t need = (sizeof(head) - 1) + 28 + (sizeof(tail) - 1);
    if (cap < need)
        return 0;
    ws_handshake_accept(key, accept);
    size_t alen = strlen(accept);
    if (alen == 0)
        return 0; /* no memory to hash an over-long key: nothing sensible to send */
    memcpy(out, head, sizeof(head) - 1);
    memcpy(out + sizeof(head) - 1, accept, alen);
    memcpy(out + sizeof(head) - 1 + alen, tail, sizeof(tail) - 1);
    return sizeof(head) - 1 + alen + sizeof(tail) - 1;
}

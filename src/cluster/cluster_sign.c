/* cluster_sign.c - sign and verify X-Wsx-Cluster (see cluster_sign.h) with
 * libsodium's HMAC-SHA256. The signed message binds the request line and the body,
 * so a captured call cannot be turned into another one, and the time bounds how
 * long it can be replayed. */
#include "cluster/cluster_sign.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

/* mac = HMAC-SHA256(key, method "\n" target "\n" time "\n" hex(SHA-256(body))). */
static void compute(const uint8_t *key, size_t keylen, wsx_slice_t method, wsx_slice_t target,
                    int64_t t, wsx_slice_t body, uint8_t mac[crypto_auth_hmacsha256_BYTES])
{
    uint8_t digest[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1], when[24];
    crypto_hash_sha256(digest, body.ptr, body.len);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    int wl = snprintf(when, sizeof when, "%" PRId64, t);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, method.ptr, method.len);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)"\n", 1);
    crypto_auth_hmacsha256_update(&st, target.ptr, target.len);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)"\n", 1);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)when, (size_t)wl);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)"\n", 1);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)hex, sizeof hex - 1);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);
}

/* A name we put in a header: printable ASCII or UTF-8, no control characters. */
static int name_ok(const uint8_t *s, size_t n)
{
    if (n == 0 || n > CLUSTER_SIGN_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

int cluster_sign(const uint8_t *key, size_t keylen, const char *server, wsx_slice_t method,
                 wsx_slice_t target, int64_t unix_time, wsx_slice_t body, char *out, size_t cap)
{
    if (!name_ok((const uint8_t *)server, strlen(server)) || cap < CLUSTER_SIGN_VALUE_MAX)
        return WSX_EINVAL;
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    char hex[sizeof mac * 2 + 1];
    compute(key, keylen, method, target, unix_time, body, mac);
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    snprintf(out, cap, "%s %" PRId64 " %s", server, unix_time, hex);
    return 0;
}

static int refuse(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char *why, size_t cap, const char *fmt, ...)
{
    if (why && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return WSX_EAUTH;
}

int cluster_verify(const uint8_t *key, size_t keylen, wsx_slice_t value, wsx_slice_t method,
                   wsx_slice_t target, wsx_slice_t body, int64_t now, char *server,
                   size_t server_cap, char *why, size_t why_cap)
{
    static const char shape[] = "the " CLUSTER_SIGN_HEADER " header must be "
                                "\"<server-name> <unix-time> <64 hex digits>\"";
    if (server && server_cap)
        server[0] = 0;
    /* from the right: the name may hold spaces, the time and the MAC do not */
    const uint8_t *p = value.ptr;
    size_t end = value.len, sp2 = end;
    while (sp2 > 0 && p[sp2 - 1] != ' ')
        sp2--;
    size_t sp1 = sp2 ? sp2 - 1 : 0;
    while (sp1 > 0 && p[sp1 - 1] != ' ')
        sp1--;
    if (sp2 == 0 || sp1 == 0 || end - sp2 != crypto_auth_hmacsha256_BYTES * 2)
        return refuse(why, why_cap, "%s", shape);
    size_t name_len = sp1 - 1, t_start = sp1, t_len = sp2 - 1 - sp1;
    if (!name_ok(p, name_len))
        return refuse(why, why_cap, "%s", shape);
    int64_t t = 0;
    size_t i = t_start, digits = 0;
    int neg = i < t_start + t_len && p[i] == '-';
    for (i += (size_t)neg; i < t_start + t_len; i++, digits++) {
        if (p[i] < '0' || p[i] > '9' || digits >= 18)
            return refuse(why, why_cap, "%s", shape);
        t = t * 10 + (p[i] - '0');
    }
    if (!digits)
        return refuse(why, why_cap, "%s", shape);
    if (neg)
        t = -t;
    uint8_t got[crypto_auth_hmacsha256_BYTES], want[crypto_auth_hmacsha256_BYTES];
    size_t bin_len = 0;
    if (sodium_hex2bin(got, sizeof got, (const char *)p + sp2, end - sp2, NULL, &bin_len, NULL) !=
            0 ||
        bin_len != sizeof got)
        return refuse(why, why_cap, "%s", shape);
    if (t < now - CLUSTER_SIGN_WINDOW || t > now + CLUSTER_SIGN_WINDOW)
        return refuse(why, why_cap,
                      "the call was signed at %" PRId64 ", %" PRId64 " s from this server's "
                      "clock; more than %d s apart (check the clocks)",
                      t, t - now, CLUSTER_SIGN_WINDOW);
    compute(key, keylen, method, target, t, body, want);
    if (sodium_memcmp(got, want, sizeof want) != 0)
        return refuse(why, why_cap,
                      "the signature does not match: is every server given the same "
                      "--cluster-secret-file?");
    if (server && server_cap)
        snprintf(server, server_cap, "%.*s", (int)name_len, (const char *)p);
    return 0;
}

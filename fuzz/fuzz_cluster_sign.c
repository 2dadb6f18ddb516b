/* fuzz_cluster_sign.c - libFuzzer target for the X-Wsx-Cluster header. The first
 * byte picks a mode: 0 verifies the rest as a header value against a fixed call
 * (never accepted without the key's signature, a refusal always says why); any
 * other byte splits the rest at '\n' into server name, method, target and body and
 * signs them here: the value verifies at every clock within CLUSTER_SIGN_WINDOW,
 * not beyond it, and not once the body, the target or one hex digit changes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_sign.h"
#include "common/err.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const uint8_t key[] = "fuzz-cluster-secret-0123456789abcdef";
#define NOW 1700000000

static int verify(wsx_slice_t value, wsx_slice_t m, wsx_slice_t t, wsx_slice_t b, int64_t now,
                  char *server, size_t cap)
{
    char why[256];
    memset(why, 'x', sizeof why);
    memset(server, 'x', cap);
    int rc = cluster_verify(key, sizeof key - 1, value, m, t, b, now, server, cap, why, sizeof why);
    CHECK(rc == 0 || rc == WSX_EAUTH);
    CHECK(memchr(server, 0, cap) != NULL);
    if (rc != 0) {
        CHECK(memchr(why, 0, sizeof why) && why[0] != '\0');
        CHECK(server[0] == '\0');
    }
    /* NULL outputs are allowed and give the same answer */
    CHECK(cluster_verify(key, sizeof key - 1, value, m, t, b, now, NULL, 0, NULL, 0) == rc);
    return rc;
}

/* The next part of [*p, end) up to '\n'. */
static wsx_slice_t part(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
    const uint8_t *e = nl ? nl : end;
    *p = nl ? nl + 1 : end;
    return wsx_slice(s, (size_t)(e - s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 8192)
        return 0;
    char server[CLUSTER_SIGN_NAME_MAX + 1];
    if (data[0] == 0) {
        uint8_t *v = malloc(size - 1 ? size - 1 : 1);
        memcpy(v, data + 1, size - 1);
        int rc = verify(wsx_slice(v, size - 1), wsx_slice("POST", 4), wsx_slice("/x", 2),
                        wsx_slice("{}", 2), NOW, server, sizeof server);
        CHECK(rc == WSX_EAUTH); /* a forgery would need the key */
        free(v);
        return 0;
    }
    const uint8_t *p = data + 1, *end = data + size;
    wsx_slice_t name = part(&p, end), m = part(&p, end), t = part(&p, end);
    wsx_slice_t b = wsx_slice(p, (size_t)(end - p));
    char *cname = malloc(name.len + 1);
    memcpy(cname, name.ptr, name.len);
    cname[name.len] = '\0';
    size_t cl = strlen(cname);
    int name_ok = cl >= 1 && cl <= CLUSTER_SIGN_NAME_MAX;
    for (size_t i = 0; i < cl; i++)
        name_ok &= (unsigned char)cname[i] >= 0x20 && cname[i] != 0x7f;
    int64_t when = NOW + (int8_t)data[0];
    char value[CLUSTER_SIGN_VALUE_MAX];
    CHECK(cluster_sign(key, sizeof key - 1, cname, m, t, when, b, value, sizeof value - 1) ==
          WSX_EINVAL); /* too small a buffer */
    int rc = cluster_sign(key, sizeof key - 1, cname, m, t, when, b, value, sizeof value);
    CHECK(rc == (name_ok ? 0 : WSX_EINVAL));
    if (rc == 0) {
        size_t vl = strlen(value);
        wsx_slice_t vs = wsx_slice(value, vl);
        int in_window =
            (int8_t)data[0] >= -CLUSTER_SIGN_WINDOW && (int8_t)data[0] <= CLUSTER_SIGN_WINDOW;
        rc = verify(vs, m, t, b, NOW, server, sizeof server);
        CHECK(rc == (in_window ? 0 : WSX_EAUTH));
        if (rc == 0)
            CHECK(strcmp(server, cname) == 0);
        /* at the signing time itself it always verifies */
        CHECK(verify(vs, m, t, b, when, server, sizeof server) == 0);
        CHECK(verify(vs, m, t, b, when + CLUSTER_SIGN_WINDOW + 1, server, sizeof server) ==
              WSX_EAUTH);
        /* a changed body or target */
        uint8_t *b2 = malloc(b.len + 1);
        memcpy(b2, b.ptr, b.len);
        b2[b.len] = 'x';
        CHECK(verify(vs, m, t, wsx_slice(b2, b.len + 1), when, server, sizeof server) == WSX_EAUTH);
        free(b2);
        if (t.len) {
            CHECK(verify(vs, m, wsx_slice(t.ptr, t.len - 1), b, when, server, sizeof server) ==
                  WSX_EAUTH);
        }
        /* one hex digit of the MAC changed */
        size_t i = vl - 1 - (b.len ? b.ptr[0] % 64 : 0);
        value[i] = value[i] == '0' ? '1' : '0';
        CHECK(verify(vs, m, t, b, when, server, sizeof server) == WSX_EAUTH);
    }
    free(cname);
    return 0;
}

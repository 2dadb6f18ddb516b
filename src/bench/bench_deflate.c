/* bench_deflate.c - `wsx bench --deflate`: the compressed message a held
 * connection sends and the check of the server's extension answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bench/bench_deflate.h"

uint8_t *bench_deflate_message(size_t n, size_t *len)
{
    char *text = malloc(n + 64);
    /* compressBound covers the raw stream too; the sync flush adds its empty block */
    size_t cap = compressBound((uLong)n) + 16;
    uint8_t *out = malloc(cap);
    z_stream z = {0};
    if (!text || !out || deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(text);
        free(out);
        return NULL;
    }
    size_t t = 0;
    for (unsigned i = 0; t < n; i++)
        t += (size_t)snprintf(text + t, n + 64 - t,
                              "{\"id\":%u,\"name\":\"sensor-%u\",\"value\":%u,\"ok\":true},", i,
                              i % 7, (i * 37) % 1000);
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_SYNC_FLUSH);
    size_t got = cap - z.avail_out;
    deflateEnd(&z);
    free(text);
    if (rc != Z_OK || got < 4 || memcmp(out + got - 4, "\x00\x00\xff\xff", 4) != 0) {
        free(out);
        return NULL;
    }
    *len = got - 4;
    return out;
}

int bench_deflate_accepted(const wsx_slice_t *ext)
{
    static const char name[] = "permessage-deflate";
    if (!ext || ext->len < sizeof name - 1 || memcmp(ext->ptr, name, sizeof name - 1) != 0)
        return 0;
    return ext->len == sizeof name - 1 || ext->ptr[sizeof name - 1] == ';' ||
           ext->ptr[sizeof name - 1] == ' ';
}

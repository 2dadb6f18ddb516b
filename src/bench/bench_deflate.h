/* bench_deflate.h - what `wsx bench --hold N --deflate OFFER` needs of
 * permessage-deflate (RFC 7692): the one compressed message each held connection
 * sends (so the server has inflated and deflated once for it) and the check of the
 * server's answer. The memory a compressed connection keeps is what --hold measures. */
#ifndef WSX_BENCH_DEFLATE_H
#define WSX_BENCH_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/slice.h"

/* The text every --deflate connection sends, compressed as a client compresses a
 * message (raw deflate with a 15-bit window, sync flush, the 4-byte tail removed):
 * n bytes of JSON-like text. Returns a malloc'd buffer (the caller frees it) with
 * *len bytes, or NULL when out of memory. */
uint8_t *bench_deflate_message(size_t n, size_t *len);

/* Does the 101's Sec-WebSocket-Extensions value (NULL: absent) accept
 * permessage-deflate? 1 or 0. */
int bench_deflate_accepted(const wsx_slice_t *ext);

#endif

/* ws_deflate.h - permessage-deflate (RFC 7692): the negotiation of the
 * Sec-WebSocket-Extensions offers (a pure parser over (buf, len)) and the raw
 * deflate streams of a connection (zlib).
 *
 * What wsx answers: the first offer it can accept, always with
 * server_no_context_takeover, so every message it sends is compressed on its own
 * with a deflate stream shared by the worker thread (no per-connection
 * compressor). Messages it receives are inflated with a stream of the connection
 * (allocated at the first compressed message) when the client keeps its context,
 * or with a stream of the worker thread when client_no_context_takeover was
 * agreed. All of it runs on the connection's worker thread. */
#ifndef WSX_WS_DEFLATE_H
#define WSX_WS_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "http/http_parse.h"

/* The accepted offer. Window bits are 0 when the offer did not name the
 * parameter; client_max_window_bits is WS_DEFLATE_BITS_NOVALUE when it was
 * offered without a value (the client lets the server choose). */
typedef struct ws_deflate_params {
    uint8_t server_no_context_takeover; /* offered (wsx answers it in any case) */
    uint8_t client_no_context_takeover;
    uint8_t server_max_window_bits; /* 0, or 8..15 */
    uint8_t client_max_window_bits; /* 0, WS_DEFLATE_BITS_NOVALUE, or 8..15 */
} ws_deflate_params_t;

#define WS_DEFLATE_BITS_NOVALUE 1
/* Messages shorter than this are sent as they are: deflate would not shrink them. */
#define WS_DEFLATE_MIN_SIZE 64

/* Pick the first acceptable permessage-deflate offer of one Sec-WebSocket-
 * Extensions value buf[0..len). RFC 7692 section 5/7: an offer with an unknown
 * parameter, a bad value or a repeated parameter is declined (the next one is
 * tried); other extensions are ignored; a list element that does not parse is
 * skipped to its comma. Returns 1 and fills *out, or 0 when nothing is accepted. */
int ws_deflate_negotiate(const uint8_t *buf, size_t len, ws_deflate_params_t *out);

/* The same over every Sec-WebSocket-Extensions header of a request, in order
 * (several header lines form one list). Returns 1 and fills *out, or 0. */
int ws_deflate_negotiate_request(const http_request_t *req, ws_deflate_params_t *out);

/* Apply a channel's window cap (9..15; 0: none) to an accepted offer: a
 * server_max_window_bits or client_max_window_bits above it is lowered to it (RFC 7692
 * 7.1.2: the answer may name a smaller window than the offer), and
 * client_max_window_bits offered without a value is answered with it. A client that
 * does not offer client_max_window_bits cannot be capped: it keeps 15. */
void ws_deflate_cap(ws_deflate_params_t *p, unsigned cap);

/* Write the response header line "Sec-WebSocket-Extensions: permessage-deflate;
 * ...\r\n" for an accepted offer into out. Returns its length, or 0 if cap is too
 * small (160 bytes is always enough). */
size_t ws_deflate_response(const ws_deflate_params_t *p, char *out, size_t cap);

/* A connection's side of the extension: what was agreed and its own inflater.
 * Zeroed means "not negotiated". 16 bytes in every connection. */
typedef struct ws_deflate {
    struct z_stream_s *inf; /* the client keeps its context: this connection's
                               inflater, allocated at the first compressed
                               message, freed by ws_deflate_free; else NULL */
    uint8_t on;             /* negotiated */
    uint8_t client_no_context_takeover;
    uint8_t inflate_bits; /* the client's window: 9..15 */
    uint8_t deflate_bits; /* ours: 9..15 (8 agreed is compressed with 9, whose
                             matches never reach past 250 bytes) */
    uint8_t rx;           /* the message being received has RSV1 set */
} ws_deflate_t;

/* Start a connection's extension state from the accepted (and capped) offer; `cap`
 * (9..15, 0: none) also bounds the window wsx compresses with when the offer named
 * none. No allocation. */
void ws_deflate_init(ws_deflate_t *d, const ws_deflate_params_t *p, unsigned cap);

/* Free the connection's inflater (if any); d is zeroed. */
void ws_deflate_free(ws_deflate_t *d);

/* Inflate one whole compressed message p[0..n) (the 0x00 0x00 0xff 0xff tail is
 * added here), stopping as soon as the output passes `max` bytes. On 0, *out
 * points to *out_len bytes in a buffer of the worker thread, valid until the next
 * ws_deflate_inflate on this thread. Returns 0, WSX_ETOOBIG (the output passed
 * max: nothing more than max + 1 bytes was produced), WSX_EPROTO (not a valid
 * deflate stream) or WSX_ENOMEM. */
int ws_deflate_inflate(ws_deflate_t *d, const uint8_t *p, size_t n, size_t max, const uint8_t **out,
                       size_t *out_len);

/* Compress one message p[0..n) for sending (the 4-byte tail removed). Returns 1
 * with *out and *out_len in a buffer of the worker thread (valid until the next
 * ws_deflate_compress on this thread), 0 when the message is better sent as it
 * is (short, or deflate did not shrink it), or WSX_ENOMEM. */
int ws_deflate_compress(ws_deflate_t *d, const uint8_t *p, size_t n, const uint8_t **out,
                        size_t *out_len);

/* Give back a worker thread's output buffer if a big message grew it past
 * WS_DEFLATE_KEEP (so one large message does not pin its size for ever): `which` is
 * WS_DEFLATE_TRIM_IN (ws_deflate_inflate's output) and/or WS_DEFLATE_TRIM_OUT
 * (ws_deflate_compress's). Call only when that output is no longer used. */
void ws_deflate_trim(int which);
#define WS_DEFLATE_KEEP (256u << 10)
enum { WS_DEFLATE_TRIM_IN = 1, WS_DEFLATE_TRIM_OUT = 2 };

/* Free the calling worker thread's streams and buffers (at thread exit). */
void ws_deflate_thread_cleanup(void);

#endif

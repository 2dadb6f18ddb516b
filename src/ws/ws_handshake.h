/* ws_handshake.h - the server side of the RFC 6455 opening handshake, as pure
 * functions over a parsed request: check it, compute Sec-WebSocket-Accept, write
 * the 101 response. The caller does the I/O and the path match. */
#ifndef WSX_WS_HANDSHAKE_H
#define WSX_WS_HANDSHAKE_H

#include "http/http_parse.h"

/* Check an upgrade request: GET, HTTP/1.1, Upgrade: websocket, Connection contains
 * Upgrade, a Sec-WebSocket-Key that is base64 of 16 bytes, Sec-WebSocket-Version 13
 * (8 accepted too). Returns 0 and sets *key, WSX_EPROTO for a missing or unsupported
 * version (answer 400 with "Sec-WebSocket-Version: 13"), WSX_EINVAL for anything
 * else (answer 400). */
int ws_handshake_check(const http_request_t *req, wsx_slice_t *key);

/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)), 28 chars + NUL. */
void ws_handshake_accept(wsx_slice_t key, char out[29]);

/* Write "HTTP/1.1 101 Switching Protocols" with Upgrade, Connection and
 * Sec-WebSocket-Accept into out. Returns the length, or 0 if cap is too small
 * (160 bytes is always enough). */
size_t ws_handshake_response(char *out, size_t cap, wsx_slice_t key);

#endif

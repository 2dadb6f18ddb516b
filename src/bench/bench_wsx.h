/* bench_wsx.h - the WSX session protocol as `wsx bench --wsx` speaks it
 * (WSX-PROTOCOL.md): the create-session and invoke-service envelopes it sends, and
 * the checks of the server's replies and pings. Pure functions over (buf, len): no
 * allocation, so the load generator stays free of malloc per message. */
#ifndef WSX_BENCH_WSX_H
#define WSX_BENCH_WSX_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_WSX_TOKEN_LEN 38 /* "zwsxt." + 32 hex digits */
#define BENCH_WSX_SEQ_DIGITS 16 /* a message's sequence number, in hex, fixed width */

/* Where an invoke message's sequence number sits: the same 16 hex digits appear
 * in meta.id and in data.seq, so every message and its data are unique. */
typedef struct bench_wsx_layout {
    size_t len;      /* the whole message */
    size_t id_off;   /* meta.id's value, without its quotes */
    size_t id_len;
    size_t seq_off[2]; /* the digits in meta.id and in data.seq */
    size_t data_off; /* data's value (an object) */
    size_t data_len;
} bench_wsx_layout_t;

/* Write {"meta":{"id":ID,"timestamp":TS,"action":"create-session"},"data":{}} into
 * out. id and ts are plain strings that need no JSON escaping (the generator makes
 * them from hex digits and a timestamp). Returns the length, or WSX_ETOOBIG. */
int bench_wsx_login(char *out, size_t cap, const char *id, const char *ts);

/* Check the answer to a create-session: a zwsx.rspa with status 200, in_reply_to
 * the id sent, and data.token of the form "zwsxt.<32 hex>", copied into
 * token[BENCH_WSX_TOKEN_LEN + 1]. Returns NULL, or a static phrase saying what is
 * wrong (a zwsx.merr is "refused: ..."). */
const char *bench_wsx_check_login(const uint8_t *p, size_t n, const char *id, char *token);

/* Write the invoke message of connection `conn` with sequence number 0:
 * {"meta":{"id":"b<conn>.<seq>","timestamp":TS,"action":"invoke-service","token":TOKEN},
 *  "data":{"seq":"<seq>","text":TEXT}}
 * text is text_len bytes that need no escaping (letters and digits). Fills *lay.
 * Returns the length, or WSX_ETOOBIG. */
int bench_wsx_invoke(char *out, size_t cap, uint32_t conn, const char *ts, const char *token,
                     const char *text, size_t text_len, bench_wsx_layout_t *lay);

/* Patch sequence number `seq` into a message laid out as *lay. With mask non-NULL
 * the message is masked with that key from its first byte (as a frame payload), and
 * the digits are written masked. */
void bench_wsx_set_seq(uint8_t *msg, const bench_wsx_layout_t *lay, uint64_t seq,
                       const uint8_t *mask);

/* Check the answer to an invoke whose plain text is `sent` (laid out as *lay): a
 * zwsx.rspok, status 200, in_reply_to equal to the id sent, data byte for byte the
 * data sent (demo.echo returns it unchanged). Returns NULL or a static phrase. */
const char *bench_wsx_check_reply(const uint8_t *p, size_t n, const uint8_t *sent,
                                  const bench_wsx_layout_t *lay);

/* Check a server PING's payload: a JSON object whose meta.msg_type is "zwsx.rqc"
 * (WSX-PROTOCOL.md 5a). Returns NULL or a static phrase. */
const char *bench_wsx_check_ping(const uint8_t *p, size_t n);

#endif

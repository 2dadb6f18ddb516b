/* bench_wsx.c - the envelopes `wsx bench --wsx` sends and the checks of what the
 * server answers (WSX-PROTOCOL.md sections 2-5a). Replies are checked with the
 * project's strict JSON scanner: the whole document is validated, then the meta
 * keys are looked up, so a reply that merely contains the right bytes somewhere
 * does not pass. */
#include <stdio.h>
#include <string.h>

#include "bench/bench_wsx.h"
#include "common/err.h"
#include "wsx/wsx_json.h"

static const char hexdig[] = "0123456789abcdef";

int bench_wsx_login(char *out, size_t cap, const char *id, const char *ts)
{
    int n = snprintf(out, cap,
                     "{\"meta\":{\"id\":\"%s\",\"timestamp\":\"%s\",\"action\":\"create-session\"},"
                     "\"data\":{}}",
                     id, ts);
    return n < 0 || (size_t)n >= cap ? WSX_ETOOBIG : n;
}

int bench_wsx_invoke(char *out, size_t cap, uint32_t conn, const char *ts, const char *token,
                     const char *text, size_t text_len, bench_wsx_layout_t *lay)
{
    static const char zeros[] = "0000000000000000";
    int a = snprintf(out, cap, "{\"meta\":{\"id\":\"b%08x.", (unsigned)conn);
    if (a < 0 || (size_t)a >= cap)
        return WSX_ETOOBIG;
    lay->id_off = (size_t)a - 10; /* after the quote: "b" + 8 hex + "." */
    lay->seq_off[0] = (size_t)a;
    int b = snprintf(out + a, cap - (size_t)a,
                     "%s\",\"timestamp\":\"%s\",\"action\":\"invoke-service\",\"token\":\"%s\"},"
                     "\"data\":",
                     zeros, ts, token);
    if (b < 0 || (size_t)b >= cap - (size_t)a)
        return WSX_ETOOBIG;
    lay->id_len = 10 + BENCH_WSX_SEQ_DIGITS;
    size_t off = (size_t)a + (size_t)b;
    lay->data_off = off;
    int c = snprintf(out + off, cap - off, "{\"seq\":\"%s\",\"text\":\"%.*s\"}}", zeros,
                     (int)text_len, text);
    if (c < 0 || (size_t)c >= cap - off)
        return WSX_ETOOBIG;
    lay->seq_off[1] = off + 8; /* {"seq":" */
    lay->len = off + (size_t)c;
    lay->data_len = lay->len - 1 - off; /* all but the envelope's closing brace */
    return (int)lay->len;
}

void bench_wsx_set_seq(uint8_t *msg, const bench_wsx_layout_t *lay, uint64_t seq,
                       const uint8_t *mask)
{
    char d[BENCH_WSX_SEQ_DIGITS];
    for (int i = BENCH_WSX_SEQ_DIGITS - 1; i >= 0; i--, seq >>= 4)
        d[i] = hexdig[seq & 15];
    for (int k = 0; k < 2; k++) {
        size_t at = lay->seq_off[k];
        for (size_t i = 0; i < BENCH_WSX_SEQ_DIGITS; i++)
            msg[at + i] = (uint8_t)d[i] ^ (mask ? mask[(at + i) % 4] : 0);
    }
}

/* The reply as an object, and its meta object with msg_type, status and
 * in_reply_to checked against what is expected. Returns NULL or why not. */
static const char *check_head(const uint8_t *p, size_t n, const char *want_type,
                              wsx_slice_t want_reply_to, wsx_slice_t *doc)
{
    if (wsx_json_validate(p, n, NULL, NULL) < 0)
        return "the reply is not valid JSON";
    while (n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n'))
        n--;
    *doc = wsx_slice(p, n);
    wsx_slice_t meta, v;
    if (wsx_json_type(*doc) != WSX_JSON_OBJECT)
        return "the reply is not a JSON object";
    if (wsx_json_object_get(*doc, "meta", &meta) < 0 || wsx_json_type(meta) != WSX_JSON_OBJECT)
        return "the reply has no meta object";
    if (wsx_json_object_get(meta, "msg_type", &v) < 0)
        return "the reply has no meta.msg_type";
    if (wsx_slice_eq(v, "\"zwsx.merr\""))
        return "the server refused the message (zwsx.merr)";
    if (wsx_slice_eq(v, "\"zwsx.rsperr\""))
        return "the server answered with an error (zwsx.rsperr)";
    if (!wsx_slice_eq(v, want_type))
        return "the reply has an unexpected meta.msg_type";
    if (wsx_json_object_get(meta, "status", &v) < 0 || !wsx_slice_eq(v, "200"))
        return "the reply's meta.status is not 200";
    if (wsx_json_object_get(meta, "in_reply_to", &v) < 0)
        return "the reply has no meta.in_reply_to";
    if (v.len != want_reply_to.len || memcmp(v.ptr, want_reply_to.ptr, v.len) != 0)
        return "the reply's meta.in_reply_to is not the id sent";
    if (wsx_json_object_get(meta, "id", &v) < 0 || wsx_json_type(v) != WSX_JSON_STRING)
        return "the reply has no meta.id string";
    return NULL;
}

const char *bench_wsx_check_login(const uint8_t *p, size_t n, const char *id, char *token)
{
    char want[80];
    int wl = snprintf(want, sizeof want, "\"%s\"", id);
    if (wl < 0 || (size_t)wl >= sizeof want)
        return "the login id is too long";
    wsx_slice_t doc, data, tok;
    const char *why = check_head(p, n, "\"zwsx.rspa\"", wsx_slice(want, (size_t)wl), &doc);
    if (why)
        return why;
    if (wsx_json_object_get(doc, "data", &data) < 0 || wsx_json_type(data) != WSX_JSON_OBJECT ||
        wsx_json_object_get(data, "token", &tok) < 0)
        return "the login reply has no data.token";
    if (wsx_json_string_copy(tok, token, BENCH_WSX_TOKEN_LEN + 1) != BENCH_WSX_TOKEN_LEN ||
        memcmp(token, "zwsxt.", 6) != 0 ||
        strspn(token + 6, hexdig) != BENCH_WSX_TOKEN_LEN - 6) {
        token[0] = 0;
        return "the login reply's token is not zwsxt.<32 hex>";
    }
    return NULL;
}

const char *bench_wsx_check_reply(const uint8_t *p, size_t n, const uint8_t *sent,
                                  const bench_wsx_layout_t *lay)
{
    wsx_slice_t doc, data;
    /* the id with its quotes, as the server copies it into in_reply_to */
    const char *why =
        check_head(p, n, "\"zwsx.rspok\"", wsx_slice(sent + lay->id_off - 1, lay->id_len + 2), &doc);
    if (why)
        return why;
    if (wsx_json_object_get(doc, "data", &data) < 0)
        return "the reply has no data";
    if (data.len != lay->data_len || memcmp(data.ptr, sent + lay->data_off, data.len) != 0)
        return "the reply's data is not the data sent";
    return NULL;
}

const char *bench_wsx_check_ping(const uint8_t *p, size_t n)
{
    wsx_slice_t doc = wsx_slice(p, n), meta, v;
    if (wsx_json_validate(p, n, NULL, NULL) < 0 || wsx_json_type(doc) != WSX_JSON_OBJECT)
        return "a ping's payload is not a JSON object";
    if (wsx_json_object_get(doc, "meta", &meta) < 0 || wsx_json_type(meta) != WSX_JSON_OBJECT ||
        wsx_json_object_get(meta, "msg_type", &v) < 0 || !wsx_slice_eq(v, "\"zwsx.rqc\""))
        return "a ping's payload has no meta.msg_type zwsx.rqc";
    return NULL;
}

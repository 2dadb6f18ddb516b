/* test_bench_wsx.c - what `wsx bench --wsx` sends is an envelope the server's own
 * parser reads as meant (create-session; invoke with a unique id and token), the
 * sequence number patches in clear and masked, and the reply checks accept the
 * server's answers and refuse every way an answer can be wrong. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "bench/bench_wsx.h"
#include "common/err.h"
#include "ws/ws_frame.h"
#include "wsx/envelope.h"
#include "wsx/wsx_json.h"

#define TS "2026-11-30T10:00:00.123456"
#define TOKEN "zwsxt.0123456789abcdef0123456789abcdef"

static int slice_is(wsx_slice_t s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

Test(bench_wsx, login_is_a_create_session_envelope)
{
    char buf[200];
    int n = bench_wsx_login(buf, sizeof buf, "l0000002a.00000000", TS);
    cr_assert_gt(n, 0);
    wsx_envelope_t e;
    cr_assert_eq(wsx_envelope_parse((const uint8_t *)buf, (size_t)n, &e), 0, "%s", e.error);
    cr_assert_eq(e.action, WSX_ACTION_CREATE_SESSION);
    cr_assert(slice_is(e.id, "\"l0000002a.00000000\""));
    cr_assert(slice_is(e.timestamp, "\"" TS "\""));
    cr_assert(slice_is(e.data, "{}"));
    cr_assert_eq(bench_wsx_login(buf, 40, "x", TS), WSX_ETOOBIG);
}

static int make_invoke(char *buf, size_t cap, bench_wsx_layout_t *lay)
{
    return bench_wsx_invoke(buf, cap, 42, TS, TOKEN, "HelloWsx20", 10, lay);
}

Test(bench_wsx, invoke_carries_id_token_and_data_with_the_sequence_number)
{
    char buf[512];
    bench_wsx_layout_t lay;
    int n = make_invoke(buf, sizeof buf, &lay);
    cr_assert_gt(n, 0);
    cr_assert_eq((size_t)n, lay.len);
    bench_wsx_set_seq((uint8_t *)buf, &lay, 0x1234abcdull, NULL);

    wsx_envelope_t e;
    cr_assert_eq(wsx_envelope_parse((const uint8_t *)buf, lay.len, &e), 0, "%s", e.error);
    cr_assert_eq(e.action, WSX_ACTION_INVOKE);
    cr_assert(slice_is(e.id, "\"b0000002a.000000001234abcd\""));
    cr_assert(slice_is(e.token, "\"" TOKEN "\""));
    cr_assert(slice_is(e.data, "{\"seq\":\"000000001234abcd\",\"text\":\"HelloWsx20\"}"));
    /* the layout points at exactly these */
    cr_assert_eq(memcmp(buf + lay.id_off, "b0000002a.000000001234abcd", lay.id_len), 0);
    cr_assert_eq(lay.data_len, e.data.len);
    cr_assert_eq((const uint8_t *)buf + lay.data_off, e.data.ptr);

    cr_assert_eq(make_invoke(buf, 100, &lay), WSX_ETOOBIG);
}

Test(bench_wsx, masked_patch_equals_masking_the_patched_message)
{
    static const uint8_t key[4] = {0x37, 0xFA, 0x21, 0x3D};
    char plain[512], masked[512];
    bench_wsx_layout_t lay;
    make_invoke(plain, sizeof plain, &lay);
    memcpy(masked, plain, lay.len);
    ws_frame_unmask((uint8_t *)masked, lay.len, key, 0);
    for (uint64_t seq = 0; seq < 70; seq += 23) {
        bench_wsx_set_seq((uint8_t *)plain, &lay, seq * 0x0123456789ull, NULL);
        bench_wsx_set_seq((uint8_t *)masked, &lay, seq * 0x0123456789ull, key);
        uint8_t check[512];
        memcpy(check, masked, lay.len);
        ws_frame_unmask(check, lay.len, key, 0);
        cr_assert_eq(memcmp(check, plain, lay.len), 0, "seq %llu", (unsigned long long)seq);
    }
}

/* ---- replies, as the server writes them ---- */

static size_t reply(char *out, size_t cap, const char *type, int status, const char *in_reply_to,
                    const char *data)
{
    int n = snprintf(out, cap,
                     "{\"meta\":{\"id\":\"zwsx.0123456789abcdef01234567\",\"timestamp\":\"" TS
                     "\",\"msg_type\":\"%s\",\"status\":%d,\"in_reply_to\":\"%s\"}%s%s}",
                     type, status, in_reply_to, data ? ",\"data\":" : "", data ? data : "");
    return (size_t)n;
}

Test(bench_wsx, login_reply_accepted_and_token_copied)
{
    char r[512], token[BENCH_WSX_TOKEN_LEN + 1];
    size_t n = reply(r, sizeof r, "zwsx.rspa", 200, "l1", "{\"token\":\"" TOKEN "\"}");
    cr_assert_null(bench_wsx_check_login((const uint8_t *)r, n, "l1", token));
    cr_assert_str_eq(token, TOKEN);
}

Test(bench_wsx, login_reply_refused_when_wrong)
{
    char r[512], token[BENCH_WSX_TOKEN_LEN + 1];
    size_t n;
    n = reply(r, sizeof r, "zwsx.rspa", 200, "l2", "{\"token\":\"" TOKEN "\"}");
    cr_assert_not_null(bench_wsx_check_login((const uint8_t *)r, n, "l1", token), "in_reply_to");
    n = reply(r, sizeof r, "zwsx.merr", 403, "l1", "\"You are not authorized\"");
    cr_assert_not_null(bench_wsx_check_login((const uint8_t *)r, n, "l1", token), "merr");
    n = reply(r, sizeof r, "zwsx.rspa", 400, "l1", "{\"token\":\"" TOKEN "\"}");
    cr_assert_not_null(bench_wsx_check_login((const uint8_t *)r, n, "l1", token), "status");
    n = reply(r, sizeof r, "zwsx.rspa", 200, "l1", "{\"token\":\"zwsxt.0123\"}");
    cr_assert_not_null(bench_wsx_check_login((const uint8_t *)r, n, "l1", token), "short token");
    n = reply(r, sizeof r, "zwsx.rspa", 200, "l1",
              "{\"token\":\"zwsxt.0123456789ABCDEF0123456789abcdeg\"}");
    cr_assert_not_null(bench_wsx_check_login((const uint8_t *)r, n, "l1", token), "not hex");
    n = reply(r, sizeof r, "zwsx.rspa", 200, "l1", NULL);
    cr_assert_not_null(bench_wsx_check_login((const uint8_t *)r, n, "l1", token), "no data");
    n = reply(r, sizeof r, "zwsx.rspa", 200, "l1", "{\"token\":\"" TOKEN "\"}");
    cr_assert_not_null(bench_wsx_check_login((const uint8_t *)r, n - 1, "l1", token), "cut");
}

Test(bench_wsx, invoke_reply_accepted_only_for_its_id_and_data)
{
    char sent[512], r[1024], data[256];
    bench_wsx_layout_t lay;
    make_invoke(sent, sizeof sent, &lay);
    bench_wsx_set_seq((uint8_t *)sent, &lay, 7, NULL);
    snprintf(data, sizeof data, "%.*s", (int)lay.data_len, sent + lay.data_off);
    const char *id = "b0000002a.0000000000000007";
    size_t n;

    n = reply(r, sizeof r, "zwsx.rspok", 200, id, data);
    cr_assert_null(bench_wsx_check_reply((const uint8_t *)r, n, (const uint8_t *)sent, &lay));

    /* the answer to the message before, with its data */
    n = reply(r, sizeof r, "zwsx.rspok", 200, "b0000002a.0000000000000006", data);
    cr_assert_not_null(bench_wsx_check_reply((const uint8_t *)r, n, (const uint8_t *)sent, &lay));
    n = reply(r, sizeof r, "zwsx.rspok", 200, id,
              "{\"seq\":\"0000000000000006\",\"text\":\"HelloWsx20\"}");
    cr_assert_not_null(bench_wsx_check_reply((const uint8_t *)r, n, (const uint8_t *)sent, &lay));
    /* equal as JSON but not as sent: the generator wants the bytes back */
    n = reply(r, sizeof r, "zwsx.rspok", 200, id,
              "{\"text\":\"HelloWsx20\",\"seq\":\"0000000000000007\"}");
    cr_assert_not_null(bench_wsx_check_reply((const uint8_t *)r, n, (const uint8_t *)sent, &lay));
    n = reply(r, sizeof r, "zwsx.rsperr", 500, id, "{\"cid\":\"x\"}");
    cr_assert_not_null(bench_wsx_check_reply((const uint8_t *)r, n, (const uint8_t *)sent, &lay));
    n = reply(r, sizeof r, "zwsx.rspok", 200, id, NULL);
    cr_assert_not_null(bench_wsx_check_reply((const uint8_t *)r, n, (const uint8_t *)sent, &lay));
    /* our own message echoed back (a raw channel) is not a reply */
    cr_assert_not_null(
        bench_wsx_check_reply((const uint8_t *)sent, lay.len, (const uint8_t *)sent, &lay));
    /* the right bytes after a document: not one JSON value */
    n = reply(r, sizeof r, "zwsx.rspok", 200, id, data);
    memmove(r + 2, r, n);
    memcpy(r, "{}", 2);
    cr_assert_not_null(bench_wsx_check_reply((const uint8_t *)r, n + 2, (const uint8_t *)sent, &lay));
}

Test(bench_wsx, ping_payload_checked)
{
    const char *ping = "{\"meta\":{\"id\":\"zwsx.0123456789abcdef01234567\",\"timestamp\":\"" TS
                       "\",\"msg_type\":\"zwsx.rqc\"}}";
    cr_assert_null(bench_wsx_check_ping((const uint8_t *)ping, strlen(ping)));
    cr_assert_not_null(bench_wsx_check_ping((const uint8_t *)"", 0));
    cr_assert_not_null(bench_wsx_check_ping((const uint8_t *)"{\"meta\":{}}", 11));
    cr_assert_not_null(bench_wsx_check_ping((const uint8_t *)ping, strlen(ping) - 1));
}

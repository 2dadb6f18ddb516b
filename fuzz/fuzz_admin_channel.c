/* fuzz_admin_channel.c - libFuzzer target for the admin API's channel body: raw
 * bytes parsed with jansson (as admin_reply.c does, plus JSON_ALLOW_NUL so that
 * U+0000 reaches the converter) go through admin_channel_from_json as a POST
 * (partial 0) and as a PATCH (partial 1). A refusal leaves the channel untouched
 * and fills the error; an acceptance passes channel_validate and survives
 * admin_channel_to_json -> admin_channel_from_json unchanged. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_channel_json.h"
#include "channel/channel.h"
#include "common/err.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void check_err(const channel_err_t *e)
{
    CHECK(terminated(e->field, sizeof e->field) && terminated(e->code, sizeof e->code) &&
          terminated(e->message, sizeof e->message));
    static const char *const codes[] = {"invalid",      "required",   "unknown_field",
                                        "too_long",     "out_of_range", "not_allowed"};
    int known = 0;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        known |= strcmp(e->code, codes[i]) == 0;
    if (!known)
        fprintf(stderr, "unexpected code %s (%s: %s)\n", e->code, e->field, e->message);
    CHECK(known);
    CHECK(e->message[0] != '\0');
}

/* The fields a body sets, compared after a round trip. */
static void same(const channel_t *a, const channel_t *b)
{
    CHECK(strcmp(a->name, b->name) == 0 && strcmp(a->address, b->address) == 0);
    CHECK(strcmp(a->service, b->service) == 0 && strcmp(a->hook_service, b->hook_service) == 0);
    CHECK(strcmp(a->gateway_services, b->gateway_services) == 0);
    CHECK(strcmp(a->security, b->security) == 0 && strcmp(a->data_format, b->data_format) == 0);
    CHECK(a->is_active == b->is_active && a->cluster_id == b->cluster_id);
    CHECK(a->new_token_wait_time == b->new_token_wait_time && a->token_ttl == b->token_ttl);
    CHECK(a->ping_interval == b->ping_interval &&
          a->pings_missed_threshold == b->pings_missed_threshold);
    CHECK(a->max_message_size == b->max_message_size && a->log_messages == b->log_messages);
    CHECK(strcmp(a->tls_cert, b->tls_cert) == 0 && strcmp(a->tls_key, b->tls_key) == 0);
    CHECK(a->permessage_deflate == b->permessage_deflate &&
          a->deflate_max_window_bits == b->deflate_max_window_bits);
    CHECK(a->max_connections == b->max_connections &&
          strcmp(a->slow_consumer_policy, b->slow_consumer_policy) == 0);
    CHECK(a->slow_consumer_seconds == b->slow_consumer_seconds &&
          a->write_queue_high_water == b->write_queue_high_water);
}

static void one(const json_t *body, int partial)
{
    channel_t ch, before;
    memset(&ch, 0, sizeof ch);
    channel_defaults(&ch);
    /* a valid current row, so that a PATCH can succeed with few fields */
    snprintf(ch.name, sizeof ch.name, "current");
    snprintf(ch.address, sizeof ch.address, "ws://127.0.0.1:8080/ws");
    snprintf(ch.service, sizeof ch.service, "svc.echo");
    before = ch;
    channel_err_t err;
    memset(&err, 0x55, sizeof err);
    int rc = admin_channel_from_json(body, &ch, partial, &err);
    CHECK(rc == 0 || rc == WSX_EINVAL);
    if (rc != 0) {
        CHECK(memcmp(&ch, &before, sizeof ch) == 0);
        check_err(&err);
        return;
    }
    CHECK(json_is_object(body));
    channel_err_t e2;
    CHECK(channel_validate(&ch, &e2) == 0);
    json_t *shown = admin_channel_to_json(&ch);
    CHECK(shown != NULL);
    channel_t back;
    memset(&back, 0, sizeof back);
    channel_defaults(&back);
    int rc2 = admin_channel_from_json(shown, &back, 0, &e2);
    if (rc2 != 0)
        fprintf(stderr, "round trip refused: %s %s: %s\n", e2.field, e2.code, e2.message);
    CHECK(rc2 == 0);
    same(&ch, &back);
    json_decref(shown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    json_t *body = json_loadb((const char *)data, size,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    one(body, 0);
    one(body, 1);
    json_decref(body);
    return 0;
}

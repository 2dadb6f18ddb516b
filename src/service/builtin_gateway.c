/* builtin_gateway.c - helpers.web-sockets-gateway (WSX-PROTOCOL.md section 4): a
 * client sends {"service": NAME, "request": ANY} and the gateway invokes NAME with
 * `request` as its input, if the channel's allow-list has NAME, and answers what
 * NAME answered. Zato's clients use it for invoke_service(name, request). Order of
 * checks: input (400), allow-list (403), itself (400), deployed (404), so a client
 * learns nothing about names it is not allowed to call. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "service/service_internal.h"

static int is_sep(char c)
{
    return c == ' ' || c == ',' || c == '\n' || c == '\r' || c == '\t';
}

int builtin_gateway_allows(const char *allowed, const char *name, size_t name_len)
{
    if (!allowed || !name_len)
        return 0;
    const char *p = allowed;
    while (*p) {
        while (is_sep(*p))
            p++;
        const char *start = p;
        while (*p && !is_sep(*p))
            p++;
        if ((size_t)(p - start) == name_len && memcmp(start, name, name_len) == 0)
            return 1;
    }
    return 0;
}

static int refuse(wsx_reply_t *reply, int status, const char *fmt, const char *arg)
{
    reply->status = status;
    snprintf(reply->error_message, sizeof reply->error_message, fmt, arg);
    return 0;
}

#define USAGE "the gateway expects a JSON object {\"service\": NAME, \"request\": ANY}"

int builtin_gateway(const wsx_call_t *call, wsx_reply_t *reply, const service_ctx_t *ctx)
{
    json_error_t jerr;
    json_t *in =
        json_loadb((const char *)call->input, call->input_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!in || !json_is_object(in)) {
        json_decref(in);
        return refuse(reply, 400, "%s", USAGE);
    }
    json_t *jname = json_object_get(in, "service");
    if (!json_is_string(jname) || json_string_length(jname) == 0) {
        json_decref(in);
        return refuse(reply, 400, "%s", "\"service\" must be a non-empty string: " USAGE);
    }
    const char *name = json_string_value(jname);
    size_t name_len = json_string_length(jname);
    if (!builtin_gateway_allows(ctx->gateway_allowed, name, name_len)) {
        log_info("gateway: channel \"%s\" does not allow service \"%.200s\"",
                 call->env ? call->env->channel_name : "", name);
        json_decref(in);
        return refuse(reply, 403, "%s", "You are not allowed to access this resource");
    }
    if (strcmp(name, BUILTIN_GATEWAY_NAME) == 0) {
        json_decref(in);
        return refuse(reply, 400, "%s", "the gateway cannot invoke itself");
    }
    /* find, never create: a client must not be able to add slots */
    const service_t *target = service_find_slot(name);
    json_t *req = json_object_get(in, "request"); /* absent: null */
    char *text = json_dumps(req ? req : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text) {
        json_decref(in);
        return WSX_ENOMEM;
    }
    wsx_call_t sub = *call;
    sub.input = (const uint8_t *)text;
    sub.input_len = strlen(text);
    wsx_reply_t out;
    int rc = target ? service_call(target, &sub, &out, ctx) : WSX_ENOTFOUND;
    if (rc == WSX_ENOTFOUND) {
        log_warn("gateway: service \"%.200s\" is not deployed", name);
        rc = refuse(reply, 404, "service \"%.200s\" is not deployed", name);
    } else if (out.status != 200) {
        reply->status = out.status;
        memcpy(reply->error_message, out.error_message, sizeof reply->error_message);
    } else if (out.output_len) {
        /* copied: the output may point into `text`, freed below */
        rc = service_core()->reply_write(reply, out.output, out.output_len);
    }
    free(text);
    json_decref(in);
    return rc;
}

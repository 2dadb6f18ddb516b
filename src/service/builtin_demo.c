/* builtin_demo.c - the demo built-ins. demo.echo answers its input: the output
 * points at the input, so the echo path copies and allocates nothing. demo.ping
 * answers {"pong": "<the server's time, ISO 8601 UTC>"}, on json and raw channels
 * alike (a JSON text either way). */
#include <stdio.h>

#include "service/service_internal.h"

int builtin_demo_echo(const wsx_call_t *call, wsx_reply_t *reply, const service_ctx_t *ctx)
{
    reply->output = call->input;
    reply->output_len = call->input_len;
    return 0;
}

int builtin_demo_ping(const wsx_call_t *call, wsx_reply_t *reply, const service_ctx_t *ctx)
{
    const wsx_core_t *core = service_core();
    char now[40], out[64];
    core->now_iso(now, sizeof now);
    int n = snprintf(out, sizeof out, "{\"pong\":\"%s\"}", now);
    return core->reply_write(reply, out, (size_t)n);
}

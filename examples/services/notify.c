/* notify.c - example.notify, a service that uses the push API. On a json channel
 * it sends the message's data to the caller as a server request (zwsx.rqc with
 * {"notification": DATA}), broadcasts {"from": PUB_CLIENT_ID, "said": DATA} to
 * every logged-in client of the channel, and answers {"queued": true}. Raw
 * connections have no session to push to, so there it answers 400.
 *
 *   cc -shared -fPIC -O2 -Iinclude -o notify.so examples/services/notify.c */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsx/service.h>

static const wsx_core_t *core;

static int notify_init(const wsx_core_t *c, void **state)
{
    core = c;
    core->log(1, "example.notify ready");
    return 0;
}

static int notify_invoke(void *state, const wsx_call_t *call, wsx_reply_t *reply)
{
    if (!call->is_json) {
        core->reply_error(reply, 400,
                          "example.notify needs a json channel: a raw connection "
                          "has no session to push to");
        return 0;
    }
    const wsx_env_t *env = call->env;
    /* the input is one valid JSON value, so wrapping its text keeps it valid */
    size_t cap = call->input_len + 128;
    char *msg = malloc(cap);
    if (!msg)
        return -1;
    int n = snprintf(msg, cap, "{\"notification\":%.*s}", (int)call->input_len,
                     (const char *)call->input);
    int rc = core->push(env->pub_client_id, msg, (size_t)n);
    if (rc == 0) {
        n = snprintf(msg, cap, "{\"from\":\"%s\",\"said\":%.*s}", env->pub_client_id,
                     (int)call->input_len, (const char *)call->input);
        rc = core->broadcast(env->channel_id, msg, (size_t)n);
    }
    free(msg);
    if (rc == WSX_SERVICE_ENOTFOUND) {
        core->reply_error(reply, 404, "the calling connection is gone");
        return 0;
    }
    if (rc < 0)
        return rc; /* wsx answers 500 */
    static const char ok[] = "{\"queued\":true}";
    return core->reply_write(reply, ok, sizeof ok - 1);
}

static const wsx_service_def_t services[] = {
    {"example.notify", "Pushes the message back to the caller and broadcasts it to the channel",
     notify_invoke},
};

const wsx_plugin_t wsx_plugin = {
    .abi_version = WSX_SERVICE_ABI_VERSION,
    .name = "notify",
    .version = "1.0",
    .init = notify_init,
    .services = services,
    .n_services = sizeof services / sizeof services[0],
};

/* hello.c - example.hello, the smallest useful wsx service plugin. It answers
 * {"hello": WHO, "version": N}: on a json channel WHO is the client's
 * ext_client_name (or its pub_client_id), on a raw channel it is the message
 * itself (or the peer's address for an empty one). N is HELLO_VERSION, so
 * `-DHELLO_VERSION=2` builds a version whose answers tell it apart.
 *
 *   cc -shared -fPIC -O2 -Iinclude -o hello.so examples/services/hello.c */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <wsx/service.h>

#ifndef HELLO_VERSION
#define HELLO_VERSION 1
#endif
#define STR2(x) #x
#define STR(x) STR2(x)

static const wsx_core_t *core; /* valid while the plugin is loaded */

static int hello_init(const wsx_core_t *c, void **state)
{
    core = c;
    return 0;
}

/* Append s[0..n) to out as the inside of a JSON string; returns the new length.
 * Stops before a UTF-8 sequence that would not fit. */
static size_t json_escape(char *out, size_t len, size_t cap, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            if (len + 2 >= cap)
                break;
            out[len++] = '\\';
            out[len++] = (char)c;
        } else if (c < 0x20) {
            if (len + 6 >= cap)
                break;
            len += (size_t)snprintf(out + len, cap - len, "\\u%04x", c);
        } else {
            size_t seq = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (len + seq >= cap || i + seq > n)
                break;
            memcpy(out + len, s + i, seq);
            len += seq;
            i += seq - 1;
        }
    }
    return len;
}

static int hello_invoke(void *state, const wsx_call_t *call, wsx_reply_t *reply)
{
    const wsx_env_t *env = call->env;
    const unsigned char *who;
    size_t who_len;
    if (call->is_json) {
        who = (const unsigned char *)(env->ext_client_name[0] ? env->ext_client_name
                                                              : env->pub_client_id);
        who_len = strlen((const char *)who);
    } else if (call->input_len) {
        who = call->input;
        who_len = call->input_len;
    } else {
        who = (const unsigned char *)env->peer_address;
        who_len = strlen(env->peer_address);
    }
    char out[512];
    size_t len = (size_t)snprintf(out, sizeof out, "{\"hello\":\"");
    len = json_escape(out, len, sizeof out - 32, who, who_len > 256 ? 256 : who_len);
    len += (size_t)snprintf(out + len, sizeof out - len, "\",\"version\":%d}", HELLO_VERSION);
    return core->reply_write(reply, out, len);
}

static const wsx_service_def_t services[] = {
    {"example.hello", "Says hello to the caller, with the plugin's version", hello_invoke},
};

const wsx_plugin_t wsx_plugin = {
    .abi_version = WSX_SERVICE_ABI_VERSION,
    .name = "hello",
    .version = STR(HELLO_VERSION),
    .init = hello_init,
    .services = services,
    .n_services = sizeof services / sizeof services[0],
};

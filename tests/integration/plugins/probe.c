/* probe.c - a service plugin for the integration tests (test_session_services.py):
 * services that show a test what wsx hands a service and how it treats what a
 * service answers. probe.env answers the call's environment as JSON; probe.status
 * answers the status and message it is given; probe.bad_output answers text that
 * is not JSON; probe.hook is a channel hook that refuses the client "blocked" and
 * broadcasts every other login (with the server's time) and every close to the
 * channel; probe.push pushes
 * its input to the caller; probe.sleep waits the milliseconds its input names, then
 * answers the input (a service call in flight during a shutdown); probe.crash
 * writes through a bad pointer (SIGSEGV inside a plugin). Built by make into build/examples/test/probe.so:
 *
 *   cc -shared -fPIC -O2 -Iinclude -o probe.so tests/integration/plugins/probe.c -ljansson */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <wsx/service.h>

static const wsx_core_t *core; /* valid while the plugin is loaded */

static int probe_init(const wsx_core_t *c, void **state)
{
    core = c;
    return 0;
}

/* Answer j (consumed) as the reply's output. */
static int reply_json(wsx_reply_t *reply, json_t *j)
{
    if (!j)
        return -1;
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    if (!s)
        return -1;
    int rc = core->reply_write(reply, s, strlen(s));
    free(s);
    return rc;
}

/* The input as a tree; NULL when it is not JSON (a raw channel's bytes). */
static json_t *input_json(const wsx_call_t *call)
{
    return json_loadb((const char *)call->input, call->input_len, JSON_DECODE_ANY, NULL);
}

static int probe_env(void *state, const wsx_call_t *call, wsx_reply_t *reply)
{
    const wsx_env_t *e = call->env;
    json_t *attrs = json_object();
    for (size_t i = 0; i < e->n_attrs; i++)
        json_object_set_new(attrs, e->attrs[i].key, json_string(e->attrs[i].value));
    return reply_json(reply, json_pack("{sI ss ss ss ss ss so ss ss ss ss sb sb}",
                                       "channel_id", (json_int_t)e->channel_id,
                                       "channel_name", e->channel_name,
                                       "data_format", e->data_format,
                                       "pub_client_id", e->pub_client_id,
                                       "ext_client_id", e->ext_client_id,
                                       "ext_client_name", e->ext_client_name,
                                       "attrs", attrs,
                                       "username", e->username,
                                       "peer_address", e->peer_address,
                                       "peer_forwarded_for", e->peer_forwarded_for,
                                       "connection_time", e->connection_time,
                                       "is_json", call->is_json,
                                       "is_binary", call->is_binary));
}

/* {"status": N, "message": M, "output": X, "return": R}: fail with N and M, or
 * answer X when N is 200 (the default); R, when given, is what the function
 * returns (a negative number is a failure of its own). */
static int probe_status(void *state, const wsx_call_t *call, wsx_reply_t *reply)
{
    json_t *in = input_json(call);
    if (!json_is_object(in)) {
        json_decref(in);
        core->reply_error(reply, 400, "probe.status takes an object");
        return 0;
    }
    json_t *st = json_object_get(in, "status"), *msg = json_object_get(in, "message");
    json_t *out = json_object_get(in, "output"), *ret = json_object_get(in, "return");
    int status = json_is_integer(st) ? (int)json_integer_value(st) : 200;
    int rc = json_is_integer(ret) ? (int)json_integer_value(ret) : 0;
    if (status != 200) {
        core->reply_error(reply, status, json_is_string(msg) ? json_string_value(msg) : "");
    } else if (out) {
        json_incref(out);
        int wrc = reply_json(reply, out);
        if (wrc < 0)
            rc = wrc;
    }
    json_decref(in);
    return rc;
}

static int probe_bad_output(void *state, const wsx_call_t *call, wsx_reply_t *reply)
{
    static const char text[] = "this is {not JSON";
    return core->reply_write(reply, text, sizeof text - 1);
}

/* Broadcast j (consumed) to the caller's channel. */
static int broadcast(const wsx_env_t *e, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s)
        return -1;
    int rc = core->broadcast(e->channel_id, s, strlen(s));
    free(s);
    return rc;
}

static int probe_hook(void *state, const wsx_call_t *call, wsx_reply_t *reply)
{
    const wsx_env_t *e = call->env;
    if (call->kind == WSX_CALL_ON_CONNECTED) {
        if (strcmp(e->ext_client_id, "blocked") == 0) {
            core->reply_error(reply, 403, "probe.hook blocks this client");
            return 0;
        }
        char at[64]; /* when the hook ran, to compare with the token reply's time */
        core->now_iso(at, sizeof at);
        return broadcast(e, json_pack("{ss ss ss ss}", "event", "connected", "pub_client_id",
                                      e->pub_client_id, "ext_client_id", e->ext_client_id,
                                      "at", at));
    }
    if (call->kind == WSX_CALL_ON_DISCONNECTED) {
        json_t *in = input_json(call);
        json_t *code = json_object_get(in, "code"), *why = json_object_get(in, "reason");
        json_t *ev = json_pack("{ss ss ss sO sO}", "event", "disconnected", "pub_client_id",
                               e->pub_client_id, "ext_client_id", e->ext_client_id, "code",
                               code ? code : json_null(), "reason", why ? why : json_null());
        json_decref(in);
        return broadcast(e, ev);
    }
    core->reply_error(reply, 400, "probe.hook is a hook, not a service to invoke");
    return 0;
}

static int probe_push(void *state, const wsx_call_t *call, wsx_reply_t *reply)
{
    if (!call->is_json) {
        core->reply_error(reply, 400, "probe.push needs a json channel");
        return 0;
    }
    int rc = core->push(call->env->pub_client_id, (const char *)call->input, call->input_len);
    if (rc == WSX_SERVICE_ENOTFOUND) {
        core->reply_error(reply, 404, "the caller is not connected");
        return 0;
    }
    if (rc < 0)
        return rc;
    static const char ok[] = "{\"pushed\":true}";
    return core->reply_write(reply, ok, sizeof ok - 1);
}

static int probe_sleep(void *state, const wsx_call_t *call, wsx_reply_t *reply)
{
    char ms[16] = "";
    memcpy(ms, call->input, call->input_len < sizeof ms - 1 ? call->input_len : sizeof ms - 1);
    long n = strtol(ms, NULL, 10);
    struct timespec ts = {n / 1000, (n % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return core->reply_write(reply, call->input, call->input_len);
}

static int probe_crash(void *state, const wsx_call_t *call, wsx_reply_t *reply)
{
    volatile uintptr_t bad = 16; /* volatile: the compiler cannot see it is bad */
    *(volatile int *)bad = 1;    /* SIGSEGV, as a buggy plugin would */
    return 0;
}

static const wsx_service_def_t services[] = {
    {"probe.env", "Answers the call's environment", probe_env},
    {"probe.status", "Answers the status and message it is given", probe_status},
    {"probe.bad_output", "Answers text that is not JSON", probe_bad_output},
    {"probe.hook", "A hook: refuses the client \"blocked\", broadcasts logins and closes",
     probe_hook},
    {"probe.push", "Pushes its input to the caller", probe_push},
    {"probe.sleep", "Waits the milliseconds its input names, then answers the input",
     probe_sleep},
    {"probe.crash", "Crashes the process with SIGSEGV", probe_crash},
};

const wsx_plugin_t wsx_plugin = {
    .abi_version = WSX_SERVICE_ABI_VERSION,
    .name = "probe",
    .version = "1",
    .init = probe_init,
    .services = services,
    .n_services = sizeof services / sizeof services[0],
};

/* wsx/service.h - the plugin ABI of wsx services: the only public header.
 *
 * A service is a named handler: wsx calls it for every message a client sends on
 * a channel that names it, with the message and the connection's environment, and
 * sends back what it returns. A plugin is a shared object in the server's services
 * directory that exports one symbol, `wsx_plugin` (a wsx_plugin_t), holding any
 * number of services. Dropping a new version of the .so into the directory
 * replaces the old one while the server runs; calls already running finish on the
 * old code.
 *
 * Threads: a service runs on the worker thread that owns the connection, and the
 * same service runs on several workers at once, so it must be thread-safe. It must
 * not block: a slow call stalls every connection of its worker.
 *
 * Memory: everything wsx hands a service is borrowed for the duration of the call.
 * Output is written with core->reply_write (copied by wsx) or pointed at with
 * reply->output (memory the service owns, which need only stay valid until the call
 * returns: wsx copies it unless it points into the input). */
#ifndef WSX_PUBLIC_SERVICE_H
#define WSX_PUBLIC_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct below changes incompatibly; wsx refuses a plugin built
 * against another version. */
#define WSX_SERVICE_ABI_VERSION 1

/* One client attribute, from meta.attrs ("k=v; k2=v2"). */
typedef struct wsx_attr {
    const char *key;
    const char *value;
} wsx_attr_t;

/* The connection a call comes from (WSX-PROTOCOL.md section 4). Strings are
 * NUL-terminated UTF-8, never NULL ("" when unknown). */
typedef struct wsx_env {
    int64_t channel_id;
    const char *channel_name;
    const char *data_format;        /* "json" or "raw" */
    const char *pub_client_id;      /* "ws.<24 hex>"; "" on raw channels before any id */
    const char *ext_client_id;      /* meta.client_id */
    const char *ext_client_name;    /* meta.client_name, an object flattened to "k: v; k2: v2" */
    const wsx_attr_t *attrs;        /* meta.attrs, parsed */
    size_t n_attrs;
    const char *username;           /* the login's username, "" without credentials */
    const char *peer_address;       /* "IP:PORT" */
    const char *peer_forwarded_for; /* the X-Forwarded-For header of the upgrade, or "" */
    const char *connection_time;    /* ISO 8601 UTC, when the TCP connection was accepted */
} wsx_env_t;

typedef enum wsx_call_kind {
    WSX_CALL_INVOKE = 0,        /* a client message */
    WSX_CALL_ON_CONNECTED = 1,  /* hook: after login, before the token is sent */
    WSX_CALL_ON_DISCONNECTED = 2 /* hook: the connection closed; input is
                                    {"code": N, "reason": "..."} */
} wsx_call_kind_t;

typedef struct wsx_call {
    wsx_call_kind_t kind;
    const wsx_env_t *env;
    /* json channels: one JSON value as UTF-8 text, already validated (a service
     * that wants a tree parses it, e.g. with jansson's json_loadb). raw channels:
     * the message's bytes. Not NUL-terminated. */
    const uint8_t *input;
    size_t input_len;
    int is_json;    /* 1 on json channels */
    int is_binary;  /* raw channels: 1 for a binary message, 0 for text */
} wsx_call_t;

/* What a service answers. wsx sets status 200 and no output before the call. */
typedef struct wsx_reply {
    int status;               /* 200 for success; otherwise an HTTP-like status
                                 (400, 401, 403, 404, 409, 422, 500, ...) sent to
                                 the client in zwsx.rsperr */
    const uint8_t *output;    /* json channels: one JSON value as text (validated
                                 by wsx; invalid output is a 500); raw channels:
                                 bytes. NULL/0: no data. */
    size_t output_len;
    char error_message[256];  /* with a status other than 200: what went wrong */
    void *internal;           /* wsx's; do not touch */
} wsx_reply_t;

/* What wsx offers its services. Every function may be called from any thread,
 * and none blocks: a push is queued for the connection's worker. JSON arguments
 * are one JSON value as text, copied before the call returns. They return 0 or
 * one of the negative codes below. */
#define WSX_SERVICE_EINVAL (-2)   /* invalid argument, e.g. not valid JSON */
#define WSX_SERVICE_ENOMEM (-3)   /* out of memory */
#define WSX_SERVICE_ENOTFOUND (-4) /* no such connection or channel */
typedef struct wsx_core {
    uint32_t abi_version;
    /* Append bytes to the reply's output (copied). Output the service pointed
     * reply->output at itself comes first. */
    int (*reply_write)(wsx_reply_t *reply, const void *data, size_t len);
    /* Set a failure: status and a message for the client. */
    void (*reply_error)(wsx_reply_t *reply, int status, const char *message);
    /* Send a request (zwsx.rqc) with this data to one connection, without waiting
     * for its answer. */
    int (*push)(const char *pub_client_id, const char *json, size_t len);
    /* Send a zwsx.rqc with this data to every logged-in connection of a channel. */
    int (*broadcast)(int64_t channel_id, const char *json, size_t len);
    /* Close a connection with this code (e.g. 4005) and reason. */
    int (*disconnect)(const char *pub_client_id, int code, const char *reason);
    /* Write a line to the server's log. level: 0 debug, 1 info, 2 warning, 3 error. */
    void (*log)(int level, const char *message);
    /* The server's time, ISO 8601 UTC with microseconds, into buf (>= 32 bytes). */
    void (*now_iso)(char *buf, size_t cap);
} wsx_core_t;

/* A service's handler. Returns 0; a negative return is treated as status 500. */
typedef int (*wsx_service_fn)(void *state, const wsx_call_t *call, wsx_reply_t *reply);

typedef struct wsx_service_def {
    const char *name;         /* unique in the server, e.g. "billing.get-invoice" */
    const char *description;
    wsx_service_fn invoke;
} wsx_service_def_t;

/* The one symbol a plugin exports: `const wsx_plugin_t wsx_plugin = {...};` */
typedef struct wsx_plugin {
    uint32_t abi_version;     /* WSX_SERVICE_ABI_VERSION */
    const char *name;         /* the plugin's name, for logs */
    const char *version;      /* free text, shown in GET /api/v1/services */
    /* Optional. Called once after loading, before any call; *state is passed to
     * every invoke. core stays valid while the plugin is loaded. Non-zero refuses
     * the plugin. */
    int (*init)(const wsx_core_t *core, void **state);
    /* Optional. Called once before unloading, after the last call. */
    void (*fini)(void *state);
    const wsx_service_def_t *services;
    size_t n_services;
} wsx_plugin_t;

#ifdef __cplusplus
}
#endif

#endif

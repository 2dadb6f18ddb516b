/* service_internal.h - what the files of src/service/ share and nobody else sees:
 * an implementation (what a slot points at), the per-thread reply buffers of the
 * core API, the built-ins, the plugin loader and the directory watch. The public
 * face of the module is service.h; the plugin ABI is include/wsx/service.h. */
#ifndef WSX_SERVICE_INTERNAL_H
#define WSX_SERVICE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ev/ev.h"
#include "service/service.h"

/* A built-in gets the caller's context (the gateway's allow-list) as well. */
typedef int (*service_builtin_fn)(const wsx_call_t *call, wsx_reply_t *reply,
                                  const service_ctx_t *ctx);

typedef struct service_plugin service_plugin_t;

/* One implementation of a service name. Built-ins are static; a plugin's live
 * as long as the plugin is loaded, and name/description point into it. */
typedef struct service_impl {
    const char *name;
    const char *description;
    service_builtin_fn builtin; /* a built-in: this, */
    wsx_service_fn invoke;      /* a plugin: this with its state */
    void *state;
    const service_plugin_t *plugin; /* NULL for a built-in */
    int reads_env;                  /* 0: ctx->env_fill is not needed */
} service_impl_t;

/* --- service.c */

/* Publish impl (NULL: nothing) in the slot; returns what was there. The old one
 * may still be running on a worker until workers_sync() returns. Control thread. */
const service_impl_t *service_swap(service_t *s, const service_impl_t *impl);
/* The slot's implementation now (NULL: none). Any thread. */
const service_impl_t *service_current(const service_t *s);
/* The existing slot of a name, or NULL; never creates one. Any thread. */
service_t *service_find_slot(const char *name);

/* --- service_core.c */

/* How deep service_call may nest on a thread: the gateway calls one service, and
 * cannot call itself. */
#define SERVICE_MAX_DEPTH 4

/* Prepare reply for a call at nesting depth (0 outermost): status 200, no output,
 * reply->internal at this thread's buffer for that depth, emptied. */
void service_core_reply_begin(wsx_reply_t *reply, unsigned depth);
/* After the call: make reply->output outlive it. Output written with
 * reply_write, or pointing inside the call's input (which the caller owns), is
 * kept as it is; anything else (the service's own memory, only promised until the
 * call returns) is copied into the buffer. Returns 0 or WSX_ENOMEM. */
int service_core_reply_keep(wsx_reply_t *reply, const uint8_t *input, size_t input_len);
/* The service name core->log prefixes its lines with on this thread; returns
 * the previous one, to restore after a nested call. */
const char *service_core_enter(const char *name);

/* --- builtin_demo.c, builtin_gateway.c */

#define BUILTIN_GATEWAY_NAME "helpers.web-sockets-gateway"
int builtin_demo_echo(const wsx_call_t *call, wsx_reply_t *reply, const service_ctx_t *ctx);
int builtin_demo_ping(const wsx_call_t *call, wsx_reply_t *reply, const service_ctx_t *ctx);
int builtin_gateway(const wsx_call_t *call, wsx_reply_t *reply, const service_ctx_t *ctx);
/* Is `name` in the allow-list (names separated by spaces, commas or newlines)? */
int builtin_gateway_allows(const char *allowed, const char *name, size_t name_len);

/* --- service_plugin.c (control thread only) */

/* Load dir/file and put its services in their slots, replacing what the same
 * file provided before; the previous version is unloaded after workers_sync().
 * A file whose bytes did not change since it was loaded is left alone. On any
 * failure: a log_error naming the file and why, and nothing changes. Returns 0
 * or a negative WSX_E*. */
int service_plugin_deploy(const char *dir, const char *file);
/* The file is gone: empty the slots of its services, workers_sync(), unload it.
 * A no-op for a file that is not loaded. */
void service_plugin_undeploy(const char *file);
/* Make the loaded plugins match dir: deploy every *.so there (in name order),
 * undeploy those whose file is gone. */
void service_plugin_sync_dir(const char *dir);
/* Unload every plugin (at stop, after the workers stopped). */
void service_plugin_unload_all(void);
/* The file a plugin was loaded from, and its version string. */
const char *service_plugin_file(const service_plugin_t *p);
const char *service_plugin_version(const service_plugin_t *p);

/* --- service_watch.c (control thread only) */

/* Is this directory entry a plugin? "*.so", not hidden (".x.so" is how a copy in
 * progress is named before `mv`). */
int service_watch_wanted(const char *name);
/* Called for a plugin file that was written or moved in (present 1) or removed or
 * moved out (present 0); file NULL when events were lost and the directory must
 * be scanned again. */
typedef void (*service_watch_cb)(const char *file, int present);
/* Watch dir with inotify on loop. Returns 0 or WSX_EIO. */
int service_watch_start(ev_loop_t *loop, const char *dir, service_watch_cb cb);
void service_watch_stop(void);

#endif

/* service.h - the registry of services inside the server: built-ins (compiled in)
 * and plugins (shared objects speaking include/wsx/service.h, loaded from the
 * services directory and hot-deployed with inotify). A name has one slot for the
 * life of the process; the slot's current implementation is swapped atomically
 * when a plugin is deployed, and the old code is unloaded only after every worker
 * has passed a quiescent point (workers_sync), so a call never runs on unloaded
 * code. */
#ifndef WSX_SERVICE_H
#define WSX_SERVICE_H

#include <stddef.h>

#include "common/slice.h"
#include "ev/ev.h"
#include "wsx/service.h"

typedef struct service service_t;

/* What the caller knows that a built-in may need (not part of the public ABI). */
typedef struct service_ctx {
    const char *gateway_allowed; /* helpers.web-sockets-gateway: the channel's
                                    allow-list, names separated by spaces, commas
                                    or newlines; NULL or "" allows nothing */
    /* Optional: completes the call's environment with what is costly to know (the
     * peer address: a getpeername per message would cost the echo path half its
     * speed). Called with env_arg before a service that may read the environment
     * runs (plugins, the gateway), never for demo.echo or demo.ping; may be called
     * more than once per message (the gateway's target), so it should remember. */
    void (*env_fill)(void *env_arg);
    void *env_arg;
} service_ctx_t;

/* Register the built-ins. Call at start, before anything else here (again: a no-op). */
int service_registry_init(void);

/* Load every *.so in dir (a missing dir is created), then watch it with inotify on
 * `loop` (the control thread's) and hot-deploy new or replaced files. A file that
 * fails to load, lacks `wsx_plugin` or has another ABI version is refused with a
 * log line naming it; whatever served before keeps serving. Returns 0 or a
 * negative WSX_E* if the directory cannot be watched. */
int service_registry_start(ev_loop_t *loop, const char *dir);

/* Stop watching and unload the plugins (after the workers stopped). Their slots
 * stay, empty. */
void service_registry_stop(void);

/* The slot of a name, created (empty) if it never existed, so a channel can name
 * a service deployed later. Stable pointer for the life of the process. Control
 * thread only. NULL only when out of memory. */
service_t *service_slot(const char *name);

/* Is a service of this name loaded now? Any thread. */
int service_is_loaded(const char *name);

/* The slot's name. */
const char *service_name(const service_t *s);

/* Call the slot's current implementation on this thread (a worker or the control
 * thread: those are the threads an unload waits for). reply is initialised
 * here (status 200, no output); on return reply->output is valid until the next
 * service_call on this thread. Returns 0 (the reply says how the service did; a
 * negative return from the service becomes status 500) or WSX_ENOTFOUND when
 * nothing is loaded under the name (reply status 500). Any thread. */
int service_call(const service_t *s, const wsx_call_t *call, wsx_reply_t *reply,
                 const service_ctx_t *ctx);

/* The core API handed to services (push, broadcast, disconnect, reply_write...). */
const wsx_core_t *service_core(void);

/* For GET /api/v1/services: the loaded services. Control thread (a plugin's
 * strings are read here, and plugins are unloaded on that thread). */
typedef struct service_info {
    char name[256];
    char description[512];
    char origin[300]; /* "built-in" or the .so's file name */
    char version[64]; /* the plugin's version, "" for built-ins */
} service_info_t;

/* *items is malloc'd (the caller frees), ordered by name. Returns 0 or WSX_ENOMEM. */
int service_list(service_info_t **items, size_t *n);

#endif

/* service.c - the registry: one slot per service name, created on demand and never
 * freed, holding an atomic pointer to the current implementation. Workers read the
 * slots without locks; only the control thread adds slots (pushed at the head of
 * a list, published with a release store) or swaps implementations. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/log.h"
#include "common/utf8.h"
#include "service/service_internal.h"

struct service {
    _Atomic(const service_impl_t *) cur;
    service_t *next; /* immutable once the slot is published */
    char name[];
};

static _Atomic(service_t *) g_slots;
static int g_inited;
static char g_dir[4096];
static __thread unsigned t_depth;

static const service_impl_t g_builtins[] = {
    {"demo.echo", "Returns its input unchanged", builtin_demo_echo, NULL, NULL, NULL, 0},
    {"demo.ping", "Answers {\"pong\": <the server's time>}", builtin_demo_ping, NULL, NULL, NULL,
     0},
    {BUILTIN_GATEWAY_NAME,
     "Invokes the service named in {\"service\": NAME, \"request\": ANY} if the channel's "
     "allow-list has it",
     builtin_gateway, NULL, NULL, NULL, 1},
};

service_t *service_find_slot(const char *name)
{
    for (service_t *s = atomic_load_explicit(&g_slots, memory_order_acquire); s; s = s->next)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

service_t *service_slot(const char *name)
{
    service_t *s = service_find_slot(name);
    if (s)
        return s;
    size_t n = strlen(name);
    s = calloc(1, sizeof *s + n + 1);
    if (!s)
        return NULL;
    memcpy(s->name, name, n + 1);
    atomic_init(&s->cur, NULL);
    s->next = atomic_load_explicit(&g_slots, memory_order_relaxed);
    atomic_store_explicit(&g_slots, s, memory_order_release);
    return s;
}

const char *service_name(const service_t *s)
{
    return s->name;
}

const service_impl_t *service_current(const service_t *s)
{
    return atomic_load_explicit(&((service_t *)s)->cur, memory_order_acquire);
}

const service_impl_t *service_swap(service_t *s, const service_impl_t *impl)
{
    return atomic_exchange_explicit(&s->cur, impl, memory_order_acq_rel);
}

int service_is_loaded(const char *name)
{
    service_t *s = service_find_slot(name);
    return s && service_current(s) != NULL;
}

int service_registry_init(void)
{
    if (g_inited)
        return 0;
    for (size_t i = 0; i < sizeof g_builtins / sizeof g_builtins[0]; i++) {
        service_t *s = service_slot(g_builtins[i].name);
        if (!s)
            return WSX_ENOMEM;
        service_swap(s, &g_builtins[i]);
    }
    g_inited = 1;
    return 0;
}

static void on_dir_event(const char *file, int present)
{
    if (!file)
        service_plugin_sync_dir(g_dir);
    else if (present)
        service_plugin_deploy(g_dir, file);
    else
        service_plugin_undeploy(file);
}

/* mkdir -p */
static int make_dir(const char *dir)
{
    char p[sizeof g_dir];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, 0755) < 0 && errno != EEXIST)
                return -1;
            *s = '/';
        }
    return mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

int service_registry_start(ev_loop_t *loop, const char *dir)
{
    snprintf(g_dir, sizeof g_dir, "%s", dir);
    if (make_dir(dir) < 0) {
        log_error("cannot create the services directory %s: %s", dir, strerror(errno));
        return WSX_EIO;
    }
    /* watch first, then scan: a file arriving in between is seen twice, and its
     * second deploy is skipped because its bytes did not change */
    int rc = service_watch_start(loop, dir, on_dir_event);
    if (rc < 0)
        return rc;
    service_plugin_sync_dir(dir);
    log_info("services: plugins from %s, watched for changes", dir);
    return 0;
}

void service_registry_stop(void)
{
    service_watch_stop();
    service_plugin_unload_all();
}

/* The message for a status a service set without one. */
static const char *default_message(int status)
{
    switch (status) {
    case 400:
        return "Bad request";
    case 401:
        return "Unauthorized";
    case 403:
        return "You are not allowed to access this resource";
    case 404:
        return "Not found";
    case 409:
        return "Conflict";
    case 422:
        return "Unprocessable entity";
    default:
        return "Internal server error";
    }
}

static void fail_500(wsx_reply_t *reply)
{
    reply->status = 500;
    reply->output = NULL;
    reply->output_len = 0;
    snprintf(reply->error_message, sizeof reply->error_message, "Internal server error");
}

int service_call(const service_t *s, const wsx_call_t *call, wsx_reply_t *reply,
                 const service_ctx_t *ctx)
{
    const service_impl_t *im = service_current(s);
    service_core_reply_begin(reply, t_depth); /* past the limit: no buffer */
    if (!im) {
        fail_500(reply);
        return WSX_ENOTFOUND;
    }
    if (t_depth >= SERVICE_MAX_DEPTH) {
        log_error("service %s: calls nested deeper than %d", s->name, SERVICE_MAX_DEPTH);
        fail_500(reply);
        return 0;
    }
    static const service_ctx_t no_ctx = {0};
    if (im->reads_env && ctx && ctx->env_fill)
        ctx->env_fill(ctx->env_arg);
    const char *prev = service_core_enter(s->name);
    t_depth++;
    int rc = im->builtin ? im->builtin(call, reply, ctx ? ctx : &no_ctx)
                         : im->invoke(im->state, call, reply);
    t_depth--;
    service_core_enter(prev);
    if (rc < 0) {
        log_warn("service %s failed (it returned %d)", s->name, rc);
        fail_500(reply);
        return 0;
    }
    if (reply->status < 100 || reply->status > 599) {
        log_warn("service %s answered status %d, which is not an HTTP status", s->name,
                 reply->status);
        fail_500(reply);
        return 0;
    }
    if (reply->status != 200) {
        reply->output = NULL;
        reply->output_len = 0;
        /* the client sees this text: it must be a string, and valid UTF-8 */
        reply->error_message[sizeof reply->error_message - 1] = 0;
        size_t n = strlen(reply->error_message);
        if (n == 0 || utf8_validate((const uint8_t *)reply->error_message, n) < 0)
            snprintf(reply->error_message, sizeof reply->error_message, "%s",
                     default_message(reply->status));
        return 0;
    }
    if (service_core_reply_keep(reply, call->input, call->input_len) < 0) {
        log_error("service %s: out of memory for its output", s->name);
        fail_500(reply);
    }
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const service_info_t *)a)->name, ((const service_info_t *)b)->name);
}

int service_list(service_info_t **items, size_t *n)
{
    size_t count = 0, i = 0;
    for (service_t *s = atomic_load_explicit(&g_slots, memory_order_acquire); s; s = s->next)
        count++;
    *items = NULL;
    *n = 0;
    service_info_t *out = calloc(count ? count : 1, sizeof *out);
    if (!out)
        return WSX_ENOMEM;
    for (service_t *s = atomic_load_explicit(&g_slots, memory_order_acquire); s; s = s->next) {
        const service_impl_t *im = service_current(s);
        if (!im || i == count)
            continue;
        service_info_t *it = &out[i++];
        snprintf(it->name, sizeof it->name, "%s", s->name);
        snprintf(it->description, sizeof it->description, "%s",
                 im->description ? im->description : "");
        snprintf(it->origin, sizeof it->origin, "%s",
                 im->plugin ? service_plugin_file(im->plugin) : "built-in");
        snprintf(it->version, sizeof it->version, "%s",
                 im->plugin ? service_plugin_version(im->plugin) : "");
    }
    qsort(out, i, sizeof *out, by_name);
    *items = out;
    *n = i;
    return 0;
}

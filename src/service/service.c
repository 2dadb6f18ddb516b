/* service.c - TEMPORARY minimal registry (demo.echo only) until the services
 * branch lands. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "service/service.h"

struct service {
    const char *name;
};

static struct service echo = {"demo.echo"};

int service_registry_init(void) { return 0; }
int service_registry_start(ev_loop_t *loop, const char *dir) { return 0; }
void service_registry_stop(void) {}
service_t *service_slot(const char *name) { return strcmp(name, "demo.echo") == 0 ? &echo : NULL; }
int service_is_loaded(const char *name) { return strcmp(name, "demo.echo") == 0; }
const char *service_name(const service_t *s) { return s->name; }
int service_call(const service_t *s, const wsx_call_t *call, wsx_reply_t *reply,
                 const service_ctx_t *ctx)
{
    memset(reply, 0, sizeof *reply);
    reply->status = 200;
    if (!s) { reply->status = 500; return WSX_ENOTFOUND; }
    reply->output = call->input;
    reply->output_len = call->input_len;
    return 0;
}
const wsx_core_t *service_core(void) { return NULL; }
int service_list(service_info_t **items, size_t *n)
{
    *items = calloc(1, sizeof **items);
    strcpy((*items)[0].name, "demo.echo");
    strcpy((*items)[0].origin, "built-in");
    *n = 1;
    return 0;
}

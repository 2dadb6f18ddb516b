/* service.c - the registry of built-in services. Immutable after start-up, so
 * workers read it without locks. Plugins (dlopen) come in a later issue. */
#include <string.h>

#include "service/service.h"

/* demo.echo: returns its input unchanged. The output borrows the input, so the
 * echo path copies nothing and allocates nothing. */
static int demo_echo(const service_call_t *call, service_result_t *res)
{
    res->output = call->input;
    res->status = 200;
    return 0;
}

static const service_t services[] = {
    {"demo.echo", "Returns its input unchanged", demo_echo},
};

const service_t *service_find(const char *name)
{
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        if (strcmp(services[i].name, name) == 0)
            return &services[i];
    return NULL;
}

const service_t *service_all(size_t *n)
{
    *n = sizeof services / sizeof services[0];
    return services;
}

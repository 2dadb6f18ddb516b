/* plugin_fixture.c - a plugin for the service tests, built in several variants by
 * the Makefile (build/examples/test/): FIXTURE_ABI (another ABI version),
 * FIXTURE_INIT_RC (init fails), FIXTURE_SERVICE (the service's name, e.g. a
 * built-in's), FIXTURE_ANSWER (what it answers). Its fini appends "fini ANSWER"
 * to the file named by $WSX_FIXTURE_FINI_LOG, so a test sees when it is
 * unloaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsx/service.h>

#ifndef FIXTURE_ABI
#define FIXTURE_ABI WSX_SERVICE_ABI_VERSION
#endif
#ifndef FIXTURE_INIT_RC
#define FIXTURE_INIT_RC 0
#endif
#ifndef FIXTURE_SERVICE
#define FIXTURE_SERVICE "fixture.answer"
#endif
#ifndef FIXTURE_ANSWER
#define FIXTURE_ANSWER "1"
#endif

static const wsx_core_t *core;

static int fixture_init(const wsx_core_t *c, void **state)
{
    core = c;
    *state = (void *)FIXTURE_ANSWER;
    return FIXTURE_INIT_RC;
}

static void fixture_fini(void *state)
{
    const char *path = getenv("WSX_FIXTURE_FINI_LOG");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (f) {
        fprintf(f, "fini %s\n", (const char *)state);
        fclose(f);
    }
}

/* Answers FIXTURE_ANSWER, from the state init set. */
static int fixture_invoke(void *state, const wsx_call_t *call, wsx_reply_t *reply)
{
    return core->reply_write(reply, state, strlen(state));
}

/* Fails: a negative return becomes 500. */
static int fixture_fail(void *state, const wsx_call_t *call, wsx_reply_t *reply)
{
    return -1;
}

/* Points reply->output at its own static memory, not written with reply_write. */
static int fixture_static(void *state, const wsx_call_t *call, wsx_reply_t *reply)
{
    static const char text[] = "static output";
    reply->output = (const unsigned char *)text;
    reply->output_len = sizeof text - 1;
    return 0;
}

static const wsx_service_def_t services[] = {
    {FIXTURE_SERVICE, "The fixture's answer", fixture_invoke},
    {FIXTURE_SERVICE ".fail", "Always fails", fixture_fail},
    {FIXTURE_SERVICE ".static", "Answers from static memory", fixture_static},
};

const wsx_plugin_t wsx_plugin = {
    .abi_version = FIXTURE_ABI,
    .name = "fixture",
    .version = "fixture-" FIXTURE_ANSWER,
    .init = fixture_init,
    .fini = fixture_fini,
    .services = services,
    .n_services = sizeof services / sizeof services[0],
};

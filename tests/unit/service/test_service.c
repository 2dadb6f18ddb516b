/* test_service.c - the service registry: the built-ins, the gateway's checks,
 * service_call's rules (defaults, 500s, output ownership, the reply buffer), and
 * plugins loaded from .so files built by the Makefile (build/examples/): deploy,
 * replace, refuse (not ELF, wrong ABI, init failure, a built-in's name), remove,
 * and a hot deploy seen through inotify. Run from the repository root (make unit). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "service/service_internal.h"

#define PLUGINS "build/examples/"
#define GW "helpers.web-sockets-gateway"

static const wsx_env_t env = {.channel_id = 7,
                              .channel_name = "test",
                              .data_format = "json",
                              .pub_client_id = "ws.0123456789abcdef01234567",
                              .ext_client_id = "",
                              .ext_client_name = "",
                              .username = "",
                              .peer_address = "127.0.0.1:5000",
                              .peer_forwarded_for = "",
                              .connection_time = ""};

static wsx_call_t json_call(const char *text)
{
    return (wsx_call_t){.kind = WSX_CALL_INVOKE,
                        .env = &env,
                        .input = (const uint8_t *)text,
                        .input_len = strlen(text),
                        .is_json = 1};
}

static int call_name(const char *name, const char *input, wsx_reply_t *reply, const char *allowed)
{
    service_ctx_t ctx = {.gateway_allowed = allowed};
    wsx_call_t c = json_call(input);
    return service_call(service_slot(name), &c, reply, &ctx);
}

static void setup(void)
{
    cr_assert_eq(service_registry_init(), 0);
}

static char *output(const wsx_reply_t *r)
{
    static char buf[131072];
    cr_assert_lt(r->output_len, sizeof buf);
    memcpy(buf, r->output ? (const char *)r->output : "", r->output_len);
    buf[r->output_len] = 0;
    return buf;
}

TestSuite(service, .init = setup);

/* --------------------------------------------------------------- built-ins */

static int g_fills;

static void count_fill(void *arg)
{
    g_fills++;
}

Test(service, echo_answers_its_input_without_copying)
{
    const char *in = "{\"x\":[1,2,3]}";
    wsx_call_t c = json_call(in);
    wsx_reply_t r;
    cr_assert_eq(service_call(service_slot("demo.echo"), &c, &r, NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.output, (const uint8_t *)in, "the echo must point at its input");
    cr_assert_eq(r.output_len, strlen(in));
}

Test(service, env_fill_runs_only_for_services_that_read_the_environment)
{
    service_ctx_t ctx = {.gateway_allowed = "demo.echo", .env_fill = count_fill};
    wsx_call_t c = json_call("{\"service\":\"demo.echo\"}");
    wsx_reply_t r;
    g_fills = 0;
    cr_assert_eq(service_call(service_slot("demo.echo"), &c, &r, &ctx), 0);
    cr_assert_eq(service_call(service_slot("demo.ping"), &c, &r, &ctx), 0);
    cr_assert_eq(g_fills, 0, "the echo path must not pay for the environment");
    cr_assert_eq(service_call(service_slot(GW), &c, &r, &ctx), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_geq(g_fills, 1, "the gateway passes the environment on");
}

Test(service, ping_answers_pong_with_the_server_time)
{
    wsx_reply_t r;
    cr_assert_eq(call_name("demo.ping", "null", &r, NULL), 0);
    cr_assert_eq(r.status, 200);
    json_t *j = json_loadb((const char *)r.output, r.output_len, 0, NULL);
    cr_assert_not_null(j, "not JSON: %s", output(&r));
    const char *t = json_string_value(json_object_get(j, "pong"));
    cr_assert_not_null(t);
    /* 2024-05-01T12:34:56.123456Z */
    cr_assert_eq(strlen(t), 27, "%s", t);
    cr_assert_eq(t[4], '-');
    cr_assert_eq(t[10], 'T');
    cr_assert_eq(t[19], '.');
    cr_assert_eq(t[26], 'Z');
    json_decref(j);
}

Test(service, builtins_are_listed_with_their_origin)
{
    service_info_t *items;
    size_t n;
    cr_assert_eq(service_list(&items, &n), 0);
    const char *want[] = {"demo.echo", "demo.ping", "helpers.web-sockets-gateway"};
    cr_assert_eq(n, 3);
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(items[i].name, want[i]); /* ordered by name */
        cr_assert_str_eq(items[i].origin, "built-in");
        cr_assert_str_eq(items[i].version, "");
        cr_assert_neq(items[i].description[0], 0);
    }
    free(items);
}

/* ----------------------------------------------------------------- gateway */

Test(service, gateway_invokes_an_allowed_service_with_the_request)
{
    wsx_reply_t r;
    cr_assert_eq(call_name(GW, "{\"service\":\"demo.echo\",\"request\":{\"a\": [1, \"x\"]}}", &r,
                           "demo.ping, demo.echo\nother"),
                 0);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.error_message);
    cr_assert_str_eq(output(&r), "{\"a\":[1,\"x\"]}");
}

Test(service, gateway_passes_null_when_the_request_is_absent)
{
    wsx_reply_t r;
    cr_assert_eq(call_name(GW, "{\"service\":\"demo.echo\"}", &r, "demo.echo"), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(output(&r), "null");
}

Test(service, gateway_refuses_a_service_not_in_the_allow_list)
{
    const char *lists[] = {NULL, "", "demo.ping", "demo.echo2 xdemo.echo", "demo.ech"};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        wsx_reply_t r;
        cr_assert_eq(call_name(GW, "{\"service\":\"demo.echo\",\"request\":1}", &r, lists[i]), 0);
        cr_assert_eq(r.status, 403, "allow-list \"%s\"", lists[i] ? lists[i] : "(null)");
        cr_assert_str_eq(r.error_message, "You are not allowed to access this resource");
        cr_assert_eq(r.output_len, 0);
    }
}

Test(service, gateway_answers_400_to_bad_input)
{
    const char *bad[] = {"",
                         "not json",
                         "[1,2]",
                         "\"demo.echo\"",
                         "{}",
                         "{\"service\":1}",
                         "{\"service\":\"\"}",
                         "{\"service\":\"demo.echo\",\"service\":\"x\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wsx_reply_t r;
        cr_assert_eq(call_name(GW, bad[i], &r, "demo.echo x"), 0);
        cr_assert_eq(r.status, 400, "input %s", bad[i]);
        cr_assert(strstr(r.error_message, "service"), "%s", r.error_message);
    }
}

Test(service, gateway_cannot_invoke_itself_even_if_allowed)
{
    wsx_reply_t r;
    cr_assert_eq(call_name(GW, "{\"service\":\"" GW "\",\"request\":{\"service\":\"demo.echo\"}}",
                           &r, GW " demo.echo"),
                 0);
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(r.error_message, "itself"), "%s", r.error_message);
}

Test(service, gateway_answers_404_for_an_allowed_service_not_deployed)
{
    wsx_reply_t r;
    cr_assert_eq(call_name(GW, "{\"service\":\"no.such\"}", &r, "no.such"), 0);
    cr_assert_eq(r.status, 404);
    cr_assert(strstr(r.error_message, "no.such"), "%s", r.error_message);
    /* a name sent by a client does not create a slot */
    cr_assert_null(service_find_slot("no.such"));
}

Test(service, gateway_allow_list_separators)
{
    cr_assert(builtin_gateway_allows("a,b c\nd\r\ne\tf", "d", 1));
    cr_assert(builtin_gateway_allows(",,a,,", "a", 1));
    cr_assert_not(builtin_gateway_allows("ab", "a", 1));
    cr_assert_not(builtin_gateway_allows("a", "ab", 2));
    cr_assert_not(builtin_gateway_allows("a b", "", 0));
}

/* ----------------------------------------------------------- service_call */

Test(service, an_empty_slot_answers_500_and_enotfound)
{
    service_t *s = service_slot("later.deployed");
    cr_assert_not_null(s);
    cr_assert_not(service_is_loaded("later.deployed"));
    wsx_call_t c = json_call("1");
    wsx_reply_t r;
    cr_assert_eq(service_call(s, &c, &r, NULL), WSX_ENOTFOUND);
    cr_assert_eq(r.status, 500);
    cr_assert_str_eq(r.error_message, "Internal server error");
    cr_assert_eq(service_slot("later.deployed"), s, "a slot is stable");
    cr_assert_str_eq(service_name(s), "later.deployed");
}

static int svc_mode;
static char own[] = "own:";

/* A built-in for the tests, swapped into a slot. */
static int test_svc(const wsx_call_t *call, wsx_reply_t *reply, const service_ctx_t *ctx)
{
    const wsx_core_t *core = service_core();
    switch (svc_mode) {
    case 0: /* 100 KB in uneven pieces */
        for (int i = 0; i < 1000; i++) {
            char piece[128];
            int n = snprintf(piece, sizeof piece, "%d,", i);
            memset(piece + n, 'x', 97 - (size_t)n);
            if (core->reply_write(reply, piece, 97) < 0)
                return -1;
        }
        return 0;
    case 1: /* its own memory first, then appended to */
        reply->output = (const uint8_t *)own;
        reply->output_len = 4;
        return core->reply_write(reply, call->input, call->input_len);
    case 2:
        return -5;
    case 3:
        reply->status = 700;
        return 0;
    case 4:
        reply->status = 404; /* no message */
        return 0;
    case 5:
        core->reply_error(reply, 409, "already there");
        return 0;
    case 6: /* own memory, not copied by the service: wsx must copy it */
        reply->output = (const uint8_t *)own;
        reply->output_len = 4;
        return 0;
    }
    return 0;
}

static const service_impl_t test_impl = {"test.svc", "", test_svc, NULL, NULL, NULL, 0};

static wsx_reply_t run_test_svc(int mode, const char *input)
{
    svc_mode = mode;
    service_swap(service_slot("test.svc"), &test_impl);
    wsx_reply_t r;
    wsx_call_t c = json_call(input);
    cr_assert_eq(service_call(service_slot("test.svc"), &c, &r, NULL), 0);
    return r;
}

Test(service, reply_write_grows_the_buffer_and_keeps_it_warm)
{
    wsx_reply_t r = run_test_svc(0, "1");
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.output_len, 97000);
    char *o = output(&r);
    cr_assert_eq(strncmp(o, "0,xx", 4), 0);
    cr_assert_eq(strncmp(o + 97 * 999, "999,", 4), 0);
    const uint8_t *first = r.output;
    r = run_test_svc(0, "1");
    cr_assert_eq(r.output, first, "a warm thread reuses its buffer");
}

Test(service, reply_write_appends_to_output_the_service_pointed_at)
{
    wsx_reply_t r = run_test_svc(1, "\"abc\"");
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(output(&r), "own:\"abc\"");
}

Test(service, output_in_the_services_own_memory_is_copied)
{
    wsx_reply_t r = run_test_svc(6, "1");
    cr_assert_neq((const void *)r.output, (const void *)own);
    own[0] = 'X'; /* the copy outlives the service's memory */
    cr_assert_str_eq(output(&r), "own:");
}

Test(service, a_negative_return_is_a_500)
{
    wsx_reply_t r = run_test_svc(2, "1");
    cr_assert_eq(r.status, 500);
    cr_assert_str_eq(r.error_message, "Internal server error");
    cr_assert_eq(r.output_len, 0);
}

Test(service, a_status_that_is_not_http_is_a_500)
{
    wsx_reply_t r = run_test_svc(3, "1");
    cr_assert_eq(r.status, 500);
}

Test(service, an_error_without_a_message_gets_one)
{
    wsx_reply_t r = run_test_svc(4, "1");
    cr_assert_eq(r.status, 404);
    cr_assert_str_eq(r.error_message, "Not found");
    r = run_test_svc(5, "1");
    cr_assert_eq(r.status, 409);
    cr_assert_str_eq(r.error_message, "already there");
}

Test(service, reply_error_cuts_a_long_message_on_a_code_point)
{
    wsx_reply_t r = {0};
    char msg[600];
    for (size_t i = 0; i + 2 < sizeof msg; i += 2)
        memcpy(msg + i, "\xc3\xa9", 2); /* é */
    msg[598] = 0;
    service_core()->reply_error(&r, 422, msg);
    cr_assert_eq(r.status, 422);
    size_t n = strlen(r.error_message);
    cr_assert_leq(n, 255);
    cr_assert_eq(n % 2, 0, "cut inside a two-byte sequence: %zu", n);
}

/* ----------------------------------------------------------------- plugins */

static char g_dir[256], g_fini[300];

static void copy_file(const char *from, const char *to)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.part", to);
    FILE *in = fopen(from, "rb");
    cr_assert_not_null(in, "%s is missing: build it with make", from);
    FILE *out = fopen(tmp, "wb");
    cr_assert_not_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        cr_assert_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    cr_assert_eq(fclose(out), 0);
    cr_assert_eq(rename(tmp, to), 0);
}

static void put(const char *from, const char *file)
{
    char to[512];
    snprintf(to, sizeof to, "%s/%s", g_dir, file);
    copy_file(from, to);
}

static void plugins_setup(void)
{
    setup();
    snprintf(g_dir, sizeof g_dir, "/tmp/wsx-service-test-XXXXXX");
    cr_assert_not_null(mkdtemp(g_dir));
    snprintf(g_fini, sizeof g_fini, "%s/.fini-log", g_dir);
    setenv("WSX_FIXTURE_FINI_LOG", g_fini, 1);
}

static void plugins_teardown(void)
{
    service_registry_stop();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    cr_assert_eq(system(cmd), 0);
}

static const char *fini_log(void)
{
    static char buf[1024];
    buf[0] = 0;
    FILE *f = fopen(g_fini, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
    }
    return buf;
}

static const char *answer(const char *name)
{
    wsx_reply_t r;
    int rc = call_name(name, "{}", &r, NULL);
    if (rc == WSX_ENOTFOUND)
        return "(not loaded)";
    cr_assert_eq(rc, 0);
    if (r.status != 200) {
        static char err[300];
        snprintf(err, sizeof err, "%d %s", r.status, r.error_message);
        return err;
    }
    return output(&r);
}

TestSuite(plugin, .init = plugins_setup, .fini = plugins_teardown);

Test(plugin, the_example_hello_answers_on_json_and_raw_channels)
{
    put(PLUGINS "hello.so", "hello.so");
    cr_assert_eq(service_plugin_deploy(g_dir, "hello.so"), 0);
    cr_assert(service_is_loaded("example.hello"));
    cr_assert_str_eq(answer("example.hello"),
                     "{\"hello\":\"ws.0123456789abcdef01234567\",\"version\":1}");
    wsx_call_t raw = {.kind = WSX_CALL_INVOKE,
                      .env = &env,
                      .input = (const uint8_t *)"Ann \"A\"",
                      .input_len = 7};
    wsx_reply_t r;
    cr_assert_eq(service_call(service_slot("example.hello"), &raw, &r, NULL), 0);
    cr_assert_str_eq(output(&r), "{\"hello\":\"Ann \\\"A\\\"\",\"version\":1}");
}

Test(plugin, a_plugin_gets_the_environment_completed)
{
    put(PLUGINS "hello.so", "hello.so");
    cr_assert_eq(service_plugin_deploy(g_dir, "hello.so"), 0);
    g_fills = 0;
    service_ctx_t ctx = {.env_fill = count_fill};
    wsx_call_t raw = {
        .kind = WSX_CALL_INVOKE, .env = &env, .input = (const uint8_t *)"", .input_len = 0};
    wsx_reply_t r;
    cr_assert_eq(service_call(service_slot("example.hello"), &raw, &r, &ctx), 0);
    cr_assert_eq(g_fills, 1);
    cr_assert_str_eq(output(&r), "{\"hello\":\"127.0.0.1:5000\",\"version\":1}");
}

Test(plugin, the_example_notify_refuses_raw_and_reports_a_missing_connection)
{
    put(PLUGINS "notify.so", "notify.so");
    cr_assert_eq(service_plugin_deploy(g_dir, "notify.so"), 0);
    wsx_call_t raw = {
        .kind = WSX_CALL_INVOKE, .env = &env, .input = (const uint8_t *)"x", .input_len = 1};
    wsx_reply_t r;
    cr_assert_eq(service_call(service_slot("example.notify"), &raw, &r, NULL), 0);
    cr_assert_eq(r.status, 400);
    /* no session registry behind this test: the caller's pub_client_id is unknown */
    cr_assert_str_eq(answer("example.notify"), "404 the calling connection is gone");
}

Test(plugin, a_replaced_plugin_answers_with_the_new_code_and_the_old_is_unloaded)
{
    put(PLUGINS "test/fixture-1.so", "fixture.so");
    cr_assert_eq(service_plugin_deploy(g_dir, "fixture.so"), 0);
    cr_assert_str_eq(answer("fixture.answer"), "1");
    cr_assert_str_eq(answer("fixture.answer.static"), "static output");
    cr_assert_str_eq(answer("fixture.answer.fail"), "500 Internal server error");
    cr_assert_str_eq(fini_log(), "");

    put(PLUGINS "test/fixture-2.so", "fixture.so");
    cr_assert_eq(service_plugin_deploy(g_dir, "fixture.so"), 0);
    cr_assert_str_eq(answer("fixture.answer"), "2");
    cr_assert_str_eq(fini_log(), "fini 1\n", "the old version is finalised once");

    service_info_t *items;
    size_t n;
    cr_assert_eq(service_list(&items, &n), 0);
    int seen = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].name, "fixture.answer") == 0) {
            cr_assert_str_eq(items[i].origin, "fixture.so");
            cr_assert_str_eq(items[i].version, "fixture-2");
            cr_assert_str_eq(items[i].description, "The fixture's answer");
            seen = 1;
        }
    free(items);
    cr_assert(seen);
}

Test(plugin, the_same_bytes_again_are_not_reloaded)
{
    put(PLUGINS "test/fixture-1.so", "fixture.so");
    cr_assert_eq(service_plugin_deploy(g_dir, "fixture.so"), 0);
    put(PLUGINS "test/fixture-1.so", "fixture.so");
    cr_assert_eq(service_plugin_deploy(g_dir, "fixture.so"), 0);
    cr_assert_str_eq(fini_log(), "", "an identical file must not be reloaded");
}

/* Deploy `bad` over a working fixture.so: refused, the old one keeps serving. */
static void refused_over_working(const char *bad_path, const char *bad_bytes)
{
    put(PLUGINS "test/fixture-1.so", "fixture.so");
    cr_assert_eq(service_plugin_deploy(g_dir, "fixture.so"), 0);
    if (bad_path) {
        put(bad_path, "fixture.so");
    } else {
        char p[512];
        snprintf(p, sizeof p, "%s/fixture.so", g_dir);
        FILE *f = fopen(p, "wb");
        fputs(bad_bytes, f);
        fclose(f);
    }
    cr_assert_lt(service_plugin_deploy(g_dir, "fixture.so"), 0);
    cr_assert_str_eq(answer("fixture.answer"), "1", "the old version must keep serving");
    cr_assert_str_eq(fini_log(), "");
}

Test(plugin, a_file_that_is_not_elf_is_refused)
{
    refused_over_working(NULL, "this is not a shared object\n");
    /* and alone: nothing loaded */
    char p[512];
    snprintf(p, sizeof p, "%s/junk.so", g_dir);
    FILE *f = fopen(p, "wb");
    fputs("\x7f"
          "ELF but not really",
          f);
    fclose(f);
    cr_assert_lt(service_plugin_deploy(g_dir, "junk.so"), 0);
}

Test(plugin, a_plugin_of_another_abi_version_is_refused)
{
    refused_over_working(PLUGINS "test/wrong-abi.so", NULL);
    put(PLUGINS "test/wrong-abi.so", "alone.so");
    cr_assert_lt(service_plugin_deploy(g_dir, "alone.so"), 0);
}

Test(plugin, a_plugin_whose_init_fails_is_refused)
{
    refused_over_working(PLUGINS "test/init-fails.so", NULL);
}

Test(plugin, a_plugin_may_not_replace_a_builtin_or_another_files_service)
{
    put(PLUGINS "test/builtin-name.so", "clash.so");
    cr_assert_lt(service_plugin_deploy(g_dir, "clash.so"), 0);
    const char *in = "\"still the built-in\"";
    wsx_call_t c = json_call(in);
    wsx_reply_t r;
    cr_assert_eq(service_call(service_slot("demo.echo"), &c, &r, NULL), 0);
    cr_assert_eq(r.output, (const uint8_t *)in);

    put(PLUGINS "test/fixture-1.so", "one.so");
    put(PLUGINS "test/fixture-2.so", "two.so");
    cr_assert_eq(service_plugin_deploy(g_dir, "one.so"), 0);
    cr_assert_lt(service_plugin_deploy(g_dir, "two.so"), 0);
    cr_assert_str_eq(answer("fixture.answer"), "1");
}

Test(plugin, a_removed_file_undeploys_its_services)
{
    put(PLUGINS "test/fixture-1.so", "fixture.so");
    cr_assert_eq(service_plugin_deploy(g_dir, "fixture.so"), 0);
    char p[512];
    snprintf(p, sizeof p, "%s/fixture.so", g_dir);
    cr_assert_eq(unlink(p), 0);
    service_plugin_undeploy("fixture.so");
    cr_assert_not(service_is_loaded("fixture.answer"));
    cr_assert_not(service_is_loaded("fixture.answer.fail"));
    cr_assert_str_eq(answer("fixture.answer"), "(not loaded)");
    cr_assert_str_eq(fini_log(), "fini 1\n");
}

static int g_polls;

static void poll_loaded(ev_loop_t *loop, ev_timer_t *t)
{
    const char *want = getenv("WSX_TEST_WANT");
    if (++g_polls > 200 || (want && strcmp(answer("fixture.answer"), want) == 0)) {
        ev_loop_stop(loop);
        return;
    }
    ev_timer_start(loop, t, 50, poll_loaded);
}

/* Run the loop until fixture.answer answers `want` (10 s at most). */
static void run_until(ev_loop_t *loop, const char *want)
{
    ev_timer_t t = {0};
    g_polls = 0;
    setenv("WSX_TEST_WANT", want, 1);
    ev_timer_start(loop, &t, 50, poll_loaded);
    ev_loop_run(loop);
    ev_timer_stop(loop, &t);
}

Test(plugin, files_dropped_into_the_watched_directory_are_hot_deployed)
{
    put(PLUGINS "test/fixture-1.so", "fixture.so"); /* there at start */
    ev_loop_t *loop = ev_loop_new();
    cr_assert_eq(service_registry_start(loop, g_dir), 0);
    cr_assert_str_eq(answer("fixture.answer"), "1", "loaded at start");

    put(PLUGINS "test/fixture-2.so", ".fixture.so.tmp"); /* hidden: ignored */
    char from[512], to[512];
    snprintf(from, sizeof from, "%s/.fixture.so.tmp", g_dir);
    snprintf(to, sizeof to, "%s/fixture.so", g_dir);
    cr_assert_eq(rename(from, to), 0); /* the atomic replace */
    run_until(loop, "2");
    cr_assert_str_eq(answer("fixture.answer"), "2");
    cr_assert_str_eq(fini_log(), "fini 1\n");

    cr_assert_eq(unlink(to), 0);
    run_until(loop, "(not loaded)");
    cr_assert_str_eq(answer("fixture.answer"), "(not loaded)");
    service_registry_stop();
    ev_loop_free(loop);
}

/* test_admin_channel_json.c - the JSON API's channel object: what GET shows, and
 * what POST, PUT and PATCH accept or refuse, with the field, code and message a
 * client gets back. */
#include <criterion/criterion.h>
#include <string.h>

#include "admin/admin_channel_json.h"
#include "common/err.h"

static channel_err_t e;

static channel_t full(void)
{
    channel_t ch;
    channel_defaults(&ch);
    ch.id = 7;
    strcpy(ch.name, "Zürich orders");
    ch.is_active = 0;
    strcpy(ch.address, "wss://[::1]:48902/orders");
    strcpy(ch.tls_cert, "/etc/wsx/orders.crt");
    strcpy(ch.tls_key, "/etc/wsx/orders.key");
    strcpy(ch.service, "demo.echo");
    strcpy(ch.hook_service, "demo.hooks");
    strcpy(ch.gateway_services, "billing.get crm.find");
    strcpy(ch.security, "basic-1");
    strcpy(ch.data_format, "raw");
    ch.new_token_wait_time = 9;
    ch.token_ttl = 7200;
    ch.ping_interval = 30;
    ch.pings_missed_threshold = 4;
    ch.max_message_size = 4096;
    ch.permessage_deflate = 1;
    ch.deflate_max_window_bits = 11;
    strcpy(ch.created_at, "2026-11-30T10:00:00.123456");
    strcpy(ch.updated_at, "2026-11-30T10:05:00.000001");
    strcpy(ch.state, "listening");
    return ch;
}

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    cr_assert_not_null(j, "test JSON: %s", je.text);
    return j;
}

/* Apply text onto *ch; returns the result, err in e. */
static int apply(const char *text, channel_t *ch, int partial)
{
    json_t *j = parse(text);
    memset(&e, 0, sizeof e);
    int rc = admin_channel_from_json(j, ch, partial, &e);
    json_decref(j);
    return rc;
}

/* A POST body over the defaults must fail with this field, code and message. */
static void refused(const char *text, int partial, const char *field, const char *code,
                    const char *msg)
{
    channel_t ch = full(), before = ch;
    cr_assert_eq(apply(text, &ch, partial), WSX_EINVAL, "%s should be refused", text);
    cr_assert_str_eq(e.field, field, "%s: %s", text, e.message);
    cr_assert_str_eq(e.code, code, "%s: %s", text, e.message);
    cr_assert(strstr(e.message, msg), "%s: message \"%s\" lacks \"%s\"", text, e.message, msg);
    cr_assert(memcmp(&ch, &before, sizeof ch) == 0, "%s: channel changed on error", text);
}

#define BASE "\"name\": \"n\", \"address\": \"ws://h:1/\", \"service\": \"s\""

Test(admin_channel_json, to_json_fields)
{
    channel_t ch = full();
    json_t *j = admin_channel_to_json(&ch);
    cr_assert_not_null(j);
    const char *keys[] = {"id",
                          "cluster_id",
                          "name",
                          "is_active",
                          "address",
                          "service",
                          "hook_service",
                          "gateway_services",
                          "security",
                          "data_format",
                          "new_token_wait_time",
                          "token_ttl",
                          "ping_interval",
                          "pings_missed_threshold",
                          "max_message_size",
                          "log_messages",
                          "tls_cert",
                          "tls_key",
                          "permessage_deflate",
                          "deflate_max_window_bits",
                          "max_connections",
                          "slow_consumer_policy",
                          "slow_consumer_seconds",
                          "write_queue_high_water",
                          "created_at",
                          "updated_at",
                          "state"};
    cr_assert_eq(json_object_size(j), sizeof keys / sizeof keys[0]);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        cr_assert_not_null(json_object_get(j, keys[i]), "missing %s", keys[i]);
    cr_assert_eq(json_integer_value(json_object_get(j, "id")), 7);
    cr_assert_eq(json_integer_value(json_object_get(j, "cluster_id")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(j, "name")), "Zürich orders");
    cr_assert(json_is_false(json_object_get(j, "is_active")));
    cr_assert_str_eq(json_string_value(json_object_get(j, "security")), "basic-1");
    cr_assert_str_eq(json_string_value(json_object_get(j, "hook_service")), "demo.hooks");
    json_t *gw = json_object_get(j, "gateway_services");
    cr_assert_eq(json_array_size(gw), 2);
    cr_assert_str_eq(json_string_value(json_array_get(gw, 0)), "billing.get");
    cr_assert_str_eq(json_string_value(json_array_get(gw, 1)), "crm.find");
    cr_assert_str_eq(json_string_value(json_object_get(j, "data_format")), "raw");
    cr_assert_eq(json_integer_value(json_object_get(j, "token_ttl")), 7200);
    cr_assert_eq(json_integer_value(json_object_get(j, "max_message_size")), 4096);
    cr_assert(json_is_true(json_object_get(j, "permessage_deflate")));
    cr_assert_eq(json_integer_value(json_object_get(j, "deflate_max_window_bits")), 11);
    cr_assert_str_eq(json_string_value(json_object_get(j, "created_at")),
                     "2026-11-30T10:00:00.123456");
    cr_assert_str_eq(json_string_value(json_object_get(j, "state")), "listening");
    json_decref(j);

    ch.security[0] = '\0';
    ch.hook_service[0] = '\0';
    ch.gateway_services[0] = '\0';
    ch.is_active = 1;
    j = admin_channel_to_json(&ch);
    cr_assert(json_is_null(json_object_get(j, "security")), "no security is null, not \"\"");
    cr_assert(json_is_null(json_object_get(j, "hook_service")));
    gw = json_object_get(j, "gateway_services");
    cr_assert(json_is_array(gw) && json_array_size(gw) == 0, "no allow-list is []");
    cr_assert(json_is_true(json_object_get(j, "is_active")));
    json_decref(j);
}

Test(admin_channel_json, to_json_refuses_invalid_utf8)
{
    channel_t ch = full();
    strcpy(ch.state, "error: \xff");
    cr_assert_null(admin_channel_to_json(&ch));
}

Test(admin_channel_json, round_trip)
{
    channel_t src = full();
    json_t *j = admin_channel_to_json(&src);
    channel_t dst;
    channel_defaults(&dst);
    memset(&e, 0, sizeof e);
    cr_assert_eq(admin_channel_from_json(j, &dst, 0, &e), 0, "%s: %s", e.field, e.message);
    json_decref(j);
    cr_assert_str_eq(dst.name, src.name);
    cr_assert_eq(dst.is_active, 0);
    cr_assert_str_eq(dst.address, src.address);
    cr_assert_str_eq(dst.service, src.service);
    cr_assert_str_eq(dst.security, src.security);
    cr_assert_str_eq(dst.hook_service, src.hook_service);
    cr_assert_str_eq(dst.gateway_services, src.gateway_services);
    cr_assert_str_eq(dst.data_format, "raw");
    cr_assert_eq(dst.new_token_wait_time, 9);
    cr_assert_eq(dst.token_ttl, 7200);
    cr_assert_eq(dst.ping_interval, 30);
    cr_assert_eq(dst.pings_missed_threshold, 4);
    cr_assert_eq(dst.max_message_size, 4096);
    cr_assert_str_eq(dst.tls_cert, "/etc/wsx/orders.crt");
    cr_assert_str_eq(dst.tls_key, "/etc/wsx/orders.key", "the key's path, never its contents");
    cr_assert_eq(dst.permessage_deflate, 1);
    cr_assert_eq(dst.deflate_max_window_bits, 11);
    /* read-only fields are not taken from the body */
    cr_assert_eq(dst.id, 0);
    cr_assert_str_eq(dst.created_at, "");
    cr_assert_str_eq(dst.updated_at, "");
    cr_assert_str_eq(dst.state, "");
}

Test(admin_channel_json, post_minimal_takes_defaults)
{
    channel_t ch;
    channel_defaults(&ch);
    cr_assert_eq(apply("{" BASE "}", &ch, 0), 0, "%s", e.message);
    cr_assert_str_eq(ch.name, "n");
    cr_assert_eq(ch.is_active, 1);
    cr_assert_str_eq(ch.data_format, "json");
    cr_assert_eq(ch.token_ttl, 3600);
    cr_assert_str_eq(ch.security, "");
    cr_assert_str_eq(ch.hook_service, "");
    cr_assert_str_eq(ch.gateway_services, "");
    cr_assert_eq(ch.permessage_deflate, 0, "permessage-deflate is off by default");
}

Test(admin_channel_json, hook_service_string_or_null)
{
    channel_t ch = full();
    cr_assert_eq(apply("{\"hook_service\": null}", &ch, 1), 0, "%s", e.message);
    cr_assert_str_eq(ch.hook_service, "");
    cr_assert_eq(apply("{\"hook_service\": \"my.hook\"}", &ch, 1), 0, "%s", e.message);
    cr_assert_str_eq(ch.hook_service, "my.hook");
    cr_assert_eq(apply("{\"hook_service\": \"\"}", &ch, 1), 0, "%s", e.message);
    cr_assert_str_eq(ch.hook_service, "");
    refused("{\"hook_service\": 5}", 1, "hook_service", "invalid",
            "hook_service must be a string or null, got 5");
    refused("{\"hook_service\": \"my hook\"}", 1, "hook_service", "invalid",
            "hook_service must be a service name without spaces");
}

Test(admin_channel_json, gateway_services_array)
{
    channel_t ch = full();
    cr_assert_eq(apply("{\"gateway_services\": [\"a.b\", \"c\", \"a.b\"]}", &ch, 1), 0, "%s",
                 e.message);
    cr_assert_str_eq(ch.gateway_services, "a.b c a.b");
    cr_assert_eq(apply("{\"gateway_services\": []}", &ch, 1), 0, "%s", e.message);
    cr_assert_str_eq(ch.gateway_services, "");
    cr_assert_eq(apply("{\"gateway_services\": [\"x\"]}", &ch, 1), 0, "%s", e.message);
    cr_assert_eq(apply("{\"gateway_services\": null}", &ch, 1), 0, "%s", e.message);
    cr_assert_str_eq(ch.gateway_services, "");

    refused("{\"gateway_services\": \"a,b\"}", 1, "gateway_services", "invalid",
            "must be an array of service names, got \"a,b\"");
    refused("{\"gateway_services\": [\"a\", 5]}", 1, "gateway_services", "invalid",
            "got 5 at index 1");
    refused("{\"gateway_services\": [\"a b\"]}", 1, "gateway_services", "invalid",
            "without spaces or control characters, got \"a b\" at index 0");
    refused("{\"gateway_services\": [\"\"]}", 1, "gateway_services", "invalid",
            "empty service name (index 0)");
    refused("{\"gateway_services\": [\"a\\tb\"]}", 1, "gateway_services", "invalid",
            "without spaces or control characters");
    /* one name over 255 bytes, and a list over the 4095 bytes it is stored in */
    char big[6000];
    strcpy(big, "{\"gateway_services\": [\"");
    memset(big + strlen(big), 'x', 256);
    strcpy(big + strlen("{\"gateway_services\": [\"") + 256, "\"]}");
    refused(big, 1, "gateway_services", "too_long", "at most 255 bytes, got 256");
    strcpy(big, "{\"gateway_services\": [");
    for (int i = 0; i < 20; i++) {
        strcat(big, i ? ", \"" : "\"");
        size_t n = strlen(big);
        memset(big + n, 'a' + i, 250);
        strcpy(big + n + 250, "\"");
    }
    strcat(big, "]}");
    refused(big, 1, "gateway_services", "too_long", "at most 4095 bytes");
}

Test(admin_channel_json, not_an_object)
{
    refused("[1, 2]", 0, "", "invalid", "must be a JSON object, got [1,2]");
    refused("\"x\"", 1, "", "invalid", "JSON object");
    channel_t ch = full();
    cr_assert_eq(admin_channel_from_json(NULL, &ch, 1, &e), WSX_EINVAL);
    cr_assert_str_eq(e.code, "invalid");
}

Test(admin_channel_json, unknown_field)
{
    refused("{" BASE ", \"token_tll\": 5}", 0, "token_tll", "unknown_field",
            "unknown field \"token_tll\"");
    cr_assert_str_eq(e.message, "unknown field \"token_tll\"");
    refused("{\"Name\": \"x\"}", 1, "Name", "unknown_field", "unknown field \"Name\"");
    refused("{\"a\\\"b\": 1}", 1, "a\"b", "unknown_field", "unknown field \"a\\\"b\"");
}

Test(admin_channel_json, required_fields)
{
    refused("{\"address\": \"ws://h:1/\", \"service\": \"s\"}", 0, "name", "required",
            "name is required");
    refused("{\"name\": \"n\", \"service\": \"s\"}", 0, "address", "required",
            "address is required");
    refused("{\"name\": \"n\", \"address\": \"ws://h:1/\"}", 0, "service", "required",
            "service is required");
    refused("{\"name\": null, \"address\": \"ws://h:1/\", \"service\": \"s\"}", 0, "name",
            "required", "name is required");
    refused("{\"name\": \"\", \"address\": \"ws://h:1/\", \"service\": \"s\"}", 0, "name",
            "required", "name is required");
    refused("{\"service\": null}", 1, "service", "required", "service is required");
}

Test(admin_channel_json, integer_type_errors)
{
    refused("{" BASE ", \"token_ttl\": \"abc\"}", 0, "token_ttl", "invalid",
            "token_ttl must be a positive integer, got \"abc\"");
    cr_assert_str_eq(e.message, "token_ttl must be a positive integer, got \"abc\"");
    refused("{\"token_ttl\": 1.5}", 1, "token_ttl", "invalid", "got 1.5");
    refused("{\"token_ttl\": 2.0}", 1, "token_ttl", "invalid", "got 2.0");
    refused("{\"token_ttl\": 1e20}", 1, "token_ttl", "invalid", "positive integer");
    refused("{\"token_ttl\": true}", 1, "token_ttl", "invalid", "got true");
    refused("{\"token_ttl\": null}", 1, "token_ttl", "invalid", "got null");
    refused("{\"new_token_wait_time\": [5]}", 1, "new_token_wait_time", "invalid", "got [5]");
    refused("{\"ping_interval\": \"45\"}", 1, "ping_interval", "invalid", "got \"45\"");
    refused("{\"pings_missed_threshold\": false}", 1, "pings_missed_threshold", "invalid",
            "got false");
    refused("{\"max_message_size\": {}}", 1, "max_message_size", "invalid", "got {}");
}

Test(admin_channel_json, other_type_errors)
{
    refused("{\"is_active\": \"yes\"}", 1, "is_active", "invalid",
            "is_active must be true or false, got \"yes\"");
    refused("{\"is_active\": 1}", 1, "is_active", "invalid", "is_active must be true or false");
    refused("{\"is_active\": null}", 1, "is_active", "invalid", "true or false");
    refused("{\"permessage_deflate\": \"on\"}", 1, "permessage_deflate", "invalid",
            "permessage_deflate must be true or false, got \"on\"");
    refused("{\"permessage_deflate\": 1}", 1, "permessage_deflate", "invalid",
            "permessage_deflate must be true or false");
    refused("{\"deflate_max_window_bits\": \"10\"}", 1, "deflate_max_window_bits", "invalid",
            "deflate_max_window_bits");
    refused("{\"name\": 42}", 1, "name", "invalid", "name must be a string, got 42");
    refused("{\"address\": [\"ws://h:1/\"]}", 1, "address", "invalid", "address must be a string");
    refused("{\"service\": {}}", 1, "service", "invalid", "service must be a string");
    refused("{\"security\": 5}", 1, "security", "invalid", "security must be a string or null");
    refused("{\"data_format\": 5}", 1, "data_format", "invalid",
            "data_format must be \"json\" or \"raw\", got 5");
    refused("{\"data_format\": \"jsonjsonjson\"}", 1, "data_format", "invalid",
            "got \"jsonjsonjson\"");
}

Test(admin_channel_json, cluster_id)
{
    channel_t ch = full();
    cr_assert_eq(apply("{\"cluster_id\": 1}", &ch, 1), 0, "%s", e.message);
    refused("{\"cluster_id\": 2}", 1, "cluster_id", "invalid", "cluster_id must be 1");
    refused("{\"cluster_id\": \"1\"}", 1, "cluster_id", "invalid", "got \"1\"");
}

Test(admin_channel_json, read_only_fields_ignored)
{
    channel_t ch = full();
    /* "states" too: a client may send back what GET gave it, every server's states
     * included */
    cr_assert_eq(apply("{\"id\": 999, \"created_at\": \"x\", \"updated_at\": 5, "
                       "\"state\": \"hacked\", \"states\": [{\"server\": \"a\"}]}",
                       &ch, 1),
                 0, "%s", e.message);
    cr_assert_eq(ch.id, 7);
    cr_assert_str_eq(ch.created_at, "2026-11-30T10:00:00.123456");
    cr_assert_str_eq(ch.state, "listening");
}

Test(admin_channel_json, security_string_or_null)
{
    channel_t ch = full();
    cr_assert_eq(apply("{\"security\": null}", &ch, 1), 0, "%s", e.message);
    cr_assert_str_eq(ch.security, "");
    cr_assert_eq(apply("{\"security\": \"jwt-1\"}", &ch, 1), 0, "%s", e.message);
    cr_assert_str_eq(ch.security, "jwt-1");
    cr_assert_eq(apply("{\"security\": \"\"}", &ch, 1), 0, "%s", e.message);
    cr_assert_str_eq(ch.security, "");
}

Test(admin_channel_json, patch_changes_only_what_is_given)
{
    channel_t ch = full(), before = ch;
    cr_assert_eq(apply("{}", &ch, 1), 0, "%s", e.message);
    cr_assert(memcmp(&ch, &before, sizeof ch) == 0);
    cr_assert_eq(apply("{\"token_ttl\": 10, \"is_active\": true}", &ch, 1), 0, "%s", e.message);
    cr_assert_eq(ch.token_ttl, 10);
    cr_assert_eq(ch.is_active, 1);
    cr_assert_str_eq(ch.name, before.name);
    cr_assert_str_eq(ch.address, before.address);
    cr_assert_eq(ch.ping_interval, before.ping_interval);
}

Test(admin_channel_json, put_keeps_fields_not_given)
{
    channel_t ch = full();
    /* the row is wss:// with its files: a ws:// address alone leaves them, refused */
    cr_assert_eq(apply("{" BASE "}", &ch, 0), WSX_EINVAL);
    cr_assert_str_eq(e.field, "tls_cert", "%s", e.message);
    ch = full();
    cr_assert_eq(apply("{" BASE ", \"tls_cert\": null, \"tls_key\": null}", &ch, 0), 0, "%s",
                 e.message);
    cr_assert_str_eq(ch.tls_cert, "");
    cr_assert_str_eq(ch.name, "n");
    cr_assert_eq(ch.token_ttl, 7200, "the current row's value stays");
}

Test(admin_channel_json, validation_runs_at_the_end)
{
    refused("{\"token_ttl\": 0}", 1, "token_ttl", "out_of_range",
            "token_ttl must be a positive integer, got 0");
    refused("{\"token_ttl\": -3}", 1, "token_ttl", "out_of_range", "got -3");
    refused("{\"data_format\": \"xml\"}", 1, "data_format", "invalid",
            "data_format must be \"json\" or \"raw\", got \"xml\"");
    refused("{\"address\": \"ws://h:70000/\"}", 1, "address", "out_of_range",
            "port must be between 1 and 65535, got 70000");
    refused("{\"name\": \" padded\"}", 1, "name", "invalid", "whitespace");
    refused("{\"name\": \"a\\u0007b\"}", 1, "name", "invalid", "control characters");
}

static char *repeat_json(const char *key, const char *unit, int n)
{
    static char buf[8000];
    strcpy(buf, "{\"");
    strcat(buf, key);
    strcat(buf, "\": \"");
    for (int i = 0; i < n; i++)
        strcat(buf, unit);
    strcat(buf, "\"}");
    return buf;
}

Test(admin_channel_json, long_strings)
{
    channel_t ch = full();
    cr_assert_eq(apply(repeat_json("name", "\xf0\x9f\x98\x80", 200), &ch, 1), 0, "%s", e.message);
    /* 201 four-byte characters no longer fit the buffer: still counted in characters */
    refused(repeat_json("name", "\xf0\x9f\x98\x80", 201), 1, "name", "too_long",
            "name must be at most 200 characters, got 201");
    refused(repeat_json("name", "\xc3\xa9", 201), 1, "name", "too_long",
            "name must be at most 200 characters, got 201");
    refused(repeat_json("service", "s", 256), 1, "service", "too_long",
            "service must be at most 255 bytes, got 256");
    refused(repeat_json("address", "a", 1400), 1, "address", "too_long", "at most 1399 bytes");
    /* a long bad value is shortened in the message, which stays within its buffer */
    refused(repeat_json("token_ttl", "x", 3000), 1, "token_ttl", "invalid", "...");
    cr_assert_lt(strlen(e.message), 200);
}

Test(admin_channel_json, nul_inside_a_string)
{
    json_t *j = json_object();
    json_object_set_new(j, "name", json_stringn("a\0b", 3));
    channel_t ch = full(), before = ch;
    cr_assert_eq(admin_channel_from_json(j, &ch, 1, &e), WSX_EINVAL);
    cr_assert_str_eq(e.field, "name");
    cr_assert_str_eq(e.code, "invalid");
    cr_assert(memcmp(&ch, &before, sizeof ch) == 0);
    json_decref(j);
}

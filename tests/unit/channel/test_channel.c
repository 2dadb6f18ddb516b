/* test_channel.c - the channel address parser and field validation, edge by edge:
 * what an administrator may type into the address and name boxes, and the exact
 * field, code and message they get back when it is wrong. */
#include <criterion/criterion.h>
#include <string.h>

#include "channel/channel.h"
#include "common/err.h"

static channel_addr_t a;
static channel_err_t e;

static int parse(const char *s)
{
    memset(&a, 0, sizeof a);
    memset(&e, 0, sizeof e);
    return channel_addr_parse(s, &a, &e);
}

/* Parse must fail with field "address", this code and a message containing msg. */
static void parse_fails(const char *s, const char *code, const char *msg)
{
    cr_assert_eq(parse(s), WSX_EINVAL, "%s should be refused", s);
    cr_assert_str_eq(e.field, "address", "%s", s);
    cr_assert_str_eq(e.code, code, "%s: %s", s, e.message);
    cr_assert(strstr(e.message, msg), "%s: message \"%s\" lacks \"%s\"", s, e.message, msg);
}

Test(channel_addr, ws_ipv4)
{
    cr_assert_eq(parse("ws://127.0.0.1:8080/chat"), 0, "%s", e.message);
    cr_assert_eq(a.tls, 0);
    cr_assert_str_eq(a.host, "127.0.0.1");
    cr_assert_eq(a.port, 8080);
    cr_assert_str_eq(a.path, "/chat");
}

Test(channel_addr, wss_name_and_nested_path)
{
    cr_assert_eq(parse("wss://ws.example.com:443/api/v1/ws"), 0, "%s", e.message);
    cr_assert_eq(a.tls, 1);
    cr_assert_str_eq(a.host, "ws.example.com");
    cr_assert_eq(a.port, 443);
    cr_assert_str_eq(a.path, "/api/v1/ws");
}

Test(channel_addr, ipv6_literal_in_brackets)
{
    cr_assert_eq(parse("ws://[::1]:9000/x"), 0, "%s", e.message);
    cr_assert_str_eq(a.host, "::1");
    cr_assert_eq(a.port, 9000);
    cr_assert_eq(parse("ws://[2001:db8::42]:1/"), 0, "%s", e.message);
    cr_assert_str_eq(a.host, "2001:db8::42");
}

Test(channel_addr, ipv6_errors)
{
    parse_fails("ws://[zz::1]:9000/x", "invalid", "not a valid IPv6 address");
    parse_fails("ws://[]:9000/x", "invalid", "needs a host");
    parse_fails("ws://[::1:9000/x", "invalid", "without a closing ']'");
    parse_fails("ws://::1:9000/x", "invalid", "ws://[::1]:8080/path");
}

Test(channel_addr, root_path_and_leading_zero_port)
{
    cr_assert_eq(parse("ws://0.0.0.0:08080/"), 0, "%s", e.message);
    cr_assert_eq(a.port, 8080);
    cr_assert_str_eq(a.path, "/");
}

Test(channel_addr, port_boundaries)
{
    cr_assert_eq(parse("ws://h:1/"), 0, "%s", e.message);
    cr_assert_eq(a.port, 1);
    cr_assert_eq(parse("ws://h:65535/"), 0, "%s", e.message);
    cr_assert_eq(a.port, 65535);
    parse_fails("ws://h:0/", "out_of_range", "port must be between 1 and 65535, got 0");
    parse_fails("ws://h:65536/", "out_of_range", "port must be between 1 and 65535, got 65536");
    cr_assert_eq(parse("ws://h:70000/x"), WSX_EINVAL);
    cr_assert_str_eq(e.message, "port must be between 1 and 65535, got 70000");
    parse_fails("ws://h:99999999999999999999999/", "out_of_range", "got 99999999999999999999999");
}

Test(channel_addr, port_missing_or_not_digits)
{
    parse_fails("ws://h/x", "invalid", "needs a port, as in ws://h:8080/path");
    parse_fails("ws://h:/x", "invalid", "needs a port");
    parse_fails("ws://h", "invalid", "needs a port");
    parse_fails("ws://[::1]/x", "invalid", "ws://[::1]:8080/path");
    parse_fails("ws://h:80a/x", "invalid",
                "port must be a number between 1 and 65535, got \"80a\"");
    parse_fails("ws://h:-1/x", "invalid", "port must be a number");
    parse_fails("ws://h: 80/x", "invalid", "port must be a number");
}

Test(channel_addr, path_missing)
{
    parse_fails("ws://h:80", "invalid", "needs a path after the port, as in ws://h:80/");
}

Test(channel_addr, path_characters)
{
    parse_fails("ws://h:80/a b", "invalid", "path must not contain spaces");
    parse_fails("ws://h:80/a?b=1", "invalid", "'?'");
    parse_fails("ws://h:80/a#top", "invalid", "'#'");
    parse_fails("ws://h:80/a\tb", "invalid", "control characters");
    parse_fails("ws://h:80/a\x7f", "invalid", "control characters");
    parse_fails("ws://h:80/caf\xc3\xa9", "invalid", "must be ASCII");
    parse_fails("ws://h:80/100%", "invalid", "two hex digits");
    parse_fails("ws://h:80/%zz", "invalid", "two hex digits");
    cr_assert_eq(parse("ws://h:80/a%20b/caf%C3%A9"), 0, "%s", e.message);
    cr_assert_str_eq(a.path, "/a%20b/caf%C3%A9");
}

Test(channel_addr, path_length)
{
    char addr[1200] = "ws://h:80";
    size_t n = strlen(addr);
    memset(addr + n, 'p', 1023);
    addr[n] = '/';
    addr[n + 1023] = '\0';
    cr_assert_eq(parse(addr), 0, "a 1023-character path fits: %s", e.message);
    cr_assert_eq(strlen(a.path), 1023);
    addr[n + 1023] = 'p';
    addr[n + 1024] = '\0';
    parse_fails(addr, "too_long", "path must be at most 1023 characters, got 1024");
}

Test(channel_addr, scheme)
{
    cr_assert_eq(parse("WS://h:80/"), 0, "schemes are case-insensitive: %s", e.message);
    cr_assert_eq(a.tls, 0);
    cr_assert_eq(parse("Wss://h:80/"), 0, "%s", e.message);
    cr_assert_eq(a.tls, 1);
    parse_fails("http://h:80/", "invalid",
                "address must start with ws:// or wss://, got \"http://h:80/\"");
    parse_fails("ws:/h:80/", "invalid", "must look like");
    cr_assert_eq(parse("foo"), WSX_EINVAL);
    cr_assert_str_eq(e.message, "address must look like ws://HOST:PORT/PATH, got \"foo\"");
}

Test(channel_addr, empty_is_required)
{
    parse_fails("", "required", "address is required");
    cr_assert_eq(channel_addr_parse(NULL, &a, &e), WSX_EINVAL);
    cr_assert_str_eq(e.code, "required");
}

Test(channel_addr, hosts)
{
    parse_fails("ws://:80/", "invalid", "needs a host");
    parse_fails("ws://a b:80/", "invalid", "may only hold letters");
    parse_fails("ws://user@h:80/", "invalid", "must not hold a user name or password");
    parse_fails("ws://user:pw@h:80/", "invalid", "must not hold a user name or password");
    parse_fails("ws://999.1.1.1:80/", "invalid", "not a valid IPv4 address");
    parse_fails("ws://1.2.3:80/", "invalid", "not a valid IPv4 address");
    parse_fails("ws://a..b:80/", "invalid", "empty label");
    parse_fails("ws://a.:80/", "invalid", "empty label");
    cr_assert_eq(parse("ws://my-host_1.local:80/"), 0, "%s", e.message);
    char addr[400] = "ws://";
    memset(addr + 5, 'a', 64);
    strcpy(addr + 5 + 64, ":80/");
    parse_fails(addr, "invalid", "label longer than 63");
}

Test(channel_addr, trailing_junk)
{
    parse_fails("ws://h:80/x y", "invalid", "spaces");
    parse_fails("ws://h:80x/", "invalid", "port must be a number");
    parse_fails("ws://[::1]x:80/", "invalid", "needs a port");
}

Test(channel_addr, quoted_values_are_escaped)
{
    parse_fails("a\"b\x01", "invalid", "got \"a\\\"b\\u0001\"");
    parse_fails("\xff", "invalid", "got \"\\xFF\"");
}

/* ---- validation ---------------------------------------------------------------- */

static channel_t valid(void)
{
    channel_t ch;
    channel_defaults(&ch);
    strcpy(ch.name, "orders");
    strcpy(ch.address, "ws://0.0.0.0:48902/orders");
    strcpy(ch.service, "demo.echo");
    return ch;
}

static void invalid(const channel_t *ch, const char *field, const char *code, const char *msg)
{
    memset(&e, 0, sizeof e);
    cr_assert_eq(channel_validate(ch, &e), WSX_EINVAL, "expected %s to be refused", field);
    cr_assert_str_eq(e.field, field, "%s", e.message);
    cr_assert_str_eq(e.code, code, "%s", e.message);
    cr_assert(strstr(e.message, msg), "message \"%s\" lacks \"%s\"", e.message, msg);
}

static void ok(const channel_t *ch)
{
    memset(&e, 0, sizeof e);
    cr_assert_eq(channel_validate(ch, &e), 0, "%s: %s", e.field, e.message);
}

static void repeat(char *dst, const char *unit, int n)
{
    dst[0] = '\0';
    for (int i = 0; i < n; i++)
        strcat(dst, unit);
}

Test(channel_validate, defaults)
{
    channel_t ch;
    memset(&ch, 0x5a, sizeof ch);
    channel_defaults(&ch);
    cr_assert_eq(ch.cluster_id, 1);
    cr_assert_eq(ch.is_active, 1);
    cr_assert_str_eq(ch.data_format, "json");
    cr_assert_eq(ch.new_token_wait_time, 5);
    cr_assert_eq(ch.token_ttl, 3600);
    cr_assert_eq(ch.ping_interval, 45);
    cr_assert_eq(ch.pings_missed_threshold, 2);
    cr_assert_eq(ch.max_message_size, 1024 * 1024);
    cr_assert_str_eq(ch.name, "");
    cr_assert_str_eq(ch.security, "");
    /* defaults alone lack what a person must choose */
    invalid(&ch, "name", "required", "name is required");
    ch = valid();
    ok(&ch);
}

Test(channel_validate, name_length_in_code_points)
{
    channel_t ch = valid();
    repeat(ch.name, "\xc3\xa9", 200); /* é: 400 bytes, 200 characters */
    ok(&ch);
    repeat(ch.name, "\xc3\xa9", 201);
    invalid(&ch, "name", "too_long", "name must be at most 200 characters, got 201");
    cr_assert_str_eq(e.message, "name must be at most 200 characters, got 201");
    repeat(ch.name, "\xf0\x9f\x98\x80", 200); /* 800 bytes, fills the buffer */
    ok(&ch);
    repeat(ch.name, "a", 201);
    invalid(&ch, "name", "too_long", "got 201");
    strcpy(ch.name, "x");
    ok(&ch);
}

Test(channel_validate, name_utf8_and_controls)
{
    channel_t ch = valid();
    strcpy(ch.name, "bad\xc3\x28");
    invalid(&ch, "name", "invalid", "valid UTF-8");
    strcpy(ch.name, "\xc0\xaf"); /* overlong '/' */
    invalid(&ch, "name", "invalid", "valid UTF-8");
    strcpy(ch.name, "\xed\xa0\x80"); /* a surrogate */
    invalid(&ch, "name", "invalid", "valid UTF-8");
    strcpy(ch.name, "\xf4\x90\x80\x80"); /* above U+10FFFF */
    invalid(&ch, "name", "invalid", "valid UTF-8");
    strcpy(ch.name, "ab\xe2\x82"); /* cut short */
    invalid(&ch, "name", "invalid", "valid UTF-8");
    strcpy(ch.name, "a\nb");
    invalid(&ch, "name", "invalid", "U+000A at character 2");
    strcpy(ch.name, "a\x7f");
    invalid(&ch, "name", "invalid", "control characters");
    strcpy(ch.name, "a\xc2\x85"); /* C1 NEL */
    invalid(&ch, "name", "invalid", "U+0085");
    strcpy(ch.name, "Zürich \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80");
    ok(&ch);
}

Test(channel_validate, name_edges_are_not_trimmed)
{
    channel_t ch = valid();
    strcpy(ch.name, " orders");
    invalid(&ch, "name", "invalid", "must not start or end with whitespace, got \" orders\"");
    strcpy(ch.name, "orders ");
    invalid(&ch, "name", "invalid", "whitespace");
    strcpy(ch.name, "orders\xc2\xa0"); /* no-break space */
    invalid(&ch, "name", "invalid", "whitespace");
    strcpy(ch.name, " ");
    invalid(&ch, "name", "invalid", "whitespace");
    strcpy(ch.name, "my orders");
    ok(&ch);
}

Test(channel_validate, address_through_parser)
{
    channel_t ch = valid();
    ch.address[0] = '\0';
    invalid(&ch, "address", "required", "address is required");
    strcpy(ch.address, "ws://h:70000/");
    invalid(&ch, "address", "out_of_range", "port must be between 1 and 65535, got 70000");
}

Test(channel_validate, service)
{
    channel_t ch = valid();
    ch.service[0] = '\0';
    invalid(&ch, "service", "required", "service is required");
    strcpy(ch.service, "demo echo");
    invalid(&ch, "service", "invalid", "without spaces");
    strcpy(ch.service, "demo.echo\n");
    invalid(&ch, "service", "invalid", "without spaces or control characters");
    strcpy(ch.service, "demo.\xff");
    invalid(&ch, "service", "invalid", "valid UTF-8");
    strcpy(ch.service, "helpers.web-sockets-gateway");
    ok(&ch);
}

Test(channel_validate, security)
{
    channel_t ch = valid();
    strcpy(ch.security, "");
    ok(&ch);
    strcpy(ch.security, "Basic Auth 1");
    ok(&ch);
    strcpy(ch.security, "basic ");
    invalid(&ch, "security", "invalid", "whitespace");
    strcpy(ch.security, "a\tb");
    invalid(&ch, "security", "invalid", "control characters");
}

Test(channel_validate, security_name_up_to_200_characters)
{
    channel_t ch = valid();
    char *p = ch.security;
    for (int i = 0; i < 200; i++, p += 4)
        memcpy(p, "\xf0\x9f\x98\x80", 4); /* U+1F600, 4 bytes */
    *p = '\0';
    ok(&ch);
    memcpy(p, "x", 2);
    invalid(&ch, "security", "too_long", "at most 200 characters, got 201");
}

Test(channel_validate, hook_service)
{
    channel_t ch = valid();
    strcpy(ch.hook_service, "");
    ok(&ch);
    strcpy(ch.hook_service, "my.hooks");
    ok(&ch);
    strcpy(ch.hook_service, "my hooks");
    invalid(&ch, "hook_service", "invalid", "hook_service must be a service name without spaces");
    strcpy(ch.hook_service, "a\x01");
    invalid(&ch, "hook_service", "invalid", "control characters");
    strcpy(ch.hook_service, "a\xff");
    invalid(&ch, "hook_service", "invalid", "valid UTF-8");
}

Test(channel_validate, gateway_services)
{
    channel_t ch = valid();
    strcpy(ch.gateway_services, "");
    ok(&ch);
    strcpy(ch.gateway_services, "a");
    ok(&ch);
    strcpy(ch.gateway_services, "billing.get crm.find x");
    ok(&ch);
    strcpy(ch.gateway_services, "a  b");
    invalid(&ch, "gateway_services", "invalid", "empty service name");
    strcpy(ch.gateway_services, " a");
    invalid(&ch, "gateway_services", "invalid", "empty service name");
    strcpy(ch.gateway_services, "a ");
    invalid(&ch, "gateway_services", "invalid", "empty service name");
    strcpy(ch.gateway_services, "a b\tc");
    invalid(&ch, "gateway_services", "invalid", "without spaces or control characters");
    memset(ch.gateway_services, 'n', 256);
    ch.gateway_services[256] = '\0';
    invalid(&ch, "gateway_services", "too_long", "at most 255 bytes, got 256");
    ch.gateway_services[255] = '\0';
    ok(&ch);
    /* fills the buffer exactly: 16 names of 255 bytes and 15 spaces = 4095 */
    char *p = ch.gateway_services;
    for (int i = 0; i < 16; i++) {
        if (i)
            *p++ = ' ';
        memset(p, 'a' + i, 255);
        p += 255;
    }
    *p = '\0';
    cr_assert_eq(strlen(ch.gateway_services), CHANNEL_GATEWAY_MAX - 1);
    ok(&ch);
}

Test(channel_validate, data_format)
{
    channel_t ch = valid();
    strcpy(ch.data_format, "raw");
    ok(&ch);
    strcpy(ch.data_format, "xml");
    invalid(&ch, "data_format", "invalid", "data_format must be \"json\" or \"raw\", got \"xml\"");
    cr_assert_str_eq(e.message, "data_format must be \"json\" or \"raw\", got \"xml\"");
    strcpy(ch.data_format, "JSON");
    invalid(&ch, "data_format", "invalid", "got \"JSON\"");
    ch.data_format[0] = '\0';
    invalid(&ch, "data_format", "invalid", "got \"\"");
}

/* Each time and count: 1 is the least, 0 and negatives are refused, and so is
 * anything above 2^31-1. */
#define CHECK_POSITIVE(fld)                                                                        \
    do {                                                                                           \
        channel_t ch = valid();                                                                    \
        ch.fld = 1;                                                                                \
        ok(&ch);                                                                                   \
        ch.fld = 2147483647;                                                                       \
        ok(&ch);                                                                                   \
        ch.fld = 0;                                                                                \
        invalid(&ch, #fld, "out_of_range", #fld " must be a positive integer, got 0");             \
        cr_assert_str_eq(e.message, #fld " must be a positive integer, got 0");                    \
        ch.fld = -5;                                                                               \
        invalid(&ch, #fld, "out_of_range", "got -5");                                              \
        ch.fld = 2147483648LL;                                                                     \
        invalid(&ch, #fld, "out_of_range", "at most 2147483647");                                  \
    } while (0)

Test(channel_validate, times_and_counts)
{
    CHECK_POSITIVE(new_token_wait_time);
    CHECK_POSITIVE(token_ttl);
    CHECK_POSITIVE(ping_interval);
    CHECK_POSITIVE(pings_missed_threshold);
}

Test(channel_validate, log_messages)
{
    channel_t ch = valid();
    cr_assert_eq(ch.log_messages, 0, "off by default");
    ch.log_messages = 65536;
    ok(&ch);
    ch.log_messages = 65537;
    invalid(&ch, "log_messages", "out_of_range",
            "log_messages must be between 0 (off) and 65536 bytes, got 65537");
    ch.log_messages = -1;
    invalid(&ch, "log_messages", "out_of_range", "got -1");
}

Test(channel_validate, limits)
{
    channel_t ch = valid();
    cr_assert_eq(ch.max_connections, 0, "no limit by default");
    cr_assert_str_eq(ch.slow_consumer_policy, "close");
    cr_assert_eq(ch.slow_consumer_seconds, 10);
    cr_assert_eq(ch.write_queue_high_water, 4 << 20);
    ch.max_connections = 2147483647;
    ok(&ch);
    ch.max_connections = -1;
    invalid(&ch, "max_connections", "out_of_range",
            "max_connections must be between 0 (unlimited) and 2147483647, got -1");
    ch.max_connections = 0;
    strcpy(ch.slow_consumer_policy, "drop");
    ok(&ch);
    strcpy(ch.slow_consumer_policy, "Drop");
    invalid(&ch, "slow_consumer_policy", "invalid",
            "slow_consumer_policy must be \"close\" or \"drop\", got \"Drop\"");
    strcpy(ch.slow_consumer_policy, "close");
    ch.slow_consumer_seconds = 0;
    invalid(&ch, "slow_consumer_seconds", "out_of_range",
            "slow_consumer_seconds must be a positive integer, got 0");
    ch.slow_consumer_seconds = 1;
    ch.write_queue_high_water = 1023;
    invalid(&ch, "write_queue_high_water", "out_of_range",
            "write_queue_high_water must be between 1024 and 1073741824 bytes (1 GiB), got 1023");
    ch.write_queue_high_water = 1024;
    ok(&ch);
    ch.write_queue_high_water = (1 << 30) + 1LL;
    invalid(&ch, "write_queue_high_water", "out_of_range", "got 1073741825");
}

Test(channel_validate, tls_files_go_with_wss)
{
    channel_t ch = valid();
    strcpy(ch.tls_cert, "/etc/wsx/a.crt");
    invalid(&ch, "tls_cert", "not_allowed", "tls_cert is only for wss:// addresses");
    ch.tls_cert[0] = '\0';
    strcpy(ch.tls_key, "/etc/wsx/a.key");
    invalid(&ch, "tls_key", "not_allowed", "tls_key is only for wss:// addresses");
    ch.tls_key[0] = '\0';
    strcpy(ch.address, "wss://127.0.0.1:48902/ws");
    invalid(&ch, "tls_cert", "required", "tls_cert is required for a wss:// address");
    strcpy(ch.tls_cert, "/etc/wsx/a.crt");
    invalid(&ch, "tls_key", "required", "tls_key is required for a wss:// address");
    strcpy(ch.tls_key, "a.key");
    invalid(&ch, "tls_key", "invalid", "tls_key must be an absolute path");
    strcpy(ch.tls_key, "/etc/wsx/a\nb.key");
    invalid(&ch, "tls_key", "invalid", "control characters");
    strcpy(ch.tls_key, "/etc/wsx/a.key");
    ok(&ch);
}

/* Found by fuzz_channel_addr: the scheme is case-insensitive, so "WSS://" is TLS and
 * needs its files like "wss://" (it used to pass without them). */
Test(channel_validate, tls_scheme_in_any_case)
{
    channel_t ch = valid();
    strcpy(ch.address, "WsS://127.0.0.1:48902/ws");
    invalid(&ch, "tls_cert", "required", "tls_cert is required for a wss:// address");
    strcpy(ch.tls_cert, "/etc/wsx/a.crt");
    strcpy(ch.tls_key, "/etc/wsx/a.key");
    ok(&ch);
    strcpy(ch.address, "WS://127.0.0.1:48902/ws");
    invalid(&ch, "tls_cert", "not_allowed", "tls_cert is only for wss:// addresses");
}

Test(channel_validate, permessage_deflate)
{
    channel_t ch = valid();
    cr_assert_eq(ch.permessage_deflate, 0, "off by default");
    ch.permessage_deflate = 1;
    ok(&ch);
    ch.permessage_deflate = 2;
    invalid(&ch, "permessage_deflate", "invalid", "permessage_deflate must be true or false, got 2");
    ch.permessage_deflate = 1;
    cr_assert_eq(ch.deflate_max_window_bits, 0, "no cap by default");
    ch.deflate_max_window_bits = 9;
    ok(&ch);
    ch.deflate_max_window_bits = 15;
    ok(&ch);
    ch.deflate_max_window_bits = 8;
    invalid(&ch, "deflate_max_window_bits", "out_of_range",
            "deflate_max_window_bits must be 0 (no cap) or between 9 and 15, got 8");
    ch.deflate_max_window_bits = 16;
    invalid(&ch, "deflate_max_window_bits", "out_of_range", "got 16");
}

Test(channel_validate, max_message_size)
{
    channel_t ch = valid();
    ch.max_message_size = 1;
    ok(&ch);
    ch.max_message_size = 1024LL * 1024 * 1024;
    ok(&ch);
    ch.max_message_size = 1024LL * 1024 * 1024 + 1;
    invalid(&ch, "max_message_size", "out_of_range",
            "max_message_size must be between 1 and 1073741824 bytes (1 GiB), got 1073741825");
    ch.max_message_size = 0;
    invalid(&ch, "max_message_size", "out_of_range", "got 0");
}

Test(channel_validate, cluster_id)
{
    channel_t ch = valid();
    ch.cluster_id = 0;
    invalid(&ch, "cluster_id", "out_of_range", "cluster_id must be a positive integer");
}

Test(channel_validate, first_problem_wins)
{
    channel_t ch = valid();
    ch.name[0] = '\0';
    ch.token_ttl = 0;
    invalid(&ch, "name", "required", "name is required");
}

/* ---- errors ----------------------------------------------------------------- */

Test(channel_err, set_fills_every_field)
{
    channel_err_t err;
    cr_assert_eq(channel_err_set(&err, "token_ttl", "invalid", "%s got %d", "x", 7), WSX_EINVAL);
    cr_assert_str_eq(err.field, "token_ttl");
    cr_assert_str_eq(err.code, "invalid");
    cr_assert_str_eq(err.message, "x got 7");
    cr_assert_eq(channel_err_set(NULL, "a", "b", "c"), WSX_EINVAL);
}

/* A message cut at its buffer's end must stay valid UTF-8: it goes into JSON. */
static int utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : 4;
        for (int i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80)
                return 0;
        p += n;
    }
    return 1;
}

Test(channel_err, long_message_cut_on_character_boundary)
{
    channel_err_t err;
    char big[2000];
    for (int shift = 0; shift < 3; shift++) {
        memset(big, 'a', (size_t)shift);
        repeat(big + shift, "\xe2\x82\xac", 600); /* € x 600 */
        channel_err_set(&err, big, "invalid", "%s", big);
        cr_assert(strlen(err.message) < sizeof err.message);
        cr_assert(strlen(err.message) > sizeof err.message - 5);
        cr_assert(utf8_ok(err.message), "shift %d", shift);
        cr_assert(utf8_ok(err.field), "shift %d", shift);
    }
}

/* fuzz_channel_addr.c - libFuzzer target for channel addresses and the channel's
 * field checks. The input (after its first byte) is a C string: channel_addr_parse
 * must accept it only as ws[s]://HOST:PORT/PATH with a port in 1..65535 and a clean
 * path, and an accepted address printed back parses to the same thing. The first
 * byte picks which field of an otherwise valid channel holds the string for
 * channel_validate, which must agree with channel_addr_parse on the address and
 * with channel_check_text's rules on the name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channel/channel.h"
#include "common/err.h"
#include "utf8_ref.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void check_err(const channel_err_t *e)
{
    CHECK(memchr(e->field, 0, sizeof e->field) && memchr(e->code, 0, sizeof e->code) &&
          memchr(e->message, 0, sizeof e->message));
    CHECK(e->field[0] && e->code[0] && e->message[0]);
}

static void check_addr(const char *s)
{
    channel_addr_t a, untouched;
    memset(&a, 0x5a, sizeof a);
    untouched = a;
    channel_err_t err;
    int rc = channel_addr_parse(s, &a, &err);
    CHECK(rc == 0 || rc == WSX_EINVAL);
    if (rc != 0) {
        CHECK(memcmp(&a, &untouched, sizeof a) == 0);
        check_err(&err);
        CHECK(strcmp(err.field, "address") == 0);
        return;
    }
    CHECK(a.tls == (strncasecmp(s, "wss://", 6) == 0));
    CHECK(a.port >= 1);
    CHECK(memchr(a.host, 0, sizeof a.host) && a.host[0]);
    CHECK(memchr(a.path, 0, sizeof a.path) && a.path[0] == '/');
    for (const char *p = a.path; *p; p++) {
        unsigned char c = (unsigned char)*p;
        CHECK(c > 0x20 && c < 0x7f && c != '?' && c != '#');
    }
    CHECK(strchr(a.host, '@') == NULL && strchr(a.host, '/') == NULL);
    /* printed back, it parses to the same address */
    char again[1400];
    int bracket = strchr(a.host, ':') != NULL;
    int n = snprintf(again, sizeof again, "%s://%s%s%s:%u%s", a.tls ? "wss" : "ws",
                     bracket ? "[" : "", a.host, bracket ? "]" : "", (unsigned)a.port, a.path);
    CHECK(n > 0 && (size_t)n < sizeof again);
    channel_addr_t b;
    int rc2 = channel_addr_parse(again, &b, &err);
    if (rc2 != 0)
        fprintf(stderr, "reprinted %s refused: %s\n", again, err.message);
    CHECK(rc2 == 0);
    CHECK(b.tls == a.tls && b.port == a.port && strcmp(b.host, a.host) == 0 &&
          strcmp(b.path, a.path) == 0);
}

static channel_t valid_channel(void)
{
    channel_t ch;
    memset(&ch, 0, sizeof ch);
    channel_defaults(&ch);
    snprintf(ch.name, sizeof ch.name, "fuzz");
    snprintf(ch.address, sizeof ch.address, "ws://127.0.0.1:8080/ws");
    snprintf(ch.service, sizeof ch.service, "svc.echo");
    return ch;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 8192)
        return 0;
    char *s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    check_addr(s);

    channel_t ch = valid_channel();
    channel_err_t err;
    CHECK(channel_validate(&ch, &err) == 0);
    size_t len = strlen(s);
    static const struct {
        const char *field;
        size_t off, cap;
    } slots[] = {
        {"address", offsetof(channel_t, address), sizeof ch.address},
        {"name", offsetof(channel_t, name), sizeof ch.name},
        {"service", offsetof(channel_t, service), sizeof ch.service},
        {"hook_service", offsetof(channel_t, hook_service), sizeof ch.hook_service},
        {"gateway_services", offsetof(channel_t, gateway_services), sizeof ch.gateway_services},
        {"security", offsetof(channel_t, security), sizeof ch.security},
        {"data_format", offsetof(channel_t, data_format), sizeof ch.data_format},
    };
    size_t k = data[0] % (sizeof slots / sizeof slots[0]);
    if (len < slots[k].cap) {
        memcpy((char *)&ch + slots[k].off, s, len + 1);
        if (k == 0 && strncasecmp(s, "wss://", 6) == 0) {
            /* a wss:// address needs its certificate and key: give it valid paths, so
             * the channel is valid exactly when the address is */
            snprintf(ch.tls_cert, sizeof ch.tls_cert, "/etc/wsx/c.pem");
            snprintf(ch.tls_key, sizeof ch.tls_key, "/etc/wsx/k.pem");
        }
        int rc = channel_validate(&ch, &err);
        CHECK(rc == 0 || rc == WSX_EINVAL);
        if (rc != 0)
            check_err(&err);
        if (k == 0)
            CHECK((rc == 0) == (channel_addr_parse(s, NULL, &err) == 0));
        if (k == 1 && rc == 0) {
            channel_err_t e2;
            CHECK(len > 0 && channel_check_text("name", s, CHANNEL_NAME_MAX, &e2) == 0);
            CHECK(utf8_ref_validate((const uint8_t *)s, len) == 0);
            CHECK(s[0] != ' ' && s[len - 1] != ' ');
            for (size_t i = 0; i < len; i++)
                CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
        }
        if (k == 6 && rc == 0)
            CHECK(strcmp(s, "json") == 0 || strcmp(s, "raw") == 0);
    }
    /* ints: a field picked by the second byte set to a value from the next eight */
    if (size >= 10) {
        channel_t c2 = valid_channel();
        int64_t *ints[] = {&c2.new_token_wait_time, &c2.token_ttl, &c2.ping_interval,
                           &c2.pings_missed_threshold, &c2.max_message_size};
        int64_t v;
        memcpy(&v, data + 2, sizeof v);
        size_t which = data[1] % 5;
        *ints[which] = v;
        int rc = channel_validate(&c2, &err);
        CHECK(rc == 0 || rc == WSX_EINVAL);
        if (rc == 0)
            CHECK(v >= 1 && v <= (which == 4 ? (int64_t)1 << 30 : INT32_MAX));
        else
            check_err(&err);
    }
    free(s);
    return 0;
}

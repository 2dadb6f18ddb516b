/* channel.c - the channel model: defaults, the ws://HOST:PORT/PATH address parser
 * and field validation. Every failure names the field and says what a valid value
 * looks like, because these messages reach the admin API, the web admin and the CLI
 * unchanged. Pure functions: no I/O, no allocation. */
#include "channel/channel.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"

/* Times are seconds that later code adds to a nanosecond clock; capping them at
 * 2^31-1 (68 years) keeps that arithmetic far from overflow while allowing any
 * value a person means as "practically forever". */
#define CHANNEL_SECONDS_MAX 2147483647LL
#define CHANNEL_COUNT_MAX 2147483647LL
#define CHANNEL_LOG_MESSAGES_MAX 65536LL /* bytes of a message logged, at most */
#define CHANNEL_MESSAGE_MAX (1024LL * 1024 * 1024)

/* Code points shown of a value quoted back in a message; the rest becomes "...". */
#define QUOTE_MAX_CHARS 80

void channel_defaults(channel_t *ch)
{
    memset(ch, 0, sizeof *ch);
    ch->cluster_id = 1;
    ch->is_active = 1;
    strcpy(ch->data_format, "json");
    ch->new_token_wait_time = CHANNEL_DEFAULT_NEW_TOKEN_WAIT;
    ch->token_ttl = CHANNEL_DEFAULT_TOKEN_TTL;
    ch->ping_interval = CHANNEL_DEFAULT_PING_INTERVAL;
    ch->pings_missed_threshold = CHANNEL_DEFAULT_PINGS_MISSED;
    ch->max_message_size = CHANNEL_DEFAULT_MAX_MESSAGE;
    strcpy(ch->slow_consumer_policy, "close");
    ch->slow_consumer_seconds = CHANNEL_DEFAULT_SLOW_CONSUMER_SECONDS;
    ch->write_queue_high_water = CHANNEL_DEFAULT_WRITE_QUEUE_HIGH_WATER;
}

/* Cut a NUL-terminated buffer back to the last whole UTF-8 sequence, so that a
 * message truncated by snprintf stays valid UTF-8 (JSON encoders refuse it
 * otherwise). */
static void trim_partial_utf8(char *s)
{
    size_t n = strlen(s);
    size_t i = n;
    /* step back over continuation bytes to the lead byte of the last sequence */
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - (i - 1) < need)
        s[i - 1] = '\0';
}

int channel_err_set(channel_err_t *err, const char *field, const char *code, const char *fmt, ...)
{
    if (!err)
        return WSX_EINVAL;
    /* field may be a client's unknown key of any length */
    if (snprintf(err->field, sizeof err->field, "%s", field ? field : "") >= (int)sizeof err->field)
        trim_partial_utf8(err->field);
    snprintf(err->code, sizeof err->code, "%s", code ? code : "");
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof err->message)
        trim_partial_utf8(err->message);
    return WSX_EINVAL;
}

/* Decode one UTF-8 sequence (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF) from s[0..n). Returns its length and sets *cp, or 0 if invalid. Kept
 * here rather than in common/utf8 because validation needs the code points
 * themselves (to count them and to find control characters), not only a yes/no. */
static size_t next_code_point(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, min = 0x80, c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, min = 0x800, c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

static int is_control(unsigned cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* Unicode White_Space outside the control ranges: what a person cannot see at the
 * edge of a name and would not know is there. */
static int is_space(unsigned cp)
{
    return cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Write s, quoted and escaped, into out: controls, quotes, backslashes and bytes
 * that are not UTF-8 are escaped so that the message stays printable and valid
 * UTF-8; long values are shortened. */
static const char *quote(const char *s, char *out, size_t cap)
{
    size_t o = 0, chars = 0, n = strlen(s);
    const unsigned char *p = (const unsigned char *)s;
    out[o++] = '"';
    for (size_t i = 0; i < n;) {
        if (o + 12 >= cap || chars == QUOTE_MAX_CHARS) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        unsigned cp;
        size_t len = next_code_point(p + i, n - i, &cp);
        if (len == 0) {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02X", p[i]);
            i++;
        } else if (cp == '"' || cp == '\\') {
            out[o++] = '\\';
            out[o++] = (char)cp;
            i++;
        } else if (is_control(cp)) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04X", cp);
            i += len;
        } else {
            memcpy(out + o, p + i, len);
            o += len;
            i += len;
        }
        chars++;
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

#define QUOTE_BUF (QUOTE_MAX_CHARS * 4 + 16)

/* Is host (NUL-terminated, brackets already removed for IPv6) something a
 * listener can bind to: a DNS name, an IPv4 address? Returns a reason or NULL. */
static const char *host_problem(const char *h)
{
    size_t n = strlen(h);
    int digits_and_dots = 1;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (!((c >= '0' && c <= '9') || c == '.'))
            digits_and_dots = 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return "may only hold letters, digits, '-', '_' and '.'";
    }
    if (digits_and_dots) {
        struct in_addr a4;
        if (inet_pton(AF_INET, h, &a4) != 1)
            return "is not a valid IPv4 address";
        return NULL;
    }
    if (n > 253)
        return "is longer than 253 characters";
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || h[i] == '.') {
            if (label == 0)
                return "has an empty label (two dots in a row, or a dot at an end)";
            if (label > 63)
                return "has a label longer than 63 characters";
            label = 0;
        } else {
            label++;
        }
    }
    return NULL;
}

int channel_addr_parse(const char *addr, channel_addr_t *out, channel_err_t *err)
{
    char q[QUOTE_BUF];
    const char *field = "address";
    channel_addr_t a;
    memset(&a, 0, sizeof a);

    if (!addr || !*addr)
        return channel_err_set(err, field, "required",
                               "address is required, as in ws://0.0.0.0:8080/path");

    /* Schemes are case-insensitive (RFC 3986 3.1): WS:// means ws://. */
    const char *p;
    if (strncasecmp(addr, "ws://", 5) == 0) {
        p = addr + 5;
    } else if (strncasecmp(addr, "wss://", 6) == 0) {
        a.tls = 1;
        p = addr + 6;
    } else if (strstr(addr, "://")) {
        return channel_err_set(err, field, "invalid",
                               "address must start with ws:// or wss://, got %s",
                               quote(addr, q, sizeof q));
    } else {
        return channel_err_set(err, field, "invalid",
                               "address must look like ws://HOST:PORT/PATH, got %s",
                               quote(addr, q, sizeof q));
    }

    /* ws://user:pass@host: browsers refuse it, and credentials belong in a
     * security definition, not in an address everyone can read. */
    const char *at = strchr(p, '@');
    if (at && at < p + strcspn(p, "/"))
        return channel_err_set(err, field, "invalid",
                               "address must not hold a user name or password (use a security "
                               "definition), got %s",
                               quote(addr, q, sizeof q));

    /* Host: [IPv6] or everything up to ':' or '/'. */
    int bracketed = *p == '[';
    const char *h, *hend;
    if (bracketed) {
        h = p + 1;
        hend = h + strcspn(h, "]/");
        if (*hend != ']')
            return channel_err_set(err, field, "invalid",
                                   "address has '[' without a closing ']', got %s",
                                   quote(addr, q, sizeof q));
        p = hend + 1;
    } else {
        h = p;
        hend = p + strcspn(p, ":/");
        /* Two ':' before the path and nothing but hex digits: an IPv6 literal
         * someone forgot to bracket. */
        size_t an = strcspn(p, "/");
        if (memchr(p, ':', an) != memrchr(p, ':', an) &&
            strspn(p, "0123456789abcdefABCDEF:.") >= an)
            return channel_err_set(err, field, "invalid",
                                   "address has an IPv6 host without brackets; write it as in "
                                   "ws://[::1]:8080/path, got %s",
                                   quote(addr, q, sizeof q));
        p = hend;
    }
    size_t hn = (size_t)(hend - h);
    if (hn == 0)
        return channel_err_set(err, field, "invalid",
                               "address needs a host before the port, as in "
                               "ws://0.0.0.0:8080/path, got %s",
                               quote(addr, q, sizeof q));
    if (hn >= sizeof a.host)
        return channel_err_set(err, field, "too_long",
                               "host must be at most %zu characters, got %zu", sizeof a.host - 1,
                               hn);
    memcpy(a.host, h, hn);
    a.host[hn] = '\0';
    if (bracketed) {
        struct in6_addr a6;
        if (inet_pton(AF_INET6, a.host, &a6) != 1)
            return channel_err_set(err, field, "invalid",
                                   "host %s in brackets is not a valid IPv6 address",
                                   quote(a.host, q, sizeof q));
    } else {
        const char *why = host_problem(a.host);
        if (why)
            return channel_err_set(err, field, "invalid", "host %s %s", quote(a.host, q, sizeof q),
                                   why);
    }

    /* Port: required, digits only, 1..65535. */
    if (*p != ':' || p[1] == '/' || p[1] == '\0')
        return channel_err_set(
            err, field, "invalid", "address needs a port, as in ws://%s%s%s:8080/path, got %s",
            bracketed ? "[" : "", a.host, bracketed ? "]" : "", quote(addr, q, sizeof q));
    p++;
    size_t pn = strcspn(p, "/");
    for (size_t i = 0; i < pn; i++)
        if (p[i] < '0' || p[i] > '9') {
            char raw[64];
            snprintf(raw, sizeof raw, "%.*s", (int)(pn < 40 ? pn : 40), p);
            return channel_err_set(err, field, "invalid",
                                   "port must be a number between 1 and 65535, got %s",
                                   quote(raw, q, sizeof q));
        }
    /* Compare as digits so that 99999999999999999999 cannot overflow. */
    const char *d = p;
    size_t dn = pn;
    while (dn > 1 && *d == '0')
        d++, dn--;
    long port = 0;
    if (dn <= 5)
        for (size_t i = 0; i < dn; i++)
            port = port * 10 + (d[i] - '0');
    if (dn > 5 || port < 1 || port > 65535)
        return channel_err_set(err, field, "out_of_range",
                               "port must be between 1 and 65535, got %.*s",
                               (int)(pn < 30 ? pn : 30), p);
    a.port = (uint16_t)port;
    p += pn;

    /* Path: required; what a client puts in its request line, so ASCII only. */
    if (*p != '/')
        return channel_err_set(
            err, field, "invalid", "address needs a path after the port, as in %.*s/, got %s",
            (int)(p - addr < 300 ? p - addr : 300), addr, quote(addr, q, sizeof q));
    size_t len = strlen(p);
    if (len >= sizeof a.path)
        return channel_err_set(err, field, "too_long",
                               "path must be at most %zu characters, got %zu", sizeof a.path - 1,
                               len);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        const char *why = NULL;
        if (c == ' ')
            why = "must not contain spaces (percent-encode them as %20)";
        else if (c < 0x20 || c == 0x7F)
            why = "must not contain control characters";
        else if (c == '?')
            why = "must not contain '?' (a query string is not part of a channel's path)";
        else if (c == '#')
            why = "must not contain '#' (a fragment is not part of a channel's path)";
        else if (c >= 0x80)
            why = "must be ASCII (percent-encode other characters)";
        else if (c == '%' &&
                 !(isxdigit((unsigned char)p[i + 1]) && isxdigit((unsigned char)p[i + 2])))
            why = "has a '%' that is not followed by two hex digits";
        if (why)
            return channel_err_set(err, field, "invalid", "path %s, got %s", why,
                                   quote(p, q, sizeof q));
    }
    memcpy(a.path, p, len + 1);
    if (out)
        *out = a;
    return 0;
}

int channel_check_text(const char *field, const char *s, size_t max, channel_err_t *err)
{
    char q[QUOTE_BUF];
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), chars = 0;
    unsigned first = 0, last = 0;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t len = next_code_point(p + i, n - i, &cp);
        if (len == 0)
            return channel_err_set(err, field, "invalid",
                                   "%s must be valid UTF-8 (bad byte 0x%02X at byte %zu)", field,
                                   p[i], i + 1);
        if (is_control(cp))
            return channel_err_set(err, field, "invalid",
                                   "%s must not contain control characters (U+%04X at character "
                                   "%zu)",
                                   field, cp, chars + 1);
        if (chars == 0)
            first = cp;
        last = cp;
        chars++;
        i += len;
    }
    if (chars > max)
        return channel_err_set(err, field, "too_long", "%s must be at most %zu characters, got %zu",
                               field, max, chars);
    if (is_space(first) || is_space(last))
        return channel_err_set(err, field, "invalid",
                               "%s must not start or end with whitespace, got %s", field,
                               quote(s, q, sizeof q));
    return 0;
}

/* A service is invoked by its name from code and configuration files, where a
 * space or a control character would be a mistake. */
static int check_service_name(const char *field, const char *s, channel_err_t *err)
{
    char q[QUOTE_BUF];
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7F)
            return channel_err_set(err, field, "invalid",
                                   "%s must be a service name without spaces or control "
                                   "characters, got %s",
                                   field, quote(s, q, sizeof q));
    }
    if (strlen(s) > CHANNEL_SERVICE_NAME_MAX)
        return channel_err_set(err, field, "too_long", "%s must be at most %d bytes, got %zu",
                               field, CHANNEL_SERVICE_NAME_MAX, strlen(s));
    return channel_check_text(field, s, CHANNEL_SERVICE_NAME_MAX, err);
}

/* Service names separated by single spaces (how the allow-list is stored), or "". */
static int check_service_list(const char *field, const char *s, channel_err_t *err)
{
    char name[CHANNEL_SERVICE_NAME_MAX + 2];
    size_t total = strlen(s);
    if (total >= CHANNEL_GATEWAY_MAX)
        return channel_err_set(err, field, "too_long",
                               "%s must take at most %d bytes (names and one separator each), "
                               "got %zu",
                               field, CHANNEL_GATEWAY_MAX - 1, total);
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, " ");
        if (n == 0)
            return channel_err_set(err, field, "invalid", "%s must not hold an empty service name",
                                   field);
        if (n > CHANNEL_SERVICE_NAME_MAX)
            return channel_err_set(err, field, "too_long",
                                   "each service name in %s must be at most %d bytes, got %zu",
                                   field, CHANNEL_SERVICE_NAME_MAX, n);
        memcpy(name, p, n);
        name[n] = '\0';
        int rc = check_service_name(field, name, err);
        if (rc)
            return rc;
        p += n;
        if (*p == ' ' && !*++p)
            return channel_err_set(err, field, "invalid", "%s must not hold an empty service name",
                                   field);
    }
    return 0;
}

static int check_range(const char *field, int64_t v, int64_t max, const char *unit,
                       channel_err_t *err)
{
    if (v < 1)
        return channel_err_set(err, field, "out_of_range",
                               "%s must be a positive integer, got %lld", field, (long long)v);
    if (v > max)
        return channel_err_set(err, field, "out_of_range", "%s must be at most %lld%s, got %lld",
                               field, (long long)max, unit, (long long)v);
    return 0;
}

/* A certificate or key path: absolute (the server's working directory is no
 * part of the configuration), printable, and bounded. */
static int check_path(const char *field, const char *v, channel_err_t *err)
{
    if (v[0] != '/')
        return channel_err_set(err, field, "invalid",
                               "%s must be an absolute path (starting with /) to a PEM file",
                               field);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return channel_err_set(err, field, "invalid", "%s must not contain control characters",
                                   field);
    if (strlen(v) >= CHANNEL_PATH_MAX - 1)
        return channel_err_set(err, field, "too_long", "%s must be at most %d bytes", field,
                               CHANNEL_PATH_MAX - 2);
    return 0;
}

/* wss:// needs both files, ws:// takes neither (a path there would look like TLS
 * is on when it is not). */
static int check_tls(const channel_t *ch, channel_err_t *err)
{
    int wss = strncasecmp(ch->address, "wss://", 6) == 0 /* as channel_addr_parse reads it */;
    static const char *const f[2] = {"tls_cert", "tls_key"};
    const char *v[2] = {ch->tls_cert, ch->tls_key};
    for (int i = 0; i < 2; i++) {
        int rc;
        if (!wss && v[i][0])
            return channel_err_set(err, f[i], "not_allowed",
                                   "%s is only for wss:// addresses; remove it or use wss://",
                                   f[i]);
        if (wss && !v[i][0])
            return channel_err_set(err, f[i], "required",
                                   "%s is required for a wss:// address (the path of a PEM %s)",
                                   f[i], i ? "private key" : "certificate chain");
        if (wss && (rc = check_path(f[i], v[i], err)))
            return rc;
    }
    return 0;
}

int channel_validate(const channel_t *ch, channel_err_t *err)
{
    char q[QUOTE_BUF];
    int rc;

    if (ch->cluster_id < 1)
        return channel_err_set(err, "cluster_id", "out_of_range",
                               "cluster_id must be a positive integer, got %lld",
                               (long long)ch->cluster_id);

    if (!ch->name[0])
        return channel_err_set(err, "name", "required", "name is required");
    if ((rc = channel_check_text("name", ch->name, CHANNEL_NAME_MAX, err)))
        return rc;

    if ((rc = channel_addr_parse(ch->address, NULL, err)))
        return rc;

    if (!ch->service[0])
        return channel_err_set(err, "service", "required", "service is required");
    if ((rc = check_service_name("service", ch->service, err)))
        return rc;
    if (ch->hook_service[0] && (rc = check_service_name("hook_service", ch->hook_service, err)))
        return rc;
    if ((rc = check_service_list("gateway_services", ch->gateway_services, err)))
        return rc;

    if (ch->security[0] &&
        (rc = channel_check_text("security", ch->security, CHANNEL_NAME_MAX, err)))
        return rc;

    if (strcmp(ch->data_format, "json") != 0 && strcmp(ch->data_format, "raw") != 0)
        return channel_err_set(err, "data_format", "invalid",
                               "data_format must be \"json\" or \"raw\", got %s",
                               quote(ch->data_format, q, sizeof q));

    if ((rc = check_range("new_token_wait_time", ch->new_token_wait_time, CHANNEL_SECONDS_MAX,
                          " seconds", err)) ||
        (rc = check_range("token_ttl", ch->token_ttl, CHANNEL_SECONDS_MAX, " seconds", err)) ||
        (rc = check_range("ping_interval", ch->ping_interval, CHANNEL_SECONDS_MAX, " seconds",
                          err)) ||
        (rc = check_range("pings_missed_threshold", ch->pings_missed_threshold, CHANNEL_COUNT_MAX,
                          "", err)))
        return rc;

    if (ch->max_message_size < 1 || ch->max_message_size > CHANNEL_MESSAGE_MAX)
        return channel_err_set(
            err, "max_message_size", "out_of_range",
            "max_message_size must be between 1 and %lld bytes (1 GiB), got %lld",
            CHANNEL_MESSAGE_MAX, (long long)ch->max_message_size);
    if (ch->log_messages < 0 || ch->log_messages > CHANNEL_LOG_MESSAGES_MAX)
        return channel_err_set(err, "log_messages", "out_of_range",
                               "log_messages must be between 0 (off) and %lld bytes, got %lld",
                               CHANNEL_LOG_MESSAGES_MAX, (long long)ch->log_messages);
    if (ch->permessage_deflate != 0 && ch->permessage_deflate != 1)
        return channel_err_set(err, "permessage_deflate", "invalid",
                               "permessage_deflate must be true or false, got %d",
                               ch->permessage_deflate);
    if (ch->deflate_max_window_bits != 0 &&
        (ch->deflate_max_window_bits < 9 || ch->deflate_max_window_bits > 15))
        return channel_err_set(err, "deflate_max_window_bits", "out_of_range",
                               "deflate_max_window_bits must be 0 (no cap) or between 9 and 15, "
                               "got %lld",
                               (long long)ch->deflate_max_window_bits);
    if (ch->max_connections < 0 || ch->max_connections > CHANNEL_COUNT_MAX)
        return channel_err_set(err, "max_connections", "out_of_range",
                               "max_connections must be between 0 (unlimited) and %lld, got %lld",
                               CHANNEL_COUNT_MAX, (long long)ch->max_connections);
    if (strcmp(ch->slow_consumer_policy, "close") != 0 &&
        strcmp(ch->slow_consumer_policy, "drop") != 0)
        return channel_err_set(err, "slow_consumer_policy", "invalid",
                               "slow_consumer_policy must be \"close\" or \"drop\", got %s",
                               quote(ch->slow_consumer_policy, q, sizeof q));
    if ((rc = check_range("slow_consumer_seconds", ch->slow_consumer_seconds, CHANNEL_SECONDS_MAX,
                          " seconds", err)))
        return rc;
    if (ch->write_queue_high_water < CHANNEL_WRITE_QUEUE_HIGH_WATER_MIN ||
        ch->write_queue_high_water > CHANNEL_WRITE_QUEUE_HIGH_WATER_MAX)
        return channel_err_set(
            err, "write_queue_high_water", "out_of_range",
            "write_queue_high_water must be between %lld and %lld bytes (1 GiB), got %lld",
            CHANNEL_WRITE_QUEUE_HIGH_WATER_MIN, CHANNEL_WRITE_QUEUE_HIGH_WATER_MAX,
            (long long)ch->write_queue_high_water);
    return check_tls(ch, err);
}

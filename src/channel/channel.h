/* channel.h - the channel model: what an administrator defines, as stored in the
 * ODB and shown by the API, its address, and validation with errors that name the
 * field. Pure functions, no I/O; the ODB and the reconciler build on them. */
#ifndef WSX_CHANNEL_H
#define WSX_CHANNEL_H

#include <stdint.h>
#include <stddef.h>

#define CHANNEL_NAME_MAX 200          /* characters (code points) */
#define CHANNEL_DEFAULT_NEW_TOKEN_WAIT 5
#define CHANNEL_DEFAULT_TOKEN_TTL 3600
#define CHANNEL_DEFAULT_PING_INTERVAL 45
#define CHANNEL_DEFAULT_PINGS_MISSED 2
#define CHANNEL_DEFAULT_MAX_MESSAGE (1024 * 1024)
#define CHANNEL_DEFAULT_SLOW_CONSUMER_SECONDS 10
#define CHANNEL_DEFAULT_WRITE_QUEUE_HIGH_WATER (4 * 1024 * 1024)
#define CHANNEL_WRITE_QUEUE_HIGH_WATER_MIN 1024LL
#define CHANNEL_WRITE_QUEUE_HIGH_WATER_MAX (1024LL * 1024 * 1024)
#define CHANNEL_SERVICE_NAME_MAX 255  /* bytes of a service name */
#define CHANNEL_GATEWAY_MAX 4096      /* bytes of gateway_services, with its NUL */
#define CHANNEL_PATH_MAX 1024         /* bytes of tls_cert and tls_key, with the NUL */

/* A parsed channel address: ws://HOST:PORT/PATH (or wss://). */
typedef struct channel_addr {
    int tls;          /* 1 for wss:// */
    char host[256];   /* as written; an IPv6 literal without its brackets */
    uint16_t port;    /* 1..65535 */
    char path[1024];  /* starts with '/' */
} channel_addr_t;

/* A channel as stored. Strings are NUL-terminated copies owned by the struct. */
typedef struct channel {
    int64_t id;
    int64_t cluster_id;
    char name[CHANNEL_NAME_MAX * 4 + 1];
    int is_active;
    char address[1400];
    char service[256];
    char hook_service[256]; /* the service called on connection events, "" for none */
    /* helpers.web-sockets-gateway's allow-list: names separated by single spaces, "" none */
    char gateway_services[CHANNEL_GATEWAY_MAX];
    int64_t security_id; /* the security definition (its id in the ODB), 0 for none */
    /* that definition's name, "" for none: reads fill it, writes use security_id */
    char security[CHANNEL_NAME_MAX * 4 + 1];
    char data_format[8];    /* "json" or "raw" */
    int64_t new_token_wait_time;
    int64_t token_ttl;
    int64_t ping_interval;
    int64_t pings_missed_threshold;
    int64_t max_message_size;
    int64_t log_messages;   /* log each message's first N bytes, 0: off */
    /* wss:// only: absolute paths of the PEM certificate chain and private key,
     * read by the server; "" for ws:// (only the key's path is ever stored) */
    char tls_cert[CHANNEL_PATH_MAX];
    char tls_key[CHANNEL_PATH_MAX];
    int permessage_deflate; /* 1: accept a client's permessage-deflate offer */
    int64_t deflate_max_window_bits; /* cap of the LZ77 windows, 9..15; 0: none */
    /* limits (README "Limits"): upgrades open at once, 0: unlimited; what to do with
     * a client whose unsent output stays above write_queue_high_water bytes */
    int64_t max_connections;
    char slow_consumer_policy[8]; /* "close" (1008 after slow_consumer_seconds) or "drop" */
    int64_t slow_consumer_seconds;
    int64_t write_queue_high_water;
    char created_at[40];    /* ISO 8601 UTC */
    char updated_at[40];
    char state[160];        /* this server's: listening / inactive / error: ... */
} channel_t;

/* A validation failure: which field, a machine code and a sentence for a person. */
typedef struct channel_err {
    char field[64];
    char code[48];      /* e.g. "required", "too_long", "invalid", "unknown_field" */
    char message[512];
} channel_err_t;

/* Fill a channel with the defaults of a new one (active, json, 5 s, 3600 s, 45 s,
 * 2, 1 MiB, cluster 1; no connection limit, slow consumers closed after 10 s above
 * a 4 MiB write queue). */
void channel_defaults(channel_t *ch);

/* Parse "ws://HOST:PORT/PATH" (or wss://). HOST: a name, IPv4 or [IPv6]. The port
 * is required and 1..65535; the path must start with '/', may not hold spaces,
 * control characters, '?' or '#'. Returns 0, or WSX_EINVAL with err->message
 * saying what is wrong (field "address"). */
int channel_addr_parse(const char *addr, channel_addr_t *out, channel_err_t *err);

/* Check every field of a channel, stopping at the first problem: name required,
 * at most 200 characters, valid UTF-8 without control characters; address parses;
 * service non-empty; hook_service empty or a service name; gateway_services empty or
 * service names (each 1..255 bytes, no whitespace or control characters) separated
 * by single spaces; security a name like the channel's; data_format json or raw; the
 * numbers positive (ping interval, thresholds and times >= 1 and at most 2^31-1, so
 * seconds never overflow when turned into smaller units; max_message_size between 1
 * and 1 GiB); tls_cert and tls_key required for a wss:// address (absolute paths
 * without control characters) and refused for ws://; max_connections 0..2^31-1;
 * slow_consumer_policy close or drop; slow_consumer_seconds >= 1; write_queue_high_water
 * 1 KiB..1 GiB. Whether the services and the security definition exist, and uniqueness,
 * are checked by the caller, which knows the registry and the ODB. Returns 0 or
 * WSX_EINVAL with *err filled. */
int channel_validate(const channel_t *ch, channel_err_t *err);

/* A free-text name (of a channel, a security definition): valid UTF-8, no control
 * characters, no whitespace at either end, at most max_chars code points. `field`
 * names it in the error. Returns 0 or WSX_EINVAL with *err filled. */
int channel_check_text(const char *field, const char *s, size_t max_chars, channel_err_t *err);

/* Set err's three fields (printf-style message). Returns WSX_EINVAL. */
int channel_err_set(channel_err_t *err, const char *field, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

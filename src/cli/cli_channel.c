/* cli_channel.c - `wsx channel create|list|get|edit|delete`, a client of the admin API.
 * Channels are addressed by name: the id comes from the list endpoint. create and edit
 * send only the fields given on the command line, so defaults, ranges and every other
 * rule stay the server's and its error message is what the user sees. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const cli_list_t channels = {"/api/v1/channels", "a channel list", "channel", "channel "};

enum {
    OPT_HELP = 'h',
    OPT_NAME = CLI_HTTP_OPT_FIRST_FREE,
    OPT_RENAME,
    OPT_ADDRESS,
    OPT_SERVICE,
    OPT_ACTIVE,
    OPT_INACTIVE,
    OPT_SECURITY,
    OPT_HOOK_SERVICE,
    OPT_GATEWAY_SERVICES,
    OPT_DATA_FORMAT,
    OPT_NEW_TOKEN_WAIT,
    OPT_TOKEN_TTL,
    OPT_PING_INTERVAL,
    OPT_PINGS_MISSED,
    OPT_MAX_MESSAGE,
    OPT_LOG_MESSAGES,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_PERMESSAGE_DEFLATE,
    OPT_DEFLATE_BITS,
    OPT_MAX_CONNECTIONS,
    OPT_SLOW_POLICY,
    OPT_SLOW_SECONDS,
    OPT_HIGH_WATER,
    OPT_QUERY,
    OPT_JSON,
};

/* How an option's value goes into the request body. */
enum { F_STRING, F_STRING_OR_NULL, F_INTEGER, F_LIST, F_ONOFF };

typedef struct field_opt {
    int opt;
    const char *flag;
    const char *key;
    int kind;
} field_opt_t;

static const field_opt_t field_opts[] = {
    {OPT_NAME, "--name", "name", F_STRING},
    {OPT_RENAME, "--rename", "name", F_STRING},
    {OPT_ADDRESS, "--address", "address", F_STRING},
    {OPT_SERVICE, "--service", "service", F_STRING},
    {OPT_SECURITY, "--security", "security", F_STRING_OR_NULL},
    {OPT_HOOK_SERVICE, "--hook-service", "hook_service", F_STRING_OR_NULL},
    {OPT_GATEWAY_SERVICES, "--gateway-services", "gateway_services", F_LIST},
    {OPT_DATA_FORMAT, "--data-format", "data_format", F_STRING},
    {OPT_NEW_TOKEN_WAIT, "--new-token-wait-time", "new_token_wait_time", F_INTEGER},
    {OPT_TOKEN_TTL, "--token-ttl", "token_ttl", F_INTEGER},
    {OPT_PING_INTERVAL, "--ping-interval", "ping_interval", F_INTEGER},
    {OPT_PINGS_MISSED, "--pings-missed-threshold", "pings_missed_threshold", F_INTEGER},
    {OPT_MAX_MESSAGE, "--max-message-size", "max_message_size", F_INTEGER},
    {OPT_LOG_MESSAGES, "--log-messages", "log_messages", F_INTEGER},
    {OPT_TLS_CERT, "--tls-cert", "tls_cert", F_STRING_OR_NULL},
    {OPT_TLS_KEY, "--tls-key", "tls_key", F_STRING_OR_NULL},
    {OPT_PERMESSAGE_DEFLATE, "--permessage-deflate", "permessage_deflate", F_ONOFF},
    {OPT_DEFLATE_BITS, "--deflate-max-window-bits", "deflate_max_window_bits", F_INTEGER},
    {OPT_MAX_CONNECTIONS, "--max-connections", "max_connections", F_INTEGER},
    {OPT_SLOW_POLICY, "--slow-consumer-policy", "slow_consumer_policy", F_STRING},
    {OPT_SLOW_SECONDS, "--slow-consumer-seconds", "slow_consumer_seconds", F_INTEGER},
    {OPT_HIGH_WATER, "--write-queue-high-water", "write_queue_high_water", F_INTEGER},
};

/* The options create and edit share; edit adds --rename and refuses --name. */
/* clang-format off */
#define FIELD_LONGOPTS \
    {"address", required_argument, NULL, OPT_ADDRESS}, \
    {"service", required_argument, NULL, OPT_SERVICE}, \
    {"active", no_argument, NULL, OPT_ACTIVE}, \
    {"inactive", no_argument, NULL, OPT_INACTIVE}, \
    {"security", required_argument, NULL, OPT_SECURITY}, \
    {"hook-service", required_argument, NULL, OPT_HOOK_SERVICE}, \
    {"gateway-services", required_argument, NULL, OPT_GATEWAY_SERVICES}, \
    {"data-format", required_argument, NULL, OPT_DATA_FORMAT}, \
    {"new-token-wait-time", required_argument, NULL, OPT_NEW_TOKEN_WAIT}, \
    {"token-ttl", required_argument, NULL, OPT_TOKEN_TTL}, \
    {"ping-interval", required_argument, NULL, OPT_PING_INTERVAL}, \
    {"pings-missed-threshold", required_argument, NULL, OPT_PINGS_MISSED}, \
    {"max-message-size", required_argument, NULL, OPT_MAX_MESSAGE}, \
    {"log-messages", required_argument, NULL, OPT_LOG_MESSAGES}, \
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT}, \
    {"tls-key", required_argument, NULL, OPT_TLS_KEY}, \
    {"permessage-deflate", required_argument, NULL, OPT_PERMESSAGE_DEFLATE}, \
    {"deflate-max-window-bits", required_argument, NULL, OPT_DEFLATE_BITS}, \
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS}, \
    {"slow-consumer-policy", required_argument, NULL, OPT_SLOW_POLICY}, \
    {"slow-consumer-seconds", required_argument, NULL, OPT_SLOW_SECONDS}, \
    {"write-queue-high-water", required_argument, NULL, OPT_HIGH_WATER}
/* clang-format on */

static const struct option create_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"name", required_argument, NULL, OPT_NAME},
    FIELD_LONGOPTS,
    CLI_HTTP_LONGOPTS,
    {NULL, 0, NULL, 0},
};
static const struct option edit_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"name", required_argument, NULL, OPT_NAME},
    {"rename", required_argument, NULL, OPT_RENAME},
    FIELD_LONGOPTS,
    CLI_HTTP_LONGOPTS,
    {NULL, 0, NULL, 0},
};
static const struct option list_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"query", required_argument, NULL, OPT_QUERY},
    {"json", no_argument, NULL, OPT_JSON},
    CLI_HTTP_LONGOPTS,
    {NULL, 0, NULL, 0},
};
static const struct option get_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"json", no_argument, NULL, OPT_JSON},
    CLI_HTTP_LONGOPTS,
    {NULL, 0, NULL, 0},
};
static const struct option delete_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    CLI_HTTP_LONGOPTS,
    {NULL, 0, NULL, 0},
};

#define SYNOPSIS_CREATE                                                                            \
    "wsx channel create --name N --address URL --service S [--inactive] [--security NAME]\n"       \
    "                   [--hook-service S] [--gateway-services S1,S2,...]\n"                       \
    "                   [--data-format json|raw] [--new-token-wait-time S] [--token-ttl S]\n"      \
    "                   [--ping-interval S] [--pings-missed-threshold N]\n"                        \
    "                   [--max-message-size BYTES] [--log-messages BYTES]\n"                       \
    "                   [--tls-cert FILE --tls-key FILE]\n"                                        \
    "                   [--permessage-deflate on|off] [--deflate-max-window-bits N]\n"             \
    "                   [--max-connections N] [--slow-consumer-policy close|drop]\n"               \
    "                   [--slow-consumer-seconds S] [--write-queue-high-water BYTES]\n"
#define SYNOPSIS_LIST "wsx channel list [--query Q] [--json]\n"
#define SYNOPSIS_GET "wsx channel get NAME [--json]\n"
#define SYNOPSIS_EDIT                                                                              \
    "wsx channel edit NAME [any create option] [--active|--inactive] [--rename NEW]\n"
#define SYNOPSIS_DELETE "wsx channel delete NAME\n"

#define FIELDS_USAGE                                                                               \
    "  --address URL                ws://HOST:PORT/PATH or wss://HOST:PORT/PATH\n"                 \
    "  --service S                  the service that handles the channel's messages\n"             \
    "  --active, --inactive         whether the channel listens (a new one is active)\n"           \
    "  --security NAME              security definition clients log in with; \"\" for none\n"      \
    "  --hook-service S             service called on connection events; \"\" for none\n"          \
    "  --gateway-services S1,S2     services helpers.web-sockets-gateway may invoke; \"\" none\n"  \
    "  --data-format json|raw       message format (default json)\n"                               \
    "  --new-token-wait-time S      seconds a new client has to log in (default 5)\n"              \
    "  --token-ttl S                seconds a login token lives, renewed on use (default 3600)\n"  \
    "  --ping-interval S            seconds between server pings (default 45)\n"                   \
    "  --pings-missed-threshold N   missed pings before a client is closed (default 2)\n"          \
    "  --max-message-size BYTES     largest message accepted (default 1048576)\n"                  \
    "  --log-messages BYTES         log each message in and out, cut to BYTES (default 0: off)\n"  \
    "  --tls-cert FILE              wss:// only: absolute path of the PEM certificate chain\n"     \
    "  --tls-key FILE               wss:// only: absolute path of the PEM private key\n"           \
    "  --permessage-deflate on|off  accept clients' permessage-deflate offers (default off)\n"     \
    "  --deflate-max-window-bits N  cap its LZ77 windows at 2^N bytes, 9..15 (default 0: none)\n"  \
    "  --max-connections N          WebSocket connections at once; more get 503 (default 0:\n"     \
    "                               no limit)\n"                                                   \
    "  --slow-consumer-policy P     a client whose unsent output stays above the high-water\n"     \
    "                               mark: close (1008, default) or drop new messages to it\n"      \
    "  --slow-consumer-seconds S    close: seconds above the mark before 1008 (default 10)\n"      \
    "  --write-queue-high-water BYTES  unsent output per client that counts as slow\n"             \
    "                               (default 4194304)\n"

static const char usage_channel[] =
    "usage: wsx channel COMMAND [OPTIONS]\n"
    "\n"
    "Define, show, change and delete WebSocket channels through the admin API.\n"
    "\n"
    "commands:\n"
    "  create   define a channel\n"
    "  list     list channels (a table, or JSON with --json)\n"
    "  get      show one channel\n"
    "  edit     change some fields of a channel\n"
    "  delete   delete a channel\n"
    "  broadcast send a message to every client of a channel (see broadcast --help)\n"
    "\n" SYNOPSIS_CREATE SYNOPSIS_LIST SYNOPSIS_GET SYNOPSIS_EDIT SYNOPSIS_DELETE "\n"
    "channel options (create, edit):\n"
    "  --name N                     the channel's name (create)\n"
    "  --rename NEW                 a new name (edit)\n" FIELDS_USAGE "\n" CLI_HTTP_USAGE "\n"
    "'wsx channel COMMAND --help' shows one command.\n";

static const char usage_create[] =
    "usage: " SYNOPSIS_CREATE "\n"
    "Define a channel. --name, --address and --service are required; what is not given\n"
    "takes the server's default.\n"
    "\n"
    "options:\n"
    "  --name N                     the channel's name, unique in the cluster\n" FIELDS_USAGE
    "\n" CLI_HTTP_USAGE;

static const char usage_list[] = "usage: " SYNOPSIS_LIST "\n"
                                 "List the channels as a table.\n"
                                 "\n"
                                 "options:\n"
                                 "  --query Q    only the channels the server matches with Q\n"
                                 "  --json       print the channels as a JSON array\n"
                                 "\n" CLI_HTTP_USAGE;

static const char usage_get[] = "usage: " SYNOPSIS_GET "\n"
                                "Show the channel named NAME, one `key: value` line per field.\n"
                                "\n"
                                "options:\n"
                                "  --json       print the channel as a JSON object\n"
                                "\n" CLI_HTTP_USAGE;

static const char usage_edit[] =
    "usage: " SYNOPSIS_EDIT "\n"
    "Change the channel named NAME: only the options given are sent, the rest stays.\n"
    "\n"
    "options:\n"
    "  --rename NEW                 a new name\n" FIELDS_USAGE "\n" CLI_HTTP_USAGE;

static const char usage_delete[] = "usage: " SYNOPSIS_DELETE "\n"
                                   "Delete the channel named NAME; its clients are "
                                   "disconnected.\n"
                                   "\n" CLI_HTTP_USAGE;

/* A parsed command line. */
typedef struct cmd {
    cli_http_opts_t conn;
    json_t *body;     /* the fields given, for create and edit */
    const char *name; /* the NAME argument (get, edit, delete) */
    const char *query;
    int active_opt; /* OPT_ACTIVE, OPT_INACTIVE or 0 */
    int json;
} cmd_t;

#define usage_error(...) cli_cmd_usage_error("wsx channel", __VA_ARGS__)

/* Parse a whole decimal integer (sign allowed, range left to the server). */
static int parse_integer(const char *s, json_int_t *out)
{
    const char *p = s + (*s == '-' || *s == '+');
    if (*p < '0' || *p > '9')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = (json_int_t)v;
    return 0;
}

/* Put a field option's value into the request body. Returns 0 or a usage error. */
static int set_field(json_t *body, const field_opt_t *f, const char *arg)
{
    json_t *v;
    if (f->kind == F_INTEGER) {
        json_int_t n;
        if (parse_integer(arg, &n) < 0)
            return usage_error("%s needs a whole number, not '%s'", f->flag, arg);
        v = json_integer(n);
    } else if (f->kind == F_ONOFF) {
        if (strcmp(arg, "on") == 0 || strcmp(arg, "true") == 0)
            v = json_true();
        else if (strcmp(arg, "off") == 0 || strcmp(arg, "false") == 0)
            v = json_false();
        else
            return usage_error("%s takes on or off, not '%s'", f->flag, arg);
    } else if (f->kind == F_STRING_OR_NULL && *arg == '\0') {
        v = json_null();
    } else if (f->kind == F_LIST) {
        /* a,b,c -> ["a", "b", "c"]; "" -> []. Names are the server's to check. */
        v = json_array();
        for (const char *p = arg; v && *p;) {
            size_t n = strcspn(p, ",");
            json_t *item = json_stringn(p, n);
            if (!item) {
                json_decref(v);
                return usage_error("%s is not valid UTF-8", f->flag);
            }
            json_array_append_new(v, item);
            p += n;
            if (*p == ',' && !*++p)
                json_array_append_new(v, json_string("")); /* "a," : let the server say */
        }
        if (!v)
            return cli_cmd_oom();
    } else {
        v = json_string(arg);
        if (!v)
            return usage_error("%s is not valid UTF-8", f->flag);
    }
    if (json_object_set_new(body, f->key, v) < 0)
        return cli_cmd_oom();
    return 0;
}

/* Parse a subcommand's argv (argv[0] is the subcommand) into *cmd. `npos` is how many
 * NAME arguments it takes (0 or 1). Returns 0, -1 when --help was printed, or an exit
 * status (usage error, message printed). */
static int parse_args(int argc, char **argv, const struct option *longopts, const char *usage,
                      int npos, cmd_t *cmd)
{
    memset(cmd, 0, sizeof(*cmd));
    cmd->body = json_object();
    if (!cmd->body)
        return cli_cmd_oom();
    cli_cmd_args_t a = {"wsx channel", argc, argv, longopts, usage, &cmd->conn, 0};
    int c, status;
    while ((c = cli_cmd_next_option(&a, &status)) != 0) {
        switch (c) {
        case OPT_QUERY:
            cmd->query = optarg;
            continue;
        case OPT_JSON:
            cmd->json = 1;
            continue;
        case OPT_ACTIVE:
        case OPT_INACTIVE:
            if (cmd->active_opt && cmd->active_opt != c)
                return usage_error("give --active or --inactive, not both");
            cmd->active_opt = c;
            if (json_object_set_new(cmd->body, "is_active", json_boolean(c == OPT_ACTIVE)) < 0)
                return cli_cmd_oom();
            continue;
        case OPT_NAME:
            if (longopts == edit_longopts)
                return usage_error("edit takes the channel as NAME; to rename it, use --rename "
                                   "NEW");
            break;
        }
        for (size_t i = 0; i < sizeof(field_opts) / sizeof(field_opts[0]); i++) {
            if (field_opts[i].opt == c) {
                int rc = set_field(cmd->body, &field_opts[i], optarg);
                if (rc)
                    return rc;
                break;
            }
        }
    }
    if (status)
        return status;
    int left = argc - optind;
    if (left < npos)
        return usage_error("missing the channel NAME (wsx channel %s NAME)", argv[0]);
    if (left > npos)
        return usage_error("unexpected argument '%s'", argv[optind + npos]);
    if (npos)
        cmd->name = argv[optind];
    return 0;
}

static const char *str_field(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static int cmd_create(cli_http_t *h, cmd_t *cmd)
{
    json_t *out;
    if (cli_http_api(h, "POST", "/api/v1/channels", cmd->body, &out) < 0)
        return CLI_EXIT_FAIL;
    const char *name = str_field(out, "name");
    json_t *id = json_object_get(out, "id");
    name = name ? name : str_field(cmd->body, "name");
    if (json_is_integer(id))
        printf("created channel \"%s\" (id %" JSON_INTEGER_FORMAT ")\n", name,
               json_integer_value(id));
    else
        printf("created channel \"%s\"\n", name);
    json_decref(out);
    return CLI_EXIT_OK;
}

/* A table cell: is_active as yes/no, the rest as text. */
static char *cell_text(const json_t *v)
{
    if (json_is_boolean(v))
        return strdup(json_is_true(v) ? "yes" : "no");
    return cli_out_text(v);
}

static int cmd_list(cli_http_t *h, cmd_t *cmd)
{
    static const char *const heads[] = {"NAME",    "ACTIVE",      "ADDRESS",
                                        "SERVICE", "DATA FORMAT", "STATE"};
    static const char *const keys[] = {"name",    "is_active",   "address",
                                       "service", "data_format", "state"};
    json_t *all = cli_list_all(h, &channels, cmd->query);
    if (!all)
        return CLI_EXIT_FAIL;
    int rc = cmd->json ? cli_out_json(all)
                       : cli_out_table(all, heads, keys, sizeof heads / sizeof heads[0], cell_text);
    json_decref(all);
    return rc;
}

static int cmd_get(cli_http_t *h, cmd_t *cmd)
{
    /* The API's fields in a reading order; any field a newer server adds follows them. */
    static const char *const order[] = {
        "id",
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
        "state",
        "created_at",
        "updated_at",
    };
    char path[64];
    if (cli_list_find_path(h, &channels, cmd->name, cmd->name, path, sizeof path))
        return CLI_EXIT_FAIL;
    json_t *ch;
    if (cli_http_api(h, "GET", path, NULL, &ch) < 0)
        return CLI_EXIT_FAIL;
    if (!json_is_object(ch)) {
        fprintf(stderr, "wsx: the admin API at %s sent no channel for GET %s\n", cli_http_url(h),
                path);
        json_decref(ch);
        return CLI_EXIT_FAIL;
    }
    int rc =
        cmd->json ? cli_out_json(ch) : cli_out_fields(ch, order, sizeof order / sizeof order[0]);
    json_decref(ch);
    return rc;
}

static int cmd_edit(cli_http_t *h, cmd_t *cmd)
{
    char path[64];
    if (cli_list_find_path(h, &channels, cmd->name, cmd->name, path, sizeof path))
        return CLI_EXIT_FAIL;
    json_t *out;
    if (cli_http_api(h, "PATCH", path, cmd->body, &out) < 0)
        return CLI_EXIT_FAIL;
    const char *name = str_field(out, "name");
    if (!name)
        name = str_field(cmd->body, "name");
    printf("updated channel \"%s\"\n", name ? name : cmd->name);
    json_decref(out);
    return CLI_EXIT_OK;
}

static int cmd_delete(cli_http_t *h, cmd_t *cmd)
{
    char path[64];
    if (cli_list_find_path(h, &channels, cmd->name, cmd->name, path, sizeof path))
        return CLI_EXIT_FAIL;
    if (cli_http_api(h, "DELETE", path, NULL, NULL) < 0)
        return CLI_EXIT_FAIL;
    printf("deleted channel \"%s\"\n", cmd->name);
    return CLI_EXIT_OK;
}

#define COMMANDS "create, list, get, edit or delete"

typedef struct subcommand {
    const char *name;
    const struct option *longopts;
    const char *usage;
    int npos;
    int (*run)(cli_http_t *h, cmd_t *cmd);
} subcommand_t;

static const subcommand_t subcommands[] = {
    {"create", create_longopts, usage_create, 0, cmd_create},
    {"list", list_longopts, usage_list, 0, cmd_list},
    {"get", get_longopts, usage_get, 1, cmd_get},
    {"edit", edit_longopts, usage_edit, 1, cmd_edit},
    {"delete", delete_longopts, usage_delete, 1, cmd_delete},
};

/* What the command line must hold beyond what getopt checks. Returns 0 or a usage error. */
static int check_args(const subcommand_t *sc, const cmd_t *cmd)
{
    if (!strcmp(sc->name, "create")) {
        static const char *const required[][2] = {
            {"name", "--name"}, {"address", "--address"}, {"service", "--service"}};
        for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
            if (!json_object_get(cmd->body, required[i][0]))
                return usage_error("missing required option %s", required[i][1]);
    }
    if (!strcmp(sc->name, "edit") && json_object_size(cmd->body) == 0)
        return usage_error("nothing to change: give edit at least one option");
    return 0;
}

int cli_channel_main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("missing command: %s", COMMANDS);
    const char *sub = argv[1];
    if (cli_cmd_is_help(sub)) {
        fputs(usage_channel, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(sub, "broadcast"))
        return cli_conn_broadcast_main(argc - 1, argv + 1);
    const subcommand_t *sc = NULL;
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        if (!strcmp(sub, subcommands[i].name))
            sc = &subcommands[i];
    if (!sc)
        return cli_cmd_unknown("wsx channel", COMMANDS, sub);

    cmd_t cmd;
    int rc = parse_args(argc - 1, argv + 1, sc->longopts, sc->usage, sc->npos, &cmd);
    if (rc == 0)
        rc = check_args(sc, &cmd);
    if (rc == 0) {
        cli_http_t *h = cli_http_open(&cmd.conn);
        rc = h ? sc->run(h, &cmd) : CLI_EXIT_FAIL;
        cli_http_close(h);
    }
    json_decref(cmd.body);
    return cli_cmd_finish(rc);
}

int cli_channel_find_id(cli_http_t *h, const char *name, json_int_t *id)
{
    return cli_list_find_id(h, &channels, name, name, id);
}

/* cli_conn.c - `wsx connection list|disconnect|invoke` and `wsx channel broadcast`, clients
 * of the admin API's connection endpoints. A channel is named; a connection is its
 * pub_client_id (ws.<hex>, as `list` shows it). --data is checked as JSON here, so a typo
 * is a usage error before anything is sent; ranges (the timeout's) stay the server's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"

/* How long the CLI waits beyond an invoke's own timeout for the server's answer. */
#define INVOKE_SLACK_S 30
#define INVOKE_TIMEOUT_DEFAULT_S 5

enum {
    OPT_HELP = 'h',
    OPT_JSON = CLI_HTTP_OPT_FIRST_FREE,
    OPT_QUERY,
    OPT_DATA,
    OPT_TIMEOUT,
};

static const struct option list_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"json", no_argument, NULL, OPT_JSON},
    {"query", required_argument, NULL, OPT_QUERY},
    CLI_HTTP_LONGOPTS,
    {NULL, 0, NULL, 0},
};
static const struct option disconnect_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    CLI_HTTP_LONGOPTS,
    {NULL, 0, NULL, 0},
};
static const struct option invoke_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"data", required_argument, NULL, OPT_DATA},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    CLI_HTTP_LONGOPTS,
    {NULL, 0, NULL, 0},
};
static const struct option broadcast_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"data", required_argument, NULL, OPT_DATA},
    CLI_HTTP_LONGOPTS,
    {NULL, 0, NULL, 0},
};

#define SYNOPSIS_LIST "wsx connection list CHANNEL [--query Q] [--json]\n"
#define SYNOPSIS_DISCONNECT "wsx connection disconnect PUB_CLIENT_ID\n"
#define SYNOPSIS_INVOKE "wsx connection invoke PUB_CLIENT_ID --data JSON [--timeout S]\n"
#define SYNOPSIS_BROADCAST "wsx channel broadcast NAME --data JSON\n"

static const char usage_connection[] =
    "usage: wsx connection COMMAND [OPTIONS]\n"
    "\n"
    "The clients logged in to a channel on the server the admin API belongs to.\n"
    "\n"
    "commands:\n"
    "  list         list the clients of a channel (a table, or JSON with --json)\n"
    "  disconnect   close a client's connection (close code 4005)\n"
    "  invoke       send a client a request and print its response\n"
    "\n" SYNOPSIS_LIST SYNOPSIS_DISCONNECT SYNOPSIS_INVOKE "\n"
    "To send a message to every client of a channel: " SYNOPSIS_BROADCAST "\n" CLI_HTTP_USAGE "\n"
    "'wsx connection COMMAND --help' shows one command.\n";

static const char usage_list[] =
    "usage: " SYNOPSIS_LIST "\n"
    "List the clients logged in to the channel named CHANNEL on this server.\n"
    "\n"
    "options:\n"
    "  --query Q    only the clients whose own id (ext_client_id) contains Q\n"
    "  --json       print the connections as a JSON array with every field\n"
    "\n" CLI_HTTP_USAGE;

static const char usage_disconnect[] =
    "usage: " SYNOPSIS_DISCONNECT "\n"
    "Close the connection PUB_CLIENT_ID (ws.<hex>, as 'wsx connection list' shows it)\n"
    "with close code 4005, \"Disconnected by an administrator\".\n"
    "\n" CLI_HTTP_USAGE;

static const char usage_invoke[] =
    "usage: " SYNOPSIS_INVOKE "\n"
    "Send the connection PUB_CLIENT_ID a request (a zwsx.rqc message whose data is JSON),\n"
    "wait for the client's response and print it as JSON.\n"
    "\n"
    "options:\n"
    "  --data JSON     the request, any JSON value (required)\n"
    "  --timeout S     seconds to wait for the response, more than 0 and at most 300\n"
    "                  (default 5)\n"
    "\n" CLI_HTTP_USAGE;

static const char usage_broadcast[] =
    "usage: " SYNOPSIS_BROADCAST "\n"
    "Send a message (zwsx.rqc) to every client logged in to the channel named NAME on this\n"
    "server, without waiting for answers; print how many it was sent to.\n"
    "\n"
    "options:\n"
    "  --data JSON     the message, any JSON value (required)\n"
    "\n" CLI_HTTP_USAGE;

/* A parsed command line. */
typedef struct cmd {
    const char *help_cmd; /* for "try 'wsx ... --help'" */
    cli_http_opts_t conn;
    const char *arg; /* CHANNEL, PUB_CLIENT_ID or NAME */
    const char *query;
    json_t *data; /* --data, parsed */
    json_t *timeout;
    int json;
} cmd_t;

#define usage_error(cmd, ...) cli_cmd_usage_error((cmd)->help_cmd, __VA_ARGS__)

/* --timeout: a decimal number of seconds, sent as a JSON integer when it is whole. */
static json_t *parse_seconds(const char *s)
{
    char *end;
    errno = 0;
    double t = strtod(s, &end);
    if (!*s || *end || errno || t != t || s[strspn(s, "0123456789.+-eE")] != 0)
        return NULL; /* also refuses "inf", "nan" and hex floats */
    if (t >= -1e15 && t <= 1e15 && (double)(long long)t == t)
        return json_integer((json_int_t)t);
    return json_real(t);
}

/* Parse argv (argv[0] is the subcommand) into *cmd: options, then exactly one argument
 * named `argname`. Returns 0, -1 when --help was printed, or an exit status. */
static int parse_args(int argc, char **argv, const struct option *longopts, const char *usage,
                      const char *argname, cmd_t *cmd)
{
    cli_cmd_args_t a = {cmd->help_cmd, argc, argv, longopts, usage, &cmd->conn, 0};
    int c, status;
    while ((c = cli_cmd_next_option(&a, &status)) != 0) {
        json_error_t e;
        switch (c) {
        case OPT_JSON:
            cmd->json = 1;
            continue;
        case OPT_QUERY:
            cmd->query = optarg;
            continue;
        case OPT_DATA:
            json_decref(cmd->data);
            cmd->data = json_loads(optarg, JSON_DECODE_ANY, &e);
            if (!cmd->data)
                return usage_error(cmd, "--data is not valid JSON: %s (column %d)", e.text,
                                   e.column);
            continue;
        case OPT_TIMEOUT:
            json_decref(cmd->timeout);
            cmd->timeout = parse_seconds(optarg);
            if (!cmd->timeout)
                return usage_error(cmd, "--timeout needs a number of seconds, not '%s'", optarg);
            continue;
        }
    }
    if (status)
        return status;
    int left = argc - optind;
    if (left < 1)
        return usage_error(cmd, "missing %s", argname);
    if (left > 1)
        return usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
    cmd->arg = argv[optind];
    if ((longopts == invoke_longopts || longopts == broadcast_longopts) && !cmd->data)
        return usage_error(cmd, "missing required option --data");
    return 0;
}

/* A connection's field for the table: "" as "-", like a missing one. */
static char *cell_text(const json_t *v)
{
    if (json_is_string(v) && !json_string_length(v))
        return strdup("-");
    return cli_out_text(v);
}

static int print_table(const json_t *items)
{
    static const char *const heads[] = {"PUB CLIENT ID", "EXT CLIENT ID", "EXT CLIENT NAME",
                                        "PEER ADDRESS",  "USERNAME",      "CONNECTION TIME",
                                        "LAST SEEN",     "SERVER NAME"};
    static const char *const keys[] = {"pub_client_id", "ext_client_id", "ext_client_name",
                                       "peer_address",  "username",      "connection_time",
                                       "last_seen",     "server_name"};
    return cli_out_table(items, heads, keys, sizeof heads / sizeof heads[0], cell_text);
}

static int cmd_list(cli_http_t *h, cmd_t *cmd)
{
    json_int_t id;
    if (cli_channel_find_id(h, cmd->arg, &id))
        return CLI_EXIT_FAIL;
    char *q = cmd->query ? cli_http_escape(h, cmd->query) : NULL;
    char *path = NULL;
    if ((cmd->query && !q) ||
        asprintf(&path, "/api/v1/channels/%" JSON_INTEGER_FORMAT "/connections%s%s", id,
                 q ? "?query=" : "", q ? q : "") < 0) {
        free(q);
        return cli_cmd_oom();
    }
    free(q);
    json_t *resp;
    int rc = cli_http_api(h, "GET", path, NULL, &resp);
    free(path);
    if (rc < 0)
        return CLI_EXIT_FAIL;
    json_t *items = json_object_get(resp, "items");
    if (!json_is_array(items)) {
        fprintf(stderr, "wsx: the admin API at %s sent a connection list without \"items\"\n",
                cli_http_url(h));
        json_decref(resp);
        return CLI_EXIT_FAIL;
    }
    rc = cmd->json ? cli_out_json(items) : print_table(items);
    json_decref(resp);
    return rc;
}

/* "/api/v1/connections/<escaped id><suffix>", malloc'd; NULL (message printed) if out
 * of memory. */
static char *conn_path(cli_http_t *h, const char *id, const char *suffix)
{
    char *e = cli_http_escape(h, id), *path = NULL;
    if (!e || asprintf(&path, "/api/v1/connections/%s%s", e, suffix) < 0) {
        path = NULL;
        cli_cmd_oom();
    }
    free(e);
    return path;
}

static int cmd_disconnect(cli_http_t *h, cmd_t *cmd)
{
    char *path = conn_path(h, cmd->arg, "");
    if (!path)
        return CLI_EXIT_FAIL;
    int rc = cli_http_api(h, "DELETE", path, NULL, NULL);
    free(path);
    if (rc < 0)
        return CLI_EXIT_FAIL;
    printf("disconnected %s\n", cmd->arg);
    return CLI_EXIT_OK;
}

static int cmd_invoke(cli_http_t *h, cmd_t *cmd)
{
    json_t *body = json_pack("{s:O}", "request", cmd->data);
    if (!body || (cmd->timeout && json_object_set(body, "timeout", cmd->timeout) < 0)) {
        json_decref(body);
        return cli_cmd_oom();
    }
    /* the server answers within the invoke's timeout; give it that and some slack */
    double t = cmd->timeout ? json_number_value(cmd->timeout) : INVOKE_TIMEOUT_DEFAULT_S;
    cli_http_set_timeout(h, (t > 0 && t < 1e6 ? (long)t + 1 : 1) + INVOKE_SLACK_S);
    char *path = conn_path(h, cmd->arg, "/invoke");
    json_t *out = NULL;
    int rc = path ? cli_http_api(h, "POST", path, body, &out) : WSX_ENOMEM;
    free(path);
    json_decref(body);
    if (rc < 0)
        return CLI_EXIT_FAIL;
    json_t *resp = json_object_get(out, "response");
    if (!resp) {
        fprintf(stderr, "wsx: the admin API at %s answered the invoke without \"response\"\n",
                cli_http_url(h));
        json_decref(out);
        return CLI_EXIT_FAIL;
    }
    rc = cli_out_json(resp);
    json_decref(out);
    return rc;
}

static int cmd_broadcast(cli_http_t *h, cmd_t *cmd)
{
    json_int_t id;
    if (cli_channel_find_id(h, cmd->arg, &id))
        return CLI_EXIT_FAIL;
    char path[96];
    snprintf(path, sizeof path, "/api/v1/channels/%" JSON_INTEGER_FORMAT "/broadcast", id);
    json_t *body = json_pack("{s:O}", "data", cmd->data), *out = NULL;
    int rc = body ? cli_http_api(h, "POST", path, body, &out) : WSX_ENOMEM;
    json_decref(body);
    if (rc < 0)
        return CLI_EXIT_FAIL;
    json_t *sent = json_object_get(out, "sent");
    if (!json_is_integer(sent)) {
        fprintf(stderr, "wsx: the admin API at %s answered the broadcast without \"sent\"\n",
                cli_http_url(h));
        json_decref(out);
        return CLI_EXIT_FAIL;
    }
    json_int_t n = json_integer_value(sent);
    printf("sent to %" JSON_INTEGER_FORMAT " client%s of channel \"%s\"\n", n, n == 1 ? "" : "s",
           cmd->arg);
    json_decref(out);
    return CLI_EXIT_OK;
}

#define COMMANDS "list, disconnect or invoke"

typedef struct subcommand {
    const char *name;
    const struct option *longopts;
    const char *usage;
    const char *argname;
    int (*run)(cli_http_t *h, cmd_t *cmd);
} subcommand_t;

static const subcommand_t subcommands[] = {
    {"list", list_longopts, usage_list, "the CHANNEL", cmd_list},
    {"disconnect", disconnect_longopts, usage_disconnect, "the PUB_CLIENT_ID", cmd_disconnect},
    {"invoke", invoke_longopts, usage_invoke, "the PUB_CLIENT_ID", cmd_invoke},
};
static const subcommand_t broadcast_sc = {"broadcast", broadcast_longopts, usage_broadcast,
                                          "the channel NAME", cmd_broadcast};

/* Parse, connect, run one subcommand; argv[0] is its name. */
static int run(const subcommand_t *sc, const char *help_cmd, int argc, char **argv)
{
    cmd_t cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.help_cmd = help_cmd;
    int rc = parse_args(argc, argv, sc->longopts, sc->usage, sc->argname, &cmd);
    if (rc == 0) {
        cli_http_t *h = cli_http_open(&cmd.conn);
        rc = h ? sc->run(h, &cmd) : CLI_EXIT_FAIL;
        cli_http_close(h);
    }
    json_decref(cmd.data);
    json_decref(cmd.timeout);
    return cli_cmd_finish(rc);
}

int cli_conn_main(int argc, char **argv)
{
    const cmd_t top = {.help_cmd = "wsx connection"};
    if (argc < 2)
        return usage_error(&top, "missing command: %s", COMMANDS);
    const char *sub = argv[1];
    if (cli_cmd_is_help(sub)) {
        fputs(usage_connection, stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
        if (!strcmp(sub, subcommands[i].name)) {
            char help_cmd[64];
            snprintf(help_cmd, sizeof help_cmd, "wsx connection %s", sub);
            return run(&subcommands[i], help_cmd, argc - 1, argv + 1);
        }
    }
    return cli_cmd_unknown(top.help_cmd, COMMANDS, sub);
}

int cli_conn_broadcast_main(int argc, char **argv)
{
    return run(&broadcast_sc, "wsx channel broadcast", argc, argv);
}

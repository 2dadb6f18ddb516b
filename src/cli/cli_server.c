/* cli_server.c - `wsx server list [--json]`: the cluster's servers and their states,
 * from GET /api/v1/servers. (`wsx server` with options runs a server: main.c sends
 * only the word "list" here.) */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"

enum {
    OPT_HELP = 'h',
    OPT_JSON = CLI_HTTP_OPT_FIRST_FREE,
};

static const struct option list_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"json", no_argument, NULL, OPT_JSON},
    CLI_HTTP_LONGOPTS,
    {NULL, 0, NULL, 0},
};

static const char usage_list[] =
    "usage: wsx server list [--json]\n"
    "\n"
    "List the servers of the cluster the admin API (--url) belongs to, with their state:\n"
    "  up                  a heartbeat within 3 intervals (--heartbeat-seconds, default 2)\n"
    "  missed heartbeats   none for 3 intervals, one within 10: still counted on\n"
    "  down                none for 10 intervals (killed, hung, or cut off from the ODB)\n"
    "  left                stopped by SIGTERM/SIGINT (a graceful leave)\n"
    "\n"
    "options:\n"
    "  --json       print the answer's \"items\" as JSON, with every field\n"
    "\n"
    "To run a server: wsx server --help.\n"
    "\n" CLI_HTTP_USAGE;

static int print_table(const json_t *items)
{
    static const char *const heads[] = {"NAME",      "STATE",      "ADMIN ADDRESS",
                                        "BIND HOST", "STARTED AT", "LAST HEARTBEAT"};
    static const char *const keys[] = {"name",      "state",      "admin_address",
                                       "bind_host", "started_at", "last_heartbeat"};
    return cli_out_table(items, heads, keys, sizeof heads / sizeof heads[0], cli_out_text);
}

int cli_server_main(int argc, char **argv)
{
    /* argv[0] "server", argv[1] "list" */
    cli_http_opts_t conn = {0};
    int json = 0, c, status;
    cli_cmd_args_t a = {"wsx server list", argc - 1, argv + 1, list_longopts, usage_list, &conn, 0};
    while ((c = cli_cmd_next_option(&a, &status)) != 0)
        if (c == OPT_JSON)
            json = 1;
    if (status)
        return cli_cmd_finish(status);
    if (optind < argc - 1)
        return cli_cmd_usage_error("wsx server list", "unexpected argument '%s'", argv[1 + optind]);
    cli_http_t *h = cli_http_open(&conn);
    if (!h)
        return CLI_EXIT_FAIL;
    json_t *resp = NULL;
    int rc = cli_http_api(h, "GET", "/api/v1/servers", NULL, &resp) < 0 ? CLI_EXIT_FAIL : 0;
    json_t *items = json_object_get(resp, "items");
    if (rc == 0 && !json_is_array(items)) {
        fprintf(stderr, "wsx: the admin API at %s sent a server list without \"items\"\n",
                cli_http_url(h));
        rc = CLI_EXIT_FAIL;
    }
    if (rc == 0)
        rc = json ? cli_out_json(items) : print_table(items);
    json_decref(resp);
    cli_http_close(h);
    return cli_cmd_finish(rc);
}

/* main.c - argv -> subcommand. */
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "server/server.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: wsx COMMAND [OPTIONS]\n"
               "  server       run a server (wsx server --help), or list the cluster's\n"
               "               servers (wsx server list)\n"
               "  quickstart   create the admin user and the demo channel, run a server\n"
               "  channel      create, list, get, edit, delete channels (wsx channel --help)\n"
               "  connection   list, disconnect, invoke clients (wsx connection --help)\n"
               "  security     create, list, get, edit, delete security definitions\n"
               "               (wsx security --help)\n"
               "  lb           the load balancer's configuration (wsx lb --help)\n"
               "  bench        load generator (wsx bench --help)\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    /* `wsx server` with options runs a server; `wsx server list` asks one */
    if (strcmp(cmd, "server") == 0 && argc > 2 && strcmp(argv[2], "list") == 0)
        return cli_server_main(argc - 1, argv + 1);
    if (strcmp(cmd, "server") == 0 || strcmp(cmd, "quickstart") == 0)
        return server_main(argc - 1, argv + 1);
    if (strcmp(cmd, "channel") == 0)
        return cli_channel_main(argc - 1, argv + 1);
    if (strcmp(cmd, "connection") == 0)
        return cli_conn_main(argc - 1, argv + 1);
    if (strcmp(cmd, "security") == 0)
        return cli_security_main(argc - 1, argv + 1);
    if (strcmp(cmd, "lb") == 0)
        return cli_lb_main(argc - 1, argv + 1);
    if (strcmp(cmd, "bench") == 0)
        return bench_main(argc - 1, argv + 1);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "wsx: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}

/* cli_cmd.c - what the drivers of `wsx channel|connection|security` share around their
 * own options: usage errors (one line and where to find --help), getopt's refusals
 * named without the option's value (it may be a secret), --help and the connection
 * options, the subcommand word, and the exit status once the output is flushed. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cli_cmd_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wsx: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\ntry '%s --help'\n", cmd);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

int cli_cmd_getopt_error(const char *cmd, int c, char **argv, const struct option *longopts)
{
    const char *arg = argv[optind - 1];
    if (strncmp(arg, "--", 2) != 0)
        return cli_cmd_usage_error(
            cmd, c == ':' ? "option '-%c' needs a value" : "unknown option '-%c'", optopt);
    int n = (int)strcspn(arg, "=");
    if (c == ':')
        return cli_cmd_usage_error(cmd, "option '%.*s' needs a value", n, arg);
    if (optopt != 0)
        return cli_cmd_usage_error(cmd, "option '%.*s' does not take a value", n, arg);
    int matches = 0;
    for (const struct option *o = longopts; o->name; o++)
        matches += strncmp(o->name, arg + 2, (size_t)(n - 2)) == 0;
    return cli_cmd_usage_error(
        cmd, matches > 1 ? "ambiguous option '%.*s'" : "unknown option '%.*s'", n, arg);
}

int cli_cmd_next_option(cli_cmd_args_t *a, int *status)
{
    if (!a->started) {
        optind = 0; /* glibc: start over, whoever used getopt before */
        opterr = 0;
        a->started = 1;
    }
    *status = 0;
    int c;
    while ((c = getopt_long(a->argc, a->argv, ":h", a->longopts, NULL)) != -1) {
        const char *msg = NULL;
        int rc;
        switch (c) {
        case 'h':
            fputs(a->usage, stdout);
            *status = -1;
            return 0;
        case '?':
        case ':':
            *status = cli_cmd_getopt_error(a->cmd, c, a->argv, a->longopts);
            return 0;
        }
        rc = cli_http_option(a->conn, c, optarg, &msg);
        if (rc < 0) {
            *status = cli_cmd_usage_error(a->cmd, "%s", msg);
            return 0;
        }
        if (rc == 0)
            return c;
    }
    return 0;
}

int cli_cmd_is_help(const char *arg)
{
    return !strcmp(arg, "--help") || !strcmp(arg, "-h") || !strcmp(arg, "help");
}

int cli_cmd_unknown(const char *cmd, const char *commands, const char *sub)
{
    if (sub[0] == '-')
        return cli_cmd_usage_error(cmd, "the command (%s) comes before options such as '%.*s'",
                                   commands, (int)strcspn(sub, "="), sub);
    return cli_cmd_usage_error(cmd, "unknown command '%s'", sub);
}

int cli_cmd_oom(void)
{
    fprintf(stderr, "wsx: out of memory\n");
    return CLI_EXIT_FAIL;
}

int cli_cmd_finish(int rc)
{
    if (fflush(stdout) == EOF && rc == CLI_EXIT_OK) {
        fprintf(stderr, "wsx: cannot write the output: %s\n", strerror(errno));
        rc = CLI_EXIT_FAIL;
    }
    return rc < 0 ? CLI_EXIT_OK : rc;
}

/* cli_security.c - `wsx security create|list|get|edit|delete`, a client of the admin
 * API's security definitions. A password, JWT secret or API key is read only from
 * stdin or a file, never from argv (which every user sees in `ps`), and is never
 * printed. Definitions are addressed by name; the id comes from the list endpoint. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "security/security.h"

static const cli_list_t defs = {"/api/v1/security", "a list", "security definition", ""};

enum {
    OPT_HELP = 'h',
    OPT_NAME = CLI_HTTP_OPT_FIRST_FREE,
    OPT_USERNAME,
    OPT_PASSWORD_STDIN,
    OPT_PASSWORD_FILE,
    OPT_SECRET_STDIN,
    OPT_SECRET_FILE,
    OPT_KEY_STDIN,
    OPT_KEY_FILE,
    OPT_PASSWORD_REFUSED,
    OPT_SECRET_REFUSED,
    OPT_KEY_REFUSED,
    OPT_QUERY,
    OPT_JSON,
};

/* --password-file is the definition's password here, so the admin password file
 * of the other commands is --admin-password-file (or env WSX_PASSWORD). */
/* clang-format off */
#define CONN_LONGOPTS \
    {"url", required_argument, NULL, CLI_HTTP_OPT_URL}, \
    {"user", required_argument, NULL, CLI_HTTP_OPT_USER}, \
    {"admin-password-file", required_argument, NULL, CLI_HTTP_OPT_PASSWORD_FILE}

#define SECRET_LONGOPTS \
    {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN}, \
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE}, \
    {"secret-stdin", no_argument, NULL, OPT_SECRET_STDIN}, \
    {"secret-file", required_argument, NULL, OPT_SECRET_FILE}, \
    {"key-stdin", no_argument, NULL, OPT_KEY_STDIN}, \
    {"key-file", required_argument, NULL, OPT_KEY_FILE}, \
    {"password", required_argument, NULL, OPT_PASSWORD_REFUSED}, \
    {"secret", required_argument, NULL, OPT_SECRET_REFUSED}, \
    {"key", required_argument, NULL, OPT_KEY_REFUSED}

#define CONN_USAGE \
    "connection options (every command):\n" \
    "  --url URL                  admin API address (env WSX_URL, default " \
    CLI_HTTP_DEFAULT_URL ")\n" \
    "  --user U                   admin user (env WSX_USER, default " CLI_HTTP_DEFAULT_USER ")\n" \
    "  --admin-password-file F    the admin password, a trailing newline ignored (default\n" \
    "                             ./" CLI_HTTP_DEFAULT_PASSWORD_FILE "; env WSX_PASSWORD wins)\n"

#define SECRET_USAGE \
    "  --password-stdin, --password-file F   basic_auth: the password\n" \
    "  --secret-stdin, --secret-file F       jwt: the HS256 signing secret (32 bytes or more)\n" \
    "  --key-stdin, --key-file F             apikey: the key\n" \
    "A secret is read whole from stdin or from the file F, one trailing newline ignored;\n" \
    "it is never taken from the command line, where other users could see it.\n"
/* clang-format on */

static const struct option create_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"name", required_argument, NULL, OPT_NAME},
    {"username", required_argument, NULL, OPT_USERNAME},
    SECRET_LONGOPTS,
    CONN_LONGOPTS,
    {NULL, 0, NULL, 0},
};
static const struct option edit_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"name", required_argument, NULL, OPT_NAME},
    {"rename", required_argument, NULL, OPT_NAME},
    {"username", required_argument, NULL, OPT_USERNAME},
    SECRET_LONGOPTS,
    CONN_LONGOPTS,
    {NULL, 0, NULL, 0},
};
/* Listed where it has no use, to point at --admin-password-file. */
#define PASSWORD_FILE_LONGOPT                                                                      \
    {                                                                                              \
        "password-file", required_argument, NULL, OPT_PASSWORD_FILE                                \
    }

static const struct option list_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"query", required_argument, NULL, OPT_QUERY},
    {"json", no_argument, NULL, OPT_JSON},
    PASSWORD_FILE_LONGOPT,
    CONN_LONGOPTS,
    {NULL, 0, NULL, 0},
};
static const struct option get_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"json", no_argument, NULL, OPT_JSON},
    PASSWORD_FILE_LONGOPT,
    CONN_LONGOPTS,
    {NULL, 0, NULL, 0},
};
static const struct option delete_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    PASSWORD_FILE_LONGOPT,
    CONN_LONGOPTS,
    {NULL, 0, NULL, 0},
};

#define SYNOPSIS_CREATE                                                                            \
    "wsx security create basic-auth --name N --username U (--password-stdin | --password-file "    \
    "F)\n"                                                                                         \
    "wsx security create jwt --name N [--username U] (--secret-stdin | --secret-file F)\n"         \
    "wsx security create apikey --name N (--key-stdin | --key-file F)\n"
#define SYNOPSIS_LIST "wsx security list [--query Q] [--json]\n"
#define SYNOPSIS_GET "wsx security get NAME [--json]\n"
#define SYNOPSIS_EDIT                                                                              \
    "wsx security edit NAME [--name NEW] [--username U] [--password-stdin | --password-file F |\n" \
    "                       --secret-stdin | --secret-file F | --key-stdin | --key-file F]\n"
#define SYNOPSIS_DELETE "wsx security delete NAME\n"

static const char usage_security[] =
    "usage: wsx security COMMAND [OPTIONS]\n"
    "\n"
    "Define, show, change and delete the security definitions clients log in with\n"
    "(basic-auth: username and password; jwt: an HS256 token; apikey: a key).\n"
    "\n"
    "commands:\n"
    "  create   define a security definition\n"
    "  list     list them (a table, or JSON with --json)\n"
    "  get      show one\n"
    "  edit     change its name, username or secret\n"
    "  delete   delete one (refused while a channel uses it)\n"
    "\n" SYNOPSIS_CREATE SYNOPSIS_LIST SYNOPSIS_GET SYNOPSIS_EDIT SYNOPSIS_DELETE "\n"
    "A NAME that starts with '-' goes after '--': wsx security get -- -odd-name\n"
    "\n"
    "secrets (create, edit):\n" SECRET_USAGE "\n" CONN_USAGE "\n"
    "'wsx security COMMAND --help' shows one command.\n";

static const char usage_create[] =
    "usage: " SYNOPSIS_CREATE "\n"
    "Define a security definition of the given type.\n"
    "\n"
    "options:\n"
    "  --name N                   its name, unique in the cluster\n"
    "  --username U               basic-auth: required; jwt: the token's sub or username\n"
    "                             claim must equal it (optional); apikey: not used\n" SECRET_USAGE
    "\n" CONN_USAGE;

static const char usage_list[] = "usage: " SYNOPSIS_LIST "\n"
                                 "List the security definitions as a table.\n"
                                 "\n"
                                 "options:\n"
                                 "  --query Q    only the definitions the server matches with Q\n"
                                 "  --json       print them as a JSON array\n"
                                 "\n" CONN_USAGE;

static const char usage_get[] = "usage: " SYNOPSIS_GET "\n"
                                "Show the security definition named NAME (never its secret).\n"
                                "\n"
                                "options:\n"
                                "  --json       print it as a JSON object\n"
                                "\n" CONN_USAGE;

static const char usage_edit[] =
    "usage: " SYNOPSIS_EDIT "\n"
    "Change the security definition named NAME: only what is given changes. A new\n"
    "password or key applies to the next login at once. The type cannot change.\n"
    "\n"
    "options:\n"
    "  --name NEW, --rename NEW   a new name (channels using it follow)\n"
    "  --username U               a new username; \"\" removes a jwt definition's\n" SECRET_USAGE
    "\n" CONN_USAGE;

static const char usage_delete[] = "usage: " SYNOPSIS_DELETE "\n"
                                   "Delete the security definition named NAME. Refused while a "
                                   "channel uses it.\n"
                                   "\n" CONN_USAGE;

/* Where the secret comes from. */
typedef struct secret_src {
    int opt;          /* OPT_*_STDIN or OPT_*_FILE; 0: none */
    const char *file; /* for OPT_*_FILE */
} secret_src_t;

typedef struct cmd {
    cli_http_opts_t conn;
    json_t *body;     /* create, edit */
    const char *type; /* create: basic_auth, jwt or apikey */
    const char *name; /* the NAME argument (get, edit, delete) */
    const char *query;
    secret_src_t secret;
    int json;
} cmd_t;

#define usage_error(...) cli_cmd_usage_error("wsx security", __VA_ARGS__)

/* The field a secret option fills, and its name for messages. */
static const char *secret_key(int opt)
{
    switch (opt) {
    case OPT_PASSWORD_STDIN:
    case OPT_PASSWORD_FILE:
        return "password";
    case OPT_SECRET_STDIN:
    case OPT_SECRET_FILE:
        return "secret";
    case OPT_KEY_STDIN:
    case OPT_KEY_FILE:
        return "key";
    }
    return NULL;
}

static int set_string(json_t *body, const char *key, const char *flag, const char *arg)
{
    json_t *v = json_string(arg);
    if (!v)
        return usage_error("%s is not valid UTF-8", flag);
    if (json_object_set_new(body, key, v) < 0)
        return cli_cmd_oom();
    return 0;
}

/* Parse a subcommand's argv (argv[0] is the subcommand) into *cmd. npos: how many
 * positional arguments (create: the type; get, edit, delete: NAME). Returns 0, -1
 * after --help, or an exit status. */
static int parse_args(int argc, char **argv, const struct option *longopts, const char *usage,
                      int npos, cmd_t *cmd)
{
    memset(cmd, 0, sizeof *cmd);
    cmd->body = json_object();
    if (!cmd->body)
        return cli_cmd_oom();
    cli_cmd_args_t a = {"wsx security", argc, argv, longopts, usage, &cmd->conn, 0};
    int c, rc, status;
    while ((c = cli_cmd_next_option(&a, &status)) != 0) {
        switch (c) {
        case OPT_QUERY:
            cmd->query = optarg;
            continue;
        case OPT_JSON:
            cmd->json = 1;
            continue;
        case OPT_NAME:
            if ((rc = set_string(cmd->body, "name", "--name", optarg)))
                return rc;
            continue;
        case OPT_USERNAME:
            /* "" on edit: no username (a jwt definition's); the server decides */
            if (*optarg == '\0' && longopts == edit_longopts) {
                if (json_object_set_new(cmd->body, "username", json_null()) < 0)
                    return cli_cmd_oom();
                continue;
            }
            if ((rc = set_string(cmd->body, "username", "--username", optarg)))
                return rc;
            continue;
        case OPT_PASSWORD_REFUSED:
        case OPT_SECRET_REFUSED:
        case OPT_KEY_REFUSED: {
            const char *what = c == OPT_PASSWORD_REFUSED ? "password"
                               : c == OPT_SECRET_REFUSED ? "secret"
                                                         : "key";
            return usage_error("--%s is not accepted (it would show in the process list): use "
                               "--%s-stdin or --%s-file F",
                               what, what, what);
        }
        case OPT_PASSWORD_FILE:
            if (longopts != create_longopts && longopts != edit_longopts)
                return usage_error("--password-file is a basic-auth definition's password; the "
                                   "admin password comes from --admin-password-file F or "
                                   "WSX_PASSWORD");
            /* fall through */
        case OPT_PASSWORD_STDIN:
        case OPT_SECRET_STDIN:
        case OPT_SECRET_FILE:
        case OPT_KEY_STDIN:
        case OPT_KEY_FILE:
            if (cmd->secret.opt)
                return usage_error("give one secret option (--%s-stdin or --%s-file F), not "
                                   "several",
                                   secret_key(c), secret_key(c));
            cmd->secret.opt = c;
            cmd->secret.file = optarg;
            continue;
        }
    }
    if (status)
        return status;
    int left = argc - optind;
    if (left < npos) {
        if (longopts == create_longopts)
            return usage_error("missing the type: wsx security create basic-auth|jwt|apikey ...");
        return usage_error("missing the definition's NAME (wsx security %s NAME)", argv[0]);
    }
    if (left > npos)
        return usage_error("unexpected argument '%s'", argv[optind + npos]);
    if (npos)
        cmd->name = argv[optind];
    return 0;
}

/* Read a secret: all of stdin or of a file, one trailing newline (or CRLF) ignored.
 * On a terminal, stdin is read as one line without echo. Returns the length, or -1
 * after printing why; buf has SECURITY_SECRET_MAX + 3 bytes. */
static long read_secret(const secret_src_t *src, char *buf)
{
    const char *what = secret_key(src->opt);
    int from_stdin =
        src->opt == OPT_PASSWORD_STDIN || src->opt == OPT_SECRET_STDIN || src->opt == OPT_KEY_STDIN;
    FILE *f = from_stdin ? stdin : fopen(src->file, "rb");
    if (!f) {
        fprintf(stderr, "wsx: cannot read the %s file %s: %s\n", what, src->file, strerror(errno));
        return -1;
    }
    struct termios saved;
    int tty = from_stdin && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        struct termios quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        fprintf(stderr, "%s: ", what);
    }
    size_t cap = SECURITY_SECRET_MAX + 3, n = 0;
    int err = 0;
    while (n < cap) {
        if (tty) {
            int ch = fgetc(f);
            if (ch == EOF || ch == '\n')
                break;
            buf[n++] = (char)ch;
            continue;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0) {
            err = ferror(f);
            break;
        }
        n += got;
    }
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    if (!from_stdin)
        fclose(f);
    if (err) {
        fprintf(stderr, "wsx: cannot read the %s from %s\n", what,
                from_stdin ? "stdin" : src->file);
        return -1;
    }
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    if (n > SECURITY_SECRET_MAX) {
        fprintf(stderr, "wsx: the %s read from %s is longer than %d bytes\n", what,
                from_stdin ? "stdin" : src->file, SECURITY_SECRET_MAX);
        return -1;
    }
    if (n == 0) {
        fprintf(stderr, "wsx: the %s read from %s is empty\n", what,
                from_stdin ? "stdin" : src->file);
        return -1;
    }
    return (long)n;
}

/* Put the secret named by the command line into the body. Returns 0 or an exit
 * status. The buffer is wiped; the JSON copy dies with the process. */
static int add_secret(cmd_t *cmd)
{
    if (!cmd->secret.opt)
        return 0;
    char buf[SECURITY_SECRET_MAX + 3];
    long n = read_secret(&cmd->secret, buf);
    int rc = CLI_EXIT_OK;
    if (n < 0) {
        rc = CLI_EXIT_FAIL;
    } else {
        json_t *v = json_stringn(buf, (size_t)n);
        if (!v) {
            fprintf(stderr, "wsx: the %s must be UTF-8 text\n", secret_key(cmd->secret.opt));
            rc = CLI_EXIT_FAIL;
        } else if (json_object_set_new(cmd->body, secret_key(cmd->secret.opt), v) < 0) {
            rc = cli_cmd_oom();
        }
    }
    explicit_bzero(buf, sizeof buf);
    return rc;
}

static const char *str_field(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The path of the definition named exactly `name` into path[64]; 0, or CLI_EXIT_FAIL
 * after saying why not. */
static int find_def_path(cli_http_t *h, const char *name, char *path)
{
    /* The server's search reads "-word" as "without word": a name with such a word
     * is found by listing everything. */
    int negative = name[0] == '-' || strstr(name, " -") || strstr(name, "\t-");
    return cli_list_find_path(h, &defs, negative ? NULL : name, name, path, 64);
}

static int cmd_create(cli_http_t *h, cmd_t *cmd)
{
    json_t *out;
    if (cli_http_api(h, "POST", "/api/v1/security", cmd->body, &out) < 0)
        return CLI_EXIT_FAIL;
    const char *name = str_field(out, "name");
    json_t *id = json_object_get(out, "id");
    name = name ? name : str_field(cmd->body, "name");
    if (json_is_integer(id))
        printf("created security definition \"%s\" (%s, id %" JSON_INTEGER_FORMAT ")\n", name,
               cmd->type, json_integer_value(id));
    else
        printf("created security definition \"%s\" (%s)\n", name, cmd->type);
    json_decref(out);
    return CLI_EXIT_OK;
}

static int cmd_list(cli_http_t *h, cmd_t *cmd)
{
    static const char *const heads[] = {"NAME", "TYPE", "USERNAME"};
    static const char *const keys[] = {"name", "type", "username"};
    json_t *all = cli_list_all(h, &defs, cmd->query);
    if (!all)
        return CLI_EXIT_FAIL;
    int rc = cmd->json
                 ? cli_out_json(all)
                 : cli_out_table(all, heads, keys, sizeof heads / sizeof heads[0], cli_out_text);
    json_decref(all);
    return rc;
}

static int cmd_get(cli_http_t *h, cmd_t *cmd)
{
    static const char *const order[] = {"id",       "cluster_id", "name",      "type",
                                        "username", "created_at", "updated_at"};
    char path[64];
    if (find_def_path(h, cmd->name, path))
        return CLI_EXIT_FAIL;
    json_t *d;
    if (cli_http_api(h, "GET", path, NULL, &d) < 0)
        return CLI_EXIT_FAIL;
    if (!json_is_object(d)) {
        fprintf(stderr, "wsx: the admin API at %s sent no definition for GET %s\n", cli_http_url(h),
                path);
        json_decref(d);
        return CLI_EXIT_FAIL;
    }
    int rc = cmd->json ? cli_out_json(d) : cli_out_fields(d, order, sizeof order / sizeof order[0]);
    json_decref(d);
    return rc;
}

static int cmd_edit(cli_http_t *h, cmd_t *cmd)
{
    char path[64];
    if (find_def_path(h, cmd->name, path))
        return CLI_EXIT_FAIL;
    json_t *out;
    if (cli_http_api(h, "PATCH", path, cmd->body, &out) < 0)
        return CLI_EXIT_FAIL;
    const char *name = str_field(out, "name");
    printf("updated security definition \"%s\"\n", name ? name : cmd->name);
    json_decref(out);
    return CLI_EXIT_OK;
}

static int cmd_delete(cli_http_t *h, cmd_t *cmd)
{
    char path[64];
    if (find_def_path(h, cmd->name, path))
        return CLI_EXIT_FAIL;
    if (cli_http_api(h, "DELETE", path, NULL, NULL) < 0)
        return CLI_EXIT_FAIL;
    printf("deleted security definition \"%s\"\n", cmd->name);
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
    {"create", create_longopts, usage_create, 1, cmd_create},
    {"list", list_longopts, usage_list, 0, cmd_list},
    {"get", get_longopts, usage_get, 1, cmd_get},
    {"edit", edit_longopts, usage_edit, 1, cmd_edit},
    {"delete", delete_longopts, usage_delete, 1, cmd_delete},
};

/* create: the type argument, the options it needs and the secret option that fits. */
static int check_create(cmd_t *cmd)
{
    const char *t = cmd->name; /* parse_args put the positional argument there */
    cmd->name = NULL;
    int want_secret;
    if (!strcmp(t, "basic-auth") || !strcmp(t, "basic_auth")) {
        cmd->type = "basic_auth";
        want_secret = OPT_PASSWORD_STDIN;
    } else if (!strcmp(t, "jwt")) {
        cmd->type = "jwt";
        want_secret = OPT_SECRET_STDIN;
    } else if (!strcmp(t, "apikey")) {
        cmd->type = "apikey";
        want_secret = OPT_KEY_STDIN;
    } else {
        return usage_error("unknown type '%s': use basic-auth, jwt or apikey", t);
    }
    if (!json_object_get(cmd->body, "name"))
        return usage_error("missing required option --name");
    if (want_secret == OPT_PASSWORD_STDIN && !json_object_get(cmd->body, "username"))
        return usage_error("missing required option --username (basic-auth)");
    if (want_secret == OPT_KEY_STDIN && json_object_get(cmd->body, "username"))
        return usage_error("an apikey definition has no username: drop --username");
    const char *k = secret_key(want_secret);
    if (!cmd->secret.opt)
        return usage_error("missing the %s: give --%s-stdin or --%s-file F", k, k, k);
    if (strcmp(secret_key(cmd->secret.opt), k) != 0)
        return usage_error("a %s definition takes its %s with --%s-stdin or --%s-file F, not "
                           "--%s-...",
                           t, k, k, k, secret_key(cmd->secret.opt));
    if (json_object_set_new(cmd->body, "type", json_string(cmd->type)) < 0)
        return cli_cmd_oom();
    return 0;
}

static int check_args(const subcommand_t *sc, cmd_t *cmd)
{
    if (!strcmp(sc->name, "create"))
        return check_create(cmd);
    if (!strcmp(sc->name, "edit") && json_object_size(cmd->body) == 0 && !cmd->secret.opt)
        return usage_error("nothing to change: give edit at least one option");
    return 0;
}

int cli_security_main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("missing command: %s", COMMANDS);
    const char *sub = argv[1];
    if (cli_cmd_is_help(sub)) {
        fputs(usage_security, stdout);
        return CLI_EXIT_OK;
    }
    const subcommand_t *sc = NULL;
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (!strcmp(sub, subcommands[i].name))
            sc = &subcommands[i];
    if (!sc)
        return cli_cmd_unknown("wsx security", COMMANDS, sub);
    cmd_t cmd;
    int rc = parse_args(argc - 1, argv + 1, sc->longopts, sc->usage, sc->npos, &cmd);
    if (rc == 0)
        rc = check_args(sc, &cmd);
    if (rc == 0)
        rc = add_secret(&cmd);
    if (rc == 0) {
        cli_http_t *h = cli_http_open(&cmd.conn);
        rc = h ? sc->run(h, &cmd) : CLI_EXIT_FAIL;
        cli_http_close(h);
    }
    json_decref(cmd.body);
    return cli_cmd_finish(rc);
}

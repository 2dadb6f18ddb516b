/* cli_security.c - `wsx security create|list|get|edit|delete`, a client of the admin
 * API's security definitions. A password, JWT secret or API key is read only from
 * stdin or a file, never from argv (which every user sees in `ps`), and is never
 * printed. Definitions are addressed by name; the id comes from the list endpoint. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/err.h"
#include "security/security.h"

#define PAGE_SIZE 100
#define MAX_PAGES 100000

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

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wsx: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\ntry 'wsx security --help'\n", stderr);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

static int oom(void)
{
    fprintf(stderr, "wsx: out of memory\n");
    return CLI_EXIT_FAIL;
}

/* getopt_long's '?' or ':' as a usage error naming the option - never its value. */
static int getopt_error(int c, char **argv, const struct option *longopts)
{
    const char *arg = argv[optind - 1];
    if (strncmp(arg, "--", 2) != 0)
        return usage_error(c == ':' ? "option '-%c' needs a value" : "unknown option '-%c'",
                           optopt);
    int n = (int)strcspn(arg, "=");
    if (c == ':')
        return usage_error("option '%.*s' needs a value", n, arg);
    if (optopt != 0)
        return usage_error("option '%.*s' does not take a value", n, arg);
    int matches = 0;
    for (const struct option *o = longopts; o->name; o++)
        matches += strncmp(o->name, arg + 2, (size_t)(n - 2)) == 0;
    if (matches > 1)
        return usage_error("ambiguous option '%.*s'", n, arg);
    return usage_error("unknown option '%.*s'", n, arg);
}

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
        return oom();
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
        return oom();
    optind = 0;
    opterr = 0;
    int c, rc;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        const char *msg = NULL;
        switch (c) {
        case OPT_HELP:
            fputs(usage, stdout);
            return -1;
        case '?':
        case ':':
            return getopt_error(c, argv, longopts);
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
                    return oom();
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
        rc = cli_http_option(&cmd->conn, c, optarg, &msg);
        if (rc < 0)
            return usage_error("%s", msg);
    }
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
            rc = oom();
        }
    }
    explicit_bzero(buf, sizeof buf);
    return rc;
}

static const char *str_field(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

typedef int (*def_fn)(json_t *item, void *ctx);

/* Page through the definitions (the server's search narrowed by query; NULL:
 * all) and call fn on each. Returns 1 when fn stopped, 0 when all were seen, or a
 * negative WSX_E* after printing why. */
static int each_def(cli_http_t *h, const char *query, def_fn fn, void *ctx)
{
    char *q = NULL;
    if (query && !(q = cli_http_escape(h, query))) {
        oom();
        return WSX_ENOMEM;
    }
    int rc = 0;
    long long seen = 0;
    for (int page = 1; page <= MAX_PAGES && rc == 0; page++) {
        char *path;
        if (asprintf(&path, "/api/v1/security?cluster=1%s%s&page=%d&page_size=%d",
                     q ? "&query=" : "", q ? q : "", page, PAGE_SIZE) < 0) {
            rc = WSX_ENOMEM;
            oom();
            break;
        }
        json_t *resp;
        rc = cli_http_api(h, "GET", path, NULL, &resp);
        free(path);
        if (rc < 0)
            break;
        json_t *items = json_object_get(resp, "items");
        if (!json_is_array(items)) {
            fprintf(stderr, "wsx: the admin API at %s sent a list without \"items\"\n",
                    cli_http_url(h));
            json_decref(resp);
            rc = WSX_EPROTO;
            break;
        }
        size_t i, n = json_array_size(items);
        json_t *item;
        json_array_foreach(items, i, item)
        {
            if ((rc = fn(item, ctx)) != 0)
                break;
        }
        seen += (long long)n;
        json_t *total = json_object_get(resp, "total");
        int done =
            n == 0 || (json_is_integer(total) ? seen >= json_integer_value(total) : n < PAGE_SIZE);
        json_decref(resp);
        if (rc == 0 && done)
            break;
    }
    free(q);
    return rc;
}

typedef struct find_ctx {
    const char *name;
    json_t *found;
} find_ctx_t;

static int find_fn(json_t *item, void *ctx)
{
    find_ctx_t *f = ctx;
    const char *name = str_field(item, "name");
    if (!name || strcmp(name, f->name) != 0)
        return 0;
    f->found = json_incref(item);
    return 1;
}

/* The id of the definition named exactly `name`, or CLI_EXIT_FAIL after saying why. */
static int find_def_id(cli_http_t *h, const char *name, json_int_t *id)
{
    /* The server's search reads "-word" as "without word": a name with such a word
     * is found by listing everything. */
    int negative = name[0] == '-' || strstr(name, " -") || strstr(name, "\t-");
    find_ctx_t f = {name, NULL};
    if (each_def(h, negative ? NULL : name, find_fn, &f) < 0)
        return CLI_EXIT_FAIL;
    if (!f.found) {
        fprintf(stderr, "wsx: no security definition named \"%s\"\n", name);
        return CLI_EXIT_FAIL;
    }
    json_t *v = json_object_get(f.found, "id");
    int ok = json_is_integer(v);
    if (ok)
        *id = json_integer_value(v);
    else
        fprintf(stderr, "wsx: the admin API at %s listed \"%s\" without an id\n", cli_http_url(h),
                name);
    json_decref(f.found);
    return ok ? 0 : CLI_EXIT_FAIL;
}

static int print_json(const json_t *v)
{
    if (json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY) < 0 || fputc('\n', stdout) == EOF) {
        fprintf(stderr, "wsx: cannot write the output\n");
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

/* A value for a person: strings as they are (line breaks as spaces), null or
 * missing as "-", anything else as compact JSON. malloc'd. */
static char *value_text(const json_t *v)
{
    char *s;
    if (!v || json_is_null(v))
        s = strdup("-");
    else if (json_is_string(v))
        s = strdup(json_string_value(v));
    else
        s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    for (char *p = s; p && *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    return s;
}

static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
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

static int collect_fn(json_t *item, void *ctx)
{
    if (json_array_append(ctx, item) == 0)
        return 0;
    oom();
    return WSX_ENOMEM;
}

static int cmd_list(cli_http_t *h, cmd_t *cmd)
{
    static const char *const heads[] = {"NAME", "TYPE", "USERNAME"};
    static const char *const keys[] = {"name", "type", "username"};
    enum { NCOL = 3 };
    json_t *all = json_array();
    if (!all || each_def(h, cmd->query, collect_fn, all) != 0) {
        json_decref(all);
        return CLI_EXIT_FAIL;
    }
    if (cmd->json) {
        int rc = print_json(all);
        json_decref(all);
        return rc;
    }
    size_t rows = json_array_size(all) + 1;
    char **cells = calloc(rows * NCOL, sizeof *cells);
    size_t width[NCOL] = {0};
    int rc = cells ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    for (size_t r = 0; rc == CLI_EXIT_OK && r < rows; r++) {
        json_t *item = r ? json_array_get(all, r - 1) : NULL;
        for (size_t c = 0; c < NCOL; c++) {
            char **cell = &cells[r * NCOL + c];
            *cell = r ? value_text(json_object_get(item, keys[c])) : strdup(heads[c]);
            if (!*cell) {
                rc = CLI_EXIT_FAIL;
                break;
            }
            size_t w = text_width(*cell);
            width[c] = w > width[c] ? w : width[c];
        }
    }
    if (rc != CLI_EXIT_OK)
        oom();
    for (size_t r = 0; rc == CLI_EXIT_OK && r < rows; r++) {
        for (size_t c = 0; c < NCOL; c++) {
            const char *cell = cells[r * NCOL + c];
            fputs(cell, stdout);
            if (c + 1 < NCOL)
                printf("%*s", (int)(width[c] - text_width(cell) + 2), "");
        }
        fputc('\n', stdout);
    }
    for (size_t i = 0; cells && i < rows * NCOL; i++)
        free(cells[i]);
    free(cells);
    json_decref(all);
    return rc;
}

static int cmd_get(cli_http_t *h, cmd_t *cmd)
{
    static const char *const order[] = {"id",       "cluster_id", "name",      "type",
                                        "username", "created_at", "updated_at"};
    json_int_t id;
    if (find_def_id(h, cmd->name, &id))
        return CLI_EXIT_FAIL;
    char path[64];
    snprintf(path, sizeof path, "/api/v1/security/%" JSON_INTEGER_FORMAT, id);
    json_t *d;
    if (cli_http_api(h, "GET", path, NULL, &d) < 0)
        return CLI_EXIT_FAIL;
    if (!json_is_object(d)) {
        fprintf(stderr, "wsx: the admin API at %s sent no definition for GET %s\n", cli_http_url(h),
                path);
        json_decref(d);
        return CLI_EXIT_FAIL;
    }
    if (cmd->json) {
        int rc = print_json(d);
        json_decref(d);
        return rc;
    }
    int rc = CLI_EXIT_OK;
    size_t norder = sizeof order / sizeof order[0];
    for (size_t i = 0; i < norder && rc == CLI_EXIT_OK; i++) {
        json_t *v = json_object_get(d, order[i]);
        if (!v)
            continue;
        char *text = value_text(v);
        if (!text)
            rc = oom();
        else
            printf("%s: %s\n", order[i], text);
        free(text);
    }
    /* fields a newer server adds, after ours */
    const char *key;
    json_t *v;
    json_object_foreach(d, key, v)
    {
        size_t i = 0;
        while (i < norder && strcmp(order[i], key) != 0)
            i++;
        if (i < norder || rc != CLI_EXIT_OK)
            continue;
        char *text = value_text(v);
        if (!text)
            rc = oom();
        else
            printf("%s: %s\n", key, text);
        free(text);
    }
    json_decref(d);
    return rc;
}

static int cmd_edit(cli_http_t *h, cmd_t *cmd)
{
    json_int_t id;
    if (find_def_id(h, cmd->name, &id))
        return CLI_EXIT_FAIL;
    char path[64];
    snprintf(path, sizeof path, "/api/v1/security/%" JSON_INTEGER_FORMAT, id);
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
    json_int_t id;
    if (find_def_id(h, cmd->name, &id))
        return CLI_EXIT_FAIL;
    char path[64];
    snprintf(path, sizeof path, "/api/v1/security/%" JSON_INTEGER_FORMAT, id);
    if (cli_http_api(h, "DELETE", path, NULL, NULL) < 0)
        return CLI_EXIT_FAIL;
    printf("deleted security definition \"%s\"\n", cmd->name);
    return CLI_EXIT_OK;
}

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
        return oom();
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
        return usage_error("missing command: create, list, get, edit or delete");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(usage_security, stdout);
        return CLI_EXIT_OK;
    }
    const subcommand_t *sc = NULL;
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (!strcmp(sub, subcommands[i].name))
            sc = &subcommands[i];
    if (!sc) {
        if (sub[0] == '-')
            return usage_error("the command (create, list, get, edit or delete) comes before "
                               "options such as '%.*s'",
                               (int)strcspn(sub, "="), sub);
        return usage_error("unknown command '%s'", sub);
    }
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
    if (fflush(stdout) == EOF && rc == CLI_EXIT_OK) {
        fprintf(stderr, "wsx: cannot write the output: %s\n", strerror(errno));
        rc = CLI_EXIT_FAIL;
    }
    return rc < 0 ? CLI_EXIT_OK : rc;
}

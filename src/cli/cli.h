/* cli.h - the `wsx` command-line client of the admin JSON API. cli_http.c holds what
 * every command shares: the connection options, the password, HTTP calls and turning the
 * API's answers into messages. cli_channel.c is `wsx channel ...`, cli_security.c is
 * `wsx security ...`. A command returns the process exit status: 0 success, 1 failure
 * (one line on stderr), 2 usage error. */
#ifndef WSX_CLI_H
#define WSX_CLI_H

#include <stddef.h>
#include <stdio.h>
#include <getopt.h>
#include <jansson.h>

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAIL = 1,
    CLI_EXIT_USAGE = 2,
};

#define CLI_HTTP_DEFAULT_URL "http://127.0.0.1:8183"
#define CLI_HTTP_DEFAULT_USER "admin"
#define CLI_HTTP_DEFAULT_PASSWORD_FILE "var/admin-password"

/* getopt_long codes of the connection options; above any character, so a command can
 * give its own long-only options codes from CLI_HTTP_OPT_FIRST_FREE on. */
enum {
    CLI_HTTP_OPT_URL = 0x1000,
    CLI_HTTP_OPT_USER,
    CLI_HTTP_OPT_PASSWORD_FILE,
    CLI_HTTP_OPT_PASSWORD, /* refused: a password in argv shows in `ps` */
    CLI_HTTP_OPT_CACERT,
    CLI_HTTP_OPT_FIRST_FREE = 0x1100,
};

/* The connection options, to put at the end of a command's `struct option` table (before
 * the terminating zero entry). "password" is listed so that `--password X` is refused
 * instead of being taken by getopt as an abbreviation of --password-file. */
/* clang-format off */
#define CLI_HTTP_LONGOPTS \
    {"url", required_argument, NULL, CLI_HTTP_OPT_URL}, \
    {"user", required_argument, NULL, CLI_HTTP_OPT_USER}, \
    {"password-file", required_argument, NULL, CLI_HTTP_OPT_PASSWORD_FILE}, \
    {"password", required_argument, NULL, CLI_HTTP_OPT_PASSWORD}, \
    {"cacert", required_argument, NULL, CLI_HTTP_OPT_CACERT}

/* Their lines for a command's --help. */
#define CLI_HTTP_USAGE \
    "connection options (every command):\n" \
    "  --url URL            admin API address (env WSX_URL, default " CLI_HTTP_DEFAULT_URL ")\n" \
    "  --user U             admin user (env WSX_USER, default " CLI_HTTP_DEFAULT_USER ")\n" \
    "  --password-file F    read the password from F, a trailing newline ignored\n" \
    "                       (default ./" CLI_HTTP_DEFAULT_PASSWORD_FILE "; env WSX_PASSWORD wins)\n" \
    "  --cacert FILE        https:// URL: trust the CA certificates in FILE (PEM) to verify\n" \
    "                       the server (env WSX_CACERT; default the system's CAs)\n"
/* clang-format on */

/* The connection options as given on the command line; NULL when not given. The strings
 * are borrowed from argv. Zero-initialise, then feed every option to cli_http_option(). */
typedef struct cli_http_opts {
    const char *url;
    const char *user;
    const char *password_file;
    const char *cacert;
} cli_http_opts_t;

/* A connection to the admin API: base URL, credentials and one reusable curl handle
 * (keep-alive across the pages of a list). Opaque; one thread at a time. */
typedef struct cli_http cli_http_t;

/* One HTTP answer. `body` is malloc'd, NUL-terminated after `len` bytes (the NUL is not
 * counted), NULL when the answer had no body; free with cli_http_resp_free(). */
typedef struct cli_http_resp {
    long status;
    char *body;
    size_t len;
} cli_http_resp_t;

/* Offer getopt_long's result `opt` (and its optarg `arg`) to the connection options.
 * Returns 1 if it was one and is stored in *o, 0 if it is not a connection option, -1 if
 * it is refused (--password) with *msg set to a one-line message (static storage) for the
 * caller's usage error. Never prints the option's value. */
int cli_http_option(cli_http_opts_t *o, int opt, const char *arg, const char **msg);

/* Resolve the connection: URL from o->url, else env WSX_URL, else the default; user
 * likewise with WSX_USER; password from env WSX_PASSWORD, else o->password_file, else
 * ./var/admin-password, one trailing newline stripped. Returns the connection, or NULL
 * after printing a one-line `wsx: ...` message to stderr (exit 1). Freed by
 * cli_http_close(); `o` is only read during the call. */
cli_http_t *cli_http_open(const cli_http_opts_t *o);

/* Close the connection and wipe the password from memory. NULL is a no-op. */
void cli_http_close(cli_http_t *h);

/* The base URL, as used in messages (no trailing '/'). Valid until cli_http_close(). */
const char *cli_http_url(const cli_http_t *h);

/* Send METHOD to base URL + `path` (which starts with '/', query string already
 * escaped) with Basic auth; `json_body` (may be NULL) is sent as application/json.
 * Returns 0 with *resp filled for any HTTP status. When no answer came, prints
 * `wsx: cannot reach the admin API at URL: <reason>` and returns WSX_EIO (WSX_ENOMEM,
 * with its own message, when out of memory); *resp is then empty. */
int cli_http_request(cli_http_t *h, const char *method, const char *path, const char *json_body,
                     cli_http_resp_t *resp);

/* Free the body of an answer and empty it. */
void cli_http_resp_free(cli_http_resp_t *resp);

/* A JSON API call: `body` (borrowed, may be NULL) is encoded and sent. On a 2xx answer
 * returns 0 and sets *out to the decoded JSON (a new reference the caller decrefs), or
 * NULL when the answer had no body (204). Otherwise prints one line to stderr - the API's
 * error.message when there is one - and returns a negative WSX_E* code (WSX_EAUTH for
 * 401, WSX_ENOTFOUND for 404, WSX_EEXIST for 409, WSX_EINVAL for other 4xx, WSX_EIO for
 * no answer, WSX_EPROTO for an answer that is not what the API sends). `out` may be NULL
 * when the caller does not want the answer. */
int cli_http_api(cli_http_t *h, const char *method, const char *path, const json_t *body,
                 json_t **out);

/* Let the following requests wait up to `seconds` for their answer (default 60): an
 * admin "invoke" waits for a WebSocket client up to its own timeout. */
void cli_http_set_timeout(cli_http_t *h, long seconds);

/* URL-encode `s` for a query string. Returns a malloc'd string the caller frees, or NULL
 * when out of memory. */
char *cli_http_escape(cli_http_t *h, const char *s);

/* ---- cli_cmd.c: a subcommand's command line and its end ---- */

/* Print `wsx: MSG` and "try '<cmd> --help'" (cmd: "wsx channel", say) to stderr.
 * Returns CLI_EXIT_USAGE. */
int cli_cmd_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Turn getopt_long's '?' or ':' (c) into a usage error naming the option - never its
 * value, which may be a secret. argv and longopts are those getopt_long was given. */
int cli_cmd_getopt_error(const char *cmd, int c, char **argv, const struct option *longopts);

/* A subcommand's command line, as cli_cmd_next_option reads it. */
typedef struct cli_cmd_args {
    const char *cmd; /* "wsx channel": for usage errors */
    int argc;
    char **argv; /* argv[0] is the subcommand */
    const struct option *longopts;
    const char *usage;     /* printed for --help (and -h) */
    cli_http_opts_t *conn; /* the connection options go here */
    int started;           /* 0 before the first call */
} cli_cmd_args_t;

/* The next option the command handles itself: its getopt_long code, with optarg set
 * (borrowed from argv). --help/-h (prints a->usage), getopt's refusals (a usage error
 * that names the option, never its value) and the connection options (into *a->conn;
 * --password is refused) are handled here. Returns 0 when the options are over, with
 * *status 0 and optind at the first argument, or when the command must stop: *status
 * is then -1 after --help, or the exit status of the usage error already printed.
 * Not reentrant (getopt's state). */
int cli_cmd_next_option(cli_cmd_args_t *a, int *status);

/* 1 if arg asks for help: "--help", "-h" or "help". */
int cli_cmd_is_help(const char *arg);

/* The usage error for a subcommand word `sub` that is not one of `commands` (their
 * names for the message, "list, disconnect or invoke"): an option given before the
 * command, or an unknown word. */
int cli_cmd_unknown(const char *cmd, const char *commands, const char *sub);

/* Print "wsx: out of memory"; returns CLI_EXIT_FAIL. */
int cli_cmd_oom(void);

/* The exit status of a command that ran with result rc (-1: it printed its --help):
 * flushes stdout, and a failed flush turns success into CLI_EXIT_FAIL. */
int cli_cmd_finish(int rc);

/* ---- cli_out.c: printing answers to stdout ---- */

/* Print a JSON value as JSON (indented), with a final newline. Returns an exit status. */
int cli_out_json(const json_t *v);

/* A value as text for a person, malloc'd (NULL when out of memory): strings as they are
 * (line breaks and tabs as spaces, to keep one line), null or missing as "-", anything
 * else as compact JSON. v is borrowed. */
char *cli_out_text(const json_t *v);

/* Text of one table cell (malloc'd, NULL when out of memory), from a value that may be
 * NULL (missing). */
typedef char *(*cli_out_cell_fn)(const json_t *v);

#define CLI_OUT_TABLE_COLS_MAX 16

/* Print the array of objects `items` as a table: a row of heads, then one row per item
 * with cell_text(item[keys[c]]) in column c; columns are aligned by code points and two
 * spaces apart. ncol is at most CLI_OUT_TABLE_COLS_MAX. Returns an exit status. */
int cli_out_table(const json_t *items, const char *const *heads, const char *const *keys,
                  size_t ncol, cli_out_cell_fn cell_text);

/* Print obj as `key: value` lines (cli_out_text): the keys of `order` first, in that
 * order, then any other key of obj (a newer server's). Returns an exit status. */
int cli_out_fields(const json_t *obj, const char *const *order, size_t norder);

/* ---- cli_list.c: a collection of the admin API ---- */

/* A collection and how messages name it. */
typedef struct cli_list {
    const char *path;   /* "/api/v1/channels"; an item is path/ID */
    const char *what;   /* the answer, as in "sent a channel list without \"items\"" */
    const char *noun;   /* an item, as in "no channel named \"X\"" */
    const char *listed; /* before a listed name, as in "listed channel \"X\" without an
                         * id": "channel " (or "" to give the name alone) */
} cli_list_t;

/* Called for each item of a listing (borrowed); a nonzero return stops the listing. */
typedef int (*cli_list_fn)(json_t *item, void *ctx);

/* Page through the items the server matches with `query` (NULL: all) and call fn on
 * each. Returns 1 when fn stopped early, 0 when all were seen, or a negative WSX_E*
 * code after printing why. */
int cli_list_each(cli_http_t *h, const cli_list_t *list, const char *query, cli_list_fn fn,
                  void *ctx);

/* Every item the server matches with `query` (NULL: all), as a new JSON array the
 * caller decrefs; NULL after printing why. */
json_t *cli_list_all(cli_http_t *h, const cli_list_t *list, const char *query);

/* The id of the item named exactly `name`, looked for among those `query` matches.
 * Returns 0 with *id set, or CLI_EXIT_FAIL after printing why not. */
int cli_list_find_id(cli_http_t *h, const cli_list_t *list, const char *query, const char *name,
                     json_int_t *id);

/* cli_list_find_id, then the item's path ("/api/v1/channels/7") into path (cap bytes;
 * 64 hold any). Returns 0 or CLI_EXIT_FAIL after printing why not. */
int cli_list_find_path(cli_http_t *h, const cli_list_t *list, const char *query, const char *name,
                       char *path, size_t cap);

/* ---- the commands ---- */

/* `wsx channel ...`: argv[0] is "channel", argv[1] the subcommand. Returns the exit
 * status (0, 1 or 2); prints results to stdout and messages to stderr. */
int cli_channel_main(int argc, char **argv);

/* The id of the channel named exactly `name` (cli_channel.c). Returns 0 with *id set,
 * or CLI_EXIT_FAIL after printing why not. */
int cli_channel_find_id(cli_http_t *h, const char *name, json_int_t *id);

/* `wsx connection list|disconnect|invoke ...` (cli_conn.c): argv[0] is "connection".
 * Returns the exit status, like cli_channel_main. */
int cli_conn_main(int argc, char **argv);

/* `wsx channel broadcast NAME --data JSON` (cli_conn.c): argv[0] is "broadcast". */
int cli_conn_broadcast_main(int argc, char **argv);
/* `wsx server list [--json]` (cli_server.c): argv[0] is "server", argv[1] "list".
 * Same contract as cli_channel_main. */
int cli_server_main(int argc, char **argv);

/* ---- cli_lb.c: `wsx lb haproxy-config` ---- */

typedef struct cli_lb_opts {
    const char *bind;    /* the frontends' host; NULL: each channel's own */
    const char *balance; /* "roundrobin" (NULL) or "leastconn" */
    const char *source;  /* the admin API's URL, named in the header comment; may be NULL */
} cli_lb_opts_t;

/* Write an HAProxy configuration to out for `channels` (the API's channel objects)
 * and `servers` (GET /api/v1/servers's items): a frontend and a backend per active
 * ws:// channel, a backend server per server in state up or missed heartbeats.
 * Returns 0, or WSX_ENOTFOUND with a sentence in why (nothing written) when no
 * channel is active. Pure apart from writing to out; the JSON is borrowed. */
int cli_lb_haproxy_config(FILE *out, const json_t *channels, const json_t *servers,
                          const cli_lb_opts_t *o, char *why, size_t whycap);

/* `wsx lb ...`: argv[0] is "lb". Same contract as cli_channel_main. */
int cli_lb_main(int argc, char **argv);

/* `wsx security ...`: argv[0] is "security". Same contract as cli_channel_main;
 * secrets come from stdin or a file only. */
int cli_security_main(int argc, char **argv);

#endif

/* cli.h - the `wsx` command-line client of the admin JSON API. cli_http.c holds what
 * every command shares: the connection options, the password, HTTP calls and turning the
 * API's answers into messages. cli_channel.c is `wsx channel ...`, cli_security.c is
 * `wsx security ...`. A command returns the process exit status: 0 success, 1 failure
 * (one line on stderr), 2 usage error. */
#ifndef WSX_CLI_H
#define WSX_CLI_H

#include <stddef.h>
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
    {"password", required_argument, NULL, CLI_HTTP_OPT_PASSWORD}

/* Their lines for a command's --help. */
#define CLI_HTTP_USAGE \
    "connection options (every command):\n" \
    "  --url URL            admin API address (env WSX_URL, default " CLI_HTTP_DEFAULT_URL ")\n" \
    "  --user U             admin user (env WSX_USER, default " CLI_HTTP_DEFAULT_USER ")\n" \
    "  --password-file F    read the password from F, a trailing newline ignored\n" \
    "                       (default ./" CLI_HTTP_DEFAULT_PASSWORD_FILE "; env WSX_PASSWORD wins)\n"
/* clang-format on */

/* The connection options as given on the command line; NULL when not given. The strings
 * are borrowed from argv. Zero-initialise, then feed every option to cli_http_option(). */
typedef struct cli_http_opts {
    const char *url;
    const char *user;
    const char *password_file;
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
/* `wsx security ...`: argv[0] is "security". Same contract as cli_channel_main;
 * secrets come from stdin or a file only. */
int cli_security_main(int argc, char **argv);

#endif

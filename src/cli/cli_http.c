/* cli_http.c - what every `wsx` client command shares: the connection options, the
 * admin password, HTTP calls to the admin API over libcurl (Basic auth, JSON in, status
 * and body out) and one-line messages for whatever went wrong on the way. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli/cli.h"
#include "common/err.h"

#define PASSWORD_FILE_MAX (64 * 1024)
#define RESPONSE_MAX (64 * 1024 * 1024)
#define CONNECT_TIMEOUT_S 10L
#define TIMEOUT_S 60L

struct cli_http {
    CURL *curl;
    char *url; /* base URL without trailing '/' */
    char *user;
    char *password; /* wiped on close */
    char *cacert;   /* --cacert / WSX_CACERT, or NULL: the system's CAs */
    long timeout_s; /* 0: TIMEOUT_S */
    char errbuf[CURL_ERROR_SIZE];
};

int cli_http_option(cli_http_opts_t *o, int opt, const char *arg, const char **msg)
{
    switch (opt) {
    case CLI_HTTP_OPT_URL:
        o->url = arg;
        return 1;
    case CLI_HTTP_OPT_USER:
        o->user = arg;
        return 1;
    case CLI_HTTP_OPT_PASSWORD_FILE:
        o->password_file = arg;
        return 1;
    case CLI_HTTP_OPT_CACERT:
        o->cacert = arg;
        return 1;
    case CLI_HTTP_OPT_PASSWORD:
        *msg = "--password is not accepted (it would show in the process list): "
               "set WSX_PASSWORD or use --password-file";
        return -1;
    }
    return 0;
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* Read the password file into a malloc'd string without its trailing newline. Returns
 * NULL with errno set (EFBIG for an absurdly large file). */
static char *read_password_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(PASSWORD_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }
    size_t n = fread(buf, 1, PASSWORD_FILE_MAX + 1, f);
    int rerr = ferror(f) ? errno : 0;
    fclose(f);
    if (rerr || n > PASSWORD_FILE_MAX) {
        explicit_bzero(buf, PASSWORD_FILE_MAX + 1);
        free(buf);
        errno = rerr ? rerr : EFBIG;
        return NULL;
    }
    if (n > 0 && buf[n - 1] == '\n') {
        n--;
        if (n > 0 && buf[n - 1] == '\r')
            n--;
    }
    buf[n] = '\0';
    return buf;
}

/* Find the password: env, then --password-file, then ./var/admin-password. Prints the
 * reason and returns NULL when there is none. */
static char *find_password(const cli_http_opts_t *o)
{
    const char *env = getenv("WSX_PASSWORD");
    if (env) {
        char *p = strdup(env);
        if (!p)
            fprintf(stderr, "wsx: out of memory\n");
        return p;
    }
    const char *path = o->password_file ? o->password_file : CLI_HTTP_DEFAULT_PASSWORD_FILE;
    char *p = read_password_file(path);
    if (p)
        return p;
    if (o->password_file)
        fprintf(stderr, "wsx: cannot read the password file %s: %s\n", path, strerror(errno));
    else
        fprintf(stderr,
                "wsx: no admin password: set WSX_PASSWORD or use --password-file "
                "(./%s: %s)\n",
                path, strerror(errno));
    return NULL;
}

cli_http_t *cli_http_open(const cli_http_opts_t *o)
{
    cli_http_t *h = calloc(1, sizeof(*h));
    if (!h) {
        fprintf(stderr, "wsx: out of memory\n");
        return NULL;
    }
    const char *url = o->url ? o->url : env_or("WSX_URL", CLI_HTTP_DEFAULT_URL);
    const char *user = o->user ? o->user : env_or("WSX_USER", CLI_HTTP_DEFAULT_USER);
    h->url = strdup(url);
    h->user = strdup(user);
    if (!h->url || !h->user) {
        fprintf(stderr, "wsx: out of memory\n");
        cli_http_close(h);
        return NULL;
    }
    size_t n = strlen(h->url);
    while (n > 0 && h->url[n - 1] == '/')
        h->url[--n] = '\0';
    if (n == 0) {
        fprintf(stderr, "wsx: the admin API URL is empty\n");
        cli_http_close(h);
        return NULL;
    }
    const char *ca = o->cacert ? o->cacert : getenv("WSX_CACERT");
    if (ca && *ca && !(h->cacert = strdup(ca))) {
        fprintf(stderr, "wsx: out of memory\n");
        cli_http_close(h);
        return NULL;
    }
    h->password = find_password(o);
    if (!h->password) {
        cli_http_close(h);
        return NULL;
    }
    /* curl_global_init is implied by the first curl_easy_init; the CLI is one thread. */
    h->curl = curl_easy_init();
    if (!h->curl) {
        fprintf(stderr, "wsx: cannot start libcurl\n");
        cli_http_close(h);
        return NULL;
    }
    return h;
}

void cli_http_close(cli_http_t *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    if (h->password) {
        explicit_bzero(h->password, strlen(h->password));
        free(h->password);
    }
    free(h->user);
    free(h->url);
    free(h->cacert);
    free(h);
}

const char *cli_http_url(const cli_http_t *h)
{
    return h->url;
}

/* Where curl writes an answer's body. */
typedef struct body_sink {
    cli_http_resp_t *resp;
    const char *failed; /* why on_body refused data, for the message */
} body_sink_t;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    body_sink_t *sink = userdata;
    cli_http_resp_t *r = sink->resp;
    size_t n = size * nmemb;
    if (r->len + n > RESPONSE_MAX) {
        sink->failed = "the answer is too large";
        return 0; /* curl then fails with CURLE_WRITE_ERROR */
    }
    char *b = realloc(r->body, r->len + n + 1);
    if (!b) {
        sink->failed = "out of memory";
        return 0;
    }
    memcpy(b + r->len, data, n);
    r->len += n;
    b[r->len] = '\0';
    r->body = b;
    return n;
}

int cli_http_request(cli_http_t *h, const char *method, const char *path, const char *json_body,
                     cli_http_resp_t *resp)
{
    memset(resp, 0, sizeof(*resp));
    size_t ulen = strlen(h->url) + strlen(path) + 1;
    char *full = malloc(ulen);
    if (!full) {
        fprintf(stderr, "wsx: out of memory\n");
        return WSX_ENOMEM;
    }
    snprintf(full, ulen, "%s%s", h->url, path);

    struct curl_slist *hdrs = NULL, *tmp;
    int ok = (tmp = curl_slist_append(hdrs, "Accept: application/json")) != NULL;
    if (ok)
        hdrs = tmp;
    if (ok && json_body) {
        /* "Expect:" keeps curl from waiting for 100-continue on larger bodies. */
        ok = (tmp = curl_slist_append(hdrs, "Content-Type: application/json")) != NULL;
        if (ok)
            hdrs = tmp;
        ok = ok && (tmp = curl_slist_append(hdrs, "Expect:")) != NULL;
        if (ok)
            hdrs = tmp;
    }
    if (!ok) {
        curl_slist_free_all(hdrs);
        free(full);
        fprintf(stderr, "wsx: out of memory\n");
        return WSX_ENOMEM;
    }

    CURL *c = h->curl;
    body_sink_t sink = {resp, NULL};
    h->errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, full);
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, h->user);
    curl_easy_setopt(c, CURLOPT_PASSWORD, h->password);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "wsx-cli");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout_s ? h->timeout_s : TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    if (h->cacert) /* verification stays on: only the trusted CAs change */
        curl_easy_setopt(c, CURLOPT_CAINFO, h->cacert);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    /* The handle is reused: reset the method each time. Redirects are not followed, so
     * the credentials only ever go to the URL the user gave. */
    if (json_body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, json_body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json_body));
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") ? method : NULL);
    }

    CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    free(full);
    if (rc != CURLE_OK) {
        const char *why = h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);
        if (sink.failed)
            why = sink.failed;
        fprintf(stderr, "wsx: cannot reach the admin API at %s: %s\n", h->url, why);
        cli_http_resp_free(resp);
        return WSX_EIO;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    return 0;
}

void cli_http_resp_free(cli_http_resp_t *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->len = 0;
}

/* Print `wsx: MSG` with any line breaks turned into spaces: the CLI promises one line. */
static void print_one_line(const char *msg)
{
    fputs("wsx: ", stderr);
    for (const char *p = msg; *p; p++)
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, stderr);
    fputc('\n', stderr);
}

static int status_err(long status)
{
    switch (status) {
    case 401:
    case 403:
        return WSX_EAUTH;
    case 404:
        return WSX_ENOTFOUND;
    case 409:
        return WSX_EEXIST;
    case 413:
        return WSX_ETOOBIG;
    }
    return status >= 400 && status < 500 ? WSX_EINVAL : WSX_EIO;
}

/* Explain a non-2xx answer on stderr: the API's error.message, else a sentence of ours. */
static void report_http_error(cli_http_t *h, const char *method, const char *path,
                              const cli_http_resp_t *r)
{
    json_t *root = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    json_t *err = json_object_get(root, "error");
    const char *msg = json_string_value(json_object_get(err, "message"));
    if (!msg)
        msg = json_string_value(err); /* tolerate {"error": "text"} */
    if (msg && *msg) {
        print_one_line(msg);
    } else if (r->status == 401) {
        fprintf(stderr,
                "wsx: the admin API at %s refused the credentials of user \"%s\" (HTTP 401)\n",
                h->url, h->user);
    } else {
        fprintf(stderr, "wsx: the admin API at %s answered HTTP %ld to %s %s\n", h->url, r->status,
                method, path);
    }
    json_decref(root);
}

int cli_http_api(cli_http_t *h, const char *method, const char *path, const json_t *body,
                 json_t **out)
{
    if (out)
        *out = NULL;
    char *enc = NULL;
    if (body) {
        enc = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!enc) {
            fprintf(stderr, "wsx: cannot encode the request as JSON\n");
            return WSX_ENOMEM;
        }
    }
    cli_http_resp_t r;
    int rc = cli_http_request(h, method, path, enc, &r);
    free(enc);
    if (rc < 0)
        return rc;
    if (r.status < 200 || r.status > 299) {
        report_http_error(h, method, path, &r);
        cli_http_resp_free(&r);
        return status_err(r.status);
    }
    if (r.len == 0 || !out) {
        cli_http_resp_free(&r);
        return 0;
    }
    json_error_t jerr;
    json_t *root = json_loadb(r.body, r.len, 0, &jerr);
    cli_http_resp_free(&r);
    if (!root) {
        fprintf(stderr, "wsx: the admin API at %s answered %s %s with invalid JSON: %s\n", h->url,
                method, path, jerr.text);
        return WSX_EPROTO;
    }
    *out = root;
    return 0;
}

void cli_http_set_timeout(cli_http_t *h, long seconds)
{
    h->timeout_s = seconds;
}

char *cli_http_escape(cli_http_t *h, const char *s)
{
    char *e = curl_easy_escape(h->curl, s, 0);
    if (!e)
        return NULL;
    char *copy = strdup(e);
    curl_free(e);
    return copy;
}

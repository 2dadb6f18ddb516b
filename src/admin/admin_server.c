/* admin_server.c - this server's facts, and a free port to suggest: a random one
 * below the ephemeral range that no channel claims (even an inactive one, or one
 * of another cluster) and that binds on the host now. */
#include "admin/admin_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin/admin_reply.h"
#include "common/err.h"
#include "net/sock.h"

/* Below Linux's ephemeral range (32768-60999): a port suggested there could be
 * taken by any outgoing connection before the channel binds it. */
#define FREE_PORT_LOW 20000
#define FREE_PORT_HIGH 32768
#define FREE_PORT_TRIES 64

static void server_info(admin_api_t *api, http_reply_t *out)
{
    admin_reply_json(out, 200,
                     json_pack("{s:s, s:s, s:s}", "name", api->server_name ? api->server_name : "",
                               "admin_address", api->admin_url ? api->admin_url : "", "started_at",
                               api->started_at));
}

/* Only an IP address or "localhost": a name would need DNS on the control thread. */
static int host_ok(const char *host)
{
    uint8_t buf[sizeof(struct in6_addr)];
    return strcmp(host, "localhost") == 0 || inet_pton(AF_INET, host, buf) == 1 ||
           inet_pton(AF_INET6, host, buf) == 1;
}

static void free_port(admin_api_t *api, const http_request_t *req, http_reply_t *out)
{
    char host[256] = "127.0.0.1";
    int rc = admin_query_param(req->query, "host", host, sizeof host);
    size_t hl = strlen(host);
    if (rc == 1 && hl > 2 && host[0] == '[' && host[hl - 1] == ']') { /* [::1] */
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    if (rc < 0 || !host_ok(host)) {
        admin_reply_error(out, 400, "invalid", "host",
                          "host must be an IP address (127.0.0.1, 0.0.0.0, ::1) or localhost");
        return;
    }
    channel_t *chans = NULL;
    size_t n = 0;
    if ((rc = odb_channel_all(api->db, &chans, &n)) < 0) {
        admin_reply_error(out, 500, "odb_error", NULL, "cannot read channels: %s",
                          wsx_strerror(rc));
        return;
    }
    uint8_t used[65536 / 8] = {0};
    for (size_t i = 0; i < n; i++) {
        channel_addr_t a;
        channel_err_t e;
        if (channel_addr_parse(chans[i].address, &a, &e) == 0)
            used[a.port / 8] |= (uint8_t)(1u << (a.port % 8));
    }
    free(chans);
    char err[256] = "";
    for (int t = 0; t < FREE_PORT_TRIES; t++) {
        uint16_t port =
            (uint16_t)(FREE_PORT_LOW + randombytes_uniform(FREE_PORT_HIGH - FREE_PORT_LOW));
        if (used[port / 8] & (1u << (port % 8)))
            continue;
        int fd = sock_listen(host, port, 0, err, sizeof err);
        if (fd == WSX_EINVAL)
            break; /* the host is not this machine's */
        if (fd < 0)
            continue;
        close(fd);
        admin_reply_json(out, 200, json_pack("{s:i}", "port", (int)port));
        return;
    }
    admin_reply_error(out, 503, "no_free_port", "host", "cannot find a free port on %s%s%s", host,
                      err[0] ? ": " : "", err);
}

int admin_server_route(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                       http_reply_t *out)
{
    int info = wsx_slice_eq(rest, "server");
    if (!info && !wsx_slice_eq(rest, "channels/free-port"))
        return 0;
    if (!wsx_slice_eq(req->method, "GET"))
        admin_reply_method(out, "GET");
    else if (info)
        server_info(api, out);
    else
        free_port(api, req, out);
    return 1;
}

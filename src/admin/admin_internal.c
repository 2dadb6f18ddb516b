/* admin_internal.c - the signed server-to-server endpoints (see admin_internal.h):
 * check X-Wsx-Cluster against the request line, the body and this server's clock,
 * then let admin_conn.c answer locally. A refusal says why (so a misconfigured
 * cluster is easy to fix) but never anything about the secret. */
#include "admin/admin_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin/admin_conn.h"
#include "admin/admin_reply.h"
#include "cluster/cluster_sign.h"
#include "common/log.h"

int admin_internal_route(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                         wsx_slice_t body, http_reply_t *out)
{
    static const char prefix[] = "internal";
    size_t pl = sizeof prefix - 1;
    if (rest.len < pl || memcmp(rest.ptr, prefix, pl) != 0 ||
        (rest.len > pl && rest.ptr[pl] != '/'))
        return 0;
    char server[CLUSTER_SIGN_NAME_MAX + 1] = "", why[256] = "";
    const wsx_slice_t *sig = http_request_header(req, CLUSTER_SIGN_HEADER);
    int ok = 0;
    if (!api->cluster_secret)
        snprintf(why, sizeof why, "this server has no cluster secret");
    else if (!sig)
        snprintf(why, sizeof why, "the call has no " CLUSTER_SIGN_HEADER " header");
    else
        ok = cluster_verify(api->cluster_secret->key, api->cluster_secret->len, *sig, req->method,
                            req->target, body, (int64_t)time(NULL), server, sizeof server, why,
                            sizeof why) == 0;
    if (!ok) {
        log_warn("refused a server-to-server call from %s to %.*s: %s", http_server_peer(out),
                 (int)(req->path.len > 200 ? 200 : req->path.len), (const char *)req->path.ptr,
                 why);
        admin_reply_error(out, 401, "unauthorized", NULL,
                          "/api/v1/internal/ is for the cluster's servers, with a valid "
                          CLUSTER_SIGN_HEADER " signature: %s",
                          why);
        return 1;
    }
    wsx_slice_t tail = rest.len > pl ? wsx_slice(rest.ptr + pl + 1, rest.len - pl - 1)
                                     : wsx_slice("", 0);
    if (!admin_conn_route_local(api, req, tail, body, out))
        admin_reply_error(out, 404, "not_found", NULL, "no such internal API resource");
    return 1;
}

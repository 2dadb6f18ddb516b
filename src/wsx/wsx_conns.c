/* wsx_conns.c - the registry of logged-in sessions (see wsx_conns.h). This first
 * version knows no sessions yet: the session protocol fills it. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "wsx/wsx_conns.h"

static char g_server_name[128];

void wsx_conns_init(const char *server_name)
{
    strncpy(g_server_name, server_name, sizeof g_server_name - 1);
}

int wsx_conns_list(int64_t channel_id, const char *query, wsx_conn_info_t **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    return 0;
}

int wsx_conns_disconnect(const char *pub_client_id, uint16_t code, const char *reason)
{
    return WSX_ENOTFOUND;
}

int wsx_conns_push(const char *pub_client_id, const char *json, size_t len)
{
    return WSX_ENOTFOUND;
}

int wsx_conns_broadcast(int64_t channel_id, const char *json, size_t len, size_t *sent)
{
    if (sent)
        *sent = 0;
    return 0;
}

int wsx_conns_invoke(ev_loop_t *loop, const char *pub_client_id, const char *json, size_t len,
                     uint64_t timeout_ms, wsx_invoke_cb cb, void *ctx)
{
    return WSX_ENOTFOUND;
}

/* admin_conn_merge.h - one reply out of every server's answer to a cluster-wide
 * connection call (admin_conn.c asks them, cluster_gather.h gathers): the lists put
 * together, the broadcasts counted, the one server that owns a connection found.
 * A server that gave no usable answer is named in the reply, never skipped. Pure
 * functions of the answers: answers[0] is this server's own, the others are its
 * peers', in any order. Borrowed for the call. */
#ifndef WSX_ADMIN_CONN_MERGE_H
#define WSX_ADMIN_CONN_MERGE_H

#include "cluster/cluster_client.h"
#include "http/http_server.h"

/* 200 {"items": [every server's connections, by connection_time], "total": N,
 *      "servers": [{"name", "ok": true} | {"name", "ok": false, "error"}]}.
 * A server is ok when it answered 200 with {"items": [...]}. */
void admin_conn_merge_list(const cluster_answer_t *answers, size_t n, http_reply_t *out);

/* 200 {"sent": sum of the ok servers' "sent", "servers": [...]} as above. */
void admin_conn_merge_broadcast(const cluster_answer_t *answers, size_t n, http_reply_t *out);

/* Is this the answer of the server that owns the connection? A disconnect: 204. An
 * invoke: 200 (the client's response), 410 (closed before it answered), 504 (no
 * answer in time), 502 with code "bad_response" (not JSON). 404 is "not here";
 * anything else is a server failing. */
int admin_conn_is_owner(const cluster_answer_t *a, int invoke);

/* The reply to a disconnect (invoke 0) or an invoke (1) of pub_id: the owner's
 * answer as it is; 404 when every server answered 404 ("on this server" when there
 * is only this one); otherwise 502 {"error": {"code": "servers_unavailable",
 * "message": naming the servers that failed and why}, "servers": [...]}. */
void admin_conn_merge_owner(const cluster_answer_t *answers, size_t n, const char *pub_id,
                            int invoke, http_reply_t *out);

#endif

/* wsx_conns.c - the registry of logged-in sessions (see wsx_conns.h): a hash table
 * by pub_client_id under one lock, taken at login, at close and by the admin
 * plane, never per message. A session is freed only by its own worker, after it
 * left the table, so another thread may read the fields fixed at login while it
 * holds the lock; anything that changes a connection is posted to its worker.
 * Also the invocations waiting for a client-response, by request id. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/isotime.h"
#include "common/log.h"
#include "net/worker.h"
#include "wsx/wsx_conns.h"
#include "wsx/wsx_json.h"
#include "wsx/wsx_session_internal.h"

typedef struct pending {
    struct pending *next;
    char id[WSX_ID_LEN + 1];
    char pub[WSX_PUB_ID_LEN + 1];
    ev_loop_t *loop;
    ev_timer_t timer;
    wsx_invoke_cb cb;
    void *ctx;
    int rc;
    char *resp;
    size_t resp_len;
} pending_t;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static wsx_session_t **g_tab; /* chained by hnext; g_cap is a power of two */
static size_t g_cap, g_count;
static pending_t *g_pending;
static char g_server_name[128];

void wsx_conns_init(const char *server_name)
{
    strncpy(g_server_name, server_name, sizeof g_server_name - 1);
}

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static wsx_session_t *find_locked(const char *pub)
{
    if (!g_cap)
        return NULL;
    for (wsx_session_t *s = g_tab[hash(pub) & (g_cap - 1)]; s; s = s->hnext)
        if (strcmp(s->pub_client_id, pub) == 0)
            return s;
    return NULL;
}

static int grow_locked(void)
{
    size_t cap = g_cap ? g_cap * 2 : 1024;
    wsx_session_t **t = calloc(cap, sizeof *t);
    if (!t)
        return WSX_ENOMEM;
    for (size_t i = 0; i < g_cap; i++) {
        for (wsx_session_t *s = g_tab[i], *next; s; s = next) {
            next = s->hnext;
            size_t b = hash(s->pub_client_id) & (cap - 1);
            s->hnext = t[b];
            t[b] = s;
        }
    }
    free(g_tab);
    g_tab = t;
    g_cap = cap;
    return 0;
}

int wsx_conns_add(wsx_session_t *s)
{
    pthread_mutex_lock(&g_lock);
    if (g_count + 1 > g_cap / 2 && grow_locked() < 0) {
        pthread_mutex_unlock(&g_lock);
        return WSX_ENOMEM;
    }
    size_t b = hash(s->pub_client_id) & (g_cap - 1);
    s->hnext = g_tab[b];
    g_tab[b] = s;
    g_count++;
    pthread_mutex_unlock(&g_lock);
    return 0;
}

void wsx_conns_remove(wsx_session_t *s)
{
    pthread_mutex_lock(&g_lock);
    if (g_cap) {
        for (wsx_session_t **pp = &g_tab[hash(s->pub_client_id) & (g_cap - 1)]; *pp;
             pp = &(*pp)->hnext) {
            if (*pp == s) {
                *pp = s->hnext;
                g_count--;
                break;
            }
        }
    }
    pthread_mutex_unlock(&g_lock);
}

static void info_from(const wsx_session_t *s, wsx_conn_info_t *o)
{
    memset(o, 0, sizeof *o);
#define CP(dst, src) snprintf(dst, sizeof dst, "%s", src)
    CP(o->pub_client_id, s->pub_client_id);
    CP(o->ext_client_id, s->env.ext_client_id);
    CP(o->ext_client_name, s->env.ext_client_name);
    CP(o->peer_address, s->env.peer_address);
    CP(o->peer_forwarded_for, s->env.peer_forwarded_for);
    CP(o->local_address, s->local_address);
    CP(o->server_name, g_server_name);
    CP(o->connection_time, s->connection_time);
    CP(o->username, s->env.username);
#undef CP
    isotime_format(atomic_load_explicit(&s->last_seen_us, memory_order_relaxed), o->last_seen);
    o->channel_id = s->channel_id;
}

static int by_time(const void *a, const void *b)
{
    const wsx_conn_info_t *x = a, *y = b;
    int c = strcmp(x->connection_time, y->connection_time);
    return c ? c : strcmp(x->pub_client_id, y->pub_client_id);
}

int wsx_conns_list(int64_t channel_id, const char *query, wsx_conn_info_t **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    pthread_mutex_lock(&g_lock);
    size_t cap = 0;
    for (size_t i = 0; i < g_cap; i++)
        for (wsx_session_t *s = g_tab[i]; s; s = s->hnext)
            cap += s->channel_id == channel_id;
    wsx_conn_info_t *out = cap ? malloc(cap * sizeof *out) : NULL;
    if (cap && !out) {
        pthread_mutex_unlock(&g_lock);
        return WSX_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < g_cap; i++)
        for (wsx_session_t *s = g_tab[i]; s; s = s->hnext)
            if (s->channel_id == channel_id &&
                (!query || !*query || strcasestr(s->env.ext_client_id, query)))
                info_from(s, &out[k++]);
    pthread_mutex_unlock(&g_lock);
    if (k)
        qsort(out, k, sizeof *out, by_time);
    *items = out;
    *n = k;
    return 0;
}

/* ---- commands to the owning worker ---- */

enum { CMD_DISCONNECT, CMD_PUSH, CMD_INVOKE, CMD_BROADCAST };

typedef struct cmd {
    int kind;
    char pub[WSX_PUB_ID_LEN + 1];
    char id[WSX_ID_LEN + 1];
    uint16_t code;
    char reason[124];
    int64_t channel_id;
    size_t len;
    char data[];
} cmd_t;

static void finish(ev_loop_t *loop, void *arg);

/* Claim a pending invocation (whoever removes it from the list completes it).
 * pub: when not NULL, only the connection that was asked may claim it, so a
 * client cannot answer, by guessing its id, a request meant for another. */
static pending_t *claim_locked(const char *id, const char *pub)
{
    for (pending_t **pp = &g_pending; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->id, id) == 0 && (!pub || strcmp((*pp)->pub, pub) == 0)) {
            pending_t *p = *pp;
            *pp = p->next;
            return p;
        }
    }
    return NULL;
}

static void complete(pending_t *p, int rc, const uint8_t *data, size_t len)
{
    p->rc = rc;
    if (rc == 0 && (p->resp = malloc(len + 1))) {
        memcpy(p->resp, data, len);
        p->resp[len] = 0;
        p->resp_len = len;
    } else if (rc == 0) {
        p->rc = WSX_ENOMEM;
    }
    if (ev_post(p->loop, finish, p) < 0) {
        log_error("out of memory returning a client's response");
        abort(); /* the caller would wait for ever */
    }
}

static void run_cmd(ev_loop_t *loop, void *arg)
{
    cmd_t *cmd = arg;
    int self = workers_self();
    if (cmd->kind == CMD_BROADCAST) {
        /* the sessions of this worker on the channel; only this thread frees them */
        pthread_mutex_lock(&g_lock);
        size_t n = 0;
        for (size_t i = 0; i < g_cap; i++)
            for (wsx_session_t *s = g_tab[i]; s; s = s->hnext)
                n += s->worker == self && s->channel_id == cmd->channel_id;
        wsx_session_t **v = n ? malloc(n * sizeof *v) : NULL;
        size_t k = 0;
        if (v)
            for (size_t i = 0; i < g_cap; i++)
                for (wsx_session_t *s = g_tab[i]; s; s = s->hnext)
                    if (s->worker == self && s->channel_id == cmd->channel_id)
                        v[k++] = s;
        pthread_mutex_unlock(&g_lock);
        if (n && !v)
            log_error("out of memory broadcasting to channel %lld", (long long)cmd->channel_id);
        for (size_t i = 0; i < k; i++) {
            char id[WSX_ID_LEN + 1];
            wsx_session_new_id(id);
            wsx_session_send_rqc(v[i], id, (const uint8_t *)cmd->data, cmd->len);
        }
        free(v);
        free(cmd);
        return;
    }
    pthread_mutex_lock(&g_lock);
    wsx_session_t *s = find_locked(cmd->pub);
    pthread_mutex_unlock(&g_lock);
    if (s && s->worker != self)
        s = NULL; /* cannot happen: a session stays on its worker */
    switch (cmd->kind) {
    case CMD_DISCONNECT:
        if (s) {
            ws_conn_close(s->conn, cmd->code, cmd->reason);
        }
        break;
    case CMD_PUSH:
        if (s)
            wsx_session_send_rqc(s, cmd->id, (const uint8_t *)cmd->data, cmd->len);
        break;
    case CMD_INVOKE:
        if (!s || wsx_session_send_rqc(s, cmd->id, (const uint8_t *)cmd->data, cmd->len) < 0) {
            pthread_mutex_lock(&g_lock);
            pending_t *p = claim_locked(cmd->id, NULL);
            pthread_mutex_unlock(&g_lock);
            if (p)
                complete(p, WSX_ECLOSED, NULL, 0);
        }
        break;
    }
    free(cmd);
}

/* Post a command to the worker owning pub. Returns 0 or WSX_ENOTFOUND/WSX_ENOMEM
 * (cmd is freed on failure). */
static int post_to_owner(cmd_t *cmd)
{
    pthread_mutex_lock(&g_lock);
    wsx_session_t *s = find_locked(cmd->pub);
    int w = s ? s->worker : -1;
    pthread_mutex_unlock(&g_lock);
    if (w < 0) {
        free(cmd);
        return WSX_ENOTFOUND;
    }
    if (ev_post(workers_loop(w), run_cmd, cmd) < 0) {
        free(cmd);
        return WSX_ENOMEM;
    }
    return 0;
}

static cmd_t *cmd_new(int kind, const char *pub, const char *json, size_t len)
{
    cmd_t *cmd = calloc(1, sizeof *cmd + len + 1);
    if (!cmd)
        return NULL;
    cmd->kind = kind;
    if (pub)
        snprintf(cmd->pub, sizeof cmd->pub, "%s", pub);
    if (len)
        memcpy(cmd->data, json, len);
    cmd->len = len;
    return cmd;
}

static int valid_pub(const char *pub)
{
    return pub && strlen(pub) == WSX_PUB_ID_LEN;
}

int wsx_conns_disconnect(const char *pub_client_id, uint16_t code, const char *reason)
{
    if (!valid_pub(pub_client_id))
        return WSX_ENOTFOUND;
    cmd_t *cmd = cmd_new(CMD_DISCONNECT, pub_client_id, NULL, 0);
    if (!cmd)
        return WSX_ENOMEM;
    cmd->code = code;
    snprintf(cmd->reason, sizeof cmd->reason, "%s", reason ? reason : "");
    return post_to_owner(cmd);
}

int wsx_conns_push(const char *pub_client_id, const char *json, size_t len)
{
    if (!valid_pub(pub_client_id))
        return WSX_ENOTFOUND;
    if (wsx_json_validate((const uint8_t *)json, len, NULL, NULL) < 0)
        return WSX_EINVAL;
    cmd_t *cmd = cmd_new(CMD_PUSH, pub_client_id, json, len);
    if (!cmd)
        return WSX_ENOMEM;
    wsx_session_new_id(cmd->id);
    return post_to_owner(cmd);
}

int wsx_conns_broadcast(int64_t channel_id, const char *json, size_t len, size_t *sent)
{
    if (sent)
        *sent = 0;
    if (wsx_json_validate((const uint8_t *)json, len, NULL, NULL) < 0)
        return WSX_EINVAL;
    int nw = workers_count();
    size_t count = 0;
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < g_cap; i++)
        for (wsx_session_t *s = g_tab[i]; s; s = s->hnext)
            count += s->channel_id == channel_id;
    pthread_mutex_unlock(&g_lock);
    for (int w = 0; w < nw; w++) {
        cmd_t *cmd = cmd_new(CMD_BROADCAST, NULL, json, len);
        if (!cmd)
            return WSX_ENOMEM;
        cmd->channel_id = channel_id;
        if (ev_post(workers_loop(w), run_cmd, cmd) < 0) {
            free(cmd);
            return WSX_ENOMEM;
        }
    }
    if (sent)
        *sent = count;
    return 0;
}

/* ---- invocations waiting for a client-response ---- */

static void finish(ev_loop_t *loop, void *arg)
{
    pending_t *p = arg;
    ev_timer_stop(loop, &p->timer);
    p->cb(p->ctx, p->rc, p->rc == 0 ? p->resp : NULL, p->rc == 0 ? p->resp_len : 0);
    free(p->resp);
    free(p);
}

static void on_timeout(ev_loop_t *loop, ev_timer_t *t)
{
    pending_t *p = (pending_t *)((char *)t - offsetof(pending_t, timer));
    pthread_mutex_lock(&g_lock);
    pending_t *mine = claim_locked(p->id, NULL);
    pthread_mutex_unlock(&g_lock);
    if (!mine)
        return; /* a worker claimed it first: its finish() is on the way */
    p->cb(p->ctx, WSX_EAGAIN, NULL, 0);
    free(p);
}

int wsx_conns_invoke(ev_loop_t *loop, const char *pub_client_id, const char *json, size_t len,
                     uint64_t timeout_ms, wsx_invoke_cb cb, void *ctx)
{
    if (wsx_json_validate((const uint8_t *)json, len, NULL, NULL) < 0)
        return WSX_EINVAL;
    pending_t *p = calloc(1, sizeof *p);
    if (!p)
        return WSX_ENOMEM;
    wsx_session_new_id(p->id);
    p->loop = loop;
    p->cb = cb;
    p->ctx = ctx;
    if (!valid_pub(pub_client_id)) {
        p->rc = WSX_ENOTFOUND;
        if (ev_post(loop, finish, p) < 0) {
            free(p);
            return WSX_ENOMEM;
        }
        return 0;
    }
    snprintf(p->pub, sizeof p->pub, "%s", pub_client_id);
    cmd_t *cmd = cmd_new(CMD_INVOKE, pub_client_id, json, len);
    if (!cmd) {
        free(p);
        return WSX_ENOMEM;
    }
    memcpy(cmd->id, p->id, sizeof cmd->id);
    pthread_mutex_lock(&g_lock);
    wsx_session_t *s = find_locked(pub_client_id);
    int w = s ? s->worker : -1;
    if (s) {
        p->next = g_pending;
        g_pending = p;
    }
    pthread_mutex_unlock(&g_lock);
    if (w < 0) {
        free(cmd);
        p->rc = WSX_ENOTFOUND;
        if (ev_post(loop, finish, p) < 0) {
            free(p);
            return WSX_ENOMEM;
        }
        return 0;
    }
    ev_timer_start(loop, &p->timer, timeout_ms, on_timeout);
    if (ev_post(workers_loop(w), run_cmd, cmd) < 0) {
        free(cmd); /* the timer still answers the caller */
    }
    return 0;
}

int wsx_conns_answer(const char *pub_client_id, const char *in_reply_to, const uint8_t *data,
                     size_t len)
{
    pthread_mutex_lock(&g_lock);
    pending_t *p = claim_locked(in_reply_to, pub_client_id);
    pthread_mutex_unlock(&g_lock);
    if (!p)
        return 0; /* late, or not ours */
    complete(p, 0, data, len);
    return 1;
}

void wsx_conns_closed(const char *pub_client_id)
{
    pending_t *mine = NULL;
    pthread_mutex_lock(&g_lock);
    for (pending_t **pp = &g_pending; *pp;) {
        pending_t *p = *pp;
        if (strcmp(p->pub, pub_client_id) == 0) {
            *pp = p->next;
            p->next = mine;
            mine = p;
        } else {
            pp = &p->next;
        }
    }
    pthread_mutex_unlock(&g_lock);
    while (mine) {
        pending_t *next = mine->next;
        complete(mine, WSX_ECLOSED, NULL, 0);
        mine = next;
    }
}

/* reconcile.c - desired state (ODB rows) against actual state (listeners on the
 * workers). Binding happens here, on the control thread, so a bind failure is
 * known at once and shown as the channel's state; the sockets are then handed to
 * the workers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel/reconcile.h"
#include "common/err.h"
#include "common/log.h"
#include "net/sock.h"
#include "net/worker.h"

/* The state of a channel whose server is leaving (reconcile_stop_accepting). */
#define STATE_DRAINING "draining: the server is leaving"

typedef struct actual {
    int64_t id;
    int open;              /* listening on every worker */
    char address[1400];
    chan_cfg_t cfg;        /* what the workers have */
    char state[160];
    int recorded;          /* state is in the ODB (a write may fail while it is down) */
    int seen;              /* mark for the sweep of deleted channels */
    /* wss://: the context the workers hand new connections (owned; NULL for ws://),
     * the files it was loaded from and the reload generation it was loaded in */
    tls_ctx_t *tls;
    char tls_cert[CHANNEL_PATH_MAX];
    char tls_key[CHANNEL_PATH_MAX];
    unsigned tls_gen;
    tls_ctx_t *retired; /* a replaced context, freed once the workers let go of it */
} actual_t;

struct reconciler {
    odb_t *db;
    char server[128];
    char bind_host[256]; /* --bind-host: every channel binds here; "" = its own host */
    actual_t *items;
    size_t n, cap;
    int64_t version; /* config version at the last run */
    int errors;      /* channels in error at the last run */
    int leaving;     /* reconcile_stop_accepting was called: bind nothing any more */
    unsigned tls_gen; /* bumped by reconcile_reload_tls: load every certificate again */
};

reconciler_t *reconcile_new(odb_t *db, const char *server_name)
{
    reconciler_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->db = db;
    r->version = -1;
    snprintf(r->server, sizeof r->server, "%s", server_name);
    return r;
}

void reconcile_set_bind_host(reconciler_t *r, const char *host)
{
    snprintf(r->bind_host, sizeof r->bind_host, "%s", host ? host : "");
}

static void drop_tls(actual_t *a)
{
    tls_ctx_free(a->tls);
    tls_ctx_free(a->retired);
    a->tls = a->retired = NULL;
    a->tls_cert[0] = a->tls_key[0] = '\0';
}

void reconcile_free(reconciler_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        drop_tls(&r->items[i]);
    free(r->items);
    free(r);
}

static actual_t *find(reconciler_t *r, int64_t id)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].id == id)
            return &r->items[i];
    return NULL;
}

const char *reconcile_state(reconciler_t *r, int64_t id)
{
    actual_t *a = find(r, id);
    return a ? a->state : "unknown";
}

/* What the workers need of a channel. Returns 0, or WSX_EAUTH when its security
 * definition cannot be read or opened (the channel must not serve without it). */
static int cfg_from(reconciler_t *r, const channel_t *ch, const channel_addr_t *addr,
                    chan_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->id = ch->id;
    snprintf(cfg->name, sizeof cfg->name, "%s", ch->name);
    snprintf(cfg->path, sizeof cfg->path, "%s", addr->path);
    cfg->path_len = strlen(cfg->path);
    cfg->raw = strcmp(ch->data_format, "raw") == 0;
    cfg->service = service_slot(ch->service); /* a slot: the service may come later */
    cfg->max_message_size = (uint64_t)ch->max_message_size;
    cfg->log_messages = (uint32_t)ch->log_messages;
    cfg->permessage_deflate = ch->permessage_deflate;
    cfg->deflate_max_window_bits = (unsigned)ch->deflate_max_window_bits;
    cfg->max_connections = (uint32_t)ch->max_connections;
    cfg->slow_drop = strcmp(ch->slow_consumer_policy, "drop") == 0;
    cfg->slow_consumer_ms = (uint64_t)ch->slow_consumer_seconds * 1000;
    cfg->write_queue_high_water = (uint32_t)ch->write_queue_high_water;
    cfg->new_token_wait_ms = (uint64_t)ch->new_token_wait_time * 1000;
    cfg->ping_interval_ms = (uint64_t)ch->ping_interval * 1000;
    cfg->pings_missed_threshold = (uint32_t)ch->pings_missed_threshold;
    cfg->token_ttl_ms = (uint64_t)ch->token_ttl * 1000;
    if (ch->hook_service[0])
        cfg->hook = service_slot(ch->hook_service);
    snprintf(cfg->gateway_allowed, sizeof cfg->gateway_allowed, "%s", ch->gateway_services);
    if (ch->security_id) {
        /* read on every run, so a changed password reaches the workers with the
         * next reconciliation (the ODB write bumps the config version) */
        security_def_t def;
        int rc = odb_security_get(r->db, ch->security_id, &def);
        if (rc == 0)
            rc = security_cred_from_def(&def, &cfg->cred);
        explicit_bzero(&def, sizeof def);
        if (rc < 0) {
            explicit_bzero(&cfg->cred, sizeof cfg->cred);
            return WSX_EAUTH;
        }
    }
    return 0;
}

static void close_listeners(actual_t *a, const char *reason)
{
    if (!a->open)
        return;
    workers_close_channel(a->id, 1001, reason);
    a->open = 0;
}

/* Bind one socket per worker on host:port; all or nothing. */
static int open_listeners(actual_t *a, const char *host, uint16_t port, char *err, size_t errlen)
{
    int n = workers_count();
    int fds[256];
    if (n > 256)
        n = 256;
    for (int i = 0; i < n; i++) {
        fds[i] = sock_listen(host, port, 1, err, errlen);
        if (fds[i] < 0) {
            int rc = fds[i];
            while (i-- > 0)
                close(fds[i]);
            return rc;
        }
    }
    workers_open_channel(&a->cfg, fds);
    a->open = 1;
    return 0;
}

static void set_state(reconciler_t *r, actual_t *a, const char *state)
{
    if (strcmp(a->state, state) == 0 && a->recorded)
        return;
    snprintf(a->state, sizeof a->state, "%s", state);
    int rc = odb_channel_state_set(r->db, r->server, a->id, state);
    a->recorded = rc == 0 || rc == WSX_ENOTFOUND;
    if (!a->recorded) {
        log_warn("cannot record the state of channel %lld", (long long)a->id);
        r->version = -1; /* run again on the next poll, and record it then */
    }
}

/* A wss:// channel's certificate: loaded when first needed, when its files
 * change, and once after each reconcile_reload_tls. A failed reload of the same
 * files keeps the context in use (and says why in the log); otherwise a failure
 * is the channel's error, in err. The replaced context goes to a->retired. */
static int prepare_tls(reconciler_t *r, const channel_t *ch, actual_t *a, char *err, size_t errlen)
{
    int same =
        a->tls && strcmp(a->tls_cert, ch->tls_cert) == 0 && strcmp(a->tls_key, ch->tls_key) == 0;
    if (same && a->tls_gen == r->tls_gen)
        return 0;
    tls_ctx_t *ctx = tls_ctx_load(ch->tls_cert, ch->tls_key, err, errlen);
    if (!ctx) {
        if (same) {
            log_warn("channel \"%s\": certificate reload failed, keeping the one in use: %s",
                     ch->name, err);
            a->tls_gen = r->tls_gen;
            return 0;
        }
        return WSX_EINVAL;
    }
    char fp[65];
    tls_ctx_fingerprint(ctx, fp);
    log_info("channel \"%s\": certificate %s loaded (SHA-256 %s)", ch->name, ch->tls_cert, fp);
    tls_ctx_free(a->retired);
    a->retired = a->tls;
    a->tls = ctx;
    snprintf(a->tls_cert, sizeof a->tls_cert, "%s", ch->tls_cert);
    snprintf(a->tls_key, sizeof a->tls_key, "%s", ch->tls_key);
    a->tls_gen = r->tls_gen;
    return 0;
}

static void apply_one(reconciler_t *r, const channel_t *ch, actual_t *a);

/* apply_one, then free what the workers no longer use: the workers_* calls
 * return once every worker runs with the new settings, and a connection made
 * with an old context holds its own reference to it. */
static void apply(reconciler_t *r, const channel_t *ch, actual_t *a)
{
    apply_one(r, ch, a);
    if (!a->open)
        drop_tls(a);
    tls_ctx_free(a->retired);
    a->retired = NULL;
}

static void apply_one(reconciler_t *r, const channel_t *ch, actual_t *a)
{
    channel_addr_t addr;
    channel_err_t verr;
    if (!ch->is_active) {
        close_listeners(a, "channel made inactive");
        set_state(r, a, "inactive");
        return;
    }
    if (channel_addr_parse(ch->address, &addr, &verr) < 0) {
        close_listeners(a, "channel address changed");
        set_state(r, a, "error: invalid address");
        return;
    }
    chan_cfg_t cfg;
    if (cfg_from(r, ch, &addr, &cfg) < 0) {
        close_listeners(a, "channel security definition unavailable");
        set_state(r, a, "error: its security definition cannot be read");
        return;
    }
    if (a->open && strcmp(a->address, ch->address) != 0) {
        close_listeners(a, "channel moved to another address");
        log_info("channel \"%s\" moved to %s", ch->name, ch->address);
    }
    if (addr.tls) {
        char err[CHANNEL_PATH_MAX * 2 + 200], state[sizeof a->state];
        if (prepare_tls(r, ch, a, err, sizeof err) < 0) {
            close_listeners(a, "channel certificate unavailable");
            if (snprintf(state, sizeof state, "error: %s", err) >= (int)sizeof state)
                memcpy(state + sizeof state - 4, "...", 4); /* the log has it whole */
            if (strcmp(a->state, state) != 0)
                log_warn("channel \"%s\": %s", ch->name, err);
            set_state(r, a, state);
            return;
        }
        cfg.tls = a->tls;
    }
    if (a->open && cfg.raw != a->cfg.raw) {
        /* raw and json connections are different beasts (a json one has a session
         * and logged in; a raw one did neither): close them all and listen anew */
        close_listeners(a, "channel data format changed");
        log_info("channel \"%s\" changed its data format to %s", ch->name, ch->data_format);
    }
    if (a->open) {
        if (memcmp(&cfg, &a->cfg, sizeof cfg) != 0) {
            workers_update_channel(&cfg);
            a->cfg = cfg;
        }
        set_state(r, a, r->leaving ? STATE_DRAINING : "listening");
        return;
    }
    if (r->leaving)
        return; /* a leaving server takes no new clients, even on a new channel */
    a->cfg = cfg;
    snprintf(a->address, sizeof a->address, "%s", ch->address);
    /* --bind-host: servers sharing a machine listen on distinct addresses, each on
     * the channel's port; the load balancer knows them by that address */
    const char *host = r->bind_host[0] ? r->bind_host : addr.host;
    char err[160], state[200];
    if (open_listeners(a, host, addr.port, err, sizeof err) < 0) {
        snprintf(state, sizeof state, "error: %s", err);
        if (strcmp(a->state, state) != 0)
            log_warn("channel \"%s\": cannot listen on %s%s%s: %s (will retry)", ch->name,
                     ch->address, r->bind_host[0] ? " with --bind-host " : "", r->bind_host, err);
        set_state(r, a, state);
        return;
    }
    if (r->bind_host[0])
        log_info("channel \"%s\" listening on %s:%u (--bind-host) for %s", ch->name, host,
                 addr.port, ch->address);
    else
        log_info("channel \"%s\" listening on %s", ch->name, ch->address);
    set_state(r, a, "listening");
}

int reconcile_run(reconciler_t *r)
{
    int64_t version = 0;
    channel_t *chs = NULL;
    size_t n = 0;
    int rc = odb_config_version(r->db, &version);
    if (rc == 0)
        rc = odb_channel_all(r->db, &chs, &n);
    if (rc < 0) {
        log_error("reconciler: cannot read the ODB: %s", wsx_strerror(rc));
        return rc;
    }
    for (size_t i = 0; i < r->n; i++)
        r->items[i].seen = 0;
    for (size_t i = 0; i < n; i++) {
        actual_t *a = find(r, chs[i].id);
        if (!a) {
            if (r->n == r->cap) {
                size_t cap = r->cap ? r->cap * 2 : 16;
                actual_t *p = realloc(r->items, cap * sizeof *p);
                if (!p) {
                    free(chs);
                    return WSX_ENOMEM;
                }
                r->items = p;
                r->cap = cap;
            }
            a = &r->items[r->n++];
            memset(a, 0, sizeof *a);
            a->id = chs[i].id;
        }
        a->seen = 1;
    }
    /* deleted channels first, so a new channel may take a freed port */
    for (size_t i = 0; i < r->n;) {
        if (!r->items[i].seen) {
            close_listeners(&r->items[i], "channel deleted");
            drop_tls(&r->items[i]);
            r->items[i] = r->items[--r->n];
        } else {
            i++;
        }
    }
    /* then moves and deactivations, then the rest, for the same reason */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            actual_t *a = find(r, chs[i].id);
            int freeing = !chs[i].is_active || (a->open && strcmp(a->address, chs[i].address) != 0);
            if ((pass == 0) == freeing)
                apply(r, &chs[i], a);
        }
    }
    r->errors = 0;
    for (size_t i = 0; i < r->n; i++)
        r->errors += strncmp(r->items[i].state, "error", 5) == 0;
    r->version = version;
    free(chs);
    return 0;
}

int reconcile_poll(reconciler_t *r)
{
    int64_t version;
    if (odb_config_version(r->db, &version) < 0)
        return WSX_EIO;
    if (version == r->version && r->errors == 0)
        return 0;
    return reconcile_run(r);
}

void reconcile_reload_tls(reconciler_t *r)
{
    r->tls_gen++;
    r->version = -1; /* the next poll runs, even if nothing else changed */
}

void reconcile_stop_accepting(reconciler_t *r)
{
    r->leaving = 1;
    workers_stop_accepting();
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].open)
            set_state(r, &r->items[i], STATE_DRAINING);
}

void reconcile_close_all(reconciler_t *r)
{
    for (size_t i = 0; i < r->n; i++) {
        actual_t *a = &r->items[i];
        int was_open = a->open;
        close_listeners(a, "server shutting down");
        /* so that the channel's states do not show this server listening after it
         * stopped (a killed server cannot say so: its state in the cluster can) */
        if (was_open)
            set_state(r, a, "stopped");
    }
}

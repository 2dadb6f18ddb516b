/* worker.h - the data plane's threads. Each worker owns an event loop, one
 * listening socket per active channel (SO_REUSEPORT), the connections the kernel
 * gave it, and one shared read buffer and one write buffer: an idle connection
 * holds no buffer at all. The control thread changes a worker only through
 * commands on its loop; the workers_* calls below post one to every worker and
 * wait until all have run it, so when they return the change is in force. */
#ifndef WSX_WORKER_H
#define WSX_WORKER_H

#include <stdint.h>
#include <stddef.h>

#include "ev/ev.h"
#include "net/tls.h"
#include "security/security.h"
#include "service/service.h"

/* What a worker needs to serve a channel; each worker gets its own copy. */
typedef struct chan_cfg {
    int64_t id;
    char name[801];
    char path[1024];
    size_t path_len;
    int raw;                      /* data_format raw */
    const service_t *service;     /* NULL: unknown (answered with an error) */
    uint64_t max_message_size;
    uint32_t log_messages;        /* log each message's first N bytes; 0: off */
    int permessage_deflate;       /* accept permessage-deflate offers */
    unsigned deflate_max_window_bits; /* cap of its windows, 9..15; 0: none */
    uint32_t max_connections;         /* upgraded connections at once; 0: no limit */
    int slow_drop;                    /* slow consumer policy: 1 drop, 0 close */
    uint64_t slow_consumer_ms;        /* close: how long above the mark before 1008 */
    uint32_t write_queue_high_water;  /* bytes of unsent output: the mark */
    uint64_t new_token_wait_ms;   /* also bounds the HTTP handshake */
    uint64_t ping_interval_ms;
    uint32_t pings_missed_threshold;
    uint64_t token_ttl_ms;        /* json channels */
    const service_t *hook;        /* hook_service, NULL for none */
    char gateway_allowed[4096];   /* helpers.web-sockets-gateway's allow-list */
    security_cred_t cred;         /* what a login must match (type NONE: no check) */
    tls_ctx_t *tls;               /* wss://: the certificate new connections get, NULL
                                     for ws://; borrowed from the reconciler, which
                                     frees a replaced one only after every worker has
                                     the new settings (sessions hold their own ref) */
    struct mx_block *mx;          /* the channel's metrics; set by workers_open_channel
                                     and workers_update_channel, callers leave it */
} chan_cfg_t;

typedef struct worker worker_t;

/* Start n worker threads. Returns 0 or a negative WSX_E*. */
int workers_start(int n);
/* The number of workers started. */
int workers_count(void);

/* Hand listening sockets fds[0..workers_count()) for a channel to the workers
 * (fds[i] to worker i; ownership passes to the workers). */
void workers_open_channel(const chan_cfg_t *cfg, const int *fds);
/* Close a channel's listeners and send close `code` (1001) to its connections. */
void workers_close_channel(int64_t id, uint16_t code, const char *reason);
/* Replace a channel's settings; open connections stay and see the new ones. */
void workers_update_channel(const chan_cfg_t *cfg);
/* Close every channel's listening sockets, keeping the connections (a graceful
 * leave: new clients are refused here and go to another server, those connected
 * keep talking). The channels still take workers_close_channel and
 * workers_update_channel, and workers_stop closes their connections with 1001. */
void workers_stop_accepting(void);
/* The connections the workers hold now, every channel's, closing ones included
 * (a quick count on each worker; the caller waits for all of them). */
size_t workers_connections(void);
/* Scrape time: each worker adds the bytes its connections have queued for writing
 * to its channels' metrics blocks (metrics_add_queued). */
void workers_queued(void);
/* Wait until every worker has finished what it was doing and run this no-op: a
 * quiescent point. After it, no worker is still inside code it entered before
 * the call (a service being replaced, a configuration being freed). */
void workers_sync(void);
/* The loop of worker i (0 <= i < workers_count()), for posting to it. */
ev_loop_t *workers_loop(int i);
/* The index of the worker whose thread calls this, or -1 on another thread. */
int workers_self(void);
/* Close every channel with 1001 and stop and join the threads. The loops stay, so
 * what other threads still post to them (a login check's answer) lands
 * somewhere; workers_free runs it and frees them. */
void workers_stop(void);
void workers_free(void);

#endif

/* limits.h - the server-wide limits of the data plane (README "Limits"): the TCP
 * connections of every channel together (--max-connections), a memory budget
 * against the process's resident size (--max-memory) and the handshakes in
 * progress per peer address (--max-handshakes-per-peer). The control thread sets
 * them once before the workers start; from then on any worker calls the checks.
 * Nothing here is on the per-message path: the checks run at accept and upgrade. */
#ifndef WSX_LIMITS_H
#define WSX_LIMITS_H

#include <stdint.h>

#define LIMITS_DEFAULT_HANDSHAKES_PER_PEER 256
#define LIMITS_RSS_SAMPLE_MS 100 /* how often the resident size is read */

typedef struct limits_cfg {
    uint64_t max_connections;         /* TCP connections of the channels; 0: none */
    uint64_t max_memory;              /* bytes of RSS above which upgrades get 503; 0: none */
    uint32_t max_handshakes_per_peer; /* accepted, not upgraded, per address; 0: none */
} limits_cfg_t;

/* Parse a byte count: digits with an optional K, M or G suffix (powers of 1024,
 * either case, an optional trailing B or iB: "512M", "2GiB", "1048576"). Pure.
 * Returns 0 with *out set, or WSX_EINVAL (empty, not a number, unknown suffix, or
 * more than 2^62 bytes). */
int limits_parse_bytes(const char *s, uint64_t *out);

/* Control thread, before the workers start (or after they stopped): set the limits
 * and, when there is a memory budget, start the thread that samples the resident
 * size every LIMITS_RSS_SAMPLE_MS. Returns 0 or WSX_EIO. */
int limits_start(const limits_cfg_t *cfg);
/* Stop the sampler and free the peer table (after the workers stopped). */
void limits_stop(void);

/* Any thread: one more TCP connection on a channel listener. 0 if taken (release
 * it with limits_conn_release), WSX_EBUSY when --max-connections are open. */
int limits_conn_take(void);
void limits_conn_release(void);
/* Any thread: 1 when the last sample of the resident size is above the budget. */
int limits_over_memory(void);
/* The last sampled resident size in bytes (0 before the first sample or without a
 * budget), and the budget. */
uint64_t limits_rss(void);
uint64_t limits_max_memory(void);
/* The resident size now, read from /proc/self/statm (0 if unreadable). */
uint64_t limits_rss_now(void);

/* A peer address's count of handshakes in progress; opaque. */
typedef struct limits_peer limits_peer_t;
/* Any thread, at accept: count a handshake in progress for fd's peer address.
 * 0 with *slot set (NULL when there is no limit or the address is unknown: nothing
 * to release), or WSX_EBUSY when the peer already has the limit in progress (the
 * caller closes fd), or WSX_ENOMEM. O(1): a hash table under a lock held briefly. */
int limits_peer_take(int fd, limits_peer_t **slot);
/* The handshake ended (upgraded or closed): release what limits_peer_take took.
 * NULL-safe. */
void limits_peer_release(limits_peer_t *slot);

#endif

/* limits.c - server-wide limits: a global count of channel TCP connections, the
 * resident size sampled by a small thread (a read of /proc/self/statm every
 * LIMITS_RSS_SAMPLE_MS, so an accept or upgrade only loads an atomic), and a hash
 * table of peer addresses with their handshakes in progress, shared by the
 * workers under one mutex (held for a few dozen instructions per accept and per
 * finished handshake: never on the message path). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/err.h"
#include "net/limits.h"

#define PEER_BUCKETS 4096 /* a power of two */

struct limits_peer {
    struct limits_peer *next;
    uint8_t addr[16]; /* IPv6, or IPv4 mapped */
    uint32_t count;   /* handshakes in progress; the entry goes at 0 */
    uint32_t bucket;
};

static limits_cfg_t g_cfg;
static uint64_t g_conns; /* atomic */
static uint64_t g_rss;   /* atomic: the last sample, in bytes */
static long g_page;
static pthread_t g_sampler;
static int g_sampling;
static int g_stop; /* atomic: tells the sampler to end */

static pthread_mutex_t g_peer_lock = PTHREAD_MUTEX_INITIALIZER;
static limits_peer_t *g_peers[PEER_BUCKETS];

int limits_parse_bytes(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return WSX_EINVAL;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_C(1) << 62) / 10)
            return WSX_EINVAL;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    unsigned shift = 0;
    switch (*s) {
    case 'k':
    case 'K':
        shift = 10;
        s++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        s++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        s++;
        break;
    default:
        break;
    }
    if (shift && s[0] == 'i' && s[1] == 'B') /* KiB, MiB, GiB */
        s++;
    if (*s == 'B' || *s == 'b')
        s++;
    if (*s || v > (UINT64_C(1) << 62) >> shift)
        return WSX_EINVAL;
    *out = v << shift;
    return 0;
}

uint64_t limits_rss_now(void)
{
    /* statm: size resident shared ... in pages; one small read, no parsing of
     * /proc/self/status's dozens of lines */
    char buf[128];
    if (!g_page) {
        long pg = sysconf(_SC_PAGESIZE);
        g_page = pg > 0 ? pg : 4096;
    }
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *p = strchr(buf, ' ');
    if (!p)
        return 0;
    return strtoull(p + 1, NULL, 10) * (uint64_t)g_page;
}

static void *sampler_main(void *arg)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = LIMITS_RSS_SAMPLE_MS * 1000000L};
    while (!__atomic_load_n(&g_stop, __ATOMIC_RELAXED)) {
        __atomic_store_n(&g_rss, limits_rss_now(), __ATOMIC_RELAXED);
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int limits_start(const limits_cfg_t *cfg)
{
    g_cfg = *cfg;
    if (!g_cfg.max_memory)
        return 0;
    __atomic_store_n(&g_rss, limits_rss_now(), __ATOMIC_RELAXED);
    g_stop = 0;
    if (pthread_create(&g_sampler, NULL, sampler_main, NULL) != 0)
        return WSX_EIO;
    g_sampling = 1;
    return 0;
}

void limits_stop(void)
{
    if (g_sampling) {
        __atomic_store_n(&g_stop, 1, __ATOMIC_RELAXED);
        pthread_join(g_sampler, NULL);
        g_sampling = 0;
    }
    pthread_mutex_lock(&g_peer_lock);
    for (int i = 0; i < PEER_BUCKETS; i++) {
        while (g_peers[i]) {
            limits_peer_t *next = g_peers[i]->next;
            free(g_peers[i]);
            g_peers[i] = next;
        }
    }
    pthread_mutex_unlock(&g_peer_lock);
}

int limits_conn_take(void)
{
    uint64_t n = __atomic_add_fetch(&g_conns, 1, __ATOMIC_RELAXED);
    if (g_cfg.max_connections && n > g_cfg.max_connections) {
        __atomic_sub_fetch(&g_conns, 1, __ATOMIC_RELAXED);
        return WSX_EBUSY;
    }
    return 0;
}

void limits_conn_release(void)
{
    __atomic_sub_fetch(&g_conns, 1, __ATOMIC_RELAXED);
}

int limits_over_memory(void)
{
    return g_cfg.max_memory && __atomic_load_n(&g_rss, __ATOMIC_RELAXED) > g_cfg.max_memory;
}

uint64_t limits_rss(void)
{
    return __atomic_load_n(&g_rss, __ATOMIC_RELAXED);
}

uint64_t limits_max_memory(void)
{
    return g_cfg.max_memory;
}

/* FNV-1a over the address: cheap, and the table only has to spread peers out. */
static uint32_t addr_hash(const uint8_t *a)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ a[i]) * 16777619u;
    return h & (PEER_BUCKETS - 1);
}

int limits_peer_take(int fd, limits_peer_t **slot)
{
    *slot = NULL;
    if (!g_cfg.max_handshakes_per_peer)
        return 0;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    uint8_t addr[16] = {0};
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0; /* already reset: the read will see it */
    if (ss.ss_family == AF_INET) {
        addr[10] = addr[11] = 0xff;
        memcpy(addr + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
    } else if (ss.ss_family == AF_INET6) {
        memcpy(addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
    } else {
        return 0;
    }
    uint32_t b = addr_hash(addr);
    int rc = 0;
    pthread_mutex_lock(&g_peer_lock);
    limits_peer_t *p = g_peers[b];
    while (p && memcmp(p->addr, addr, 16) != 0)
        p = p->next;
    if (!p) {
        if ((p = malloc(sizeof *p))) {
            memcpy(p->addr, addr, 16);
            p->count = 0;
            p->bucket = b;
            p->next = g_peers[b];
            g_peers[b] = p;
        } else {
            rc = WSX_ENOMEM;
        }
    }
    if (p && p->count >= g_cfg.max_handshakes_per_peer)
        rc = WSX_EBUSY;
    else if (p) {
        p->count++;
        *slot = p;
    }
    pthread_mutex_unlock(&g_peer_lock);
    return rc;
}

void limits_peer_release(limits_peer_t *slot)
{
    if (!slot)
        return;
    pthread_mutex_lock(&g_peer_lock);
    if (--slot->count == 0) {
        limits_peer_t **pp = &g_peers[slot->bucket];
        while (*pp != slot)
            pp = &(*pp)->next;
        *pp = slot->next;
        free(slot);
    }
    pthread_mutex_unlock(&g_peer_lock);
}

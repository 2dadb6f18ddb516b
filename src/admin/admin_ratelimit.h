/* admin_ratelimit.h - failed logins per client address. After
 * ADMIN_RL_FREE_FAILURES failures, each further failure closes the address for a
 * growing delay (1 s, 2 s, 4 s ... ADMIN_RL_MAX_DELAY_MS). A closed
 * address is answered 429 at once: nothing here sleeps, so the control loop never
 * waits for an attacker. A success, or ADMIN_RL_FORGET_MS without a failure, clears
 * the address. Control thread only; times are CLOCK_MONOTONIC ms. */
#ifndef WSX_ADMIN_RATELIMIT_H
#define WSX_ADMIN_RATELIMIT_H

#include <stdint.h>

#define ADMIN_RL_FREE_FAILURES 5
#define ADMIN_RL_FIRST_DELAY_MS 1000
#define ADMIN_RL_MAX_DELAY_MS 60000
#define ADMIN_RL_FORGET_MS (3600ULL * 1000)
#define ADMIN_RL_SLOTS 1024

typedef struct admin_ratelimit admin_ratelimit_t;

/* A new, empty table, or NULL when out of memory. Freed by admin_ratelimit_free. */
admin_ratelimit_t *admin_ratelimit_new(void);
void admin_ratelimit_free(admin_ratelimit_t *rl);

/* How long an address must wait after its failures-th consecutive failure: 0
 * before the ADMIN_RL_FREE_FAILURES-th, ADMIN_RL_FIRST_DELAY_MS after it (so the
 * 6th attempt waits 1 s), then doubling up to ADMIN_RL_MAX_DELAY_MS. Pure. */
uint64_t admin_ratelimit_delay_ms(unsigned failures);

/* Milliseconds before addr may try again (0: now). addr is borrowed. */
uint64_t admin_ratelimit_wait_ms(admin_ratelimit_t *rl, const char *addr, uint64_t now_ms);

/* Record a failure from addr. A full table reuses its least recently failed slot. */
void admin_ratelimit_failed(admin_ratelimit_t *rl, const char *addr, uint64_t now_ms);

/* A success from addr: its failures are forgotten. */
void admin_ratelimit_succeeded(admin_ratelimit_t *rl, const char *addr);

#endif

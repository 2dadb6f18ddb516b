/* admin_ratelimit.c - a fixed table of addresses with recent failed logins,
 * scanned linearly: it is touched once per login attempt, which costs an Argon2id
 * verification anyway. */
#include "admin/admin_ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADDR_MAX 64

typedef struct rl_slot {
    char addr[ADDR_MAX]; /* "" for a free slot */
    unsigned failures;
    uint64_t last_ms;  /* the last failure */
    uint64_t until_ms; /* closed before this */
} rl_slot_t;

struct admin_ratelimit {
    rl_slot_t slots[ADMIN_RL_SLOTS];
};

admin_ratelimit_t *admin_ratelimit_new(void)
{
    return calloc(1, sizeof(admin_ratelimit_t));
}

void admin_ratelimit_free(admin_ratelimit_t *rl)
{
    free(rl);
}

uint64_t admin_ratelimit_delay_ms(unsigned failures)
{
    if (failures < ADMIN_RL_FREE_FAILURES)
        return 0;
    unsigned doublings = failures - ADMIN_RL_FREE_FAILURES;
    uint64_t d = ADMIN_RL_FIRST_DELAY_MS;
    while (doublings-- && d < ADMIN_RL_MAX_DELAY_MS)
        d *= 2;
    return d < ADMIN_RL_MAX_DELAY_MS ? d : ADMIN_RL_MAX_DELAY_MS;
}

static rl_slot_t *find(admin_ratelimit_t *rl, const char *addr, uint64_t now_ms)
{
    if (!addr[0])
        addr = "?"; /* an unknown address is one address, not none */
    for (size_t i = 0; i < ADMIN_RL_SLOTS; i++) {
        rl_slot_t *s = &rl->slots[i];
        if (s->addr[0] && strcmp(s->addr, addr) == 0) {
            if (now_ms - s->last_ms >= ADMIN_RL_FORGET_MS) {
                memset(s, 0, sizeof *s);
                return NULL;
            }
            return s;
        }
    }
    return NULL;
}

uint64_t admin_ratelimit_wait_ms(admin_ratelimit_t *rl, const char *addr, uint64_t now_ms)
{
    rl_slot_t *s = find(rl, addr, now_ms);
    return s && s->until_ms > now_ms ? s->until_ms - now_ms : 0;
}

void admin_ratelimit_failed(admin_ratelimit_t *rl, const char *addr, uint64_t now_ms)
{
    rl_slot_t *s = find(rl, addr, now_ms);
    if (!s) {
        for (size_t i = 0; i < ADMIN_RL_SLOTS; i++) {
            rl_slot_t *c = &rl->slots[i];
            if (!c->addr[0]) {
                s = c;
                break;
            }
            if (!s || c->last_ms < s->last_ms)
                s = c;
        }
        memset(s, 0, sizeof *s);
        snprintf(s->addr, sizeof s->addr, "%s", addr[0] ? addr : "?");
    }
    if (s->failures < 1000)
        s->failures++;
    s->last_ms = now_ms;
    s->until_ms = now_ms + admin_ratelimit_delay_ms(s->failures);
}

void admin_ratelimit_succeeded(admin_ratelimit_t *rl, const char *addr)
{
    if (!addr[0])
        addr = "?";
    for (size_t i = 0; i < ADMIN_RL_SLOTS; i++)
        if (rl->slots[i].addr[0] && strcmp(rl->slots[i].addr, addr) == 0)
            memset(&rl->slots[i], 0, sizeof rl->slots[i]);
}

/* admin_session.c - the session table: a fixed array (ADMIN_SESSIONS_MAX slots, a
 * few admins log in, rarely), keyed hashes of the ids, idle expiry on lookup, and
 * the Cookie header parser. */
#include "admin/admin_session.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct admin_sessions {
    uint8_t key[crypto_generichash_KEYBYTES];
    admin_session_t slots[ADMIN_SESSIONS_MAX];
};

admin_sessions_t *admin_sessions_new(void)
{
    if (sodium_init() < 0)
        return NULL;
    admin_sessions_t *t = calloc(1, sizeof *t);
    if (t)
        randombytes_buf(t->key, sizeof t->key);
    return t;
}

void admin_sessions_free(admin_sessions_t *t)
{
    if (!t)
        return;
    sodium_memzero(t, sizeof *t);
    free(t);
}

static void id_hash(const admin_sessions_t *t, const void *id, size_t len, uint8_t out[32])
{
    crypto_generichash(out, 32, id, len, t->key, sizeof t->key);
}

/* 32 random bytes as base64url without padding: ADMIN_SESSION_ID_LEN characters. */
static void random_token(char out[ADMIN_SESSION_ID_LEN + 1])
{
    uint8_t raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, ADMIN_SESSION_ID_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

static void end_slot(admin_session_t *s)
{
    sodium_memzero(s, sizeof *s);
}

admin_session_t *admin_session_create(admin_sessions_t *t, const char *username, uint64_t now_ms,
                                      char cookie[ADMIN_SESSION_ID_LEN + 1])
{
    if (strlen(username) > ADMIN_USERNAME_MAX)
        return NULL;
    admin_session_t *slot = NULL;
    for (size_t i = 0; i < ADMIN_SESSIONS_MAX; i++) {
        admin_session_t *s = &t->slots[i];
        if (!s->live || now_ms - s->last_ms >= ADMIN_SESSION_IDLE_MS) {
            slot = s;
            break;
        }
        if (!slot || s->last_ms < slot->last_ms)
            slot = s; /* the least recently used, if no slot is free */
    }
    end_slot(slot);
    random_token(cookie);
    id_hash(t, cookie, ADMIN_SESSION_ID_LEN, slot->id_hash);
    random_token(slot->csrf);
    memcpy(slot->username, username, strlen(username) + 1);
    slot->last_ms = slot->created_ms = now_ms;
    slot->live = 1;
    return slot;
}

admin_session_t *admin_session_find(admin_sessions_t *t, wsx_slice_t cookie, uint64_t now_ms)
{
    if (cookie.len != ADMIN_SESSION_ID_LEN)
        return NULL;
    uint8_t h[32];
    id_hash(t, cookie.ptr, cookie.len, h);
    admin_session_t *hit = NULL;
    for (size_t i = 0; i < ADMIN_SESSIONS_MAX; i++) {
        admin_session_t *s = &t->slots[i];
        /* no early exit: the time taken does not say which slot matched */
        int same = sodium_memcmp(s->id_hash, h, sizeof h) == 0;
        if (same && s->live)
            hit = s;
    }
    if (!hit)
        return NULL;
    if (now_ms - hit->last_ms >= ADMIN_SESSION_IDLE_MS ||
        now_ms - hit->created_ms >= ADMIN_SESSION_MAX_MS) {
        end_slot(hit);
        return NULL;
    }
    hit->last_ms = now_ms;
    return hit;
}

void admin_session_end(admin_sessions_t *t, admin_session_t *s)
{
    (void)t;
    end_slot(s);
}

size_t admin_session_end_user(admin_sessions_t *t, const char *username,
                              const admin_session_t *keep)
{
    size_t n = 0;
    for (size_t i = 0; i < ADMIN_SESSIONS_MAX; i++) {
        admin_session_t *s = &t->slots[i];
        if (s->live && s != keep && strcmp(s->username, username) == 0) {
            end_slot(s);
            n++;
        }
    }
    return n;
}

int admin_session_csrf_ok(const admin_session_t *s, const wsx_slice_t *header)
{
    if (!header || header->len != ADMIN_SESSION_ID_LEN)
        return 0;
    return sodium_memcmp(header->ptr, s->csrf, ADMIN_SESSION_ID_LEN) == 0;
}

int admin_cookie_find(wsx_slice_t header, const char *name, wsx_slice_t *value)
{
    size_t nlen = strlen(name);
    size_t i = 0;
    while (i < header.len) {
        while (i < header.len && (header.ptr[i] == ' ' || header.ptr[i] == '\t'))
            i++;
        size_t start = i;
        while (i < header.len && header.ptr[i] != ';')
            i++;
        size_t end = i; /* one "name=value" pair is [start, end) */
        i++;            /* past the ';' */
        while (end > start && (header.ptr[end - 1] == ' ' || header.ptr[end - 1] == '\t'))
            end--;
        const uint8_t *eq = memchr(header.ptr + start, '=', end - start);
        if (!eq)
            continue;
        size_t klen = (size_t)(eq - (header.ptr + start));
        while (klen && (header.ptr[start + klen - 1] == ' '))
            klen--;
        if (klen != nlen || memcmp(header.ptr + start, name, nlen) != 0)
            continue;
        const uint8_t *v = eq + 1;
        size_t vlen = (size_t)(header.ptr + end - v);
        while (vlen && *v == ' ')
            v++, vlen--;
        if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"')
            v++, vlen -= 2;
        *value = wsx_slice(v, vlen);
        return 1;
    }
    return 0;
}

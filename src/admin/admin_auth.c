/* admin_auth.c - admin users and HTTP Basic authentication. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin_auth.h"
#include "common/err.h"
#include "common/log.h"

#define CACHE_SLOTS 16
#define CACHE_TTL_S 300

#define PASSWORD_MAX 1024

static struct {
    char dummy_hash[crypto_pwhash_STRBYTES]; /* verified for unknown users */
    uint8_t key[crypto_generichash_KEYBYTES];
    struct {
        uint8_t digest[32];
        time_t expires;
    } slots[CACHE_SLOTS];
    unsigned next;
} g_cache;

int admin_auth_init(void)
{
    if (sodium_init() < 0)
        return WSX_EIO;
    randombytes_buf(g_cache.key, sizeof g_cache.key);
    /* An unknown user costs the same Argon2id verification as a known one, so the
     * answer's timing does not tell which users exist. */
    uint8_t junk[16];
    randombytes_buf(junk, sizeof junk);
    if (crypto_pwhash_str(g_cache.dummy_hash, (const char *)junk, sizeof junk,
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return WSX_ENOMEM;
    return 0;
}

int admin_auth_hash(const char *password, char *out, size_t cap)
{
    if (cap < crypto_pwhash_STRBYTES)
        return WSX_EINVAL;
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return WSX_ENOMEM;
    return 0;
}

int admin_auth_bootstrap(odb_t *db, const char *data_dir)
{
    int64_t count = 0;
    int rc = odb_admin_user_count(db, &count);
    if (rc < 0 || count > 0)
        return rc;
    char password[PASSWORD_MAX + 1];
    const char *env = getenv("WSX_ADMIN_PASSWORD");
    int generated = !(env && *env);
    if (!generated && strlen(env) > PASSWORD_MAX) {
        log_error("WSX_ADMIN_PASSWORD is longer than %d characters", PASSWORD_MAX);
        return WSX_EINVAL;
    }
    if (generated) {
        uint8_t raw[18];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2base64(password, sizeof password, raw, sizeof raw,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    } else {
        snprintf(password, sizeof password, "%s", env);
    }
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = admin_auth_hash(password, hash, sizeof hash)) < 0)
        return rc;
    if ((rc = odb_admin_user_create(db, "admin", hash)) < 0)
        return rc;
    if (generated) {
        char path[4096];
        snprintf(path, sizeof path, "%s/admin-password", data_dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || dprintf(fd, "%s\n", password) < 0) {
            log_error("cannot write %s: %s", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            return WSX_EIO;
        }
        close(fd);
        printf("wsx: created admin user \"admin\" with password %s (also in %s)\n", password,
               path);
        fflush(stdout);
    } else {
        log_info("created admin user \"admin\" with the password from WSX_ADMIN_PASSWORD");
    }
    sodium_memzero(password, sizeof password);
    return 0;
}

static int cache_find(const uint8_t d[32])
{
    time_t now = time(NULL);
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (g_cache.slots[i].expires > now && sodium_memcmp(g_cache.slots[i].digest, d, 32) == 0)
            return 1;
    return 0;
}

int admin_auth_known(const wsx_slice_t *header)
{
    if (!header || header->len < 7 || header->len > 1024 ||
        !wsx_slice_ieq(wsx_slice(header->ptr, 6), "Basic "))
        return 0;
    uint8_t digest[32];
    crypto_generichash(digest, sizeof digest, header->ptr, header->len, g_cache.key,
                       sizeof g_cache.key);
    return cache_find(digest) != 0;
}

int admin_auth_check(odb_t *db, const wsx_slice_t *header)
{
    if (!header || header->len < 7 || header->len > 1024 ||
        !wsx_slice_ieq(wsx_slice(header->ptr, 6), "Basic "))
        return WSX_EAUTH;
    uint8_t digest[32];
    crypto_generichash(digest, sizeof digest, header->ptr, header->len, g_cache.key,
                       sizeof g_cache.key);
    if (cache_find(digest))
        return 0;
    char decoded[800];
    size_t dlen = 0;
    const uint8_t *b64 = header->ptr + 6;
    size_t b64len = header->len - 6;
    while (b64len && *b64 == ' ')
        b64++, b64len--;
    if (sodium_base642bin((unsigned char *)decoded, sizeof decoded - 1, (const char *)b64, b64len,
                          NULL, &dlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
        return WSX_EAUTH;
    decoded[dlen] = 0;
    char *colon = memchr(decoded, ':', dlen);
    if (!colon || strlen(decoded) != dlen)
        return WSX_EAUTH;
    *colon = 0;
    int rc = admin_auth_verify(db, decoded, colon + 1);
    if (rc == 0) {
        unsigned slot = g_cache.next++ % CACHE_SLOTS;
        memcpy(g_cache.slots[slot].digest, digest, 32);
        g_cache.slots[slot].expires = time(NULL) + CACHE_TTL_S;
    }
    sodium_memzero(decoded, sizeof decoded);
    return rc;
}

int admin_auth_verify(odb_t *db, const char *username, const char *password)
{
    char hash[crypto_pwhash_STRBYTES + 1];
    if (odb_admin_user_get_hash(db, username, hash, sizeof hash) != 0)
        snprintf(hash, sizeof hash, "%s", g_cache.dummy_hash);
    if (crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 &&
        strcmp(hash, g_cache.dummy_hash) != 0)
        return 0;
    return WSX_EAUTH;
}

int admin_auth_set_password(odb_t *db, const char *username, const char *password)
{
    char hash[crypto_pwhash_STRBYTES];
    int rc = admin_auth_hash(password, hash, sizeof hash);
    if (rc < 0)
        return rc;
    if ((rc = odb_admin_user_set_hash(db, username, hash)) < 0)
        return rc;
    /* a remembered check of the old password must not outlive it */
    sodium_memzero(g_cache.slots, sizeof g_cache.slots);
    return 0;
}

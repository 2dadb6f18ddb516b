/* cluster_secret.h - the cluster's shared secret: the key every server signs its
 * server-to-server calls with (cluster_sign.h). It lives in a file all servers of a
 * cluster are given (--cluster-secret-file, default DATA/cluster-secret); the first
 * start creates it with 32 random bytes, mode 0600. Never logged, never returned. */
#ifndef WSX_CLUSTER_SECRET_H
#define WSX_CLUSTER_SECRET_H

#include <stddef.h>
#include <stdint.h>

#define CLUSTER_SECRET_NEW 32   /* bytes of a secret this server creates */
#define CLUSTER_SECRET_MIN 16   /* a shorter file is refused: too easy to guess */
#define CLUSTER_SECRET_MAX 1024 /* bytes kept: the file may hold hex or base64 text */
#define CLUSTER_SECRET_FILE "cluster-secret"

typedef struct cluster_secret {
    uint8_t key[CLUSTER_SECRET_MAX];
    size_t len;
} cluster_secret_t;

/* Load the secret from `path` into *out, creating the file first (O_EXCL, 0600,
 * CLUSTER_SECRET_NEW random bytes) when it does not exist. The file's bytes are the
 * key as they are. Refused (WSX_EINVAL, with a sentence in err): not a regular
 * file, readable or writable by group or others, shorter than CLUSTER_SECRET_MIN or
 * longer than CLUSTER_SECRET_MAX bytes. WSX_EIO when it cannot be created or read.
 * The message names the path, never the content. libsodium must be initialised. */
int cluster_secret_load(const char *path, cluster_secret_t *out, char *err, size_t errlen);

/* Overwrite the key in memory (at shutdown). */
void cluster_secret_wipe(cluster_secret_t *s);

#endif

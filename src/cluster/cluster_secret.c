/* cluster_secret.c - load (or create) the cluster secret file. Like ssh with its
 * private keys, a file other users can read is refused rather than used: whoever
 * reads it can act on every connection of the cluster. */
#include "cluster/cluster_secret.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"

/* Create the file with a new random key. Returns 0, 1 when it already exists (two
 * servers starting together on one file: the loser reads the winner's), or WSX_EIO. */
static int secret_create(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? 1
                               : wsx_errf(err, errlen, WSX_EIO, "cannot create the cluster secret "
                                          "file %s: %s", path, strerror(errno));
    uint8_t key[CLUSTER_SECRET_NEW];
    randombytes_buf(key, sizeof key);
    ssize_t n = write(fd, key, sizeof key);
    int saved = n < 0 ? errno : ENOSPC;
    sodium_memzero(key, sizeof key);
    if (n != (ssize_t)sizeof key || fsync(fd) != 0) {
        if (n == (ssize_t)sizeof key)
            saved = errno;
        close(fd);
        unlink(path);
        return wsx_errf(err, errlen, WSX_EIO, "cannot write the cluster secret file %s: %s",
                        path, strerror(saved));
    }
    close(fd);
    return 0;
}

int cluster_secret_load(const char *path, cluster_secret_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int rc = secret_create(path, err, errlen);
    if (rc < 0)
        return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return wsx_errf(err, errlen, WSX_EIO, "cannot open the cluster secret file %s: %s", path,
                        strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return wsx_errf(err, errlen, WSX_EINVAL, "the cluster secret file %s is not a regular file",
                        path);
    }
    if (st.st_mode & 077) {
        close(fd);
        return wsx_errf(err, errlen, WSX_EINVAL,
                        "the cluster secret file %s is open to other users (mode %03o); run: "
                        "chmod 600 %s",
                        path, (unsigned)(st.st_mode & 0777), path);
    }
    uint8_t buf[CLUSTER_SECRET_MAX + 1];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf && (n = read(fd, buf + len, sizeof buf - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            sodium_memzero(buf, sizeof buf);
            return wsx_errf(err, errlen, WSX_EIO, "cannot read the cluster secret file %s: %s",
                            path, strerror(saved));
        }
        len += (size_t)n;
    }
    close(fd);
    if (len < CLUSTER_SECRET_MIN || len > CLUSTER_SECRET_MAX) {
        sodium_memzero(buf, sizeof buf);
        return wsx_errf(err, errlen, WSX_EINVAL,
                        "the cluster secret file %s must hold %d to %d bytes, it holds %s%zu; "
                        "remove it to have a new one made, and give every server of the "
                        "cluster the same file",
                        path, CLUSTER_SECRET_MIN, CLUSTER_SECRET_MAX,
                        len > CLUSTER_SECRET_MAX ? "more than " : "",
                        len > CLUSTER_SECRET_MAX ? (size_t)CLUSTER_SECRET_MAX : len);
    }
    memcpy(out->key, buf, len);
    out->len = len;
    sodium_memzero(buf, sizeof buf);
    return 0;
}

void cluster_secret_wipe(cluster_secret_t *s)
{
    sodium_memzero(s, sizeof *s);
}

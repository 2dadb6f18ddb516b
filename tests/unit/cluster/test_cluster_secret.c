/* test_cluster_secret.c - the cluster secret file: created 0600 with 32 random bytes,
 * read back the same by every server given it, refused when other users may read
 * it, when too short or too long, or not a regular file. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/cluster_secret.h"
#include "common/err.h"

static const uint8_t KEY[] = "0123456789abcdef0123456789abcdef";
#define KEYLEN 32

static char dir[64];

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof dir, "/tmp/wsx-secret-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_geq(sodium_init(), 0);
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, data, n), (ssize_t)n);
    close(fd);
    cr_assert_eq(chmod(path, mode), 0);
}

Test(cluster_secret, created_with_32_random_bytes_mode_0600_and_read_back,
     .init = mkdir_tmp, .fini = rm_tmp)
{
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/cluster-secret", dir);
    cluster_secret_t a, b;
    cr_assert_eq(cluster_secret_load(path, &a, err, sizeof err), 0, "%s", err);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(st.st_size, 32);
    cr_assert_eq(a.len, 32);
    /* a second server given the same file reads the same key */
    cr_assert_eq(cluster_secret_load(path, &b, err, sizeof err), 0, "%s", err);
    cr_assert_eq(b.len, 32);
    cr_assert_eq(memcmp(a.key, b.key, 32), 0);
    /* and another file holds another key */
    char other[128];
    cluster_secret_t c;
    snprintf(other, sizeof other, "%s/other", dir);
    cr_assert_eq(cluster_secret_load(other, &c, err, sizeof err), 0, "%s", err);
    cr_assert_neq(memcmp(a.key, c.key, 32), 0);
}

Test(cluster_secret, refused_when_others_may_read_it, .init = mkdir_tmp, .fini = rm_tmp)
{
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/s", dir);
    const mode_t modes[] = {0644, 0640, 0604, 0620};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        write_file(path, KEY, KEYLEN, modes[i]);
        cluster_secret_t s;
        cr_assert_eq(cluster_secret_load(path, &s, err, sizeof err), WSX_EINVAL, "mode %o",
                     modes[i]);
        cr_assert(strstr(err, "chmod 600"), "%s", err);
        cr_assert(strstr(err, path), "%s", err);
        cr_assert_null(strstr(err, (const char *)KEY), "the secret in a message: %s", err);
    }
    write_file(path, KEY, KEYLEN, 0400);
    cluster_secret_t s;
    cr_assert_eq(cluster_secret_load(path, &s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(s.len, KEYLEN);
    cr_assert_eq(memcmp(s.key, KEY, KEYLEN), 0);
}

Test(cluster_secret, refused_when_too_short_or_too_long_or_not_a_file, .init = mkdir_tmp,
     .fini = rm_tmp)
{
    char path[128], err[512];
    cluster_secret_t s;
    snprintf(path, sizeof path, "%s/s", dir);
    write_file(path, "short", 5, 0600);
    cr_assert_eq(cluster_secret_load(path, &s, err, sizeof err), WSX_EINVAL);
    cr_assert(strstr(err, "holds 5"), "%s", err);
    static uint8_t big[CLUSTER_SECRET_MAX + 1];
    write_file(path, big, sizeof big, 0600);
    cr_assert_eq(cluster_secret_load(path, &s, err, sizeof err), WSX_EINVAL);
    cr_assert_eq(cluster_secret_load(dir, &s, err, sizeof err), WSX_EINVAL, "a directory");
    snprintf(path, sizeof path, "%s/no/such/dir/s", dir);
    cr_assert_eq(cluster_secret_load(path, &s, err, sizeof err), WSX_EIO);
    cr_assert(strstr(err, "cannot create"), "%s", err);
}

/* alloccount.c - an LD_PRELOAD library for tests: counts malloc, calloc and realloc
 * calls per thread and, on SIGUSR2, writes "TID COUNT" lines for every thread that
 * allocated to the file named by ALLOCCOUNT_FILE. The zero-malloc test reads it
 * before and after a burst of echoes and compares the worker thread's count. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

#define MAX_THREADS 256

static struct {
    _Atomic long tid;
    _Atomic unsigned long count;
} slots[MAX_THREADS];

static __thread int my_slot = -1;
static char out_path[4096];

static void count(void)
{
    if (my_slot < 0) {
        long tid = syscall(SYS_gettid);
        for (int i = 0; i < MAX_THREADS; i++) {
            long zero = 0;
            if (atomic_compare_exchange_strong(&slots[i].tid, &zero, tid)) {
                my_slot = i;
                break;
            }
        }
        if (my_slot < 0)
            return;
    }
    atomic_fetch_add(&slots[my_slot].count, 1);
}

void *malloc(size_t n)
{
    count();
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    count();
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    count();
    return __libc_realloc(p, n);
}

static char *fmt(char *end, unsigned long v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

/* async-signal-safe: only open, write, close */
static void on_usr2(int sig)
{
    (void)sig;
    if (!out_path[0])
        return;
    int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return;
    for (int i = 0; i < MAX_THREADS; i++) {
        long tid = atomic_load(&slots[i].tid);
        if (!tid)
            continue;
        char buf[64], *end = buf + sizeof buf;
        *--end = '\n';
        char *p = fmt(end, atomic_load(&slots[i].count));
        *--p = ' ';
        p = fmt(p, (unsigned long)tid);
        if (write(fd, p, (size_t)(buf + sizeof buf - p)) < 0)
            break;
    }
    close(fd);
}

__attribute__((constructor)) static void init(void)
{
    const char *path = getenv("ALLOCCOUNT_FILE");
    if (path && strlen(path) < sizeof out_path)
        strcpy(out_path, path);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
}

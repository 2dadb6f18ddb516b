/* service_plugin.c - plugins: shared objects in the services directory, keyed by
 * file name. A deploy loads the new file completely (dlopen, `wsx_plugin`, ABI
 * version, names, init) before anything changes, then swaps each of its services
 * into its slot, and unloads the previous version of the same file only after
 * workers_sync(), when no worker can still be running its code. Anything wrong is
 * refused with a log line naming the file, and whatever served before keeps
 * serving. Control thread only. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "net/worker.h"
#include "service/service_internal.h"

#define FILE_MAX (256u << 20) /* no plugin is a quarter of a gigabyte */
#define SERVICES_MAX 4096

struct service_plugin {
    service_plugin_t *next;
    char file[256];
    char version[64];
    void *dl;
    int fd;        /* the private copy; open while loaded, see load_copy */
    uint64_t hash; /* of the file's bytes, to skip a deploy of the same file */
    size_t size;
    const wsx_plugin_t *def;
    void *state;
    service_impl_t *impls; /* [def->n_services] */
};

static service_plugin_t *g_plugins;

const char *service_plugin_file(const service_plugin_t *p)
{
    return p->file;
}

const char *service_plugin_version(const service_plugin_t *p)
{
    return p->version;
}

static service_plugin_t **find(const char *file)
{
    service_plugin_t **pp = &g_plugins;
    while (*pp && strcmp((*pp)->file, file) != 0)
        pp = &(*pp)->next;
    return pp;
}

static void refuse(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void refuse(const char *file, const char *fmt, ...)
{
    char why[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    const service_plugin_t *old = *find(file);
    log_error("service plugin %s refused: %s; %s", file, why,
              old ? "the version loaded before keeps serving" : "nothing loaded from it");
}

/* Copy the file into a memfd. glibc's dlopen hands back the object it already
 * has for the same path or inode, so loading a replaced file in place would
 * return the old code; and a file rewritten in place (cp over it) must not change
 * the pages of the loaded copy under us. The fd stays open while the plugin is
 * loaded, so its /proc/self/fd/N name is never reused by another load meanwhile
 * (glibc also matches loaded objects by name). */
static int load_copy(const char *path, const char *file, int *out_fd, uint64_t *hash, size_t *size)
{
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        refuse(file, "cannot open it: %s", strerror(errno));
        return WSX_EIO;
    }
    struct stat st;
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)FILE_MAX) {
        refuse(file, "not a regular file of at most %u MiB", FILE_MAX >> 20);
        close(in);
        return WSX_EINVAL;
    }
    int fd = memfd_create(file, MFD_CLOEXEC);
    if (fd < 0) {
        refuse(file, "memfd_create: %s", strerror(errno));
        close(in);
        return WSX_EIO;
    }
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    size_t total = 0;
    char buf[65536];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            refuse(file, "cannot read it: %s", strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        if (total == 0 && (n < 4 || memcmp(buf,
                                           "\x7f"
                                           "ELF",
                                           4) != 0)) {
            refuse(file, "not a shared object (no ELF header)");
            goto fail;
        }
        for (ssize_t i = 0; i < n; i++)
            h = (h ^ (uint8_t)buf[i]) * 1099511628211ull;
        total += (size_t)n;
        if (total > FILE_MAX) {
            refuse(file, "larger than %u MiB", FILE_MAX >> 20);
            goto fail;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(fd, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                refuse(file, "cannot copy it: %s", strerror(errno));
                goto fail;
            }
            off += w;
        }
    }
    if (total == 0) {
        refuse(file, "the file is empty");
        goto fail;
    }
    close(in);
    *out_fd = fd;
    *hash = h;
    *size = total;
    return 0;
fail:
    close(in);
    close(fd);
    return WSX_EIO;
}

static int valid_name(const char *s)
{
    size_t n = strnlen(s, 256);
    if (n == 0 || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f || s[i] == ',')
            return 0;
    return 1;
}

/* What is wrong with the plugin's table, or NULL. */
static const char *check_defs(const wsx_plugin_t *pl, const char *file, char *why, size_t cap)
{
    if (pl->n_services == 0 || !pl->services)
        return "it defines no services";
    if (pl->n_services > SERVICES_MAX)
        return "it defines more services than the 4096 allowed";
    for (size_t i = 0; i < pl->n_services; i++) {
        const wsx_service_def_t *d = &pl->services[i];
        if (!d->name || !valid_name(d->name)) {
            snprintf(why, cap,
                     "service #%zu has no valid name (1 to 255 bytes, no spaces, "
                     "commas or control characters)",
                     i);
            return why;
        }
        if (!d->invoke) {
            snprintf(why, cap, "service %s has no invoke function", d->name);
            return why;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(pl->services[j].name, d->name) == 0) {
                snprintf(why, cap, "service %s is defined twice", d->name);
                return why;
            }
        service_t *s = service_find_slot(d->name);
        const service_impl_t *cur = s ? service_current(s) : NULL;
        if (cur && !cur->plugin) {
            snprintf(why, cap, "service %s is a built-in and cannot be replaced", d->name);
            return why;
        }
        if (cur && strcmp(service_plugin_file(cur->plugin), file) != 0) {
            snprintf(why, cap, "service %s is already provided by %s (remove that file first)",
                     d->name, service_plugin_file(cur->plugin));
            return why;
        }
    }
    return NULL;
}

static void unload(service_plugin_t *p)
{
    if (p->def->fini) {
        const char *prev = service_core_enter(p->def->name ? p->def->name : p->file);
        p->def->fini(p->state);
        service_core_enter(prev);
    }
    dlclose(p->dl);
    close(p->fd);
    free(p->impls);
    free(p);
}

/* Does the new plugin still provide this name? */
static int provides(const service_plugin_t *p, const char *name)
{
    if (!p)
        return 0;
    for (size_t i = 0; i < p->def->n_services; i++)
        if (strcmp(p->impls[i].name, name) == 0)
            return 1;
    return 0;
}

/* Empty the slots still pointing at old's services (those `keep` does not
 * provide). */
static void withdraw(const service_plugin_t *old, const service_plugin_t *keep, int quiet)
{
    for (size_t i = 0; i < old->def->n_services; i++) {
        const service_impl_t *im = &old->impls[i];
        if (provides(keep, im->name))
            continue;
        service_t *s = service_find_slot(im->name);
        if (s && service_current(s) == im) {
            service_swap(s, NULL);
            if (!quiet)
                log_info("service %s (from %s) is no longer deployed", im->name, old->file);
        }
    }
}

int service_plugin_deploy(const char *dir, const char *file)
{
    char path[4096 + 256];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (strlen(file) >= sizeof((service_plugin_t *)0)->file) {
        refuse(file, "its name is longer than 255 bytes");
        return WSX_EINVAL;
    }
    int fd;
    uint64_t hash;
    size_t size;
    int rc = load_copy(path, file, &fd, &hash, &size);
    if (rc < 0)
        return rc;
    service_plugin_t **pp = find(file), *old = *pp;
    if (old && old->hash == hash && old->size == size) {
        close(fd);
        return 0; /* the same bytes: an event for a file already deployed */
    }
    char dlpath[64];
    snprintf(dlpath, sizeof dlpath, "/proc/self/fd/%d", fd);
    dlerror();
    /* RTLD_LOCAL: two versions of a plugin may be loaded at once during a swap */
    void *dl = dlopen(dlpath, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *e = dlerror();
        if (!e)
            e = "unknown error";
        /* dlerror starts with the /proc path; the line names the file already */
        size_t n = strlen(dlpath);
        if (strncmp(e, dlpath, n) == 0 && strncmp(e + n, ": ", 2) == 0)
            e += n + 2;
        refuse(file, "dlopen failed: %s", e);
        close(fd);
        return WSX_EINVAL;
    }
    service_plugin_t *p = NULL;
    const wsx_plugin_t *pl = dlsym(dl, "wsx_plugin");
    char why[600];
    const char *bad = NULL;
    if (!pl)
        bad = "it has no symbol wsx_plugin (is it a wsx service plugin?)";
    else if (pl->abi_version != WSX_SERVICE_ABI_VERSION) {
        snprintf(why, sizeof why,
                 "ABI version %u != %d: rebuild it against this server's "
                 "include/wsx/service.h",
                 pl->abi_version, WSX_SERVICE_ABI_VERSION);
        bad = why;
    } else
        bad = check_defs(pl, file, why, sizeof why);
    if (!bad) {
        p = calloc(1, sizeof *p);
        if (p)
            p->impls = calloc(pl->n_services, sizeof *p->impls);
        int slots = p && p->impls;
        for (size_t i = 0; slots && i < pl->n_services; i++)
            slots = service_slot(pl->services[i].name) != NULL; /* now: the swap cannot fail */
        if (!slots)
            bad = "out of memory";
    }
    if (!bad && pl->init) {
        const char *prev = service_core_enter(pl->name ? pl->name : file);
        int irc = pl->init(service_core(), &p->state);
        service_core_enter(prev);
        if (irc != 0) {
            snprintf(why, sizeof why, "its init failed (returned %d)", irc);
            bad = why;
        }
    }
    if (bad) {
        refuse(file, "%s", bad);
        if (p)
            free(p->impls);
        free(p);
        dlclose(dl);
        close(fd);
        return WSX_EINVAL;
    }
    snprintf(p->file, sizeof p->file, "%s", file);
    snprintf(p->version, sizeof p->version, "%s", pl->version ? pl->version : "");
    p->dl = dl;
    p->fd = fd;
    p->hash = hash;
    p->size = size;
    p->def = pl;
    char names[600] = "";
    size_t off = 0;
    for (size_t i = 0; i < pl->n_services; i++) {
        const wsx_service_def_t *d = &pl->services[i];
        p->impls[i] = (service_impl_t){
            d->name, d->description ? d->description : "", NULL, d->invoke, p->state, p, 1};
        service_swap(service_slot(d->name), &p->impls[i]);
        if (off < sizeof names)
            off +=
                (size_t)snprintf(names + off, sizeof names - off, "%s%s", i ? ", " : "", d->name);
    }
    if (old) {
        withdraw(old, p, 0);
        p->next = old->next;
    }
    *pp = p;
    log_info("service plugin %s %s: %s %s, services: %s", file, old ? "replaced" : "deployed",
             pl->name ? pl->name : "", p->version, names);
    if (old) {
        workers_sync(); /* no worker is still inside the old code after this */
        unload(old);
    }
    return 0;
}

void service_plugin_undeploy(const char *file)
{
    service_plugin_t **pp = find(file), *p = *pp;
    if (!p)
        return;
    withdraw(p, NULL, 0);
    *pp = p->next;
    log_info("service plugin %s removed from the services directory: unloaded", file);
    workers_sync();
    unload(p);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void service_plugin_sync_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        log_error("cannot read the services directory %s: %s", dir, strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!service_watch_wanted(e->d_name))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
            cap = ncap;
        }
        if (!(names[n] = strdup(e->d_name)))
            break;
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    /* gone first, so a service moved from one file to another can be deployed */
    for (service_plugin_t *p = g_plugins, *next; p; p = next) {
        next = p->next;
        if (!bsearch(&(const char *){p->file}, names, n, sizeof *names, cmp_str))
            service_plugin_undeploy(p->file);
    }
    for (size_t i = 0; i < n; i++) {
        service_plugin_deploy(dir, names[i]);
        free(names[i]);
    }
    free(names);
}

void service_plugin_unload_all(void)
{
    while (g_plugins) {
        service_plugin_t *p = g_plugins;
        withdraw(p, NULL, 1);
        g_plugins = p->next;
        unload(p);
    }
}

/* replay.c - a main() for the fuzz targets without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on each file named on the command line, so that
 * `make test` replays the committed corpus (and every crash once found) under
 * ASan/UBSan with gcc. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole file in a buffer of exactly its size, so that ASan sees a read one
 * byte past the input. Returns NULL (and says why) when it cannot be read. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *bigger = realloc(buf, cap *= 2);
        if (!bigger)
            free(buf);
        buf = bigger;
    }
    int failed = !buf || ferror(f);
    if (failed)
        fprintf(stderr, "replay: cannot read %s: %s\n", path, buf ? strerror(errno) : "no memory");
    fclose(f);
    if (failed) {
        free(buf);
        return NULL;
    }
    /* Exact size: an empty input gets a 1-byte allocation it may not read. */
    uint8_t *exact = malloc(n ? n : 1);
    if (exact)
        memcpy(exact, buf, n);
    free(buf);
    *size = n;
    return exact;
}

int main(int argc, char **argv)
{
    int replayed = 0;

    for (int i = 1; i < argc; i++) {
        size_t size;
        uint8_t *data = read_file(argv[i], &size);
        if (!data)
            return 2;
        LLVMFuzzerTestOneInput(data, size);
        free(data);
        replayed++;
    }
    printf("replayed %d inputs\n", replayed);
    return 0;
}

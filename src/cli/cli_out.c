/* cli_out.c - how `wsx` commands print what the admin API answered: JSON as JSON
 * (--json), one value as a line of text, a table with aligned columns, and one
 * object as `key: value` lines. Everything goes to stdout; "out of memory" to stderr. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cli_out_json(const json_t *v)
{
    if (json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY) < 0 || fputc('\n', stdout) == EOF) {
        fprintf(stderr, "wsx: cannot write the output\n");
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

char *cli_out_text(const json_t *v)
{
    char *s;
    if (!v || json_is_null(v))
        s = strdup("-");
    else if (json_is_string(v))
        s = strdup(json_string_value(v));
    else
        s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    for (char *p = s; p && *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    return s;
}

/* Display width of UTF-8 text, counted as one column per code point. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

int cli_out_table(const json_t *items, const char *const *heads, const char *const *keys,
                  size_t ncol, cli_out_cell_fn cell_text)
{
    size_t rows = json_array_size(items) + 1;
    char **cells = calloc(rows * ncol, sizeof *cells);
    size_t width[CLI_OUT_TABLE_COLS_MAX] = {0};
    assert(ncol <= CLI_OUT_TABLE_COLS_MAX);
    int rc = cells ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    for (size_t r = 0; rc == CLI_EXIT_OK && r < rows; r++) {
        const json_t *item = r ? json_array_get(items, r - 1) : NULL;
        for (size_t c = 0; c < ncol; c++) {
            char **cell = &cells[r * ncol + c];
            *cell = r ? cell_text(json_object_get(item, keys[c])) : strdup(heads[c]);
            if (!*cell) {
                rc = CLI_EXIT_FAIL;
                break;
            }
            size_t w = text_width(*cell);
            width[c] = w > width[c] ? w : width[c];
        }
    }
    if (rc != CLI_EXIT_OK)
        fprintf(stderr, "wsx: out of memory\n");
    for (size_t r = 0; rc == CLI_EXIT_OK && r < rows; r++) {
        for (size_t c = 0; c < ncol; c++) {
            const char *cell = cells[r * ncol + c];
            fputs(cell, stdout);
            if (c + 1 < ncol)
                printf("%*s", (int)(width[c] - text_width(cell) + 2), "");
        }
        fputc('\n', stdout);
    }
    for (size_t i = 0; cells && i < rows * ncol; i++)
        free(cells[i]);
    free(cells);
    return rc;
}

/* Print `key: value` for obj[key]; 0, or -1 when out of memory. */
static int print_field(const char *key, const json_t *v)
{
    char *text = cli_out_text(v);
    if (!text)
        return -1;
    printf("%s: %s\n", key, text);
    free(text);
    return 0;
}

int cli_out_fields(const json_t *obj, const char *const *order, size_t norder)
{
    int rc = 0;
    for (size_t i = 0; i < norder && rc == 0; i++) {
        json_t *v = json_object_get(obj, order[i]);
        if (v)
            rc = print_field(order[i], v);
    }
    /* fields a newer server adds, after ours */
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        size_t i = 0;
        while (i < norder && strcmp(order[i], key) != 0)
            i++;
        if (i == norder && rc == 0)
            rc = print_field(key, v);
    }
    if (rc < 0) {
        fprintf(stderr, "wsx: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

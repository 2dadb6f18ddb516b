/* cli_list.c - reading a collection of the admin API (channels, security definitions)
 * from the CLI: page through GET <path>?cluster=1&query=Q&page=N, collect every item,
 * or find the one with an exact name. Commands address things by name; the API by id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"

#define PAGE_SIZE 100
#define MAX_PAGES 100000 /* a server that never says "done" must not loop us forever */

int cli_list_each(cli_http_t *h, const cli_list_t *list, const char *query, cli_list_fn fn,
                  void *ctx)
{
    char *q = NULL;
    if (query && !(q = cli_http_escape(h, query))) {
        cli_cmd_oom();
        return WSX_ENOMEM;
    }
    int rc = 0;
    long long seen = 0;
    for (int page = 1; page <= MAX_PAGES && rc == 0; page++) {
        char *path;
        if (asprintf(&path, "%s?cluster=1%s%s&page=%d&page_size=%d", list->path, q ? "&query=" : "",
                     q ? q : "", page, PAGE_SIZE) < 0) {
            cli_cmd_oom();
            rc = WSX_ENOMEM;
            break;
        }
        json_t *resp;
        rc = cli_http_api(h, "GET", path, NULL, &resp);
        free(path);
        if (rc < 0)
            break;
        json_t *items = json_object_get(resp, "items");
        if (!json_is_array(items)) {
            fprintf(stderr, "wsx: the admin API at %s sent %s without \"items\"\n", cli_http_url(h),
                    list->what);
            json_decref(resp);
            rc = WSX_EPROTO;
            break;
        }
        size_t i, n = json_array_size(items);
        json_t *item;
        json_array_foreach(items, i, item)
        {
            if ((rc = fn(item, ctx)) != 0)
                break;
        }
        seen += (long long)n;
        json_t *total = json_object_get(resp, "total");
        int done =
            n == 0 || (json_is_integer(total) ? seen >= json_integer_value(total) : n < PAGE_SIZE);
        json_decref(resp);
        if (rc == 0 && done)
            break;
    }
    free(q);
    return rc;
}

static int collect_fn(json_t *item, void *ctx)
{
    if (json_array_append(ctx, item) == 0)
        return 0;
    cli_cmd_oom();
    return WSX_ENOMEM;
}

json_t *cli_list_all(cli_http_t *h, const cli_list_t *list, const char *query)
{
    json_t *all = json_array();
    if (!all) {
        cli_cmd_oom();
        return NULL;
    }
    if (cli_list_each(h, list, query, collect_fn, all) != 0) {
        json_decref(all);
        return NULL;
    }
    return all;
}

typedef struct find_ctx {
    const char *name;
    json_t *found;
} find_ctx_t;

static int find_fn(json_t *item, void *ctx)
{
    find_ctx_t *f = ctx;
    const char *name = json_string_value(json_object_get(item, "name"));
    if (!name || strcmp(name, f->name) != 0)
        return 0;
    f->found = json_incref(item);
    return 1;
}

int cli_list_find_id(cli_http_t *h, const cli_list_t *list, const char *query, const char *name,
                     json_int_t *id)
{
    find_ctx_t f = {name, NULL};
    if (cli_list_each(h, list, query, find_fn, &f) < 0)
        return CLI_EXIT_FAIL;
    if (!f.found) {
        fprintf(stderr, "wsx: no %s named \"%s\"\n", list->noun, name);
        return CLI_EXIT_FAIL;
    }
    json_t *v = json_object_get(f.found, "id");
    int ok = json_is_integer(v);
    if (ok)
        *id = json_integer_value(v);
    else
        fprintf(stderr, "wsx: the admin API at %s listed %s\"%s\" without an id\n", cli_http_url(h),
                list->listed, name);
    json_decref(f.found);
    return ok ? 0 : CLI_EXIT_FAIL;
}

int cli_list_find_path(cli_http_t *h, const cli_list_t *list, const char *query, const char *name,
                       char *path, size_t cap)
{
    json_int_t id;
    if (cli_list_find_id(h, list, query, name, &id))
        return CLI_EXIT_FAIL;
    snprintf(path, cap, "%s/%" JSON_INTEGER_FORMAT, list->path, id);
    return 0;
}

/* admin_assets.c - lookup in the generated table of embedded web assets, and the
 * If-None-Match comparison that lets a browser revalidate them with a 304. */
#include "admin/admin_assets.h"

#include <string.h>

#include "web_assets.h" /* build/gen: generated from web/admin/ */

const admin_asset_t *admin_asset_find(wsx_slice_t path)
{
    for (const admin_asset_t *a = web_assets; a->path; a++)
        if (wsx_slice_eq(path, a->path))
            return a;
    return NULL;
}

const admin_asset_t *admin_assets_all(void)
{
    return web_assets;
}

int admin_asset_etag_match(const wsx_slice_t *inm, const char *etag)
{
    if (!inm)
        return 0;
    size_t elen = strlen(etag);
    size_t i = 0;
    int match = 0;
    while (i < inm->len) {
        while (i < inm->len && (inm->ptr[i] == ' ' || inm->ptr[i] == '\t' || inm->ptr[i] == ','))
            i++;
        if (i == inm->len)
            break;
        if (inm->ptr[i] == '*')
            return 1;
        if (inm->len - i >= 2 && inm->ptr[i] == 'W' && inm->ptr[i + 1] == '/')
            i += 2;
        size_t start = i;
        if (i >= inm->len || inm->ptr[i] != '"')
            return 0; /* not an entity-tag: the header is malformed, so no match */
        const uint8_t *q = memchr(inm->ptr + i + 1, '"', inm->len - i - 1);
        if (!q)
            return 0;
        i = (size_t)(q - inm->ptr) + 1;
        if (i - start == elen && memcmp(inm->ptr + start, etag, elen) == 0)
            match = 1;
        while (i < inm->len && (inm->ptr[i] == ' ' || inm->ptr[i] == '\t'))
            i++;
        if (i < inm->len && inm->ptr[i] != ',')
            return 0;
    }
    return match;
}

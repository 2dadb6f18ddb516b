/* admin_assets.h - the web admin's files (web/admin/...), embedded in the binary at
 * build time by scripts/embed-web-assets (build/gen/web_assets.h): the server
 * needs no files beside it and works offline. Read-only static data; any thread. */
#ifndef WSX_ADMIN_ASSETS_H
#define WSX_ADMIN_ASSETS_H

#include <stddef.h>

#include "common/slice.h"

typedef struct admin_asset {
    const char *path; /* under web/admin/: "pages/login.html" */
    const unsigned char *data;
    size_t len;
    const char *content_type; /* "text/css; charset=utf-8" */
    const char *etag;         /* strong, quoted: "\"3f2a...\"" (from SHA-256) */
} admin_asset_t;

/* The asset at path (relative to web/admin/), or NULL. Static storage. */
const admin_asset_t *admin_asset_find(wsx_slice_t path);

/* Does an If-None-Match header value (NULL: absent) match etag? "*", a list of
 * tags, weak ones (W/"...") compared by their opaque part as RFC 9110 13.1.2 says.
 * Pure. */
int admin_asset_etag_match(const wsx_slice_t *if_none_match, const char *etag);

/* The first asset (for iteration): the array ends with path NULL. */
const admin_asset_t *admin_assets_all(void);

#endif

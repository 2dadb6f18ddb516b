/* test_admin_web.c - the web admin's pure parts: which page file each address
 * serves, which ?next= a login may follow, the embedded files (every file of
 * web/admin/ is in the binary, byte for byte, with its type and a strong ETag),
 * and If-None-Match matching. Run from the repository root (make unit does). */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "admin/admin_assets.h"
#include "admin/admin_web.h"

static wsx_slice_t S(const char *s)
{
    return wsx_slice(s, strlen(s));
}

Test(admin_web_page, each_address_serves_its_page_file)
{
    const char *cases[][2] = {
        {"/zato/login", "pages/login.html"},
        {"/zato/channel/web-socket/", "pages/channels.html"},
        {"/zato/channel/web-socket/create/", "pages/channel-form.html"},
        {"/zato/channel/web-socket/edit/12/", "pages/channel-form.html"},
        {"/zato/channel/web-socket/7/connections/", "pages/connections.html"},
        {"/zato/security/", "pages/security.html"},
        {"/zato/servers/", "pages/servers.html"},
        {"/zato/account/password/", "pages/password.html"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *f = admin_web_page(S(cases[i][0]));
        cr_assert(f && strcmp(f, cases[i][1]) == 0, "%s -> %s", cases[i][0], f ? f : "NULL");
        cr_assert_not_null(admin_asset_find(S(f)), "%s is not embedded", f);
    }
}

Test(admin_web_page, other_addresses_serve_none)
{
    const char *cases[] = {"/zato/channel/web-socket",
                           "/zato/channel/web-socket/edit/",
                           "/zato/channel/web-socket/edit/0/",
                           "/zato/channel/web-socket/edit/x/",
                           "/zato/channel/web-socket/edit/12",
                           "/zato/channel/web-socket/12/",
                           "/zato/channel/web-socket/12/connections",
                           "/zato/channel/web-socket/1234567890123456789/connections/",
                           "/zato/channel/web-socket/-1/connections/",
                           "/zato/",
                           "/zato/security",
                           "/zato/static/css/admin.css",
                           "/zato/login/x",
                           "/api/v1/channels"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_null(admin_web_page(S(cases[i])), "%s", cases[i]);
}

Test(admin_web_next, only_paths_of_the_web_admin_are_followed)
{
    const char *ok[] = {"/zato/channel/web-socket/?cluster=1", "/zato/security/",
                        "/zato/channel/web-socket/3/connections/?cluster=1&q=a%20b"};
    const char *bad[] = {"",
                         "https://evil.example/",
                         "//evil.example/zato/",
                         "/\\evil.example",
                         "/zato//evil",
                         "/zato/\\x",
                         "javascript:alert(1)",
                         "zato/security/",
                         "/api/v1/channels",
                         "/zato/login?next=/zato/",
                         "/zato/a b",
                         "/zato/a\tb",
                         "/zato/a\nb"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        cr_assert(admin_web_next_ok(ok[i]), "%s", ok[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_not(admin_web_next_ok(bad[i]), "%s", bad[i]);
    char longer[600] = "/zato/";
    memset(longer + 6, 'a', sizeof longer - 7);
    cr_assert_not(admin_web_next_ok(longer));
}

static int files_seen;

static const char *type_for(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return NULL;
    if (strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    if (strcmp(dot, ".js") == 0 || strcmp(dot, ".mjs") == 0)
        return "text/javascript; charset=utf-8";
    if (strcmp(dot, ".svg") == 0)
        return "image/svg+xml";
    if (strcmp(dot, ".png") == 0)
        return "image/png";
    return NULL;
}

static int check_file(const char *fpath, const struct stat *sb, int flag, struct FTW *ftw)
{
    if (flag != FTW_F)
        return 0;
    const char *rel = fpath + strlen("web/admin/");
    const admin_asset_t *a = admin_asset_find(S(rel));
    cr_assert_not_null(a, "%s is not embedded: rebuild", fpath);
    FILE *f = fopen(fpath, "rb");
    cr_assert_not_null(f);
    unsigned char *buf = malloc((size_t)sb->st_size + 1);
    size_t n = fread(buf, 1, (size_t)sb->st_size + 1, f);
    fclose(f);
    cr_assert_eq(n, a->len, "%s: %zu bytes on disk, %zu embedded", fpath, n, a->len);
    cr_assert_eq(memcmp(buf, a->data, n), 0, "%s differs from its embedded copy", fpath);
    free(buf);
    const char *want = type_for(rel);
    if (want)
        cr_assert_str_eq(a->content_type, want, "%s", rel);
    cr_assert_eq(strlen(a->etag), 34, "%s: %s", rel, a->etag);
    cr_assert(a->etag[0] == '"' && a->etag[33] == '"', "a strong, quoted ETag: %s", a->etag);
    files_seen++;
    return 0;
}

Test(admin_assets, every_file_of_web_admin_is_embedded_as_it_is)
{
    files_seen = 0;
    cr_assert_eq(nftw("web/admin", check_file, 16, FTW_PHYS), 0, "run from the repository root");
    size_t embedded = 0;
    for (const admin_asset_t *a = admin_assets_all(); a->path; a++)
        embedded++;
    cr_assert_eq((size_t)files_seen, embedded, "files on disk: %d, embedded: %zu", files_seen,
                 embedded);
    cr_assert_null(admin_asset_find(S("pages/nope.html")));
    cr_assert_null(admin_asset_find(S("static/../pages/login.html")));
    cr_assert_null(admin_asset_find(S("")));
}

Test(admin_assets, distinct_files_have_distinct_etags)
{
    for (const admin_asset_t *a = admin_assets_all(); a->path; a++)
        for (const admin_asset_t *b = a + 1; b->path; b++)
            if (a->len != b->len || memcmp(a->data, b->data, a->len) != 0)
                cr_assert_str_neq(a->etag, b->etag, "%s and %s", a->path, b->path);
}

Test(admin_assets, if_none_match_matches_the_tag_in_any_of_its_forms)
{
    const char *etag = "\"0123abcd\"";
    const char *yes[] = {"\"0123abcd\"", "W/\"0123abcd\"", "\"x\", \"0123abcd\"", "*",
                         " \"a,b\" ,\"0123abcd\""};
    const char *no[] = {"",           "\"0123abce\"",       "0123abcd",
                        "\"0123abcd", "\"a,\"0123abcd\"\"", "\"0123abcd\"x"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        wsx_slice_t h = S(yes[i]);
        cr_assert(admin_asset_etag_match(&h, etag), "%s", yes[i]);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        wsx_slice_t h = S(no[i]);
        cr_assert_not(admin_asset_etag_match(&h, etag), "%s", no[i]);
    }
    cr_assert_not(admin_asset_etag_match(NULL, etag));
}

/* ws_deflate.c - permessage-deflate (RFC 7692): parse the client's offers and
 * pick one, write the answer, and run the raw deflate streams (zlib) of the
 * message path. The compressor and the no-context inflater are the worker
 * thread's, shared by its connections (one message is handled at a time); only a
 * client that keeps its LZ77 window between messages costs its connection an
 * inflater of its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/err.h"
#include "ws/ws_deflate.h"

/* ---- negotiation: RFC 6455 9.1 extension-list, RFC 7692 7 ---- */

static int is_tchar(uint8_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static size_t skip_ows(const uint8_t *b, size_t len, size_t i)
{
    while (i < len && (b[i] == ' ' || b[i] == '\t'))
        i++;
    return i;
}

static size_t token_end(const uint8_t *b, size_t len, size_t i)
{
    while (i < len && is_tchar(b[i]))
        i++;
    return i;
}

/* After a malformed element: the index just past the next comma outside a
 * quoted string (or len). */
static size_t skip_element(const uint8_t *b, size_t len, size_t i)
{
    int q = 0;
    for (; i < len; i++) {
        if (q && b[i] == '\\' && i + 1 < len)
            i++;
        else if (b[i] == '"')
            q = !q;
        else if (!q && b[i] == ',')
            return i + 1;
    }
    return len;
}

/* A window-bits value: "8".."15", no sign, no leading zero. 0 if invalid. */
static uint8_t window_bits(const char *v, size_t n)
{
    if (n == 1 && v[0] >= '8' && v[0] <= '9')
        return (uint8_t)(v[0] - '0');
    if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
        return (uint8_t)(10 + v[1] - '0');
    return 0;
}

enum { P_SNCT = 1, P_CNCT = 2, P_SMWB = 4, P_CMWB = 8 };

/* One parameter of a permessage-deflate offer; `v` is NULL when it has no value.
 * Returns 0, or -1 when the offer must be declined. */
static int offer_param(ws_deflate_params_t *p, unsigned *seen, wsx_slice_t name, const char *v,
                       size_t vn)
{
    unsigned bit;
    if (wsx_slice_ieq(name, "server_no_context_takeover"))
        bit = P_SNCT;
    else if (wsx_slice_ieq(name, "client_no_context_takeover"))
        bit = P_CNCT;
    else if (wsx_slice_ieq(name, "server_max_window_bits"))
        bit = P_SMWB;
    else if (wsx_slice_ieq(name, "client_max_window_bits"))
        bit = P_CMWB;
    else
        return -1; /* a parameter not defined for an offer */
    if (*seen & bit)
        return -1; /* repeated */
    *seen |= bit;
    switch (bit) {
    case P_SNCT:
        p->server_no_context_takeover = 1;
        return v ? -1 : 0;
    case P_CNCT:
        p->client_no_context_takeover = 1;
        return v ? -1 : 0;
    case P_SMWB:
        if (!v || !(p->server_max_window_bits = window_bits(v, vn)))
            return -1;
        return 0;
    default:
        if (!v) {
            p->client_max_window_bits = WS_DEFLATE_BITS_NOVALUE;
            return 0;
        }
        return (p->client_max_window_bits = window_bits(v, vn)) ? 0 : -1;
    }
}

int ws_deflate_negotiate(const uint8_t *b, size_t len, ws_deflate_params_t *out)
{
    size_t i = 0;
    while (i < len) {
        i = skip_ows(b, len, i);
        if (i < len && b[i] == ',') { /* empty list elements are allowed */
            i++;
            continue;
        }
        if (i >= len)
            break;
        size_t s = i;
        i = token_end(b, len, i);
        if (i == s) {
            i = skip_element(b, len, i);
            continue;
        }
        int ours = wsx_slice_ieq(wsx_slice(b + s, i - s), "permessage-deflate");
        ws_deflate_params_t p = {0};
        unsigned seen = 0;
        int ok = 1, malformed = 0;
        for (;;) {
            i = skip_ows(b, len, i);
            if (i >= len || b[i] == ',')
                break;
            if (b[i] != ';') {
                malformed = 1;
                break;
            }
            i = skip_ows(b, len, i + 1);
            size_t ns = i;
            i = token_end(b, len, i);
            if (i == ns) {
                malformed = 1;
                break;
            }
            wsx_slice_t name = wsx_slice(b + ns, i - ns);
            i = skip_ows(b, len, i);
            char val[16];
            size_t vn = 0;
            int has_val = 0;
            if (i < len && b[i] == '=') {
                has_val = 1;
                i = skip_ows(b, len, i + 1);
                if (i < len && b[i] == '"') { /* quoted-string: unescape, keep 15 bytes */
                    int closed = 0;
                    for (i++; i < len; i++) {
                        if (b[i] == '"') {
                            closed = 1;
                            i++;
                            break;
                        }
                        if (b[i] == '\\' && i + 1 < len)
                            i++;
                        if (vn < sizeof val - 1)
                            val[vn] = (char)b[i];
                        vn++;
                    }
                    if (!closed) {
                        malformed = 1;
                        break;
                    }
                } else {
                    size_t vs = i;
                    i = token_end(b, len, i);
                    if (i == vs) {
                        malformed = 1;
                        break;
                    }
                    for (size_t k = vs; k < i; k++, vn++)
                        if (vn < sizeof val - 1)
                            val[vn] = (char)b[k];
                }
                if (vn >= sizeof val)
                    ok = 0; /* far too long for any value we know */
            }
            if (ours && ok && offer_param(&p, &seen, name, has_val ? val : NULL, vn) < 0)
                ok = 0;
        }
        if (malformed) {
            i = skip_element(b, len, i);
            continue;
        }
        if (i < len)
            i++; /* the comma */
        if (ours && ok) {
            *out = p;
            return 1;
        }
    }
    return 0;
}

int ws_deflate_negotiate_request(const http_request_t *req, ws_deflate_params_t *out)
{
    for (size_t i = 0; i < req->num_headers; i++)
        if (wsx_slice_ieq(req->headers[i].name, "Sec-WebSocket-Extensions") &&
            ws_deflate_negotiate(req->headers[i].value.ptr, req->headers[i].value.len, out))
            return 1;
    return 0;
}

void ws_deflate_cap(ws_deflate_params_t *p, unsigned cap)
{
    if (cap < 9 || cap > 15)
        return;
    if (p->server_max_window_bits > cap)
        p->server_max_window_bits = (uint8_t)cap;
    if (p->client_max_window_bits == WS_DEFLATE_BITS_NOVALUE || p->client_max_window_bits > cap)
        p->client_max_window_bits = (uint8_t)cap;
}

size_t ws_deflate_response(const ws_deflate_params_t *p, char *out, size_t cap)
{
    char sb[32] = "", cb[32] = "";
    if (p->server_max_window_bits)
        snprintf(sb, sizeof sb, "; server_max_window_bits=%u", p->server_max_window_bits);
    /* offered without a value: the client's default window (15) is fine by us */
    if (p->client_max_window_bits >= 8)
        snprintf(cb, sizeof cb, "; client_max_window_bits=%u", p->client_max_window_bits);
    int n = snprintf(out, cap,
                     "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover"
                     "%s%s%s\r\n",
                     p->client_no_context_takeover ? "; client_no_context_takeover" : "", sb, cb);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* ---- the streams ---- */

void ws_deflate_init(ws_deflate_t *d, const ws_deflate_params_t *p, unsigned cap)
{
    memset(d, 0, sizeof *d);
    d->on = 1;
    d->client_no_context_takeover = p->client_no_context_takeover;
    d->inflate_bits = p->client_max_window_bits >= 9 ? p->client_max_window_bits : 15;
    if (p->client_max_window_bits == 8)
        d->inflate_bits = 9; /* a wider window than the client's reads its stream too */
    d->deflate_bits = p->server_max_window_bits >= 9 ? p->server_max_window_bits
                      : cap >= 9 && cap <= 15        ? (uint8_t)cap
                                                     : 15;
    if (p->server_max_window_bits == 8)
        d->deflate_bits = 9; /* zlib has no raw 8: 9 never matches past 250 bytes */
}

void ws_deflate_free(ws_deflate_t *d)
{
    if (d->inf) {
        inflateEnd(d->inf);
        free(d->inf);
    }
    memset(d, 0, sizeof *d);
}

typedef struct tbuf {
    uint8_t *p;
    size_t cap;
} tbuf_t;

static __thread z_stream *t_def[16]; /* by window bits, 9..15, made on first use */
static __thread z_stream *t_inf;     /* for clients without context takeover */
static __thread tbuf_t t_in_out, t_def_out;

void ws_deflate_thread_cleanup(void)
{
    for (int i = 0; i < 16; i++)
        if (t_def[i]) {
            deflateEnd(t_def[i]);
            free(t_def[i]);
            t_def[i] = NULL;
        }
    if (t_inf) {
        inflateEnd(t_inf);
        free(t_inf);
        t_inf = NULL;
    }
    free(t_in_out.p);
    free(t_def_out.p);
    t_in_out = t_def_out = (tbuf_t){0};
}

void ws_deflate_trim(int which)
{
    if ((which & WS_DEFLATE_TRIM_IN) && t_in_out.cap > WS_DEFLATE_KEEP) {
        free(t_in_out.p);
        t_in_out = (tbuf_t){0};
    }
    if ((which & WS_DEFLATE_TRIM_OUT) && t_def_out.cap > WS_DEFLATE_KEEP) {
        free(t_def_out.p);
        t_def_out = (tbuf_t){0};
    }
}

static int tbuf_grow(tbuf_t *b, size_t need)
{
    if (need <= b->cap)
        return 0;
    size_t n = b->cap ? b->cap : 16384;
    while (n < need)
        n *= 2;
    uint8_t *q = realloc(b->p, n);
    if (!q)
        return WSX_ENOMEM;
    b->p = q;
    b->cap = n;
    return 0;
}

static z_stream *new_inflater(int bits)
{
    z_stream *z = calloc(1, sizeof *z);
    if (z && inflateInit2(z, -bits) != Z_OK) {
        free(z);
        z = NULL;
    }
    return z;
}

/* Feed p[0..n) to z, output to t_in_out from *have on, never beyond max + 1
 * bytes. Returns 0, WSX_ETOOBIG, WSX_EPROTO or WSX_ENOMEM; sets *end at the end
 * of the deflate stream (a final block). */
static int inflate_some(z_stream *z, const uint8_t *p, size_t n, size_t max, size_t *have, int *end)
{
    z->next_in = (Bytef *)p;
    z->avail_in = (uInt)n;
    for (;;) {
        if (*have > max)
            return WSX_ETOOBIG;
        if (*have == t_in_out.cap) {
            /* grow by doubling, never past max + 1: the bound is on the output */
            size_t want = t_in_out.cap ? t_in_out.cap * 2 : 16384;
            if (want > max + 1)
                want = max + 1;
            if (want <= *have)
                want = *have + 1;
            if (tbuf_grow(&t_in_out, want) < 0)
                return WSX_ENOMEM;
        }
        size_t room = (t_in_out.cap < max + 1 ? t_in_out.cap : max + 1) - *have;
        if (room > UINT32_MAX)
            room = UINT32_MAX;
        z->next_out = t_in_out.p + *have;
        z->avail_out = (uInt)room;
        int rc = inflate(z, Z_SYNC_FLUSH);
        *have += room - z->avail_out;
        if (rc == Z_STREAM_END) {
            *end = 1;
            return *have > max ? WSX_ETOOBIG : 0;
        }
        if (rc == Z_MEM_ERROR)
            return WSX_ENOMEM;
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return WSX_EPROTO;
        if (*have > max)
            return WSX_ETOOBIG;
        if (z->avail_in == 0 && z->avail_out != 0)
            return 0; /* all input read, all output out */
        if (rc == Z_BUF_ERROR && z->avail_out != 0)
            return WSX_EPROTO; /* no progress with room left: cannot happen */
    }
}

int ws_deflate_inflate(ws_deflate_t *d, const uint8_t *p, size_t n, size_t max, const uint8_t **out,
                       size_t *out_len)
{
    static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
    z_stream *z;
    if (d->client_no_context_takeover) {
        if (!t_inf && !(t_inf = new_inflater(15)))
            return WSX_ENOMEM;
        z = t_inf;
        inflateReset(z);
    } else {
        if (!d->inf && !(d->inf = new_inflater(d->inflate_bits)))
            return WSX_ENOMEM;
        z = d->inf;
    }
    if (n > UINT32_MAX)
        return WSX_ETOOBIG;
    size_t have = 0;
    int end = 0;
    int rc = inflate_some(z, p, n, max, &have, &end);
    if (rc == 0 && !end)
        rc = inflate_some(z, tail, sizeof tail, max, &have, &end);
    if (end) /* a final block (BFINAL): the next message starts a new stream */
        inflateReset(z);
    if (rc < 0)
        return rc;
    *out = t_in_out.p;
    *out_len = have;
    return 0;
}

static z_stream *thread_deflater(int bits)
{
    if (t_def[bits])
        return t_def[bits];
    z_stream *z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    if (deflateInit2(z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(z);
        return NULL;
    }
    return t_def[bits] = z;
}

int ws_deflate_compress(ws_deflate_t *d, const uint8_t *p, size_t n, const uint8_t **out,
                        size_t *out_len)
{
    if (n < WS_DEFLATE_MIN_SIZE || n > UINT32_MAX)
        return 0;
    z_stream *z = thread_deflater(d->deflate_bits);
    if (!z)
        return WSX_ENOMEM;
    /* server_no_context_takeover: every message starts with an empty window */
    deflateReset(z);
    /* deflateBound plus the sync flush's empty stored block */
    if (tbuf_grow(&t_def_out, deflateBound(z, (uLong)n) + 16) < 0)
        return WSX_ENOMEM;
    z->next_in = (Bytef *)p;
    z->avail_in = (uInt)n;
    z->next_out = t_def_out.p;
    z->avail_out = (uInt)t_def_out.cap;
    int rc = deflate(z, Z_SYNC_FLUSH);
    if ((rc != Z_OK && rc != Z_BUF_ERROR) || z->avail_in != 0 || z->avail_out == 0)
        return 0; /* cannot happen with deflateBound's room; send it as it is */
    size_t len = t_def_out.cap - z->avail_out;
    if (len < 4 || memcmp(t_def_out.p + len - 4, "\x00\x00\xff\xff", 4) != 0)
        return 0;
    len -= 4; /* RFC 7692 7.2.1: the tail is removed */
    if (len >= n)
        return 0;
    *out = t_def_out.p;
    *out_len = len;
    return 1;
}

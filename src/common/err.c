/* err.c - names of the WSX_E* codes, for logs and messages, and the helper that puts
 * a failure's explanation into a caller's buffer. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *wsx_strerror(int err)
{
    switch (err) {
    case WSX_OK: return "success";
    case WSX_EAGAIN: return "need more data";
    case WSX_EINVAL: return "invalid input";
    case WSX_ENOMEM: return "out of memory";
    case WSX_ENOTFOUND: return "not found";
    case WSX_EEXIST: return "already exists";
    case WSX_EPORTUSED: return "port already used";
    case WSX_EIO: return "input/output error";
    case WSX_ETOOBIG: return "too big";
    case WSX_EPROTO: return "protocol error";
    case WSX_EUTF8: return "invalid UTF-8";
    case WSX_EAUTH: return "not authorized";
    case WSX_EBUSY: return "address in use";
    case WSX_ECLOSED: return "connection closed";
    }
    return "unknown error";
}

int wsx_errf(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

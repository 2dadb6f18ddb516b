/* err.h - the one error convention: 0 is success, a negative WSX_E* code is failure.
 * Positive return values are reserved for counts (bytes consumed, rows found). */
#ifndef WSX_ERR_H
#define WSX_ERR_H

#include <stddef.h>

enum {
    WSX_OK = 0,
    WSX_EAGAIN = -1,     /* need more input / try again later */
    WSX_EINVAL = -2,     /* invalid input */
    WSX_ENOMEM = -3,     /* out of memory */
    WSX_ENOTFOUND = -4,  /* no such object */
    WSX_EEXIST = -5,     /* already exists (unique name) */
    WSX_EPORTUSED = -6,  /* the port is used by another channel */
    WSX_EIO = -7,        /* system call or database failure */
    WSX_ETOOBIG = -8,    /* over a size limit */
    WSX_EPROTO = -9,     /* protocol violation */
    WSX_EUTF8 = -10,     /* invalid UTF-8 */
    WSX_EAUTH = -11,     /* bad or missing credentials */
    WSX_EBUSY = -12,     /* address in use */
    WSX_ECLOSED = -13,   /* peer closed */
};

/* A short English name for an error code; never NULL, static storage. */
const char *wsx_strerror(int err);

/* Write a printf-style message into err (errlen bytes, cut to fit; nothing when err is
 * NULL or errlen 0) and return code, for functions that explain a failure in a
 * caller's buffer: `return wsx_errf(err, errlen, WSX_EIO, "cannot open %s", path);`. */
int wsx_errf(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

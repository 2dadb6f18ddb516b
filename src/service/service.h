/* service.h - named handlers invoked for every incoming message. This issue has
 * built-ins only (demo.echo); plugins over include/wsx/service.h come later. A
 * service runs on the worker thread that owns the connection and must not block. */
#ifndef WSX_SERVICE_H
#define WSX_SERVICE_H

#include "common/slice.h"

typedef struct service_call {
    wsx_slice_t input;     /* the message; borrowed for the duration of the call */
    int is_binary;         /* raw channels: 1 for a binary message, 0 for text */
} service_call_t;

typedef struct service_result {
    wsx_slice_t output;    /* borrowed: points into the input or static storage,
                              valid until the call's input is released */
    int status;            /* 200 on success */
} service_result_t;

typedef int (*service_fn_t)(const service_call_t *call, service_result_t *res);

typedef struct service {
    const char *name;
    const char *description;
    service_fn_t fn;
} service_t;

/* Find a service by name; NULL if none. Thread-safe (the registry is immutable). */
const service_t *service_find(const char *name);

/* All services, for GET /api/v1/services: *n gets the count. */
const service_t *service_all(size_t *n);

#endif

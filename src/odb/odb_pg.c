/* odb_pg.c - the PostgreSQL backend of odb.h: not built yet (the next commit). */
#include "odb/odb_internal.h"

#include "common/err.h"

int odb_pg_open(const char *url, odb_t **out, char *err, size_t errlen)
{
    *out = NULL;
    return wsx_errf(err, errlen, WSX_EINVAL, "PostgreSQL ODBs are not supported yet; use sqlite:PATH");
}

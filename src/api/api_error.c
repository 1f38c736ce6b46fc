/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error rendering: errno -> HTTP status -> per-API error body.  Services
 * report errors with ctx_error(); nothing else picks a status code.
 */
#include "api/api_error.h"

static const ApiErrorInfo table[] = {
        { -EINVAL, 400, "Bad Request", "badRequest" },
        { -EPERM, 401, "Unauthorized", "unauthorized" },
        { -EACCES, 403, "Forbidden", "forbidden" },
        { -ENOENT, 404, "Not Found", "itemNotFound" },
        { -ENOSYS, 405, "Method Not Allowed", "methodNotAllowed" },
        { -EEXIST, 409, "Conflict", "conflictingRequest" },
        { -EBUSY, 409, "Conflict", "conflictingRequest" },
        { -EDQUOT, 413, "Request Entity Too Large", "overLimit" },
        { -EFBIG, 413, "Request Entity Too Large", "overLimit" },
        { -ENAMETOOLONG, 414, "Request-URI Too Long", "badRequest" },
        { -EPROTONOSUPPORT, 415, "Unsupported Media Type", "badMediaType" },
        { -ERANGE, 416, "Requested Range Not Satisfiable", "badRequest" },
        { -EOPNOTSUPP, 501, "Not Implemented", "notImplemented" },
        { -EAGAIN, 503, "Service Unavailable", "serviceUnavailable" },
};

static const ApiErrorInfo internal = { -EIO, 500, "Internal Server Error", "computeFault" };

const ApiErrorInfo *api_error_lookup(int code) {
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (table[i].code == code)
                        return &table[i];
        return &internal;
}

json_t *api_error_body(ApiErrorStyle style, const ApiErrorInfo *e, const char *message) {
        /* Messages quote client input (ids, parser errors): make them valid UTF-8 for JSON. */
        _cleanup_free_ char *clean = utf8_sanitize(message);
        json_t *inner = json_pack("{s:i, s:s}", "code", (int) e->status, "message", clean);
        switch (style) {
        case API_ERRORS_KEYSTONE:
                json_object_set_new(inner, "title", json_string(e->title));
                return json_pack("{s:o}", "error", inner);
        case API_ERRORS_GLANCE:
                json_object_set_new(inner, "title", json_string(e->title));
                return inner;
        case API_ERRORS_NOVA:
                return json_pack("{s:o}", e->nova_fault, inner);
        }
        return inner;
}

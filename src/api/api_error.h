/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one table that turns an error code into an HTTP status and the
 * names each API family gives the fault.  A row may be for one kind of
 * resource (Neutron names its faults after them: NetworkNotFound) or one
 * API style (a quota is 413 in Glance, 403 in Nova, 409 in Neutron).
 */
#pragma once

#include "api/api.h"

typedef struct ApiErrorInfo {
        int code;               /* negative errno */
        ResourceKind kind;      /* RES_NONE: any resource */
        int style;              /* an ApiStyle, or -1: any */
        unsigned status;        /* HTTP status */
        const char *title;      /* Keystone/Glance title, e.g. "Not Found" */
        const char *fault;      /* Nova's and Cinder's fault name, e.g. "itemNotFound" */
        const char *type;       /* Neutron's type, e.g. "NetworkNotFound" */
} ApiErrorInfo;

/* The row for code in style about kind: the most specific match, else a 500. */
const ApiErrorInfo *api_error_lookup(int code, ResourceKind kind, ApiStyle style);
/* The error body for style, as a new reference. */
json_t *api_error_body(ApiStyle style, const ApiErrorInfo *e, const char *message);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one table that turns an error code into an HTTP status and the
 * fault names each API family expects.
 */
#pragma once

#include "api/api.h"

typedef struct ApiErrorInfo {
        int code;               /* negative errno */
        unsigned status;        /* HTTP status */
        const char *title;      /* Keystone/Glance title, e.g. "Not Found" */
        const char *nova_fault; /* e.g. "itemNotFound" */
} ApiErrorInfo;

const ApiErrorInfo *api_error_lookup(int code);
/* The error body for style, as a new reference. */
json_t *api_error_body(ApiErrorStyle style, const ApiErrorInfo *e, const char *message);

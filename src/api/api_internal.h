/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared between the HTTP server (api_http.c) and the pipeline
 * (api_dispatch.c); services see only api.h.
 */
#pragma once

#include "api/api.h"

struct MHD_Connection;

struct ApiCall {
        struct MHD_Connection *conn;
        const char *method;
        const char *path;
        const ApiService *service;
        const ApiRoute *route;
        size_t n_params;
        const char *param_names[API_MAX_PARAMS];   /* borrowed from the route table */
        char *param_values[API_MAX_PARAMS];        /* owned, URL-decoded */
};

/* The response the pipeline produced. */
typedef struct ApiResponse {
        unsigned status;
        char *body;              /* owned */
        size_t body_len;
        char *content_type;      /* owned */
        Buf headers;             /* "Name: value\n" lines */
} ApiResponse;

void api_response_done(ApiResponse *r);

/*
 * Runs the pipeline for one request whose body has been read.  body may be
 * NULL when the request had none; too_large says it exceeded the limit.
 */
void api_dispatch(struct MHD_Connection *conn, const char *method, const char *path, const Buf *body,
                  bool too_large, Ctx *c, ApiResponse *ret);

/* Set once at start by api_server_start. */
void api_dispatch_setup(const Config *cfg);

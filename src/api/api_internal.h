/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared between the HTTP server (api_http.c) and the pipeline
 * (api_dispatch.c); services see only api.h.
 */
#pragma once

#include "api/api.h"

/*
 * One request as the pipeline sees it: the HTTP layer fills it over
 * libmicrohttpd, the pipeline's unit test over plain arrays.  Everything
 * is borrowed and outlives the request's dispatch (and its stream or
 * pending handler).
 */
typedef struct ApiRequest {
        const char *method;
        const char *path;        /* decoded once, without the query */
        /* The first header named name (case-insensitive), or NULL. */
        const char *(*header)(const struct ApiRequest *rq, const char *name);
        /* Calls fn for each query parameter, in order (value "" when it has none). */
        void (*query_each)(const struct ApiRequest *rq, void (*fn)(const char *name, const char *value, void *userdata),
                           void *userdata);
        void *impl;              /* the implementation's own: a libmicrohttpd connection */
} ApiRequest;

struct ApiCall {
        const ApiRequest *rq;
        const char *method;
        const char *path;
        const ApiService *service;
        const ApiRoute *route;
        int version;             /* the microversion negotiated (API_VERSION), 0 if unversioned */
        size_t n_params;
        const char *param_names[API_MAX_PARAMS];   /* into the route's path, after '{', ending at '}' */
        char *param_values[API_MAX_PARAMS];        /* owned, URL-decoded */
};

/* The response the pipeline produced. */
typedef struct ApiResponse {
        unsigned status;
        char *body;              /* owned */
        size_t body_len;
        char *content_type;      /* owned */
        ApiHeaders headers;      /* all valid (api_header_*_valid) */
        int file_fd;             /* owned when has_file */
        bool has_file;
        uint64_t file_offset;
        uint64_t file_length;
} ApiResponse;

/* A streamed upload in progress (see ApiUpload); owned by the HTTP request. */
typedef struct ApiStream ApiStream;

/*
 * Starts a streamed upload if method+path is an upload route: runs the
 * pipeline up to the route's begin.  Returns 1 with *ret set when the body
 * should be streamed, 0 when the route is an ordinary one, or -errno with
 * the error already rendered into *res.
 */
int api_stream_begin(const ApiRequest *rq, Ctx *c, ApiStream **ret, ApiResponse *res);
/* Feeds a chunk; after a failure the rest of the body is ignored. */
void api_stream_write(ApiStream *s, const void *data, size_t n);
/* The body is complete: finishes (or renders the failure) into *res and frees s. */
void api_stream_finish(ApiStream *s, ApiResponse *res);
/* The request ended early: undoes begin and frees s. */
void api_stream_abort(ApiStream *s);

void api_response_done(ApiResponse *r);

typedef struct ApiPending ApiPending;

/*
 * Runs the pipeline for one request whose body has been read.  body may be
 * NULL when the request had none.  refused is 0, or why the HTTP layer
 * would not take the request: -EFBIG (the body exceeded the limit),
 * -ENAMETOOLONG (the query string did), -EBADMSG (malformed or NUL
 * percent-escapes in the URI), -EOPNOTSUPP (a transfer coding it cannot
 * decode) or -EAGAIN (too many connections); the pipeline then answers
 * with that error in the shape of the service the path names.  The last
 * two are answered for any path, and the HTTP layer records their
 * message in c first.
 */
int api_dispatch(const ApiRequest *rq, const Buf *body, int refused, Ctx *c, ApiPending **ret_pending,
                 ApiResponse *ret);

/*
 * The pipeline can stop before a route's handler when the route hashes
 * passwords (ApiRoute.hashes): api_dispatch then returns 1 with the
 * request in *ret_pending instead of a response, and the caller runs the
 * handler on the hash pool.  With ret_pending NULL it always returns 0
 * with the response in *ret.  rq must outlive the pending request; c
 * too, and nothing else may use c meanwhile.
 */
/* Runs the handler, on any thread, with that thread's database connection. */
void api_pending_run(ApiPending *p);
/* Gives up instead of running the handler; the caller recorded why in the Ctx (e.g. -EAGAIN). */
void api_pending_cancel(ApiPending *p, int r);
/* The response, after api_pending_run or api_pending_cancel; frees p. */
void api_pending_finish(ApiPending *p, ApiResponse *ret);
/* Frees p without a response.  NULL-safe; returns NULL. */
ApiPending *api_pending_free(ApiPending *p);

/* Set once at start by api_server_start; setup is borrowed for the daemon's life. */
void api_dispatch_setup(const ApiSetup *setup);

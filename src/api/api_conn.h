/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connection accounting for the HTTP server (api_http.c): how many
 * connections are open, and a deadline for the headers of each request.
 * See api_conn.c for why libmicrohttpd's own timeouts are not enough.
 */
#pragma once

#include "util/util.h"

typedef struct ApiConns ApiConns;   /* every open connection; thread-safe */
typedef struct ApiConn ApiConn;     /* one connection, owned by ApiConns */

/*
 * Starts the housekeeping thread.  A request whose headers take longer
 * than header_timeout_usec from the moment its connection waits for them
 * (accepted, or done with the previous request) has its socket shut down.
 * When the last connection closes, the thread gives free memory back to
 * the kernel with malloc_trim, within a second.
 */
int api_conns_new(int64_t header_timeout_usec, ApiConns **ret);
/* Stops the thread and frees t; every connection must have been removed. */
ApiConns *api_conns_free(ApiConns *t);

/* A new connection on socket fd: counted, and waiting for headers.  Never fails. */
ApiConn *api_conns_add(ApiConns *t, int fd);
/* The connection is closed (fd is still open): uncounts and frees conn. */
void api_conns_remove(ApiConns *t, ApiConn *conn);
/* The request's headers are in: no header deadline until the next request. */
void api_conn_headers_received(ApiConns *t, ApiConn *conn);
/* The connection is kept alive for another request: a new header deadline. */
void api_conn_await_headers(ApiConns *t, ApiConn *conn);

/* Connections open now. */
unsigned api_conns_count(ApiConns *t);

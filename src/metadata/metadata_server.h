/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The metadata service's HTTP side: one listening socket per network,
 * opened inside that network's namespace at 169.254.169.254:80, and one
 * HTTP server (libmicrohttpd, no listening socket of its own) that the
 * accepted connections are handed to, each remembering which network it
 * came from.  What to answer is the caller's (an answer function), so
 * this file knows nothing of servers or ports.
 */
#pragma once

#include "util/util.h"

#define METADATA_ADDRESS "169.254.169.254"

/* A network whose namespace should have a listener. */
typedef struct MetadataTarget {
        char network_id[64];
        char netns[64];          /* the name under /run/netns */
} MetadataTarget;

/*
 * Answers a GET of path from address ip on network network_id: 0 with a
 * body (*ret, *ret_len, owned by the server after) and its content type
 * (static), -ENOENT for 404, anything else for 500.
 */
typedef int (*MetadataAnswerFn)(const char *network_id, const char *ip, const char *path, char **ret,
                                size_t *ret_len, const char **ret_type);

typedef struct MetadataServer MetadataServer;

/* port is 80 in production; tests may use another.  -errno on failure, logged. */
int metadata_server_start(MetadataAnswerFn answer, unsigned port, MetadataServer **ret);
MetadataServer *metadata_server_stop(MetadataServer *s);
/*
 * Makes the listeners match targets: opens the missing ones, reopens one
 * whose namespace was replaced (deleted and made again), closes the rest.
 * Returns how many targets could not be served (their namespace is not
 * there yet, say); they are tried again on the next call.
 */
int metadata_server_sync(MetadataServer *s, const MetadataTarget *targets, size_t n);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the compute service's API files (compute_*_api.c): the route
 * tables each one declares, and the rendering of servers that several of
 * them answer with.
 */
#pragma once

#include "api/api.h"
#include "api/api_resource.h"
#include "compute/compute_internal.h"

/* How much of a server an answer shows. */
typedef enum ServerView {
        SERVER_VIEW_BRIEF,       /* GET /servers: id, links, name */
        SERVER_VIEW_UPDATE,      /* PUT's answer: the common fields (the full ones from 2.75) */
        SERVER_VIEW_DETAIL,      /* GET /servers/{id}, /servers/detail */
} ServerView;

struct ServerExtras;

/*
 * Nova's hostId: a hash of the project and the host, so a tenant sees
 * co-location, not host names; "" without a host.  Caller frees.
 */
char *compute_host_id(const char *project_id, const char *host);

/* Renders server rec (a servers record) in Nova's shape for the call's microversion and the caller's role. */
int compute_server_render_one(Ctx *c, const ApiCall *call, const json_t *rec, ServerView view, json_t **ret);

/* Deletes a server as DELETE /servers/{id} does (404, 409 locked; deleting twice is one delete). */
int compute_server_delete(Ctx *c, const char *id);

/*
 * One action of POST /servers/{id}/action: the body's key, the schema of
 * the whole body, and the handler, which gets the server id and the
 * action's value.  Tables end with { NULL }.
 */
typedef struct ServerActionRoute {
        const char *key;         /* "reboot", "os-stop", ... */
        const char *schema;      /* "compute-action-reboot.json" */
        int (*handler)(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply);
        int ok;                  /* success status: 0 is 202 */
        int min_version;         /* API_VERSION the action exists from, 0: always */
} ServerActionRoute;

/* ---- helpers of the API files (compute_api_util.c) ---- */

/* The most a page may hold (Nova's [api] max_limit). */
#define COMPUTE_API_MAX_LIMIT 1000

/* Nova's times outside servers: "2014-05-07T12:06:13.681238", naive UTC; NULL for 0.  Caller frees. */
char *compute_api_time(int64_t usec);
/* The same as a JSON string, or null for a missing or non-integer value. */
json_t *compute_api_time_json(const json_t *usec);
/* From 2.75, a query parameter not in allowed (NULL-terminated) is a 400, as Nova's strict query schemas. */
int compute_api_query_strict(Ctx *c, const ApiCall *call, ResourceKind kind, const char *const *allowed);
/* Nova's limit (a non-negative integer, else 400; 0 or over the maximum: the maximum) and marker. */
int compute_api_paging(Ctx *c, const ApiCall *call, ResourceKind kind, int64_t *ret_limit, const char **ret_marker);
/* oslo's strict booleans: true/false, or "1", "t", "true", "on", "y", "yes" and their opposites; -EINVAL otherwise. */
int compute_api_bool(const json_t *v, bool *ret);
int compute_api_bool_string(const char *s, bool *ret);

/* The route tables and action tables of each file. */
extern const ApiRoute compute_server_routes[];
extern const ApiRoute compute_meta_routes[];      /* compute_meta_api.c: metadata and tags */
extern const ApiRoute compute_action_routes[];    /* compute_action_api.c: os-instance-actions */
extern const ApiRoute compute_group_routes[];     /* compute_group_api.c: os-server-groups */
extern const ApiRoute compute_flavor_routes[], compute_keypair_routes[], compute_quota_routes[],
        compute_host_routes[], compute_usage_routes[];
extern const ApiRoute compute_image_routes[];
extern const ApiRoute compute_iface_routes[];     /* compute_iface_api.c: os-interface */
extern const ApiRoute compute_secgroup_routes[];  /* compute_secgroup_api.c: os-security-groups */
extern const ServerActionRoute compute_power_actions[];
extern const ServerActionRoute compute_secgroup_actions[];
extern const ServerActionRoute compute_lifecycle_actions[];

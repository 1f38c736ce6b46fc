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

/* The route tables and action tables of each file. */
extern const ApiRoute compute_server_routes[];
extern const ApiRoute compute_image_routes[];
extern const ServerActionRoute compute_power_actions[];
extern const ServerActionRoute compute_lifecycle_actions[];

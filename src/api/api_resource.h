/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The resource engine's API half: records (engine/resource.h) rendered in
 * the style of the service that serves them (links, time formats, list
 * envelopes, fields of the request's microversion), list queries read
 * from the query string, and the generic handlers that route tables point
 * at with a ResDef as route data.
 */
#pragma once

#include "api/api.h"
#include "engine/resource.h"

/*
 * The API shape of rec: the fields of the call's microversion, secrets and
 * hidden fields left out, times in the service's format, the item links of
 * the service's style (none for Glance and Neutron), and d->decorate.
 * Returns a new reference.
 */
json_t *api_res_render(Ctx *c, const ApiCall *call, const ResDef *d, const json_t *rec);
/* The links of item id of d: {"self": URL} (Keystone), [self, bookmark] (Nova, Cinder), or NULL. */
json_t *api_res_links(const ApiCall *call, const ResDef *d, const char *id);
/* A time (usec) as the service writes it; NULL for 0 (never).  Caller frees. */
char *api_res_time(const ApiCall *call, int64_t usec);

/*
 * The list response: {plural: items (stolen)} with the collection links of
 * the style: Keystone's "links" {self, previous, next} always; Nova's,
 * Cinder's and Neutron's "<plural>_links" with a "next" link (the same
 * query with marker=last_id) only when more follow.
 */
json_t *api_res_collection(const ApiCall *call, const ResDef *d, json_t *items, bool more, const char *last_id);

/*
 * Reads the list query of call into q: each RES_FILTER field given as a
 * parameter (every one applied; with strict, any other parameter not in
 * extra is a 400), limit and marker (Nova's and Neutron's paging), and
 * sort_key/sort_dir.  extra lists the parameters the caller reads itself
 * (NULL-terminated, may be NULL).
 */
int api_res_query(Ctx *c, const ApiCall *call, const ResDef *d, bool strict, const char *const *extra, ResQuery *q);

/* Generic handlers; the route's .data is the ResDef.  Bodies are {singular: {...}}. */
int api_res_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);
int api_res_get(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);
int api_res_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);
int api_res_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);
int api_res_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The networking API's files share this: Neutron's generic handlers
 * (network_api_res.c), which every resource's route table points at with
 * a NetApiResource as route data, and each file's route table.
 */
#pragma once

#include "api/api.h"
#include "api/api_resource.h"
#include "network/network_internal.h"

/* A resource as the API serves it. */
typedef struct NetApiResource {
        const ResDef *def;
        /*
         * List filters beyond the def's RES_FILTER fields (?fixed_ips=ip_address=...):
         * adds to q and returns 1 if name is one, 0 if not, or an error.
         */
        int (*filter)(Ctx *c, const char *name, const char *value, ResQuery *q);
} NetApiResource;

/* Neutron's generic handlers; the route's .data is the NetApiResource. */
int network_api_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);
int network_api_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);
int network_api_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);
int network_api_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);
int network_api_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);
/* A record in the API's shape, cut down to ?fields= when the call has them. */
json_t *network_api_render(Ctx *c, const ApiCall *call, const ResDef *d, const json_t *rec);

/*
 * The route's {project_id}: project ids are ids, not text (Keystone's are
 * hex, others' at most letters, digits, '-' and '_'); 400 otherwise.
 */
int network_api_project_param(Ctx *c, const ApiCall *call, ResourceKind kind, const char **ret);

/* A Neutron extension this service implements, listed at /v2.0/extensions. */
typedef struct NetExtension {
        const char *alias;       /* "external-net" */
        const char *name;        /* "Neutron external network" */
        const char *description;
} NetExtension;

/* Each file's extensions and routes; network_api.c lists the tables. */
extern const NetExtension network_core_extensions[];
extern const ApiRoute network_core_routes[];
extern const NetExtension network_tags_extensions[];
extern const ApiRoute network_tags_routes[];
extern const NetExtension network_quota_extensions[];
extern const ApiRoute network_quota_routes[];
extern const NetExtension network_secgroup_extensions[];
extern const ApiRoute network_secgroup_routes[];
extern const NetExtension network_l3_extensions[];
extern const ApiRoute network_l3_routes[];
extern const NetExtension network_auto_extensions[];
extern const ApiRoute network_auto_routes[];

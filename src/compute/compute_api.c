/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /compute: Nova v2.1's version documents, POST /servers/{id}/action
 * (which dispatches on the body's one key to the action tables of the
 * other API files), and the service: its route tables, microversions
 * (2.1 to 2.79) and catalog entry.
 */
#include "compute/compute_api.h"
#include "util/embed.h"

#define MAX_VERSION API_VERSION(2, 79)

/* ---- versions ---- */

static json_t *version_v21(void) {
        _cleanup_free_ char *href = xasprintf("%s/compute/v2.1/", api_base_url());
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}", "id", "v2.1", "status", "CURRENT", "version",
                         "2.79", "min_version", "2.1", "updated", "2013-07-23T11:33:21Z", "links", "rel", "self",
                         "href", href);
}

static int versions(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_free_ char *v2 = xasprintf("%s/compute/v2/", api_base_url());
        reply->body = json_pack("{s:[{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}, o]}", "versions", "id", "v2.0",
                                "status", "SUPPORTED", "version", "", "min_version", "", "updated",
                                "2011-01-21T11:33:21Z", "links", "rel", "self", "href", v2, version_v21());
        return 0;
}

static int version(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        json_t *v = version_v21();
        json_object_set_new(v, "media-types", json_pack("[{s:s, s:s}]", "base", "application/json", "type",
                                                        "application/vnd.openstack.compute+json;version=2.1"));
        reply->body = json_pack("{s:o}", "version", v);
        return 0;
}

/* ---- POST /servers/{id}/action ---- */

static const ServerActionRoute *const action_tables[] = {
        compute_power_actions,
        compute_lifecycle_actions,
        compute_secgroup_actions,
        NULL,
};

static int server_action(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "server_id");
        const char *key;
        json_t *value;

        /* The body names one action; the first one this server knows is taken, as in Nova. */
        json_object_foreach(body, key, value)
                for (size_t t = 0; action_tables[t]; t++)
                        for (const ServerActionRoute *a = action_tables[t]; a->key; a++) {
                                if (!streq(a->key, key) || (a->min_version && api_version(call) < a->min_version))
                                        continue;
                                int r = api_validate(c, call, a->schema, body);
                                if (r < 0)
                                        return r;
                                reply->status = a->ok ? a->ok : 202;
                                return a->handler(c, call, id, value, reply);
                        }
        return ctx_error(c, -EINVAL, RES_SERVER, "There is no such action: %s", json_object_iter_key(json_object_iter(body)));
}

static const ApiRoute compute_routes[] = {
        { "GET", "", versions, POLICY_PUBLIC },
        { "GET", "/", versions, POLICY_PUBLIC },
        { "GET", "/v2.1", version, POLICY_PUBLIC },
        { "GET", "/v2.1/", version, POLICY_PUBLIC },
        { "POST", "/v2.1/servers/{server_id}/action", server_action, POLICY_AUTHENTICATED, "compute-action.json", 202 },
        {},
};

static const ApiMicroversions compute_microversions = {
        .service = "compute", .legacy_header = "X-OpenStack-Nova-API-Version",
        .min = API_VERSION(2, 1), .max = MAX_VERSION,
};

/* The request schemas (src/compute/schemas/), embedded by the build. */
extern const EmbeddedFile compute_api_schemas[];

const ApiService compute_api_service = {
        .name = "compute",
        .prefix = "/compute",
        .style = API_STYLE_NOVA,
        .version_path = "/v2.1",
        .routes = (const ApiRoute *const[]) {
                compute_routes,
                compute_server_routes,
                compute_meta_routes,
                compute_action_routes,
                compute_group_routes,
                compute_keypair_routes,
                compute_flavor_routes,
                compute_quota_routes,
                compute_host_routes,
                compute_usage_routes,
                compute_image_routes,
                compute_iface_routes,
                compute_secgroup_routes,
                NULL,
        },
        .schemas = compute_api_schemas,
        .catalog_type = "compute",
        .catalog_name = "nova",
        /* As devstack registers it: clients (novaclient, openstacksdk) use the versioned URL as it is. */
        .catalog_path = "/compute/v2.1",
        .microversions = &compute_microversions,
        /* Nova's own name for the request id: tempest finds the "create" action by it. */
        .request_id_header = "x-compute-request-id",
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /v2.0/routers and /v2.0/floatingips: the generic handlers, and the
 * router actions (PUT add_router_interface, remove_router_interface,
 * add_extraroutes, remove_extraroutes) that call the service.
 */
#include "network/network_api.h"
#include "util/log.h"

static const NetApiResource routers = { &res_router };
static const NetApiResource floatingips = { &res_floatingip };

static int interface_add(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "id");
        int r = network_router_interface_add(c, id, body, &reply->body);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "network", c->request_id, "added port %s to router %s", jx_string(reply->body, "port_id"),
                         id);
        return r;
}

static int interface_remove(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "id");
        int r = network_router_interface_remove(c, id, body, &reply->body);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "network", c->request_id, "removed port %s from router %s",
                         jx_string(reply->body, "port_id"), id);
        return r;
}

static int routes_edit(Ctx *c, const ApiCall *call, json_t *body, bool add, ApiReply *reply) {
        _cleanup_json_ json_t *rec = NULL;
        int r = network_router_routes_edit(c, api_param(call, "id"), json_object_get(json_object_get(body, "router"), "routes"),
                                           add, &rec);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "router", network_api_render(c, call, &res_router, rec));
        return 0;
}

static int routes_add(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return routes_edit(c, call, body, true, reply);
}

static int routes_remove(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return routes_edit(c, call, body, false, reply);
}

const NetExtension network_l3_extensions[] = {
        { "router", "Neutron L3 Router",
          "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway." },
        { "ext-gw-mode", "Neutron L3 Configurable external gateway mode",
          "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway" },
        { "extraroute", "Neutron Extra Route", "Extra routes configuration for L3 router" },
        { "extraroute-atomic", "Atomically add/remove extra routes",
          "Edit extra routes of a router on server side by atomically adding/removing extra routes" },
        {},
};

const ApiRoute network_l3_routes[] = {
        { "GET", "/v2.0/routers", network_api_list, POLICY_AUTHENTICATED, .data = &routers },
        { "POST", "/v2.0/routers", network_api_create, POLICY_AUTHENTICATED, "network-router-create.json", 201, .data = &routers },
        { "GET", "/v2.0/routers/{id}", network_api_show, POLICY_AUTHENTICATED, .data = &routers },
        { "PUT", "/v2.0/routers/{id}", network_api_update, POLICY_AUTHENTICATED, "network-router-update.json", .data = &routers },
        { "DELETE", "/v2.0/routers/{id}", network_api_delete, POLICY_AUTHENTICATED, NULL, 204, .data = &routers },
        { "PUT", "/v2.0/routers/{id}/add_router_interface", interface_add, POLICY_AUTHENTICATED, "network-router-interface.json" },
        { "PUT", "/v2.0/routers/{id}/remove_router_interface", interface_remove, POLICY_AUTHENTICATED,
          "network-router-interface.json" },
        { "PUT", "/v2.0/routers/{id}/add_extraroutes", routes_add, POLICY_AUTHENTICATED, "network-router-routes.json" },
        { "PUT", "/v2.0/routers/{id}/remove_extraroutes", routes_remove, POLICY_AUTHENTICATED, "network-router-routes.json" },
        { "GET", "/v2.0/floatingips", network_api_list, POLICY_AUTHENTICATED, .data = &floatingips },
        { "POST", "/v2.0/floatingips", network_api_create, POLICY_AUTHENTICATED, "network-floatingip-create.json", 201,
          .data = &floatingips },
        { "GET", "/v2.0/floatingips/{id}", network_api_show, POLICY_AUTHENTICATED, .data = &floatingips },
        { "PUT", "/v2.0/floatingips/{id}", network_api_update, POLICY_AUTHENTICATED, "network-floatingip-update.json",
          .data = &floatingips },
        { "DELETE", "/v2.0/floatingips/{id}", network_api_delete, POLICY_AUTHENTICATED, NULL, 204, .data = &floatingips },
        {},
};

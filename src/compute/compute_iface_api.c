/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /compute/v2.1/servers/{id}/os-interface: Nova's attach_interfaces
 * controller.  Handlers parse and render; compute_server_iface.c decides.
 */
#include "compute/compute_api.h"

/* Nova's interfaceAttachment: the port as the server has it; its tag from 2.70. */
static json_t *render(const ApiCall *call, const json_t *nic) {
        json_t *fixed = json_array(), *ip;
        size_t i;
        json_array_foreach(json_object_get(nic, "fixed_ips"), i, ip)
                json_array_append_new(fixed, json_pack("{s:s, s:s}", "subnet_id", jx_string(ip, "subnet_id"),
                                                       "ip_address", jx_string(ip, "ip_address")));
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "port_state", jx_string(nic, "status"), "port_id",
                              jx_string(nic, "port_id"), "net_id", jx_string(nic, "network_id"), "mac_addr",
                              jx_string(nic, "mac_address"), "fixed_ips", fixed);
        if (api_version(call) >= API_VERSION(2, 70))
                json_object_set(o, "tag", json_object_get(nic, "tag") ?: json_null());
        return o;
}

static int iface_index(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *nics = NULL;
        int r = compute_iface_list(c, api_param(call, "server_id"), &nics);
        if (r < 0)
                return r;
        json_t *list = json_array(), *nic;
        size_t i;
        json_array_foreach(nics, i, nic)
                json_array_append_new(list, render(call, nic));
        reply->body = json_pack("{s:o}", "interfaceAttachments", list);
        return 0;
}

static int iface_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *nic = NULL;
        int r = compute_iface_get(c, api_param(call, "server_id"), api_param(call, "port_id"), &nic);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "interfaceAttachment", render(call, nic));
        return 0;
}

/* POST {"interfaceAttachment": {"port_id" | "net_id" [, "fixed_ips": [{"ip_address"}]] [, "tag" (2.49)]}} */
static int iface_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const json_t *a = json_object_get(body, "interfaceAttachment");
        NetworkNicRequest rq = {
                .port_id = jx_string(a, "port_id"), .network_id = jx_string(a, "net_id"),
                .fixed_ip = jx_string(json_array_get(json_object_get(a, "fixed_ips"), 0), "ip_address"), .tag = jx_string(a, "tag"),
        };
        _cleanup_json_ json_t *nic = NULL;
        if (rq.tag && api_version(call) < API_VERSION(2, 49))
                return ctx_error(c, -EINVAL, RES_SERVER, "Additional properties are not allowed ('tag' was unexpected)");
        if (rq.port_id && rq.network_id)
                return ctx_error(c, -EINVAL, RES_SERVER, "Must not input both network_id and port_id");
        if (rq.fixed_ip && !rq.network_id)
                return ctx_error(c, -EINVAL, RES_SERVER, "Must input network_id when request IP address");
        int r = compute_iface_attach(c, api_param(call, "server_id"), &rq, &nic);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "interfaceAttachment", render(call, nic));
        return 0;
}

static int iface_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return compute_iface_detach(c, api_param(call, "server_id"), api_param(call, "port_id"));
}

const ApiRoute compute_iface_routes[] = {
        { "GET", "/v2.1/servers/{server_id}/os-interface", iface_index, POLICY_AUTHENTICATED },
        { "POST", "/v2.1/servers/{server_id}/os-interface", iface_create, POLICY_AUTHENTICATED,
          "compute-interface-attach.json" },
        { "GET", "/v2.1/servers/{server_id}/os-interface/{port_id}", iface_show, POLICY_AUTHENTICATED },
        { "DELETE", "/v2.1/servers/{server_id}/os-interface/{port_id}", iface_delete, POLICY_AUTHENTICATED, NULL, 202 },
        {},
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Security groups in Nova's shape: a server's (GET
 * /servers/{id}/os-security-groups, the actions addSecurityGroup and
 * removeSecurityGroup) and, before 2.36, Nova's read-only proxy of the
 * project's (/os-security-groups).  Handlers parse and render;
 * compute_server_secgroup.c decides.
 */
#include "compute/compute_api.h"

#include <strings.h>

/*
 * A Neutron rule as Nova shows it: a protocol without ports covers all of
 * them (1-65535 for TCP and UDP, -1 for the others); the source is a
 * group (its name and project) or an address range (anywhere if none).
 */
static json_t *render_rule(const json_t *rule) {
        const char *protocol = jx_string(rule, "protocol");
        json_t *min = json_object_get(rule, "port_range_min"), *max = json_object_get(rule, "port_range_max");
        const json_t *remote = json_object_get(rule, "remote_group");
        json_t *o = json_pack("{s:O, s:O, s:s?, s:{}, s:{}}", "id", json_object_get(rule, "id"), "parent_group_id",
                              json_object_get(rule, "security_group_id"), "ip_protocol", protocol, "group", "ip_range");
        if (protocol && !json_is_integer(min) && !json_is_integer(max)) {
                bool ports = strcasecmp(protocol, "tcp") == 0 || strcasecmp(protocol, "udp") == 0;
                json_object_set_new(o, "from_port", json_integer(ports ? 1 : -1));
                json_object_set_new(o, "to_port", json_integer(ports ? 65535 : -1));
        } else {
                json_object_set_new(o, "from_port", json_is_integer(min) ? json_incref(min) : json_null());
                json_object_set_new(o, "to_port", json_is_integer(max) ? json_incref(max) : json_null());
        }
        if (remote)
                json_object_set_new(o, "group", json_pack("{s:O, s:O}", "name", json_object_get(remote, "name"),
                                                          "tenant_id", json_object_get(remote, "project_id")));
        else if (!jx_string(rule, "remote_group_id"))
                json_object_set_new(json_object_get(o, "ip_range"), "cidr",
                                    json_string(jx_string(rule, "remote_ip_prefix") ?: "0.0.0.0/0"));
        return o;
}

/* A group as Nova shows it: its ingress rules only. */
static json_t *render_group(const json_t *group) {
        json_t *rules = json_array(), *rule;
        size_t i;
        json_array_foreach(json_object_get(group, "rules"), i, rule)
                if (streq_ptr(jx_string(rule, "direction"), "ingress"))
                        json_array_append_new(rules, render_rule(rule));
        return json_pack("{s:O, s:O, s:s, s:O, s:o}", "id", json_object_get(group, "id"), "name",
                         json_object_get(group, "name"), "description", jx_string(group, "description") ?: "",
                         "tenant_id", json_object_get(group, "project_id"), "rules", rules);
}

static int server_groups(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *groups = NULL;
        int r = compute_server_secgroups(c, api_param(call, "server_id"), &groups);
        if (r < 0)
                return r;
        json_t *list = json_array(), *group;
        size_t i;
        json_array_foreach(groups, i, group)
                json_array_append_new(list, render_group(group));
        reply->body = json_pack("{s:o}", "security_groups", list);
        return 0;
}

/*
 * Nova's proxy of the networking service's groups (gone from 2.36): the
 * project's (every project's for an admin with ?all_tenants), with
 * ?offset and ?limit, and one by id (Nova takes ids only: 400 otherwise).
 */
static int groups_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *groups = NULL;
        int64_t offset = 0, limit = 1000;
        const char *v;
        if ((v = api_query(call, "offset")) && parse_int64(v, 0, INT64_MAX, &offset) < 0)
                return ctx_error(c, -EINVAL, RES_SECURITY_GROUP, "offset param must be an integer");
        if ((v = api_query(call, "limit")) && parse_int64(v, 0, INT64_MAX, &limit) < 0)
                return ctx_error(c, -EINVAL, RES_SECURITY_GROUP, "limit param must be an integer");
        if (limit > 1000)
                limit = 1000;
        bool all = c->auth.is_admin && api_query_has(call, "all_tenants");
        int r = compute_secgroups_list(c, all ? NULL : c->auth.project_id, &groups);
        if (r < 0)
                return r;
        json_t *list = json_array();
        for (int64_t i = offset; i < (int64_t) json_array_size(groups) && i - offset < limit; i++)
                json_array_append_new(list, render_group(json_array_get(groups, (size_t) i)));
        reply->body = json_pack("{s:o}", "security_groups", list);
        return 0;
}

static int groups_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *group = NULL;
        const char *id = api_param(call, "group_id");
        if (!uuid_is_valid(id))
                return ctx_error(c, -EINVAL, RES_SECURITY_GROUP, "Security group id should be uuid");
        int r = compute_secgroup_get(c, id, &group);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "security_group", render_group(group));
        return 0;
}

static int add_group(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        return compute_server_secgroup_change(c, id, jx_string(value, "name"), true);
}

static int remove_group(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        return compute_server_secgroup_change(c, id, jx_string(value, "name"), false);
}

const ServerActionRoute compute_secgroup_actions[] = {
        { "addSecurityGroup", "compute-action-add-security-group.json", add_group },
        { "removeSecurityGroup", "compute-action-remove-security-group.json", remove_group },
        {},
};

const ApiRoute compute_secgroup_routes[] = {
        { "GET", "/v2.1/servers/{server_id}/os-security-groups", server_groups, POLICY_AUTHENTICATED },
        { "GET", "/v2.1/os-security-groups", groups_list, POLICY_AUTHENTICATED, .max_version = API_VERSION(2, 35) },
        { "GET", "/v2.1/os-security-groups/{group_id}", groups_show, POLICY_AUTHENTICATED,
          .max_version = API_VERSION(2, 35) },
        {},
};

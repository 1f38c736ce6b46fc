/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /v2.0/security-groups and /v2.0/security-group-rules: the generic
 * handlers, and lists that first make the caller's default group exist,
 * as Neutron's do (a project sees its "default" group before it ever made
 * a port).
 */
#include "network/network_api.h"

static const NetApiResource groups = { &res_security_group };
static const NetApiResource rules = { &res_security_group_rule };

/* The project whose list it is: the one filtered on when an admin names one, else the caller's. */
static int ensure_default(Ctx *c, const ApiCall *call) {
        const char *project = api_query(call, "project_id");
        if (!project)
                project = api_query(call, "tenant_id");
        if (!project || (!c->auth.is_admin && !streq_ptr(project, c->auth.project_id)))
                project = c->auth.project_id;
        if (isempty(project) || strlen(project) > 255)
                return 0;
        return network_default_security_group_ensure(c, project);
}

static int groups_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        int r = ensure_default(c, call);
        return r < 0 ? r : network_api_list(c, call, body, reply);
}

static int rules_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        int r = ensure_default(c, call);
        return r < 0 ? r : network_api_list(c, call, body, reply);
}

const NetExtension network_secgroup_extensions[] = {
        { "security-group", "security-group", "The security groups extension." },
        { "stateful-security-group", "Stateful security group", "Indicates if the security group is stateful or not" },
        { "security-groups-normalized-cidr", "Normalized CIDR field for security group rules",
          "Add new field with normalized remote_ip_prefix cidr in SG rule" },
        {},
};

const ApiRoute network_secgroup_routes[] = {
        { "GET", "/v2.0/security-groups", groups_list, POLICY_AUTHENTICATED, .data = &groups },
        { "POST", "/v2.0/security-groups", network_api_create, POLICY_AUTHENTICATED, "network-security-group-create.json", 201,
          .data = &groups },
        { "GET", "/v2.0/security-groups/{id}", network_api_show, POLICY_AUTHENTICATED, .data = &groups },
        { "PUT", "/v2.0/security-groups/{id}", network_api_update, POLICY_AUTHENTICATED, "network-security-group-update.json",
          .data = &groups },
        { "DELETE", "/v2.0/security-groups/{id}", network_api_delete, POLICY_AUTHENTICATED, NULL, 204, .data = &groups },
        { "GET", "/v2.0/security-group-rules", rules_list, POLICY_AUTHENTICATED, .data = &rules },
        { "POST", "/v2.0/security-group-rules", network_api_create, POLICY_AUTHENTICATED,
          "network-security-group-rule-create.json", 201, .data = &rules },
        { "GET", "/v2.0/security-group-rules/{id}", network_api_show, POLICY_AUTHENTICATED, .data = &rules },
        { "PUT", "/v2.0/security-group-rules/{id}", network_api_update, POLICY_AUTHENTICATED,
          "network-security-group-rule-update.json", .data = &rules },
        { "DELETE", "/v2.0/security-group-rules/{id}", network_api_delete, POLICY_AUTHENTICATED, NULL, 204, .data = &rules },
        {},
};

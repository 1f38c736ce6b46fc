/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /v2.0/networks, /subnets, /ports and /subnetpools: the core resources,
 * served by the generic handlers, with the port filters that are not
 * plain columns.
 */
#include "network/network_api.h"

/*
 * ?fixed_ips=ip_address=10.0.0.5, ?fixed_ips=subnet_id=<id>,
 * ?fixed_ips=ip_address_substr=10.0: ports holding that address, one on
 * that subnet, or one whose text holds the substring; ?security_groups=<id>:
 * ports in that group.
 */
static int port_filter(Ctx *c, const char *name, const char *value, ResQuery *q) {
        if (streq(name, "security_groups")) {
                buf_puts(&q->where, " AND id IN (SELECT port_id FROM port_security_groups WHERE security_group_id = ?)");
                db_args_str(&q->args, value);
                return 1;
        }
        if (!streq(name, "fixed_ips"))
                return 0;
        const char *eq = strchr(value, '=');
        if (!eq)
                return ctx_error(c, -EINVAL, RES_PORT, "Invalid input for fixed_ips. Reason: '%s' is not key=value.", value);
        _cleanup_free_ char *key = xstrndup(value, eq - value);
        const char *v = eq + 1;
        if (streq(key, "ip_address"))
                buf_puts(&q->where, " AND id IN (SELECT port_id FROM port_ips WHERE ip_address = ?)");
        else if (streq(key, "subnet_id"))
                buf_puts(&q->where, " AND id IN (SELECT port_id FROM port_ips WHERE subnet_id = ?)");
        else if (streq(key, "ip_address_substr")) {
                /* Text of an address holds only these, so LIKE needs no escaping and nothing else can match. */
                if (strspn(v, "0123456789abcdefABCDEF.:") != strlen(v)) {
                        buf_puts(&q->where, " AND 1 = 0");
                        return 1;
                }
                buf_puts(&q->where, " AND id IN (SELECT port_id FROM port_ips WHERE ip_address LIKE '%' || ? || '%')");
        } else
                return ctx_error(c, -EINVAL, RES_PORT, "Invalid input for fixed_ips. Reason: '%s' is not a filter of fixed_ips.", key);
        db_args_str(&q->args, v);
        return 1;
}

static const NetApiResource networks = { &res_network };
static const NetApiResource subnets = { &res_subnet };
static const NetApiResource ports = { &res_port, port_filter };
static const NetApiResource subnetpools = { &res_subnetpool };

const NetExtension network_core_extensions[] = {
        { "external-net", "Neutron external network", "Adds external network attribute to network resource." },
        { "provider", "Provider Network", "Expose mapping of virtual networks to physical networks" },
        { "net-mtu", "Network MTU", "Provides MTU attribute for a network resource." },
        { "port-security", "Port Security", "Provides port security" },
        { "allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs" },
        { "binding", "Port Binding", "Expose port bindings of a virtual port to external application" },
        { "standard-attr-description", "standard-attr-description", "Extension to add descriptions to standard attributes" },
        { "standard-attr-revisions", "Resource revision numbers", "This extension will display the revision number of neutron resources." },
        { "revision-if-match", "If-Match constraints based on revision_number", "Extension indicating that If-Match based on revision_number is supported." },
        { "standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes." },
        { "project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled." },
        { "filter-validation", "Filter parameters validation", "Provides validation on filter parameters." },
        { "pagination", "Pagination support", "Extension that indicates that pagination is enabled." },
        { "sorting", "Sorting support", "Extension that indicates that sorting is enabled." },
        { "fields", "fields support", "Extension that indicates that fields is enabled." },
        { "ip-substring-filtering", "IP address substring filtering", "Provides IP address substring filtering when listing ports" },
        { "subnet_allocation", "Subnet Allocation", "Enables allocation of subnets from a subnet pool" },
        { "default-subnetpools", "Default Subnetpools", "Provides ability to mark and use a subnetpool as the default." },
        {},
};

const ApiRoute network_core_routes[] = {
        { "GET", "/v2.0/networks", network_api_list, POLICY_AUTHENTICATED, .data = &networks },
        { "POST", "/v2.0/networks", network_api_create, POLICY_AUTHENTICATED, "network-network-create.json", 201, .data = &networks },
        { "GET", "/v2.0/networks/{id}", network_api_show, POLICY_AUTHENTICATED, .data = &networks },
        { "PUT", "/v2.0/networks/{id}", network_api_update, POLICY_AUTHENTICATED, "network-network-update.json", .data = &networks },
        { "DELETE", "/v2.0/networks/{id}", network_api_delete, POLICY_AUTHENTICATED, NULL, 204, .data = &networks },
        { "GET", "/v2.0/subnets", network_api_list, POLICY_AUTHENTICATED, .data = &subnets },
        { "POST", "/v2.0/subnets", network_api_create, POLICY_AUTHENTICATED, "network-subnet-create.json", 201, .data = &subnets },
        { "GET", "/v2.0/subnets/{id}", network_api_show, POLICY_AUTHENTICATED, .data = &subnets },
        { "PUT", "/v2.0/subnets/{id}", network_api_update, POLICY_AUTHENTICATED, "network-subnet-update.json", .data = &subnets },
        { "DELETE", "/v2.0/subnets/{id}", network_api_delete, POLICY_AUTHENTICATED, NULL, 204, .data = &subnets },
        { "GET", "/v2.0/ports", network_api_list, POLICY_AUTHENTICATED, .data = &ports },
        { "POST", "/v2.0/ports", network_api_create, POLICY_AUTHENTICATED, "network-port-create.json", 201, .data = &ports },
        { "GET", "/v2.0/ports/{id}", network_api_show, POLICY_AUTHENTICATED, .data = &ports },
        { "PUT", "/v2.0/ports/{id}", network_api_update, POLICY_AUTHENTICATED, "network-port-update.json", .data = &ports },
        { "DELETE", "/v2.0/ports/{id}", network_api_delete, POLICY_AUTHENTICATED, NULL, 204, .data = &ports },
        { "GET", "/v2.0/subnetpools", network_api_list, POLICY_AUTHENTICATED, .data = &subnetpools },
        { "POST", "/v2.0/subnetpools", network_api_create, POLICY_AUTHENTICATED, "network-subnetpool-create.json", 201,
          .data = &subnetpools },
        { "GET", "/v2.0/subnetpools/{id}", network_api_show, POLICY_AUTHENTICATED, .data = &subnetpools },
        { "PUT", "/v2.0/subnetpools/{id}", network_api_update, POLICY_AUTHENTICATED, "network-subnetpool-update.json",
          .data = &subnetpools },
        { "DELETE", "/v2.0/subnetpools/{id}", network_api_delete, POLICY_AUTHENTICATED, NULL, 204, .data = &subnetpools },
        {},
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The networking service (a Neutron v2.0 subset) as the rest of gureum
 * sees it: its module entry for the daemon's table, and what compute asks
 * of it for a server's NICs.
 */
#pragma once

#include "core/config.h"
#include "core/ctx.h"
#include "util/jx.h"

/* ---- a server's NICs, for compute (network_nics.c) ---- */

/* One entry of Nova's "networks" of a server create. */
typedef struct NetworkNicRequest {
        const char *network_id;  /* "uuid" */
        const char *port_id;     /* "port": a port the user made */
        const char *fixed_ip;    /* an address on network_id */
        const char *tag;         /* device tag, for the metadata */
} NetworkNicRequest;

/* What a create that lists no NIC gets. */
typedef enum NetworkNicDefault {
        NETWORK_NICS_LISTED,     /* the requests, nothing else */
        NETWORK_NICS_DEFAULT,    /* no "networks" (before 2.37): the one network available, or no NIC */
        NETWORK_NICS_AUTO,       /* "auto": the project's network, made with a router if it has none */
        NETWORK_NICS_NONE,       /* "none" */
} NetworkNicDefault;

/*
 * Checks a server create's NICs before anything is made, with Nova's
 * errors: 400 for a network or port that does not exist for the project
 * or an address that is not on its network, 409 for a port in use or
 * more than one network to choose from.
 */
int network_nics_check(Ctx *c, const char *project_id, NetworkNicDefault how, const NetworkNicRequest *reqs,
                       size_t n, const json_t *security_groups);
/*
 * Makes (from a network) or takes (a port) the NICs of server_id in the
 * caller's transaction, named hostname in DNS.  security_groups (Nova's
 * [{"name": name or id}], NULL: the project's default) apply to the ports
 * made; a port the user brought keeps its own, as under Nova.  *ret is the list of
 * {"port_id", "preserve"}: preserve is true for a port the user made,
 * which deleting the server leaves behind, unbound.
 */
int network_nics_allocate(Ctx *c, const char *project_id, const char *server_id, const char *hostname,
                          NetworkNicDefault how, const NetworkNicRequest *reqs, size_t n,
                          const json_t *security_groups, json_t **ret);
/* Binds the server's ports to host (the data plane of that host wires them). */
int network_nics_bind(Ctx *c, const char *server_id, const char *host);
/* Deletes the ports made for server_id and unbinds those listed in preserve (a JSON list of ids). */
int network_nics_release(Ctx *c, const char *server_id, const json_t *preserve);
/* The same for one port of server_id (an interface detached); 0 if the port is not the server's. */
int network_nic_release(Ctx *c, const char *server_id, const char *port_id, bool preserve);
/*
 * The NICs of the ports port_ids (a JSON list, in the guest's order), for
 * the guest's definition, its addresses and its network_data.json:
 * [{"port_id", "status", "network_id", "network_name", "bridge", "tap" (the
 * devices the data plane wires it with), "mac_address", "mtu",
 * "fixed_ips": [{"ip_address", "subnet_id", "version", "cidr", "gateway_ip",
 * "dns_nameservers", "host_routes"}], "floating_ips": [addresses]}].
 * A port deleted meanwhile is left out.
 */
int network_nics_describe(Ctx *c, const json_t *port_ids, json_t **ret);

/* ---- a server's security groups, for compute (network_nic_groups.c) ---- */

/* The names of the groups on the ports of each server of server_ids (a JSON list): {server_id: [names]}, none left out. */
int network_devices_group_names(Ctx *c, const json_t *server_ids, json_t **ret);
/*
 * The groups on server_id's ports, each a group record with its "rules"
 * (rule records; one with a remote group has "remote_group": {"name",
 * "project_id"} too): a new array.
 */
int network_device_security_groups(Ctx *c, const char *server_id, json_t **ret);
/* The same for the groups of project_id (NULL: every project's), and for group id (404 unless the caller may see it). */
int network_security_groups_with_rules(Ctx *c, const char *project_id, json_t **ret);
int network_security_group_with_rules(Ctx *c, const char *id, json_t **ret);
/*
 * Nova's addSecurityGroup and removeSecurityGroup in the caller's
 * transaction: group (a name or id of project_id's) goes on every port of
 * server_id, or off every port that has it.  Nova's errors: 404 for no
 * such group or a server without ports, 409 for a name two groups share,
 * 400 for a group already there (or not there to remove) and a port
 * without port security.  The caller pokes the data plane after commit.
 */
int network_device_security_group_change(Ctx *c, const char *project_id, const char *server_id, const char *group,
                                         bool add);

/*
 * The servers (device ids) with a compute port whose address contains
 * text, as Nova's ip filter asks Neutron (ip_address_substr): [ids].
 */
int network_devices_with_ip(Ctx *c, const char *text, json_t **ret);

/* ---- the data plane (network_dataplane.c) ---- */

/*
 * Tells the data plane that the desired state changed: it converges soon
 * after.  Returns a ticket for network_dataplane_wait.
 */
unsigned network_dataplane_poke(void);
/*
 * Waits until an apply that covers ticket has run (a guest's bridge must
 * exist before libvirt plugs its tap into it): 0 if it succeeded, its
 * error if it failed (somewhere: the guest's own network may be fine),
 * -ETIMEDOUT, or -ECANCELED when the daemon is stopping.
 */
int network_dataplane_wait(unsigned ticket, int64_t timeout_usec);
/* The networks whose namespace serves metadata, after the last apply: [{"network_id", "netns"}]. */
json_t *network_dataplane_metadata_targets(void);

/*
 * The device (a server's id) of the compute port holding ip on network_id:
 * who is asking the metadata service.  -ENOENT without a message if none.
 */
int network_port_device_at(Ctx *c, const char *network_id, const char *ip, char **ret_device_id);

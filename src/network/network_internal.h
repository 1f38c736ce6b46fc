/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the networking service's files: its resources (declared once
 * as ResDefs, engine/resource.h), who may see and change them, the
 * standard attributes every Neutron resource has, IPAM, quotas, and the
 * configuration read at setup.  Records are json_t objects with the
 * columns' types; API names with colons ("router:external") are the
 * fields' names, their columns plain ones.
 */
#pragma once

#include "engine/resource.h"
#include "network/network.h"
#include "util/inet.h"

#include <inttypes.h>

extern const ResDef res_network, res_subnet, res_subnetpool, res_port, res_router, res_floatingip,
        res_security_group, res_security_group_rule;

/* Device owners Neutron gives the ports it makes itself. */
#define OWNER_DHCP "network:dhcp"
#define OWNER_ROUTER_INTERFACE "network:router_interface"
#define OWNER_ROUTER_GATEWAY "network:router_gateway"
#define OWNER_FLOATINGIP "network:floatingip"

/* A physical network of [network] bridge_mappings. */
typedef struct Physnet {
        char *name;              /* "public" */
        char *bridge;            /* "br-ex" */
} Physnet;

/* What setup read from the config; read-only afterwards. */
typedef struct Networking {
        const Config *cfg;       /* borrowed from the daemon */
        Physnet *physnets;
        size_t n_physnets;
        uint8_t base_mac[6];
} Networking;

extern Networking networking;

/* Parses [network] (bridge mappings, base MAC); -EINVAL with a message on stderr. */
int network_config_load(const Config *cfg);
void network_config_done(void);
const Physnet *network_physnet(const char *name);

/* ---- who may see what (network_access.c) ---- */

/*
 * Whether the caller may read rec of d: admins everything; others their
 * project's, shared or external networks, and shared networks' subnets.
 */
bool network_can_read(Ctx *c, const ResDef *d, const json_t *rec);
/*
 * Adds to where (and args) the condition that limits a list of d to what
 * the caller may read, so paging counts only visible rows.
 */
void network_visible_sql(Ctx *c, const ResDef *d, Buf *where, DbArgs *args);
/*
 * The record id of d if the caller may see it (404 with d's message
 * otherwise, as Neutron hides what is not yours), and, with write, may
 * change it (403: a shared network is visible, not yours).
 */
int network_get_for(Ctx *c, const ResDef *d, const char *id, bool write, json_t **ret);
/*
 * Fills obj's project_id from the caller (also from a tenant_id given
 * instead); a non-admin naming another project is refused (403).
 */
int network_owner_prepare(Ctx *c, const ResDef *d, json_t *obj);
/* A 403 for an attribute only admins may set ("shared", "provider:network_type"). */
int network_admin_only(Ctx *c, const ResDef *d, const json_t *obj, bool create, const char *const *fields);

/* ---- standard attributes (network_attrs.c) ---- */

/* For every prepare: revision_number 0 on create, old + 1 on update. */
void network_revision_bump(json_t *obj, const json_t *old);
/* Adds tenant_id, tags (network_tags) and revision_number to a rendered object. */
void network_decorate_standard(Ctx *c, json_t *obj);
/* Deletes the tags of a resource being deleted; in the caller's transaction. */
int network_tags_delete(Ctx *c, const char *resource_id);
/*
 * Bumps the revision_number (and updated_at) of row id of d for a change
 * to what belongs to it, as Neutron does: a subnet of a network, an
 * address of a port, a tag.  In the caller's transaction.
 */
int network_revision_touch(Ctx *c, const ResDef *d, const char *id);
/*
 * Neutron's convert_to_int on attribute name of obj: an integer or a
 * string of one (the CLI sends "24") becomes an integer in [min, max],
 * anything else a 400.  Absent or null is left alone.
 */
int network_int_attr(Ctx *c, ResourceKind kind, json_t *obj, const char *name, int64_t min, int64_t max);

/* ---- tags (network_tags.c), the standard-attr-tag extension ---- */

#define NETWORK_TAGS_MAX 50      /* tags on one resource (Neutron's MAX_TAGS_COUNT) */
#define NETWORK_TAG_MAX_LEN 255  /* characters of one tag */

/* The tags of a resource, sorted: a new array. */
int network_tags_get(Ctx *c, const char *resource_id, json_t **ret);
/* 0 if the resource has tag, else -ENOENT (Neutron's TagNotFound) or -EINVAL for a malformed tag. */
int network_tag_exists(Ctx *c, const char *resource_id, const char *tag);
/*
 * Changes the tags of row resource_id of d, in the caller's transaction,
 * each bumping its revision: add one, add many (replace: instead of the
 * ones it had), remove one (-ENOENT if it had not), remove all.  More than
 * NETWORK_TAGS_MAX is Neutron's 400.
 */
int network_tag_add(Ctx *c, const ResDef *d, const char *resource_id, const char *tag);
int network_tags_add(Ctx *c, const ResDef *d, const char *resource_id, const json_t *tags, bool replace);
int network_tag_remove(Ctx *c, const ResDef *d, const char *resource_id, const char *tag);
int network_tags_clear(Ctx *c, const ResDef *d, const char *resource_id);
/* The tags a port is created with (Neutron takes them in the port's POST); no revision bump. */
int network_tags_init(Ctx *c, const char *resource_id, const json_t *tags);
/*
 * The list filters ?tags=a,b (all of them), tags-any, not-tags (not all of
 * them) and not-tags-any (none): adds the condition to q and returns 1 if
 * name is one of them, 0 if not.  keep (an array) owns the strings bound
 * into q and must outlive the query.
 */
int network_tags_filter(Ctx *c, const ResDef *d, const char *name, const char *value, ResQuery *q, json_t *keep);

/* ---- quotas (network_quota.c) ---- */

/* The limit of resource ("network", "port", ...) for project_id; -1 unlimited. */
int network_quota_limit(Ctx *c, const char *project_id, const char *resource, int64_t *ret);
/* -EDQUOT with Neutron's message if project_id has count more of resource than it may; in the transaction. */
int network_quota_check(Ctx *c, const char *project_id, const char *resource, int64_t more);
/* The i-th resource with a quota ("network", "subnet", ...), or NULL past the last. */
const char *network_quota_resource(size_t i);
bool network_quota_known(const char *resource);
/* The configured default of a resource's quota ([network] quota_*). */
int64_t network_quota_default(const char *resource);
/* How many of resource project_id has. */
int network_quota_used(Ctx *c, const char *project_id, const char *resource, int64_t *ret);
/* Sets a project's limit of resource (-1: unlimited); back to the defaults, all of them; in the caller's transaction. */
int network_quota_set(Ctx *c, const char *project_id, const char *resource, int64_t limit);
int network_quota_reset(Ctx *c, const char *project_id);
/* The projects with a limit of their own, sorted: a new array of ids. */
int network_quota_projects(Ctx *c, json_t **ret);

/* ---- prefix sets (network_prefixes.c): the arithmetic of subnet pools, pure ---- */

typedef struct NetPrefixSet {
        InetPrefix *v;
        size_t n, alloc;
} NetPrefixSet;

void network_prefixes_done(NetPrefixSet *s);
void network_prefixes_add(NetPrefixSet *s, const InetPrefix *p);
/* Merges s into the fewest prefixes holding the same addresses, sorted by family and address (Neutron's compaction). */
void network_prefixes_compact(NetPrefixSet *s);
/* What of s no prefix of minus holds, compacted, into a new set. */
void network_prefixes_subtract(const NetPrefixSet *s, const NetPrefixSet *minus, NetPrefixSet *ret);
/* Whether one prefix of s holds all of p. */
bool network_prefixes_contain(const NetPrefixSet *s, const InetPrefix *p);
/* Whether big holds every address of small. */
bool network_prefixes_cover(const NetPrefixSet *big, const NetPrefixSet *small);
/*
 * A prefix of length len from the free blocks (compacted): the first of
 * the most specific block it fits in, as Neutron picks; false if none.
 */
bool network_prefixes_pick(const NetPrefixSet *free, unsigned len, InetPrefix *ret);

/* ---- subnet pools (network_subnetpool.c) ---- */

/*
 * Carves a subnet out of pool (a subnetpool record) for project_id: want
 * (a specific CIDR) if not NULL, else one of prefixlen bits (0: the pool's
 * default).  Checks the pool's prefix length bounds and per-project prefix
 * quota, and that it overlaps no subnet already taken from the pool (400,
 * 409 when the pool has no room).  In the transaction that writes the
 * subnet, so two subnets never get one prefix.
 */
int network_subnetpool_allocate(Ctx *c, const json_t *pool, const char *project_id, const InetPrefix *want,
                                unsigned prefixlen, InetPrefix *ret);
/* The default pool of ip_version (is_default), or -ENOENT without a message. */
int network_subnetpool_default(Ctx *c, int ip_version, json_t **ret);

/* ---- IPAM (network_ipam.c) ---- */

/* A subnet's parsed form, for address work. */
typedef struct SubnetInfo {
        char id[64];
        InetPrefix cidr;
        bool has_gateway;
        InetAddr gateway;
        size_t n_pools;
        struct {
                InetAddr start, end;
        } pools[64];
} SubnetInfo;

/* Parses a subnet record (its cidr, gateway and allocation pools). */
int network_subnet_info(Ctx *c, const json_t *subnet, SubnetInfo *ret);
/*
 * Gives port_id an address on subnet: want if given (it must be inside the
 * subnet, not the gateway nor a reserved address, and free: 409
 * IpAddressInUse), else the first free one of the pools (409
 * IpAddressGenerationFailure when they are exhausted).  Writes the
 * port_ips row in the caller's transaction, where the primary key makes
 * two concurrent claims of one address impossible.
 */
int network_ip_allocate(Ctx *c, const json_t *subnet, const char *port_id, const char *network_id,
                        const char *want, int seq, char ret[static INET_ADDR_MAX]);
/* Releases every address of port_id (or only those on subnet_id when not NULL). */
int network_ips_release(Ctx *c, const char *port_id, const char *subnet_id);
/* A new MAC address with the base MAC's first three bytes, not in use on network_id. */
int network_mac_generate(Ctx *c, const char *network_id, char ret[static MAC_TEXT_MAX]);

/* ---- networks (network_net.c) ---- */

/* The ids of network_id's subnets, oldest first: *ret a new array. */
int network_subnet_ids(Ctx *c, const char *network_id, json_t **ret);

/* ---- subnets (network_subnet.c) ---- */

/* Whether a subnet hands out SLAAC addresses: ipv6 modes slaac or dhcpv6-stateless (Neutron's auto-address subnets). */
bool network_subnet_is_auto(const json_t *subnet);
/*
 * A subnet CIDR as a client writes one, as Neutron reads it: host bits
 * are cleared, a bare address, a /0 and "::" are refused (400); version
 * (0: either) must match.
 */
int network_cidr_parse(Ctx *c, const char *s, int version, InetPrefix *ret);

/* ---- fixed IPs of ports (network_port_ips.c) ---- */

/*
 * The addresses of a new port (port: its record, with id, network_id,
 * mac_address, device_owner): those fixed_ips asks for, or with fixed_ips
 * NULL one IPv4 and one DHCPv6-stateful address, each from the first
 * subnet of its kind with room (409 IpAddressGenerationFailure when all
 * are full); and the EUI-64 address on every SLAAC or DHCPv6-stateless
 * subnet, but for routers' legs.  In the port's transaction.
 */
int network_port_ips_create(Ctx *c, const json_t *port, const json_t *fixed_ips);
/*
 * Neutron's update of a port's addresses: fixed_ips (NULL: unchanged)
 * keeps an address asked for again (by address, or by a bare subnet it is
 * on), releases those no longer asked for but SLAAC ones, claims new ones;
 * new_mac (NULL: unchanged) moves the SLAAC addresses.  port is the stored
 * record (the old MAC).  In the port's transaction.
 */
int network_port_ips_update(Ctx *c, const json_t *port, const json_t *fixed_ips, const char *new_mac);
/* One address for port on subnet: want, or any free one, or the SLAAC one on an auto-address subnet. */
int network_port_ip_claim(Ctx *c, const json_t *port, const json_t *subnet, const char *want, int seq);
/* A new auto-address subnet: every port of its network (not routers' legs) gets its SLAAC address, as in Neutron. */
int network_port_ips_auto_subnet(Ctx *c, const json_t *subnet);
/* A subnet going away: its addresses go, and the ports that had one get a new revision. */
int network_port_ips_subnet_gone(Ctx *c, const char *subnet_id);

/* ---- ports (network_port.c) ---- */

/*
 * Creates a port from obj (the API's attributes) inside the caller's
 * transaction, as the API's create does: for the service's own ports
 * (DHCP, router interfaces and gateways, floating IPs) and compute's.
 */
int network_port_create_locked(Ctx *c, json_t *obj, json_t **ret);
/* The floating IPs of a port being deleted or unbound let go of it, as Neutron's do (caller's transaction). */
int network_port_floatingips_release(Ctx *c, const char *port_id);
/* Deletes a port and its addresses inside the caller's transaction. */
int network_port_delete_locked(Ctx *c, const char *port_id);
/*
 * Makes the network's DHCP port match its subnets: one address on each
 * subnet with DHCP enabled (but deleting_subnet_id, may be NULL), no port
 * when there is none.  In the caller's transaction.
 */
int network_dhcp_sync(Ctx *c, const char *network_id, const char *deleting_subnet_id);
/* The project's "default" security group, made with Neutron's default rules on first use. */
int network_default_security_group(Ctx *c, const char *project_id, char **ret_id);
/*
 * The group project_id names name (a name or an id of one of its groups,
 * "default" made on first use): -ENOENT if none, -ENOTUNIQ if two share
 * the name, both without a message.
 */
int network_security_group_find(Ctx *c, const char *project_id, const char *name, char **ret_id);

/* ---- security groups (network_secgroup.c) ---- */

/* Makes project_id's default group exist, in a transaction of its own (lists do, as Neutron's). */
int network_default_security_group_ensure(Ctx *c, const char *project_id);

/* ---- routers and floating IPs (network_router.c, network_floatingip.c) ---- */

/*
 * PUT /routers/{id}/add_router_interface and remove_router_interface: info
 * is {"subnet_id"} or {"port_id"}; *ret Neutron's answer (the router, the
 * port, its network and subnets).  Each one transaction.
 */
int network_router_interface_add(Ctx *c, const char *router_id, const json_t *info, json_t **ret);
int network_router_interface_remove(Ctx *c, const char *router_id, const json_t *info, json_t **ret);
/* The same in the caller's transaction, without the caller's policy checks; the caller pokes the data plane. */
int network_router_interface_change_locked(Ctx *c, const char *router_id, const json_t *info, bool add);
/* PUT /routers/{id}/add_extraroutes, remove_extraroutes: *ret the router's record. */
int network_router_routes_edit(Ctx *c, const char *router_id, const json_t *routes, bool add, json_t **ret);

/* ---- get-me-a-network (network_auto.c) ---- */

/* 0 if a topology can be made: a default external network and a default subnet pool exist; else Neutron's 409. */
int network_auto_check(Ctx *c);
/*
 * The network of project_id's auto-allocated topology, made in the
 * caller's transaction if it has none (network, subnets from the default
 * pools, router to the default external network).  The caller pokes the
 * data plane after commit.
 */
int network_auto_topology(Ctx *c, const char *project_id, char **ret_network_id);
/* Deletes project_id's topology, if any, in the caller's transaction; 409 while ports of servers remain. */
int network_auto_topology_delete(Ctx *c, const char *project_id);

/* ---- parsers of client input (network_input.c): pure, fuzzed ---- */

/*
 * Checks a security group rule's attributes as Neutron does (400 with its
 * messages) and puts them in their stored form: protocol a lower-case
 * name or decimal text (NULL for any), ports integers, ethertype IPv4 or
 * IPv6, remote_ip_prefix "address/length"; sets rule_key, what a
 * duplicate of the rule in its group has too.
 */
int network_secgroup_rule_normalize(Ctx *c, json_t *rule);
/* Extra routes ({destination, nexthop} each) checked and in canonical text; NULL is none. */
int network_routes_parse(Ctx *c, const json_t *routes, json_t **ret);
/* Routes as Neutron's messages print them: "[{'destination': ..., 'nexthop': ...}]".  Caller frees. */
char *network_routes_repr(const json_t *routes);

/* ---- the data plane (network_dataplane.c) ---- */

/* Opens the configured data plane driver and starts its reconciler thread (module recover). */
int network_dataplane_start(const Config *cfg);
void network_dataplane_stop(void);
/*
 * The devices a VM's port port_id on the network net (its record) gets on
 * this host: the bridge its tap goes into and the tap's name, as the data
 * plane names them.  bridge and tap hold at least 16 bytes.
 */
void network_dataplane_devices(const json_t *net, const char *port_id, char *bridge, char *tap);

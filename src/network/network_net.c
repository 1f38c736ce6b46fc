/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Networks: their segment (a VXLAN id from [network] vni_min..vni_max
 * unless an admin names a provider segment), their MTU, who sees them
 * (shared, external), and deletion, which takes their subnets and DHCP
 * port along but is refused while other ports remain.
 */
#include "network/network_internal.h"

static const ResField network_fields[] = {
        { "project_id", RES_STRING, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "name", RES_STRING, RES_FILTER | RES_SORT },
        { "description", RES_STRING, RES_FILTER | RES_SORT },
        { "admin_state_up", RES_BOOL, RES_FILTER | RES_SORT },
        { "status", RES_STRING, RES_FILTER | RES_SORT },
        { "shared", RES_BOOL, RES_FILTER | RES_SORT },
        { "router:external", RES_BOOL, RES_FILTER, "router_external" },
        { "is_default", RES_BOOL, RES_FILTER },
        { "mtu", RES_INT, RES_FILTER | RES_SORT },
        { "port_security_enabled", RES_BOOL, RES_FILTER },
        { "provider:network_type", RES_STRING, RES_FILTER | RES_IMMUTABLE, "network_type" },
        { "provider:physical_network", RES_STRING, RES_FILTER | RES_IMMUTABLE, "physical_network" },
        { "provider:segmentation_id", RES_INT, RES_FILTER | RES_IMMUTABLE, "segmentation_id" },
        { "availability_zone_hints", RES_JSON, 0 },
        { "dns_domain", RES_STRING, RES_FILTER },
        { "revision_number", RES_INT, RES_FILTER | RES_SORT },
        { "created_at", RES_TIME, RES_SORT },
        { "updated_at", RES_TIME, RES_SORT },
        {},
};

static const char *const admin_fields[] = { "provider:network_type", "provider:physical_network",
                                            "provider:segmentation_id", "router:external", "is_default", NULL };

/* The lowest free VNI of the configured range; in the caller's transaction, so two networks never share one. */
static int vni_allocate(Ctx *c, int64_t *ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int64_t want = networking.cfg->network_vni_min;
        int r = db_query(c->db, &s,
                         "SELECT segmentation_id FROM network_segments WHERE network_type = 'vxlan'"
                         " AND segmentation_id >= ? ORDER BY segmentation_id",
                         "i", want);
        while (r >= 0 && (r = db_step(s)) > 0) {
                int64_t used = db_col_int(s, 0);
                if (used > want)
                        break;
                want = used + 1;
        }
        if (r < 0)
                return res_db_error(c, r, RES_NETWORK, "allocating a segment");
        if (want > networking.cfg->network_vni_max)
                return ctx_error(c, -EAGAIN, RES_NETWORK,
                                 "Unable to create the network. No tenant network is available for allocation.");
        *ret = want;
        return 0;
}

/* Checks the segment obj names (or picks a VXLAN one), and sets its MTU. */
static int segment_choose(Ctx *c, json_t *obj) {
        const char *type = jx_string(obj, "provider:network_type");
        const char *physnet = jx_string(obj, "provider:physical_network");
        json_t *seg = json_object_get(obj, "provider:segmentation_id");
        int64_t id = json_is_integer(seg) ? json_integer_value(seg) : -1;
        int64_t mtu_max = networking.cfg->network_physnet_mtu;
        int r;

        if (!type)
                type = "vxlan";
        if (streq(type, "vxlan")) {
                if (physnet)
                        return ctx_error(c, -EINVAL, RES_NETWORK,
                                         "Invalid input for operation: provider:physical_network specified for VXLAN network.");
                if (id < 0 && (r = vni_allocate(c, &id)) < 0)
                        return r;
                if (id < 1 || id > 16777215)
                        return ctx_error(c, -EINVAL, RES_NETWORK,
                                         "Invalid input for operation: segmentation_id out of range (1 through 16777215).");
                mtu_max -= 50; /* the VXLAN header's overhead on the underlay */
        } else if (streq(type, "vlan") || streq(type, "flat")) {
                if (!physnet)
                        return ctx_error(c, -EINVAL, RES_NETWORK,
                                         "Invalid input for operation: physical_network required for %s provider network.",
                                         type);
                if (!network_physnet(physnet))
                        return ctx_error(c, -EINVAL, RES_NETWORK,
                                         "Invalid input for operation: physical_network '%s' unknown for %s provider network.",
                                         physnet, type);
                if (streq(type, "flat")) {
                        if (id >= 0)
                                return ctx_error(c, -EINVAL, RES_NETWORK,
                                                 "Invalid input for operation: segmentation_id specified for flat provider network.");
                        id = 0;
                } else if (id < 1 || id > 4094)
                        return ctx_error(c, -EINVAL, RES_NETWORK,
                                         "Invalid input for operation: segmentation_id out of range (1 through 4094).");
        } else
                return ctx_error(c, -EINVAL, RES_NETWORK, "Invalid input for operation: network_type value '%s' not supported.",
                                 type);

        /* type may point into obj's own string: set the segment first. */
        json_object_set_new(obj, "provider:segmentation_id", streq(type, "flat") ? json_null() : json_integer(id));
        if (!json_object_get(obj, "provider:network_type"))
                json_object_set_new(obj, "provider:network_type", json_string(type));
        json_t *mtu = json_object_get(obj, "mtu");
        if (!mtu)
                json_object_set_new(obj, "mtu", json_integer(mtu_max));
        else if (json_integer_value(mtu) > mtu_max)
                return ctx_error(c, -EINVAL, RES_NETWORK,
                                 "Requested MTU is too big, maximum is %" PRId64 ".", mtu_max);
        return 0;
}

/*
 * is_default marks the external network get-me-a-network routes to: one
 * at most (Neutron's 409), and only on an external network (on another,
 * or when a network stops being external, it is dropped, as Neutron
 * keeps it with the external-network record).
 */
static int default_external_prepare(Ctx *c, json_t *obj, const json_t *old) {
        json_t *ext = json_object_get(obj, "router:external");
        bool external = ext ? json_is_true(ext) : old && json_is_true(json_object_get(old, "router:external"));
        json_t *dflt = json_object_get(obj, "is_default");
        if (!external) {
                if (dflt || ext)
                        json_object_set_new(obj, "is_default", json_false());
                return 0;
        }
        if (!json_is_true(dflt))
                return 0;
        _cleanup_stmt_ DbStmt *s = NULL;
        const char *id = jx_string(old ? old : obj, "id");
        int r = db_query(c->db, &s, "SELECT id FROM networks WHERE router_external = 1 AND is_default = 1 AND id <> ?", "s",
                         id ? id : "");
        if (r >= 0 && (r = db_step(s)) > 0)
                return ctx_error(c, -EEXIST, RES_AUTO_TOPOLOGY, "A default external network already exists: %s.",
                                 db_col_text(s, 0));
        return r < 0 ? res_db_error(c, r, RES_NETWORK, "finding the default external network") : 0;
}

static int network_prepare(Ctx *c, json_t *obj, const json_t *old) {
        int r = network_admin_only(c, &res_network, obj, !old, admin_fields);
        if (r < 0 || (r = default_external_prepare(c, obj, old)) < 0)
                return r;
        /* Only admins share; an owner may stop sharing its own network (Neutron checks ports of others). */
        json_t *shared = json_object_get(obj, "shared");
        if (json_is_true(shared) && !c->auth.is_admin && !(old && json_is_true(json_object_get(old, "shared"))))
                return ctx_error(c, -EACCES, RES_NETWORK, "(rule:%s_network:shared) is disallowed by policy.",
                                 old ? "update" : "create");
        network_revision_bump(obj, old);
        if (old && shared && !json_is_true(shared) && json_is_true(json_object_get(old, "shared"))) {
                /* Neutron: a network stays shared while other projects' ports are on it. */
                int64_t n = 0;
                r = db_query_int(c->db, &n,
                                 "SELECT COUNT(*) FROM ports WHERE network_id = ? AND project_id <> ?"
                                 " AND device_owner NOT LIKE 'network:%'",
                                 "ss", jx_string(old, "id"), jx_string(old, "project_id"));
                if (r < 0)
                        return res_db_error(c, r, RES_NETWORK, "reading a network's ports");
                if (n > 0)
                        return ctx_error(c, -EBUSY, RES_NONE,
                                         "Unable to reconfigure sharing settings for network %s. Multiple projects are using it.",
                                         jx_string(old, "id"));
        }
        if (old) {
                json_t *mtu = json_object_get(obj, "mtu");
                int64_t mtu_max = networking.cfg->network_physnet_mtu -
                                  (streq_ptr(jx_string(old, "provider:network_type"), "vxlan") ? 50 : 0);
                if (mtu && json_integer_value(mtu) > mtu_max)
                        return ctx_error(c, -EINVAL, RES_NETWORK, "Requested MTU is too big, maximum is %" PRId64 ".",
                                         mtu_max);
                return 0;
        }
        if ((r = network_owner_prepare(c, &res_network, obj)) < 0 ||
            (r = network_quota_check(c, jx_string(obj, "project_id"), "network", 1)) < 0)
                return r;
        if (!json_object_get(obj, "dns_domain"))
                json_object_set_new(obj, "dns_domain", json_string(""));
        return segment_choose(c, obj);
}

/* Claims the segment once the network's row exists; its primary key refuses a segment in use. */
static int network_after(Ctx *c, const json_t *obj, const json_t *old) {
        if (old)
                return 0;
        const char *type = jx_string(obj, "provider:network_type");
        const char *physnet = jx_string(obj, "provider:physical_network");
        int64_t id = json_integer_value(json_object_get(obj, "provider:segmentation_id"));
        int r = db_run(c->db,
                       "INSERT INTO network_segments (network_type, physical_network, segmentation_id, network_id)"
                       " VALUES (?, ?, ?, ?)",
                       "ssis", type, physnet ? physnet : "", id, jx_string(obj, "id"));
        if (r == -EEXIST) {
                if (streq(type, "flat"))
                        return ctx_error(c, -EBUSY, RES_NONE,
                                         "Unable to create the flat network. Physical network %s is in use.", physnet);
                return ctx_error(c, -EBUSY, RES_NONE,
                                 "Unable to create the network. The %s %" PRId64 " on physical network %s is in use.",
                                 streq(type, "vlan") ? "VLAN" : "VNI", id, physnet ? physnet : "(none)");
        }
        return r < 0 ? res_db_error(c, r, RES_NETWORK, "allocating a segment") : 0;
}

int network_subnet_ids(Ctx *c, const char *network_id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *ids = json_array();
        int r = db_query(c->db, &s, "SELECT id FROM subnets WHERE network_id = ? ORDER BY created_at, id", "s", network_id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(ids, json_string(db_col_text(s, 0)));
        if (r < 0)
                return res_db_error(c, r, RES_NETWORK, "reading a network's subnets");
        *ret = TAKE_PTR(ids);
        return 0;
}

/*
 * A network goes with its subnets and its DHCP port; any other port
 * (a server's NIC, a router's interface) keeps it, as in Neutron.
 */
static int network_before_delete(Ctx *c, const json_t *old) {
        const char *id = jx_string(old, "id");
        int64_t n = 0;
        int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM ports WHERE network_id = ? AND device_owner <> ?", "ss",
                             id, OWNER_DHCP);
        if (r < 0)
                return res_db_error(c, r, RES_NETWORK, "counting a network's ports");
        if (n > 0)
                return ctx_error(c, -EBUSY, RES_NETWORK,
                                 "Unable to complete operation on network %s. There are one or more ports still in use on the network.",
                                 id);
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *ports = json_array(), *subnets = NULL;
        if ((r = db_query(c->db, &s, "SELECT id FROM ports WHERE network_id = ?", "s", id)) >= 0)
                while ((r = db_step(s)) > 0)
                        json_array_append_new(ports, json_string(db_col_text(s, 0)));
        if (r < 0)
                return res_db_error(c, r, RES_NETWORK, "reading a network's ports");
        if ((r = network_subnet_ids(c, id, &subnets)) < 0)
                return r;
        size_t i;
        json_t *v;
        json_array_foreach(ports, i, v)
                if ((r = network_port_delete_locked(c, json_string_value(v))) < 0)
                        return r;
        json_array_foreach(subnets, i, v) {
                if ((r = network_tags_delete(c, json_string_value(v))) < 0)
                        return r;
                if ((r = db_run(c->db, "DELETE FROM subnets WHERE id = ?", "s", json_string_value(v))) < 0)
                        return res_db_error(c, r, RES_NETWORK, "deleting a network's subnets");
        }
        if ((r = db_run(c->db, "DELETE FROM network_segments WHERE network_id = ?", "s", id)) < 0)
                return res_db_error(c, r, RES_NETWORK, "releasing a network's segment");
        return network_tags_delete(c, id);
}

static void network_decorate(Ctx *c, json_t *obj) {
        json_t *subnets = NULL;
        if (network_subnet_ids(c, jx_string(obj, "id"), &subnets) < 0) {
                ctx_clear_error(c); /* decoration is best effort: the record itself was read */
                subnets = json_array();
        }
        json_object_set_new(obj, "subnets", subnets);
        json_object_set_new(obj, "availability_zones", json_pack("[s]", "nova"));
        json_object_set_new(obj, "ipv4_address_scope", json_null());
        json_object_set_new(obj, "ipv6_address_scope", json_null());
        json_object_set_new(obj, "l2_adjacency", json_true());
        if (!json_is_true(json_object_get(obj, "router:external")))
                json_object_del(obj, "is_default");
        if (!c->auth.is_admin) {
                json_object_del(obj, "provider:network_type");
                json_object_del(obj, "provider:physical_network");
                json_object_del(obj, "provider:segmentation_id");
        }
        network_decorate_standard(c, obj);
}

static void network_changed(void) {
        network_dataplane_poke();
}

const ResDef res_network = {
        .kind = RES_NETWORK, .table = "networks", .singular = "network", .plural = "networks",
        .fields = network_fields, .id_kind = RES_ID_UUID, .order_by = "created_at, id",
        .not_found = "Network %s could not be found.",
        .conflict = "Network %s already exists.",
        .prepare = network_prepare, .after = network_after, .before_delete = network_before_delete, .decorate = network_decorate,
        .changed = network_changed,
};

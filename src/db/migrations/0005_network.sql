-- SPDX-License-Identifier: Apache-2.0
-- Networking (Neutron v2.0) tables.  Portable SQL, as 0001: booleans are
-- INTEGER 0/1, times BIGINT microseconds, JSON documents TEXT.  Every
-- resource has Neutron's standard attributes: description, created_at,
-- updated_at and revision_number (bumped on each change).

-- Networks.  The segment (type, physical network, id) is in the network's
-- row for the API and in network_segments for uniqueness.
CREATE TABLE networks (
    id                      TEXT PRIMARY KEY,
    project_id              TEXT NOT NULL,
    name                    TEXT NOT NULL DEFAULT '',
    description             TEXT NOT NULL DEFAULT '',
    admin_state_up          INTEGER NOT NULL DEFAULT 1,
    status                  TEXT NOT NULL DEFAULT 'ACTIVE',
    shared                  INTEGER NOT NULL DEFAULT 0,
    router_external         INTEGER NOT NULL DEFAULT 0,
    is_default              INTEGER NOT NULL DEFAULT 0,  -- the external network "auto" allocation uses
    mtu                     INTEGER NOT NULL,
    port_security_enabled   INTEGER NOT NULL DEFAULT 1,
    network_type            TEXT NOT NULL,               -- vxlan, vlan, flat
    physical_network        TEXT,                        -- vlan and flat: the name in [network] bridge_mappings
    segmentation_id         INTEGER,                     -- VNI or VLAN id; NULL for flat
    availability_zone_hints TEXT NOT NULL DEFAULT '[]',  -- JSON list
    dns_domain              TEXT NOT NULL DEFAULT '',
    revision_number         BIGINT NOT NULL DEFAULT 0,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);
CREATE INDEX networks_project ON networks (project_id);

-- One row per segment in use: a VNI, a VLAN on a physical network, or the
-- one flat network of a physical network (segmentation_id 0).
CREATE TABLE network_segments (
    network_type     TEXT NOT NULL,
    physical_network TEXT NOT NULL DEFAULT '',
    segmentation_id  INTEGER NOT NULL,
    network_id       TEXT NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    PRIMARY KEY (network_type, physical_network, segmentation_id)
);

-- Subnet pools: prefixes subnets are carved from.
CREATE TABLE subnetpools (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL,
    name              TEXT NOT NULL DEFAULT '',
    description       TEXT NOT NULL DEFAULT '',
    ip_version        INTEGER NOT NULL,
    prefixes          TEXT NOT NULL,                -- JSON list of CIDRs, compacted
    default_prefixlen INTEGER NOT NULL,
    min_prefixlen     INTEGER NOT NULL,
    max_prefixlen     INTEGER NOT NULL,
    default_quota     INTEGER,
    shared            INTEGER NOT NULL DEFAULT 0,
    is_default        INTEGER NOT NULL DEFAULT 0,
    address_scope_id  TEXT,
    revision_number   BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

-- Subnets.  Pools, name servers and host routes are small lists kept as JSON.
CREATE TABLE subnets (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL,
    network_id        TEXT NOT NULL REFERENCES networks (id),
    subnetpool_id     TEXT REFERENCES subnetpools (id),
    name              TEXT NOT NULL DEFAULT '',
    description       TEXT NOT NULL DEFAULT '',
    ip_version        INTEGER NOT NULL,
    cidr              TEXT NOT NULL,
    gateway_ip        TEXT,
    enable_dhcp       INTEGER NOT NULL DEFAULT 1,
    ipv6_ra_mode      TEXT,
    ipv6_address_mode TEXT,
    allocation_pools  TEXT NOT NULL DEFAULT '[]',   -- JSON [{"start", "end"}]
    dns_nameservers   TEXT NOT NULL DEFAULT '[]',   -- JSON list, in order
    host_routes       TEXT NOT NULL DEFAULT '[]',   -- JSON [{"destination", "nexthop"}]
    service_types     TEXT NOT NULL DEFAULT '[]',
    revision_number   BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX subnets_network ON subnets (network_id);

-- Ports.  Router interfaces and gateways, DHCP ports and floating IPs'
-- ports are ports too, told apart by device_owner, as in Neutron.
CREATE TABLE ports (
    id                    TEXT PRIMARY KEY,
    project_id            TEXT NOT NULL,
    network_id            TEXT NOT NULL REFERENCES networks (id),
    name                  TEXT NOT NULL DEFAULT '',
    description           TEXT NOT NULL DEFAULT '',
    admin_state_up        INTEGER NOT NULL DEFAULT 1,
    status                TEXT NOT NULL DEFAULT 'DOWN',
    mac_address           TEXT NOT NULL,
    device_id             TEXT NOT NULL DEFAULT '',
    device_owner          TEXT NOT NULL DEFAULT '',
    port_security_enabled INTEGER NOT NULL DEFAULT 1,
    allowed_address_pairs TEXT NOT NULL DEFAULT '[]', -- JSON [{"ip_address", "mac_address"}]
    binding_host_id       TEXT NOT NULL DEFAULT '',
    binding_vif_type      TEXT NOT NULL DEFAULT 'unbound',
    binding_vnic_type     TEXT NOT NULL DEFAULT 'normal',
    binding_profile       TEXT NOT NULL DEFAULT '{}',
    binding_vif_details   TEXT NOT NULL DEFAULT '{}',
    dns_name              TEXT NOT NULL DEFAULT '',
    revision_number       BIGINT NOT NULL DEFAULT 0,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    UNIQUE (network_id, mac_address)
);
CREATE INDEX ports_network ON ports (network_id);
CREATE INDEX ports_device ON ports (device_id);

-- The fixed IPs of ports.  The primary key is what makes two concurrent
-- allocations of one address fail instead of both succeeding.
CREATE TABLE port_ips (
    subnet_id  TEXT NOT NULL REFERENCES subnets (id),
    ip_address TEXT NOT NULL,                   -- canonical text form
    port_id    TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    network_id TEXT NOT NULL,
    seq        INTEGER NOT NULL DEFAULT 0,      -- the order fixed_ips were given in
    PRIMARY KEY (subnet_id, ip_address)
);
CREATE INDEX port_ips_port ON port_ips (port_id);

-- Security groups.  default_security_groups holds each project's one
-- "default" group: its primary key makes two first uses race safely.
CREATE TABLE security_groups (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    stateful        INTEGER NOT NULL DEFAULT 1,
    revision_number BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX security_groups_project ON security_groups (project_id);

CREATE TABLE default_security_groups (
    project_id        TEXT PRIMARY KEY,
    security_group_id TEXT NOT NULL REFERENCES security_groups (id) ON DELETE CASCADE
);

CREATE TABLE security_group_rules (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL,
    security_group_id TEXT NOT NULL REFERENCES security_groups (id) ON DELETE CASCADE,
    direction         TEXT NOT NULL,            -- ingress, egress
    ethertype         TEXT NOT NULL,            -- IPv4, IPv6
    protocol          TEXT,                     -- as given: a name or a number; NULL any
    port_range_min    INTEGER,
    port_range_max    INTEGER,
    remote_ip_prefix  TEXT,                     -- canonical CIDR
    remote_group_id   TEXT REFERENCES security_groups (id) ON DELETE CASCADE,
    description       TEXT NOT NULL DEFAULT '',
    rule_key          TEXT NOT NULL,            -- what a duplicate shares: the rule in canonical form
    revision_number   BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX security_group_rules_group ON security_group_rules (security_group_id);
-- Neutron's 409 on a duplicate rule, even when two requests race.
CREATE UNIQUE INDEX security_group_rules_unique ON security_group_rules (security_group_id, rule_key);

CREATE TABLE port_security_groups (
    port_id           TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    security_group_id TEXT NOT NULL REFERENCES security_groups (id),
    PRIMARY KEY (port_id, security_group_id)
);
CREATE INDEX port_security_groups_group ON port_security_groups (security_group_id);

-- Routers.  Their interfaces are ports (device_owner
-- network:router_interface, device_id the router); the gateway is the
-- port gw_port_id on the external network.
CREATE TABLE routers (
    id                      TEXT PRIMARY KEY,
    project_id              TEXT NOT NULL,
    name                    TEXT NOT NULL DEFAULT '',
    description             TEXT NOT NULL DEFAULT '',
    admin_state_up          INTEGER NOT NULL DEFAULT 1,
    status                  TEXT NOT NULL DEFAULT 'ACTIVE',
    gw_network_id           TEXT REFERENCES networks (id),
    gw_port_id              TEXT REFERENCES ports (id),
    enable_snat             INTEGER NOT NULL DEFAULT 1,
    routes                  TEXT NOT NULL DEFAULT '[]', -- JSON [{"destination", "nexthop"}]
    availability_zone_hints TEXT NOT NULL DEFAULT '[]',
    revision_number         BIGINT NOT NULL DEFAULT 0,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);

-- Floating IPs: an address on an external network (held by a port with
-- device_owner network:floatingip) and the fixed address it forwards to.
CREATE TABLE floatingips (
    id                  TEXT PRIMARY KEY,
    project_id          TEXT NOT NULL,
    floating_network_id TEXT NOT NULL REFERENCES networks (id),
    floating_port_id    TEXT NOT NULL REFERENCES ports (id),
    floating_ip_address TEXT NOT NULL,
    port_id             TEXT REFERENCES ports (id),
    fixed_ip_address    TEXT,
    router_id           TEXT REFERENCES routers (id),
    status              TEXT NOT NULL DEFAULT 'DOWN',
    description         TEXT NOT NULL DEFAULT '',
    revision_number     BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (floating_network_id, floating_ip_address)
);
CREATE INDEX floatingips_port ON floatingips (port_id);
-- One floating IP per fixed address and external network (NULLs, the unassociated, are distinct).
CREATE UNIQUE INDEX floatingips_fixed ON floatingips (floating_network_id, port_id, fixed_ip_address);

-- Tags of any networking resource (the standard-attr-tag extension).
CREATE TABLE network_tags (
    resource_id TEXT NOT NULL,
    tag         TEXT NOT NULL,
    PRIMARY KEY (resource_id, tag)
);

-- Per-project limits that differ from [network] quota_* in gureum.conf.
CREATE TABLE network_quotas (
    project_id TEXT NOT NULL,
    resource   TEXT NOT NULL,                   -- network, subnet, port, router, floatingip, ...
    hard_limit BIGINT NOT NULL,                 -- -1: unlimited
    PRIMARY KEY (project_id, resource)
);

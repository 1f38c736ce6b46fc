-- SPDX-License-Identifier: Apache-2.0
-- Compute (Nova v2.1) tables.  Portable SQL, as 0001: booleans are INTEGER
-- 0/1, times BIGINT microseconds, JSON documents TEXT.

-- Flavors: id is Nova's flavorid (a string the admin may choose).
CREATE TABLE flavors (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    vcpus       INTEGER NOT NULL,
    ram         INTEGER NOT NULL,            -- MiB
    disk        INTEGER NOT NULL,            -- GiB of root disk
    ephemeral   INTEGER NOT NULL DEFAULT 0,  -- GiB
    swap        INTEGER NOT NULL DEFAULT 0,  -- MiB
    rxtx_factor REAL NOT NULL DEFAULT 1.0,
    is_public   INTEGER NOT NULL DEFAULT 1,
    disabled    INTEGER NOT NULL DEFAULT 0,
    description TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE flavor_extra_specs (
    flavor_id TEXT NOT NULL REFERENCES flavors (id) ON DELETE CASCADE,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (flavor_id, key)
);

-- Projects a private flavor is offered to.
CREATE TABLE flavor_projects (
    flavor_id  TEXT NOT NULL REFERENCES flavors (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    PRIMARY KEY (flavor_id, project_id)
);

-- Key pairs belong to a user; seq is the integer id Nova shows.
CREATE TABLE keypairs (
    id          TEXT PRIMARY KEY,
    seq         BIGINT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL,               -- ssh, x509
    public_key  TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (user_id, name)
);

-- Compute hosts: what each offers (reported by its virt driver) and
-- whether the scheduler may use it.  Each is a hypervisor and a
-- nova-compute service to the API: seq is the integer id both had before
-- microversion 2.53, uuid and service_uuid their ids from 2.53.
CREATE TABLE compute_hosts (
    name               TEXT PRIMARY KEY,
    seq                BIGINT NOT NULL UNIQUE,
    uuid               TEXT NOT NULL UNIQUE,
    service_uuid       TEXT NOT NULL UNIQUE,
    host_ip            TEXT NOT NULL DEFAULT '',
    driver             TEXT NOT NULL,        -- libvirt, fake
    vcpus              INTEGER NOT NULL,
    memory_mb          BIGINT NOT NULL,
    disk_gb            BIGINT NOT NULL,
    hypervisor_type    TEXT NOT NULL,
    hypervisor_version BIGINT NOT NULL,
    availability_zone  TEXT NOT NULL,
    disabled           INTEGER NOT NULL DEFAULT 0,
    disabled_reason    TEXT,
    forced_down        INTEGER NOT NULL DEFAULT 0,
    heartbeat_at       BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

-- Servers.  The flavor is a snapshot (flavors may be deleted or changed
-- later); old_flavor holds the one before a resize until it is confirmed
-- or reverted.  Deleted servers keep their row (vm_state 'deleted') for
-- changes-since listings and usage, until purged.
CREATE TABLE servers (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    project_id        TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    image_id          TEXT NOT NULL DEFAULT '',
    flavor_id         TEXT NOT NULL,         -- the flavor's id when the server got it (for ?flavor=)
    flavor            TEXT NOT NULL,         -- JSON: id, name, vcpus, ram, disk, ephemeral, swap, extra_specs
    old_flavor        TEXT,                  -- JSON, during a resize
    vcpus             INTEGER NOT NULL,      -- of flavor, as columns for quotas and usage
    memory_mb         BIGINT NOT NULL,
    root_gb           BIGINT NOT NULL,
    vm_state          TEXT NOT NULL,
    task_state        TEXT,
    power_state       INTEGER NOT NULL DEFAULT 0,
    host              TEXT,
    availability_zone TEXT,
    key_name          TEXT,
    key_data          TEXT,
    user_data         TEXT,
    config_drive      INTEGER NOT NULL DEFAULT 0,
    access_ipv4       TEXT,
    access_ipv6       TEXT,
    description       TEXT,
    hostname          TEXT NOT NULL,
    reservation_id    TEXT NOT NULL,
    launch_index      INTEGER NOT NULL DEFAULT 0,
    locked            INTEGER NOT NULL DEFAULT 0,
    locked_by         TEXT,                  -- owner, admin
    locked_reason     TEXT,
    progress          INTEGER NOT NULL DEFAULT 0,
    fault             TEXT,                  -- JSON: code, message, details, created
    rescue_image_id   TEXT,
    shelved_image_id  TEXT,
    launched_at       BIGINT,
    terminated_at     BIGINT,
    deleted_at        BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX servers_project ON servers (project_id, vm_state);
CREATE INDEX servers_host ON servers (host);
CREATE INDEX servers_updated ON servers (updated_at);

CREATE TABLE server_metadata (
    server_id TEXT NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (server_id, key)
);

CREATE TABLE server_tags (
    server_id TEXT NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    PRIMARY KEY (server_id, tag)
);

-- What a server holds on a host: one row per server and host (two during
-- a resize: the new flavor's claim next to the old one, kind 'resize').
CREATE TABLE allocations (
    server_id  TEXT NOT NULL,
    host       TEXT NOT NULL REFERENCES compute_hosts (name),
    kind       TEXT NOT NULL,                -- current, resize
    vcpus      INTEGER NOT NULL,
    memory_mb  BIGINT NOT NULL,
    disk_gb    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (server_id, kind)
);
CREATE INDEX allocations_host ON allocations (host);

-- Instance actions (os-instance-actions) and their events.
CREATE TABLE server_actions (
    id          TEXT PRIMARY KEY,
    server_id   TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    action      TEXT NOT NULL,               -- create, reboot, stop, resize, ...
    project_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    message     TEXT,                        -- "Error" when an event failed
    start_time  BIGINT NOT NULL,
    finish_time BIGINT,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX server_actions_server ON server_actions (server_id, start_time);

CREATE TABLE server_action_events (
    id          TEXT PRIMARY KEY,
    action_id   TEXT NOT NULL REFERENCES server_actions (id) ON DELETE CASCADE,
    event       TEXT NOT NULL,               -- compute_build_and_run_instance, ...
    host        TEXT,
    result      TEXT,                        -- Success, Error; NULL while running
    traceback   TEXT,
    start_time  BIGINT NOT NULL,
    finish_time BIGINT
);
CREATE INDEX server_action_events_action ON server_action_events (action_id);

CREATE TABLE server_groups (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    project_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    policy     TEXT NOT NULL,                -- affinity, anti-affinity, soft-affinity, soft-anti-affinity
    rules      TEXT NOT NULL DEFAULT '{}',   -- JSON: {"max_server_per_host": N}
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE server_group_members (
    group_id  TEXT NOT NULL REFERENCES server_groups (id) ON DELETE CASCADE,
    server_id TEXT NOT NULL,
    PRIMARY KEY (group_id, server_id)
);
CREATE INDEX server_group_members_server ON server_group_members (server_id);

-- Per-project quota limits set by admins; what is not here is the default
-- from gureum.conf ([compute] quota_*).  Shared by every service's quotas.
CREATE TABLE quotas (
    project_id TEXT NOT NULL,
    resource   TEXT NOT NULL,                -- instances, cores, ram, key_pairs, ...
    hard_limit BIGINT NOT NULL,              -- -1: unlimited
    PRIMARY KEY (project_id, resource)
);

-- Nova's classic flavors, and devstack's small ones for tiny guests (the
-- test guest boots in m1.nano).  A new cloud has them; deleting one is
-- the admin's business.
INSERT INTO flavors (id, name, vcpus, ram, disk, created_at, updated_at) VALUES
    ('1', 'm1.tiny', 1, 512, 1, 0, 0),
    ('2', 'm1.small', 1, 2048, 20, 0, 0),
    ('3', 'm1.medium', 2, 4096, 40, 0, 0),
    ('4', 'm1.large', 4, 8192, 80, 0, 0),
    ('5', 'm1.xlarge', 8, 16384, 160, 0, 0),
    ('42', 'm1.nano', 1, 128, 1, 0, 0),
    ('84', 'm1.micro', 1, 192, 1, 0, 0);

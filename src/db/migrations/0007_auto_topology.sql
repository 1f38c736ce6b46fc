-- SPDX-License-Identifier: Apache-2.0
--
-- Get-me-a-network: the network (with its subnets) and router made for a
-- project by the auto-allocated-topology extension or Nova's "auto", one
-- per project.  Deleting the network by hand forgets the topology (the
-- next request makes a new one); deleting the router leaves it without.
CREATE TABLE auto_allocated_topologies (
    project_id TEXT PRIMARY KEY,
    network_id TEXT NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    router_id  TEXT REFERENCES routers (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX auto_allocated_topologies_network ON auto_allocated_topologies (network_id);
CREATE INDEX auto_allocated_topologies_router ON auto_allocated_topologies (router_id);

-- SPDX-License-Identifier: Apache-2.0
--
-- A server's NICs: the networking service's ports it has, in the guest's
-- order.  preserve marks a port the user brought ("networks": [{"port"}]),
-- which deleting the server leaves behind, unbound; the others are made
-- for the server and deleted with it.
CREATE TABLE server_nics (
    server_id TEXT NOT NULL,
    position  INTEGER NOT NULL,
    port_id   TEXT NOT NULL,
    preserve  INTEGER NOT NULL DEFAULT 0,
    tag       TEXT,                          -- the device tag (2.32), for the metadata's devices
    PRIMARY KEY (server_id, position)
);
CREATE INDEX server_nics_port ON server_nics (port_id);

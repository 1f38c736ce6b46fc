-- SPDX-License-Identifier: Apache-2.0
-- The durable task queue (src/engine/task.c).  A task row is written in the
-- same transaction as the change that needs it; workers lease rows with a
-- conditional UPDATE, and a lease that expires sends the row back to the
-- queue, so every task must be idempotent.  Portable SQL, as 0001.

CREATE TABLE tasks (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,             -- "compute.server.build": a TaskDef's kind
    resource_id  TEXT NOT NULL,             -- tasks of one resource run one at a time, oldest first
    state        TEXT NOT NULL,             -- queued, running, failed (done tasks are deleted)
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT,                      -- who runs it: "NODE:INCARNATION:RANDOM"
    lease_until  BIGINT,                    -- usec; past it, the task is queued again
    run_after    BIGINT NOT NULL,           -- usec; retries back off
    payload      TEXT NOT NULL DEFAULT '{}',
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX tasks_ready ON tasks (state, run_after);
CREATE INDEX tasks_resource ON tasks (resource_id, state);

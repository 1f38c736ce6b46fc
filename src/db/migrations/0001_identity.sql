-- SPDX-License-Identifier: Apache-2.0
-- Identity (Keystone v3) tables.  Portable SQL: runs on SQLite and
-- PostgreSQL.  Booleans are INTEGER 0/1, times are BIGINT microseconds.

CREATE TABLE domains (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL
);

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    domain_id   TEXT NOT NULL REFERENCES domains (id),
    parent_id   TEXT,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    domain_id           TEXT NOT NULL REFERENCES domains (id),
    name                TEXT NOT NULL,
    enabled             INTEGER NOT NULL DEFAULT 1,
    default_project_id  TEXT,
    description         TEXT,
    email               TEXT,
    password_hash       TEXT,
    password_changed_at BIGINT,
    created_at          BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE groups (
    id          TEXT PRIMARY KEY,
    domain_id   TEXT NOT NULL REFERENCES domains (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT,
    created_at  BIGINT NOT NULL
);

-- prior implies implied: admin -> member -> reader, as Keystone bootstraps.
CREATE TABLE role_implications (
    prior_role_id   TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    implied_role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (prior_role_id, implied_role_id)
);

-- actor_type: 'user' or 'group'; target_type: 'project', 'domain' or 'system'.
-- Actors and targets are not foreign keys because they point into several
-- tables; the service deletes assignments with the actor or target.
CREATE TABLE role_assignments (
    actor_type  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    role_id     TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    inherited   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (actor_type, actor_id, target_type, target_id, role_id, inherited)
);
CREATE INDEX role_assignments_target ON role_assignments (target_type, target_id);

CREATE TABLE regions (
    id               TEXT PRIMARY KEY,
    description      TEXT NOT NULL DEFAULT '',
    parent_region_id TEXT REFERENCES regions (id)
);

CREATE TABLE services (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    enabled     INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE endpoints (
    id         TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    interface  TEXT NOT NULL,
    region_id  TEXT REFERENCES regions (id),
    url        TEXT NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1
);

-- A token is refused if an event matches it: by audit id (one token and
-- the tokens rescoped from it), or by user issued before a time (password
-- change, user disabled or deleted).  Events are dropped once every token
-- they could match has expired.
CREATE TABLE revocation_events (
    id            TEXT PRIMARY KEY,
    audit_id      TEXT,
    user_id       TEXT,
    project_id    TEXT,
    issued_before BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX revocation_events_audit ON revocation_events (audit_id);
CREATE INDEX revocation_events_user ON revocation_events (user_id);
CREATE INDEX revocation_events_project ON revocation_events (project_id);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A server's security groups, as Nova sees them through the server's
 * ports: a group named as Nova names one (a name or an id of the
 * project's), the names for the server's views, the groups with their
 * rules for os-security-groups (the server's, and Nova's read-only proxy
 * of the project's), and addSecurityGroup/removeSecurityGroup,
 * which put a group on every port of the server or take it off.
 */
#include "network/network_internal.h"

int network_security_group_find(Ctx *c, const char *project_id, const char *name, char **ret_id) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_free_ char *id = NULL;
        int found = 0;
        int r = db_query(c->db, &s, "SELECT id FROM security_groups WHERE project_id = ? AND (id = ? OR name = ?)", "sss",
                         project_id, name, name);
        while (r >= 0 && (r = db_step(s)) > 0) {
                found++;
                free(id);
                id = xstrdup(db_col_text(s, 0));
        }
        if (r < 0)
                return res_db_error(c, r, RES_SECURITY_GROUP, "finding a security group");
        if (found > 1)
                return -ENOTUNIQ;
        /* "default" exists for every project, made on first use. */
        if (found == 0 && streq(name, "default"))
                return network_default_security_group(c, project_id, ret_id);
        if (found == 0)
                return -ENOENT;
        *ret_id = TAKE_PTR(id);
        return 0;
}

/*
 * The server's compute ports, oldest first: [{"id", "filtered"}], filtered
 * when a group can apply to it (port security on, and an address: Nova's
 * security group requirements).
 */
static int device_ports(Ctx *c, const char *server_id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *ports = json_array();
        int r = db_query(c->db, &s,
                         "SELECT p.id, p.port_security_enabled AND EXISTS (SELECT 1 FROM port_ips i WHERE i.port_id = p.id)"
                         " FROM ports p WHERE p.device_id = ? AND p.device_owner LIKE 'compute:%' ORDER BY p.created_at, p.id",
                         "s", server_id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(ports, json_pack("{s:s, s:b}", "id", db_col_text(s, 0), "filtered",
                                                       db_col_int(s, 1) != 0));
        if (r < 0)
                return res_db_error(c, r, RES_PORT, "reading a server's ports");
        *ret = TAKE_PTR(ports);
        return 0;
}

int network_devices_group_names(Ctx *c, const json_t *server_ids, json_t **ret) {
        _cleanup_json_ json_t *out = json_object();
        _cleanup_stmt_ DbStmt *s = NULL;
        DbArgs args = {};
        Buf sql = {};
        size_t i;
        json_t *v;

        if (json_array_size(server_ids) == 0) {
                *ret = TAKE_PTR(out);
                return 0;
        }
        buf_puts(&sql, "SELECT p.device_id, g.name FROM ports p JOIN port_security_groups ps ON ps.port_id = p.id"
                       " JOIN security_groups g ON g.id = ps.security_group_id"
                       " WHERE p.device_owner LIKE 'compute:%' AND p.device_id IN (");
        json_array_foreach(server_ids, i, v) {
                buf_puts(&sql, i ? ", ?" : "?");
                db_args_str(&args, json_string_value(v));
        }
        buf_puts(&sql, ") ORDER BY p.device_id, p.created_at, p.id, g.name");
        int r = db_query_args(c->db, &s, sql.data, args.v, args.n);
        while (r >= 0 && (r = db_step(s)) > 0) {
                const char *device = db_col_text(s, 0), *name = db_col_text(s, 1);
                json_t *names = json_object_get(out, device);
                bool seen = false;
                size_t k;
                json_t *n;
                if (!names) {
                        names = json_array();
                        json_object_set_new(out, device, names);
                }
                json_array_foreach(names, k, n)
                        seen |= streq_ptr(json_string_value(n), name);
                if (!seen)
                        json_array_append_new(names, json_string(name));
        }
        buf_done(&sql);
        db_args_done(&args);
        if (r < 0)
                return res_db_error(c, r, RES_SECURITY_GROUP, "reading servers' security groups");
        *ret = TAKE_PTR(out);
        return 0;
}

/* Adds its "rules" to a group record: rule records, one with a remote group naming it too. */
static int add_rules(Ctx *c, json_t *group) {
        _cleanup_json_ json_t *rules = NULL;
        ResQuery q;
        size_t i;
        json_t *rule;
        res_query_init(&q);
        json_object_set_new(q.filters, "security_group_id", json_string(jx_string(group, "id")));
        int r = res_list(c, &res_security_group_rule, &q, &rules, NULL);
        res_query_done(&q);
        if (r < 0)
                return r;
        json_array_foreach(rules, i, rule) {
                _cleanup_json_ json_t *remote = NULL;
                const char *remote_id = jx_string(rule, "remote_group_id");
                if (remote_id && res_lookup(c, &res_security_group, remote_id, &remote) >= 0)
                        json_object_set_new(rule, "remote_group", json_pack("{s:O, s:O}", "name",
                                            json_object_get(remote, "name"), "project_id",
                                            json_object_get(remote, "project_id")));
        }
        json_object_set(group, "rules", rules);
        return 0;
}

int network_device_security_groups(Ctx *c, const char *server_id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *out = json_array();
        int r = db_query(c->db, &s,
                         "SELECT ps.security_group_id FROM ports p JOIN port_security_groups ps ON ps.port_id = p.id"
                         " WHERE p.device_id = ? AND p.device_owner LIKE 'compute:%'"
                         " GROUP BY ps.security_group_id ORDER BY MIN(p.created_at), ps.security_group_id",
                         "s", server_id);
        while (r >= 0 && (r = db_step(s)) > 0) {
                _cleanup_json_ json_t *group = NULL;
                if ((r = res_get(c, &res_security_group, db_col_text(s, 0), &group)) < 0 || (r = add_rules(c, group)) < 0)
                        return r;
                json_array_append(out, group);
        }
        if (r < 0)
                return res_db_error(c, r, RES_SECURITY_GROUP, "reading a server's security groups");
        *ret = TAKE_PTR(out);
        return 0;
}

int network_security_groups_with_rules(Ctx *c, const char *project_id, json_t **ret) {
        _cleanup_json_ json_t *groups = NULL;
        ResQuery q;
        size_t i;
        json_t *group;
        res_query_init(&q);
        if (project_id)
                json_object_set_new(q.filters, "project_id", json_string(project_id));
        int r = res_list(c, &res_security_group, &q, &groups, NULL);
        res_query_done(&q);
        if (r < 0)
                return r;
        json_array_foreach(groups, i, group)
                if ((r = add_rules(c, group)) < 0)
                        return r;
        *ret = TAKE_PTR(groups);
        return 0;
}

int network_security_group_with_rules(Ctx *c, const char *id, json_t **ret) {
        _cleanup_json_ json_t *group = NULL;
        int r = res_lookup(c, &res_security_group, id, &group);
        if (r == -ENOENT || (r >= 0 && !network_can_read(c, &res_security_group, group)))
                return ctx_error(c, -ENOENT, RES_SECURITY_GROUP, "Security group %s not found.", id);
        if (r < 0 || (r = add_rules(c, group)) < 0)
                return r;
        *ret = TAKE_PTR(group);
        return 0;
}

/* 1 if port_id has group_id, 0 if not. */
static int port_has(Ctx *c, const char *port_id, const char *group_id) {
        int64_t n = 0;
        int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM port_security_groups WHERE port_id = ? AND security_group_id = ?",
                             "ss", port_id, group_id);
        return r < 0 ? res_db_error(c, r, RES_PORT, "reading a port's security groups") : n > 0;
}

int network_device_security_group_change(Ctx *c, const char *project_id, const char *server_id, const char *group,
                                         bool add) {
        _cleanup_free_ char *group_id = NULL;
        _cleanup_json_ json_t *ports = NULL;
        size_t i;
        json_t *port;
        bool changed = false;
        int r = network_security_group_find(c, project_id, group, &group_id);
        if (r == -ENOENT)
                return ctx_error(c, -ENOENT, RES_SECURITY_GROUP, "Security group %s not found.", group);
        if (r == -ENOTUNIQ)
                return ctx_error(c, -EBUSY, RES_SECURITY_GROUP,
                                 "Multiple security_group matches found for name '%s', use an ID to be more specific.",
                                 group);
        if (r < 0 || (r = device_ports(c, server_id, &ports)) < 0)
                return r;
        if (json_array_size(ports) == 0)
                return ctx_error(c, -ENOENT, RES_SERVER, "instance_id %s could not be found as device id on any ports",
                                 server_id);
        json_array_foreach(ports, i, port) {
                const char *port_id = jx_string(port, "id");
                int has = port_has(c, port_id, group_id);
                if (has < 0)
                        return has;
                if (add && !json_is_true(json_object_get(port, "filtered")))
                        return ctx_error(c, -EINVAL, RES_SERVER,
                                         "Network requires port_security_enabled and subnet associated in order to apply security groups.");
                if (add && has)
                        return ctx_error(c, -EINVAL, RES_SERVER,
                                         "Security group %s is already associated with the instance %s", group, server_id);
                if (!add && !has)
                        continue;
                r = add ? db_run(c->db, "INSERT INTO port_security_groups (port_id, security_group_id) VALUES (?, ?)", "ss",
                                 port_id, group_id)
                        : db_run(c->db, "DELETE FROM port_security_groups WHERE port_id = ? AND security_group_id = ?", "ss",
                                 port_id, group_id);
                if (r < 0)
                        return res_db_error(c, r, RES_PORT, "changing a port's security groups");
                if ((r = network_revision_touch(c, &res_port, port_id)) < 0)
                        return r;
                changed = true;
        }
        if (!changed)
                return ctx_error(c, -EINVAL, RES_SERVER, "Security group %s not associated with the instance %s", group,
                                 server_id);
        return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Security groups: per project, a "default" group made on first use with
 * Neutron's default rules (all egress, ingress from members of the same
 * group), which cannot be deleted while the project lives.
 */
#include "network/network_internal.h"

static const ResField group_fields[] = {
        { "project_id", RES_STRING, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "name", RES_STRING, RES_FILTER | RES_SORT },
        { "description", RES_STRING, RES_FILTER | RES_SORT },
        { "stateful", RES_BOOL, RES_FILTER },
        { "revision_number", RES_INT, RES_FILTER | RES_SORT },
        { "created_at", RES_TIME, RES_SORT },
        { "updated_at", RES_TIME, RES_SORT },
        {},
};

static const ResField rule_fields[] = {
        { "project_id", RES_STRING, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "security_group_id", RES_STRING, RES_REQUIRED | RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "direction", RES_STRING, RES_REQUIRED | RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "ethertype", RES_STRING, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "protocol", RES_STRING, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "port_range_min", RES_INT, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "port_range_max", RES_INT, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "remote_ip_prefix", RES_STRING, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "remote_group_id", RES_STRING, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "description", RES_STRING, RES_FILTER },
        { "revision_number", RES_INT, RES_FILTER | RES_SORT },
        { "created_at", RES_TIME, RES_SORT },
        { "updated_at", RES_TIME, RES_SORT },
        {},
};

/* Inserts a rule row as given (already checked); in the caller's transaction. */
static int rule_insert(Ctx *c, const char *project_id, const char *group_id, const char *direction,
                       const char *ethertype, const char *remote_group_id) {
        _cleanup_free_ char *id = uuid_dashed_new();
        _cleanup_json_ json_t *rule = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "id", id, "project_id",
                                                project_id, "security_group_id", group_id, "direction", direction,
                                                "ethertype", ethertype, "description", "", "revision_number", 0);
        if (remote_group_id)
                json_object_set_new(rule, "remote_group_id", json_string(remote_group_id));
        return res_insert(c, &res_security_group_rule, rule);
}

int network_default_security_group(Ctx *c, const char *project_id, char **ret_id) {
        _cleanup_free_ char *id = NULL;
        int r = 0;

        {
                _cleanup_stmt_ DbStmt *s = NULL;
                r = db_query(c->db, &s, "SELECT security_group_id FROM default_security_groups WHERE project_id = ?",
                             "s", project_id);
                if (r >= 0 && (r = db_step(s)) > 0) {
                        *ret_id = xstrdup(db_col_text(s, 0));
                        return 0;
                }
                if (r < 0)
                        return res_db_error(c, r, RES_SECURITY_GROUP, "reading the default security group");
        }
        id = uuid_dashed_new();
        _cleanup_json_ json_t *group = json_pack("{s:s, s:s, s:s, s:s, s:b, s:i}", "id", id, "project_id", project_id,
                                                 "name", "default", "description", "Default security group",
                                                 "stateful", true, "revision_number", 0);
        if ((r = res_insert(c, &res_security_group, group)) < 0)
                return r;
        r = db_run(c->db, "INSERT INTO default_security_groups (project_id, security_group_id) VALUES (?, ?)", "ss",
                   project_id, id);
        if (r < 0)
                return res_db_error(c, r, RES_SECURITY_GROUP, "recording the default security group");
        /* Neutron's defaults: anything out; in, only from members of the group itself. */
        if ((r = rule_insert(c, project_id, id, "egress", "IPv4", NULL)) < 0 ||
            (r = rule_insert(c, project_id, id, "egress", "IPv6", NULL)) < 0 ||
            (r = rule_insert(c, project_id, id, "ingress", "IPv4", id)) < 0 ||
            (r = rule_insert(c, project_id, id, "ingress", "IPv6", id)) < 0)
                return r;
        *ret_id = TAKE_PTR(id);
        return 0;
}

static void group_decorate(Ctx *c, json_t *obj) {
        ResQuery q;
        json_t *rules = NULL;
        res_query_init(&q);
        json_object_set(q.filters, "security_group_id", json_object_get(obj, "id"));
        json_t *out = json_array();
        if (res_list(c, &res_security_group_rule, &q, &rules, NULL) >= 0) {
                size_t i;
                json_t *rec;
                json_array_foreach(rules, i, rec) {
                        json_t *o = json_deep_copy(rec);
                        res_security_group_rule.decorate(c, o);
                        json_object_del(o, "created_at");
                        json_object_del(o, "updated_at");
                        json_array_append_new(out, o);
                }
                json_decref(rules);
        } else
                ctx_clear_error(c);
        res_query_done(&q);
        json_object_set_new(obj, "security_group_rules", out);
        network_decorate_standard(c, obj);
}

static void rule_decorate(Ctx *c, json_t *obj) {
        static const char *const optional[] = { "protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
                                                "remote_group_id", NULL };
        for (size_t i = 0; optional[i]; i++)
                if (!json_object_get(obj, optional[i]))
                        json_object_set_new(obj, optional[i], json_null());
        json_object_set_new(obj, "remote_address_group_id", json_null());
        json_object_set_new(obj, "normalized_cidr", json_null());
        network_decorate_standard(c, obj);
}

static void changed(void) {
        network_dataplane_poke();
}

const ResDef res_security_group = {
        .kind = RES_SECURITY_GROUP, .table = "security_groups", .singular = "security_group",
        .plural = "security_groups", .path = "security-groups",
        .fields = group_fields, .id_kind = RES_ID_UUID, .order_by = "created_at, id",
        .not_found = "Security group %s does not exist",
        .conflict = "Security group %s already exists.",
        .decorate = group_decorate, .changed = changed,
};

const ResDef res_security_group_rule = {
        .kind = RES_SECURITY_GROUP_RULE, .table = "security_group_rules", .singular = "security_group_rule",
        .plural = "security_group_rules", .path = "security-group-rules",
        .fields = rule_fields, .id_kind = RES_ID_UUID, .order_by = "created_at, id",
        .not_found = "Security group rule %s does not exist",
        .conflict = "Security group rule %s already exists.",
        .decorate = rule_decorate, .changed = changed,
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Security groups and their rules.  Per project, a "default" group made
 * on first use with Neutron's default rules (all egress, ingress from
 * members of the same group), which its project cannot delete or rename,
 * and which no other group may be named after; every other group starts
 * with the two egress rules.  A group ports use cannot be deleted.  Rules
 * are checked and put in canonical form by network_input.c; a rule that
 * means the same as one of its group is refused (409), which a unique
 * index on the canonical form backs up.
 */
#include "network/network_internal.h"

#include <strings.h>

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
        { "rule_key", RES_STRING, RES_HIDDEN | RES_IMMUTABLE },
        { "revision_number", RES_INT, RES_FILTER | RES_SORT },
        { "created_at", RES_TIME, RES_SORT },
        { "updated_at", RES_TIME, RES_SORT },
        {},
};

static bool is_default_name(const char *name) {
        return name && strcasecmp(name, "default") == 0;
}

/* Inserts a rule the service makes itself (defaults); in the caller's transaction. */
static int rule_insert(Ctx *c, const char *project_id, const char *group_id, const char *direction,
                       const char *ethertype, const char *remote_group_id) {
        _cleanup_free_ char *id = uuid_dashed_new();
        _cleanup_json_ json_t *rule = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "id", id, "project_id",
                                                project_id, "security_group_id", group_id, "direction", direction,
                                                "ethertype", ethertype, "description", "", "revision_number", 0);
        if (remote_group_id)
                json_object_set_new(rule, "remote_group_id", json_string(remote_group_id));
        int r = network_secgroup_rule_normalize(c, rule);
        return r < 0 ? r : res_insert(c, &res_security_group_rule, rule);
}

/* The id of project_id's default group, or NULL (*ret_id untouched) when it has none yet. */
static int default_group_find(Ctx *c, const char *project_id, char **ret_id) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s, "SELECT security_group_id FROM default_security_groups WHERE project_id = ?", "s",
                         project_id);
        if (r >= 0 && (r = db_step(s)) > 0)
                *ret_id = xstrdup(db_col_text(s, 0));
        return r < 0 ? res_db_error(c, r, RES_SECURITY_GROUP, "reading the default security group") : 0;
}

int network_default_security_group(Ctx *c, const char *project_id, char **ret_id) {
        _cleanup_free_ char *id = NULL;
        int r = default_group_find(c, project_id, &id);
        if (r < 0)
                return r;
        if (id) {
                *ret_id = TAKE_PTR(id);
                return 0;
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

static int ensure_locked(Ctx *c, void *userdata) {
        _cleanup_free_ char *id = NULL;
        return network_default_security_group(c, userdata, &id);
}

int network_default_security_group_ensure(Ctx *c, const char *project_id) {
        _cleanup_free_ char *id = NULL;
        int r = default_group_find(c, project_id, &id);
        if (r < 0 || id)
                return r;
        r = res_transaction(c, "making the default security group", ensure_locked, (void *) project_id);
        if (r >= 0)
                network_dataplane_poke();
        return r;
}

/* ---- groups ---- */

static int64_t ports_using(Ctx *c, const char *group_id) {
        int64_t n = 0;
        if (db_query_int(c->db, &n, "SELECT COUNT(*) FROM port_security_groups WHERE security_group_id = ?", "s",
                         group_id) < 0)
                return 1; /* unknown: in use, to be safe */
        return n;
}

static int group_prepare(Ctx *c, json_t *obj, const json_t *old) {
        int r;
        network_revision_bump(obj, old);
        /* Neutron's name_not_default validator, on create and update alike. */
        if (is_default_name(jx_string(obj, "name")))
                return ctx_error(c, -EEXIST, RES_SECURITY_GROUP, "Default security group already exists.");
        if (old) {
                if (json_object_get(obj, "name") && streq_ptr(jx_string(old, "name"), "default"))
                        return ctx_error(c, -EBUSY, RES_SECURITY_GROUP, "Updating default security group not allowed.");
                json_t *stateful = json_object_get(obj, "stateful");
                if (stateful && !json_equal(stateful, json_object_get(old, "stateful")) &&
                    ports_using(c, jx_string(old, "id")) > 0)
                        return ctx_error(c, -EBUSY, RES_SECURITY_GROUP, "Security Group %s in use.", jx_string(old, "id"));
                return 0;
        }
        if ((r = network_owner_prepare(c, &res_security_group, obj)) < 0)
                return r;
        const char *project = jx_string(obj, "project_id");
        /* A project's first group comes after its default one, as in Neutron. */
        _cleanup_free_ char *default_id = NULL;
        if ((r = network_default_security_group(c, project, &default_id)) < 0 ||
            (r = network_quota_check(c, project, "security_group", 1)) < 0 ||
            (r = network_quota_check(c, project, "security_group_rule", 2)) < 0)
                return r;
        if (!json_object_get(obj, "name"))
                json_object_set_new(obj, "name", json_string(""));
        if (!json_object_get(obj, "description"))
                json_object_set_new(obj, "description", json_string(""));
        if (!json_object_get(obj, "stateful"))
                json_object_set_new(obj, "stateful", json_true());
        return 0;
}

/* A new group lets everything out, as Neutron's template for groups other than the default. */
static int group_after(Ctx *c, const json_t *obj, const json_t *old) {
        int r;
        if (old)
                return 0;
        const char *project = jx_string(obj, "project_id"), *id = jx_string(obj, "id");
        if ((r = rule_insert(c, project, id, "egress", "IPv4", NULL)) < 0)
                return r;
        return rule_insert(c, project, id, "egress", "IPv6", NULL);
}

static int group_before_delete(Ctx *c, const json_t *old) {
        const char *id = jx_string(old, "id");
        if (ports_using(c, id) > 0)
                return ctx_error(c, -EBUSY, RES_SECURITY_GROUP, "Security Group %s in use.", id);
        _cleanup_free_ char *default_id = NULL;
        int r = default_group_find(c, jx_string(old, "project_id"), &default_id);
        if (r < 0)
                return r;
        if (streq_ptr(default_id, id) && !c->auth.is_admin)
                return ctx_error(c, -EBUSY, RES_SECURITY_GROUP, "Insufficient rights for removing default security group.");
        /* Its rules, and rules of other groups naming it as their remote, go with it (the keys cascade). */
        r = db_run(c->db,
                   "DELETE FROM network_tags WHERE resource_id IN"
                   " (SELECT id FROM security_group_rules WHERE security_group_id = ? OR remote_group_id = ?)",
                   "ss", id, id);
        if (r < 0)
                return res_db_error(c, r, RES_SECURITY_GROUP, "deleting a security group's rules");
        return network_tags_delete(c, id);
}

/* A rule as a group's render lists it: as the rule's own render (times as Neutron writes them). */
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
                        json_object_del(o, "rule_key");
                        for (const char *const *t = (const char *const[]) { "created_at", "updated_at", NULL }; *t; t++) {
                                char buf[32];
                                json_t *v = json_object_get(o, *t);
                                if (json_is_integer(v))
                                        json_object_set_new(o, *t, json_string(format_iso8601(json_integer_value(v), buf)));
                        }
                        res_security_group_rule.decorate(c, o);
                        json_array_append_new(out, o);
                }
                json_decref(rules);
        } else
                ctx_clear_error(c);
        res_query_done(&q);
        json_object_set_new(obj, "security_group_rules", out);
        network_decorate_standard(c, obj);
}

/* ---- rules ---- */

/* The group id names, if the project may use it (404 otherwise, as Neutron hides others' groups). */
static int group_usable(Ctx *c, const char *id, const char *project_id, json_t **ret) {
        _cleanup_json_ json_t *group = NULL;
        int r = res_lookup(c, &res_security_group, id, &group);
        if (r == -ENOENT || (r >= 0 && !c->auth.is_admin && !streq_ptr(jx_string(group, "project_id"), project_id)))
                return ctx_error(c, -ENOENT, RES_SECURITY_GROUP, "Security group %s does not exist", id);
        if (r < 0)
                return r;
        if (ret)
                *ret = TAKE_PTR(group);
        return 0;
}

static int rule_prepare(Ctx *c, json_t *obj, const json_t *old) {
        _cleanup_json_ json_t *group = NULL;
        int r;

        network_revision_bump(obj, old);
        if (old)
                return 0;
        if ((r = network_secgroup_rule_normalize(c, obj)) < 0)
                return r;
        /* The caller's project for the checks; the rule then belongs to its group's project unless an admin named one. */
        bool named = json_object_get(obj, "project_id") || json_object_get(obj, "tenant_id");
        if ((r = network_owner_prepare(c, &res_security_group_rule, obj)) < 0)
                return r;
        const char *remote = jx_string(obj, "remote_group_id");
        if (remote && (r = group_usable(c, remote, jx_string(obj, "project_id"), NULL)) < 0)
                return r;
        if ((r = group_usable(c, jx_string(obj, "security_group_id"), jx_string(obj, "project_id"), &group)) < 0)
                return r;
        if (!named)
                json_object_set(obj, "project_id", json_object_get(group, "project_id"));

        _cleanup_stmt_ DbStmt *s = NULL;
        r = db_query(c->db, &s, "SELECT id FROM security_group_rules WHERE security_group_id = ? AND rule_key = ?", "ss",
                     jx_string(obj, "security_group_id"), jx_string(obj, "rule_key"));
        if (r >= 0 && (r = db_step(s)) > 0)
                return ctx_error(c, -EEXIST, RES_SECURITY_GROUP_RULE, "Security group rule already exists. Rule id is %s.",
                                 db_col_text(s, 0));
        if (r < 0)
                return res_db_error(c, r, RES_SECURITY_GROUP_RULE, "looking for a duplicate rule");
        if (!json_object_get(obj, "description"))
                json_object_set_new(obj, "description", json_string(""));
        return network_quota_check(c, jx_string(obj, "project_id"), "security_group_rule", 1);
}

static int rule_before_delete(Ctx *c, const json_t *old) {
        return network_tags_delete(c, jx_string(old, "id"));
}

static void rule_decorate(Ctx *c, json_t *obj) {
        static const char *const optional[] = { "protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
                                                "remote_group_id", NULL };
        for (size_t i = 0; optional[i]; i++)
                if (!json_object_get(obj, optional[i]))
                        json_object_set_new(obj, optional[i], json_null());
        /* The prefix's network, host bits cleared (security-groups-normalized-cidr). */
        InetPrefix p;
        char text[INET_PREFIX_MAX];
        const char *prefix = jx_string(obj, "remote_ip_prefix");
        if (prefix && inet_prefix_parse(prefix, false, &p, NULL) >= 0)
                json_object_set_new(obj, "normalized_cidr", json_string(inet_prefix_format(&p, text)));
        else
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
        .prepare = group_prepare, .after = group_after, .before_delete = group_before_delete,
        .decorate = group_decorate, .changed = changed,
};

const ResDef res_security_group_rule = {
        .kind = RES_SECURITY_GROUP_RULE, .table = "security_group_rules", .singular = "security_group_rule",
        .plural = "security_group_rules", .path = "security-group-rules",
        .fields = rule_fields, .id_kind = RES_ID_UUID, .order_by = "created_at, id",
        .not_found = "Security group rule %s does not exist",
        .conflict = "Security group rule already exists.",
        .prepare = rule_prepare, .before_delete = rule_before_delete,
        .decorate = rule_decorate, .changed = changed,
};

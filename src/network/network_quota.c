/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Networking quotas: per project, per resource, the config's default
 * unless an admin set one (network_quotas).  Checked in the transaction
 * that creates, so two concurrent creates cannot both take the last one.
 */
#include "network/network_internal.h"

typedef struct QuotaResource {
        const char *name;        /* as the quotas API names it */
        const char *table;       /* what is counted */
        size_t config_offset;    /* the default in Config */
} QuotaResource;

#define DEFAULT(field) offsetof(Config, field)

static const QuotaResource resources[] = {
        { "network", "networks", DEFAULT(network_quota_network) },
        { "subnet", "subnets", DEFAULT(network_quota_subnet) },
        { "subnetpool", "subnetpools", DEFAULT(network_quota_subnetpool) },
        { "port", "ports", DEFAULT(network_quota_port) },
        { "router", "routers", DEFAULT(network_quota_router) },
        { "floatingip", "floatingips", DEFAULT(network_quota_floatingip) },
        { "security_group", "security_groups", DEFAULT(network_quota_security_group) },
        { "security_group_rule", "security_group_rules", DEFAULT(network_quota_security_group_rule) },
};

static const QuotaResource *find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(resources); i++)
                if (streq(resources[i].name, name))
                        return &resources[i];
        return NULL;
}

int network_quota_limit(Ctx *c, const char *project_id, const char *resource, int64_t *ret) {
        const QuotaResource *q = find(resource);
        int64_t limit;
        if (!q)
                abort(); /* a resource without a quota is a bug of the caller */
        int r = db_query_int(c->db, &limit, "SELECT hard_limit FROM network_quotas WHERE project_id = ? AND resource = ?",
                             "ss", project_id, resource);
        if (r == -ENOENT)
                limit = network_quota_default(resource);
        else if (r < 0)
                return res_db_error(c, r, RES_QUOTA, "reading a quota");
        *ret = limit;
        return 0;
}

int network_quota_check(Ctx *c, const char *project_id, const char *resource, int64_t more) {
        const QuotaResource *q = find(resource);
        int64_t limit, used;
        int r = network_quota_limit(c, project_id, resource, &limit);
        if (r < 0 || limit < 0)
                return r;
        _cleanup_free_ char *sql = xasprintf("SELECT COUNT(*) FROM %s WHERE project_id = ?", q->table);
        r = db_query_int(c->db, &used, sql, "s", project_id);
        if (r < 0)
                return res_db_error(c, r, RES_QUOTA, "counting a quota's usage");
        if (used + more > limit)
                return ctx_error(c, -EDQUOT, RES_QUOTA, "Quota exceeded for resources: ['%s'].", resource);
        return 0;
}

const char *network_quota_resource(size_t i) {
        return i < ELEMENTSOF(resources) ? resources[i].name : NULL;
}

bool network_quota_known(const char *resource) {
        return find(resource) != NULL;
}

int64_t network_quota_default(const char *resource) {
        const QuotaResource *q = find(resource);
        if (!q)
                abort(); /* a resource without a quota is a bug of the caller */
        return *(const int64_t *) ((const char *) networking.cfg + q->config_offset);
}

int network_quota_used(Ctx *c, const char *project_id, const char *resource, int64_t *ret) {
        const QuotaResource *q = find(resource);
        if (!q)
                abort();
        _cleanup_free_ char *sql = xasprintf("SELECT COUNT(*) FROM %s WHERE project_id = ?", q->table);
        int r = db_query_int(c->db, ret, sql, "s", project_id);
        return r < 0 ? res_db_error(c, r, RES_QUOTA, "counting a quota's usage") : 0;
}

int network_quota_set(Ctx *c, const char *project_id, const char *resource, int64_t limit) {
        int r = db_run(c->db, "DELETE FROM network_quotas WHERE project_id = ? AND resource = ?", "ss", project_id, resource);
        if (r >= 0)
                r = db_run(c->db, "INSERT INTO network_quotas (project_id, resource, hard_limit) VALUES (?, ?, ?)", "ssi",
                           project_id, resource, limit);
        return r < 0 ? res_db_error(c, r, RES_QUOTA, "storing a quota") : 0;
}

int network_quota_reset(Ctx *c, const char *project_id) {
        int r = db_run(c->db, "DELETE FROM network_quotas WHERE project_id = ?", "s", project_id);
        return r < 0 ? res_db_error(c, r, RES_QUOTA, "deleting quotas") : 0;
}

int network_quota_projects(Ctx *c, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *list = json_array();
        int r = db_query(c->db, &s, "SELECT DISTINCT project_id FROM network_quotas ORDER BY project_id", "");
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(list, json_string(db_col_text(s, 0)));
        if (r < 0) {
                json_decref(list);
                return res_db_error(c, r, RES_QUOTA, "reading quotas");
        }
        *ret = list;
        return 0;
}

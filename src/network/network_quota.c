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
                limit = *(const int64_t *) ((const char *) networking.cfg + q->config_offset);
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

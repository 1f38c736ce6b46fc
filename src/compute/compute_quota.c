/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compute quotas: each project's limits (its own rows in quotas, else the
 * defaults of [compute] in gureum.conf) and what it uses, counted from the
 * servers themselves so there is no usage counter to drift.  Checks run in
 * the transaction of the change they guard.
 */
#include "compute/compute_internal.h"

static int64_t default_limit(const char *resource) {
        const Config *cfg = compute.cfg;
        static const struct {
                const char *name;
                size_t offset;
        } keys[] = {
                { "instances", offsetof(Config, compute_quota_instances) },
                { "cores", offsetof(Config, compute_quota_cores) },
                { "ram", offsetof(Config, compute_quota_ram) },
                { "metadata_items", offsetof(Config, compute_quota_metadata_items) },
                { "key_pairs", offsetof(Config, compute_quota_key_pairs) },
                { "server_groups", offsetof(Config, compute_quota_server_groups) },
                { "server_group_members", offsetof(Config, compute_quota_server_group_members) },
        };
        for (size_t i = 0; cfg && i < ELEMENTSOF(keys); i++)
                if (streq(keys[i].name, resource))
                        return *(const int64_t *) ((const char *) cfg + keys[i].offset);
        return -1;
}

int compute_quota_limit(Ctx *c, const char *project_id, const char *resource, int64_t *ret) {
        int r = db_query_int(c->db, ret, "SELECT hard_limit FROM quotas WHERE project_id = ? AND resource = ?", "ss",
                             project_id, resource);
        if (r == -ENOENT) {
                *ret = default_limit(resource);
                return 0;
        }
        return r < 0 ? res_db_error(c, r, RES_QUOTA, "reading quotas") : 0;
}

/* Servers count against quotas until they are deleted. */
#define LIVE "vm_state NOT IN ('deleted', 'soft-delete')"

int compute_quota_servers(Ctx *c, const char *project_id, int64_t min_count, int64_t count, int64_t vcpus,
                          int64_t memory_mb, int64_t *ret_allowed) {
        static const char *const resources[] = { "instances", "cores", "ram" };
        int64_t per_server[] = { 1, vcpus, memory_mb }, used[3] = {}, limit[3];
        _cleanup_stmt_ DbStmt *s = NULL;
        int64_t allowed = count;
        int r;

        r = db_query(c->db, &s,
                     "SELECT COUNT(*), COALESCE(SUM(vcpus), 0), COALESCE(SUM(memory_mb), 0) FROM servers"
                     " WHERE project_id = ? AND " LIVE, "s", project_id);
        if (r >= 0)
                r = db_step(s);
        if (r <= 0)
                return res_db_error(c, r == 0 ? -EIO : r, RES_QUOTA, "counting a project's servers");
        for (int i = 0; i < 3; i++)
                used[i] = db_col_int(s, i);
        for (int i = 0; i < 3; i++) {
                r = compute_quota_limit(c, project_id, resources[i], &limit[i]);
                if (r < 0)
                        return r;
                if (limit[i] < 0 || per_server[i] == 0)
                        continue;
                int64_t fit = limit[i] > used[i] ? (limit[i] - used[i]) / per_server[i] : 0;
                if (fit < allowed)
                        allowed = fit;
        }
        if (allowed < min_count) {
                /* Nova's TooManyInstances, naming every resource that is short. */
                char overs[64] = "";
                int i_first = -1;
                for (int i = 0; i < 3; i++)
                        if (limit[i] >= 0 && used[i] + min_count * per_server[i] > limit[i]) {
                                size_t n = strlen(overs);
                                snprintf(overs + n, sizeof(overs) - n, "%s%s", n ? ", " : "", resources[i]);
                                if (i_first < 0)
                                        i_first = i;
                        }
                if (i_first < 0)
                        i_first = 0;
                return ctx_error(c, -EDQUOT, RES_QUOTA,
                                 "Quota exceeded for %s: Requested %lld, but already used %lld of %lld %s", overs,
                                 (long long) (min_count * per_server[i_first]), (long long) used[i_first],
                                 (long long) limit[i_first], overs);
        }
        *ret_allowed = allowed;
        return 0;
}

/* Appends text to a ", "-separated list in buf. */
static void list_append(char *buf, size_t size, const char *text) {
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, "%s%s", n ? ", " : "", text);
}

int compute_quota_resize(Ctx *c, const char *project_id, int64_t vcpus, int64_t memory_mb) {
        static const char *const resources[] = { "cores", "ram" };
        const int64_t delta[] = { vcpus, memory_mb };
        int64_t used[2] = {}, limit[2];
        char overs[32] = "", reqs[64] = "", useds[64] = "", alloweds[64] = "";
        _cleanup_stmt_ DbStmt *s = NULL;
        int r;

        if (vcpus <= 0 && memory_mb <= 0)
                return 0;
        r = db_query(c->db, &s, "SELECT COALESCE(SUM(vcpus), 0), COALESCE(SUM(memory_mb), 0) FROM servers"
                                " WHERE project_id = ? AND " LIVE, "s", project_id);
        if (r >= 0)
                r = db_step(s);
        if (r <= 0)
                return res_db_error(c, r == 0 ? -EIO : r, RES_QUOTA, "counting a project's servers");
        for (int i = 0; i < 2; i++)
                used[i] = db_col_int(s, i);
        /* Nova's TooManyInstances for a resize: each resource over its limit, with what was asked, used and allowed. */
        for (int i = 0; i < 2; i++) {
                r = compute_quota_limit(c, project_id, resources[i], &limit[i]);
                if (r < 0)
                        return r;
                if (delta[i] <= 0 || limit[i] < 0 || used[i] + delta[i] <= limit[i])
                        continue;
                char num[24];
                list_append(overs, sizeof(overs), resources[i]);
                snprintf(num, sizeof(num), "%lld", (long long) delta[i]);
                list_append(reqs, sizeof(reqs), num);
                snprintf(num, sizeof(num), "%lld", (long long) used[i]);
                list_append(useds, sizeof(useds), num);
                snprintf(num, sizeof(num), "%lld", (long long) limit[i]);
                list_append(alloweds, sizeof(alloweds), num);
        }
        if (overs[0])
                return ctx_error(c, -EDQUOT, RES_QUOTA, "Quota exceeded for %s: Requested %s, but already used %s of %s %s",
                                 overs, reqs, useds, alloweds, overs);
        return 0;
}

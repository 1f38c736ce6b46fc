/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compute quotas: each project's limits (its own rows in quotas, else the
 * defaults of [compute] in gureum.conf) and what it uses, counted from the
 * servers themselves so there is no usage counter to drift.  Checks run in
 * the transaction of the change they guard.  Below them, what
 * os-quota-sets and limits show and change: every resource's limit and
 * use, and admins' new limits, refused when under what is used.
 */
#include "compute/compute_internal.h"
#include "identity/identity_resources.h"
#include "util/log.h"

/*
 * Nova's quota resources, in the order its API lists them, with where
 * each default comes from: a [compute] key of gureum.conf for those the
 * compute service enforces, else Nova's own default (the injected file
 * limits of server create's personality, and -1, unlimited, for the
 * network resources, which the network service will count).
 */
static const struct {
        const char *name;
        ssize_t offset;          /* of the config key, or -1 */
        int64_t fixed;           /* the default when there is no key */
} quota_resources[] = {
        { "instances", offsetof(Config, compute_quota_instances), 10 },
        { "cores", offsetof(Config, compute_quota_cores), 20 },
        { "ram", offsetof(Config, compute_quota_ram), 51200 },
        { "floating_ips", -1, -1 },
        { "fixed_ips", -1, -1 },
        { "metadata_items", offsetof(Config, compute_quota_metadata_items), 128 },
        { "injected_files", -1, 5 },
        { "injected_file_content_bytes", -1, 10240 },
        { "injected_file_path_bytes", -1, 255 },
        { "key_pairs", offsetof(Config, compute_quota_key_pairs), 100 },
        { "security_groups", -1, -1 },
        { "security_group_rules", -1, -1 },
        { "server_groups", offsetof(Config, compute_quota_server_groups), 10 },
        { "server_group_members", offsetof(Config, compute_quota_server_group_members), 10 },
};

const char *compute_quota_resource(size_t i) {
        return i < ELEMENTSOF(quota_resources) ? quota_resources[i].name : NULL;
}

static int64_t default_limit(const char *resource) {
        const Config *cfg = compute.cfg;
        for (size_t i = 0; i < ELEMENTSOF(quota_resources); i++)
                if (streq(quota_resources[i].name, resource))
                        return quota_resources[i].offset >= 0 && cfg
                                       ? *(const int64_t *) ((const char *) cfg + quota_resources[i].offset)
                                       : quota_resources[i].fixed;
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

/* ---- os-quota-sets and limits ---- */

int compute_project_check(Ctx *c, const char *project_id) {
        _cleanup_json_ json_t *rec = NULL;
        int r = res_lookup(c, &res_project, project_id, &rec);
        if (r == -ENOENT)
                return ctx_error(c, -EINVAL, RES_QUOTA, "Project ID %s is not a valid project.", project_id);
        return r < 0 ? r : 0;
}

int compute_quota_defaults(Ctx *c, json_t **ret) {
        json_t *o = json_object();
        for (size_t i = 0; i < ELEMENTSOF(quota_resources); i++)
                json_object_set_new(o, quota_resources[i].name, json_integer(default_limit(quota_resources[i].name)));
        *ret = o;
        return 0;
}

int compute_quota_get(Ctx *c, const char *project_id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *o = NULL;
        int r = compute_quota_defaults(c, &o);
        if (r >= 0)
                r = db_query(c->db, &s, "SELECT resource, hard_limit FROM quotas WHERE project_id = ?", "s", project_id);
        while (r >= 0 && (r = db_step(s)) > 0)
                if (json_object_get(o, db_col_text(s, 0)))
                        json_object_set_new(o, db_col_text(s, 0), json_integer(db_col_int(s, 1)));
        if (r < 0) {
                json_decref(o);
                return res_db_error(c, r, RES_QUOTA, "reading quotas");
        }
        *ret = o;
        return 0;
}

/* What project_id uses of each resource; Nova counts key pairs and group members per user, so 0 here. */
int compute_quota_usage(Ctx *c, const char *project_id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int64_t groups = 0;
        int r = db_query(c->db, &s,
                         "SELECT COUNT(*), COALESCE(SUM(vcpus), 0), COALESCE(SUM(memory_mb), 0) FROM servers"
                         " WHERE project_id = ? AND " LIVE, "s", project_id);
        if (r >= 0)
                r = db_step(s);
        if (r == 0)
                r = -EIO;
        if (r > 0)
                r = db_query_int(c->db, &groups, "SELECT COUNT(*) FROM server_groups WHERE project_id = ?", "s",
                                 project_id);
        if (r < 0)
                return res_db_error(c, r, RES_QUOTA, "counting a project's resources");
        json_t *o = json_object();
        for (size_t i = 0; i < ELEMENTSOF(quota_resources); i++)
                json_object_set_new(o, quota_resources[i].name, json_integer(0));
        json_object_set_new(o, "instances", json_integer(db_col_int(s, 0)));
        json_object_set_new(o, "cores", json_integer(db_col_int(s, 1)));
        json_object_set_new(o, "ram", json_integer(db_col_int(s, 2)));
        json_object_set_new(o, "server_groups", json_integer(groups));
        *ret = o;
        return 0;
}

typedef struct QuotaChange {
        const char *project_id;
        const json_t *limits;    /* resource -> new limit; NULL: back to the defaults */
        bool force;
} QuotaChange;

static int quota_set_locked(Ctx *c, void *userdata) {
        const QuotaChange *ch = userdata;
        _cleanup_json_ json_t *used = NULL;
        const char *key;
        json_t *v;
        int r;

        if (!ch->limits) {
                r = db_run(c->db, "DELETE FROM quotas WHERE project_id = ?", "s", ch->project_id);
                return r < 0 ? res_db_error(c, r, RES_QUOTA, "removing quotas") : 0;
        }
        r = compute_quota_usage(c, ch->project_id, &used);
        if (r < 0)
                return r;
        /* Every value is checked before any is written, as Nova does. */
        json_object_foreach((json_t *) ch->limits, key, v) {
                int64_t limit = json_integer_value(v), in_use = json_integer_value(json_object_get(used, key));
                if (!json_object_get(used, key))
                        return ctx_error(c, -EINVAL, RES_QUOTA, "Unknown quota resources %s.", key);
                if (!ch->force && limit >= 0 && limit < in_use)
                        return ctx_error(c, -EINVAL, RES_QUOTA, "Quota limit %lld for %s must be greater than or "
                                         "equal to already used and reserved %lld.", (long long) limit, key,
                                         (long long) in_use);
        }
        json_object_foreach((json_t *) ch->limits, key, v) {
                r = db_run(c->db,
                           "INSERT INTO quotas (project_id, resource, hard_limit) VALUES (?, ?, ?)"
                           " ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit",
                           "ssi", ch->project_id, key, (int64_t) json_integer_value(v));
                if (r < 0)
                        return res_db_error(c, r, RES_QUOTA, "storing quotas");
        }
        return 0;
}

int compute_quota_set(Ctx *c, const char *project_id, const json_t *limits, bool force) {
        QuotaChange ch = { project_id, limits, force };
        int r = res_transaction(c, "changing quotas", quota_set_locked, &ch);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "compute", c->request_id, "%s the quotas of project %s",
                         limits ? "changed" : "reset", project_id);
        return r;
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

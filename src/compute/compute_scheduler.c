/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scheduler: picks a host for a server and claims what the server
 * needs there, in the caller's transaction.  Hosts are filtered by zone,
 * by what they have left under the allocation ratios (after the memory
 * and disk reserved for the host itself), and by the server group's
 * policy; among those left, the one with the most free memory wins, as
 * Nova's default weigher spreads servers out.  The claim is a row in
 * allocations written in the same transaction that read the usage, and
 * writes are serialised (SQLite's write lock, PostgreSQL's row locks on
 * the host), so concurrent creates never overcommit.
 */
#include "compute/compute_internal.h"
#include "util/log.h"

typedef struct Candidate {
        char *name;
        double free_ram;         /* what is left after the claim, for weighing */
        int64_t members;         /* servers of the request's group already there */
} Candidate;

typedef struct GroupRule {
        const char *policy;      /* affinity, anti-affinity, soft-affinity, soft-anti-affinity, or NULL */
        int64_t max_per_host;    /* anti-affinity's max_server_per_host (1 unless the rules say otherwise) */
} GroupRule;

static int load_group(Ctx *c, const char *group_id, GroupRule *ret, json_t **ret_rec) {
        int r = res_lookup(c, &res_server_group, group_id, ret_rec);
        if (r == -ENOENT)
                return ctx_error(c, -EINVAL, RES_SERVER_GROUP, "Invalid server group %s.", group_id);
        if (r < 0)
                return r;
        ret->policy = jx_string(*ret_rec, "policy");
        json_t *max = json_object_get(json_object_get(*ret_rec, "rules"), "max_server_per_host");
        ret->max_per_host = json_is_integer(max) && json_integer_value(max) > 0 ? json_integer_value(max) : 1;
        return 0;
}

/* How many servers of group_id (other than server_id) live on host. */
static int group_members_on(Ctx *c, const char *group_id, const char *host, const char *server_id, int64_t *ret) {
        int r = db_query_int(c->db, ret,
                             "SELECT COUNT(*) FROM server_group_members m JOIN servers s ON s.id = m.server_id"
                             " WHERE m.group_id = ? AND s.host = ? AND s.id <> ? AND s.vm_state <> 'deleted'",
                             "sss", group_id, host, server_id);
        return r < 0 ? res_db_error(c, r, RES_SERVER_GROUP, "reading a server group") : 0;
}

static int group_placed(Ctx *c, const char *group_id, const char *server_id, int64_t *ret) {
        int r = db_query_int(c->db, ret,
                             "SELECT COUNT(*) FROM server_group_members m JOIN servers s ON s.id = m.server_id"
                             " WHERE m.group_id = ? AND s.host IS NOT NULL AND s.id <> ? AND s.vm_state <> 'deleted'",
                             "ss", group_id, server_id);
        return r < 0 ? res_db_error(c, r, RES_SERVER_GROUP, "reading a server group") : 0;
}

/* Whether a host with members of the group may take the server, under the group's hard policy. */
static bool group_allows(const GroupRule *g, int64_t members, int64_t placed) {
        if (!g->policy)
                return true;
        if (streq(g->policy, "affinity"))
                return placed == 0 || members > 0;
        if (streq(g->policy, "anti-affinity"))
                return members < g->max_per_host;
        return true; /* the soft policies only weigh */
}

/* Better first: the soft policies, then free memory, then the name for a stable order. */
static int compare(const void *a, const void *b, void *userdata) {
        const Candidate *x = a, *y = b;
        const GroupRule *g = userdata;
        if (g->policy && streq(g->policy, "soft-affinity") && x->members != y->members)
                return x->members > y->members ? -1 : 1;
        if (g->policy && streq(g->policy, "soft-anti-affinity") && x->members != y->members)
                return x->members < y->members ? -1 : 1;
        if (x->free_ram != y->free_ram)
                return x->free_ram > y->free_ram ? -1 : 1;
        return strcmp(x->name, y->name);
}

static void candidates_free(Candidate *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i].name);
        free(v);
}

int compute_schedule(Ctx *c, const SchedRequest *rq, const char *server_id, const char *kind, char **ret_host) {
        const Config *cfg = compute.cfg;
        _cleanup_json_ json_t *group = NULL;
        _cleanup_stmt_ DbStmt *s = NULL;
        GroupRule g = {};
        Candidate *v = NULL;
        size_t n = 0;
        int64_t placed = 0;
        int r;

        if (rq->group_id) {
                r = load_group(c, rq->group_id, &g, &group);
                if (r >= 0)
                        r = group_placed(c, rq->group_id, server_id, &placed);
                if (r < 0)
                        return r;
        }
        r = db_query(c->db, &s,
                     "SELECT h.name, h.vcpus, h.memory_mb, h.disk_gb, COALESCE(SUM(a.vcpus), 0),"
                     " COALESCE(SUM(a.memory_mb), 0), COALESCE(SUM(a.disk_gb), 0)"
                     " FROM compute_hosts h LEFT JOIN allocations a ON a.host = h.name AND a.server_id <> ?"
                     " WHERE h.disabled = 0 AND h.forced_down = 0 AND h.heartbeat_at > ?"
                     " AND (? IS NULL OR h.availability_zone = ?) AND (? IS NULL OR h.name = ?)"
                     " GROUP BY h.name, h.vcpus, h.memory_mb, h.disk_gb ORDER BY h.name",
                     "sis" "s" "ss", rq->ignore_server ? rq->ignore_server : "", now_usec() - COMPUTE_HOST_DOWN_USEC,
                     rq->availability_zone, rq->availability_zone, rq->host, rq->host);
        while (r >= 0 && (r = db_step(s)) > 0) {
                double vcpu_cap = (double) db_col_int(s, 1) * cfg->compute_cpu_ratio;
                double ram_cap = (double) (db_col_int(s, 2) - cfg->compute_reserved_memory_mb) * cfg->compute_ram_ratio;
                double disk_cap = ((double) db_col_int(s, 3) - (double) cfg->compute_reserved_disk_mb / 1024.0) *
                                  cfg->compute_disk_ratio;
                double vcpus = (double) (db_col_int(s, 4) + rq->vcpus), ram = (double) (db_col_int(s, 5) + rq->memory_mb);
                double disk = (double) (db_col_int(s, 6) + rq->disk_gb);
                if (vcpus > vcpu_cap || ram > ram_cap || disk > disk_cap)
                        continue;
                v = xrealloc(v, (n + 1) * sizeof(Candidate));
                v[n++] = (Candidate) { .name = db_col_strdup(s, 0), .free_ram = ram_cap - ram };
        }
        db_stmt_release(TAKE_PTR(s));
        if (r < 0) {
                candidates_free(v, n);
                return res_db_error(c, r, RES_HOST, "reading the compute hosts");
        }
        /* The group's policy, which needs each candidate's count of members. */
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
                if (rq->group_id) {
                        r = group_members_on(c, rq->group_id, v[i].name, server_id, &v[i].members);
                        if (r < 0) {
                                candidates_free(v, n);
                                return r;
                        }
                }
                if (group_allows(&g, v[i].members, placed))
                        v[kept++] = v[i];
                else
                        free(v[i].name);
        }
        n = kept;
        if (n == 0) {
                free(v);
                return ctx_error(c, -ENOSPC, RES_SERVER,
                                 "No valid host was found. There are not enough hosts available.");
        }
        qsort_r(v, n, sizeof(Candidate), compare, &g);
        r = db_run(c->db,
                   "INSERT INTO allocations (server_id, host, kind, vcpus, memory_mb, disk_gb, created_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (server_id, kind) DO UPDATE SET host = excluded.host,"
                   " vcpus = excluded.vcpus, memory_mb = excluded.memory_mb, disk_gb = excluded.disk_gb",
                   "sssiiii", server_id, v[0].name, kind, rq->vcpus, rq->memory_mb, rq->disk_gb, now_usec());
        if (r < 0) {
                candidates_free(v, n);
                return res_db_error(c, r, RES_HOST, "claiming resources on a host");
        }
        log_full(LOG_LEVEL_DEBUG, "compute", c->request_id, "scheduled %s on %s", server_id, v[0].name);
        *ret_host = TAKE_PTR(v[0].name);
        candidates_free(v, n);
        return 0;
}

int compute_allocations_release(Ctx *c, const char *server_id, const char *kind) {
        int r = kind ? db_run(c->db, "DELETE FROM allocations WHERE server_id = ? AND kind = ?", "ss", server_id, kind)
                     : db_run(c->db, "DELETE FROM allocations WHERE server_id = ?", "s", server_id);
        return r < 0 ? res_db_error(c, r, RES_HOST, "releasing a server's resources") : 0;
}

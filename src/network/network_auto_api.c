/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /v2.0/auto-allocated-topology/{project_id}: Neutron's get-me-a-network.
 * GET returns the project's topology, made on the first call, or with
 * ?fields=dry-run only checks that one can be made; DELETE takes it
 * down.  A project reaches its own; admins anyone's.  "None" stands for
 * the caller's project, as clients that know none send it.
 */
#include "network/network_api.h"
#include "util/log.h"

static int project_for(Ctx *c, const ApiCall *call, const char **ret) {
        int r = network_api_project_param(c, call, RES_AUTO_TOPOLOGY, ret);
        if (r < 0)
                return r;
        if (streq(*ret, "None"))
                *ret = c->auth.project_id;
        if (!*ret || (!c->auth.is_admin && !streq(*ret, c->auth.project_id)))
                return ctx_error(c, -EACCES, RES_AUTO_TOPOLOGY, "Not authorized.");
        return 0;
}

static json_t *topology_json(const char *id, const char *project_id) {
        return json_pack("{s:{s:s, s:s, s:s}}", "auto_allocated_topology", "id", id, "tenant_id", project_id,
                         "project_id", project_id);
}

typedef struct Call {
        const char *project_id;
        char *network_id;        /* out */
} Call;

static int get_locked(Ctx *c, void *userdata) {
        Call *call = userdata;
        return network_auto_topology(c, call->project_id, &call->network_id);
}

static int delete_locked(Ctx *c, void *userdata) {
        Call *call = userdata;
        return network_auto_topology_delete(c, call->project_id);
}

static int topology_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_strv_free_ char **fields = api_query_all(call, "fields");
        Call op = {};
        int r = project_for(c, call, &op.project_id);
        if (r < 0)
                return r;
        if (fields && fields[0]) {
                /* The only field this resource knows is the requirements check. */
                bool dry_run = false;
                for (size_t i = 0; fields[i]; i++)
                        dry_run |= streq(fields[i], "dry-run");
                if (!dry_run)
                        return ctx_error(c, -EINVAL, RES_AUTO_TOPOLOGY, "Unrecognized field");
                if ((r = network_auto_check(c)) < 0)
                        return r;
                reply->body = topology_json("dry-run=pass", op.project_id);
                return 0;
        }
        r = res_transaction(c, "allocating a topology", get_locked, &op);
        if (r >= 0) {
                network_dataplane_poke();
                reply->body = topology_json(op.network_id, op.project_id);
        }
        free(op.network_id);
        return r;
}

static int topology_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        Call op = {};
        int r = project_for(c, call, &op.project_id);
        if (r < 0)
                return r;
        r = res_transaction(c, "deleting a topology", delete_locked, &op);
        if (r >= 0) {
                network_dataplane_poke();
                log_full(LOG_LEVEL_INFO, "network", c->request_id, "deleted the auto-allocated topology of %s",
                         op.project_id);
        }
        return r;
}

const NetExtension network_auto_extensions[] = {
        { "auto-allocated-topology", "Auto Allocated Topology Services", "Auto Allocated Topology Services." },
        {},
};

const ApiRoute network_auto_routes[] = {
        { "GET", "/v2.0/auto-allocated-topology/{project_id}", topology_show, POLICY_AUTHENTICATED },
        { "DELETE", "/v2.0/auto-allocated-topology/{project_id}", topology_delete, POLICY_AUTHENTICATED, NULL, 204 },
        {},
};

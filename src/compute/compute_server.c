/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Servers: the record, who may see it, and the one way the API changes a
 * server's state (compute_server_action): the checks Nova makes (lock,
 * vm_state, a task already running) with Nova's 409 messages, then the
 * task state, the instance action and the task, in one transaction, so a
 * restart always finds the work that a state promises.  Tasks end their
 * work with compute_server_settle.
 */
#include "compute/compute_internal.h"
#include "util/log.h"

static const ResField server_fields[] = {
        { "name", RES_STRING, RES_REQUIRED | RES_SORT },
        { "project_id", RES_STRING, RES_REQUIRED | RES_IMMUTABLE | RES_SORT },
        { "user_id", RES_STRING, RES_REQUIRED | RES_IMMUTABLE | RES_SORT },
        { "image_id", RES_STRING, 0 },
        { "flavor_id", RES_STRING, RES_REQUIRED },
        { "flavor", RES_JSON, RES_REQUIRED },
        { "old_flavor", RES_JSON, 0 },
        { "vcpus", RES_INT, RES_REQUIRED },
        { "memory_mb", RES_INT, RES_REQUIRED },
        { "root_gb", RES_INT, RES_REQUIRED },
        { "vm_state", RES_STRING, RES_REQUIRED | RES_SORT },
        { "task_state", RES_STRING, RES_SORT },
        { "power_state", RES_INT, 0 },
        { "host", RES_STRING, RES_SORT },
        { "availability_zone", RES_STRING, RES_SORT },
        { "key_name", RES_STRING, RES_SORT },
        { "key_data", RES_STRING, 0 },
        { "user_data", RES_STRING, 0 },
        { "config_drive", RES_BOOL, 0 },
        { "access_ipv4", RES_STRING, 0 },
        { "access_ipv6", RES_STRING, 0 },
        { "description", RES_STRING, 0 },
        { "hostname", RES_STRING, RES_REQUIRED | RES_SORT },
        { "reservation_id", RES_STRING, RES_REQUIRED },
        { "launch_index", RES_INT, RES_SORT },
        { "locked", RES_BOOL, 0 },
        { "locked_by", RES_STRING, 0 },
        { "locked_reason", RES_STRING, 0 },
        { "progress", RES_INT, 0 },
        { "fault", RES_JSON, 0 },
        { "rescue_image_id", RES_STRING, 0 },
        { "shelved_image_id", RES_STRING, 0 },
        { "launched_at", RES_TIME, RES_SORT },
        { "terminated_at", RES_TIME, RES_SORT },
        { "deleted_at", RES_TIME, 0 },
        { "created_at", RES_TIME, RES_SORT },
        { "updated_at", RES_TIME, RES_SORT },
        {},
};

const ResDef res_server = {
        .kind = RES_SERVER, .table = "servers", .singular = "server", .plural = "servers",
        .fields = server_fields, .id_kind = RES_ID_UUID, .order_by = "created_at desc, id desc",
        .not_found = "Instance %s could not be found.",
};

int compute_server_load(Ctx *c, const char *id, json_t **ret) {
        return res_lookup(c, &res_server, id, ret);
}

static int not_found(Ctx *c, const char *id) {
        return ctx_error(c, -ENOENT, RES_SERVER, "Instance %s could not be found.", id);
}

int compute_server_get(Ctx *c, const char *id, json_t **ret) {
        _cleanup_json_ json_t *rec = NULL;
        int r = compute_server_load(c, id, &rec);
        if (r == -ENOENT)
                return not_found(c, id);
        if (r < 0)
                return r;
        if (streq_ptr(jx_string(rec, "vm_state"), "deleted") ||
            (!c->auth.is_admin && !streq_ptr(jx_string(rec, "project_id"), c->auth.project_id)))
                return not_found(c, id);
        *ret = TAKE_PTR(rec);
        return 0;
}

int compute_server_fault(Ctx *c, const char *id, int code, const char *message) {
        char created[32];
        /* Messages quote tools' output (qemu-img, libvirt), which need not be UTF-8. */
        _cleanup_free_ char *clean = utf8_sanitize(message);
        _cleanup_json_ json_t *patch = json_pack("{s:{s:i, s:s, s:s}}", "fault", "code", code, "message", clean,
                                                 "created", format_iso8601(now_usec(), created));
        return res_patch(c, &res_server, id, patch);
}

typedef struct ActionRun {
        const char *id;
        const ServerAction *a;
        const json_t *patch;
        const json_t *payload;
        ServerActionHook hook;
        void *userdata;
} ActionRun;

int compute_server_action_check(Ctx *c, const json_t *rec, const ServerAction *a) {
        const char *id = jx_string(rec, "id"), *task = jx_string(rec, "task_state");
        VmState vm = vm_state_from_string(jx_string(rec, "vm_state"));

        if (json_is_true(json_object_get(rec, "locked")) && !c->auth.is_admin && !a->ignores_lock)
                return ctx_error(c, -EBUSY, RES_SERVER, "Instance %s is locked", id);
        if (vm < 0 || !(a->vm_states & VM_BIT(vm)))
                return ctx_error(c, -EBUSY, RES_SERVER, "Cannot '%s' instance %s while it is in vm_state %s", a->name, id,
                                 jx_string(rec, "vm_state"));
        if (task && !a->any_task_state)
                return ctx_error(c, -EBUSY, RES_SERVER, "Cannot '%s' instance %s while it is in task_state %s", a->name,
                                 id, task);
        return 0;
}

static int action_locked(Ctx *c, void *userdata) {
        const ActionRun *run = userdata;
        const ServerAction *a = run->a;
        _cleanup_json_ json_t *rec = NULL, *patch = NULL, *payload = NULL;
        int r = compute_server_get(c, run->id, &rec);
        if (r >= 0)
                r = compute_server_action_check(c, rec, a);
        if (r < 0)
                return r;
        patch = run->patch ? json_deep_copy(run->patch) : json_object();
        payload = run->payload ? json_deep_copy(run->payload) : json_object();
        if (run->hook && (r = run->hook(c, rec, patch, payload, run->userdata)) < 0)
                return r;
        if (a->task_state != TASK_NONE)
                json_object_set_new(patch, "task_state", json_string(task_state_to_string(a->task_state)));
        r = res_patch(c, &res_server, run->id, patch);
        if (r >= 0)
                r = compute_action_start(c, run->id, a->name);
        if (r >= 0 && a->task_kind)
                r = task_enqueue(c, a->task_kind, run->id, payload, NULL);
        return r;
}

int compute_server_action_with(Ctx *c, const char *id, const ServerAction *a, const json_t *patch,
                               const json_t *payload, ServerActionHook hook, void *userdata) {
        ActionRun run = { id, a, patch, payload, hook, userdata };
        int r = res_transaction(c, "changing a server", action_locked, &run);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "compute", c->request_id, "%s of server %s accepted", a->name, id);
        return r;
}

int compute_server_action(Ctx *c, const char *id, const ServerAction *a, const json_t *patch, const json_t *payload) {
        return compute_server_action_with(c, id, a, patch, payload, NULL, NULL);
}

typedef struct Settle {
        const char *id;
        const char *event;
        const json_t *patch;
} Settle;

static int settle_locked(Ctx *c, void *userdata) {
        const Settle *s = userdata;
        _cleanup_json_ json_t *rec = NULL, *patch = s->patch ? json_deep_copy(s->patch) : json_object();
        int r = compute_server_load(c, s->id, &rec);
        if (r == -ENOENT || (r >= 0 && streq_ptr(jx_string(rec, "vm_state"), "deleted")))
                return 0; /* deleted meanwhile: nothing left to settle */
        if (r < 0)
                return r;
        /* A delete asked for while the task ran keeps its task state: the delete task comes next. */
        if (streq_ptr(jx_string(rec, "task_state"), "deleting"))
                json_object_del(patch, "task_state");
        else
                json_object_set_new(patch, "task_state", json_null());
        r = res_patch(c, &res_server, s->id, patch);
        if (r >= 0 && s->event)
                r = compute_action_event(c, s->id, s->event, "Success", NULL);
        return r;
}

int compute_server_settle(Ctx *c, const char *id, const char *event, const json_t *patch) {
        Settle s = { id, event, patch };
        return res_transaction(c, "updating a server", settle_locked, &s);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compute tasks: building a server, deleting it, and the power
 * actions (stop, start, reboot, pause, unpause, suspend, resume); the
 * table of every task kind, the others' in compute_task_*.c; and the
 * helpers they share.  Each runs on the task queue's workers,
 * idempotently (a task may run again after a crash: the state on the
 * host is checked, not assumed), and ends with compute_server_settle,
 * which clears the task state and records the event.  A task that fails
 * for good leaves the server with a fault and its task state cleared
 * (ERROR, for a build).
 */
#include "compute/compute_lifecycle.h"
#include "image/image.h"
#include "util/log.h"

int compute_task_retryable(int r) {
        return r == -ECONNREFUSED || r == -ECONNRESET || r == -ENOTCONN || r == -EAGAIN || r == -EBUSY ? -EAGAIN : r;
}

int compute_task_server(Ctx *c, const Task *t, json_t **ret) {
        _cleanup_json_ json_t *rec = NULL;
        int r = compute_server_load(c, t->resource_id, &rec);
        if (r == -ENOENT || (r >= 0 && streq_ptr(jx_string(rec, "vm_state"), "deleted"))) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(rec);
        return 0;
}

int compute_server_set_task_state(Ctx *c, const char *id, const char *task_state) {
        _cleanup_json_ json_t *patch = json_pack("{s:s}", "task_state", task_state);
        return res_patch(c, &res_server, id, patch);
}

int compute_task_fail(Ctx *c, const Task *t, const char *vm_state, const char *event, const char *error) {
        _cleanup_json_ json_t *patch = json_pack("{s:n}", "task_state");
        if (vm_state)
                json_object_set_new(patch, "vm_state", json_string(vm_state));
        int r = res_patch(c, &res_server, t->resource_id, patch);
        if (r == -ENOENT) {
                ctx_clear_error(c);
                return 0;
        }
        if (r >= 0)
                r = compute_server_fault(c, t->resource_id, 500, error);
        if (r >= 0 && event)
                r = compute_action_event(c, t->resource_id, event, "Error", error);
        return r;
}

/* ---- build ---- */

static int server_build(Ctx *c, const Task *t) {
        _cleanup_json_ json_t *rec = NULL;
        ComputeHost *h;
        Error e = {};
        const char *id = t->resource_id;
        int r = compute_task_server(c, t, &rec);
        if (r < 0 || !rec || !streq_ptr(jx_string(rec, "vm_state"), "building"))
                return r;
        r = compute_guest_host(c, rec, &h);
        if (r < 0)
                return r;
        /* Run again after a crash that followed the start: the guest is there, only the record is behind. */
        if (compute_guest_power(h, id) != VIRT_POWER_RUNNING) {
                r = compute_server_set_task_state(c, id, "spawning");
                if (r >= 0)
                        r = compute_guest_disk_from_image(c, rec, jx_string(rec, "image_id"), "disk");
                if (r >= 0)
                        r = compute_guest_config_drive(c, rec, jx_string(t->payload, "admin_pass"));
                if (r >= 0)
                        r = compute_guest_define(c, rec, h);
                if (r >= 0 && (r = virt_start(&h->virt, id, &e)) < 0)
                        r = compute_guest_error(c, r, &e, "start", id);
                if (r < 0)
                        return compute_task_retryable(r);
        }
        _cleanup_json_ json_t *patch = json_pack("{s:s, s:i, s:I, s:i}", "vm_state", "active", "power_state",
                                                 VIRT_POWER_RUNNING, "launched_at", (json_int_t) now_usec(),
                                                 "progress", 100);
        r = compute_server_settle(c, id, "compute__do_build_and_run_instance", patch);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "compute", c->request_id, "server %s is active on %s", id,
                         jx_string(rec, "host"));
        return r;
}

/* A build that failed for good: the server is in ERROR with the reason as its fault. */
static int server_build_failed(Ctx *c, const Task *t, const char *error) {
        return compute_task_fail(c, t, "error", "compute__do_build_and_run_instance", error);
}

/* ---- delete ---- */

static int delete_rows(Ctx *c, void *userdata) {
        const char *id = userdata;
        int64_t now = now_usec();
        int r = compute_allocations_release(c, id, NULL);
        if (r >= 0)
                r = compute_nics_release(c, id);
        if (r < 0)
                return r;
        static const char *const cleanup[] = {
                "DELETE FROM server_metadata WHERE server_id = ?",
                "DELETE FROM server_tags WHERE server_id = ?",
                "DELETE FROM server_group_members WHERE server_id = ?",
        };
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(cleanup); i++)
                r = db_run(c->db, cleanup[i], "s", id);
        if (r < 0)
                return res_db_error(c, r, RES_SERVER, "deleting a server");
        _cleanup_json_ json_t *patch = json_pack("{s:s, s:n, s:i, s:I, s:I}", "vm_state", "deleted", "task_state",
                                                 "power_state", 0, "deleted_at", (json_int_t) now, "terminated_at",
                                                 (json_int_t) now);
        r = res_patch(c, &res_server, id, patch);
        if (r >= 0)
                r = compute_action_event(c, id, "compute_terminate_instance", "Success", NULL);
        return r;
}

static int server_delete(Ctx *c, const Task *t) {
        _cleanup_json_ json_t *rec = NULL;
        const char *id = t->resource_id;
        int r = compute_task_server(c, t, &rec);
        if (r < 0 || !rec)
                return r;
        /* A server that never got a host has nothing on any host; one on another daemon's host is its business. */
        const char *host = jx_string(rec, "host");
        ComputeHost *h = compute_host_find(host);
        if (host && !h)
                return compute_guest_host(c, rec, &h);
        r = compute_guest_remove(c, id, h);
        /* A shelved server's snapshot goes with it, as in Nova. */
        if (r >= 0 && !isempty(jx_string(rec, "shelved_image_id")))
                r = image_import_discard(c, jx_string(rec, "shelved_image_id"));
        if (r < 0)
                return compute_task_retryable(r);
        r = res_transaction(c, "deleting a server", delete_rows, (void *) id);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "compute", c->request_id, "server %s is deleted", id);
        return r;
}

/* A delete that failed for good leaves an ERROR server the owner can delete again. */
static int server_delete_failed(Ctx *c, const Task *t, const char *error) {
        return compute_task_fail(c, t, "error", "compute_terminate_instance", error);
}

/* ---- power actions ---- */

/* One power action: what to ask the hypervisor, and what the server is afterwards. */
typedef struct PowerOp {
        const char *kind;        /* the task kind */
        const char *event;       /* the instance action event, as Nova names it */
        VmState vm_after;
} PowerOp;

static int power_do(Ctx *c, const PowerOp *op, const json_t *rec, ComputeHost *h, const Task *t) {
        const char *id = jx_string(rec, "id"), *kind = op->kind;
        int64_t timeout = compute.cfg->compute_shutdown_timeout * 1000000LL;
        VirtPower p = compute_guest_power(h, id);
        Error e = {};
        int r = 0;

        if (streq(kind, "compute.server.stop"))
                r = p == VIRT_POWER_NOSTATE || p == VIRT_POWER_SHUTDOWN ? 0 : virt_stop(&h->virt, id, timeout, &e);
        else if (streq(kind, "compute.server.start") || streq(kind, "compute.server.resume")) {
                /* Defined afresh from the record and the disk: a domain lost by hand comes back. */
                if (p == VIRT_POWER_NOSTATE)
                        r = compute_guest_define(c, rec, h);
                if (r >= 0 && p != VIRT_POWER_RUNNING)
                        r = virt_start(&h->virt, id, &e);
        } else if (streq(kind, "compute.server.reboot")) {
                bool hard = !streq_ptr(jx_string(t->payload, "type"), "SOFT");
                if (p == VIRT_POWER_RUNNING)
                        r = virt_reboot(&h->virt, id, hard, timeout, &e);
                else {
                        /* Rebooting a guest that is off (or gone) starts it, as Nova's hard reboot does. */
                        if (p == VIRT_POWER_PAUSED)
                                r = virt_destroy(&h->virt, id, &e);
                        if (r >= 0)
                                r = compute_guest_define(c, rec, h);
                        if (r >= 0)
                                r = virt_start(&h->virt, id, &e);
                }
        } else if (streq(kind, "compute.server.pause"))
                r = p == VIRT_POWER_PAUSED ? 0 : virt_pause(&h->virt, id, true, &e);
        else if (streq(kind, "compute.server.unpause"))
                r = p == VIRT_POWER_RUNNING ? 0 : virt_pause(&h->virt, id, false, &e);
        else if (streq(kind, "compute.server.suspend"))
                r = p == VIRT_POWER_SUSPENDED || p == VIRT_POWER_SHUTDOWN ? 0 : virt_suspend(&h->virt, id, &e);
        if (r < 0 && !c->error)
                r = compute_guest_error(c, r, &e, op->event, id);
        return r;
}

static const PowerOp power_ops[] = {
        { "compute.server.stop", "compute_stop_instance", VM_STOPPED },
        { "compute.server.start", "compute_start_instance", VM_ACTIVE },
        { "compute.server.reboot", "compute_reboot_instance", VM_ACTIVE },
        { "compute.server.pause", "compute_pause_instance", VM_PAUSED },
        { "compute.server.unpause", "compute_unpause_instance", VM_ACTIVE },
        { "compute.server.suspend", "compute_suspend_instance", VM_SUSPENDED },
        { "compute.server.resume", "compute_resume_instance", VM_ACTIVE },
};

static const PowerOp *power_op(const char *kind) {
        for (size_t i = 0; i < ELEMENTSOF(power_ops); i++)
                if (streq(power_ops[i].kind, kind))
                        return &power_ops[i];
        return NULL;
}

static int server_power(Ctx *c, const Task *t) {
        const PowerOp *op = power_op(t->kind);
        _cleanup_json_ json_t *rec = NULL;
        ComputeHost *h;
        int r = compute_task_server(c, t, &rec);
        if (r < 0 || !rec)
                return r;
        r = compute_guest_host(c, rec, &h);
        if (r >= 0)
                r = power_do(c, op, rec, h, t);
        if (r < 0)
                return compute_task_retryable(r);
        _cleanup_json_ json_t *patch = json_pack("{s:s, s:i}", "vm_state", vm_state_to_string(op->vm_after),
                                                 "power_state", (int) compute_guest_power(h, t->resource_id));
        return compute_server_settle(c, t->resource_id, op->event, patch);
}

/* A power action that failed for good: the task state is cleared, the fault and the event say why. */
static int server_power_failed(Ctx *c, const Task *t, const char *error) {
        const PowerOp *op = power_op(t->kind);
        return compute_task_fail(c, t, NULL, op ? op->event : NULL, error);
}

/*
 * Building copies an image and boots; deleting may wait for an ACPI
 * shutdown: generous leases.  Snapshots copy and upload a whole disk.
 */
#define BUILD_LEASE (900 * 1000000LL)
#define POWER_LEASE (300 * 1000000LL)
#define IMAGE_LEASE (3600 * 1000000LL)

const TaskDef compute_tasks[] = {
        { "compute.server.build", server_build, server_build_failed, BUILD_LEASE },
        { "compute.server.delete", server_delete, server_delete_failed, POWER_LEASE },
        { "compute.server.stop", server_power, server_power_failed, POWER_LEASE },
        { "compute.server.start", server_power, server_power_failed, POWER_LEASE },
        { "compute.server.reboot", server_power, server_power_failed, POWER_LEASE },
        { "compute.server.pause", server_power, server_power_failed, POWER_LEASE },
        { "compute.server.unpause", server_power, server_power_failed, POWER_LEASE },
        { "compute.server.suspend", server_power, server_power_failed, POWER_LEASE },
        { "compute.server.resume", server_power, server_power_failed, POWER_LEASE },
        /* The actions beyond power (compute_lifecycle.h). */
        { "compute.server.rebuild", compute_task_rebuild, compute_task_rebuild_failed, BUILD_LEASE },
        { "compute.server.resize", compute_task_resize, compute_task_resize_failed, BUILD_LEASE },
        { "compute.server.resize_confirm", compute_task_resize_confirm, compute_task_resize_end_failed, POWER_LEASE },
        { "compute.server.resize_revert", compute_task_resize_revert, compute_task_resize_end_failed, POWER_LEASE },
        { "compute.server.snapshot", compute_task_snapshot, compute_task_snapshot_failed, IMAGE_LEASE },
        { "compute.server.rescue", compute_task_rescue, compute_task_rescue_failed, BUILD_LEASE },
        { "compute.server.unrescue", compute_task_unrescue, compute_task_rescue_failed, POWER_LEASE },
        { "compute.server.shelve", compute_task_shelve, compute_task_shelve_failed, IMAGE_LEASE },
        { "compute.server.shelve_offload", compute_task_shelve_offload, compute_task_shelve_failed, POWER_LEASE },
        { "compute.server.unshelve", compute_task_unshelve, compute_task_shelve_failed, IMAGE_LEASE },
        {},
};

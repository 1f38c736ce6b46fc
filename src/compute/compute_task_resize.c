/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The resize tasks, in place on the server's host.  A resize claims the
 * new flavor there (an allocation of kind "resize" beside "current", the
 * server's own claim not counted twice), powers the guest off, keeps the
 * disk as disk.resize-orig (a copy: the overlay is small), grows the
 * disk, records the new flavor (the old one in old_flavor), defines the
 * guest with it and starts it if it ran: VERIFY_RESIZE.  Confirming drops
 * the old claim and disk; reverting puts the old disk, flavor and claim
 * back.  Each step checks what is there first, so a task run again after
 * a crash picks up where the last run stopped.
 */
#include "compute/compute_lifecycle.h"
#include "storage/storage.h"

#define GIB (UINT64_C(1) << 30)

static int64_t int_of(const json_t *obj, const char *key) {
        return json_integer_value(json_object_get(obj, key));
}

/* A copy of rec with the sizes of flavor (a flavor snapshot), for defining the guest. */
static json_t *with_flavor(const json_t *rec, const json_t *flavor) {
        json_t *copy = json_deep_copy(rec);
        json_object_set_new(copy, "vcpus", json_integer(int_of(flavor, "vcpus")));
        json_object_set_new(copy, "memory_mb", json_integer(int_of(flavor, "ram")));
        json_object_set_new(copy, "root_gb", json_integer(int_of(flavor, "disk")));
        return copy;
}

/* The record's fields of a flavor snapshot, for the settling patch. */
static void set_flavor(json_t *patch, const json_t *flavor) {
        json_object_set(patch, "flavor", (json_t *) flavor);
        json_object_set(patch, "flavor_id", json_object_get(flavor, "id"));
        json_object_set_new(patch, "vcpus", json_integer(int_of(flavor, "vcpus")));
        json_object_set_new(patch, "memory_mb", json_integer(int_of(flavor, "ram")));
        json_object_set_new(patch, "root_gb", json_integer(int_of(flavor, "disk")));
}

static bool exists(const char *path) {
        return path && access(path, F_OK) == 0;
}

/* ---- the claims ---- */

typedef struct Claim {
        const json_t *rec;
        const json_t *flavor;
} Claim;

/* The new flavor's claim on the server's own host, unless a run before made it. */
static int claim_locked(Ctx *c, void *userdata) {
        const Claim *cl = userdata;
        const char *id = jx_string(cl->rec, "id");
        _cleanup_free_ char *host = NULL;
        int64_t n = 0;
        int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM allocations WHERE server_id = ? AND kind = 'resize'", "s",
                             id);
        if (r < 0)
                return res_db_error(c, r, RES_HOST, "reading a server's claims");
        if (n > 0)
                return 0;
        SchedRequest rq = {
                .vcpus = int_of(cl->flavor, "vcpus"), .memory_mb = int_of(cl->flavor, "ram"),
                .disk_gb = int_of(cl->flavor, "disk"), .ignore_server = id, .host = jx_string(cl->rec, "host"),
        };
        return compute_schedule(c, &rq, id, "resize", &host);
}

/* Confirmed: the new claim is the server's claim from now on. */
static int promote_locked(Ctx *c, void *userdata) {
        const char *id = userdata;
        int64_t n = 0;
        int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM allocations WHERE server_id = ? AND kind = 'resize'", "s",
                             id);
        if (r < 0)
                return res_db_error(c, r, RES_HOST, "reading a server's claims");
        if (n == 0)
                return 0; /* a run before did it */
        r = compute_allocations_release(c, id, "current");
        if (r >= 0 && (r = db_run(c->db, "UPDATE allocations SET kind = 'current' WHERE server_id = ? AND kind = 'resize'",
                                  "s", id)) < 0)
                r = res_db_error(c, r, RES_HOST, "moving a server's claim");
        return r;
}

static int release_locked(Ctx *c, void *userdata) {
        return compute_allocations_release(c, userdata, "resize");
}

/* ---- resize ---- */

int compute_task_resize(Ctx *c, const Task *t) {
        _cleanup_json_ json_t *rec = NULL, *sized = NULL, *patch = NULL;
        const char *id = t->resource_id;
        const json_t *flavor = json_object_get(t->payload, "flavor");
        bool power_on = json_is_true(json_object_get(t->payload, "power_on"));
        ComputeHost *h;
        Error e = {};
        int r = compute_task_server(c, t, &rec);
        if (r < 0 || !rec)
                return r;
        const char *task = jx_string(rec, "task_state");
        if (!streq_ptr(task, "resize_prep") && !streq_ptr(task, "resize_migrating") &&
            !streq_ptr(task, "resize_finish"))
                return 0; /* settled already, or reset by an admin */
        _cleanup_free_ char *disk = compute_instance_path(id, "disk"), *orig = compute_instance_path(id, "disk.resize-orig");
        r = compute_guest_host(c, rec, &h);
        if (r < 0)
                return compute_task_retryable(r);
        Claim cl = { rec, flavor };
        r = res_transaction(c, "claiming resources for a resize", claim_locked, &cl);
        if (r < 0)
                return r == -ENOSPC ? r : compute_task_retryable(r);

        /* The old disk is kept whole until the resize is confirmed; once kept, a run again must not copy the grown one. */
        r = compute_server_set_task_state(c, id, "resize_migrating");
        if (r >= 0)
                r = compute_guest_stop(c, rec, h, true);
        if (r >= 0 && !exists(orig) && (r = storage_disk_copy(disk, orig, &e)) < 0)
                r = compute_guest_error(c, r, &e, "keep the disk of", id);
        if (r >= 0)
                r = compute_server_set_task_state(c, id, "resize_finish");
        if (r >= 0 && (r = storage_disk_grow(disk, (uint64_t) int_of(flavor, "disk") * GIB, &e)) < 0)
                r = compute_guest_error(c, r, &e, "grow the disk of", id);
        if (r < 0)
                return compute_task_retryable(r);
        sized = with_flavor(rec, flavor);
        r = compute_guest_define(c, sized, h);
        if (r >= 0 && power_on && compute_guest_power(h, id) != VIRT_POWER_RUNNING &&
            (r = virt_start(&h->virt, id, &e)) < 0)
                r = compute_guest_error(c, r, &e, "start", id);
        if (r < 0)
                return compute_task_retryable(r);

        patch = json_pack("{s:s, s:O, s:i, s:i}", "vm_state", "resized", "old_flavor", json_object_get(rec, "flavor"),
                          "power_state", (int) compute_guest_power(h, id), "progress", 100);
        set_flavor(patch, flavor);
        return compute_server_settle(c, id, "compute_finish_resize", patch);
}

/*
 * A resize that failed for good: the new claim goes, the old disk comes
 * back (it may have grown), and the server keeps its flavor, with the
 * fault saying why (Nova's resize rolls back the same way).
 */
int compute_task_resize_failed(Ctx *c, const Task *t, const char *error) {
        const char *id = t->resource_id;
        _cleanup_free_ char *disk = compute_instance_path(id, "disk"), *orig = compute_instance_path(id, "disk.resize-orig");
        if (exists(orig))
                (void) rename(orig, disk);
        int r = compute_allocations_release(c, id, "resize");
        if (r >= 0)
                r = compute_task_fail(c, t, NULL, "compute_finish_resize", error);
        return r;
}

/* ---- confirm, revert ---- */

int compute_task_resize_confirm(Ctx *c, const Task *t) {
        _cleanup_json_ json_t *rec = NULL, *patch = NULL;
        const char *id = t->resource_id;
        ComputeHost *h;
        int r = compute_task_server(c, t, &rec);
        if (r < 0 || !rec)
                return r;
        if (!streq_ptr(jx_string(rec, "vm_state"), "resized") ||
            !streq_ptr(jx_string(rec, "task_state"), "resize_confirming"))
                return 0;
        _cleanup_free_ char *orig = compute_instance_path(id, "disk.resize-orig");
        r = compute_guest_host(c, rec, &h);
        if (r < 0)
                return compute_task_retryable(r);
        if (orig && unlink(orig) < 0 && errno != ENOENT)
                return ctx_error(c, -errno, RES_SERVER, "Cannot remove the old disk of server %s: %s.", id, strerror(errno));
        r = res_transaction(c, "confirming a resize", promote_locked, (void *) id);
        if (r < 0)
                return compute_task_retryable(r);
        VirtPower p = compute_guest_power(h, id);
        patch = json_pack("{s:s, s:n, s:i}", "vm_state", p == VIRT_POWER_RUNNING ? "active" : "stopped", "old_flavor",
                          "power_state", (int) p);
        return compute_server_settle(c, id, "compute_confirm_resize", patch);
}

int compute_task_resize_revert(Ctx *c, const Task *t) {
        _cleanup_json_ json_t *rec = NULL, *sized = NULL, *patch = NULL;
        const char *id = t->resource_id;
        bool power_on = json_is_true(json_object_get(t->payload, "power_on"));
        ComputeHost *h;
        Error e = {};
        int r = compute_task_server(c, t, &rec);
        if (r < 0 || !rec)
                return r;
        if (!streq_ptr(jx_string(rec, "vm_state"), "resized") ||
            !streq_ptr(jx_string(rec, "task_state"), "resize_reverting"))
                return 0;
        /* The flavor to go back to (old_flavor is always there while resized; the current one if not). */
        const json_t *old = json_object_get(rec, "old_flavor");
        if (!json_is_object(old))
                old = json_object_get(rec, "flavor");
        _cleanup_free_ char *disk = compute_instance_path(id, "disk"), *orig = compute_instance_path(id, "disk.resize-orig");
        r = compute_guest_host(c, rec, &h);
        if (r >= 0 && (r = virt_destroy(&h->virt, id, &e)) < 0 && r != -ENOENT)
                r = compute_guest_error(c, r, &e, "stop", id);
        if (r < 0)
                return compute_task_retryable(r);
        if (exists(orig) && rename(orig, disk) < 0)
                return ctx_error(c, -errno, RES_SERVER, "Cannot put back the old disk of server %s: %s.", id,
                                 strerror(errno));
        sized = with_flavor(rec, old);
        r = compute_guest_define(c, sized, h);
        if (r >= 0 && power_on && (r = virt_start(&h->virt, id, &e)) < 0)
                r = compute_guest_error(c, r, &e, "start", id);
        if (r >= 0)
                r = res_transaction(c, "reverting a resize", release_locked, (void *) id);
        if (r < 0)
                return compute_task_retryable(r);
        patch = json_pack("{s:s, s:n, s:i}", "vm_state", power_on ? "active" : "stopped", "old_flavor", "power_state",
                          (int) compute_guest_power(h, id));
        set_flavor(patch, old);
        return compute_server_settle(c, id, "compute_finish_revert_resize", patch);
}

/* A confirm or revert that failed for good leaves the server in ERROR, as Nova does. */
int compute_task_resize_end_failed(Ctx *c, const Task *t, const char *error) {
        bool confirm = streq(t->kind, "compute.server.resize_confirm");
        return compute_task_fail(c, t, "error", confirm ? "compute_confirm_resize" : "compute_finish_revert_resize",
                                 error);
}

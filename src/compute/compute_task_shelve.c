/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shelve tasks.  Shelving powers the guest off, snapshots its disk
 * into the "<name>-shelved" image the API created (SHELVED), and offloads
 * at once, as Nova does with its default shelved_offload_time of 0: the
 * guest and its files go, its claims are released and it has no host
 * (SHELVED_OFFLOADED).  Unshelving schedules it again, makes its disk
 * from the shelved image (flattened, so the disk does not rest on an
 * image about to be deleted), writes its config drive, boots it and
 * deletes the shelved image.  A shelved server that was never offloaded
 * still has its guest: unshelving just starts it.
 */
#include "compute/compute_lifecycle.h"
#include "image/image.h"
#include "storage/storage.h"

/* ---- offload ---- */

static int release_locked(Ctx *c, void *userdata) {
        return compute_allocations_release(c, userdata, NULL);
}

/* Removes the guest of a SHELVED server and its files, releases its claims: SHELVED_OFFLOADED, no host. */
static int offload(Ctx *c, const json_t *rec, const char *event) {
        const char *id = jx_string(rec, "id"), *host = jx_string(rec, "host");
        ComputeHost *h = compute_host_find(host);
        int r;
        if (host && !h)
                return compute_guest_host(c, rec, &h); /* another daemon's host: its error */
        r = compute_guest_remove(c, id, h);
        if (r >= 0)
                r = res_transaction(c, "releasing a server's resources", release_locked, (void *) id);
        if (r < 0)
                return compute_task_retryable(r);
        _cleanup_json_ json_t *patch = json_pack("{s:s, s:n, s:i}", "vm_state", "shelved_offloaded", "host", "power_state",
                                                 VIRT_POWER_SHUTDOWN);
        return compute_server_settle(c, id, event, patch);
}

int compute_task_shelve(Ctx *c, const Task *t) {
        _cleanup_json_ json_t *rec = NULL, *off = NULL;
        const char *id = t->resource_id, *image_id = jx_string(t->payload, "image_id");
        ComputeHost *h;
        int r = compute_task_server(c, t, &rec);
        if (r < 0)
                return r;
        const char *vm = jx_string(rec, "vm_state"), *task = jx_string(rec, "task_state");
        /* Settled already, reset by an admin, or deleted: the delete task discards the shelved image. */
        if (!rec || !task || streq(task, "deleting"))
                return 0;
        if (!streq_ptr(vm, "shelved")) {
                r = compute_guest_host(c, rec, &h);
                if (r >= 0)
                        r = compute_guest_stop(c, rec, h, !streq_ptr(vm, "paused"));
                /* Off now: the snapshot copies the disk as it is and starts nothing again. */
                off = json_deep_copy(rec);
                json_object_set_new(off, "vm_state", json_string("stopped"));
                if (r >= 0)
                        r = compute_guest_snapshot(c, off, h, image_id, "shelving_image_pending_upload",
                                                   "shelving_image_uploading");
                if (r == -ENOENT && !c->error)
                        r = ctx_error(c, -ENOENT, RES_IMAGE, "Image %s was deleted while server %s was shelved.",
                                      image_id, id);
                if (r < 0)
                        return compute_task_retryable(r);
                _cleanup_json_ json_t *patch = json_pack("{s:s, s:s, s:i}", "vm_state", "shelved", "task_state",
                                                         "shelving_offloading", "power_state",
                                                         (int) compute_guest_power(h, id));
                r = res_patch(c, &res_server, id, patch);
                if (r < 0)
                        return compute_task_retryable(r);
                json_object_set_new(rec, "vm_state", json_string("shelved"));
        }
        return offload(c, rec, "compute_shelve_instance");
}

int compute_task_shelve_offload(Ctx *c, const Task *t) {
        _cleanup_json_ json_t *rec = NULL;
        int r = compute_task_server(c, t, &rec);
        if (r < 0 || !rec)
                return r;
        if (!streq_ptr(jx_string(rec, "vm_state"), "shelved") ||
            !streq_ptr(jx_string(rec, "task_state"), "shelving_offloading"))
                return 0;
        return offload(c, rec, "compute_shelve_offload_instance");
}

/* ---- unshelve ---- */

typedef struct Placement {
        const json_t *rec;
        char *host;              /* the host picked */
} Placement;

/* Schedules the server again, as a create does (zone, group, room), and records its host. */
static int place_locked(Ctx *c, void *userdata) {
        Placement *pl = userdata;
        const json_t *rec = pl->rec;
        const char *id = jx_string(rec, "id");
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_free_ char *group = NULL;
        int r = db_query(c->db, &s, "SELECT group_id FROM server_group_members WHERE server_id = ?", "s", id);
        if (r >= 0 && (r = db_step(s)) > 0)
                group = db_col_strdup(s, 0);
        if (r < 0)
                return res_db_error(c, r, RES_SERVER_GROUP, "reading a server's group");
        SchedRequest rq = {
                .vcpus = json_integer_value(json_object_get(rec, "vcpus")),
                .memory_mb = json_integer_value(json_object_get(rec, "memory_mb")),
                .disk_gb = json_integer_value(json_object_get(rec, "root_gb")),
                .availability_zone = jx_string(rec, "availability_zone"), .group_id = group,
        };
        r = compute_schedule(c, &rq, id, "current", &pl->host);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *patch = json_pack("{s:s}", "host", pl->host);
        return res_patch(c, &res_server, id, patch);
}

/* The disk of an offloaded server, from its shelved image; a disk made by a run before is used as it is. */
static int disk_from_shelved(Ctx *c, const json_t *rec) {
        const char *id = jx_string(rec, "id"), *image_id = jx_string(rec, "shelved_image_id");
        _cleanup_free_ char *disk = compute_instance_path(id, "disk"), *overlay = compute_instance_path(id, "disk.unshelve");
        Error e = {};
        int r;
        if (disk && access(disk, F_OK) == 0)
                return 0;
        if (isempty(image_id))
                return ctx_error(c, -EINVAL, RES_SERVER, "Server %s has no shelved image to unshelve from.", id);
        r = compute_guest_disk_from_image(c, rec, image_id, "disk.unshelve");
        if (r >= 0 && (r = storage_disk_flatten(overlay, disk, "qcow2", &e)) < 0)
                r = compute_guest_error(c, r, &e, "make the disk of", id);
        if (overlay)
                (void) unlink(overlay);
        return r;
}

int compute_task_unshelve(Ctx *c, const Task *t) {
        _cleanup_json_ json_t *rec = NULL;
        const char *id = t->resource_id;
        ComputeHost *h;
        Error e = {};
        int r = compute_task_server(c, t, &rec);
        if (r < 0 || !rec)
                return r;
        const char *vm = jx_string(rec, "vm_state"), *task = jx_string(rec, "task_state");
        if ((!streq_ptr(vm, "shelved") && !streq_ptr(vm, "shelved_offloaded")) ||
            (!streq_ptr(task, "unshelving") && !streq_ptr(task, "spawning")))
                return 0;
        if (!jx_string(rec, "host")) {
                Placement pl = { rec };
                r = res_transaction(c, "scheduling a server", place_locked, &pl);
                if (r >= 0)
                        json_object_set_new(rec, "host", json_string(pl.host));
                free(pl.host);
                if (r < 0)
                        return r == -ENOSPC ? r : compute_task_retryable(r);
        }
        r = compute_guest_host(c, rec, &h);
        if (r >= 0)
                r = compute_server_set_task_state(c, id, "spawning");
        if (r >= 0 && streq(vm, "shelved_offloaded")) {
                r = disk_from_shelved(c, rec);
                if (r >= 0)
                        r = compute_guest_config_drive(c, rec, NULL);
        }
        if (r >= 0 && compute_guest_power(h, id) != VIRT_POWER_RUNNING) {
                r = compute_guest_define(c, rec, h);
                if (r >= 0 && (r = virt_start(&h->virt, id, &e)) < 0)
                        r = compute_guest_error(c, r, &e, "start", id);
        }
        /* The shelved image has done its job (Nova deletes it too); the disk no longer rests on it. */
        const char *image_id = jx_string(rec, "shelved_image_id");
        if (r >= 0 && !isempty(image_id))
                r = image_import_discard(c, image_id);
        if (r < 0)
                return compute_task_retryable(r);
        _cleanup_json_ json_t *patch = json_pack("{s:s, s:i, s:n, s:I}", "vm_state", "active", "power_state",
                                                 (int) compute_guest_power(h, id), "shelved_image_id", "launched_at",
                                                 (json_int_t) now_usec());
        return compute_server_settle(c, id, "compute_unshelve_instance", patch);
}

/*
 * A shelve or unshelve that failed for good.  A shelve whose snapshot
 * never completed leaves the server as it was, without the image; one
 * that failed to offload stays SHELVED (unshelving starts it again).  An
 * unshelve of an offloaded server gives back the host it was given, and
 * whatever it made there.
 */
int compute_task_shelve_failed(Ctx *c, const Task *t, const char *error) {
        _cleanup_json_ json_t *rec = NULL;
        const char *id = t->resource_id, *event;
        int r = compute_server_load(c, id, &rec);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        const char *vm = jx_string(rec, "vm_state");
        if (streq(t->kind, "compute.server.unshelve")) {
                event = "compute_unshelve_instance";
                if (streq_ptr(vm, "shelved_offloaded") && jx_string(rec, "host")) {
                        ComputeHost *h = compute_host_find(jx_string(rec, "host"));
                        _cleanup_json_ json_t *patch = json_pack("{s:n}", "host");
                        (void) compute_guest_remove(c, id, h);
                        ctx_clear_error(c);
                        r = compute_allocations_release(c, id, NULL);
                        if (r >= 0)
                                r = res_patch(c, &res_server, id, patch);
                }
        } else {
                event = streq(t->kind, "compute.server.shelve") ? "compute_shelve_instance"
                                                               : "compute_shelve_offload_instance";
                const char *image_id = jx_string(t->payload, "image_id");
                if (!streq_ptr(vm, "shelved") && !streq_ptr(vm, "shelved_offloaded") && image_id) {
                        _cleanup_json_ json_t *patch = json_pack("{s:n}", "shelved_image_id");
                        r = image_import_discard(c, image_id);
                        if (r >= 0)
                                r = res_patch(c, &res_server, id, patch);
                }
        }
        if (r >= 0)
                r = compute_task_fail(c, t, NULL, event, error);
        return r;
}

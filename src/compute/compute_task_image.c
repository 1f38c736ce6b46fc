/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Snapshots of a server's disk into an image (createImage, and the first
 * half of shelve): the disk is flattened into a standalone qcow2 beside
 * it (disk.snapshot) and streamed into the queued image the API created,
 * through the image service's upload path.  A guest that runs is saved to
 * disk around the copy (a managed save: its disk is consistent and no
 * longer locked by QEMU) and resumed, as Nova's cold snapshot does.
 */
#include "compute/compute_lifecycle.h"
#include "image/image.h"
#include "storage/storage.h"

/* Whether image id has its data already (a run before uploaded it). */
static int image_done(Ctx *c, const char *id, bool *ret) {
        _cleanup_free_ char *path = NULL;
        _cleanup_json_ json_t *img = NULL;
        int r = image_data_path(c, id, &path, &img);
        if (r == -ENODATA || r >= 0) {
                *ret = r >= 0;
                return 0;
        }
        return r; /* -ENOENT: the image is gone */
}

/* Brings the guest back to what the server's vm_state says after a copy: running, or paused. */
static int guest_resume(Ctx *c, const json_t *rec, ComputeHost *h) {
        const char *id = jx_string(rec, "id"), *vm = jx_string(rec, "vm_state");
        bool paused = streq_ptr(vm, "paused");
        Error e = {};
        int r = 0;
        if (!streq_ptr(vm, "active") && !paused)
                return 0;
        if (compute_guest_power(h, id) != VIRT_POWER_RUNNING)
                r = virt_start(&h->virt, id, &e);
        if (r >= 0 && paused)
                r = virt_pause(&h->virt, id, true, &e);
        return r < 0 ? compute_guest_error(c, r, &e, "resume", id) : 0;
}

int compute_guest_snapshot(Ctx *c, const json_t *rec, ComputeHost *h, const char *image_id, const char *state_pending,
                           const char *state_uploading) {
        const char *id = jx_string(rec, "id");
        _cleanup_free_ char *disk = compute_instance_path(id, "disk"), *copy = compute_instance_path(id, "disk.snapshot");
        bool done = false;
        Error e = {};
        int r = image_done(c, image_id, &done);
        if (r < 0 || done)
                return r;
        r = compute_server_set_task_state(c, id, state_pending);
        if (r < 0)
                return r;
        /* A paused guest is saved running (libvirt saves only running ones) and paused again after. */
        VirtPower p = compute_guest_power(h, id);
        if (p == VIRT_POWER_PAUSED)
                r = virt_pause(&h->virt, id, false, &e);
        if (r >= 0 && (p == VIRT_POWER_RUNNING || p == VIRT_POWER_PAUSED))
                r = virt_suspend(&h->virt, id, &e);
        if (r < 0)
                return compute_guest_error(c, r, &e, "save the guest of", id);
        r = storage_disk_flatten(disk, copy, "qcow2", &e);
        if (r < 0)
                r = compute_guest_error(c, r, &e, "copy the disk of", id);
        /* The guest runs again before the upload, which may take long; a failed copy resumes it too. */
        int k = guest_resume(c, rec, h);
        if (r >= 0)
                r = k;
        if (r >= 0)
                r = compute_server_set_task_state(c, id, state_uploading);
        if (r >= 0 && (r = image_import_file(c, image_id, copy)) == -ENOENT)
                ctx_clear_error(c); /* the image is gone: -ENOENT with no message, as image_done says it */
        if (copy)
                (void) unlink(copy);
        return r;
}

int compute_task_image_abandon(Ctx *c, const char *image_id) {
        bool done = false;
        int r = image_id ? image_done(c, image_id, &done) : -ENOENT;
        if (r == -ENOENT)
                return 0;
        return r < 0 || done ? r : image_import_discard(c, image_id);
}

int compute_task_snapshot(Ctx *c, const Task *t) {
        _cleanup_json_ json_t *rec = NULL;
        const char *id = t->resource_id, *image_id = jx_string(t->payload, "image_id");
        ComputeHost *h;
        int r = compute_task_server(c, t, &rec);
        if (r < 0)
                return r;
        const char *task = jx_string(rec, "task_state");
        /* A server deleted before its snapshot was taken: no image of it will come (Nova deletes it too). */
        if (!rec || streq_ptr(task, "deleting"))
                return compute_task_image_abandon(c, image_id);
        if (!streq_ptr(task, "image_snapshot") && !streq_ptr(task, "image_pending_upload") &&
            !streq_ptr(task, "image_uploading"))
                return 0; /* settled already, or reset by an admin */
        r = compute_guest_host(c, rec, &h);
        if (r >= 0)
                r = compute_guest_snapshot(c, rec, h, image_id, "image_pending_upload", "image_uploading");
        /* The image deleted while it was made (-ENOENT with no message): nothing left to do, as in Nova. */
        if (r == -ENOENT && !c->error)
                r = 0;
        if (r < 0)
                return compute_task_retryable(r);
        return compute_server_settle(c, id, "compute_snapshot_instance", NULL);
}

/* A snapshot that failed for good: the image goes (Nova deletes it too), the server keeps its state. */
int compute_task_snapshot_failed(Ctx *c, const Task *t, const char *error) {
        const char *image_id = jx_string(t->payload, "image_id");
        int r = image_id ? image_import_discard(c, image_id) : 0;
        if (r >= 0)
                r = compute_task_fail(c, t, NULL, "compute_snapshot_instance", error);
        return r;
}

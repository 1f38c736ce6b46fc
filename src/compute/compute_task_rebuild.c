/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rebuild task: the guest is powered off, its disk made again from
 * the image the API recorded (same root size), the config drive written
 * with the new password, the domain defined and started, as Nova's
 * rebuild does; a server that was stopped stays stopped.  The task state
 * marks the progress, so a run after a crash that finds "rebuild_spawning"
 * only starts the guest if it is not running yet.
 */
#include "compute/compute_lifecycle.h"

int compute_task_rebuild(Ctx *c, const Task *t) {
        _cleanup_json_ json_t *rec = NULL, *patch = NULL;
        const char *id = t->resource_id;
        bool stopped = json_is_true(json_object_get(t->payload, "stopped"));
        ComputeHost *h;
        Error e = {};
        int r = compute_task_server(c, t, &rec);
        if (r < 0 || !rec)
                return r;
        const char *task = jx_string(rec, "task_state");
        if (!streq_ptr(task, "rebuilding") && !streq_ptr(task, "rebuild_spawning"))
                return 0; /* settled already, or reset by an admin */
        r = compute_guest_host(c, rec, &h);
        if (r < 0)
                return compute_task_retryable(r);
        /* "rebuild_spawning" says the disk, the config drive and the domain are made: only the start may be left. */
        if (streq(task, "rebuilding")) {
                r = compute_guest_stop(c, rec, h, true);
                if (r >= 0)
                        r = compute_guest_disk_from_image(c, rec, jx_string(rec, "image_id"), "disk");
                if (r >= 0)
                        r = compute_guest_config_drive(c, rec, jx_string(t->payload, "admin_pass"));
                if (r >= 0)
                        r = compute_guest_define(c, rec, h);
                if (r >= 0)
                        r = compute_server_set_task_state(c, id, "rebuild_spawning");
                if (r < 0)
                        return compute_task_retryable(r);
        }
        if (!stopped && compute_guest_power(h, id) != VIRT_POWER_RUNNING && (r = virt_start(&h->virt, id, &e)) < 0)
                return compute_task_retryable(compute_guest_error(c, r, &e, "start", id));
        patch = json_pack("{s:s, s:i, s:I, s:i}", "vm_state", stopped ? "stopped" : "active", "power_state",
                          (int) compute_guest_power(h, id), "launched_at", (json_int_t) now_usec(), "progress", 100);
        return compute_server_settle(c, id, "compute_rebuild_instance", patch);
}

/* A rebuild that failed for good leaves the server in ERROR (its disk may be half made), as in Nova. */
int compute_task_rebuild_failed(Ctx *c, const Task *t, const char *error) {
        return compute_task_fail(c, t, "error", "compute_rebuild_instance", error);
}

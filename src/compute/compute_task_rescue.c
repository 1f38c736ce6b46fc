/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rescue tasks.  Rescuing powers the guest off and boots it from a
 * rescue disk (disk.rescue, an overlay of the rescue image at the image's
 * own size) with the server's disk second, as Nova's libvirt driver does
 * (compute_guest_define picks that layout from the states), and a config
 * drive that carries the rescue password.  Unrescuing drops the rescue
 * disk and boots the server from its own disk again.  Both start from
 * what they find, so a run again after a crash redoes its steps safely.
 */
#include "compute/compute_lifecycle.h"

/* A copy of rec as the guest is to be defined: in vm_state vm, with no task. */
static json_t *as_state(const json_t *rec, const char *vm) {
        json_t *copy = json_deep_copy(rec);
        json_object_set_new(copy, "vm_state", json_string(vm));
        json_object_set_new(copy, "task_state", json_null());
        return copy;
}

int compute_task_rescue(Ctx *c, const Task *t) {
        _cleanup_json_ json_t *rec = NULL, *sized = NULL, *patch = NULL;
        const char *id = t->resource_id, *image_id = jx_string(t->payload, "image_id");
        ComputeHost *h;
        Error e = {};
        int r = compute_task_server(c, t, &rec);
        if (r < 0 || !rec)
                return r;
        if (!streq_ptr(jx_string(rec, "task_state"), "rescuing"))
                return 0; /* settled already, or reset by an admin */
        r = compute_guest_host(c, rec, &h);
        if (r >= 0)
                r = compute_guest_stop(c, rec, h, true);
        /* The rescue disk has the rescue image's own size, whatever the flavor says. */
        sized = json_deep_copy(rec);
        json_object_set_new(sized, "root_gb", json_integer(0));
        if (r >= 0)
                r = compute_guest_disk_from_image(c, sized, image_id, "disk.rescue");
        if (r >= 0)
                r = compute_guest_config_drive(c, rec, jx_string(t->payload, "admin_pass"));
        if (r >= 0)
                r = compute_guest_define(c, rec, h);
        if (r >= 0 && (r = virt_start(&h->virt, id, &e)) < 0)
                r = compute_guest_error(c, r, &e, "start", id);
        if (r < 0)
                return compute_task_retryable(r);
        patch = json_pack("{s:s, s:i, s:I}", "vm_state", "rescued", "power_state", (int) compute_guest_power(h, id),
                          "launched_at", (json_int_t) now_usec());
        return compute_server_settle(c, id, "compute_rescue_instance", patch);
}

int compute_task_unrescue(Ctx *c, const Task *t) {
        _cleanup_json_ json_t *rec = NULL, *plain = NULL, *patch = NULL;
        const char *id = t->resource_id;
        ComputeHost *h;
        Error e = {};
        int r = compute_task_server(c, t, &rec);
        if (r < 0 || !rec)
                return r;
        if (!streq_ptr(jx_string(rec, "task_state"), "unrescuing"))
                return 0;
        _cleanup_free_ char *rescue = compute_instance_path(id, "disk.rescue");
        r = compute_guest_host(c, rec, &h);
        if (r >= 0 && (r = virt_destroy(&h->virt, id, &e)) < 0 && r != -ENOENT)
                r = compute_guest_error(c, r, &e, "stop", id);
        if (r < 0)
                return compute_task_retryable(r);
        if (rescue && unlink(rescue) < 0 && errno != ENOENT)
                return ctx_error(c, -errno, RES_SERVER, "Cannot remove the rescue disk of server %s: %s.", id,
                                 strerror(errno));
        plain = as_state(rec, "active");
        r = compute_guest_config_drive(c, plain, NULL);
        if (r >= 0)
                r = compute_guest_define(c, plain, h);
        if (r >= 0 && (r = virt_start(&h->virt, id, &e)) < 0)
                r = compute_guest_error(c, r, &e, "start", id);
        if (r < 0)
                return compute_task_retryable(r);
        patch = json_pack("{s:s, s:i, s:n}", "vm_state", "active", "power_state", (int) compute_guest_power(h, id),
                          "rescue_image_id");
        return compute_server_settle(c, id, "compute_unrescue_instance", patch);
}

/* A rescue or unrescue that failed for good leaves the server in ERROR, as Nova does. */
int compute_task_rescue_failed(Ctx *c, const Task *t, const char *error) {
        bool rescue = streq(t->kind, "compute.server.rescue");
        return compute_task_fail(c, t, "error", rescue ? "compute_rescue_instance" : "compute_unrescue_instance", error);
}

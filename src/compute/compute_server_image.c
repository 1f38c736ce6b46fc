/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server actions that make images, service half: createImage and
 * shelve (each creates a queued Glance image of the server's disk when
 * the request comes, so the API can name it, then queues the task that
 * fills it), shelveOffload, and unshelve.  A snapshot image carries what
 * Nova puts on one: the base image's properties (less the ones that must
 * not be inherited), image_type "snapshot", instance_uuid,
 * base_image_ref, user_id, the base image's min_ram and a min_disk of at
 * least the flavor's disk; the request's metadata overrides them all.
 * The tasks are in compute_task_image.c and compute_task_shelve.c.
 */
#include "compute/compute_lifecycle.h"
#include "image/image.h"

#define SNAPSHOT_STATES (VM_BIT(VM_ACTIVE) | VM_BIT(VM_STOPPED) | VM_BIT(VM_PAUSED) | VM_BIT(VM_SUSPENDED))

/* Nova does not check the lock for snapshots: a lock is against changes and deletion, not copies. */
static const ServerAction snapshot_action = {
        "createImage", SNAPSHOT_STATES, TASK_IMAGE_SNAPSHOT, "compute.server.snapshot", .ignores_lock = true,
};
static const ServerAction shelve_action = { "shelve", SNAPSHOT_STATES, TASK_SHELVING, "compute.server.shelve" };
static const ServerAction offload_action = {
        "shelveOffload", VM_BIT(VM_SHELVED), TASK_SHELVING_OFFLOADING, "compute.server.shelve_offload",
};
static const ServerAction unshelve_action = {
        "unshelve", VM_BIT(VM_SHELVED) | VM_BIT(VM_SHELVED_OFFLOADED), TASK_UNSHELVING, "compute.server.unshelve",
};

/* Base image properties a snapshot does not inherit (Nova's NON_INHERITABLE_IMAGE_PROPERTIES and namespaces). */
static bool inheritable(const char *key) {
        static const char *const never[] = {
                "cinder_encryption_key_id", "cinder_encryption_key_deletion_policy", "img_signature",
                "img_signature_hash_method", "img_signature_key_type", "img_signature_certificate_uuid",
        };
        for (size_t i = 0; i < ELEMENTSOF(never); i++)
                if (streq(key, never[i]))
                        return false;
        return !startswith(key, "os_glance") && image_key_is_property(key);
}

/* Creates the queued image a snapshot of server rec fills; *ret_id is its id. */
static int snapshot_image(Ctx *c, const json_t *rec, const char *name, const json_t *metadata, char **ret_id) {
        const char *base_id = jx_string(rec, "image_id"), *key;
        int64_t root_gb = json_integer_value(json_object_get(rec, "root_gb")), min_ram = 0, min_disk = root_gb;
        _cleanup_json_ json_t *base = NULL, *img = NULL;
        json_t *v;
        int r;

        _cleanup_json_ json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", name, "disk_format", "qcow2",
                                               "container_format", "bare", "visibility", "private", "owner",
                                               jx_string(rec, "project_id"));
        /* What the server was built from, if the caller may still see it. */
        if (!isempty(base_id) && image_get(c, base_id, &base) >= 0) {
                json_object_foreach(base, key, v)
                        if (json_is_string(v) && inheritable(key))
                                json_object_set(req, key, v);
                min_ram = json_integer_value(json_object_get(base, "min_ram"));
                if (json_integer_value(json_object_get(base, "min_disk")) > min_disk)
                        min_disk = json_integer_value(json_object_get(base, "min_disk"));
        }
        ctx_clear_error(c);
        json_object_set_new(req, "min_ram", json_integer(min_ram));
        json_object_set_new(req, "min_disk", json_integer(min_disk));
        json_object_set_new(req, "image_type", json_string("snapshot"));
        json_object_set(req, "instance_uuid", json_object_get(rec, "id"));
        json_object_set_new(req, "base_image_ref", json_string(base_id ? base_id : ""));
        json_object_set_new(req, "user_id", json_string(c->auth.user_id ? c->auth.user_id : ""));
        /* The caller's metadata overrides Nova's own properties (tempest's image_type=test does). */
        json_object_foreach((json_t *) metadata, key, v) {
                if (!image_key_is_property(key))
                        return ctx_error(c, -EINVAL, RES_IMAGE, "Invalid image metadata: '%s' is an attribute of "
                                                                "images, not a property.", key);
                json_object_set(req, key, v);
        }
        r = image_create(c, req, &img);
        if (r < 0)
                return r;
        *ret_id = xstrdup(jx_string(img, "id"));
        return 0;
}

/* The checks of an action that makes an image, before the image is made: no image for a request refused. */
static int server_for(Ctx *c, const char *id, const ServerAction *a, json_t **ret) {
        int r = compute_server_get(c, id, ret);
        if (r >= 0)
                r = compute_server_action_check(c, *ret, a);
        return r;
}

/* Runs action a with the new image's id in its payload (and patch); if the action is refused, the image goes. */
static int action_with_image(Ctx *c, const char *id, const ServerAction *a, const char *image_id, json_t *patch) {
        _cleanup_json_ json_t *payload = json_pack("{s:s}", "image_id", image_id);
        int r = compute_server_action(c, id, a, patch, payload);
        if (r < 0)
                (void) image_import_discard(c, image_id);
        return r;
}

int compute_server_snapshot(Ctx *c, const char *id, const char *name, const json_t *metadata, bool check_quota,
                            char **ret_image_id) {
        _cleanup_json_ json_t *rec = NULL;
        _cleanup_free_ char *image_id = NULL;
        int64_t limit = -1;
        int r = server_for(c, id, &snapshot_action, &rec);
        if (r >= 0 && check_quota && metadata)
                r = compute_quota_limit(c, jx_string(rec, "project_id"), "metadata_items", &limit);
        if (r >= 0 && limit >= 0 && (int64_t) json_object_size(metadata) > limit)
                r = ctx_error(c, -EDQUOT, RES_QUOTA, "Image metadata limit exceeded");
        if (r >= 0)
                r = snapshot_image(c, rec, name, metadata, &image_id);
        if (r >= 0)
                r = action_with_image(c, id, &snapshot_action, image_id, NULL);
        if (r < 0)
                return r;
        *ret_image_id = TAKE_PTR(image_id);
        return 0;
}

int compute_server_shelve(Ctx *c, const char *id) {
        _cleanup_json_ json_t *rec = NULL, *patch = NULL;
        _cleanup_free_ char *image_id = NULL, *name = NULL;
        int r = server_for(c, id, &shelve_action, &rec);
        if (r < 0)
                return r;
        name = xasprintf("%s-shelved", jx_string(rec, "name"));
        r = snapshot_image(c, rec, name, NULL, &image_id);
        if (r < 0)
                return r;
        patch = json_pack("{s:s}", "shelved_image_id", image_id);
        return action_with_image(c, id, &shelve_action, image_id, patch);
}

int compute_server_shelve_offload(Ctx *c, const char *id) {
        return compute_server_action(c, id, &offload_action, NULL, NULL);
}

int compute_server_unshelve(Ctx *c, const char *id, const char *availability_zone) {
        _cleanup_json_ json_t *rec = NULL, *patch = NULL;
        int64_t n = 0;
        int r = server_for(c, id, &unshelve_action, &rec);
        if (r < 0 || !availability_zone)
                return r < 0 ? r : compute_server_action(c, id, &unshelve_action, NULL, NULL);
        /* A zone only means something to a server that has no host left. */
        if (!streq_ptr(jx_string(rec, "vm_state"), "shelved_offloaded"))
                return ctx_error(c, -EBUSY, RES_SERVER, "Specifying an availability zone or a host when unshelving "
                                 "server \"%s\" with status \"%s\" is not supported. The server status must be "
                                 "SHELVED_OFFLOADED.", id, jx_string(rec, "vm_state"));
        r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM compute_hosts WHERE availability_zone = ?", "s",
                         availability_zone);
        if (r < 0)
                return res_db_error(c, r, RES_HOST, "reading the availability zones");
        if (n == 0)
                return ctx_error(c, -EINVAL, RES_SERVER, "The requested availability zone is not available");
        patch = json_pack("{s:s}", "availability_zone", availability_zone);
        return compute_server_action(c, id, &unshelve_action, patch, NULL);
}

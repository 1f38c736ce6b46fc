/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server actions that change what a server is made of, service half:
 * rebuild, resize with confirmResize and revertResize, rescue and
 * unrescue, changePassword and os-resetState.  Each checks what the
 * request names with Nova's messages (400 for a bad image or flavor, 403
 * over quota) and runs as a ServerAction (Nova's 409s, the task state,
 * the instance action and the task in one transaction).  The tasks are
 * in compute_task_rebuild.c, compute_task_resize.c and
 * compute_task_rescue.c.
 */
#include "compute/compute_lifecycle.h"
#include "image/image.h"

#define GIB (INT64_C(1) << 30)

static const ServerAction rebuild_action = {
        "rebuild", VM_BIT(VM_ACTIVE) | VM_BIT(VM_STOPPED) | VM_BIT(VM_ERROR), TASK_REBUILDING, "compute.server.rebuild",
};
static const ServerAction resize_action = {
        "resize", VM_BIT(VM_ACTIVE) | VM_BIT(VM_STOPPED), TASK_RESIZE_PREP, "compute.server.resize",
};
static const ServerAction confirm_action = {
        "confirmResize", VM_BIT(VM_RESIZED), TASK_RESIZE_CONFIRMING, "compute.server.resize_confirm",
};
static const ServerAction revert_action = {
        "revertResize", VM_BIT(VM_RESIZED), TASK_RESIZE_REVERTING, "compute.server.resize_revert",
};
static const ServerAction rescue_action = {
        "rescue", VM_BIT(VM_ACTIVE) | VM_BIT(VM_STOPPED) | VM_BIT(VM_ERROR), TASK_RESCUING, "compute.server.rescue",
};
static const ServerAction unrescue_action = {
        "unrescue", VM_BIT(VM_RESCUED), TASK_UNRESCUING, "compute.server.unrescue",
};
/* Setting a password needs a guest agent, which gureum's guests do not have: the action ends at once. */
static const ServerAction password_action = { "changePassword", VM_BIT(VM_ACTIVE), TASK_NONE, NULL };
/* An admin's way out of a stuck state: any state, any task, locked or not. */
static const ServerAction reset_action = {
        "resetState", ~0u, TASK_NONE, NULL, .any_task_state = true, .ignores_lock = true,
};

/* A password as Nova generates one: 12 characters that cannot be mistaken for each other. */
static char *password_new(void) {
        static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        uint8_t bytes[12];
        char *s = xmalloc(sizeof(bytes) + 1);
        random_bytes(bytes, sizeof(bytes));
        for (size_t i = 0; i < sizeof(bytes); i++)
                s[i] = alphabet[bytes[i] % (sizeof(alphabet) - 1)];
        s[sizeof(bytes)] = '\0';
        return s;
}

static int64_t int_of(const json_t *obj, const char *key) {
        return json_integer_value(json_object_get(obj, key));
}

/* Whether an image (a record of image_get) fits a flavor (a server's flavor snapshot): Nova's 400s. */
static int image_fits(Ctx *c, const json_t *img, const json_t *flavor) {
        int64_t disk = int_of(flavor, "disk") * GIB, min_disk = int_of(img, "min_disk") * GIB;
        int64_t size = int_of(img, "size"), vsize = int_of(img, "virtual_size");
        if (int_of(img, "min_ram") > int_of(flavor, "ram"))
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Flavor's memory is too small for requested image.");
        /* A flavor with a disk of 0 boots from the image's own size. */
        if (disk == 0)
                return 0;
        if (size > disk || vsize > disk)
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Flavor's disk is too small for requested image. Flavor disk is "
                                 "%lld bytes, image is %lld bytes.", (long long) disk,
                                 (long long) (vsize > size ? vsize : size));
        if (min_disk > disk)
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Flavor's disk is smaller than the minimum size specified in "
                                 "image metadata. Flavor disk is %lld bytes, minimum size is %lld bytes.",
                                 (long long) disk, (long long) min_disk);
        return 0;
}

/* The active image an imageRef (an id or a URL ending in one) names, visible to the caller; -ENOENT (no message) if none. */
static int image_of_ref(Ctx *c, const char *ref, json_t **ret) {
        const char *slash = strrchr(ref, '/'), *id = slash ? slash + 1 : ref;
        if (!uuid_is_dashed(id) || image_get(c, id, ret) < 0) {
                ctx_clear_error(c);
                return -ENOENT;
        }
        if (!streq_ptr(jx_string(*ret, "status"), "active")) {
                *ret = (json_decref(*ret), NULL);
                return ctx_error(c, -EINVAL, RES_IMAGE, "Image %s is not active.", id);
        }
        return 0;
}

/* ---- rebuild ---- */

/* The metadata a rebuild gives replaces the server's, in the action's transaction. */
static int rebuild_hook(Ctx *c, const json_t *rec, json_t *patch, json_t *payload, void *userdata) {
        const json_t *metadata = userdata;
        const char *id = jx_string(rec, "id"), *key;
        const json_t *v;
        /* A stopped server stays stopped (Nova powers it off again after the rebuild). */
        json_object_set_new(payload, "stopped", json_boolean(streq_ptr(jx_string(rec, "vm_state"), "stopped")));
        if (!metadata)
                return 0;
        int r = db_run(c->db, "DELETE FROM server_metadata WHERE server_id = ?", "s", id);
        json_object_foreach((json_t *) metadata, key, v) {
                if (r < 0)
                        break;
                r = db_run(c->db, "INSERT INTO server_metadata (server_id, key, value) VALUES (?, ?, ?)", "sss", id, key,
                           json_string_value(v));
        }
        return r < 0 ? res_db_error(c, r, RES_SERVER, "replacing server metadata") : 0;
}

int compute_server_rebuild(Ctx *c, const char *id, const ServerRebuild *rq, char **ret_admin_pass) {
        _cleanup_json_ json_t *rec = NULL, *img = NULL, *keypair = NULL, *patch = json_object(), *payload = NULL;
        _cleanup_free_ char *pass = rq->admin_pass ? xstrdup(rq->admin_pass) : password_new();
        int64_t limit = -1;
        int r = compute_server_get(c, id, &rec);
        if (r >= 0)
                r = compute_server_action_check(c, rec, &rebuild_action);
        if (r >= 0 && (r = image_of_ref(c, rq->image_ref, &img)) == -ENOENT)
                r = ctx_error(c, -EINVAL, RES_IMAGE, "Cannot find image for rebuild");
        if (r >= 0)
                r = image_fits(c, img, json_object_get(rec, "flavor"));
        if (r >= 0 && rq->has_key_name && rq->key_name) {
                /* The caller's key, not the owner's: users own keys, projects own servers. */
                r = compute_keypair_find(c, c->auth.user_id, rq->key_name, &keypair);
                if (r == -ENOENT) {
                        ctx_clear_error(c);
                        r = ctx_error(c, -EINVAL, RES_KEYPAIR, "Invalid key_name provided.");
                }
        }
        if (r >= 0 && rq->metadata)
                r = compute_quota_limit(c, jx_string(rec, "project_id"), "metadata_items", &limit);
        if (r >= 0 && rq->metadata && limit >= 0 && (int64_t) json_object_size(rq->metadata) > limit)
                r = ctx_error(c, -EDQUOT, RES_QUOTA, "Maximum number of metadata items exceeds %lld", (long long) limit);
        if (r < 0)
                return r;

        json_object_set(patch, "image_id", json_object_get(img, "id"));
        json_object_set_new(patch, "progress", json_integer(0));
        if (rq->name)
                json_object_set_new(patch, "name", json_string(rq->name));
        if (rq->access_ipv4)
                json_object_set_new(patch, "access_ipv4", json_string(rq->access_ipv4));
        if (rq->access_ipv6)
                json_object_set_new(patch, "access_ipv6", json_string(rq->access_ipv6));
        if (rq->has_description)
                jx_set_string_or_null(patch, "description", rq->description);
        if (rq->has_key_name) {
                jx_set_string_or_null(patch, "key_name", rq->key_name ? jx_string(keypair, "name") : NULL);
                jx_set_string_or_null(patch, "key_data", rq->key_name ? jx_string(keypair, "public_key") : NULL);
        }
        if (rq->has_user_data)
                jx_set_string_or_null(patch, "user_data", rq->user_data);
        payload = json_pack("{s:s}", "admin_pass", pass);
        r = compute_server_action_with(c, id, &rebuild_action, patch, payload, rebuild_hook, (void *) rq->metadata);
        if (r < 0)
                return r;
        *ret_admin_pass = TAKE_PTR(pass);
        return 0;
}

/* ---- resize ---- */

typedef struct ResizeRun {
        const json_t *flavor;    /* the new flavor's record */
} ResizeRun;

/* The quota for the growth, and what the task needs, in the action's transaction. */
static int resize_hook(Ctx *c, const json_t *rec, json_t *patch, json_t *payload, void *userdata) {
        const ResizeRun *run = userdata;
        int r = compute_quota_resize(c, jx_string(rec, "project_id"), int_of(run->flavor, "vcpus") - int_of(rec, "vcpus"),
                                     int_of(run->flavor, "ram") - int_of(rec, "memory_mb"));
        if (r < 0)
                return r;
        json_object_set_new(payload, "flavor", compute_flavor_snapshot(run->flavor));
        /* The guest runs again after the resize if it ran before (Nova's old_vm_state). */
        json_object_set_new(payload, "power_on", json_boolean(streq_ptr(jx_string(rec, "vm_state"), "active")));
        json_object_set_new(patch, "progress", json_integer(0));
        return 0;
}

int compute_server_resize(Ctx *c, const char *id, const char *flavor_ref) {
        _cleanup_json_ json_t *rec = NULL, *flavor = NULL, *img = NULL;
        int r = compute_server_get(c, id, &rec);
        if (r >= 0)
                r = compute_server_action_check(c, rec, &resize_action);
        if (r >= 0 && (r = compute_flavor_resolve(c, flavor_ref, &flavor)) == -EINVAL) {
                /* A disabled flavor is no flavor to resize to either (Nova's FlavorNotFound). */
                ctx_clear_error(c);
                r = ctx_error(c, -EINVAL, RES_FLAVOR, "Flavor %s could not be found.", flavor_ref);
        }
        if (r < 0)
                return r;
        const json_t *old = json_object_get(rec, "flavor");
        int64_t old_gb = int_of(rec, "root_gb"), new_gb = int_of(flavor, "disk");
        if (streq_ptr(jx_string(old, "id"), jx_string(flavor, "id")))
                return ctx_error(c, -EINVAL, RES_FLAVOR, "When resizing, instances must change flavor!");
        if (new_gb == 0 && old_gb != 0)
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Server disk was unable to be resized because: Resize to zero "
                                                         "disk flavor is not allowed.");
        if (new_gb < old_gb)
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Server disk was unable to be resized because: Unable to resize "
                                                         "disk down.");
        /* The image the server was built from must fit the new flavor too (if it is still there). */
        const char *image_id = jx_string(rec, "image_id");
        if (!isempty(image_id) && image_get(c, image_id, &img) >= 0) {
                _cleanup_json_ json_t *snap = compute_flavor_snapshot(flavor);
                r = image_fits(c, img, snap);
                if (r < 0)
                        return r;
        }
        ctx_clear_error(c);
        ResizeRun run = { flavor };
        return compute_server_action_with(c, id, &resize_action, NULL, NULL, resize_hook, &run);
}

int compute_server_confirm_resize(Ctx *c, const char *id) {
        return compute_server_action(c, id, &confirm_action, NULL, NULL);
}

/* The guest runs after the revert if it runs now (the resize started it only if it ran before). */
static int revert_hook(Ctx *c, const json_t *rec, json_t *patch, json_t *payload, void *userdata) {
        json_object_set_new(payload, "power_on", json_boolean(int_of(rec, "power_state") == VIRT_POWER_RUNNING));
        return 0;
}

int compute_server_revert_resize(Ctx *c, const char *id) {
        return compute_server_action_with(c, id, &revert_action, NULL, NULL, revert_hook, NULL);
}

/* ---- rescue ---- */

int compute_server_rescue(Ctx *c, const char *id, const char *admin_pass, const char *image_ref,
                          char **ret_admin_pass) {
        _cleanup_json_ json_t *rec = NULL, *img = NULL, *patch = NULL, *payload = NULL;
        _cleanup_free_ char *pass = admin_pass ? xstrdup(admin_pass) : password_new();
        int r = compute_server_get(c, id, &rec);
        if (r >= 0)
                r = compute_server_action_check(c, rec, &rescue_action);
        if (r < 0)
                return r;
        /* The rescue disk comes from the image asked for, else from the one the server was built from. */
        const char *image_id = jx_string(rec, "image_id");
        if (image_ref) {
                r = image_of_ref(c, image_ref, &img);
                if (r == -ENOENT)
                        r = ctx_error(c, -EINVAL, RES_IMAGE, "Requested rescue image '%s' is not supported", image_ref);
                if (r < 0)
                        return r;
                image_id = jx_string(img, "id");
        }
        if (isempty(image_id))
                return ctx_error(c, -EINVAL, RES_SERVER, "Instance %s cannot be rescued: it has no image to rescue it "
                                                         "with.", id);
        patch = json_pack("{s:s}", "rescue_image_id", image_id);
        payload = json_pack("{s:s, s:s}", "admin_pass", pass, "image_id", image_id);
        r = compute_server_action(c, id, &rescue_action, patch, payload);
        if (r < 0)
                return r;
        *ret_admin_pass = TAKE_PTR(pass);
        return 0;
}

int compute_server_unrescue(Ctx *c, const char *id) {
        return compute_server_action(c, id, &unrescue_action, NULL, NULL);
}

/* ---- changePassword, os-resetState ---- */

int compute_server_change_password(Ctx *c, const char *id) {
        static const char why[] = "QEMU guest agent is not enabled";
        int r = compute_server_action(c, id, &password_action, NULL, NULL);
        if (r >= 0)
                r = compute_action_event(c, id, "compute_set_admin_password", "Error", why);
        if (r < 0)
                return r;
        return ctx_error(c, -EBUSY, RES_SERVER, "%s", why);
}

int compute_server_reset_state(Ctx *c, const char *id, const char *state) {
        _cleanup_json_ json_t *rec = NULL;
        int r = compute_server_get(c, id, &rec);
        if (r < 0)
                return r;
        if (!c->auth.is_admin)
                return ctx_error(c, -EACCES, RES_SERVER,
                                 "Policy doesn't allow os_compute_api:os-admin-actions:reset_state to be performed.");
        _cleanup_json_ json_t *patch = json_pack("{s:s, s:n}", "vm_state", state, "task_state");
        return compute_server_action(c, id, &reset_action, patch, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server actions beyond power (issue 9): rebuild, resize with
 * confirm and revert, snapshots (createImage), shelve with offload and
 * unshelve, rescue and unrescue, changePassword and os-resetState.  The
 * service half (compute_server_change.c, compute_server_image.c) checks a
 * request with Nova's messages and runs it as a ServerAction; the tasks
 * (compute_task_*.c) do the work on the host.
 */
#pragma once

#include "compute/compute_internal.h"

/* ---- requests (compute_server_change.c, compute_server_image.c) ---- */

/* A rebuild as the API parsed it; strings and JSON borrowed.  A has_ flag says the key was given (null unsets). */
typedef struct ServerRebuild {
        const char *image_ref;
        const char *name;
        const char *admin_pass;  /* NULL: a new one is made */
        const json_t *metadata;  /* replaces the server's metadata, or NULL */
        const char *access_ipv4, *access_ipv6;
        bool has_description;    /* 2.19 */
        const char *description;
        bool has_key_name;       /* 2.54 */
        const char *key_name;
        bool has_user_data;      /* 2.57 */
        const char *user_data;
} ServerRebuild;

/* Rebuilds server id from another (or the same) image; *ret_admin_pass is the password the guest gets. */
int compute_server_rebuild(Ctx *c, const char *id, const ServerRebuild *rq, char **ret_admin_pass);
/* Resizes server id to the flavor flavor_ref names, on its host; VERIFY_RESIZE until confirmed or reverted. */
int compute_server_resize(Ctx *c, const char *id, const char *flavor_ref);
int compute_server_confirm_resize(Ctx *c, const char *id);
int compute_server_revert_resize(Ctx *c, const char *id);
/* Boots server id from a rescue disk (image_ref, or its own image); *ret_admin_pass as for rebuild. */
int compute_server_rescue(Ctx *c, const char *id, const char *admin_pass, const char *image_ref,
                          char **ret_admin_pass);
int compute_server_unrescue(Ctx *c, const char *id);
/* Nova's changePassword without a guest agent: the checks, the instance action, then 409. */
int compute_server_change_password(Ctx *c, const char *id);
/* os-resetState: vm_state "active" or "error", no task state; admins only. */
int compute_server_reset_state(Ctx *c, const char *id, const char *state);

/*
 * createImage: a queued image of the server's disk, owned by its project,
 * made active by the snapshot task.  metadata (may be NULL) overrides
 * Nova's own properties; check_quota counts it against metadata_items
 * (before 2.39).  *ret_image_id is the new image.
 */
int compute_server_snapshot(Ctx *c, const char *id, const char *name, const json_t *metadata, bool check_quota,
                            char **ret_image_id);
int compute_server_shelve(Ctx *c, const char *id);
int compute_server_shelve_offload(Ctx *c, const char *id);
/* Unshelves server id; availability_zone (2.77, may be NULL) picks the zone of a SHELVED_OFFLOADED one. */
int compute_server_unshelve(Ctx *c, const char *id, const char *availability_zone);

/* ---- the tasks, for compute_task.c's table ---- */

int compute_task_rebuild(Ctx *c, const Task *t);
int compute_task_rebuild_failed(Ctx *c, const Task *t, const char *error);
int compute_task_resize(Ctx *c, const Task *t);
int compute_task_resize_failed(Ctx *c, const Task *t, const char *error);
int compute_task_resize_confirm(Ctx *c, const Task *t);
int compute_task_resize_revert(Ctx *c, const Task *t);
int compute_task_resize_end_failed(Ctx *c, const Task *t, const char *error);
int compute_task_snapshot(Ctx *c, const Task *t);
int compute_task_snapshot_failed(Ctx *c, const Task *t, const char *error);
int compute_task_rescue(Ctx *c, const Task *t);
int compute_task_unrescue(Ctx *c, const Task *t);
int compute_task_rescue_failed(Ctx *c, const Task *t, const char *error);
int compute_task_shelve(Ctx *c, const Task *t);
int compute_task_shelve_offload(Ctx *c, const Task *t);
int compute_task_unshelve(Ctx *c, const Task *t);
int compute_task_shelve_failed(Ctx *c, const Task *t, const char *error);

/*
 * For the snapshot and shelve tasks (compute_task_image.c): flattens the
 * server's disk into a standalone qcow2 and uploads it into image_id
 * (queued), with the task states of state_pending and state_uploading on
 * the way.  A running guest is saved to disk around the copy (a managed
 * save, so its disk is consistent and unlocked) and resumed; one that is
 * off is copied as it is.  0 if the image is active already; -ENOENT
 * with no message recorded if it was deleted meanwhile.
 */
int compute_guest_snapshot(Ctx *c, const json_t *rec, ComputeHost *h, const char *image_id, const char *state_pending,
                           const char *state_uploading);
/* Discards image_id unless its data came (a snapshot whose server went first); 0 if it is gone already. */
int compute_task_image_abandon(Ctx *c, const char *image_id);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state strings and the status table (see compute_state.h), after
 * Nova's vm_states, task_states and its API's state map.
 */
#include "compute/compute_state.h"

static const char *const vm_states[_VM_STATE_MAX] = {
        [VM_ACTIVE] = "active",
        [VM_BUILDING] = "building",
        [VM_STOPPED] = "stopped",
        [VM_PAUSED] = "paused",
        [VM_SUSPENDED] = "suspended",
        [VM_RESCUED] = "rescued",
        [VM_RESIZED] = "resized",
        [VM_ERROR] = "error",
        [VM_DELETED] = "deleted",
        [VM_SOFT_DELETED] = "soft-delete",
        [VM_SHELVED] = "shelved",
        [VM_SHELVED_OFFLOADED] = "shelved_offloaded",
};

static const char *const task_states[_TASK_STATE_MAX] = {
        [TASK_NONE] = NULL,
        [TASK_SCHEDULING] = "scheduling",
        [TASK_SPAWNING] = "spawning",
        [TASK_DELETING] = "deleting",
        [TASK_REBOOTING] = "rebooting",
        [TASK_REBOOT_PENDING] = "reboot_pending",
        [TASK_REBOOT_STARTED] = "reboot_started",
        [TASK_REBOOTING_HARD] = "rebooting_hard",
        [TASK_REBOOT_PENDING_HARD] = "reboot_pending_hard",
        [TASK_REBOOT_STARTED_HARD] = "reboot_started_hard",
        [TASK_UPDATING_PASSWORD] = "updating_password",
        [TASK_REBUILDING] = "rebuilding",
        [TASK_REBUILD_SPAWNING] = "rebuild_spawning",
        [TASK_RESIZE_PREP] = "resize_prep",
        [TASK_RESIZE_MIGRATING] = "resize_migrating",
        [TASK_RESIZE_MIGRATED] = "resize_migrated",
        [TASK_RESIZE_FINISH] = "resize_finish",
        [TASK_RESIZE_REVERTING] = "resize_reverting",
        [TASK_RESIZE_CONFIRMING] = "resize_confirming",
        [TASK_POWERING_OFF] = "powering-off",
        [TASK_POWERING_ON] = "powering-on",
        [TASK_PAUSING] = "pausing",
        [TASK_UNPAUSING] = "unpausing",
        [TASK_SUSPENDING] = "suspending",
        [TASK_RESUMING] = "resuming",
        [TASK_RESCUING] = "rescuing",
        [TASK_UNRESCUING] = "unrescuing",
        [TASK_IMAGE_SNAPSHOT] = "image_snapshot",
        [TASK_IMAGE_PENDING_UPLOAD] = "image_pending_upload",
        [TASK_IMAGE_UPLOADING] = "image_uploading",
        [TASK_SHELVING] = "shelving",
        [TASK_SHELVING_IMAGE_PENDING_UPLOAD] = "shelving_image_pending_upload",
        [TASK_SHELVING_IMAGE_UPLOADING] = "shelving_image_uploading",
        [TASK_SHELVING_OFFLOADING] = "shelving_offloading",
        [TASK_UNSHELVING] = "unshelving",
        [TASK_MIGRATING] = "migrating",
};

const char *vm_state_to_string(VmState s) {
        return s >= 0 && s < _VM_STATE_MAX ? vm_states[s] : NULL;
}

VmState vm_state_from_string(const char *s) {
        for (int i = 0; s && i < _VM_STATE_MAX; i++)
                if (streq(vm_states[i], s))
                        return (VmState) i;
        return _VM_STATE_INVALID;
}

const char *task_state_to_string(TaskState t) {
        return t > 0 && t < _TASK_STATE_MAX ? task_states[t] : NULL;
}

TaskState task_state_from_string(const char *s) {
        if (!s)
                return TASK_NONE;
        for (int i = 1; i < _TASK_STATE_MAX; i++)
                if (streq(task_states[i], s))
                        return (TaskState) i;
        return _TASK_STATE_INVALID;
}

/* One row of the status table: a task state that changes the status of a vm state. */
typedef struct StatusRule {
        VmState vm;
        TaskState task;          /* TASK_NONE: the vm state's default */
        const char *status;
} StatusRule;

static const StatusRule rules[] = {
        { VM_ACTIVE, TASK_NONE, "ACTIVE" },
        { VM_ACTIVE, TASK_REBOOTING, "REBOOT" },
        { VM_ACTIVE, TASK_REBOOT_PENDING, "REBOOT" },
        { VM_ACTIVE, TASK_REBOOT_STARTED, "REBOOT" },
        { VM_ACTIVE, TASK_REBOOTING_HARD, "HARD_REBOOT" },
        { VM_ACTIVE, TASK_REBOOT_PENDING_HARD, "HARD_REBOOT" },
        { VM_ACTIVE, TASK_REBOOT_STARTED_HARD, "HARD_REBOOT" },
        { VM_ACTIVE, TASK_UPDATING_PASSWORD, "PASSWORD" },
        { VM_ACTIVE, TASK_REBUILDING, "REBUILD" },
        { VM_ACTIVE, TASK_REBUILD_SPAWNING, "REBUILD" },
        { VM_ACTIVE, TASK_MIGRATING, "MIGRATING" },
        { VM_ACTIVE, TASK_RESIZE_PREP, "RESIZE" },
        { VM_ACTIVE, TASK_RESIZE_MIGRATING, "RESIZE" },
        { VM_ACTIVE, TASK_RESIZE_MIGRATED, "RESIZE" },
        { VM_ACTIVE, TASK_RESIZE_FINISH, "RESIZE" },
        { VM_BUILDING, TASK_NONE, "BUILD" },
        { VM_STOPPED, TASK_NONE, "SHUTOFF" },
        { VM_STOPPED, TASK_RESIZE_PREP, "RESIZE" },
        { VM_STOPPED, TASK_RESIZE_MIGRATING, "RESIZE" },
        { VM_STOPPED, TASK_RESIZE_MIGRATED, "RESIZE" },
        { VM_STOPPED, TASK_RESIZE_FINISH, "RESIZE" },
        { VM_STOPPED, TASK_REBUILDING, "REBUILD" },
        { VM_STOPPED, TASK_REBUILD_SPAWNING, "REBUILD" },
        { VM_RESIZED, TASK_NONE, "VERIFY_RESIZE" },
        { VM_RESIZED, TASK_RESIZE_REVERTING, "REVERT_RESIZE" },
        { VM_PAUSED, TASK_NONE, "PAUSED" },
        { VM_PAUSED, TASK_MIGRATING, "MIGRATING" },
        { VM_SUSPENDED, TASK_NONE, "SUSPENDED" },
        { VM_RESCUED, TASK_NONE, "RESCUE" },
        { VM_ERROR, TASK_NONE, "ERROR" },
        { VM_ERROR, TASK_REBUILDING, "REBUILD" },
        { VM_ERROR, TASK_REBUILD_SPAWNING, "REBUILD" },
        { VM_DELETED, TASK_NONE, "DELETED" },
        { VM_SOFT_DELETED, TASK_NONE, "SOFT_DELETED" },
        { VM_SHELVED, TASK_NONE, "SHELVED" },
        { VM_SHELVED_OFFLOADED, TASK_NONE, "SHELVED_OFFLOADED" },
};

const char *server_status(VmState vm, TaskState task) {
        const char *fallback = "UNKNOWN";
        for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
                if (rules[i].vm != vm)
                        continue;
                if (rules[i].task == task && task != TASK_NONE)
                        return rules[i].status;
                if (rules[i].task == TASK_NONE)
                        fallback = rules[i].status;
        }
        return fallback;
}

size_t server_status_states(const char *status, bool vms[static _VM_STATE_MAX]) {
        size_t n = 0;
        for (int i = 0; i < _VM_STATE_MAX; i++)
                vms[i] = false;
        for (size_t i = 0; i < ELEMENTSOF(rules); i++)
                if (strcasecmp(rules[i].status, status) == 0) {
                        vms[rules[i].vm] = true;
                        n++;
                }
        return n;
}

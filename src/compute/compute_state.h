/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A server's state as Nova reports it: vm_state (what the server is),
 * task_state (what is being done to it, or nothing), and the status the API
 * shows, derived from both by one table.  The strings are Nova's, because
 * clients compare them.
 */
#pragma once

#include "util/util.h"

typedef enum VmState {
        VM_ACTIVE,
        VM_BUILDING,
        VM_STOPPED,
        VM_PAUSED,
        VM_SUSPENDED,
        VM_RESCUED,
        VM_RESIZED,
        VM_ERROR,
        VM_DELETED,
        VM_SOFT_DELETED,
        VM_SHELVED,
        VM_SHELVED_OFFLOADED,
        _VM_STATE_MAX,
        _VM_STATE_INVALID = -EINVAL,
} VmState;

typedef enum TaskState {
        TASK_NONE,               /* NULL in the database and the API */
        TASK_SCHEDULING,
        TASK_SPAWNING,
        TASK_DELETING,
        TASK_REBOOTING,
        TASK_REBOOT_PENDING,
        TASK_REBOOT_STARTED,
        TASK_REBOOTING_HARD,
        TASK_REBOOT_PENDING_HARD,
        TASK_REBOOT_STARTED_HARD,
        TASK_UPDATING_PASSWORD,
        TASK_REBUILDING,
        TASK_REBUILD_SPAWNING,
        TASK_RESIZE_PREP,
        TASK_RESIZE_MIGRATING,
        TASK_RESIZE_MIGRATED,
        TASK_RESIZE_FINISH,
        TASK_RESIZE_REVERTING,
        TASK_RESIZE_CONFIRMING,
        TASK_POWERING_OFF,
        TASK_POWERING_ON,
        TASK_PAUSING,
        TASK_UNPAUSING,
        TASK_SUSPENDING,
        TASK_RESUMING,
        TASK_RESCUING,
        TASK_UNRESCUING,
        TASK_IMAGE_SNAPSHOT,
        TASK_IMAGE_PENDING_UPLOAD,
        TASK_IMAGE_UPLOADING,
        TASK_SHELVING,
        TASK_SHELVING_IMAGE_PENDING_UPLOAD,
        TASK_SHELVING_IMAGE_UPLOADING,
        TASK_SHELVING_OFFLOADING,
        TASK_UNSHELVING,
        TASK_MIGRATING,
        _TASK_STATE_MAX,
        _TASK_STATE_INVALID = -EINVAL,
} TaskState;

const char *vm_state_to_string(VmState s);
VmState vm_state_from_string(const char *s);
/* NULL for TASK_NONE. */
const char *task_state_to_string(TaskState t);
/* NULL is TASK_NONE. */
TaskState task_state_from_string(const char *s);

/* The API status of a server ("ACTIVE", "REBOOT", "VERIFY_RESIZE", ...), as Nova derives it. */
const char *server_status(VmState vm, TaskState task);
/*
 * For ?status= filters: marks in vms the vm states that can show status
 * (case-insensitive) and returns how many table rows name it (0: an
 * unknown status).  A server matches when vms[its vm_state] is set and
 * server_status() of its states equals status.
 */
size_t server_status_states(const char *status, bool vms[static _VM_STATE_MAX]);

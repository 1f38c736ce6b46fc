/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the compute service's files: its resources, the hosts this
 * daemon drives, and the pieces a server's life is made of (scheduling,
 * quotas, instance actions, state changes that queue tasks).  Records are
 * the resource engine's (engine/resource.h): json_t objects with the
 * columns' types.
 */
#pragma once

#include "compute/compute.h"
#include "compute/compute_state.h"
#include "engine/resource.h"
#include "engine/task.h"
#include "virt/virt.h"

extern const ResDef res_flavor, res_keypair, res_server, res_server_group;

/* The key pair name of user_id; -ENOENT with Nova's message (compute_keypair.c). */
int compute_keypair_find(Ctx *c, const char *user_id, const char *name, json_t **ret);

/* ---- the hosts this daemon drives (compute_host.c) ---- */

typedef struct ComputeHost {
        char *name;              /* compute_hosts.name: the node name, or node-fakeN with the fake driver */
        Virt virt;               /* its driver; .driver is NULL until it connects */
        bool registered;         /* its row in compute_hosts is current */
} ComputeHost;

typedef struct Compute {
        const Config *cfg;       /* borrowed from the daemon */
        ComputeHost *hosts;
        size_t n_hosts;
        bool kvm;                /* guests get hardware acceleration */
        char *instances_dir;     /* STATE/instances: one directory per server */
        char *cache_dir;         /* STATE/instances/_base: the image cache */
} Compute;

/* Set up by the module (compute_module.c); read-only afterwards. */
extern Compute compute;

/* Creates the instance directories, decides KVM or TCG, connects a driver per host (module setup). */
int compute_hosts_connect(const Config *cfg);
void compute_hosts_disconnect(void);
/* Connects the hosts whose driver is not connected yet; returns how many still are not. */
int compute_hosts_reconnect(void);
/* Records each connected host's resources and zone in compute_hosts; and a heartbeat, on every tick. */
int compute_hosts_register(Ctx *c);
int compute_hosts_heartbeat(Ctx *c);
/* One of this daemon's hosts, or NULL (a host of another daemon, or none). */
ComputeHost *compute_host_find(const char *name);
/* STATE/instances/<server_id>[/<file>]; caller frees.  server_id must be a dashed UUID (else NULL). */
char *compute_instance_path(const char *server_id, const char *file);

/* ---- scheduling (compute_scheduler.c) ---- */

/* What a server needs from a host. */
typedef struct SchedRequest {
        int64_t vcpus, memory_mb, disk_gb;
        const char *availability_zone;  /* NULL: any */
        const char *group_id;           /* a server group whose policy applies, or NULL */
        const char *ignore_server;      /* a server whose own claims do not count (resize to its host) */
        const char *host;               /* NULL: any; else only this host (a resize in place) */
} SchedRequest;

/*
 * Picks a host for server_id and claims its resources there (an
 * allocations row of kind), in the caller's transaction, so concurrent
 * creates never overcommit.  -ENOSPC (with Nova's "No valid host was
 * found." message) when no host fits.
 */
int compute_schedule(Ctx *c, const SchedRequest *rq, const char *server_id, const char *kind, char **ret_host);
/* Drops a server's claims of kind (NULL: all of them); in the caller's transaction. */
int compute_allocations_release(Ctx *c, const char *server_id, const char *kind);

/* ---- quotas (compute_quota.c) ---- */

/* The limit of resource for project_id: its own, else the config's default; -1 is unlimited. */
int compute_quota_limit(Ctx *c, const char *project_id, const char *resource, int64_t *ret);
/*
 * How many of count new servers (each of vcpus and memory_mb) the
 * project's instances, cores and ram quotas allow; -EDQUOT with Nova's
 * message when fewer than min_count fit.  In the caller's transaction.
 */
int compute_quota_servers(Ctx *c, const char *project_id, int64_t min_count, int64_t count, int64_t vcpus,
                          int64_t memory_mb, int64_t *ret_allowed);

/*
 * Whether the project's cores and ram quotas allow its servers to grow by
 * vcpus and memory_mb (a resize: no new instance); -EDQUOT with Nova's
 * message otherwise.  Deltas of 0 or less always fit.  In the caller's
 * transaction.
 */
int compute_quota_resize(Ctx *c, const char *project_id, int64_t vcpus, int64_t memory_mb);

/* ---- instance actions (compute_action.c) ---- */

/* Starts an instance action (create, reboot, ...) for the request in c; in the caller's transaction. */
int compute_action_start(Ctx *c, const char *server_id, const char *action);
/* Records an event of the newest action of server_id starting, or ending with result ("Success", "Error"). */
int compute_action_event(Ctx *c, const char *server_id, const char *event, const char *result, const char *message);

/* ---- servers (compute_server.c) ---- */

/* The record of a server, whoever owns it, deleted ones too; -ENOENT without a message. */
int compute_server_load(Ctx *c, const char *id, json_t **ret);
/* The server if the caller may see it and it is not deleted; else Nova's 404. */
int compute_server_get(Ctx *c, const char *id, json_t **ret);
/* Records a fault on a server (code, message) in the caller's transaction. */
int compute_server_fault(Ctx *c, const char *id, int code, const char *message);

/*
 * A change of state the API asks for: which vm states allow it, what the
 * task state is while it runs, and the task that does it.  Actions are
 * declared as data (compute_server_action.c) and run by one function.
 */
typedef struct ServerAction {
        const char *name;        /* the instance action and Nova's method name in messages: "reboot" */
        unsigned vm_states;      /* allowed vm states, as bits (1 << VM_ACTIVE) */
        TaskState task_state;    /* while it runs; TASK_NONE: the action is immediate */
        const char *task_kind;   /* the task that does it, or NULL */
        bool any_task_state;     /* allowed while another task runs (delete) */
        bool ignores_lock;       /* allowed on a locked server to non-admins (unlock by owner is checked apart) */
} ServerAction;

#define VM_BIT(s) (1u << (s))

/*
 * Runs action a on server id for the caller: 404 if not visible, 409 if
 * locked or in a state that does not allow it (Nova's messages), else in
 * one transaction sets the task state, records the instance action,
 * applies patch (fields of the servers row, may be NULL) and queues the
 * task with payload (may be NULL).
 */
int compute_server_action(Ctx *c, const char *id, const ServerAction *a, const json_t *patch, const json_t *payload);
/* Nova's checks of compute_server_action alone (lock, vm_state, task_state): 0 or -EBUSY with Nova's message. */
int compute_server_action_check(Ctx *c, const json_t *rec, const ServerAction *a);
/*
 * Work an action does in its transaction once the checks passed: rec is
 * the server as it is, patch (the servers row's changes) and payload (the
 * task's) are the action's own copies, which the hook may extend.
 */
typedef int (*ServerActionHook)(Ctx *c, const json_t *rec, json_t *patch, json_t *payload, void *userdata);
/* compute_server_action with a hook (NULL: none) run after the checks, in the same transaction. */
int compute_server_action_with(Ctx *c, const char *id, const ServerAction *a, const json_t *patch,
                               const json_t *payload, ServerActionHook hook, void *userdata);

/*
 * Ends a task's work on a server: in one transaction applies patch (new
 * vm_state, power_state, ...), clears task_state, and records the event's
 * success.  0 rows (the server was deleted meanwhile) is fine.
 */
int compute_server_settle(Ctx *c, const char *id, const char *event, const json_t *patch);

/* ---- creating servers (compute_server_create.c) ---- */

/* A create request, as the API parsed it.  Strings and the JSON are borrowed; the resolved records are owned. */
typedef struct ServerCreate {
        const char *name;
        const char *image_ref;   /* an image id or URL */
        const char *flavor_ref;  /* a flavor id or URL */
        const char *key_name, *availability_zone, *user_data, *admin_pass;
        const char *access_ipv4, *access_ipv6, *description;
        const json_t *metadata;  /* object or NULL */
        const json_t *tags;      /* array or NULL */
        const json_t *networks;  /* "none", "auto", a list, or NULL */
        const char *group_id;    /* scheduler hint "group", or NULL */
        bool config_drive;
        int64_t min_count, max_count;
        /* Filled by compute_server_create_check: */
        json_t *flavor, *image, *keypair;
} ServerCreate;

void compute_server_create_done(ServerCreate *rq);
/* The flavor a flavorRef names (an id, or a URL ending in one), if the caller may use it; else Nova's 400. */
int compute_flavor_resolve(Ctx *c, const char *ref, json_t **ret);
/* The flavor as servers keep it (their flavor field): what the API shows at 2.47, what builds and resizes need. */
json_t *compute_flavor_snapshot(const json_t *flavor);
/* Resolves and checks what the request names (Nova's 400s); fills rq's records. */
int compute_server_create_check(Ctx *c, ServerCreate *rq);
/*
 * Creates the servers of a checked request: [{"id"}...] in *ret_servers,
 * the reservation id, and the admin password (given or generated).
 */
int compute_server_create(Ctx *c, const ServerCreate *rq, json_t **ret_servers, char **ret_reservation,
                          char **ret_admin_pass);

/* ---- the guest on its host (compute_guest.c) ---- */

/*
 * Defines the domain of server rec on its host from what is on disk (the
 * root disk, the config drive when there is one): idempotent, so start
 * and reboot can always (re)define first.
 */
int compute_guest_define(Ctx *c, const json_t *rec, ComputeHost *h);
/* The host of server rec, when this daemon drives it; -EHOSTUNREACH with a message otherwise. */
int compute_guest_host(Ctx *c, const json_t *rec, ComputeHost **ret);
/* Makes file (in the server's directory) a qcow2 overlay of image_id, cached on this host, of the server's root size. */
int compute_guest_disk_from_image(Ctx *c, const json_t *rec, const char *image_id, const char *file);
/* (Re)writes the server's config drive, when it has one. */
int compute_guest_config_drive(Ctx *c, const json_t *rec, const char *admin_pass);
/*
 * Powers the guest off if it runs: an ACPI shutdown that may take up to
 * [compute] shutdown_timeout when clean, else at once; a paused guest is
 * destroyed.  0 if it was off (or saved to disk) already.
 */
int compute_guest_stop(Ctx *c, const json_t *rec, ComputeHost *h, bool clean);
/* Destroys and undefines the guest (h may be NULL: files only) and removes its directory. */
int compute_guest_remove(Ctx *c, const char *id, ComputeHost *h);
/* Reports a driver failure as the task's error (a message in c) and returns its code. */
int compute_guest_error(Ctx *c, int r, const Error *e, const char *what, const char *server_id);

/* Compares every host with the database and converges (compute_reconcile.c): the module's tick. */
void compute_reconcile(Ctx *c);

/* The compute service's task kinds (compute_task.c), for the module. */
extern const TaskDef compute_tasks[];

/* ---- helpers of the task files (compute_task.c) ---- */

/* A failure the next attempt may not have (the hypervisor restarting, a lock) as -EAGAIN; others as they are. */
int compute_task_retryable(int r);
/* The server a task acts on, unless it is gone or deleted (then *ret is NULL and 0 is returned). */
int compute_task_server(Ctx *c, const Task *t, json_t **ret);
/* The power state the hypervisor reports now for server id on h, or NOSTATE. */
VirtPower compute_guest_power(ComputeHost *h, const char *id);
/* Sets a server's task state (a step of a task: "spawning", "image_uploading"). */
int compute_server_set_task_state(Ctx *c, const char *id, const char *task_state);
/*
 * For a task's failed hook: clears the task state (and sets vm_state,
 * unless NULL), records error as the server's fault and event as failed.
 * A server deleted meanwhile is fine.
 */
int compute_task_fail(Ctx *c, const Task *t, const char *vm_state, const char *event, const char *error);

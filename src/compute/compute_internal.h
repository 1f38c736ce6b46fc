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
#include "network/network.h"
#include "virt/virt.h"

extern const ResDef res_flavor, res_keypair, res_server, res_server_group;

/* ---- server groups (compute_group.c) ---- */

/*
 * Creates a server group for the caller's project from obj (name, policy,
 * rules), checking the server_groups quota in the same transaction; *ret
 * is the stored record.
 */
int compute_group_create(Ctx *c, const json_t *obj, json_t **ret);
/* A group the caller may see: 404 when there is none, 403 when it is another project's (as Nova's policy). */
int compute_group_get(Ctx *c, const char *id, json_t **ret);
/* The caller's project's groups, or every project's; offset and limit (-1: all) as Nova's common.limited. */
int compute_group_list(Ctx *c, bool all_projects, int64_t offset, int64_t limit, json_t **ret);
/* The ids of the group's servers that are not deleted. */
int compute_group_members(Ctx *c, const char *id, json_t **ret);
/* Deletes a group; its members stay, no longer in a group (Nova allows it). */
int compute_group_delete(Ctx *c, const char *id);
/*
 * Whether count more servers of the caller fit group_id's
 * server_group_members quota (Nova counts the caller's live servers in
 * the group, under the limit of the caller's project); -EDQUOT with
 * Nova's message if not.  In the caller's transaction.
 */
int compute_group_members_quota(Ctx *c, const char *group_id, int64_t count);

/* ---- flavors (compute_flavor.c) ---- */

/* The flavor id as the caller may see it (admins all, others public or offered ones); else Nova's 404. */
int compute_flavor_get(Ctx *c, const char *id, json_t **ret);

/* What GET /flavors asks for, parsed. */
typedef struct FlavorFilter {
        int is_public;           /* 1: public (and offered to the caller's project), 0: private, -1: all; admins only */
        bool has_min_ram, has_min_disk;
        int64_t min_ram, min_disk;
        const char *sort_key;    /* Nova's key ("flavorid", "memory_mb", ...), NULL: flavorid */
        const char *sort_dir;    /* "asc", "desc", NULL: asc */
        const char *marker;      /* a flavor id, or NULL */
        int64_t limit;           /* 0: all */
} FlavorFilter;

/* Our column for Nova's flavor sort key, or NULL if Nova has no such key. */
const char *compute_flavor_sort_column(const char *key);
/* The flavors the caller may see matching f, in order; 400 "marker [x] not found" as Nova. */
int compute_flavor_list(Ctx *c, const FlavorFilter *f, json_t **ret, bool *ret_more);
/*
 * Creates a flavor from obj (res_flavor's fields, checked by the caller;
 * no "id": a new UUID).  Nova's 409s: "Flavor with ID x already exists."
 * before "Flavor with name x already exists.".
 */
int compute_flavor_create(Ctx *c, const json_t *obj, json_t **ret);
/* Deletes a flavor (its extra specs and access list go with it); servers keep their copy. */
int compute_flavor_delete(Ctx *c, const char *id);
/* The extra specs of flavor id as {key: value}. */
int compute_flavor_extra_specs(Ctx *c, const char *id, json_t **ret);
/* Sets (adds or replaces) the string values of specs; 404 for a missing flavor. */
int compute_flavor_specs_set(Ctx *c, const char *id, const json_t *specs);
/* Removes one extra spec; Nova's 404s for a missing flavor or key. */
int compute_flavor_specs_remove(Ctx *c, const char *id, const char *key);
/* The access list of flavor id: [{"flavor_id", "tenant_id"}]. */
int compute_flavor_access_list(Ctx *c, const char *id, json_t **ret);
/*
 * Offers flavor id to project_id (add) or withdraws it, with Nova's
 * errors: 404 for the flavor or a missing entry, 409 for a duplicate,
 * and with refuse_public (2.7) 409 for a public flavor.
 */
int compute_flavor_access_change(Ctx *c, const char *id, const char *project_id, bool add, bool refuse_public);

/* Whether project_id names a project (Keystone's), for Nova's "not a valid project" 400s (compute_quota.c). */
int compute_project_check(Ctx *c, const char *project_id);

/* ---- key pairs (compute_keypair.c, compute_keygen.c) ---- */

/* The key pair name of user_id; -ENOENT with Nova's message (compute_keypair.c). */
int compute_keypair_find(Ctx *c, const char *user_id, const char *name, json_t **ret);
/* Nova's key pair names (before 2.92): 1 to 255 of letters, digits, '_', '-' and inner spaces. */
bool compute_keypair_name_valid(const char *name);

/* A key pair to import or generate; strings borrowed. */
typedef struct KeypairCreate {
        const char *user_id;     /* the owner: the caller, or whom an admin names (2.10) */
        const char *name;
        const char *type;        /* "ssh" or "x509" */
        const char *public_key;  /* the key to import; NULL: generate one */
} KeypairCreate;

/*
 * Imports or generates a key pair, with Nova's checks in Nova's order:
 * the name (400), the key_pairs quota of the caller's project counted
 * over the owner's pairs (403), the key (400), the name's uniqueness
 * (409).  *ret is the stored record; *ret_private_key (may be NULL) the
 * generated private key, or NULL for an import.
 */
int compute_keypair_create(Ctx *c, const KeypairCreate *rq, json_t **ret, char **ret_private_key);
/* The pairs of user_id by name after marker (a name; 400 if it names none), at most limit (0: all). */
int compute_keypair_list(Ctx *c, const char *user_id, const char *marker, int64_t limit, json_t **ret,
                         bool *ret_more);
/* Deletes a pair; Nova's 404 if user_id has none of that name. */
int compute_keypair_delete(Ctx *c, const char *user_id, const char *name);
/*
 * Generates a key pair of type ("ssh": RSA 2048 commented with name;
 * "x509": a self-signed certificate for user_id) with ssh-keygen or
 * openssl, in a private directory removed before returning.  All three
 * results are new strings.
 */
int compute_keygen(Ctx *c, const char *type, const char *name, const char *user_id, char **ret_private,
                   char **ret_public, char **ret_fingerprint);

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

/* A host that has not reported for this long is taken as down (scheduler, os-services, os-hypervisors). */
#define COMPUTE_HOST_DOWN_USEC (120 * 1000000LL)

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

/* ---- the hosts as the API shows them (compute_hypervisor.c) ---- */

/*
 * Every compute host, by its integer id, as records: name, seq, uuid,
 * service_uuid, host_ip, hypervisor_type, hypervisor_version,
 * availability_zone, vcpus, memory_mb, local_gb (what it offers),
 * vcpus_used, memory_mb_used, local_gb_used (its servers' claims, and the
 * memory and disk reserved for the host itself), running_vms,
 * current_workload (servers with a task running), disabled,
 * disabled_reason, forced_down, heartbeat_at and up (it reported lately
 * and is not forced down).
 */
int compute_hosts_list(Ctx *c, json_t **ret);
/* The servers on host (not deleted) as [{"name", "uuid"}]. */
int compute_host_servers(Ctx *c, const char *host, json_t **ret);
/*
 * Changes a host's service: disabled (-1 leaves it) with its reason (set
 * when disabling, cleared when enabling), forced_down (-1 leaves it).
 * Nova's 404 for an unknown host.
 */
int compute_host_set_service(Ctx *c, const char *host, int disabled, const char *reason, int forced_down);
/* This machine's uptime(1) line, as Nova's libvirt driver reports a host's uptime.  A new string. */
char *compute_host_uptime(void);

/* ---- usage over a period (compute_usage.c) ---- */

typedef struct UsageQuery {
        const char *project_id;  /* NULL: every project */
        int64_t start, stop;     /* the period, usec */
        const char *marker;      /* a server id (2.40 paging), or NULL */
        int64_t limit;           /* 0: all */
} UsageQuery;

/*
 * The servers that ran in the period (deleted ones too), oldest first,
 * each as Nova's server usage: instance_id, name, tenant_id, flavor (its
 * name), hours (inside the period), memory_mb, local_gb, vcpus,
 * started_at and ended_at (usec, or null), state, uptime (seconds).
 */
int compute_usage(Ctx *c, const UsageQuery *q, json_t **ret_servers, bool *ret_more);

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
/* Nova's quota resources by index, in its order ("instances", ..., "server_group_members"); NULL past the last. */
const char *compute_quota_resource(size_t i);
/* {resource: limit} of every resource: the defaults, or a project's own limits over them. */
int compute_quota_defaults(Ctx *c, json_t **ret);
int compute_quota_get(Ctx *c, const char *project_id, json_t **ret);
/* {resource: in use} of a project (key pairs and server group members count per user: 0, as Nova). */
int compute_quota_usage(Ctx *c, const char *project_id, json_t **ret);
/*
 * Sets a project's limits ({resource: limit}, integers, -1 unlimited);
 * unless force, a limit under what the project uses is Nova's 400, and
 * nothing is written.  limits NULL removes the project's own limits.
 */
int compute_quota_set(Ctx *c, const char *project_id, const json_t *limits, bool force);

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

/* What a list of instance actions asks for (os-instance-actions, 2.58's paging and filters). */
typedef struct ActionQuery {
        int64_t changes_since;   /* usec: actions updated at or after it; 0: no bound */
        int64_t changes_before;  /* usec: updated at or before it; 0: no bound */
        const char *marker;      /* the request id of the action the page starts after, or NULL */
        int64_t limit;           /* actions in the page; -1: all */
} ActionQuery;

/*
 * The server whose actions the caller asks about (compute_action_read.c):
 * Nova's 404 for one that does not exist or belongs to another project
 * (admins see every project's); a deleted one only with include_deleted
 * (2.21 on).
 */
int compute_action_server(Ctx *c, const char *id, bool include_deleted, json_t **ret);
/*
 * The actions of server_id, newest first: records with request_id,
 * action, project_id, user_id, message, start_time and updated_at (usec).
 * -EINVAL with Nova's message if q->marker names no action of the server.
 */
int compute_action_list(Ctx *c, const char *server_id, const ActionQuery *q, json_t **ret);
/*
 * The newest action of server_id with request_id, with its "events"
 * (event, host, result, traceback, start_time, finish_time; newest first)
 * when with_events.  -ENOENT with Nova's message if there is none.
 */
int compute_action_get(Ctx *c, const char *server_id, const char *request_id, bool with_events, json_t **ret);

/* ---- servers (compute_server.c) ---- */

/* The record of a server, whoever owns it, deleted ones too; -ENOENT without a message. */
int compute_server_load(Ctx *c, const char *id, json_t **ret);
/* The server if the caller may see it and it is not deleted; else Nova's 404. */
int compute_server_get(Ctx *c, const char *id, json_t **ret);
/* Records a fault on a server (code, message) in the caller's transaction. */
int compute_server_fault(Ctx *c, const char *id, int code, const char *message);

/* ---- a server's metadata and tags (compute_server_meta.c, compute_server_tag.c) ---- */

/* Nova's limit of tags on one server. */
#define SERVER_MAX_TAGS 50

/*
 * Whether server rec may have its metadata or tags changed now, as Nova
 * decides: with check_lock a locked server refuses non-admins ("Instance
 * %s is locked"); the vm state must be active, paused, suspended or
 * stopped, and with check_task no task may be running ("Cannot '<action>'
 * instance ... while it is in vm_state ...").  -EBUSY (409) otherwise.
 */
int compute_server_check_editable(Ctx *c, const json_t *rec, const char *action, bool check_lock, bool check_task);
/* Whether n metadata items fit project_id's metadata_items quota; -EDQUOT with Nova's message if not. */
int compute_server_metadata_quota(Ctx *c, const char *project_id, int64_t n);
/* The metadata of a server the caller may see, as an object (Nova's 404 otherwise). */
int compute_server_metadata_get(Ctx *c, const char *id, json_t **ret);
/*
 * Merges items (an object of strings) into a server's metadata, or with
 * replace makes them all of it, in one transaction that checks the lock,
 * the state and the quota and stamps the server's updated_at.  *ret (may
 * be NULL) is the metadata after the change.
 */
int compute_server_metadata_update(Ctx *c, const char *id, const json_t *items, bool replace, json_t **ret);
/* Removes one item (Nova's 404 "Metadata item was not found" when absent), as update does. */
int compute_server_metadata_delete(Ctx *c, const char *id, const char *key);

/*
 * The tags of a server (2.26): Nova checks the server's project before
 * looking further, so another project's server is 403 and a deleted or
 * missing one 404.  Lists are sorted.
 */
int compute_server_tags_list(Ctx *c, const char *id, json_t **ret);
/* Replaces every tag (tags: an array of valid tags, at most SERVER_MAX_TAGS); *ret is the new list. */
int compute_server_tags_replace(Ctx *c, const char *id, const json_t *tags, json_t **ret);
int compute_server_tags_clear(Ctx *c, const char *id);
/* Adds tag (validated here: 400 with Nova's message); *ret_created is false when it was there already. */
int compute_server_tag_add(Ctx *c, const char *id, const char *tag, bool *ret_created);
/* 0 if the server has tag, else -ENOENT with Nova's message. */
int compute_server_tag_check(Ctx *c, const char *id, const char *tag);
int compute_server_tag_remove(Ctx *c, const char *id, const char *tag);

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
        const json_t *security_groups; /* [{"name"}] or NULL */
        const char *group_id;    /* scheduler hint "group", or NULL */
        bool config_drive;
        int64_t min_count, max_count;
        /* Filled by compute_server_create_check: */
        json_t *flavor, *image, *keypair;
        NetworkNicRequest *nics; /* the listed NICs (owned; the strings borrowed from networks) */
        size_t n_nics;
        NetworkNicDefault nics_how;
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

/* ---- a server's NICs (compute_server_nics.c) ---- */

/* Nova's "networks" of a create into rq's NIC requests, with Nova's 400s for what needs no lookup. */
int compute_nics_parse(Ctx *c, const json_t *networks, int64_t max_count, ServerCreate *rq);
/* Makes or takes the ports of a new server, in the create's transaction, and records them in order. */
int compute_nics_allocate(Ctx *c, const ServerCreate *rq, const char *server_id, const char *hostname);
/* The server's NICs as network_nics_describe tells them, in the guest's order. */
int compute_nics_describe(Ctx *c, const char *server_id, json_t **ret);
/*
 * Binds the server's ports to host and waits until the data plane has
 * wired them (-EAGAIN if it has not yet): what a guest's definition
 * needs first.  *ret is compute_nics_describe's list.
 */
int compute_nics_wire(Ctx *c, const json_t *rec, const char *host, json_t **ret);
/* Deletes the ports made for the server and unbinds the user's, in the delete's transaction. */
int compute_nics_release(Ctx *c, const char *server_id);
/*
 * Adds one NIC to a server, in the caller's transaction: a port made on a
 * network (or the one network available, for NETWORK_NICS_DEFAULT) or the
 * user's port, recorded after the others.  *ret_port_id is its port.
 */
int compute_nics_add(Ctx *c, const json_t *rec, NetworkNicDefault how, const NetworkNicRequest *rq, size_t n,
                     char **ret_port_id);
/* Takes one NIC off a server, in the caller's transaction: -ENOENT without a message if it has no such port. */
int compute_nics_remove(Ctx *c, const char *server_id, const char *port_id);

/*
 * Nova's addresses of a server from its port ids: {network name: [{version,
 * addr}]}, with each address's OS-EXT-IPS type and MAC when extended (all
 * views but PUT's and rebuild's answers before 2.75).
 */
json_t *compute_nics_addresses(Ctx *c, const json_t *port_ids, bool extended);

/* ---- interfaces attached and detached (compute_server_iface.c) ---- */

/* The server's NICs (compute_nics_describe's, each with its "tag"), Nova's 404 for a server the caller cannot see. */
int compute_iface_list(Ctx *c, const char *server_id, json_t **ret);
/* One of them by port; Nova's 404 "Port id ... could not be found." if the server has no such port. */
int compute_iface_get(Ctx *c, const char *server_id, const char *port_id, json_t **ret);
/*
 * Attaches a NIC: the port rq names, or one made on its network (with
 * its fixed_ip), or on the one network available when rq names neither.
 * Synchronous; *ret is the NIC as compute_iface_get has it.
 */
int compute_iface_attach(Ctx *c, const char *server_id, const NetworkNicRequest *rq, json_t **ret);
int compute_iface_detach(Ctx *c, const char *server_id, const char *port_id);

/* ---- security groups of a server's ports (compute_server_secgroup.c) ---- */

/* The groups on the server's ports (network_device_security_groups'), Nova's 404 for a server the caller cannot see. */
int compute_server_secgroups(Ctx *c, const char *server_id, json_t **ret);
/* addSecurityGroup (add) or removeSecurityGroup: group as the caller's project names it, on every port of the server. */
int compute_server_secgroup_change(Ctx *c, const char *server_id, const char *group, bool add);
/* Nova's proxy of the groups: project_id's (NULL: all), or one by id; each with its rules. */
int compute_secgroups_list(Ctx *c, const char *project_id, json_t **ret);
int compute_secgroup_get(Ctx *c, const char *id, json_t **ret);

/* ---- the guest on its host (compute_guest.c) ---- */

/*
 * Defines the domain of server rec on its host from what is on disk (the
 * root disk, the config drive when there is one): idempotent, so start
 * and reboot can always (re)define first.
 */
int compute_guest_define(Ctx *c, const json_t *rec, ComputeHost *h);
/* A NIC of compute_nics_describe's list as the virt layer takes it (the strings borrowed from nic). */
VirtNic compute_guest_nic(const json_t *nic);
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

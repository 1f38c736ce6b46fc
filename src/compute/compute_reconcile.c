/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reconciler: on every tick, each host this daemon drives is compared
 * with the database.  A guest shut down from inside makes its server
 * SHUTOFF; a power state that drifted is recorded; a domain or an instance
 * directory of this cloud that no live server owns (a crash between a
 * delete's steps, a leftover) is removed, and other clouds' domains on the
 * same libvirtd are left alone; cached images no server uses are dropped.  A
 * server with work in flight (a task state, a queued task) is left to its
 * task.
 */
#include "compute/compute_internal.h"
#include "storage/storage.h"
#include "util/log.h"

#include <dirent.h>
#include <sys/stat.h>

/* Whether server id has a task queued or running, or is not there to own anything. */
static int busy(Ctx *c, const char *id, bool *ret) {
        int64_t n = 0;
        int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM tasks WHERE resource_id = ? AND state IN ('queued', 'running')",
                             "s", id);
        if (r < 0)
                return res_db_error(c, r, RES_SERVER, "reading tasks");
        *ret = n > 0;
        return 0;
}

/* Whether a live (not deleted) server id lives on host. */
static int owned(Ctx *c, const char *id, const char *host, bool *ret) {
        int64_t n = 0;
        int r = db_query_int(c->db, &n,
                             "SELECT COUNT(*) FROM servers WHERE id = ? AND vm_state <> 'deleted' AND (? IS NULL OR host = ?)",
                             "sss", id, host, host);
        if (r < 0)
                return res_db_error(c, r, RES_SERVER, "reading servers");
        *ret = n > 0;
        return 0;
}

/*
 * The settled servers of host h, read BEFORE the hypervisor is asked
 * about their guests: a record is then never newer than the guest state
 * it is compared with.  (Read after, a build that settled in between
 * would look ACTIVE next to a guest listed while it was still starting,
 * and be marked stopped.)
 */
static json_t *settled_servers(Ctx *c, ComputeHost *h) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *rows = json_array();
        int r = db_query(c->db, &s,
                         "SELECT id, vm_state, power_state, updated_at FROM servers WHERE host = ? AND task_state IS NULL"
                         " AND vm_state IN ('active', 'stopped', 'paused', 'suspended', 'rescued', 'resized')",
                         "s", h->name);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(rows, db_row_json(s, "id vm_state i:power_state i:updated_at"));
        if (r < 0)
                ctx_clear_error(c);
        return rows;
}

/* Brings the records of the servers on h (rows, read before doms) in line with what the hypervisor says. */
static void sync_power(Ctx *c, const json_t *rows, const VirtDomainInfo *doms, size_t n) {
        size_t i;
        json_t *row;
        int r;
        json_array_foreach(rows, i, row) {
                const char *id = jx_string(row, "id"), *vm = jx_string(row, "vm_state");
                VirtPower p = VIRT_POWER_NOSTATE;
                bool task = false;
                for (size_t k = 0; k < n; k++)
                        if (streq(doms[k].uuid, id))
                                p = doms[k].power;
                if (busy(c, id, &task) < 0 || task)
                        continue;
                _cleanup_json_ json_t *patch = json_object();
                /* A guest that powered itself off (or vanished) is SHUTOFF, as Nova's power sync makes it. */
                if ((streq(vm, "active") || streq(vm, "rescued")) &&
                    (p == VIRT_POWER_SHUTDOWN || p == VIRT_POWER_CRASHED || p == VIRT_POWER_NOSTATE)) {
                        json_object_set_new(patch, "vm_state", json_string("stopped"));
                        log_info("compute", "server %s stopped on its own (power %s)", id, virt_power_to_string(p));
                }
                if (json_integer_value(json_object_get(row, "power_state")) != (json_int_t) p)
                        json_object_set_new(patch, "power_state", json_integer(p));
                if (json_object_size(patch) == 0)
                        continue;
                /* Only if the record did not change since it was read: the conditional write is the claim. */
                r = db_run(c->db, "UPDATE servers SET vm_state = COALESCE(?, vm_state), power_state = ?, updated_at = ?"
                                  " WHERE id = ? AND task_state IS NULL AND vm_state = ? AND updated_at = ?",
                           "siissi", jx_string(patch, "vm_state"), (int64_t) p, now_usec(), id, vm,
                           (int64_t) json_integer_value(json_object_get(row, "updated_at")));
                if (r < 0)
                        log_warning("compute", "recording the power state of %s failed", id);
                ctx_clear_error(c);
        }
}

/*
 * Whether the guest uuid is this cloud's: its instance directory is
 * ours.  Several clouds (state directories) may share one libvirtd, and
 * each sees the others' gureum-<uuid> domains; a domain whose files are
 * elsewhere belongs to another cloud (or to nobody we know) and is never
 * touched.  Our own deletes remove the domain before the directory, so a
 * crash between the two leaves a domain that still passes this test.
 */
static bool ours(const char *uuid) {
        _cleanup_free_ char *dir = compute_instance_path(uuid, NULL);
        struct stat st;
        return dir && stat(dir, &st) >= 0 && S_ISDIR(st.st_mode);
}

/* Removes the guests on h that are this cloud's and that no live server owns. */
static void remove_orphan_domains(Ctx *c, ComputeHost *h, const VirtDomainInfo *doms, size_t n) {
        for (size_t i = 0; i < n; i++) {
                bool mine = true, task = false;
                if (!ours(doms[i].uuid))
                        continue;
                if (owned(c, doms[i].uuid, h->name, &mine) < 0 || mine || busy(c, doms[i].uuid, &task) < 0 || task) {
                        ctx_clear_error(c);
                        continue;
                }
                log_warning("compute", "removing guest %s on %s: no server owns it", doms[i].uuid, h->name);
                if (compute_guest_remove(c, doms[i].uuid, h) < 0)
                        log_warning("compute", "%s", c->error_message ? c->error_message : "removing it failed");
                ctx_clear_error(c);
        }
}

/* Removes instance directories of no live server (their guests went with remove_orphan_domains). */
static void remove_orphan_dirs(Ctx *c) {
        DIR *d = opendir(compute.instances_dir);
        struct dirent *de;
        if (!d)
                return;
        while ((de = readdir(d))) {
                bool mine = true, task = false;
                if (!uuid_is_dashed(de->d_name))
                        continue;
                if (owned(c, de->d_name, NULL, &mine) < 0 || mine || busy(c, de->d_name, &task) < 0 || task) {
                        ctx_clear_error(c);
                        continue;
                }
                log_warning("compute", "removing the files of %s: no server owns them", de->d_name);
                (void) compute_guest_remove(c, de->d_name, NULL);
                ctx_clear_error(c);
        }
        closedir(d);
}

/* A cached image stays while a live server's disk may rest on it (or an unshelve may be about to use it). */
static bool image_in_use(const char *image_id, void *userdata) {
        Ctx *c = userdata;
        int64_t n = 1;
        if (db_query_int(c->db, &n,
                         "SELECT COUNT(*) FROM servers WHERE vm_state <> 'deleted'"
                         " AND (image_id = ? OR rescue_image_id = ? OR shelved_image_id = ?)",
                         "sss", image_id, image_id, image_id) < 0)
                return true;
        return n > 0;
}

void compute_reconcile(Ctx *c) {
        (void) compute_hosts_heartbeat(c);
        ctx_clear_error(c);
        for (size_t i = 0; i < compute.n_hosts; i++) {
                ComputeHost *h = &compute.hosts[i];
                _cleanup_free_ VirtDomainInfo *doms = NULL;
                size_t n = 0;
                Error e = {};
                if (!h->registered)
                        continue; /* not connected yet: compute_hosts_heartbeat keeps trying */
                _cleanup_json_ json_t *rows = settled_servers(c, h);
                if (virt_list(&h->virt, &doms, &n, &e) < 0) {
                        log_warning("compute", "host %s: cannot list guests: %s", h->name, e.message);
                        continue;
                }
                sync_power(c, rows, doms, n);
                remove_orphan_domains(c, h, doms, n);
        }
        remove_orphan_dirs(c);
        int removed = storage_image_cache_sweep(compute.cache_dir, image_in_use, c);
        if (removed > 0)
                log_info("compute", "dropped %d cached image(s) no server uses", removed);
        ctx_clear_error(c);
}

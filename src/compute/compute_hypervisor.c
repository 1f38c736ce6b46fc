/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compute hosts as Nova's admin APIs show them: each is a hypervisor
 * (os-hypervisors: what it offers and what its servers use), a
 * nova-compute service (os-services: enabled or disabled, up or down by
 * its heartbeat) and a member of an availability zone.  Uses are counted
 * from the scheduler's claims and the servers themselves, never kept.
 */
#include "compute/compute_internal.h"
#include "util/fileio.h"
#include "util/log.h"

#include <time.h>

int compute_hosts_list(Ctx *c, json_t **ret) {
        const Config *cfg = compute.cfg;
        int64_t reserved_mb = cfg ? cfg->compute_reserved_memory_mb : 0;
        int64_t reserved_gb = cfg ? (cfg->compute_reserved_disk_mb + 1023) / 1024 : 0;
        int64_t since = now_usec() - COMPUTE_HOST_DOWN_USEC;
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *out = json_array();
        int r = db_query(c->db, &s,
                         "SELECT h.name, h.seq, h.uuid, h.service_uuid, h.host_ip, h.hypervisor_type,"
                         " h.hypervisor_version, h.availability_zone, h.vcpus, h.memory_mb, h.disk_gb,"
                         " (SELECT COALESCE(SUM(a.vcpus), 0) FROM allocations a WHERE a.host = h.name),"
                         " (SELECT COALESCE(SUM(a.memory_mb), 0) FROM allocations a WHERE a.host = h.name) + ?,"
                         " (SELECT COALESCE(SUM(a.disk_gb), 0) FROM allocations a WHERE a.host = h.name) + ?,"
                         " (SELECT COUNT(*) FROM servers s WHERE s.host = h.name AND s.vm_state <> 'deleted'),"
                         " (SELECT COUNT(*) FROM servers s WHERE s.host = h.name AND s.vm_state <> 'deleted'"
                         " AND s.task_state IS NOT NULL),"
                         " h.disabled, h.disabled_reason, h.forced_down, h.heartbeat_at,"
                         " CASE WHEN h.heartbeat_at > ? AND h.forced_down = 0 THEN 1 ELSE 0 END"
                         " FROM compute_hosts h ORDER BY h.seq",
                         "iii", reserved_mb, reserved_gb, since);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(out, db_row_json(s, "name i:seq uuid service_uuid host_ip hypervisor_type "
                                                          "i:hypervisor_version availability_zone i:vcpus i:memory_mb "
                                                          "i:local_gb i:vcpus_used i:memory_mb_used i:local_gb_used "
                                                          "i:running_vms i:current_workload b:disabled "
                                                          "disabled_reason b:forced_down i:heartbeat_at b:up"));
        if (r < 0) {
                json_decref(out);
                return res_db_error(c, r, RES_HOST, "reading the compute hosts");
        }
        *ret = out;
        return 0;
}

int compute_host_servers(Ctx *c, const char *host, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *out = json_array();
        int r = db_query(c->db, &s,
                         "SELECT name, id FROM servers WHERE host = ? AND vm_state <> 'deleted' ORDER BY created_at, id",
                         "s", host);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(out, db_row_json(s, "name uuid"));
        if (r < 0) {
                json_decref(out);
                return res_db_error(c, r, RES_HOST, "reading a host's servers");
        }
        *ret = out;
        return 0;
}

int compute_host_set_service(Ctx *c, const char *host, int disabled, const char *reason, int forced_down) {
        int r = db_run(c->db,
                       "UPDATE compute_hosts SET disabled = CASE WHEN ? < 0 THEN disabled ELSE ? END,"
                       " disabled_reason = CASE WHEN ? < 0 THEN disabled_reason WHEN ? = 1 THEN ? ELSE NULL END,"
                       " forced_down = CASE WHEN ? < 0 THEN forced_down ELSE ? END, updated_at = ? WHERE name = ?",
                       "iiiisiiis", (int64_t) disabled, (int64_t) disabled, (int64_t) disabled, (int64_t) disabled,
                       reason, (int64_t) forced_down, (int64_t) forced_down, now_usec(), host);
        if (r < 0)
                return res_db_error(c, r, RES_HOST, "changing a compute service");
        if (r == 0)
                return ctx_error(c, -ENOENT, RES_HOST, "Could not find binary nova-compute on host %s.", host);
        log_full(LOG_LEVEL_INFO, "compute", c->request_id, "service nova-compute of host %s:%s%s", host,
                 disabled < 0 ? "" : disabled ? " disabled" : " enabled",
                 forced_down < 0 ? "" : forced_down ? " forced down" : " no longer forced down");
        return 0;
}

char *compute_host_uptime(void) {
        _cleanup_free_ char *up = NULL, *load = NULL;
        double seconds = 0, l1 = 0, l5 = 0, l15 = 0;
        char now[16] = "00:00:00", since[48];
        time_t t = time(NULL);
        struct tm tm;

        if (read_file("/proc/uptime", 4096, &up, NULL) >= 0)
                (void) sscanf(up, "%lf", &seconds);
        if (read_file("/proc/loadavg", 4096, &load, NULL) >= 0)
                (void) sscanf(load, "%lf %lf %lf", &l1, &l5, &l15);
        if (localtime_r(&t, &tm))
                strftime(now, sizeof(now), "%H:%M:%S", &tm);
        long mins = (long) (seconds / 60), days = mins / 1440, hours = mins % 1440 / 60;
        /* As procps writes it: "3 days,  4:05", " 4:05", "5 min". */
        if (days > 0)
                snprintf(since, sizeof(since), "%ld day%s, %2ld:%02ld", days, days == 1 ? "" : "s", hours, mins % 60);
        else if (hours > 0)
                snprintf(since, sizeof(since), "%2ld:%02ld", hours, mins % 60);
        else
                snprintf(since, sizeof(since), "%ld min", mins);
        return xasprintf(" %s up %s,  0 users,  load average: %.2f, %.2f, %.2f", now, since, l1, l5, l15);
}

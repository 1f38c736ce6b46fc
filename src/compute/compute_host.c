/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compute hosts this daemon drives: connecting their virt driver,
 * deciding between KVM and TCG, and registering each host (what it
 * offers, its zone, a heartbeat) in compute_hosts for the scheduler and
 * the os-hypervisors and os-services APIs.  With the fake driver one
 * daemon plays many hosts.
 */
#include "compute/compute_internal.h"
#include "util/fileio.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/stat.h>

/* How long the KVM probe may take before KVM counts as broken (nested KVM can hang). */
#define KVM_PROBE_USEC (20 * 1000000LL)

Compute compute;

ComputeHost *compute_host_find(const char *name) {
        for (size_t i = 0; name && i < compute.n_hosts; i++)
                if (streq(compute.hosts[i].name, name))
                        return &compute.hosts[i];
        return NULL;
}

char *compute_instance_path(const char *server_id, const char *file) {
        if (!uuid_is_dashed(server_id))
                return NULL;
        return file ? xasprintf("%s/%s/%s", compute.instances_dir, server_id, file)
                    : xasprintf("%s/%s", compute.instances_dir, server_id);
}

/* KVM when the config says so, or when a real boot under it works ("auto"). */
static int decide_kvm(const Config *cfg, bool *ret) {
        Error e = {};
        if (streq(cfg->compute_virt_type, "kvm") || streq(cfg->compute_virt_type, "qemu")) {
                *ret = streq(cfg->compute_virt_type, "kvm");
                return 0;
        }
        if (!streq(cfg->compute_virt_type, "auto")) {
                log_error("compute", "virt_type must be kvm, qemu or auto, not '%s'", cfg->compute_virt_type);
                return -EINVAL;
        }
        if (streq(cfg->compute_virt_driver, "fake")) {
                *ret = false;
                return 0;
        }
        int r = virt_probe_kvm(KVM_PROBE_USEC, &e);
        if (r < 0) {
                log_warning("compute", "the KVM probe could not run (%s); guests use TCG", e.message);
                r = 0;
        }
        *ret = r > 0;
        log_info("compute", "guests run with %s (a probe boot under KVM %s)", *ret ? "KVM" : "TCG (software emulation)",
                 *ret ? "worked" : "did not work");
        return 0;
}

int compute_hosts_connect(const Config *cfg) {
        _cleanup_free_ char *node = config_node_name(cfg);
        bool fake = streq(cfg->compute_virt_driver, "fake");
        size_t n = fake ? (size_t) cfg->compute_fake_hosts : 1;
        int r;

        compute.cfg = cfg;
        compute.instances_dir = config_state_path(cfg, "instances");
        compute.cache_dir = xasprintf("%s/_base", compute.instances_dir);
        /* 0711: QEMU runs as libvirt-qemu and must reach the disks below, but not list them. */
        r = mkdir_p(compute.cache_dir, 0711);
        if (r >= 0 && chmod(compute.instances_dir, 0711) < 0)
                r = -errno;
        if (r < 0) {
                log_error("compute", "cannot create %s: %s", compute.cache_dir, strerror(-r));
                return r;
        }
        /*
         * ... and so must pass through the state directory (gureum init makes
         * it 0750): others may search it, not list it.  What is private in
         * it is private by its own mode (the database 0600, keys 0700, the
         * image store 0750).
         */
        struct stat st;
        if (!fake && stat(cfg->state_dir, &st) >= 0 && !(st.st_mode & S_IXOTH) &&
            chmod(cfg->state_dir, (st.st_mode & 07777) | S_IXOTH) < 0) {
                r = -errno;
                log_error("compute", "cannot let QEMU reach %s: %s", cfg->state_dir, strerror(-r));
                return r;
        }
        r = decide_kvm(cfg, &compute.kvm);
        if (r < 0)
                return r;
        if (!streq(cfg->compute_virt_driver, "libvirt") && !fake) {
                log_error("compute", "virt_driver must be libvirt or fake, not '%s'", cfg->compute_virt_driver);
                return -EINVAL;
        }
        compute.hosts = xcalloc(n, sizeof(ComputeHost));
        for (size_t i = 0; i < n; i++)
                compute.hosts[i].name = n == 1 ? xstrdup(node) : xasprintf("%s-fake%zu", node, i + 1);
        compute.n_hosts = n;
        /* A hypervisor that is not up yet does not keep the API down: its host waits for the next tick. */
        (void) compute_hosts_reconnect();
        log_info("compute", "driving %zu host(s) with the %s driver", n, cfg->compute_virt_driver);
        return 0;
}

int compute_hosts_reconnect(void) {
        int missing = 0;
        for (size_t i = 0; i < compute.n_hosts; i++) {
                ComputeHost *h = &compute.hosts[i];
                Error e = {};
                if (h->virt.driver)
                        continue;
                VirtConfig vc = { .uri = compute.cfg->compute_libvirt_uri, .host = h->name,
                                  .instances_dir = compute.instances_dir };
                if (virt_open(compute.cfg->compute_virt_driver, &vc, &h->virt, &e) < 0) {
                        log_warning("compute", "host %s: cannot connect the %s driver yet: %s", h->name,
                                    compute.cfg->compute_virt_driver, e.message);
                        missing++;
                } else
                        log_info("compute", "host %s: connected to %s", h->name, compute.cfg->compute_virt_driver);
        }
        return missing;
}

void compute_hosts_disconnect(void) {
        for (size_t i = 0; i < compute.n_hosts; i++) {
                virt_close(&compute.hosts[i].virt);
                free(compute.hosts[i].name);
        }
        free(compute.hosts);
        free(compute.instances_dir);
        free(compute.cache_dir);
        compute = (Compute) {};
}

/*
 * The address the API shows as a hypervisor's host_ip: the first IPv4
 * address of an interface that is up and not loopback, else 127.0.0.1.
 * Read from the interfaces, never from DNS.
 */
static void host_ip(char out[static INET_ADDRSTRLEN]) {
        struct ifaddrs *ifs = NULL;
        snprintf(out, INET_ADDRSTRLEN, "127.0.0.1");
        if (getifaddrs(&ifs) < 0)
                return;
        for (struct ifaddrs *i = ifs; i; i = i->ifa_next)
                if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && (i->ifa_flags & IFF_UP) &&
                    !(i->ifa_flags & IFF_LOOPBACK)) {
                        inet_ntop(AF_INET, &((struct sockaddr_in *) (void *) i->ifa_addr)->sin_addr, out,
                                  INET_ADDRSTRLEN);
                        break;
                }
        freeifaddrs(ifs);
}

/*
 * Records what host h offers, now (and that it is alive).  A new host
 * gets the next integer id and two UUIDs (hypervisor, service), which
 * stay with it across restarts.
 */
static int register_host(Ctx *c, ComputeHost *h) {
        VirtHostInfo info = {};
        Error e = {};
        int64_t now = now_usec();
        char ip[INET_ADDRSTRLEN];
        _cleanup_free_ char *uuid = uuid_dashed_new(), *service_uuid = uuid_dashed_new();
        int r = virt_host_info(&h->virt, &info, &e);
        if (r < 0) {
                log_error("compute", "host %s: cannot read what it offers: %s", h->name, e.message);
                return r;
        }
        host_ip(ip);
        r = db_run(c->db,
                   "INSERT INTO compute_hosts (name, seq, uuid, service_uuid, host_ip, driver, vcpus, memory_mb, disk_gb,"
                   " hypervisor_type, hypervisor_version, availability_zone, heartbeat_at, created_at, updated_at)"
                   " VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM compute_hosts), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                   " ?, ?) ON CONFLICT (name) DO UPDATE SET host_ip = excluded.host_ip, driver = excluded.driver,"
                   " vcpus = excluded.vcpus, memory_mb = excluded.memory_mb, disk_gb = excluded.disk_gb,"
                   " hypervisor_type = excluded.hypervisor_type, hypervisor_version = excluded.hypervisor_version,"
                   " availability_zone = excluded.availability_zone, heartbeat_at = excluded.heartbeat_at,"
                   " updated_at = excluded.updated_at",
                   "sssssiiisisiii", h->name, uuid, service_uuid, ip, h->virt.driver->name, (int64_t) info.vcpus,
                   (int64_t) info.memory_mib, (int64_t) info.disk_gib, info.hypervisor_type,
                   (int64_t) info.hypervisor_version, compute.cfg->compute_availability_zone, now, now, now);
        return r < 0 ? res_db_error(c, r, RES_HOST, "registering a compute host") : 0;
}

int compute_hosts_register(Ctx *c) {
        for (size_t i = 0; i < compute.n_hosts; i++) {
                /* A host whose driver is not connected is registered when it connects. */
                if (!compute.hosts[i].virt.driver || compute.hosts[i].registered)
                        continue;
                int r = register_host(c, &compute.hosts[i]);
                if (r < 0)
                        return r;
                compute.hosts[i].registered = true;
        }
        return 0;
}

int compute_hosts_heartbeat(Ctx *c) {
        if (compute_hosts_reconnect() < (int) compute.n_hosts) {
                int r = compute_hosts_register(c);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < compute.n_hosts; i++) {
                /* Only a host whose hypervisor answers is alive: the scheduler skips the others. */
                if (!compute.hosts[i].registered)
                        continue;
                int r = db_run(c->db, "UPDATE compute_hosts SET heartbeat_at = ? WHERE name = ?", "is", now_usec(),
                               compute.hosts[i].name);
                if (r < 0)
                        return res_db_error(c, r, RES_HOST, "recording a heartbeat");
        }
        return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The libvirt virt driver: real guests through libvirt's C API, usually
 * on qemu:///system.  One virConnectPtr per VirtConn, checked with
 * virConnectIsAlive before each op and reopened when libvirtd went away
 * (a restarted libvirtd never touches running guests, and neither do
 * we).  Every op finds its domain by UUID.  libvirt's error callback is
 * silenced (libvirt prints to stderr by default); its last error, which
 * libvirt keeps per thread, becomes our -errno and Error sentence.
 */
#include "virt/virt.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <sys/statvfs.h>

#include "util/log.h"

struct VirtConn {
        pthread_mutex_t lock;    /* guards conn while it is replaced */
        virConnectPtr conn;      /* NULL until the first op, or after it died */
        char *uri;
        char *instances_dir;     /* for host_info's disk size, or NULL */
};

static void domainp_free(virDomainPtr *d) {
        if (*d)
                virDomainFree(*d);
}
#define _cleanup_domain_ _cleanup_(domainp_free)

static void connp_close(virConnectPtr *c) {
        if (*c)
                virConnectClose(*c);
}
#define _cleanup_conn_ _cleanup_(connp_close)

/* libvirt's default error handler prints every error to stderr; we report them ourselves. */
static void silent_errors(void *userdata, virErrorPtr err) {
        (void) userdata;
        (void) err;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;

static void init_libvirt(void) {
        init_result = virInitialize();
        virSetErrorFunc(NULL, silent_errors);
}

/* The -errno for libvirt's last error on this thread. */
static int last_error_code(void) {
        virErrorPtr err = virGetLastError();
        if (!err)
                return -EIO;
        switch (err->code) {
        case VIR_ERR_NO_DOMAIN:
                return -ENOENT;
        case VIR_ERR_OPERATION_INVALID:
                return -EBUSY;           /* the domain is in the wrong state for it */
        case VIR_ERR_NO_SUPPORT:
        case VIR_ERR_ARGUMENT_UNSUPPORTED:
                return -EOPNOTSUPP;
        case VIR_ERR_OPERATION_TIMEOUT:
        case VIR_ERR_AGENT_UNRESPONSIVE:
                return -ETIMEDOUT;
        case VIR_ERR_XML_ERROR:
        case VIR_ERR_XML_DETAIL:
        case VIR_ERR_INVALID_ARG:
        case VIR_ERR_CONFIG_UNSUPPORTED:
                return -EINVAL;
        case VIR_ERR_OPERATION_DENIED:
        case VIR_ERR_AUTH_FAILED:
        case VIR_ERR_AUTH_CANCELLED:
        case VIR_ERR_ACCESS_DENIED:
                return -EACCES;
        case VIR_ERR_DOM_EXIST:
                return -EEXIST;
        default:
                return -EIO;
        }
}

/* Records "<what>: <libvirt's message>" and returns the mapped code. */
static int report(Error *e, const char *what, const char *uuid) {
        virErrorPtr err = virGetLastError();
        int code = last_error_code();
        const char *msg = err && err->message ? err->message : "unknown libvirt error";
        if (uuid)
                return error_set(e, code, "Cannot %s domain " VIRT_DOMAIN_PREFIX "%s: %s.", what, uuid, msg);
        return error_set(e, code, "Cannot %s: %s.", what, msg);
}

/*
 * A live connection, as a new reference the caller closes.  Reopens the
 * shared one when it died (libvirtd restarted).  Without an event loop
 * libvirt notices a closed socket only on the next call, so "alive" is
 * proven with one cheap round trip (virConnectGetLibVersion), and an op
 * never runs into a connection that died while nobody was using it.
 */
static int conn_get(VirtConn *vc, virConnectPtr *ret, Error *e) {
        unsigned long version;
        pthread_mutex_lock(&vc->lock);
        if (vc->conn && (virConnectIsAlive(vc->conn) != 1 || virConnectGetLibVersion(vc->conn, &version) < 0)) {
                log_debug("virt", "libvirt connection to %s died, reopening it", vc->uri);
                virConnectClose(vc->conn);
                vc->conn = NULL;
        }
        if (!vc->conn) {
                vc->conn = virConnectOpen(vc->uri);
                if (!vc->conn) {
                        virErrorPtr err = virGetLastError();
                        pthread_mutex_unlock(&vc->lock);
                        return error_set(e, -ECONNREFUSED, "Cannot connect to libvirt at '%s': %s.", vc->uri,
                                         err && err->message ? err->message : "unknown error");
                }
        }
        virConnectRef(vc->conn);
        *ret = vc->conn;
        pthread_mutex_unlock(&vc->lock);
        return 0;
}

static int lv_connect(const VirtConfig *cfg, VirtConn **ret, Error *e) {
        Error ignored = {};
        virConnectPtr c = NULL;

        pthread_once(&init_once, init_libvirt);
        if (init_result < 0)
                return error_set(e, -EIO, "Cannot initialise libvirt.");
        VirtConn *vc = xcalloc(1, sizeof(*vc));
        pthread_mutex_init(&vc->lock, NULL);
        vc->uri = xstrdup(cfg && cfg->uri ? cfg->uri : "qemu:///system");
        vc->instances_dir = cfg && cfg->instances_dir ? xstrdup(cfg->instances_dir) : NULL;
        /* Connect now so a wrong URI shows at once; a later op reconnects if this fails. */
        int r = conn_get(vc, &c, &ignored);
        if (r < 0) {
                pthread_mutex_destroy(&vc->lock);
                free(vc->uri);
                free(vc->instances_dir);
                free(vc);
                return error_set(e, r, "%s", ignored.message);
        }
        virConnectClose(c);
        *ret = vc;
        return 0;
}

static void lv_disconnect(VirtConn *vc) {
        if (!vc)
                return;
        if (vc->conn)
                virConnectClose(vc->conn);
        pthread_mutex_destroy(&vc->lock);
        free(vc->uri);
        free(vc->instances_dir);
        free(vc);
}

/* The domain of uuid, as a new reference; -ENOENT if there is none. */
static int lookup(VirtConn *vc, const char *uuid, virDomainPtr *ret, Error *e) {
        _cleanup_conn_ virConnectPtr c = NULL;
        int r = conn_get(vc, &c, e);
        if (r < 0)
                return r;
        virDomainPtr d = virDomainLookupByUUIDString(c, uuid);
        if (!d) {
                if (last_error_code() == -ENOENT)
                        return error_set(e, -ENOENT, "There is no domain " VIRT_DOMAIN_PREFIX "%s on this host.",
                                         uuid);
                return report(e, "look up", uuid);
        }
        *ret = d;
        return 0;
}

/* libvirt's state and reason as Nova's power state. */
static VirtPower power_of(virDomainPtr d, int state, int reason) {
        switch (state) {
        case VIR_DOMAIN_RUNNING:
        case VIR_DOMAIN_BLOCKED:
        case VIR_DOMAIN_SHUTDOWN: /* being shut down: still running */
                return VIRT_POWER_RUNNING;
        case VIR_DOMAIN_PAUSED:
                return VIRT_POWER_PAUSED;
        case VIR_DOMAIN_SHUTOFF:
                if (virDomainHasManagedSaveImage(d, 0) == 1)
                        return VIRT_POWER_SUSPENDED;
                return reason == VIR_DOMAIN_SHUTOFF_CRASHED ? VIRT_POWER_CRASHED : VIRT_POWER_SHUTDOWN;
        case VIR_DOMAIN_CRASHED:
                return VIRT_POWER_CRASHED;
        case VIR_DOMAIN_PMSUSPENDED:
                return VIRT_POWER_SUSPENDED;
        default:
                return VIRT_POWER_NOSTATE;
        }
}

static int domain_power(virDomainPtr d, const char *uuid, VirtPower *ret, Error *e) {
        int state, reason;
        if (virDomainGetState(d, &state, &reason, 0) < 0)
                return report(e, "get the state of", uuid);
        *ret = power_of(d, state, reason);
        return 0;
}

static bool power_is_active(VirtPower p) {
        return p == VIRT_POWER_RUNNING || p == VIRT_POWER_PAUSED;
}

/*
 * The host's memory in KiB.  virNodeGetInfo sums the NUMA cells, which
 * misses memory outside them on some (virtual) machines; the all-cells
 * memory stats are /proc/meminfo's MemTotal.
 */
static unsigned long long node_memory_kib(virConnectPtr c, unsigned long long fallback) {
        int n = 0;
        if (virNodeGetMemoryStats(c, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL, &n, 0) < 0 || n <= 0)
                return fallback;
        _cleanup_free_ virNodeMemoryStatsPtr stats = xcalloc((size_t) n, sizeof(*stats));
        if (virNodeGetMemoryStats(c, VIR_NODE_MEMORY_STATS_ALL_CELLS, stats, &n, 0) < 0)
                return fallback;
        for (int i = 0; i < n; i++)
                if (streq(stats[i].field, VIR_NODE_MEMORY_STATS_TOTAL))
                        return stats[i].value > fallback ? stats[i].value : fallback;
        return fallback;
}

static int lv_host_info(VirtConn *vc, VirtHostInfo *ret, Error *e) {
        _cleanup_conn_ virConnectPtr c = NULL;
        _cleanup_free_ char *hostname = NULL;
        virNodeInfo node;
        unsigned long version = 0;
        VirtHostInfo info = {};
        int r;

        r = conn_get(vc, &c, e);
        if (r < 0)
                return r;
        if (virNodeGetInfo(c, &node) < 0)
                return report(e, "read the host's CPUs and memory", NULL);
        if (virConnectGetVersion(c, &version) < 0)
                return report(e, "read the hypervisor version", NULL);
        hostname = virConnectGetHostname(c);
        const char *type = virConnectGetType(c);

        snprintf(info.hostname, sizeof(info.hostname), "%s", hostname ? hostname : "");
        info.vcpus = node.cpus;
        info.memory_mib = node_memory_kib(c, node.memory) / 1024;
        snprintf(info.hypervisor_type, sizeof(info.hypervisor_type), "%s", type ? type : "QEMU");
        info.hypervisor_version = version; /* major * 1000000 + minor * 1000 + micro, as Nova reports it */
        if (vc->instances_dir) {
                struct statvfs sv;
                if (statvfs(vc->instances_dir, &sv) < 0)
                        return error_set(e, -errno, "Cannot read the size of '%s': %s.", vc->instances_dir,
                                         strerror(errno));
                info.disk_gib = (uint64_t) sv.f_blocks * sv.f_frsize >> 30;
        }
        *ret = info;
        return 0;
}

static int lv_define(VirtConn *vc, const VirtDomainSpec *spec, Error *e) {
        _cleanup_conn_ virConnectPtr c = NULL;
        _cleanup_free_ char *xml = NULL;
        int r;

        r = virt_domain_xml_build(spec, &xml, e);
        if (r < 0)
                return r;
        r = conn_get(vc, &c, e);
        if (r < 0)
                return r;
        _cleanup_domain_ virDomainPtr d = virDomainDefineXML(c, xml);
        if (!d)
                return report(e, "define", spec->uuid);
        return 0;
}

static int lv_start(VirtConn *vc, const char *uuid, Error *e) {
        _cleanup_domain_ virDomainPtr d = NULL;
        int r = lookup(vc, uuid, &d, e);
        if (r < 0)
                return r;
        if (virDomainIsActive(d) == 1) {
                /*
                 * Running, or left paused: libvirt starts QEMU with its CPUs
                 * stopped and lets them go at the end, and a start cut short
                 * (the caller killed meanwhile) can leave them stopped.
                 * Starting means running: let them go.
                 */
                VirtPower p;
                r = domain_power(d, uuid, &p, e);
                if (r >= 0 && p == VIRT_POWER_PAUSED && virDomainResume(d) < 0)
                        r = report(e, "resume", uuid);
                return r < 0 ? r : 0;
        }
        /* Restores the managed save if there is one, and removes it. */
        if (virDomainCreate(d) < 0) {
                /* Say why before asking anything else: every libvirt call resets the last error. */
                Error why = {};
                r = report(&why, "start", uuid);
                if (virDomainIsActive(d) == 1)
                        return 0; /* someone else started it meanwhile */
                return error_set(e, r, "%s", why.message);
        }
        return 0;
}

static int lv_shutdown(VirtConn *vc, const char *uuid, Error *e) {
        _cleanup_domain_ virDomainPtr d = NULL;
        int r = lookup(vc, uuid, &d, e);
        if (r < 0)
                return r;
        if (virDomainIsActive(d) != 1)
                return 0;
        if (virDomainShutdownFlags(d, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) < 0) {
                Error why = {};
                r = report(&why, "shut down", uuid);
                if (virDomainIsActive(d) == 0)
                        return 0;
                return error_set(e, r, "%s", why.message);
        }
        return 0;
}

static int lv_destroy(VirtConn *vc, const char *uuid, Error *e) {
        _cleanup_domain_ virDomainPtr d = NULL;
        int r = lookup(vc, uuid, &d, e);
        if (r < 0)
                return r;
        if (virDomainIsActive(d) != 1)
                return 0;
        if (virDomainDestroy(d) < 0) {
                Error why = {};
                r = report(&why, "destroy", uuid);
                if (virDomainIsActive(d) == 0)
                        return 0; /* it powered off by itself meanwhile */
                return error_set(e, r, "%s", why.message);
        }
        return 0;
}

static int lv_reboot(VirtConn *vc, const char *uuid, bool hard, Error *e) {
        _cleanup_domain_ virDomainPtr d = NULL;
        int r = lookup(vc, uuid, &d, e);
        if (r < 0)
                return r;
        if (virDomainIsActive(d) != 1)
                return error_set(e, -EBUSY, "Cannot reboot domain " VIRT_DOMAIN_PREFIX "%s: it is not running.",
                                 uuid);
        if (hard ? virDomainReset(d, 0) < 0 : virDomainReboot(d, VIR_DOMAIN_REBOOT_ACPI_POWER_BTN) < 0)
                return report(e, hard ? "reset" : "reboot", uuid);
        return 0;
}

static int lv_pause(VirtConn *vc, const char *uuid, bool pause, Error *e) {
        _cleanup_domain_ virDomainPtr d = NULL;
        VirtPower p;
        int r = lookup(vc, uuid, &d, e);
        if (r < 0)
                return r;
        r = domain_power(d, uuid, &p, e);
        if (r < 0)
                return r;
        if (!power_is_active(p))
                return error_set(e, -EBUSY, "Cannot %s domain " VIRT_DOMAIN_PREFIX "%s: it is not running.",
                                 pause ? "pause" : "unpause", uuid);
        if (p == (pause ? VIRT_POWER_PAUSED : VIRT_POWER_RUNNING))
                return 0;
        if ((pause ? virDomainSuspend(d) : virDomainResume(d)) < 0)
                return report(e, pause ? "pause" : "unpause", uuid);
        return 0;
}

static int lv_suspend(VirtConn *vc, const char *uuid, Error *e) {
        _cleanup_domain_ virDomainPtr d = NULL;
        VirtPower p;
        int r = lookup(vc, uuid, &d, e);
        if (r < 0)
                return r;
        r = domain_power(d, uuid, &p, e);
        if (r < 0)
                return r;
        if (p == VIRT_POWER_SUSPENDED)
                return 0;
        if (!power_is_active(p))
                return error_set(e, -EBUSY, "Cannot suspend domain " VIRT_DOMAIN_PREFIX "%s: it is not running.",
                                 uuid);
        /* A paused guest comes back running too: resume means resume. */
        if (virDomainManagedSave(d, VIR_DOMAIN_SAVE_RUNNING) < 0)
                return report(e, "suspend", uuid);
        return 0;
}

static int lv_undefine(VirtConn *vc, const char *uuid, Error *e) {
        _cleanup_domain_ virDomainPtr d = NULL;
        Error lookup_error = {};
        int r = lookup(vc, uuid, &d, &lookup_error);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return error_set(e, r, "%s", lookup_error.message);
        if (virDomainIsActive(d) == 1)
                return error_set(e, -EBUSY, "Cannot undefine domain " VIRT_DOMAIN_PREFIX "%s while it runs.", uuid);
        if (virDomainUndefineFlags(d, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_NVRAM |
                                              VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                                              VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA) < 0) {
                if (last_error_code() == -ENOENT)
                        return 0;
                return report(e, "undefine", uuid);
        }
        return 0;
}

static int lv_state(VirtConn *vc, const char *uuid, VirtPower *ret, Error *e) {
        _cleanup_domain_ virDomainPtr d = NULL;
        int r = lookup(vc, uuid, &d, e);
        if (r < 0)
                return r;
        return domain_power(d, uuid, ret, e);
}

static int lv_list(VirtConn *vc, VirtDomainInfo **ret, size_t *ret_n, Error *e) {
        _cleanup_conn_ virConnectPtr c = NULL;
        virDomainPtr *doms = NULL;
        int r = conn_get(vc, &c, e);
        if (r < 0)
                return r;
        int n = virConnectListAllDomains(c, &doms, 0);
        if (n < 0)
                return report(e, "list the domains", NULL);

        VirtDomainInfo *list = xcalloc((size_t) n, sizeof(*list));
        size_t k = 0;
        for (int i = 0; i < n; i++) {
                const char *name = virDomainGetName(doms[i]);
                int state, reason;
                /* Only ours; one that vanished since the listing is skipped. */
                if (name && startswith(name, VIRT_DOMAIN_PREFIX) &&
                    virDomainGetUUIDString(doms[i], list[k].uuid) == 0 &&
                    virDomainGetState(doms[i], &state, &reason, 0) == 0) {
                        list[k].power = power_of(doms[i], state, reason);
                        k++;
                }
                virDomainFree(doms[i]);
        }
        free(doms);
        *ret = list;
        *ret_n = k;
        return 0;
}

static int lv_plug_nic(VirtConn *vc, const char *uuid, const VirtNic *nic, bool plug, Error *e) {
        _cleanup_domain_ virDomainPtr d = NULL;
        _cleanup_free_ char *xml = NULL, *live = NULL, *mac = NULL;
        int r = virt_nic_xml_build(nic, &xml, e);
        if (r >= 0)
                r = lookup(vc, uuid, &d, e);
        if (r < 0)
                return r;
        if (virDomainIsActive(d) != 1)
                return 0;
        /* Idempotent: the live XML says whether the NIC is in already (libvirt would fail either way). */
        live = virDomainGetXMLDesc(d, 0);
        if (!live)
                return report(e, "read the definition of", uuid);
        mac = xasprintf("<mac address='%s'/>", nic->mac);
        if ((strstr(live, mac) != NULL) == plug)
                return 0;
        r = plug ? virDomainAttachDeviceFlags(d, xml, VIR_DOMAIN_AFFECT_LIVE)
                 : virDomainDetachDeviceFlags(d, xml, VIR_DOMAIN_AFFECT_LIVE);
        return r < 0 ? report(e, plug ? "plug a NIC into" : "pull a NIC out of", uuid) : 0;
}

const VirtDriver virt_libvirt_driver = {
        .name = "libvirt",
        .connect = lv_connect,           /* 0.1 */
        .disconnect = lv_disconnect,     /* 0.1 */
        .host_info = lv_host_info,       /* 0.1 */
        .define = lv_define,             /* 0.1 */
        .start = lv_start,               /* 0.1 */
        .shutdown = lv_shutdown,         /* 0.1 */
        .destroy = lv_destroy,           /* 0.1 */
        .reboot = lv_reboot,             /* 0.1 */
        .pause = lv_pause,               /* 0.1 */
        .suspend = lv_suspend,           /* 0.1 */
        .undefine = lv_undefine,         /* 0.1 */
        .state = lv_state,               /* 0.1 */
        .list = lv_list,                 /* 0.1 */
        .plug_nic = lv_plug_nic,         /* 0.2 */
};

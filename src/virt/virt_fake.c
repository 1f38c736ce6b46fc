/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fake virt driver: guests as rows in process memory, on as many
 * hosts as tests name (VirtConfig.host), with instant state changes and
 * the same idempotency and errors as the libvirt driver, so compute's
 * tests and scale benchmarks run without a hypervisor.  One mutex guards
 * everything; hosts outlive connections, like a real hypervisor.  Faults
 * are injected per op with virt_fake_fail_next() (virt_fake.h).
 */
#include "virt/virt_fake.h"

#include "util/fault.h"

#include <pthread.h>
#include <strings.h>

#define FAKE_DEFAULT_HOST "fake-host"

typedef struct FakeDomain {
        char uuid[37];
        char *xml;               /* as last defined */
        VirtPower power;
        bool ignore_acpi;
        VirtFakeCounters counters;
} FakeDomain;

typedef struct FakeHost {
        char *name;
        FakeDomain *domains;
        size_t n_domains, alloc;
        struct FakeHost *next;
} FakeHost;

struct VirtConn {
        FakeHost *host;          /* owned by the host list, never freed while the process runs (reset aside) */
};

static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static FakeHost *fake_hosts;
static FaultQueue fake_faults;

/* Holds the fake's lock until the end of the scope. */
#define FAKE_LOCKED FAULT_LOCKED(&fake_lock)

void virt_fake_fail_next(const char *op, int code) {
        FAKE_LOCKED;
        fault_queue_push(&fake_faults, op, code);
}

/* Consumes a queued failure of op, if any.  Called with the lock held. */
static int take_fault(const char *op, Error *e) {
        int code = fault_queue_take(&fake_faults, op);
        return code ? error_set(e, code, "Injected failure of the fake driver's '%s'.", op) : 0;
}

static FakeHost *host_find(const char *name) {
        for (FakeHost *h = fake_hosts; h; h = h->next)
                if (streq(h->name, name))
                        return h;
        return NULL;
}

static FakeDomain *domain_find(FakeHost *h, const char *uuid) {
        if (!h)
                return NULL;
        for (size_t i = 0; i < h->n_domains; i++)
                if (strcasecmp(h->domains[i].uuid, uuid) == 0)
                        return &h->domains[i];
        return NULL;
}

static int no_domain(const char *uuid, Error *e) {
        return error_set(e, -ENOENT, "There is no domain " VIRT_DOMAIN_PREFIX "%s on this host.", uuid);
}

static bool is_active(const FakeDomain *d) {
        return d->power == VIRT_POWER_RUNNING || d->power == VIRT_POWER_PAUSED;
}

static int fake_connect(const VirtConfig *cfg, VirtConn **ret, Error *e) {
        const char *name = cfg && cfg->host ? cfg->host : FAKE_DEFAULT_HOST;
        FAKE_LOCKED;
        int r = take_fault("connect", e);
        if (r < 0)
                return r;
        FakeHost *h = host_find(name);
        if (!h) {
                h = xcalloc(1, sizeof(*h));
                h->name = xstrdup(name);
                h->next = fake_hosts;
                fake_hosts = h;
        }
        VirtConn *vc = xcalloc(1, sizeof(*vc));
        vc->host = h;
        *ret = vc;
        return 0;
}

static void fake_disconnect(VirtConn *vc) {
        free(vc);
}

static int fake_host_info(VirtConn *vc, VirtHostInfo *ret, Error *e) {
        FAKE_LOCKED;
        int r = take_fault("host_info", e);
        if (r < 0)
                return r;
        VirtHostInfo info = {
                .vcpus = 64,
                .memory_mib = 256 * 1024,
                .disk_gib = 10 * 1024,
                .hypervisor_version = 1000,
        };
        snprintf(info.hostname, sizeof(info.hostname), "%s", vc->host->name);
        snprintf(info.hypervisor_type, sizeof(info.hypervisor_type), "fake");
        *ret = info;
        return 0;
}

static int fake_define(VirtConn *vc, const VirtDomainSpec *spec, Error *e) {
        _cleanup_free_ char *xml = NULL;
        FAKE_LOCKED;
        int r = take_fault("define", e);
        if (r < 0)
                return r;
        /* The same checks as the real driver: a spec libvirt would refuse fails here too. */
        r = virt_domain_xml_build(spec, &xml, e);
        if (r < 0)
                return r;
        FakeHost *h = vc->host;
        FakeDomain *d = domain_find(h, spec->uuid);
        if (!d) {
                if (h->n_domains == h->alloc) {
                        h->alloc = h->alloc ? h->alloc * 2 : 16;
                        h->domains = xrealloc(h->domains, h->alloc * sizeof(*h->domains));
                }
                d = &h->domains[h->n_domains++];
                *d = (FakeDomain) { .power = VIRT_POWER_SHUTDOWN };
                snprintf(d->uuid, sizeof(d->uuid), "%s", spec->uuid);
        }
        free(d->xml);
        d->xml = TAKE_PTR(xml);
        return 0;
}

/* Looks up uuid on vc's host after consuming any fault of op.  Called with the lock held. */
static int lookup(VirtConn *vc, const char *op, const char *uuid, FakeDomain **ret, Error *e) {
        int r = take_fault(op, e);
        if (r < 0)
                return r;
        FakeDomain *d = domain_find(vc->host, uuid);
        if (!d)
                return no_domain(uuid, e);
        *ret = d;
        return 0;
}

static int not_running(const char *uuid, const char *what, Error *e) {
        return error_set(e, -EBUSY, "Cannot %s domain " VIRT_DOMAIN_PREFIX "%s: it is not running.", what, uuid);
}

static int fake_start(VirtConn *vc, const char *uuid, Error *e) {
        FakeDomain *d;
        FAKE_LOCKED;
        int r = lookup(vc, "start", uuid, &d, e);
        if (r < 0)
                return r;
        if (d->power == VIRT_POWER_PAUSED) {
                d->power = VIRT_POWER_RUNNING; /* a start left paused: its CPUs go on, as libvirt's */
                return 0;
        }
        if (is_active(d))
                return 0;
        d->power = VIRT_POWER_RUNNING; /* from a managed save too */
        d->counters.starts++;
        return 0;
}

static int fake_shutdown(VirtConn *vc, const char *uuid, Error *e) {
        FakeDomain *d;
        FAKE_LOCKED;
        int r = lookup(vc, "shutdown", uuid, &d, e);
        if (r < 0)
                return r;
        /* A paused guest cannot see the button; one that ignores ACPI does not care. */
        if (d->power == VIRT_POWER_RUNNING && !d->ignore_acpi)
                d->power = VIRT_POWER_SHUTDOWN;
        return 0;
}

static int fake_destroy(VirtConn *vc, const char *uuid, Error *e) {
        FakeDomain *d;
        FAKE_LOCKED;
        int r = lookup(vc, "destroy", uuid, &d, e);
        if (r < 0)
                return r;
        if (!is_active(d))
                return 0;
        d->power = VIRT_POWER_SHUTDOWN;
        d->counters.destroys++;
        return 0;
}

static int fake_reboot(VirtConn *vc, const char *uuid, bool hard, Error *e) {
        FakeDomain *d;
        FAKE_LOCKED;
        int r = lookup(vc, "reboot", uuid, &d, e);
        if (r < 0)
                return r;
        if (!is_active(d))
                return not_running(uuid, "reboot", e);
        /* A hard reboot of a paused guest resets it and leaves it paused, as QEMU does. */
        if (!hard && (d->ignore_acpi || d->power == VIRT_POWER_PAUSED))
                return 0; /* delivered, and ignored */
        d->counters.reboots++;
        return 0;
}

static int fake_pause(VirtConn *vc, const char *uuid, bool pause, Error *e) {
        FakeDomain *d;
        FAKE_LOCKED;
        int r = lookup(vc, "pause", uuid, &d, e);
        if (r < 0)
                return r;
        if (!is_active(d))
                return not_running(uuid, pause ? "pause" : "unpause", e);
        d->power = pause ? VIRT_POWER_PAUSED : VIRT_POWER_RUNNING;
        return 0;
}

static int fake_suspend(VirtConn *vc, const char *uuid, Error *e) {
        FakeDomain *d;
        FAKE_LOCKED;
        int r = lookup(vc, "suspend", uuid, &d, e);
        if (r < 0)
                return r;
        if (d->power == VIRT_POWER_SUSPENDED)
                return 0;
        if (!is_active(d))
                return not_running(uuid, "suspend", e);
        d->power = VIRT_POWER_SUSPENDED;
        return 0;
}

static int fake_undefine(VirtConn *vc, const char *uuid, Error *e) {
        FAKE_LOCKED;
        int r = take_fault("undefine", e);
        if (r < 0)
                return r;
        FakeHost *h = vc->host;
        FakeDomain *d = domain_find(h, uuid);
        if (!d)
                return 0;
        if (is_active(d))
                return error_set(e, -EBUSY, "Cannot undefine domain " VIRT_DOMAIN_PREFIX "%s while it runs.", uuid);
        free(d->xml);
        *d = h->domains[--h->n_domains];
        return 0;
}

static int fake_state(VirtConn *vc, const char *uuid, VirtPower *ret, Error *e) {
        FakeDomain *d;
        FAKE_LOCKED;
        int r = lookup(vc, "state", uuid, &d, e);
        if (r < 0)
                return r;
        *ret = d->power;
        return 0;
}

static int fake_list(VirtConn *vc, VirtDomainInfo **ret, size_t *ret_n, Error *e) {
        FAKE_LOCKED;
        int r = take_fault("list", e);
        if (r < 0)
                return r;
        FakeHost *h = vc->host;
        VirtDomainInfo *list = xcalloc(h->n_domains, sizeof(*list));
        for (size_t i = 0; i < h->n_domains; i++) {
                memcpy(list[i].uuid, h->domains[i].uuid, sizeof(list[i].uuid));
                list[i].power = h->domains[i].power;
        }
        *ret = list;
        *ret_n = h->n_domains;
        return 0;
}

static int fake_plug_nic(VirtConn *vc, const char *uuid, const VirtNic *nic, bool plug, Error *e) {
        _cleanup_free_ char *xml = NULL;
        FAKE_LOCKED;
        int r = take_fault("plug_nic", e);
        if (r >= 0)
                r = virt_nic_xml_build(nic, &xml, e);
        if (r < 0)
                return r;
        (void) plug;
        if (!domain_find(vc->host, uuid))
                return error_set(e, -ENOENT, "There is no domain " VIRT_DOMAIN_PREFIX "%s on this host.", uuid);
        return 0;
}

const VirtDriver virt_fake_driver = {
        .name = "fake",
        .connect = fake_connect,         /* 0.1 */
        .disconnect = fake_disconnect,   /* 0.1 */
        .host_info = fake_host_info,     /* 0.1 */
        .define = fake_define,           /* 0.1 */
        .start = fake_start,             /* 0.1 */
        .shutdown = fake_shutdown,       /* 0.1 */
        .destroy = fake_destroy,         /* 0.1 */
        .reboot = fake_reboot,           /* 0.1 */
        .pause = fake_pause,             /* 0.1 */
        .suspend = fake_suspend,         /* 0.1 */
        .undefine = fake_undefine,       /* 0.1 */
        .state = fake_state,             /* 0.1 */
        .list = fake_list,               /* 0.1 */
        .plug_nic = fake_plug_nic,       /* 0.2 */
};

/* The domain on the named host.  Called with the lock held. */
static FakeDomain *find(const char *host, const char *uuid) {
        return domain_find(host_find(host ? host : FAKE_DEFAULT_HOST), uuid);
}

int virt_fake_set_ignore_acpi(const char *host, const char *uuid, bool ignore) {
        FAKE_LOCKED;
        FakeDomain *d = find(host, uuid);
        if (!d)
                return -ENOENT;
        d->ignore_acpi = ignore;
        return 0;
}

int virt_fake_domain_xml(const char *host, const char *uuid, char **ret) {
        FAKE_LOCKED;
        FakeDomain *d = find(host, uuid);
        if (!d)
                return -ENOENT;
        *ret = xstrdup(d->xml);
        return 0;
}

int virt_fake_counters(const char *host, const char *uuid, VirtFakeCounters *ret) {
        FAKE_LOCKED;
        FakeDomain *d = find(host, uuid);
        if (!d)
                return -ENOENT;
        *ret = d->counters;
        return 0;
}

void virt_fake_reset(void) {
        FAKE_LOCKED;
        while (fake_hosts) {
                FakeHost *h = fake_hosts;
                fake_hosts = h->next;
                for (size_t i = 0; i < h->n_domains; i++)
                        free(h->domains[i].xml);
                free(h->domains);
                free(h->name);
                free(h);
        }
        fault_queue_clear(&fake_faults);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virt driver interface: what compute asks of a hypervisor, and
 * nothing more.  A driver is a struct of function pointers (NULL means
 * "unsupported"); callers go through the virt_* wrappers below, never
 * through the pointers, so an unsupported op is one -EOPNOTSUPP with one
 * debug line.  Two drivers: libvirt (real guests under qemu:///system)
 * and fake (in memory, instant, many hosts: scale tests and benchmarks).
 *
 * Domains are named VIRT_DOMAIN_PREFIX + the instance uuid, so that the
 * reconciler can tell gureum's domains (and leftovers of deleted servers)
 * from anything else on the host, which it never touches.
 *
 * The process must ignore SIGPIPE (gureumd does): libvirt writes to its
 * socket with plain write(), and a restarted libvirtd would otherwise
 * kill the caller instead of failing one op.
 *
 * Every op is idempotent where it can be: defining an existing domain
 * redefines it, starting a running one or destroying a stopped one is 0,
 * undefining a missing one is 0.  Errors are -errno with a sentence in the
 * Error the caller passes (util.h; drivers are below the service layer, have
 * no Ctx, and do not log above debug level).
 */
#pragma once

#include "util/util.h"

#define VIRT_DOMAIN_PREFIX "gureum-"
#define VIRT_MAX_DISKS 4
#define VIRT_MAX_NICS 8

/* Power state as Nova reports it (power_state codes). */
typedef enum VirtPower {
        VIRT_POWER_NOSTATE = 0,
        VIRT_POWER_RUNNING = 1,
        VIRT_POWER_PAUSED = 3,
        VIRT_POWER_SHUTDOWN = 4,  /* defined, not running (shut off) */
        VIRT_POWER_CRASHED = 6,
        VIRT_POWER_SUSPENDED = 7, /* saved to disk (managed save) */
        _VIRT_POWER_MAX,
        _VIRT_POWER_INVALID = -EINVAL,
} VirtPower;

const char *virt_power_to_string(VirtPower p);

typedef struct VirtDisk {
        const char *path;        /* a file on the host */
        const char *format;      /* "qcow2", "raw" */
        const char *device;      /* "disk" or "cdrom" */
        const char *bus;         /* "virtio", "sata", "ide" */
        const char *target;      /* "vda", "sda", "hdd" */
        bool readonly;
} VirtDisk;

typedef struct VirtNic {
        const char *mac;         /* "fa:16:3e:xx:xx:xx" */
        const char *bridge;      /* Linux bridge to plug the tap into */
        const char *tap;         /* tap device name (<= 15 chars), NULL: libvirt picks */
        unsigned mtu;            /* 0: the bridge's */
} VirtNic;

/*
 * Everything the hypervisor needs to know about one guest.  Pure data:
 * virt_domain_xml_build() turns it into libvirt XML with no side effect,
 * and tests/golden/virt/ holds the expected XML for each case.
 */
typedef struct VirtDomainSpec {
        const char *uuid;        /* the instance's uuid, also the domain's */
        const char *name;        /* the server's display name, for <title> */
        unsigned vcpus;
        uint64_t memory_mib;
        bool kvm;                /* hardware acceleration, else TCG */
        uint64_t tcg_tb_cache_mib; /* TCG translation cache (0: QEMU's default); ignored with kvm */
        const char *console_log; /* file the serial console is written to */
        VirtDisk disks[VIRT_MAX_DISKS];
        size_t n_disks;
        VirtNic nics[VIRT_MAX_NICS];
        size_t n_nics;
        const char *boot_dev;    /* "hd" (default) or "cdrom" (rescue from an ISO) */
} VirtDomainSpec;

/* The domain name of an instance: VIRT_DOMAIN_PREFIX + uuid.  Caller frees. */
char *virt_domain_name(const char *uuid);

/*
 * Builds libvirt domain XML for spec.  Returns 0 and a new string, or
 * -EINVAL (with a message) when the spec is incomplete.
 */
int virt_domain_xml_build(const VirtDomainSpec *spec, char **ret, Error *e);
/* The <interface> element of one NIC, as the domain XML has it (for hot-plugging). */
int virt_nic_xml_build(const VirtNic *nic, char **ret, Error *e);

/* A domain as the hypervisor sees it. */
typedef struct VirtDomainInfo {
        char uuid[37];
        VirtPower power;
} VirtDomainInfo;

/* What a host has to offer, for the scheduler. */
typedef struct VirtHostInfo {
        char hostname[256];
        unsigned vcpus;
        uint64_t memory_mib;
        uint64_t disk_gib;       /* free + used of the instance directory's file system */
        char hypervisor_type[16];/* "QEMU" */
        uint64_t hypervisor_version; /* 7002000 for 7.2.0, as Nova reports it */
} VirtHostInfo;

typedef struct VirtConn VirtConn;

typedef struct VirtConfig {
        const char *uri;         /* libvirt URI, "qemu:///system"; the fake driver ignores it */
        const char *host;        /* the fake driver's host name, or NULL */
        const char *instances_dir; /* where instance disks live, for host_info's disk_gib; NULL: 0 */
} VirtConfig;

/*
 * The driver vtable.  Each member documents its contract; NULL means the
 * driver cannot do it.
 */
typedef struct VirtDriver {
        const char *name;        /* "libvirt", "fake" */
        /* Opens a connection; thread-safe use of the connection is the driver's job. */
        int (*connect)(const VirtConfig *cfg, VirtConn **ret, Error *e);
        void (*disconnect)(VirtConn *vc);
        int (*host_info)(VirtConn *vc, VirtHostInfo *ret, Error *e);
        /* Defines (or redefines) the domain of spec; leaves it shut off if it was. */
        int (*define)(VirtConn *vc, const VirtDomainSpec *spec, Error *e);
        /*
         * Starts a shut-off domain; 0 if running.  Resumes from a managed
         * save if there is one, and lets the CPUs of a paused one go.
         */
        int (*start)(VirtConn *vc, const char *uuid, Error *e);
        /* ACPI power button; returns at once (virt_stop waits and forces). */
        int (*shutdown)(VirtConn *vc, const char *uuid, Error *e);
        /* Pulls the plug; 0 if not running. */
        int (*destroy)(VirtConn *vc, const char *uuid, Error *e);
        /* ACPI reboot (soft) or reset (hard). */
        int (*reboot)(VirtConn *vc, const char *uuid, bool hard, Error *e);
        /* Pauses (vCPUs stopped, memory kept) or unpauses. */
        int (*pause)(VirtConn *vc, const char *uuid, bool pause, Error *e);
        /* Saves memory to disk and stops (managed save); start resumes. */
        int (*suspend)(VirtConn *vc, const char *uuid, Error *e);
        /*
         * Removes the definition (and any managed save); 0 if missing.  Never
         * touches disks.  -EBUSY while it runs: destroy it first (libvirt
         * would otherwise keep it running as a transient domain).
         */
        int (*undefine)(VirtConn *vc, const char *uuid, Error *e);
        /* The power state; -ENOENT if there is no such domain. */
        int (*state)(VirtConn *vc, const char *uuid, VirtPower *ret, Error *e);
        /* Every domain whose name starts with VIRT_DOMAIN_PREFIX.  *ret is a new array. */
        int (*list)(VirtConn *vc, VirtDomainInfo **ret, size_t *ret_n, Error *e);
        /*
         * Plugs nic into the running guest (plug) or pulls it out (the NIC
         * with its MAC); 0 if it already is so, or if the guest is not
         * running.  Only the live guest changes: define() keeps the
         * definition, which the next start uses.
         */
        int (*plug_nic)(VirtConn *vc, const char *uuid, const VirtNic *nic, bool plug, Error *e);
} VirtDriver;

extern const VirtDriver virt_libvirt_driver;
extern const VirtDriver virt_fake_driver;

/* A connected driver: what compute holds. */
typedef struct Virt {
        const VirtDriver *driver;
        VirtConn *conn;
} Virt;

/* Looks up a driver by name ("libvirt", "fake") and connects it. */
int virt_open(const char *driver, const VirtConfig *cfg, Virt *ret, Error *e);
void virt_close(Virt *v);

/* The wrappers: -EOPNOTSUPP when the driver lacks the op. */
int virt_host_info(Virt *v, VirtHostInfo *ret, Error *e);
int virt_define(Virt *v, const VirtDomainSpec *spec, Error *e);
int virt_start(Virt *v, const char *uuid, Error *e);
/*
 * Stops a guest: ACPI shutdown, then waits up to timeout_usec for it to
 * power off, then destroys it.  timeout_usec 0 destroys at once.
 */
int virt_stop(Virt *v, const char *uuid, int64_t timeout_usec, Error *e);
int virt_destroy(Virt *v, const char *uuid, Error *e);
/*
 * Soft reboot: an ACPI reboot request, and a hard one if the request
 * cannot be delivered.  Hard: a reset.  An ACPI request returns as soon
 * as it is delivered and a guest's reboot leaves no state behind to
 * poll, so timeout_usec bounds nothing today; it is kept for a driver
 * that can see the reboot happen (libvirt's reboot event).
 */
int virt_reboot(Virt *v, const char *uuid, bool hard, int64_t timeout_usec, Error *e);
int virt_pause(Virt *v, const char *uuid, bool pause, Error *e);
int virt_suspend(Virt *v, const char *uuid, Error *e);
int virt_undefine(Virt *v, const char *uuid, Error *e);
int virt_state(Virt *v, const char *uuid, VirtPower *ret, Error *e);
int virt_list(Virt *v, VirtDomainInfo **ret, size_t *ret_n, Error *e);
int virt_plug_nic(Virt *v, const char *uuid, const VirtNic *nic, bool plug, Error *e);

/*
 * Whether KVM works here: a real boot of a one-sector guest under
 * qemu-system-x86_64 -accel kvm, which must print on its serial port
 * within timeout_usec (nested KVM can hang: the probe is killed then).
 * 1 KVM works, 0 it does not (no /dev/kvm, no output, a hang), <0 the
 * probe itself could not run.  Takes well under a second when KVM works.
 */
int virt_probe_kvm(int64_t timeout_usec, Error *e);
/*
 * The same boot under any accelerator: accel is "kvm" or "tcg", dev a
 * device that must open read-write first (NULL: none), so tests can
 * prove the probe itself under TCG and force a missing /dev/kvm.
 */
int virt_probe_accel(const char *accel, const char *dev, int64_t timeout_usec, Error *e);

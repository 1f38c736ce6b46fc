/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public side of the virt layer (virt.h): driver lookup by name, and
 * the wrappers compute calls.  Like libvirt's public API entry points,
 * each wrapper checks its arguments, turns a NULL driver op into one
 * -EOPNOTSUPP with a debug line, and calls the driver.  The two ops that
 * are more than one driver call live here, once for every driver:
 * virt_stop (ACPI, wait, then pull the plug) and virt_reboot (soft with
 * a hard fallback).
 */
#include "virt/virt.h"

#include <time.h>

#include "util/log.h"

/* How often virt_stop looks at a guest that was asked to power off. */
#define VIRT_STOP_POLL_USEC (150 * 1000)

static const char *const power_names[_VIRT_POWER_MAX] = {
        [VIRT_POWER_NOSTATE] = "nostate",
        [VIRT_POWER_RUNNING] = "running",
        [VIRT_POWER_PAUSED] = "paused",
        [VIRT_POWER_SHUTDOWN] = "shutdown",
        [VIRT_POWER_CRASHED] = "crashed",
        [VIRT_POWER_SUSPENDED] = "suspended",
};

const char *virt_power_to_string(VirtPower p) {
        if (p < 0 || p >= _VIRT_POWER_MAX || !power_names[p])
                return NULL;
        return power_names[p];
}

char *virt_domain_name(const char *uuid) {
        return xasprintf(VIRT_DOMAIN_PREFIX "%s", uuid);
}

static const VirtDriver *const drivers[] = {
        &virt_libvirt_driver,
        &virt_fake_driver,
};

int virt_open(const char *driver, const VirtConfig *cfg, Virt *ret, Error *e) {
        VirtConn *conn = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(drivers); i++) {
                if (!streq_ptr(drivers[i]->name, driver))
                        continue;
                r = drivers[i]->connect(cfg, &conn, e);
                if (r < 0)
                        return r;
                *ret = (Virt) { .driver = drivers[i], .conn = conn };
                return 0;
        }
        return error_set(e, -EINVAL, "There is no virt driver named '%s'.", driver ? driver : "(null)");
}

void virt_close(Virt *v) {
        if (!v || !v->driver)
                return;
        if (v->conn && v->driver->disconnect)
                v->driver->disconnect(v->conn);
        *v = (Virt) {};
}

static int unsupported(const Virt *v, const char *op, Error *e) {
        log_debug("virt", "driver %s does not support %s", v->driver->name, op);
        return error_set(e, -EOPNOTSUPP, "The %s virt driver does not support '%s'.", v->driver->name, op);
}

static int check_uuid(const char *uuid, Error *e) {
        if (!uuid || !uuid_is_dashed(uuid))
                return error_set(e, -EINVAL, "'%s' is not an instance uuid.", uuid ? uuid : "(null)");
        return 0;
}

/* Checks the connection and the op, then calls it: the one path into a driver. */
#define VIRT_CALL(v, op, e, ...)                                        \
        do {                                                            \
                if (!(v) || !(v)->driver)                               \
                        return error_set(e, -ENOTCONN, "The virt driver is not open."); \
                if (!(v)->driver->op)                                   \
                        return unsupported(v, #op, e);                  \
                return (v)->driver->op((v)->conn, __VA_ARGS__);         \
        } while (0)

/* The same for the ops that name a domain: its uuid is checked first. */
#define VIRT_CALL_UUID(v, op, uuid, e, ...)                             \
        do {                                                            \
                int _r_ = check_uuid(uuid, e);                          \
                if (_r_ < 0)                                            \
                        return _r_;                                     \
                VIRT_CALL(v, op, e, __VA_ARGS__);                       \
        } while (0)

int virt_host_info(Virt *v, VirtHostInfo *ret, Error *e) {
        VIRT_CALL(v, host_info, e, ret, e);
}

int virt_define(Virt *v, const VirtDomainSpec *spec, Error *e) {
        if (!spec)
                return error_set(e, -EINVAL, "No domain spec given.");
        VIRT_CALL_UUID(v, define, spec->uuid, e, spec, e);
}

int virt_start(Virt *v, const char *uuid, Error *e) {
        VIRT_CALL_UUID(v, start, uuid, e, uuid, e);
}

int virt_destroy(Virt *v, const char *uuid, Error *e) {
        VIRT_CALL_UUID(v, destroy, uuid, e, uuid, e);
}

int virt_pause(Virt *v, const char *uuid, bool pause, Error *e) {
        VIRT_CALL_UUID(v, pause, uuid, e, uuid, pause, e);
}

int virt_suspend(Virt *v, const char *uuid, Error *e) {
        VIRT_CALL_UUID(v, suspend, uuid, e, uuid, e);
}

int virt_plug_nic(Virt *v, const char *uuid, const VirtNic *nic, bool plug, Error *e) {
        VIRT_CALL_UUID(v, plug_nic, uuid, e, uuid, nic, plug, e);
}

int virt_undefine(Virt *v, const char *uuid, Error *e) {
        VIRT_CALL_UUID(v, undefine, uuid, e, uuid, e);
}

int virt_state(Virt *v, const char *uuid, VirtPower *ret, Error *e) {
        VIRT_CALL_UUID(v, state, uuid, e, uuid, ret, e);
}

int virt_list(Virt *v, VirtDomainInfo **ret, size_t *ret_n, Error *e) {
        VIRT_CALL(v, list, e, ret, ret_n, e);
}

static void sleep_usec(int64_t usec) {
        struct timespec ts = { .tv_sec = usec / 1000000, .tv_nsec = (usec % 1000000) * 1000 };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Running or paused: a guest that holds a QEMU process. */
static bool power_is_active(VirtPower p) {
        return p == VIRT_POWER_RUNNING || p == VIRT_POWER_PAUSED;
}

int virt_stop(Virt *v, const char *uuid, int64_t timeout_usec, Error *e) {
        VirtPower p;
        int r;

        r = virt_state(v, uuid, &p, e);
        if (r < 0)
                return r;
        if (!power_is_active(p))
                return 0;
        if (timeout_usec > 0 && v->driver->shutdown) {
                /* A guest that cannot take the request is destroyed below: its reason is not ours to report. */
                Error ignored = {};
                r = v->driver->shutdown(v->conn, uuid, &ignored);
                if (r < 0)
                        log_debug("virt", "ACPI shutdown of %s failed, destroying it: %s", uuid, ignored.message);
                else {
                        int64_t deadline = mono_usec() + timeout_usec;
                        for (;;) {
                                r = virt_state(v, uuid, &p, e);
                                if (r < 0)
                                        return r;
                                if (!power_is_active(p))
                                        return 0;
                                int64_t left = deadline - mono_usec();
                                if (left <= 0)
                                        break;
                                sleep_usec(left < VIRT_STOP_POLL_USEC ? left : VIRT_STOP_POLL_USEC);
                        }
                        log_debug("virt", "%s ignored ACPI shutdown for %lld ms, destroying it", uuid,
                                  (long long) (timeout_usec / 1000));
                }
        }
        return virt_destroy(v, uuid, e);
}

int virt_reboot(Virt *v, const char *uuid, bool hard, int64_t timeout_usec, Error *e) {
        int r = check_uuid(uuid, e);
        if (r < 0)
                return r;
        if (!v || !v->driver)
                return error_set(e, -ENOTCONN, "The virt driver is not open.");
        if (!v->driver->reboot)
                return unsupported(v, "reboot", e);
        (void) timeout_usec; /* see virt.h: nothing to wait for yet */
        if (!hard) {
                Error soft = {};
                r = v->driver->reboot(v->conn, uuid, false, &soft);
                if (r >= 0)
                        return r;
                /* Not there, or not running: a reset cannot help; say why the soft one failed. */
                if (r == -ENOENT || r == -EBUSY || r == -EINVAL)
                        return error_set(e, r, "%s", soft.message);
                log_debug("virt", "soft reboot of %s failed, resetting it: %s", uuid, soft.message);
        }
        return v->driver->reboot(v->conn, uuid, true, e);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the virt layer without a hypervisor: the wrappers
 * (virt.c) over the fake driver (virt_fake.c) — lifecycle and
 * idempotency, many hosts, fault injection, virt_stop's ACPI-then-destroy
 * and virt_reboot's fallback, a driver with NULL ops — and the KVM probe
 * (a real qemu-system-x86_64 boot: it must say 0 or 1 here, 1 under TCG,
 * and 0 for a missing device).
 */
#include "test-helpers.h"

#include <pthread.h>
#include <time.h>

#include "virt/virt.h"
#include "virt/virt_fake.h"

#define UUID1 "11111111-2222-4333-8444-555555555555"
#define UUID2 "66666666-7777-4888-9999-aaaaaaaaaaaa"

static int reset_fake(void **state) {
        virt_fake_reset();
        return 0;
}

static VirtDomainSpec spec_of(const char *uuid) {
        return (VirtDomainSpec) {
                .uuid = uuid, .name = "guest", .vcpus = 1, .memory_mib = 64,
                .console_log = "/tmp/gureum-test-none/console.log",
                .disks = { { .path = "/tmp/gureum-test-none/disk", .format = "qcow2", .device = "disk",
                             .bus = "virtio", .target = "vda" } },
                .n_disks = 1,
        };
}

static Virt open_fake(const char *host) {
        VirtConfig cfg = { .host = host };
        Virt v;
        Error e = {};
        if (virt_open("fake", &cfg, &v, &e) < 0)
                fail_msg("virt_open: %s", e.message);
        return v;
}

static VirtPower power(Virt *v, const char *uuid) {
        VirtPower p = _VIRT_POWER_INVALID;
        assert_int_equal(virt_state(v, uuid, &p, NULL), 0);
        return p;
}

static void test_power_strings_and_names(void **state) {
        assert_string_equal(virt_power_to_string(VIRT_POWER_RUNNING), "running");
        assert_string_equal(virt_power_to_string(VIRT_POWER_SHUTDOWN), "shutdown");
        assert_string_equal(virt_power_to_string(VIRT_POWER_SUSPENDED), "suspended");
        assert_null(virt_power_to_string(2)); /* a gap in Nova's codes */
        assert_null(virt_power_to_string(_VIRT_POWER_MAX));
        assert_null(virt_power_to_string(_VIRT_POWER_INVALID));
        _cleanup_free_ char *n = virt_domain_name(UUID1);
        assert_string_equal(n, "gureum-" UUID1);
}

static void test_open_unknown_driver(void **state) {
        Virt v;
        Error e = {};
        assert_int_equal(virt_open("xen", NULL, &v, &e), -EINVAL);
        assert_non_null(strstr(e.message, "xen"));
}

static void test_fake_lifecycle(void **state) {
        Virt v = open_fake("host-a");
        VirtDomainSpec s = spec_of(UUID1);
        VirtFakeCounters c;
        Error e = {};

        assert_int_equal(virt_state(&v, UUID1, &(VirtPower) { 0 }, &e), -ENOENT);
        assert_non_null(strstr(e.message, UUID1));
        assert_int_equal(virt_define(&v, &s, NULL), 0);
        assert_int_equal(power(&v, UUID1), VIRT_POWER_SHUTDOWN);
        /* Redefining keeps the state; the XML is the builder's. */
        s.memory_mib = 128;
        assert_int_equal(virt_define(&v, &s, NULL), 0);
        _cleanup_free_ char *xml = NULL;
        assert_int_equal(virt_fake_domain_xml("host-a", UUID1, &xml), 0);
        assert_non_null(strstr(xml, "<memory unit='MiB'>128</memory>"));

        assert_int_equal(virt_start(&v, UUID1, NULL), 0);
        assert_int_equal(power(&v, UUID1), VIRT_POWER_RUNNING);
        assert_int_equal(virt_start(&v, UUID1, NULL), 0); /* idempotent */
        assert_int_equal(virt_pause(&v, UUID1, true, NULL), 0);
        assert_int_equal(power(&v, UUID1), VIRT_POWER_PAUSED);
        assert_int_equal(virt_pause(&v, UUID1, true, NULL), 0);
        assert_int_equal(virt_pause(&v, UUID1, false, NULL), 0);
        assert_int_equal(power(&v, UUID1), VIRT_POWER_RUNNING);
        assert_int_equal(virt_reboot(&v, UUID1, false, 1000000, NULL), 0);
        assert_int_equal(virt_reboot(&v, UUID1, true, 0, NULL), 0);
        assert_int_equal(virt_suspend(&v, UUID1, NULL), 0);
        assert_int_equal(power(&v, UUID1), VIRT_POWER_SUSPENDED);
        assert_int_equal(virt_suspend(&v, UUID1, NULL), 0);
        assert_int_equal(virt_start(&v, UUID1, NULL), 0); /* resumes the managed save */
        assert_int_equal(power(&v, UUID1), VIRT_POWER_RUNNING);

        /* Undefining a running guest is refused; destroy first. */
        Error busy = {};
        assert_int_equal(virt_undefine(&v, UUID1, &busy), -EBUSY);
        assert_non_null(strstr(busy.message, "runs"));
        assert_int_equal(virt_destroy(&v, UUID1, NULL), 0);
        assert_int_equal(virt_destroy(&v, UUID1, NULL), 0); /* idempotent */
        assert_int_equal(power(&v, UUID1), VIRT_POWER_SHUTDOWN);

        assert_int_equal(virt_fake_counters("host-a", UUID1, &c), 0);
        assert_int_equal(c.starts, 2);
        assert_int_equal(c.reboots, 2);
        assert_int_equal(c.destroys, 1);

        /* Shut off: no pause, reboot or suspend. */
        assert_int_equal(virt_pause(&v, UUID1, true, NULL), -EBUSY);
        assert_int_equal(virt_reboot(&v, UUID1, true, 0, NULL), -EBUSY);
        assert_int_equal(virt_reboot(&v, UUID1, false, 0, NULL), -EBUSY);
        assert_int_equal(virt_suspend(&v, UUID1, NULL), -EBUSY);

        assert_int_equal(virt_undefine(&v, UUID1, NULL), 0);
        assert_int_equal(virt_undefine(&v, UUID1, NULL), 0); /* 0 if missing */
        assert_int_equal(virt_start(&v, UUID1, NULL), -ENOENT);
        virt_close(&v);
        virt_close(&v); /* harmless twice */
}

static void test_fake_checks_specs_and_uuids(void **state) {
        Virt v = open_fake(NULL);
        VirtDomainSpec s = spec_of(UUID1);
        Error e = {};

        s.vcpus = 0;
        assert_int_equal(virt_define(&v, &s, &e), -EINVAL);
        assert_non_null(strstr(e.message, "vCPUs"));
        assert_int_equal(virt_define(&v, NULL, NULL), -EINVAL);
        assert_int_equal(virt_start(&v, "not-a-uuid", NULL), -EINVAL);
        assert_int_equal(virt_start(&v, NULL, NULL), -EINVAL);
        assert_int_equal(virt_undefine(&v, "../x", NULL), -EINVAL);
        virt_close(&v);
}

static void test_fake_hosts_are_separate(void **state) {
        Virt a = open_fake("host-a"), b = open_fake("host-b"), a2 = open_fake("host-a");
        VirtDomainSpec s1 = spec_of(UUID1), s2 = spec_of(UUID2);
        VirtDomainInfo *list = NULL;
        VirtHostInfo hi;
        size_t n = 0;

        assert_int_equal(virt_define(&a, &s1, NULL), 0);
        assert_int_equal(virt_define(&b, &s2, NULL), 0);
        assert_int_equal(virt_start(&b, UUID2, NULL), 0);
        assert_int_equal(virt_state(&b, UUID1, &(VirtPower) { 0 }, NULL), -ENOENT);

        /* A second connection to host-a sees host-a's guest. */
        assert_int_equal(virt_list(&a2, &list, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_string_equal(list[0].uuid, UUID1);
        assert_int_equal(list[0].power, VIRT_POWER_SHUTDOWN);
        free(list);
        assert_int_equal(virt_list(&b, &list, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_int_equal(list[0].power, VIRT_POWER_RUNNING);
        free(list);

        assert_int_equal(virt_host_info(&b, &hi, NULL), 0);
        assert_string_equal(hi.hostname, "host-b");
        assert_true(hi.vcpus > 0 && hi.memory_mib > 0);
        virt_close(&a);
        virt_close(&b);
        virt_close(&a2);
}

static void test_fake_fault_injection(void **state) {
        Virt v = open_fake("host-f");
        VirtDomainSpec s = spec_of(UUID1);
        Error e = {};

        virt_fake_fail_next("define", -EIO);
        assert_int_equal(virt_define(&v, &s, &e), -EIO);
        assert_non_null(strstr(e.message, "define"));
        assert_int_equal(virt_state(&v, UUID1, &(VirtPower) { 0 }, NULL), -ENOENT); /* nothing changed */
        assert_int_equal(virt_define(&v, &s, NULL), 0);                          /* only the next one */

        /* Two queued failures of one op, one of another. */
        virt_fake_fail_next("start", -ENOSPC);
        virt_fake_fail_next("state", -EAGAIN);
        virt_fake_fail_next("start", -EIO);
        assert_int_equal(virt_start(&v, UUID1, NULL), -ENOSPC);
        assert_int_equal(virt_start(&v, UUID1, NULL), -EIO);
        assert_int_equal(virt_state(&v, UUID1, &(VirtPower) { 0 }, NULL), -EAGAIN);
        assert_int_equal(power(&v, UUID1), VIRT_POWER_SHUTDOWN);
        assert_int_equal(virt_start(&v, UUID1, NULL), 0);

        virt_fake_fail_next("connect", -ECONNREFUSED);
        Virt w;
        assert_int_equal(virt_open("fake", &(VirtConfig) { .host = "host-f" }, &w, NULL), -ECONNREFUSED);

        /* virt_stop: a failing ACPI request ends in a destroy. */
        virt_fake_fail_next("shutdown", -EIO);
        Error se = {};
        assert_int_equal(virt_stop(&v, UUID1, 5000000, &se), 0);
        assert_string_equal(se.message, "");
        assert_int_equal(power(&v, UUID1), VIRT_POWER_SHUTDOWN);

        /* virt_reboot: a soft reboot that cannot be delivered becomes a hard one. */
        assert_int_equal(virt_start(&v, UUID1, NULL), 0);
        virt_fake_fail_next("reboot", -EIO);
        VirtFakeCounters c;
        assert_int_equal(virt_reboot(&v, UUID1, false, 1000000, NULL), 0);
        assert_int_equal(virt_fake_counters("host-f", UUID1, &c), 0);
        assert_int_equal(c.reboots, 1);
        virt_close(&v);
}

static void test_stop_obeying_and_ignoring_acpi(void **state) {
        Virt v = open_fake("host-s");
        VirtDomainSpec s = spec_of(UUID1);
        VirtFakeCounters c;

        assert_int_equal(virt_define(&v, &s, NULL), 0);
        /* Not running: nothing to do. */
        assert_int_equal(virt_stop(&v, UUID1, 1000000, NULL), 0);
        assert_int_equal(virt_stop(&v, UUID2, 1000000, NULL), -ENOENT);

        /* Obeys ACPI: stopped without a destroy, at once. */
        assert_int_equal(virt_start(&v, UUID1, NULL), 0);
        int64_t t0 = mono_usec();
        assert_int_equal(virt_stop(&v, UUID1, 10000000, NULL), 0);
        assert_true(mono_usec() - t0 < 1000000);
        assert_int_equal(virt_fake_counters("host-s", UUID1, &c), 0);
        assert_int_equal(c.destroys, 0);

        /* Ignores ACPI: destroyed after the timeout, having been polled meanwhile. */
        assert_int_equal(virt_start(&v, UUID1, NULL), 0);
        assert_int_equal(virt_fake_set_ignore_acpi("host-s", UUID1, true), 0);
        t0 = mono_usec();
        assert_int_equal(virt_stop(&v, UUID1, 400000, NULL), 0);
        int64_t took = mono_usec() - t0;
        assert_true(took >= 400000 && took < 2000000);
        assert_int_equal(power(&v, UUID1), VIRT_POWER_SHUTDOWN);
        assert_int_equal(virt_fake_counters("host-s", UUID1, &c), 0);
        assert_int_equal(c.destroys, 1);

        /* Timeout 0: destroyed at once.  Paused guests cannot see ACPI: destroyed too. */
        assert_int_equal(virt_fake_set_ignore_acpi("host-s", UUID1, false), 0);
        assert_int_equal(virt_start(&v, UUID1, NULL), 0);
        assert_int_equal(virt_stop(&v, UUID1, 0, NULL), 0);
        assert_int_equal(virt_start(&v, UUID1, NULL), 0);
        assert_int_equal(virt_pause(&v, UUID1, true, NULL), 0);
        assert_int_equal(virt_stop(&v, UUID1, 300000, NULL), 0);
        assert_int_equal(power(&v, UUID1), VIRT_POWER_SHUTDOWN);
        assert_int_equal(virt_fake_counters("host-s", UUID1, &c), 0);
        assert_int_equal(c.destroys, 3);
        assert_int_equal(virt_fake_set_ignore_acpi("host-s", UUID2, true), -ENOENT);
        virt_close(&v);
}

/* A driver with only what virt_open needs: every op is unsupported, said once per call. */
static int bare_connect(const VirtConfig *cfg, VirtConn **ret, Error *e) {
        *ret = NULL;
        return 0;
}

static void test_null_ops_are_unsupported(void **state) {
        static const VirtDriver bare = { .name = "bare", .connect = bare_connect };
        Virt v = { .driver = &bare };
        VirtDomainSpec s = spec_of(UUID1);
        VirtDomainInfo *list;
        VirtHostInfo hi;
        VirtPower p;
        size_t n;
        Error e = {};

        assert_int_equal(virt_define(&v, &s, &e), -EOPNOTSUPP);
        assert_string_equal(e.message, "The bare virt driver does not support 'define'.");
        assert_int_equal(virt_start(&v, UUID1, NULL), -EOPNOTSUPP);
        assert_int_equal(virt_destroy(&v, UUID1, NULL), -EOPNOTSUPP);
        assert_int_equal(virt_pause(&v, UUID1, true, NULL), -EOPNOTSUPP);
        assert_int_equal(virt_suspend(&v, UUID1, NULL), -EOPNOTSUPP);
        assert_int_equal(virt_undefine(&v, UUID1, NULL), -EOPNOTSUPP);
        assert_int_equal(virt_state(&v, UUID1, &p, NULL), -EOPNOTSUPP);
        assert_int_equal(virt_list(&v, &list, &n, NULL), -EOPNOTSUPP);
        assert_int_equal(virt_host_info(&v, &hi, NULL), -EOPNOTSUPP);
        assert_int_equal(virt_reboot(&v, UUID1, false, 0, NULL), -EOPNOTSUPP);
        assert_int_equal(virt_stop(&v, UUID1, 0, NULL), -EOPNOTSUPP);
        virt_close(&v); /* no disconnect op: fine */

        Virt closed = {};
        assert_int_equal(virt_start(&closed, UUID1, NULL), -ENOTCONN);
}

typedef struct Worker {
        int id;
        int failures;
} Worker;

/* Eight threads on four hosts, each with its own guests: the lock keeps the fake consistent. */
static void *worker(void *p) {
        Worker *w = p;
        _cleanup_free_ char *host = xasprintf("host-%d", w->id % 4);
        Virt v = open_fake(host);
        for (int i = 0; i < 50; i++) {
                char uuid[37];
                snprintf(uuid, sizeof(uuid), "%08x-0000-4000-8000-%012x", (unsigned) w->id, (unsigned) i);
                VirtDomainSpec s = spec_of(uuid);
                if (virt_define(&v, &s, NULL) < 0 || virt_start(&v, uuid, NULL) < 0 ||
                    virt_stop(&v, uuid, 1000000, NULL) < 0 || (i % 2 && virt_undefine(&v, uuid, NULL) < 0))
                        w->failures++;
        }
        virt_close(&v);
        return NULL;
}

static void test_fake_threads(void **state) {
        pthread_t t[8];
        Worker w[8];
        for (int i = 0; i < 8; i++) {
                w[i] = (Worker) { .id = i };
                assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
        }
        for (int i = 0; i < 8; i++) {
                pthread_join(t[i], NULL);
                assert_int_equal(w[i].failures, 0);
        }
        size_t total = 0;
        for (int h = 0; h < 4; h++) {
                _cleanup_free_ char *host = xasprintf("host-%d", h);
                Virt v = open_fake(host);
                VirtDomainInfo *list;
                size_t n;
                assert_int_equal(virt_list(&v, &list, &n, NULL), 0);
                for (size_t i = 0; i < n; i++)
                        assert_int_equal(list[i].power, VIRT_POWER_SHUTDOWN);
                total += n;
                free(list);
                virt_close(&v);
        }
        assert_int_equal(total, 8 * 25);
}

/* The probe boots a real guest: under TCG it must work (this proves the probe itself). */
static void test_probe_tcg(void **state) {
        Error e = {};
        int64_t t0 = mono_usec();
        int r = virt_probe_accel("tcg", NULL, 20000000, &e);
        if (r < 0)
                fail_msg("the TCG probe could not run: %s", e.message);
        assert_int_equal(r, 1);
        print_message("TCG probe: %lld ms\n", (long long) (mono_usec() - t0) / 1000);
}

static void test_probe_kvm(void **state) {
        Error e = {};
        int64_t t0 = mono_usec();
        int r = virt_probe_kvm(3000000, &e);
        if (r < 0)
                fail_msg("the KVM probe could not run: %s", e.message);
        assert_true(r == 0 || r == 1);
        print_message("KVM probe: %d in %lld ms\n", r, (long long) (mono_usec() - t0) / 1000);

        /* No device: no KVM, and nothing is run. */
        t0 = mono_usec();
        assert_int_equal(virt_probe_accel("kvm", "/dev/gureum-test-no-kvm", 3000000, NULL), 0);
        assert_true(mono_usec() - t0 < 100000);
        /* An accelerator QEMU does not know: a no, not a failure. */
        assert_int_equal(virt_probe_accel("gureum-test-bogus", NULL, 5000000, NULL), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_power_strings_and_names),
                cmocka_unit_test(test_open_unknown_driver),
                cmocka_unit_test_teardown(test_fake_lifecycle, reset_fake),
                cmocka_unit_test_teardown(test_fake_checks_specs_and_uuids, reset_fake),
                cmocka_unit_test_teardown(test_fake_hosts_are_separate, reset_fake),
                cmocka_unit_test_teardown(test_fake_fault_injection, reset_fake),
                cmocka_unit_test_teardown(test_stop_obeying_and_ignoring_acpi, reset_fake),
                cmocka_unit_test(test_null_ops_are_unsupported),
                cmocka_unit_test_teardown(test_fake_threads, reset_fake),
                cmocka_unit_test(test_probe_tcg),
                cmocka_unit_test(test_probe_kvm),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VirtDomainSpec -> libvirt domain XML: a pure function with golden tests
 * (tests/golden/virt/).  It checks the spec first (-EINVAL with a
 * sentence), then writes a fixed layout, escaping every string that came
 * from outside.  Choices that matter, and why:
 *
 *  - machine "pc" (i440fx): it has IDE, so a config drive or rescue ISO
 *    can be a plain ATAPI cdrom, which every guest kernel can read;
 *  - disks use cache='none' (O_DIRECT): no second copy of guest data in
 *    the host's page cache, guest flushes reach the disk, and libvirt
 *    calls it the only mode safe for migration.  It needs a file system
 *    with O_DIRECT (ext4, xfs: yes; tmpfs: no), so instance directories
 *    must not be on tmpfs;
 *  - the serial console is a file chardev: libvirt hands it to virtlogd,
 *    which writes the guest's ttyS0 there (append='on' keeps earlier
 *    boots; virtlogd rotates it at its max_size), and <console> points
 *    at the same serial port;
 *  - no graphics, no USB controller: fewer devices to emulate under TCG.
 */
#include "virt/virt.h"

#include <ctype.h>

#include "util/buf.h"

/* Appends s with the five XML specials escaped and control characters made spaces. */
static void put_escaped(Buf *b, const char *s) {
        _cleanup_free_ char *clean = utf8_sanitize(s);
        for (const unsigned char *p = (const unsigned char *) clean; *p; p++) {
                switch (*p) {
                case '&':
                        buf_puts(b, "&amp;");
                        break;
                case '<':
                        buf_puts(b, "&lt;");
                        break;
                case '>':
                        buf_puts(b, "&gt;");
                        break;
                case '\'':
                        buf_puts(b, "&apos;");
                        break;
                case '"':
                        buf_puts(b, "&quot;");
                        break;
                default:
                        /* XML 1.0 has no control characters; libvirt refuses newlines in titles. */
                        if (*p < 0x20 || *p == 0x7f)
                                buf_puts(b, " ");
                        else
                                buf_append(b, p, 1);
                }
        }
}

/* printf for the layout; every %s that is not a constant goes through put_escaped instead. */
static void put(Buf *b, const char *fmt, ...) _printf_(2, 3);
static void put(Buf *b, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *s = xvasprintf(fmt, ap);
        va_end(ap);
        buf_puts(b, s);
}

/* put_escaped between two constant strings: pre + escaped(s) + post. */
static void put_wrapped(Buf *b, const char *pre, const char *s, const char *post) {
        buf_puts(b, pre);
        put_escaped(b, s);
        buf_puts(b, post);
}

static bool one_of(const char *s, const char *const *set) {
        for (; *set; set++)
                if (streq_ptr(s, *set))
                        return true;
        return false;
}

static bool is_mac(const char *s) {
        if (!s || strlen(s) != 17)
                return false;
        for (int i = 0; i < 17; i++) {
                if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char) s[i]))
                        return false;
        }
        return true;
}

/* Target names like "vda", "sdb", "hdd": lowercase letters only. */
static bool is_target(const char *s) {
        if (isempty(s) || strlen(s) > 8)
                return false;
        for (const char *p = s; *p; p++)
                if (*p < 'a' || *p > 'z')
                        return false;
        return true;
}

static int check_nic(const VirtNic *n, size_t i, Error *e) {
        if (!is_mac(n->mac))
                return error_set(e, -EINVAL, "NIC %zu has the bad MAC address '%s'.", i, n->mac ? n->mac : "(null)");
        if (isempty(n->bridge) || strlen(n->bridge) > 15)
                return error_set(e, -EINVAL, "NIC %zu needs a bridge name of 1 to 15 characters.", i);
        if (n->tap && (isempty(n->tap) || strlen(n->tap) > 15))
                return error_set(e, -EINVAL, "NIC %zu has a tap name longer than 15 characters.", i);
        if (n->mtu != 0 && (n->mtu < 68 || n->mtu > 65535))
                return error_set(e, -EINVAL, "NIC %zu has the impossible MTU %u.", i, n->mtu);
        return 0;
}

static int check_spec(const VirtDomainSpec *s, Error *e) {
        static const char *const formats[] = { "qcow2", "raw", NULL };
        static const char *const devices[] = { "disk", "cdrom", NULL };
        static const char *const buses[] = { "virtio", "sata", "ide", "scsi", NULL };

        if (!s->uuid || !uuid_is_dashed(s->uuid))
                return error_set(e, -EINVAL, "The domain uuid '%s' is not a dashed UUID.", s->uuid ? s->uuid : "(null)");
        if (s->vcpus == 0 || s->vcpus > 1024)
                return error_set(e, -EINVAL, "A domain needs between 1 and 1024 vCPUs, not %u.", s->vcpus);
        if (s->memory_mib == 0 || s->memory_mib > (UINT64_C(1) << 32))
                return error_set(e, -EINVAL, "A domain needs some memory, and %llu MiB is not possible.",
                                 (unsigned long long) s->memory_mib);
        if (s->n_disks > VIRT_MAX_DISKS || s->n_nics > VIRT_MAX_NICS)
                return error_set(e, -EINVAL, "A domain has at most %d disks and %d NICs.", VIRT_MAX_DISKS, VIRT_MAX_NICS);
        if (s->boot_dev && !streq(s->boot_dev, "hd") && !streq(s->boot_dev, "cdrom"))
                return error_set(e, -EINVAL, "The boot device '%s' is neither 'hd' nor 'cdrom'.", s->boot_dev);
        if (s->console_log && s->console_log[0] != '/')
                return error_set(e, -EINVAL, "The console log '%s' is not an absolute path.", s->console_log);
        for (size_t i = 0; i < s->n_disks; i++) {
                const VirtDisk *d = &s->disks[i];
                if (isempty(d->path) || d->path[0] != '/')
                        return error_set(e, -EINVAL, "Disk %zu has no absolute path.", i);
                if (!one_of(d->format, formats))
                        return error_set(e, -EINVAL, "Disk %zu has the unsupported format '%s'.", i,
                                         d->format ? d->format : "(null)");
                if (!one_of(d->device, devices))
                        return error_set(e, -EINVAL, "Disk %zu has the unknown device type '%s'.", i,
                                         d->device ? d->device : "(null)");
                if (!one_of(d->bus, buses))
                        return error_set(e, -EINVAL, "Disk %zu has the unknown bus '%s'.", i, d->bus ? d->bus : "(null)");
                if (!is_target(d->target))
                        return error_set(e, -EINVAL, "Disk %zu has the bad target name '%s'.", i,
                                         d->target ? d->target : "(null)");
                for (size_t j = 0; j < i; j++)
                        if (streq(s->disks[j].target, d->target))
                                return error_set(e, -EINVAL, "Two disks have the target '%s'.", d->target);
        }
        for (size_t i = 0; i < s->n_nics; i++) {
                int r = check_nic(&s->nics[i], i, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void put_disk(Buf *b, const VirtDisk *d) {
        put(b, "    <disk type='file' device='%s'>\n", d->device);
        put(b, "      <driver name='qemu' type='%s' cache='none'/>\n", d->format);
        put_wrapped(b, "      <source file='", d->path, "'/>\n");
        put(b, "      <target dev='%s' bus='%s'/>\n", d->target, d->bus);
        if (d->readonly || streq(d->device, "cdrom"))
                buf_puts(b, "      <readonly/>\n");
        buf_puts(b, "    </disk>\n");
}

static void put_nic(Buf *b, const VirtNic *n) {
        buf_puts(b, "    <interface type='bridge'>\n");
        put(b, "      <mac address='%s'/>\n", n->mac);
        put_wrapped(b, "      <source bridge='", n->bridge, "'/>\n");
        if (n->tap)
                put_wrapped(b, "      <target dev='", n->tap, "'/>\n");
        buf_puts(b, "      <model type='virtio'/>\n");
        if (n->mtu)
                put(b, "      <mtu size='%u'/>\n", n->mtu);
        buf_puts(b, "    </interface>\n");
}

int virt_nic_xml_build(const VirtNic *nic, char **ret, Error *e) {
        Buf b = {};
        int r = check_nic(nic, 0, e);
        if (r < 0)
                return r;
        put_nic(&b, nic);
        *ret = buf_steal(&b);
        return 0;
}

int virt_domain_xml_build(const VirtDomainSpec *spec, char **ret, Error *e) {
        _cleanup_free_ char *name = NULL;
        Buf b = {};
        int r;

        if (!spec)
                return error_set(e, -EINVAL, "No domain spec given.");
        r = check_spec(spec, e);
        if (r < 0)
                return r;
        name = virt_domain_name(spec->uuid);

        put(&b, "<domain type='%s'>\n", spec->kvm ? "kvm" : "qemu");
        put(&b, "  <name>%s</name>\n", name);
        put(&b, "  <uuid>%s</uuid>\n", spec->uuid);
        if (!isempty(spec->name))
                put_wrapped(&b, "  <title>", spec->name, "</title>\n");
        put(&b, "  <memory unit='MiB'>%llu</memory>\n", (unsigned long long) spec->memory_mib);
        put(&b, "  <currentMemory unit='MiB'>%llu</currentMemory>\n", (unsigned long long) spec->memory_mib);
        put(&b, "  <vcpu placement='static'>%u</vcpu>\n", spec->vcpus);
        buf_puts(&b, "  <os>\n");
        buf_puts(&b, "    <type arch='x86_64' machine='pc'>hvm</type>\n");
        if (streq_ptr(spec->boot_dev, "cdrom"))
                buf_puts(&b, "    <boot dev='cdrom'/>\n");
        buf_puts(&b, "    <boot dev='hd'/>\n");
        buf_puts(&b, "  </os>\n");
        buf_puts(&b, "  <features>\n");
        buf_puts(&b, "    <acpi/>\n");
        buf_puts(&b, "    <apic/>\n");
        if (!spec->kvm && spec->tcg_tb_cache_mib > 0) {
                buf_puts(&b, "    <tcg>\n");
                put(&b, "      <tb-cache unit='MiB'>%llu</tb-cache>\n", (unsigned long long) spec->tcg_tb_cache_mib);
                buf_puts(&b, "    </tcg>\n");
        }
        buf_puts(&b, "  </features>\n");
        /* KVM: the host's CPU as it is.  TCG: QEMU's default model, which it can emulate. */
        if (spec->kvm)
                buf_puts(&b, "  <cpu mode='host-passthrough' check='none'/>\n");
        buf_puts(&b, "  <clock offset='utc'/>\n");
        buf_puts(&b, "  <on_poweroff>destroy</on_poweroff>\n");
        buf_puts(&b, "  <on_reboot>restart</on_reboot>\n");
        buf_puts(&b, "  <on_crash>destroy</on_crash>\n");
        buf_puts(&b, "  <devices>\n");
        for (size_t i = 0; i < spec->n_disks; i++)
                put_disk(&b, &spec->disks[i]);
        buf_puts(&b, "    <controller type='usb' model='none'/>\n");
        for (size_t i = 0; i < spec->n_nics; i++)
                put_nic(&b, &spec->nics[i]);
        if (spec->console_log) {
                buf_puts(&b, "    <serial type='file'>\n");
                put_wrapped(&b, "      <source path='", spec->console_log, "' append='on'/>\n");
                buf_puts(&b, "      <target port='0'/>\n");
                buf_puts(&b, "    </serial>\n");
                buf_puts(&b, "    <console type='file'>\n");
                put_wrapped(&b, "      <source path='", spec->console_log, "' append='on'/>\n");
                buf_puts(&b, "      <target type='serial' port='0'/>\n");
                buf_puts(&b, "    </console>\n");
        } else {
                /* No log file: a pty, so `virsh console` still works. */
                buf_puts(&b, "    <serial type='pty'>\n      <target port='0'/>\n    </serial>\n");
                buf_puts(&b, "    <console type='pty'>\n      <target type='serial' port='0'/>\n    </console>\n");
        }
        buf_puts(&b, "    <rng model='virtio'>\n");
        buf_puts(&b, "      <backend model='random'>/dev/urandom</backend>\n");
        buf_puts(&b, "    </rng>\n");
        buf_puts(&b, "    <memballoon model='virtio'/>\n");
        buf_puts(&b, "  </devices>\n");
        buf_puts(&b, "</domain>\n");
        *ret = buf_steal(&b);
        return 0;
}

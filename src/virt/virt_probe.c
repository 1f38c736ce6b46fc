/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Does KVM work here?  /dev/kvm existing is not enough: under nested
 * virtualisation it can open fine and then hang the first guest.  So the
 * probe boots a real (one-sector) guest under qemu-system-x86_64 -accel
 * kvm and believes KVM only if the guest's "OK" reaches the serial port
 * before the deadline.  The guest is 16-bit real-mode code in a floppy
 * boot sector:
 *
 *     BA F8 03     mov dx, 0x3f8      COM1
 *     B0 4F EE     mov al, 'O'; out dx, al
 *     B0 4B EE     mov al, 'K'; out dx, al
 *     B0 0A EE     mov al, '\n'; out dx, al
 *     B0 00 E6 F4  mov al, 0; out 0xf4, al   isa-debug-exit: QEMU exits now
 *     FA F4 EB FD  cli; hlt; jmp $-1         (if the exit device is missing)
 *
 * padded to 510 bytes and ended by the 55 AA boot signature.  The write
 * to isa-debug-exit makes QEMU exit with status 1 at once, so a working
 * accelerator answers in a fraction of a second instead of running into
 * the deadline.
 *
 * Under KVM the probe's CPU is -cpu host, the model KVM domains get
 * (host-passthrough, virt_domain_xml.c): on the nested development VM
 * that CPU cannot even be created (QEMU aborts setting MSR 0x10a), and
 * QEMU's default model hangs the guest, so both must fail the probe.
 */
#include "virt/virt.h"

#include <fcntl.h>

#include "util/exec.h"

static const uint8_t probe_code[] = {
        0xBA, 0xF8, 0x03, 0xB0, 0x4F, 0xEE, 0xB0, 0x4B, 0xEE, 0xB0, 0x0A, 0xEE,
        0xB0, 0x00, 0xE6, 0xF4, 0xFA, 0xF4, 0xEB, 0xFD,
};

/* Writes the boot sector to a new temporary file; *ret_path is its name. */
static int write_boot_sector(char **ret_path, Error *e) {
        const char *dir = getenv("TMPDIR");
        _cleanup_free_ char *path = xasprintf("%s/gureum-probe-XXXXXX", isempty(dir) ? "/tmp" : dir);
        uint8_t sector[512] = {};
        int r = 0;

        memcpy(sector, probe_code, sizeof(probe_code));
        sector[510] = 0x55;
        sector[511] = 0xAA;
        int fd = mkostemp(path, O_CLOEXEC);
        if (fd < 0)
                return error_set(e, -errno, "Cannot create the KVM probe's boot sector: %s.", strerror(errno));
        if (write(fd, sector, sizeof(sector)) != (ssize_t) sizeof(sector))
                r = error_set(e, -EIO, "Cannot write the KVM probe's boot sector.");
        close(fd);
        if (r < 0) {
                (void) unlink(path);
                return r;
        }
        *ret_path = TAKE_PTR(path);
        return 0;
}

int virt_probe_accel(const char *accel, const char *dev, int64_t timeout_usec, Error *e) {
        _cleanup_free_ char *sector = NULL, *drive = NULL;
        _cleanup_(exec_result_done) ExecResult res = {};
        int r;

        if (isempty(accel))
                return error_set(e, -EINVAL, "No accelerator to probe.");
        if (dev) {
                /* What QEMU will need: read and write access.  Absent or forbidden means no. */
                int fd = open(dev, O_RDWR | O_CLOEXEC);
                if (fd < 0)
                        return 0;
                close(fd);
        }
        r = write_boot_sector(&sector, e);
        if (r < 0)
                return r;
        drive = xasprintf("file=%s,format=raw,if=floppy", sector);
        /* TCG cannot emulate "host"; its default model is what TCG domains get. */
        const char *cpu = streq(accel, "kvm") ? "host" : "qemu64";
        const char *argv[] = { "qemu-system-x86_64", "-accel", accel, "-cpu", cpu, "-M", "pc", "-m", "16",
                               "-display", "none", "-nodefaults", "-no-user-config", "-serial", "stdio",
                               "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                               "-drive", drive, NULL };
        Error run = {};
        r = exec_run(argv, timeout_usec, &res, &run);
        (void) unlink(sector);
        /* Exit status 1 is the exit device's "0"; a hang (-ETIMEDOUT) or a refusal (-EIO) is a no. */
        if (r == -ETIMEDOUT || r == -EIO || r == 0)
                return res.out && strstr(res.out, "OK") ? 1 : 0;
        return error_set(e, r, "Cannot run the %s probe: %s", accel, run.message);
}

int virt_probe_kvm(int64_t timeout_usec, Error *e) {
        return virt_probe_accel("kvm", "/dev/kvm", timeout_usec, e);
}

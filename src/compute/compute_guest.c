/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A server's guest on its host: the files it is made of, in
 * STATE/instances/<id>/ (the root disk, a qcow2 overlay on the cached
 * image; the config drive; the serial console's log; a rescue disk while
 * rescued), and the domain spec built from the record and those files.
 * Everything here is idempotent, because a task may run again after a
 * crash: a file made before is made again or used as it is, a domain is
 * defined again.
 */
#include "compute/compute_internal.h"
#include "compute/compute_metadata.h"
#include "image/image.h"
#include "storage/storage.h"
#include "util/fileio.h"
#include "util/log.h"

#include <sys/stat.h>

#define GIB (UINT64_C(1) << 30)

int compute_guest_error(Ctx *c, int r, const Error *e, const char *what, const char *server_id) {
        return ctx_error(c, r, RES_SERVER, "Could not %s server %s: %s", what, server_id,
                         e && e->message[0] ? e->message : strerror(r < 0 ? -r : EIO));
}

VirtPower compute_guest_power(ComputeHost *h, const char *id) {
        VirtPower p = VIRT_POWER_NOSTATE;
        Error e = {};
        if (virt_state(&h->virt, id, &p, &e) < 0)
                return VIRT_POWER_NOSTATE;
        return p;
}

int compute_guest_host(Ctx *c, const json_t *rec, ComputeHost **ret) {
        const char *name = jx_string(rec, "host");
        ComputeHost *h = compute_host_find(name);
        if (!h)
                return ctx_error(c, -EHOSTUNREACH, RES_SERVER, "Server %s is on host %s, which this daemon does not drive.",
                                 jx_string(rec, "id"), name ? name : "(none)");
        *ret = h;
        return 0;
}

/* The qemu-img format of a Glance disk_format, or NULL for one qemu cannot read. */
static const char *qemu_format(const char *disk_format) {
        static const struct {
                const char *glance, *qemu;
        } formats[] = {
                { "raw", "raw" },   { "iso", "raw" },   { "ami", "raw" },     { "qcow2", "qcow2" }, { "vmdk", "vmdk" },
                { "vdi", "vdi" },   { "vhd", "vpc" },   { "vhdx", "vhdx" },   { "ploop", "parallels" },
        };
        for (size_t i = 0; disk_format && i < ELEMENTSOF(formats); i++)
                if (streq(disk_format, formats[i].glance))
                        return formats[i].qemu;
        return NULL;
}

/* Caches image_id on this host; *ret_path is the cached file and *ret_format its format. */
static int cache_image(Ctx *c, const char *server_id, const char *image_id, char **ret_path, const char **ret_format) {
        _cleanup_free_ char *src = NULL;
        _cleanup_json_ json_t *img = NULL;
        Error e = {};
        int r = image_data_path(c, image_id, &src, &img);
        if (r < 0)
                return ctx_error(c, r == -ENODATA ? -EINVAL : r, RES_IMAGE,
                                 "Image %s of server %s is gone or has no data.", image_id, server_id);
        r = storage_image_cache(compute.cache_dir, image_id, src, jx_string(img, "os_hash_value"), ret_path, &e);
        if (r < 0)
                return compute_guest_error(c, r, &e, "fetch the image of", server_id);
        *ret_format = qemu_format(jx_string(img, "disk_format"));
        if (!*ret_format)
                return ctx_error(c, -EINVAL, RES_IMAGE, "Image %s has disk format %s, which cannot boot a server.",
                                 image_id, jx_string(img, "disk_format"));
        return 0;
}

int compute_guest_disk_from_image(Ctx *c, const json_t *rec, const char *image_id, const char *file) {
        const char *id = jx_string(rec, "id");
        _cleanup_free_ char *dir = compute_instance_path(id, NULL), *path = compute_instance_path(id, file);
        _cleanup_free_ char *base = NULL;
        const char *format = NULL;
        Error e = {};
        int r;

        if (!dir)
                return ctx_error(c, -EINVAL, RES_SERVER, "Invalid server id %s.", id);
        r = mkdir_p(dir, 0711);
        if (r >= 0 && chmod(dir, 0711) < 0)
                r = -errno;
        if (r < 0)
                return ctx_error(c, r, RES_SERVER, "Cannot create the directory of server %s: %s.", id, strerror(-r));
        r = cache_image(c, id, image_id, &base, &format);
        if (r < 0)
                return r;
        r = storage_overlay_create(base, format, path, (uint64_t) json_integer_value(json_object_get(rec, "root_gb")) * GIB,
                                   &e);
        return r < 0 ? compute_guest_error(c, r, &e, "create the disk of", id) : 0;
}

int compute_guest_config_drive(Ctx *c, const json_t *rec, const char *admin_pass) {
        const char *id = jx_string(rec, "id");
        _cleanup_free_ char *path = compute_instance_path(id, "disk.config");
        _cleanup_strv_free_ char **texts = NULL;
        _cleanup_free_ StorageFile *files = NULL;
        ComputeMetadata m = {};
        size_t n = 0;
        Error e = {};
        int r;

        if (!json_is_true(json_object_get(rec, "config_drive")))
                return 0;
        r = compute_metadata_build(c, rec, admin_pass, &m);
        if (r < 0)
                return r;
        r = compute_metadata_files(&m, &files, &n, &texts);
        if (r >= 0)
                r = storage_config_drive_build(path, files, n, &e);
        compute_metadata_done(&m);
        return r < 0 ? compute_guest_error(c, r, &e, "build the config drive of", id) : 0;
}

/* Adds a disk of the instance directory to spec if its file exists. */
static void add_disk(VirtDomainSpec *spec, char *path, const char *format, const char *device, const char *bus,
                     const char *target, bool readonly) {
        if (access(path, F_OK) < 0 || spec->n_disks == VIRT_MAX_DISKS)
                return;
        spec->disks[spec->n_disks++] = (VirtDisk) { path, format, device, bus, target, readonly };
}

VirtNic compute_guest_nic(const json_t *nic) {
        return (VirtNic) { .mac = jx_string(nic, "mac_address"), .bridge = jx_string(nic, "bridge"),
                           .tap = jx_string(nic, "tap"), .mtu = (unsigned) json_integer_value(json_object_get(nic, "mtu")) };
}

int compute_guest_define(Ctx *c, const json_t *rec, ComputeHost *h) {
        const char *id = jx_string(rec, "id");
        _cleanup_free_ char *disk = compute_instance_path(id, "disk"), *rescue = compute_instance_path(id, "disk.rescue");
        _cleanup_free_ char *config = compute_instance_path(id, "disk.config"), *console = compute_instance_path(id, "console.log");
        bool rescued = streq_ptr(jx_string(rec, "vm_state"), "rescued") ||
                       streq_ptr(jx_string(rec, "task_state"), "rescuing");
        VirtDomainSpec spec = {
                .uuid = id, .name = jx_string(rec, "name"),
                .vcpus = (unsigned) json_integer_value(json_object_get(rec, "vcpus")),
                .memory_mib = (uint64_t) json_integer_value(json_object_get(rec, "memory_mb")),
                .kvm = compute.kvm, .tcg_tb_cache_mib = (uint64_t) compute.cfg->compute_tcg_tb_cache_mb,
                .console_log = console,
        };
        Error e = {};

        if (!disk)
                return ctx_error(c, -EINVAL, RES_SERVER, "Invalid server id %s.", id);
        /* Rescued: the rescue disk boots, the server's own disk is the second one (Nova's layout). */
        if (rescued)
                add_disk(&spec, rescue, "qcow2", "disk", "virtio", "vda", false);
        add_disk(&spec, disk, "qcow2", "disk", "virtio", rescued ? "vdb" : "vda", false);
        add_disk(&spec, config, "raw", "cdrom", "ide", "hdd", true);
        if (spec.n_disks == 0)
                return ctx_error(c, -ENOENT, RES_SERVER, "The disk of server %s is missing.", id);
        /* The NICs, in the guest's order, plugged into the bridges the data plane made for them. */
        _cleanup_json_ json_t *nics = NULL;
        int r = compute_nics_wire(c, rec, h->name, &nics);
        if (r < 0)
                return r;
        if (json_array_size(nics) > VIRT_MAX_NICS)
                return ctx_error(c, -E2BIG, RES_SERVER, "Server %s has more than %d NICs.", id, VIRT_MAX_NICS);
        size_t i;
        json_t *nic;
        json_array_foreach(nics, i, nic)
                spec.nics[spec.n_nics++] = compute_guest_nic(nic);
        r = virt_define(&h->virt, &spec, &e);
        return r < 0 ? compute_guest_error(c, r, &e, "define the guest of", id) : 0;
}

int compute_guest_remove(Ctx *c, const char *id, ComputeHost *h) {
        _cleanup_free_ char *dir = compute_instance_path(id, NULL);
        Error e = {};
        int r = 0;

        if (h) {
                r = virt_destroy(&h->virt, id, &e);
                if (r >= 0 || r == -ENOENT)
                        r = virt_undefine(&h->virt, id, &e);
                if (r == -ENOENT)
                        r = 0;
                if (r < 0)
                        return compute_guest_error(c, r, &e, "remove the guest of", id);
        }
        if (dir) {
                r = rm_rf(dir);
                if (r < 0)
                        return ctx_error(c, r, RES_SERVER, "Cannot remove the files of server %s: %s.", id, strerror(-r));
        }
        return 0;
}

int compute_guest_stop(Ctx *c, const json_t *rec, ComputeHost *h, bool clean) {
        const char *id = jx_string(rec, "id");
        int64_t timeout = clean ? compute.cfg->compute_shutdown_timeout * 1000000LL : 0;
        VirtPower p = compute_guest_power(h, id);
        Error e = {};
        int r = 0;

        /* A paused guest cannot hear the power button; a saved one (managed save) is not running. */
        if (p == VIRT_POWER_RUNNING)
                r = virt_stop(&h->virt, id, timeout, &e);
        else if (p == VIRT_POWER_PAUSED || p == VIRT_POWER_CRASHED)
                r = virt_destroy(&h->virt, id, &e);
        return r < 0 ? compute_guest_error(c, r, &e, "stop", id) : 0;
}

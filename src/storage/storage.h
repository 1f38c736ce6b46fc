/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Instance disks on a compute host: a per-host cache of Glance images
 * (fetched once, hash checked, shared by every instance of the image),
 * qcow2 overlays on them, resizing, flattening a disk into a new image,
 * and config drives (ISO 9660 labelled config-2).  Everything goes
 * through qemu-img and genisoimage by argv (util/exec.h), never a shell.
 *
 * Like the virt drivers, this layer has no Ctx and does not log above
 * debug level: failures are -errno with a sentence in an Error.
 */
#pragma once

#include "util/util.h"

/*
 * Makes cache_dir/<image_id> a verified copy of src_path: copied to a
 * temporary file with its sha512 computed on the way, compared with
 * sha512_hex (Glance's os_hash_value), fsynced and renamed into place.
 * A file already there was verified when it was made and is used as it
 * is.  Concurrent calls for one image are safe (the loser's copy is
 * dropped).  image_id must be a dashed UUID (-EINVAL otherwise).
 * sha512_hex NULL or "" skips the check (an image Glance never hashed);
 * a mismatch is -EIO and leaves nothing behind.  *ret_path is the cached
 * file.
 */
int storage_image_cache(const char *cache_dir, const char *image_id, const char *src_path, const char *sha512_hex,
                        char **ret_path, Error *e);
/* Removes cached images for which in_use(image_id, userdata) is false.  Returns how many. */
int storage_image_cache_sweep(const char *cache_dir, bool (*in_use)(const char *image_id, void *userdata),
                              void *userdata);

/* What qemu-img says of a disk. */
typedef struct StorageDiskInfo {
        char format[16];         /* "qcow2", "raw" */
        uint64_t virtual_size;   /* bytes */
        uint64_t actual_size;    /* bytes on the host */
} StorageDiskInfo;

int storage_disk_info(const char *path, StorageDiskInfo *ret, Error *e);

/*
 * Creates path as a qcow2 overlay of base (whose format is base_format),
 * of virtual size size_bytes, or the base's own size when that is larger
 * or size_bytes is 0.  Replaces a leftover file of a crashed attempt.
 */
int storage_overlay_create(const char *base, const char *base_format, const char *path, uint64_t size_bytes,
                           Error *e);
/* Grows (never shrinks) a disk's virtual size to size_bytes; -EINVAL if smaller. */
int storage_disk_grow(const char *path, uint64_t size_bytes, Error *e);
/* Writes a standalone copy of src (overlay chain flattened) to dst in format ("qcow2" or "raw"). */
int storage_disk_flatten(const char *src, const char *dst, const char *format, Error *e);
/*
 * Copies the file src byte for byte to dst (an overlay keeps its backing
 * file): written beside dst and renamed, so dst is absent or complete.
 */
int storage_disk_copy(const char *src, const char *dst, Error *e);

/* One file of a config drive. */
typedef struct StorageFile {
        const char *path;        /* relative: "openstack/latest/meta_data.json" */
        const void *data;
        size_t len;
} StorageFile;

/* Writes an ISO 9660 (Rock Ridge, Joliet) image labelled config-2 holding files to iso_path. */
int storage_config_drive_build(const char *iso_path, const StorageFile *files, size_t n, Error *e);

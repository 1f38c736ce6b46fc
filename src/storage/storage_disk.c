/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Instance disks through qemu-img (storage.h): what a disk is (qemu-img
 * info --output=json, parsed with jansson), qcow2 overlays on a cached
 * image, growing a disk, and flattening an overlay chain into a
 * standalone image, and copying a disk file.  Every command is an argv run by util/exec.h with a
 * timeout; the format is always passed explicitly (-f/-F), so qemu-img
 * never guesses a format from a guest's data.
 */
#include "storage/storage.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "util/exec.h"
#include "util/jx.h"

/* Generous: these are metadata operations, except convert. */
#define QEMU_IMG_TIMEOUT_USEC (120 * 1000000LL)
#define QEMU_IMG_CONVERT_TIMEOUT_USEC (3600 * 1000000LL)

static bool format_is_known(const char *format) {
        return format && (streq(format, "qcow2") || streq(format, "raw"));
}

/* qemu-img info of path; format may be NULL (then qemu-img says what it is). */
static int disk_info(const char *path, const char *format, StorageDiskInfo *ret, Error *e) {
        /* -U: a running guest holds a write lock on its disk; reading metadata is still safe. */
        const char *argv_probe[] = { "qemu-img", "info", "-U", "--output=json", path, NULL };
        const char *argv_fmt[] = { "qemu-img", "info", "-U", "--output=json", "-f", format, path, NULL };
        _cleanup_(exec_result_done) ExecResult res = {};
        json_error_t jerr;
        int r;

        if (access(path, F_OK) < 0)
                return error_set(e, -errno, "Cannot access the disk '%s': %s.", path, strerror(errno));
        r = exec_run(format ? argv_fmt : argv_probe, QEMU_IMG_TIMEOUT_USEC, &res, e);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *j = jx_parse(res.out, strlen(res.out), &jerr);
        if (!j || !json_is_object(j))
                return error_set(e, -EIO, "qemu-img info printed no JSON for '%s'.", path);
        const char *fmt = jx_string(j, "format");
        json_t *vs = json_object_get(j, "virtual-size"), *as = json_object_get(j, "actual-size");
        if (!fmt || !json_is_integer(vs) || json_integer_value(vs) < 0)
                return error_set(e, -EIO, "qemu-img info gave no format or size for '%s'.", path);

        StorageDiskInfo info = {};
        snprintf(info.format, sizeof(info.format), "%s", fmt);
        info.virtual_size = (uint64_t) json_integer_value(vs);
        info.actual_size = json_is_integer(as) && json_integer_value(as) > 0 ? (uint64_t) json_integer_value(as) : 0;
        *ret = info;
        return 0;
}

int storage_disk_info(const char *path, StorageDiskInfo *ret, Error *e) {
        if (isempty(path))
                return error_set(e, -EINVAL, "No disk path given.");
        return disk_info(path, NULL, ret, e);
}

static uint64_t round_up_512(uint64_t n) {
        return (n + 511) & ~(uint64_t) 511;
}

int storage_overlay_create(const char *base, const char *base_format, const char *path, uint64_t size_bytes,
                           Error *e) {
        char real_base[PATH_MAX], size[32];
        StorageDiskInfo info;
        int r;

        if (isempty(base) || isempty(path))
                return error_set(e, -EINVAL, "An overlay needs a base image and a path.");
        if (!format_is_known(base_format))
                return error_set(e, -EINVAL, "'%s' is not a supported image format.",
                                 base_format ? base_format : "(null)");
        /* The overlay records the base's path: an absolute one, or qemu would resolve it against path's directory. */
        if (!realpath(base, real_base))
                return error_set(e, -errno, "Cannot find the base image '%s': %s.", base, strerror(errno));
        r = disk_info(real_base, base_format, &info, e);
        if (r < 0)
                return r;
        if (size_bytes < info.virtual_size)
                size_bytes = info.virtual_size;
        snprintf(size, sizeof(size), "%llu", (unsigned long long) round_up_512(size_bytes));

        /* A leftover of a crashed attempt: qemu-img create would refuse nothing, but be explicit. */
        if (unlink(path) < 0 && errno != ENOENT)
                return error_set(e, -errno, "Cannot replace '%s': %s.", path, strerror(errno));
        const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-F", base_format,
                               "-b", real_base, path, size, NULL };
        r = exec_run(argv, QEMU_IMG_TIMEOUT_USEC, NULL, e);
        if (r < 0) {
                (void) unlink(path);
                return r;
        }
        return 0;
}

int storage_disk_grow(const char *path, uint64_t size_bytes, Error *e) {
        StorageDiskInfo info;
        char size[32];
        int r;

        if (isempty(path))
                return error_set(e, -EINVAL, "No disk path given.");
        r = storage_disk_info(path, &info, e);
        if (r < 0)
                return r;
        if (!format_is_known(info.format))
                return error_set(e, -EINVAL, "The disk '%s' is in the unsupported format '%s'.", path, info.format);
        size_bytes = round_up_512(size_bytes);
        if (size_bytes < info.virtual_size)
                return error_set(e, -EINVAL, "The disk '%s' is larger (%llu bytes) than the requested %llu bytes; disks never shrink.",
                                 path, (unsigned long long) info.virtual_size, (unsigned long long) size_bytes);
        if (size_bytes == info.virtual_size)
                return 0;
        snprintf(size, sizeof(size), "%llu", (unsigned long long) size_bytes);
        const char *argv[] = { "qemu-img", "resize", "-q", "-f", info.format, path, size, NULL };
        return exec_run(argv, QEMU_IMG_TIMEOUT_USEC, NULL, e);
}

int storage_disk_flatten(const char *src, const char *dst, const char *format, Error *e) {
        StorageDiskInfo info;
        int r;

        if (isempty(src) || isempty(dst))
                return error_set(e, -EINVAL, "Flattening needs a source and a destination.");
        if (!format_is_known(format))
                return error_set(e, -EINVAL, "'%s' is not a supported image format.", format ? format : "(null)");
        r = storage_disk_info(src, &info, e);
        if (r < 0)
                return r;
        if (!format_is_known(info.format))
                return error_set(e, -EINVAL, "The disk '%s' is in the unsupported format '%s'.", src, info.format);

        /* Written beside dst and renamed: dst is either absent or complete. */
        _cleanup_free_ char *tmp = xasprintf("%s.tmp-%d", dst, (int) getpid());
        const char *argv[] = { "qemu-img", "convert", "-f", info.format, "-O", format, src, tmp, NULL };
        r = exec_run(argv, QEMU_IMG_CONVERT_TIMEOUT_USEC, NULL, e);
        if (r == 0) {
                /* qemu-img flushes on close; fsync once more so the rename never exposes a partial file. */
                _cleanup_close_ int fd = open(tmp, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || fsync(fd) < 0)
                        r = error_set(e, -errno, "Cannot flush '%s': %s.", tmp, strerror(errno));
        }
        if (r == 0 && rename(tmp, dst) < 0)
                r = error_set(e, -errno, "Cannot move the flattened disk to '%s': %s.", dst, strerror(errno));
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

int storage_disk_copy(const char *src, const char *dst, Error *e) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int in = -1, out = -1;
        struct stat st;
        int r = 0;

        if (isempty(src) || isempty(dst))
                return error_set(e, -EINVAL, "Copying a disk needs a source and a destination.");
        in = open(src, O_RDONLY | O_CLOEXEC);
        if (in < 0 || fstat(in, &st) < 0)
                return error_set(e, -errno, "Cannot open the disk '%s': %s.", src, strerror(errno));
        tmp = xasprintf("%s.tmp-%d", dst, (int) getpid());
        out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 0777);
        if (out < 0)
                return error_set(e, -errno, "Cannot create '%s': %s.", tmp, strerror(errno));
        for (off_t left = st.st_size; left > 0 && r == 0;) {
                ssize_t k = copy_file_range(in, NULL, out, NULL, (size_t) left, 0);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        r = error_set(e, k < 0 ? -errno : -EIO, "Cannot copy '%s' to '%s': %s.", src, tmp,
                                      k < 0 ? strerror(errno) : "the source shrank");
                else
                        left -= k;
        }
        if (r == 0 && fsync(out) < 0)
                r = error_set(e, -errno, "Cannot flush '%s': %s.", tmp, strerror(errno));
        if (r == 0 && rename(tmp, dst) < 0)
                r = error_set(e, -errno, "Cannot move the copy to '%s': %s.", dst, strerror(errno));
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

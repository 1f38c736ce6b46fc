/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Config drives (storage.h): the files are written into a private
 * temporary directory beside the ISO, genisoimage turns that directory
 * into an ISO 9660 volume labelled config-2 with Rock Ridge and Joliet
 * names (Nova's flags), the result is renamed over iso_path, and the
 * directory is removed whatever happened.  File paths come from metadata
 * that users influence (hostnames, file injection), so a path must be
 * relative and free of "..", "." and empty components.
 */
#include "storage/storage.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include "util/exec.h"
#include "util/fileio.h"

#define GENISOIMAGE_TIMEOUT_USEC (120 * 1000000LL)

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path) < 0 ? -1 : 0;
}

/* rm -rf of the temporary directory (a cleanup attribute: runs on every return). */
static void tmpdir_removep(char **dir) {
        if (*dir)
                (void) nftw(*dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(*dir);
}

/* A relative path of non-empty components, none of them "." or "..". */
static bool path_is_safe(const char *p) {
        if (isempty(p) || p[0] == '/')
                return false;
        for (const char *c = p; *c;) {
                size_t n = strcspn(c, "/");
                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c += n;
                if (*c == '/') {
                        c++;
                        if (!*c)
                                return false; /* a trailing slash names no file */
                }
        }
        return true;
}

static int write_member(const char *dir, const StorageFile *f, Error *e) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, f->path);
        char *slash = strrchr(path, '/');
        int r;

        *slash = '\0';
        r = mkdir_p(path, 0755);
        *slash = '/';
        if (r < 0)
                return error_set(e, r, "Cannot create the config drive directory for '%s': %s.", f->path,
                                 strerror(-r));
        /* O_EXCL: two entries with one path are a caller's mistake, not a silent overwrite. */
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) {
                if (errno == EEXIST || errno == EISDIR || errno == ENOTDIR)
                        return error_set(e, -EINVAL, "The config drive path '%s' is given twice or clashes with a directory.",
                                         f->path);
                return error_set(e, -errno, "Cannot write the config drive file '%s': %s.", f->path,
                                 strerror(errno));
        }
        r = write_all(fd, f->data, f->len);
        if (r < 0)
                return error_set(e, r, "Cannot write the config drive file '%s': %s.", f->path, strerror(-r));
        return 0;
}

int storage_config_drive_build(const char *iso_path, const StorageFile *files, size_t n, Error *e) {
        int r;

        if (isempty(iso_path))
                return error_set(e, -EINVAL, "No path given for the config drive.");
        for (size_t i = 0; i < n; i++) {
                if (!path_is_safe(files[i].path))
                        return error_set(e, -EINVAL, "The config drive path '%s' is not a safe relative path.",
                                         files[i].path ? files[i].path : "(null)");
                if (!files[i].data && files[i].len > 0)
                        return error_set(e, -EINVAL, "The config drive file '%s' has no data.", files[i].path);
        }

        /* Beside the ISO (same file system, no /tmp quota), private until removed. */
        _cleanup_(tmpdir_removep) char *dir = xasprintf("%s.d-XXXXXX", iso_path);
        if (!mkdtemp(dir)) {
                r = -errno;
                free(TAKE_PTR(dir));
                return error_set(e, r, "Cannot create a directory for the config drive '%s': %s.", iso_path,
                                 strerror(-r));
        }
        _cleanup_free_ char *content = xasprintf("%s/content", dir);
        if (mkdir(content, 0755) < 0)
                return error_set(e, -errno, "Cannot create a directory for the config drive: %s.", strerror(errno));
        for (size_t i = 0; i < n; i++) {
                r = write_member(content, &files[i], e);
                if (r < 0)
                        return r;
        }

        /* Nova's flags (nova/virt/configdrive.py), so guests see the same volume. */
        _cleanup_free_ char *tmp_iso = xasprintf("%s/config.iso", dir);
        const char *argv[] = { "genisoimage", "-o", tmp_iso, "-ldots", "-allow-lowercase", "-allow-multidot",
                               "-l", "-publisher", "gureum", "-quiet", "-J", "-r", "-V", "config-2",
                               content, NULL };
        r = exec_run(argv, GENISOIMAGE_TIMEOUT_USEC, NULL, e);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(tmp_iso, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0 || fchmod(fd, 0644) < 0)
                return error_set(e, -errno, "Cannot flush the config drive: %s.", strerror(errno));
        if (rename(tmp_iso, iso_path) < 0)
                return error_set(e, -errno, "Cannot move the config drive to '%s': %s.", iso_path, strerror(errno));
        return 0;
}

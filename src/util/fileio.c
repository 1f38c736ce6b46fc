/* SPDX-License-Identifier: Apache-2.0 */
/* Whole-file reads, atomic writes and lock files (see fileio.h). */
#include "util/fileio.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/file.h>
#include <sys/stat.h>

int read_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *data = NULL;
        size_t len = 0, alloc = 0;

        if (fd < 0)
                return -errno;
        for (;;) {
                if (alloc - len < 4096) {
                        alloc = alloc ? alloc * 2 : 8192;
                        data = xrealloc(data, alloc + 1);
                }
                ssize_t k = read(fd, data + len, alloc - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > max)
                        return -EFBIG;
        }
        if (!data)
                data = xmalloc(1);
        data[len] = '\0';
        *ret = TAKE_PTR(data);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int read_file_tail(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        off_t from = st.st_size > (off_t) max ? st.st_size - (off_t) max : 0;
        size_t want = (size_t) (st.st_size - from), len = 0;
        _cleanup_free_ char *data = xmalloc(want + 1);
        while (len < want) {
                ssize_t k = pread(fd, data + len, want - len, from + (off_t) len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        data[len] = '\0';
        *ret = TAKE_PTR(data);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int write_all(int fd, const void *data, size_t n) {
        const char *p = data;
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode) {
        _cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int) getpid());
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        int r;

        if (fd < 0)
                return -errno;
        r = write_all(fd, data, len);
        if (r == 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}

int write_file_if_changed(const char *path, const void *data, size_t len, mode_t mode) {
        _cleanup_free_ char *cur = NULL;
        size_t cur_len;
        if (read_file(path, len + 1, &cur, &cur_len) == 0 && cur_len == len && memcmp(cur, data, len) == 0)
                return 0;
        int r = write_file_atomic(path, data, len, mode);
        return r < 0 ? r : 1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int rm_rf(const char *path) {
        if (access(path, F_OK) < 0 && errno == ENOENT)
                return 0;
        return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = xstrdup(path);
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int lock_file_take(const char *path, pid_t *ret_holder) {
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
        char pid[24];
        ssize_t n;
        int len;

        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                int r = errno == EWOULDBLOCK ? -EBUSY : -errno;
                int64_t holder = 0;

                if (r == -EBUSY && ret_holder) {
                        n = pread(fd, pid, sizeof(pid) - 1, 0);
                        pid[n > 0 ? n : 0] = '\0';
                        pid[strcspn(pid, "\n")] = '\0';
                        if (parse_int64(pid, 1, INT32_MAX, &holder) < 0)
                                holder = 0;
                        *ret_holder = (pid_t) holder;
                }
                return r;
        }
        len = snprintf(pid, sizeof(pid), "%ld\n", (long) getpid());
        if (ftruncate(fd, 0) < 0)
                return -errno;
        n = pwrite(fd, pid, (size_t) len, 0);
        if (n != len)
                return n < 0 ? -errno : -EIO;
        return TAKE_FD(fd);
}

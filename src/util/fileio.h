/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whole-file helpers.  Writes are atomic: a temporary file in the same
 * directory, fsync, rename, so a crash leaves the old or the new contents.
 * And a lock file, for what one process at a time may own.
 */
#pragma once

#include "util/util.h"
#include <sys/types.h>

/* Reads at most max bytes; -EFBIG if the file is larger. *ret is NUL-terminated. */
int read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* Reads the last max bytes of path (all of it if it is smaller). *ret is NUL-terminated. */
int read_file_tail(const char *path, size_t max, char **ret, size_t *ret_len);
/* Writes all n bytes to fd, retrying short writes and EINTR: 0 or -errno. */
int write_all(int fd, const void *data, size_t n);
/* Replaces path with data (mode applies to the new file). */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* write_file_atomic unless path holds exactly data: 1 written, 0 unchanged, or -errno. */
int write_file_if_changed(const char *path, const void *data, size_t len, mode_t mode);
/* rm -rf path, without following symbolic links; 0 if it does not exist. */
int rm_rf(const char *path);
/* mkdir -p with the given mode for created directories. */
int mkdir_p(const char *path, mode_t mode);
/*
 * Takes an exclusive flock() on path (created with mode 0640 if missing)
 * without waiting, and writes the caller's pid into it.  Returns the fd
 * (O_CLOEXEC): the lock lasts until it is closed or the process ends.
 * -EBUSY if another process holds the lock; *ret_holder then gets the pid
 * written in the file, or 0 if it has none yet.  ret_holder may be NULL.
 */
int lock_file_take(const char *path, pid_t *ret_holder);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whole-file helpers.  Writes are atomic: a temporary file in the same
 * directory, fsync, rename, so a crash leaves the old or the new contents.
 */
#pragma once

#include "util/util.h"
#include <sys/types.h>

/* Reads at most max bytes; -EFBIG if the file is larger. *ret is NUL-terminated. */
int read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* Replaces path with data (mode applies to the new file). */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* mkdir -p with the given mode for created directories. */
int mkdir_p(const char *path, mode_t mode);

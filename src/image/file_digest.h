/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The digest of a file that is still being written, computed on a thread of
 * its own that follows the writer through the page cache.  An upload then
 * costs the thread that receives it only the write(): md5 and sha512 (each
 * under 1 GB/s on one core) run beside it and beside each other, instead of
 * one after the other on the request's thread, which other connections
 * share.
 */
#pragma once

#include "util/util.h"

#include <openssl/evp.h>

typedef struct FileDigest FileDigest;

/*
 * Starts digesting the file open at fd with md, from offset 0.  The caller
 * keeps fd open until file_digest_free().  Returns 0 or -errno (no thread).
 */
int file_digest_start(int fd, const EVP_MD *md, FileDigest **ret);
/* Tells the digest that the file now holds size bytes. */
void file_digest_advance(FileDigest *d, uint64_t size);
/*
 * Waits until the file's first size bytes are digested and writes the
 * digest in lowercase hex to hex, which has room for 2 * EVP_MAX_MD_SIZE + 1
 * bytes.  Returns 0, or -errno of a read that failed.  Call at most once.
 */
int file_digest_finish(FileDigest *d, uint64_t size, char *hex);
/* Stops the thread, without letting it catch up, and frees d.  NULL-safe. */
FileDigest *file_digest_free(FileDigest *d);

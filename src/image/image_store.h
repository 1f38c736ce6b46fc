/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The file store: image data lives in STATE/images/<id>.  New data is
 * written to STATE/images/.tmp-<id>-<random>, hashed on the way by two
 * threads that follow the writer (md5 for Glance's checksum, sha512 for
 * os_hash_value; see file_digest.h), fsynced, and renamed into
 * place only once verified, so a crash never leaves a partial image where a
 * complete one is expected.
 */
#pragma once

#include "util/util.h"

typedef struct StoreWriter StoreWriter;

/* The directory of the store; set once at start. */
int store_setup(const char *dir);
const char *store_dir(void);
/*
 * The final path of id's data; caller frees.  NULL if id is not a
 * canonical image id (a dashed UUID): the store never builds a path from
 * anything else, whatever the layers above let through (issue 7).
 */
char *store_path(const char *id);

/* Opens a temporary file for id; -EINVAL if id is not a canonical image id. */
int store_writer_new(const char *id, StoreWriter **ret);
int store_writer_write(StoreWriter *w, const void *data, size_t n);
uint64_t store_writer_size(const StoreWriter *w);
/* The fd of the temporary file (for inspection before commit). */
int store_writer_fd(const StoreWriter *w);
/* fsyncs and computes the digests: hex md5 (33 bytes) and hex sha512 (129 bytes). */
int store_writer_flush(StoreWriter *w, char md5[static 33], char sha512[static 129]);
/* Renames the temporary file into place and fsyncs the directory. */
int store_writer_commit(StoreWriter *w);
/* Removes the temporary file (if not committed) and frees w. */
StoreWriter *store_writer_free(StoreWriter *w);

/* Removes id's data; -EINVAL if id is not a canonical image id. */
int store_delete(const char *id);
/*
 * Removes temporary files and files whose name is_live(name, userdata)
 * rejects.  Returns the number of files removed.
 */
int store_sweep(bool (*is_live)(const char *id, void *userdata), void *userdata);

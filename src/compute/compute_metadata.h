/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A server's metadata as the guest reads it, from a config drive or
 * (with networking) the metadata service: one generator for both.
 */
#pragma once

#include "core/ctx.h"
#include "storage/storage.h"
#include "util/jx.h"

typedef struct ComputeMetadata {
        json_t *meta_data;       /* openstack/<version>/meta_data.json */
        json_t *network_data;    /* network_data.json */
        json_t *ec2_meta_data;   /* ec2/latest/meta-data.json */
        char *user_data;         /* decoded, or NULL */
        size_t user_data_len;
} ComputeMetadata;

void compute_metadata_done(ComputeMetadata *m);
/*
 * The metadata of server_id as the metadata service serves it (no admin
 * password): -ENOENT without a message for a server that does not exist
 * or is deleted.
 */
int compute_server_metadata(Ctx *c, const char *server_id, ComputeMetadata *ret);
/* The metadata of server rec (a servers record); admin_pass may be NULL. */
int compute_metadata_build(Ctx *c, const json_t *rec, const char *admin_pass, ComputeMetadata *ret);
/*
 * The files of a config drive holding m: *ret_files (n of them) point into
 * *ret_texts, a NULL-terminated list of strings the caller frees with
 * strv_free after the drive is built.
 */
int compute_metadata_files(const ComputeMetadata *m, StorageFile **ret_files, size_t *ret_n, char ***ret_texts);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The metadata service: what a guest reads at http://169.254.169.254/
 * (OpenStack's /openstack/... and EC2's /latest/...), served by gureumd
 * itself from a socket it opens inside each network's DHCP namespace.
 * The socket a request came in on names the network, the source address
 * names the port and so the server: an instance sees only its own data.
 */
#pragma once

#include "core/ctx.h"
#include "util/jx.h"

struct ComputeMetadata;

/*
 * The answer for path in m: a directory listing or a document, as the
 * OpenStack and EC2 metadata services answer (pure; the fuzzer's entry).
 * -ENOENT for a path that does not exist.  *ret_type is "text/plain" or
 * "application/json".  Caller frees *ret.
 */
int metadata_answer(const struct ComputeMetadata *m, const char *path, char **ret, size_t *ret_len,
                    const char **ret_type);

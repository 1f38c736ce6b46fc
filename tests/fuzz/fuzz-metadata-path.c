/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness over the metadata service's path walk: a guest
 * chooses the path of every request to 169.254.169.254, so metadata_answer
 * must give a document, a listing or -ENOENT for anything, never crash or
 * read outside what it was given.  Seeds: tests/fuzz/corpus/fuzz-metadata-path/.
 */
#include "compute/compute_metadata.h"
#include "metadata/metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ComputeMetadata m;

static void sample(void) {
        m.meta_data = json_pack("{s:s, s:s, s:{s:s}}", "uuid", "7f6b1c2e-0000-4000-8000-000000000001", "hostname", "vm1",
                                "public_keys", "k", "ssh-ed25519 AAAA");
        m.network_data = json_pack("{s:[]}", "links");
        m.ec2_meta_data = json_pack("{s:s, s:{s:s}, s:{s:{s:s}}, s:i}", "hostname", "vm1", "placement",
                                    "availability-zone", "nova", "public-keys", "0", "openssh-key", "ssh-ed25519 AAAA",
                                    "ami-launch-index", 0);
        m.user_data = xstrdup("#!/bin/sh\n");
        m.user_data_len = strlen(m.user_data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (!m.meta_data)
                sample();
        _cleanup_free_ char *path = xstrndup((const char *) data, size);
        char *body = NULL;
        size_t len = 0;
        const char *type = NULL;
        if (metadata_answer(&m, path, &body, &len, &type) == 0) {
                if (!body || !type || strlen(body) != len)
                        abort();
                free(body);
        }
        return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Public keys a user imports as a key pair, checked and fingerprinted as
 * Nova does: OpenSSH public key lines (ssh-rsa, ssh-ed25519,
 * ecdsa-sha2-nistp256/384/521), whose base64 blob is decoded and parsed
 * field by field, fingerprinted as the MD5 of that blob; and x509
 * certificates in PEM, fingerprinted as the SHA1 of their DER.  Pure
 * functions of their input (client input: fuzzed by
 * tests/fuzz/fuzz-compute-keys.c).
 */
#pragma once

#include "util/util.h"

/* The longest public key accepted, in bytes (a 16384-bit RSA key is about 2.8 KiB). */
#define COMPUTE_PUBKEY_MAX 65536

/*
 * Checks an OpenSSH public key line ("ssh-ed25519 AAAA... comment") and
 * returns Nova's fingerprint of it: the MD5 of the decoded blob as 16
 * colon-separated pairs of lowercase hex digits ("aa:bb:...").  -EINVAL
 * with the reason in e (one sentence) if the line is not such a key.
 * *ret_fingerprint is a new string; untouched on failure.
 */
int compute_pubkey_ssh(const char *line, char **ret_fingerprint, Error *e);

/*
 * Checks a PEM x509 certificate ("-----BEGIN CERTIFICATE-----...") and
 * returns the SHA1 of its DER as 20 colon-separated hex pairs.  -EINVAL
 * with the reason in e otherwise.
 */
int compute_pubkey_x509(const char *pem, char **ret_fingerprint, Error *e);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Password hashing with argon2id (libsodium crypto_pwhash_str).  The hash
 * string records its own parameters, so raising the cost in the config
 * affects new hashes while old ones keep verifying.
 */
#pragma once

#include "util/util.h"

/*
 * Sets the cost for new hashes: passes, and memory in KiB.  Also hashes a
 * random password at that cost, for password_verify to check against when
 * there is no hash (the daemon calls this once at start, ~0.1 s).
 */
int password_set_cost(int64_t opslimit, int64_t memlimit_kib);
/* Returns a new "$argon2id$..." string. */
int password_hash(const char *password, char **ret);
/*
 * 0 if password matches hash, -EPERM if not (or hash is malformed).  With
 * hash NULL (an unknown user, or one without a password) it spends the
 * same work as a real check and fails: how long a login takes must not
 * tell which users exist (issue 7, F3).
 */
int password_verify(const char *hash, const char *password);

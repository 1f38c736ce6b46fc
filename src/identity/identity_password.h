/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Password hashing with argon2id (libsodium crypto_pwhash_str).  The hash
 * string records its own parameters, so raising the cost in the config
 * affects new hashes while old ones keep verifying.
 */
#pragma once

#include "util/util.h"

/* Sets the cost for new hashes: passes, and memory in KiB. */
void password_set_cost(int64_t opslimit, int64_t memlimit_kib);
/* Returns a new "$argon2id$..." string. */
int password_hash(const char *password, char **ret);
/* 0 if password matches hash, -EPERM if not (or hash is malformed). */
int password_verify(const char *hash, const char *password);

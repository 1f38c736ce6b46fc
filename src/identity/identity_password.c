/* SPDX-License-Identifier: Apache-2.0 */
/* argon2id password hashing (see identity_password.h). */
#include "identity/identity_password.h"

#include <sodium.h>

/* The cost, from the config ([identity] password_hash_*): password_set_cost runs before any hash. */
static unsigned long long cost_ops;
static size_t cost_mem;
/* A hash of a random password at the current cost; set once at start, before any thread reads it. */
static char dummy_hash[crypto_pwhash_STRBYTES];

int password_set_cost(int64_t opslimit, int64_t memlimit_kib) {
        char random_password[33];
        uint8_t bytes[16];

        cost_ops = (unsigned long long) opslimit;
        cost_mem = (size_t) memlimit_kib * 1024;
        if (sodium_init() < 0)
                return -EIO;
        random_bytes(bytes, sizeof(bytes));
        hex_encode(bytes, sizeof(bytes), random_password);
        if (crypto_pwhash_str_alg(dummy_hash, random_password, strlen(random_password), cost_ops, cost_mem,
                                  crypto_pwhash_ALG_ARGON2ID13) != 0)
                return -ENOMEM;
        return 0;
}

int password_hash(const char *password, char **ret) {
        char out[crypto_pwhash_STRBYTES];
        if (cost_ops == 0)
                abort(); /* hashing before password_set_cost is a programming error */
        if (sodium_init() < 0)
                return -EIO;
        if (crypto_pwhash_str_alg(out, password, strlen(password), cost_ops, cost_mem,
                                  crypto_pwhash_ALG_ARGON2ID13) != 0)
                return -ENOMEM; /* libsodium fails here only when it cannot allocate */
        *ret = xstrdup(out);
        return 0;
}

int password_verify(const char *hash, const char *password) {
        if (!password)
                return -EPERM;
        if (sodium_init() < 0)
                return -EIO;
        if (!hash) {
                /* Spends a check's work on the dummy; only the time matters (its password is random). */
                int spent = dummy_hash[0] ? crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) : -1;
                (void) spent;
                return -EPERM;
        }
        return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 ? 0 : -EPERM;
}

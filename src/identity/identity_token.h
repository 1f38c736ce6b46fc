/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tokens are not stored: a token is its payload (who, which scope, when,
 * audit ids) encrypted and authenticated with XChaCha20-Poly1305 under a
 * key from the key repository, then base64url-encoded.  Anyone holding the
 * keys can validate a token; nobody else can read or forge one.
 *
 * Key repository (STATE/keys/token/, like Keystone's Fernet keys): file
 * "0" is the staged key, the highest number is the primary key that
 * encrypts, the others only decrypt.  Rotation promotes the staged key,
 * stages a new one, and drops the oldest beyond max_active_keys.  Tokens
 * name their key by a hash of it, so a daemon that already knew the staged
 * key keeps validating tokens issued after another's rotation.
 */
#pragma once

#include "util/util.h"

#define TOKEN_METHOD_PASSWORD 0x01
#define TOKEN_METHOD_TOKEN    0x02
#define TOKEN_AUDIT_ID_LEN    22   /* base64url of 16 random bytes, as Keystone */

typedef struct TokenPayload {
        char *user_id;
        char *project_id;          /* project scope, or NULL */
        char *domain_id;           /* domain scope, or NULL */
        bool system;               /* system scope */
        uint8_t methods;           /* TOKEN_METHOD_* bits */
        int64_t issued_at;         /* usec */
        int64_t expires_at;        /* usec */
        char audit_id[TOKEN_AUDIT_ID_LEN + 1];
        char parent_audit_id[TOKEN_AUDIT_ID_LEN + 1]; /* "" unless rescoped */
} TokenPayload;

void token_payload_done(TokenPayload *p);
/* Fills audit_id with a new random id. */
void token_audit_id_new(char out[static TOKEN_AUDIT_ID_LEN + 1]);

/* Calls fn whenever the loaded set of keys changes (the caches must forget). */
void token_keys_on_change(void (*fn)(void));
/* Loads the key repository of state_dir (for the daemon). */
int token_keys_load(const char *state_dir);
/* Creates the repository with a staged and a primary key if missing. */
int token_keys_init(const char *state_dir);
/* Rotates as described above; prints nothing. */
int token_keys_rotate(const char *state_dir, int64_t max_active_keys);

/* Encrypts p with the primary key; returns a new string. */
int token_encode(const TokenPayload *p, char **ret);
/*
 * Decrypts and parses token.  -EPERM if it is malformed, forged or made
 * with an unknown key.  Does not check expiry or revocation.
 */
int token_decode(const char *token, TokenPayload *ret);

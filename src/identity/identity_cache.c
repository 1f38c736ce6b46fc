/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Caches of validated tokens and of the catalog.  Validating a token
 * costs a decryption and about a dozen queries (revocation, user, domains,
 * project, roles), and every API call validates one, often the same.
 * Entries are tagged with a generation that every identity write bumps
 * (identity_changed), so a revocation, a role change or a disabled user is
 * seen by the very next request: the cache only saves work between writes.
 *
 * This is correct because one gureumd owns the database.  When several
 * controllers share a PostgreSQL database, the generation must come from
 * the database instead (or the cache be turned off).
 */
#include "identity/identity_cache.h"

#include <pthread.h>
#include <stdatomic.h>

#define TOKEN_SLOTS 1024
#define TOKEN_TTL_USEC (30 * 1000000LL)

typedef struct CachedToken {
        char *token;
        uint64_t generation;
        int64_t cached_at;
        TokenInfo info;
} CachedToken;

static atomic_uint_fast64_t generation = 1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static CachedToken slots[TOKEN_SLOTS];
static json_t *catalog;
static uint64_t catalog_generation;

void identity_changed(void) {
        atomic_fetch_add(&generation, 1);
}

static size_t slot_of(const char *token) {
        return (size_t) (hash_fnv1a(token) % TOKEN_SLOTS);
}

/* Deep copies, so no json_t is ever shared between threads. */
static void info_copy(const TokenInfo *from, TokenInfo *to) {
        *to = (TokenInfo) { .payload = from->payload };
        to->payload.user_id = from->payload.user_id ? xstrdup(from->payload.user_id) : NULL;
        to->payload.project_id = from->payload.project_id ? xstrdup(from->payload.project_id) : NULL;
        to->payload.domain_id = from->payload.domain_id ? xstrdup(from->payload.domain_id) : NULL;
        to->user = json_deep_copy(from->user);
        to->user_domain = json_deep_copy(from->user_domain);
        to->project = json_deep_copy(from->project);
        to->domain = json_deep_copy(from->domain);
        to->roles = json_deep_copy(from->roles);
}

void token_info_done(TokenInfo *t) {
        token_payload_done(&t->payload);
        json_decref(t->user);
        json_decref(t->user_domain);
        json_decref(t->project);
        json_decref(t->domain);
        json_decref(t->roles);
        *t = (TokenInfo) {};
}

bool identity_cache_get(const char *token, TokenInfo *ret) {
        CachedToken *e = &slots[slot_of(token)];
        bool hit = false;
        int64_t now = now_usec();

        pthread_mutex_lock(&lock);
        if (e->token && e->generation == atomic_load(&generation) && streq(e->token, token) &&
            now - e->cached_at < TOKEN_TTL_USEC && now < e->info.payload.expires_at) {
                info_copy(&e->info, ret);
                hit = true;
        }
        pthread_mutex_unlock(&lock);
        return hit;
}

void identity_cache_put(const char *token, const TokenInfo *info, uint64_t gen) {
        CachedToken *e = &slots[slot_of(token)];
        TokenInfo copy, old;
        char *old_token;

        info_copy(info, &copy);
        pthread_mutex_lock(&lock);
        old = e->info;
        old_token = e->token;
        e->info = copy;
        e->token = xstrdup(token);
        e->generation = gen;
        e->cached_at = now_usec();
        pthread_mutex_unlock(&lock);
        free(old_token);
        token_info_done(&old);
}

uint64_t identity_generation(void) {
        return atomic_load(&generation);
}

json_t *identity_cache_catalog_get(void) {
        json_t *copy = NULL;
        pthread_mutex_lock(&lock);
        if (catalog && catalog_generation == atomic_load(&generation))
                copy = json_deep_copy(catalog);
        pthread_mutex_unlock(&lock);
        return copy;
}

void identity_cache_catalog_put(const json_t *cat, uint64_t gen) {
        json_t *copy = json_deep_copy(cat), *old;
        pthread_mutex_lock(&lock);
        old = catalog;
        catalog = copy;
        catalog_generation = gen;
        pthread_mutex_unlock(&lock);
        json_decref(old);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The identity caches (identity_cache.c): validated tokens and the
 * catalog, invalidated as a whole by every identity write.
 */
#pragma once

#include "identity/identity.h"

/* Call after any change to identity data (users, projects, roles, assignments, catalog, revocations). */
void identity_changed(void);
/*
 * The current generation.  Read it before loading what is to be cached and
 * pass it to *_put, so data loaded across a change is never cached as new.
 */
uint64_t identity_generation(void);

/* Fills *ret with a copy of the cached validation of token, if still current. */
bool identity_cache_get(const char *token, TokenInfo *ret);
/* Caches a copy of info for token, as of generation gen. */
void identity_cache_put(const char *token, const TokenInfo *info, uint64_t gen);

json_t *identity_cache_catalog_get(void);
void identity_cache_catalog_put(const json_t *catalog, uint64_t gen);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jx: small helpers over jansson (json_t is refcounted; these never steal
 * unless they say so).  The prefix is ours because jansson owns json_.
 */
#pragma once

#include <jansson.h>
#include "util/util.h"

static inline void jx_decrefp(json_t **j) {
        if (*j)
                json_decref(*j);
}
#define _cleanup_json_ _cleanup_(jx_decrefp)

/* The string at key, or NULL if absent or not a string.  Borrowed. */
const char *jx_string(const json_t *obj, const char *key);
/* Like jx_string but follows a path of keys: jx_path_string(o, "a", "b", NULL). */
const char *jx_path_string(const json_t *obj, ...);
/* Sets key to a copy of s, or to JSON null if s is NULL. */
void jx_set_string_or_null(json_t *obj, const char *key, const char *s);
/* Compact serialisation; caller frees. */
char *jx_dump(const json_t *j);
/* Parses text (len bytes).  Returns NULL and a message in err on failure. */
json_t *jx_parse(const char *text, size_t len, json_error_t *err);

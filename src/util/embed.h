/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files embedded into the binary at build time by tools/embed.py
 * (migrations, JSON schemas).  Arrays end with a { NULL } entry.
 */
#pragma once

#include <stddef.h>

typedef struct EmbeddedFile {
        const char *name;  /* base name, e.g. "0001_identity.sql" */
        const char *data;  /* contents, NUL-terminated */
        size_t len;
} EmbeddedFile;

/* Finds name in files, or NULL. */
const EmbeddedFile *embedded_find(const EmbeddedFile *files, const char *name);

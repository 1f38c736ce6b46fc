/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Buf: a growable byte buffer, always NUL-terminated so its contents can be
 * used as a C string.  Owns its memory; buf_done() releases it.
 */
#pragma once

#include "util/util.h"

typedef struct Buf {
        char *data;   /* NUL-terminated; NULL until the first append */
        size_t len;   /* bytes used, not counting the NUL */
        size_t alloc; /* bytes allocated */
} Buf;

void buf_append(Buf *b, const void *data, size_t n);
void buf_puts(Buf *b, const char *s);
void buf_printf(Buf *b, const char *fmt, ...) _printf_(2, 3);
/* Appends s percent-encoded for a URL query component (RFC 3986 unreserved kept). */
void buf_put_urlencoded(Buf *b, const char *s);
void buf_reset(Buf *b);
/* Returns the contents (caller owns them) and leaves b empty. */
char *buf_steal(Buf *b);
void buf_done(Buf *b);

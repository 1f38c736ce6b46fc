/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Leaf helpers used everywhere: allocation that aborts on OOM, string
 * predicates, and the systemd-style cleanup attributes that give every
 * allocation exactly one owner.  No project dependencies.
 */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _noreturn_ __attribute__((noreturn))
#define _unused_ __attribute__((unused))

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static inline bool streq(const char *a, const char *b) {
        return !strcmp(a, b);
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

static inline bool isempty(const char *s) {
        return !s || !*s;
}

static inline bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Allocation never fails: on OOM the process aborts (see STYLE.md). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A copy of n bytes of p, with a NUL after them. */
char *xmemdup(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
char *xvasprintf(const char *fmt, va_list ap) _printf_(1, 0);

/* Cleanup helpers: free at scope exit unless TAKE_PTR/TAKE_FD moved them. */
static inline void freep(void *p) {
        free(*(void **)p);
}
static inline void closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
}
static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
void strv_free(char **v);
static inline void strv_freep(char ***v) {
        strv_free(*v);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

#define TAKE_PTR(p)                             \
        ({                                      \
                __typeof__(p) _p_ = (p);        \
                (p) = NULL;                     \
                _p_;                            \
        })
#define TAKE_FD(fd)                             \
        ({                                      \
                int _fd_ = (fd);                \
                (fd) = -1;                      \
                _fd_;                           \
        })

/*
 * The reason a call below the service layer failed (a driver, a command):
 * one whole sentence, kept by the first failure.  The service turns it
 * into ctx_error().
 */
typedef struct Error {
        char message[512];
} Error;

/* Records the reason in e (if e is not NULL and holds none yet) and returns code. */
int error_set(Error *e, int code, const char *fmt, ...) _printf_(3, 4);

/* Parses a decimal integer in [min, max]; rejects trailing garbage. */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret);
/* Parses "true/false/yes/no/1/0/on/off". */
int parse_bool(const char *s, bool *ret);

/* True if s is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
bool utf8_is_valid(const char *s);
/* Length of the longest prefix of s, at most max bytes, that does not split a UTF-8 sequence. */
size_t utf8_prefix(const char *s, size_t max);
/* A copy of s with every byte that is not part of well-formed UTF-8 replaced by '?'. */
char *utf8_sanitize(const char *s);

/* Fills buf with n random bytes from the kernel; never fails. */
void random_bytes(void *buf, size_t n);
/* Writes n bytes as 2n lowercase hex digits and a NUL to out. */
void hex_encode(const uint8_t *in, size_t n, char *out);
/* Returns a new random UUID as 32 lowercase hex digits (Keystone style). */
char *uuid_hex_new(void);
/* Returns a new random UUID in the 8-4-4-4-12 form (Glance, Nova style). */
char *uuid_dashed_new(void);
/* True if s is 32 hex digits or the 36-char dashed form. */
bool uuid_is_valid(const char *s);
/* True only for the 36-char dashed form (8-4-4-4-12 hex digits, either case): Glance's and Nova's ids. */
bool uuid_is_dashed(const char *s);

/* The 64-bit FNV-1a hash of s: for hash tables, never for security. */
uint64_t hash_fnv1a(const char *s);

/* Wall-clock time in microseconds since the epoch. */
int64_t now_usec(void);
/* Monotonic time in microseconds (CLOCK_MONOTONIC): for deadlines and durations. */
int64_t mono_usec(void);
/* Formats t (usec) as "2026-01-02T03:04:05.000000Z" into buf (>= 28 bytes). */
char *format_iso8601_usec(int64_t t, char buf[static 32]);
/* Formats t (usec) as "2026-01-02T03:04:05Z" into buf (>= 21 bytes). */
char *format_iso8601(int64_t t, char buf[static 32]);
/*
 * Parses an ISO 8601 time: a date, optionally "T" (or a space) and
 * hh:mm[:ss[.fraction]], optionally "Z" or an offset (+hh:mm, +hhmm,
 * +hh); no zone means UTC.  *ret (may be NULL) gets usec since the epoch.
 * -EINVAL if s is not such a time.
 */
int parse_iso8601(const char *s, int64_t *ret);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation, parsing, randomness and time helpers declared in util.h.
 */
#include "util/util.h"

#include <ctype.h>
#include <sys/random.h>
#include <time.h>

static _noreturn_ void oom(void) {
        static const char msg[] = "gureum: out of memory\n";
        (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
        abort();
}

void *xmalloc(size_t n) {
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xcalloc(size_t n, size_t size) {
        void *p = calloc(n ? n : 1, size ? size : 1);
        if (!p)
                oom();
        return p;
}

void *xrealloc(void *p, size_t n) {
        p = realloc(p, n ? n : 1);
        if (!p)
                oom();
        return p;
}

char *xstrdup(const char *s) {
        char *p = strdup(s);
        if (!p)
                oom();
        return p;
}

char *xstrndup(const char *s, size_t n) {
        char *p = strndup(s, n);
        if (!p)
                oom();
        return p;
}

char *xmemdup(const void *p, size_t n) {
        char *d = xmalloc(n + 1);
        memcpy(d, p, n);
        d[n] = '\0';
        return d;
}

char *xvasprintf(const char *fmt, va_list ap) {
        char *p;
        if (vasprintf(&p, fmt, ap) < 0)
                oom();
        return p;
}

char *xasprintf(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *p = xvasprintf(fmt, ap);
        va_end(ap);
        return p;
}

void strv_free(char **v) {
        if (!v)
                return;
        for (char **i = v; *i; i++)
                free(*i);
        free(v);
}

/* Length of the well-formed UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s) {
        unsigned c = s[0];
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                return (s[1] & 0xc0) == 0x80 ? 2 : 0;
        if (c >= 0xe0 && c <= 0xef) {
                unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
                return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
        }
        if (c >= 0xf0 && c <= 0xf4) {
                unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
                return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
        }
        return 0;
}

bool utf8_is_valid(const char *s) {
        const unsigned char *p = (const unsigned char *) s;
        while (*p) {
                size_t n = utf8_seq(p);
                if (n == 0)
                        return false;
                p += n;
        }
        return true;
}

size_t utf8_prefix(const char *s, size_t max) {
        const unsigned char *p = (const unsigned char *) s;
        size_t len = 0;
        while (p[len]) {
                size_t n = utf8_seq(p + len);
                if (n == 0)
                        n = 1; /* a stray byte is its own unit: never split what follows */
                if (len + n > max)
                        break;
                len += n;
        }
        return len;
}

char *utf8_sanitize(const char *s) {
        char *out = xstrdup(s);
        unsigned char *p = (unsigned char *) out;
        while (*p) {
                size_t n = utf8_seq(p);
                if (n == 0) {
                        *p++ = '?';
                        continue;
                }
                p += n;
        }
        return out;
}

int error_set(Error *e, int code, const char *fmt, ...) {
        va_list ap;
        if (!e || e->message[0])
                return code;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
        return code;
}

int parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret) {
        char *end;
        long long v;

        if (isempty(s) || isspace((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "1", "true", "yes", "on", "True" };
        static const char *const no[] = { "0", "false", "no", "off", "False" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (streq(s, yes[i])) {
                        *ret = true;
                        return 0;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (streq(s, no[i])) {
                        *ret = false;
                        return 0;
                }
        return -EINVAL;
}

void random_bytes(void *buf, size_t n) {
        uint8_t *p = buf;
        while (n > 0) {
                ssize_t k = getrandom(p, n, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        abort(); /* no entropy source: nothing safe to do */
                }
                p += k;
                n -= (size_t) k;
        }
}

void hex_encode(const uint8_t *in, size_t n, char *out) {
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[in[i] >> 4];
                out[2 * i + 1] = digits[in[i] & 15];
        }
        out[2 * n] = '\0';
}

static void uuid4_bytes(uint8_t b[16]) {
        random_bytes(b, 16);
        b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
        b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
}

char *uuid_hex_new(void) {
        uint8_t b[16];
        char *s = xmalloc(33);
        uuid4_bytes(b);
        hex_encode(b, 16, s);
        return s;
}

char *uuid_dashed_new(void) {
        uint8_t b[16];
        char hex[33];
        uuid4_bytes(b);
        hex_encode(b, 16, hex);
        return xasprintf("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

bool uuid_is_valid(const char *s) {
        size_t n = strlen(s), digits = 0;
        if (n != 32 && n != 36)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (n == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
                        if (s[i] != '-')
                                return false;
                        continue;
                }
                if (!isxdigit((unsigned char) s[i]))
                        return false;
                digits++;
        }
        return digits == 32;
}

uint64_t hash_fnv1a(const char *s) {
        uint64_t h = 1469598103934665603ull;
        for (; *s; s++)
                h = (h ^ (uint8_t) *s) * 1099511628211ull;
        return h;
}

bool uuid_is_dashed(const char *s) {
        return strlen(s) == 36 && uuid_is_valid(s);
}

int64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t mono_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Splits t into whole seconds and microseconds, flooring (t may be negative). */
static void split_usec(int64_t t, time_t *ret_sec, int *ret_usec) {
        int64_t usec = t % 1000000;
        if (usec < 0)
                usec += 1000000;
        *ret_sec = (time_t) ((t - usec) / 1000000);
        *ret_usec = (int) usec;
}

char *format_iso8601_usec(int64_t t, char buf[static 32]) {
        time_t sec;
        int usec;
        split_usec(t, &sec, &usec);
        struct tm tm;
        gmtime_r(&sec, &tm);
        size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, 32 - n, ".%06dZ", usec);
        return buf;
}

char *format_iso8601(int64_t t, char buf[static 32]) {
        time_t sec;
        int usec;
        split_usec(t, &sec, &usec);
        struct tm tm;
        gmtime_r(&sec, &tm);
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return buf;
}

/* Reads exactly n digits at *p into *ret, advancing *p. */
static bool digits(const char **p, int n, int *ret) {
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char) (*p)[i]))
                        return false;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return true;
}

int parse_iso8601(const char *s, int64_t *ret) {
        struct tm tm = {};
        int year, mon, day, hour = 0, min = 0, sec = 0, off = 0;
        int64_t usec = 0;
        const char *p = s;

        if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &mon) || *p++ != '-' || !digits(&p, 2, &day))
                return -EINVAL;
        if (*p == 'T' || *p == 't' || *p == ' ') {
                p++;
                if (!digits(&p, 2, &hour) || *p++ != ':' || !digits(&p, 2, &min))
                        return -EINVAL;
                if (*p == ':') {
                        p++;
                        if (!digits(&p, 2, &sec))
                                return -EINVAL;
                        if (*p == '.' || *p == ',') {
                                int64_t scale = 100000;
                                p++;
                                if (!isdigit((unsigned char) *p))
                                        return -EINVAL;
                                for (; isdigit((unsigned char) *p); p++, scale /= 10)
                                        usec += (*p - '0') * scale;
                        }
                }
        }
        if (*p == 'Z' || *p == 'z')
                p++;
        else if (*p == '+' || *p == '-') {
                int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
                if (!digits(&p, 2, &oh))
                        return -EINVAL;
                if (*p == ':')
                        p++;
                if (isdigit((unsigned char) *p) && !digits(&p, 2, &om))
                        return -EINVAL;
                if (oh > 23 || om > 59)
                        return -EINVAL;
                off = sign * (oh * 3600 + om * 60);
        }
        if (*p || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
                return -EINVAL;
        tm.tm_year = year - 1900;
        tm.tm_mon = mon - 1;
        tm.tm_mday = day;
        tm.tm_hour = hour;
        tm.tm_min = min;
        tm.tm_sec = sec;
        time_t t = timegm(&tm);
        /* timegm normalises 31 February into March: a date that moved was not a date. */
        struct tm check;
        gmtime_r(&t, &check);
        if (check.tm_mday != day || check.tm_mon != mon - 1)
                return -EINVAL;
        if (ret)
                *ret = ((int64_t) t - off) * 1000000 + (usec > 999999 ? 999999 : usec);
        return 0;
}

#include "util/embed.h"

const EmbeddedFile *embedded_find(const EmbeddedFile *files, const char *name) {
        for (const EmbeddedFile *f = files; f->name; f++)
                if (streq(f->name, name))
                        return f;
        return NULL;
}

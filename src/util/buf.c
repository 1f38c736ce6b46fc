/* SPDX-License-Identifier: Apache-2.0 */
/* Growable byte buffer (see buf.h). */
#include "util/buf.h"

static void buf_reserve(Buf *b, size_t extra) {
        size_t need = b->len + extra + 1;
        if (need <= b->alloc)
                return;
        size_t a = b->alloc ? b->alloc : 64;
        while (a < need)
                a *= 2;
        b->data = xrealloc(b->data, a);
        b->alloc = a;
}

void buf_append(Buf *b, const void *data, size_t n) {
        buf_reserve(b, n);
        if (n)
                memcpy(b->data + b->len, data, n);
        b->len += n;
        b->data[b->len] = '\0';
}

void buf_puts(Buf *b, const char *s) {
        buf_append(b, s, strlen(s));
}

void buf_printf(Buf *b, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        buf_reserve(b, (size_t) n);
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t) n;
}

void buf_put_urlencoded(Buf *b, const char *s) {
        static const char hex[] = "0123456789ABCDEF";
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                    *p == '-' || *p == '_' || *p == '.' || *p == '~') {
                        buf_append(b, p, 1);
                        continue;
                }
                char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
                buf_append(b, esc, 3);
        }
}

void buf_reset(Buf *b) {
        b->len = 0;
        if (b->data)
                b->data[0] = '\0';
}

char *buf_steal(Buf *b) {
        char *p = b->data ? b->data : xstrdup("");
        *b = (Buf) {};
        return p;
}

void buf_done(Buf *b) {
        free(b->data);
        *b = (Buf) {};
}

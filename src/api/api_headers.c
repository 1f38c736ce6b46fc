/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Response headers as a list of (name, value) pairs, and the check every
 * header passes before it is sent.  Headers are never built as text and
 * split again: a value holding CR or LF once became extra response headers
 * (issue 7, F7), so a header with a control character is refused whole.
 */
#include "api/api.h"

void api_headers_add(ApiHeaders *h, const char *name, const char *value) {
        if (!value)
                return;
        h->items = xrealloc(h->items, (h->n + 1) * sizeof(*h->items));
        h->items[h->n++] = (ApiHeader) { xstrdup(name), xstrdup(value) };
}

void api_headers_done(ApiHeaders *h) {
        for (size_t i = 0; i < h->n; i++) {
                free(h->items[i].name);
                free(h->items[i].value);
        }
        free(h->items);
        *h = (ApiHeaders) {};
}

/* RFC 9110 tchar: the characters of a token, which a field name is. */
static bool is_tchar(unsigned char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

bool api_header_name_valid(const char *name) {
        if (!name || !*name)
                return false;
        for (const unsigned char *p = (const unsigned char *) name; *p; p++)
                if (!is_tchar(*p))
                        return false;
        return true;
}

bool api_header_value_valid(const char *value) {
        if (!value)
                return false;
        /* Field values may hold tabs and bytes from 0x80 up, never other control characters. */
        for (const unsigned char *p = (const unsigned char *) value; *p; p++)
                if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
                        return false;
        return true;
}

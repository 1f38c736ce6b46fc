/* SPDX-License-Identifier: Apache-2.0 */
/* The Range header parser of downloads (see api_range.h). */
#include "api/api_range.h"

#include <strings.h>

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_ows(char c) {
        return c == ' ' || c == '\t';
}

/*
 * Parses RFC 9110's 1*DIGIT at p into *ret, saturating at UINT64_MAX (a
 * position that large is still a valid one, past any data).  Returns the
 * end, or NULL if p does not start with a digit.
 */
static const char *parse_pos(const char *p, uint64_t *ret) {
        uint64_t v = 0;

        if (!is_digit(*p))
                return NULL;
        for (; is_digit(*p); p++) {
                unsigned d = (unsigned) (*p - '0');
                v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
        }
        *ret = v;
        return p;
}

int api_range_parse(const char *header, uint64_t size, uint64_t *ret_start, uint64_t *ret_len) {
        const char *p = header, *q;
        uint64_t first = 0, last = UINT64_MAX;
        bool has_first, has_last;

        /* range-unit "=" range-set; range units compare case-insensitively. */
        if (strncasecmp(p, "bytes=", strlen("bytes=")) != 0)
                return -EINVAL;
        p += strlen("bytes=");
        if (strchr(p, ','))
                return -EINVAL; /* several ranges: serve the whole image instead, as Glance does */
        while (is_ows(*p))
                p++;
        q = parse_pos(p, &first);
        has_first = q != NULL;
        if (has_first)
                p = q;
        if (*p++ != '-')
                return -EINVAL;
        q = parse_pos(p, &last);
        has_last = q != NULL;
        if (has_last)
                p = q;
        while (is_ows(*p))
                p++;
        if (*p != '\0' || (!has_first && !has_last))
                return -EINVAL;

        if (!has_first) {
                /* suffix-range: the last N bytes; "-0" names none. */
                if (last == 0)
                        return -ERANGE;
                /* Empty data has no bytes to send in a 206: serve it whole (RFC 9110 lets a server ignore Range). */
                if (size == 0)
                        return -EINVAL;
                *ret_start = last >= size ? 0 : size - last;
                *ret_len = size - *ret_start;
                return 0;
        }
        /* A last-pos before the first-pos makes the range invalid, not unsatisfiable (RFC 9110 14.1.1): ignore it. */
        if (has_last && last < first)
                return -EINVAL;
        if (first >= size)
                return -ERANGE;
        if (last >= size)
                last = size - 1;
        *ret_start = first;
        *ret_len = last - first + 1;
        return 0;
}

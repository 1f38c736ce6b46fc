/* SPDX-License-Identifier: Apache-2.0 */
/* The Range header parser of downloads (see api_range.h). */
#include "api/api_range.h"

int api_range_parse(const char *header, uint64_t size, uint64_t *ret_start, uint64_t *ret_len) {
        const char *h = header;
        int64_t a = -1, b = -1;

        if (!startswith(h, "bytes="))
                return -EINVAL;
        h += strlen("bytes=");
        if (strchr(h, ','))
                return -EINVAL; /* multipart ranges: serve the whole image instead */
        const char *dash = strchr(h, '-');
        if (!dash)
                return -EINVAL;
        _cleanup_free_ char *first = xstrndup(h, (size_t) (dash - h));
        if (*first && parse_int64(first, 0, INT64_MAX, &a) < 0)
                return -EINVAL;
        if (dash[1] && parse_int64(dash + 1, 0, INT64_MAX, &b) < 0)
                return -EINVAL;
        if (a < 0 && b < 0)
                return -EINVAL;
        if (a < 0) { /* the last b bytes */
                if (b == 0 || size == 0)
                        return -ERANGE;
                a = (uint64_t) b > size ? 0 : (int64_t) (size - (uint64_t) b);
                b = (int64_t) size - 1;
        } else if (b < 0 || (uint64_t) b >= size)
                b = (int64_t) size - 1;
        if ((uint64_t) a >= size || b < a)
                return -ERANGE;
        *ret_start = (uint64_t) a;
        *ret_len = (uint64_t) (b - a + 1);
        return 0;
}

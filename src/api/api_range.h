/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP Range request header (RFC 9110 section 14.1.2) as image
 * downloads honour it: one byte range, resolved against the size of the
 * data.  Multipart ranges are not served.
 */
#pragma once

#include "util/util.h"

/*
 * Parses header, a single "bytes=A-B", "bytes=A-" or "bytes=-N" range,
 * against data of size bytes (a file size: at most INT64_MAX).  On success returns 0 with the first byte in
 * *ret_start and the number of bytes in *ret_len: start < size, len >= 1
 * and start + len <= size (an end past the data is clipped to its last
 * byte; a suffix longer than the data means all of it).  Returns -ERANGE
 * if the range is well-formed but unsatisfiable (the caller answers 416),
 * and -EINVAL if the header is malformed or names several ranges (the
 * caller serves the whole data, as RFC 9110 allows).  Records no error
 * and leaves the outputs alone on failure.
 */
int api_range_parse(const char *header, uint64_t size, uint64_t *ret_start, uint64_t *ret_len);

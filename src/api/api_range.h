/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP Range request header (RFC 9110 section 14.1.2) as image
 * downloads honour it: one byte range, resolved against the size of the
 * data.  Multipart ranges are not served.
 */
#pragma once

#include "util/util.h"

/*
 * Parses header, a single "bytes=A-B", "bytes=A-" or "bytes=-N" range
 * (positions are digits only; the unit is case-insensitive), against data
 * of size bytes (a file size: at most INT64_MAX).  On success returns 0
 * with the first byte in *ret_start and the number of bytes in *ret_len:
 * start < size, len >= 1 and start + len <= size (an end past the data is
 * clipped to its last byte; a suffix longer than the data means all of
 * it).  Returns -ERANGE if the range is valid but unsatisfiable: it starts
 * at or past the end of the data, or is the empty suffix "-0" (the caller
 * answers 416).  Returns -EINVAL if the header is to be ignored (the
 * caller serves the whole data, as RFC 9110 requires or allows): it is
 * not a valid byte range (another unit, bad syntax, a last position before
 * the first, as in "bytes=5-3"), names several ranges, or asks for a
 * suffix of empty data.  Records no error and leaves the outputs alone on
 * failure.
 */
int api_range_parse(const char *header, uint64_t size, uint64_t *ret_start, uint64_t *ret_len);

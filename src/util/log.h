/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Structured logging to stderr: one line per event, logfmt style
 * ("time=... level=info subsys=api req=req-... msg=\"...\"").  Library
 * layers (util, db, drivers) log only at debug level; see STYLE.md.
 */
#pragma once

#include "util/util.h"

typedef enum LogLevel {
        LOG_LEVEL_DEBUG,
        LOG_LEVEL_INFO,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_ERROR,
        _LOG_LEVEL_MAX,
        _LOG_LEVEL_INVALID = -EINVAL,
} LogLevel;

LogLevel log_level_from_string(const char *s);
void log_set_level(LogLevel level);
bool log_enabled(LogLevel level);

/* reqid may be NULL.  Thread-safe: each line is written with one write(). */
void log_full(LogLevel level, const char *subsys, const char *reqid, const char *fmt, ...)
        _printf_(4, 5);

#define log_debug(subsys, ...) log_full(LOG_LEVEL_DEBUG, subsys, NULL, __VA_ARGS__)
#define log_info(subsys, ...) log_full(LOG_LEVEL_INFO, subsys, NULL, __VA_ARGS__)
#define log_warning(subsys, ...) log_full(LOG_LEVEL_WARNING, subsys, NULL, __VA_ARGS__)
#define log_error(subsys, ...) log_full(LOG_LEVEL_ERROR, subsys, NULL, __VA_ARGS__)
